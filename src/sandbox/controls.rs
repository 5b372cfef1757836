//! The sandbox-only endpoints (`/sandbox/...`): not part of the contract a real portal
//! implements. They stand in for people (the Global Admin's consent), for inventory made
//! elsewhere (DIDs, campaigns, reseller accounts, taken Microsoft domains), for the
//! provider's off-peak decision, and give tests the outbox, the request log, fault injection
//! and out-of-band changes.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::body::{parse_json, require_object, typed};
use super::clock::{now_ms, rfc3339_seconds};
use super::error::ApiError;
use super::faults::FaultConfig;
use super::fixtures::{self, Campaign, Did, OffPeak, ResellerAccount};
use super::object;
use super::outbox;
use super::path::PathParams;
use super::portals::{self, Cx};
use super::request_log;
use super::state::Shared;
use super::write::body_error;

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let value = parse_json(&body.map_err(body_error)?)?;
    require_object(&value, "body")?;
    typed(&value, "")
}

/// `GET /openapi.yaml`.
pub(crate) async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/yaml")],
        super::OPENAPI,
    )
        .into_response()
}

/// `GET /healthz`: the sandbox answers (readiness probes and scripts wait for it).
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutboxQuery {
    #[serde(default)]
    to: Option<String>,
}

/// `GET /sandbox/outbox?to=`.
pub(crate) async fn outbox(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return ApiError::bad_request("InvalidParameter", "the only parameter is to")
            .into_response();
    };
    let items = shared
        .store
        .read(move |tx| outbox::list(tx, q.to.as_deref()))
        .await;
    answer(items.map(|items| Json(json!({ "items": items })).into_response()))
}

/// `GET /sandbox/requests`.
pub(crate) async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let items = shared.log.entries();
    let counts = request_log::counts(&items);
    let writes = request_log::writes(&items);
    let callers = request_log::callers(&items);
    Json(json!({"items": items, "counts": counts, "writes": writes, "callers": callers}))
        .into_response()
}

