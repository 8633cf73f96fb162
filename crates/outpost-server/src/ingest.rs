//! The ingest stage: what happens to an uploaded batch besides storing it.
//!
//! 1. **Scoring** (before the batch is stored): every hit is scored by the detection
//!    [`Pipeline`] of `outpost-detect` — the static engine (risky processes, watched paths,
//!    black/white lists) and the YAML/Sigma rules of `[detect] rules_dir` (hot-reloaded) — on
//!    each of its sample events, or on an event built from the hit's own fields when it has
//!    none. The hit itself is an intel match made by the agent and counts as one `intel`
//!    indicator. The hit's indicators are the distinct ones over all its events; its
//!    `risk_score` is their sum; it is an **alert** when that reaches the tenant's threshold
//!    or a rule asked for an alert. The score is stored with the hit, in the same
//!    transaction.
//! 2. **Forwarding** (after the batch is stored, before the agent gets its 2xx): each stored
//!    hit — and, for alerts, an `alert` record — is appended to the disk queue of every
//!    matching `[[outputs]]` entry ([`OutputManager`]); the outputs' workers deliver it
//!    at least once. Suppressed hits are not forwarded. When an agent retries a batch the
//!    server already stored (its earlier 2xx was lost, or the server died between storing
//!    and answering), the stored hits are forwarded again: at-least-once holds across a crash
//!    at any point, and targets with record ids (Elasticsearch, JetStream) deduplicate.

use crate::config::{DetectConfig, ServerConfig};
use chrono::Utc;
use outpost_core::api::{HitRecord, HitScore, HitState};
use outpost_core::event::{NetworkInfo, ProcessInfo};
use outpost_core::{Event, EventKind, Hit, Indicator};
use outpost_detect::{Pipeline, RuleHandle, RuleWatcher, SigmaOptions};
use outpost_outputs::{OutputManager, OutputRecord, RecordKind};
use prometheus_client::registry::Registry;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// Errors starting the ingest stage (bad rules or output configuration).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("[detect.static]: {0}")]
    Static(String),
    #[error("[detect] rules_dir {dir}: {message}")]
    Rules { dir: String, message: String },
    #[error("[[outputs]]: {0}")]
    Outputs(#[from] outpost_outputs::OutputError),
}

/// Scoring and forwarding of uploaded hits (see the module docs).
pub struct Ingest {
    pipeline: Option<Pipeline>,
    hit_score: i32,
    alert_threshold: i64,
    /// Tenant id → threshold.
    tenant_thresholds: BTreeMap<String, i64>,
    rules: Option<Arc<RuleHandle>>,
    outputs: Option<OutputManager>,
    _watcher: Option<RuleWatcher>,
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest")
            .field("pipeline", &self.pipeline)
            .field("alert_threshold", &self.alert_threshold)
            .field("outputs", &self.outputs.as_ref().map(|o| o.status().len()))
            .finish()
    }
}

impl Ingest {
    /// Scoring off, no outputs: hits are stored as uploaded.
    pub fn disabled() -> Ingest {
        Ingest {
            pipeline: None,
            hit_score: 0,
            alert_threshold: i64::MAX,
            tenant_thresholds: BTreeMap::new(),
            rules: None,
            outputs: None,
            _watcher: None,
        }
    }

