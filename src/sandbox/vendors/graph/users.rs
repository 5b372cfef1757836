//! Users: `POST /users`, `GET /users` (an advanced query on extension attributes),
//! `GET|PATCH|DELETE /users/{id}`, with the read-after-write lag, the duplicate UPN and the
//! password policy.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::query::{clause_matches, page, parse_filter};
use super::{
    Inner, St, USER_PROPERTIES, User, accept, bad_request, error, guid, lag, not_found, page_size,
};
use crate::sandbox::clock::now_ms;
use crate::sandbox::state::Shared;

/// Entra's rule for cloud-only users: 8–256 ASCII characters, 3 of lower, upper, digit, symbol.
pub(super) fn password_ok(password: &str) -> bool {
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

/// Checks a user body (all of it on create, the sent properties on PATCH); returns the
/// properties to keep (the password dropped).
pub(super) fn check_user(
    body: &Value,
    tenant: &str,
    create: bool,
) -> Result<Map<String, Value>, Response> {
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

pub(super) fn user_json(user: &User, select: Option<&str>) -> Value {
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

pub(super) fn upn_of(user: &User) -> &str {
    user.fields
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `POST /users`.
pub(super) async fn create_user(
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

/// `GET /users` with an optional `$filter` on `userPrincipalName` or
/// `onPremisesExtensionAttributes/extensionAttributeN` (an advanced query).
pub(super) async fn list_users(
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
pub(super) fn find_user<'a>(
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
pub(super) async fn get_user(
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
pub(super) async fn patch_user(
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
pub(super) async fn delete_user(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
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
