//! Suppression rules: `GET/POST /api/v1/suppressions`, `DELETE /api/v1/suppressions/{id}`.
//! Staff create and delete them; customers may read their tenant's.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthStaff, AuthUser};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use outpost_core::api::{NewSuppression, Page, Suppression};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressionQuery {
    pub tenant: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<SuppressionQuery>,
) -> Result<Json<Page<Suppression>>, ApiError> {
    let tenant = crate::services::scope_tenant(&who, q.tenant)?;
    let items = state.store.list_suppressions(tenant.as_deref()).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

pub async fn create(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(req): ApiJson<NewSuppression>,
) -> Result<(StatusCode, Json<Suppression>), ApiError> {
    let s = state.triage().create_suppression(&who, req, None).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

pub async fn delete(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.triage().delete_suppression(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
