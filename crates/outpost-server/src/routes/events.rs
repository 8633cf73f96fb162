//! `POST /api/v1/events`: full telemetry from a device. Each event is scored by the detection
//! engines (with the tenant's behaviour profiles and the STIX patterns) and forwarded to the
//! outputs (kind `event`); events whose score reaches the tenant's threshold are stored as
//! alerts (and forwarded as `alert`), STIX matches as sightings. Events themselves are not
//! stored in the database.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{AgentJson, AuthDevice};
use crate::metrics::{self, metrics};
use axum::Json;
use axum::extract::State;
use outpost_core::Event;
use outpost_core::api::{EventBatch, EventsAccepted, HitState};
use outpost_store::{DeviceAuth, NewAlert, NewSighting};

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
    let n = batch.events.len() as u64;
    let seqs: Vec<i64> = (0..batch.events.len() as i64).collect();
    let open = score_store_forward(&state, &dev, &batch.batch_id, batch.events, seqs).await?;
    Ok(Json(EventsAccepted {
        batch_id: batch.batch_id,
        accepted: n,
        alerts: open,
    }))
}

/// Scores `events` (each with its `seq`, unique within the batch and stable when the batch
/// is delivered again), stores their alerts and sightings once per (device, batch, seq), and
/// queues them and their alerts for the outputs. Returns the number of open alerts of the
/// batch. Shared by `POST /api/v1/events` and the server's `[[inputs]]` (see
/// [`crate::inputs`]); when it returns `Ok`, everything is stored and queued (the outputs'
/// disk queues deliver it at least once), so a caller may acknowledge its source.
pub async fn score_store_forward(
    state: &AppState,
    dev: &DeviceAuth,
    batch_id: &str,
    events: Vec<Event>,
    seqs: Vec<i64>,
) -> Result<u64, ApiError> {
    debug_assert_eq!(events.len(), seqs.len());
    let threshold = state.ingest.threshold(&dev.tenant_id);
    let iocs = crate::intel::tenant_iocs(state, &dev.tenant_id).await;
    let learning = state.ingest.learning(&dev.tenant_id);
    let ingest = state.ingest.clone();
    let n = events.len() as u64;
    let batch_id = batch_id.to_string();
    let tenant = dev.tenant_id.clone();
    let device = dev.device_id.clone();
    let hostname = dev.hostname.clone();
    let dev_auth = dev.clone();
    // Scoring is CPU work on untrusted events: off the async workers.
    let mut events = events;
    let seqs_for_scoring = seqs;
    let batch_id_for_scoring = batch_id.clone();
    let (alerts, sightings, actions, queued) = tokio::task::spawn_blocking(move || {
        // What is kept (alerts) and forwarded is bounded per event (see outpost_core::bound).
        let cut: u64 = events.iter_mut().map(outpost_core::bound_event).sum();
        if cut > 0 {
            metrics()
                .fields_truncated
                .get_or_create(&metrics::BodyLabel { body: "events" })
                .inc_by(cut);
        }
        let iocs = iocs
            .as_ref()
            .map(|i| i as &dyn outpost_detect::static_engine::IocLookup);
        // A batch delivered again (an agent's retry, an input's redelivery) counts nothing
        // again toward the Sigma correlations.
        let upload = crate::ingest::upload(&dev_auth, &batch_id_for_scoring);
        let scored = ingest
            .scorer()
            .score_events(&tenant, &events, threshold, iocs, Some(upload));
        let queued = ingest.publish_events(
            &tenant,
            &device,
            &hostname,
            &batch_id_for_scoring,
            &events,
            &seqs_for_scoring,
            &scored,
        );
        let mut alerts = Vec::new();
        let mut actions = std::collections::HashMap::new();
        let mut sightings: Vec<NewSighting> = Vec::new();
        for ((e, s), seq) in events.into_iter().zip(scored).zip(seqs_for_scoring) {
            let ts = e.ts;
            sightings.extend(s.sightings.into_iter().map(|found| NewSighting {
                seq,
                event_ts: ts,
                found,
            }));
            if s.alert {
                if !s.actions.is_empty() {
                    actions.insert(seq, s.actions);
                }
                alerts.push(NewAlert {
                    seq,
                    risk_score: s.risk_score,
                    threshold,
                    indicators: s.indicators,
                    event: e,
                    learned: learning,
                });
            }
        }
        (alerts, sightings, actions, queued)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "event scoring task failed");
        ApiError::internal()
    })?;
    // Stored before the 2xx: the agent retries until it gets one, and a retried batch stores
    // nothing twice but forwards its open alerts again.
    let stored = state
        .store
        .insert_alerts(dev, &batch_id, &alerts, &sightings)
        .await
        .inspect_err(|e| crate::ingest::sightings_refused(sightings.len(), e))?;
    let m = metrics();
    let learned = if learning { stored.fresh } else { 0 };
    metrics::count(&m.event_alerts, "learned", learned);
    metrics::count(&m.event_alerts, "suppressed", stored.suppressed - learned);
    metrics::count(&m.event_alerts, "new", stored.fresh - stored.suppressed);
    m.sightings.inc_by(stored.sightings);
    let ticketed: std::collections::HashSet<i64> = actions
        .iter()
        .filter(|(_, acts)| {
            acts.iter()
                .any(|a| matches!(a.action, outpost_detect::Action::Ticket { .. }))
        })
        .map(|(seq, _)| *seq)
        .collect();
    let mut alert_records = state.ingest.publish_event_alerts(&stored.alerts, &ticketed);
    // Rule actions: tickets on every delivery (deduplicated downstream), jobs only for the
    // alerts this upload raised (never twice on a retry).
    for a in &stored.alerts {
        if let Some(acts) = actions.get(&a.seq) {
            let fresh = stored.fresh_seqs.contains(&a.seq);
            let (tickets, _jobs) = state
                .ingest
                .run_actions(state.jobs.as_ref(), a, acts, fresh)
                .await;
            alert_records += tickets;
        }
    }
    let open = stored
        .alerts
        .iter()
        .filter(|a| a.triage.state != HitState::Suppressed)
        .count() as u64;
    m.events_received.inc_by(n);
    m.alerts.inc_by(stored.fresh - stored.suppressed);
    m.output_records_queued
        .inc_by(queued + alert_records as u64);
    tracing::debug!(batch_id = %batch_id, events = n, alerts = stored.alerts.len(), fresh = stored.fresh, sightings = stored.sightings, "telemetry batch scored");
    Ok(open)
}
