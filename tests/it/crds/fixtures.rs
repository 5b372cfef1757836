//! Test objects: one valid object per kind and service, and a merge patch to vary them.

use serde_json::{Value as Json, json};

/// RFC 7386 JSON merge patch: objects merge, `null` removes, anything else replaces.
pub fn merge(mut base: Json, patch: Json) -> Json {
    if let (Json::Object(target), Json::Object(changes)) = (&mut base, &patch) {
        for (key, change) in changes {
            if change.is_null() {
                target.remove(key);
            } else {
                let current = target.remove(key).unwrap_or(Json::Null);
                target.insert(key.clone(), merge(current, change.clone()));
            }
        }
        return base;
    }
    patch
}

/// `object` with `spec.<field>: null`, as a user may write it (a merge patch would remove it).
pub fn with_null(mut object: Json, field: &str) -> Json {
    object["spec"][field] = Json::Null;
    object
}

pub fn tenant() -> Json {
    json!({
        "apiVersion": "tenantry.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "kenton-electronics", "namespace": "customers"},
        "spec": {
            "displayName": "Kenton Electronics",
            "contact": {"name": "Jane Roe", "email": "jane@kenton-electronics.com", "phone": "+15555550100"},
            "domains": ["kenton-electronics.com"],
            "portals": ["daas"]
        }
    })
}

pub fn cloudlink_tenant() -> Json {
    merge(
        tenant(),
        json!({"spec": {
            "portals": ["daas", "cloudlink"],
            "address": {"line1": "1 Main St", "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "US"},
            "businessType": "Manufacturing",
            "supportContacts": [
                {"role": "Maintainer", "name": "MSP Support", "email": "support@msp.example"},
                {"role": "OnsiteAdmin", "name": "Jane Roe", "email": "jane@kenton-electronics.com"}
            ]
        }}),
    )
}

pub fn admin() -> Json {
    json!({
        "apiVersion": "tenantry.dev/v1alpha1",
        "kind": "TenantAdmin",
        "metadata": {"name": "kenton-admin", "namespace": "customers"},
        "spec": {
            "tenantRef": {"name": "kenton-electronics"},
            "firstName": "Jane",
            "lastName": "Roe",
            "upnDomain": "kenton-electronics.com",
            "externalEmail": "jane.roe@example.net",
            "generatePassword": true
        }
    })
}

pub fn binding(name: &str, block: &str, value: Json) -> Json {
    json!({
        "apiVersion": "tenantry.dev/v1alpha1",
        "kind": "ServiceBinding",
        "metadata": {"name": name, "namespace": "customers"},
        "spec": {"tenantRef": {"name": "kenton-electronics"}, block: value}
    })
}

pub fn azure_new() -> Json {
    binding("kenton-azure-ad", "azureAD", json!({"mode": "CreateNew"}))
}

pub fn azure_existing() -> Json {
    binding(
        "kenton-azure-ad",
        "azureAD",
        json!({"mode": "ConnectExisting", "existingTenantId": "0f8fad5b-d9cb-469f-a165-70867728950e"}),
    )
}

pub fn contact_center() -> Json {
    binding(
        "kenton-contact-center",
        "contactCenter",
        json!({
            "template": "standard",
            "name": "KentonElectronics",
            "shortName": "ke",
            "upnSuffix": "kenton-electronics.com",
            "adminUser": "jroe",
            "generatePassword": true,
            "ani": "+15555550100",
            "notificationEmail": "ops@msp.example"
        }),
    )
}

pub fn teams() -> Json {
    binding(
        "kenton-teams",
        "teamsConnector",
        json!({
            "adminEmail": "it@kenton-electronics.com",
            "sbcRegions": ["UsEast"],
            "services": ["PBX", "Trunk"],
            "pbxTypes": ["Ringlogix"]
        }),
    )
}

pub fn sms() -> Json {
    binding(
        "kenton-sms",
        "sms",
        json!({"did": "+15555550123", "licenseType": "Standard", "campaignId": "CABC123"}),
    )
}
