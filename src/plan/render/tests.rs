//! Snapshots of every rendering for a small, realistic plan.

use serde_json::json;

use super::{Format, json, markdown, render, text};
use crate::api::Sensitive;
use crate::model::fixtures::{self, ADMIN_PASSWORD};
use crate::model::{Address, Kind, Observed};
use crate::plan::tests::{converge, edit_observed, model_of};
use crate::plan::{Action, ActionKind, FieldChange, FieldValue, Plan, PlanOptions, Scope, plan};

const ROTATED: &str = "Rotated-Pass-2027";

/// Kenton converged, then: billing id and domains changed, contact-center name changed
/// (replace), admin password rotated, a new customer, the SMS binding removed (pruned), one
/// license removed (orphaned by policy), and the Teams enterprise waiting for consent.
fn scenario() -> Plan {
    let before = fixtures::kenton();
    let mut observed = converge(&model_of(&before));
    edit_observed(
        &mut observed,
        Kind::Enterprise,
        "customers/kenton-teams",
        |o| {
            o.status.insert("phase".into(), json!("AwaitingConsent"));
        },
    );
    let mut declared = before;
    let tenant = &mut declared.tenants[0].object.spec;
    tenant.billing_id = Some("RQ-20001".into());
    tenant.domains.push("kenton.io".into());
    for b in &mut declared.bindings {
        if let Some(cc) = b.object.spec.contact_center.as_mut() {
            cc.name = "KentonElec".into();
        }
        if let Some(licenses) = b.object.spec.licenses.as_mut() {
            licenses.assignments.truncate(1);
        }
    }
    declared.bindings.retain(|b| b.object.spec.sms.is_none());
    for v in declared.secrets.values_mut() {
        *v = Sensitive::new(ROTATED);
    }
    fixtures::small_tenant(&mut declared, "acme-corp");
    let options = PlanOptions {
        prune: true,
        scope: Scope::Everything,
        ..PlanOptions::default()
    };
    plan(&model_of(&declared), &observed, &options)
}

fn assert_no_secret(out: &str) {
    for secret in [ADMIN_PASSWORD, ROTATED] {
        assert!(!out.contains(secret), "secret in output:\n{out}");
    }
}

#[test]
fn text_rendering() {
    let out = text(&scenario(), false);
    assert_no_secret(&out);
    assert!(!out.contains('\u{1b}'), "no colour unless asked");
    insta::assert_snapshot!("scenario_text", out);
}

#[test]
fn text_colour_only_when_asked() {
    let p = scenario();
    let coloured = text(&p, true);
    assert!(coloured.contains("\u{1b}["));
    assert_no_secret(&coloured);
    assert_eq!(render(&p, Format::Text, false), text(&p, false));
}

#[test]
fn json_rendering() {
    let out = json(&scenario());
    assert_no_secret(&out);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("valid JSON: {e}"));
    assert_eq!(doc["formatVersion"], json!(1));
    insta::assert_snapshot!("scenario_json", out);
}

#[test]
fn markdown_rendering() {
    let out = markdown(&scenario());
    assert_no_secret(&out);
    assert_eq!(
        out.matches("<details>").count(),
        out.matches("</details>").count()
    );
    insta::assert_snapshot!("scenario_markdown", out);
}

#[test]
fn no_changes() {
    let declared = fixtures::kenton();
    let model = model_of(&declared);
    let p = plan(&model, &converge(&model), &PlanOptions::default());
    insta::assert_snapshot!("converged_text", text(&p, false));
    insta::assert_snapshot!("converged_markdown", markdown(&p));
    let empty = plan(
        &model_of(&Default::default()),
        &Observed::new(),
        &PlanOptions::default(),
    );
    assert_eq!(
        json(&empty).lines().nth(3),
        Some("  \"hasChanges\": false,")
    );
}

