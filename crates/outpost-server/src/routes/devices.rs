//! Devices: `GET /api/v1/devices`, `GET /api/v1/devices/{id}`,
//! `POST /api/v1/devices/{id}/revoke`, `PUT /api/v1/devices/{id}/config`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthStaff, AuthUser};
use crate::routes::{TenantQuery, whole_page};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use outpost_core::api::{Device, DeviceConfig, Page};
use outpost_core::auth::Principal;

/// Largest accepted device configuration, serialized.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;

/// A customer sees their devices without the agent's internals.
fn for_viewer(who: &Principal, mut d: Device) -> Device {
    if !who.is_staff() {
        d.counters = None;
        d.reported_config_version = None;
        d.config_version = None;
        d.intel = None;
    }
    d
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> Result<Json<Page<Device>>, ApiError> {
    let tenant = crate::services::scope_tenant(&who, q.tenant)?;
    state.fresh_devices().await;
    let items = state
        .store
        .list_devices(tenant.as_deref())
        .await?
        .into_iter()
        .map(|d| for_viewer(&who, d))
        .collect();
    Ok(Json(whole_page(items)))
}

/// Loads a device the caller may see; another tenant's device is "not found" (its
/// existence is not revealed).
pub(crate) async fn visible_device(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<Device, ApiError> {
    state.fresh_devices().await;
    let d = state.store.get_device(id).await?;
    if !who.can_access_tenant(&d.tenant_id) {
        return Err(ApiError::not_found(format!("device {id:?} not found")));
    }
    Ok(d)
}

pub async fn get(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Device>, ApiError> {
    let d = visible_device(&state, &who, &id).await?;
    Ok(Json(for_viewer(&who, d)))
}

pub async fn revoke(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    visible_device(&state, &who, &id).await?;
    state.store.revoke_device(&id).await?;
    state.forward.audit(&who, "device.revoke", None, &id, None);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Serialize)]
pub struct ConfigSet {
    pub config_version: String,
}

pub async fn set_config(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeviceConfig>,
) -> Result<Json<ConfigSet>, ApiError> {
    visible_device(&state, &who, &id).await?;
    if !req.config.is_object() {
        return Err(ApiError::invalid("config must be a JSON object"));
    }
    // The agent's safety switches and job caps are its own (the agent refuses them too).
    if let Some(k) = req
        .config
        .get("daemon")
        .and_then(|d| d.as_object())
        .and_then(|d| {
            d.keys()
                .find(|k| outpost_core::api::AGENT_LOCAL_ONLY_DAEMON_KEYS.contains(&k.as_str()))
        })
    {
        return Err(ApiError::invalid(format!(
            "daemon.{k} is set in the agent's agent.toml only ({} cannot be changed by the server)",
            outpost_core::api::AGENT_LOCAL_ONLY_DAEMON_KEYS.join(", ")
        )));
    }
    let n = serde_json::to_vec(&req.config)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if n > MAX_CONFIG_BYTES {
        return Err(ApiError::invalid(format!(
            "config is {n} bytes; at most {MAX_CONFIG_BYTES}"
        )));
    }
    let version = state.store.set_device_config(&id, &req.config).await?;
    state.notify_changes();
    state.forward.audit(
        &who,
        "device.config",
        None,
        &id,
        Some(format!("config version {version}")),
    );
    Ok(Json(ConfigSet {
        config_version: version,
    }))
}
