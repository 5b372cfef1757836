//! The identity endpoint: an emulation of `login.microsoftonline.com`'s token endpoints,
//! `POST /{tenant}/oauth2/token` (v1, `resource`) and `POST /{tenant}/oauth2/v2.0/token`
//! (v2, `scope`), form-encoded, with grants `client_credentials`, `refresh_token` and
//! `password`, AAD's error shape (`{"error", "error_description", "error_codes", ...}`, 400 or
//! 401) and `expires_in`. The tokens it issues expire after the configured lifetime on the
//! sandbox's scaled clock; the contract accepts them until then and answers 401 after.
//!
//! With no registered clients (the default) any client id with a non-empty secret is
//! accepted, as any non-empty bearer token is; with clients, only those.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::clock::now_ms;
use super::path::PathParams;
use super::state::Shared;
use crate::api::Sensitive;

/// Prefix of issued access tokens: a token with it that the sandbox does not know is stale.
pub(crate) const ACCESS_PREFIX: &str = "sbx-at-";
const REFRESH_PREFIX: &str = "sbx-rt-";

/// Who may get tokens, and for how long they hold.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// Registered clients (id, secret); any client with a non-empty secret when `None`.
    pub clients: Option<Vec<(String, Sensitive)>>,
    /// Users of the password grant (name, password); any non-empty pair when `None`.
    pub users: Option<Vec<(String, Sensitive)>>,
    /// Refresh tokens obtained out of band (Partner Center's consent); any when `None`.
    pub refresh_tokens: Option<Vec<Sensitive>>,
    /// Nominal lifetime of an access token, scaled by the time scale (AAD: about an hour).
    pub token_lifetime: Duration,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            clients: None,
            users: None,
            refresh_tokens: None,
            token_lifetime: Duration::from_secs(3600),
        }
    }
}

/// Tokens issued so far, by digest (the state never holds a token itself).
#[derive(Default)]
pub(crate) struct Issued {
    access: Mutex<HashMap<String, i64>>,
    refresh: Mutex<std::collections::HashSet<String>>,
    /// The directory tenant (path segment, lower-cased) each access token was issued for.
    tenants: Mutex<HashMap<String, String>>,
}

/// What the contract's authentication makes of a bearer token.
pub(crate) enum Verdict {
    /// Issued here and still valid.
    Valid,
    /// Issued here and expired, or looks issued here but is unknown (a restart).
    Expired,
    /// Not one of ours: the static-token rules apply.
    Foreign,
}

impl Issued {
    /// Checks a bearer token against the issued ones.
    pub fn verdict(&self, token: &str) -> Verdict {
        let access = self.access.lock().unwrap_or_else(PoisonError::into_inner);
        match access.get(&digest(token)) {
            Some(expiry) if now_ms() < *expiry => Verdict::Valid,
            Some(_) => Verdict::Expired,
            None if token.starts_with(ACCESS_PREFIX) => Verdict::Expired,
            None => Verdict::Foreign,
        }
    }

    /// Records an access token issued elsewhere (a vendor emulator's token endpoint), valid
    /// until `expiry_ms`, so that `/sandbox/identity/expire` expires it too.
    pub fn remember_access(&self, token: &str, expiry_ms: i64) {
        self.access
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(digest(token), expiry_ms);
    }

    /// The tenant (`/{tenant}/oauth2/...`, lower-cased) an access token was issued for, so an
    /// emulator acting inside one tenant (Graph) can scope what the token sees.
    pub fn tenant_of(&self, token: &str) -> Option<String> {
        self.tenants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest(token))
            .cloned()
    }

    /// Expires every issued access token now; returns how many were valid.
    pub fn expire_all(&self) -> usize {
        let now = now_ms();
        let mut access = self.access.lock().unwrap_or_else(PoisonError::into_inner);
        let mut n = 0;
        for expiry in access.values_mut() {
            if *expiry > now {
                n += 1;
            }
            *expiry = now;
        }
        n
    }
}

pub(crate) fn digest(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

pub(crate) fn random_token(prefix: &str) -> String {
    let mut rng = rand::rng();
    let body: String = (0..40)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect();
    format!("{prefix}{body}")
}

/// Which endpoint was called.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// `POST /{tenant}/oauth2/token`.
pub(crate) async fn token_v1(
    State(shared): State<Arc<Shared>>,
    PathParams(tenant): PathParams<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token(&shared, Version::V1, &tenant, &headers, &body)
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token_v2(
    State(shared): State<Arc<Shared>>,
    PathParams(tenant): PathParams<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token(&shared, Version::V2, &tenant, &headers, &body)
}

/// `POST /sandbox/identity/expire`: every issued access token expires now (a test's clock jump).
pub(crate) async fn expire(State(shared): State<Arc<Shared>>) -> Response {
    let n = shared.issued.expire_all();
    Json(json!({ "expired": n })).into_response()
}

/// An AAD error answer.
fn refuse(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let mut rng = rand::rng();
    let id = |rng: &mut rand::rngs::ThreadRng| -> String {
        (0..32)
            .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
            .collect()
    };
    let trace = id(&mut rng);
    let correlation = id(&mut rng);
    let timestamp = super::clock::rfc3339_seconds(now_ms());
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
    });
    with_no_store((status, Json(body)).into_response())
}

fn with_no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, no-cache"),
    );
    h.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    response
}

