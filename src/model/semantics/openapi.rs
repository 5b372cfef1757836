//! Reading the table from the OpenAPI document: each kind's spec schema is found through its
//! create operation (`POST /v1/{portal}/{kind}` → request body → `spec`), then walked with
//! `$ref`, `oneOf`/`anyOf`/`allOf`, `properties` and `items` resolved.

use serde_json::Value;

use super::{FieldSemantics, Kind, Order, Semantics};

/// Why an OpenAPI document does not yield the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SemanticsError {
    /// The text is not YAML (or JSON).
    #[error("the contract is not YAML: {0}")]
    Syntax(String),
    /// A portal kind has no create operation whose body names a spec schema.
    #[error("no spec schema for {kind}: POST /v1/{kind} must take a body with a spec $ref")]
    NoSpec {
        /// The kind.
        kind: Kind,
    },
    /// A `$ref` that does not name a schema of the document.
    #[error("{reference} is not a schema of the document")]
    BadRef {
        /// The reference as written.
        reference: String,
    },
    /// A vendor extension with a value of the wrong type.
    #[error("{at}: {name} must be {expected}")]
    BadExtension {
        /// The schema path of the property.
        at: String,
        /// The extension's name.
        name: &'static str,
        /// What it must be.
        expected: &'static str,
    },
}

/// How deep `$ref`s may nest before the document counts as cyclic.
const MAX_DEPTH: usize = 32;

/// The table of the document `text`.
pub(super) fn read(text: &str) -> Result<Semantics, SemanticsError> {
    let doc: Value =
        serde_yaml::from_str(text).map_err(|e| SemanticsError::Syntax(e.to_string()))?;
    let mut specs = Vec::with_capacity(Kind::ALL.len());
    let mut destroys = Vec::with_capacity(Kind::ALL.len());
    for kind in Kind::ALL {
        let schema = spec_schema(&doc, kind).ok_or(SemanticsError::NoSpec { kind })?;
        specs.push(walk(&doc, schema, kind.path(), 0)?);
        destroys.push(destroys_data(schema, kind)?);
    }
    Ok(Semantics { specs, destroys })
}

/// `x-destroys-data` of a kind's spec schema: what a replacement of the object loses.
fn destroys_data(schema: &Value, kind: Kind) -> Result<Option<String>, SemanticsError> {
    match schema.get("x-destroys-data") {
        None => Ok(None),
        Some(Value::String(what)) if !what.trim().is_empty() => Ok(Some(what.clone())),
        Some(_) => Err(SemanticsError::BadExtension {
            at: kind.path().to_owned(),
            name: "x-destroys-data",
            expected: "what a replacement loses, as text",
        }),
    }
}

/// The spec schema of `kind`, through its create operation's request body.
fn spec_schema(doc: &Value, kind: Kind) -> Option<&Value> {
    let body = doc
        .get("paths")?
        .get(format!("/v1/{}", kind.path()))?
        .get("post")?
        .get("requestBody")?
        .get("content")?
        .get("application/json")?
        .get("schema")?;
    let body = resolve(doc, body.get("$ref")?.as_str()?)?;
    resolve(
        doc,
        body.get("properties")?.get("spec")?.get("$ref")?.as_str()?,
    )
}

/// The schema a local `$ref` (`#/components/schemas/Name`) names.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// The semantics of `schema` and everything beneath it; `at` names it in errors.
fn walk(
    doc: &Value,
    schema: &Value,
    at: &str,
    depth: usize,
) -> Result<FieldSemantics, SemanticsError> {
    let mut out = FieldSemantics::default();
    if depth > MAX_DEPTH {
        return Ok(out);
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = resolve(doc, reference).ok_or_else(|| SemanticsError::BadRef {
            reference: reference.to_owned(),
        })?;
        merge(&mut out, walk(doc, target, at, depth + 1)?);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        for branch in schema
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            merge(&mut out, walk(doc, branch, at, depth + 1)?);
        }
    }
    read_extensions(schema, at, &mut out)?;
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, property) in properties {
            let member = walk(doc, property, &format!("{at}.{name}"), depth + 1)?;
            merge_member(&mut out, name, member);
        }
    }
    if let Some(items) = schema.get("items") {
        let item = walk(doc, items, &format!("{at}[]"), depth + 1)?;
        match &mut out.items {
            Some(existing) => merge(existing, item),
            None => out.items = Some(Box::new(item)),
        }
    }
    Ok(out)
}

/// The extensions and `default` written on `schema` itself.
fn read_extensions(
    schema: &Value,
    at: &str,
    out: &mut FieldSemantics,
) -> Result<(), SemanticsError> {
    let bad = |name, expected| SemanticsError::BadExtension {
        at: at.to_owned(),
        name,
        expected,
    };
    match schema.get("x-case-insensitive") {
        None => {}
        Some(Value::Bool(b)) => out.case_insensitive |= b,
        Some(_) => return Err(bad("x-case-insensitive", "true or false")),
    }
    match schema.get("x-set") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => out.order = Order::Any,
        Some(Value::String(s)) if s == "after-first" => out.order = Order::FirstThenAny,
        Some(_) => return Err(bad("x-set", "true, false or after-first")),
    }
    match schema.get("x-immutable") {
        None => {}
        Some(Value::String(why)) if !why.trim().is_empty() => out.immutable = Some(why.clone()),
        Some(_) => return Err(bad("x-immutable", "the reason, as text")),
    }
    match schema.get("x-generated") {
        None => {}
        Some(Value::Bool(b)) => out.generated |= b,
        Some(_) => return Err(bad("x-generated", "true or false")),
    }
    if let Some(default) = schema.get("default") {
        out.default = Some(default.clone());
    }
    Ok(())
}

/// Adds what `from` says to `into` (a `$ref` target or a `oneOf` branch).
fn merge(into: &mut FieldSemantics, from: FieldSemantics) {
    into.case_insensitive |= from.case_insensitive;
    if from.order != Order::Significant {
        into.order = from.order;
    }
    if from.default.is_some() {
        into.default = from.default;
    }
    if from.immutable.is_some() {
        into.immutable = from.immutable;
    }
    into.generated |= from.generated;
    for (name, member) in from.members {
        merge_member(into, &name, member);
    }
    match (&mut into.items, from.items) {
        (Some(existing), Some(item)) => merge(existing, *item),
        (slot @ None, item) => *slot = item,
        (Some(_), None) => {}
    }
}

fn merge_member(into: &mut FieldSemantics, name: &str, member: FieldSemantics) {
    match into.members.get_mut(name) {
        Some(existing) => merge(existing, member),
        None => {
            into.members.insert(name.to_owned(), member);
        }
    }
}
