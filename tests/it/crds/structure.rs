//! What the API server checks when a CRD is created: a structural schema, supported
//! formats, list types it can merge, rules it can afford to run, printer columns that resolve.

use std::collections::BTreeSet;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrBool,
};
use tenantry::api::crds;

use super::admission::{admit, items_of, join};
use super::cel_rules::{UNTYPED_OBJECT, is_untyped_object, root_schema, rule_sites};

/// Formats the API server knows (k8s.io/apiextensions-apiserver, `supportedFormats`).
const FORMATS: [&str; 28] = [
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "date-time",
    "int32",
    "int64",
    "float",
    "double",
];

/// Every schema node below `schema` with its path (`spec.domains[]` for list items).
fn nodes<'a>(
    schema: &'a JSONSchemaProps,
    path: &str,
    out: &mut Vec<(String, &'a JSONSchemaProps)>,
) {
    out.push((path.to_owned(), schema));
    for (name, property) in schema.properties.iter().flatten() {
        nodes(property, &join(path, name), out);
    }
    if let Some(JSONSchemaPropsOrBool::Schema(values)) = &schema.additional_properties {
        nodes(values, &format!("{path}{{}}"), out);
    }
    if let Some(items) = items_of(schema) {
        nodes(items, &format!("{path}[]"), out);
    }
}

fn all_nodes(crd: &CustomResourceDefinition) -> Vec<(String, &JSONSchemaProps)> {
    let mut out = Vec::new();
    nodes(root_schema(crd), "", &mut out);
    out
}

/// Problems that make a schema non-structural or that the API server refuses.
fn structural_problems(path: &str, s: &JSONSchemaProps) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |what: &str| problems.push(format!("{path}: {what}"));
    let free_form = s.x_kubernetes_int_or_string == Some(true)
        || s.x_kubernetes_preserve_unknown_fields == Some(true);
    let type_ = s.type_.as_deref().unwrap_or_default();
    if type_.is_empty() && !free_form {
        problem("has no type");
    }
    if s.all_of.is_some() || s.any_of.is_some() || s.one_of.is_some() || s.not.is_some() {
        problem("uses allOf/anyOf/oneOf/not (keep value validations out of generated schemas)");
    }
    if s.ref_path.is_some() || s.definitions.is_some() || s.id.is_some() || s.schema.is_some() {
        problem("uses $ref/definitions/id/$schema, which CRDs forbid");
    }
    if s.unique_items == Some(true) {
        problem("sets uniqueItems, which CRDs forbid (use x-kubernetes-list-type)");
    }
    if s.pattern_properties.is_some() || s.dependencies.is_some() || s.additional_items.is_some() {
        problem("uses patternProperties/dependencies/additionalItems, which CRDs forbid");
    }
    if matches!(
        s.additional_properties,
        Some(JSONSchemaPropsOrBool::Bool(false))
    ) {
        problem("sets additionalProperties: false, which CRDs forbid (unknown fields are pruned)");
    }
    if s.properties.is_some() && s.additional_properties.is_some() {
        problem("has both properties and additionalProperties");
    }
    if (s.properties.is_some() || s.additional_properties.is_some()) && type_ != "object" {
        problem("has properties but is not an object");
    }
    if (type_ == "array") != s.items.is_some() {
        problem("items must be given exactly for arrays");
    }
    if let Some(format) = &s.format
        && !FORMATS.contains(&format.as_str())
    {
        problem(&format!("format {format:?} is unknown to the API server"));
    }
    for value in s.enum_.iter().flatten() {
        let fits = match type_ {
            "string" => value.0.is_string(),
            "integer" => value.0.is_i64(),
            _ => false,
        };
        if !fits {
            problem(&format!("enum value {} is not a {type_}", value.0));
        }
    }
    for required in s.required.iter().flatten() {
        if !s
            .properties
            .as_ref()
            .is_some_and(|p| p.contains_key(required))
        {
            problem(&format!("requires {required:?}, which is not a property"));
        }
    }
    match (s.x_kubernetes_list_type.as_deref(), items_of(s)) {
        (Some("set"), Some(items)) => {
            if !matches!(
                items.type_.as_deref(),
                Some("string" | "integer" | "number" | "boolean")
            ) {
                problem("list-type set needs scalar items");
            }
        }
        (Some("map"), Some(items)) => {
            let keys = s.x_kubernetes_list_map_keys.as_deref().unwrap_or_default();
            if keys.is_empty() {
                problem("list-type map needs x-kubernetes-list-map-keys");
            }
            for key in keys {
                let required = items.required.iter().flatten().any(|r| r == key);
                let defaulted = items
                    .properties
                    .as_ref()
                    .and_then(|p| p.get(key))
                    .is_some_and(|k| k.default.is_some());
                if !required && !defaulted {
                    problem(&format!("map key {key:?} must be required or defaulted"));
                }
            }
        }
        (Some("atomic") | None, _) => {}
        (Some(other), _) => problem(&format!("list-type {other:?} on a non-list or unknown")),
    }
    if let Some(default) = &s.default {
        let mut value = default.0.clone();
        let errors = admit(s, &mut value);
        if !errors.is_empty() {
            problem(&format!("default {} is invalid: {errors:?}", default.0));
        }
    }
    problems
}

