//! The write path of the contract: create, replace, delete and the TeamMate resend, each
//! behind the same idempotency, fault and transaction handling.
//!
//! Order: parse the body → claim the `Idempotency-Key` (409/422 while in flight) → injected
//! latency → one transaction { replay a recorded answer, or run the rules, write the change,
//! its operation and e-mails, and record the answer } → answer (or drop the connection after
//! commit when the fault says so).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::rejection::BytesRejection;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{parse_json, require_object, scrub, secrets_in, typed, without_secrets};
use super::clock::{now_ms, rfc3339_seconds};
use super::edge::{DropConnection, FaultMark, Replayed, StallThenDrop, client_error};
use super::error::ApiError;
use super::faults::{FaultPlan, LostAnswer};
use super::idempotency::{self, Credential, Recorded};
use super::object::{self, DeletionPolicy, Object};
use super::operations::{self, Action, OpState};
use super::portals::{self, Cx, Kind, Removal, check_immutable, with_defaults};
use super::state::Shared;
use super::store::in_transaction;

/// A write.
pub(crate) enum Write {
    Create(&'static Kind),
    Update(&'static Kind, String),
    Delete(&'static Kind, String),
    ResendInvitation(String),
}

/// What a write handler needs from the request besides the body.
pub(crate) struct WriteContext {
    credential: Credential,
    faults: FaultPlan,
    method: &'static str,
    path: String,
    key: Option<Result<String, ApiError>>,
}

impl FromRequestParts<Arc<Shared>> for WriteContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &Arc<Shared>) -> Result<Self, ApiError> {
        let credential = parts
            .extensions
            .get::<Credential>()
            .cloned()
            .ok_or_else(|| ApiError::internal("no credential"))?;
        let faults = parts
            .extensions
            .get::<FaultPlan>()
            .copied()
            .unwrap_or_default();
        let method = match parts.method {
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            _ => "POST",
        };
        let key = parts.headers.get("idempotency-key").map(|v| {
            v.to_str()
                .map_err(|_| ApiError::bad_request("InvalidIdempotencyKey", "not ASCII"))
                .and_then(idempotency::parse_key)
        });
        Ok(Self {
            credential,
            faults,
            method,
            path: parts.uri.path().to_owned(),
            key,
        })
    }
}

/// Maps a body that could not be read to the error shape (413 for an oversized body, 408 for
/// one that stopped arriving).
pub(crate) fn body_error(rejection: BytesRejection) -> ApiError {
    let mut cause: Option<&dyn std::error::Error> = Some(&rejection);
    while let Some(err) = cause {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                "the request body stopped arriving; send it again, whole",
            );
        }
        cause = err.source();
    }
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            "the request body is larger than the sandbox accepts",
        )
    } else {
        ApiError::bad_request("InvalidBody", "the request body could not be read")
    }
}

enum Answer {
    Fresh(Recorded),
    Replay(Recorded),
}

