//! The controller's notifications on a real API server, with the shipped RBAC: a
//! NotificationSink (signed with a key in a Secret) receives the examples' consent waits from
//! the leader, and its status records what it accepted.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use tenantry::api::NotificationSink;

use super::TIMEOUT;
use super::steps::from_json;
use crate::support::{Receiver, receiver};

/// A sink in the cluster and the receiver behind it.
pub(super) struct SinkCheck {
    name: String,
    key: String,
    received: Arc<Receiver>,
}

/// Creates a receiver, the signing key's Secret in `namespace` and the sink `name` (every
/// event, waits at once).
pub(super) async fn create_sink(client: &Client, namespace: &str, name: &str) -> SinkCheck {
    let (received, url) = receiver().await;
    let key = format!("e2e-signing-{name}");
    Api::<Secret>::namespaced(client.clone(), namespace)
        .create(
            &PostParams::default(),
            &from_json(json!({"metadata": {"name": "sink-signing"}, "stringData": {"key": key}})),
        )
        .await
        .expect("signing Secret");
    Api::<NotificationSink>::all(client.clone())
        .create(
            &PostParams::default(),
            &from_json(json!({
                "apiVersion": "tenantry.dev/v1alpha1", "kind": "NotificationSink",
                "metadata": {"name": name},
                "spec": {"url": format!("{url}/hooks/e2e"), "waitingAfterMinutes": 0,
                         "signingSecretRef": {"namespace": namespace, "name": "sink-signing", "key": "key"}}
            })),
        )
        .await
        .expect("NotificationSink");
    SinkCheck {
        name: name.to_owned(),
        key,
        received,
    }
}

/// Waits until the sink accepted a signed Waiting event and its status lists it as delivered.
pub(super) async fn assert_waits_delivered(client: &Client, check: &SinkCheck) {
    let sinks: Api<NotificationSink> = Api::all(client.clone());
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let waits: Vec<String> = check
            .received
            .log()
            .into_iter()
            .filter(|r| r.accepted && r.header("x-tenantry-event") == "Waiting")
            .inspect(|r| assert!(r.signed_with(&check.key), "{}", r.headers))
            .map(|r| r.event_id)
            .collect();
        let delivered = sinks
            .get(&check.name)
            .await
            .ok()
            .and_then(|s| s.status)
            .map(|s| s.delivered)
            .unwrap_or_default();
        if waits.iter().any(|id| delivered.contains(id)) {
            let counts = check.received.accepted("e2e");
            assert!(counts.values().all(|n| *n == 1), "{counts:?}");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for a Waiting event at NotificationSink {} (received {:?}, delivered {delivered:?})",
            check.name,
            check.received.log()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Deletes the sink.
pub(super) async fn delete_sink(client: &Client, name: &str) {
    let _ = Api::<NotificationSink>::all(client.clone())
        .delete(name, &DeleteParams::default())
        .await;
}
