//! `POST /api/v1/events`: full telemetry from a device. Each event is scored by the detection
//! engines and forwarded to the outputs (kind `event`, and `alert` for events whose score
//! reaches the tenant's threshold); events are not stored in the database.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{AgentJson, AuthDevice};
use axum::Json;
use axum::extract::State;
use outpost_core::api::{EventBatch, EventsAccepted};

/// Most events in one batch.
pub const MAX_EVENTS_PER_BATCH: usize = 5_000;

pub async fn upload(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    AgentJson(batch): AgentJson<EventBatch>,
) -> Result<Json<EventsAccepted>, ApiError> {
    if batch.batch_id.is_empty() || batch.batch_id.len() > 128 {
        return Err(ApiError::invalid("batch_id must be 1-128 characters"));
    }
    if batch.events.len() > MAX_EVENTS_PER_BATCH {
        return Err(ApiError::invalid(format!(
            "a batch holds at most {MAX_EVENTS_PER_BATCH} events"
        )));
    }
    let threshold = state.ingest.threshold(&dev.tenant_id);
    let ingest = state.ingest.clone();
    let n = batch.events.len() as u64;
    let batch_id = batch.batch_id.clone();
    let (queued, alerts) = tokio::task::spawn_blocking(move || {
        ingest.publish_events(
            &dev.tenant_id,
            &dev.device_id,
            &dev.hostname,
            &batch.batch_id,
            &batch.events,
            threshold,
        )
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "event scoring task failed");
        ApiError::internal()
    })?;
    let m = crate::metrics::metrics();
    m.events_received.inc_by(n);
    m.alerts.inc_by(alerts);
    m.output_records_queued.inc_by(queued);
    tracing::debug!(batch_id = %batch_id, events = n, alerts, "telemetry batch scored");
    Ok(Json(EventsAccepted {
        batch_id,
        accepted: n,
        alerts,
    }))
}
