//! From a plan to the engine's steps: the desired resource of every write, the observed object
//! of every delete, and the portal ids already known.

use crate::model::{Address, Kind, Model, Observed, PortalObject};
use crate::plan::{ActionKind, Phase, Plan};

use super::run::Known;
use super::step::{Outcome, Step};

/// The steps of `plan` (in plan order) and the ids of every observed object.
///
/// An action whose resource or object cannot be found (a plan computed from another model) is
/// left out; plans and models always come from the same input, so that does not happen.
pub fn steps(plan: &Plan, model: &Model, observed: &Observed) -> (Vec<Step>, Known) {
    let mut steps = Vec::with_capacity(plan.actions.len());
    for action in &plan.actions {
        let address = &action.address;
        let observed_object = || {
            observed
                .find(address.kind, &address.external_ref, action.id.as_deref()?)
                .cloned()
        };
        match action.kind {
            ActionKind::Create => steps.extend(model.get(address).cloned().map(Step::Create)),
            ActionKind::Update => {
                if let (Some(resource), Some(id)) = (model.get(address), action.id.clone()) {
                    let resource = match observed_object() {
                        Some(object) if !action.keep.is_empty() => {
                            resource.keeping(&object, &action.keep)
                        }
                        _ => resource.clone(),
                    };
                    steps.push(Step::Update { resource, id });
                }
            }
            // A replacement is two steps, so a chain runs in dependency order: dependants are
            // deleted before their parent, and created after it.
            ActionKind::Replace => {
                if let (Some(resource), Some(object)) = (model.get(address), observed_object()) {
                    let resource = resource.keeping(&object, &action.keep);
                    steps.push(Step::Delete {
                        address: address.clone(),
                        object,
                    });
                    steps.push(Step::Create(resource));
                }
            }
            ActionKind::Delete => {
                if let Some(object) = observed_object() {
                    steps.push(Step::Delete {
                        address: address.clone(),
                        object,
                    });
                }
            }
        }
    }
    let mut known = Known::default();
    for kind in Kind::ALL {
        for object in observed.of_kind(kind) {
            known.ids.insert(
                Address::new(kind, object.external_ref.clone()),
                object.id.clone(),
            );
            if let Some(outcome) = kind
                .holds_dependants()
                .then(|| hold(kind, object))
                .flatten()
            {
                known
                    .held
                    .insert(Address::new(kind, object.external_ref.clone()), outcome);
            }
        }
    }
    (steps, known)
}

/// What a write waiting on the adopted object gets while the object is not ready: it waits
/// with the object's phase as reason, or is skipped when the object failed.
fn hold(kind: Kind, object: &PortalObject) -> Option<Outcome> {
    let phase = Phase::parse(object.phase()?)?;
    let what = format!("{kind} {} ({})", object.external_ref, object.id);
    Some(match phase {
        Phase::Failed => Outcome::Skipped {
            blocked_by: what,
            reason: object.failure().map_or_else(
                || "failed".to_owned(),
                |f| format!("failed with {}", f.reason),
            ),
        },
        waiting => Outcome::Waiting {
            id: String::new(),
            state: crate::portal::OperationState::AwaitingHuman,
            reason: waiting.as_str().to_owned(),
            message: match object.status.get("message").and_then(|m| m.as_str()) {
                Some(m) => format!("waits for {what}: {m}"),
                None => format!("waits for {what} ({})", waiting.as_str()),
            },
        },
    })
}
