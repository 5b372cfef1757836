//! The log of contract requests (`GET /sandbox/requests`): tests count writes with it to
//! prove that a retry made no duplicate.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// How many requests the log keeps (the oldest go first).
const CAPACITY: usize = 100_000;

/// One request to a `/v1` route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    /// The route template (`/v1/daas/customers/{id}`).
    pub route: String,
    /// The status sent; `None` when the connection was dropped.
    pub status: Option<u16>,
    pub idempotency_key: Option<String>,
    /// The answer was a stored idempotent replay.
    pub replayed: bool,
    /// The injected fault: `latency`, `rateLimited`, `serverError`, `clientError`, `dropped`,
    /// `commitThenDrop`, `commitThenTimeout`, `commitThenStall` or `equivalentData`.
    pub fault: Option<String>,
    /// Who called: the first 12 hex digits of the credential's digest (never the token);
    /// `None` without a bearer token.
    pub caller: Option<String>,
    /// When the request arrived, in milliseconds since the sandbox started (monotonic).
    pub received_ms: u64,
    /// When the answer was handed to the connection (or the connection was given up).
    pub answered_ms: u64,
    /// The `Retry-After` seconds the answer carried.
    pub retry_after: Option<u64>,
}

impl LoggedRequest {
    /// A write: anything but `GET`.
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

#[derive(Default)]
pub(crate) struct RequestLog {
    inner: Mutex<(u64, VecDeque<LoggedRequest>)>,
}

impl RequestLog {
    pub fn push(&self, mut entry: LoggedRequest) {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0 += 1;
        entry.seq = guard.0;
        if guard.1.len() == CAPACITY {
            guard.1.pop_front();
        }
        guard.1.push_back(entry);
    }

    pub fn entries(&self) -> Vec<LoggedRequest> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.1.iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .clear();
    }
}

/// Requests per `METHOD route`.
pub(crate) fn counts(entries: &[LoggedRequest]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in entries {
        *out.entry(format!("{} {}", e.method, e.route)).or_default() += 1;
    }
    out
}

/// Write requests (`POST`, `PUT`, `DELETE`) per route.
pub(crate) fn writes(entries: &[LoggedRequest]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in entries.iter().filter(|e| e.is_write()) {
        *out.entry(e.route.clone()).or_default() += 1;
    }
    out
}

/// Requests per caller (`anonymous` without a bearer token).
pub(crate) fn callers(entries: &[LoggedRequest]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in entries {
        let caller = e.caller.clone().unwrap_or_else(|| "anonymous".to_owned());
        *out.entry(caller).or_default() += 1;
    }
    out
}
