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
//!    matching `[[outputs]]` entry ([`crate::services::forward`]); the outputs' workers deliver it
//!    at least once. Suppressed hits are not forwarded. When an agent retries a batch the
//!    server already stored (its earlier 2xx was lost, or the server died between storing
//!    and answering), the stored hits are forwarded again: at-least-once holds across a crash
//!    at any point, and targets with record ids (Elasticsearch, JetStream) deduplicate.
//! 3. **Telemetry** (`POST /api/v1/events`): each event is scored by the same engines plus the
//!    tenant's learned behaviour profiles ([`crate::profiles`]) and the STIX indicator
//!    patterns (`[detect] stix_dir` and the `[intel]` STIX feeds); every match of a pattern is
//!    a STIX sighting, stored. An event whose score reaches the tenant's threshold (or that a
//!    rule flags) is stored as an **alert** with the lifecycle of hits (suppression rules
//!    apply; in learn mode it is stored as learned and becomes a whitelist proposal), then
//!    forwarded. Events themselves are forwarded, not stored.

use crate::config::{DetectConfig, ServerConfig};
use crate::profiles::Profiles;
use chrono::{DateTime, Utc};
use outpost_core::api::HitScore;
use outpost_core::event::{NetworkInfo, ProcessInfo};
use outpost_core::{Event, EventKind, Hit, Indicator};
use outpost_detect::static_engine::IocLookup;
use outpost_detect::stix::{StixConfig, StixEngine, StixSighting};
use outpost_detect::{Pipeline, RuleHandle, RuleWatcher, Scored, SigmaOptions};
use outpost_store::{DeviceAuth, NewSighting};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Errors starting the ingest stage (bad rules or output configuration).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("[detect.static]: {0}")]
    Static(String),
    #[error("[detect] rules_dir {dir}: {message}")]
    Rules { dir: String, message: String },
    #[error("[detect] stix_dir {dir}: {message}")]
    Stix { dir: String, message: String },
}

/// What the engines made of one telemetry event.
#[derive(Debug, Clone, Default)]
pub struct ScoredEvent {
    pub indicators: Vec<Indicator>,
    pub risk_score: i64,
    /// Reached the threshold, or a rule asked for an alert.
    pub alert: bool,
    /// STIX sightings of the event.
    pub sightings: Vec<StixSighting>,
    /// Actions the rules that fired asked for (ticket, job, …).
    pub actions: Vec<outpost_detect::RuleAction>,
}

/// The bundle files (path, modification time, length) and the global intel digest a STIX
/// engine was built from.
type StixSignature = (Vec<(PathBuf, std::time::SystemTime, u64)>, String);

/// The STIX engine and what it was built from (to notice changes).
#[derive(Default)]
struct StixState {
    engine: Option<Arc<StixEngine>>,
    signature: Option<StixSignature>,
    /// Indicators not used, with the reason (for `GET /api/v1/detect/rules`).
    skipped: Vec<outpost_detect::Unsupported>,
}

/// Scoring of uploaded hits and telemetry (see the module docs).
pub struct Ingest {
    pipeline: Option<Pipeline>,
    hit_score: i32,
    alert_threshold: i64,
    /// Tenant id → threshold.
    tenant_thresholds: BTreeMap<String, i64>,
    rules: Option<Arc<RuleHandle>>,
    _watcher: Option<RuleWatcher>,
    /// Learned behaviour per tenant (telemetry only).
    profiles: Option<Arc<Profiles>>,
    stix_dir: Option<PathBuf>,
    stix_score: i32,
    stix: RwLock<StixState>,
    /// Serializes STIX reloads.
    stix_reload: Mutex<()>,
    /// Tenants in learn mode, until when (refreshed from the database).
    learning: RwLock<HashMap<String, DateTime<Utc>>>,
    /// The correlation indicators of recently scored uploads (see [`CorrBatches`]).
    corr_batches: Mutex<CorrBatches>,
    /// Devices by the token their matches carry into correlation windows (for the alerts
    /// of [`Ingest::expire_correlations`]).
    corr_devices: Mutex<HashMap<u64, DeviceAuth>>,
}

