//! Policies, decided here only: which changes of a plan may be written (managementPolicy,
//! approvals, and the allowance of replacements that destroy data), and whether deleting a
//! declaration deletes its portal objects (deletionPolicy). The CLI and the controller call
//! these; neither enforces a policy on its own terms.

use std::fmt;

use crate::api::{DeletionPolicy, ManagementPolicy, ObjectId, Policies};
use crate::model::Address;
use crate::plan::Plan;

/// How the caller approved the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// A person confirmed the plan as computed now (the CLI's prompt or `--auto-approve`).
    Confirmed,
    /// A person reviewed a plan with this hash (`--plan-hash`): nothing is written unless the
    /// plan computed now has it.
    Pinned(String),
    /// The object's approve annotation, if any (the controller): changes of objects whose
    /// managementPolicy is Plan need it to name the plan computed now; Apply needs none.
    Annotation(Option<String>),
}

/// Which replacements that destroy data (the contract's `x-destroys-data`) the caller allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplaceAllowance {
    /// Those of objects whose `spec.allowReplace` is true (the controller; the CLI by default).
    #[default]
    Declared,
    /// Every one (`tenantry apply --allow-replace`).
    All,
}

/// Why a change is not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// managementPolicy Observe: reported, never written.
    Observe,
    /// managementPolicy Plan and no approval of this plan yet.
    AwaitingApproval,
    /// The approval names another plan.
    ApprovalStale,
    /// A replacement that destroys data, not allowed.
    DestroysData,
    /// Held with the plan: another of its changes is a refused replacement, and a plan with a
    /// refused part writes nothing (a dependant must not be rebuilt under a parent that stays).
    Blocked,
}

/// What of a plan may be written, and what is held back.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The changes that may be written; its hash stays the whole plan's.
    pub writable: Plan,
    /// The changes held back, and why.
    pub held: Vec<(Address, Hold)>,
    /// The hash an approval named when it was not the plan's (nothing it covers is written).
    pub stale: Option<String>,
    /// The replacements that destroy data and are not allowed; when there are any, nothing of
    /// the plan is written.
    pub refused: Vec<RefusedReplace>,
}

/// A replacement that destroys data, held because nothing allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedReplace {
    /// The portal object.
    pub address: Address,
    /// The object that declares it: where `spec.allowReplace` would allow it.
    pub declared_by: Option<ObjectId>,
    /// `replacing <address> destroys <what>`.
    pub destruction: String,
}

impl fmt::Display for RefusedReplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.destruction)?;
        if let Some(object) = &self.declared_by {
            write!(f, " (declared by {object})")?;
        }
        Ok(())
    }
}

/// A plan refused whole because it replaces objects and destroys their data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "ReplaceRefused: the plan replaces {} object(s) and destroys their data; nothing was \
     written: {}", .replacements.len(), join(.replacements)
)]
pub struct ReplaceRefused {
    /// Each refused replacement.
    pub replacements: Vec<RefusedReplace>,
}

impl ReplaceRefused {
    /// The declaring objects that could allow the replacements, each once.
    pub fn declaring_objects(&self) -> Vec<String> {
        let mut objects: Vec<String> = self
            .replacements
            .iter()
            .filter_map(|r| r.declared_by.as_ref().map(ToString::to_string))
            .collect();
        objects.sort();
        objects.dedup();
        objects
    }
}

fn join(replacements: &[RefusedReplace]) -> String {
    let lines: Vec<String> = replacements.iter().map(ToString::to_string).collect();
    lines.join("; ")
}

impl Decision {
    /// True when something may be written.
    pub fn writes(&self) -> bool {
        self.writable.has_changes()
    }

    /// How many changes are held for `hold`.
    pub fn held_for(&self, hold: Hold) -> usize {
        self.held.iter().filter(|(_, h)| *h == hold).count()
    }

    /// The refusal of the plan's destructive replacements, when any is not allowed.
    pub fn replace_refused(&self) -> Option<ReplaceRefused> {
        (!self.refused.is_empty()).then(|| ReplaceRefused {
            replacements: self.refused.clone(),
        })
    }
}