fn missing(name: &str) -> Response {
    refuse(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn token(
    shared: &Shared,
    version: Version,
    tenant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let form: HashMap<String, String> = match parse_form(headers, body) {
        Some(form) => form,
        None => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            );
        }
    };
    if tenant.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            "Tenant not found.",
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(grant) = field("grant_type") else {
        return missing("grant_type");
    };
    if !["client_credentials", "refresh_token", "password"].contains(&grant) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    // Client authentication: client_secret_basic, else client_id/client_secret in the form.
    let basic = basic_credentials(headers);
    let (client_id, client_secret) = match &basic {
        Some((id, secret)) => (Some(id.as_str()), Some(secret.as_str())),
        None => (field("client_id"), field("client_secret")),
    };
    let Some(client_id) = client_id else {
        return missing("client_id");
    };
    let config = &shared.identity;
    if let Some(clients) = &config.clients {
        let Some((_, known)) = clients.iter().find(|(id, _)| id == client_id) else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                &format!(
                    "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
                ),
            );
        };
        match client_secret {
            None if grant == "client_credentials" => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                );
            }
            Some(secret) if secret != known.expose() => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    &format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                );
            }
            _ => {}
        }
    } else if grant == "client_credentials" && client_secret.is_none() {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    let audience = match version {
        Version::V1 => field("resource"),
        Version::V2 => field("scope"),
    };
    if version == Version::V1 && grant == "client_credentials" && audience.is_none() {
        return missing("resource");
    }
    if version == Version::V2 && audience.is_none() {
        return missing("scope");
    }
    if version == Version::V2
        && grant == "client_credentials"
        && !audience.is_some_and(|s| s.split(' ').all(|p| p.ends_with("/.default")))
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
        );
    }
    let mut refresh = None;
    match grant {
        "refresh_token" => {
            let Some(presented) = field("refresh_token") else {
                return missing("refresh_token");
            };
            let issued = shared
                .issued
                .refresh
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&digest(presented));
            let seeded = match &config.refresh_tokens {
                Some(known) => known.iter().any(|k| k.expose() == presented),
                None => !presented.starts_with(REFRESH_PREFIX),
            };
            if !(issued || seeded) {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70000,
                    "Provided grant is invalid or malformed.",
                );
            }
            refresh = Some(random_token(REFRESH_PREFIX));
        }
        "password" => {
            let (Some(user), Some(password)) = (field("username"), field("password")) else {
                return missing(if field("username").is_none() {
                    "username"
                } else {
                    "password"
                });
            };
            let valid = match &config.users {
                Some(users) => users
                    .iter()
                    .any(|(u, p)| u == user && p.expose() == password),
                None => true,
            };
            if !valid {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50126,
                    "Error validating credentials due to invalid username or password.",
                );
            }
            refresh = Some(random_token(REFRESH_PREFIX));
        }
        _ => {}
    }
    let lifetime_ms = shared.time_scale.ms(config.token_lifetime);
    let now = now_ms();
    let access = random_token(ACCESS_PREFIX);
    shared
        .issued
        .access
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(digest(&access), now.saturating_add(lifetime_ms));
    shared
        .issued
        .tenants
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(digest(&access), tenant.to_ascii_lowercase());
    if let Some(r) = &refresh {
        shared
            .issued
            .refresh
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(digest(r));
    }
    let expires_in = lifetime_ms / 1000;
    let mut answer = match version {
        Version::V1 => json!({
            "token_type": "Bearer",
            "expires_in": expires_in.to_string(),
            "ext_expires_in": expires_in.to_string(),
            "expires_on": ((now + lifetime_ms) / 1000).to_string(),
            "not_before": (now / 1000).to_string(),
            "resource": audience.unwrap_or_default(),
            "access_token": access,
        }),
        Version::V2 => json!({
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": access,
        }),
    };
    if let Some(r) = refresh {
        answer["refresh_token"] = Value::String(r);
        if version == Version::V2 {
            answer["scope"] = Value::String(audience.unwrap_or_default().to_owned());
        }
    }
    with_no_store(Json(answer).into_response())
}

/// The form fields, or `None` when the body is not `application/x-www-form-urlencoded`.
pub(crate) fn parse_form(headers: &HeaderMap, body: &[u8]) -> Option<HashMap<String, String>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut out = HashMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k)?, percent_decode(v)?);
    }
    Some(out)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `Authorization: Basic base64(id:secret)`, decoded.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((percent_decode(id)?, percent_decode(secret)?))
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_basic_credentials() {
        assert_eq!(percent_decode("a%2Fb+c").as_deref(), Some("a/b c"));
        assert_eq!(
            base64_decode("aWQ6c2VjcmV0").as_deref(),
            Some(&b"id:secret"[..])
        );
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert!(percent_decode("%zz").is_none());
    }

    #[test]
    fn tokens_that_look_issued_but_are_unknown_are_refused() {
        let issued = Issued::default();
        assert!(matches!(issued.verdict("sbx-at-unknown"), Verdict::Expired));
        assert!(matches!(issued.verdict("static-token"), Verdict::Foreign));
        issued
            .access
            .lock()
            .expect("lock")
            .insert(digest("sbx-at-1"), i64::MAX);
        assert!(matches!(issued.verdict("sbx-at-1"), Verdict::Valid));
        assert_eq!(issued.expire_all(), 1);
        assert!(matches!(issued.verdict("sbx-at-1"), Verdict::Expired));
    }
}
