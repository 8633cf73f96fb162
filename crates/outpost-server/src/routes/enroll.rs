//! `POST /api/v1/enroll`: a device presents its tenant's enrollment key.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::AgentJson;
use axum::Json;
use axum::extract::State;
use outpost_core::api::{EnrollRequest, EnrollResponse};

pub async fn enroll(
    State(state): State<AppState>,
    AgentJson(req): AgentJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let key = state
        .store
        .resolve_key(&req.enrollment_key)
        .await?
        .filter(|k| k.kind == "enrollment")
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked enrollment key"))?;
    let tenant_id = key.tenant_id.ok_or_else(ApiError::internal)?;
    let (dev, token) = state
        .store
        .create_device(
            &tenant_id,
            &req.hostname,
            req.os.as_deref(),
            req.agent_version.as_deref(),
        )
        .await?;
    crate::metrics::metrics().enrollments.inc();
    tracing::info!(tenant_id = %tenant_id, device_id = %dev.id, hostname = %dev.hostname, "device enrolled");
    Ok(Json(EnrollResponse {
        tenant_id,
        device_id: dev.id,
        device_token: token,
        intel_public_key: state.intel.as_ref().map(|i| i.public_key()),
        release_public_key: crate::routes::releases::release_key(&state),
    }))
}
