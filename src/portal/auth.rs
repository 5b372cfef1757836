//! Authentication of a connection beyond a static bearer token: OAuth2 grants (client
//! credentials, refresh token, password) against an identity endpoint, and HTTP Basic API
//! keys.
//!
//! A [`TokenSource`] gets a token, caches it, refreshes it before it expires and once when
//! the portal answers 401, and is shared by every clone of a client (one token request for
//! many calls). The form POST is written here with our reqwest rather than with the `oauth2`
//! crate: oauth2 5.0 needs reqwest 0.12 (a second reqwest), rand 0.8 and chrono, and its token
//! response refuses the string `expires_in` that Microsoft's v1 endpoint sends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::Deserialize;

use super::error::{AuthRefused, PortalError};
use super::retry::{RetryPolicy, is_retryable_status, parse_retry_after};
use super::scrub::Scrubber;
use crate::api::Sensitive;

/// How a connection authenticates when a static bearer token is not enough.
#[derive(Clone)]
pub enum Credential {
    /// An OAuth2 grant: the token it yields is sent as `Authorization: Bearer`.
    OAuth2(Grant),
    /// `Authorization: Basic base64(user:password)` on every request (TCR's key and secret).
    Basic {
        /// The API key.
        user: Sensitive,
        /// The API secret.
        password: Sensitive,
        /// Where they come from, for messages (`Secret ns/name keys a, b`).
        source: String,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OAuth2(grant) => f
                .debug_struct("OAuth2")
                .field("token_url", &grant.token_url)
                .field("flow", &grant.flow.name())
                .finish_non_exhaustive(),
            Self::Basic { source, .. } => f
                .debug_struct("Basic")
                .field("source", source)
                .finish_non_exhaustive(),
        }
    }
}

impl Credential {
    /// Every secret value of the credential (scrubbed from every text a portal returns).
    pub fn secrets(&self) -> Vec<Sensitive> {
        match self {
            Self::OAuth2(grant) => grant.secrets(),
            Self::Basic { user, password, .. } => vec![user.clone(), password.clone()],
        }
    }

    /// The settings and secrets, for the client's fingerprint (hashed there, never shown).
    pub(crate) fn fingerprint_parts(&self) -> Vec<String> {
        match self {
            Self::OAuth2(g) => {
                let mut parts = vec![
                    g.flow.name().to_owned(),
                    g.token_url.clone(),
                    g.client_id.clone().unwrap_or_default(),
                    g.scope.clone().unwrap_or_default(),
                    g.resource.clone().unwrap_or_default(),
                ];
                if let Flow::Password {
                    username,
                    account_id,
                    ..
                } = &g.flow
                {
                    parts.push(username.clone());
                    parts.push(account_id.clone().unwrap_or_default());
                }
                parts.extend(g.secrets().iter().map(|s| s.expose().to_owned()));
                parts
            }
            Self::Basic { user, password, .. } => {
                vec![
                    "basic".to_owned(),
                    user.expose().to_owned(),
                    password.expose().to_owned(),
                ]
            }
        }
    }
}

/// An OAuth2 token request.
#[derive(Clone)]
pub struct Grant {
    /// The token endpoint.
    pub token_url: String,
    /// The flow and its own secrets.
    pub flow: Flow,
    /// The client id, when the flow sends one.
    pub client_id: Option<String>,
    /// The client secret, when the client is confidential.
    pub client_secret: Option<Sensitive>,
    /// Where the client secret comes from, for messages (`Secret ns/name key k`).
    pub client_secret_source: Option<String>,
    /// `scope` form field (v2.0 endpoints).
    pub scope: Option<String>,
    /// `resource` form field (AAD v1 endpoints).
    pub resource: Option<String>,
}

/// The grant type and what only it sends.
#[derive(Clone)]
pub enum Flow {
    /// `grant_type=client_credentials`; the client secret goes in the form.
    ClientCredentials,
    /// `grant_type=refresh_token`; the client secret (if any) goes in the form.
    RefreshToken {
        /// The refresh token (rotated when the endpoint returns a new one).
        token: Sensitive,
        /// Where it comes from, for messages.
        source: String,
    },
    /// `grant_type=password`; the client id and secret (if any) go as HTTP Basic.
    Password {
        /// The API user.
        username: String,
        /// Its password.
        password: Sensitive,
        /// Where the password comes from, for messages.
        source: String,
        /// CloudLink's `account_id` form field.
        account_id: Option<String>,
    },
}

impl Flow {
    /// The grant's name in manifests.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ClientCredentials => "clientCredentials",
            Self::RefreshToken { .. } => "refreshToken",
            Self::Password { .. } => "password",
        }
    }
}

