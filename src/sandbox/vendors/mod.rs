//! Emulators of the vendors' own wire APIs (issue 15), served on the sandbox's port beside
//! the contract, each under its own prefix, and the log of what they received.

use std::sync::{Mutex, PoisonError};

use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state::Shared;

pub mod campaignregistry;
pub mod cloudlink;
pub mod connecttoteams;
pub mod graph;
pub mod partnercenter;

/// One request a vendor emulator received, for the tests' check against the vendor's
/// published description: method, path, query names, content type, auth scheme and body
/// (JSON bodies as sent; form bodies as field names only, since they carry secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRequest {
    /// The emulator (`c2t`, ...).
    pub vendor: String,
    /// HTTP method.
    pub method: String,
    /// The vendor path without the emulator's prefix, e.g. `/reseller/newEnterprise`.
    pub path: String,
    /// Query parameter names.
    pub query: Vec<String>,
    /// `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// `Basic`, `Bearer` or `None`.
    pub auth_scheme: Option<String>,
    /// Header names, lower-case (values may be secrets).
    pub headers: Vec<String>,
    /// The body (see above).
    pub body: Value,
}

/// Every request the vendor emulators received, in order.
#[derive(Default)]
pub(crate) struct WireLog(Mutex<Vec<WireRequest>>);

impl WireLog {
    /// The requests `vendor`'s emulator received.
    pub fn of(&self, vendor: &str) -> Vec<WireRequest> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|r| r.vendor == vendor)
            .cloned()
            .collect()
    }
}

/// Records one request of `vendor`'s emulator.
pub(crate) fn record(
    shared: &Shared,
    vendor: &str,
    method: &str,
    path: &str,
    query: Vec<String>,
    headers: &HeaderMap,
    body: Value,
) {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let auth_scheme =
        text(header::AUTHORIZATION).and_then(|v| v.split_whitespace().next().map(str::to_owned));
    let request = WireRequest {
        vendor: vendor.to_owned(),
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        content_type: text(header::CONTENT_TYPE),
        auth_scheme,
        headers: headers.keys().map(|k| k.as_str().to_owned()).collect(),
        body,
    };
    shared
        .wire
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
}
