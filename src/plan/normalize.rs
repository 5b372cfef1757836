//! Equivalence of desired and observed values: portal data that means the same never drifts.
//!
//! Rules: absent or `null` equals the portal's default (or an empty list/object); e-mail
//! addresses, UPNs, domains and enumerated values compare case-insensitively at any depth;
//! set-like lists compare regardless of order (the primary domain, first in `domains`, keeps
//! its place); integral floats equal integers. Fields the portal adds and nobody declared are
//! never compared (the diff walks declared fields only).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::model::Kind;

/// Keys whose string values (or lists of strings) compare case-insensitively, at any depth
/// (docs/portal-contract.md, *ci*): e-mail addresses, UPNs and domains, and enumerated values,
/// which portals may answer in their own case (`STANDARD` for `Standard`).
const CASE_INSENSITIVE: [&str; 17] = [
    "email",
    "adminEmail",
    "externalEmail",
    "notificationEmail",
    "upn",
    "upnDomain",
    "upnSuffix",
    "user",
    "domains",
    "type",
    "role",
    "mode",
    "driveLetter",
    "app",
    "licenseType",
    "platform",
    "services",
];

/// True when the observed value means the same as the desired one.
///
/// Cheap when they are equal as they are (the converged case): nothing is allocated.
pub fn equivalent(kind: Kind, field: &str, desired: &Value, observed: Option<&Value>) -> bool {
    let observed = match observed {
        None | Some(Value::Null) => match default_of(kind, field) {
            Some(default) => return equivalent(kind, field, desired, Some(&default)),
            None => return is_empty(desired),
        },
        Some(v) => v,
    };
    desired == observed || normalized(kind, field, desired) == normalized(kind, field, observed)
}

/// The value the portal assumes when a field is absent.
fn default_of(kind: Kind, field: &str) -> Option<Value> {
    let v = match (kind, field) {
        (Kind::DaasCustomer, "type") => Value::from("Standard"),
        (Kind::DaasCustomer, "dnsZone") => Value::from(false),
        (Kind::DaasCustomer, "minPasswordLength") => Value::from(8),
        (Kind::DaasCustomer | Kind::DaasAdmin, "changePasswordAtNextLogon") => Value::from(true),
        (Kind::DaasAdmin, "role") => Value::from("DaaSPartnerAdmin"),
        (Kind::FileSharing, "driveLetter") => Value::from("X"),
        (Kind::Enterprise, "musicOnHold" | "sipDataAccess" | "requestConsent") => {
            Value::from(false)
        }
        (Kind::Enterprise, "enabled") => Value::from(true),
        _ => return None,
    };
    Some(v)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// How a top-level list compares.
enum ListForm {
    /// Order matters.
    Ordered,
    /// Order does not matter.
    Set,
    /// The first element is significant; the rest is a set.
    HeadThenSet,
}

fn list_form(kind: Kind, field: &str) -> ListForm {
    match (kind, field) {
        (Kind::DaasCustomer, "domains") => ListForm::HeadThenSet,
        (Kind::Citrix, "applications" | "desktops")
        | (Kind::Enterprise, "services" | "pbxTypes")
        | (Kind::CloudLinkAccount, "adminContacts" | "supportContacts") => ListForm::Set,
        _ => ListForm::Ordered,
    }
}

/// The value in its comparison form.
fn normalized(kind: Kind, field: &str, v: &Value) -> Value {
    let mut v = fold(v, CASE_INSENSITIVE.contains(&field));
    if let Value::Array(items) = &mut v {
        match list_form(kind, field) {
            ListForm::Ordered => {}
            ListForm::Set => items.sort_by(compare),
            ListForm::HeadThenSet => {
                if let Some(tail) = items.get_mut(1..) {
                    tail.sort_by(compare);
                }
            }
        }
    }
    v
}

/// Lower-cases strings under case-insensitive keys, drops `null` members, unifies numbers.
fn fold(v: &Value, lower: bool) -> Value {
    match v {
        Value::String(s) if lower => Value::String(s.to_lowercase()),
        Value::Array(items) => Value::Array(items.iter().map(|i| fold(i, lower)).collect()),
        Value::Object(map) => {
            let folded: Map<String, Value> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), fold(v, CASE_INSENSITIVE.contains(&k.as_str()))))
                .collect();
            Value::Object(folded)
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                // Integral floats stand for the integer (the cast is exact below 2^53).
                Value::from(f as i64)
            }
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