impl Grant {
    fn secrets(&self) -> Vec<Sensitive> {
        let mut out: Vec<Sensitive> = self.client_secret.iter().cloned().collect();
        match &self.flow {
            Flow::ClientCredentials => {}
            Flow::RefreshToken { token, .. } => out.push(token.clone()),
            Flow::Password { password, .. } => out.push(password.clone()),
        }
        out
    }

    /// What to check when the endpoint refuses with `error` (OAuth2 error code).
    fn what_to_check(&self) -> String {
        let client = self
            .client_secret_source
            .as_deref()
            .map(|s| format!("the client id and the client secret in {s}"));
        let grant = match &self.flow {
            Flow::ClientCredentials => None,
            Flow::RefreshToken { source, .. } => Some(format!("the refresh token in {source}")),
            Flow::Password {
                username, source, ..
            } => Some(format!("user {username} and the password in {source}")),
        };
        [client, grant]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", and ")
    }
}

/// A token with the instant it should be replaced.
struct Cached {
    token: Sensitive,
    refresh_at: Instant,
}

struct Inner {
    connection: String,
    grant: Grant,
    http: reqwest::Client,
    retry: RetryPolicy,
    scrubber: Scrubber,
    cached: tokio::sync::Mutex<Option<Cached>>,
    /// The endpoint refused these credentials: asking again cannot help (the client is
    /// rebuilt when the Secret changes), so every caller gets the same error at once.
    refused: std::sync::Mutex<Option<Refusal>>,
    /// The current refresh token (rotated by refresh_token answers).
    refresh: std::sync::Mutex<Option<Sensitive>>,
    requests: AtomicU64,
}

/// Gets, caches and refreshes the tokens of one connection; clones share the cache.
#[derive(Clone)]
pub(crate) struct TokenSource(Arc<Inner>);

impl TokenSource {
    /// A token source for `grant`, registering its secrets and every token with `scrubber`.
    pub fn new(
        connection: &str,
        grant: Grant,
        http: reqwest::Client,
        retry: RetryPolicy,
        scrubber: Scrubber,
    ) -> Self {
        let refresh = match &grant.flow {
            Flow::RefreshToken { token, .. } => Some(token.clone()),
            _ => None,
        };
        Self(Arc::new(Inner {
            connection: connection.to_owned(),
            grant,
            http,
            retry,
            scrubber,
            cached: tokio::sync::Mutex::new(None),
            refused: std::sync::Mutex::new(None),
            refresh: std::sync::Mutex::new(refresh),
            requests: AtomicU64::new(0),
        }))
    }

    /// Token requests sent so far (by this source and its clones).
    pub fn requests(&self) -> u64 {
        self.0.requests.load(Ordering::Relaxed)
    }

