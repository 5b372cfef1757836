//! Plan tests on the fixture declaration, and the converged-plan property.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{ActionKind, FieldValue, OrphanReason, Phase, Plan, PlanOptions, Scope, plan};
use crate::api::{Declared, Sensitive};
use crate::model::fixtures::{self, ADMIN_PASSWORD};
use crate::model::{
    Address, Kind, Model, Observed, PortalObject, SecretSource, expand, fingerprint,
};

/// The generated password the emulated portal "received" for generated secrets.
pub(crate) const GENERATED: &str = "Generated-Pass-9";

pub(crate) fn model_of(declared: &Declared) -> Model {
    expand(declared).unwrap_or_else(|e| panic!("expands: {e}"))
}

/// What the portals hold after applying `model` exactly: ids from the order, parent ids
/// filled in, generated secrets fingerprinted, a generated customer code in status.
pub(crate) fn converge(model: &Model) -> Observed {
    let mut observed = Observed::new();
    let mut ids: std::collections::HashMap<&Address, String> = Default::default();
    for (i, r) in model.resources().iter().enumerate() {
        let id = format!("{}_{i}", r.address.kind.name());
        let mut spec = r.spec.clone();
        if let Some(link) = &r.parent {
            let parent = ids.get(&link.address).cloned().unwrap_or_default();
            spec.insert(link.field.to_owned(), Value::String(parent));
        }
        for s in &r.secrets {
            if s.source == SecretSource::Generated {
                let print =
                    fingerprint(&r.address.external_ref, s.field, &Sensitive::new(GENERATED));
                spec.insert(format!("{}Fingerprint", s.field), print.into());
            }
        }
        let mut status = serde_json::Map::new();
        status.insert("phase".into(), "Ready".into());
        if r.address.kind == Kind::DaasCustomer {
            status.insert("code".into(), format!("C{i:05}").into());
        }
        observed.insert(
            r.address.kind,
            PortalObject {
                id: id.clone(),
                external_ref: r.address.external_ref.clone(),
                deletion_policy: r.deletion_policy,
                version: 1,
                spec,
                status,
            },
        );
        ids.insert(&r.address, id);
    }
    observed
}

/// Applies `edit` to the observed object at (`kind`, `external_ref`).
pub(crate) fn edit_observed(
    observed: &mut Observed,
    kind: Kind,
    external_ref: &str,
    edit: impl FnOnce(&mut PortalObject),
) {
    let mut object = observed
        .get(kind, external_ref)
        .cloned()
        .unwrap_or_else(|| panic!("no observed {kind} {external_ref}"));
    edit(&mut object);
    let mut rebuilt = Observed::new();
    for k in Kind::ALL {
        for o in observed.of_kind(k) {
            if k == kind && o.external_ref == external_ref {
                continue;
            }
            rebuilt.insert(k, o.clone());
        }
    }
    rebuilt.insert(kind, object);
    *observed = rebuilt;
}

fn plan_of(declared: &Declared, observed: &Observed) -> Plan {
    plan(&model_of(declared), observed, &PlanOptions::default())
}

fn kenton_converged() -> (Declared, Observed) {
    let declared = fixtures::kenton();
    let observed = converge(&model_of(&declared));
    (declared, observed)
}

#[test]
fn a_first_plan_creates_everything_in_order() {
    let declared = fixtures::kenton();
    let model = model_of(&declared);
    let p = plan(&model, &Observed::new(), &PlanOptions::default());
    assert_eq!(p.actions.len(), model.len());
    assert!(p.actions.iter().all(|a| a.kind == ActionKind::Create));
    let order: Vec<&Address> = p.actions.iter().map(|a| &a.address).collect();
    let want: Vec<&Address> = model.resources().iter().map(|r| &r.address).collect();
    assert_eq!(order, want);
    let admin = p
        .action(&Address::new(Kind::DaasAdmin, "customers/kenton-jroe"))
        .unwrap_or_else(|| panic!("admin action"));
    let field = |name: &str| {
        admin
            .changes
            .iter()
            .find(|c| c.field == name)
            .map(|c| &c.after)
    };
    assert_eq!(field("customerId"), Some(&FieldValue::KnownAfterApply));
    assert_eq!(field("password"), Some(&FieldValue::Sensitive));
    assert_eq!(
        field("passwordFingerprint"),
        None,
        "fingerprints are not shown"
    );
    assert_eq!(p.summary().add, model.len());
}

