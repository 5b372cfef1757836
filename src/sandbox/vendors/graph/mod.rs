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
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Map, Value, json};

use crate::sandbox::clock::{now_ms, rfc3339_seconds};
use crate::sandbox::edge;
use crate::sandbox::identity::{Verdict, random_token};
use crate::sandbox::state::Shared;
use crate::sandbox::vendors::record;

mod controls;
mod query;
mod relationships;
mod roles;
mod users;

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
    /// How long an approved GDAP relationship takes to become `active` (`approved`, then
    /// `activating`); `None`: 2 s nominal scaled by the sandbox's time scale.
    pub gdap_activation_ms: Option<i64>,
    /// The customer approves every GDAP relationship as soon as it is locked (tests of the
    /// admins that are not about the approval).
    pub gdap_auto_approve: bool,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            lag_ms: None,
            role_lag_ms: None,
            page_size: 2,
            gdap_activation_ms: None,
            gdap_auto_approve: false,
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
    /// GDAP relationships of every partner tenant.
    relationships: Vec<relationships::Relationship>,
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
        .route(
            "/graph/v1.0/users",
            post(users::create_user).get(users::list_users),
        )
        .route(
            "/graph/v1.0/users/{id}",
            get(users::get_user)
                .patch(users::patch_user)
                .delete(users::delete_user),
        )
        .route(
            "/graph/v1.0/roleManagement/directory/roleAssignments",
            post(roles::create_assignment).get(roles::list_assignments),
        )
        .route(
            "/graph/v1.0/roleManagement/directory/roleAssignments/{id}",
            axum::routing::delete(roles::delete_assignment),
        )
        .route(
            "/graph/v1.0/tenantRelationships/delegatedAdminRelationships",
            post(relationships::create).get(relationships::list),
        )
        .route(
            "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/{id}",
            get(relationships::get_one),
        )
        .route(
            "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/{id}/requests",
            post(relationships::request),
        )
        .layer(from_fn_with_state(Arc::clone(shared), edge::faults_and_log));
    let controls = Router::new()
        .route("/sandbox/graph/users", post(controls::seed_user))
        .route("/sandbox/graph/settings", put(controls::settings))
        .route("/sandbox/graph/throttle", post(controls::throttle))
        .route(
            "/sandbox/graph/relationships",
            post(relationships::seed).get(relationships::all),
        )
        .route(
            "/sandbox/graph/relationships/{id}/approve",
            post(relationships::approve),
        )
        .route(
            "/sandbox/graph/relationships/{id}/expire",
            post(relationships::expire),
        )
        .route(
            "/sandbox/graph/tenants/{tenant}",
            get(controls::tenant_state),
        )
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

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

#[cfg(test)]
mod tests {
    use super::query::parse_filter;
    use super::users::password_ok;

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
