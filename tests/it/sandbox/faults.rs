//! Injected faults: each one, reproducible from a seed, configurable at start and at runtime.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tenantry::sandbox::{FaultConfig, FaultRule, SandboxConfig};

use super::{Client, customer, customer_spec, start, start_with};

fn rule() -> FaultRule {
    FaultRule {
        retry_after_seconds: 1,
        ..FaultRule::default()
    }
}

fn only(rule: FaultRule) -> FaultConfig {
    FaultConfig {
        seed: None,
        rules: vec![rule],
    }
}

fn customer_body(name: &str) -> Value {
    json!({"externalRef": format!("ns/{name}"), "spec": customer_spec(name, "kenton.com")})
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        rate_limit: 1.0,
        retry_after_seconds: 7,
        times: Some(1),
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    let limited = client
        .post("/v1/daas/customers", &customer_body("Kenton"))
        .await;
    limited.expect_error(429, "RateLimited");
    assert_eq!(limited.headers["retry-after"], "7");
    assert_eq!(sandbox.object_count().await, 0);
    client
        .post("/v1/daas/customers", &customer_body("Kenton"))
        .await
        .expect(201);
    let faults: Vec<_> = sandbox.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(faults, vec![Some("rateLimited".to_owned()), None]);
}

#[tokio::test]
async fn server_errors_execute_nothing() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        server_error: 1.0,
        server_error_statuses: vec![503, 502],
        times: Some(2),
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    for _ in 0..2 {
        let answer = client
            .post_key("/v1/daas/customers", &customer_body("Kenton"), "k")
            .await;
        assert!(answer.status.is_server_error(), "{}", answer.status);
        assert!(["ServiceUnavailable", "BadGateway"].contains(&answer.code()));
    }
    assert_eq!(sandbox.object_count().await, 0);
    client
        .post_key("/v1/daas/customers", &customer_body("Kenton"), "k")
        .await
        .expect(201);
    assert_eq!(sandbox.object_count().await, 1);
}

#[tokio::test]
async fn dropped_connections_have_no_answer_and_no_effect() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        drop_connection: 1.0,
        times: Some(1),
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    let body = serde_json::to_vec(&customer_body("Kenton")).unwrap();
    let dropped = client
        .send_raw(
            Method::POST,
            "/v1/daas/customers",
            Some(body.clone()),
            Some("k"),
        )
        .await;
    assert!(
        dropped.is_err(),
        "expected no answer, got {:?}",
        dropped.map(|a| a.status)
    );
    assert_eq!(sandbox.object_count().await, 0);
    let retry = client
        .send_raw(Method::POST, "/v1/daas/customers", Some(body), Some("k"))
        .await
        .unwrap();
    assert_eq!(retry.status.as_u16(), 201);
    assert!(retry.headers.get("idempotent-replayed").is_none());
    let log = sandbox.requests();
    assert_eq!(log[0].fault.as_deref(), Some("dropped"));
    assert_eq!(log[0].status, None);
}

#[tokio::test]
async fn commit_then_drop_is_healed_by_the_idempotency_key() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        method: Some("POST".into()),
        commit_then_drop: 1.0,
        times: Some(1),
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    let body = serde_json::to_vec(&customer_body("Kenton")).unwrap();
    let lost = client
        .send_raw(
            Method::POST,
            "/v1/daas/customers",
            Some(body.clone()),
            Some("k"),
        )
        .await;
    assert!(lost.is_err(), "the answer must be lost");
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/Kenton")
            .await,
        1,
        "the write happened"
    );
    let retry = client
        .send_raw(Method::POST, "/v1/daas/customers", Some(body), Some("k"))
        .await
        .unwrap();
    assert_eq!(retry.status.as_u16(), 201);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/Kenton")
            .await,
        1
    );
    let log = sandbox.requests();
    assert_eq!(log[0].fault.as_deref(), Some("commitThenDrop"));
}

#[tokio::test]
async fn latency_is_applied_and_logged() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        latency_ms: 30,
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    client.get("/v1/daas/customers").await.expect(200);
    client
        .post("/v1/daas/customers", &customer_body("Kenton"))
        .await
        .expect(201);
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|r| r.fault.as_deref() == Some("latency"))
    );
}