/// Indicators by the place (`seq`) of their event in an upload.
type SeqIndicators = Vec<(i64, Vec<Indicator>)>;

/// Uploads remembered by [`CorrBatches`].
const MAX_CORR_BATCHES: usize = 8192;
/// Devices remembered for correlation timer alerts (then the map starts over).
const MAX_CORR_DEVICES: usize = 1_000_000;

/// The Sigma correlation indicators each recently scored upload got, by (device, batch id):
/// a retried upload (the agent did not get the answer) is scored without feeding the
/// correlations again — its matches were counted the first time — and gets the same
/// correlation indicators, so it stores the same alerts. Bounded (oldest forgotten first).
#[derive(Default)]
struct CorrBatches {
    map: HashMap<(String, String), SeqIndicators>,
    order: std::collections::VecDeque<(String, String)>,
}

impl CorrBatches {
    fn get(&self, key: &(String, String)) -> Option<SeqIndicators> {
        self.map.get(key).cloned()
    }

    fn insert(&mut self, key: (String, String), v: SeqIndicators) {
        if self.map.insert(key.clone(), v).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > MAX_CORR_BATCHES {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

/// An upload being scored: its device and batch id (how a retry is recognized).
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub device: &'a DeviceAuth,
    /// The batch id, qualified by the route (`hits:` for hit batches).
    pub batch: &'a str,
}

/// A correlation decided by the timer, to store as an alert of `device` (its last match's).
#[derive(Debug)]
pub struct TimerAlert {
    pub device: DeviceAuth,
    /// A batch id of its own (the alert's identity: a second decision stores nothing twice).
    pub batch_id: String,
    pub alert: outpost_store::NewAlert,
}

/// How long after a window's end (event time) the timer waits before deciding it: matches of
/// the window may still be on their way from agents (they upload every minute or so).
pub const CORRELATION_TIMER_GRACE: Duration = Duration::from_secs(120);

/// The correlation side of scoring one upload (see [`Ingest::score_seq`]).
#[derive(Default)]
struct CorrUpload {
    opts: outpost_detect::EvalOpts,
    /// (device, batch id), when it is an upload.
    key: Option<(String, String)>,
    /// The first scoring's correlation indicators, when this upload is a retry.
    replay: Option<Vec<(i64, Vec<Indicator>)>>,
    /// This scoring's correlation indicators (a first upload).
    found: Vec<(i64, Vec<Indicator>)>,
}

fn is_correlation(i: &Indicator) -> bool {
    i.indicator_type == "sigma_correlation"
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest")
            .field("pipeline", &self.pipeline)
            .field("alert_threshold", &self.alert_threshold)
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
            _watcher: None,
            profiles: None,
            stix_dir: None,
            stix_score: 70,
            stix: RwLock::new(StixState::default()),
            stix_reload: Mutex::new(()),
            learning: RwLock::new(HashMap::new()),
            corr_batches: Mutex::new(CorrBatches::default()),
            corr_devices: Mutex::new(HashMap::new()),
        }
    }