#[test]
fn a_converged_plan_is_empty() {
    let (declared, observed) = kenton_converged();
    let p = plan_of(&declared, &observed);
    assert!(!p.has_changes(), "{:#?}", p.actions);
    assert!(p.orphans.is_empty());
    assert_eq!(p.unchanged, model_of(&declared).len());
    assert_eq!(p.hash, plan_of(&Declared::default(), &Observed::new()).hash);
}

#[test]
fn one_changed_field_is_one_update_of_that_field() {
    let (mut declared, observed) = kenton_converged();
    declared.tenants[0].object.spec.billing_id = Some("RQ-20001".into());
    let p = plan_of(&declared, &observed);
    assert_eq!(p.actions.len(), 1, "{:#?}", p.actions);
    let a = &p.actions[0];
    assert_eq!(a.kind, ActionKind::Update);
    assert_eq!(
        a.address.to_string(),
        "daas/customers/customers/kenton-electronics"
    );
    assert_eq!(a.id.as_deref(), Some("customers_0"));
    assert_eq!(a.changes.len(), 1);
    assert_eq!(a.changes[0].field, "billingId");
    assert_eq!(a.changes[0].before, FieldValue::Value(json!("RQ-10042")));
    assert_eq!(a.changes[0].after, FieldValue::Value(json!("RQ-20001")));
    assert_eq!(
        a.summary_line(),
        "~ daas/customers customers/kenton-electronics: billingId"
    );
}

#[test]
fn equivalent_portal_data_is_not_drift() {
    let (declared, mut observed) = kenton_converged();
    edit_observed(
        &mut observed,
        Kind::DaasCustomer,
        "customers/kenton-electronics",
        |o| {
            o.spec.insert(
                "domains".into(),
                json!(["KENTON-electronics.com", "Kenton.Example"]),
            );
            o.spec.insert("contact".into(), json!({"name": "Jane Roe", "email": "JANE@kenton-electronics.com", "phone": "+15555550100"}));
            o.spec.remove("dnsZone");
            o.spec.insert("minPasswordLength".into(), json!(8.0));
            o.status.insert("createdBy".into(), json!("portal"));
            o.spec
                .insert("portalOnlyField".into(), json!("not declared"));
        },
    );
    edit_observed(
        &mut observed,
        Kind::Citrix,
        "customers/kenton-citrix",
        |o| {
            o.spec
                .insert("applications".into(), json!(["Word", "Excel"]));
        },
    );
    edit_observed(
        &mut observed,
        Kind::Enterprise,
        "customers/kenton-teams",
        |o| {
            o.spec.insert("services".into(), json!(["Trunk", "PBX"]));
            o.spec.insert(
                "adminEmail".into(),
                json!("globaladmin@KENTON-electronics.com"),
            );
            o.spec.insert("enabled".into(), Value::Null);
        },
    );
    edit_observed(
        &mut observed,
        Kind::CloudLinkAccount,
        "customers/kenton-electronics",
        |o| {
            if let Some(Value::Array(list)) = o.spec.get_mut("supportContacts") {
                list.reverse();
            }
        },
    );
    let p = plan_of(&declared, &observed);
    assert!(!p.has_changes(), "{:#?}", p.actions);
}

