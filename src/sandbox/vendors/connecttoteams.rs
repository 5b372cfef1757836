//! An emulator of the ConnectToTeams / TeamMate reseller API (seed 002; vendor-apis.md §3 and
//! §8 "ConnectToTeams"), on the vendor's own paths under `/c2t`: the password-grant token
//! endpoint with HTTP Basic client auth, the reseller lookups (SBC regions, PBX types),
//! `newEnterprise`, `getActionItemUrl`, and Spring-style error bodies
//! (`{timestamp, status, error, message, path}`; OAuth2 errors as `{error, error_description}`).
//!
//! Traps reproduced: 401 from the token endpoint while the API user has not changed its first
//! password; expired tokens 401; unknown SBC gateway or PBX type ids 400; `newEnterprise`
//! returns at once while registration stays pending until a simulated Global Admin completes
//! the action URLs (`POST /sandbox/c2t/actions`), or declines.
//!
//! Not in the public KB, so assumed here (⚠, docs/providers.md): listing (`GET
//! /reseller/getEnterprisesByResellerId/{resellerId}`), `PUT /reseller/updateEnterprise`,
//! `DELETE /reseller/deleteEnterprise/{enterpriseId}`, and the `registrationStatus` and
//! `consents` fields that report the consent outcome (the vendor sends it by webhook).
//! State is in memory (the contract's SQLite store is the contract's).

// The checks answer with the vendor's error response itself; boxing it would only add noise
// to a test emulator whose requests are small.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::Sensitive;
use crate::sandbox::clock::{now_ms, rfc3339_seconds};
use crate::sandbox::edge;
use crate::sandbox::identity::{
    ACCESS_PREFIX, Verdict, basic_credentials, parse_form, random_token,
};
use crate::sandbox::state::Shared;
use crate::sandbox::vendors::record;

/// The emulator's name in the wire log (`Sandbox::wire_requests`).
pub const VENDOR: &str = "c2t";

/// Where the emulator is served on the sandbox's port.
pub const PREFIX: &str = "/c2t";

/// The reseller every API user of the emulator belongs to.
pub const RESELLER_ID: i64 = 4711;

/// The consent steps, in order: the invitation (registration with the first permissions),
/// then the application permissions (seed 002's "second set").
pub const STEPS: [&str; 2] = ["REGISTRATION", "GET_USER_SYNC_CONSENT"];

/// Every `actionType` the KB lists.
const ACTION_TYPES: [&str; 7] = [
    "REGISTRATION",
    "LOGIN_ENTERPRISE_ADMIN",
    "GET_USER_SYNC_CONSENT",
    "GET_PRESENCE_CONSENT",
    "GET_CALL_APP_CONSENT",
    "GET_CONTACTS_CONSENT",
    "GET_CDR_CONSENT",
];

const SBC_GATEWAYS: [(i64, &str); 4] = [
    (5678, "US-East"),
    (5679, "US-West"),
    (5680, "Europe"),
    (5681, "United-Kingdom"),
];

/// `(id, pbxName, pbxLabel, isDefault, isDisabled)`.
const PBX_TYPES: [(i64, &str, &str, bool, bool); 3] = [
    (1234, "Ringlogix", "Ringlogix PBX", true, false),
    (1235, "GenericSIP", "Generic SIP PBX", false, false),
    (1236, "Legacy", "Legacy PBX (retired)", false, true),
];

/// Who may get tokens from the emulator's token endpoint.
#[derive(Debug, Clone, Default)]
pub struct C2tConfig {
    /// API clients (id, secret, issued by support ticket); any non-empty pair when `None`.
    pub clients: Option<Vec<(String, Sensitive)>>,
    /// API users (name, password); any non-empty pair when `None`.
    pub users: Option<Vec<(String, Sensitive)>>,
    /// API users that have not logged in to the portal to change their first password.
    pub first_password_pending: Vec<String>,
}

struct Enterprise {
    id: i64,
    fields: Map<String, Value>,
    /// Completed steps of [`STEPS`].
    done: usize,
    declined: bool,
}

impl Enterprise {
    fn to_json(&self) -> Value {
        let mut out = self.fields.clone();
        out.insert("enterpriseId".into(), self.id.into());
        out.insert("resellerId".into(), RESELLER_ID.into());
        let status = if self.declined {
            "DECLINED"
        } else if self.done == 0 {
            "PENDING"
        } else {
            "REGISTERED"
        };
        out.insert("registrationStatus".into(), status.into());
        let consents: Map<String, Value> = STEPS
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let state = if i < self.done {
                    "GRANTED"
                } else if self.declined && i == self.done {
                    "DECLINED"
                } else {
                    "PENDING"
                };
                ((*step).to_owned(), state.into())
            })
            .collect();
        out.insert("consents".into(), Value::Object(consents));
        Value::Object(out)
    }
}

