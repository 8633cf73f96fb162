//! `POST /api/v1/events`: full telemetry from a device. Each event is scored by the detection
//! engines (with the tenant's behaviour profiles and the STIX patterns) and forwarded to the
//! outputs (kind `event`); events whose score reaches the tenant's threshold are stored as
//! alerts (and forwarded as `alert`), STIX matches as sightings. Events themselves are not
//! stored in the database.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{AgentJson, AuthDevice};
use axum::Json;
use axum::extract::State;
use outpost_core::api::{EventBatch, EventsAccepted};

/// Accepts a device's telemetry batch (see [`crate::services::accept`]).
pub async fn upload(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    AgentJson(batch): AgentJson<EventBatch>,
) -> Result<Json<EventsAccepted>, ApiError> {
    crate::services::accept::validate_events(&batch.batch_id, batch.events.len())?;
    let n = batch.events.len() as u64;
    let seqs: Vec<i64> = (0..batch.events.len() as i64).collect();
    let open = state
        .acceptance()
        .events(&dev, &batch.batch_id, batch.events, seqs)
        .await?;
    Ok(Json(EventsAccepted {
        batch_id: batch.batch_id,
        accepted: n,
        alerts: open,
    }))
}
