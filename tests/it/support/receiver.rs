//! A webhook receiver for the notification tests (CLI and controller): it records every
//! request and answers 503 to 3 requests in 10 (never two in a row), or 400 to all while told
//! to refuse.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    /// The last path segment (`/hooks/{hook}`).
    pub hook: String,
    /// `X-Tenantry-Event-Id`.
    pub event_id: String,
    /// Every header, as `Debug` prints them.
    pub headers: String,
    /// The body.
    pub body: String,
    /// Answered 2xx.
    pub accepted: bool,
}

impl Received {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .split(&format!("\"{name}\": \""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    }

    /// True when `X-Tenantry-Signature` is the HMAC-SHA256 under `key` of `timestamp.body`.
    pub fn signed_with(&self, key: &str) -> bool {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
            .unwrap_or_else(|_| unreachable!());
        mac.update(format!("{}.{}", self.header("x-tenantry-timestamp"), self.body).as_bytes());
        self.header("x-tenantry-signature") == format!("sha256={:x}", mac.finalize().into_bytes())
    }
}

/// The receiver's state.
#[derive(Default)]
pub(crate) struct Receiver {
    log: Mutex<Vec<Received>>,
    refuse: AtomicBool,
}

impl Receiver {
    /// Every request so far.
    pub fn log(&self) -> Vec<Received> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Answers 400 to every request from now on (or stops doing so).
    pub fn refuse(&self, refuse: bool) {
        self.refuse.store(refuse, Ordering::Relaxed);
    }

    /// Accepted deliveries to `hook`, counted per event id.
    pub fn accepted(&self, hook: &str) -> BTreeMap<String, usize> {
        let mut count = BTreeMap::new();
        for r in self.log().iter().filter(|r| r.accepted && r.hook == hook) {
            *count.entry(r.event_id.clone()).or_insert(0) += 1;
        }
        count
    }
}

async fn hook(
    State(r): State<Arc<Receiver>>,
    UrlPath(hook): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut log = r.log.lock().unwrap_or_else(|e| e.into_inner());
    let refusing = r.refuse.load(Ordering::Relaxed);
    let accepted = !refusing && ![0, 3, 6].contains(&(log.len() % 10));
    log.push(Received {
        hook,
        event_id: headers
            .get("x-tenantry-event-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        headers: format!("{headers:?}"),
        body: String::from_utf8_lossy(&body).into_owned(),
        accepted,
    });
    match (accepted, refusing) {
        (true, _) => StatusCode::OK,
        (false, true) => StatusCode::BAD_REQUEST,
        (false, false) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Starts a receiver on 127.0.0.1:0; returns it and its base URL (hooks at `/hooks/{name}`).
pub(crate) async fn receiver() -> (Arc<Receiver>, String) {
    let state = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/hooks/{hook}", post(hook))
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, url)
}
