//! The ingest stage: what happens to an uploaded batch besides storing it.
//!
//! 1. **Scoring** (before the batch is stored) is `outpost-detect`'s [`Scorer`]: the detection
//!    [`Pipeline`] — the static engine (risky processes, watched paths, black/white lists), the
//!    YAML/Sigma rules of `[detect] rules_dir` (hot-reloaded), the STIX indicator patterns
//!    (`[detect] stix_dir` and the `[intel]` STIX feeds) and, for telemetry, the tenant's
//!    learned behaviour profiles ([`crate::profiles`]) — with the agent's intel match, the
//!    tenant's threshold and learn mode. This module builds it from `[detect]` and keeps its
//!    STIX patterns in step with the global intel.
//! 2. **Forwarding** (after the batch is stored, before the agent gets its 2xx): each stored
//!    hit — and, for alerts, an `alert` record — is appended to the disk queue of every
//!    matching `[[outputs]]` entry ([`OutputManager`]); the outputs' workers deliver it
//!    at least once. Suppressed hits are not forwarded. When an agent retries a batch the
//!    server already stored (its earlier 2xx was lost, or the server died between storing
//!    and answering), the stored hits are forwarded again: at-least-once holds across a crash
//!    at any point, and targets with record ids (Elasticsearch, JetStream) deduplicate.
//! 3. **Telemetry** (`POST /api/v1/events`): each event is scored (see 1); every match of a
//!    pattern is a STIX sighting, stored. An event whose score reaches the tenant's threshold
//!    (or that a rule flags) is stored as an **alert** with the lifecycle of hits (suppression
//!    rules apply; in learn mode it is stored as learned and becomes a whitelist proposal),
//!    then forwarded. Events themselves are forwarded, not stored.

use crate::config::{DetectConfig, ServerConfig};
use crate::profiles::Profiles;
use chrono::{DateTime, Utc};
use outpost_core::Event;
use outpost_core::api::{AlertRecord, HitRecord, HitState};
use outpost_detect::scorer::Scorer;
use outpost_detect::stix::StixPatterns;
use outpost_detect::{AlertPolicy, Pipeline, RuleHandle, RuleWatcher, SigmaOptions};
use outpost_outputs::{OutputManager, OutputRecord, RecordKind};
use outpost_store::DeviceAuth;
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

pub use outpost_detect::scorer::{CORRELATION_TIMER_GRACE, ScoredEvent};

/// Errors starting the ingest stage (bad rules or output configuration).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("[detect.static]: {0}")]
    Static(String),
    #[error("[detect] rules_dir {dir}: {message}")]
    Rules { dir: String, message: String },
    #[error("[[outputs]]: {0}")]
    Outputs(#[from] outpost_outputs::OutputError),
    #[error("[detect] stix_dir {dir}: {message}")]
    Stix { dir: String, message: String },
}

/// An upload being scored: its device and batch id (how a retry is recognized).
pub type Upload<'a> = outpost_detect::scorer::Upload<'a, DeviceAuth>;

/// The upload of `device`'s batch `batch` (qualified by the route, `hits:` for hit batches).
pub fn upload<'a>(device: &'a DeviceAuth, batch: &'a str) -> Upload<'a> {
    Upload {
        device_id: &device.device_id,
        device,
        batch,
    }
}

/// A correlation decided by the timer, to store as an alert of `device` (its last match's).
#[derive(Debug)]
pub struct TimerAlert {
    pub device: DeviceAuth,
    /// A batch id of its own (the alert's identity: a second decision stores nothing twice).
    pub batch_id: String,
    pub alert: outpost_store::NewAlert,
}

/// Scoring and forwarding of uploaded hits (see the module docs).
pub struct Ingest {
    scorer: Scorer<DeviceAuth>,
    outputs: Option<OutputManager>,
    _watcher: Option<RuleWatcher>,
    /// Learned behaviour per tenant (telemetry only), with their database synchronization.
    profiles: Option<Arc<Profiles>>,
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest")
            .field("scorer", &self.scorer)
            .field("outputs", &self.outputs.as_ref().map(|o| o.status().len()))
            .finish()
    }
}

