//! The resource reference: Markdown tables of every field, rendered from the CRD schemas.
//!
//! Rendering from the generated CRDs (not from hand-written text) keeps `docs/reference.md`
//! true to what the API server enforces; a test fails when the checked-in file drifts.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

/// The command that regenerates `docs/reference.md`.
pub const REFERENCE_COMMAND: &str = "cargo run -- crds --reference > docs/reference.md";

/// The Markdown resource reference of every kind, as checked in at `docs/reference.md`.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Resource reference\n\n");
    out.push_str(&format!(
        "<!-- Generated from the CRD schemas; do not edit. Regenerate with `{REFERENCE_COMMAND}`. -->\n\n"
    ));
    out.push_str(
        "Every kind is in API group `tenantry.dev`, version `v1alpha1`, and in the `tenantry` \
         category (`kubectl get tenantry` lists them all). Fields marked *yes* are required; \
         the API server fills in defaults. The rules under each table are CEL validations the \
         API server checks on `kubectl apply`; rules that span objects (references, unique \
         e-mails, dependency cycles) are checked by `tenantry validate` and the controller.\n\n",
    );
    for crd in super::crds() {
        render_kind(&mut out, &crd);
    }
    out
}

fn render_kind(out: &mut String, crd: &CustomResourceDefinition) {
    let names = &crd.spec.names;
    out.push_str(&format!("## {}\n\n", names.kind));
    let Some(version) = crd.spec.versions.first() else {
        return;
    };
    let root = version
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref());
    if let Some(description) = root.and_then(|r| r.description.as_deref()) {
        out.push_str(&format!("{}\n\n", one_line(description)));
    }
    let short_names = names
        .short_names
        .iter()
        .flatten()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let columns = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    out.push_str(&format!(
        "- scope: {}; plural `{}`; short names {short_names}\n- `kubectl get` columns: {columns}\n\n",
        crd.spec.scope, names.plural
    ));
    let Some(root) = root else {
        return;
    };
    for section in ["spec", "status"] {
        let Some(schema) = root.properties.as_ref().and_then(|p| p.get(section)) else {
            continue;
        };
        out.push_str(&format!("### {section}\n\n"));
        out.push_str("| field | type | required | default | description |\n");
        out.push_str("|---|---|---|---|---|\n");
        let mut rows = Vec::new();
        walk_fields(schema, section, &mut rows);
        for row in rows {
            out.push_str(&row);
        }
        out.push('\n');
    }
    let mut rules = Vec::new();
    walk_rules(root, "", &mut rules);
    if !rules.is_empty() {
        out.push_str(&format!("### Rules of a {}\n\n", names.kind));
        for (path, message) in rules {
            out.push_str(&format!("- `{path}`: {message}\n"));
        }
        out.push('\n');
    }
}

/// One table row per field below `schema`, depth first, in field-name order.
fn walk_fields(schema: &JSONSchemaProps, path: &str, rows: &mut Vec<String>) {
    let required = schema.required.as_deref().unwrap_or_default();
    for (name, field) in schema.properties.iter().flatten() {
        let field_path = format!("{path}.{name}");
        rows.push(format!(
            "| `{field_path}` | {} | {} | {} | {} |\n",
            type_of(field),
            if required.contains(name) { "yes" } else { "" },
            field
                .default
                .as_ref()
                .map(|d| format!("`{}`", cell(&d.0.to_string())))
                .unwrap_or_default(),
            cell(&one_line(field.description.as_deref().unwrap_or_default())),
        ));
        // Conditions have the standard metav1.Condition shape; listing it three times adds nothing.
        if name == "conditions" {
            continue;
        }
        walk_fields(field, &field_path, rows);
        if let Some(items) = items_of(field) {
            walk_fields(items, &format!("{field_path}[]"), rows);
        }
    }
}

/// Every CEL rule below `schema` as (path, message), depth first.
fn walk_rules(schema: &JSONSchemaProps, path: &str, rules: &mut Vec<(String, String)>) {
    for rule in schema.x_kubernetes_validations.iter().flatten() {
        let at = if path.is_empty() { "(object)" } else { path };
        let message = rule.message.clone().unwrap_or_else(|| rule.rule.clone());
        rules.push((at.to_owned(), cell(&message)));
    }
    for (name, field) in schema.properties.iter().flatten() {
        let field_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        walk_rules(field, &field_path, rules);
        if let Some(items) = items_of(field) {
            walk_rules(items, &format!("{field_path}[]"), rules);
        }
    }
}