#[derive(Default)]
struct Inner {
    next_id: i64,
    enterprises: Vec<Enterprise>,
    /// Action URL token → (enterprise id, actionType).
    actions: BTreeMap<String, (i64, String)>,
}

/// The emulator's state, part of the sandbox's shared state.
#[derive(Default)]
pub(crate) struct Emulator {
    pub config: C2tConfig,
    inner: Mutex<Inner>,
}

impl Emulator {
    pub fn new(config: C2tConfig) -> Self {
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

/// The emulator's routes (vendor API under [`PREFIX`], controls under `/sandbox/c2t`).
pub(crate) fn router(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let api = Router::new()
        .route("/c2t/oauth/token", post(token))
        .route(
            "/c2t/reseller/getAuthenticatedUser",
            put(authenticated_user),
        )
        .route(
            "/c2t/reseller/getAvailableSBCGatewayRegionsByResellerId/{resellerId}",
            get(sbc_regions),
        )
        .route("/c2t/pbx/getPBXTypesByResellerId", get(pbx_types))
        .route("/c2t/reseller/newEnterprise", post(new_enterprise))
        .route("/c2t/reseller/updateEnterprise", put(update_enterprise))
        .route(
            "/c2t/reseller/getEnterprisesByResellerId/{resellerId}",
            get(list_enterprises),
        )
        .route(
            "/c2t/reseller/deleteEnterprise/{enterpriseId}",
            axum::routing::delete(delete_enterprise),
        )
        .route("/c2t/enterprise/getActionItemUrl", post(action_item_url))
        .layer(from_fn_with_state(Arc::clone(shared), edge::faults_and_log));
    let controls = Router::new()
        .route("/sandbox/c2t/actions", post(complete_action))
        .route("/sandbox/c2t/enterprises", post(seed_enterprise))
        .route("/sandbox/c2t/requests", get(requests))
        .layer(from_fn_with_state(Arc::clone(shared), edge::authenticate))
        .layer(from_fn(edge::json_bodies));
    api.merge(controls)
}

/// A Spring Boot error body, as the vendor's backend sends.
fn spring(status: StatusCode, path: &str, message: impl Into<String>) -> Response {
    let body = json!({
        "timestamp": rfc3339_seconds(now_ms()),
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message.into(),
        "path": path,
    });
    (status, Json(body)).into_response()
}

/// A Spring Security OAuth2 error body.
fn oauth(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The bearer token must be one the token endpoint issued and still valid.
fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(oauth(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Full authentication is required to access this resource",
        ));
    };
    match shared.issued.verdict(token) {
        Verdict::Valid => Ok(()),
        Verdict::Expired => Err(oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Access token expired",
        )),
        Verdict::Foreign => Err(oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Invalid access token",
        )),
    }
}

/// A JSON request as the vendor takes it: recorded (whatever it holds), then authorized, then
/// parsed; `Err` is the vendor's answer.
fn accept(
    shared: &Shared,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Response> {
    let parsed = json_body(path, headers, body);
    record(
        shared,
        VENDOR,
        method,
        path,
        vec![],
        headers,
        parsed.as_ref().map_or(Value::Null, Clone::clone),
    );
    authorize(shared, headers)?;
    parsed
}

/// The body as JSON, or the vendor's refusal (415 without a JSON type, 400 when unreadable).
fn json_body(path: &str, headers: &HeaderMap, body: &[u8]) -> Result<Value, Response> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(spring(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            path,
            "Content type must be application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        spring(
            StatusCode::BAD_REQUEST,
            path,
            format!("JSON parse error: {e}"),
        )
    })
}