/// Splits `plan` into what may be written and what is held, by each change's
/// managementPolicy, the caller's approval, and which replacements that destroy data are
/// allowed (`allowance`, or the declaring object's `spec.allowReplace`). A plan with a
/// destructive replacement that nothing allows writes nothing at all, like Terraform's
/// `prevent_destroy`.
pub fn decide(plan: &Plan, approval: &Approval, allowance: ReplaceAllowance) -> Decision {
    let current = plan.hash.as_str();
    let pinned_stale = matches!(approval, Approval::Pinned(h) if h != current);
    let plan_approved = match approval {
        Approval::Confirmed => true,
        Approval::Pinned(h) | Approval::Annotation(Some(h)) => h == current,
        Approval::Annotation(None) => false,
    };
    let annotation_stale = matches!(approval, Approval::Annotation(Some(h)) if h != current);
    let mut writable = plan.clone();
    let mut held = Vec::new();
    writable.actions.retain(|a| {
        // A delete has no managementPolicy: its declaration is gone (prune, teardown).
        let policy = a.management_policy.unwrap_or(ManagementPolicy::Apply);
        let hold = match policy {
            ManagementPolicy::Observe => Some(Hold::Observe),
            _ if pinned_stale => Some(Hold::ApprovalStale),
            ManagementPolicy::Plan if plan_approved => None,
            ManagementPolicy::Plan if annotation_stale => Some(Hold::ApprovalStale),
            ManagementPolicy::Plan => Some(Hold::AwaitingApproval),
            ManagementPolicy::Apply => None,
        };
        match hold {
            Some(hold) => {
                held.push((a.address.clone(), hold));
                false
            }
            None => true,
        }
    });
    let refused: Vec<RefusedReplace> = writable
        .actions
        .iter()
        .filter(|a| !a.allow_replace && allowance != ReplaceAllowance::All)
        .filter_map(|a| {
            Some(RefusedReplace {
                address: a.address.clone(),
                declared_by: a.declared_by.clone(),
                destruction: a.destruction()?,
            })
        })
        .collect();
    if !refused.is_empty() {
        for a in writable.actions.drain(..) {
            let hold = if refused.iter().any(|r| r.address == a.address) {
                Hold::DestroysData
            } else {
                Hold::Blocked
            };
            held.push((a.address, hold));
        }
    }
    let stale = match approval {
        Approval::Pinned(h) | Approval::Annotation(Some(h))
            if held.iter().any(|(_, hold)| *hold == Hold::ApprovalStale) =>
        {
            Some(h.clone())
        }
        _ => None,
    };
    Decision {
        writable,
        held,
        stale,
        refused,
    }
}

/// Why a deleted declaration leaves its portal objects in place, or `None` when they go.
pub fn keeps_portal_objects(policies: Policies) -> Option<&'static str> {
    if policies.deletion == DeletionPolicy::Orphan {
        Some("deletionPolicy Orphan")
    } else if policies.management == ManagementPolicy::Observe {
        Some("managementPolicy Observe")
    } else {
        None
    }
}

