//! `Idempotency-Key`, server side (DESIGN.md §7).
//!
//! - A replay of a completed request returns the stored status and body byte for byte and
//!   executes nothing (the answer carries `Idempotent-Replayed: true`).
//! - The same key while the first request is in flight: `409 IdempotencyKeyInUse`.
//! - The same key with a different request (method, path or canonical JSON body):
//!   `422 IdempotencyKeyReused`.
//! - Keys are scoped by credential (a digest of the bearer token, never the token).
//! - Only successful (2xx) answers are recorded: an error releases the key, so a retry after
//!   the cause is fixed executes. The record is written in the transaction of the change.
//! - Records are kept for the configured TTL (24 hours by default).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The credential a key is scoped by: a digest of the bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Credential(pub String);

impl Credential {
    pub fn from_token(token: &str) -> Self {
        let digest = Sha256::digest(token.as_bytes());
        Self(hex(&digest[..16]))
    }

    /// The first 12 hex digits: names the caller in the request log, never the token.
    pub fn short(&self) -> String {
        self.0.chars().take(12).collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the syntax of a key: 1 to 255 visible ASCII characters.
pub(crate) fn parse_key(raw: &str) -> Result<String, ApiError> {
    if raw.is_empty() || raw.len() > 255 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "InvalidIdempotencyKey",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(raw.to_owned())
}

/// The digest that tells two requests apart: method, path and the canonical JSON body.
pub(crate) fn request_hash(method: &str, path: &str, body: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(canonical(body).as_bytes());
    hex(&hasher.finalize())
}

/// JSON with object keys sorted at every level.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

type ClaimMap = HashMap<(Credential, String), String>;

/// Keys whose first request is executing.
#[derive(Default)]
pub(crate) struct Claims {
    inflight: Arc<Mutex<ClaimMap>>,
}

/// Holds a key while its request executes; releases it when dropped.
pub(crate) struct Claim {
    inflight: Arc<Mutex<ClaimMap>>,
    entry: (Credential, String),
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.entry);
    }
}

impl Claims {
    /// Claims `key` for a request with `hash`, or says why not.
    pub fn claim(&self, cred: &Credential, key: &str, hash: &str) -> Result<Claim, ApiError> {
        let mut map = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = (cred.clone(), key.to_owned());
        if let Some(existing) = map.get(&entry) {
            return Err(if existing == hash { in_use() } else { reused() });
        }
        map.insert(entry.clone(), hash.to_owned());
        Ok(Claim {
            inflight: Arc::clone(&self.inflight),
            entry,
        })
    }
}

fn in_use() -> ApiError {
    ApiError::conflict(
        "IdempotencyKeyInUse",
        "a request with this Idempotency-Key is still being processed; retry after it completes",
    )
}

fn reused() -> ApiError {
    ApiError::unprocessable(
        "IdempotencyKeyReused",
        "this Idempotency-Key was used for a different request; use a new key for a new request",
    )
}

/// A recorded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// The recorded answer of `key`, if it is younger than the TTL; `422` when it was recorded
/// for a different request.
pub(crate) fn lookup(
    tx: &Transaction<'_>,
    cred: &Credential,
    key: &str,
    hash: &str,
    oldest_ms: i64,
) -> Result<Option<Recorded>, ApiError> {
    let row: Option<(String, u16, Option<String>, Vec<u8>)> = tx
        .query_row(
            "SELECT request_hash, status, location, body FROM idempotency
             WHERE credential = ?1 AND key = ?2 AND created_ms >= ?3",
            params![cred.0, key, oldest_ms],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some((stored, ..)) if stored != hash => Err(reused()),
        Some((_, status, location, body)) => Ok(Some(Recorded {
            status,
            location,
            body,
        })),
    }
}

pub(crate) fn record(
    tx: &Transaction<'_>,
    cred: &Credential,
    key: &str,
    hash: &str,
    now_ms: i64,
    answer: &Recorded,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT OR REPLACE INTO idempotency
         (credential, key, request_hash, status, location, body, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            cred.0,
            key,
            hash,
            answer.status,
            answer.location,
            answer.body,
            now_ms
        ],
    )?;
    Ok(())
}

/// Forgets records older than the TTL.
pub(crate) fn purge_expired(tx: &Transaction<'_>, ttl_ms: i64) -> Result<(), ApiError> {
    tx.execute(
        "DELETE FROM idempotency WHERE created_ms < ?1",
        [super::clock::now_ms() - ttl_ms],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_ignores_key_order_but_not_values() {
        let a = request_hash("POST", "/v1/x", &json!({"a": 1, "b": {"c": 2, "d": 3}}));
        let b = request_hash("POST", "/v1/x", &json!({"b": {"d": 3, "c": 2}, "a": 1}));
        let c = request_hash("POST", "/v1/x", &json!({"a": 2, "b": {"c": 2, "d": 3}}));
        let d = request_hash("PUT", "/v1/x", &json!({"a": 1, "b": {"c": 2, "d": 3}}));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn claims_conflict_until_released() {
        let claims = Claims::default();
        let cred = Credential::from_token("t");
        let first = claims.claim(&cred, "k", "h1").unwrap();
        assert_eq!(
            claims.claim(&cred, "k", "h1").err().unwrap().code,
            "IdempotencyKeyInUse"
        );
        assert_eq!(
            claims.claim(&cred, "k", "h2").err().unwrap().code,
            "IdempotencyKeyReused"
        );
        let other = Credential::from_token("u");
        assert!(claims.claim(&other, "k", "h1").is_ok());
        drop(first);
        assert!(claims.claim(&cred, "k", "h1").is_ok());
    }

    #[test]
    fn key_syntax() {
        assert!(parse_key("abc-123").is_ok());
        assert!(parse_key("").is_err());
        assert!(parse_key("a b").is_err());
        assert!(parse_key(&"x".repeat(256)).is_err());
    }
}