/// `POST /oauth/token`: password grant, client id and secret as HTTP Basic.
async fn token(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&headers, &body);
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
    record(
        &shared,
        VENDOR,
        "POST",
        "/oauth/token",
        vec![],
        &headers,
        names,
    );
    let config = &shared.c2t.config;
    let client_ok = match basic_credentials(&headers) {
        Some((id, secret)) => match &config.clients {
            Some(clients) => clients
                .iter()
                .any(|(i, s)| *i == id && s.expose() == secret),
            None => !id.is_empty() && !secret.is_empty(),
        },
        None => false,
    };
    if !client_ok {
        return oauth(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Full authentication is required to access this resource (client id and secret as HTTP Basic)",
        );
    }
    let Some(form) = form else {
        return oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing grant type",
        );
    };
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if field("grant_type") != Some("password") {
        return oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant type",
        );
    }
    let (Some(user), Some(password)) = (field("username"), field("password")) else {
        return oauth(StatusCode::BAD_REQUEST, "invalid_grant", "Bad credentials");
    };
    let valid = match &config.users {
        Some(users) => users
            .iter()
            .any(|(u, p)| u == user && p.expose() == password),
        None => true,
    };
    if !valid {
        return oauth(StatusCode::BAD_REQUEST, "invalid_grant", "Bad credentials");
    }
    if config.first_password_pending.iter().any(|u| u == user) {
        return oauth(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "User credentials have expired: log in to the reseller portal once and change the initial password",
        );
    }
    let lifetime_ms = shared.time_scale.ms(shared.identity.token_lifetime);
    let access = random_token(ACCESS_PREFIX);
    shared
        .issued
        .remember_access(&access, now_ms().saturating_add(lifetime_ms));
    Json(json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": lifetime_ms / 1000,
        "scope": "read write",
    }))
    .into_response()
}

/// `PUT /reseller/getAuthenticatedUser` with the bare username as the body.
async fn authenticated_user(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/reseller/getAuthenticatedUser";
    let text = String::from_utf8_lossy(&body)
        .trim()
        .trim_matches('"')
        .to_owned();
    record(
        &shared,
        VENDOR,
        "PUT",
        path,
        vec![],
        &headers,
        Value::String(text.clone()),
    );
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    Json(json!({"username": text, "type": "RESELLER", "resellerId": RESELLER_ID})).into_response()
}

fn reseller_mismatch(path: &str, id: i64) -> Option<Response> {
    (id != RESELLER_ID).then(|| {
        spring(
            StatusCode::FORBIDDEN,
            path,
            format!("reseller {id} is not the authenticated reseller"),
        )
    })
}

/// `GET /reseller/getAvailableSBCGatewayRegionsByResellerId/{resellerId}`.
async fn sbc_regions(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let path = "/reseller/getAvailableSBCGatewayRegionsByResellerId/{resellerId}";
    record(&shared, VENDOR, "GET", path, vec![], &headers, Value::Null);
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return spring(StatusCode::BAD_REQUEST, path, "resellerId must be a number");
    };
    if let Some(r) = reseller_mismatch(path, id) {
        return r;
    }
    let list: Vec<Value> = SBC_GATEWAYS
        .iter()
        .map(|(id, region)| json!({"sbcGatewayId": id, "sbcGatewayRegion": region}))
        .collect();
    Json(list).into_response()
}

/// `GET /pbx/getPBXTypesByResellerId?resellerId=`.
async fn pbx_types(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = "/pbx/getPBXTypesByResellerId";
    record(
        &shared,
        VENDOR,
        "GET",
        path,
        q.keys().cloned().collect(),
        &headers,
        Value::Null,
    );
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    let Some(id) = q.get("resellerId").and_then(|v| v.parse::<i64>().ok()) else {
        return spring(
            StatusCode::BAD_REQUEST,
            path,
            "Required request parameter 'resellerId' for method parameter type Long is not present",
        );
    };
    if let Some(r) = reseller_mismatch(path, id) {
        return r;
    }
    let list: Vec<Value> = PBX_TYPES
        .iter()
        .map(|(id, name, label, default, disabled)| {
            json!({"id": id, "pbxName": name, "pbxLabel": label, "isDefault": default,
                   "isDisabled": disabled, "hostingType": "Cloud"})
        })
        .collect();
    Json(list).into_response()
}

