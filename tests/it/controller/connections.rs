//! The PortalConnection controller: `Ready` from one read-only check per served portal, patched
//! only when it changes; a wrong or missing token is reported without the token.

use std::sync::Arc;

use serde_json::{Value, json};
use tenantry::api::{Declared, PortalConnection, SecretKey, Sensitive};
use tenantry::controller::reconcile_connection;
use tenantry::sandbox::{Sandbox, SandboxConfig};

use super::fixtures::{Harness, from_json};

const TOKEN: &str = "connection-check-token";
const STATUS_PATH: &str = "/apis/tenantry.dev/v1alpha1/portalconnections/default/status";

fn connection(portals: &[&str]) -> PortalConnection {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1",
        "kind": "PortalConnection",
        "metadata": {"name": "default", "generation": 3},
        "spec": {
            "url": "http://127.0.0.1:1",
            "portals": portals,
            "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal", "key": "token"}
        }
    }))
}

/// A sandbox that accepts only [`TOKEN`], and a harness whose stores hold `connection` pointed
/// at it.
async fn harness(
    mut connection: PortalConnection,
    token: Option<&str>,
) -> (Harness, Arc<PortalConnection>) {
    let config = SandboxConfig {
        tokens: Some(vec![Sensitive::new(TOKEN)]),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    connection.spec.url = sandbox.url();
    let h = Harness::with_sandbox(
        sandbox,
        Vec::new(),
        Vec::new(),
        Vec::new(),
        vec![connection.clone()],
    );
    h.api.add_object(&connection);
    if let Some(token) = token {
        let mut declared = Declared::default();
        declared.secrets.insert(
            SecretKey {
                namespace: "tenantry-system".to_owned(),
                name: "portal".to_owned(),
                key: "token".to_owned(),
            },
            Sensitive::new(token),
        );
        h.api.add_secrets(&declared);
    }
    (h, Arc::new(connection))
}

fn ready(h: &Harness) -> Value {
    let status = h.api.last_status().expect("a status patch");
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    assert_eq!(conditions.len(), 1, "only Ready: {status}");
    conditions[0].clone()
}

fn status_patches(h: &Harness) -> usize {
    h.api
        .calls()
        .iter()
        .filter(|c| c.method == "PATCH" && c.path == STATUS_PATH)
        .count()
}

#[tokio::test]
async fn a_working_connection_is_ready_after_reads_only_and_a_resync_writes_nothing() {
    let (h, conn) = harness(connection(&["daas", "apps"]), Some(TOKEN)).await;
    reconcile_connection(Arc::clone(&conn), Arc::clone(&h.ctx))
        .await
        .expect("reconcile");
    let ready = ready(&h);
    assert_eq!(ready["type"], "Ready");
    assert_eq!(ready["status"], "True");
    assert_eq!(ready["reason"], "Connected");
    assert_eq!(ready["observedGeneration"], 3);
    assert!(
        ready["message"]
            .as_str()
            .is_some_and(|m| m.contains("daas, apps")),
        "{ready}"
    );
    // One read per served portal, and no portal write.
    let requests = h.sandbox.requests();
    let routes: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    assert_eq!(routes.len(), 2, "{routes:?}");
    assert!(routes.iter().all(|r| r.starts_with("GET ")), "{routes:?}");
    assert_eq!(status_patches(&h), 1);

    // A resync of the connection as published: the condition is unchanged, nothing is sent.
    let mut published = (*conn).clone();
    published.status = Some(from_json(json!({ "conditions": [ready] })));
    reconcile_connection(Arc::new(published), Arc::clone(&h.ctx))
        .await
        .expect("resync");
    assert_eq!(
        status_patches(&h),
        1,
        "a resync of a healthy connection patched its status"
    );
}

#[tokio::test]
async fn a_wrong_token_is_not_ready_and_the_message_has_no_token() {
    let wrong = "wrong-token-0123456789";
    let (h, conn) = harness(connection(&[]), Some(wrong)).await;
    reconcile_connection(conn, Arc::clone(&h.ctx))
        .await
        .expect("reconcile");
    let ready = ready(&h);
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "Unauthorized", "{ready}");
    let text = ready.to_string();
    assert!(!text.contains(wrong) && !text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn a_missing_credentials_secret_is_not_ready_and_says_which() {
    let (h, conn) = harness(connection(&["cloudlink"]), None).await;
    reconcile_connection(conn, Arc::clone(&h.ctx))
        .await
        .expect("reconcile");
    let ready = ready(&h);
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "SecretNotFound", "{ready}");
    assert!(
        ready["message"]
            .as_str()
            .is_some_and(|m| m.contains("tenantry-system/portal")),
        "{ready}"
    );
    assert!(
        h.sandbox.requests().is_empty(),
        "no portal call without credentials"
    );
}
