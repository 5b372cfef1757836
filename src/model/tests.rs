//! Expansion and dependency-order tests on the fixture declaration.

use serde_json::{Value, json};

use super::fixtures::{self, ADMIN_PASSWORD, parse};
use super::{Address, Kind, Model, ModelError, SecretSource, expand, fingerprint};
use crate::api::{DeletionPolicy, ManagementPolicy, Sensitive};

fn model() -> Model {
    expand(&fixtures::kenton()).unwrap_or_else(|e| panic!("fixture expands: {e}"))
}

fn at(model: &Model, kind: Kind, external_ref: &str) -> super::Resource {
    model
        .get(&Address::new(kind, external_ref))
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} {external_ref}"))
}

/// A readable summary of every resource, for the snapshot.
fn summary(model: &Model) -> Value {
    let resources: Vec<Value> = model
        .resources()
        .iter()
        .map(|r| {
            let secrets: Vec<Value> = r
                .secrets
                .iter()
                .map(|s| {
                    let source = match s.source {
                        SecretSource::Known(_) => "known",
                        SecretSource::Generated => "generated",
                    };
                    json!({"field": s.field, "source": source})
                })
                .collect();
            json!({
                "address": r.address.to_string(),
                "declaredBy": r.declared_by.to_string(),
                "tenant": r.tenant,
                "deletionPolicy": format!("{:?}", r.deletion_policy),
                "managementPolicy": format!("{:?}", r.management_policy),
                "parent": r.parent.as_ref().map(|p| format!("{} → {}", p.field, p.address)),
                "dependsOn": r.depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "secrets": secrets,
                "spec": r.spec,
            })
        })
        .collect();
    Value::Array(resources)
}

#[test]
fn every_kind_expands_with_its_wire_fields() {
    let model = model();
    insta::assert_json_snapshot!("kenton_model", summary(&model));
    let kinds: std::collections::BTreeSet<Kind> =
        model.resources().iter().map(|r| r.address.kind).collect();
    assert_eq!(kinds.len(), Kind::ALL.len(), "every kind is exercised");
}

#[test]
fn defaults_are_filled_in() {
    let model = model();
    let admin = at(&model, Kind::DaasAdmin, "customers/kenton-jroe");
    for (field, want) in [
        ("username", json!("jroe")),
        ("upnDomain", json!("kenton-electronics.com")),
        ("displayName", json!("Jane Roe")),
        ("role", json!("DaaSPartnerAdmin")),
        ("changePasswordAtNextLogon", json!(true)),
    ] {
        assert_eq!(admin.spec.get(field), Some(&want), "admin {field}");
    }
    let contact = json!({"name": "Jane Roe", "email": "jane@kenton-electronics.com", "phone": "+15555550100"});
    let azure = at(&model, Kind::AzureAd, "customers/kenton-azure-ad");
    assert_eq!(azure.spec.get("acceptedBy"), Some(&contact));
    let cc = at(&model, Kind::ContactCenterTenant, "customers/kenton-cc");
    assert_eq!(cc.spec.get("contact"), Some(&contact));
    let teams = at(&model, Kind::Enterprise, "customers/kenton-teams");
    assert_eq!(teams.spec.get("name"), Some(&json!("Kenton Electronics")));
    assert_eq!(teams.spec.get("enabled"), Some(&json!(true)));
    let files = at(&model, Kind::FileSharing, "customers/kenton-files");
    assert_eq!(files.spec.get("driveLetter"), Some(&json!("X")));
    let customer = at(&model, Kind::DaasCustomer, "customers/kenton-electronics");
    assert_eq!(customer.spec.get("dnsZone"), Some(&json!(false)));
    assert_eq!(customer.spec.get("minPasswordLength"), Some(&json!(8)));
    assert!(
        customer.spec.get("code").is_none(),
        "the portal generates it"
    );
}