    /// Compiles the engines of `[detect]` and starts the `[[outputs]]` (their metrics go to
    /// `registry`; their queues live under `{data_dir}/outputs/`). Must run inside a Tokio
    /// runtime.
    pub fn start(config: &ServerConfig, registry: &mut Registry) -> Result<Ingest, IngestError> {
        let mut ingest = Ingest::disabled();
        let d: &DetectConfig = &config.detect;
        if d.enabled {
            let static_engine =
                outpost_detect::static_engine::StaticEngine::new(&d.static_engine, None)
                    .map_err(|e| IngestError::Static(e.to_string()))?;
            let mut pipeline = Pipeline::new().with_static(static_engine);
            if let Some(dir) = &d.rules_dir {
                let handle = RuleHandle::load(dir, SigmaOptions::default()).map_err(|e| {
                    IngestError::Rules {
                        dir: dir.display().to_string(),
                        message: e.to_string(),
                    }
                })?;
                let set = handle.current();
                for u in set.unsupported() {
                    tracing::warn!(rule = ?u, "rule not loaded");
                }
                tracing::info!(dir = %dir.display(), rules = set.len(), unsupported = set.unsupported().len(), "detection rules loaded");
                let watcher =
                    RuleWatcher::spawn(handle.clone(), Duration::from_secs(d.reload_secs.max(1)))
                        .map_err(|e| IngestError::Rules {
                        dir: dir.display().to_string(),
                        message: format!("cannot start the reload watcher: {e}"),
                    })?;
                pipeline = pipeline.with_rules(handle.clone());
                ingest.rules = Some(handle);
                ingest._watcher = Some(watcher);
            }
            ingest.pipeline = Some(pipeline);
            ingest.hit_score = d.hit_score;
            ingest.alert_threshold = d.alert_threshold;
            ingest.tenant_thresholds = d.tenant_thresholds.clone();
        }
        if !config.outputs.is_empty() {
            ingest.outputs = Some(OutputManager::start(
                config.outputs.clone(),
                &config.data_dir,
                registry,
            )?);
        }
        Ok(ingest)
    }

    /// The hot-reloaded rule set, when `[detect] rules_dir` is set.
    pub fn rules(&self) -> Option<&Arc<RuleHandle>> {
        self.rules.as_ref()
    }

    /// The outputs, when any are configured.
    pub fn outputs(&self) -> Option<&OutputManager> {
        self.outputs.as_ref()
    }

    /// The alert threshold of a tenant (`[detect.tenant_thresholds]`, whose names
    /// `build_state` resolved to ids; else the global one).
    pub fn threshold(&self, tenant_id: &str) -> i64 {
        self.tenant_thresholds
            .get(tenant_id)
            .copied()
            .unwrap_or(self.alert_threshold)
    }

    /// Scores every hit of a batch (empty when scoring is off: hits are stored unscored).
    pub fn score_batch(&self, hits: &[Hit], threshold: i64) -> Vec<HitScore> {
        if self.pipeline.is_none() {
            return Vec::new();
        }
        hits.iter().map(|h| self.score_hit(h, threshold)).collect()
    }

    /// Scores one hit (see the module docs).
    pub fn score_hit(&self, h: &Hit, threshold: i64) -> HitScore {
        let Some(pipeline) = &self.pipeline else {
            return HitScore::default();
        };
        let mut seen = HashSet::new();
        let mut out = HitScore::default();
        let mut add = |out: &mut HitScore, i: Indicator| {
            if seen.insert((
                i.engine.clone(),
                i.rule_name.clone(),
                i.indicator_type.clone(),
            )) {
                out.risk_score += i64::from(i.score);
                out.indicators.push(i);
            }
        };
        add(&mut out, intel_indicator(h, self.hit_score));
        let mut wants_alert = false;
        let built;
        let events: &[Event] = if h.sample_events.is_empty() {
            built = [event_of_hit(h)];
            &built
        } else {
            &h.sample_events
        };
        for e in events {
            let s = pipeline.score(e);
            wants_alert |= s.wants_alert();
            for i in s.indicators {
                add(&mut out, i);
            }
        }
        out.alert = wants_alert || out.risk_score >= threshold;
        out
    }