/// Checks a `NewEnterprise` body; returns the fields the emulator keeps.
fn check_enterprise(path: &str, body: &Value) -> Result<Map<String, Value>, Response> {
    let Some(fields) = body.as_object() else {
        return Err(spring(
            StatusCode::BAD_REQUEST,
            path,
            "the body must be a JSON object",
        ));
    };
    let name = fields
        .get("enterpriseName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.trim().is_empty() {
        return Err(spring(
            StatusCode::BAD_REQUEST,
            path,
            "enterpriseName is required",
        ));
    }
    if let Some(id) = fields.get("resellerId").and_then(Value::as_i64)
        && let Some(r) = reseller_mismatch(path, id)
    {
        return Err(r);
    }
    let ids = |key: &str| -> Vec<Value> {
        fields
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for id in ids("sbcGateways") {
        if !SBC_GATEWAYS.iter().any(|(g, _)| id.as_i64() == Some(*g)) {
            return Err(spring(
                StatusCode::BAD_REQUEST,
                path,
                format!("Invalid SBC gateway id {id} for reseller {RESELLER_ID}"),
            ));
        }
    }
    for id in ids("pbxId") {
        match PBX_TYPES.iter().find(|p| id.as_i64() == Some(p.0)) {
            Some(p) if !p.4 => {}
            _ => {
                return Err(spring(
                    StatusCode::BAD_REQUEST,
                    path,
                    format!("Invalid or disabled PBX type id {id} for reseller {RESELLER_ID}"),
                ));
            }
        }
    }
    let mut kept = fields.clone();
    kept.remove("enterpriseId");
    kept.remove("resellerId");
    Ok(kept)
}

fn name_taken(inner: &Inner, name: &str, except: Option<i64>) -> bool {
    inner.enterprises.iter().any(|e| {
        Some(e.id) != except
            && e.fields
                .get("enterpriseName")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

fn insert(inner: &mut Inner, fields: Map<String, Value>, done: usize) -> Value {
    inner.next_id += 1;
    let enterprise = Enterprise {
        id: 900 + inner.next_id,
        fields,
        done,
        declined: false,
    };
    let json = enterprise.to_json();
    inner.enterprises.push(enterprise);
    json
}

/// `POST /reseller/newEnterprise`: created at once, registration pending.
async fn new_enterprise(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/reseller/newEnterprise";
    let fields = match accept(&shared, "POST", path, &headers, &body)
        .and_then(|b| check_enterprise(path, &b))
    {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut inner = shared.c2t.lock();
    let name = fields["enterpriseName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if name_taken(&inner, &name, None) {
        return spring(
            StatusCode::CONFLICT,
            path,
            format!("Enterprise with name {name} already exists"),
        );
    }
    Json(insert(&mut inner, fields, 0)).into_response()
}

/// `PUT /reseller/updateEnterprise` (⚠ assumed): the `NewEnterprise` body with `enterpriseId`.
async fn update_enterprise(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/reseller/updateEnterprise";
    let parsed = match accept(&shared, "PUT", path, &headers, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = parsed.get("enterpriseId").and_then(Value::as_i64) else {
        return spring(StatusCode::BAD_REQUEST, path, "enterpriseId is required");
    };
    let fields = match check_enterprise(path, &parsed) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut inner = shared.c2t.lock();
    let name = fields["enterpriseName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if name_taken(&inner, &name, Some(id)) {
        return spring(
            StatusCode::CONFLICT,
            path,
            format!("Enterprise with name {name} already exists"),
        );
    }
    let Some(e) = inner.enterprises.iter_mut().find(|e| e.id == id) else {
        return spring(
            StatusCode::NOT_FOUND,
            path,
            format!("Enterprise {id} not found"),
        );
    };
    e.fields = fields;
    Json(e.to_json()).into_response()
}

/// `GET /reseller/getEnterprisesByResellerId/{resellerId}` (⚠ assumed).
async fn list_enterprises(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = "/reseller/getEnterprisesByResellerId/{resellerId}";
    record(&shared, VENDOR, "GET", path, vec![], &headers, Value::Null);
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    if let Some(r) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| reseller_mismatch(path, id))
    {
        return r;
    }
    let inner = shared.c2t.lock();
    let list: Vec<Value> = inner.enterprises.iter().map(Enterprise::to_json).collect();
    Json(list).into_response()
}

/// `DELETE /reseller/deleteEnterprise/{enterpriseId}` (⚠ assumed).
async fn delete_enterprise(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = "/reseller/deleteEnterprise/{enterpriseId}";
    record(
        &shared,
        VENDOR,
        "DELETE",
        path,
        vec![],
        &headers,
        Value::Null,
    );
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    let mut inner = shared.c2t.lock();
    let before = inner.enterprises.len();
    inner.enterprises.retain(|e| Some(e.id) != id.parse().ok());
    if inner.enterprises.len() == before {
        return spring(
            StatusCode::NOT_FOUND,
            path,
            format!("Enterprise {id} not found"),
        );
    }
    StatusCode::OK.into_response()
}

/// `POST /enterprise/getActionItemUrl`: a URL for the Global Admin, distinct per actionType.
async fn action_item_url(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/enterprise/getActionItemUrl";
    let parsed = match accept(&shared, "POST", path, &headers, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let action = parsed
        .get("actionType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !ACTION_TYPES.contains(&action) {
        return spring(
            StatusCode::BAD_REQUEST,
            path,
            format!(
                "Invalid actionType {action:?}; one of {}",
                ACTION_TYPES.join(", ")
            ),
        );
    }
    let Some(id) = parsed.get("enterpriseId").and_then(Value::as_i64) else {
        return spring(StatusCode::BAD_REQUEST, path, "enterpriseId is required");
    };
    let mut inner = shared.c2t.lock();
    if !inner.enterprises.iter().any(|e| e.id == id) {
        return spring(
            StatusCode::NOT_FOUND,
            path,
            format!("Enterprise {id} not found"),
        );
    }
    // One stable URL per enterprise and action type, as a link e-mailed twice stays the same.
    let existing = inner
        .actions
        .iter()
        .find(|(_, (e, a))| *e == id && a == action)
        .map(|(t, _)| t.clone());
    let token = existing.unwrap_or_else(|| {
        let t = random_token("");
        inner.actions.insert(t.clone(), (id, action.to_owned()));
        t
    });
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let url = format!(
        "http://{host}{PREFIX}/action/{}/{token}",
        action.to_ascii_lowercase()
    );
    Json(json!({"url": url, "actionType": action, "enterpriseId": id})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActionOutcome {
    /// The action URL the Global Admin opened.
    #[serde(default)]
    url: Option<String>,
    /// Or the enterprise by name: its next pending step.
    #[serde(default)]
    enterprise_name: Option<String>,
    /// `granted` (default) or `declined`.
    #[serde(default)]
    outcome: Option<String>,
}

/// `POST /sandbox/c2t/actions`: the simulated Global Admin completes (or declines) the next
/// consent step of an enterprise, through its action URL or by the enterprise's name.
async fn complete_action(State(shared): St, Json(req): Json<ActionOutcome>) -> Response {
    let path = "/sandbox/c2t/actions";
    let declined = match req.outcome.as_deref() {
        None | Some("granted") => false,
        Some("declined") => true,
        Some(other) => {
            return spring(
                StatusCode::BAD_REQUEST,
                path,
                format!("outcome {other:?}: granted or declined"),
            );
        }
    };
    let mut inner = shared.c2t.lock();
    let by_url = req
        .url
        .as_deref()
        .and_then(|u| u.rsplit('/').next())
        .and_then(|t| inner.actions.get(t).cloned());
    let target = match (&by_url, &req.enterprise_name) {
        (Some((id, action)), _) => Some((*id, Some(action.clone()))),
        (None, Some(name)) => inner
            .enterprises
            .iter()
            .find(|e| e.fields.get("enterpriseName").and_then(Value::as_str) == Some(name))
            .map(|e| (e.id, None)),
        (None, None) => None,
    };
    let Some((id, action)) = target else {
        return spring(
            StatusCode::NOT_FOUND,
            path,
            "no enterprise has this action URL or name",
        );
    };
    let Some(e) = inner.enterprises.iter_mut().find(|e| e.id == id) else {
        return spring(StatusCode::NOT_FOUND, path, "the enterprise was deleted");
    };
    if e.done >= STEPS.len() || e.declined {
        return spring(
            StatusCode::CONFLICT,
            path,
            "nothing is pending for this enterprise",
        );
    }
    if let Some(action) = action
        && action != STEPS[e.done]
    {
        return spring(
            StatusCode::CONFLICT,
            path,
            format!("the pending step is {}, not {action}", STEPS[e.done]),
        );
    }
    if declined {
        e.declined = true;
    } else {
        e.done += 1;
    }
    Json(e.to_json()).into_response()
}

/// `POST /sandbox/c2t/enterprises`: an enterprise a person created in the reseller portal
/// (already registered and consented), for adoption tests. Body: `NewEnterprise` fields.
async fn seed_enterprise(State(shared): St, Json(body): Json<Value>) -> Response {
    let fields = match check_enterprise("/sandbox/c2t/enterprises", &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut inner = shared.c2t.lock();
    (
        StatusCode::CREATED,
        Json(insert(&mut inner, fields, STEPS.len())),
    )
        .into_response()
}

/// `GET /sandbox/c2t/requests`: what the emulator received.
async fn requests(State(shared): St) -> Response {
    Json(shared.wire.of(VENDOR)).into_response()
}
