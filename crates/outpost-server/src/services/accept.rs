//! Accepting what devices send: a hit batch (`POST /api/v1/hits`) and a telemetry batch
//! (`POST /api/v1/events` and the server's `[[inputs]]`, see [`crate::inputs`]).
//!
//! Both run the same stages once the device is authenticated: **bound** what is kept
//! (`outpost_core::bound`), **score** with the scoring stage ([`crate::scoring`], CPU work on
//! untrusted data, so on the blocking pool), **store** once per (device, batch) — a batch
//! delivered again stores nothing twice — then **forward** to the outputs
//! ([`crate::services::forward`]) before the caller answers, so a retried batch is forwarded
//! again and nothing stored is missed, and for telemetry run the **rule actions** (tickets on
//! every delivery, jobs only for alerts this delivery raised). Metrics are counted here.

use super::ServiceError;
use crate::AppState;
use crate::metrics::{self, BodyLabel, ResultLabel, metrics};
use outpost_core::api::{HitScore, HitsAccepted, TriageState};
use outpost_core::{Event, HitPayload};
use outpost_store::{DeviceAuth, NewAlert, NewSighting};
use std::collections::{HashMap, HashSet};

/// Most hits in one batch (beyond the body size limit).
pub const MAX_HITS_PER_BATCH: usize = 10_000;
/// Most sample events of one hit.
pub const MAX_SAMPLES_PER_HIT: usize = 50;
/// Most events in one telemetry batch.
pub const MAX_EVENTS_PER_BATCH: usize = 5_000;

/// Checks a hit batch's shape (ids, counts, times, hashes).
fn validate_hits(p: &HitPayload) -> Result<(), ServiceError> {
    let invalid = |m: String| Err(ServiceError::Invalid(m));
    validate_batch_id(&p.batch_id)?;
    if p.hits.len() > MAX_HITS_PER_BATCH {
        return invalid(format!("a batch holds at most {MAX_HITS_PER_BATCH} hits"));
    }
    for (i, h) in p.hits.iter().enumerate() {
        if h.first_seen_utc > h.last_seen_utc {
            return invalid(format!("hits[{i}]: first_seen_utc is after last_seen_utc"));
        }
        if h.hit_count == 0 {
            return invalid(format!("hits[{i}]: hit_count must be at least 1"));
        }
        if h.sample_events.len() > MAX_SAMPLES_PER_HIT {
            return invalid(format!(
                "hits[{i}]: at most {MAX_SAMPLES_PER_HIT} sample_events"
            ));
        }
        if let Some(s) = &h.sha256
            && (s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return invalid(format!("hits[{i}]: sha256 must be 64 hex characters"));
        }
    }
    Ok(())
}

fn validate_batch_id(batch_id: &str) -> Result<(), ServiceError> {
    if batch_id.is_empty() || batch_id.len() > 128 {
        return Err(ServiceError::Invalid(
            "batch_id must be 1-128 characters".into(),
        ));
    }
    Ok(())
}

/// Checks a telemetry batch's shape (the batch id, the number of events).
pub fn validate_events(batch_id: &str, events: usize) -> Result<(), ServiceError> {
    validate_batch_id(batch_id)?;
    if events > MAX_EVENTS_PER_BATCH {
        return Err(ServiceError::Invalid(format!(
            "a batch holds at most {MAX_EVENTS_PER_BATCH} events"
        )));
    }
    Ok(())
}

/// Bounds what the server keeps of each hit rather than refusing the batch (one process's
/// data must not cost another process's hit): `outpost_core::bound_hit`, the same rule the
/// agent applies. Answers the number of fields cut.
pub fn bound_payload(p: &mut HitPayload) -> u64 {
    p.hits.iter_mut().map(outpost_core::bound_hit).sum()
}

fn count_truncated(body: &'static str, cut: u64) {
    if cut > 0 {
        metrics()
            .fields_truncated
            .get_or_create(&BodyLabel { body })
            .inc_by(cut);
    }
}

fn count_batch(result: &'static str) {
    metrics()
        .batches
        .get_or_create(&ResultLabel { result })
        .inc();
}

