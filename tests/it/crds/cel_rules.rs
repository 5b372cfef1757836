//! The CRDs' `x-kubernetes-validations` rules, run with the `cel` crate the way the API
//! server runs them: each rule with `self` bound to the value at its schema node, and
//! transition rules (those naming `oldSelf`) only on updates where the old value exists.
//!
//! A rule that reads an object whose schema gives CEL no type (no properties, no
//! additionalProperties schema, no `x-kubernetes-preserve-unknown-fields`) fails to evaluate
//! with the API server's error ([`UNTYPED_OBJECT`], issue 13), which the `cel` crate alone
//! would evaluate happily; what a rule reads is taken from its `self.a.b` paths. That is the
//! older API servers' behaviour (a real 1.28.3 gives this error); 1.36 types such an object as
//! an empty one.
//! The stricter one is kept, since the CRDs support 1.25 and later.
//!
//! What the `cel` crate cannot do, and so is not tested here: the API server's type check
//! (emulated for field names only, by [`unknown_references`]), its cost estimator (the
//! structural tests require every string and list in a spec to be bounded instead), and the
//! Kubernetes-only libraries (`isSorted`, `url`, `quantity`, regex `find`), which no rule uses.
//! This is an emulation, not the API server's code: no Go toolchain or Kubernetes server
//! binary can be fetched on the build machines (docs/controller.md, "Tests").

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use cel::{Context, Env, Value};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrBool,
};
use serde_json::Value as Json;

use super::admission::{items_of, join};

/// One rule at one schema node of one kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleSite {
    /// Kind of the CRD.
    pub kind: String,
    /// Path of the schema node (`spec.azureAD`); empty for the object itself; `[]` for list items.
    pub path: String,
    /// The CEL expression.
    pub rule: String,
    /// The message the API server returns when the rule is false.
    pub message: String,
}

impl RuleSite {
    /// A transition rule compares with the stored object and runs on updates only.
    pub fn is_transition(&self) -> bool {
        mentions_old_self(&self.rule)
    }
}

impl std::fmt::Display for RuleSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.path.is_empty() {
            "(object)"
        } else {
            &self.path
        };
        write!(f, "{} {at}: `{}`", self.kind, self.rule)
    }
}

/// One evaluation of a rule on one object.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The rule.
    pub site: RuleSite,
    /// Where `self` was bound in the object, e.g. `spec.azureAD`.
    pub at: String,
    /// True when the rule held.
    pub passed: bool,
}

fn mentions_old_self(rule: &str) -> bool {
    static OLD_SELF: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"\boldSelf\b").expect("static regex"));
    OLD_SELF.is_match(rule)
}

/// The schema of a CRD's (only) version.
pub fn root_schema(crd: &CustomResourceDefinition) -> &JSONSchemaProps {
    crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .expect("every CRD has a schema")
}

/// Every rule of a CRD with the path of its schema node, depth first.
pub fn rule_sites(crd: &CustomResourceDefinition) -> Vec<(RuleSite, &JSONSchemaProps)> {
    let mut sites = Vec::new();
    collect(&crd.spec.names.kind, root_schema(crd), "", &mut sites);
    sites
}

fn collect<'a>(
    kind: &str,
    schema: &'a JSONSchemaProps,
    path: &str,
    sites: &mut Vec<(RuleSite, &'a JSONSchemaProps)>,
) {
    for rule in schema.x_kubernetes_validations.iter().flatten() {
        let site = RuleSite {
            kind: kind.to_owned(),
            path: path.to_owned(),
            rule: rule.rule.clone(),
            message: rule.message.clone().unwrap_or_default(),
        };
        sites.push((site, schema));
    }
    for (name, property) in schema.properties.iter().flatten() {
        collect(kind, property, &join(path, name), sites);
    }
    if let Some(items) = items_of(schema) {
        collect(kind, items, &format!("{path}[]"), sites);
    }
}

