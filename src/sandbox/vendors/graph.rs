//! An emulator of Microsoft Graph v1.0 inside customer tenants (seed 000's admin step;
//! vendor-apis.md §2 and §8 "Microsoft Graph"), on Graph's own paths under `/graph/v1.0`:
//! users (`POST /users`, `GET /users` with `$filter`/`$select`/`$top`/`$count`,
//! `GET|PATCH|DELETE /users/{id}`) and directory role assignments
//! (`/roleManagement/directory/roleAssignments`), with Graph's error body
//! `{"error": {"code", "message", "innerError": {...}}}`.
//!
//! Tokens come from the sandbox's identity endpoint (`/{tenant}/oauth2/v2.0/token`), which
//! records the tenant each token was issued for: every call sees only that tenant's directory.
//!
//! Traps reproduced (§8): read-after-write lag (a new user is 404 `Request_ResourceNotFound`
//! for GET/PATCH/role assignment and missing from lists for `lagMs`; a new role assignment is
//! missing from lists for `roleLagMs`); duplicate UPN 400 "Another object with the same value
//! for property userPrincipalName already exists." (no idempotency key); password policy
//! (8–256 characters, 3 of 4 classes, ASCII) 400; 429 with `Retry-After` and the
//! `x-ms-throttle-*` headers (`POST /sandbox/graph/throttle`); `@odata.nextLink` paging with a
//! small page; `$filter` on `onPremisesExtensionAttributes` only as an advanced query
//! (`ConsistencyLevel: eventual` and `$count=true`). State is in memory.

// The checks answer with the vendor's error response itself, as in the C2T emulator.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::sandbox::clock::{now_ms, rfc3339_seconds};
use crate::sandbox::edge;
use crate::sandbox::identity::{Verdict, random_token};
use crate::sandbox::state::Shared;
use crate::sandbox::vendors::record;

/// The emulator's name in the wire log (`Sandbox::wire_requests`).
pub const VENDOR: &str = "graph";

/// Where the emulator is served on the sandbox's port (Graph's `/v1.0` included).
pub const PREFIX: &str = "/graph/v1.0";

/// Global Administrator's role template id (accepted as `roleDefinitionId`).
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
/// User Administrator's role template id.
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

/// The user properties the emulator knows (others are refused, as Graph refuses them).
const USER_PROPERTIES: [&str; 16] = [
    "accountEnabled",
    "displayName",
    "mailNickname",
    "userPrincipalName",
    "passwordProfile",
    "givenName",
    "surname",
    "otherMails",
    "mobilePhone",
    "businessPhones",
    "usageLocation",
    "onPremisesExtensionAttributes",
    "employeeId",
    "jobTitle",
    "department",
    "mail",
];

/// Behaviour of the emulator a test may change (`PUT /sandbox/graph/settings`).
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// How long a new user stays invisible (404, missing from lists); `None`: 2 s nominal
    /// scaled by the sandbox's time scale.
    pub lag_ms: Option<i64>,
    /// How long a new role assignment stays missing from lists; `None` as `lag_ms`.
    pub role_lag_ms: Option<i64>,
    /// Largest page of a list (`$top` may ask for less).
    pub page_size: usize,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            lag_ms: None,
            role_lag_ms: None,
            page_size: 2,
        }
    }
}

struct User {
    id: String,
    fields: Map<String, Value>,
    created_ms: i64,
}

struct Assignment {
    id: String,
    principal_id: String,
    role_definition_id: String,
    created_ms: i64,
}

impl Assignment {
    fn to_json(&self) -> Value {
        json!({"id": self.id, "principalId": self.principal_id,
               "roleDefinitionId": self.role_definition_id, "directoryScopeId": "/"})
    }
}

#[derive(Default)]
struct Directory {
    users: Vec<User>,
    assignments: Vec<Assignment>,
}

#[derive(Default)]
struct Inner {
    settings: Option<GraphConfig>,
    tenants: HashMap<String, Directory>,
    /// Requests still to be answered 429, and the `Retry-After` they carry.
    throttle: (u32, u64),
}

/// The emulator's state, part of the sandbox's shared state.
#[derive(Default)]
pub(crate) struct Emulator {
    config: GraphConfig,
    inner: Mutex<Inner>,
}

