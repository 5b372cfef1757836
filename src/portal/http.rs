//! `HttpPortal`: the contract's HTTP client (reqwest + rustls) with retries, budget and scrubbing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

use super::auth::{Credential, TENANT_PLACEHOLDER, TenantTokens, TokenSource};
use super::budget::Budget;
use super::error::{AttemptError, PortalError};
use super::idempotency::idempotency_key;
use super::retry::{RetryPolicy, is_retryable_status, parse_retry_after};
use super::scrub::{MIN_SECRET_LEN, Scrubber};
use super::wire::{
    Accepted, DeleteOutcome, ErrorEnvelope, ListPage, Operation, PortalObject, WriteOutcome,
};
use super::{CallCounts, ListFilter, PortalApi, WriteRequest};
use crate::api::{Portal, RateLimit, Sensitive};

/// Settings of one portal connection.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Connection name (the PortalConnection's, or `sandbox`); part of idempotency keys.
    pub name: String,
    /// Base URL of the contract.
    pub url: String,
    /// Static bearer token.
    pub token: Option<Sensitive>,
    /// OAuth2 grant or API key, when the connection uses one instead of a static token.
    pub auth: Option<Credential>,
    /// Request budget.
    pub rate_limit: RateLimit,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Page size of list calls.
    pub page_size: u32,
}

impl ClientConfig {
    /// Defaults for a URL.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            token: None,
            auth: None,
            rate_limit: RateLimit::default(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            page_size: 100,
        }
    }
}

/// Counters of portal calls, for the CLI summary and metrics.
#[derive(Debug, Default)]
pub struct CallStats {
    /// Read requests sent (lists, gets, operation polls).
    pub reads: AtomicU64,
    /// Write requests sent (create, update, delete), retries included.
    pub writes: AtomicU64,
    /// Retries after a transient failure.
    pub retries: AtomicU64,
}

