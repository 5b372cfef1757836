//! Routing: a Tenant's connection and its `delegates` each serve some portals; every call of
//! a run goes to the connection serving its portal (the CLI and the controller alike).

use std::time::Duration;

use tenantry::sandbox::SandboxConfig;

use super::{oauth_connection, secret_manifest, write};
use crate::canary::canary;
use crate::support::{examples_copy, sandbox, tenantry_in};

#[tokio::test(flavor = "multi_thread")]
async fn two_connections_serve_different_portals_of_one_run() {
    let main = sandbox(SandboxConfig::default()).await;
    let secret = canary("Mitel");
    let mitel = sandbox(
        SandboxConfig::default()
            .with_oauth_client("tenantry-app", secret.clone())
            .with_token_lifetime(Duration::from_secs(3600 * 10_000)),
    )
    .await;
    let (tmp, dir) = examples_copy();
    // `default` (bearer token) serves four portals and delegates CloudLink to `mitel`
    // (OAuth2 client credentials), which serves only CloudLink.
    let token = canary("Token");
    let connections = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  portals: [daas, contactcenter, teammate, apps]\n  delegates: [{{name: mitel}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{}",
        main.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token),
        oauth_connection("mitel", &mitel.url(), "  portals: [cloudlink]\n", &secret),
    );
    write(&dir.join("connection.yaml"), &connections);
    // The plan names where each change goes, in text and JSON.
    let plan = tenantry_in(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    let account = plan
        .stdout
        .lines()
        .find(|l| l.contains("# cloudlink/accounts "))
        .unwrap_or_default();
    assert!(
        account.contains("will be created via mitel (contract)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("\nConnections: default (contract): daas/customers, "),
        "{}",
        plan.stdout
    );
    let json = tenantry_in(tmp.path(), &["plan", "-f", "examples/", "-o", "json"]).await;
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    for action in doc["actions"].as_array().into_iter().flatten() {
        let wanted = if action["portal"] == "cloudlink" {
            "mitel"
        } else {
            "default"
        };
        assert_eq!(action["connection"]["name"], wanted, "{action}");
        assert_eq!(action["connection"]["api"], "contract", "{action}");
    }
    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    let routes = |log: Vec<tenantry::sandbox::LoggedRequest>| -> Vec<String> {
        let mut portals: Vec<String> = log
            .iter()
            .filter(|r| r.route.starts_with("/v1/") && !r.route.starts_with("/v1/operations"))
            .map(|r| r.route.split('/').nth(2).unwrap_or_default().to_owned())
            .collect();
        portals.sort();
        portals.dedup();
        portals
    };
    assert_eq!(
        routes(mitel.requests()),
        ["cloudlink"],
        "CloudLink went to mitel"
    );
    assert_eq!(
        routes(main.requests()),
        ["apps", "contactcenter", "daas", "teammate"],
        "the rest went to default"
    );
    assert!(
        mitel
            .count_objects("cloudlink", "accounts", "customers/kenton-electronics")
            .await
            >= 1
    );
    assert_eq!(
        main.count_objects("cloudlink", "accounts", "customers/kenton-electronics")
            .await,
        0
    );
    let again = tenantry_in(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(
        again.code,
        0,
        "converged across both connections: {}",
        again.all()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_portal_no_connection_serves_is_named_before_anything_is_sent() {
    let main = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let connection = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  portals: [daas, contactcenter, teammate, apps]\n",
        main.url()
    );
    write(&dir.join("connection.yaml"), &connection);
    let plan = tenantry_in(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.stderr
            .contains("no PortalConnection of this run serves cloudlink (tried default)"),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("spec.delegates"), "{}", plan.stderr);
    assert!(main.requests().is_empty());
}
