//! Outpost's own normalized events as JSON (one [`Event`] per record, the shape of
//! `POST /api/v1/events` batches' `events` and of the `event` records the outputs forward).
//! The node is the label `k8s.node`, else `host.name`.

use super::{MapError, Mapped};
use chrono::{DateTime, Utc};
use outpost_core::Event;

/// Maps one record (the time is the event's own).
pub fn map(record: &[u8], _received: DateTime<Utc>) -> Result<Mapped, MapError> {
    let v: serde_json::Value =
        serde_json::from_slice(record).map_err(|e| MapError::Json(e.to_string()))?;
    if !v.is_object() {
        return Err(MapError::NotObject);
    }
    let event: Event = serde_json::from_value(v).map_err(|e| MapError::Json(e.to_string()))?;
    let node = event
        .labels
        .get("k8s.node")
        .or_else(|| event.labels.get("host.name"))
        .cloned();
    Ok(Mapped { event, node })
}