impl Emulator {
    pub fn new(config: GraphConfig) -> Self {
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

/// The emulator's routes (Graph under [`PREFIX`], controls under `/sandbox/graph`).
pub(crate) fn router(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let api = Router::new()
        .route("/graph/v1.0/users", post(create_user).get(list_users))
        .route(
            "/graph/v1.0/users/{id}",
            get(get_user).patch(patch_user).delete(delete_user),
        )
        .route(
            "/graph/v1.0/roleManagement/directory/roleAssignments",
            post(create_assignment).get(list_assignments),
        )
        .route(
            "/graph/v1.0/roleManagement/directory/roleAssignments/{id}",
            axum::routing::delete(delete_assignment),
        )
        .layer(from_fn_with_state(Arc::clone(shared), edge::faults_and_log));
    let controls = Router::new()
        .route("/sandbox/graph/users", post(seed_user))
        .route("/sandbox/graph/settings", put(settings))
        .route("/sandbox/graph/throttle", post(throttle))
        .route("/sandbox/graph/tenants/{tenant}", get(tenant_state))
        .layer(from_fn_with_state(Arc::clone(shared), edge::authenticate))
        .layer(from_fn(edge::json_bodies));
    api.merge(controls)
}

/// Graph's error body.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let id = guid();
    let body = json!({"error": {"code": code, "message": message.into(),
        "innerError": {"date": rfc3339_seconds(now_ms()), "request-id": id, "client-request-id": id}}});
    (status, Json(body)).into_response()
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

fn guid() -> String {
    let t = random_token("");
    format!(
        "{}-{}-{}-{}-{}",
        &t[0..8],
        &t[8..12],
        &t[12..16],
        &t[16..20],
        &t[20..32]
    )
}

/// What one request carries, after recording, throttling and authorization.
struct Call {
    tenant: String,
    body: Value,
}

/// Records the request (passwords replaced), answers 429 while throttled, checks the bearer
/// token and finds its tenant, and parses a JSON body when there is one.
fn accept(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Call, Response> {
    let parsed: Option<Result<Value, String>> =
        (!body.is_empty()).then(|| serde_json::from_slice(body).map_err(|e| e.to_string()));
    let mut shown = match &parsed {
        Some(Ok(v)) => v.clone(),
        _ => Value::Null,
    };
    if let Some(p) = shown
        .get_mut("passwordProfile")
        .and_then(|p| p.get_mut("password"))
    {
        *p = Value::from("(redacted)");
    }
    record(
        shared,
        VENDOR,
        method,
        path,
        query.keys().cloned().collect(),
        headers,
        shown,
    );
    {
        let mut inner = shared.graph.lock();
        if inner.throttle.0 > 0 {
            inner.throttle.0 -= 1;
            let after = inner.throttle.1;
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests.",
            );
            let h = r.headers_mut();
            h.insert(header::RETRY_AFTER, HeaderValue::from(after));
            h.insert(
                "x-ms-throttle-information",
                HeaderValue::from_static("ResourceUnitLimitExceeded"),
            );
            if let Ok(v) = HeaderValue::from_str("Tenant_Application/ReadWrite/tenantry/tenant") {
                h.insert("x-ms-throttle-scope", v);
            }
            return Err(r);
        }
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    let tenant = match shared.issued.verdict(token) {
        Verdict::Valid => shared.issued.tenant_of(token),
        _ => None,
    };
    let Some(tenant) = tenant else {
        let message = if token.is_empty() {
            "Access token is empty."
        } else {
            "Lifetime validation failed, the token is expired."
        };
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        ));
    };
    let body = match parsed {
        None => Value::Null,
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Unable to read JSON request payload: {e}"),
            ));
        }
    };
    Ok(Call { tenant, body })
}

fn lag(shared: &Shared, inner: &Inner, role: bool) -> i64 {
    let s = inner.settings.as_ref().unwrap_or(&shared.graph.config);
    let set = if role { s.role_lag_ms } else { s.lag_ms };
    set.unwrap_or_else(|| shared.time_scale.ms(Duration::from_secs(2)))
}

fn page_size(shared: &Shared, inner: &Inner) -> usize {
    inner
        .settings
        .as_ref()
        .unwrap_or(&shared.graph.config)
        .page_size
        .max(1)
}

