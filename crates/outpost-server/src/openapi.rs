//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. A test checks
//! that it documents exactly the routes [`crate::api_routes`] mounts (and the job API's).

use axum::http::header;
use axum::response::IntoResponse;

/// The document (JSON).
pub const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