#[test]
fn multi_line_values_render_as_unified_diffs() {
    let change = FieldChange {
        field: "notes".into(),
        before: FieldValue::Value(json!("line one\nline two\nline three\n")),
        after: FieldValue::Value(json!("line one\nline 2\nline three\n")),
        forces_replacement: false,
        digest: None,
    };
    let p = Plan {
        routing: Default::default(),
        drift: Vec::new(),
        accepted: Vec::new(),
        actions: vec![Action {
            kind: ActionKind::Update,
            address: Address::new(Kind::DaasCustomer, "customers/kenton-electronics"),
            id: Some("cus_1".into()),
            declared_by: None,
            tenant: Some("customers/kenton-electronics".into()),
            deletion_policy: Default::default(),
            management_policy: None,
            changes: vec![change],
            phase: None,
            destroys: None,
            allow_replace: false,
            keep: Vec::new(),
        }],
        orphans: Vec::new(),
        pending: Vec::new(),
        unchanged: 0,
        hash: "0".repeat(64),
        outputs: Vec::new(),
        scope: Scope::Everything,
        observed: 1,
    };
    insta::assert_snapshot!("multi_line_text", text(&p, false));
}

/// Kenton converged, with its Azure AD whose creation failed permanently.
fn failed_azure_ad() -> Plan {
    let declared = fixtures::kenton();
    let model = model_of(&declared);
    let mut observed = converge(&model);
    edit_observed(
        &mut observed,
        Kind::AzureAd,
        "customers/kenton-azure-ad",
        |o| {
            o.status.insert("phase".into(), json!("Failed"));
            o.status.insert(
                "failure".into(),
                json!({"action": "create", "reason": "DomainUnavailable",
                       "message": "both domains are taken; consult the TTU team"}),
            );
        },
    );
    plan(&model, &observed, &PlanOptions::default())
}

#[test]
fn a_failed_operation_shows_its_reason_and_how_to_retry() {
    let p = failed_azure_ad();
    let line = "daas/azure-ad customers/kenton-azure-ad (azure-ad_8): Failed (DomainUnavailable: \
                both domains are taken; consult the TTU team)";
    let out = text(&p, false);
    assert!(out.contains(line), "{out}");
    assert!(out.contains("change the declaration"), "{out}");
    let md = markdown(&p);
    assert!(
        md.contains("(azure-ad_8): Failed (DomainUnavailable: both domains are taken"),
        "{md}"
    );
    assert!(md.contains("change the declaration"), "{md}");
    let doc: serde_json::Value = serde_json::from_str(&json(&p)).unwrap_or_default();
    assert_eq!(doc["pending"][0]["phase"], "Failed");
    assert_eq!(doc["pending"][0]["reason"], "DomainUnavailable");
    assert_eq!(
        doc["pending"][0]["message"],
        "both domains are taken; consult the TTU team"
    );
}

/// The scenario routed as a run with a Graph delegate would be.
fn routed(plan: Plan) -> Plan {
    use crate::plan::{Routing, Via};
    let via = |connection: &str, api: &str| Via {
        connection: connection.into(),
        api: api.into(),
    };
    let mut routing: Routing = Kind::ALL
        .into_iter()
        .map(|k| (k, via("default", "contract")))
        .collect();
    routing.insert(Kind::DaasAdmin, via("graph", "graph"));
    plan.routed(routing)
}

