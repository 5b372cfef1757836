//! The controller's one seam to the plan and the engine: the CLI and the controller share
//! `crate::plan` and `crate::engine`; nothing here diffs or writes on its own terms.

use std::collections::{BTreeSet, HashMap};

use crate::api::Sensitive;
use crate::model::{Address, Model, Observed, SecretSource};
use crate::plan::{self, ActionKind, Plan, PlanOptions, Scope};
use crate::portal::{PortalApi, WriteOutcome, WriteRequest};

/// The plan of one declaring object: only actions on its own resources.
///
/// The model also holds its parents (so their ids are known); their drift belongs to their
/// own reconcile, and nothing outside `own` is ever deleted from here (empty scope).
pub(crate) fn plan_for(model: &Model, observed: &Observed, own: &BTreeSet<Address>) -> Plan {
    let options = PlanOptions {
        prune: false,
        scope: Scope::Namespaces(BTreeSet::new()),
    };
    let mut plan = plan::plan(model, observed, &options);
    plan.actions.retain(|a| own.contains(&a.address));
    plan.pending.retain(|p| own.contains(&p.address));
    plan.orphans.clear();
    plan.hash = plan::plan_hash(&plan.actions);
    plan
}

/// How one write ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StepResult {
    /// Done at once.
    Done,
    /// Accepted; an async operation goes on (`reason`: Provisioning, Scheduled, AwaitingConsent).
    Waiting { reason: String, message: String },
    /// The portal refused or kept failing.
    Failed { code: String, message: String },
    /// Not attempted because something it depends on is not done.
    Skipped { blocked_by: String },
}

/// One applied action.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    /// The portal object.
    pub address: Address,
    /// What was done.
    pub action: ActionKind,
    /// How it ended.
    pub result: StepResult,
}

/// Applies `plan` through `portal`, in plan order; `uid` keys idempotency.
///
/// Interim body until `crate::engine` lands on main: creates and updates each action in order
/// (a replace deletes first), records async operations as `Waiting`, and skips what follows a
/// failure of its parent. Polling is the requeue's job, not this function's.
pub(crate) async fn apply(
    portal: &impl PortalApi,
    model: &Model,
    observed: &Observed,
    plan: &Plan,
    uid: &str,
) -> Vec<Applied> {
    let mut ids: HashMap<Address, String> = HashMap::new();
    let mut out = Vec::new();
    for action in &plan.actions {
        let address = action.address.clone();
        let Some(resource) = model.get(&address) else {
            continue;
        };
        let parent = resource.parent.as_ref().map(|p| &p.address);
        let parent_id = parent.and_then(|p| {
            ids.get(p)
                .cloned()
                .or_else(|| observed.get(p.kind, &p.external_ref).map(|o| o.id.clone()))
        });
        if let (Some(p), None) = (parent, &parent_id) {
            out.push(Applied {
                address,
                action: action.kind,
                result: StepResult::Skipped {
                    blocked_by: p.to_string(),
                },
            });
            continue;
        }
        let spec = match resource.wire_spec(parent_id.as_deref(), &[]) {
            Ok(spec) => spec,
            Err(e) => {
                out.push(Applied {
                    address,
                    action: action.kind,
                    result: StepResult::Failed {
                        code: "WireSpec".to_owned(),
                        message: e.to_string(),
                    },
                });
                continue;
            }
        };
        let serde_json::Value::Object(spec) = spec.into_value() else {
            continue;
        };
        let secrets: Vec<Sensitive> = resource
            .secrets
            .iter()
            .filter_map(|s| match &s.source {
                SecretSource::Known(v) => Some(v.clone()),
                SecretSource::Generated => None,
            })
            .collect();
        let req = WriteRequest {
            uid: uid.to_owned(),
            external_ref: address.external_ref.clone(),
            deletion_policy: resource.deletion_policy,
            spec,
            secrets,
        };
        let kind = address.kind;
        let result = match (action.kind, action.id.as_deref()) {
            (ActionKind::Update, Some(id)) => {
                portal.update(kind.portal(), kind.name(), id, &req).await
            }
            (ActionKind::Replace, Some(id)) => {
                match portal.delete(kind.portal(), kind.name(), id).await {
                    Ok(_) => portal.create(kind.portal(), kind.name(), &req).await,
                    Err(e) => Err(e),
                }
            }
            _ => portal.create(kind.portal(), kind.name(), &req).await,
        };
        let result = match result {
            Ok(WriteOutcome::Done(object)) => {
                ids.insert(address.clone(), object.id);
                StepResult::Done
            }
            Ok(WriteOutcome::Accepted(accepted)) => {
                ids.insert(address.clone(), accepted.object.id.clone());
                let op = accepted.operation;
                StepResult::Waiting {
                    reason: op.reason.unwrap_or_else(|| "Provisioning".to_owned()),
                    message: op.message.unwrap_or_default(),
                }
            }
            Err(e) => StepResult::Failed {
                code: e.code().to_owned(),
                message: e.to_string(),
            },
        };
        out.push(Applied {
            address,
            action: action.kind,
            result,
        });
    }
    out
}
