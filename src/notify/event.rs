//! Events: one per situation a person should know of, with an id that is the same for the
//! same situation in every run (the idempotency key receivers deduplicate by).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::api::{DriftPolicy, EventType, ObjectId};
use crate::engine::{Outcome, Report};
use crate::plan::render::inline;
use crate::plan::{Phase, Plan};
use crate::portal::manual::WorkOrder;

/// Something that needs a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Stable id: the same situation gives the same id in every run and replica.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// `portal/kind/externalRef` of the portal object.
    pub address: String,
    /// The declaring object, when known.
    pub declared_by: Option<ObjectId>,
    /// `namespace/name` of the Tenant, when known.
    pub tenant: Option<String>,
    /// Stable reason, e.g. `AwaitingConsent`, `DomainUnavailable`.
    pub reason: String,
    /// What it means and what to do (scrubbed of secrets by the portal layer).
    pub message: String,
}

impl Event {
    /// An event whose id is derived from its type, address, reason and `detail` (e.g. a work
    /// order's id; empty for waits and failures).
    pub fn new(
        kind: EventType,
        address: String,
        reason: String,
        message: String,
        detail: &str,
    ) -> Self {
        let mut h = Sha256::new();
        for part in [kind.name(), &address, &reason, detail] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        Self {
            id: format!("{:x}", h.finalize())[..32].to_owned(),
            kind,
            address,
            declared_by: None,
            tenant: None,
            reason,
            message,
        }
    }

    /// One line for a person: `Waiting: teammate/enterprises/... AwaitingConsent: message`.
    pub fn line(&self) -> String {
        format!(
            "{}: {} {}: {}",
            self.kind.name(),
            self.address,
            self.reason,
            self.message
        )
    }
}

impl From<&Event> for crate::api::SinkEvent {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.clone(),
            kind: e.kind,
            address: e.address.clone(),
            declared_by: e.declared_by.clone(),
            tenant: e.tenant.clone(),
            reason: e.reason.clone(),
            message: e.message.clone(),
        }
    }
}

impl From<crate::api::SinkEvent> for Event {
    fn from(e: crate::api::SinkEvent) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            address: e.address,
            declared_by: e.declared_by,
            tenant: e.tenant,
            reason: e.reason,
            message: e.message,
        }
    }
}

/// The waits and failures a plan observed in the portals. An id covers the object and the
/// reason, not the message: the apply that saw a failure and the plans after it word it
/// differently, and a wait's message changes (a new link) while it is the same wait.
pub fn events_of_plan(plan: &Plan) -> Vec<Event> {
    let mut events = events_of_drift(plan);
    events.extend(plan.pending.iter().map(|p| {
        let address = p.address.to_string();
        let mut event = match (&p.phase, &p.failure) {
            (Phase::Failed, failure) => {
                let (reason, message) = failure.as_ref().map_or_else(
                    || {
                        (
                            "OperationFailed".to_owned(),
                            "the portal's last operation failed".to_owned(),
                        )
                    },
                    |f| (f.reason.clone(), f.message.clone()),
                );
                Event::new(EventType::Failed, address, reason, message, "")
            }
            (phase, _) => Event::new(
                EventType::Waiting,
                address,
                phase.as_str().to_owned(),
                waiting_message(*phase).to_owned(),
                "",
            ),
        };
        event.tenant = Some(p.tenant.clone());
        event
    }));
    events
}

/// A Drift event per field a person changed where the policy is Alert; its id covers the
/// value the portal holds, so a second hand change is a new event.
fn events_of_drift(plan: &Plan) -> Vec<Event> {
    plan.drift
        .iter()
        .filter(|d| d.policy == DriftPolicy::Alert)
        .map(|d| {
            let message = format!(
                "{} was changed in the portal: declared {}, the portal holds {}; driftPolicy Alert leaves it. Put it back in the portal, change the declaration, or accept it in spec.acceptedDeviations.",
                d.field,
                inline(&d.declared),
                inline(&d.observed)
            );
            let detail = format!("{}={}", d.field, inline(&d.observed));
            let mut event = Event::new(
                EventType::Drift,
                d.address.to_string(),
                "ChangedInPortal".to_owned(),
                message,
                &detail,
            );
            event.tenant = Some(d.tenant.clone());
            event
        })
        .collect()
}

