//! The e-mails the portals send: temporary passwords, invitation codes, notifications and
//! welcome messages. The outbox (`GET /sandbox/outbox`) is the only place a password or an
//! invitation code ever appears.

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

pub(crate) fn send(
    tx: &Transaction<'_>,
    now_ms: i64,
    message: Message<'_>,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO outbox (recipient, subject, body, kind, data, object_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            message.to.to_lowercase(),
            message.subject,
            message.body,
            message.kind,
            message.data.to_string(),
            message.object_id,
            rfc3339_seconds(now_ms)
        ],
    )?;
    Ok(())
}

/// Every e-mail in send order, or only those to `to` (case-insensitive).
pub(crate) fn list(tx: &Transaction<'_>, to: Option<&str>) -> Result<Vec<Email>, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT seq, recipient, subject, body, kind, data, object_id, created_at FROM outbox
         WHERE ?1 IS NULL OR recipient = ?1 ORDER BY seq",
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
