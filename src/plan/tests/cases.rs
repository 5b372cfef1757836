//! The diff, case by case.

use serde_json::{Value, json};

use super::{converge, edit_observed, model_of};
use crate::api::{Declared, Sensitive};
use crate::model::fixtures::{self, ADMIN_PASSWORD};
use crate::model::{Address, Kind, Observed};
use crate::plan::{ActionKind, FieldValue, OrphanReason, Phase, Plan, PlanOptions, Scope, plan};

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
            crate::plan::DELETION_POLICY,
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
    // Every DaaS child points at the old customer id, so each is replaced with it (the GDAP
    // relationship with its replaced Azure AD service).
    assert_eq!(p.actions.len(), 7, "{:#?}", p.actions);
    assert!(p.actions.iter().all(|a| a.kind == ActionKind::Replace));
    // (The azure-ad service also records the new code, for a vendor portal's domain rule.)
    assert!(p.actions[1..].iter().all(|a| {
        a.changes.iter().any(|c| {
            ["customerId", "azureAdId"].contains(&c.field.as_str())
                && c.after == FieldValue::KnownAfterApply
        })
    }));
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
        ..PlanOptions::default()
    };
    let pruned = plan(&model, &observed, &prune);
    assert_eq!(pruned.actions.len(), 1);
    assert_eq!(pruned.actions[0].kind, ActionKind::Delete);
    assert_eq!(pruned.actions[0].address.to_string(), sms);
    assert_eq!(pruned.orphans.len(), 2, "Orphan policy wins over prune");
    let elsewhere = PlanOptions {
        prune: true,
        scope: Scope::Namespaces(["other".to_owned()].into()),
        ..PlanOptions::default()
    };
    let out_of_scope = plan(&model, &observed, &elsewhere);
    assert!(!out_of_scope.has_changes() && out_of_scope.orphans.is_empty());
    assert_eq!(
        Scope::namespaces_of(&model),
        Scope::Namespaces(["customers".to_owned()].into())
    );
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
        ..PlanOptions::default()
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
        crate::plan::render::text(&p, false),
        crate::plan::render::json(&p),
        crate::plan::render::markdown(&p),
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
    assert_eq!(crate::plan::render::json(&a), crate::plan::render::json(&b));
    assert_eq!(
        crate::plan::render::text(&a, true),
        crate::plan::render::text(&b, true)
    );
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
        ..PlanOptions::default()
    };
    let mut variant = declared.clone();
    variant.bindings.retain(|b| b.object.spec.sms.is_none());
    hashes.insert(plan(&model_of(&variant), &observed, &prune).hash);
    hashes.insert(plan_of(&Declared::default(), &Observed::new()).hash);
    assert_eq!(hashes.len(), 5, "every plan has its own hash");
}

/// A display-name change replaces the customer and everything under it; the contract says
/// which of those replacements destroy data (issue 14, item 3).
#[test]
fn a_rename_calls_out_the_replacements_that_destroy_data() {
    let (mut declared, mut observed) = kenton_converged();
    declared.tenants[0].object.spec.display_name = "Kenton Renamed".into();
    let p = plan_of(&declared, &observed);
    let destroys = |kind: Kind, name: &str| {
        p.action(&Address::new(kind, format!("customers/{name}")))
            .map(|a| (a.kind, a.destroys.is_some()))
    };
    let replaced_with_loss = Some((ActionKind::Replace, true));
    assert_eq!(
        destroys(Kind::DaasCustomer, "kenton-electronics"),
        replaced_with_loss
    );
    assert_eq!(destroys(Kind::DaasAdmin, "kenton-jroe"), replaced_with_loss);
    assert_eq!(
        destroys(Kind::AzureAd, "kenton-azure-ad"),
        replaced_with_loss
    );
    // Forced by the parent's replacement, and nothing of it is lost.
    assert_eq!(
        destroys(Kind::MicrosoftOnline, "kenton-m365"),
        Some((ActionKind::Replace, false))
    );
    assert_eq!(
        p.summary().destructive,
        p.actions.iter().filter(|a| a.destroys.is_some()).count()
    );
    assert!(
        p.summary().to_string().ends_with(" destroying data."),
        "{}",
        p.summary()
    );
    assert!(p.actions.iter().all(|a| !a.allow_replace));

    // A Microsoft tenant whose creation failed holds nothing to lose.
    edit_observed(
        &mut observed,
        Kind::AzureAd,
        "customers/kenton-azure-ad",
        |o| {
            o.status.insert("phase".into(), json!("Failed"));
            o.status.insert(
                "failure".into(),
                json!({"action": "create", "reason": "DomainUnavailable", "message": "taken"}),
            );
        },
    );
    let p = plan_of(&declared, &observed);
    let aad = p.action(&Address::new(Kind::AzureAd, "customers/kenton-azure-ad"));
    assert_eq!(
        aad.map(|a| (a.kind, a.destroys.is_some())),
        Some((ActionKind::Replace, false))
    );

    // The Tenant's allowReplace covers its admins and bindings; one of them may opt out.
    declared.tenants[0].object.spec.allow_replace = true;
    for b in &mut declared.bindings {
        if b.object.spec.azure_ad.is_some() {
            b.object.spec.allow_replace = Some(false);
        }
    }
    let p = plan_of(&declared, &observed);
    let allowed = |kind: Kind, name: &str| {
        p.action(&Address::new(kind, format!("customers/{name}")))
            .map(|a| a.allow_replace)
    };
    assert_eq!(
        allowed(Kind::DaasCustomer, "kenton-electronics"),
        Some(true)
    );
    assert_eq!(allowed(Kind::DaasAdmin, "kenton-jroe"), Some(true));
    assert_eq!(allowed(Kind::AzureAd, "kenton-azure-ad"), Some(false));
}
