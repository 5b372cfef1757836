//! The object envelope and its rows: `{id, externalRef, deletionPolicy, version, createdAt,
//! updatedAt, spec, status}`.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ApiError;

/// What happens to the portal object when its declaration disappears (recorded for clients).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeletionPolicy {
    #[default]
    Orphan,
    Delete,
}

impl DeletionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Orphan => "Orphan",
            Self::Delete => "Delete",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "Delete" {
            Self::Delete
        } else {
            Self::Orphan
        }
    }
}

/// A stored portal object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object {
    pub id: String,
    pub portal: String,
    pub kind: String,
    pub external_ref: String,
    pub deletion_policy: DeletionPolicy,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub spec: Value,
    pub status: Value,
    pub parent_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    id: &'a str,
    external_ref: &'a str,
    deletion_policy: DeletionPolicy,
    version: i64,
    created_at: &'a str,
    updated_at: &'a str,
    spec: &'a Value,
    status: &'a Value,
}

impl Object {
    /// The wire form.
    pub fn envelope(&self) -> Value {
        serde_json::to_value(Envelope {
            id: &self.id,
            external_ref: &self.external_ref,
            deletion_policy: self.deletion_policy,
            version: self.version,
            created_at: &self.created_at,
            updated_at: &self.updated_at,
            spec: &self.spec,
            status: &self.status,
        })
        .unwrap_or(Value::Null)
    }

    /// A string field of the spec.
    pub fn spec_str(&self, field: &str) -> &str {
        self.spec.get(field).and_then(Value::as_str).unwrap_or("")
    }

    /// A string field of the status.
    pub fn status_str(&self, field: &str) -> &str {
        self.status.get(field).and_then(Value::as_str).unwrap_or("")
    }

    pub fn phase(&self) -> &str {
        self.status_str("phase")
    }

    pub fn set_status(&mut self, field: &str, value: impl Into<Value>) {
        if let Value::Object(map) = &mut self.status {
            map.insert(field.to_owned(), value.into());
        }
    }

    pub fn remove_status(&mut self, field: &str) {
        if let Value::Object(map) = &mut self.status {
            map.remove(field);
        }
    }
}

const COLUMNS: &str = "id, portal, kind, external_ref, deletion_policy, version, created_at, \
                       updated_at, spec, status, parent_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Object> {
    let policy: String = row.get(4)?;
    let spec: String = row.get(8)?;
    let status: String = row.get(9)?;
    Ok(Object {
        id: row.get(0)?,
        portal: row.get(1)?,
        kind: row.get(2)?,
        external_ref: row.get(3)?,
        deletion_policy: DeletionPolicy::parse(&policy),
        version: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
        spec: serde_json::from_str(&spec).unwrap_or(Value::Null),
        status: serde_json::from_str(&status).unwrap_or(Value::Null),
        parent_id: row.get(10)?,
    })
}