#[test]
fn policies_inherit_from_the_tenant_unless_set() {
    let model = model();
    for (kind, external_ref, deletion, management) in [
        (
            Kind::DaasAdmin,
            "customers/kenton-jroe",
            DeletionPolicy::Delete,
            ManagementPolicy::Apply,
        ),
        (
            Kind::License,
            "customers/kenton-meet/ann@kenton-electronics.com",
            DeletionPolicy::Orphan,
            ManagementPolicy::Apply,
        ),
        (
            Kind::FileSharing,
            "customers/kenton-files",
            DeletionPolicy::Delete,
            ManagementPolicy::Observe,
        ),
    ] {
        let r = at(&model, kind, external_ref);
        assert_eq!(r.deletion_policy, deletion, "{external_ref}");
        assert_eq!(r.management_policy, management, "{external_ref}");
    }
}

#[test]
fn known_passwords_are_fingerprinted_and_generated_ones_are_not() {
    let model = model();
    let admin = at(&model, Kind::DaasAdmin, "customers/kenton-jroe");
    let want = fingerprint(
        "customers/kenton-jroe",
        "password",
        &Sensitive::new(ADMIN_PASSWORD),
    );
    assert_eq!(admin.spec.get("passwordFingerprint"), Some(&json!(want)));
    assert!(admin.spec.get("password").is_none());
    let debug = format!("{admin:?}");
    assert!(!debug.contains(ADMIN_PASSWORD), "Debug leaks: {debug}");
    let cc = at(&model, Kind::ContactCenterTenant, "customers/kenton-cc");
    assert!(cc.spec.get("passwordFingerprint").is_none());
    assert!(matches!(
        cc.secrets.as_slice(),
        [s] if s.source == SecretSource::Generated
    ));
}