/// Sees every attempt's outcome, e.g. to count portal calls by portal and result in metrics.
pub trait CallObserver: Send + Sync {
    /// One attempt finished: `outcome` is `ok`, `rejected`, `throttled`, `server-error` or `transport`.
    fn observe(&self, portal: &str, write: bool, outcome: &'static str);
}

/// The HTTP client of one portal connection. Cheap to clone; clones share budget and stats.
#[derive(Clone)]
pub struct HttpPortal {
    http: reqwest::Client,
    base: Url,
    config: Arc<ClientConfig>,
    budget: Budget,
    stats: Arc<CallStats>,
    observer: Option<Arc<dyn CallObserver>>,
    scrubber: Scrubber,
    /// The connection's OAuth2 tokens, shared by every clone.
    tokens: Option<TokenSource>,
    /// A vendor API's own headers and the response header that traces a request.
    vendor: Option<Arc<VendorHeaders>>,
    /// Per-tenant tokens when the token URL holds `{tenant}` (Graph); see [`Self::in_tenant`].
    tenants: Option<TenantTokens>,
}

/// What a vendor API asks of every request beyond the token (`portal::vendors`).
#[derive(Debug, Clone, Default)]
pub(crate) struct VendorHeaders {
    /// Sent on every request, e.g. Mitel's `x-mitel-app`.
    pub sent: Vec<(&'static str, String)>,
    /// A response header naming the request for the vendor's support (e.g.
    /// `x-mitel-correlation-id`): logged at debug and quoted in errors.
    pub trace: Option<&'static str>,
}

impl std::fmt::Debug for HttpPortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPortal")
            .field("name", &self.config.name)
            .field("url", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl HttpPortal {
    /// A client for `config`, with its own budget.
    pub fn new(config: ClientConfig) -> Result<Self, PortalError> {
        let budget = Budget::new(&config.rate_limit);
        Self::with_budget(config, budget)
    }

    /// A client sharing an existing budget (one budget per connection, many callers).
    pub fn with_budget(config: ClientConfig, budget: Budget) -> Result<Self, PortalError> {
        install_crypto_provider();
        // A credential that short is a placeholder or a typo, and could not be told apart
        // from ordinary text when it is scrubbed from portal answers.
        if let Some(token) = &config.token
            && token.expose().chars().count() < MIN_SECRET_LEN
        {
            return Err(PortalError::Setup(format!(
                "the token of connection {} is {} characters; a real credential has at least {MIN_SECRET_LEN}",
                config.name,
                token.expose().chars().count()
            )));
        }
        let credentials: Vec<Sensitive> = config
            .token
            .iter()
            .cloned()
            .chain(config.auth.iter().flat_map(Credential::secrets))
            .collect();
        if let Some(short) = credentials
            .iter()
            .find(|s| s.expose().chars().count() < MIN_SECRET_LEN)
        {
            return Err(PortalError::Setup(format!(
                "a credential of connection {} (spec.auth) is {} characters; a real credential has at least {MIN_SECRET_LEN}",
                config.name,
                short.expose().chars().count()
            )));
        }
        let mut base = Url::parse(&config.url)
            .map_err(|e| PortalError::Setup(format!("portal URL {:?}: {e}", config.url)))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("tenantry/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PortalError::Setup(e.to_string()))?;
        let scrubber = Scrubber::with_credentials(credentials);
        let tokens = match &config.auth {
            Some(Credential::OAuth2(grant)) => Some(TokenSource::new(
                &config.name,
                grant.clone(),
                http.clone(),
                config.retry.clone(),
                scrubber.clone(),
            )),
            _ => None,
        };
        // A token URL with `{tenant}` has no token of its own: each tenant gets one.
        let per_tenant = matches!(&config.auth, Some(Credential::OAuth2(g)) if g.token_url.contains(TENANT_PLACEHOLDER));
        let (tokens, tenants) = match tokens {
            Some(t) if per_tenant => (None, Some(TenantTokens::new(t))),
            other => (other, None),
        };
        Ok(Self {
            http,
            base,
            config: Arc::new(config),
            budget,
            stats: Arc::new(CallStats::default()),
            observer: None,
            scrubber,
            tokens,
            vendor: None,
            tenants,
        })
    }

    /// Sends `headers.sent` on every request and reports `headers.trace` of every answer.
    pub(crate) fn with_vendor_headers(mut self, headers: VendorHeaders) -> Self {
        self.vendor = Some(Arc::new(headers));
        self
    }

    /// This client acting inside directory tenant `tenant` (a tenant id or domain): its
    /// calls carry that tenant's token (token URL `{tenant}` filled); budget, counters and
    /// scrubbing stay shared. Unchanged when the token URL has no placeholder.
    pub(crate) fn in_tenant(&self, tenant: &str) -> Self {
        let mut scoped = self.clone();
        if let Some(tenants) = &self.tenants {
            scoped.tokens = Some(tenants.of(tenant));
        }
        scoped
    }

    /// This client sending header `name: value` on every request (e.g. Graph's
    /// `ConsistencyLevel: eventual`).
    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Self {
        let mut vendor = self.vendor.as_deref().cloned().unwrap_or_default();
        vendor.sent.push((name, value.to_owned()));
        self.vendor = Some(Arc::new(vendor));
        self
    }

    /// Registers secrets a vendor adapter sends, so no answer can repeat them.
    pub(crate) fn remember(&self, secrets: &[Sensitive]) {
        self.scrubber.remember(secrets);
    }

    /// The connection's base URL (a vendor's next-page links must stay under it).
    pub(crate) fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// Reports every attempt to `observer` (metrics).
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn record(&self, portal: &str, write: bool, outcome: &'static str) {
        if let Some(observer) = &self.observer {
            observer.observe(portal, write, outcome);
        }
    }

    /// Call counters of this client and its clones.
    pub fn stats(&self) -> &CallStats {
        &self.stats
    }

    /// The connection's request budget (shared by every caller of the connection).
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// The connection name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Token requests this client and its clones sent (0 without an OAuth2 grant).
    pub fn token_requests(&self) -> u64 {
        self.tokens.as_ref().map_or(0, TokenSource::requests)
            + self.tenants.as_ref().map_or(0, TenantTokens::requests)
    }

    fn url(&self, path: &str) -> Result<Url, PortalError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| PortalError::Setup(format!("bad request path {path:?}: {e}")))
    }

    /// Sends one request of a vendor API (`path` relative to the connection's URL, query
    /// included) with the connection's token, retries, budget and scrubbing; returns the
    /// final status (2xx or 404) and body. For the vendor adapters (`portal::vendors`).
    pub(crate) async fn call(
        &self,
        portal: &str,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(StatusCode, bytes::Bytes), PortalError> {
        let url = self.url(path)?;
        self.send(portal, method, url, body, &[], &[]).await
    }

    /// [`Self::call`] with request headers of the vendor's own (e.g. Partner Center's
    /// `MS-RequestId`, the same on every retry of the call).
    pub(crate) async fn call_with_headers(
        &self,
        portal: &str,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<(StatusCode, bytes::Bytes), PortalError> {
        let url = self.url(path)?;
        self.send(portal, method, url, body, headers, &[]).await
    }

    /// [`Self::call`] for a request that reads whatever its method (a vendor's `PUT` or
    /// `POST` query), counted as a read in the run's summary.
    pub(crate) async fn call_read(
        &self,
        portal: &str,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(StatusCode, bytes::Bytes), PortalError> {
        let url = self.url(path)?;
        self.send_counted(portal, method, url, body, &[], &[], false)
            .await
    }

    /// Sends a request with retries; returns the final status and body. `GET` and `HEAD`
    /// count as reads, every other method as a write.
    async fn send(
        &self,
        portal: &str,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
        secrets: &[&Sensitive],
    ) -> Result<(StatusCode, bytes::Bytes), PortalError> {
        let is_write = !matches!(method, Method::GET | Method::HEAD);
        self.send_counted(portal, method, url, body, headers, secrets, is_write)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_counted(
        &self,
        portal: &str,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
        secrets: &[&Sensitive],
        is_write: bool,
    ) -> Result<(StatusCode, bytes::Bytes), PortalError> {
        let mut last = String::new();
        let policy = &self.config.retry;
        let mut reauthenticated = false;
        let mut attempt = 0;
        while attempt < policy.max_attempts {
            let bearer = match &self.tokens {
                Some(tokens) => Some(tokens.token().await?),
                None => self.config.token.clone(),
            };
            if attempt > 0 {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            let counter = if is_write {
                &self.stats.writes
            } else {
                &self.stats.reads
            };
            counter.fetch_add(1, Ordering::Relaxed);
            let result = {
                let _slot = self.budget.acquire().await;
                let result = self
                    .attempt(
                        portal,
                        method.clone(),
                        url.clone(),
                        body,
                        headers,
                        (bearer.as_ref(), secrets),
                    )
                    .await;
                if let Err(AttemptError::Retry {
                    after: Some(wait), ..
                }) = &result
                {
                    // Paused before the slot is released, so no caller of this connection
                    // starts a request inside the portal's Retry-After.
                    self.budget.pause_for(*wait);
                }
                result
            };
            self.record(portal, is_write, outcome_of(&result));
            attempt += 1;
            match result {
                Ok(done) => return Ok(done),
                // The token expired or was revoked early: get a new one and send again, once.
                Err(AttemptError::Fatal(PortalError::Rejected { status: 401, .. }))
                    if !reauthenticated && self.tokens.is_some() =>
                {
                    reauthenticated = true;
                    attempt -= 1;
                    if let (Some(tokens), Some(rejected)) = (&self.tokens, &bearer) {
                        tracing::debug!(connection = %self.config.name, "the portal refused the token (401); getting a new one");
                        tokens.reject(rejected).await;
                    }
                }
                Err(AttemptError::Fatal(err)) => return Err(err),
                Err(AttemptError::Retry { after, detail, .. }) => {
                    last = detail;
                    let wait = after.unwrap_or_else(|| policy.backoff(attempt - 1));
                    tracing::debug!(portal, attempt, ?wait, reason = %last, "retrying portal call");
                    tokio::time::sleep(wait).await;
                }
            }
        }
        Err(PortalError::Unavailable {
            portal: portal.to_owned(),
            attempts: policy.max_attempts,
            last,
        })
    }

    async fn attempt(
        &self,
        portal: &str,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
        (bearer, secrets): (Option<&Sensitive>, &[&Sensitive]),
    ) -> Result<(StatusCode, bytes::Bytes), AttemptError> {
        let mut req = self.http.request(method, url);
        if let Some(Credential::Basic { user, password, .. }) = &self.config.auth {
            req = req.basic_auth(user.expose(), Some(password.expose()));
        } else if let Some(token) = bearer {
            req = req.bearer_auth(token.expose());
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        for (name, value) in self.vendor.iter().flat_map(|v| v.sent.iter()) {
            req = req.header(*name, value);
        }
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            // Connection refused or reset, timeout: the request may or may not have arrived;
            // the idempotency key makes the retry safe.
            Err(e) => {
                return Err(AttemptError::Retry {
                    after: None,
                    status: None,
                    detail: self.scrub(&transport_detail(&e), secrets),
                });
            }
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        // The vendor's name for this request, so support can find it in their logs.
        let traced = self.vendor.as_ref().and_then(|v| v.trace).map(|name| {
            let id = resp
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(none)")
                .to_owned();
            tracing::debug!(portal, status = status.as_u16(), header = name, correlation = %id, "vendor response");
            format!(" ({name}: {id})")
        });
        let traced = traced.unwrap_or_default();
        // Graph: the app is past 80% of its limit; slow every caller of the connection a
        // little before the portal answers 429.
        let near_limit = resp
            .headers()
            .get("x-ms-throttle-limit-percentage")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .is_some_and(|p| p >= 0.8);
        if near_limit {
            self.budget.pause_for(self.config.retry.base);
        }
        let throttle = resp
            .headers()
            .get("x-ms-throttle-information")
            .and_then(|v| v.to_str().ok())
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Err(AttemptError::Retry {
                    after: None,
                    status: None,
                    detail: self.scrub(&transport_detail(&e), secrets),
                });
            }
        };
        if status.is_success() {
            return Ok((status, bytes));
        }
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            return Ok((status, bytes));
        }
        let vendor = || serde_json::from_slice::<VendorError>(&bytes).ok();
        let (code, message, field) = match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
            Ok(env) => (env.error.code, env.error.message, env.error.field),
            // A vendor's own error shape (Spring's `message`, OAuth2's `error_description`).
            Err(_) if vendor().is_some_and(|v| v.text().is_some()) => (
                // A vendor's own code rides after the status (`Http403/13605`), for its adapter.
                match vendor().and_then(|v| v.code) {
                    Some(Value::String(c)) => format!("Http{}/{c}", status.as_u16()),
                    Some(Value::Number(c)) => format!("Http{}/{c}", status.as_u16()),
                    _ => format!("Http{}", status.as_u16()),
                },
                vendor()
                    .and_then(|v| v.text())
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect(),
                None,
            ),
            Err(_) => (
                format!("Http{}", status.as_u16()),
                String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                None,
            ),
        };
        let message = format!("{}{traced}", self.scrub(&message, secrets));
        // The same key still in flight on the portal: wait and replay.
        let in_flight = status == StatusCode::CONFLICT && code == "IdempotencyKeyInUse";
        if is_retryable_status(status.as_u16()) || in_flight {
            return Err(AttemptError::Retry {
                after: retry_after,
                status: Some(status.as_u16()),
                detail: format!("{} {code}: {message}{throttle}", status.as_u16()),
            });
        }
        Err(AttemptError::Fatal(PortalError::Rejected {
            portal: portal.to_owned(),
            status: status.as_u16(),
            code,
            message,
            field,
        }))
    }

    /// Replaces every secret of the request, every secret this connection sent before, and
    /// the token with `(sensitive)`.
    /// The object with the message of its `status.failure` scrubbed: a portal may repeat
    /// there what it said in the failed operation.
    fn scrub_failure(&self, mut object: PortalObject) -> PortalObject {
        let message = object
            .status
            .get_mut("failure")
            .and_then(|f| f.get_mut("message"));
        if let Some(serde_json::Value::String(text)) = message {
            *text = self.scrub(text, &[]);
        }
        object
    }

    fn scrub(&self, text: &str, secrets: &[&Sensitive]) -> String {
        self.scrubber.scrub(text, secrets)
    }

    fn decode<T: serde::de::DeserializeOwned>(
        portal: &str,
        status: StatusCode,
        bytes: &[u8],
    ) -> Result<T, PortalError> {
        serde_json::from_slice(bytes).map_err(|e| PortalError::Protocol {
            portal: portal.to_owned(),
            status: status.as_u16(),
            detail: e.to_string(),
        })
    }

    async fn write(
        &self,
        portal: Portal,
        method: Method,
        path: String,
        action: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let body = wire_body(req, method == Method::POST);
        let bytes = serde_json::to_vec(&body).map_err(|e| PortalError::Setup(e.to_string()))?;
        let address = format!("{}/{}", portal.id(), path);
        let key = idempotency_key(&self.config.name, &req.uid, &address, action, &bytes);
        self.scrubber.remember(&req.secrets);
        let secrets: Vec<&Sensitive> = req.secrets.iter().collect();
        let url = self.url(&path)?;
        let (status, resp) = self
            .send(
                portal.id(),
                method,
                url,
                Some(&bytes),
                &[("Idempotency-Key", &key)],
                &secrets,
            )
            .await?;
        match status {
            StatusCode::ACCEPTED => {
                let mut accepted = Self::decode::<Accepted>(portal.id(), status, &resp)?;
                accepted.operation = self.scrubber.operation(accepted.operation);
                Ok(WriteOutcome::Accepted(Box::new(accepted)))
            }
            StatusCode::NOT_FOUND => Err(PortalError::Rejected {
                portal: portal.id().to_owned(),
                status: 404,
                code: "NotFound".to_owned(),
                message: format!("{path} does not exist any more; the next plan will create it"),
                field: None,
            }),
            _ => Ok(WriteOutcome::Done(Self::decode(
                portal.id(),
                status,
                &resp,
            )?)),
        }
    }
}

impl PortalApi for HttpPortal {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = self.url(&format!("v1/{}/{kind}", portal.id()))?;
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("limit", &self.config.page_size.to_string());
                if let Some(r) = &filter.external_ref {
                    q.append_pair("externalRef", r);
                }
                if let Some(p) = &filter.external_ref_prefix {
                    q.append_pair("externalRefPrefix", p);
                }
                if let Some(c) = &cursor {
                    q.append_pair("cursor", c);
                }
            }
            let (status, bytes) = self
                .send(portal.id(), Method::GET, url, None, &[], &[])
                .await?;
            if status == StatusCode::NOT_FOUND {
                return Err(PortalError::Protocol {
                    portal: portal.id().to_owned(),
                    status: 404,
                    detail: format!("the portal does not serve kind {kind:?}"),
                });
            }
            let page: ListPage = Self::decode(portal.id(), status, &bytes)?;
            items.extend(page.items.into_iter().map(|o| self.scrub_failure(o)));
            match page.next_cursor {
                Some(next) if !next.is_empty() => cursor = Some(next),
                _ => return Ok(items),
            }
        }
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.write(
            portal,
            Method::POST,
            format!("v1/{}/{kind}", portal.id()),
            "create",
            req,
        )
        .await
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let path = format!("v1/{}/{kind}/{}", portal.id(), url_escape(id));
        self.write(portal, Method::PUT, path, "update", req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        let url = self.url(&format!("v1/{}/{kind}/{}", portal.id(), url_escape(id)))?;
        let (status, bytes) = self
            .send(portal.id(), Method::DELETE, url, None, &[], &[])
            .await?;
        match status {
            StatusCode::ACCEPTED => {
                let op: Operation = match Self::decode::<Value>(portal.id(), status, &bytes)? {
                    Value::Object(mut m) if m.contains_key("operation") => {
                        serde_json::from_value(m.remove("operation").unwrap_or(Value::Null))
                            .map_err(|e| PortalError::Protocol {
                                portal: portal.id().to_owned(),
                                status: 202,
                                detail: e.to_string(),
                            })?
                    }
                    other => serde_json::from_value(other).map_err(|e| PortalError::Protocol {
                        portal: portal.id().to_owned(),
                        status: 202,
                        detail: e.to_string(),
                    })?,
                };
                Ok(DeleteOutcome::Accepted(self.scrubber.operation(op)))
            }
            // 404/410 count as deleted (DESIGN §7: finalizers that never go away).
            _ => Ok(DeleteOutcome::Deleted),
        }
    }

    fn calls(&self) -> CallCounts {
        CallCounts {
            reads: self.stats.reads.load(Ordering::Relaxed),
            writes: self.stats.writes.load(Ordering::Relaxed),
            retries: self.stats.retries.load(Ordering::Relaxed),
        }
    }

    async fn operation(
        &self,
        portal: Portal,
        _kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        let url = self.url(&format!("v1/operations/{}", url_escape(id)))?;
        let (status, bytes) = self
            .send(portal.id(), Method::GET, url, None, &[], &[])
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(PortalError::Rejected {
                portal: portal.id().to_owned(),
                status: 404,
                code: "OperationNotFound".to_owned(),
                message: format!("operation {id} is unknown to the portal"),
                field: None,
            });
        }
        Self::decode(portal.id(), status, &bytes).map(|op| self.scrubber.operation(op))
    }
}

/// The error bodies of the vendor APIs that are not the contract's envelope.
#[derive(serde::Deserialize)]
struct VendorError {
    /// Spring Boot's message.
    #[serde(default)]
    message: Option<String>,
    /// OAuth2's description.
    #[serde(default)]
    error_description: Option<String>,
    /// A vendor's error code (Partner Center's `code`).
    #[serde(default)]
    code: Option<Value>,
    /// Partner Center's description (`{code, description, data, source}`).
    #[serde(default)]
    description: Option<String>,
}

impl VendorError {
    fn text(self) -> Option<String> {
        self.message
            .or(self.error_description)
            .or(self.description)
            .filter(|m| !m.is_empty())
    }
}

fn outcome_of(result: &Result<(StatusCode, bytes::Bytes), AttemptError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(AttemptError::Fatal(_)) => "rejected",
        Err(AttemptError::Retry {
            status: Some(429), ..
        }) => "throttled",
        Err(AttemptError::Retry {
            status: Some(_), ..
        }) => "server-error",
        Err(AttemptError::Retry { status: None, .. }) => "transport",
    }
}

