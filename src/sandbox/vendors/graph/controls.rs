//! The emulator's controls under `/sandbox/graph` (authenticated like the contract's).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::users::user_json;
use super::{Assignment, St, User, guid};
use crate::sandbox::identity::random_token;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct SeedUser {
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
pub(super) async fn seed_user(State(shared): St, Json(req): Json<SeedUser>) -> Response {
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
pub(super) struct Settings {
    #[serde(default)]
    lag_ms: Option<i64>,
    #[serde(default)]
    role_lag_ms: Option<i64>,
    #[serde(default)]
    page_size: Option<usize>,
    #[serde(default)]
    gdap_activation_ms: Option<i64>,
    #[serde(default)]
    gdap_auto_approve: Option<bool>,
}

/// `PUT /sandbox/graph/settings` `{lagMs, roleLagMs, pageSize, gdapActivationMs,
/// gdapAutoApprove}`: the read-after-write lags and a GDAP relationship's activation
/// (milliseconds, real time), the page size, and whether customers approve at once.
pub(super) async fn settings(State(shared): St, Json(req): Json<Settings>) -> Response {
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
    if req.gdap_activation_ms.is_some() {
        s.gdap_activation_ms = req.gdap_activation_ms;
    }
    if let Some(auto) = req.gdap_auto_approve {
        s.gdap_auto_approve = auto;
    }
    let answer = json!({"lagMs": s.lag_ms, "roleLagMs": s.role_lag_ms, "pageSize": s.page_size,
                        "gdapActivationMs": s.gdap_activation_ms, "gdapAutoApprove": s.gdap_auto_approve});
    inner.settings = Some(s);
    Json(answer).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Throttle {
    /// How many of the next Graph requests are answered 429.
    requests: u32,
    /// Their `Retry-After`, in seconds.
    #[serde(default)]
    retry_after_seconds: u64,
}

/// `POST /sandbox/graph/throttle`: the next `requests` Graph calls get 429 with `Retry-After`
/// and `x-ms-throttle-information`/`x-ms-throttle-scope`.
pub(super) async fn throttle(State(shared): St, Json(req): Json<Throttle>) -> Response {
    shared.graph.lock().throttle = (req.requests, req.retry_after_seconds);
    Json(json!({"requests": req.requests})).into_response()
}

/// `GET /sandbox/graph/tenants/{tenant}`: the tenant's users and role assignments, lag
/// ignored.
pub(super) async fn tenant_state(State(shared): St, Path(tenant): Path<String>) -> Response {
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