#[test]
fn a_routed_plan_names_the_connection_of_each_change() {
    let unrouted = scenario();
    let plan = routed(scenario());
    assert_eq!(plan.hash, unrouted.hash, "a report, not part of the hash");
    assert_eq!(plan.actions, unrouted.actions);
    let out = text(&plan, false);
    let admin = out
        .lines()
        .find(|l| l.contains("# daas/admins customers/acme-corp-jroe"))
        .expect("acme's admin is created");
    assert!(
        admin.ends_with("will be created via graph (graph)"),
        "{admin}"
    );
    let customer = out
        .lines()
        .find(|l| l.contains("# daas/customers customers/acme-corp"))
        .expect("acme's customer is created");
    assert!(customer.contains("via default (contract)"), "{customer}");
    assert!(
        out.contains("Connections: default (contract): daas/customers, "),
        "{out}"
    );
    assert!(out.contains("; graph (graph): daas/admins."), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&json(&plan)).expect("valid JSON");
    let action = doc["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["kind"] == "admins")
        .expect("an admins action");
    assert_eq!(
        action["connection"],
        json!({"name": "graph", "api": "graph"})
    );
    let md = markdown(&plan);
    assert!(md.contains("via graph (graph)"), "{md}");
    assert!(md.contains("_Connections: default (contract)"), "{md}");
}

#[test]
fn one_connection_is_named_once_under_the_scope() {
    use crate::plan::{Routing, Via};
    let routing: Routing = Kind::ALL
        .into_iter()
        .map(|k| {
            let via = Via {
                connection: "default".into(),
                api: "contract".into(),
            };
            (k, via)
        })
        .collect();
    let plan = scenario().routed(routing);
    let out = text(&plan, false);
    assert!(!out.contains(" via "), "{out}");
    assert!(out.contains("\nConnection: default (contract).\n"), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&json(&plan)).expect("valid JSON");
    assert_eq!(
        doc["actions"][0]["connection"],
        json!({"name": "default", "api": "contract"})
    );
    // Unrouted (library callers, the controller): nothing is claimed.
    let plain = text(&scenario(), false);
    assert!(!plain.contains("Connection"), "{plain}");
}

/// A plan with no action: one field changed by hand and left (Alert), one accepted.
fn drifted() -> Plan {
    let declared = fixtures::kenton();
    let observed = converge(&model_of(&declared));
    let mut p = plan(&model_of(&declared), &observed, &PlanOptions::default());
    let customer = Address::new(Kind::DaasCustomer, "customers/kenton-electronics");
    let at = |t: &str| t.parse().unwrap_or_else(|e| panic!("{e}"));
    p.drift.push(crate::plan::Drift {
        address: customer.clone(),
        id: "customers_0".into(),
        tenant: "customers/kenton-electronics".into(),
        field: "billingId".into(),
        declared: FieldValue::Value(json!("RQ-10042")),
        observed: FieldValue::Value(json!("HAND-1")),
        policy: crate::api::DriftPolicy::Alert,
        expired: Some(at("2026-01-01T00:00:00Z")),
    });
    p.accepted.push(crate::plan::Accepted {
        address: customer,
        tenant: "customers/kenton-electronics".into(),
        field: "businessType".into(),
        declared: FieldValue::Value(json!("Manufacturing")),
        observed: FieldValue::Value(json!("Retail")),
        reason: "TICKET-7".into(),
        expires: at("2027-03-31T00:00:00Z"),
    });
    p
}

#[test]
fn drift_and_accepted_deviations_render_apart_from_the_actions() {
    let p = drifted();
    assert!(!p.has_changes());
    insta::assert_snapshot!("drift_text", text(&p, false));
    insta::assert_snapshot!("drift_markdown", markdown(&p));
    let doc: serde_json::Value = serde_json::from_str(&json(&p)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["hasChanges"], false);
    assert_eq!(doc["drift"][0]["field"], "billingId");
    assert_eq!(doc["drift"][0]["observed"], "HAND-1");
    assert_eq!(doc["drift"][0]["policy"], "Alert");
    assert_eq!(doc["drift"][0]["remediated"], false);
    assert_eq!(doc["drift"][0]["deviationExpired"], "2026-01-01T00:00:00Z");
    assert_eq!(doc["acceptedDeviations"][0]["field"], "businessType");
    assert_eq!(
        doc["acceptedDeviations"][0]["expires"],
        "2027-03-31T00:00:00Z"
    );
}