    /// Scores a batch of full telemetry and queues every event (`event-{device}-{batch}-{n}`)
    /// on the outputs, plus an `alert` record for each event whose score reaches `threshold`
    /// or that a rule flags. Returns (events queued at least once, alerts). Events are not
    /// stored in the database: they are forwarded (to a SIEM); their alerts are forwarded too.
    pub fn publish_events(
        &self,
        tenant_id: &str,
        device_id: &str,
        hostname: &str,
        batch_id: &str,
        events: &[Event],
        threshold: i64,
    ) -> (u64, u64) {
        let (mut queued, mut alerts) = (0u64, 0u64);
        for (n, e) in events.iter().enumerate() {
            let (indicators, risk_score, wants_alert) = match &self.pipeline {
                Some(p) => {
                    let s = p.score(e);
                    let wants = s.wants_alert();
                    (s.indicators, s.risk_score, wants)
                }
                None => (Vec::new(), 0, false),
            };
            let body = match serde_json::to_value(e) {
                Ok(v) => v,
                Err(err) => {
                    tracing::error!(error = %err, "cannot convert an event for the outputs");
                    continue;
                }
            };
            let mut rec = OutputRecord::new(
                format!("event-{device_id}-{batch_id}-{n}"),
                RecordKind::Event,
                tenant_id,
                e.ts,
                body,
            );
            rec.device_id = Some(device_id.to_string());
            rec.hostname = Some(hostname.to_string());
            rec.indicators = indicators;
            rec.risk_score = risk_score;
            let is_alert = self.pipeline.is_some() && (wants_alert || risk_score >= threshold);
            if let Some(o) = &self.outputs {
                if o.publish(&rec) > 0 {
                    queued += 1;
                }
                if is_alert {
                    let mut alert = rec.clone();
                    alert.id = format!("alert-{}", rec.id);
                    alert.kind = RecordKind::Alert;
                    alert.body = serde_json::json!({
                        "id": alert.id,
                        "event_id": rec.id,
                        "created_at": Utc::now(),
                        "risk_score": rec.risk_score,
                        "indicators": rec.indicators,
                        "hit": {
                            "device_id": device_id,
                            "hostname": hostname,
                            "process_name": e.process.as_ref().and_then(|p| p.name.clone()),
                            "exe_path": e.process.as_ref().and_then(|p| p.exe.clone()),
                            "remote_ip": e.remote_ip().map(|i| i.to_string()),
                        },
                        "event": rec.body,
                    });
                    o.publish(&alert);
                }
            }
            if is_alert {
                alerts += 1;
            }
        }
        (queued, alerts)
    }

    /// Queues stored hits (and an alert record for each alert) on the outputs; returns the
    /// number of records queued. Suppressed hits are skipped.
    pub fn publish(&self, hits: &[HitRecord]) -> usize {
        let Some(outputs) = &self.outputs else {
            return 0;
        };
        let mut queued = 0;
        for h in hits
            .iter()
            .filter(|h| h.triage.state != HitState::Suppressed)
        {
            let rec = match OutputRecord::from_hit(h) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(hit = h.id, error = %e, "cannot convert a hit for the outputs");
                    continue;
                }
            };
            queued += outputs.publish(&rec);
            if h.score.alert {
                queued +=
                    outputs.publish(&alert_of_hit(&rec, h, format!("alert-hit-{}", h.id), None));
            }
        }
        queued
    }

    /// Names of the ticketing outputs (Syncro, Slack, Teams) whose filter takes alerts.
    pub fn ticketing_outputs(&self) -> Vec<String> {
        let Some(o) = &self.outputs else {
            return Vec::new();
        };
        o.outputs()
            .into_iter()
            .filter(|(_, t)| is_ticketing(t))
            .map(|(n, _)| n)
            .collect()
    }

    /// An analyst escalates a hit: an `alert` record goes to the
    /// ticketing outputs only, which open a ticket or comment on the open one for the same
    /// (tenant, device, remote IP, process, SHA-256). Returns how many outputs queued it.
    /// The record id is `alert-ticket-hit-{id}-{µs}`.
    pub fn ticket(&self, h: &HitRecord, by: &str) -> usize {
        let Some(outputs) = &self.outputs else {
            return 0;
        };
        let rec = match OutputRecord::from_hit(h) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(hit = h.id, error = %e, "cannot convert a hit for the outputs");
                return 0;
            }
        };
        // Unique per request: the ticketers treat a record id they have seen as a redelivery.
        let id = format!(
            "alert-ticket-hit-{}-{}",
            h.id,
            Utc::now().timestamp_micros()
        );
        let alert = alert_of_hit(&rec, h, id, Some(by));
        outputs.publish_where(&alert, is_ticketing)
    }

    /// Forwards an audit entry of the server (who changed what) to the outputs whose filter
    /// takes `audit` records. The entry is also logged.
    pub fn audit(
        &self,
        who: &outpost_core::auth::Principal,
        action: &str,
        tenant_id: Option<&str>,
        target: &str,
        detail: Option<String>,
    ) {
        tracing::info!(actor = %who.subject, action, tenant_id, target, "audit");
        let body = serde_json::json!({
            "at": Utc::now(),
            "actor": who.subject,
            "actor_role": who.role,
            "actor_tenant_id": who.tenant_id,
            "action": action,
            "tenant_id": tenant_id,
            "target": target,
            "outcome": "ok",
            "detail": detail,
        });
        self.publish_audit(tenant_id, body);
    }

    /// Queues an audit document (`kind = audit`, id `audit-{random}`) on the outputs.
    pub fn publish_audit(&self, tenant_id: Option<&str>, body: serde_json::Value) -> usize {
        let Some(outputs) = &self.outputs else {
            return 0;
        };
        let id = format!("audit-{}", &crate::random_token()[..32]);
        let rec = OutputRecord::new(
            id,
            RecordKind::Audit,
            tenant_id.unwrap_or(""),
            Utc::now(),
            body,
        );
        outputs.publish(&rec)
    }

    /// Lets the output workers finish what they hold (undelivered records stay queued).
    pub async fn shutdown(&self) {
        if let Some(o) = &self.outputs {
            o.shutdown().await;
        }
    }
}

