//! Drift: hand changes told apart from declared changes by the record of the last apply,
//! handled per driftPolicy, and accepted deviations that hold until they expire.

use jiff::Timestamp;
use serde_json::json;

use super::{converge, edit_observed, model_of};
use crate::api::{AcceptedDeviation, Declared, DriftPolicy};
use crate::model::fixtures;
use crate::model::{Kind, Model, Observed};
use crate::plan::{ActionKind, Applied, FieldValue, Plan, PlanOptions, plan};

const CUSTOMER: &str = "customers/kenton-electronics";

/// Kenton converged and recorded as applied, then `billingId` changed by hand in the portal.
fn hand_changed(policy: DriftPolicy) -> (Declared, Model, Observed, Applied) {
    let mut declared = fixtures::kenton();
    declared.tenants[0].object.spec.drift_policy = policy;
    let model = model_of(&declared);
    let mut observed = converge(&model);
    let applied = Applied::new().after(
        &model,
        &observed,
        &plan_at(&model, &observed, &Applied::new(), "2026-01-01T00:00:00Z"),
        |_| true,
    );
    edit_observed(&mut observed, Kind::DaasCustomer, CUSTOMER, |o| {
        o.spec.insert("billingId".into(), json!("HAND-1"));
    });
    (declared, model, observed, applied)
}

fn plan_at(model: &Model, observed: &Observed, applied: &Applied, now: &str) -> Plan {
    let options = PlanOptions {
        applied: applied.clone(),
        now: now.parse::<Timestamp>().unwrap_or_else(|e| panic!("{e}")),
        ..PlanOptions::default()
    };
    plan(model, observed, &options)
}

#[test]
fn without_a_record_a_difference_is_a_declared_change() {
    let (_, model, observed, _) = hand_changed(DriftPolicy::Alert);
    let p = plan_at(&model, &observed, &Applied::new(), "2026-06-01T00:00:00Z");
    assert!(p.drift.is_empty());
    assert_eq!(p.actions.len(), 1);
    assert_eq!(p.actions[0].changes[0].field, "billingId");
}

#[test]
fn remediate_writes_the_hand_change_back_and_reports_it_as_drift() {
    let (_, model, observed, applied) = hand_changed(DriftPolicy::Remediate);
    let p = plan_at(&model, &observed, &applied, "2026-06-01T00:00:00Z");
    assert_eq!(p.drift.len(), 1, "{:#?}", p.drift);
    let d = &p.drift[0];
    assert_eq!(
        (d.field.as_str(), &d.declared, &d.observed),
        (
            "billingId",
            &FieldValue::Value(json!("RQ-10042")),
            &FieldValue::Value(json!("HAND-1"))
        )
    );
    assert_eq!(p.actions.len(), 1);
    assert_eq!(p.actions[0].kind, ActionKind::Update);
    assert!(p.actions[0].keep.is_empty());
}

#[test]
fn alert_and_report_report_the_drift_and_write_nothing() {
    for policy in [DriftPolicy::Alert, DriftPolicy::Report] {
        let (_, model, observed, applied) = hand_changed(policy);
        let p = plan_at(&model, &observed, &applied, "2026-06-01T00:00:00Z");
        assert_eq!(p.drift.len(), 1, "{policy:?}");
        assert_eq!(p.drift[0].policy, policy);
        assert!(!p.has_changes(), "{policy:?}: {:#?}", p.actions);
    }
}

#[test]
fn a_declared_change_beside_drift_is_written_and_keeps_the_hand_change() {
    let (mut declared, _, observed, applied) = hand_changed(DriftPolicy::Alert);
    declared.tenants[0].object.spec.display_name = "Kenton Electronics Ltd".into();
    let model = model_of(&declared);
    let p = plan_at(&model, &observed, &applied, "2026-06-01T00:00:00Z");
    assert_eq!(p.drift.len(), 1);
    let a = p
        .actions
        .iter()
        .find(|a| a.address.external_ref == CUSTOMER)
        .unwrap_or_else(|| panic!("an update of the customer: {:#?}", p.actions));
    assert!(
        a.changes.iter().all(|c| c.field != "billingId"),
        "{:#?}",
        a.changes
    );
    assert_eq!(a.keep, vec!["billingId".to_owned()]);
    // The update sends the portal's value for the kept field.
    let resource = model
        .resources()
        .iter()
        .find(|r| r.address.external_ref == CUSTOMER)
        .unwrap_or_else(|| panic!("customer"));
    let object = observed
        .get(Kind::DaasCustomer, CUSTOMER)
        .unwrap_or_else(|| panic!("observed customer"));
    assert_eq!(
        resource.keeping(object, &a.keep).spec["billingId"],
        json!("HAND-1")
    );
}

fn accepting(declared: &mut Declared, value: &str, expires: &str) {
    declared.tenants[0].object.spec.accepted_deviations = vec![AcceptedDeviation {
        field: "billingId".into(),
        kind: Some("daas/customers".into()),
        value: value.into(),
        reason: "finance asked for it (TICKET-7)".into(),
        expires: expires.into(),
    }];
}

#[test]
fn an_accepted_deviation_hides_the_drift_until_it_expires_then_reports_it() {
    let (mut declared, _, observed, applied) = hand_changed(DriftPolicy::Remediate);
    accepting(&mut declared, "HAND-1", "2026-07-01");
    let model = model_of(&declared);

    let before = plan_at(&model, &observed, &applied, "2026-06-30T23:59:59Z");
    assert!(before.drift.is_empty(), "{:#?}", before.drift);
    assert!(!before.has_changes(), "{:#?}", before.actions);
    assert_eq!(before.accepted.len(), 1);
    assert_eq!(before.accepted[0].reason, "finance asked for it (TICKET-7)");

    let after = plan_at(&model, &observed, &applied, "2026-07-01T00:00:00Z");
    assert!(after.accepted.is_empty());
    assert_eq!(after.drift.len(), 1);
    assert_eq!(
        after.drift[0].expired,
        Some(
            "2026-07-01T00:00:00Z"
                .parse()
                .unwrap_or_else(|e| panic!("{e}"))
        )
    );
    assert!(after.has_changes(), "Remediate writes it back once expired");
}

#[test]
fn an_accepted_deviation_covers_only_its_value() {
    let (mut declared, _, observed, applied) = hand_changed(DriftPolicy::Report);
    accepting(&mut declared, "SOMETHING-ELSE", "2099-01-01");
    let model = model_of(&declared);
    let p = plan_at(&model, &observed, &applied, "2026-06-01T00:00:00Z");
    assert!(p.accepted.is_empty());
    assert_eq!(p.drift.len(), 1);
    assert_eq!(p.drift[0].expired, None);
}

#[test]
fn the_compact_record_reads_back_the_same() {
    let (_, _, _, applied) = hand_changed(DriftPolicy::Alert);
    assert_eq!(Applied::from_compact(&applied.compact()), applied);
}

#[test]
fn the_record_keeps_digests_never_values() {
    let (_, _, _, applied) = hand_changed(DriftPolicy::Alert);
    let text = serde_json::to_string(&applied).unwrap_or_default();
    assert!(text.contains("billingId"), "{text}");
    assert!(!text.contains("RQ-10042"), "{text}");
    assert!(!text.contains(fixtures::ADMIN_PASSWORD), "{text}");
}