fn scoring_failed(e: tokio::task::JoinError) -> ServiceError {
    tracing::error!(error = %e, "scoring task failed");
    ServiceError::Internal("scoring task failed".into())
}

/// Accepts hit and telemetry batches of authenticated devices (see the module docs). Uses the
/// state's store, scoring stage, tenant intel, forwarder, job subsystem and device reports.
pub struct Acceptance<'a> {
    state: &'a AppState,
}

impl AppState {
    /// The acceptance service over this state.
    pub fn acceptance(&self) -> Acceptance<'_> {
        Acceptance { state: self }
    }
}

/// A scored hit batch, ready to store.
struct ScoredHits {
    payload: HitPayload,
    scores: Vec<HitScore>,
    sightings: Vec<NewSighting>,
}

impl Acceptance<'_> {
    /// Accepts a hit batch of `dev`: the payload must name the device's tenant and id (the
    /// stored hostname is always the enrolled one), then it is bounded, scored, stored once
    /// per batch id with its STIX sightings, and forwarded (again, for a retried batch).
    pub async fn hits(
        &self,
        dev: &DeviceAuth,
        mut payload: HitPayload,
    ) -> Result<HitsAccepted, ServiceError> {
        let m = metrics();
        // The stored hostname is the device's, as enrolled: the payload's is only the agent's
        // word, and /joblookup and analysts find hosts by it.
        if payload.hostname != dev.hostname {
            tracing::info!(device_id = %dev.device_id, enrolled = %dev.hostname, reported = %payload.hostname,
                "hit batch names another hostname than the device's; storing the enrolled one");
            m.hostname_mismatches.inc();
            payload.hostname.clone_from(&dev.hostname);
        }
        if payload.device_id != dev.device_id || payload.tenant_id != dev.tenant_id {
            count_batch("rejected");
            return Err(ServiceError::Forbidden(
                "the payload's tenant_id/device_id do not match the device token".into(),
            ));
        }
        if let Err(e) = validate_hits(&payload) {
            count_batch("rejected");
            return Err(e);
        }
        let ScoredHits {
            payload,
            scores,
            sightings,
        } = self.score_hits(dev, payload).await?;
        let outcome = self.state.store.insert_hits(dev, &payload, &scores).await?;
        if !sightings.is_empty() {
            // STIX matches on the sample events; keyed by their place in the batch, so a
            // retried batch stores none twice.
            let stored = self
                .state
                .store
                .insert_alerts(dev, &format!("hits:{}", payload.batch_id), &[], &sightings)
                .await
                .inspect_err(|e| crate::scoring::sightings_refused(sightings.len(), e))?;
            m.sightings.inc_by(stored.sightings);
        }
        // Forward before answering: the agent retries until it gets a 2xx, and a retried
        // batch is forwarded again, so nothing stored is missed by the outputs.
        if outcome.stored > 0 || outcome.duplicate {
            self.forward_hits(dev, &payload.batch_id).await?;
        }
        let alerts = scores.iter().filter(|s| s.alert).count() as u64;
        if alerts > 0 && !outcome.duplicate {
            m.alerts.inc_by(alerts);
        }
        self.state
            .report_device(
                &dev.device_id,
                outpost_store::DeviceReport::of_upload(
                    Some(&payload.agent_version),
                    Some(&payload.hotlist_version),
                ),
            )
            .await?;
        if outcome.duplicate {
            count_batch("duplicate");
            tracing::info!(device_id = %dev.device_id, batch_id = %payload.batch_id, "duplicate batch ignored");
        } else {
            count_batch("stored");
            m.hits_stored.inc_by(outcome.stored);
            m.hits_suppressed.inc_by(outcome.suppressed);
            tracing::info!(device_id = %dev.device_id, batch_id = %payload.batch_id, hits = outcome.stored, "hits stored");
        }
        Ok(HitsAccepted {
            batch_id: payload.batch_id,
            stored: outcome.stored,
            duplicate: outcome.duplicate,
        })
    }

    /// Bounds and scores a hit batch on the blocking pool.
    async fn score_hits(
        &self,
        dev: &DeviceAuth,
        mut payload: HitPayload,
    ) -> Result<ScoredHits, ServiceError> {
        let threshold = self.state.scoring.threshold(&dev.tenant_id);
        let iocs = crate::intel::tenant_iocs(self.state, &dev.tenant_id).await;
        let scoring = self.state.scoring.clone();
        let dev = dev.clone();
        tokio::task::spawn_blocking(move || {
            count_truncated("hits", bound_payload(&mut payload));
            let iocs = iocs
                .as_ref()
                .map(|i| i as &dyn outpost_detect::static_engine::IocLookup);
            let batch = format!("hits:{}", payload.batch_id);
            let upload = crate::scoring::upload(&dev, &batch);
            let (scores, sightings) = scoring.scorer().score_hits(
                &dev.tenant_id,
                &payload.hits,
                threshold,
                iocs,
                Some(upload),
            );
            ScoredHits {
                payload,
                scores,
                sightings,
            }
        })
        .await
        .map_err(scoring_failed)
    }

    /// Queues the stored hits of a batch on the outputs (when any are configured).
    async fn forward_hits(&self, dev: &DeviceAuth, batch_id: &str) -> Result<(), ServiceError> {
        if self.state.forward.outputs().is_none() {
            return Ok(());
        }
        let stored = self
            .state
            .store
            .hits_of_batch(&dev.device_id, batch_id)
            .await?;
        let queued = self.state.forward.publish(&stored);
        metrics().output_records_queued.inc_by(queued as u64);
        tracing::debug!(batch_id = %batch_id, hits = stored.len(), queued, "hits queued for the outputs");
        Ok(())
    }

    /// Scores `events` (each with its `seq`, unique within the batch and stable when the
    /// batch is delivered again), stores their alerts and sightings once per (device, batch,
    /// seq), and queues them and their alerts for the outputs. Returns the number of open
    /// alerts of these events (also those an earlier delivery stored). When it returns `Ok`,
    /// everything is stored and queued (the outputs' disk queues deliver it at least once), so
    /// a caller may acknowledge its source.
    pub async fn events(
        &self,
        dev: &DeviceAuth,
        batch_id: &str,
        events: Vec<Event>,
        seqs: Vec<i64>,
    ) -> Result<u64, ServiceError> {
        debug_assert_eq!(events.len(), seqs.len());
        let n = events.len() as u64;
        // The alerts answered and forwarded are those of these events: an input delivers a
        // batch id in many parts (see inputs::BUCKET), and each part forwarding the alerts of
        // every part before it sent them downstream again and again.
        let delivered = match (seqs.iter().min(), seqs.iter().max()) {
            (Some(&lo), Some(&hi)) => lo..=hi,
            _ => return Ok(0),
        };
        let learning = self.state.scoring.learning(&dev.tenant_id);
        let scored = self
            .score_events(dev, batch_id, events, seqs, learning)
            .await?;
        // Stored before the 2xx: the agent retries until it gets one, and a retried batch
        // stores nothing twice but forwards its open alerts again.
        let stored = self
            .state
            .store
            .insert_delivered_alerts(dev, batch_id, delivered, &scored.alerts, &scored.sightings)
            .await
            .inspect_err(|e| crate::scoring::sightings_refused(scored.sightings.len(), e))?;
        let m = metrics();
        let learned = if learning { stored.fresh } else { 0 };
        metrics::count(&m.event_alerts, "learned", learned);
        metrics::count(&m.event_alerts, "suppressed", stored.suppressed - learned);
        metrics::count(&m.event_alerts, "new", stored.fresh - stored.suppressed);
        m.sightings.inc_by(stored.sightings);
        let alert_records = self.forward_alerts(&stored, &scored.actions).await;
        let open = stored
            .alerts
            .iter()
            .filter(|a| a.triage.state != TriageState::Suppressed)
            .count() as u64;
        m.events_received.inc_by(n);
        m.alerts.inc_by(stored.fresh - stored.suppressed);
        m.output_records_queued
            .inc_by(scored.queued + alert_records as u64);
        tracing::debug!(batch_id = %batch_id, events = n, alerts = stored.alerts.len(), fresh = stored.fresh, sightings = stored.sightings, "telemetry batch scored");
        Ok(open)
    }

    /// Bounds, scores and forwards the events of a batch on the blocking pool; answers the
    /// alerts and sightings to store and the rule actions of each alert.
    async fn score_events(
        &self,
        dev: &DeviceAuth,
        batch_id: &str,
        mut events: Vec<Event>,
        seqs: Vec<i64>,
        learning: bool,
    ) -> Result<ScoredEvents, ServiceError> {
        let threshold = self.state.scoring.threshold(&dev.tenant_id);
        let iocs = crate::intel::tenant_iocs(self.state, &dev.tenant_id).await;
        let scoring = self.state.scoring.clone();
        let forward = self.state.forward.clone();
        let dev = dev.clone();
        let batch_id = batch_id.to_string();
        tokio::task::spawn_blocking(move || {
            // What is kept (alerts) and forwarded is bounded per event (see
            // outpost_core::bound).
            count_truncated(
                "events",
                events.iter_mut().map(outpost_core::bound_event).sum(),
            );
            let iocs = iocs
                .as_ref()
                .map(|i| i as &dyn outpost_detect::static_engine::IocLookup);
            // A batch delivered again (an agent's retry, an input's redelivery) counts nothing
            // again toward the Sigma correlations.
            let upload = crate::scoring::upload(&dev, &batch_id);
            let scored = scoring.scorer().score_events(
                &dev.tenant_id,
                &events,
                threshold,
                iocs,
                Some(upload),
            );
            let queued = forward.publish_events(
                &dev.tenant_id,
                &dev.device_id,
                &dev.hostname,
                &batch_id,
                &events,
                &seqs,
                &scored,
            );
            let mut out = ScoredEvents {
                queued,
                ..ScoredEvents::default()
            };
            for ((e, s), seq) in events.into_iter().zip(scored).zip(seqs) {
                let ts = e.ts;
                out.sightings
                    .extend(s.sightings.into_iter().map(|found| NewSighting {
                        seq,
                        event_ts: ts,
                        found,
                    }));
                if s.alert {
                    if !s.actions.is_empty() {
                        out.actions.insert(seq, s.actions);
                    }
                    out.alerts.push(NewAlert {
                        seq,
                        risk_score: s.risk_score,
                        threshold,
                        indicators: s.indicators,
                        event: e,
                        learned: learning,
                    });
                }
            }
            out
        })
        .await
        .map_err(scoring_failed)
    }

    /// Queues the open alerts of a stored telemetry batch and runs their rules' actions:
    /// tickets on every delivery (deduplicated downstream), jobs only for the alerts this
    /// delivery raised (never twice on a retry). Answers the records queued.
    async fn forward_alerts(
        &self,
        stored: &outpost_store::AlertsStored,
        actions: &HashMap<i64, Vec<outpost_detect::RuleAction>>,
    ) -> usize {
        // Alerts a `ticket` action sends (titled) skip the ticketing outputs as plain alerts.
        let ticketed: HashSet<i64> = actions
            .iter()
            .filter(|(_, acts)| {
                acts.iter()
                    .any(|a| matches!(a.action, outpost_detect::Action::Ticket { .. }))
            })
            .map(|(seq, _)| *seq)
            .collect();
        let forward = &self.state.forward;
        let mut queued = forward.publish_event_alerts(&stored.alerts, &ticketed);
        for a in &stored.alerts {
            if let Some(acts) = actions.get(&a.seq) {
                let fresh = stored.fresh_seqs.contains(&a.seq);
                let (tickets, _jobs) = forward
                    .run_actions(self.state.jobs.as_ref(), a, acts, fresh)
                    .await;
                queued += tickets;
            }
        }
        queued
    }
}

/// What scoring a telemetry batch produced.
#[derive(Default)]
struct ScoredEvents {
    alerts: Vec<NewAlert>,
    sightings: Vec<NewSighting>,
    /// Rule actions by the `seq` of the alert that asked for them.
    actions: HashMap<i64, Vec<outpost_detect::RuleAction>>,
    /// Event records queued on the outputs.
    queued: u64,
}
