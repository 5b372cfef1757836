//! Counting in the sandbox: portal objects per kind, objects sharing an `externalRef` within a
//! kind (duplicates), read straight from its SQLite file; and the injected faults, from its
//! request log.

use std::collections::BTreeMap;
use std::path::Path;

use crate::sandbox::LoggedRequest;
use rusqlite::{Connection, OpenFlags};

/// A portal object that exists more than once: portal, kind, externalRef and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// `daas`, `teammate`, ...
    pub portal: String,
    /// `customers`, `admins`, ...
    pub kind: String,
    /// The shared `externalRef`.
    pub external_ref: String,
    /// Objects carrying it.
    pub count: u64,
}

/// The store at the end of a run.
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// Objects per `portal/kind`.
    pub objects: BTreeMap<String, u64>,
    /// Every externalRef held by more than one object of a kind.
    pub duplicates: Vec<Duplicate>,
}

impl Store {
    /// All portal objects.
    pub fn total(&self) -> u64 {
        self.objects.values().sum()
    }
}

/// Reads the sandbox's database file (a second, read-only connection; the sandbox may run).
pub fn store(db: &Path) -> rusqlite::Result<Store> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut objects = BTreeMap::new();
    let mut stmt =
        conn.prepare("SELECT portal, kind, count(*) FROM objects GROUP BY portal, kind")?;
    for row in stmt.query_map([], |r| {
        Ok((
            format!("{}/{}", r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        ))
    })? {
        let (kind, n) = row?;
        objects.insert(kind, n);
    }
    let mut stmt = conn.prepare(
        "SELECT portal, kind, external_ref, count(*) FROM objects
         GROUP BY portal, kind, external_ref HAVING count(*) > 1 ORDER BY 1, 2, 3",
    )?;
    let duplicates = stmt
        .query_map([], |r| {
            Ok(Duplicate {
                portal: r.get(0)?,
                kind: r.get(1)?,
                external_ref: r.get(2)?,
                count: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Store {
        objects,
        duplicates,
    })
}

/// Contract requests and the faults injected into them.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Contract requests received.
    pub requests: u64,
    /// Writes among them (POST, PUT, PATCH, DELETE).
    pub writes: u64,
    /// Injected faults by name (`rateLimited`, `serverError`, `dropped`, `commitThenDrop`).
    pub faults: BTreeMap<String, u64>,
    /// The sandbox log had dropped its oldest entries: the counts are a lower bound.
    pub cut: bool,
}

impl Traffic {
    /// Every injected fault (latency excluded).
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }
}

/// Counts the request log of a sandbox that served only this run.
pub fn traffic(log: &[LoggedRequest]) -> Traffic {
    let mut t = Traffic {
        cut: log.first().is_some_and(|r| r.seq > 1),
        ..Traffic::default()
    };
    for r in log {
        t.requests += 1;
        if r.method != "GET" {
            t.writes += 1;
        }
        if let Some(fault) = r.fault.as_deref().filter(|f| *f != "latency") {
            *t.faults.entry(fault.to_owned()).or_default() += 1;
        }
    }
    t
}