impl Ingest {
    /// Scoring off, no outputs: hits are stored as uploaded.
    pub fn disabled() -> Ingest {
        Ingest {
            scorer: Scorer::disabled(),
            outputs: None,
            _watcher: None,
            profiles: None,
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
                let (handle, watcher) = start_rules(dir, d.reload_secs)?;
                pipeline = pipeline.with_rules(handle);
                ingest._watcher = Some(watcher);
            }
            let stix = Arc::new(StixPatterns::new(d.stix_dir.clone(), d.stix_score));
            pipeline = pipeline.with_stix(stix.clone());
            if d.profiles.enabled {
                let profiles = Arc::new(Profiles::new(d.profiles.engine_config()));
                pipeline = pipeline.with_tenant_profiles(profiles.tenants().clone());
                ingest.profiles = Some(profiles);
            }
            let policy = AlertPolicy::new(d.alert_threshold, d.tenant_thresholds.clone());
            ingest.scorer = Scorer::new(pipeline, d.hit_score, policy);
            if let Some(dir) = &d.stix_dir {
                // A broken bundle stops the start, naming the file (as a broken rule does).
                ingest
                    .reload_stix(None)
                    .map_err(|message| IngestError::Stix {
                        dir: dir.display().to_string(),
                        message,
                    })?;
            }
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

    /// The scoring of hits and events (see [`Scorer`]).
    pub fn scorer(&self) -> &Scorer<DeviceAuth> {
        &self.scorer
    }

    /// Whether events are scored (`[detect] enabled`).
    pub fn scoring(&self) -> bool {
        self.scorer.pipeline().is_some()
    }

    /// The hot-reloaded rule set, when `[detect] rules_dir` is set.
    pub fn rules(&self) -> Option<&Arc<RuleHandle>> {
        self.scorer.pipeline().and_then(Pipeline::rules)
    }

    /// The outputs, when any are configured.
    pub fn outputs(&self) -> Option<&OutputManager> {
        self.outputs.as_ref()
    }

    /// The behaviour profiles, when enabled.
    pub fn profiles(&self) -> Option<&Arc<Profiles>> {
        self.profiles.as_ref()
    }

    /// The alert threshold of a tenant (`[detect.tenant_thresholds]`, whose names
    /// `build_state` resolved to ids; else the global one).
    pub fn threshold(&self, tenant_id: &str) -> i64 {
        self.scorer.policy().threshold(tenant_id)
    }

    /// Whether a tenant is in learn mode now.
    pub fn learning(&self, tenant_id: &str) -> bool {
        self.scorer.policy().learning(tenant_id)
    }

    /// The Sigma correlations the timer decided at `now` (see
    /// [`Scorer::expire_correlations`]), as alerts to store.
    pub fn expire_correlations(&self, now: DateTime<Utc>) -> Vec<TimerAlert> {
        self.scorer
            .expire_correlations(now)
            .into_iter()
            .map(|t| TimerAlert {
                device: t.device,
                batch_id: t.batch_id,
                alert: outpost_store::NewAlert {
                    seq: 0,
                    risk_score: t.risk_score,
                    threshold: t.threshold,
                    indicators: t.indicators,
                    event: t.event,
                    learned: t.learned,
                },
            })
            .collect()
    }

    /// Rebuilds the STIX patterns when the bundles of `[detect] stix_dir` or the pattern
    /// indicators of the global intel changed. On a broken bundle the patterns in use stay
    /// and the error (naming the file) is returned.
    pub fn reload_stix(&self, global: Option<&crate::intel::GlobalIntel>) -> Result<bool, String> {
        let Some(stix) = self.scorer.stix() else {
            return Ok(false);
        };
        let digest = global.map(|g| g.digest.as_str()).unwrap_or_default();
        stix.reload(digest, || match global {
            Some(g) => g
                .set
                .pattern_indicators()
                .iter()
                .map(pattern_indicator_json)
                .collect(),
            None => Vec::new(),
        })
    }

    /// Queues every event of a telemetry batch (`event-{device}-{batch}-{n}`) on the outputs
    /// with its indicators and score; returns how many were queued at least once.
    #[allow(clippy::too_many_arguments)]
    pub fn publish_events(
        &self,
        tenant_id: &str,
        device_id: &str,
        hostname: &str,
        batch_id: &str,
        events: &[Event],
        seqs: &[i64],
        scored: &[ScoredEvent],
    ) -> u64 {
        let Some(o) = &self.outputs else {
            return 0;
        };
        let mut queued = 0u64;
        for (n, e) in events.iter().enumerate() {
            let mut body = match serde_json::to_value(e) {
                Ok(v) => v,
                Err(err) => {
                    tracing::error!(error = %err, "cannot convert an event for the outputs");
                    continue;
                }
            };
            // A rule's `tag` action tags the forwarded event.
            if let Some(s) = scored.get(n) {
                let tags = tags_of(&s.actions);
                if !tags.is_empty()
                    && let Some(o) = body.as_object_mut()
                {
                    o.insert("tags".into(), tags.into());
                }
            }
            // The record id is stable across redeliveries (an input's record keeps its seq).
            let seq = seqs.get(n).copied().unwrap_or(n as i64);
            let mut rec = OutputRecord::new(
                format!("event-{device_id}-{batch_id}-{seq}"),
                RecordKind::Event,
                tenant_id,
                e.ts,
                body,
            );
            rec.device_id = Some(device_id.to_string());
            rec.hostname = Some(hostname.to_string());
            if let Some(s) = scored.get(n) {
                rec.indicators = s.indicators.clone();
                rec.risk_score = s.risk_score;
            }
            if o.publish(&rec) > 0 {
                queued += 1;
            }
        }
        queued
    }

    /// Queues the `alert` record of each stored event alert that is open (suppressed and
    /// learned alerts are not forwarded). The record id `alert-event-{alert id}` is stable, so
    /// a retried batch re-forwards the same records. Alerts whose `seq` is in `ticketed` (a
    /// rule's `ticket` action will send them, titled) skip the ticketing outputs here.
    pub fn publish_event_alerts(&self, alerts: &[AlertRecord], ticketed: &HashSet<i64>) -> usize {
        let Some(o) = &self.outputs else {
            return 0;
        };
        let mut queued = 0;
        for a in alerts
            .iter()
            .filter(|a| a.triage.state != HitState::Suppressed)
        {
            let body = match serde_json::to_value(a) {
                Ok(v) => v,
                Err(err) => {
                    tracing::error!(alert = a.id, error = %err, "cannot convert an alert for the outputs");
                    continue;
                }
            };
            let mut rec = OutputRecord::new(
                format!("alert-event-{}", a.id),
                RecordKind::Alert,
                &a.tenant_id,
                a.event_ts,
                serde_json::json!({
                    "id": format!("alert-event-{}", a.id),
                    "alert_id": a.id,
                    "event_id": format!("event-{}-{}-{}", a.device_id, a.batch_id, a.seq),
                    "created_at": a.created_at,
                    "risk_score": a.risk_score,
                    "indicators": a.indicators,
                    "summary": a.summary,
                    "hit": {
                        "device_id": a.device_id,
                        "hostname": a.hostname,
                        "process_name": a.process_name,
                        "remote_ip": a.remote_ip,
                        "sha256": a.sha256,
                    },
                    "alert": body,
                }),
            );
            rec.device_id = Some(a.device_id.clone());
            rec.hostname = Some(a.hostname.clone());
            rec.indicators = a.indicators.clone();
            rec.risk_score = a.risk_score;
            queued += if ticketed.contains(&a.seq) {
                o.publish_where(&rec, |t| !is_ticketing(t))
            } else {
                o.publish(&rec)
            };
        }
        queued
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

    /// Runs the `ticket` and `job` actions of the rules that raised an open alert: a ticket
    /// goes to the ticketing outputs, titled with the rule's summary (record
    /// `alert-ticket-event-{id}`: a retried batch sends it again and the ticketers treat it as
    /// a redelivery), a job is queued for the alert's device as `rule:<rule>` — only when
    /// `fresh` (the alert is new with this upload), so a retry never queues it twice. Returns
    /// (tickets queued, jobs created); refusals are logged and counted, never fatal.
    pub async fn run_actions(
        &self,
        jobs: Option<&outpost_jobs::JobsState>,
        alert: &AlertRecord,
        actions: &[outpost_detect::RuleAction],
        fresh: bool,
    ) -> (usize, usize) {
        use outpost_detect::Action;
        let (mut tickets, mut created) = (0, 0);
        if alert.triage.state == HitState::Suppressed {
            return (0, 0);
        }
        for a in actions {
            match &a.action {
                Action::Ticket { summary, priority } => {
                    let Some(o) = &self.outputs else {
                        tracing::warn!(rule = %a.rule_name, "ticket action without a ticketing output");
                        continue;
                    };
                    let mut rec = OutputRecord::new(
                        format!("alert-ticket-event-{}", alert.id),
                        RecordKind::Alert,
                        &alert.tenant_id,
                        alert.event_ts,
                        serde_json::json!({
                            "id": format!("alert-ticket-event-{}", alert.id),
                            "alert_id": alert.id,
                            "created_at": alert.created_at,
                            "created_by": format!("rule:{}", a.rule_name),
                            "ticket_summary": summary,
                            "priority": priority,
                            "risk_score": alert.risk_score,
                            "indicators": alert.indicators,
                            "hit": {
                                "device_id": alert.device_id,
                                "hostname": alert.hostname,
                                "process_name": alert.process_name,
                                "remote_ip": alert.remote_ip,
                                "sha256": alert.sha256,
                            },
                        }),
                    );
                    rec.device_id = Some(alert.device_id.clone());
                    rec.hostname = Some(alert.hostname.clone());
                    rec.risk_score = alert.risk_score;
                    rec.indicators = alert.indicators.clone();
                    tickets += o.publish_where(&rec, is_ticketing);
                }
                Action::Job { .. } if !fresh => {}
                Action::Job { kind, args } => {
                    let Some(j) = jobs else {
                        tracing::warn!(rule = %a.rule_name, kind, "job action but the job subsystem is off");
                        continue;
                    };
                    let params = args
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                        .collect();
                    match j
                        .create_for_rule(
                            &format!("rule:{}", a.rule_name),
                            &alert.tenant_id,
                            &alert.device_id,
                            kind,
                            params,
                        )
                        .await
                    {
                        Ok(id) => {
                            created += 1;
                            tracing::info!(rule = %a.rule_name, kind, job = id, alert = alert.id, "rule action queued a job");
                        }
                        Err(e) => {
                            crate::metrics::api_error("rule_action_refused");
                            tracing::warn!(rule = %a.rule_name, kind, error = %e, "rule action's job refused");
                        }
                    }
                }
                Action::Alert | Action::Score(_) | Action::Tag(_) => {}
            }
        }
        (tickets, created)
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

/// The distinct tags that rules' `tag` actions asked for, in order.
pub fn tags_of(actions: &[outpost_detect::RuleAction]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in actions {
        if let outpost_detect::Action::Tag(t) = &a.action
            && !out.contains(t)
        {
            out.push(t.clone());
        }
    }
    out
}

/// Counts the `n` sightings of a batch the database refused: the batch's error goes back to
/// the agent or input, which delivers it again, so nothing is dropped silently.
pub fn sightings_refused(n: usize, e: &outpost_store::StoreError) {
    if n > 0 {
        crate::metrics::metrics().sightings_failed.inc_by(n as u64);
        tracing::warn!(sightings = n, error = %e, "STIX sightings not stored; the batch is refused");
    }
}

/// The hot-reloaded rules of `[detect] rules_dir` and their watcher.
fn start_rules(
    dir: &std::path::Path,
    reload_secs: u64,
) -> Result<(Arc<RuleHandle>, RuleWatcher), IngestError> {
    let handle =
        RuleHandle::load(dir, SigmaOptions::default()).map_err(|e| IngestError::Rules {
            dir: dir.display().to_string(),
            message: e.to_string(),
        })?;
    let set = handle.current();
    for u in set.unsupported() {
        tracing::warn!(rule = ?u, "rule not loaded");
    }
    tracing::info!(dir = %dir.display(), rules = set.len(), unsupported = set.unsupported().len(), "detection rules loaded");
    let watcher = RuleWatcher::spawn(handle.clone(), Duration::from_secs(reload_secs.max(1)))
        .map_err(|e| IngestError::Rules {
            dir: dir.display().to_string(),
            message: format!("cannot start the reload watcher: {e}"),
        })?;
    Ok((handle, watcher))
}

/// A STIX `indicator` object for a pattern indicator of the global intel.
fn pattern_indicator_json(p: &outpost_intel::PatternIndicator) -> serde_json::Value {
    let ts = p
        .valid_from
        .unwrap_or_else(|| DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default());
    let mut v = serde_json::json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": p.id,
        "created": ts,
        "modified": ts,
        "pattern": p.pattern,
        "pattern_type": "stix",
        "valid_from": ts,
        "labels": p.labels,
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(n) = &p.name {
            o.insert("name".into(), n.clone().into());
        }
        if let Some(u) = p.valid_until {
            o.insert("valid_until".into(), serde_json::json!(u));
        }
        if let Some(c) = p.confidence {
            o.insert("confidence".into(), c.into());
        }
    }
    v
}
