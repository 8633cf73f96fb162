//! The API's one error type and its JSON shape `{"error":{"code":"…","message":"…"}}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use outpost_core::api::ErrorBody;
use outpost_store::StoreError;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
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
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error; see the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::metrics::api_error(self.code);
        (self.status, Json(ErrorBody::new(self.code, self.message))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::not_found(format!("{m} not found")),
            StoreError::Conflict(m) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{m} already exists"),
            ),
            StoreError::Invalid(m) => ApiError::bad_request(m),
            other => {
                tracing::error!(error = %other, "storage error");
                ApiError::internal()
            }
        }
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

impl ApiError {
    /// The response for this error (for middleware that returns responses directly).
    pub fn into_response_value(self) -> Response {
        self.into_response()
    }
}
