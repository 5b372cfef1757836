//! Every condition and event message of the controller, in one place: what happened and what
//! to do next, in the users' words. Snapshot-tested, so a change shows in review.

use crate::engine::ReplaceRefused;
use crate::engine::policy::stale_message;
use crate::plan::{Pending, Phase, Plan};

/// `kubectl annotate <plural> <name> tenantry.dev/approve=<hash>`: how to approve this plan.
fn annotate(kind: &str, name: &str, plan: &Plan) -> String {
    format!(
        "kubectl annotate {}s {name} {}={}",
        kind.to_lowercase(),
        super::APPROVE_ANNOTATION,
        plan.hash
    )
}

/// PlanPending/Ready when a plan waits for its approval.
pub(crate) fn awaiting_approval(kind: &str, name: &str, plan: &Plan) -> String {
    format!(
        "A plan ({}) waits for approval. Review status.plan, then run: {}",
        plan.summary(),
        annotate(kind, name, plan)
    )
}

/// PlanPending/Ready when the approval names another plan; `what_changed` names the moves.
pub(crate) fn approval_stale(
    kind: &str,
    name: &str,
    approved: &str,
    plan: &Plan,
    what_changed: &str,
) -> String {
    let next = format!(
        "Review status.plan and run: {} --overwrite",
        annotate(kind, name, plan)
    );
    stale_message(approved, plan, what_changed, &next)
}

/// Ready when managementPolicy Observe sees drift.
pub(crate) fn drifted(plan: &Plan) -> String {
    format!(
        "The portal differs from the declaration ({}); managementPolicy Observe never writes. See status.plan; set managementPolicy: Apply to correct it.",
        plan.summary()
    )
}

/// Drifted: the fields a person changed in a portal and what the policy does.
pub(crate) fn drift(plan: &Plan) -> String {
    let fields: Vec<String> = plan
        .drift
        .iter()
        .map(|d| format!("{} {}", d.address, d.field))
        .collect();
    let policy = plan
        .drift
        .first()
        .map_or("Remediate", |d| d.policy.as_str());
    let doing = if policy == "Remediate" {
        "driftPolicy Remediate writes the declared values back"
    } else {
        "the drift policy leaves them as they are"
    };
    format!(
        "Changed in the portal by hand: {}; {doing}. See status.drift; to keep a value, add it to spec.acceptedDeviations with a reason and an expiry.",
        fields.join(", ")
    )
}

/// PlanPending/Ready when the plan replaces objects and destroys data nothing allows losing.
pub(crate) fn replace_refused(refused: &ReplaceRefused) -> String {
    let objects = refused.declaring_objects().join(", ");
    format!(
        "{refused}. If the loss is intended, set spec.allowReplace: true on {objects} (and remove it once applied); otherwise revert the change that forces the replacement."
    )
}

/// Ready while changes are being applied.
pub(crate) const APPLYING: &str = "Changes are being applied; see status.plan.";

/// A PortalConnection's Ready=True: which portals answered.
pub(crate) fn connected(portals: &[crate::api::Portal]) -> String {
    let ids: Vec<&str> = portals.iter().map(|p| p.id()).collect();
    format!(
        "The portal answered with these credentials ({}).",
        ids.join(", ")
    )
}

/// A PortalConnection's Ready=False: the error (scrubbed by the client) and what to check.
pub(crate) fn connection_failed(error: &str) -> String {
    format!(
        "The portal check failed: {error}. It is checked again at every resync and when the credentials Secret changes."
    )
}

/// Ready when the objects match.
pub(crate) const AVAILABLE: &str = "The portal objects match the declaration.";

/// Ready when the portal's last operation failed.
pub(crate) const OPERATION_FAILED: &str = "The portal's last operation failed; see the portal's notification e-mail, fix the spec, and it is retried.";

/// Ready when the portal's last operation on an object failed, with the portal's reason.
pub(crate) fn operation_failed(failed: &Pending) -> String {
    format!(
        "The portal's last operation failed: {}. The portal does not retry it: change the spec so it can succeed, and it is retried.",
        failed.failure_line()
    )
}

/// [`phase`], with the approval link of the GDAP relationship that waits for its customer.
pub(crate) fn phase_of(which: Phase, pending: Option<&Pending>) -> String {
    match pending {
        Some(p) if which == Phase::AwaitingCustomerApproval => format!(
            "Waiting for the customer's Global Administrator to approve the partner's GDAP relationship at {} (send them the link; the request expires after 90 days); the customer's admins are created once it is active.",
            crate::plan::gdap_approval_link(&p.id)
        ),
        _ => phase(which).to_owned(),
    }
}

