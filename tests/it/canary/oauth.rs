//! OAuth2 connections (issue 15): client secrets, refresh tokens and every token the sandbox's
//! identity endpoint issues, through the binary and through the controller. The token
//! requests go through the recording proxy, so the test knows each issued access and refresh
//! token and searches every channel for it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tenantry::api::{Declared, Portal, PortalConnection, Sensitive};
use tenantry::controller::reconcile_connection;
use tenantry::sandbox::{Sandbox, SandboxConfig};

use super::controller::{Logs, admin_with_secret, describe, reconcile_once, secret};
use super::wire::Wire;
use super::{Search, canary};
use crate::controller::fixtures::*;
use crate::support::{examples_copy, sandbox, tenantry_in as tenantry};

/// Tokens that outlive a run (the test time scale makes an hour a fraction of a second).
const LONG: Duration = Duration::from_secs(3600 * 10_000);

/// The secrets of the two connections.
struct Credentials {
    client_secret: String,
    mitel_secret: String,
    refresh_token: String,
}

impl Credentials {
    fn new() -> Self {
        Self {
            client_secret: canary("ClientSecret"),
            mitel_secret: canary("MitelSecret"),
            refresh_token: canary("Refresh"),
        }
    }

    /// A sandbox that knows both clients and the refresh token.
    fn sandbox_config(&self) -> SandboxConfig {
        let mut config = SandboxConfig::default()
            .with_oauth_client("tenantry-app", self.client_secret.as_str())
            .with_oauth_client("mitel-app", self.mitel_secret.as_str())
            .with_token_lifetime(LONG);
        config.identity.refresh_tokens = Some(vec![Sensitive::new(self.refresh_token.as_str())]);
        config
    }

    fn search(&self) -> Search {
        let mut search = Search::default();
        search.secret("default's client secret", self.client_secret.as_str());
        search.secret("mitel's client secret", self.mitel_secret.as_str());
        search.secret("mitel's refresh token", self.refresh_token.as_str());
        search
    }
}

/// `default`: client credentials (v2.0) at `url`, serving all but CloudLink and delegating it
/// to `mitel`: a confidential client's refresh token (v1) at the same `url`.
fn connections(url: &str, default_portals: &[&str]) -> (PortalConnection, PortalConnection) {
    let default = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "default", "generation": 1},
        "spec": {"url": url, "portals": default_portals, "delegates": [{"name": "mitel"}],
                 "auth": {"clientCredentials": {
                     "tokenUrl": format!("{url}/contoso.onmicrosoft.com/oauth2/v2.0/token"),
                     "clientId": "tenantry-app",
                     "clientSecretRef": {"namespace": "tenantry-system", "name": "default-app", "key": "clientSecret"},
                     "scope": "api://tenantry/.default"}}}
    }));
    let mitel = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "mitel", "generation": 1},
        "spec": {"url": url, "portals": ["cloudlink"],
                 "auth": {"refreshToken": {
                     "tokenUrl": format!("{url}/partner.onmicrosoft.com/oauth2/token"),
                     "clientId": "mitel-app",
                     "clientSecretRef": {"namespace": "tenantry-system", "name": "mitel-app", "key": "clientSecret"},
                     "refreshTokenRef": {"namespace": "tenantry-system", "name": "mitel-consent", "key": "refreshToken"},
                     "resource": "api://cloudlink"}}}
    }));
    (default, mitel)
}

fn secret_manifest(name: &str, key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: tenantry-system}}\n\
         type: Opaque\nstringData:\n  {key}: \"{value}\"\n"
    )
}

/// The connections and their Secrets as manifests, with `refresh` as mitel's refresh token.
fn manifests(url: &str, c: &Credentials, refresh: &str) -> String {
    let (default, mitel) = connections(url, &["daas", "contactcenter", "teammate", "apps"]);
    let yaml = |c: &PortalConnection| serde_yaml::to_string(c).unwrap_or_else(|e| panic!("{e}"));
    [
        yaml(&default),
        yaml(&mitel),
        secret_manifest("default-app", "clientSecret", &c.client_secret),
        secret_manifest("mitel-app", "clientSecret", &c.mitel_secret),
        secret_manifest("mitel-consent", "refreshToken", refresh),
    ]
    .join("---\n")
}