/// A total order on JSON values, for sorting set-like lists.
fn compare(a: &Value, b: &Value) -> Ordering {
    a.to_string().cmp(&b.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Kind, equivalent};

    #[test]
    fn equivalent_data_is_not_drift() {
        let cases = [
            (
                Kind::DaasCustomer,
                "domains",
                json!(["a.com", "b.com", "c.com"]),
                Some(json!(["A.com", "c.com", "B.COM"])),
                true,
            ),
            (
                Kind::DaasCustomer,
                "domains",
                json!(["a.com", "b.com"]),
                Some(json!(["b.com", "a.com"])),
                false,
            ),
            (
                Kind::DaasCustomer,
                "contact",
                json!({"name": "Jane", "email": "jane@k.com"}),
                Some(json!({"name": "Jane", "email": "Jane@K.com", "phone": null})),
                true,
            ),
            (
                Kind::DaasCustomer,
                "contact",
                json!({"name": "Jane", "email": "jane@k.com"}),
                Some(json!({"name": "jane", "email": "jane@k.com"})),
                false,
            ),
            (Kind::DaasCustomer, "dnsZone", json!(false), None, true),
            (Kind::DaasCustomer, "dnsZone", json!(true), None, false),
            (
                Kind::DaasCustomer,
                "minPasswordLength",
                json!(8),
                Some(json!(8.0)),
                true,
            ),
            (Kind::DaasCustomer, "billingId", json!("RQ-1"), None, false),
            (
                Kind::Citrix,
                "applications",
                json!(["Word", "Excel"]),
                Some(json!(["Excel", "Word"])),
                true,
            ),
            (Kind::Citrix, "applications", json!([]), None, true),
            (
                Kind::Citrix,
                "applications",
                json!(["word"]),
                Some(json!(["Word"])),
                false,
            ),
            (
                Kind::Enterprise,
                "adminEmail",
                json!("GA@K.com"),
                Some(json!("ga@k.com")),
                true,
            ),
            (
                Kind::Enterprise,
                "sbcRegions",
                json!(["UsEast", "UsWest"]),
                Some(json!(["UsWest", "UsEast"])),
                false,
            ),
            (
                Kind::Enterprise,
                "enabled",
                json!(true),
                Some(json!(null)),
                true,
            ),
            (
                Kind::CloudLinkAccount,
                "supportContacts",
                json!([{"role": "Maintainer", "name": "M", "email": "m@x.com"}, {"role": "OnsiteAdmin", "name": "O", "email": "o@x.com"}]),
                Some(
                    json!([{"role": "OnsiteAdmin", "name": "O", "email": "O@X.com"}, {"role": "Maintainer", "name": "M", "email": "m@x.com"}]),
                ),
                true,
            ),
            (
                Kind::License,
                "user",
                json!("Ann@K.com"),
                Some(json!("ann@k.com")),
                true,
            ),
            (
                Kind::ContactCenterTenant,
                "name",
                json!("Kenton"),
                Some(json!("kenton")),
                false,
            ),
            (
                Kind::DaasAdmin,
                "upnDomain",
                json!("kenton.com"),
                Some(json!("KENTON.COM")),
                true,
            ),
            (
                Kind::DaasCustomer,
                "type",
                json!("Standard"),
                Some(json!("STANDARD")),
                true,
            ),
            (
                Kind::DaasCustomer,
                "type",
                json!("Standard"),
                Some(json!("Test")),
                false,
            ),
            (
                Kind::Enterprise,
                "services",
                json!(["PBX", "Trunk"]),
                Some(json!(["trunk", "pbx"])),
                true,
            ),
            (
                Kind::CloudLinkAccount,
                "supportContacts",
                json!([{"role": "Maintainer", "name": "M", "email": "m@x.com"}]),
                Some(json!([{"role": "MAINTAINER", "name": "M", "email": "m@x.com"}])),
                true,
            ),
            (
                Kind::CloudLinkAccount,
                "supportContacts",
                json!([{"role": "Maintainer", "name": "Max", "email": "m@x.com"}]),
                Some(json!([{"role": "Maintainer", "name": "MAX", "email": "m@x.com"}])),
                false,
            ),
        ];
        for (kind, field, desired, observed, want) in cases {
            assert_eq!(
                equivalent(kind, field, &desired, observed.as_ref()),
                want,
                "{kind} {field}: {desired} vs {observed:?}"
            );
        }
    }
}
