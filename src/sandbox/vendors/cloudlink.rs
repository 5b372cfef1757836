//! An emulator of Mitel CloudLink's authentication and admin APIs (seed 004; vendor-apis.md §4
//! and §8 "Mitel CloudLink"), on the vendor's own paths under `/mitel/authentication/2017-09-01`
//! and `/mitel/admin/2017-09-01`, with Mitel's error body `{name, message}`.
//!
//! Traps reproduced: the token request is form-encoded with `account_id` (password grant) or a
//! `refresh_token`; expired tokens 401; every response carries `x-mitel-correlation-id`; admin
//! requests without `x-mitel-app` are refused 403 (Mitel: apps that do not identify themselves
//! "may be throttled or otherwise blocked"); 429 with `Retry-After` while a test throttles
//! (`POST /sandbox/mitel/throttle`); accounts cannot be created through the API, only "by a
//! person in the Accounts portal" (`POST /sandbox/mitel/accounts`); `POST
//! /accounts/{id}/users` needs only `email` and the user stays unverified until the e-mail link
//! is completed (`POST /sandbox/mitel/verify`); support contacts need a Maintainer and an
//! Onsite Admin; the account's `pbxType` stays empty until the gateway appliance is onboarded
//! (`POST /sandbox/mitel/gateways`). The account name is Mitel's: a PUT may not change it.
//!
//! Not in any public description, so assumed here (⚠, docs/providers.md): listing the
//! partner's accounts (`GET /accounts`, items in `_embedded.items`), the account fields
//! `address`, `businessType`, `supportContacts`, `tags` and `pbxType`, the user field
//! `emailVerified`, and `DELETE /accounts/{accountId}/users/{userId}`. State is in memory.

// The checks answer with the vendor's error response itself; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::Sensitive;
use crate::sandbox::clock::now_ms;
use crate::sandbox::edge;
use crate::sandbox::identity::{ACCESS_PREFIX, Verdict, digest, parse_form, random_token};
use crate::sandbox::state::Shared;
use crate::sandbox::vendors::record;

/// The emulator's name in the wire log (`Sandbox::wire_requests`).
pub const VENDOR: &str = "mitel";

/// Where the authentication service is served on the sandbox's port.
pub const AUTH_PREFIX: &str = "/mitel/authentication/2017-09-01";

/// Where the admin service is served on the sandbox's port.
pub const ADMIN_PREFIX: &str = "/mitel/admin/2017-09-01";

/// The response header that names each request for Mitel support.
pub const CORRELATION: &str = "x-mitel-correlation-id";

const REFRESH_PREFIX: &str = "mitel-rt-";

/// Who may get tokens from the emulator's token endpoint.
#[derive(Debug, Clone, Default)]
pub struct MitelConfig {
    /// API users (account id, username, password); any non-empty triple when `None`.
    pub users: Option<Vec<(String, String, Sensitive)>>,
}

struct User {
    user_id: String,
    email: String,
    first_name: String,
    last_name: String,
    role: String,
    verified: bool,
}

impl User {
    fn to_json(&self, account_id: &str) -> Value {
        json!({
            "userId": self.user_id, "accountId": account_id, "email": self.email,
            "firstName": self.first_name, "lastName": self.last_name, "role": self.role,
            "emailVerified": self.verified,
        })
    }
}

struct Account {
    id: String,
    /// `name`, `address`, `businessType`, `supportContacts`, `tags`, `pbxType`.
    fields: Map<String, Value>,
    users: Vec<User>,
}

impl Account {
    fn to_json(&self) -> Value {
        let mut out = self.fields.clone();
        out.insert("accountId".into(), self.id.clone().into());
        out.entry("pbxType").or_insert_with(|| "".into());
        out.entry("tags").or_insert_with(|| json!([]));
        Value::Object(out)
    }