#[test]
fn a_changed_deletion_policy_is_an_update() {
    let (mut declared, observed) = kenton_converged();
    declared.admins[0].object.spec.deletion_policy = Some(crate::api::DeletionPolicy::Orphan);
    let p = plan_of(&declared, &observed);
    assert_eq!(p.actions.len(), 1);
    let c = &p.actions[0].changes;
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].field.as_str(), &c[0].before, &c[0].after),
        (
            super::DELETION_POLICY,
            &FieldValue::Value(json!("Delete")),
            &FieldValue::Value(json!("Orphan"))
        )
    );
}

#[test]
fn a_declared_code_matches_the_generated_one_in_status() {
    let (mut declared, observed) = kenton_converged();
    declared.tenants[0].object.spec.code = Some("C00000".into());
    assert!(!plan_of(&declared, &observed).has_changes());
    declared.tenants[0].object.spec.code = Some("KENTON".into());
    let p = plan_of(&declared, &observed);
    assert_eq!(p.actions[0].kind, ActionKind::Replace);
    assert_eq!(p.actions[0].changes[0].field, "code");
    // Every DaaS child points at the old customer id, so each is replaced with it.
    assert_eq!(p.actions.len(), 6, "{:#?}", p.actions);
    assert!(p.actions.iter().all(|a| a.kind == ActionKind::Replace));
    assert!(
        p.actions[1..]
            .iter()
            .all(|a| a.changes[0].field == "customerId"
                && a.changes[0].after == FieldValue::KnownAfterApply)
    );
}

#[test]
fn an_immutable_change_replaces_the_object_and_its_children() {
    let (mut declared, observed) = kenton_converged();
    let i = declared
        .bindings
        .iter()
        .position(|b| b.object.spec.contact_center.is_some())
        .unwrap_or_default();
    if let Some(cc) = declared.bindings[i].object.spec.contact_center.as_mut() {
        cc.name = "KentonElec".into();
    }
    let p = plan_of(&declared, &observed);
    let kinds: Vec<(ActionKind, String)> = p
        .actions
        .iter()
        .map(|a| (a.kind, a.address.to_string()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                ActionKind::Replace,
                "contactcenter/tenants/customers/kenton-cc".to_owned()
            ),
            (
                ActionKind::Replace,
                "contactcenter/callback-folders/customers/kenton-cc/callback-folder".to_owned()
            ),
        ]
    );
    let name = &p.actions[0].changes[0];
    assert_eq!(
        (name.field.as_str(), name.forces_replacement),
        ("name", true)
    );
    let parent = &p.actions[1].changes[0];
    assert_eq!(parent.field, "tenantId");
    assert_eq!(parent.after, FieldValue::KnownAfterApply);
}

#[test]
fn removed_objects_are_orphaned_or_deleted_per_policy_and_prune() {
    let (mut declared, observed) = kenton_converged();
    declared
        .bindings
        .retain(|b| b.object.spec.sms.is_none() && b.object.spec.licenses.is_none());
    let sms = "apps/sms-numbers/customers/kenton-sms";
    let notes = |p: &Plan| -> Vec<(String, OrphanReason)> {
        p.orphans
            .iter()
            .map(|o| (o.address.to_string(), o.reason))
            .collect()
    };
    let keep = plan_of(&declared, &observed);
    assert!(!keep.has_changes());
    assert_eq!(
        notes(&keep),
        [
            (
                "apps/licenses/customers/kenton-meet/ann@kenton-electronics.com".to_owned(),
                OrphanReason::PolicyOrphan
            ),
            (
                "apps/licenses/customers/kenton-meet/bob@kenton-electronics.com".to_owned(),
                OrphanReason::PolicyOrphan
            ),
            (sms.to_owned(), OrphanReason::PruneNotRequested),
        ]
    );
    let model = model_of(&declared);
    let prune = PlanOptions {
        prune: true,
        scope: Scope::Everything,
    };
    let pruned = plan(&model, &observed, &prune);
    assert_eq!(pruned.actions.len(), 1);
    assert_eq!(pruned.actions[0].kind, ActionKind::Delete);
    assert_eq!(pruned.actions[0].address.to_string(), sms);
    assert_eq!(pruned.orphans.len(), 2, "Orphan policy wins over prune");
    let elsewhere = PlanOptions {
        prune: true,
        scope: Scope::Namespaces(["other".to_owned()].into()),
    };
    let out_of_scope = plan(&model, &observed, &elsewhere);
    assert!(!out_of_scope.has_changes() && out_of_scope.orphans.is_empty());
}

