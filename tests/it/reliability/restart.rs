//! A restart spreads its first observations instead of bursting (issue 8, item 6): when the
//! controller starts, every object is reconciled at once; all their portal calls go through
//! the one budget of their PortalConnection, which admits them a few at a time at its rate.
//! Asserted on counts (the budget's counters and the sandbox's request log), not on time.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use tenantry::api::{NamespacedSecretRef, PortalConnection, PortalConnectionSpec, RateLimit};
use tenantry::controller::reconcile;
use tenantry::sandbox::{Sandbox, SandboxConfig};

use super::peak_per_second;
use crate::controller::fixtures::{Harness, NS, tenant};

const TENANTS: usize = 12;
const TOKEN: &str = "restart-token";

fn connection(url: String, limit: RateLimit) -> PortalConnection {
    PortalConnection::new(
        "default",
        PortalConnectionSpec {
            api: Default::default(),
            url,
            portals: Vec::new(),
            credentials_secret_ref: Some(NamespacedSecretRef {
                namespace: "tenantry-system".to_owned(),
                name: "portal-token".to_owned(),
                key: "token".to_owned(),
            }),
            auth: None,
            delegates: Vec::new(),
            rate_limit: limit,
            timeout_seconds: 10,
            attest_every: None,
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_reconciles_after_a_start_share_the_connection_budget() {
    let limit = RateLimit {
        requests_per_second: 10,
        burst: 2,
        max_concurrency: 2,
    };
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let conn = connection(sandbox.url(), limit.clone());
    let tenants: Vec<_> = (0..TENANTS)
        .map(|i| {
            let mut t = tenant(&format!("tenant-{i}"), "Apply", "Orphan");
            t.spec.display_name = format!("Tenant {i}");
            t
        })
        .collect();
    let h = Harness::with_sandbox(
        sandbox,
        tenants.clone(),
        Vec::new(),
        Vec::new(),
        vec![conn.clone()],
    );
    let token = serde_json::to_value(k8s_openapi::ByteString(TOKEN.as_bytes().to_vec()))
        .unwrap_or_default();
    h.api.load_secrets(BTreeMap::from([(
        "/api/v1/namespaces/tenantry-system/secrets/portal-token".to_owned(),
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "portal-token", "namespace": "tenantry-system"},
               "data": {"token": token}}),
    )]));

    // What the controller does on start: every object's first reconcile, all at once.
    let results = futures::future::join_all(
        tenants
            .iter()
            .map(|t| reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))),
    )
    .await;
    for (t, result) in tenants.iter().zip(results) {
        assert!(
            result.is_ok(),
            "{}: {result:?}",
            t.metadata.name.clone().unwrap_or_default()
        );
        let external_ref = format!("{NS}/{}", t.metadata.name.clone().unwrap_or_default());
        assert_eq!(
            h.sandbox
                .count_objects("cloudlink", "accounts", &external_ref)
                .await,
            1
        );
    }

    // The same client (and budget) the reconciles used: one per connection.
    let built = h.clients.built();
    let names: Vec<&str> = built.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["default"],
        "one client for the connection, shared by every reconcile"
    );
    let stats = built[0].1.budget().stats();
    let log = h.sandbox.requests();
    assert!(log.len() >= 3 * TENANTS, "{} requests", log.len());
    assert_eq!(
        stats.acquired,
        log.len() as u64,
        "every request the portal received went through the connection's budget"
    );
    assert!(
        stats.peak_in_flight <= u64::from(limit.max_concurrency),
        "{stats:?}"
    );
    assert!(
        stats.throttled > 0,
        "the start's burst was spread by the token bucket: {stats:?}"
    );
    let peak = peak_per_second(&log);
    let allowed = (limit.requests_per_second + limit.burst) as usize;
    assert!(
        peak <= allowed,
        "{peak} requests within one second; the budget admits {allowed}"
    );
    let callers: std::collections::BTreeSet<_> = log.iter().map(|e| e.caller.clone()).collect();
    assert_eq!(callers.len(), 1, "{callers:?}");
}
