//! `GET /api/v1/devices`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, AuthUser};
use axum::Json;
use axum::extract::State;
use outpost_core::api::{Device, Page};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceQuery {
    pub tenant: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<DeviceQuery>,
) -> Result<Json<Page<Device>>, ApiError> {
    let tenant = crate::routes::hits::scope_tenant(&who, q.tenant)?;
    let items = state.store.list_devices(tenant.as_deref()).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