#[test]
fn deletes_run_children_first() {
    let (declared, observed) = kenton_converged();
    let mut gone = declared.clone();
    gone.tenants.clear();
    gone.admins.clear();
    gone.bindings.clear();
    let prune = PlanOptions {
        prune: true,
        scope: Scope::Everything,
    };
    let p = plan(&model_of(&gone), &observed, &prune);
    let ranks: Vec<u8> = p.actions.iter().map(|a| a.address.kind.rank()).collect();
    let mut sorted = ranks.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ranks, sorted);
    assert!(p.actions.iter().all(|a| a.kind == ActionKind::Delete));
    assert_eq!(p.actions[0].address.kind, Kind::MicrosoftOnline);
}

#[test]
fn a_changed_secret_is_a_sensitive_change() {
    let (mut declared, observed) = kenton_converged();
    for v in declared.secrets.values_mut() {
        *v = Sensitive::new("Rotated-Pass-2027");
    }
    let p = plan_of(&declared, &observed);
    assert_eq!(p.actions.len(), 1);
    let c = &p.actions[0].changes;
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].field.as_str(), &c[0].before, &c[0].after),
        ("password", &FieldValue::Sensitive, &FieldValue::Sensitive)
    );
    for out in [
        super::render::text(&p, false),
        super::render::json(&p),
        super::render::markdown(&p),
        format!("{p:?}"),
    ] {
        assert!(out.to_lowercase().contains("sensitive"), "{out}");
        assert!(
            !out.contains("Rotated-Pass-2027") && !out.contains(ADMIN_PASSWORD),
            "{out}"
        );
    }
}

#[test]
fn async_phases_are_reported_not_drift() {
    let (declared, mut observed) = kenton_converged();
    edit_observed(
        &mut observed,
        Kind::Enterprise,
        "customers/kenton-teams",
        |o| {
            o.status.insert("phase".into(), json!("AwaitingConsent"));
        },
    );
    edit_observed(
        &mut observed,
        Kind::ContactCenterTenant,
        "customers/kenton-cc",
        |o| {
            o.status.insert("phase".into(), json!("Scheduled"));
        },
    );
    let p = plan_of(&declared, &observed);
    assert!(!p.has_changes());
    let pending: Vec<(String, Phase)> = p
        .pending
        .iter()
        .map(|x| (x.address.to_string(), x.phase))
        .collect();
    assert_eq!(
        pending,
        [
            (
                "contactcenter/tenants/customers/kenton-cc".to_owned(),
                Phase::Scheduled
            ),
            (
                "teammate/enterprises/customers/kenton-teams".to_owned(),
                Phase::AwaitingConsent
            ),
        ]
    );
}

#[test]
fn duplicates_are_reported() {
    let (declared, mut observed) = kenton_converged();
    let mut twin = observed
        .get(Kind::SmsNumber, "customers/kenton-sms")
        .cloned()
        .unwrap_or_else(|| panic!("sms"));
    twin.id = "zz_twin".into();
    observed.insert(Kind::SmsNumber, twin);
    let p = plan_of(&declared, &observed);
    assert!(!p.has_changes());
    assert_eq!(p.orphans.len(), 1);
    assert_eq!(
        (p.orphans[0].id.as_str(), p.orphans[0].reason),
        ("zz_twin", OrphanReason::Duplicate)
    );
}

