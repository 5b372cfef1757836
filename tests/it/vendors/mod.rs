//! Issue 15 step 2: the vendor adapters against their emulators, through the binary and the
//! controller, and every request they sent checked against the vendor's description.

mod campaignregistry;
mod cloudlink;
mod connecttoteams;
mod emulators;
mod gdap;
mod graph;
pub(crate) mod partnercenter;
mod partnercenter_emulator;
mod pc_password;
mod spec_check;

use std::path::Path;

use serde_json::Value;
use tenantry::sandbox::{Sandbox, WireRequest};

use crate::support::{Run, tenantry_in};

/// Runs the binary in `dir` with the connections of the input and expects exit `code`.
pub(crate) async fn run(dir: &Path, args: &[&str], code: i32) -> Run {
    let out = tenantry_in(dir, args).await;
    assert_eq!(out.code, code, "{args:?}: {}", out.all());
    out
}

/// POSTs `body` to a `/sandbox/...` control endpoint: what "a person" or "the vendor" does in
/// a test; its answer, which must be a success.
pub(crate) async fn control(sb: &Sandbox, path: &str, body: &Value) -> Value {
    let answer = crate::sandbox::Client::new(sb).post(path, body).await;
    assert!(
        answer.status.is_success(),
        "{path}: {} {:#}",
        answer.status,
        answer.body
    );
    answer.body
}

/// Customers approve GDAP relationships at once and they are active at once: for the tests
/// whose subject is not the approval (tests/it/vendors/gdap.rs's is).
pub(crate) async fn customers_approve_gdap_at_once(sb: &Sandbox) {
    let answer = crate::sandbox::Client::new(sb)
        .put(
            "/sandbox/graph/settings",
            &serde_json::json!({"gdapAutoApprove": true, "gdapActivationMs": 0}),
        )
        .await;
    assert!(answer.status.is_success(), "{:#}", answer.body);
}

/// The requests `vendor`'s emulator received for `method path`.
pub(crate) fn calls(sb: &Sandbox, vendor: &str, method: &str, path: &str) -> Vec<WireRequest> {
    sb.wire_requests(vendor)
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}
