//! The Graph adapter (issue 15): its app's client secret, every per-tenant token the identity
//! endpoint issued, the admins' declared and generated passwords and a password Entra refuses
//! appear in no output or trace log of plan, apply, a converged plan and a failed apply, nor
//! in the emulator's wire log. The calls go through the recording proxy, so the test knows
//! every issued token and every password that was sent.

use std::time::Duration;

use rand::Rng;
use serde_json::{Value, json};
use tenantry::sandbox::SandboxConfig;

use super::wire::Wire;
use super::{Search, canary};
use crate::support::{Run, edit, examples_copy, sandbox, tenantry_in as tenantry};

fn secret_manifest(namespace: &str, name: &str, key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {namespace}}}\n\
         type: Opaque\nstringData:\n  {key}: \"{value}\"\n"
    )
}

/// `default` (contract, bearer token) delegating daas/admins to `graph` (client credentials,
/// `{tenant}` token URL), both through the proxy at `url`.
fn connections(url: &str, token: &str, client_secret: &str) -> String {
    format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {url}\n  delegates: [{{name: graph}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n\
         apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: graph}}\n\
         spec:\n  api: graph\n  url: {url}/graph/v1.0\n  portals: [daas]\n  auth:\n    clientCredentials:\n\
         \x20     tokenUrl: \"{url}/{{tenant}}/oauth2/v2.0/token\"\n      clientId: graph-app\n\
         \x20     clientSecretRef: {{namespace: tenantry-system, name: graph-app, key: clientSecret}}\n\
         \x20     scope: https://graph.microsoft.com/.default\n---\n{}---\n{}",
        secret_manifest("tenantry-system", "portal-token", "token", token),
        secret_manifest(
            "tenantry-system",
            "graph-app",
            "clientSecret",
            client_secret
        ),
    )
}

/// Replaces the one `password:` value of a Secret manifest.
fn set_password(path: &std::path::Path, value: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let old = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap_or_else(|| panic!("{text}"))
        .to_owned();
    edit(path, &old, &format!("\"{value}\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_graph_secret_token_or_password_reaches_any_channel_of_the_cli() {
    let client_secret = canary("GraphSecret");
    let sb = sandbox(
        SandboxConfig::default()
            .with_oauth_client("graph-app", client_secret.as_str())
            .with_token_lifetime(Duration::from_secs(3600 * 10_000)),
    )
    .await;
    // The proxy forwards the emulator's Host, so no list may page through it.
    let answer = crate::sandbox::Client::new(&sb)
        .put(
            "/sandbox/graph/settings",
            &json!({"pageSize": 100, "gdapAutoApprove": true, "gdapActivationMs": 0}),
        )
        .await;
    assert!(answer.status.is_success(), "{:#}", answer.body);
    let wire = Wire::start(&sb.url()).await;
    let (tmp, dir) = examples_copy();
    let token = canary("Token");
    let kenton = canary("Kenton");
    let meridian = canary("Meridian");
    let mut search = Search::default();
    for (name, value) in [
        ("graph client secret", &client_secret),
        ("portal token", &token),
        ("kenton admin password", &kenton),
        ("meridian admin password", &meridian),
    ] {
        search.secret(name, value.as_str());
    }
    std::fs::write(
        dir.join("connection.yaml"),
        connections(wire.url(), &token, &client_secret),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let customers = dir.join("customers");
    set_password(&customers.join("kenton-electronics/secrets.yaml"), &kenton);
    set_password(&customers.join("meridian-dental/secrets.yaml"), &meridian);

    let mut runs: Vec<(String, Run)> = Vec::new();
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

    // A rotated password Entra refuses (digits and symbols: 2 of its 4 classes): the error
    // names the field, never the value.
    let mut rng = rand::rng();
    let refused = format!(
        "{}-{}-{}!",
        rng.random_range(1000..9999),
        rng.random_range(1000..9999),
        rng.random_range(1000..9999)
    );
    search.secret("a password Entra refuses", refused.as_str());
    set_password(&customers.join("meridian-dental/secrets.yaml"), &refused);
    let failed = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_ne!(failed.code, 0, "{}", failed.all());
    assert!(
        failed.all().contains("spec.passwordSecretRef"),
        "{}",
        failed.all()
    );
    runs.push(("a refused password".to_owned(), failed));

    assert!(
        runs.iter().all(|(_, r)| r.stderr.contains("TRACE")),
        "every run logged at trace level"
    );
    for (name, run) in runs {
        search.channel(format!("{name} (stdout)"), run.stdout);
        search.channel(format!("{name} (stderr, trace logs)"), run.stderr);
    }
    let log: Vec<Value> = sb
        .wire_requests("graph")
        .into_iter()
        .map(|r| r.body)
        .collect();
    search.channel("the emulator's wire log", Value::Array(log).to_string());

    // Every issued token and every password sent to Graph (the generated one included) is a
    // secret; the search must have found them on the wire, or it proves nothing.
    let issued = wire.issued_tokens();
    assert!(issued.len() >= 3, "one token per tenant: {}", issued.len());
    for (i, t) in issued.iter().enumerate() {
        search.secret(format!("issued token #{i}"), t.as_str());
    }
    let sent: Vec<String> = wire
        .exchanges()
        .into_iter()
        .filter_map(|e| {
            e.request["passwordProfile"]["password"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    for expected in [&kenton, &meridian, &refused] {
        assert!(sent.contains(expected), "the password crossed the wire");
    }
    assert!(
        sent.iter()
            .any(|p| ![&kenton, &meridian, &refused].contains(&p)),
        "mchen's generated password was sent"
    );
    for (i, p) in sent.iter().enumerate() {
        search.secret(format!("password sent to Graph #{i}"), p.as_str());
    }
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
}
