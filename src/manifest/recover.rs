//! A spec that serde refused, read again: every schema fault, and the object with placeholders.
//!
//! serde stops at a spec's first error, so a spec with three mistakes took three runs to fix.
//! When a spec has a type error, the document is read untyped and checked against its kind's
//! CRD schema (the schema the API server would check, generated from the same types), which
//! reports every missing required field, wrong type, unknown enum value and unknown field.
//! Each broken field then gets a placeholder (an allowed value of its type) so the object can
//! be read and the validation rules can check the rest of it; the rules' problems on patched
//! fields are dropped, and the object never joins the objects that are planned or applied.

use std::sync::LazyLock;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrBool,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value as Json;

use super::document::Object;
use super::locate::line_of;
use super::rules;
use super::split::Chunk;
use crate::api::schema::{self, Fault, FaultKind, Step, items_of};
use crate::api::{
    Location, NotificationSink, PortalConnection, Problem, ServiceBinding, Tenant, TenantAdmin,
    clip,
};

/// The CRDs, built once: the loader needs them only for documents with type errors.
static CRDS: LazyLock<Vec<CustomResourceDefinition>> = LazyLock::new(crate::api::crds);

/// What a second reading of a refused document yields.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// Every schema fault of the spec (serde's own problem among them, unchanged).
    pub problems: Vec<Problem>,
    /// The object read with placeholders, and the fields that hold them.
    pub patched: Option<(Object, Vec<String>)>,
}

/// Reads the document of `refused` (a type error inside `spec`) again; `None` when the schema
/// finds nothing more than serde did, or the document cannot be read untyped.
pub(crate) fn recover(
    chunk: &Chunk<'_>,
    default_namespace: &str,
    refused: &Problem,
) -> Option<Recovered> {
    if refused.rule != rules::TYPE_ERROR || !is_in_spec(&refused.field) {
        return None;
    }
    let document: Json = serde_yaml::from_str(chunk.text).ok()?;
    let kind = document.get("kind")?.as_str()?;
    let crd = CRDS.iter().find(|crd| crd.spec.names.kind == kind)?;
    let spec_schema = schema::root_schema(crd)?.properties.as_ref()?.get("spec")?;
    let mut spec = document.get("spec")?.clone();
    let faults: Vec<Fault> = schema::admit_at(spec_schema, &mut spec, "spec")
        .into_iter()
        .filter(|fault| fault.kind.is_structural())
        .collect();
    if faults.is_empty() {
        return None;
    }
    let problems = problems(chunk, refused, &faults);
    let patched = patch(spec_schema, &mut spec, &faults)
        .then(|| read_patched(kind, &document, spec, default_namespace))
        .flatten()
        .map(|object| (object, faults.iter().map(|f| f.path.clone()).collect()));
    Some(Recovered { problems, patched })
}

fn is_in_spec(field: &str) -> bool {
    field == "spec" || field.starts_with("spec.")
}

/// One problem per fault, serde's own in place of the fault it describes.
fn problems(chunk: &Chunk<'_>, refused: &Problem, faults: &[Fault]) -> Vec<Problem> {
    let mut refused = refused.clone();
    // serde names an unknown field's mapping, and the field in its message: name the field,
    // as the schema's faults do.
    if let Some((key, _)) = refused
        .message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        && faults
            .iter()
            .any(|f| f.path == format!("{}.{key}", refused.field))
    {
        refused.field = format!("{}.{key}", refused.field);
    }
    let mut out = vec![refused.clone()];
    for fault in faults.iter().filter(|f| f.path != refused.field) {
        let mut steps = vec![Step::Key("spec".to_owned())];
        steps.extend(fault.steps.iter().cloned());
        // A missing field is shown on its mapping's line, as serde shows it.
        if fault.kind == FaultKind::Required {
            steps.pop();
        }
        let line = line_of(chunk, &steps).unwrap_or(chunk.start_line);
        let location = Location {
            file: refused.location.file.clone(),
            line,
        };
        out.push(Problem::error(
            &location,
            &refused.object,
            fault.path.clone(),
            rules::TYPE_ERROR,
            message(fault),
        ));
    }
    out.sort();
    out.dedup();
    out
}

/// A fault in the words of the loader's type errors.
fn message(fault: &Fault) -> String {
    let key = match fault.steps.last() {
        Some(Step::Key(key)) => clip(key).into_owned(),
        _ => String::new(),
    };
    match &fault.kind {
        FaultKind::Required => "required field is missing".to_owned(),
        FaultKind::WrongType { want, found } => {
            let want = match want.as_str() {
                "integer" => "a whole number",
                "number" => "a number",
                "string" => "text",
                "boolean" => "true or false",
                "array" => "a list",
                "object" => "a mapping",
                other => other,
            };
            format!("expected {want}, found {found}")
        }
        FaultKind::Unsupported { value, choices } => format!(
            "unknown value `{}`; expected one of: {}",
            clip(value),
            choices.join(", ")
        ),
        FaultKind::UnknownField { known } => {
            format!(
                "unknown field `{key}`; expected one of: {}",
                known.join(", ")
            )
        }
        FaultKind::UnknownFields => "holds fields where nothing is allowed; remove them".to_owned(),
        // Value checks are the validation rules' (filtered out before).
        other => Fault {
            kind: other.clone(),
            ..fault.clone()
        }
        .to_string(),
    }
}

