//! The e-mails the portals send: temporary passwords, invitation codes, notifications and
//! welcome messages. The outbox (`GET /sandbox/outbox`) is the only place a password or an
//! invitation code ever appears.
//!
//! Secrets at rest: the `outbox` table (on disk when the sandbox has a state file) holds each
//! secret value only as `(withheld)` and its SHA-256 (`<field>Sha256`, so a test can tell
//! which password was sent); the e-mail as sent lives in a TEMP table, in memory, written in
//! the same transaction. The sandbox process that sent an e-mail shows it whole; after a
//! restart the outbox shows the withheld form (docs/portal-contract.md).

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::clock::rfc3339_seconds;
use super::error::ApiError;

/// One delivered e-mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// `temporaryPassword`, `invitation`, `notification` or `welcome`.
    pub kind: String,
    /// The values a reader needs (`temporaryPassword`, `invitationCode`, ...).
    pub data: Value,
    pub object_id: Option<String>,
    pub created_at: String,
}

/// An e-mail to send.
pub(crate) struct Message<'a> {
    pub to: &'a str,
    pub subject: String,
    pub body: String,
    pub kind: &'static str,
    pub data: Value,
    pub object_id: Option<&'a str>,
}

/// Fields of an e-mail's `data` that are secrets.
const SECRET_FIELDS: [&str; 3] = ["temporaryPassword", "invitationCode", "password"];

/// What stands on disk in place of a secret.
pub(crate) const WITHHELD: &str = "(withheld)";

/// The hex SHA-256 of a secret: what the state file keeps of it.
pub(crate) fn fingerprint(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The e-mail's body and data with every secret withheld, or `None` when it holds none.
fn withhold(body: &str, data: &Value) -> Option<(String, Value)> {
    let mut data = data.clone();
    let object = data.as_object_mut()?;
    let mut body = body.to_owned();
    let mut any = false;
    for field in SECRET_FIELDS {
        let Some(secret) = object.get(field).and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        any = true;
        if !secret.is_empty() {
            body = body.replace(&secret, WITHHELD);
        }
        object.insert(
            format!("{field}Sha256"),
            Value::String(fingerprint(&secret)),
        );
        object.insert(field.to_owned(), Value::String(WITHHELD.to_owned()));
    }
    any.then_some((body, data))
}

/// Delivers an e-mail: its withheld form to the outbox table, the e-mail as sent to the
/// in-memory TEMP table, in the caller's transaction.
pub(crate) fn send(
    tx: &Transaction<'_>,
    now_ms: i64,
    message: Message<'_>,
) -> Result<(), ApiError> {
    let withheld = withhold(&message.body, &message.data);
    let (body, data) = match &withheld {
        Some((body, data)) => (body.clone(), data.to_string()),
        None => (message.body.clone(), message.data.to_string()),
    };
    tx.execute(
        "INSERT INTO outbox (recipient, subject, body, kind, data, object_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            message.to.to_lowercase(),
            message.subject,
            body,
            message.kind,
            data,
            message.object_id,
            rfc3339_seconds(now_ms)
        ],
    )?;
    if withheld.is_some() {
        tx.execute(
            "INSERT INTO temp.outbox_secrets (seq, body, data) VALUES (?1, ?2, ?3)",
            params![
                tx.last_insert_rowid(),
                message.body,
                message.data.to_string()
            ],
        )?;
    }
    Ok(())
}

/// Every e-mail in send order, or only those to `to` (case-insensitive).
pub(crate) fn list(tx: &Transaction<'_>, to: Option<&str>) -> Result<Vec<Email>, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT o.seq, o.recipient, o.subject, coalesce(s.body, o.body), o.kind,
                coalesce(s.data, o.data), o.object_id, o.created_at
         FROM outbox o LEFT JOIN temp.outbox_secrets s ON s.seq = o.seq
         WHERE ?1 IS NULL OR o.recipient = ?1 ORDER BY o.seq",
    )?;
    let rows = stmt.query_map([to.map(str::to_lowercase)], |r| {
        let data: String = r.get(5)?;
        Ok(Email {
            id: r.get(0)?,
            to: r.get(1)?,
            subject: r.get(2)?,
            body: r.get(3)?,
            kind: r.get(4)?,
            data: serde_json::from_str(&data).unwrap_or(Value::Null),
            object_id: r.get(6)?,
            created_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_withheld_with_their_fingerprint() {
        let (body, data) = withhold(
            "Temporary password: Pa55-word!\n",
            &json!({"upn": "j@k.example", "temporaryPassword": "Pa55-word!"}),
        )
        .unwrap_or_else(|| panic!("nothing withheld"));
        assert_eq!(body, "Temporary password: (withheld)\n");
        assert_eq!(data["temporaryPassword"], WITHHELD);
        assert_eq!(data["temporaryPasswordSha256"], fingerprint("Pa55-word!"));
        assert_eq!(data["upn"], "j@k.example");
        assert!(withhold("hello", &json!({"app": "Meet"})).is_none());
    }
}
