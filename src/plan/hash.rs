//! The plan hash: sha256 over a canonical text of the actions, so approvals pin exact changes.

use std::fmt::Write;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::action::{Action, FieldValue};

/// Format tag of the canonical text; bump it when the text changes.
const FORMAT: &str = "tenantry-plan/v1";

/// sha256 (64 hex digits) of the canonical form of `actions`.
///
/// The form covers each action's kind, address and id and each change's field, before and
/// after values (JSON with sorted keys), the replacement flag and secret fingerprints, so any
/// difference in what would be written changes the hash. Orphans and phases are reports only.
pub fn plan_hash(actions: &[Action]) -> String {
    let mut text = String::new();
    text.push_str(FORMAT);
    text.push('\n');
    for a in actions {
        let _ = writeln!(
            text,
            "{} {} {}",
            a.kind.as_str(),
            a.address,
            a.id.as_deref().unwrap_or("-")
        );
        let _ = writeln!(text, " policy {:?}", a.deletion_policy);
        for c in &a.changes {
            text.push(' ');
            text.push_str(&c.field);
            text.push(' ');
            canonical_field(&mut text, &c.before);
            text.push(' ');
            canonical_field(&mut text, &c.after);
            let _ = writeln!(
                text,
                " {} {}",
                u8::from(c.forces_replacement),
                c.digest.as_deref().unwrap_or("")
            );
        }
    }
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn canonical_field(out: &mut String, v: &FieldValue) {
    match v {
        FieldValue::Absent => out.push_str("<absent>"),
        FieldValue::Sensitive => out.push_str("<sensitive>"),
        FieldValue::KnownAfterApply => out.push_str("<after-apply>"),
        FieldValue::Value(v) => canonical_json(out, v),
    }
}

/// JSON with object keys sorted, whatever the map implementation preserves.
pub(crate) fn canonical_json(out: &mut String, v: &Value) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(k) {
                    canonical_json(out, v);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}
