//! What every contract request passes before its handler: the request log, injected faults
//! and bearer authentication.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::faults::Immediate;
use super::idempotency::Credential;
use super::identity::Verdict;
use super::request_log::LoggedRequest;
use super::state::Shared;

/// Marks a response whose connection is closed instead of answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// Marks an idempotent replay.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replayed;

/// Names the fault a handler injected (`commitThenTimeout`, `equivalentData`, ...).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultMark(pub &'static str);

/// Marks a response that is never sent: the connection stays silent this long, then closes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StallThenDrop(pub std::time::Duration);

/// The portal and kind named by a route (`/v1/{portal}/{kind}...`).
pub(crate) fn portal_kind(route: &str) -> (&str, &str) {
    let mut parts = route.trim_start_matches('/').split('/').skip(1);
    let portal = parts.next().unwrap_or("");
    let kind = parts.next().filter(|k| !k.starts_with('{')).unwrap_or("");
    (portal, kind)
}

/// Logs the request and applies the faults that answer at once.
pub(crate) async fn faults_and_log(
    State(shared): State<Arc<Shared>>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let received_ms = shared.elapsed_ms();
    let caller = bearer(req.headers()).map(|t| Credential::from_token(&t).short());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = matched.map_or_else(|| path.clone(), |m| m.as_str().to_owned());
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (portal, kind) = portal_kind(&route);
    let decision = shared.faults.decide(method.as_str(), portal, kind);
    let mut fault = (!decision.plan.latency.is_zero()).then_some("latency");
    let response = match decision.immediate {
        Some(Immediate::Drop) => {
            fault = Some("dropped");
            let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
            response.extensions_mut().insert(DropConnection);
            response
        }
        Some(Immediate::RateLimited { retry_after }) => {
            fault = Some("rateLimited");
            let mut err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimited",
                format!("too many requests; retry after {retry_after} seconds"),
            );
            err.retry_after = Some(retry_after);
            err.into_response()
        }
        Some(Immediate::ServerError { status }) => {
            fault = Some("serverError");
            server_error(status).into_response()
        }
        Some(Immediate::ClientError { status }) => {
            fault = Some("clientError");
            client_error(status).into_response()
        }
        None => {
            if method == Method::GET && !decision.plan.latency.is_zero() {
                tokio::time::sleep(decision.plan.latency).await;
            }
            req.extensions_mut().insert(decision.plan);
            let response = next.run(req).await;
            if let Some(FaultMark(name)) = response.extensions().get::<FaultMark>() {
                fault = Some(name);
            }
            response
        }
    };
    let dropped = response.extensions().get::<DropConnection>().is_some();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    shared.log.push(LoggedRequest {
        seq: 0,
        method: method.to_string(),
        path,
        route,
        status: (!dropped).then_some(response.status().as_u16()),
        idempotency_key: key,
        replayed: response.extensions().get::<Replayed>().is_some(),
        fault: fault.map(str::to_owned),
        caller,
        received_ms,
        answered_ms: shared.elapsed_ms(),
        retry_after,
    });
    response
}

/// Refuses a request body that is not JSON (`415 UnsupportedMediaType`): every body of the
/// contract and of the control endpoints is a JSON object, and reading `text/plain` as JSON
/// would accept what a real portal refuses. A request without a body needs no type.
pub(crate) async fn json_bodies(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if has_body && !is_json(headers.get(header::CONTENT_TYPE)) {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "the request body must be JSON: send it with Content-Type: application/json",
        )
        .into_response();
    }
    next.run(req).await
}

/// True for `application/json` (any parameters, any case) and `application/*+json`.
fn is_json(value: Option<&axum::http::HeaderValue>) -> bool {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// The bearer token of a request, if it sends one.
fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// A permanent refusal (injected): the request is not retried with the same body.
pub(crate) fn client_error(status: u16) -> ApiError {
    let (status, code, message) = match status {
        400 => (
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "the portal refused the request (injected fault); fix it before sending it again",
        ),
        403 => (
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the credential may not do this (injected fault); grant the permission first",
        ),
        422 => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidField",
            "the portal refused a field (injected fault); fix the spec",
        ),
        other => (
            StatusCode::from_u16(other)
                .ok()
                .filter(StatusCode::is_client_error)
                .unwrap_or(StatusCode::BAD_REQUEST),
            "Refused",
            "the portal refused the request (injected fault)",
        ),
    };
    ApiError::new(status, code, message)
}

fn server_error(status: u16) -> ApiError {
    let (status, code) = match status {
        502 => (StatusCode::BAD_GATEWAY, "BadGateway"),
        503 => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        504 => (StatusCode::GATEWAY_TIMEOUT, "GatewayTimeout"),
        other => (
            StatusCode::from_u16(other)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "InternalError",
        ),
    };
    ApiError::new(
        status,
        code,
        "the portal failed (injected fault); retry with the same Idempotency-Key",
    )
}

/// Requires `Authorization: Bearer <token>` (one of the configured tokens, if any): on the
/// contract and on the `/sandbox` control endpoints, which show e-mailed passwords and can
/// change the portals' state.
pub(crate) async fn authenticate(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer(req.headers()) else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "send the portal credential as Authorization: Bearer <token>",
        )
        .into_response();
    };
    match shared.issued.verdict(&token) {
        Verdict::Valid => {
            req.extensions_mut().insert(Credential::from_token(&token));
            return next.run(req).await;
        }
        Verdict::Expired => {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "TokenExpired",
                "the access token has expired; get a new one from the token endpoint",
            )
            .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(
                    "Bearer error=\"invalid_token\", error_description=\"The access token expired\"",
                ),
            );
            return response;
        }
        Verdict::Foreign => {}
    }
    if let Some(tokens) = &shared.tokens
        && !tokens.iter().any(|t| t.expose() == token)
    {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the bearer token is not accepted; check the PortalConnection's credentials",
        )
        .into_response();
    }
    req.extensions_mut().insert(Credential::from_token(&token));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        for (value, json) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("json", false),
        ] {
            let header = axum::http::HeaderValue::from_static(value);
            assert_eq!(is_json(Some(&header)), json, "{value}");
        }
        assert!(!is_json(None));
    }

    #[test]
    fn portal_and_kind_of_routes() {
        assert_eq!(
            portal_kind("/v1/daas/customers/{id}"),
            ("daas", "customers")
        );
        assert_eq!(portal_kind("/v1/apps/dids"), ("apps", "dids"));
        assert_eq!(portal_kind("/v1/operations/{id}"), ("operations", ""));
    }
}
