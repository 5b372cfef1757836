//! GDAP relationships in the partner's tenant (vendor-apis.md §1.3, §8 "Partner Center" 9):
//! `POST|GET /tenantRelationships/delegatedAdminRelationships`, `GET|PATCH .../{id}`,
//! `POST .../{id}/requests` (`lockForApproval`). The tenant is the token's: tenantry asks for
//! the partner's with `organizations`.
//!
//! The state machine: `created` → `approvalPending` on lockForApproval, which stays until the
//! customer's Global Administrator approves (`POST /sandbox/graph/relationships/{id}/approve`,
//! the simulated person); then `approved` → `activating` → `active` over `gdapActivationMs`
//! (half each). A request not approved within 90 days (sandbox time) is `expired`
//! (`POST /sandbox/graph/relationships/{id}/expire` skips the wait). displayName is unique
//! among the partner's relationships that have not ended (409 otherwise ⚠: the code Graph
//! answers is not documented).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::query::page;
use super::{Inner, St, accept, bad_request, error, guid, not_found, page_size};
use crate::sandbox::clock::{now_ms, rfc3339_seconds};
use crate::sandbox::state::Shared;

const PATH: &str = "/tenantRelationships/delegatedAdminRelationships";
/// How long a customer has to approve: 90 days.
const REQUEST_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

/// One relationship of a partner.
pub(super) struct Relationship {
    id: String,
    /// The partner's tenant (the token's).
    partner: String,
    display_name: String,
    duration: String,
    auto_extend: String,
    customer_tenant: String,
    roles: Vec<String>,
    status: String,
    created_ms: i64,
    locked_ms: Option<i64>,
    approved_ms: Option<i64>,
    ended_ms: Option<i64>,
}

impl Relationship {
    /// Moves the status along with time: expiry of the request, activation after approval.
    fn advance(&mut self, now: i64, activation_ms: i64, lifetime_ms: i64) {
        if self.status == "approvalPending"
            && self.locked_ms.is_some_and(|l| now - l >= lifetime_ms)
        {
            self.status = "expired".into();
            self.ended_ms = Some(now);
        }
        if let Some(approved) = self.approved_ms
            && matches!(self.status.as_str(), "approved" | "activating")
        {
            let elapsed = now - approved;
            self.status = if elapsed >= activation_ms {
                "active"
            } else if elapsed * 2 >= activation_ms {
                "activating"
            } else {
                "approved"
            }
            .into();
        }
    }

    fn to_json(&self) -> Value {
        let roles: Vec<Value> = self
            .roles
            .iter()
            .map(|r| json!({"roleDefinitionId": r}))
            .collect();
        json!({
            "@odata.etag": format!("W/\"{}\"", self.created_ms),
            "id": self.id,
            "displayName": self.display_name,
            "duration": self.duration,
            "autoExtendDuration": self.auto_extend,
            "status": self.status,
            "customer": {"tenantId": self.customer_tenant, "displayName": null},
            "accessDetails": {"unifiedRoles": roles},
            "createdDateTime": rfc3339_seconds(self.created_ms),
            "lastModifiedDateTime": rfc3339_seconds(self.created_ms),
            "activatedDateTime": self.approved_ms.filter(|_| self.status == "active").map(rfc3339_seconds),
            "endDateTime": self.ended_ms.map(rfc3339_seconds),
        })
    }

    fn is_over(&self) -> bool {
        matches!(
            self.status.as_str(),
            "expired" | "expiring" | "terminated" | "terminating" | "terminationRequested"
        )
    }
}

fn timings(shared: &Shared, inner: &Inner) -> (i64, i64) {
    let activation = inner
        .settings
        .as_ref()
        .unwrap_or(&shared.graph.config)
        .gdap_activation_ms
        .unwrap_or_else(|| shared.time_scale.ms(Duration::from_secs(2)));
    (activation, shared.time_scale.ms(REQUEST_LIFETIME))
}

