//! Equivalence of desired and observed values: portal data that means the same never drifts.
//!
//! Rules, from the contract's table ([`Semantics`], read from `openapi/portal.yaml`): absent
//! or `null` equals the portal's default (or an empty list/object); strings at and below a
//! case-insensitive field compare ignoring case; set-like lists compare regardless of order
//! (the primary domain, first in `domains`, keeps its place); integral floats equal integers.
//! Fields the portal adds and nobody declared are never compared (the diff walks declared
//! fields only).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::model::Kind;
use crate::model::semantics::{FieldSemantics, Order, Semantics};

/// True when the observed value means the same as the desired one, by the contract's table.
///
/// Cheap when they are equal as they are (the converged case): nothing is allocated.
pub fn equivalent(kind: Kind, field: &str, desired: &Value, observed: Option<&Value>) -> bool {
    equivalent_in(Semantics::contract(), kind, field, desired, observed)
}

/// [`equivalent`] by the field semantics of `table` (a test may pass a modified copy).
pub fn equivalent_in(
    table: &Semantics,
    kind: Kind,
    field: &str,
    desired: &Value,
    observed: Option<&Value>,
) -> bool {
    let rules = table.field(kind, field);
    let observed = match observed {
        None | Some(Value::Null) => match rules.and_then(|r| r.default.as_ref()) {
            Some(default) => default,
            None => return is_empty(desired),
        },
        Some(v) => v,
    };
    desired == observed || normalized(rules, desired, false) == normalized(rules, observed, false)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The value in its comparison form: strings under a case-insensitive field lower-cased, set
/// lists sorted, `null` members dropped, integral floats as integers. `lower` is true below a
/// case-insensitive field.
fn normalized(rules: Option<&FieldSemantics>, v: &Value, lower: bool) -> Value {
    let lower = lower || rules.is_some_and(|r| r.case_insensitive);
    match v {
        Value::String(s) if lower => Value::String(s.to_lowercase()),
        Value::Array(items) => {
            let item_rules = rules.and_then(FieldSemantics::item);
            let mut items: Vec<Value> = items
                .iter()
                .map(|i| normalized(item_rules, i, lower))
                .collect();
            match rules.map_or(Order::Significant, |r| r.order) {
                Order::Significant => {}
                Order::Any => items.sort_by(compare),
                Order::FirstThenAny => {
                    if let Some(tail) = items.get_mut(1..) {
                        tail.sort_by(compare);
                    }
                }
            }
            Value::Array(items)
        }
        Value::Object(map) => {
            let folded: Map<String, Value> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let member = rules.and_then(|r| r.member(k));
                    (k.clone(), normalized(member, v, lower))
                })
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