/// Field names a rule selects on `self` / `oldSelf` that its schema node does not have.
///
/// The API server type-checks rules against the schema when the CRD is created; the `cel`
/// crate is dynamically typed, so `has(self.typo)` would quietly be false here.
pub fn unknown_references(rule: &str, schema: &JSONSchemaProps, at_root: bool) -> Vec<String> {
    static SELECTION: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\b(?:self|oldSelf)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
            .expect("static regex")
    });
    let mut unknown = Vec::new();
    for found in SELECTION.captures_iter(rule) {
        let mut node = schema;
        let mut first = true;
        let mut segments = found[1].split('.').skip(1).peekable();
        while let Some(segment) = segments.next() {
            // At the root the API server declares apiVersion, kind and a metadata with only
            // name and generateName; a rule reading labels does not compile.
            if first && at_root && segment == "metadata" {
                if let Some(field) = segments.peek()
                    && !["name", "generateName"].contains(field)
                {
                    let variable = found[0].split('.').next().unwrap_or_default();
                    unknown.push(format!(
                        "{variable}.metadata.{field} (metadata has only name and generateName in CEL)"
                    ));
                }
                break;
            }
            if first && at_root && ["apiVersion", "kind"].contains(&segment) {
                break;
            }
            first = false;
            // Past the last object level the segment is a method (`startsWith`), not a field.
            let Some(properties) = &node.properties else {
                break;
            };
            match properties.get(segment) {
                Some(child) => node = child,
                None => {
                    unknown.push(format!("{} (no field `{segment}`)", &found[0]));
                    break;
                }
            }
        }
    }
    unknown
}

/// Evaluates every rule of a CRD on an (admitted) object, and on an update when `old` is given.
///
/// Errors when a rule does not compile or does not evaluate to a bool.
pub fn evaluate(
    crd: &CustomResourceDefinition,
    new: &Json,
    old: Option<&Json>,
) -> Result<Vec<Evaluation>, String> {
    let mut out = Vec::new();
    walk(
        &crd.spec.names.kind,
        root_schema(crd),
        "",
        "",
        new,
        old,
        &mut out,
    )?;
    Ok(out)
}

