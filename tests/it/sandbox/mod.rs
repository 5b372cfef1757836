//! The sandbox over real HTTP: every portal rule, the contract's envelope, lists, errors and
//! idempotency, restart persistence, injected faults and the OpenAPI agreement.

mod apps;
mod binary;
mod bounds;
mod cloudlink;
mod contactcenter;
mod contract;
mod daas;
mod faults;
mod idempotency;
mod openapi;
mod teammate;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tenantry::sandbox::{Sandbox, SandboxConfig};

/// A test client of one sandbox.
pub struct Client {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// An answer: status, headers and the JSON body (`null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
    pub body: Value,
}

impl Answer {
    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts an error answer with `status` and `code` and the contract's error shape.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(self.code(), code, "{:#}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{:#}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        &self.body
    }

    /// The object of a 201 (the envelope) or a 202 (`object`).
    pub fn object(&self) -> &Value {
        if self.body.get("object").is_some() {
            &self.body["object"]
        } else {
            &self.body
        }
    }

    pub fn id(&self) -> String {
        self.object()["id"].as_str().unwrap_or_default().to_owned()
    }
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    pub fn new(sandbox: &Sandbox) -> Self {
        Self::for_url(sandbox.url())
    }

    pub fn for_url(base: String) -> Self {
        install_crypto();
        Self {
            base,
            token: "test-token".to_owned(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
        }
    }

    pub fn with_token(mut self, token: &str) -> Self {
        self.token = token.to_owned();
        self
    }

    /// Sends raw bytes; `key` is the Idempotency-Key.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        key: Option<&str>,
    ) -> Result<Answer, reqwest::Error> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(20));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let res = req.send().await?;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await?.to_vec();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Answer {
            status,
            headers,
            bytes,
            body,
        })
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Answer {
        self.send_raw(
            method,
            path,
            body.map(|b| serde_json::to_vec(b).unwrap()),
            key,
        )
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body), None)
            .await
    }

    pub async fn post_key(&self, path: &str, body: &Value, key: &str) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body), Some(key))
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.send(reqwest::Method::PUT, path, Some(body), None)
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None, None).await
    }

    /// Creates `spec` at `/v1/{portal}/{kind}` under `external_ref`.
    pub async fn create(&self, collection: &str, external_ref: &str, spec: Value) -> Answer {
        self.post(
            collection,
            &json!({"externalRef": external_ref, "spec": spec}),
        )
        .await
    }

    /// Polls an operation until it leaves pending/scheduled/running (or reaches `until`).
    pub async fn wait_op(&self, id: &str, until: &[&str]) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let op = self.get(&format!("/v1/operations/{id}")).await;
            let op = op.expect(200).clone();
            let state = op["state"].as_str().unwrap_or("").to_owned();
            if until.contains(&state.as_str())
                || (until.is_empty()
                    && ["succeeded", "failed", "awaitingHuman"].contains(&state.as_str()))
            {
                return op;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "operation {id} still {state}: {op:#}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits for the operation in a 202 answer to finish and returns it.
    pub async fn finish(&self, answer: &Answer) -> Value {
        let id = answer.body["operation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no operation in {:#}", answer.body))
            .to_owned();
        self.wait_op(&id, &[]).await
    }

    /// The e-mails to `to`.
    pub async fn outbox(&self, to: &str) -> Vec<Value> {
        let answer = self.get(&format!("/sandbox/outbox?to={to}")).await;
        answer.expect(200)["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// A sandbox with default (test) settings and a client.
pub async fn start() -> (Sandbox, Client) {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> (Sandbox, Client) {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let client = Client::new(&sandbox);
    (sandbox, client)
}

/// A valid DaaS customer spec.
pub fn customer_spec(name: &str, domain: &str) -> Value {
    json!({
        "name": name,
        "type": "Standard",
        "contact": {"name": "Jane Roe", "email": format!("jane@{domain}"), "phone": "+15555550100"},
        "address": {"line1": "1 Main St", "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "US"},
        "minPasswordLength": 8,
        "billingId": "RQ-10042",
        "domains": [domain],
    })
}

/// Creates a customer and returns its id.
pub async fn customer(client: &Client, name: &str, domain: &str) -> String {
    let answer = client
        .create(
            "/v1/daas/customers",
            &format!("customers/{}", domain.replace('.', "-")),
            customer_spec(name, domain),
        )
        .await;
    answer.expect(201);
    answer.id()
}
