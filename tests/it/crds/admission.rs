//! What the API server does to an object before its CEL rules run: prune nulls, apply
//! defaults, and check it against the structural schema (types, enums, bounds, patterns).
//!
//! A small emulation, enough to run the CEL rules on the same values the API server would,
//! and to catch typos in test objects (an unknown field would silently be dropped).

use std::collections::BTreeSet;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use serde_json::Value as Json;

/// Fields the API server handles itself; kube leaves them out of the generated schema.
const ROOT_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// `format: email` as the API server checks it (kube-openapi's strfmt, RFC 5322 addr-spec),
/// narrowed to the dot-atom local parts and DNS domains tenantry's users write.
static EMAIL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$",
    )
    .expect("static regex")
});

/// `path.name`, or `name` at the root.
pub fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The item schema of an array schema.
pub fn items_of(schema: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match schema.items.as_ref()? {
        JSONSchemaPropsOrArray::Schema(items) => Some(items),
        JSONSchemaPropsOrArray::Schemas(_) => None,
    }
}

/// Prunes nulls and applies defaults in place, and returns every schema violation as
/// `path: what`, e.g. `spec.domains[0]: does not match ...`.
pub fn admit(schema: &JSONSchemaProps, value: &mut Json) -> Vec<String> {
    let mut errors = Vec::new();
    walk(schema, value, "", &mut errors);
    errors
}

fn walk(schema: &JSONSchemaProps, value: &mut Json, path: &str, errors: &mut Vec<String>) {
    let want = schema.type_.as_deref().unwrap_or_default();
    match value {
        Json::Object(map) => {
            if want != "object" {
                errors.push(format!("{path}: must be of type {want}"));
                return;
            }
            // The API server counts properties before pruning unknown ones.
            if let Some(max) = schema.max_properties
                && map.len() as i64 > max
            {
                errors.push(format!(
                    "{path}: Too many: {}: must have at most {max} items",
                    map.len()
                ));
            }
            if let Some(properties) = &schema.properties {
                for key in map.keys() {
                    let handled_by_server = path.is_empty() && ROOT_FIELDS.contains(&key.as_str());
                    if !properties.contains_key(key) && !handled_by_server {
                        errors.push(format!(
                            "{}: unknown field (the API server would drop it)",
                            join(path, key)
                        ));
                    }
                }
                for (name, property) in properties {
                    // A null is pruned (nullable fields keep it, but CEL sees them as absent).
                    if map.get(name).is_some_and(Json::is_null) {
                        map.remove(name);
                        if property.nullable == Some(true) {
                            continue;
                        }
                    }
                    if let (None, Some(default)) = (map.get(name), &property.default) {
                        map.insert(name.clone(), default.0.clone());
                    }
                }
                for required in schema.required.iter().flatten() {
                    if !map.contains_key(required) {
                        errors.push(format!("{}: Required value", join(path, required)));
                    }
                }
                for (name, property) in properties {
                    if let Some(child) = map.get_mut(name) {
                        walk(property, child, &join(path, name), errors);
                    }
                }
            } else if let Some(JSONSchemaPropsOrBool::Schema(values)) =
                &schema.additional_properties
            {
                for (key, child) in map.iter_mut() {
                    walk(values, child, &join(path, key), errors);
                }
            } else if !map.is_empty() && schema.x_kubernetes_preserve_unknown_fields != Some(true) {
                errors.push(format!(
                    "{path}: unknown fields (the API server would drop them)"
                ));
            }
        }
        Json::Array(items) => {
            if want != "array" {
                errors.push(format!("{path}: must be of type {want}"));
                return;
            }
            check_bounds(
                path,
                items.len(),
                schema.min_items,
                schema.max_items,
                "items",
                errors,
            );
            check_list_type(schema, items, path, errors);
            if let Some(item_schema) = items_of(schema) {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item_schema, item, &format!("{path}[{i}]"), errors);
                }
            }
        }
        Json::String(text) => {
            if want != "string" {
                errors.push(format!("{path}: must be of type {want}"));
                return;
            }
            if let Some(values) = &schema.enum_
                && !values.iter().any(|v| v.0.as_str() == Some(text.as_str()))
            {
                errors.push(format!("{path}: Unsupported value {text:?}"));
            }
            let chars = text.chars().count();
            check_bounds(
                path,
                chars,
                schema.min_length,
                schema.max_length,
                "chars",
                errors,
            );
            if schema.format.as_deref() == Some("email") && !EMAIL.is_match(text) {
                errors.push(format!("{path}: in body must be of type email: {text:?}"));
            }
            if let Some(pattern) = &schema.pattern {
                match regex::Regex::new(pattern) {
                    Ok(re) if re.is_match(text) => {}
                    Ok(_) => errors.push(format!("{path}: should match '{pattern}'")),
                    Err(err) => errors.push(format!("{path}: bad pattern {pattern}: {err}")),
                }
            }
        }
        Json::Number(number) => {
            let integer_ok = want == "integer" && (number.is_i64() || number.is_u64());
            if !integer_ok && want != "number" {
                errors.push(format!("{path}: must be of type {want}"));
                return;
            }
            let n = number.as_f64().unwrap_or_default();
            if schema.minimum.is_some_and(|min| n < min)
                || schema.maximum.is_some_and(|max| n > max)
            {
                errors.push(format!("{path}: out of range"));
            }
        }
        Json::Bool(_) if want != "boolean" => {
            errors.push(format!("{path}: must be of type {want}"));
        }
        Json::Bool(_) | Json::Null => {}
    }
}

fn check_bounds(
    path: &str,
    len: usize,
    min: Option<i64>,
    max: Option<i64>,
    unit: &str,
    errors: &mut Vec<String>,
) {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    if min.is_some_and(|min| len < min) {
        errors.push(format!(
            "{path}: fewer than {} {unit}",
            min.unwrap_or_default()
        ));
    }
    if max.is_some_and(|max| len > max) {
        errors.push(format!(
            "{path}: more than {} {unit}",
            max.unwrap_or_default()
        ));
    }
}

/// `set` lists hold no duplicate; `map` lists no two items with the same keys.
fn check_list_type(schema: &JSONSchemaProps, items: &[Json], path: &str, errors: &mut Vec<String>) {
    let keys_of = |item: &Json| -> String {
        match schema.x_kubernetes_list_type.as_deref() {
            Some("map") => schema
                .x_kubernetes_list_map_keys
                .iter()
                .flatten()
                .map(|k| item.get(k).map(Json::to_string).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("/"),
            _ => item.to_string(),
        }
    };
    if !matches!(
        schema.x_kubernetes_list_type.as_deref(),
        Some("set" | "map")
    ) {
        return;
    }
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(keys_of(item)) {
            errors.push(format!("{path}[{i}]: Duplicate value"));
        }
    }
}