#[test]
fn wire_spec_fills_the_parent_id_and_the_secret() {
    let model = model();
    let admin = at(&model, Kind::DaasAdmin, "customers/kenton-jroe");
    let wire = admin
        .wire_spec(Some("cus_1"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(wire.as_map().get("customerId"), Some(&json!("cus_1")));
    assert_eq!(wire.as_map().get("password"), Some(&json!(ADMIN_PASSWORD)));
    assert_eq!(format!("{wire:?}"), "WireSpec(sensitive)");
    let missing = admin.wire_spec(None, &[]).map(|_| ());
    assert!(
        matches!(missing, Err(super::WireError::ParentIdUnknown { .. })),
        "{missing:?}"
    );
    let cc = at(&model, Kind::ContactCenterTenant, "customers/kenton-cc");
    let generated = Sensitive::new("Generated-Pass-1");
    let wire = cc
        .wire_spec(None, &[("password", &generated)])
        .unwrap_or_else(|e| panic!("{e}"));
    let print = fingerprint("customers/kenton-cc", "password", &generated);
    assert_eq!(
        wire.as_map().get("passwordFingerprint"),
        Some(&json!(print))
    );
    assert!(cc.wire_spec(None, &[]).is_err());
    let update = cc.update_spec(None).unwrap_or_else(|e| panic!("{e}"));
    assert!(update.as_map().get("password").is_none());
    assert!(update.as_map().get("passwordFingerprint").is_none());
    let admin_update = admin
        .update_spec(Some("cus_1"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        admin_update.as_map().get("password"),
        Some(&json!(ADMIN_PASSWORD))
    );
}

#[test]
fn dependencies_come_first_in_the_order() {
    let model = model();
    let pos = |kind, r: &str| {
        model
            .position(&Address::new(kind, r))
            .unwrap_or_else(|| panic!("{r}"))
    };
    for (before, after) in [
        (
            (Kind::DaasCustomer, "customers/kenton-electronics"),
            (Kind::DaasAdmin, "customers/kenton-jroe"),
        ),
        (
            (Kind::DaasCustomer, "customers/kenton-electronics"),
            (Kind::FileSharing, "customers/kenton-files"),
        ),
        (
            (Kind::AzureAd, "customers/kenton-azure-ad"),
            (Kind::MicrosoftOnline, "customers/kenton-m365"),
        ),
        (
            (Kind::MicrosoftOnline, "customers/kenton-m365"),
            (Kind::Citrix, "customers/kenton-citrix"),
        ),
        (
            (Kind::ContactCenterTenant, "customers/kenton-cc"),
            (Kind::CallbackFolder, "customers/kenton-cc/callback-folder"),
        ),
        (
            (Kind::CloudLinkAccount, "customers/kenton-electronics"),
            (Kind::CloudLinkGateway, "customers/kenton-gateway"),
        ),
    ] {
        assert!(
            pos(before.0, before.1) < pos(after.0, after.1),
            "{} {} before {} {}",
            before.0,
            before.1,
            after.0,
            after.1
        );
    }
    let again = expand(&fixtures::kenton()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.resources(), model.resources(), "deterministic order");
}

fn expand_err(edit: impl FnOnce(&mut crate::api::Declared)) -> String {
    let mut declared = fixtures::kenton();
    edit(&mut declared);
    match expand(&declared) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn binding(name: &str) -> impl Fn(&crate::api::Declared) -> usize + '_ {
    move |d| {
        d.bindings
            .iter()
            .position(|b| b.object.metadata.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no binding {name}"))
    }
}

#[test]
fn a_cycle_is_an_error_naming_it() {
    let message = expand_err(|d| {
        let i = binding("kenton-azure-ad")(d);
        d.bindings[i].object.spec.depends_on = vec![parse("{name: kenton-citrix}")];
    });
    assert_eq!(
        message,
        "dependency cycle: ServiceBinding customers/kenton-azure-ad → ServiceBinding customers/kenton-m365 → ServiceBinding customers/kenton-citrix → ServiceBinding customers/kenton-azure-ad; remove one of these dependsOn entries"
    );
    let own = expand_err(|d| {
        let i = binding("kenton-sms")(d);
        d.bindings[i].object.spec.depends_on = vec![parse("{name: kenton-sms}")];
    });
    assert!(
        own.starts_with("dependency cycle: ServiceBinding customers/kenton-sms → ServiceBinding customers/kenton-sms;"),
        "{own}"
    );
}

#[test]
fn broken_references_are_errors() {
    type Edit = Box<dyn FnOnce(&mut crate::api::Declared)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| d.admins[0].object.spec.tenant_ref.name = "nobody".into()),
            "TenantAdmin customers/kenton-jroe: spec.tenantRef names Tenant customers/nobody, which is not declared; declare it or fix the name",
        ),
        (
            Box::new(|d| d.secrets.clear()),
            "TenantAdmin customers/kenton-jroe: spec.passwordSecretRef names Secret customers/kenton-admin key password, which is not in the input; add the Secret manifest or use generatePassword: true",
        ),
        (
            Box::new(|d| {
                let i = binding("kenton-citrix")(d);
                d.bindings[i].object.spec.depends_on = vec![parse("{name: gone}")];
            }),
            "ServiceBinding customers/kenton-citrix: spec.dependsOn names ServiceBinding gone, which is not declared in namespace customers",
        ),
        (
            Box::new(|d| {
                d.tenants[0]
                    .object
                    .spec
                    .portals
                    .retain(|p| p.id() == "daas")
            }),
            "ServiceBinding customers/kenton-gateway: Tenant customers/kenton-electronics does not list portal cloudlink in spec.portals; add it there",
        ),
        (
            Box::new(|d| {
                let i = binding("kenton-meet")(d);
                if let Some(l) = d.bindings[i].object.spec.licenses.as_mut() {
                    l.assignments[1].user = "ANN@kenton-electronics.com".into();
                }
            }),
            "ServiceBinding customers/kenton-meet: expands to apps/licenses/customers/kenton-meet/ann@kenton-electronics.com, which ServiceBinding customers/kenton-meet already declares; rename one of them",
        ),
        (
            Box::new(|d| {
                let i = binding("kenton-sms")(d);
                d.bindings[i].object.spec.sms = None;
            }),
            "ServiceBinding customers/kenton-sms: set exactly one service block (azureAD, microsoftOnline, citrix, fileSharing, teamsConnector, contactCenter, licenses, sms or cloudlinkGateway)",
        ),
    ];
    for (edit, want) in cases {
        assert_eq!(expand_err(edit), want);
    }
}

#[test]
fn errors_are_typed() {
    let mut declared = fixtures::kenton();
    declared.secrets.clear();
    assert!(matches!(
        expand(&declared),
        Err(ModelError::MissingSecret { .. })
    ));
}
