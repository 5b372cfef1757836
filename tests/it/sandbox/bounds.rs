//! The sandbox's bounds and the rules its HTTP edge shares with the CLI (issue 18 items 5
//! and 6): read timeouts, one sandbox per database file, JSON bodies only, the CLI's name
//! rules, and one validator of fault rules.

use std::time::Duration;

use serde_json::json;
use tenantry::sandbox::{Sandbox, SandboxConfig, SandboxError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{customer_spec, start, start_with};

/// Reads until the server closes the connection (or resets it); what it sent first.
/// A guard far above the configured timeouts turns a hang into a failure, not a stuck run.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the sandbox kept a partial request open; it sent {:?}",
                    String::from_utf8_lossy(&got)
                )
            });
        match read {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&got).into_owned(),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_request_whose_headers_never_end_is_closed() {
    let config = SandboxConfig::default()
        .with_read_timeouts(Duration::from_millis(300), Duration::from_millis(300));
    let (sandbox, _) = start_with(config).await;
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: sandbox\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408() {
    let config = SandboxConfig::default()
        .with_read_timeouts(Duration::from_millis(300), Duration::from_millis(300));
    let (sandbox, _) = start_with(config).await;
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(
            b"POST /v1/daas/customers HTTP/1.1\r\nHost: sandbox\r\n\
              Authorization: Bearer test-token\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"externalRef\": ",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"RequestTimeout""#), "{answer}");
    assert_eq!(sandbox.object_count().await, 0);
}

#[tokio::test]
async fn a_second_sandbox_on_one_database_is_refused_until_the_first_stops() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db");
    let db_name = db.to_string_lossy().into_owned();
    let first = Sandbox::start(SandboxConfig::default().with_db(db_name.clone()))
        .await
        .unwrap();
    let Err(err) = Sandbox::start(SandboxConfig::default().with_db(db_name.clone())).await else {
        panic!("a second sandbox started on {db_name}");
    };
    assert!(
        matches!(&err, SandboxError::Busy { db, holder } if *db == db_name && *holder == Some(std::process::id())),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&db_name), "{message}");
    assert!(
        message.contains(&format!("(process {})", std::process::id())),
        "{message}"
    );
    first.shutdown().await;
    let again = Sandbox::start(SandboxConfig::default().with_db(db_name)).await;
    assert!(again.is_ok(), "the lock outlived its sandbox");
}

#[tokio::test]
async fn bodies_that_are_not_json_are_refused_with_415() {
    let (sandbox, client) = start().await;
    let body = serde_json::to_vec(
        &json!({"externalRef": "customers/plain", "spec": customer_spec("Plain", "plain.example")}),
    )
    .unwrap();
    for (method, path, content_type) in [
        (
            reqwest::Method::POST,
            "/v1/daas/customers",
            Some("text/plain"),
        ),
        (reqwest::Method::POST, "/v1/daas/customers", None),
        (
            reqwest::Method::PUT,
            "/sandbox/faults",
            Some("application/x-www-form-urlencoded"),
        ),
    ] {
        let mut req = client
            .http
            .request(method, format!("{}{path}", client.base))
            .bearer_auth(&client.token)
            .body(body.clone());
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 415, "{path} {content_type:?}");
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["error"]["code"], "UnsupportedMediaType", "{answer}");
    }
    assert_eq!(sandbox.object_count().await, 0);
    // The same body as JSON, with a charset, is a create.
    let res = client
        .http
        .post(format!("{}/v1/daas/customers", client.base))
        .bearer_auth(&client.token)
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
}

/// Names the CLI refuses (validate's one-line text rule) are refused by the contract too.
#[tokio::test]
async fn names_with_control_characters_are_refused_like_the_cli_does() {
    let (sandbox, client) = start().await;
    for (i, name) in [
        "Kenton\u{0}Electronics",
        "Kenton\nElectronics",
        "Tab\there",
        "\u{7f}",
    ]
    .into_iter()
    .enumerate()
    {
        assert!(tenantry::validate::one_line_text(name).is_err(), "{name:?}");
        let answer = client
            .create(
                "/v1/daas/customers",
                &format!("customers/c{i}"),
                customer_spec(name, &format!("c{i}.example")),
            )
            .await;
        answer.expect_error(422, "InvalidField");
        assert_eq!(answer.body["error"]["field"], "spec.name", "{name:?}");
        let mut spec = customer_spec("Fine", &format!("d{i}.example"));
        spec["contact"]["name"] = json!(name);
        let answer = client
            .create("/v1/daas/customers", &format!("customers/d{i}"), spec)
            .await;
        answer.expect_error(422, "InvalidField");
        assert_eq!(answer.body["error"]["field"], "spec.contact.name");
    }
    assert_eq!(sandbox.object_count().await, 0);
}

/// One validator for both edges: what `PUT /sandbox/faults` refuses, start-up refuses too.
#[tokio::test]
async fn fault_rules_refused_at_runtime_are_refused_at_start_up() {
    let (_sandbox, client) = start().await;
    for rules in [
        json!([{"serverError": 2}]),
        json!([{"serverErrorStatuses": [404]}]),
        json!([{"clientErrorStatuses": [429]}]),
        json!([{"commitThenDrop": 0.6, "commitThenTimeout": 0.6}]),
    ] {
        let body = json!({ "rules": rules });
        client
            .put("/sandbox/faults", &body)
            .await
            .expect_error(422, "InvalidField");
        let config = serde_json::from_value(body).unwrap();
        let started = Sandbox::start(SandboxConfig::default().with_faults(config)).await;
        assert!(
            matches!(started, Err(SandboxError::Faults(_))),
            "{rules} started"
        );
    }
}
