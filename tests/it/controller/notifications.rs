//! Notifications delivered by the controller (issue 16, item 4): the reconciles of a Tenant's
//! bindings (one waiting for the Global Admin's consent, one whose Azure AD fails for good)
//! feed the notifications task, which delivers to NotificationSinks through a real webhook
//! receiver; the sinks' outboxes live in their status on the recording API server.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Value, json};
use tenantry::api::{NotificationSink, Portal, ServiceBinding, Tenant};
use tenantry::controller::{Pass, deliver_notifications, reconcile};
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

use super::fixtures::*;
use crate::canary::controller::Logs;
use crate::canary::{Search, canary};
use crate::support::{Receiver, receiver};

/// A Tenant in CloudLink, the DaaS portal and TeamMate whose onmicrosoft names are taken.
fn kenton() -> Tenant {
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals = vec![Portal::CloudLink, Portal::Daas, Portal::TeamMate];
    t.spec.code = Some("KE1".to_owned());
    t
}

/// A Teams connector binding: its enterprise waits for the Global Admin's consent, a wait
/// that began `began` (RFC 3339) when given.
fn teams(began: Option<&str>) -> ServiceBinding {
    let mut b = json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-teams", "namespace": NS, "uid": "uid-kenton-teams",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"},
                 "teamsConnector": {"adminEmail": "globaladmin@kenton-electronics.com",
                                    "sbcRegions": ["UsEast"], "services": ["Trunk"]}}
    });
    if let Some(began) = began {
        b["status"] = json!({"conditions": [{"type": "Progressing", "status": "True",
            "reason": "Provisioning", "message": "m", "lastTransitionTime": began}]});
    }
    from_json(b)
}

/// An Azure AD binding that fails: both onmicrosoft names are reserved in the sandbox.
fn azure_ad() -> ServiceBinding {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-aad", "namespace": NS, "uid": "uid-kenton-aad",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"}, "azureAD": {"mode": "CreateNew"}}
    }))
}

fn sink(name: &str, spec: Value) -> NotificationSink {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "NotificationSink",
        "metadata": {"name": name, "uid": format!("uid-{name}"), "generation": 1},
        "spec": spec
    }))
}

/// The Secrets sinks read: `(namespace, name, key, value)`.
fn secrets(items: &[(&str, &str, &str, &str)]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::<String, Value>::new();
    for (namespace, name, key, value) in items {
        let path = format!("/api/v1/namespaces/{namespace}/secrets/{name}");
        let secret = out.entry(path).or_insert_with(|| {
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": name, "namespace": namespace}, "data": {}})
        });
        secret["data"][*key] =
            serde_json::to_value(k8s_openapi::ByteString(value.as_bytes().to_vec()))
                .unwrap_or(Value::Null);
    }
    out
}

/// A harness on a sandbox where Kenton's onmicrosoft names are taken, with `sinks`, the
/// Tenant already provisioned and Ready, and `bindings` in the stores.
async fn harness(bindings: Vec<ServiceBinding>, sinks: &[NotificationSink]) -> Harness {
    let fixtures = Fixtures {
        reserved_domains: vec![
            "kentonelectronics".to_owned(),
            "kentonelectronicske1".to_owned(),
        ],
        ..Fixtures::demo()
    };
    let sandbox = Sandbox::start(SandboxConfig::default().with_fixtures(fixtures))
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let t = kenton();
    let seed = Harness::with_sandbox(sandbox, vec![t.clone()], vec![], vec![], vec![]);
    reconcile(Arc::new(t.clone()), Arc::clone(&seed.ctx))
        .await
        .unwrap_or_else(|e| panic!("the Tenant: {e}"));
    let h = Harness::with_sandbox(seed.sandbox, vec![ready(&t)], vec![], bindings, vec![]);
    h.with_sinks(sinks)
}

async fn run(h: &Harness, object: &ServiceBinding) {
    // A failed write is an Err here; its events are offered all the same.
    let _ = reconcile(Arc::new(object.clone()), Arc::clone(&h.ctx)).await;
}

fn sink_status(h: &Harness, name: &str) -> Value {
    let sink = h
        .api
        .all::<NotificationSink>()
        .into_iter()
        .find(|s| s.metadata.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("sink {name}"));
    serde_json::to_value(sink.status).unwrap_or(Value::Null)
}

fn types_of(received: &Receiver, hook: &str) -> Vec<String> {
    received
        .log()
        .iter()
        .filter(|r| r.accepted && r.hook == hook)
        .map(|r| r.header("x-tenantry-event"))
        .collect()
}

