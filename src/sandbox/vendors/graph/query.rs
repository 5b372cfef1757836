//! OData query pieces the emulator understands: one `$filter` clause, `$top`/`$skiptoken`
//! paging with `@odata.nextLink`, `$count`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::PREFIX;

/// One `$filter` clause the emulator understands: `prop eq 'v'` or `startswith(prop,'v')`.
pub(super) struct Clause {
    pub(super) property: String,
    pub(super) value: String,
    pub(super) prefix: bool,
}

pub(super) fn parse_filter(filter: &str) -> Option<Clause> {
    let f = filter.trim();
    let unquote = |v: &str| -> Option<String> {
        let v = v.trim();
        let inner = v.strip_prefix('\'')?.strip_suffix('\'')?;
        Some(inner.replace("''", "'"))
    };
    if let Some(args) = f
        .strip_prefix("startswith(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (property, value) = args.split_once(',')?;
        return Some(Clause {
            property: property.trim().to_owned(),
            value: unquote(value)?,
            prefix: true,
        });
    }
    let (property, value) = f.split_once(" eq ")?;
    Some(Clause {
        property: property.trim().to_owned(),
        value: unquote(value)?,
        prefix: false,
    })
}

pub(super) fn clause_matches(clause: &Clause, value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    if clause.prefix {
        value
            .to_ascii_lowercase()
            .starts_with(&clause.value.to_ascii_lowercase())
    } else {
        value.eq_ignore_ascii_case(&clause.value)
    }
}

/// A page of `items` from `$skiptoken`, with `@odata.nextLink` when more follow.
pub(super) fn page(
    headers: &HeaderMap,
    path: &str,
    q: &BTreeMap<String, String>,
    items: Vec<Value>,
    size: usize,
) -> Response {
    let top = q
        .get("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(size)
        .clamp(1, size);
    let skip = q
        .get("$skiptoken")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let chunk: Vec<Value> = items.into_iter().skip(skip).take(top).collect();
    let mut out = json!({"@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#{}", path.trim_start_matches('/')), "value": chunk});
    if q.get("$count").is_some_and(|c| c == "true") {
        out["@odata.count"] = total.into();
    }
    if skip + top < total {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost");
        let mut next = q.clone();
        next.insert("$skiptoken".into(), (skip + top).to_string());
        let query: Vec<String> = next
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        out["@odata.nextLink"] = format!("http://{host}{PREFIX}{path}?{}", query.join("&")).into();
    }
    Json(out).into_response()
}

pub(super) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