/// Puts a placeholder in every broken field of `spec`; false when a path cannot be followed.
fn patch(spec_schema: &JSONSchemaProps, spec: &mut Json, faults: &[Fault]) -> bool {
    for fault in faults {
        let Some((last, parents)) = fault.steps.split_last() else {
            // The whole spec is broken: nothing of it can be checked.
            return false;
        };
        let Some((parent, parent_schema)) = walk_mut(spec, spec_schema, parents) else {
            return false;
        };
        match (last, parent) {
            (Step::Key(key), Json::Object(map)) => {
                if let FaultKind::UnknownField { .. } = fault.kind {
                    map.remove(key);
                    continue;
                }
                let Some(schema) = child_schema(parent_schema, key) else {
                    return false;
                };
                map.insert(key.clone(), placeholder(schema));
            }
            (Step::Index(i), Json::Array(items)) if *i < items.len() => {
                let Some(schema) = items_of(parent_schema) else {
                    return false;
                };
                items[*i] = placeholder(schema);
            }
            _ => return false,
        }
    }
    true
}

/// The value at `steps` below `value`, with its schema.
fn walk_mut<'v, 's>(
    value: &'v mut Json,
    schema: &'s JSONSchemaProps,
    steps: &[Step],
) -> Option<(&'v mut Json, &'s JSONSchemaProps)> {
    let Some((first, rest)) = steps.split_first() else {
        return Some((value, schema));
    };
    match first {
        Step::Key(key) => walk_mut(value.get_mut(key)?, child_schema(schema, key)?, rest),
        Step::Index(i) => walk_mut(value.get_mut(*i)?, items_of(schema)?, rest),
    }
}

fn child_schema<'s>(schema: &'s JSONSchemaProps, key: &str) -> Option<&'s JSONSchemaProps> {
    match (&schema.properties, &schema.additional_properties) {
        (Some(properties), _) => properties.get(key),
        (None, Some(JSONSchemaPropsOrBool::Schema(values))) => Some(values),
        _ => None,
    }
}

/// An allowed value of `schema`'s type: its first enum value, its minimum, or an empty one
/// (objects get placeholders in their required fields).
fn placeholder(schema: &JSONSchemaProps) -> Json {
    if let Some(first) = schema.enum_.iter().flatten().next() {
        return first.0.clone();
    }
    match schema.type_.as_deref() {
        Some("string") => Json::String(String::new()),
        Some("integer") => Json::from(schema.minimum.map_or(0, |min| min.ceil() as i64)),
        Some("number") => Json::from(schema.minimum.unwrap_or_default()),
        Some("boolean") => Json::Bool(false),
        Some("array") => Json::Array(Vec::new()),
        _ => {
            let mut map = serde_json::Map::new();
            for required in schema.required.iter().flatten() {
                if let Some(child) = child_schema(schema, required) {
                    map.insert(required.clone(), placeholder(child));
                }
            }
            Json::Object(map)
        }
    }
}

/// The object of `kind` with the patched spec; `None` if it still cannot be read.
fn read_patched(
    kind: &str,
    document: &Json,
    spec: Json,
    default_namespace: &str,
) -> Option<Object> {
    let mut metadata: ObjectMeta =
        serde_json::from_value(document.get("metadata")?.clone()).ok()?;
    if metadata.name.as_deref().unwrap_or_default().is_empty() {
        return None;
    }
    if !matches!(kind, "PortalConnection" | "NotificationSink") && metadata.namespace.is_none() {
        metadata.namespace = Some(default_namespace.to_owned());
    }
    let object = match kind {
        "Tenant" => Object::Tenant(Tenant {
            metadata,
            spec: serde_json::from_value(spec).ok()?,
            status: None,
        }),
        "TenantAdmin" => Object::Admin(TenantAdmin {
            metadata,
            spec: serde_json::from_value(spec).ok()?,
            status: None,
        }),
        "ServiceBinding" => Object::Binding(ServiceBinding {
            metadata,
            spec: serde_json::from_value(spec).ok()?,
            status: None,
        }),
        "PortalConnection" => Object::Connection(PortalConnection {
            metadata,
            spec: serde_json::from_value(spec).ok()?,
            status: None,
        }),
        "NotificationSink" => Object::Sink(NotificationSink {
            metadata,
            spec: serde_json::from_value(spec).ok()?,
            status: None,
        }),
        _ => return None,
    };
    Some(object)
}