    fn name(&self) -> &str {
        self.fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    accounts: Vec<Account>,
    /// Digests of the refresh tokens issued.
    refresh: HashSet<String>,
    /// Admin requests still to answer 429, and the `Retry-After` they carry.
    throttled: u32,
    retry_after: u64,
}

/// The emulator's state, part of the sandbox's shared state.
#[derive(Default)]
pub(crate) struct Emulator {
    pub config: MitelConfig,
    inner: Mutex<Inner>,
}

impl Emulator {
    pub fn new(config: MitelConfig) -> Self {
        Self {
            config,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type St = State<Arc<Shared>>;

/// The emulator's routes (vendor APIs under the prefixes, controls under `/sandbox/mitel`).
pub(crate) fn router(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let a = ADMIN_PREFIX;
    let api = Router::new()
        .route(&format!("{AUTH_PREFIX}/token"), post(token))
        .route(&format!("{a}/accounts"), get(list_accounts))
        .route(
            &format!("{a}/accounts/{{accountId}}"),
            get(get_account).put(put_account),
        )
        .route(
            &format!("{a}/accounts/{{accountId}}/users"),
            get(list_users).post(create_user),
        )
        .route(
            &format!("{a}/accounts/{{accountId}}/users/{{userId}}"),
            delete(delete_user),
        )
        .layer(from_fn(correlate))
        .layer(from_fn_with_state(Arc::clone(shared), edge::faults_and_log));
    let controls = Router::new()
        .route("/sandbox/mitel/accounts", post(seed_account))
        .route("/sandbox/mitel/verify", post(verify))
        .route("/sandbox/mitel/gateways", post(onboard_gateway))
        .route("/sandbox/mitel/throttle", post(throttle))
        .route("/sandbox/mitel/requests", get(requests))
        .layer(from_fn_with_state(Arc::clone(shared), edge::authenticate))
        .layer(from_fn(edge::json_bodies));
    api.merge(controls)
}

/// Every response of the vendor APIs carries a fresh correlation id.
async fn correlate(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&format!("cid-{}", random_token("")[..16].to_owned())) {
        response.headers_mut().insert(CORRELATION, v);
    }
    response
}

/// Mitel's error body (`definitions/error` of its Swagger files).
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let name = status
        .canonical_reason()
        .unwrap_or("Error")
        .replace(' ', "");
    (
        status,
        Json(json!({"name": name, "message": message.into()})),
    )
        .into_response()
}

/// An admin request as the vendor takes it: recorded, throttled, identified, authorized.
fn gate(
    shared: &Shared,
    method: &str,
    path: &str,
    query: Vec<String>,
    headers: &HeaderMap,
    body: Value,
) -> Result<(), Response> {
    record(shared, VENDOR, method, path, query, headers, body);
    {
        let mut inner = shared.mitel.lock();
        if inner.throttled > 0 {
            inner.throttled -= 1;
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded; retry later",
            );
            if let Ok(v) = HeaderValue::from_str(&inner.retry_after.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Err(r);
        }
    }
    let app = headers
        .get("x-mitel-app")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().is_empty());
    if !app {
        return Err(error(
            StatusCode::FORBIDDEN,
            "unidentified application: send the x-mitel-app header (name/version;platform=...)",
        ));
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match token.map(|t| shared.issued.verdict(t)) {
        Some(Verdict::Valid) => Ok(()),
        Some(Verdict::Expired) => Err(error(StatusCode::UNAUTHORIZED, "The token has expired")),
        _ => Err(error(
            StatusCode::UNAUTHORIZED,
            "The request requires user authentication",
        )),
    }
}

fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Response> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

/// `POST /token`: form-encoded; `grant_type=password` with `account_id`, or `refresh_token`.
async fn token(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&headers, &body).or_else(|| {
        // The sample's authorization_code exchange sends JSON; accept both.
        serde_json::from_slice::<BTreeMap<String, String>>(&body)
            .ok()
            .map(|m| m.into_iter().collect())
    });
    // Field names only, but for the grant type: the form carries the password.
    let names: Value = form.as_ref().map_or(Value::Null, |f| {
        f.iter()
            .map(|(k, v)| {
                let shown = if k == "grant_type" { v.as_str() } else { "" };
                (k.clone(), Value::from(shown))
            })
            .collect::<Map<String, Value>>()
            .into()
    });
    record(&shared, VENDOR, "POST", "/token", vec![], &headers, names);
    let Some(form) = form else {
        return error(StatusCode::BAD_REQUEST, "grant_type is required");
    };
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    match field("grant_type") {
        Some("password") => {
            let (Some(user), Some(password)) = (field("username"), field("password")) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "username and password are required",
                );
            };
            let Some(account) = field("account_id") else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "account_id is required with grant_type password",
                );
            };
            let valid = match &shared.mitel.config.users {
                Some(users) => users
                    .iter()
                    .any(|(a, u, p)| a == account && u == user && p.expose() == password),
                None => true,
            };
            if !valid {
                return error(StatusCode::UNAUTHORIZED, "Invalid username or password");
            }
        }
        Some("refresh_token") => {
            let known = field("refresh_token")
                .is_some_and(|r| shared.mitel.lock().refresh.remove(&digest(r)));
            if !known {
                return error(StatusCode::UNAUTHORIZED, "Invalid refresh token");
            }
        }
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("unsupported grant_type {other:?}"),
            );
        }
        None => return error(StatusCode::BAD_REQUEST, "grant_type is required"),
    }
    let lifetime_ms = shared.time_scale.ms(shared.identity.token_lifetime);
    let access = random_token(ACCESS_PREFIX);
    shared
        .issued
        .remember_access(&access, now_ms().saturating_add(lifetime_ms));
    let refresh = random_token(REFRESH_PREFIX);
    shared.mitel.lock().refresh.insert(digest(&refresh));
    Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": lifetime_ms / 1000,
    }))
    .into_response()
}

