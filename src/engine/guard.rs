//! The mass-deletion guard: a pass that would delete too large a share of what a connection
//! holds stops before any portal call (DESIGN.md §7, "external objects deleted by accident").

use crate::plan::{ActionKind, Plan};

/// The share of observed objects one pass may delete unless the caller overrides it.
pub const DEFAULT_MAX_DELETE_SHARE: f64 = 0.10;

/// A pass that would delete more than the allowed share.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "this pass would delete {deletes} of the {observed} portal objects it observed ({percent:.0}%, \
     more than the {limit:.0}% allowed); nothing was written. If that is really intended, run \
     again with --max-delete-share {suggest:.2}"
)]
pub struct MassDeletion {
    /// Deletes the plan holds (prunes of undeclared objects; replacements are changes the
    /// input asks for and do not count).
    pub deletes: usize,
    /// Objects observed in scope.
    pub observed: usize,
    /// `deletes / observed` in percent.
    pub percent: f64,
    /// The allowed share in percent.
    pub limit: f64,
    /// A share that would let this pass through.
    pub suggest: f64,
}

/// Refuses a plan whose deletes exceed `max_share` of the `observed` objects.
pub fn check_mass_deletion(
    plan: &Plan,
    observed: usize,
    max_share: f64,
) -> Result<(), MassDeletion> {
    let deletes = plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Delete)
        .count();
    if deletes == 0 {
        return Ok(());
    }
    let share = deletes as f64 / observed.max(1) as f64;
    if share <= max_share {
        return Ok(());
    }
    Err(MassDeletion {
        deletes,
        observed,
        percent: share * 100.0,
        limit: max_share * 100.0,
        suggest: (share * 100.0).ceil() / 100.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Kind};
    use crate::plan::Action;

    fn plan_with(kinds: &[ActionKind]) -> Plan {
        Plan {
            routing: Default::default(),
            drift: Vec::new(),
            accepted: Vec::new(),
            actions: kinds
                .iter()
                .enumerate()
                .map(|(i, &kind)| Action {
                    kind,
                    address: Address::new(Kind::Citrix, format!("ns/b{i}")),
                    id: Some(format!("id{i}")),
                    declared_by: None,
                    tenant: None,
                    deletion_policy: crate::api::DeletionPolicy::Delete,
                    management_policy: None,
                    changes: Vec::new(),
                    phase: None,
                    destroys: None,
                    allow_replace: false,
                    keep: Vec::new(),
                })
                .collect(),
            orphans: Vec::new(),
            pending: Vec::new(),
            unchanged: 0,
            hash: String::new(),
            outputs: Vec::new(),
            scope: crate::plan::Scope::Everything,
            observed: 10,
        }
    }

    #[test]
    fn deletes_up_to_the_share_pass_and_more_stop() {
        let one = plan_with(&[ActionKind::Delete]);
        assert!(check_mass_deletion(&one, 10, 0.10).is_ok());
        let two = plan_with(&[
            ActionKind::Delete,
            ActionKind::Delete,
            ActionKind::Replace,
            ActionKind::Create,
        ]);
        let err = check_mass_deletion(&two, 10, 0.10).err();
        assert_eq!(err.as_ref().map(|e| e.deletes), Some(2));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("--max-delete-share 0.20"), "{text}");
        assert!(check_mass_deletion(&two, 10, 0.20).is_ok());
        assert!(check_mass_deletion(&plan_with(&[ActionKind::Create]), 0, 0.0).is_ok());
    }
}
