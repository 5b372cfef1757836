//! Directory role assignments: `POST|GET /roleManagement/directory/roleAssignments` and
//! `DELETE .../{id}`; a new assignment is listed only after `roleLagMs`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::query::{clause_matches, page, parse_filter};
use super::users::find_user;
use super::{
    Assignment, GLOBAL_ADMINISTRATOR, St, USER_ADMINISTRATOR, accept, bad_request, lag, not_found,
    page_size,
};
use crate::sandbox::clock::now_ms;
use crate::sandbox::identity::random_token;

/// `POST /roleManagement/directory/roleAssignments`: 201; missing from lists for `roleLagMs`.
pub(super) async fn create_assignment(
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
pub(super) async fn list_assignments(
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
pub(super) async fn delete_assignment(
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
