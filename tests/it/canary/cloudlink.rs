//! The Mitel CloudLink adapter (issue 15): the API user's password and every access and
//! refresh token Mitel's token endpoint issues appear in no output or trace log of the binary,
//! through waiting, adoption, a lasting throttle and a refused password.

use serde_json::json;
use tenantry::sandbox::SandboxConfig;

use super::wire::Wire;
use super::{Search, canary};
use crate::seam::secret_manifest;
use crate::support::{examples_copy, sandbox, tenantry_in as tenantry};

fn manifests(url: &str, password: &str, token: &str) -> String {
    format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {url}\n  delegates: [{{name: cloudlink}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n\
         apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: cloudlink}}\n\
         spec:\n  api: cloudLink\n  url: {url}/mitel/admin/2017-09-01\n  portals: [cloudlink]\n  auth:\n    password:\n\
         \x20     tokenUrl: {url}/mitel/authentication/2017-09-01/token\n      username: api@northstar-msp.example\n\
         \x20     accountId: \"858000055\"\n\
         \x20     passwordRef: {{namespace: tenantry-system, name: cloudlink-api, key: password}}\n---\n{}",
        secret_manifest("tenantry-system", "portal-token", "token", token),
        secret_manifest("tenantry-system", "cloudlink-api", "password", password)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn no_cloudlink_password_or_issued_token_reaches_any_channel_of_the_cli() {
    let password = canary("MitelPassword");
    let sb = sandbox(
        SandboxConfig::default()
            .with_mitel_api_user("858000055", "api@northstar-msp.example", password.clone())
            .with_token_lifetime(std::time::Duration::from_secs(3600 * 10_000)),
    )
    .await;
    let wire = Wire::start(&sb.url()).await;
    let (tmp, dir) = examples_copy();
    let connection = dir.join("connection.yaml");
    let write = |text: String| std::fs::write(&connection, text).unwrap_or_else(|e| panic!("{e}"));
    let token = canary("Token");
    write(manifests(wire.url(), &password, &token));
    let mut search = Search::default();
    search.secret("the contract connection's token", token.as_str());
    search.secret("the CloudLink API user's password", password.as_str());
    let control = crate::sandbox::Client::new(&sb);

    let mut runs = Vec::new();
    let apply = ["apply", "-f", "examples/", "--auto-approve"];
    runs.push(("apply (waiting)", tenantry(tmp.path(), &apply).await));
    control
        .post(
            "/sandbox/mitel/accounts",
            &json!({"name": "Kenton Electronics"}),
        )
        .await;
    runs.push(("apply (adopting)", tenantry(tmp.path(), &apply).await));
    for format in ["text", "json", "markdown"] {
        let plan = tenantry(tmp.path(), &["plan", "-f", "examples/", "-o", format]).await;
        runs.push(("plan", plan));
    }
    control
        .post(
            "/sandbox/mitel/throttle",
            &json!({"requests": 50, "retryAfter": 0}),
        )
        .await;
    let throttled = tenantry(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(throttled.code, 1, "{}", throttled.all());
    runs.push(("a lasting throttle", throttled));
    control
        .post("/sandbox/mitel/throttle", &json!({"requests": 0}))
        .await;
    let wrong = canary("WrongPassword");
    search.secret("a refused password", wrong.as_str());
    write(manifests(wire.url(), &wrong, &token));
    let refused = tenantry(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("Secret tenantry-system/cloudlink-api key password"),
        "{}",
        refused.stderr
    );
    runs.push(("a refused password", refused));

    assert!(
        runs.iter().all(|(_, r)| r.stderr.contains("TRACE")),
        "every run logged at trace level"
    );
    for (name, run) in runs {
        search.channel(format!("{name} (stdout)"), run.stdout);
        search.channel(format!("{name} (stderr, trace logs)"), run.stderr);
    }
    let issued = wire.issued_tokens();
    assert!(
        issued.iter().any(|t| t.starts_with("mitel-rt-"))
            && issued.iter().filter(|t| t.starts_with("sbx-at-")).count() >= 5,
        "tokens were issued through the proxy: {}",
        issued.len()
    );
    for (i, token) in issued.iter().enumerate() {
        search.secret(format!("issued token #{i}"), token.as_str());
    }
    assert!(
        wire.exchanges()
            .iter()
            .any(|e| e.form.contains("grant_type=password") && e.form.contains("account_id=")),
        "the password crossed the proxy in a form"
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
}
