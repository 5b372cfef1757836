//! Notifications (issue 16, item 4) through the binary: the waits and failures of an apply
//! reach two NotificationSinks exactly once each after deduplication by event id, while the
//! receiver fails 30 % of deliveries; deliveries are signed; a rerun sends nothing again; no
//! payload, header or output carries a secret.

use std::collections::BTreeSet;

use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

use crate::canary::{Search, canary};
use crate::support::{examples_copy, receiver, tenantry};

fn sinks(url: &str, signing_key: &str, chat_token: &str) -> String {
    format!(
        "\
apiVersion: tenantry.dev/v1alpha1
kind: NotificationSink
metadata: {{name: psa}}
spec:
  url: {url}/hooks/psa
  format: ticket
  signingSecretRef: {{namespace: tenantry-system, name: psa-signing, key: key}}
  waitingAfterMinutes: 0
---
apiVersion: tenantry.dev/v1alpha1
kind: NotificationSink
metadata: {{name: chat}}
spec:
  urlSecretRef: {{namespace: tenantry-system, name: chat-webhook, key: url}}
  format: chat
  events: [Failed]
---
apiVersion: v1
kind: Secret
metadata: {{name: psa-signing, namespace: tenantry-system}}
stringData: {{key: \"{signing_key}\"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: chat-webhook, namespace: tenantry-system}}
stringData: {{url: \"{url}/hooks/{chat_token}\"}}
"
    )
}

/// A customer whose onmicrosoft names are both taken: its Azure AD fails for good.
const TAKEN: &str = "\
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: taken, namespace: customers}
spec:
  displayName: Taken Works
  code: TW1
  contact: {name: Jane Roe, email: jane@taken.example, phone: '+15555550100'}
  address: {line1: 1 Main Street, city: Dayton, region: OH, postalCode: '45402', country: US}
  billingId: RQ-2
  domains: [taken.example]
  portals: [daas]
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: taken-aad, namespace: customers}
spec:
  tenantRef: {name: taken}
  azureAD: {mode: CreateNew}
";

#[tokio::test(flavor = "multi_thread")]
async fn each_event_reaches_each_sink_once_while_the_receiver_fails_30_percent() {
    let fixtures = Fixtures {
        reserved_domains: vec!["takenworks".to_owned(), "takenworkstw1".to_owned()],
        ..Fixtures::demo()
    };
    let sb = Sandbox::start(SandboxConfig::default().with_fixtures(fixtures))
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let (received, url) = receiver().await;
    let (tmp, dir) = examples_copy();
    let signing_key = canary("Signing");
    let chat_token = canary("ChatHook");
    std::fs::write(dir.join("taken.yaml"), TAKEN).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("sinks.yaml"),
        sinks(&url, &signing_key, &chat_token),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let apply = ["apply", "-f", "examples/", "--auto-approve", "--notify"];

    let first = tenantry(tmp.path(), &sb.url(), &apply).await;
    assert_eq!(first.code, 1, "the Azure AD failed: {}", first.all());
    assert!(first.stderr.contains("Notifications: "), "{}", first.all());

    // What needs a person now, as the CLI prints it.
    let print = tenantry(
        tmp.path(),
        &sb.url(),
        &["plan", "-f", "examples/", "--notify=print"],
    )
    .await;
    let printed: Vec<serde_json::Value> = print
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let ids_of = |kind: Option<&str>| -> BTreeSet<String> {
        printed
            .iter()
            .filter(|e| kind.is_none_or(|k| e["type"] == k))
            .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let failed = ids_of(Some("Failed"));
    let waiting = ids_of(Some("Waiting"));
    assert_eq!(failed.len(), 1, "one failure: {}", print.stderr);
    assert!(
        !waiting.is_empty(),
        "the Teams enterprises wait for consent: {}",
        print.stderr
    );

    let log = received.log();
    assert!(
        log.iter().any(|r| !r.accepted),
        "the receiver failed some deliveries"
    );
    let psa = received.accepted("psa");
    assert_eq!(
        psa.keys().cloned().collect::<BTreeSet<_>>(),
        ids_of(None),
        "the ticket sink got every wait and failure"
    );
    assert!(psa.values().all(|n| *n == 1), "each accepted once: {psa:?}");
    let chat = received.accepted(&chat_token);
    assert_eq!(
        chat.keys().cloned().collect::<BTreeSet<_>>(),
        failed,
        "the chat sink wants failures only"
    );

    // Signed with the key, over the timestamp and the body.
    for r in log.iter().filter(|r| r.hook == "psa") {
        assert!(r.signed_with(&signing_key), "{}", r.headers);
    }

    // A rerun sends nothing again.
    let before = log.len();
    let again = tenantry(tmp.path(), &sb.url(), &apply).await;
    assert_eq!(again.code, 1, "{}", again.all());
    let after = received.log().len();
    assert_eq!(after, before, "nothing new was sent: {}", again.stderr);
    assert!(
        again.stderr.contains("Notifications: 0 sent"),
        "{}",
        again.stderr
    );

    // No secret in any payload, header or output.
    let mut search = Search::default();
    search.secret("signing key", &signing_key);
    search.secret("chat webhook URL", &chat_token);
    for r in &log {
        search.channel(format!("body to {}", r.hook), r.body.clone());
        search.channel(format!("headers to {}", r.hook), r.headers.clone());
    }
    for (name, run) in [
        ("first apply", &first),
        ("print", &print),
        ("rerun", &again),
    ] {
        search.channel(name, run.all());
    }
    assert_eq!(search.hits(), Vec::<String>::new());
}