/// The first 12 digits of a plan hash, for messages.
pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The one sentence of a stale approval: which plan was approved, which one holds now, what
/// moved, and that nothing was written; `next` says how to approve again.
pub fn stale_message(approved: &str, plan: &Plan, what_changed: &str, next: &str) -> String {
    format!(
        "The approval {} is not the current plan {}: {what_changed}. Nothing was written. {next}",
        short(approved),
        short(&plan.hash)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;
    use crate::plan::{self, PlanOptions};

    /// A plan of creates whose objects have `policy`.
    fn plan_with(policy: ManagementPolicy) -> Plan {
        let model = crate::model::expand(&fixtures::kenton()).expect("the fixture expands");
        let mut plan = plan::plan(&model, &Default::default(), &PlanOptions::default());
        for a in &mut plan.actions {
            a.management_policy = Some(policy);
        }
        plan
    }

    #[test]
    fn each_policy_and_approval() {
        use Approval::*;
        use ManagementPolicy::*;
        let cases = [
            (Apply, Confirmed, true, None),
            (Apply, Annotation(None), true, None),
            (Apply, Annotation(Some("old".into())), true, None),
            (
                Apply,
                Pinned("old".into()),
                false,
                Some(Hold::ApprovalStale),
            ),
            (Plan, Confirmed, true, None),
            (Plan, Annotation(None), false, Some(Hold::AwaitingApproval)),
            (
                Plan,
                Annotation(Some("old".into())),
                false,
                Some(Hold::ApprovalStale),
            ),
            (Plan, Pinned("old".into()), false, Some(Hold::ApprovalStale)),
            (Observe, Confirmed, false, Some(Hold::Observe)),
            (Observe, Annotation(None), false, Some(Hold::Observe)),
        ];
        for (policy, approval, writes, hold) in cases {
            let plan = plan_with(policy);
            let decision = decide(&plan, &approval, ReplaceAllowance::Declared);
            let label = format!("{policy:?} {approval:?}");
            assert_eq!(decision.writes(), writes, "{label}");
            assert_eq!(decision.writable.hash, plan.hash, "{label}");
            match hold {
                Some(hold) => assert_eq!(decision.held_for(hold), plan.actions.len(), "{label}"),
                None => assert!(decision.held.is_empty(), "{label}"),
            }
            assert_eq!(
                decision.stale.is_some(),
                hold == Some(Hold::ApprovalStale),
                "{label}"
            );
        }
        // The approval of exactly this plan writes it under Plan, by annotation or pin.
        let plan = plan_with(Plan);
        for approval in [
            Annotation(Some(plan.hash.clone())),
            Pinned(plan.hash.clone()),
        ] {
            assert!(
                decide(&plan, &approval, ReplaceAllowance::Declared).writes(),
                "{approval:?}"
            );
        }
    }

    #[test]
    fn a_replacement_that_destroys_data_holds_the_whole_plan_unless_allowed() {
        let mut plan = plan_with(ManagementPolicy::Apply);
        let first = plan.actions[0].address.clone();
        plan.actions[0].kind = crate::plan::ActionKind::Replace;
        plan.actions[0].destroys = Some("the customer's workspace".to_owned());
        let refused = decide(&plan, &Approval::Confirmed, ReplaceAllowance::Declared);
        assert!(!refused.writes());
        assert_eq!(refused.held_for(Hold::DestroysData), 1);
        assert_eq!(refused.held_for(Hold::Blocked), plan.actions.len() - 1);
        let error = refused.replace_refused().map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains(&format!(
                "replacing {} {} destroys the customer's workspace (declared by Tenant",
                first.kind, first.external_ref
            ))),
            "{error:?}"
        );
        // Allowed by the caller, or by the object.
        let all = decide(&plan, &Approval::Confirmed, ReplaceAllowance::All);
        assert!(all.writes() && all.held.is_empty() && all.refused.is_empty());
        plan.actions[0].allow_replace = true;
        let declared = decide(&plan, &Approval::Confirmed, ReplaceAllowance::Declared);
        assert!(declared.writes() && declared.held.is_empty());
        // A replacement that is never written (Observe) is not refused.
        plan.actions[0].allow_replace = false;
        plan.actions[0].management_policy = Some(ManagementPolicy::Observe);
        let observed = decide(&plan, &Approval::Confirmed, ReplaceAllowance::Declared);
        assert!(observed.writes() && observed.refused.is_empty());
    }

    #[test]
    fn teardown_follows_deletion_then_management_policy() {
        let p = |deletion, management| Policies {
            deletion,
            management,
            drift: Default::default(),
        };
        use DeletionPolicy::*;
        assert_eq!(
            keeps_portal_objects(p(Orphan, ManagementPolicy::Apply)),
            Some("deletionPolicy Orphan")
        );
        assert_eq!(
            keeps_portal_objects(p(Delete, ManagementPolicy::Observe)),
            Some("managementPolicy Observe")
        );
        assert_eq!(
            keeps_portal_objects(p(Delete, ManagementPolicy::Plan)),
            None
        );
        assert_eq!(
            keeps_portal_objects(p(Delete, ManagementPolicy::Apply)),
            None
        );
    }
}