/// Runs a write and answers it.
pub(crate) async fn run(
    shared: Arc<Shared>,
    ctx: WriteContext,
    body: Result<Bytes, BytesRejection>,
    write: Write,
) -> Response {
    match execute(shared, ctx, body, write).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn execute(
    shared: Arc<Shared>,
    ctx: WriteContext,
    body: Result<Bytes, BytesRejection>,
    write: Write,
) -> Result<Response, ApiError> {
    let bytes = body.map_err(body_error)?;
    let value = match write {
        Write::Delete(..) => Value::Null,
        _ => parse_json(&bytes)?,
    };
    let secrets = secrets_in(&value);
    if let Some(status) = ctx.faults.reject {
        let mut err = client_error(status);
        if ctx.faults.echo_secrets && !secrets.is_empty() {
            err.message = format!("{} (request secrets: {})", err.message, secrets.join(", "));
        }
        let mut response = err.into_response();
        response.extensions_mut().insert(FaultMark("clientError"));
        if ctx.faults.echo_secrets {
            echo_header(&mut response, &secrets);
        }
        return Ok(response);
    }
    let key = ctx.key.transpose()?;
    let hash = idempotency::request_hash(ctx.method, &ctx.path, &value);
    let claim = match &key {
        Some(k) => Some(shared.claims.claim(&ctx.credential, k, &hash)?),
        None => None,
    };
    if !ctx.faults.latency.is_zero() {
        tokio::time::sleep(ctx.faults.latency).await;
    }
    let for_tx = Arc::clone(&shared);
    let credential = ctx.credential;
    let method = ctx.method;
    let echo = if ctx.faults.echo_secrets {
        secrets.clone()
    } else {
        Vec::new()
    };
    let answer = shared
        .store
        .run(move |conn| {
            // The key stays claimed until the transaction is over, even if the client left.
            let _claim = claim;
            in_transaction(conn, |tx| {
                let now = now_ms();
                if let Some(k) = &key
                    && let Some(recorded) = idempotency::lookup(
                        tx,
                        &credential,
                        k,
                        &hash,
                        now - for_tx.idempotency_ttl_ms,
                    )?
                {
                    return Ok(Answer::Replay(recorded));
                }
                let cx = Cx {
                    tx,
                    shared: &for_tx,
                    now_ms: now,
                    method,
                    echo: &echo,
                };
                let recorded = apply(&cx, write, &value)?;
                if let Some(k) = &key {
                    idempotency::record(tx, &credential, k, &hash, now, &recorded)?;
                }
                Ok(Answer::Fresh(recorded))
            })
        })
        .await;
    let echo = ctx.faults.echo_secrets && !secrets.is_empty();
    let mut response = match answer {
        Ok(Answer::Fresh(recorded)) => match ctx.faults.lost_answer {
            None => respond(&recorded),
            Some(lost) => lose(&recorded, lost),
        },
        Ok(Answer::Replay(recorded)) => {
            let mut response = respond(&recorded);
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response.extensions_mut().insert(Replayed);
            response
        }
        Err(mut err) => {
            err.message = scrub(&err.message, &secrets);
            if echo && err.status.is_client_error() {
                err.message = format!("{} (request secrets: {})", err.message, secrets.join(", "));
            }
            err.into_response()
        }
    };
    if echo {
        echo_header(&mut response, &secrets);
    }
    Ok(response)
}

/// Reflects request secrets into a response header (the `echoSecrets` fault).
fn echo_header(response: &mut Response, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&format!("request secrets: {}", secrets.join(", "))) {
        response.headers_mut().insert("x-debug-echo", value);
    }
}

/// The answer of a committed write, lost on the way: the change stays, the client learns
/// nothing (a retry with the same key gets the recorded answer).
fn lose(recorded: &Recorded, lost: LostAnswer) -> Response {
    let mut response = match lost {
        LostAnswer::GatewayTimeout => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "the portal did not answer in time; the request may have been executed — retry \
             with the same Idempotency-Key",
        )
        .into_response(),
        LostAnswer::Drop => {
            let mut response = respond(recorded);
            response.extensions_mut().insert(DropConnection);
            response
        }
        LostAnswer::Stall(stall) => {
            let mut response = respond(recorded);
            response.extensions_mut().insert(DropConnection);
            response.extensions_mut().insert(StallThenDrop(stall));
            response
        }
    };
    response.extensions_mut().insert(FaultMark(lost.fault()));
    response
}