    /// Compiles the engines of `[detect]` (the outputs are the
    /// [`crate::services::forward::Forwarder`]'s). Must run inside a Tokio runtime.
    pub fn start(config: &ServerConfig) -> Result<Ingest, IngestError> {
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
            if d.profiles.enabled {
                ingest.profiles = Some(Arc::new(Profiles::new(d.profiles.engine_config())));
            }
            ingest.stix_dir = d.stix_dir.clone();
            ingest.stix_score = d.stix_score;
            if let Some(dir) = &d.stix_dir {
                // A broken bundle stops the start, naming the file (as a broken rule does).
                ingest
                    .reload_stix(None)
                    .map_err(|message| IngestError::Stix {
                        dir: dir.display().to_string(),
                        message,
                    })?;
            }
            ingest.hit_score = d.hit_score;
            ingest.alert_threshold = d.alert_threshold;
            ingest.tenant_thresholds = d.tenant_thresholds.clone();
        }
        Ok(ingest)
    }

    /// Whether events are scored (`[detect] enabled`).
    pub fn scoring(&self) -> bool {
        self.pipeline.is_some()
    }

    /// The hot-reloaded rule set, when `[detect] rules_dir` is set.
    pub fn rules(&self) -> Option<&Arc<RuleHandle>> {
        self.rules.as_ref()
    }

    /// The alert threshold of a tenant (`[detect.tenant_thresholds]`, whose names
    /// `build_state` resolved to ids; else the global one).
    pub fn threshold(&self, tenant_id: &str) -> i64 {
        self.tenant_thresholds
            .get(tenant_id)
            .copied()
            .unwrap_or(self.alert_threshold)
    }

    /// Scores every hit of a batch (see the module docs; empty when scoring is off: hits are
    /// stored unscored), with the STIX sightings of their sample events (`seq` = hit index ×
    /// 1000 + sample index).
    pub fn score_batch_with_sightings(
        &self,
        tenant_id: &str,
        hits: &[Hit],
        threshold: i64,
        iocs: Option<&dyn IocLookup>,
        upload: Option<Upload<'_>>,
    ) -> (Vec<HitScore>, Vec<NewSighting>) {
        if self.pipeline.is_none() {
            return (Vec::new(), Vec::new());
        }
        let mut corr = self.corr_upload(upload);
        let mut sightings = Vec::new();
        let scores = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let (score, found) =
                    self.score_hit_inner(tenant_id, h, threshold, iocs, i as i64, &mut corr);
                for (n, ts, s) in found {
                    sightings.push(new_sighting(i as i64 * 1000 + n as i64, ts, s));
                }
                score
            })
            .collect();
        self.corr_done(corr);
        (scores, sightings)
    }

    /// The correlation side of scoring an upload: the evaluation options (this device's token;
    /// no feeding for a retried upload) and what to repeat or remember.
    fn corr_upload(&self, upload: Option<Upload<'_>>) -> CorrUpload {
        let Some(u) = upload else {
            return CorrUpload::default();
        };
        let key = (u.device.device_id.clone(), u.batch.to_string());
        let replay = self
            .corr_batches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key);
        let token = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            u.device.device_id.hash(&mut h);
            h.finish()
        };
        let mut devices = self.corr_devices.lock().unwrap_or_else(|p| p.into_inner());
        if devices.len() >= MAX_CORR_DEVICES && !devices.contains_key(&token) {
            devices.clear();
        }
        devices.insert(token, u.device.clone());
        CorrUpload {
            opts: outpost_detect::EvalOpts {
                feed_correlations: replay.is_none(),
                token,
            },
            key: Some(key),
            replay,
            found: Vec::new(),
        }
    }

    /// Remembers a first upload's correlation indicators (also when there are none: the upload
    /// was counted).
    fn corr_done(&self, c: CorrUpload) {
        if let (Some(key), None) = (c.key, c.replay) {
            self.corr_batches
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, c.found);
        }
    }

    /// The static engine (with the tenant's indicators, when given), rules and STIX patterns
    /// on one event of a tenant (no profiles; Sigma correlation state is per tenant).
    fn score_common(
        &self,
        tenant_id: &str,
        e: &Event,
        iocs: Option<&dyn IocLookup>,
        opts: &outpost_detect::EvalOpts,
    ) -> Scored {
        let Some(pipeline) = &self.pipeline else {
            return Scored::default();
        };
        let mut s = pipeline.score_opts(tenant_id, e, iocs, opts);
        if !s.whitelisted
            && let Some(stix) = self.stix_engine()
        {
            outpost_detect::pipeline::Engine::eval_into(stix.as_ref(), e, &mut s);
        }
        s
    }

    /// [`Ingest::score_common`] for event `seq` of an upload: a first upload's correlation
    /// indicators are remembered, a retried one gets them again instead of counting anew.
    fn score_seq(
        &self,
        tenant_id: &str,
        e: &Event,
        iocs: Option<&dyn IocLookup>,
        seq: i64,
        corr: &mut CorrUpload,
    ) -> Scored {
        let mut s = self.score_common(tenant_id, e, iocs, &corr.opts);
        if s.whitelisted {
            return s;
        }
        match &corr.replay {
            Some(r) => {
                for (q, inds) in r {
                    if *q == seq {
                        inds.iter().cloned().for_each(|i| s.push(i));
                    }
                }
            }
            None if corr.key.is_some() => {
                let found: Vec<Indicator> = s
                    .indicators
                    .iter()
                    .filter(|i| is_correlation(i))
                    .cloned()
                    .collect();
                if !found.is_empty() {
                    corr.found.push((seq, found));
                }
            }
            None => {}
        }
        s
    }

    fn score_hit_inner(
        &self,
        tenant_id: &str,
        h: &Hit,
        threshold: i64,
        iocs: Option<&dyn IocLookup>,
        index: i64,
        corr: &mut CorrUpload,
    ) -> (HitScore, Vec<(usize, DateTime<Utc>, StixSighting)>) {
        if self.pipeline.is_none() {
            return (HitScore::default(), Vec::new());
        }
        let mut sightings = Vec::new();
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
        // The agent's own match is counted once: the server's lookup of the same indicator in
        // the sample events is not added again.
        let own = h.intel.as_ref().map(|m| m.indicator.as_str());
        for (n, e) in events.iter().enumerate() {
            let s = self.score_seq(tenant_id, e, iocs, index * 1000 + n as i64, corr);
            wants_alert |= s.wants_alert();
            for i in s.indicators {
                if i.indicator_type == "ioc" && Some(i.extra_info.as_str()) == own {
                    continue;
                }
                add(&mut out, i);
            }
            sightings.extend(
                s.sightings
                    .into_iter()
                    .filter_map(|v| serde_json::from_value::<StixSighting>(v).ok())
                    .map(|x| (n, e.ts, x)),
            );
        }
        out.alert = wants_alert || out.risk_score >= threshold;
        (out, sightings)
    }

    /// Scores a tenant's telemetry events: every engine, the tenant's behaviour profiles
    /// (which learn from them) and the STIX patterns.
    pub fn score_events(
        &self,
        tenant_id: &str,
        events: &[Event],
        threshold: i64,
        iocs: Option<&dyn IocLookup>,
        upload: Option<Upload<'_>>,
    ) -> Vec<ScoredEvent> {
        if self.pipeline.is_none() {
            return vec![ScoredEvent::default(); events.len()];
        }
        let mut corr = self.corr_upload(upload);
        let out = events
            .iter()
            .enumerate()
            .map(|(seq, e)| {
                let mut s = self.score_seq(tenant_id, e, iocs, seq as i64, &mut corr);
                if !s.whitelisted
                    && let Some(p) = &self.profiles
                {
                    p.eval_into(tenant_id, e, &mut s);
                }
                let alert = s.wants_alert() || s.risk_score >= threshold;
                ScoredEvent {
                    alert,
                    risk_score: s.risk_score,
                    sightings: s
                        .sightings
                        .into_iter()
                        .filter_map(|v| serde_json::from_value(v).ok())
                        .collect(),
                    indicators: s.indicators,
                    actions: s.actions,
                }
            })
            .collect();
        self.corr_done(corr);
        out
    }

    /// Decides the Sigma correlation windows with an upper bound that are over at `now`
    /// (event time; see [`outpost_detect::RuleSet::expire_correlations`]): each one that holds
    /// becomes an alert of the device of its last match, on that event, scored like an
    /// uploaded event (without counting it again) plus the correlation's indicator.
    pub fn expire_correlations(&self, now: DateTime<Utc>) -> Vec<TimerAlert> {
        let Some(rules) = &self.rules else {
            return Vec::new();
        };
        let mut fired = Vec::new();
        rules
            .current()
            .expire_correlations(now, &mut |scope, ind, e, token| {
                fired.push((scope.to_string(), ind, e, token))
            });
        let mut out = Vec::new();
        for (tenant, ind, event, token) in fired {
            let device = self
                .corr_devices
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&token)
                .cloned();
            let (Some(event), Some(device)) = (event, device) else {
                tracing::warn!(rule = %ind.rule_name, tenant = %tenant, "correlation decided by the timer has no device to alert on; dropped");
                continue;
            };
            if device.tenant_id != tenant {
                continue;
            }
            let opts = outpost_detect::EvalOpts {
                feed_correlations: false,
                token,
            };
            let mut s = self.score_common(&tenant, &event, None, &opts);
            let id = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (&ind.rule_name, &ind.extra_info, event.ts).hash(&mut h);
                h.finish()
            };
            let batch_id = format!(
                "correlation:{}:{}:{id:016x}",
                ind.rule_name,
                event.ts.timestamp_millis()
            );
            s.push(ind);
            let threshold = self.threshold(&tenant);
            if !(s.wants_alert() || s.risk_score >= threshold) {
                continue;
            }
            out.push(TimerAlert {
                device,
                batch_id,
                alert: outpost_store::NewAlert {
                    seq: 0,
                    risk_score: s.risk_score,
                    threshold,
                    indicators: s.indicators,
                    event: (*event).clone(),
                    learned: self.learning(&tenant),
                },
            });
        }
        out
    }

    /// The behaviour profiles, when enabled.
    pub fn profiles(&self) -> Option<&Arc<Profiles>> {
        self.profiles.as_ref()
    }

    /// The compiled STIX indicators, if any.
    pub fn stix_engine(&self) -> Option<Arc<StixEngine>> {
        self.stix
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .engine
            .clone()
    }

    /// STIX indicators not used, with the reason.
    pub fn stix_skipped(&self) -> Vec<outpost_detect::Unsupported> {
        self.stix
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .skipped
            .clone()
    }

    /// Rebuilds the STIX engine when the bundles of `[detect] stix_dir` or the pattern
    /// indicators of the global intel changed. On a broken bundle the engine in use stays
    /// and the error (naming the file) is returned.
    pub fn reload_stix(&self, global: Option<&crate::intel::GlobalIntel>) -> Result<bool, String> {
        if self.pipeline.is_none() {
            return Ok(false);
        }
        let _one = self.stix_reload.lock().unwrap_or_else(|p| p.into_inner());
        let files = match &self.stix_dir {
            Some(d) => stix_files(d)?,
            None => Vec::new(),
        };
        let digest = global.map(|g| g.digest.clone()).unwrap_or_default();
        let signature = (files, digest);
        if self
            .stix
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .signature
            .as_ref()
            == Some(&signature)
        {
            return Ok(false);
        }
        let mut objects = Vec::new();
        for (path, _, _) in &signature.0 {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
            // Each file must be a valid bundle on its own, so that errors name it.
            outpost_stix::model::Bundle::from_json(&v)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            match v.get("objects").and_then(|o| o.as_array()) {
                Some(list) => objects.extend(list.iter().cloned()),
                None => objects.push(v),
            }
        }
        if let Some(g) = global {
            objects.extend(
                g.set
                    .pattern_indicators()
                    .iter()
                    .map(pattern_indicator_json),
            );
        }
        let n = objects.len();
        let bundle = outpost_stix::model::Bundle::from_json(&serde_json::json!({
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000000",
            "objects": objects,
        }))
        .map_err(|e| format!("combined STIX indicators: {e}"))?;
        let (engine, skipped) = StixEngine::from_bundle(
            &bundle,
            StixConfig {
                score: self.stix_score,
                skip_simple_iocs: false,
                where_sighted_refs: Vec::new(),
            },
        );
        for u in &skipped {
            tracing::warn!(indicator = %u.rule_id, reason = %u.reason, "STIX indicator not used");
        }
        tracing::info!(
            objects = n,
            patterns = engine.len(),
            skipped = skipped.len(),
            "STIX indicator patterns loaded"
        );
        let mut st = self.stix.write().unwrap_or_else(|p| p.into_inner());
        st.engine = (!engine.is_empty()).then(|| Arc::new(engine));
        st.skipped = skipped;
        st.signature = Some(signature);
        Ok(true)
    }

    /// Whether a tenant is in learn mode now.
    pub fn learning(&self, tenant_id: &str) -> bool {
        self.learning
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant_id)
            .is_some_and(|u| *u > Utc::now())
    }

    /// Replaces the learn-mode table (read from the database).
    pub fn set_learning_tenants(&self, tenants: Vec<(String, DateTime<Utc>)>) {
        *self.learning.write().unwrap_or_else(|p| p.into_inner()) = tenants.into_iter().collect();
    }

    /// Records one tenant's learn mode (after a change on this replica).
    pub fn set_learning(&self, tenant_id: &str, until: Option<DateTime<Utc>>) {
        let mut m = self.learning.write().unwrap_or_else(|p| p.into_inner());
        match until {
            Some(u) => m.insert(tenant_id.to_string(), u),
            None => m.remove(tenant_id),
        };
    }
}

