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
    /// The injected fault: `latency`, `rateLimited`, `serverError`, `dropped`, `commitThenDrop`.
    pub fault: Option<String>,
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
