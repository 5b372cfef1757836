//! Equivalent data (the `equivalentData` fault): a read answered with the same objects in a
//! form the contract says means the same — list items and set-like lists in another order,
//! case-insensitive values re-cased, object keys in another order, and extra server-only
//! fields. A client that diffs exactly would see drift here; a correct one sees none.
//!
//! What may be reshaped comes from the contract's table ([`Semantics`]), and every field it
//! marks case-insensitive or set-like is reshaped: the plan normalises by the same table, and
//! a client that forgets an entry sees drift here (`agreement` tests prove both).

#[cfg(test)]
mod agreement;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::edge::FaultMark;
use crate::model::Kind;
use crate::model::semantics::{FieldSemantics, Order, Semantics};

/// The answer to a read of `portal`/`kind`, as equivalent data drawn from `seed`: `body` is an
/// object envelope or a page `{"items": [...]}`.
pub(crate) fn answer(body: Value, portal: &str, kind: &str, seed: u64) -> Response {
    let mut rng = StdRng::seed_from_u64(seed);
    let body = match body {
        Value::Object(mut page) if page.contains_key("items") => {
            if let Some(Value::Array(items)) = page.get_mut("items") {
                items.shuffle(&mut rng);
                for item in items.iter_mut() {
                    reshape(item, portal, kind, &mut rng);
                }
            }
            Value::Object(page)
        }
        mut object => {
            reshape(&mut object, portal, kind, &mut rng);
            object
        }
    };
    let mut text = String::new();
    write_shuffled(&body, &mut rng, &mut text);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .extensions_mut()
        .insert(FaultMark("equivalentData"));
    response
}

/// One object envelope in an equivalent form.
fn reshape(envelope: &mut Value, portal: &str, kind: &str, rng: &mut StdRng) {
    let Value::Object(env) = envelope else {
        return;
    };
    let id = text(env, "id");
    let version = env.get("version").and_then(Value::as_u64).unwrap_or(0);
    if let (Some(Value::Object(spec)), Some(kind)) =
        (env.get_mut("spec"), Kind::from_parts(portal, kind))
    {
        reshape_spec(Semantics::contract(), kind, spec, rng);
        // A field the portal keeps for itself; no client declares it.
        spec.insert(
            "lastModifiedBy".to_owned(),
            Value::from("portal-ui@vendor.example"),
        );
    }
    if let Some(Value::Object(status)) = env.get_mut("status") {
        status.insert("syncState".to_owned(), Value::from("InSync"));
    }
    env.insert(
        "etag".to_owned(),
        Value::from(format!("\"{id}-{version}\"")),
    );
    env.insert(
        "links".to_owned(),
        json!({"self": format!("/v1/{portal}/{kind}/{id}")}),
    );
}

/// A spec of `kind` in an equivalent form by `table`: every set-like list shuffled (past its
/// first item for `after-first`) and every string at or below a case-insensitive field
/// re-cased, at any depth.
pub(crate) fn reshape_spec(
    table: &Semantics,
    kind: Kind,
    spec: &mut Map<String, Value>,
    rng: &mut StdRng,
) {
    let rules = table.spec(kind);
    for (key, value) in spec.iter_mut() {
        reshape_value(rules.member(key), value, false, rng);
    }
}

/// `value` in an equivalent form by `rules`; `recase` is true below a case-insensitive field.
fn reshape_value(
    rules: Option<&FieldSemantics>,
    value: &mut Value,
    recase: bool,
    rng: &mut StdRng,
) {
    let recase = recase || rules.is_some_and(|r| r.case_insensitive);
    match value {
        Value::String(s) if recase => *s = other_case(s, rng),
        Value::Array(items) => {
            let from = match rules.map_or(Order::Significant, |r| r.order) {
                Order::Significant => None,
                Order::Any => Some(0),
                Order::FirstThenAny => Some(1),
            };
            if let Some(tail) = from.and_then(|from| items.get_mut(from..)) {
                tail.shuffle(rng);
            }
            let item_rules = rules.and_then(FieldSemantics::item);
            for item in items {
                reshape_value(item_rules, item, recase, rng);
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                reshape_value(rules.and_then(|r| r.member(k)), v, recase, rng);
            }
        }
        _ => {}
    }
}

fn text(map: &Map<String, Value>, key: &str) -> String {
    map.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The same letters in another case: all upper, all lower, or alternating.
fn other_case(s: &str, rng: &mut StdRng) -> String {
    let upper = s.to_uppercase();
    let lower = s.to_lowercase();
    let alternating: String = s
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            if i % 2 == 0 {
                c.to_uppercase().collect::<Vec<_>>()
            } else {
                c.to_lowercase().collect::<Vec<_>>()
            }
        })
        .collect();
    // Prefer a form that differs from the original, so the fault shows.
    let mut forms: Vec<String> = [upper, lower, alternating]
        .into_iter()
        .filter(|f| f != s)
        .collect();
    if forms.is_empty() {
        return s.to_owned();
    }
    let i = rng.random_range(0..forms.len());
    forms.swap_remove(i)
}

/// JSON text with the keys of every object in a random order.
fn write_shuffled(value: &Value, rng: &mut StdRng, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.shuffle(rng);
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_shuffled(&map[key], rng, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_shuffled(item, rng, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Value {
        json!({
            "id": "cus_1", "externalRef": "ns/k",
            "version": 3,
            "spec": {"name": "Kenton", "type": "Standard",
                     "contact": {"name": "Jane Roe", "email": "jane@kenton.com"},
                     "domains": ["kenton.com", "a.com", "b.com", "c.com", "d.com"]},
            "status": {"phase": "Ready", "code": "KEN1"}
        })
    }

    #[test]
    fn equivalent_data_differs_only_where_the_contract_allows() {
        for seed in 0..16 {
            let mut v = envelope();
            reshape(
                &mut v,
                "daas",
                "customers",
                &mut StdRng::seed_from_u64(seed),
            );
            let spec = &v["spec"];
            // Names and status values are exact; ci values only differ in case.
            assert_eq!(spec["name"], "Kenton");
            assert_eq!(v["status"]["phase"], "Ready");
            assert_eq!(v["externalRef"], "ns/k");
            assert_ne!(spec["type"], "Standard");
            assert_eq!(
                spec["type"].as_str().map(str::to_lowercase).as_deref(),
                Some("standard")
            );
            assert_eq!(spec["contact"]["name"], "Jane Roe");
            let domains: Vec<String> = spec["domains"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect();
            assert_eq!(
                domains[0], "kenton.com",
                "the primary domain keeps its place"
            );
            let mut sorted = domains.clone();
            sorted.sort();
            assert_eq!(sorted, ["a.com", "b.com", "c.com", "d.com", "kenton.com"]);
            assert!(spec.get("lastModifiedBy").is_some());
            assert!(v.get("etag").is_some());
        }
    }

    #[test]
    fn shuffled_keys_are_the_same_json() {
        let v = envelope();
        let mut text = String::new();
        write_shuffled(&v, &mut StdRng::seed_from_u64(3), &mut text);
        let back: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(back, v);
    }
}