/// Every relationship brought up to date, then `f` over the partner's.
fn with_partner<T>(
    shared: &Shared,
    partner: &str,
    f: impl FnOnce(&mut Vec<&mut Relationship>) -> T,
) -> T {
    let mut inner = shared.graph.lock();
    let (activation, lifetime) = timings(shared, &inner);
    let now = now_ms();
    let mut mine: Vec<&mut Relationship> = inner
        .relationships
        .iter_mut()
        .filter(|r| r.partner == partner)
        .collect();
    for r in &mut mine {
        r.advance(now, activation, lifetime);
    }
    f(&mut mine)
}

/// `POST /tenantRelationships/delegatedAdminRelationships`: 201 `created`.
pub(super) async fn create(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = match accept(&shared, "POST", PATH, &q, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let b = &call.body;
    let text = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (name, duration) = (text("displayName"), text("duration"));
    if name.is_empty() || duration.is_empty() || b.get("accessDetails").is_none() {
        return bad_request("displayName, duration and accessDetails are required.");
    }
    if name.chars().count() > 50 {
        return bad_request("The displayName can have at most 50 characters.");
    }
    let auto_extend = b
        .get("autoExtendDuration")
        .and_then(Value::as_str)
        .unwrap_or("PT0S")
        .to_owned();
    if !["PT0S", "P0D", "P180D"].contains(&auto_extend.as_str()) {
        return bad_request("autoExtendDuration must be PT0S, P0D or P180D.");
    }
    let roles: Vec<String> = b["accessDetails"]["unifiedRoles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["roleDefinitionId"].as_str().map(str::to_owned))
        .collect();
    if roles.is_empty() {
        return bad_request("accessDetails.unifiedRoles needs at least one role.");
    }
    let customer = b["customer"]["tenantId"].as_str().unwrap_or("").to_owned();
    let taken = with_partner(&shared, &call.tenant, |mine| {
        mine.iter().any(|r| r.display_name == name && !r.is_over())
    });
    if taken {
        return error(
            StatusCode::CONFLICT,
            "Conflict",
            format!("A relationship with displayName '{name}' already exists."),
        );
    }
    let rel = Relationship {
        id: format!("{}-{}", guid(), guid()),
        partner: call.tenant,
        display_name: name,
        duration,
        auto_extend,
        customer_tenant: customer,
        roles,
        status: "created".into(),
        created_ms: now_ms(),
        locked_ms: None,
        approved_ms: None,
        ended_ms: None,
    };
    let answer = rel.to_json();
    let location = format!("https://graph.microsoft.com/v1.0{PATH}/{}", rel.id);
    shared.graph.lock().relationships.push(rel);
    let mut r = (StatusCode::CREATED, Json(answer)).into_response();
    if let Ok(v) = location.parse() {
        r.headers_mut().insert("Location", v);
    }
    r
}

/// `GET /tenantRelationships/delegatedAdminRelationships`: the partner's, paged.
pub(super) async fn list(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let call = match accept(&shared, "GET", PATH, &q, &headers, &[]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let items = with_partner(&shared, &call.tenant, |mine| {
        mine.iter().map(|r| r.to_json()).collect::<Vec<_>>()
    });
    let size = page_size(&shared, &shared.graph.lock());
    page(&headers, PATH, &q, items, size)
}

/// `GET /tenantRelationships/delegatedAdminRelationships/{id}`.
pub(super) async fn get_one(
    State(shared): St,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = format!("{PATH}/{{delegatedAdminRelationship-id}}");
    let call = match accept(&shared, "GET", &path, &q, &headers, &[]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let found = with_partner(&shared, &call.tenant, |mine| {
        mine.iter().find(|r| r.id == id).map(|r| r.to_json())
    });
    match found {
        Some(v) => Json(v).into_response(),
        None => not_found(&id),
    }
}

#[derive(Deserialize)]
struct RequestBody {
    action: String,
}

/// `POST .../{id}/requests` `{action}`: `lockForApproval` while `created`; 201 request.
pub(super) async fn request(
    State(shared): St,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("{PATH}/{{delegatedAdminRelationship-id}}/requests");
    let call = match accept(&shared, "POST", &path, &q, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_value::<RequestBody>(call.body) else {
        return bad_request("action is required.");
    };
    let auto_approve = {
        let inner = shared.graph.lock();
        inner
            .settings
            .as_ref()
            .unwrap_or(&shared.graph.config)
            .gdap_auto_approve
    };
    let answer = with_partner(&shared, &call.tenant, |mine| {
        let rel = mine.iter_mut().find(|r| r.id == id)?;
        Some(match (req.action.as_str(), rel.status.as_str()) {
            ("lockForApproval", "created") => {
                rel.status = "approvalPending".into();
                rel.locked_ms = Some(now_ms());
                if auto_approve {
                    rel.status = "approved".into();
                    rel.approved_ms = rel.locked_ms;
                }
                Ok(())
            }
            ("terminate", "active") => {
                rel.status = "terminated".into();
                rel.ended_ms = Some(now_ms());
                Ok(())
            }
            (action, status) => Err(format!(
                "The action '{action}' is not allowed for a relationship in status '{status}'."
            )),
        })
    });
    match answer {
        None => not_found(&id),
        Some(Err(message)) => bad_request(message),
        Some(Ok(())) => (
            StatusCode::CREATED,
            Json(
                json!({"id": guid(), "action": req.action, "status": "created",
                        "createdDateTime": rfc3339_seconds(now_ms())}),
            ),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct SeedRelationship {
    /// The partner's tenant (`organizations` is what tenantry asks for).
    #[serde(default = "organizations")]
    partner: String,
    display_name: String,
    customer_tenant_id: String,
    #[serde(default)]
    roles: Vec<String>,
    /// `active` (the default) or any status of the state machine.
    #[serde(default = "active")]
    status: String,
}

fn organizations() -> String {
    "organizations".into()
}

fn active() -> String {
    "active".into()
}

/// `POST /sandbox/graph/relationships`: a relationship a person made in Partner Center.
pub(super) async fn seed(State(shared): St, Json(req): Json<SeedRelationship>) -> Response {
    let now = now_ms();
    let rel = Relationship {
        id: format!("{}-{}", guid(), guid()),
        partner: req.partner.to_ascii_lowercase(),
        display_name: req.display_name,
        duration: "P730D".into(),
        auto_extend: "P180D".into(),
        customer_tenant: req.customer_tenant_id,
        roles: req.roles,
        locked_ms: (req.status == "approvalPending").then_some(now),
        status: req.status,
        created_ms: now,
        approved_ms: None,
        ended_ms: None,
    };
    let answer = rel.to_json();
    shared.graph.lock().relationships.push(rel);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// `POST /sandbox/graph/relationships/{id}/approve`: the customer's Global Administrator
/// approves at the link; 409 unless the relationship waits for approval.
pub(super) async fn approve(State(shared): St, Path(id): Path<String>) -> Response {
    control(&shared, &id, |rel, now| {
        (rel.status == "approvalPending").then(|| {
            rel.status = "approved".into();
            rel.approved_ms = Some(now);
        })
    })
}

/// `POST /sandbox/graph/relationships/{id}/expire`: 90 days pass without approval.
pub(super) async fn expire(State(shared): St, Path(id): Path<String>) -> Response {
    control(&shared, &id, |rel, now| {
        (rel.status == "approvalPending").then(|| {
            rel.status = "expired".into();
            rel.ended_ms = Some(now);
        })
    })
}

/// `GET /sandbox/graph/relationships`: every partner's relationships, up to date.
pub(super) async fn all(State(shared): St) -> Response {
    let mut inner = shared.graph.lock();
    let (activation, lifetime) = timings(&shared, &inner);
    let now = now_ms();
    let items: Vec<Value> = inner
        .relationships
        .iter_mut()
        .map(|r| {
            r.advance(now, activation, lifetime);
            r.to_json()
        })
        .collect();
    Json(json!({"value": items})).into_response()
}

fn control(
    shared: &Shared,
    id: &str,
    change: impl FnOnce(&mut Relationship, i64) -> Option<()>,
) -> Response {
    let mut inner = shared.graph.lock();
    let (activation, lifetime) = timings(shared, &inner);
    let now = now_ms();
    let Some(rel) = inner.relationships.iter_mut().find(|r| r.id == id) else {
        return not_found(id);
    };
    rel.advance(now, activation, lifetime);
    if change(rel, now).is_none() {
        return (
            StatusCode::CONFLICT,
            Json(json!({"error": format!("relationship {id} is {}", rel.status)})),
        )
            .into_response();
    }
    Json(rel.to_json()).into_response()
}