/// One page (OData `$skip`, `$top`) of a list, Mitel's `{count, _embedded: {items}}`.
fn list(items: Vec<Value>, q: &BTreeMap<String, String>) -> Response {
    let number = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok());
    let count = items.len();
    let page: Vec<Value> = items
        .into_iter()
        .skip(number("$skip").unwrap_or(0))
        .take(number("$top").unwrap_or(usize::MAX))
        .collect();
    Json(json!({"count": count, "_embedded": {"items": page}})).into_response()
}

fn no_account(id: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Account {id} not found"))
}

/// `GET /accounts` (⚠ assumed): the partner's customer accounts.
async fn list_accounts(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let query = q.keys().cloned().collect();
    if let Err(r) = gate(&shared, "GET", "/accounts", query, &headers, Value::Null) {
        return r;
    }
    let inner = shared.mitel.lock();
    list(inner.accounts.iter().map(Account::to_json).collect(), &q)
}

/// `GET /accounts/{accountId}`.
async fn get_account(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let path = "/accounts/{accountId}";
    if let Err(r) = gate(&shared, "GET", path, vec![], &headers, Value::Null) {
        return r;
    }
    let inner = shared.mitel.lock();
    match inner.accounts.iter().find(|a| a.id == id) {
        Some(a) => Json(a.to_json()).into_response(),
        None => no_account(&id),
    }
}

#[derive(Deserialize)]
struct SupportContact {
    role: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

/// Seed 004: at least one Maintainer and one Onsite Admin support contact.
fn check_support(contacts: &Value) -> Result<(), Response> {
    let contacts: Vec<SupportContact> = serde_json::from_value(contacts.clone())
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("supportContacts: {e}")))?;
    for (i, c) in contacts.iter().enumerate() {
        if !["Maintainer", "OnsiteAdmin", "Other"].contains(&c.role.as_str()) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "supportContacts[{i}].role {:?}: Maintainer, OnsiteAdmin or Other",
                    c.role
                ),
            ));
        }
        if c.name.trim().is_empty() || !c.email.contains('@') {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("supportContacts[{i}] needs a name and an e-mail address"),
            ));
        }
    }
    let missing: Vec<&str> = ["Maintainer", "OnsiteAdmin"]
        .into_iter()
        .filter(|r| !contacts.iter().any(|c| c.role == *r))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(error(
        StatusCode::BAD_REQUEST,
        format!(
            "It is mandatory to add at least one Maintainer and Onsite Admin support contact; missing: {}",
            missing.join(", ")
        ),
    ))
}