fn respond(recorded: &Recorded) -> Response {
    let status = StatusCode::from_u16(recorded.status).unwrap_or(StatusCode::OK);
    let mut response = if recorded.body.is_empty() {
        status.into_response()
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            recorded.body.clone(),
        )
            .into_response()
    };
    if let Some(location) = &recorded.location
        && let Ok(value) = HeaderValue::from_str(location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    external_ref: String,
    #[serde(default)]
    deletion_policy: Option<DeletionPolicy>,
    spec: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateBody {
    spec: Value,
    #[serde(default)]
    deletion_policy: Option<DeletionPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

fn apply(cx: &Cx<'_, '_>, write: Write, value: &Value) -> Result<Recorded, ApiError> {
    match write {
        Write::Create(kind) => create(cx, kind, value),
        Write::Update(kind, id) => update(cx, kind, &id, value),
        Write::Delete(kind, id) => delete(cx, kind, &id),
        Write::ResendInvitation(id) => resend(cx, &id, value),
    }
}

/// `namespace/name`, optionally followed by `/part`s: no blanks, at most 512 characters.
fn check_external_ref(r: &str) -> Result<(), ApiError> {
    let segments: Vec<&str> = r.split('/').collect();
    let ok = segments.len() >= 2
        && r.len() <= 512
        && segments.iter().all(|s| !s.is_empty())
        && !r.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "InvalidField",
            "externalRef is namespace/name of the declaring object, optionally /part",
        )
        .field("externalRef"))
    }
}

fn location(kind: &Kind, id: &str) -> String {
    format!("/v1/{}/{}/{id}", kind.portal, kind.kind)
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn not_found(kind: &Kind, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no {} {} object has id {id}; it may have been deleted",
        kind.portal, kind.kind
    ))
}

fn create(cx: &Cx<'_, '_>, kind: &'static Kind, value: &Value) -> Result<Recorded, ApiError> {
    require_object(value, "body")?;
    let body: CreateBody = typed(value, "")?;
    check_external_ref(&body.external_ref)?;
    require_object(&body.spec, "spec")?;
    // One object per externalRef and kind: a second create (another client, or a retry whose
    // idempotency record expired) finds the first instead of making a duplicate.
    if object::count_by_ref(cx.tx, kind.portal, kind.kind, &body.external_ref)? > 0 {
        return Err(ApiError::conflict(
            "ExternalRefExists",
            format!(
                "a {} {} object with externalRef {} exists already; find it with \
                 ?externalRef= and update it instead",
                kind.portal, kind.kind, body.external_ref
            ),
        )
        .field("externalRef"));
    }
    let id = cx.new_id(kind.prefix)?;
    // The rules see the contract's defaults; the spec is stored as sent.
    let seen = with_defaults(kind.portal, kind.kind, &body.spec);
    let created = kind.rules.create(cx, &id, &seen)?;
    let now = rfc3339_seconds(cx.now_ms);
    let mut obj = Object {
        id,
        portal: kind.portal.to_owned(),
        kind: kind.kind.to_owned(),
        external_ref: body.external_ref,
        deletion_policy: body.deletion_policy.unwrap_or_default(),
        version: 1,
        created_at: now.clone(),
        updated_at: now,
        spec: without_secrets(&body.spec),
        status: if created.status.is_object() {
            created.status
        } else {
            json!({})
        },
        parent_id: created.parent,
    };
    if obj.status.get("phase").is_none() {
        obj.set_status("phase", "Ready");
    }
    let operation = match &created.operation {
        Some(plan) => Some(cx.operation(&mut obj, plan)?),
        None => None,
    };
    object::insert(cx.tx, &obj)?;
    let location = Some(location(kind, &obj.id));
    Ok(match operation {
        None => Recorded {
            status: 201,
            location,
            body: json_bytes(&obj.envelope()),
        },
        Some(op) => Recorded {
            status: 202,
            location,
            body: json_bytes(&json!({"object": obj.envelope(), "operation": op.wire()})),
        },
    })
}

