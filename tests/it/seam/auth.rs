//! OAuth2 client credentials against the sandbox's identity endpoint: through the binary
//! (plan/apply, one token per run, a wrong secret) and through the contract client (an
//! expired token refreshed once on 401, a token about to expire replaced before use).

use std::time::Duration;

use serde_json::json;
use tenantry::api::Sensitive;
use tenantry::portal::{ClientConfig, Credential, Flow, Grant, HttpPortal, PortalApi};
use tenantry::sandbox::{LoggedRequest, Sandbox, SandboxConfig};

use super::{oauth_connection, write};
use crate::canary::canary;
use crate::support::{examples_copy, sandbox, tenantry_in};

fn token_requests(log: &[LoggedRequest]) -> usize {
    log.iter().filter(|r| r.route.contains("/oauth2/")).count()
}

fn grant(sandbox: &Sandbox, secret: &str) -> Credential {
    Credential::OAuth2(Grant {
        token_url: format!("{}/contoso/oauth2/v2.0/token", sandbox.url()),
        flow: Flow::ClientCredentials,
        client_id: Some("tenantry-app".into()),
        client_secret: Some(Sensitive::new(secret)),
        client_secret_source: Some("Secret tenantry-system/app key clientSecret".into()),
        scope: Some("api://tenantry/.default".into()),
        resource: None,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_apply_through_oauth_client_credentials_with_one_token_per_run() {
    let secret = canary("Client");
    let sb = sandbox(
        SandboxConfig::default()
            .with_oauth_client("tenantry-app", secret.clone())
            // 3 600 s × the test time scale would expire tokens within the run.
            .with_token_lifetime(Duration::from_secs(3600 * 10_000)),
    )
    .await;
    let (tmp, dir) = examples_copy();
    write(
        &dir.join("connection.yaml"),
        &oauth_connection("default", &sb.url(), "", &secret),
    );
    let plan = tenantry_in(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert_eq!(
        token_requests(&sb.requests()),
        1,
        "one token for the plan's reads"
    );
    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    let log = sb.requests();
    assert_eq!(
        token_requests(&log),
        2,
        "one more token for the whole apply"
    );
    let contract: Vec<&LoggedRequest> =
        log.iter().filter(|r| r.route.starts_with("/v1/")).collect();
    assert!(contract.len() > 20, "{} contract calls", contract.len());
    assert!(
        contract.iter().all(|r| r.status != Some(401)),
        "the issued token was accepted on every call"
    );
    let again = tenantry_in(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(again.code, 0, "converged: {}", again.all());
    for run in [&plan, &apply, &again] {
        assert!(!run.all().contains(&secret), "the client secret leaked");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_client_secret_names_the_connection_and_the_secret_but_not_the_value() {
    let sb =
        sandbox(SandboxConfig::default().with_oauth_client("tenantry-app", canary("Right"))).await;
    let wrong = canary("Wrong");
    let (tmp, dir) = examples_copy();
    write(
        &dir.join("connection.yaml"),
        &oauth_connection("default", &sb.url(), "", &wrong),
    );
    let plan = tenantry_in(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 1, "{}", plan.all());
    for needle in [
        "connection default",
        "invalid_client",
        "AADSTS7000215",
        "Secret tenantry-system/default-app key clientSecret",
        "hint:",
    ] {
        assert!(
            plan.stderr.contains(needle),
            "{needle:?} missing: {}",
            plan.stderr
        );
    }
    assert!(
        !plan.all().contains(&wrong),
        "the secret leaked: {}",
        plan.all()
    );
    assert_eq!(
        token_requests(&sb.requests()),
        1,
        "a refused secret is not retried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_replaced_once_on_401() {
    let secret = canary("Client");
    let sb = Sandbox::start(
        SandboxConfig::default()
            .with_oauth_client("tenantry-app", secret.clone())
            .with_token_lifetime(Duration::from_secs(3600 * 10_000)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let mut config = ClientConfig::new("oauth", sb.url());
    config.auth = Some(grant(&sb, &secret));
    let client = HttpPortal::new(config).unwrap_or_else(|e| panic!("{e}"));
    let clone = client.clone();
    let portal = tenantry::api::Portal::Daas;
    let filter = Default::default();
    for c in [&client, &clone, &client] {
        c.list(portal, "customers", &filter)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(client.token_requests(), 1, "clones share one cached token");
    let expired = crate::sandbox::Client::new(&sb)
        .post("/sandbox/identity/expire", &json!({}))
        .await;
    assert_eq!(expired.body["expired"], 1, "{:#}", expired.body);
    clone
        .list(portal, "customers", &filter)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(client.token_requests(), 2, "one new token after the 401");
    let refused = sb
        .requests()
        .iter()
        .filter(|r| r.status == Some(401))
        .count();
    assert_eq!(refused, 1, "one 401, then the call went through");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_about_to_expire_is_replaced_before_it_is_used() {
    let secret = canary("Client");
    // Default time scale: an hour becomes 0.36 s, `expires_in` 0: every call needs a new one.
    let sb =
        Sandbox::start(SandboxConfig::default().with_oauth_client("tenantry-app", secret.clone()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let mut config = ClientConfig::new("oauth", sb.url());
    config.auth = Some(grant(&sb, &secret));
    let client = HttpPortal::new(config).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        client
            .list(
                tenantry::api::Portal::Daas,
                "customers",
                &Default::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(client.token_requests(), 3);
    assert!(
        sb.requests().iter().all(|r| r.status != Some(401)),
        "refreshed ahead of expiry, never refused"
    );
}
