//! The Partner Center adapter (issue 15): its client secret, refresh token, every token the
//! identity endpoint issued and the admin password Partner Center generates for a new customer
//! (returned once, in the create's answer) reach no output, log line or plan of the CLI. The
//! calls go through the recording proxy, so the test knows each issued token and password.
//! The password is kept in one place only: the Secret manifest the CLI saves for it.

use super::wire::Wire;
use super::{Search, canary};
use crate::seam::{secret_manifest, write};
use crate::support::{examples_copy, sandbox, tenantry_in as tenantry};
use crate::vendors::partnercenter::partner_connection_at;

#[tokio::test(flavor = "multi_thread")]
async fn no_partner_center_secret_token_or_admin_password_reaches_any_channel_of_the_cli() {
    let sb = sandbox(
        tenantry::sandbox::SandboxConfig::default()
            .with_token_lifetime(std::time::Duration::from_secs(3600 * 10_000)),
    )
    .await;
    let wire = Wire::start(&sb.url()).await;
    let (client_secret, refresh, token) =
        (canary("PcSecret"), canary("PcRefresh"), canary("Token"));
    crate::sandbox::Client::new(&sb)
        .post(
            "/sandbox/pc/customers",
            &serde_json::json!({"tenantId": "3f2b9c1e-5d4a-4e8b-9a7c-0d1e2f3a4b5c",
                "domain": "meridiandental.onmicrosoft.com", "companyName": "Meridian Dental Group"}),
        )
        .await;
    let (tmp, dir) = examples_copy();
    write(
        &dir.join("connection.yaml"),
        &format!(
            "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
             spec:\n  url: {}\n  delegates: [{{name: partnercenter}}]\n\
             \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{}",
            wire.url(),
            secret_manifest("tenantry-system", "portal-token", "token", &token),
            partner_connection_at(wire.url(), &client_secret, &refresh),
        ),
    );
    let mut runs = Vec::new();
    for format in ["text", "json", "markdown"] {
        let plan = tenantry(tmp.path(), &["plan", "-f", "examples/", "-o", format]).await;
        assert_eq!(plan.code, 2, "{}", plan.all());
        runs.push((format!("plan -o {format}"), plan));
    }
    let apply = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    runs.push(("apply".to_owned(), apply));
    let again = tenantry(tmp.path(), &["plan", "-f", "examples/", "-o", "json"]).await;
    assert_eq!(again.code, 0, "converged: {}", again.all());
    runs.push(("the converged plan".to_owned(), again));

    let mut search = Search::default();
    search.secret("the client secret", client_secret.as_str());
    search.secret("the refresh token", refresh.as_str());
    search.secret("the contract token", token.as_str());
    let exchanges = wire.exchanges();
    let passwords: Vec<String> = exchanges
        .iter()
        .filter(|e| e.path == "/pc/v1/customers")
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.response).ok())
        .filter_map(|a| a["userCredentials"]["password"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(passwords.len(), 1, "Partner Center sent one admin password");
    for p in &passwords {
        search.secret("the generated admin password", p.as_str());
    }
    let issued = wire.issued_tokens();
    assert!(!issued.is_empty(), "tokens were issued through the proxy");
    for (i, t) in issued.iter().enumerate() {
        search.secret(format!("issued token #{i}"), t.as_str());
    }
    assert!(
        runs.iter().all(|(_, r)| r.stderr.contains("TRACE")),
        "every run logged at trace level"
    );
    for (name, run) in runs {
        search.channel(format!("{name} (stdout)"), run.stdout);
        search.channel(format!("{name} (stderr, trace logs)"), run.stderr);
    }
    // Saved once, where the CLI keeps it; every other file tenantry wrote is searched too.
    let saved = tmp
        .path()
        .join(".tenantry/secrets/customers/kenton-electronics-microsoft-admin.yaml");
    let kept = std::fs::read_to_string(&saved).unwrap_or_else(|e| panic!("{e}"));
    assert!(kept.contains(passwords[0].as_str()), "the Secret holds it");
    for file in walk(&tmp.path().join(".tenantry")) {
        if file != saved {
            let text =
                String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
            search.channel(format!("file {}", file.display()), text);
        }
    }
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
