//! A small check of sent requests against an OpenAPI 3.0 document: the operation exists
//! (method and path template), the auth scheme its security asks for, the request content
//! type, the body's required fields (through `$ref`) and top-level enums, required query
//! parameters. Enough to catch an adapter drifting from the vendor's wire API.

use serde_yaml::Value;
use tenantry::sandbox::WireRequest;

/// The problems of `req` against `doc`; empty when it conforms. `None` when the document has
/// no such path (the caller decides whether that path is a known assumption).
pub fn problems(doc: &Value, req: &WireRequest) -> Option<Vec<String>> {
    let (template, item) = doc["paths"]
        .as_mapping()?
        .iter()
        .find(|(t, _)| matches(t.as_str().unwrap_or(""), &req.path))?;
    let template = template.as_str().unwrap_or("").to_owned();
    let mut out = Vec::new();
    let op = &item[req.method.to_ascii_lowercase().as_str()];
    if op.is_null() {
        out.push(format!("{} {template}: no such operation", req.method));
        return Some(out);
    }
    let security = if op["security"].is_sequence() {
        &op["security"]
    } else {
        &doc["security"]
    };
    let scheme_name = security[0]
        .as_mapping()
        .and_then(|m| m.keys().next())
        .and_then(Value::as_str)
        .unwrap_or("");
    let wanted = doc["components"]["securitySchemes"][scheme_name]["scheme"]
        .as_str()
        .unwrap_or("");
    let sent = req.auth_scheme.clone().unwrap_or_default();
    if !wanted.is_empty() && !sent.eq_ignore_ascii_case(wanted) {
        out.push(format!(
            "{} {template}: Authorization {sent:?}, the document asks for {wanted}",
            req.method
        ));
    }
    for p in op["parameters"].as_sequence().into_iter().flatten() {
        let p = resolve(doc, p);
        if p["in"] == "query" && p["required"] == true {
            let name = p["name"].as_str().unwrap_or("");
            if !req.query.iter().any(|q| q == name) {
                out.push(format!("{} {template}: query {name} missing", req.method));
            }
        }
        // Required headers (Partner Center's MS-RequestId, MS-CorrelationId).
        if p["in"] == "header" && p["required"] == true {
            let name = p["name"].as_str().unwrap_or("");
            if !req.headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                out.push(format!("{} {template}: header {name} missing", req.method));
            }
        }
    }
    if let Some(content) = op["requestBody"]["content"].as_mapping() {
        let sent_type = req
            .content_type
            .clone()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match content.get(Value::from(sent_type.clone())) {
            None => out.push(format!(
                "{} {template}: content type {sent_type:?} not in the document",
                req.method
            )),
            Some(media) => {
                let schema = resolve(doc, &media["schema"]);
                check_body(
                    doc,
                    schema,
                    &req.body,
                    &format!("{} {template}", req.method),
                    &mut out,
                );
            }
        }
    }
    Some(out)
}

/// The body properties of `req` that its operation's request schema does not declare (for
/// documents complete enough to say, like Graph's): an adapter must not invent fields.
pub fn unknown_properties(doc: &Value, req: &WireRequest) -> Vec<String> {
    let Some((template, item)) = doc["paths"].as_mapping().and_then(|paths| {
        paths
            .iter()
            .find(|(t, _)| matches(t.as_str().unwrap_or(""), &req.path))
    }) else {
        return Vec::new();
    };
    let op = &item[req.method.to_ascii_lowercase().as_str()];
    let Some(content) = op["requestBody"]["content"].as_mapping() else {
        return Vec::new();
    };
    let Some(media) = content.values().next() else {
        return Vec::new();
    };
    let schema = resolve(doc, &media["schema"]);
    let (Some(props), Some(body)) = (schema["properties"].as_mapping(), req.body.as_object())
    else {
        return Vec::new();
    };
    body.keys()
        .filter(|k| !props.contains_key(Value::from(k.as_str())))
        .map(|k| {
            format!(
                "{} {}: {k} is not a property of the request schema",
                req.method,
                template.as_str().unwrap_or("")
            )
        })
        .collect()
}

fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let mut at = doc;
            for part in r.trim_start_matches("#/").split('/') {
                at = &at[part];
            }
            at
        }
        None => schema,
    }
}

fn check_body(
    doc: &Value,
    schema: &Value,
    body: &serde_json::Value,
    what: &str,
    out: &mut Vec<String>,
) {
    match schema["type"].as_str() {
        Some("object") => {
            let Some(obj) = body.as_object() else {
                out.push(format!("{what}: the body is not an object"));
                return;
            };
            for r in schema["required"].as_sequence().into_iter().flatten() {
                let name = r.as_str().unwrap_or("");
                if !obj.contains_key(name) {
                    out.push(format!("{what}: required field {name} missing"));
                }
            }
            if let Some(props) = schema["properties"].as_mapping() {
                for (name, prop) in props {
                    let name = name.as_str().unwrap_or("");
                    let prop = resolve(doc, prop);
                    // Nested objects' required fields too (through `$ref`).
                    if let Some(inner) = obj.get(name).filter(|v| v.is_object())
                        && prop["type"] == "object"
                    {
                        check_body(doc, prop, inner, &format!("{what}: {name}"), out);
                    }
                    let (Some(allowed), Some(value)) = (prop["enum"].as_sequence(), obj.get(name))
                    else {
                        continue;
                    };
                    if !allowed.iter().any(|a| a.as_str() == value.as_str()) {
                        out.push(format!("{what}: {name} {value} is not one of the enum"));
                    }
                }
            }
        }
        Some("string") if !body.is_string() => {
            out.push(format!("{what}: the body is not a string"));
        }
        _ => {}
    }
}