#[test]
fn schemas_are_structural() {
    let mut problems = Vec::new();
    for crd in crds() {
        for (path, node) in all_nodes(&crd) {
            for p in structural_problems(&path, node) {
                problems.push(format!("{}: {p}", crd.spec.names.kind));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The API server estimates the worst-case cost of every CEL rule from the schema: an
/// unbounded string or list is assumed to fill the whole request, and a rule over one is
/// refused as too expensive. Bounding everything a user writes keeps every rule affordable.
#[test]
fn every_string_and_list_in_a_spec_is_bounded() {
    let mut unbounded = Vec::new();
    for crd in crds() {
        for (path, node) in all_nodes(&crd) {
            if !path.starts_with("spec") {
                continue;
            }
            match node.type_.as_deref() {
                Some("string") if node.max_length.is_none() && node.enum_.is_none() => {
                    unbounded.push(format!(
                        "{} {path}: string without maxLength",
                        crd.spec.names.kind
                    ));
                }
                Some("array") if node.max_items.is_none() => {
                    unbounded.push(format!(
                        "{} {path}: list without maxItems",
                        crd.spec.names.kind
                    ));
                }
                _ => {}
            }
        }
    }
    assert!(unbounded.is_empty(), "\n{}", unbounded.join("\n"));
}

/// The API server gives every value a CEL rule can reach a type from its schema; an object
/// with no properties, no additionalProperties schema and no
/// `x-kubernetes-preserve-unknown-fields` (what an empty struct derives) has none, and every
/// rule that reads one fails with the error of issue 13 — on `kubectl apply`, not on CRD install.
#[test]
fn every_object_a_rule_can_read_has_a_cel_type() {
    let mut untyped = BTreeSet::new();
    for crd in crds() {
        for (site, schema) in rule_sites(&crd) {
            let mut below = Vec::new();
            nodes(schema, &site.path, &mut below);
            for (path, node) in below {
                if is_untyped_object(node) {
                    untyped.insert(format!(
                        "{} {path} (in reach of `{}`): {UNTYPED_OBJECT}",
                        crd.spec.names.kind, site.rule
                    ));
                }
            }
        }
    }
    assert!(
        untyped.is_empty(),
        "\n{}",
        untyped.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_rule_has_a_message_and_a_field_path_that_exists() {
    let mut problems = Vec::new();
    for crd in crds() {
        for (site, schema) in rule_sites(&crd) {
            if site.message.is_empty() {
                problems.push(format!("{site}: no message"));
            }
            // The API server runs a transition rule under a list only for map lists, and the
            // CEL harness does not correlate list items: keep transition rules out of lists.
            if site.is_transition() && site.path.contains("[]") {
                problems.push(format!("{site}: a transition rule inside a list"));
            }
            let rule = schema
                .x_kubernetes_validations
                .iter()
                .flatten()
                .find(|r| r.rule == site.rule);
            let Some(field_path) = rule.and_then(|r| r.field_path.as_deref()) else {
                continue;
            };
            let mut node = schema;
            for segment in field_path.trim_start_matches('.').split('.') {
                match node.properties.as_ref().and_then(|p| p.get(segment)) {
                    Some(child) => node = child,
                    None => {
                        problems.push(format!("{site}: fieldPath {field_path} does not exist"));
                        break;
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn names_scope_and_versions_follow_the_design() {
    let mut short_names = BTreeSet::new();
    for crd in crds() {
        let names = &crd.spec.names;
        assert_eq!(crd.spec.group, "tenantry.dev");
        assert_eq!(
            crd.metadata.name.as_deref(),
            Some(format!("{}.tenantry.dev", names.plural).as_str())
        );
        let want_scope = if matches!(names.kind.as_str(), "PortalConnection" | "NotificationSink") {
            "Cluster"
        } else {
            "Namespaced"
        };
        assert_eq!(crd.spec.scope, want_scope, "{}", names.kind);
        assert_eq!(
            names.categories.as_deref(),
            Some(&["tenantry".to_owned()][..])
        );
        for short in names.short_names.iter().flatten() {
            assert!(
                short_names.insert(short.clone()),
                "short name {short} used twice"
            );
        }
        assert!(
            names.short_names.as_ref().is_some_and(|s| !s.is_empty()),
            "{}",
            names.kind
        );
        assert_eq!(crd.spec.versions.len(), 1);
        let version = &crd.spec.versions[0];
        assert!(version.name == "v1alpha1" && version.served && version.storage);
        assert!(
            version
                .subresources
                .as_ref()
                .is_some_and(|s| s.status.is_some()),
            "{} has a status subresource",
            names.kind
        );
    }
}

#[test]
fn printer_columns_show_state_and_resolve_in_the_schema() {
    for crd in crds() {
        let kind = &crd.spec.names.kind;
        let version = &crd.spec.versions[0];
        let columns = version
            .additional_printer_columns
            .as_deref()
            .unwrap_or_default();
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let want: &[&str] = if matches!(kind.as_str(), "PortalConnection" | "NotificationSink") {
            &["Ready", "Age"]
        } else {
            &["Ready", "Synced", "Plan", "Age"]
        };
        for name in want {
            assert!(
                names.contains(name),
                "{kind} lacks the {name} column: {names:?}"
            );
        }
        assert_eq!(
            names.last(),
            Some(&"Age"),
            "{kind}: Age comes last, as in kubectl"
        );
        assert!(names.len() > want.len(), "{kind} has a domain column");
        for column in columns {
            // `.status.conditions[?(@.type=="Ready")].status` → status, conditions, status
            let path = column.json_path.replace("[?(@.type==\"Ready\")]", "");
            let path = path.replace("[?(@.type==\"Synced\")]", "");
            if path.starts_with(".metadata.") {
                continue;
            }
            let mut node = root_schema(&crd);
            for segment in path.trim_start_matches('.').split('.') {
                let next = node
                    .properties
                    .as_ref()
                    .and_then(|p| p.get(segment))
                    .or_else(|| items_of(node).and_then(|i| i.properties.as_ref()?.get(segment)));
                node = next.unwrap_or_else(|| {
                    panic!(
                        "{kind} column {} path {} does not resolve",
                        column.name, column.json_path
                    )
                });
            }
        }
    }
}