/// `PUT /accounts/{accountId}`: the fields sent replace the account's; the name is Mitel's.
async fn put_account(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = "/accounts/{accountId}";
    let parsed = json_body(&headers, &body);
    let shown = parsed.as_ref().map_or(Value::Null, Clone::clone);
    if let Err(r) = gate(&shared, "PUT", path, vec![], &headers, shown) {
        return r;
    }
    let parsed = match parsed {
        Ok(Value::Object(m)) => m,
        Ok(_) => return error(StatusCode::BAD_REQUEST, "the body must be a JSON object"),
        Err(r) => return r,
    };
    if let Some(contacts) = parsed.get("supportContacts")
        && let Err(r) = check_support(contacts)
    {
        return r;
    }
    let mut inner = shared.mitel.lock();
    let Some(account) = inner.accounts.iter_mut().find(|a| a.id == id) else {
        return no_account(&id);
    };
    if let Some(name) = parsed.get("name")
        && name.as_str() != Some(account.name())
    {
        return error(
            StatusCode::BAD_REQUEST,
            "name: data that belongs to Mitel cannot be edited (change it in the Accounts portal)",
        );
    }
    if parsed.contains_key("pbxType") {
        return error(
            StatusCode::BAD_REQUEST,
            "pbxType is set by the CloudLink Gateway when the PBX is connected",
        );
    }
    for key in ["address", "businessType", "supportContacts", "tags"] {
        if let Some(v) = parsed.get(key) {
            account.fields.insert(key.to_owned(), v.clone());
        }
    }
    Json(account.to_json()).into_response()
}

/// `GET /accounts/{accountId}/users`.
async fn list_users(
    State(shared): St,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = "/accounts/{accountId}/users";
    let query = q.keys().cloned().collect();
    if let Err(r) = gate(&shared, "GET", path, query, &headers, Value::Null) {
        return r;
    }
    let inner = shared.mitel.lock();
    match inner.accounts.iter().find(|a| a.id == id) {
        Some(a) => list(a.users.iter().map(|u| u.to_json(&a.id)).collect(), &q),
        None => no_account(&id),
    }
}