/// Entra's rule for cloud-only users: 8–256 ASCII characters, 3 of lower, upper, digit, symbol.
fn password_ok(password: &str) -> bool {
    let n = password.chars().count();
    if !(8..=256).contains(&n) || !password.is_ascii() {
        return false;
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| c.is_ascii_punctuation() || c == ' '),
    ];
    classes.iter().filter(|c| **c).count() >= 3
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// Checks a user body (all of it on create, the sent properties on PATCH); returns the
/// properties to keep (the password dropped).
fn check_user(body: &Value, tenant: &str, create: bool) -> Result<Map<String, Value>, Response> {
    let Some(fields) = body.as_object() else {
        return Err(bad_request("The request body must be a JSON object."));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !USER_PROPERTIES.contains(&k.as_str()))
    {
        return Err(bad_request(format!("Invalid property '{unknown}'.")));
    }
    if create {
        for required in [
            "accountEnabled",
            "displayName",
            "mailNickname",
            "userPrincipalName",
            "passwordProfile",
        ] {
            if fields.get(required).is_none_or(Value::is_null) {
                return Err(bad_request(format!(
                    "Property '{required}' is required to create a user."
                )));
            }
        }
    }
    if let Some(upn) = fields.get("userPrincipalName") {
        let upn = upn.as_str().unwrap_or("");
        let (local, domain) = upn.split_once('@').unwrap_or(("", ""));
        let valid_chars = local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c));
        if local.is_empty() || local.len() > 64 || !valid_chars || local.ends_with('.') {
            return Err(bad_request(
                "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
            ));
        }
        if !domain.eq_ignore_ascii_case(tenant) {
            return Err(bad_request(
                "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
            ));
        }
    }
    if let Some(profile) = fields.get("passwordProfile") {
        let password = profile.get("password").and_then(Value::as_str);
        match password {
            Some(p) if !password_ok(p) => {
                return Err(bad_request(
                    "The specified password does not comply with password complexity requirements. Please provide a different password.",
                ));
            }
            None if create => {
                return Err(bad_request(
                    "Property 'passwordProfile.password' is required to create a user.",
                ));
            }
            _ => {}
        }
    }
    let mut kept = fields.clone();
    if let Some(Value::Object(profile)) = kept.get_mut("passwordProfile") {
        profile.remove("password");
    }
    Ok(kept)
}