    /// The cached token, or a new one when there is none or it is about to expire. Callers
    /// wait on one request rather than each sending their own.
    pub async fn token(&self) -> Result<Sensitive, PortalError> {
        let mut cached = self.0.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        if let Some(refusal) = self.refusal() {
            return Err(refusal.error(&self.0));
        }
        let fresh = match self.fetch().await {
            Ok(fresh) => fresh,
            Err(PortalError::Unauthenticated(refused)) => {
                let refusal = Refusal {
                    status: refused.status,
                    error: refused.error.clone(),
                    description: refused.description.clone(),
                };
                let err = PortalError::Unauthenticated(refused);
                *self
                    .0
                    .refused
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(refusal);
                return Err(err);
            }
            Err(other) => return Err(other),
        };
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    fn refusal(&self) -> Option<Refusal> {
        self.0
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Forgets `rejected` (the portal answered 401 to it), so the next call gets a new one;
    /// a token another caller already replaced stays.
    pub async fn reject(&self, rejected: &Sensitive) {
        let mut cached = self.0.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == rejected) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Cached, PortalError> {
        let inner = &self.0;
        let mut last = String::new();
        for attempt in 0..inner.retry.max_attempts {
            inner.requests.fetch_add(1, Ordering::Relaxed);
            match self.attempt().await {
                Ok(cached) => return Ok(cached),
                // A refused refresh token of a password grant (expired, revoked, or the
                // endpoint restarted): sign in with the password again at once.
                Err(Attempt::Fatal(_)) if self.forget_password_refresh() => {}
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry { after, detail }) => {
                    last = detail;
                    let wait = after.unwrap_or_else(|| inner.retry.backoff(attempt));
                    tracing::debug!(connection = %inner.connection, attempt, ?wait, reason = %last, "retrying the token request");
                    tokio::time::sleep(wait).await;
                }
            }
        }
        Err(PortalError::Unavailable {
            portal: format!("the token endpoint of connection {}", inner.connection),
            attempts: inner.retry.max_attempts,
            last,
        })
    }

    /// Drops the refresh token a password grant got, when it has one; true if it had.
    fn forget_password_refresh(&self) -> bool {
        matches!(self.0.grant.flow, Flow::Password { .. })
            && self
                .0
                .refresh
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .is_some()
    }

    fn form(&self) -> Vec<(&'static str, String)> {
        let g = &self.0.grant;
        let mut form: Vec<(&'static str, String)> = Vec::new();
        let basic = matches!(g.flow, Flow::Password { .. });
        // A password grant that got a refresh token renews with it (CloudLink), so the
        // password is sent once per client rather than at every renewal.
        let refresh = match &g.flow {
            Flow::Password { .. } => self
                .0
                .refresh
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            _ => None,
        };
        if let Some(token) = refresh {
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", token.expose().to_owned()));
            return self.with_client(form, basic);
        }
        match &g.flow {
            Flow::ClientCredentials => form.push(("grant_type", "client_credentials".into())),
            Flow::RefreshToken { token, .. } => {
                let current = self
                    .0
                    .refresh
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone()
                    .unwrap_or_else(|| token.clone());
                form.push(("grant_type", "refresh_token".into()));
                form.push(("refresh_token", current.expose().to_owned()));
            }
            Flow::Password {
                username,
                password,
                account_id,
                ..
            } => {
                form.push(("grant_type", "password".into()));
                form.push(("username", username.clone()));
                form.push(("password", password.expose().to_owned()));
                if let Some(account) = account_id {
                    form.push(("account_id", account.clone()));
                }
            }
        }
        self.with_client(form, basic)
    }

    /// Adds the client id and secret (when not sent as HTTP Basic), scope and resource.
    fn with_client(
        &self,
        mut form: Vec<(&'static str, String)>,
        basic: bool,
    ) -> Vec<(&'static str, String)> {
        let g = &self.0.grant;
        if !basic || g.client_secret.is_none() {
            if let Some(id) = &g.client_id {
                form.push(("client_id", id.clone()));
            }
            if let Some(secret) = &g.client_secret {
                form.push(("client_secret", secret.expose().to_owned()));
            }
        }
        if let Some(scope) = &g.scope {
            form.push(("scope", scope.clone()));
        }
        if let Some(resource) = &g.resource {
            form.push(("resource", resource.clone()));
        }
        form
    }

    async fn attempt(&self) -> Result<Cached, Attempt> {
        let inner = &self.0;
        let g = &inner.grant;
        let mut req = inner
            .http
            .post(&g.token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&self.form());
        if let (Flow::Password { .. }, Some(id), Some(secret)) =
            (&g.flow, &g.client_id, &g.client_secret)
        {
            req = req.basic_auth(id, Some(secret.expose()));
        }
        let resp = req.send().await.map_err(|e| Attempt::Retry {
            after: None,
            detail: inner.scrubber.scrub(&transport(&e), &[]),
        })?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = resp.bytes().await.map_err(|e| Attempt::Retry {
            after: None,
            detail: inner.scrubber.scrub(&transport(&e), &[]),
        })?;
        if status.is_success() {
            let answer: TokenAnswer = serde_json::from_slice(&bytes)
                .map_err(|e| Attempt::Fatal(self.protocol(status, &e.to_string())))?;
            return Ok(self.accept(answer));
        }
        if is_retryable_status(status.as_u16()) {
            return Err(Attempt::Retry {
                after: retry_after,
                detail: format!("{} from the token endpoint", status.as_u16()),
            });
        }
        let (error, description) = match serde_json::from_slice::<OAuthError>(&bytes) {
            Ok(e) => (e.error, e.error_description.unwrap_or_default()),
            Err(_) => (
                format!("http{}", status.as_u16()),
                String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            ),
        };
        Err(Attempt::Fatal(PortalError::Unauthenticated(Box::new(
            AuthRefused {
                connection: inner.connection.clone(),
                endpoint: g.token_url.clone(),
                status: status.as_u16(),
                error,
                description: inner.scrubber.scrub(first_line(&description), &[]),
                check: g.what_to_check(),
            },
        ))))
    }

    fn accept(&self, answer: TokenAnswer) -> Cached {
        let token = Sensitive::new(answer.access_token);
        let mut issued = vec![token.clone()];
        if let Some(rotated) = answer.refresh_token.filter(|r| !r.is_empty()) {
            let rotated = Sensitive::new(rotated);
            issued.push(rotated.clone());
            if matches!(
                self.0.grant.flow,
                Flow::RefreshToken { .. } | Flow::Password { .. }
            ) {
                *self
                    .0
                    .refresh
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(rotated);
            }
        }
        self.0.scrubber.remember(&issued);
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        Cached {
            token,
            refresh_at: Instant::now() + lifetime.saturating_sub(refresh_margin(lifetime)),
        }
    }

    fn protocol(&self, status: StatusCode, detail: &str) -> PortalError {
        PortalError::Protocol {
            portal: format!("the token endpoint of connection {}", self.0.connection),
            status: status.as_u16(),
            detail: self.0.scrubber.scrub(detail, &[]),
        }
    }
}

/// The placeholder of a token URL that names the directory tenant a token is for
/// (`https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`): Graph acts inside each
/// customer's tenant, so its tokens are per tenant.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";

/// One [`TokenSource`] per tenant of a grant whose token URL holds [`TENANT_PLACEHOLDER`],
/// keyed by the filled URL; clones share them. Each source caches, renews and scrubs as a
/// connection's single source does.
#[derive(Clone)]
pub(crate) struct TenantTokens {
    template: TokenSource,
    sources: Arc<std::sync::Mutex<std::collections::HashMap<String, TokenSource>>>,
}

impl TenantTokens {
    /// The per-tenant sources of `template` (whose grant's URL holds the placeholder).
    pub fn new(template: TokenSource) -> Self {
        Self {
            template,
            sources: Arc::default(),
        }
    }

    /// The token source of `tenant` (a tenant id or one of its domain names).
    pub fn of(&self, tenant: &str) -> TokenSource {
        let inner = &self.template.0;
        let url = inner
            .grant
            .token_url
            .replace(TENANT_PLACEHOLDER, &tenant.to_ascii_lowercase());
        let mut sources = self
            .sources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sources
            .entry(url.clone())
            .or_insert_with(|| {
                let mut grant = inner.grant.clone();
                grant.token_url = url;
                TokenSource::new(
                    &inner.connection,
                    grant,
                    inner.http.clone(),
                    inner.retry.clone(),
                    inner.scrubber.clone(),
                )
            })
            .clone()
    }

    /// Token requests sent for every tenant so far.
    pub fn requests(&self) -> u64 {
        self.sources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .map(TokenSource::requests)
            .sum()
    }
}

/// How long before its expiry a token is replaced: a quarter of its lifetime, at most a
/// minute, so a call never leaves with a token that expires on the way.
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 4).min(Duration::from_secs(60))
}

/// What the token endpoint said when it refused the credentials.
#[derive(Clone)]
struct Refusal {
    status: u16,
    error: String,
    description: String,
}

impl Refusal {
    fn error(&self, inner: &Inner) -> PortalError {
        PortalError::Unauthenticated(Box::new(AuthRefused {
            connection: inner.connection.clone(),
            endpoint: inner.grant.token_url.clone(),
            status: self.status,
            error: self.error.clone(),
            description: self.description.clone(),
            check: inner.grant.what_to_check(),
        }))
    }
}

enum Attempt {
    Retry {
        after: Option<Duration>,
        detail: String,
    },
    Fatal(PortalError),
}

/// A token answer; `expires_in` is a number (v2.0, RFC 6749) or a string (AAD v1).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(u64),
        S(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::N(n)) => Some(n),
        Some(Either::S(s)) => s.trim().parse().ok(),
        None => None,
    })
}

