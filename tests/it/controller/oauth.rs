//! The controller over OAuth2 connections and `spec.delegates` (issue 15 step 1): a Tenant in
//! two portals goes to two connections on two sandboxes, each authenticating at its own
//! identity endpoint (client credentials, refresh token); the PortalConnection `Ready` check
//! and the reconciles that follow share one token per connection while it is valid.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tenantry::api::{Declared, Portal, PortalConnection, SecretKey, Sensitive, Tenant};
use tenantry::controller::{reconcile, reconcile_connection};
use tenantry::sandbox::{LoggedRequest, Sandbox, SandboxConfig};

use super::fixtures::*;

const CLIENT_SECRET: &str = "controller-oauth-client-secret";
const REFRESH_TOKEN: &str = "controller-oauth-refresh-token";

fn token_requests(log: &[LoggedRequest]) -> usize {
    log.iter().filter(|r| r.route.contains("/oauth2/")).count()
}

/// Contract writes (not GET, not the identity endpoint), as `METHOD route`.
fn writes(log: &[LoggedRequest]) -> Vec<String> {
    log.iter()
        .filter(|r| r.method != "GET" && r.route.starts_with("/v1/"))
        .map(|r| format!("{} {}", r.method, r.route))
        .collect()
}

fn secret(declared: &mut Declared, name: &str, key: &str, value: &str) {
    declared.secrets.insert(
        SecretKey {
            namespace: "tenantry-system".to_owned(),
            name: name.to_owned(),
            key: key.to_owned(),
        },
        Sensitive::new(value),
    );
}

/// `default`: client credentials at `main`, serving DaaS, delegating CloudLink to `mitel`:
/// a refresh token at `mitel`'s sandbox.
fn connections(main: &Sandbox, mitel: &Sandbox) -> (PortalConnection, PortalConnection) {
    let default = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "default", "generation": 1},
        "spec": {"url": main.url(), "portals": ["daas"], "delegates": [{"name": "mitel"}],
                 "auth": {"clientCredentials": {
                     "tokenUrl": format!("{}/contoso.onmicrosoft.com/oauth2/v2.0/token", main.url()),
                     "clientId": "tenantry-app",
                     "clientSecretRef": {"namespace": "tenantry-system", "name": "default-app", "key": "clientSecret"},
                     "scope": "api://tenantry/.default"}}}
    }));
    let mitel = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "mitel", "generation": 1},
        "spec": {"url": mitel.url(), "portals": ["cloudlink"],
                 "auth": {"refreshToken": {
                     "tokenUrl": format!("{}/partner.onmicrosoft.com/oauth2/token", mitel.url()),
                     "clientId": "tenantry-app",
                     "refreshTokenRef": {"namespace": "tenantry-system", "name": "mitel-consent", "key": "refreshToken"},
                     "resource": "api://cloudlink"}}}
    }));
    (default, mitel)
}

fn ready_condition(h: &Harness) -> Value {
    let status = h.api.last_status().expect("a status patch");
    status["conditions"][0].clone()
}

#[tokio::test]
async fn a_tenant_routed_to_two_oauth_connections_converges_with_one_token_each() {
    // Tokens that outlive the test (the time scale would make an hour a fraction of a second).
    let long = Duration::from_secs(3600 * 10_000);
    let main = Sandbox::start(
        SandboxConfig::default()
            .with_oauth_client("tenantry-app", CLIENT_SECRET)
            .with_token_lifetime(long),
    )
    .await
    .expect("main sandbox");
    let mut mitel_config = SandboxConfig::default().with_token_lifetime(long);
    mitel_config.identity.refresh_tokens = Some(vec![Sensitive::new(REFRESH_TOKEN)]);
    let mitel = Sandbox::start(mitel_config).await.expect("mitel sandbox");
    let (default, delegate) = connections(&main, &mitel);

    let mut t: Tenant = tenant("kenton", "Apply", "Orphan");
    t.spec.portals = vec![Portal::CloudLink, Portal::Daas];
    let h = Harness::with_sandbox(
        main,
        vec![t.clone()],
        Vec::new(),
        Vec::new(),
        vec![default.clone(), delegate.clone()],
    );
    h.api.add_object(&default);
    h.api.add_object(&delegate);
    let mut declared = Declared::default();
    secret(&mut declared, "default-app", "clientSecret", CLIENT_SECRET);
    secret(
        &mut declared,
        "mitel-consent",
        "refreshToken",
        REFRESH_TOKEN,
    );
    h.api.add_secrets(&declared);

    // The Ready check goes through OAuth2: one token, one read of the served portal.
    reconcile_connection(Arc::new(default.clone()), Arc::clone(&h.ctx))
        .await
        .expect("connection reconcile");
    let ready = ready_condition(&h);
    assert_eq!(ready["status"], "True", "{ready}");
    assert_eq!(ready["reason"], "Connected", "{ready}");
    assert_eq!(token_requests(&h.sandbox.requests()), 1);
    assert!(
        mitel.requests().is_empty(),
        "the check reads only what default serves"
    );

    // The Tenant: DaaS to `default` (main), CloudLink to `mitel`.
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .expect("tenant reconcile");
    let main_writes = writes(&h.sandbox.requests());
    let mitel_writes = writes(&mitel.requests());
    assert!(
        !main_writes.is_empty() && main_writes.iter().all(|w| w.contains("/v1/daas/")),
        "{main_writes:?}"
    );
    assert!(
        !mitel_writes.is_empty() && mitel_writes.iter().all(|w| w.contains("/v1/cloudlink/")),
        "{mitel_writes:?}"
    );
    assert_eq!(
        mitel
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        1
    );
    assert_eq!(
        h.sandbox
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        0
    );

    // Converged: a resync of the Tenant as stored writes nothing to either portal.
    let current: Tenant = h.api.get(NS, "kenton").expect("the tenant is stored");
    reconcile(Arc::new(current), Arc::clone(&h.ctx))
        .await
        .expect("resync");
    assert_eq!(writes(&h.sandbox.requests()), main_writes, "main converged");
    assert_eq!(writes(&mitel.requests()), mitel_writes, "mitel converged");

    // The delegate's own check reuses its client's token.
    reconcile_connection(Arc::new(delegate), Arc::clone(&h.ctx))
        .await
        .expect("delegate reconcile");
    assert_eq!(ready_condition(&h)["status"], "True");

    // One token per connection for the checks and every reconcile since, all accepted.
    assert_eq!(token_requests(&h.sandbox.requests()), 1, "main's token");
    assert_eq!(token_requests(&mitel.requests()), 1, "mitel's token");
    for log in [h.sandbox.requests(), mitel.requests()] {
        assert!(log.iter().all(|r| r.status != Some(401)), "no call refused");
    }

    // Mitel's token expires early (a revocation, a clock jump): the next reconcile is refused
    // once, refreshes with the rotated refresh token and goes on.
    crate::sandbox::Client::new(&mitel)
        .post("/sandbox/identity/expire", &json!({}))
        .await;
    let current: Tenant = h.api.get(NS, "kenton").expect("the tenant is stored");
    reconcile(Arc::new(current), Arc::clone(&h.ctx))
        .await
        .expect("resync after expiry");
    assert_eq!(token_requests(&mitel.requests()), 2, "one new token");
    assert_eq!(
        mitel
            .requests()
            .iter()
            .filter(|r| r.status == Some(401))
            .count(),
        1,
        "refused once"
    );
    assert_eq!(writes(&mitel.requests()), mitel_writes, "still converged");
}