fn update(
    cx: &Cx<'_, '_>,
    kind: &'static Kind,
    id: &str,
    value: &Value,
) -> Result<Recorded, ApiError> {
    require_object(value, "body")?;
    let body: UpdateBody = typed(value, "")?;
    require_object(&body.spec, "spec")?;
    let mut obj =
        object::get(cx.tx, kind.portal, kind.kind, id)?.ok_or_else(|| not_found(kind, id))?;
    if let Some(op) = operations::active_for(cx.tx, id)?
        && op.state != OpState::AwaitingHuman
    {
        return Err(busy(&op));
    }
    let before = obj.clone();
    check_immutable(kind.portal, kind.kind, &obj, &body.spec)?;
    let seen = with_defaults(kind.portal, kind.kind, &body.spec);
    let plan = kind.rules.update(cx, &mut obj, &seen)?;
    obj.spec = without_secrets(&body.spec);
    if let Some(policy) = body.deletion_policy {
        obj.deletion_policy = policy;
    }
    let operation = match &plan {
        Some(plan) => Some(cx.operation(&mut obj, plan)?),
        None => None,
    };
    if obj != before {
        obj.version += 1;
        obj.updated_at = rfc3339_seconds(cx.now_ms);
        object::save(cx.tx, &obj)?;
    }
    Ok(match operation {
        None => Recorded {
            status: 200,
            location: None,
            body: json_bytes(&obj.envelope()),
        },
        Some(op) => Recorded {
            status: 202,
            location: None,
            body: json_bytes(&json!({"object": obj.envelope(), "operation": op.wire()})),
        },
    })
}

fn busy(op: &operations::Operation) -> ApiError {
    ApiError::conflict(
        "OperationInProgress",
        format!(
            "operation {} ({}) is {}; retry after it has finished",
            op.id,
            match op.action {
                Action::Create => "create",
                Action::Update => "update",
                Action::Delete => "delete",
            },
            op.state.as_str()
        ),
    )
}

fn delete(cx: &Cx<'_, '_>, kind: &'static Kind, id: &str) -> Result<Recorded, ApiError> {
    let mut obj =
        object::get(cx.tx, kind.portal, kind.kind, id)?.ok_or_else(|| not_found(kind, id))?;
    let children = object::count_children(cx.tx, id)?;
    if children > 0 {
        return Err(ApiError::conflict(
            "HasDependents",
            format!("{id} still has {children} dependent object(s); delete them first"),
        ));
    }
    if let Some(op) = operations::active_for(cx.tx, id)? {
        if op.action == Action::Delete {
            return Ok(Recorded {
                status: 202,
                location: None,
                body: json_bytes(&json!({"object": obj.envelope(), "operation": op.wire()})),
            });
        }
        if op.state != OpState::AwaitingHuman {
            return Err(busy(&op));
        }
    }
    match kind.rules.delete(cx, &obj)? {
        Removal::Now => {
            object::remove(cx.tx, id)?;
            Ok(Recorded {
                status: 204,
                location: None,
                body: Vec::new(),
            })
        }
        Removal::Later(plan) => {
            let op = cx.operation(&mut obj, &plan)?;
            obj.version += 1;
            obj.updated_at = rfc3339_seconds(cx.now_ms);
            object::save(cx.tx, &obj)?;
            Ok(Recorded {
                status: 202,
                location: None,
                body: json_bytes(&json!({"object": obj.envelope(), "operation": op.wire()})),
            })
        }
    }
}

fn resend(cx: &Cx<'_, '_>, id: &str, value: &Value) -> Result<Recorded, ApiError> {
    if !value.is_null() {
        require_object(value, "body")?;
        let _: EmptyBody = typed(value, "")?;
    }
    let kind = portals::KINDS
        .iter()
        .find(|k| k.portal == "teammate" && k.kind == "enterprises")
        .ok_or_else(|| ApiError::internal("no enterprises kind"))?;
    let mut obj =
        object::get(cx.tx, kind.portal, kind.kind, id)?.ok_or_else(|| not_found(kind, id))?;
    portals::resend_invitation(cx, &mut obj)?;
    obj.version += 1;
    obj.updated_at = rfc3339_seconds(cx.now_ms);
    object::save(cx.tx, &obj)?;
    Ok(Recorded {
        status: 200,
        location: None,
        body: json_bytes(&obj.envelope()),
    })
}
