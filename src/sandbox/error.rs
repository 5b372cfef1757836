//! The one error shape of the contract: `{"error": {"code", "message", "field"?}}`.
//!
//! Messages say what happened and what to do next. They never carry a secret value: the
//! request parser scrubs secrets before a message is built (see `body.rs`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer of the sandbox: HTTP status, stable code, message and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Wire<'a> {
    error: WireError<'a>,
}

#[derive(Serialize)]
struct WireError<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// Names the request field at fault (`spec.adminEmail`).
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// A rule violation on one spec field: 422 `InvalidField`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::unprocessable("InvalidField", message).field(format!("spec.{field}"))
    }

    /// A rule violation on a top-level body field (sandbox endpoints): 422 `InvalidField`.
    pub fn invalid_body(field: &str, message: impl Into<String>) -> Self {
        Self::unprocessable("InvalidField", message).field(field)
    }

    /// A field the portal owns after creation: 422 `ImmutableField`.
    pub fn immutable(field: &str, message: impl Into<String>) -> Self {
        Self::unprocessable("ImmutableField", message).field(format!("spec.{field}"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }

    /// The JSON body of the error.
    pub fn body(&self) -> Vec<u8> {
        let wire = Wire {
            error: WireError {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        };
        serde_json::to_vec(&wire).unwrap_or_default()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        tracing::error!(error = %err, "sandbox store error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "StoreError",
            "the sandbox store failed; see the sandbox log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body(),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_contract_shape() {
        let err = ApiError::invalid("ani", "not E.164");
        let v: serde_json::Value = serde_json::from_slice(&err.body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "InvalidField", "message": "not E.164", "field": "spec.ani"}})
        );
        let v: serde_json::Value =
            serde_json::from_slice(&ApiError::not_found("gone").body()).unwrap();
        assert!(v["error"].get("field").is_none());
    }
}