/// Progressing/Ready while the portal works on an object.
pub(crate) fn phase(phase: Phase) -> &'static str {
    match phase {
        Phase::Scheduled => "The portal scheduled the work off-peak; it is polled until done.",
        Phase::AwaitingConsent => {
            "Waiting for the customer's Global Admin to accept the invitation (both consent steps); nothing to do here."
        }
        Phase::AwaitingManualStep => {
            "Waiting for a person to do a step in the vendor's own portal (see the plan's pending message); it is checked again periodically."
        }
        Phase::AwaitingCustomerApproval => {
            "Waiting for the customer's Global Administrator to approve the partner's GDAP relationship (the link is in status.plan's pending objects and the Warning event); the customer's admins are created once it is active."
        }
        Phase::AwaitingCarrierApproval => {
            "Waiting for the carriers to accept the 10DLC campaign shared in The Campaign Registry (this takes days); the SMS number is bound once it is accepted."
        }
        Phase::Provisioning | Phase::Failed => {
            "The portal is provisioning; it is polled until done."
        }
    }
}

/// Ready after a failed reconcile: what to do about `error`.
pub(crate) fn next_step(error: &super::Error) -> String {
    match error {
        super::Error::Invalid { message, .. } => format!("Fix the object: {message}"),
        e if e.is_transient() => format!(
            "Retrying with backoff; check the portal and the PortalConnection if it persists ({e})."
        ),
        e => format!("The portal refused the change; fix the spec and it is retried ({e})."),
    }
}

/// Event when a deleted object's portal objects stay, and why (`deletionPolicy Orphan`, …).
pub(crate) fn orphaned(why: &str) -> String {
    format!("{why}: the portal objects are left in place")
}

/// Event when the object's CustomResourceDefinition is being deleted (an uninstall).
pub(crate) fn uninstalling(definition: &str) -> String {
    format!(
        "the CustomResourceDefinition {definition} is being deleted (an uninstall): the portal objects are left in place; deletionPolicy Delete applies only to objects deleted one by one"
    )
}

/// DeleteBlocked while a Tenant still has admins or bindings.
pub(crate) fn dependants_exist(dependants: &[String]) -> String {
    format!(
        "The Tenant is not deleted from the portals while {} still reference it; delete them first (or set deletionPolicy: Orphan to leave the portal objects).",
        dependants.join(", ")
    )
}

/// DeleteBlocked when the Tenant, and so the PortalConnection, is unknown.
pub(crate) fn tenant_gone(tenant: &str) -> String {
    format!(
        "Tenant {tenant} is gone, so its PortalConnection is unknown; recreate the Tenant, or remove the finalizer {} by hand to leave the portal objects.",
        super::FINALIZER
    )
}

/// DeleteBlocked when the portal cannot be reached or refuses: the way out.
pub(crate) fn delete_way_out(cause: &str) -> String {
    format!(
        "{cause}. The finalizer {} stays until the portal objects are deleted; it is retried with backoff. To leave them in the portal instead, set spec.deletionPolicy: Orphan.",
        super::FINALIZER
    )
}

/// Progressing while the portal deletes objects asynchronously.
pub(crate) fn deleting(waiting: &[String]) -> String {
    format!(
        "The portal is deleting {}; polled until done.",
        waiting.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Observed, expand, fixtures};
    use crate::plan::{PlanOptions, plan};

    #[test]
    fn every_message() {
        let model = expand(&fixtures::kenton()).expect("the fixture expands");
        let plan = plan(&model, &Observed::new(), &PlanOptions::default());
        let error = super::super::Error::Invalid {
            reason: "InvalidSpec",
            message: "spec.code: letters and digits only".to_owned(),
        };
        let all = [
            (
                "awaiting_approval",
                awaiting_approval("Tenant", "kenton", &plan),
            ),
            (
                "approval_stale",
                approval_stale(
                    "Tenant",
                    "kenton",
                    "0123456789abcdef",
                    &plan,
                    "other values for cloudlink/accounts/customers/kenton businessType",
                ),
            ),
            ("drifted", drifted(&plan)),
            ("applying", APPLYING.to_owned()),
            ("available", AVAILABLE.to_owned()),
            ("operation_failed", OPERATION_FAILED.to_owned()),
            ("phase_scheduled", phase(Phase::Scheduled).to_owned()),
            ("phase_consent", phase(Phase::AwaitingConsent).to_owned()),
            ("phase_provisioning", phase(Phase::Provisioning).to_owned()),
            ("next_step_invalid", next_step(&error)),
            ("orphaned", orphaned("deletionPolicy Orphan")),
            ("uninstalling", uninstalling("tenants.tenantry.dev")),
            (
                "dependants_exist",
                dependants_exist(&["TenantAdmin jroe".to_owned()]),
            ),
            ("tenant_gone", tenant_gone("customers/kenton")),
            (
                "connected",
                connected(&[crate::api::Portal::Daas, crate::api::Portal::Apps]),
            ),
            (
                "connection_failed",
                connection_failed("daas refused the request (401 Unauthorized): bad token"),
            ),
            ("delete_way_out", delete_way_out("portal unreachable")),
            (
                "deleting",
                deleting(&["daas/azureAD customers/kenton-aad".to_owned()]),
            ),
        ];
        let text: String = all
            .iter()
            .map(|(name, message)| format!("{name}: {message}\n"))
            .collect::<String>()
            .replace(&plan.hash, "<plan hash>")
            .replace(crate::engine::policy::short(&plan.hash), "<short hash>");
        insta::assert_snapshot!(text);
    }
}