/// Every issued token is a secret; there must be some, or the search proves nothing.
fn add_issued(search: &mut Search, wire: &Wire) {
    let issued = wire.issued_tokens();
    let access = issued.iter().filter(|t| t.starts_with("sbx-at-")).count();
    let refresh = issued.iter().filter(|t| t.starts_with("sbx-rt-")).count();
    assert!(
        access >= 2 && refresh >= 1,
        "{access} access and {refresh} refresh tokens issued"
    );
    for (i, token) in issued.iter().enumerate() {
        search.secret(format!("issued token #{i}"), token.as_str());
    }
    let forms: Vec<String> = wire.exchanges().into_iter().map(|e| e.form).collect();
    for grant in ["client_credentials", "refresh_token"] {
        assert!(
            forms
                .iter()
                .any(|f| f.contains(&format!("grant_type={grant}")) && f.contains("client_secret=")),
            "no {grant} request with a client secret crossed the proxy"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_oauth_secret_or_issued_token_reaches_any_channel_of_the_cli() {
    let c = Credentials::new();
    let sb = sandbox(c.sandbox_config()).await;
    let wire = Wire::start(&sb.url()).await;
    let (tmp, dir) = examples_copy();
    let mut search = c.search();
    let connection = dir.join("connection.yaml");
    let write = |text: String| {
        std::fs::write(&connection, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write(manifests(wire.url(), &c, &c.refresh_token));

    let mut runs = Vec::new();
    for format in ["text", "json", "markdown"] {
        let plan = tenantry(tmp.path(), &["plan", "-f", "examples/", "-o", format]).await;
        assert_eq!(plan.code, 2, "{}", plan.all());
        runs.push((format!("plan -o {format}"), plan));
    }
    let apply = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    runs.push(("apply".to_owned(), apply));
    let again = tenantry(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(again.code, 0, "converged: {}", again.all());
    runs.push(("the converged plan".to_owned(), again));

    // A refresh token the endpoint refuses: the error names the Secret, not the value.
    let wrong = canary("WrongRefresh");
    search.secret("a refused refresh token", wrong.as_str());
    write(manifests(wire.url(), &c, &wrong));
    let refused = tenantry(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(refused.code, 1, "{}", refused.all());
    for needle in ["invalid_grant", "Secret tenantry-system/mitel-consent"] {
        assert!(
            refused.stderr.contains(needle),
            "{needle}: {}",
            refused.stderr
        );
    }
    runs.push(("a refused refresh token".to_owned(), refused));

    assert!(
        runs.iter().all(|(_, r)| r.stderr.contains("TRACE")),
        "every run logged at trace level"
    );
    for (name, run) in runs {
        search.channel(format!("{name} (stdout)"), run.stdout);
        search.channel(format!("{name} (stderr, trace logs)"), run.stderr);
    }
    add_issued(&mut search, &wire);
    let contract: Vec<String> = wire
        .exchanges()
        .into_iter()
        .filter(|e| e.path.starts_with("/v1/"))
        .map(|e| e.authorization)
        .collect();
    assert!(
        contract.len() > 20 && contract.iter().all(|a| a.starts_with("Bearer sbx-at-")),
        "every contract call carried an issued token"
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
}

#[test]
fn no_oauth_secret_or_issued_token_reaches_any_channel_of_the_controller() {
    // As in the bearer-token test: the portal and the proxy on their own runtime, so the
    // captured log holds the controller's lines only.
    let portal_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let c = Credentials::new();
    let (sandbox, wire) = portal_runtime.block_on(async {
        let sandbox = Sandbox::start(c.sandbox_config())
            .await
            .unwrap_or_else(|e| panic!("sandbox: {e}"));
        let wire = Wire::start(&sandbox.url()).await;
        (sandbox, wire)
    });
    let (logs, _capture, runtime) = Logs::capture();
    let mut search = runtime.block_on(controller_scenario(sandbox, &wire, &c));
    let log = logs.text();
    assert!(
        log.contains(" TRACE ") && log.contains("invalid_grant"),
        "the capture holds trace lines and the refused refresh"
    );
    search.channel("the controller's log at trace level", log);
    add_issued(&mut search, &wire);
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
    drop(runtime);
    drop(portal_runtime);
}

async fn controller_scenario(sandbox: Sandbox, wire: &Wire, c: &Credentials) -> Search {
    let mut search = c.search();
    let admin_password = canary("Admin");
    search.secret("jroe's password (Secret)", admin_password.as_str());
    let mut t = tenant("kenton", "Apply", "Delete");
    t.spec.portals = vec![Portal::CloudLink, Portal::Daas];
    let (default, mitel) = connections(wire.url(), &["daas"]);
    let jroe = admin_with_secret();
    let h = Harness::with_sandbox(
        sandbox,
        vec![ready(&t)],
        vec![jroe.clone()],
        Vec::new(),
        vec![default.clone(), mitel.clone()],
    );
    h.api.add_object(&default);
    h.api.add_object(&mitel);
    let credentials = |refresh: &str| Declared {
        secrets: [
            secret(
                "tenantry-system",
                "default-app",
                "clientSecret",
                &c.client_secret,
            ),
            secret(
                "tenantry-system",
                "mitel-app",
                "clientSecret",
                &c.mitel_secret,
            ),
            secret("tenantry-system", "mitel-consent", "refreshToken", refresh),
            secret(NS, "kenton-admin", "password", &admin_password),
        ]
        .into_iter()
        .collect(),
        ..Declared::default()
    };
    h.api.add_secrets(&credentials(&c.refresh_token));

    for connection in [&default, &mitel] {
        reconcile_connection(Arc::new(connection.clone()), Arc::clone(&h.ctx))
            .await
            .unwrap_or_else(|e| panic!("{}", describe(&e)));
    }
    reconcile_once(&h, &t).await.expect("the tenant");
    reconcile_once(&h, &jroe).await.expect("jroe");
    // Every token expires: the next calls are refused once and get new ones.
    crate::sandbox::Client::new(&h.sandbox)
        .post("/sandbox/identity/expire", &json!({}))
        .await;
    let stored: tenantry::api::Tenant = h.api.get(NS, "kenton").expect("the tenant");
    reconcile_once(&h, &stored)
        .await
        .expect("a resync after expiry");

    // The consent is revoked (a refresh token the endpoint refuses): the client is rebuilt
    // from the changed Secret and the refusal reported, naming the Secret only.
    let wrong = canary("WrongRefresh");
    search.secret("a refused refresh token", wrong.as_str());
    h.api.add_secrets(&credentials(&wrong));
    reconcile_connection(Arc::new(mitel.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    let status = h.api.last_status().expect("mitel's status");
    let ready = &status["conditions"][0];
    assert_eq!(ready["status"], "False", "{status}");
    assert_eq!(ready["reason"], "AuthenticationFailed", "{status}");
    assert!(
        ready["message"]
            .as_str()
            .is_some_and(|m| m.contains("mitel-consent")),
        "names the Secret to renew: {status}"
    );
    let failed = reconcile_once(&h, &stored)
        .await
        .expect_err("the refresh token is refused");
    assert!(failed.contains("mitel-consent"), "{failed}");
    search.channel("the refused reconcile's error", failed);

    let calls = h.api.calls();
    assert!(
        calls.iter().any(|c| c.path.ends_with("/events")) && h.api.last_status().is_some(),
        "events and status were written"
    );
    for (i, call) in calls.iter().enumerate() {
        search.channel(
            format!("API call {i}: {} {}", call.method, call.path),
            format!("{}?{} {}", call.path, call.query, call.body),
        );
    }
    search.channel("/metrics", h.ctx.metrics.encode());
    search.channel("the controller's context (Debug)", format!("{:?}", h.ctx));
    search
}