/// `DELETE /sandbox/requests`.
pub(crate) async fn clear_requests(State(shared): State<Arc<Shared>>) -> Response {
    shared.log.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /sandbox/faults`.
pub(crate) async fn faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.faults.config()).into_response()
}

/// `PUT /sandbox/faults`: replaces the fault rules (and reseeds).
pub(crate) async fn set_faults(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    answer(json_body::<FaultConfig>(body).and_then(|config| {
        config
            .check()
            .map_err(|e| ApiError::invalid_body(&e.field, e.message))?;
        shared.faults.replace(config);
        Ok(Json(shared.faults.config()).into_response())
    }))
}

/// `DELETE /sandbox/faults`.
pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.faults.replace(FaultConfig::default());
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConsentBody {
    invitation_code: String,
}

/// `POST /sandbox/teammate/consent`: the Global Admin grants the next consent step.
pub(crate) async fn consent(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body: ConsentBody = match json_body(body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let for_tx = Arc::clone(&shared);
    let result = shared
        .store
        .write(move |tx| {
            let cx = Cx {
                tx,
                shared: &for_tx,
                now_ms: now_ms(),
                method: "POST",
                echo: &[],
            };
            let (obj, consent) = portals::consent(&cx, &body.invitation_code)?;
            Ok(json!({"enterpriseId": obj.id, "consent": consent}))
        })
        .await;
    answer(result.map(|v| Json(v).into_response()))
}

/// `GET /sandbox/teammate/reseller-accounts`.
pub(crate) async fn reseller_accounts(State(shared): State<Arc<Shared>>) -> Response {
    let items = shared.store.read(fixtures::reseller_accounts).await;
    answer(items.map(|items| Json(json!({ "items": items })).into_response()))
}

/// Runs a store write with a parsed body and answers with `ok(body)`.
async fn put<T, F>(shared: Arc<Shared>, body: Result<Bytes, BytesRejection>, f: F) -> Response
where
    T: DeserializeOwned + serde::Serialize + Send + 'static,
    F: FnOnce(&rusqlite::Transaction<'_>, &T) -> Result<(), ApiError> + Send + 'static,
{
    let item: T = match json_body(body) {
        Ok(item) => item,
        Err(e) => return e.into_response(),
    };
    let result = shared
        .store
        .write(move |tx| {
            f(tx, &item)?;
            Ok(item)
        })
        .await;
    answer(result.map(|item| Json(item).into_response()))
}

/// `POST /sandbox/teammate/reseller-accounts`.
pub(crate) async fn add_reseller_account(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    put::<ResellerAccount, _>(shared, body, fixtures::put_reseller_account).await
}

#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct DomainBody {
    domain: String,
}

/// `GET /sandbox/microsoft-domains`.
pub(crate) async fn microsoft_domains(State(shared): State<Arc<Shared>>) -> Response {
    let items = shared.store.read(fixtures::microsoft_domains).await;
    answer(items.map(|items| {
        let items: Vec<Value> = items
            .into_iter()
            .map(|(domain, source)| json!({"domain": domain, "source": source}))
            .collect();
        Json(json!({ "items": items })).into_response()
    }))
}

/// `POST /sandbox/microsoft-domains`: marks a Microsoft domain taken.
pub(crate) async fn reserve_domain(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    put::<DomainBody, _>(shared, body, |tx, b| {
        fixtures::reserve_domain(tx, &b.domain, "reserved").map(drop)
    })
    .await
}

/// `POST /sandbox/apps/dids`: adds or replaces a DID of the inventory.
pub(crate) async fn put_did(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    put::<Did, _>(shared, body, fixtures::put_did).await
}

/// `POST /sandbox/apps/campaigns`: adds or replaces a 10DLC campaign.
pub(crate) async fn put_campaign(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    put::<Campaign, _>(shared, body, fixtures::put_campaign).await
}

/// `GET /sandbox/contactcenter/off-peak`.
pub(crate) async fn off_peak(State(shared): State<Arc<Shared>>) -> Response {
    let value = shared.store.read(fixtures::off_peak).await;
    answer(value.map(|v| Json(v).into_response()))
}

/// `PUT /sandbox/contactcenter/off-peak`.
pub(crate) async fn set_off_peak(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    put::<OffPeak, _>(shared, body, fixtures::set_off_peak).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutOfBand {
    #[serde(default)]
    spec: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
}

/// JSON merge patch (RFC 7386).
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// `PATCH /sandbox/objects/{portal}/{kind}/{id}`: a change made in the portal's own UI.
pub(crate) async fn patch_object(
    State(shared): State<Arc<Shared>>,
    PathParams((portal, kind, id)): PathParams<(String, String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let patch: OutOfBand = match json_body(body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let result = shared
        .store
        .write(move |tx| {
            let mut obj = object::get(tx, &portal, &kind, &id)?.ok_or_else(|| {
                ApiError::not_found(format!("no {portal} {kind} object has id {id}"))
            })?;
            if let Some(p) = &patch.spec {
                merge(&mut obj.spec, p);
            }
            if let Some(p) = &patch.status {
                merge(&mut obj.status, p);
            }
            obj.version += 1;
            obj.updated_at = rfc3339_seconds(now_ms());
            object::save(tx, &obj)?;
            Ok(obj.envelope())
        })
        .await;
    answer(result.map(|v| Json(v).into_response()))
}

/// `DELETE /sandbox/objects/{portal}/{kind}/{id}`: deleted in the portal's own UI.
pub(crate) async fn delete_object(
    State(shared): State<Arc<Shared>>,
    PathParams((portal, kind, id)): PathParams<(String, String, String)>,
) -> Response {
    let result = shared
        .store
        .write(move |tx| {
            object::get(tx, &portal, &kind, &id)?.ok_or_else(|| {
                ApiError::not_found(format!("no {portal} {kind} object has id {id}"))
            })?;
            object::remove(tx, &id)
        })
        .await;
    answer(result.map(|()| StatusCode::NO_CONTENT.into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_objects() {
        for (raw, code) in [
            (&b"[]"[..], Some("InvalidRequest")),
            (b"[true, []]", Some("InvalidRequest")),
            (b"", Some("InvalidRequest")),
            (b"{", Some("MalformedJson")),
            (b"{\"all\": true}", None),
        ] {
            let parsed = json_body::<OffPeak>(Ok(Bytes::from_static(raw)));
            assert_eq!(parsed.err().map(|e| e.code), code, "{raw:?}");
        }
    }

    #[test]
    fn merge_patch() {
        let mut v = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge(&mut v, &json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(v, json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
