//! Idempotency-Key, server side (DESIGN.md §7).

use std::time::Duration;

use serde_json::json;
use tenantry::sandbox::{FaultConfig, FaultRule, SandboxConfig};

use super::{Client, customer, customer_spec, start, start_with};

fn body(name: &str) -> serde_json::Value {
    json!({"externalRef": "ns/kenton", "spec": customer_spec(name, "kenton.com")})
}

#[tokio::test]
async fn a_replay_returns_the_first_answer_byte_for_byte() {
    let (sandbox, client) = start().await;
    let first = client
        .post_key("/v1/daas/customers", &body("Kenton"), "k1")
        .await;
    first.expect(201);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let second = client
        .post_key("/v1/daas/customers", &body("Kenton"), "k1")
        .await;
    assert_eq!(second.status.as_u16(), 201);
    assert_eq!(second.bytes, first.bytes);
    assert_eq!(second.headers["location"], first.headers["location"]);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/kenton")
            .await,
        1
    );
    let log = sandbox.requests();
    assert_eq!(log.len(), 2);
    assert!(!log[0].replayed && log[1].replayed);
    assert_eq!(log[1].idempotency_key.as_deref(), Some("k1"));
}

#[tokio::test]
async fn the_same_key_for_another_request_is_refused() {
    let (sandbox, client) = start().await;
    client
        .post_key("/v1/daas/customers", &body("Kenton"), "k1")
        .await
        .expect(201);
    client
        .post_key("/v1/daas/customers", &body("Kenton Two"), "k1")
        .await
        .expect_error(422, "IdempotencyKeyReused");
    client
        .post_key(
            "/v1/cloudlink/accounts",
            &json!({"externalRef": "ns/x", "spec": {}}),
            "k1",
        )
        .await
        .expect_error(422, "IdempotencyKeyReused");
    // Key order in the body does not make it a different request.
    let reordered = serde_json::from_str::<serde_json::Value>(
        &serde_json::to_string(
            &json!({"spec": customer_spec("Kenton", "kenton.com"), "externalRef": "ns/kenton"}),
        )
        .unwrap(),
    )
    .unwrap();
    client
        .post_key("/v1/daas/customers", &reordered, "k1")
        .await
        .expect(201);
    assert_eq!(sandbox.object_count().await, 1);
}

#[tokio::test]
async fn keys_are_scoped_by_credential() {
    let (sandbox, client) = start().await;
    let other = Client::for_url(client.base.clone()).with_token("another-reseller");
    client
        .post_key("/v1/daas/customers", &body("Kenton"), "shared")
        .await
        .expect(201);
    let theirs = json!({"externalRef": "ns/theirs", "spec": customer_spec("Theirs", "theirs.com")});
    other
        .post_key("/v1/daas/customers", &theirs, "shared")
        .await
        .expect(201);
    assert_eq!(sandbox.object_count().await, 2);
}

#[tokio::test]
async fn a_key_in_flight_gets_409_then_replays() {
    let faults = FaultConfig {
        seed: None,
        rules: vec![FaultRule {
            method: Some("POST".into()),
            kind: Some("customers".into()),
            latency_ms: 1000,
            retry_after_seconds: 1,
            ..FaultRule::default()
        }],
    };
    let (sandbox, client) = start_with(SandboxConfig::default().with_faults(faults)).await;
    let b = body("Kenton");
    let (a, c) = tokio::join!(
        client.post_key("/v1/daas/customers", &b, "slow"),
        client.post_key("/v1/daas/customers", &b, "slow")
    );
    let mut statuses = [a.status.as_u16(), c.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{:#} {:#}", a.body, c.body);
    let conflict = if a.status.as_u16() == 409 { &a } else { &c };
    conflict.expect_error(409, "IdempotencyKeyInUse");
    let winner = if a.status.as_u16() == 201 { &a } else { &c };
    let replay = client.post_key("/v1/daas/customers", &b, "slow").await;
    assert_eq!(replay.bytes, winner.bytes);
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/kenton")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_key_make_one_object() {
    let (sandbox, client) = start().await;
    let client = std::sync::Arc::new(client);
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let client = std::sync::Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            client
                .post_key("/v1/daas/customers", &body("Kenton"), "same-key")
                .await
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        match answer.status.as_u16() {
            201 => created.push(answer.bytes),
            409 => {
                answer.expect_error(409, "IdempotencyKeyInUse");
            }
            other => panic!("unexpected {other}: {:#}", answer.body),
        }
    }
    assert!(!created.is_empty());
    assert!(
        created.iter().all(|b| b == &created[0]),
        "every 201 is the same answer"
    );
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/kenton")
            .await,
        1
    );
    assert_eq!(sandbox.object_count().await, 1);
}

#[tokio::test]
async fn accepted_answers_and_updates_replay_too() {
    let (sandbox, client) = start().await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    let aad =
        json!({"externalRef": "ns/aad", "spec": {"customerId": customer, "mode": "CreateNew"}});
    let first = client.post_key("/v1/daas/azure-ad", &aad, "aad-1").await;
    first.expect(202);
    let second = client.post_key("/v1/daas/azure-ad", &aad, "aad-1").await;
    assert_eq!(second.status.as_u16(), 202);
    assert_eq!(second.bytes, first.bytes);
    assert_eq!(sandbox.count_objects("daas", "azure-ad", "ns/aad").await, 1);

    let path = format!("/v1/daas/customers/{customer}");
    let mut spec = customer_spec("Kenton", "kenton.com");
    spec["billingId"] = json!("RQ-9");
    let put = |key: &'static str| {
        let client = &client;
        let path = path.clone();
        let spec = spec.clone();
        async move {
            client
                .send(
                    reqwest::Method::PUT,
                    &path,
                    Some(&json!({"spec": spec})),
                    Some(key),
                )
                .await
        }
    };
    let a = put("put-1").await;
    assert_eq!(a.expect(200)["version"], 2);
    let b = put("put-1").await;
    assert_eq!(b.bytes, a.bytes);
    assert_eq!(client.get(&path).await.body["version"], 2);
}

#[tokio::test]
async fn expired_keys_are_forgotten() {
    let config = SandboxConfig {
        idempotency_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    };
    let (sandbox, client) = start_with(config).await;
    client
        .post_key("/v1/daas/customers", &body("Kenton"), "old")
        .await
        .expect(201);
    tokio::time::sleep(Duration::from_millis(5)).await;
    // The key is forgotten, so the request runs again; the externalRef still makes it find
    // the first object instead of creating a duplicate.
    let again = client
        .post_key("/v1/daas/customers", &body("Kenton"), "old")
        .await;
    again.expect_error(409, "ExternalRefExists");
    assert!(again.headers.get("idempotent-replayed").is_none());
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/kenton")
            .await,
        1
    );
}
