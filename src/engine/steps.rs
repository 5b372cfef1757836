//! From a plan to the engine's steps: the desired resource of every write, the observed object
//! of every delete, and the portal ids already known.

use crate::model::{Address, Kind, Model, Observed};
use crate::plan::{ActionKind, Plan};

use super::run::Known;
use super::step::Step;

/// The steps of `plan` (in plan order) and the ids of every observed object.
///
/// An action whose resource or object cannot be found (a plan computed from another model) is
/// left out; plans and models always come from the same input, so that does not happen.
pub fn steps(plan: &Plan, model: &Model, observed: &Observed) -> (Vec<Step>, Known) {
    let steps = plan
        .actions
        .iter()
        .filter_map(|action| {
            let address = &action.address;
            match action.kind {
                ActionKind::Create => model.get(address).cloned().map(Step::Create),
                ActionKind::Update => Some(Step::Update {
                    resource: model.get(address)?.clone(),
                    id: action.id.clone()?,
                }),
                ActionKind::Replace => Some(Step::Replace {
                    resource: model.get(address)?.clone(),
                    id: action.id.clone()?,
                }),
                ActionKind::Delete => Some(Step::Delete {
                    address: address.clone(),
                    object: observed
                        .find(address.kind, &address.external_ref, action.id.as_deref()?)?
                        .clone(),
                }),
            }
        })
        .collect();
    let mut known = Known::default();
    for kind in Kind::ALL {
        for object in observed.of_kind(kind) {
            known.ids.insert(
                Address::new(kind, object.external_ref.clone()),
                object.id.clone(),
            );
        }
    }
    (steps, known)
}