fn waiting_message(phase: Phase) -> &'static str {
    match phase {
        Phase::AwaitingConsent => {
            "waits for a person outside tenantry (e.g. the customer's Global Admin) to act; `tenantry plan` shows the link to send them"
        }
        Phase::Scheduled => "scheduled by the portal for later (e.g. an off-peak window)",
        Phase::AwaitingManualStep => {
            "waits for a person to do a step in the vendor's own portal; `tenantry plan` shows which"
        }
        Phase::AwaitingCustomerApproval => {
            "the GDAP relationship waits for the customer's Global Administrator to approve it; `tenantry plan` shows the approval link to send them"
        }
        Phase::AwaitingCarrierApproval => {
            "the 10DLC campaign waits for the carriers' review in The Campaign Registry (days)"
        }
        Phase::Provisioning | Phase::Failed => "still provisioning in the portal",
    }
}

/// One event per work order a person must perform (the manual provider's orders); the id
/// covers the order's id, so a changed order is a new event and a repeated plan is not.
pub fn events_of_work_orders(orders: &[WorkOrder]) -> Vec<Event> {
    orders
        .iter()
        .map(|o| {
            let message = format!(
                "work order {}: {} it in {} › {}; then `tenantry confirm {}` with the values it asks for (`tenantry workorders` prints it)",
                o.id,
                o.action.as_str(),
                o.portal,
                o.screen,
                o.id
            );
            let mut event = Event::new(
                EventType::WorkOrder,
                o.address.clone(),
                crate::portal::manual::AWAITING_MANUAL_STEP.to_owned(),
                message,
                &o.id,
            );
            event.tenant = None;
            event
        })
        .collect()
}

/// The waits and failures of an apply's steps; `plan` names their declaring objects.
pub fn events_of_report(report: &Report, plan: &Plan) -> Vec<Event> {
    report
        .steps
        .iter()
        .filter_map(|step| {
            let address = step.address.to_string();
            let mut event = match &step.outcome {
                Outcome::Waiting {
                    reason, message, ..
                } => Event::new(
                    EventType::Waiting,
                    address,
                    reason.clone(),
                    message.clone(),
                    "",
                ),
                Outcome::Failed { code, message } => Event::new(
                    EventType::Failed,
                    address,
                    code.clone(),
                    message.clone(),
                    "",
                ),
                Outcome::Done { .. } | Outcome::Skipped { .. } => return None,
            };
            if let Some(action) = plan.action(&step.address) {
                event.declared_by.clone_from(&action.declared_by);
                event.tenant.clone_from(&action.tenant);
            }
            Some(event)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_situation_has_the_same_id_and_another_reason_another() {
        let a = || {
            Event::new(
                EventType::Waiting,
                "teammate/enterprises/ns/x".into(),
                "AwaitingConsent".into(),
                "m".into(),
                "",
            )
        };
        assert_eq!(a().id, a().id);
        assert_eq!(a().id.len(), 32);
        let other = Event::new(
            EventType::Waiting,
            "teammate/enterprises/ns/x".into(),
            "Provisioning".into(),
            "m".into(),
            "",
        );
        assert_ne!(a().id, other.id);
        // The message of a wait changes (a new URL, a time) without making it a new wait.
        let reworded = Event::new(
            EventType::Waiting,
            "teammate/enterprises/ns/x".into(),
            "AwaitingConsent".into(),
            "another wording".into(),
            "",
        );
        assert_eq!(a().id, reworded.id);
    }
}
