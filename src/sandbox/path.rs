//! Path parameters whose rejection is the contract's error shape: axum's own `Path` answers
//! a segment that is not UTF-8 (`%FF`) with a plain-text 400, which no client can parse.

use axum::extract::FromRequestParts;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;

use super::error::ApiError;

/// `axum::extract::Path` answering a bad segment with `400 InvalidPath`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct PathParams<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        let status = rejection.status();
        if status.is_server_error() {
            // A route whose parameters do not fit its handler: a bug of the sandbox.
            return Self::internal(rejection.body_text());
        }
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidPath",
            format!(
                "{}; path parameters are UTF-8 (percent-encoded)",
                rejection.body_text()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::response::IntoResponse;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn echo(PathParams(id): PathParams<String>) -> String {
        id
    }

    #[tokio::test]
    async fn a_segment_that_is_not_utf8_is_a_json_400() {
        let app = Router::new().route("/x/{id}", get(echo));
        for (uri, status) in [
            ("/x/abc", StatusCode::OK),
            ("/x/%FF", StatusCode::BAD_REQUEST),
        ] {
            let req = Request::get(uri).body(Body::empty()).unwrap();
            let res = app.clone().oneshot(req).await.unwrap().into_response();
            assert_eq!(res.status(), status, "{uri}");
            if status == StatusCode::BAD_REQUEST {
                let ct = res.headers().get("content-type").unwrap();
                assert_eq!(ct, "application/json");
                let bytes = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(v["error"]["code"], "InvalidPath");
            }
        }
    }
}