fn user_json(user: &User, select: Option<&str>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), user.id.clone().into());
    for (k, v) in &user.fields {
        // Graph never returns the password profile.
        if k != "passwordProfile" {
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(select) = select {
        let wanted: Vec<&str> = select.split(',').map(str::trim).collect();
        out.retain(|k, _| k == "id" || wanted.contains(&k.as_str()));
    }
    Value::Object(out)
}

fn upn_of(user: &User) -> &str {
    user.fields
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `POST /users`.
async fn create_user(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = match accept(&shared, "POST", "/users", &q, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let fields = match check_user(&call.body, &call.tenant, true) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut inner = shared.graph.lock();
    let dir = inner.tenants.entry(call.tenant).or_default();
    let upn = fields["userPrincipalName"].as_str().unwrap_or("");
    if dir
        .users
        .iter()
        .any(|u| upn_of(u).eq_ignore_ascii_case(upn))
    {
        return bad_request(
            "Another object with the same value for property userPrincipalName already exists.",
        );
    }
    let user = User {
        id: guid(),
        fields,
        created_ms: now_ms(),
    };
    let mut answer = user_json(&user, None);
    answer["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity".into();
    dir.users.push(user);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// One `$filter` clause the emulator understands: `prop eq 'v'` or `startswith(prop,'v')`.
struct Clause {
    property: String,
    value: String,
    prefix: bool,
}

fn parse_filter(filter: &str) -> Option<Clause> {
    let f = filter.trim();
    let unquote = |v: &str| -> Option<String> {
        let v = v.trim();
        let inner = v.strip_prefix('\'')?.strip_suffix('\'')?;
        Some(inner.replace("''", "'"))
    };
    if let Some(args) = f
        .strip_prefix("startswith(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (property, value) = args.split_once(',')?;
        return Some(Clause {
            property: property.trim().to_owned(),
            value: unquote(value)?,
            prefix: true,
        });
    }
    let (property, value) = f.split_once(" eq ")?;
    Some(Clause {
        property: property.trim().to_owned(),
        value: unquote(value)?,
        prefix: false,
    })
}

fn clause_matches(clause: &Clause, value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    if clause.prefix {
        value
            .to_ascii_lowercase()
            .starts_with(&clause.value.to_ascii_lowercase())
    } else {
        value.eq_ignore_ascii_case(&clause.value)
    }
}

/// A page of `items` from `$skiptoken`, with `@odata.nextLink` when more follow.
fn page(
    headers: &HeaderMap,
    path: &str,
    q: &BTreeMap<String, String>,
    items: Vec<Value>,
    size: usize,
) -> Response {
    let top = q
        .get("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(size)
        .clamp(1, size);
    let skip = q
        .get("$skiptoken")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let chunk: Vec<Value> = items.into_iter().skip(skip).take(top).collect();
    let mut out = json!({"@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#{}", path.trim_start_matches('/')), "value": chunk});
    if q.get("$count").is_some_and(|c| c == "true") {
        out["@odata.count"] = total.into();
    }
    if skip + top < total {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost");
        let mut next = q.clone();
        next.insert("$skiptoken".into(), (skip + top).to_string());
        let query: Vec<String> = next
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        out["@odata.nextLink"] = format!("http://{host}{PREFIX}{path}?{}", query.join("&")).into();
    }
    Json(out).into_response()
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /users` with an optional `$filter` on `userPrincipalName` or
/// `onPremisesExtensionAttributes/extensionAttributeN` (an advanced query).
async fn list_users(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let call = match accept(&shared, "GET", "/users", &q, &headers, &[]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let clause = match q.get("$filter") {
        None => None,
        Some(f) => match parse_filter(f) {
            Some(c) => Some(c),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Request_UnsupportedQuery",
                    "Unsupported Query.",
                );
            }
        },
    };
    let extension = clause.as_ref().and_then(|c| {
        c.property
            .strip_prefix("onPremisesExtensionAttributes/")
            .map(str::to_owned)
    });
    if let Some(attribute) = &extension {
        let eventual = headers
            .get("consistencylevel")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
        if !eventual || q.get("$count").is_none_or(|c| c != "true") {
            return error(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                format!(
                    "Unsupported or invalid query filter clause specified for property '{attribute}' of resource 'User'."
                ),
            );
        }
    }
    if let Some(c) = &clause
        && extension.is_none()
        && c.property != "userPrincipalName"
    {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported Query.",
        );
    }
    let inner = shared.graph.lock();
    let visible_after = now_ms() - lag(&shared, &inner, false);
    let size = page_size(&shared, &inner);
    let items: Vec<Value> = inner
        .tenants
        .get(&call.tenant)
        .map(|d| {
            d.users
                .iter()
                .filter(|u| u.created_ms <= visible_after)
                .filter(|u| {
                    clause.as_ref().is_none_or(|c| {
                        let value = match &extension {
                            Some(a) => u
                                .fields
                                .get("onPremisesExtensionAttributes")
                                .and_then(|e| e.get(a)),
                            None => u.fields.get(&c.property),
                        };
                        clause_matches(c, value.and_then(Value::as_str))
                    })
                })
                .map(|u| user_json(u, q.get("$select").map(String::as_str)))
                .collect()
        })
        .unwrap_or_default();
    drop(inner);
    page(&headers, "/users", &q, items, size)
}

/// Finds a visible user of the caller's tenant by id (or UPN, as Graph allows).
fn find_user<'a>(
    shared: &Shared,
    inner: &'a mut Inner,
    tenant: &str,
    id: &str,
) -> Option<&'a mut User> {
    let visible_after = now_ms() - lag(shared, inner, false);
    inner.tenants.get_mut(tenant)?.users.iter_mut().find(|u| {
        (u.id == id || upn_of(u).eq_ignore_ascii_case(id)) && u.created_ms <= visible_after
    })
}

/// `GET /users/{id}`.
async fn get_user(
    State(shared): St,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let call = match accept(&shared, "GET", "/users/{user-id}", &q, &headers, &[]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.graph.lock();
    match find_user(&shared, &mut inner, &call.tenant, &id) {
        Some(u) => Json(user_json(u, q.get("$select").map(String::as_str))).into_response(),
        None => not_found(&id),
    }
}

/// `PATCH /users/{id}`: 204.
async fn patch_user(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let q = BTreeMap::new();
    let call = match accept(&shared, "PATCH", "/users/{user-id}", &q, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let fields = match check_user(&call.body, &call.tenant, false) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut inner = shared.graph.lock();
    if let Some(upn) = fields.get("userPrincipalName").and_then(Value::as_str) {
        let taken = inner.tenants.get(&call.tenant).is_some_and(|d| {
            d.users
                .iter()
                .any(|u| u.id != id && upn_of(u).eq_ignore_ascii_case(upn))
        });
        if taken {
            return bad_request(
                "Another object with the same value for property userPrincipalName already exists.",
            );
        }
    }
    let Some(user) = find_user(&shared, &mut inner, &call.tenant, &id) else {
        return not_found(&id);
    };
    for (k, v) in fields {
        match (k.as_str(), user.fields.get_mut(&k), v) {
            // Complex properties merge, as Graph's PATCH does.
            (
                "onPremisesExtensionAttributes" | "passwordProfile",
                Some(Value::Object(old)),
                Value::Object(new),
            ) => old.extend(new),
            (_, _, v) => {
                user.fields.insert(k, v);
            }
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `DELETE /users/{id}`: 204; the user's role assignments go with it.
async fn delete_user(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let q = BTreeMap::new();
    let call = match accept(&shared, "DELETE", "/users/{user-id}", &q, &headers, &[]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.graph.lock();
    let Some(uid) = find_user(&shared, &mut inner, &call.tenant, &id).map(|u| u.id.clone()) else {
        return not_found(&id);
    };
    if let Some(dir) = inner.tenants.get_mut(&call.tenant) {
        dir.users.retain(|u| u.id != uid);
        dir.assignments.retain(|a| a.principal_id != uid);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /roleManagement/directory/roleAssignments`: 201; missing from lists for `roleLagMs`.
async fn create_assignment(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = "/roleManagement/directory/roleAssignments";
    let call = match accept(&shared, "POST", path, &q, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let text = |k: &str| {
        call.body
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let (principal, role, scope) = (
        text("principalId"),
        text("roleDefinitionId"),
        text("directoryScopeId"),
    );
    if principal.is_empty() || role.is_empty() || scope.is_empty() {
        return bad_request("principalId, roleDefinitionId and directoryScopeId are required.");
    }
    if ![GLOBAL_ADMINISTRATOR, USER_ADMINISTRATOR].contains(&role.as_str()) {
        return bad_request(format!("The role definition '{role}' does not exist."));
    }
    if scope != "/" {
        return bad_request("directoryScopeId must be '/' for this role.");
    }
    let mut inner = shared.graph.lock();
    if find_user(&shared, &mut inner, &call.tenant, &principal).is_none() {
        return not_found(&principal);
    }
    let dir = inner.tenants.entry(call.tenant).or_default();
    if dir
        .assignments
        .iter()
        .any(|a| a.principal_id == principal && a.role_definition_id == role)
    {
        return bad_request(
            "A conflicting object with one or more of the specified property values is present in the directory.",
        );
    }
    let a = Assignment {
        id: random_token(""),
        principal_id: principal,
        role_definition_id: role,
        created_ms: now_ms(),
    };
    let answer = a.to_json();
    dir.assignments.push(a);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// `GET /roleManagement/directory/roleAssignments?$filter=principalId|roleDefinitionId eq '…'`.
async fn list_assignments(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = "/roleManagement/directory/roleAssignments";
    let call = match accept(&shared, "GET", path, &q, &headers, &[]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let clause = q.get("$filter").and_then(|f| parse_filter(f));
    let Some(clause) = clause
        .filter(|c| !c.prefix && (c.property == "principalId" || c.property == "roleDefinitionId"))
    else {
        return bad_request("A $filter on principalId or roleDefinitionId (eq) is required.");
    };
    let inner = shared.graph.lock();
    let visible_after = now_ms() - lag(&shared, &inner, true);
    let size = page_size(&shared, &inner);
    let items: Vec<Value> = inner
        .tenants
        .get(&call.tenant)
        .map(|d| {
            d.assignments
                .iter()
                .filter(|a| a.created_ms <= visible_after)
                .filter(|a| {
                    let v = if clause.property == "principalId" {
                        &a.principal_id
                    } else {
                        &a.role_definition_id
                    };
                    clause_matches(&clause, Some(v))
                })
                .map(Assignment::to_json)
                .collect()
        })
        .unwrap_or_default();
    drop(inner);
    page(&headers, path, &q, items, size)
}

/// `DELETE /roleManagement/directory/roleAssignments/{id}`: 204.
async fn delete_assignment(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = "/roleManagement/directory/roleAssignments/{unifiedRoleAssignment-id}";
    let call = match accept(&shared, "DELETE", path, &BTreeMap::new(), &headers, &[]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.graph.lock();
    let Some(dir) = inner.tenants.get_mut(&call.tenant) else {
        return not_found(&id);
    };
    let before = dir.assignments.len();
    dir.assignments.retain(|a| a.id != id);
    if dir.assignments.len() == before {
        return not_found(&id);
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedUser {
    /// The directory tenant (a domain name, as the token URL names it).
    tenant: String,
    /// Graph user properties (a password in `passwordProfile` is not needed).
    user: Map<String, Value>,
    /// Role definition ids assigned to the user.
    #[serde(default)]
    roles: Vec<String>,
}

/// `POST /sandbox/graph/users`: a user a person made in the Entra admin center, visible at
/// once (for adoption tests).
async fn seed_user(State(shared): St, Json(req): Json<SeedUser>) -> Response {
    let tenant = req.tenant.to_ascii_lowercase();
    let mut fields = req.user;
    fields.remove("id");
    let user = User {
        id: guid(),
        fields,
        created_ms: 0,
    };
    let answer = user_json(&user, None);
    let mut inner = shared.graph.lock();
    let dir = inner.tenants.entry(tenant).or_default();
    for role in req.roles {
        dir.assignments.push(Assignment {
            id: random_token(""),
            principal_id: user.id.clone(),
            role_definition_id: role,
            created_ms: 0,
        });
    }
    dir.users.push(user);
    (StatusCode::CREATED, Json(answer)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    lag_ms: Option<i64>,
    #[serde(default)]
    role_lag_ms: Option<i64>,
    #[serde(default)]
    page_size: Option<usize>,
}

/// `PUT /sandbox/graph/settings` `{lagMs, roleLagMs, pageSize}`: the read-after-write lags
/// (milliseconds, real time) and the page size.
async fn settings(State(shared): St, Json(req): Json<Settings>) -> Response {
    let mut inner = shared.graph.lock();
    let mut s = inner
        .settings
        .clone()
        .unwrap_or_else(|| shared.graph.config.clone());
    if req.lag_ms.is_some() {
        s.lag_ms = req.lag_ms;
    }
    if req.role_lag_ms.is_some() {
        s.role_lag_ms = req.role_lag_ms;
    }
    if let Some(n) = req.page_size {
        s.page_size = n.max(1);
    }
    let answer = json!({"lagMs": s.lag_ms, "roleLagMs": s.role_lag_ms, "pageSize": s.page_size});
    inner.settings = Some(s);
    Json(answer).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Throttle {
    /// How many of the next Graph requests are answered 429.
    requests: u32,
    /// Their `Retry-After`, in seconds.
    #[serde(default)]
    retry_after_seconds: u64,
}

/// `POST /sandbox/graph/throttle`: the next `requests` Graph calls get 429 with `Retry-After`
/// and `x-ms-throttle-information`/`x-ms-throttle-scope`.
async fn throttle(State(shared): St, Json(req): Json<Throttle>) -> Response {
    shared.graph.lock().throttle = (req.requests, req.retry_after_seconds);
    Json(json!({"requests": req.requests})).into_response()
}

/// `GET /sandbox/graph/tenants/{tenant}`: the tenant's users and role assignments, lag
/// ignored.
async fn tenant_state(State(shared): St, Path(tenant): Path<String>) -> Response {
    let inner = shared.graph.lock();
    let (users, assignments) = inner
        .tenants
        .get(&tenant.to_ascii_lowercase())
        .map(|d| {
            (
                d.users
                    .iter()
                    .map(|u| user_json(u, None))
                    .collect::<Vec<_>>(),
                d.assignments
                    .iter()
                    .map(Assignment::to_json)
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap_or_default();
    Json(json!({"users": users, "roleAssignments": assignments})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_rule_is_entras() {
        assert!(password_ok("Example-Only-Foundry-4417!"));
        assert!(password_ok("abcDEF12"));
        assert!(!password_ok("abcdefgh1"), "two classes");
        assert!(!password_ok("Ab1!"), "too short");
        assert!(!password_ok("Abcdefg1é"), "not ASCII");
        assert!(!password_ok(&"Ab1".repeat(90)), "longer than 256");
    }

    #[test]
    fn filters_parse() {
        let c = parse_filter(
            "startswith(onPremisesExtensionAttributes/extensionAttribute1,'tenantry:ns/')",
        )
        .unwrap_or_else(|| panic!("parses"));
        assert!(c.prefix);
        assert_eq!(c.value, "tenantry:ns/");
        let c = parse_filter("userPrincipalName eq 'o''neil@x.example'")
            .unwrap_or_else(|| panic!("parses"));
        assert_eq!(c.value, "o'neil@x.example");
        assert!(parse_filter("displayName ne 'x'").is_none());
    }
}