fn two_hours_ago() -> String {
    let now = jiff::Timestamp::now().as_second() - 2 * 3600;
    jiff::Timestamp::from_second(now)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_past_the_threshold_is_one_signed_waiting_event_per_sink_once() {
    let (received, url) = receiver().await;
    let key = canary("Signing");
    let sinks = [
        sink(
            "psa",
            json!({"url": format!("{url}/hooks/psa"), "format": "ticket", "waitingAfterMinutes": 60,
                   "signingSecretRef": {"namespace": "tenantry-system", "name": "psa-signing", "key": "key"}}),
        ),
        sink(
            "ops",
            json!({"url": format!("{url}/hooks/ops"), "format": "chat", "waitingAfterMinutes": 90}),
        ),
        // A year: the two-hour wait is not due there.
        sink(
            "late",
            json!({"url": format!("{url}/hooks/late"), "waitingAfterMinutes": 525_600}),
        ),
    ];
    let binding = teams(Some(&two_hours_ago()));
    let h = harness(vec![binding.clone()], &sinks).await;
    h.api
        .load_secrets(secrets(&[("tenantry-system", "psa-signing", "key", &key)]));

    run(&h, &binding).await;
    assert!(
        received.log().is_empty(),
        "the reconcile only queues: nothing is sent on its path"
    );
    let pass = deliver_notifications(&h.ctx).await;
    assert_eq!(pass.failed, Vec::<String>::new(), "{pass:?}");
    assert_eq!(types_of(&received, "psa"), ["Waiting"]);
    assert_eq!(types_of(&received, "ops"), ["Waiting"]);
    assert_eq!(types_of(&received, "late"), Vec::<String>::new());
    let psa = received.accepted("psa");
    assert_eq!(
        psa,
        received.accepted("ops"),
        "the same event id in every sink"
    );
    for r in received.log().iter().filter(|r| r.hook == "psa") {
        assert!(r.signed_with(&key), "{}", r.headers);
        assert!(r.body.contains("AwaitingConsent"), "{}", r.body);
    }

    // The next reconciles and passes send nothing again.
    let before = received.log().len();
    for _ in 0..2 {
        run(&h, &binding).await;
        assert_eq!(deliver_notifications(&h.ctx).await.sent, Vec::new());
    }
    assert_eq!(received.log().len(), before);

    let status = sink_status(&h, "psa");
    assert_eq!(status["delivered"], json!(psa.keys().collect::<Vec<_>>()));
    assert!(status["pending"].is_null(), "{status}");
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status}");
    assert_eq!(condition(&status, "LastDeliveryFailed")["status"], "False");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_event_reaches_each_sink_once_while_the_receiver_fails_30_percent() {
    let (received, url) = receiver().await;
    let sinks = [
        sink(
            "psa",
            json!({"url": format!("{url}/hooks/psa"), "waitingAfterMinutes": 0}),
        ),
        sink(
            "noc",
            json!({"url": format!("{url}/hooks/noc"), "format": "chat", "events": ["Failed"],
                   "waitingAfterMinutes": 0}),
        ),
    ];
    let (teams, aad) = (teams(None), azure_ad());
    let h = harness(vec![teams.clone(), aad.clone()], &sinks).await;

    let mut passes: Vec<Pass> = Vec::new();
    for _ in 0..3 {
        run(&h, &teams).await;
        run(&h, &aad).await;
        passes.push(deliver_notifications(&h.ctx).await);
    }
    assert!(
        received.log().iter().any(|r| !r.accepted),
        "the receiver failed some deliveries"
    );
    assert!(passes.iter().all(|p| p.failed.is_empty()), "{passes:?}");
    let psa = received.accepted("psa");
    assert!(psa.values().all(|n| *n == 1), "each accepted once: {psa:?}");
    let mut kinds = types_of(&received, "psa");
    kinds.sort();
    assert_eq!(kinds, ["Failed", "Waiting"], "{:?}", received.log());
    assert_eq!(
        types_of(&received, "noc"),
        ["Failed"],
        "the chat sink filters on Failed"
    );
    let failed = received
        .log()
        .into_iter()
        .find(|r| r.accepted && r.hook == "noc")
        .unwrap_or_else(|| panic!("a failure"));
    assert!(
        failed.body.contains("DomainUnavailable") && failed.body.contains("kenton-aad"),
        "{}",
        failed.body
    );
    assert_eq!(
        received.accepted("noc").keys().collect::<BTreeSet<_>>(),
        psa.keys()
            .filter(|id| received
                .log()
                .iter()
                .any(|r| &r.event_id == *id && r.header("x-tenantry-event") == "Failed"))
            .collect::<BTreeSet<_>>(),
        "the same Failed event in both sinks"
    );
}

/// A restart on the same cluster: what a sink accepted is never sent again, what was pending
/// is sent without waiting for a reconcile; no secret reaches a payload, header, status,
/// Event or log line.
#[test]
fn a_restart_resends_what_was_pending_and_nothing_that_was_delivered() {
    let (logs, _capture, runtime) = Logs::capture();
    let key = canary("Signing");
    let token = canary("ChatHook");
    let (received, api, mut search) = runtime.block_on(restart_scenario(&key, &token));

    let log = logs.text();
    assert!(
        log.contains("notification not delivered"),
        "the log was captured"
    );
    search.secret("signing key", &key);
    search.secret("chat webhook URL", &token);
    search.channel("log", log);
    for r in received.log() {
        search.channel(format!("body to {}", r.hook), r.body.clone());
        search.channel(format!("headers to {}", r.hook), r.headers.clone());
    }
    for call in api.calls() {
        if !call.path.contains("/secrets") {
            search.channel(call.line(), call.body.to_string());
        }
    }
    assert_eq!(search.hits(), Vec::<String>::new());
}

async fn restart_scenario(key: &str, token: &str) -> (Arc<Receiver>, ApiServer, Search) {
    let (received, url) = receiver().await;
    let sinks = [
        sink(
            "psa",
            json!({"url": format!("{url}/hooks/psa"), "format": "ticket", "waitingAfterMinutes": 0,
                   "signingSecretRef": {"namespace": "tenantry-system", "name": "psa-signing", "key": "key"}}),
        ),
        sink(
            "chat",
            json!({"urlSecretRef": {"namespace": "tenantry-system", "name": "chat-webhook", "key": "url"},
                   "format": "chat", "waitingAfterMinutes": 0}),
        ),
    ];
    let chat_url = format!("{url}/hooks/{token}");
    let (teams, aad) = (teams(None), azure_ad());
    let h = harness(vec![teams.clone(), aad.clone()], &sinks).await;
    h.api.load_secrets(secrets(&[
        ("tenantry-system", "psa-signing", "key", key),
        ("tenantry-system", "chat-webhook", "url", &chat_url),
    ]));

    // The failure is delivered.
    run(&h, &aad).await;
    let first = deliver_notifications(&h.ctx).await;
    assert_eq!(first.failed, Vec::<String>::new(), "{first:?}");
    assert_eq!(types_of(&received, "psa"), ["Failed"]);

    // The receiver refuses: the wait stays pending in the sinks' status, which say why.
    received.refuse(true);
    run(&h, &teams).await;
    let refused = deliver_notifications(&h.ctx).await;
    assert_eq!(refused.failed.len(), 2, "{refused:?}");
    let status = sink_status(&h, "psa");
    assert_eq!(status["pending"][0]["type"], "Waiting", "{status}");
    assert_eq!(status["delivered"].as_array().map(Vec::len), Some(1));
    let failed = condition(&status, "LastDeliveryFailed");
    assert_eq!(failed["status"], "True", "{status}");
    assert_eq!(failed["reason"], "HTTP400");
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("HTTP 400"),
        "{failed}"
    );
    assert_eq!(condition(&status, "Ready")["status"], "False");

    // A new process (a restart, or another replica taking the lead) on the same cluster.
    received.refuse(false);
    let before = received.log().len();
    let h = h.restart();
    let resent = deliver_notifications(&h.ctx).await;
    assert_eq!(resent.failed, Vec::<String>::new(), "{resent:?}");
    let new: Vec<String> = received.log()[before..]
        .iter()
        .filter(|r| r.accepted)
        .map(|r| r.header("x-tenantry-event"))
        .collect();
    assert_eq!(
        new,
        ["Waiting", "Waiting"],
        "the pending wait, to each sink, with no reconcile"
    );

    // The reconciles see the same wait and failure again: nothing is sent again.
    let before = received.log().len();
    run(&h, &aad).await;
    run(&h, &teams).await;
    assert_eq!(deliver_notifications(&h.ctx).await.sent, Vec::new());
    assert_eq!(received.log().len(), before);
    for hook in ["psa", token] {
        let counts = received.accepted(hook);
        assert_eq!(counts.len(), 2, "{hook}: {counts:?}");
        assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    }
    let status = sink_status(&h, "chat");
    assert!(status["pending"].is_null(), "{status}");
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status}");
    (received, h.api.clone(), Search::default())
}
