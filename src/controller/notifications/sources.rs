//! What a reconcile saw that needs a person, as notification events: the same
//! `crate::notify` functions the CLI uses over the plan and the engine's report, plus the
//! hooks on the object's conditions (a work order named in `AwaitingManualStep`) and on drift
//! that managementPolicy `Observe` holds back.

use std::collections::BTreeSet;

use crate::api::Condition;

use crate::api::{EventType, ObjectId, ObjectStatus, condition};
use crate::engine::{Outcome, Report, StepReport};
use crate::model::Address;
use crate::notify::{Event, events_of_plan, events_of_report};
use crate::plan::{ActionKind, Plan};
use crate::portal::manual::AWAITING_MANUAL_STEP;

/// The code of a write that failed because the portal could not be reached (transient).
const TRANSIENT: &str = "PortalUnavailable";

/// The events one reconcile of one object saw, collected along the pipeline.
#[derive(Debug, Default)]
pub(crate) struct Sightings {
    events: Vec<Event>,
}

impl Sightings {
    /// Waits and failures of the final plan, for the object's own portal objects.
    pub fn plan(&mut self, plan: &Plan, own: &BTreeSet<Address>) {
        let own: BTreeSet<String> = own.iter().map(ToString::to_string).collect();
        self.events.extend(
            events_of_plan(plan)
                .into_iter()
                .filter(|e| own.contains(&e.address)),
        );
    }

    /// Failures of this reconcile's writes, and the work orders they issued.
    pub fn report(&mut self, report: &Report, plan: &Plan) {
        // A portal that is down is retried by the requeue: not a failure for a person (yet).
        self.events.extend(
            events_of_report(report, plan)
                .into_iter()
                .filter(|e| e.kind == EventType::Failed && e.reason != TRANSIENT),
        );
        self.work_orders(&report.steps);
    }

    /// A WorkOrder event for each step that waits on a work order its message names (the
    /// manual provider's `AwaitingManualStep`), sent at once.
    fn work_orders(&mut self, steps: &[StepReport]) {
        for step in steps {
            if let Outcome::Waiting {
                reason, message, ..
            } = &step.outcome
                && reason == AWAITING_MANUAL_STEP
                && let Some(order) = work_order_id(message)
            {
                self.events
                    .push(work_order(step.address.to_string(), message.clone(), order));
            }
        }
    }

    /// Drift that managementPolicy `Observe` reports and does not correct: one event per
    /// portal object, its id over the fields that differ (names only: values may be secret).
    pub fn drift(&mut self, plan: &Plan, id: &ObjectId) {
        for action in plan
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::Update && a.declared_by.as_ref() == Some(id))
        {
            let fields: Vec<&str> = action.changes.iter().map(|c| c.field.as_str()).collect();
            let fields = fields.join(", ");
            let mut event = Event::new(
                EventType::Drift,
                action.address.to_string(),
                "Drifted".to_owned(),
                format!(
                    "{fields} differ from the declaration; managementPolicy Observe does not correct them (`tenantry plan` shows the values)"
                ),
                &fields,
            );
            event.declared_by = action.declared_by.clone();
            event.tenant.clone_from(&action.tenant);
            self.events.push(event);
        }
    }

    /// The events, with the WorkOrder a condition names (`AwaitingManualStep` with a
    /// `WO-…` id in its message) for each of the object's manual waits, named by `declared_by`.
    pub fn finish(mut self, id: &ObjectId, status: &ObjectStatus) -> Vec<Event> {
        let named = [condition::PROGRESSING, condition::READY]
            .iter()
            .filter_map(|t| find(&status.conditions, t))
            .find(|c| c.reason == AWAITING_MANUAL_STEP)
            .and_then(|c| work_order_id(&c.message).map(|o| (o, c.message.clone())));
        if let Some((order, message)) = named {
            let waits: Vec<String> = self
                .events
                .iter()
                .filter(|e| e.kind == EventType::Waiting && e.reason == AWAITING_MANUAL_STEP)
                .map(|e| e.address.clone())
                .collect();
            for address in waits {
                self.events
                    .push(work_order(address, message.to_string(), order.clone()));
            }
        }
        let mut seen = BTreeSet::new();
        self.events.retain(|e| seen.insert(e.id.clone()));
        for event in &mut self.events {
            if event.declared_by.is_none() {
                event.declared_by = Some(id.clone());
            }
        }
        self.events
    }
}