/// `POST /accounts/{accountId}/users`: only `email` is needed; the user is unverified.
async fn create_user(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = "/accounts/{accountId}/users";
    let parsed = json_body(&headers, &body);
    let shown = parsed.as_ref().map_or(Value::Null, Clone::clone);
    if let Err(r) = gate(&shared, "POST", path, vec![], &headers, shown) {
        return r;
    }
    let parsed = match parsed {
        Ok(v) => v,
        Err(r) => return r,
    };
    let text = |k: &str| {
        parsed
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let email = text("email");
    if !email.contains('@') {
        return error(StatusCode::BAD_REQUEST, "email is required");
    }
    let mut inner = shared.mitel.lock();
    inner.next_id += 1;
    let user_id = format!("u-{:06}", inner.next_id);
    let Some(account) = inner.accounts.iter_mut().find(|a| a.id == id) else {
        return no_account(&id);
    };
    if account
        .users
        .iter()
        .any(|u| u.email.eq_ignore_ascii_case(&email))
    {
        return error(
            StatusCode::CONFLICT,
            format!("a user with email {email} already exists in account {id}"),
        );
    }
    let role = Some(text("role"))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "USER".to_owned());
    let user = User {
        user_id,
        email,
        first_name: text("firstName"),
        last_name: text("lastName"),
        role,
        verified: false,
    };
    let answer = user.to_json(&account.id);
    account.users.push(user);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// `DELETE /accounts/{accountId}/users/{userId}` (⚠ assumed).
async fn delete_user(
    State(shared): St,
    Path((id, user_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = "/accounts/{accountId}/users/{userId}";
    if let Err(r) = gate(&shared, "DELETE", path, vec![], &headers, Value::Null) {
        return r;
    }
    let mut inner = shared.mitel.lock();
    let Some(account) = inner.accounts.iter_mut().find(|a| a.id == id) else {
        return no_account(&id);
    };
    let before = account.users.len();
    account.users.retain(|u| u.user_id != user_id);
    if account.users.len() == before {
        return error(StatusCode::NOT_FOUND, format!("User {user_id} not found"));
    }
    StatusCode::NO_CONTENT.into_response()
}

fn find<'a>(inner: &'a mut Inner, req: &Value) -> Option<&'a mut Account> {
    let id = req.get("accountId").and_then(Value::as_str);
    let name = req.get("name").and_then(Value::as_str);
    inner.accounts.iter_mut().find(|a| {
        Some(a.id.as_str()) == id || name.is_some_and(|n| a.name().eq_ignore_ascii_case(n))
    })
}

/// `POST /sandbox/mitel/accounts`: an account a person created in the Accounts portal. Body:
/// `{name, accountId?, address?, businessType?, supportContacts?, tags?}`.
async fn seed_account(State(shared): St, Json(body): Json<Value>) -> Response {
    let Some(fields) = body.as_object().cloned() else {
        return error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    if fields
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        return error(StatusCode::BAD_REQUEST, "name is required");
    }
    let mut inner = shared.mitel.lock();
    inner.next_id += 1;
    let id = fields
        .get("accountId")
        .and_then(Value::as_str)
        .map_or_else(|| format!("8580{:05}", inner.next_id), str::to_owned);
    let mut kept = fields;
    kept.remove("accountId");
    let account = Account {
        id,
        fields: kept,
        users: Vec::new(),
    };
    let answer = account.to_json();
    inner.accounts.push(account);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// `POST /sandbox/mitel/verify` `{email}`: the user completed the e-mail link.
async fn verify(State(shared): St, Json(body): Json<Value>) -> Response {
    let email = body.get("email").and_then(Value::as_str).unwrap_or("");
    let mut inner = shared.mitel.lock();
    let mut n = 0;
    for u in inner.accounts.iter_mut().flat_map(|a| a.users.iter_mut()) {
        if u.email.eq_ignore_ascii_case(email) {
            u.verified = true;
            n += 1;
        }
    }
    if n == 0 {
        return error(StatusCode::NOT_FOUND, format!("no user {email}"));
    }
    Json(json!({"verified": n})).into_response()
}

/// `POST /sandbox/mitel/gateways` `{name | accountId, pbxType}`: the gateway appliance was
/// installed and the PBX connected, so the account reports its PBX type.
async fn onboard_gateway(State(shared): St, Json(body): Json<Value>) -> Response {
    let pbx = body
        .get("pbxType")
        .and_then(Value::as_str)
        .unwrap_or("MiVoice Business")
        .to_owned();
    let mut inner = shared.mitel.lock();
    match find(&mut inner, &body) {
        Some(a) => {
            a.fields.insert("pbxType".into(), pbx.into());
            Json(a.to_json()).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no such account"),
    }
}

/// `POST /sandbox/mitel/throttle` `{requests, retryAfter?}`: the next admin requests 429.
async fn throttle(State(shared): St, Json(body): Json<Value>) -> Response {
    let mut inner = shared.mitel.lock();
    inner.throttled = body
        .get("requests")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(1);
    inner.retry_after = body.get("retryAfter").and_then(Value::as_u64).unwrap_or(1);
    Json(json!({"throttled": inner.throttled})).into_response()
}

/// `GET /sandbox/mitel/requests`: what the emulator received.
async fn requests(State(shared): St) -> Response {
    Json(shared.wire.of(VENDOR)).into_response()
}