async fn azure_ad(client: &Client) -> super::Answer {
    let customer = customer(client, "Kenton", "kenton.com").await;
    client
        .create(
            "/v1/daas/azure-ad",
            "ns/aad",
            json!({"customerId": customer, "mode": "CreateNew"}),
        )
        .await
}

#[tokio::test]
async fn operations_can_be_made_to_fail() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        kind: Some("azure-ad".into()),
        fail_operations: 1.0,
        ..rule()
    }));
    let (_sandbox, client) = start_with(config).await;
    let created = azure_ad(&client).await;
    created.expect(202);
    let op = client.finish(&created).await;
    assert_eq!(op["state"], "failed");
    assert_eq!(op["reason"], "ProvisioningFailed");
    let obj = client
        .get(&format!("/v1/daas/azure-ad/{}", created.id()))
        .await;
    assert_eq!(obj.body["status"]["phase"], "Failed");
}

#[tokio::test]
async fn operations_can_be_made_to_stay_running() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        kind: Some("azure-ad".into()),
        stuck_operations: 1.0,
        ..rule()
    }));
    let (_sandbox, client) = start_with(config).await;
    let created = azure_ad(&client).await;
    let id = created.body["operation"]["id"].as_str().unwrap().to_owned();
    client.wait_op(&id, &["running"]).await;
    // Many times its nominal duration later, it is still running.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let op = client.get(&format!("/v1/operations/{id}")).await;
    assert_eq!(op.body["state"], "running");
}

async fn statuses(seed: u64) -> Vec<u16> {
    let config = SandboxConfig::default()
        .with_seed(seed)
        .with_faults(only(FaultRule {
            server_error: 0.5,
            ..rule()
        }));
    let (_sandbox, client) = start_with(config).await;
    let mut out = Vec::new();
    for _ in 0..24 {
        out.push(client.get("/v1/daas/customers").await.status.as_u16());
    }
    out
}

#[tokio::test]
async fn faults_are_reproducible_from_the_seed() {
    let first = statuses(11).await;
    assert_eq!(first, statuses(11).await);
    assert!(
        first.contains(&200) && first.iter().any(|s| *s >= 500),
        "{first:?}"
    );
    assert_ne!(first, statuses(12).await);
}

fn admin(customer: &str, password: &str) -> Value {
    json!({"externalRef": "ns/admin", "spec": {
        "customerId": customer, "firstName": "Jane", "lastName": "Roe",
        "upnDomain": "kenton.com", "externalEmail": "jane.roe@example.net",
        "password": password, "passwordFingerprint": "fp1"}})
}

#[tokio::test]
async fn secrets_are_echoed_only_when_asked() {
    let (_sandbox, client) = start().await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    let refused = client
        .post("/v1/daas/admins", &admin(&customer, "jroe-Secret-1"))
        .await;
    refused.expect_error(422, "PasswordPolicy");
    assert!(!String::from_utf8_lossy(&refused.bytes).contains("jroe-Secret-1"));

    client
        .put(
            "/sandbox/faults",
            &json!({"rules": [{"echoSecrets": true}]}),
        )
        .await
        .expect(200);
    let echoed = client
        .post("/v1/daas/admins", &admin(&customer, "jroe-Secret-1"))
        .await;
    echoed.expect_error(422, "PasswordPolicy");
    assert!(String::from_utf8_lossy(&echoed.bytes).contains("jroe-Secret-1"));
}

#[tokio::test]
async fn faults_change_at_runtime() {
    let (_sandbox, client) = start().await;
    assert_eq!(
        client.get("/sandbox/faults").await.expect(200)["rules"],
        json!([])
    );
    let config = json!({"seed": 5, "rules": [{"portal": "apps", "serverError": 1.0, "serverErrorStatuses": [504]}]});
    client.put("/sandbox/faults", &config).await.expect(200);
    assert_eq!(client.get("/sandbox/faults").await.body["seed"], 5);
    client
        .get("/v1/apps/licenses")
        .await
        .expect_error(504, "GatewayTimeout");
    client.get("/v1/daas/customers").await.expect(200);
    client.delete("/sandbox/faults").await.expect(204);
    client.get("/v1/apps/licenses").await.expect(200);

    client
        .put("/sandbox/faults", &json!({"rules": [{"serverError": 1.5}]}))
        .await
        .expect_error(422, "InvalidField");
    client
        .put("/sandbox/faults", &json!({"rules": [{"explode": true}]}))
        .await
        .expect_error(400, "InvalidRequest");
}