/// When the object's current wait began (Unix seconds): the `Progressing` condition's
/// `lastTransitionTime` while it is True.
pub(crate) fn waiting_since(status: &ObjectStatus) -> Option<u64> {
    let c = find(&status.conditions, condition::PROGRESSING)?;
    (c.status == "True")
        .then(|| u64::try_from(c.last_transition_time.0.as_second()).ok())
        .flatten()
}

fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

fn work_order(address: String, message: String, order: String) -> Event {
    Event::new(
        EventType::WorkOrder,
        address,
        AWAITING_MANUAL_STEP.to_owned(),
        message,
        &order,
    )
}

/// The first work-order id (`WO-` and ten hex digits) in `text`.
pub(crate) fn work_order_id(text: &str) -> Option<String> {
    text.match_indices("WO-").find_map(|(at, _)| {
        let digits = text.get(at + 3..at + 13)?;
        let ends = text[at + 13..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        (digits.chars().all(|c| c.is_ascii_hexdigit()) && ends)
            .then(|| text[at..at + 13].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_work_order_id_is_found_in_a_message() {
        for (text, want) in [
            (
                "work order WO-0123abcdef waits for a person",
                Some("WO-0123abcdef"),
            ),
            ("WO-0123abcdef", Some("WO-0123abcdef")),
            ("WO-0123abcdefg is not one", None),
            ("WO-0123", None),
            ("no order", None),
        ] {
            assert_eq!(work_order_id(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn a_step_waiting_on_a_work_order_is_a_work_order_event_at_once() {
        let step = |reason: &str, message: &str| StepReport {
            address: Address::new(crate::model::Kind::DaasCustomer, "customers/kenton"),
            action: crate::engine::Action::Create,
            outcome: Outcome::Waiting {
                id: String::new(),
                state: crate::portal::OperationState::AwaitingHuman,
                reason: reason.to_owned(),
                message: message.to_owned(),
            },
        };
        let mut seen = Sightings::default();
        seen.work_orders(&[
            step(
                AWAITING_MANUAL_STEP,
                "work order WO-0123456789 waits for a person",
            ),
            step("AwaitingConsent", "work order WO-0123456789 is not this"),
        ]);
        let id = ObjectId::new("Tenant", "customers", "kenton");
        let events = seen.finish(&id, &ObjectStatus::default());
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].kind, EventType::WorkOrder);
        assert_eq!(events[0].address, "daas/customers/customers/kenton");
        // The CLI's event of the same order has the same id.
        let again = work_order(
            "daas/customers/customers/kenton".into(),
            "other words".into(),
            "WO-0123456789".into(),
        );
        assert_eq!(events[0].id, again.id);
    }

    fn status_with(reason: &str, message: &str) -> ObjectStatus {
        let mut status = ObjectStatus::default();
        crate::api::set_condition(
            &mut status.conditions,
            condition::PROGRESSING,
            true,
            reason,
            message,
            None,
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                jiff::Timestamp::from_second(1_700_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            ),
        );
        status
    }

    #[test]
    fn a_manual_wait_whose_condition_names_an_order_is_a_work_order_too() {
        let id = ObjectId::new("Tenant", "customers", "kenton");
        let mut seen = Sightings::default();
        seen.events.push(Event::new(
            EventType::Waiting,
            "daas/customers/customers/kenton".into(),
            AWAITING_MANUAL_STEP.into(),
            "waits".into(),
            "",
        ));
        let status = status_with(AWAITING_MANUAL_STEP, "work order WO-00000000aa waits");
        assert_eq!(waiting_since(&status), Some(1_700_000_000));
        let events = seen.finish(&id, &status);
        let kinds: Vec<EventType> = events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventType::Waiting, EventType::WorkOrder]);
        assert!(events.iter().all(|e| e.declared_by.as_ref() == Some(&id)));
    }
}