/// AAD descriptions carry trace and correlation ids on further lines.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "connection dropped"
    };
    format!("{kind} (token endpoint): {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_before_they_expire() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3599)),
            Duration::from_secs(60)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(40)),
            Duration::from_secs(10)
        );
        assert_eq!(refresh_margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn expires_in_is_a_number_or_a_string() {
        let v2: TokenAnswer =
            serde_json::from_str(r#"{"token_type":"Bearer","expires_in":3599,"access_token":"a"}"#)
                .expect("v2");
        assert_eq!(v2.expires_in, Some(3599));
        let v1: TokenAnswer = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":"3599","expires_on":"1","access_token":"a"}"#,
        )
        .expect("v1");
        assert_eq!(v1.expires_in, Some(3599));
    }

    #[test]
    fn debug_shows_no_secret() {
        let grant = Grant {
            token_url: "https://login.example/t/oauth2/v2.0/token".into(),
            flow: Flow::Password {
                username: "api".into(),
                password: Sensitive::new("Pass-Canary-1"),
                source: "Secret a/b key c".into(),
                account_id: Some("acc".into()),
            },
            client_id: Some("id".into()),
            client_secret: Some(Sensitive::new("Client-Canary-1")),
            client_secret_source: Some("Secret a/b key d".into()),
            scope: None,
            resource: None,
        };
        let shown = format!("{:?}", Credential::OAuth2(grant.clone()));
        assert!(!shown.contains("Canary"), "{shown}");
        assert_eq!(grant.secrets().len(), 2);
        assert!(grant.what_to_check().contains("Secret a/b key d"));
    }
}
