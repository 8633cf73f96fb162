//! The scoring stage: what happens to an uploaded batch besides storing it.
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
//!    matching `[[outputs]]` entry ([`crate::services::forward`]); the outputs' workers deliver it
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
use outpost_detect::scorer::Scorer;
use outpost_detect::stix::StixPatterns;
use outpost_detect::{AlertPolicy, Pipeline, RuleHandle, RuleWatcher, SigmaOptions};
use outpost_store::DeviceAuth;
use std::sync::Arc;
use std::time::Duration;

pub use outpost_detect::scorer::{CORRELATION_TIMER_GRACE, ScoredEvent};

/// Errors starting the scoring stage (bad rules or output configuration).
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error("[detect.static]: {0}")]
    Static(String),
    #[error("[detect] rules_dir {dir}: {message}")]
    Rules { dir: String, message: String },
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
pub struct Scoring {
    scorer: Scorer<DeviceAuth>,
    _watcher: Option<RuleWatcher>,
    /// Learned behaviour per tenant (telemetry only), with their database synchronization.
    profiles: Option<Arc<Profiles>>,
    /// The STIX engine's generation whose file bundles were last stored as attack models.
    file_models_synced: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Scoring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest")
            .field("scorer", &self.scorer)
            .finish()
    }
}

impl Scoring {
    /// Scoring off, no outputs: hits are stored as uploaded.
    pub fn disabled() -> Scoring {
        Scoring {
            scorer: Scorer::disabled(),
            _watcher: None,
            profiles: None,
            file_models_synced: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Compiles the engines of `[detect]` (the outputs are the
    /// [`crate::services::forward::Forwarder`]'s). Must run inside a Tokio runtime.
    pub fn start(config: &ServerConfig) -> Result<Scoring, ScoringError> {
        let mut scoring = Scoring::disabled();
        let d: &DetectConfig = &config.detect;
        if d.enabled {
            let static_engine =
                outpost_detect::static_engine::StaticEngine::new(&d.static_engine, None)
                    .map_err(|e| ScoringError::Static(e.to_string()))?;
            let mut pipeline = Pipeline::new().with_static(static_engine);
            if let Some(dir) = &d.rules_dir {
                let (handle, watcher) = start_rules(dir, d.reload_secs)?;
                pipeline = pipeline.with_rules(handle);
                scoring._watcher = Some(watcher);
            }
            let stix = Arc::new(StixPatterns::new(d.stix_dir.clone(), d.stix_score));
            pipeline = pipeline.with_stix(stix.clone());
            if d.profiles.enabled {
                let profiles = Arc::new(Profiles::new(d.profiles.engine_config()));
                pipeline = pipeline.with_tenant_profiles(profiles.tenants().clone());
                scoring.profiles = Some(profiles);
            }
            let policy = AlertPolicy::new(d.alert_threshold, d.tenant_thresholds.clone());
            scoring.scorer = Scorer::new(pipeline, d.hit_score, policy);
            if let Some(dir) = &d.stix_dir {
                // A broken bundle stops the start, naming the file (as a broken rule does).
                scoring
                    .reload_stix(None)
                    .map_err(|message| ScoringError::Stix {
                        dir: dir.display().to_string(),
                        message,
                    })?;
            }
        }
        Ok(scoring)
    }

    /// The scoring of hits and events (see [`Scorer`]).
    pub fn scorer(&self) -> &Scorer<DeviceAuth> {
        &self.scorer
    }

    /// Whether events are scored (`[detect] enabled`).
    pub fn enabled(&self) -> bool {
        self.scorer.pipeline().is_some()
    }

    /// The hot-reloaded rule set, when `[detect] rules_dir` is set.
    pub fn rules(&self) -> Option<&Arc<RuleHandle>> {
        self.scorer.pipeline().and_then(Pipeline::rules)
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
        self.reload_stix_with(global, "", Vec::new())
    }

    /// Whether [`Scoring::reload_stix_with`] with these versions would keep the engine in use
    /// (no STIX engine: nothing to reload), so that the caller reads the stored models only
    /// when it would not.
    pub fn stix_is_current(
        &self,
        global: Option<&crate::intel::GlobalIntel>,
        models_digest: &str,
    ) -> Result<bool, String> {
        match self.scorer.stix() {
            Some(stix) => stix.is_current(&stix_digest(global, models_digest)),
            None => Ok(true),
        }
    }

    /// [`Scoring::reload_stix`] with the attack models of the store (`models_digest` names
    /// their version: ids and update times).
    pub fn reload_stix_with(
        &self,
        global: Option<&crate::intel::GlobalIntel>,
        models_digest: &str,
        models: Vec<outpost_detect::stix::ModelBundle>,
    ) -> Result<bool, String> {
        let Some(stix) = self.scorer.stix() else {
            return Ok(false);
        };
        let digest = stix_digest(global, models_digest);
        // A global model's indicators (a `stix` feed's model) are compiled with the model,
        // which links them to its steps: not a second time from the global intel.
        let in_models: std::collections::HashSet<String> = models
            .iter()
            .filter(|m| m.tenant.is_none())
            .flat_map(|m| m.bundle["objects"].as_array().into_iter().flatten())
            .filter(|o| o["type"] == "indicator")
            .filter_map(|o| o["id"].as_str().map(str::to_string))
            .collect();
        stix.reload_with(
            &digest,
            || match global {
                Some(g) => g
                    .set
                    .pattern_indicators()
                    .iter()
                    .filter(|p| !in_models.contains(&p.id))
                    .map(pattern_indicator_json)
                    .collect(),
                None => Vec::new(),
            },
            move || models,
        )
    }

    /// The bundles of `[detect] stix_dir` (path, JSON) when they were reloaded since the last
    /// call, so that the server stores their attack models; `None` when nothing changed.
    pub fn file_bundles_to_store(&self) -> Option<Vec<(std::path::PathBuf, serde_json::Value)>> {
        let stix = self.scorer.stix()?;
        let generation = stix.generation();
        let before = self
            .file_models_synced
            .swap(generation, std::sync::atomic::Ordering::SeqCst);
        (generation != 0 && before != generation).then(|| stix.file_bundles())
    }
}

/// The version of the STIX engine's indicators besides its files: the global intel's and the
/// stored attack models'.
fn stix_digest(global: Option<&crate::intel::GlobalIntel>, models_digest: &str) -> String {
    format!(
        "{}|{models_digest}",
        global.map(|g| g.digest.as_str()).unwrap_or_default()
    )
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
) -> Result<(Arc<RuleHandle>, RuleWatcher), ScoringError> {
    let handle =
        RuleHandle::load(dir, SigmaOptions::default()).map_err(|e| ScoringError::Rules {
            dir: dir.display().to_string(),
            message: e.to_string(),
        })?;
    let set = handle.current();
    for u in set.unsupported() {
        tracing::warn!(rule = ?u, "rule not loaded");
    }
    tracing::info!(dir = %dir.display(), rules = set.len(), unsupported = set.unsupported().len(), "detection rules loaded");
    let watcher = RuleWatcher::spawn(handle.clone(), Duration::from_secs(reload_secs.max(1)))
        .map_err(|e| ScoringError::Rules {
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
