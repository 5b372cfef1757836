//! The controller's one seam to the plan and the engine: the CLI and the controller share
//! `crate::plan` and `crate::engine`; nothing here diffs or writes on its own terms.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::api::ObjectId;
use crate::engine::{self, ApplyOptions, Outcome, PollPolicy, Quiet};
use crate::model::{Address, Model, Observed};
use crate::plan::{self, Plan, PlanOptions, Scope};
use crate::portal::HttpPortal;

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
    /// Done.
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
    pub action: engine::Action,
    /// How it ended.
    pub result: StepResult,
}

/// How long one reconcile follows an async operation before leaving it to the requeue.
const FOLLOW: PollPolicy = PollPolicy {
    timeout: Duration::from_secs(10),
    interval: Duration::from_millis(200),
    max_interval: Duration::from_secs(2),
};

/// Applies `plan` through the engine, as `tenantry apply` does: dependency order, bounded
/// parallelism, async operations followed briefly (the requeue polls the rest), dependants
/// of a failure skipped. `uid` (the object's) keys the idempotency of its writes.
pub(crate) async fn apply(
    portal: &HttpPortal,
    model: &Model,
    observed: &Observed,
    plan: &Plan,
    declared_by: &ObjectId,
    uid: &str,
) -> Vec<Applied> {
    let (steps, known) = engine::steps(plan, model, observed);
    let options = ApplyOptions {
        parallelism: 4,
        poll: FOLLOW,
        uids: HashMap::from([(declared_by.clone(), uid.to_owned())]),
    };
    let report = engine::apply(portal, steps, known, &options, &Quiet).await;
    report
        .steps
        .into_iter()
        .map(|step| Applied {
            address: step.address,
            action: step.action,
            result: match step.outcome {
                Outcome::Done { .. } => StepResult::Done,
                Outcome::Waiting {
                    reason, message, ..
                } => StepResult::Waiting { reason, message },
                Outcome::Failed { code, message } => StepResult::Failed { code, message },
                Outcome::Skipped { blocked_by, .. } => StepResult::Skipped { blocked_by },
            },
        })
        .collect()
}
