//! What the API server does to an object before its CEL rules run: prune nulls, apply
//! defaults, and check it against the structural schema (types, enums, bounds, patterns).
//!
//! The emulation lives in the library (`tenantry::api::schema`), where the loader uses it to
//! report every schema fault of a spec; here it runs the CEL rules on the same values the API
//! server would, and catches typos in test objects (an unknown field would silently be dropped).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;
use serde_json::Value as Json;

pub use tenantry::api::schema::items_of;

/// `path.name`, or `name` at the root.
pub fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Prunes nulls and applies defaults in place, and returns every schema violation as
/// `path: what`, e.g. `spec.domains[0]: does not match ...`.
pub fn admit(schema: &JSONSchemaProps, value: &mut Json) -> Vec<String> {
    tenantry::api::schema::admit(schema, value)
        .iter()
        .map(ToString::to_string)
        .collect()
}
