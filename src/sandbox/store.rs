//! The SQLite store: one connection behind a mutex, used from blocking threads.
//!
//! Every write runs in one `IMMEDIATE` transaction that holds the side effect, its e-mails,
//! its operation and its idempotency record together: a crash after commit replays correctly
//! and a crash before commit leaves nothing behind.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::error::ApiError;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    portal TEXT NOT NULL,
    kind TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    deletion_policy TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    parent_id TEXT
);
CREATE INDEX IF NOT EXISTS objects_by_ref ON objects (portal, kind, external_ref);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects (parent_id);
CREATE INDEX IF NOT EXISTS objects_by_kind ON objects (portal, kind, seq);
CREATE INDEX IF NOT EXISTS objects_by_spec_user
    ON objects (portal, kind, lower(json_extract(spec, '$.user')));
CREATE INDEX IF NOT EXISTS objects_by_spec_did
    ON objects (portal, kind, lower(json_extract(spec, '$.did')));
CREATE INDEX IF NOT EXISTS objects_by_spec_admin_email
    ON objects (portal, kind, lower(json_extract(spec, '$.adminEmail')));
CREATE INDEX IF NOT EXISTS objects_by_spec_name
    ON objects (portal, kind, lower(json_extract(spec, '$.name')));
CREATE INDEX IF NOT EXISTS objects_by_spec_short_name
    ON objects (portal, kind, lower(json_extract(spec, '$.shortName')));
CREATE INDEX IF NOT EXISTS objects_by_status_code
    ON objects (portal, kind, lower(json_extract(status, '$.code')));
CREATE INDEX IF NOT EXISTS objects_by_status_upn
    ON objects (portal, kind, lower(json_extract(status, '$.upn')));
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    portal TEXT NOT NULL,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    not_before INTEGER,
    due_at INTEGER,
    run_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_due ON operations (due_at);
CREATE INDEX IF NOT EXISTS operations_by_object ON operations (object_id);
CREATE TABLE IF NOT EXISTS idempotency (
    credential TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    body BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (credential, key)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    object_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_recipient ON outbox (recipient);
CREATE TABLE IF NOT EXISTS microsoft_domains (domain TEXT PRIMARY KEY, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reseller_accounts (email TEXT PRIMARY KEY, role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dids (
    number TEXT PRIMARY KEY,
    purchased INTEGER NOT NULL,
    registered INTEGER NOT NULL,
    assigned_elsewhere INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS campaigns (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    registered INTEGER NOT NULL,
    dids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invitations (
    enterprise_id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    consent_steps INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS outbox_secrets (
    seq INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    data TEXT NOT NULL
);
"#;

/// Shared handle to the database.
#[derive(Clone)]
pub(crate) struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (and migrates) the database at `path`; `:memory:` keeps it in memory.
    pub fn open(path: &str) -> rusqlite::Result<Self> {
        let conn = if path == ":memory:" {
            Connection::open_in_memory()?
        } else {
            let conn = Connection::open(path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // Freed pages are zeroed: nothing deleted lingers in the file.
            conn.pragma_update(None, "secure_delete", "ON")?;
            conn
        };
        // TEMP tables (the e-mailed secrets, see `outbox`) and sort spills stay in memory,
        // never in a file.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn run<R, F>(&self, f: F) -> R
    where
        F: FnOnce(&mut Connection) -> R + Send + 'static,
        R: Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let task = tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut guard)
        });
        match task.await {
            Ok(value) => value,
            Err(err) => std::panic::resume_unwind(err.into_panic()),
        }
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub async fn write<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        self.run(move |conn| in_transaction(conn, f)).await
    }

    /// Reads with `f` (a transaction too, so a read sees one consistent snapshot).
    pub async fn read<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            f(&tx)
        })
        .await
    }
}

/// Runs `f` in an immediate transaction on `conn`.
pub(crate) fn in_transaction<R>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// The next value of the named counter (starts at 1).
pub(crate) fn next_counter(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<i64> {
    tx.query_row(
        "INSERT INTO counters (name, value) VALUES (?1, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        [name],
        |row| row.get(0),
    )
}

/// A persisted runtime setting (JSON text).
pub(crate) fn setting(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    tx.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()
}

pub(crate) fn set_setting(tx: &Transaction<'_>, name: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_from_one() {
        let store = Store::open(":memory:").unwrap();
        let mut conn = store.conn.lock().unwrap();
        let got: Vec<i64> = (0..3)
            .map(|_| in_transaction(&mut conn, |tx| Ok(next_counter(tx, "x")?)).unwrap())
            .collect();
        assert_eq!(got, vec![1, 2, 3]);
    }

    #[test]
    fn a_failed_transaction_leaves_nothing() {
        let store = Store::open(":memory:").unwrap();
        let mut conn = store.conn.lock().unwrap();
        let res: Result<(), ApiError> = in_transaction(&mut conn, |tx| {
            next_counter(tx, "x")?;
            Err(ApiError::internal("boom"))
        });
        assert!(res.is_err());
        let n = in_transaction(&mut conn, |tx| Ok(next_counter(tx, "x")?)).unwrap();
        assert_eq!(n, 1);
    }
}