/// The wire body of a create (with `externalRef`) or an update.
fn wire_body(req: &WriteRequest, with_ref: bool) -> Value {
    let mut body = json!({ "spec": req.spec, "deletionPolicy": req.deletion_policy });
    if with_ref {
        body["externalRef"] = Value::String(req.external_ref.clone());
    }
    body
}

/// Percent-encodes a path segment.
fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn transport_detail(e: &reqwest::Error) -> String {
    // reqwest's Display includes the URL; that never holds secrets (tokens go in headers).
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "connection dropped"
    };
    format!("{kind}: {e}")
}

/// rustls needs one process-wide crypto provider; tenantry uses ring (as kube does). Called
/// before building any HTTP client.
pub(crate) fn install_crypto_provider() {
    // Err means one is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_body_and_scrubbing() {
        let req = WriteRequest {
            uid: "ns/a".into(),
            external_ref: "ns/a".into(),
            deletion_policy: crate::api::DeletionPolicy::Orphan,
            spec: json!({"username": "jroe", "password": "Canary-9x!"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            secrets: vec![Sensitive::new("Canary-9x!")],
            secret_sources: Vec::new(),
        };
        assert!(!format!("{req:?}").contains("Canary"));
        let body = wire_body(&req, true);
        assert_eq!(body["spec"]["password"], "Canary-9x!");
        assert_eq!(body["externalRef"], "ns/a");
        assert!(wire_body(&req, false).get("externalRef").is_none());

        let mut config = ClientConfig::new("test", "http://127.0.0.1:9");
        config.token = Some(Sensitive::new("tok-1234"));
        let client = HttpPortal::new(config).expect("client");
        let secrets: Vec<&Sensitive> = req.secrets.iter().collect();
        let scrubbed = client.scrub("bad password Canary-9x! for tok-1234", &secrets);
        assert_eq!(scrubbed, "bad password (sensitive) for (sensitive)");
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(url_escape("cus_1"), "cus_1");
        assert_eq!(url_escape("a/b c"), "a%2Fb%20c");
    }
}