/// Forwards the job subsystem's audit entries (job created, claimed, completed, read…) to
/// the outputs as `audit` records.
#[derive(Debug)]
pub struct JobAuditForwarder(pub Arc<Ingest>);

impl outpost_jobs::AuditSink for JobAuditForwarder {
    fn record(&self, e: &outpost_jobs::AuditEntry) {
        match serde_json::to_value(e) {
            Ok(mut v) => {
                if let Some(o) = v.as_object_mut() {
                    o.insert("source".into(), "jobs".into());
                }
                self.0.publish_audit(e.tenant_id.as_deref(), v);
            }
            Err(err) => tracing::error!(error = %err, "cannot forward a job audit entry"),
        }
    }
}

/// The `alert` record of a hit: its record (`rec`) wrapped with the hit id, the score and,
/// for an analyst's escalation, who asked.
fn alert_of_hit(
    rec: &OutputRecord,
    h: &HitRecord,
    id: String,
    created_by: Option<&str>,
) -> OutputRecord {
    let mut alert = rec.clone();
    alert.kind = RecordKind::Alert;
    alert.body = serde_json::json!({
        "id": id,
        "hit_id": h.id,
        "created_at": Utc::now(),
        "created_by": created_by,
        "risk_score": h.score.risk_score,
        "indicators": h.score.indicators,
        "hit": rec.body,
    });
    alert.id = id;
    alert
}

fn is_ticketing(type_name: &str) -> bool {
    matches!(type_name, "syncro" | "slack" | "teams")
}

/// The indicator of the agent's own intel match.
fn intel_indicator(h: &Hit, default_score: i32) -> Indicator {
    let (indicator, source, score) = match &h.intel {
        Some(m) => (
            m.indicator.clone(),
            m.source.clone().unwrap_or_else(|| "hotlist".into()),
            m.score
                .map(|s| {
                    i32::try_from(s.saturating_mul(10))
                        .unwrap_or(i32::MAX)
                        .min(100)
                })
                .unwrap_or(default_score),
        ),
        None => (h.remote_ip.to_string(), "hotlist".into(), default_score),
    };
    Indicator {
        engine: "intel".into(),
        rule_name: source.clone(),
        indicator_type: "ioc".into(),
        description: format!("connection to {} listed in {source}", h.remote_ip),
        extra_info: indicator,
        score,
    }
}

/// A network event built from a hit's own fields, for hits uploaded without sample events.
fn event_of_hit(h: &Hit) -> Event {
    let mut e = Event::new(h.first_seen_utc, EventKind::Network, "ingest");
    e.process = Some(ProcessInfo {
        pid: h.pid.unwrap_or(0),
        name: Some(h.process_name.clone()),
        exe: h.exe_path.clone(),
        ..Default::default()
    });
    e.network = Some(NetworkInfo {
        direction: h.direction.unwrap_or_default(),
        protocol: h.protocol,
        local_ip: None,
        local_port: None,
        remote_ip: Some(h.remote_ip),
        remote_port: h.remote_port,
        action: Default::default(),
        remote_hostname: None,
        community_id: None,
    });
    e
}