#[test]
fn plans_are_deterministic_and_hashes_track_every_change() {
    let (mut declared, observed) = kenton_converged();
    declared.tenants[0].object.spec.billing_id = Some("RQ-1".into());
    fixtures::small_tenant(&mut declared, "acme-corp");
    let a = plan_of(&declared, &observed);
    let b = plan_of(&declared, &observed);
    assert_eq!(a, b);
    assert_eq!(super::render::json(&a), super::render::json(&b));
    assert_eq!(super::render::text(&a, true), super::render::text(&b, true));
    assert_eq!(a.hash.len(), 64);
    let mut hashes = std::collections::BTreeSet::from([a.hash.clone()]);
    let mut variant = declared.clone();
    variant.tenants[0].object.spec.billing_id = Some("RQ-2".into());
    hashes.insert(plan_of(&variant, &observed).hash);
    let mut variant = declared.clone();
    for v in variant.secrets.values_mut() {
        *v = Sensitive::new("Another-Pass-1");
    }
    hashes.insert(plan_of(&variant, &observed).hash);
    let prune = PlanOptions {
        prune: true,
        scope: Scope::Everything,
    };
    let mut variant = declared.clone();
    variant.bindings.retain(|b| b.object.spec.sms.is_none());
    hashes.insert(plan(&model_of(&variant), &observed, &prune).hash);
    hashes.insert(plan_of(&Declared::default(), &Observed::new()).hash);
    assert_eq!(hashes.len(), 5, "every plan has its own hash");
}

/// Mutations of the fixture that keep it valid.
#[derive(Debug, Clone)]
struct Variation {
    display_name: String,
    billing_id: Option<String>,
    domains: Vec<String>,
    dns_zone: bool,
    min_length: u32,
    apps: Vec<String>,
    users: Vec<String>,
    drop_cloudlink: bool,
    upper_case_observed: bool,
}

fn variation() -> impl Strategy<Value = Variation> {
    (
        "[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?",
        proptest::option::of("RQ-[0-9]{1,5}"),
        proptest::collection::btree_set("[a-z]{2,8}\\.(com|net)", 1..4),
        any::<bool>(),
        8u32..20,
        proptest::collection::btree_set("[A-Z][a-z]{2,6}", 0..4),
        proptest::collection::btree_set("[a-z]{1,6}@[a-z]{2,5}\\.com", 1..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                display_name,
                billing_id,
                domains,
                dns_zone,
                min_length,
                apps,
                users,
                drop_cloudlink,
                upper_case_observed,
            )| {
                Variation {
                    display_name,
                    billing_id,
                    domains: domains.into_iter().collect(),
                    dns_zone,
                    min_length,
                    apps: apps.into_iter().collect(),
                    users: users.into_iter().collect(),
                    drop_cloudlink,
                    upper_case_observed,
                }
            },
        )
}

fn apply_variation(v: &Variation) -> Declared {
    let mut declared = fixtures::kenton();
    let spec = &mut declared.tenants[0].object.spec;
    spec.display_name = v.display_name.clone();
    spec.billing_id = v.billing_id.clone();
    spec.domains = v.domains.clone();
    spec.dns_zone = v.dns_zone;
    spec.password_policy.min_length = v.min_length;
    if v.drop_cloudlink {
        spec.portals.retain(|p| p.id() != "cloudlink");
        declared
            .bindings
            .retain(|b| b.object.spec.cloudlink_gateway.is_none());
    }
    if let Some(admin) = declared.admins.first_mut() {
        admin.object.spec.upn_domain = v.domains[0].clone();
    }
    for b in &mut declared.bindings {
        if let Some(citrix) = b.object.spec.citrix.as_mut() {
            citrix.applications = v.apps.clone();
        }
        if let Some(licenses) = b.object.spec.licenses.as_mut() {
            let template = licenses.assignments[0].clone();
            licenses.assignments = v
                .users
                .iter()
                .map(|u| crate::api::LicenseAssignment {
                    user: u.clone(),
                    ..template.clone()
                })
                .collect();
        }
    }
    declared
}

