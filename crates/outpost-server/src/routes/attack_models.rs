//! Attack models: `POST /api/v1/attack-models` (a STIX bundle, staff; `?tenant=` makes it a
//! tenant's model, else global), `GET /api/v1/attack-models` (those the caller may see) and
//! `GET /api/v1/attack-models/{id}` (the model with, per step, its order, indicators and
//! sightings by device; `?tenant=` and `?device=` narrow the sightings). The rules are
//! [`crate::services::attack_models`]'.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthStaff, AuthUser};
use crate::routes::whole_page;
use crate::services::attack_models as svc;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use outpost_core::api::Page;
use outpost_core::sighting::{AttackModelStored, AttackModelSummary, AttackModelView};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelQuery {
    /// Tenant id or name.
    pub tenant: Option<String>,
    /// Device id (sightings of one device).
    pub device: Option<String>,
}

pub async fn upload(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiQuery(q): ApiQuery<ModelQuery>,
    ApiJson(bundle): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<AttackModelStored>), ApiError> {
    if q.device.is_some() {
        return Err(ApiError::invalid("device is not a parameter of an upload"));
    }
    let stored = svc::upload(&state, &who, q.tenant, bundle).await?;
    let status = if stored.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(stored)))
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<ModelQuery>,
) -> Result<Json<Page<AttackModelSummary>>, ApiError> {
    let items = svc::list(&state, &who, q.tenant).await?;
    Ok(Json(whole_page(items)))
}

pub async fn get_one(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<ModelQuery>,
) -> Result<Json<AttackModelView>, ApiError> {
    Ok(Json(svc::view(&state, &who, id, q.tenant, q.device).await?))
}