pub(crate) fn insert(tx: &Transaction<'_>, o: &Object) -> Result<(), ApiError> {
    tx.execute(
        &format!(
            "INSERT INTO objects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ),
        params![
            o.id,
            o.portal,
            o.kind,
            o.external_ref,
            o.deletion_policy.as_str(),
            o.version,
            o.created_at,
            o.updated_at,
            o.spec.to_string(),
            o.status.to_string(),
            o.parent_id
        ],
    )?;
    Ok(())
}

/// Writes back a changed object (the caller sets version and updatedAt).
pub(crate) fn save(tx: &Transaction<'_>, o: &Object) -> Result<(), ApiError> {
    tx.execute(
        "UPDATE objects SET deletion_policy = ?2, version = ?3, updated_at = ?4, spec = ?5,
         status = ?6 WHERE id = ?1",
        params![
            o.id,
            o.deletion_policy.as_str(),
            o.version,
            o.updated_at,
            o.spec.to_string(),
            o.status.to_string()
        ],
    )?;
    Ok(())
}

pub(crate) fn remove(tx: &Transaction<'_>, id: &str) -> Result<(), ApiError> {
    tx.execute("DELETE FROM objects WHERE id = ?1", [id])?;
    Ok(())
}

/// The object with this id, of any kind.
pub(crate) fn by_id(tx: &Transaction<'_>, id: &str) -> Result<Option<Object>, ApiError> {
    Ok(tx
        .query_row(
            &format!("SELECT {COLUMNS} FROM objects WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

/// The object with this id when it is of portal/kind.
pub(crate) fn get(
    tx: &Transaction<'_>,
    portal: &str,
    kind: &str,
    id: &str,
) -> Result<Option<Object>, ApiError> {
    Ok(by_id(tx, id)?.filter(|o| o.portal == portal && o.kind == kind))
}

/// Objects of portal/kind whose parent is `parent_id`.
pub(crate) fn children_of_kind(
    tx: &Transaction<'_>,
    portal: &str,
    kind: &str,
    parent_id: &str,
) -> Result<Vec<Object>, ApiError> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {COLUMNS} FROM objects WHERE parent_id = ?1 AND portal = ?2 AND kind = ?3
         ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params![parent_id, portal, kind], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count_children(tx: &Transaction<'_>, parent_id: &str) -> Result<i64, ApiError> {
    Ok(tx.query_row(
        "SELECT count(*) FROM objects WHERE parent_id = ?1",
        [parent_id],
        |r| r.get(0),
    )?)
}

/// Objects of portal/kind whose spec (or status) field equals `value`, ignoring case.
pub(crate) fn find_by_field(
    tx: &Transaction<'_>,
    portal: &str,
    kind: &str,
    part: Part,
    field: &str,
    value: &str,
) -> Result<Vec<Object>, ApiError> {
    let column = match part {
        Part::Spec => "spec",
        Part::Status => "status",
    };
    // The path is written into the SQL (not bound) so that the expression indexes of the
    // schema apply; field names are the rules' own constants.
    if !field.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::internal("invalid field name"));
    }
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM objects WHERE portal = ?1 AND kind = ?2
         AND lower(json_extract({column}, '$.{field}')) = lower(?3) ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params![portal, kind, value], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which part of the envelope `find_by_field` looks in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part {
    Spec,
    Status,
}

/// A list filter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub external_ref: Option<String>,
    pub external_ref_prefix: Option<String>,
}

/// One page of objects in creation order after the cursor position `after_seq`.
/// Returns the objects and the position of the last one.
pub(crate) fn page(
    tx: &Transaction<'_>,
    portal: &str,
    kind: &str,
    filter: &Filter,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<(i64, Object)>, ApiError> {
    // `?4 IS NULL OR external_ref = ?4` cannot use an index: a lookup by externalRef (one per
    // object in a controller's reconcile) would scan the kind, so it gets its own statement.
    let by_ref = if filter.external_ref.is_some() {
        "external_ref = ?4"
    } else {
        "?4 IS NULL"
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS}, seq FROM objects WHERE portal = ?1 AND kind = ?2 AND seq > ?3
         AND {by_ref}
         AND (?5 IS NULL OR substr(external_ref, 1, length(?5)) = ?5)
         ORDER BY seq LIMIT ?6"
    ))?;
    let rows = stmt.query_map(
        params![
            portal,
            kind,
            after_seq,
            filter.external_ref,
            filter.external_ref_prefix,
            limit as i64
        ],
        |r| Ok((r.get::<_, i64>(11)?, from_row(r)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many objects of portal/kind carry `external_ref` (tests assert "no duplicates").
pub(crate) fn count_by_ref(
    tx: &Transaction<'_>,
    portal: &str,
    kind: &str,
    external_ref: &str,
) -> Result<i64, ApiError> {
    Ok(tx.query_row(
        "SELECT count(*) FROM objects WHERE portal = ?1 AND kind = ?2 AND external_ref = ?3",
        params![portal, kind, external_ref],
        |r| r.get(0),
    )?)
}

/// Every object, for the store-unchanged checks of tests.
pub(crate) fn count_all(tx: &Transaction<'_>) -> Result<i64, ApiError> {
    Ok(tx.query_row("SELECT count(*) FROM objects", [], |r| r.get(0))?)
}