fn walk(
    kind: &str,
    schema: &JSONSchemaProps,
    path: &str,
    at: &str,
    new: &Json,
    old: Option<&Json>,
    out: &mut Vec<Evaluation>,
) -> Result<(), String> {
    for rule in schema.x_kubernetes_validations.iter().flatten() {
        let site = RuleSite {
            kind: kind.to_owned(),
            path: path.to_owned(),
            rule: rule.rule.clone(),
            message: rule.message.clone().unwrap_or_default(),
        };
        let old = match (site.is_transition(), old) {
            (false, _) => None,
            (true, Some(old)) => Some(old),
            (true, None) => continue,
        };
        // In the API server's words: "<error> evaluating rule: <message>".
        let passed = run(&site.rule, schema, new, old)
            .map_err(|e| format!("{site} at {at}: {e} evaluating rule: {}", site.message))?;
        out.push(Evaluation {
            site,
            at: at.to_owned(),
            passed,
        });
    }
    match new {
        Json::Object(map) => {
            for (name, property) in schema.properties.iter().flatten() {
                if let Some(child) = map.get(name) {
                    let old_child = old.and_then(|o| o.get(name));
                    walk(
                        kind,
                        property,
                        &join(path, name),
                        &join(at, name),
                        child,
                        old_child,
                        out,
                    )?;
                }
            }
        }
        Json::Array(items) => {
            if let Some(item_schema) = items_of(schema) {
                for (i, item) in items.iter().enumerate() {
                    // Old list items correlate only in map lists; no rule here needs that yet.
                    let at = format!("{at}[{i}]");
                    walk(
                        kind,
                        item_schema,
                        &format!("{path}[]"),
                        &at,
                        item,
                        None,
                        out,
                    )?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The environment of Kubernetes CEL (1.25+) that the `cel` crate has: the standard
/// library, its macros, and the strings extension.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension registers once");
    Arc::new(env)
});

fn run(
    rule: &str,
    schema: &JSONSchemaProps,
    new: &Json,
    old: Option<&Json>,
) -> Result<bool, String> {
    let program = ENV
        .compile(rule)
        .map_err(|e| format!("does not compile: {e}"))?;
    if let Some(path) = reads_untyped_object(rule, schema, new, old) {
        return Err(format!("fails to evaluate ({path}): {UNTYPED_OBJECT}"));
    }
    let mut context = Context::with_env(Arc::clone(&ENV));
    context.add_variable_from_value("self", to_cel(new));
    if let Some(old) = old {
        context.add_variable_from_value("oldSelf", to_cel(old));
    }
    match program.execute(&context) {
        Ok(Value::Bool(passed)) => Ok(passed),
        Ok(other) => Err(format!("evaluates to {other:?}, not a bool")),
        Err(err) => Err(format!("fails to evaluate: {err}")),
    }
}

/// What the API server answers when a rule reads an object whose schema gives CEL no type
/// (k8s.io/apiserver `UnstructuredToVal`): no properties, no additionalProperties schema and
/// no `x-kubernetes-preserve-unknown-fields`, e.g. an empty struct's `{type: object}`.
pub const UNTYPED_OBJECT: &str = "invalid object type, expected either Properties or \
                                  AdditionalProperties with Allows=true and non-empty Schema";

/// True when CEL cannot type a value of this object schema (see [`UNTYPED_OBJECT`]).
pub fn is_untyped_object(schema: &JSONSchemaProps) -> bool {
    schema.type_.as_deref() == Some("object")
        && schema.properties.as_ref().is_none_or(|p| p.is_empty())
        && !matches!(
            schema.additional_properties,
            Some(JSONSchemaPropsOrBool::Schema(_))
        )
        && schema.x_kubernetes_preserve_unknown_fields != Some(true)
        && schema.x_kubernetes_embedded_resource != Some(true)
}

/// The first value a rule reads whose schema gives CEL no type, as `self.a.b`.
///
/// The API server converts a value when a rule reaches it (`has()`, a selection, equality or
/// iteration of what contains it), so only the values on a rule's paths count: each
/// `self.a.b` / `oldSelf.a.b` selection, and all of the value where the selection ends (a
/// comparison or a macro may read any of it).
fn reads_untyped_object(
    rule: &str,
    schema: &JSONSchemaProps,
    new: &Json,
    old: Option<&Json>,
) -> Option<String> {
    static PATH: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\b(self|oldSelf)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)").expect("static regex")
    });
    for found in PATH.captures_iter(rule) {
        let Some(mut value) = (if &found[1] == "self" { Some(new) } else { old }) else {
            continue;
        };
        let mut node = schema;
        let mut path = found[1].to_owned();
        let mut present = true;
        for segment in found[2].split('.').skip(1) {
            if is_untyped_object(node) && value.is_object() {
                return Some(path);
            }
            let Some(child) = node.properties.as_ref().and_then(|p| p.get(segment)) else {
                // A field the schema does not declare (`metadata` at the root) reads none of
                // this object; past the last object level the segment is a method (`exists`),
                // which may read all of the value.
                present = node.properties.is_none();
                break;
            };
            match value.get(segment).filter(|v| !v.is_null()) {
                Some(child_value) => value = child_value,
                None => {
                    present = false;
                    break;
                }
            }
            node = child;
            path = format!("{path}.{segment}");
        }
        if present && let Some(below) = untyped_below(node, value, &path) {
            return Some(below);
        }
    }
    None
}

/// The first object in `value` (at or below `path`) whose schema gives CEL no type.
fn untyped_below(schema: &JSONSchemaProps, value: &Json, path: &str) -> Option<String> {
    match value {
        Json::Object(map) => {
            if is_untyped_object(schema) {
                return Some(path.to_owned());
            }
            let properties = schema.properties.as_ref()?;
            map.iter().find_map(|(key, child)| {
                untyped_below(properties.get(key)?, child, &format!("{path}.{key}"))
            })
        }
        Json::Array(items) => {
            let item_schema = items_of(schema)?;
            items
                .iter()
                .enumerate()
                .find_map(|(i, item)| untyped_below(item_schema, item, &format!("{path}[{i}]")))
        }
        _ => None,
    }
}

/// A JSON value as CEL sees it: integers are `int`, objects are maps with string keys.
/// (Objects CEL cannot type were answered for by [`reads_untyped_object`] before this.)
fn to_cel(value: &Json) -> Value {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(to_cel).collect::<Vec<_>>()),
        Json::Object(map) => Value::from(
            map.iter()
                .map(|(k, v)| (k.clone(), to_cel(v)))
                .collect::<HashMap<String, Value>>(),
        ),
    }
}