fn items_of(schema: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match schema.items.as_ref()? {
        JSONSchemaPropsOrArray::Schema(items) => Some(items),
        JSONSchemaPropsOrArray::Schemas(_) => None,
    }
}

/// The type column: the JSON type with its constraints, e.g. `string, 1–128 chars`.
fn type_of(schema: &JSONSchemaProps) -> String {
    let base = schema.type_.as_deref().unwrap_or("any");
    let mut parts = Vec::new();
    match base {
        "array" => {
            let item = items_of(schema)
                .map(type_of)
                .unwrap_or_else(|| "any".to_owned());
            parts.push(format!("list of ({item})"));
            match schema.x_kubernetes_list_type.as_deref() {
                Some("set") => parts.push("unique".to_owned()),
                Some("map") => {
                    let keys = schema
                        .x_kubernetes_list_map_keys
                        .iter()
                        .flatten()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    parts.push(format!("unique by {keys}"));
                }
                _ => {}
            }
            parts.extend(bounds(schema.min_items, schema.max_items, "items"));
        }
        "object" => match &schema.additional_properties {
            Some(JSONSchemaPropsOrBool::Schema(values)) => {
                parts.push(format!("map of {}", type_of(values)));
            }
            _ => parts.push("object".to_owned()),
        },
        "string" => {
            if let Some(values) = &schema.enum_ {
                let values = values
                    .iter()
                    .map(|v| format!("`{}`", v.0.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(" \\| ");
                parts.push(format!("one of {values}"));
            } else {
                parts.push("string".to_owned());
            }
            if let Some(format) = &schema.format {
                parts.push(format.clone());
            }
            parts.extend(bounds(schema.min_length, schema.max_length, "chars"));
            if let Some(pattern) = &schema.pattern {
                parts.push(format!("pattern `{}`", cell(pattern)));
            }
        }
        "integer" | "number" => {
            parts.push(base.to_owned());
            match (schema.minimum, schema.maximum) {
                (Some(min), Some(max)) => parts.push(format!("{min}–{max}")),
                (Some(min), None) => parts.push(format!("≥ {min}")),
                (None, Some(max)) => parts.push(format!("≤ {max}")),
                (None, None) => {}
            }
        }
        other => parts.push(other.to_owned()),
    }
    parts.join(", ")
}

fn bounds(min: Option<i64>, max: Option<i64>, unit: &str) -> Option<String> {
    let unit = |n: i64| {
        if n == 1 {
            unit.trim_end_matches('s')
        } else {
            unit
        }
    };
    match (min, max) {
        (Some(min), Some(max)) if min == max => Some(format!("{min} {}", unit(min))),
        (Some(min), Some(max)) => Some(format!("{min}–{max} {}", unit(max))),
        (Some(min), None) if min > 0 => Some(format!("≥ {min} {}", unit(min))),
        (_, Some(max)) => Some(format!("≤ {max} {}", unit(max))),
        _ => None,
    }
}

/// The first paragraph of a description on one line.
fn one_line(text: &str) -> String {
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    paragraph.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes what would end a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_read_naturally() {
        for (min, max, want) in [
            (Some(1), Some(128), Some("1–128 chars")),
            (Some(2), Some(2), Some("2 chars")),
            (Some(1), Some(1), Some("1 char")),
            (None, Some(16), Some("≤ 16 chars")),
            (Some(0), None, None),
            (Some(3), None, Some("≥ 3 chars")),
            (None, None, None),
        ] {
            assert_eq!(
                bounds(min, max, "chars").as_deref(),
                want,
                "{min:?} {max:?}"
            );
        }
    }

    #[test]
    fn cells_never_break_the_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(one_line("first  line\nwraps\n\nsecond"), "first line wraps");
    }

    #[test]
    fn every_kind_has_a_section_and_a_spec_table() {
        let text = reference_markdown();
        for kind in [
            "Tenant",
            "TenantAdmin",
            "ServiceBinding",
            "PortalConnection",
        ] {
            assert!(text.contains(&format!("## {kind}\n")), "{kind}");
        }
        assert!(text.contains("| `spec.domains` | list of (string"));
        assert!(text.contains("| `spec.azureAD.mode` | one of `CreateNew` \\| `ConnectExisting`"));
    }
}