/// A sighting to store, from the engine's.
pub fn new_sighting(seq: i64, event_ts: DateTime<Utc>, s: StixSighting) -> NewSighting {
    NewSighting {
        seq,
        indicator_id: s.indicator_id,
        indicator_name: s.indicator_name,
        event_ts,
        attack: serde_json::json!({
            "attack_patterns": s.attack_patterns,
            "intrusion_sets": s.intrusion_sets,
        }),
        sighting: s.sighting,
        observed: s.observed,
    }
}

/// The STIX bundle files of a directory (recursive, `*.json`), sorted, with their
/// modification time and length.
fn stix_files(dir: &Path) -> Result<Vec<(PathBuf, std::time::SystemTime, u64)>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in rd {
            let entry = entry.map_err(|e| format!("{}: {e}", d.display()))?;
            let path = entry.path();
            let meta = entry
                .metadata()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if meta.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let mtime = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
                out.push((path, mtime, meta.len()));
            }
        }
    }
    out.sort();
    Ok(out)
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
        None => (h.subject(), "hotlist".into(), default_score),
    };
    let description = match h.kind() {
        "ip" => format!("connection to {} listed in {source}", h.subject()),
        "domain" | "domain_suffix" => match h.remote_ip {
            Some(ip) => format!(
                "connection to {ip}, an answer for {} listed in {source}",
                h.domain.as_deref().unwrap_or(&indicator)
            ),
            None => format!(
                "DNS query for {} listed in {source}",
                h.domain.as_deref().unwrap_or(&indicator)
            ),
        },
        "sha256" | "sha1" | "md5" => {
            format!(
                "executable {} with hash {indicator} listed in {source}",
                h.process_name
            )
        }
        kind => format!(
            "process {} ({kind} {indicator}) listed in {source}",
            h.process_name
        ),
    };
    Indicator {
        engine: "intel".into(),
        rule_name: source.clone(),
        indicator_type: "ioc".into(),
        description,
        extra_info: indicator,
        score,
    }
}