#[tokio::test]
async fn commit_then_timeout_is_healed_by_the_idempotency_key() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        method: Some("POST".into()),
        commit_then_timeout: 1.0,
        times: Some(1),
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    let body = serde_json::to_vec(&customer_body("Kenton")).unwrap();
    let first = client
        .send_raw(
            Method::POST,
            "/v1/daas/customers",
            Some(body.clone()),
            Some("k"),
        )
        .await
        .expect("an answer");
    first.expect_error(504, "GatewayTimeout");
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/Kenton")
            .await,
        1,
        "the write was committed before the 504"
    );
    let retry = client
        .send_raw(Method::POST, "/v1/daas/customers", Some(body), Some("k"))
        .await
        .unwrap();
    assert_eq!(retry.status.as_u16(), 201);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(sandbox.object_count().await, 1);
    assert_eq!(
        sandbox.requests()[0].fault.as_deref(),
        Some("commitThenTimeout")
    );
}

/// A write that commits and then stalls past the client's timeout: tenantry's client gives up
/// after its timeout, retries with the same key, gets the recorded answer — one object.
#[tokio::test]
async fn commit_then_stall_past_the_client_timeout_makes_no_duplicate() {
    use tenantry::api::{DeletionPolicy, Portal};
    use tenantry::portal::{ClientConfig, HttpPortal, PortalApi, WriteRequest};

    let config = SandboxConfig::default().with_faults(only(FaultRule {
        method: Some("POST".into()),
        commit_then_stall: 1.0,
        stall_ms: Some(60_000),
        times: Some(1),
        ..rule()
    }));
    let (sandbox, _) = start_with(config).await;
    let mut config = ClientConfig::new("stall-test", sandbox.url());
    config.token = Some(tenantry::api::Sensitive::new("stall-token"));
    config.timeout = Duration::from_millis(300);
    let portal = HttpPortal::new(config).expect("client");
    let request = WriteRequest {
        uid: "ns/Kenton".into(),
        external_ref: "ns/Kenton".into(),
        deletion_policy: DeletionPolicy::Orphan,
        spec: customer_spec("Kenton", "kenton.com")
            .as_object()
            .cloned()
            .unwrap_or_default(),
        secrets: Vec::new(),
        secret_sources: Vec::new(),
    };
    let created = portal
        .create(Portal::Daas, "customers", &request)
        .await
        .expect("created after a retry");
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/Kenton")
            .await,
        1
    );
    let log = sandbox.requests();
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(log[0].fault.as_deref(), Some("commitThenStall"));
    assert_eq!(log[0].status, None);
    assert!(log[1].replayed, "the retry got the recorded answer");
    assert_eq!(log[0].idempotency_key, log[1].idempotency_key);
    assert_eq!(created.object().external_ref, "ns/Kenton");
    assert_eq!(
        portal
            .stats()
            .retries
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn permanent_refusals_execute_nothing_and_echo_when_asked() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        method: Some("POST".into()),
        portal: Some("daas".into()),
        kind: Some("admins".into()),
        client_error: 1.0,
        client_error_statuses: vec![403],
        echo_secrets: true,
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    let refused = client
        .post("/v1/daas/admins", &admin(&customer, "Canary-Echo-77x!"))
        .await;
    refused.expect_error(403, "Forbidden");
    assert!(String::from_utf8_lossy(&refused.bytes).contains("Canary-Echo-77x!"));
    assert!(
        refused.headers["x-debug-echo"]
            .to_str()
            .unwrap_or_default()
            .contains("Canary-Echo-77x!"),
        "the secret is echoed into a header too"
    );
    assert_eq!(sandbox.count_objects("daas", "admins", "ns/admin").await, 0);
    let log = sandbox.requests();
    let last = log.last().expect("logged");
    assert_eq!(
        (last.fault.as_deref(), last.status),
        (Some("clientError"), Some(403))
    );
}

