//! A recording proxy between `tenantry` and the sandbox: what went over the wire, the one
//! place (with the portal's outbox) where a secret must appear. It tells the test which
//! passwords were generated during an apply, and proves the echoed secrets really came back.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request and its answer, as they crossed the proxy.
#[derive(Clone)]
pub struct Exchange {
    /// The request's path.
    pub path: String,
    /// The request's `Authorization` header.
    pub authorization: String,
    /// The request's JSON body (`null` when none).
    pub request: Value,
    /// The request's form-encoded body (a token request), raw.
    pub form: String,
    /// The answer's body, as text.
    pub response: String,
}

#[derive(Clone)]
struct Upstream {
    base: String,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
}

/// The running proxy.
pub struct Wire {
    url: String,
    log: Arc<Mutex<Vec<Exchange>>>,
}

impl Wire {
    /// Starts a proxy on 127.0.0.1:0 in front of `upstream`.
    pub async fn start(upstream: &str) -> Self {
        crate::sandbox::install_crypto();
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            log: Arc::clone(&log),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("proxy bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy addr: {e}"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}"),
            log,
        }
    }

    /// The proxy's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every password value the client sent (`password`, `passwordConfirmation` in a spec).
    pub fn sent_passwords(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .exchanges()
            .iter()
            .flat_map(|e| {
                ["password", "passwordConfirmation"]
                    .into_iter()
                    .filter_map(|f| e.request["spec"][f].as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every token an identity endpoint issued through the proxy (`access_token`,
    /// `refresh_token` of its answers).
    pub fn issued_tokens(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .exchanges()
            .iter()
            .filter(|e| {
                e.path.contains("/oauth2/")
                    || e.path.starts_with("/mitel/authentication/")
                    // ConnectToTeams' password grant (Spring's `/oauth/token`).
                    || e.path.ends_with("/oauth/token")
            })
            .filter_map(|e| serde_json::from_str::<Value>(&e.response).ok())
            .flat_map(|answer| {
                ["access_token", "refresh_token"]
                    .into_iter()
                    .filter_map(|f| answer[f].as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

async fn forward(
    State(up): State<Upstream>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut req = up.http.request(method, format!("{}{path}", up.base));
    for name in [
        "authorization",
        "idempotency-key",
        "content-type",
        "x-mitel-app",
        // Partner Center's request headers.
        "ms-requestid",
        "ms-correlationid",
        "ms-continuationtoken",
        "consistencylevel",
    ] {
        if let Some(value) = headers.get(name) {
            req = req.header(name, value);
        }
    }
    let request = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let form = if request.is_null() {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        String::new()
    };
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let answer = match req.body(body).send().await {
        Ok(answer) => answer,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let mut out = HeaderMap::new();
    for name in [
        "content-type",
        "retry-after",
        "location",
        "idempotent-replayed",
    ] {
        if let Some(value) = answer.headers().get(name) {
            out.insert(name, value.clone());
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    up.log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Exchange {
            path: uri.path().to_owned(),
            authorization,
            form,
            request,
            response: String::from_utf8_lossy(&bytes).into_owned(),
        });
    (status, out, bytes).into_response()
}
