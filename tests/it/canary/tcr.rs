//! The Campaign Registry connection (issue 15): its API secret (sent as HTTP Basic on every
//! call) reaches no channel of the CLI at trace level (plan in every format, apply while the
//! campaign waits and after it is accepted, a refused secret), nor the controller's status.

use serde_json::json;
use tenantry::sandbox::SandboxConfig;

use super::{Search, canary};
use crate::support::{examples_copy, sandbox, tenantry_in as tenantry};

const KEY: &str = "CANARYAPIKEY01";

/// `default` (contract, bearer token) delegating apps/campaigns to `campaignregistry`.
fn manifests(url: &str, token: &str, secret: &str) -> String {
    format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {url}\n  portals: [daas, contactcenter, teammate, apps, cloudlink]\n\
         \x20 delegates: [{{name: campaignregistry}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n\
         apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: campaignregistry}}\n\
         spec:\n  api: campaignRegistry\n  url: {url}/tcr/v2\n  portals: [apps]\n  auth:\n    apiKey:\n\
         \x20     keyRef: {{namespace: tenantry-system, name: tcr, key: apiKey}}\n\
         \x20     secretRef: {{namespace: tenantry-system, name: tcr, key: apiSecret}}\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata: {{name: portal-token, namespace: tenantry-system}}\n\
         type: Opaque\nstringData:\n  token: \"{token}\"\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata: {{name: tcr, namespace: tenantry-system}}\n\
         type: Opaque\nstringData:\n  apiKey: \"{KEY}\"\n  apiSecret: \"{secret}\"\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn no_tcr_api_secret_reaches_any_channel_of_the_cli() {
    let secret = canary("TcrSecret");
    let token = canary("Token");
    let sb = sandbox(SandboxConfig::default().with_tcr_api_key(KEY, secret.as_str())).await;
    let client = crate::sandbox::Client::new(&sb);
    for (path, body) in [
        (
            "/sandbox/tcr/brands",
            json!({"brandId": "BKENTON", "identityStatus": "VERIFIED"}),
        ),
        (
            "/sandbox/tcr/campaigns",
            json!({"campaignId": "CA1B2C3", "brandId": "BKENTON"}),
        ),
    ] {
        assert!(client.post(path, &body).await.status.is_success(), "{path}");
    }
    let (tmp, dir) = examples_copy();
    let connection = dir.join("connection.yaml");
    let write = |text: String| std::fs::write(&connection, text).unwrap_or_else(|e| panic!("{e}"));
    write(manifests(&sb.url(), &token, &secret));
    let mut search = Search::default();
    search.secret("the TCR API secret", secret.as_str());
    search.secret("the contract token", token.as_str());

    let mut runs = Vec::new();
    for format in ["text", "json", "markdown"] {
        let plan = tenantry(tmp.path(), &["plan", "-f", "examples/", "-o", format]).await;
        assert_eq!(plan.code, 2, "{}", plan.all());
        runs.push((format!("plan -o {format}"), plan));
    }
    let waiting = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert!(
        waiting.stdout.contains("AwaitingCarrierApproval"),
        "{}",
        waiting.all()
    );
    runs.push(("apply while the campaign waits".to_owned(), waiting));
    let accepted = client
        .post(
            "/sandbox/tcr/sharing",
            &json!({"campaignId": "CA1B2C3", "sharingStatus": "ACCEPTED"}),
        )
        .await;
    assert!(accepted.status.is_success());
    let apply = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    runs.push(("apply after acceptance".to_owned(), apply));

    let wrong = canary("WrongTcrSecret");
    search.secret("a refused TCR secret", wrong.as_str());
    write(manifests(&sb.url(), &token, &wrong));
    let refused = tenantry(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains("spec.auth.apiKey"),
        "{}",
        refused.stderr
    );
    runs.push(("a refused secret".to_owned(), refused));

    assert!(
        runs.iter().all(|(_, r)| r.stderr.contains("TRACE")),
        "every run logged at trace level"
    );
    assert!(
        sb.wire_requests("tcr")
            .iter()
            .all(|r| r.auth_scheme.as_deref() == Some("Basic")),
        "every TCR call carried the key and secret"
    );
    for (name, run) in runs {
        search.channel(format!("{name} (stdout)"), run.stdout);
        search.channel(format!("{name} (stderr, trace logs)"), run.stderr);
    }
    search.channel(
        "the emulator's wire log",
        serde_json::to_string(&sb.wire_requests("tcr")).unwrap_or_default(),
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
}