/// Upper-cases every e-mail and reverses every set-like list, as a portal might return them.
fn scramble(observed: &Observed) -> Observed {
    let mut out = Observed::new();
    for kind in Kind::ALL {
        for o in observed.of_kind(kind) {
            let mut o = o.clone();
            for (k, v) in o.spec.iter_mut() {
                match (k.as_str(), v) {
                    ("user" | "adminEmail" | "externalEmail" | "upn", Value::String(s)) => {
                        *s = s.to_uppercase()
                    }
                    (
                        "applications" | "desktops" | "services" | "supportContacts",
                        Value::Array(a),
                    ) => a.reverse(),
                    _ => {}
                }
            }
            out.insert(kind, o);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
    #[test]
    fn applying_a_plan_converges(v in variation()) {
        let declared = apply_variation(&v);
        let model = model_of(&declared);
        let first = plan(&model, &Observed::new(), &PlanOptions::default());
        prop_assert_eq!(first.actions.len(), model.len());
        let mut observed = converge(&model);
        if v.upper_case_observed {
            observed = scramble(&observed);
        }
        let second = plan(&model, &observed, &PlanOptions::default());
        prop_assert!(!second.has_changes(), "{:#?}", second.actions);
        prop_assert!(second.orphans.is_empty());
    }
}

/// `copies` copies of the fixture, one namespace each (14 portal objects per copy).
pub(crate) fn many(copies: usize) -> Declared {
    let one = fixtures::kenton();
    let mut all = Declared::default();
    for i in 0..copies {
        let ns = format!("ns{i:05}");
        let mut copy = one.clone();
        for t in &mut copy.tenants {
            t.object.metadata.namespace = Some(ns.clone());
        }
        for a in &mut copy.admins {
            a.object.metadata.namespace = Some(ns.clone());
        }
        for b in &mut copy.bindings {
            b.object.metadata.namespace = Some(ns.clone());
        }
        all.tenants.extend(copy.tenants);
        all.admins.extend(copy.admins);
        all.bindings.extend(copy.bindings);
        for (k, v) in copy.secrets {
            let key = crate::api::SecretKey {
                namespace: ns.clone(),
                ..k
            };
            all.secrets.insert(key, v);
        }
    }
    all
}

/// Scale check for DESIGN.md §8 (diff of ~54,200 objects): prints timings, asserts only
/// correctness. Run with `cargo test --release --lib plan::tests::scale -- --ignored --nocapture`.
#[test]
#[ignore = "scale check; run in release mode by hand"]
fn scale_converged_plan_of_56k_objects() {
    let declared = many(4_000);
    let started = std::time::Instant::now();
    let model = model_of(&declared);
    let expanded = started.elapsed();
    let observed = converge(&model);
    let started = std::time::Instant::now();
    let p = plan(&model, &observed, &PlanOptions::default());
    let planned = started.elapsed();
    assert!(!p.has_changes());
    assert_eq!(p.unchanged, model.len());
    let mut drifted = observed.clone();
    for (i, kind) in [Kind::DaasCustomer, Kind::Citrix].into_iter().enumerate() {
        edit_observed(
            &mut drifted,
            kind,
            &format!(
                "ns0000{i}/kenton-{}",
                if i == 0 { "electronics" } else { "citrix" }
            ),
            |o| {
                o.spec.insert("billingId".into(), json!("drift"));
                o.spec.insert("applications".into(), json!([]));
            },
        );
    }
    let started = std::time::Instant::now();
    let p = plan(&model, &drifted, &PlanOptions::default());
    let drift_planned = started.elapsed();
    let started = std::time::Instant::now();
    let rendered = super::render::text(&p, false);
    let render = started.elapsed();
    assert_eq!(p.actions.len(), 2, "{rendered}");
    eprintln!(
        "objects {}: expand {expanded:?}, converged plan {planned:?}, drifted plan {drift_planned:?}, render {render:?}",
        model.len()
    );
}
