//! Suppression rules: `GET/POST /api/v1/suppressions`, `DELETE /api/v1/suppressions/{id}`.
//! Staff create and delete them; customers may read their tenant's.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthStaff, AuthUser};
use crate::routes::{TenantQuery, whole_page};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use outpost_core::api::{NewSuppression, Page, Suppression};

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> Result<Json<Page<Suppression>>, ApiError> {
    let tenant = crate::services::scope_tenant(&who, q.tenant)?;
    let items = state.store.list_suppressions(tenant.as_deref()).await?;
    Ok(Json(whole_page(items)))
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
