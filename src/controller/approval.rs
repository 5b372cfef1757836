//! Plan approvals (managementPolicy `Plan`): the published plan, and what changed between the
//! approved plan and the one recomputed now.

use super::context::Context;
use super::status::plan_status;
use crate::api::PlanStatus;
use crate::plan::Plan;

/// The plan to publish in status: none when nothing would change.
pub(crate) fn published_plan(ctx: &Context, plan: &Plan) -> Option<PlanStatus> {
    plan.has_changes()
        .then(|| plan_status(plan, ctx.settings.change_limit, ctx.settings.diff_limit))
}

/// What differs between the approved plan (when it is the one published) and the current one.
pub(crate) fn what_changed(published: Option<&PlanStatus>, approved: &str, plan: &Plan) -> String {
    let current = plan_status(plan, usize::MAX, 0).changes;
    let Some(previous) = published.filter(|p| p.hash == approved) else {
        return format!(
            "the approved hash matches no published plan; the plan now is {}",
            plan.summary()
        );
    };
    let added: Vec<&String> = current
        .iter()
        .filter(|c| !previous.changes.contains(c))
        .collect();
    let removed: Vec<&String> = previous
        .changes
        .iter()
        .filter(|c| !current.contains(c))
        .collect();
    let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    match (added.is_empty(), removed.is_empty()) {
        (true, true) => "the same fields now have other values".to_owned(),
        (false, true) => format!("now also {}", list(&added)),
        (true, false) => format!("no longer {}", list(&removed)),
        (false, false) => format!("now also {}; no longer {}", list(&added), list(&removed)),
    }
}

pub(crate) fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
