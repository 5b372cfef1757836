//! Request bodies: JSON parsing with field paths, typed specs, and secrets.
//!
//! Secret fields (`password`, `passwordConfirmation`) are write-only: they are read into a
//! [`Secret`], stripped before a spec is stored, and scrubbed out of every error message.

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// The write-only fields of every spec.
pub(crate) const SECRET_FIELDS: &[&str] = &["password", "passwordConfirmation"];

/// A secret value from a request. It has no `Display` and its `Debug` hides the value.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub(crate) struct Secret(String);

impl Secret {
    /// The value, for the checks and the e-mail that need it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive)")
    }
}

/// Parses a body; an empty body is `null`.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|err| {
        ApiError::bad_request(
            "MalformedJson",
            format!(
                "the body is not valid JSON (line {}, column {}); send a JSON object",
                err.line(),
                err.column()
            ),
        )
    })
}

/// Every secret value in a body (at any depth), for scrubbing.
pub(crate) fn secrets_in(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(v, &mut out);
    out
}

fn collect(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if SECRET_FIELDS.contains(&k.as_str()) {
                    match v {
                        Value::String(s) if !s.is_empty() => out.push(s.clone()),
                        Value::Null => {}
                        other => out.push(other.to_string()),
                    }
                } else {
                    collect(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// Replaces every secret value in `message` with `(sensitive)`.
pub(crate) fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        if !secret.is_empty() {
            out = out.replace(secret.as_str(), "(sensitive)");
        }
    }
    out
}

/// Requires a JSON object: serde would also read a struct from an array (`[]`).
pub(crate) fn require_object(value: &Value, field: &str) -> Result<(), ApiError> {
    if value.is_object() {
        Ok(())
    } else {
        Err(
            ApiError::bad_request("InvalidRequest", format!("{field} must be a JSON object"))
                .field(field),
        )
    }
}

/// Deserializes `value` into `T`; a problem is `400 InvalidRequest` naming the field
/// (`{prefix}.{path}`), with secrets kept out of the message.
pub(crate) fn typed<T: DeserializeOwned>(value: &Value, prefix: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize::<_, T>(integral(value)).map_err(|err| {
        let path = err.path().to_string();
        let field = match (prefix, path.as_str()) {
            (p, ".") => p.to_owned(),
            ("", path) => path.to_owned(),
            (p, path) => format!("{p}.{path}"),
        };
        let last = field.rsplit('.').next().unwrap_or("");
        let message = if SECRET_FIELDS.contains(&last) {
            format!("{field} must be a string")
        } else {
            scrub(&err.inner().to_string(), &secrets_in(value))
        };
        let error = ApiError::bad_request("InvalidRequest", message);
        if field.is_empty() {
            error
        } else {
            error.field(field)
        }
    })
}

/// Largest integer an `f64` holds exactly (2^53).
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// A copy of `v` with integral numbers written as floats (`2.0`) turned into integers: JSON
/// Schema (and so the OpenAPI document) counts `2.0` as an integer, serde does not.
fn integral(v: &Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() <= EXACT_F64 => {
                // Exact: |f| <= 2^53 and integral, so the cast loses nothing.
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "checked integral and in range"
                )]
                let i = f as i64;
                Value::from(i)
            }
            _ => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(integral).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), integral(v))).collect())
        }
        other => other.clone(),
    }
}

/// A copy of `spec` without its secret fields: what is stored and returned.
pub(crate) fn without_secrets(spec: &Value) -> Value {
    let mut out = spec.clone();
    if let Value::Object(map) = &mut out {
        for field in SECRET_FIELDS {
            map.remove(*field);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[expect(dead_code, reason = "fields are only deserialized")]
    struct Spec {
        name: String,
        password: Option<Secret>,
        count: Option<u32>,
    }

    #[test]
    fn errors_name_the_field_and_hide_secrets() {
        let err = typed::<Spec>(&json!({"name": "x", "count": "many"}), "spec").unwrap_err();
        assert_eq!(err.code, "InvalidRequest");
        assert_eq!(err.field.as_deref(), Some("spec.count"));

        let err = typed::<Spec>(&json!({"name": "x", "password": 123456789}), "spec").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("spec.password"));
        assert!(!err.message.contains("123456789"), "{}", err.message);

        let err = typed::<Spec>(
            &json!({"name": "Hunter2!x", "password": "Hunter2!x", "extra": 1}),
            "spec",
        )
        .unwrap_err();
        assert!(err.message.contains("extra"), "{}", err.message);

        let err = typed::<Spec>(&json!({"name": 5, "password": "5"}), "spec").unwrap_err();
        assert!(!err.message.contains('5'), "{}", err.message);
    }

    #[test]
    fn secrets_are_stripped_and_debug_hides_them() {
        let spec = json!({"name": "x", "password": "p", "passwordFingerprint": "f"});
        assert_eq!(
            without_secrets(&spec),
            json!({"name": "x", "passwordFingerprint": "f"})
        );
        let parsed: Spec = typed(
            &spec
                .as_object()
                .map(|m| {
                    let mut m = m.clone();
                    m.remove("passwordFingerprint");
                    Value::Object(m)
                })
                .unwrap(),
            "spec",
        )
        .unwrap();
        assert_eq!(format!("{:?}", parsed.password), "Some((sensitive))");
    }

    #[test]
    fn integral_floats_are_integers() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Counts {
            small: u32,
            signed: i64,
            ratio: f64,
        }
        let parsed: Counts =
            typed(&json!({"small": 7.0, "signed": -3.0, "ratio": 0.5}), "").unwrap();
        assert_eq!(
            parsed,
            Counts {
                small: 7,
                signed: -3,
                ratio: 0.5
            }
        );
        let err = typed::<Counts>(&json!({"small": 7.5, "signed": 1, "ratio": 1}), "").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("small"));
        assert_eq!(integral(&json!([1e300, 2.0])), json!([1e300, 2]));
    }

    #[test]
    fn malformed_json() {
        assert_eq!(parse_json(b"{").unwrap_err().code, "MalformedJson");
        assert_eq!(parse_json(b"  ").unwrap(), Value::Null);
    }
}
