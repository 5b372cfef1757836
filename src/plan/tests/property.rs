//! Properties: applying a plan converges; and a scale check.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{converge, edit_observed, many, model_of};
use crate::api::Declared;
use crate::model::fixtures;
use crate::model::{Kind, Observed};
use crate::plan::{PlanOptions, plan};

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
    let rendered = crate::plan::render::text(&p, false);
    let render = started.elapsed();
    assert_eq!(p.actions.len(), 2, "{rendered}");
    eprintln!(
        "objects {}: expand {expanded:?}, converged plan {planned:?}, drifted plan {drift_planned:?}, render {render:?}",
        model.len()
    );
}
