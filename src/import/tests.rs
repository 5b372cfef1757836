//! Unit tests of the import mapping on hand-written listings.

use serde_json::json;

use super::{ImportOptions, Listing, import};
use crate::api::{ManagementPolicy, Portal};
use crate::model::{Kind, PortalObject};

fn object(id: &str, external_ref: &str, spec: serde_json::Value) -> PortalObject {
    serde_json::from_value(json!({
        "id": id, "externalRef": external_ref, "spec": spec, "status": {"code": "ACM1"}
    }))
    .unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn listing() -> Listing {
    let mut l = Listing::new();
    l.insert(
        Kind::DaasCustomer,
        vec![object(
            "cus_1",
            "crm/Acme",
            json!({"name": "Acme", "contact": {"name": "Ada", "email": "ada@acme.example"},
                   "domains": ["ACME.example"]}),
        )],
    );
    l.insert(
        Kind::DaasAdmin,
        vec![
            object(
                "adm_2",
                "x/y",
                json!({"customerId": "cus_1", "firstName": "Ada", "lastName": "Acme",
                       "upnDomain": "acme.example", "externalEmail": "a@b.example"}),
            ),
            // Its customer is not in the listing: skipped with a warning.
            object(
                "adm_3",
                "x/z",
                json!({"customerId": "cus_9", "firstName": "Bo", "lastName": "B",
                       "upnDomain": "acme.example", "externalEmail": "b@b.example"}),
            ),
        ],
    );
    l.insert(
        Kind::License,
        vec![
            object(
                "lic_2",
                "ui/2",
                json!({"app": "Meet", "user": "zed@acme.example", "licenseType": "Basic"}),
            ),
            object(
                "lic_1",
                "ui/1",
                json!({"app": "Meet", "user": "amy@acme.example", "licenseType": "Standard"}),
            ),
        ],
    );
    l
}

#[test]
fn hand_made_objects_get_sanitised_names_under_their_customer() {
    let options = ImportOptions {
        namespace: "adopted".to_owned(),
        management_policy: ManagementPolicy::Observe,
    };
    let imported = import(&listing(), &options);
    let acme = imported
        .customers
        .iter()
        .find(|c| c.key() == ("adopted".to_owned(), "acme".to_owned()))
        .unwrap_or_else(|| panic!("{imported:#?}"));
    let spec = &acme.tenant.object.spec;
    assert_eq!(
        spec.code.as_deref(),
        Some("ACM1"),
        "generated code is declared"
    );
    assert_eq!(spec.domains, ["acme.example"]);
    // The admin's externalRef names another namespace: renamed into the Tenant's.
    let admin = &acme.admins[0].object;
    assert_eq!(admin.metadata.name.as_deref(), Some("aacme"));
    assert_eq!(admin.spec.username.as_deref(), Some("aacme"));
    // Licenses made by hand: one binding per Tenant and app, under the customer with their domain.
    assert_eq!(spec.portals, [Portal::Daas, Portal::Apps]);
    let licenses = acme.bindings[0].object.spec.licenses.as_ref();
    let users: Vec<&str> = licenses
        .map(|l| l.assignments.iter().map(|a| a.user.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(users, ["amy@acme.example", "zed@acme.example"]);
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    assert!(imported.warnings[0].contains("adm_3"));
    assert_eq!(imported.secrets.len(), 1);
}

#[test]
fn output_does_not_depend_on_listing_order() {
    let options = ImportOptions::default();
    let forward = import(&listing(), &options);
    let mut reversed = listing();
    for objects in reversed.values_mut() {
        objects.reverse();
    }
    let backward = import(&reversed, &options);
    let render = |i| super::render(i, "h").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(render(&forward), render(&backward));
}