#[tokio::test]
async fn failed_operations_echo_the_request_secrets_when_asked() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        kind: Some("tenants".into()),
        fail_operations: 1.0,
        echo_secrets: true,
        ..rule()
    }));
    let (_sandbox, client) = start_with(config).await;
    let created = client
        .create(
            "/v1/contactcenter/tenants",
            "ns/cc",
            json!({"template": "standard", "name": "Kenton", "shortName": "ke",
                   "upnSuffix": "kenton.com", "adminUser": "keAdmin", "ani": "+15555550100",
                   "contact": {"name": "Jane Roe", "email": "jane@kenton.com"},
                   "password": "Canary-Op-Fail-91x!", "passwordFingerprint": "fp"}),
        )
        .await;
    created.expect(202);
    let op = client.finish(&created).await;
    assert_eq!(op["state"], "failed");
    assert!(
        op["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Canary-Op-Fail-91x!"),
        "{op}"
    );
}

/// The request log names the caller by a short digest (never the token), stamps arrival and
/// answer times, carries Retry-After, and counts writes per route.
#[tokio::test]
async fn the_request_log_names_callers_times_and_write_counts() {
    let config = SandboxConfig::default().with_faults(only(FaultRule {
        method: Some("GET".into()),
        rate_limit: 1.0,
        retry_after_seconds: 3,
        times: Some(1),
        ..rule()
    }));
    let (sandbox, client) = start_with(config).await;
    client
        .get("/v1/daas/customers")
        .await
        .expect_error(429, "RateLimited");
    client
        .post("/v1/daas/customers", &customer_body("Kenton"))
        .await
        .expect(201);
    let other = Client::new(&sandbox).with_token("another-token");
    other.get("/v1/daas/customers").await.expect(200);

    let log = sandbox.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].retry_after, Some(3));
    assert_eq!(log[1].retry_after, None);
    let (a, b) = (log[0].caller.clone(), log[2].caller.clone());
    assert!(a.is_some() && b.is_some() && a != b, "{a:?} {b:?}");
    assert_eq!(a, log[1].caller);
    for entry in &log {
        let caller = entry.caller.as_deref().unwrap_or_default();
        assert_eq!(caller.len(), 12);
        assert!(!caller.contains(&client.token) && !caller.contains("another"));
        assert!(entry.received_ms <= entry.answered_ms);
    }
    assert!(log.windows(2).all(|w| w[0].received_ms <= w[1].received_ms));

    let served = client.get("/sandbox/requests").await.expect(200).clone();
    assert_eq!(served["writes"], json!({"/v1/daas/customers": 1}));
    assert_eq!(served["callers"][a.unwrap_or_default()], 2);
    assert_eq!(served["items"][0]["retryAfter"], 3);
    assert!(served["items"][0]["receivedMs"].is_u64());
}

/// Equivalent data: the same objects, reordered, re-cased where the contract allows, with
/// extra server-only fields; names and ids stay exact.
#[tokio::test]
async fn reads_can_answer_with_equivalent_data() {
    let (_sandbox, client) = start().await;
    for name in ["Alpha", "Bravo", "Charlie", "Delta"] {
        customer(&client, name, &format!("{}.com", name.to_lowercase())).await;
    }
    let plain = client.get("/v1/daas/customers").await.expect(200).clone();
    client
        .put(
            "/sandbox/faults",
            &json!({"seed": 3, "rules": [{"method": "GET", "equivalentData": 1.0}]}),
        )
        .await
        .expect(200);
    let mut orders = std::collections::BTreeSet::new();
    for _ in 0..6 {
        let page = client.get("/v1/daas/customers").await.expect(200).clone();
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 4);
        orders.insert(
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
        );
        for item in &items {
            let before = plain["items"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["id"] == item["id"])
                .expect("the same objects");
            assert_eq!(item["spec"]["name"], before["spec"]["name"]);
            assert_eq!(item["externalRef"], before["externalRef"]);
            let lower = |v: &Value| v.as_str().map(str::to_lowercase);
            assert_eq!(
                lower(&item["spec"]["contact"]["email"]),
                lower(&before["spec"]["contact"]["email"])
            );
            assert!(item["spec"]["lastModifiedBy"].is_string());
            assert!(item["etag"].is_string());
        }
    }
    assert!(
        orders.len() > 1,
        "the items come in other orders: {orders:?}"
    );
}
