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
use super::request_log::LoggedRequest;
use super::state::Shared;

/// Marks a response whose connection is closed instead of answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// Marks an idempotent replay.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replayed;

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
        None => {
            if method == Method::GET && !decision.plan.latency.is_zero() {
                tokio::time::sleep(decision.plan.latency).await;
            }
            req.extensions_mut().insert(decision.plan);
            let response = next.run(req).await;
            if response.extensions().get::<DropConnection>().is_some() {
                fault = Some("commitThenDrop");
            }
            response
        }
    };
    let dropped = response.extensions().get::<DropConnection>().is_some();
    shared.log.push(LoggedRequest {
        seq: 0,
        method: method.to_string(),
        path,
        route,
        status: (!dropped).then_some(response.status().as_u16()),
        idempotency_key: key,
        replayed: response.extensions().get::<Replayed>().is_some(),
        fault: fault.map(str::to_owned),
    });
    response
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

/// Requires `Authorization: Bearer <token>` (one of the configured tokens, if any).
pub(crate) async fn authenticate(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(token) = token else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "send the portal credential as Authorization: Bearer <token>",
        )
        .into_response();
    };
    if let Some(tokens) = &shared.tokens
        && !tokens.iter().any(|t| t == &token)
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
    fn portal_and_kind_of_routes() {
        assert_eq!(
            portal_kind("/v1/daas/customers/{id}"),
            ("daas", "customers")
        );
        assert_eq!(portal_kind("/v1/apps/dids"), ("apps", "dids"));
        assert_eq!(portal_kind("/v1/operations/{id}"), ("operations", ""));
    }
}