/// An event built from a hit's own fields, for hits uploaded without sample events: a
/// connection for address hits, a DNS query for domain hits without an address, an exec for
/// hash and process hits.
fn event_of_hit(h: &Hit) -> Event {
    let kind = match (h.remote_ip, h.kind()) {
        (Some(_), _) => EventKind::Network,
        (None, "domain" | "domain_suffix") => EventKind::Dns,
        (None, _) => EventKind::ProcessExec,
    };
    let mut e = Event::new(h.first_seen_utc, kind, "ingest");
    let mut p = ProcessInfo {
        pid: h.pid.unwrap_or(0),
        name: Some(h.process_name.clone()),
        exe: h.exe_path.clone(),
        ..Default::default()
    };
    p.hashes.sha256 = h.sha256.clone();
    e.process = Some(std::sync::Arc::new(p));
    if let Some(ip) = h.remote_ip {
        e.network = Some(NetworkInfo {
            direction: h.direction.unwrap_or_default(),
            protocol: h.protocol,
            local_ip: None,
            local_port: None,
            remote_ip: Some(ip),
            remote_port: h.remote_port,
            action: Default::default(),
            remote_hostname: h.domain.clone(),
            community_id: None,
        });
    } else if let Some(d) = &h.domain {
        e.dns = Some(outpost_core::DnsInfo {
            query: d.clone(),
            ..Default::default()
        });
    }
    e
}
