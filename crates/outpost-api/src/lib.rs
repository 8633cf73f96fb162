//! The API's one error type, [`ApiError`], and its JSON shape
//! `{"error":{"code":"…","message":"…"}}` ([`outpost_core::api::ErrorBody`]), for every route
//! of the server: its own `/api/v1` routes and the job crate's routers (`/api/v1/jobs…`,
//! `/joblookup`, the Sensoroni-compatible API, whose error bodies have this shape too). Every
//! error answered is counted by code in `outpost_api_errors` ([`error_counter`], registered by
//! the server).
//!
//! With the feature `store`, storage errors of `outpost-store` convert with `?`; the job crate
//! converts its own storage errors itself.

use std::sync::OnceLock;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use outpost_core::api::ErrorBody;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `unauthorized`, `bad_request`.
    pub code: &'static str,
    /// Human explanation; never contains secrets.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error; see the server log",
        )
    }

    /// The response for this error (for middleware that returns responses directly).
    pub fn into_response_value(self) -> Response {
        self.into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        count(self.code);
        (self.status, Json(ErrorBody::new(self.code, self.message))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let text = r.body_text();
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                status,
                "payload_too_large",
                "request body is larger than the server accepts",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
                status,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::invalid(text),
            _ => ApiError::bad_request(text),
        }
    }
}

#[cfg(feature = "store")]
impl From<outpost_store::StoreError> for ApiError {
    fn from(e: outpost_store::StoreError) -> Self {
        use outpost_store::StoreError;
        match e {
            StoreError::NotFound(m) => ApiError::not_found(format!("{m} not found")),
            StoreError::Conflict(m) => ApiError::conflict(format!("{m} already exists")),
            StoreError::Invalid(m) => ApiError::bad_request(m),
            other => {
                tracing::error!(error = %other, "storage error");
                ApiError::internal()
            }
        }
    }
}

/// The label of [`error_counter`] (and of other per-code counters).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: String,
}

/// API error responses by error code: the server registers it as `outpost_api_errors`.
pub fn error_counter() -> &'static Family<CodeLabel, Counter> {
    static ERRORS: OnceLock<Family<CodeLabel, Counter>> = OnceLock::new();
    ERRORS.get_or_init(Family::default)
}

/// Counts one error answered (or refused elsewhere, e.g. a rule action's job) with `code`.
pub fn count(code: &str) {
    error_counter()
        .get_or_create(&CodeLabel {
            code: code.to_string(),
        })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn every_error_has_the_one_shape_and_is_counted() {
        let before = error_counter()
            .get_or_create(&CodeLabel {
                code: "not_found".into(),
            })
            .get();
        let resp = ApiError::not_found("job not found").into_response();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "not_found", "message": "job not found"}})
        );
        let after = error_counter()
            .get_or_create(&CodeLabel {
                code: "not_found".into(),
            })
            .get();
        assert_eq!(after, before + 1);
    }
}
