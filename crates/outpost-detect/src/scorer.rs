//! Scoring of a multi-tenant server: uploaded hits and telemetry events of a tenant through the
//! [`Pipeline`], into scored results the server stores.
//!
//! - **Hits** ([`Scorer::score_hits`]): every hit is scored on each of its sample events, or on
//!   an event built from the hit's own fields when it has none. The hit itself is an intel
//!   match made by the agent and counts as one `intel` indicator (the server's lookup of the
//!   same indicator in the sample events is not added again). The hit's indicators are the
//!   distinct ones over all its events; its `risk_score` is their sum; it is an alert when that
//!   reaches the tenant's threshold or a rule asked for one ([`AlertPolicy`]). The tenant's
//!   behaviour profiles do not learn from hits: a hit is an intel match, and learning it would
//!   make a known-bad destination "normal".
//! - **Telemetry** ([`Scorer::score_events`]): each event is scored by every engine, the
//!   tenant's behaviour profiles included ([`Pipeline::score_learning`]).
//! - Every match of a STIX pattern is a typed [`NewSighting`] of its event's place in the
//!   upload (for hits: hit index × 1000 + sample index).
//! - **Sigma correlations across uploads**: an upload (device, batch id) feeds the
//!   correlations once. Its correlation indicators are remembered (bounded), so a retried
//!   upload — the agent did not get the answer — is scored without counting again and gets the
//!   same indicators. Windows with an upper bound are decided by a timer
//!   ([`Scorer::expire_correlations`]) as alerts of the device of their last match.

use crate::alert::AlertPolicy;
use crate::indicator::{Finding, RuleAction, Scored};
use crate::pipeline::Pipeline;
use crate::rules::EvalOpts;
use crate::static_engine::IocLookup;
use chrono::{DateTime, Utc};
use outpost_core::api::HitScore;
use outpost_core::event::{NetworkInfo, ProcessInfo};
use outpost_core::sighting::{NewSighting, StixSighting};
use outpost_core::{Event, EventKind, Hit};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

/// What the engines made of one telemetry event.
#[derive(Debug, Clone, Default)]
pub struct ScoredEvent {
    pub indicators: Vec<Finding>,
    pub risk_score: i64,
    /// Reached the threshold, or a rule asked for an alert.
    pub alert: bool,
    /// STIX sightings of the event.
    pub sightings: Vec<StixSighting>,
    /// Actions the rules that fired asked for (ticket, job, …).
    pub actions: Vec<RuleAction>,
}

/// An upload being scored: its device and batch id (how a retry is recognized).
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a, D> {
    /// The device's id.
    pub device_id: &'a str,
    /// The caller's record of the device, handed back with the timer's alerts.
    pub device: &'a D,
    /// The batch id, qualified by the caller (e.g. `hits:` for hit batches).
    pub batch: &'a str,
}

/// A correlation decided by the timer: an alert of `device` (its last match's) on that
/// match's event.
#[derive(Debug)]
pub struct TimerAlert<D> {
    pub device: D,
    /// A batch id of its own (the alert's identity: a second decision stores nothing twice).
    pub batch_id: String,
    pub risk_score: i64,
    pub threshold: i64,
    pub indicators: Vec<Finding>,
    pub event: Event,
    /// The tenant is in learn mode.
    pub learned: bool,
}

/// How long after a window's end (event time) the timer waits before deciding it: matches of
/// the window may still be on their way from agents (they upload every minute or so).
pub const CORRELATION_TIMER_GRACE: Duration = Duration::from_secs(120);

/// Indicators by the place (`seq`) of their event in an upload.
type SeqIndicators = Vec<(i64, Vec<Finding>)>;

/// Uploads remembered by [`CorrBatches`].
const MAX_CORR_BATCHES: usize = 8192;
/// Devices remembered for correlation timer alerts (then the map starts over).
const MAX_CORR_DEVICES: usize = 1_000_000;

/// The Sigma correlation indicators each recently scored upload got, by (device, batch id).
/// Bounded (oldest forgotten first).
#[derive(Default)]
struct CorrBatches {
    map: HashMap<(String, String), SeqIndicators>,
    order: VecDeque<(String, String)>,
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

/// The correlation side of scoring one upload (see [`Scorer::score_seq`]).
#[derive(Default)]
struct CorrUpload {
    opts: EvalOpts,
    /// (device, batch id), when it is an upload.
    key: Option<(String, String)>,
    /// The first scoring's correlation indicators, when this upload is a retry.
    replay: Option<SeqIndicators>,
    /// This scoring's correlation indicators (a first upload).
    found: SeqIndicators,
}

fn is_correlation(i: &Finding) -> bool {
    i.indicator_type == "sigma_correlation"
}

/// The scoring of a server (see the module docs); `D` is the caller's record of a device.
/// Without a pipeline ([`Scorer::disabled`]) nothing is scored.
pub struct Scorer<D> {
    pipeline: Option<Pipeline>,
    /// Score of the agent's own intel match when the hit does not carry one.
    hit_score: i32,
    policy: AlertPolicy,
    /// The correlation indicators of recently scored uploads (see [`CorrBatches`]).
    corr_batches: Mutex<CorrBatches>,
    /// Devices (with their tenant) by the token their matches carry into correlation windows.
    corr_devices: Mutex<HashMap<u64, (String, D)>>,
}

impl<D> std::fmt::Debug for Scorer<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer")
            .field("pipeline", &self.pipeline)
            .field("hit_score", &self.hit_score)
            .field("policy", &self.policy)
            .finish()
    }
}

impl<D: Clone> Scorer<D> {
    /// Scoring off: hits are stored unscored, events score nothing.
    pub fn disabled() -> Scorer<D> {
        Scorer {
            pipeline: None,
            hit_score: 0,
            policy: AlertPolicy::default(),
            corr_batches: Mutex::new(CorrBatches::default()),
            corr_devices: Mutex::new(HashMap::new()),
        }
    }

    /// Scoring with `pipeline`; `hit_score` is the score of an agent's intel match that
    /// carries none.
    pub fn new(pipeline: Pipeline, hit_score: i32, policy: AlertPolicy) -> Scorer<D> {
        Scorer {
            pipeline: Some(pipeline),
            hit_score,
            policy,
            ..Scorer::disabled()
        }
    }

    /// The pipeline, when scoring is on.
    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.as_ref()
    }

    /// Thresholds and learn mode.
    pub fn policy(&self) -> &AlertPolicy {
        &self.policy
    }

    /// The STIX patterns, when scoring is on and they are configured.
    pub fn stix(&self) -> Option<&std::sync::Arc<crate::stix::StixPatterns>> {
        self.pipeline.as_ref().and_then(Pipeline::stix)
    }

    /// Scores every hit of a batch of a tenant (empty when scoring is off: hits are stored
    /// unscored), with the STIX sightings of their sample events.
    pub fn score_hits(
        &self,
        tenant_id: &str,
        hits: &[Hit],
        threshold: i64,
        iocs: Option<&dyn IocLookup>,
        upload: Option<Upload<'_, D>>,
    ) -> (Vec<HitScore>, Vec<NewSighting>) {
        let Some(pipeline) = &self.pipeline else {
            return (Vec::new(), Vec::new());
        };
        let mut corr = self.corr_upload(tenant_id, upload);
        let mut sightings = Vec::new();
        let scores = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let hit = HitScoring {
                    tenant_id,
                    threshold,
                    iocs,
                    index: i as i64,
                };
                self.score_hit(pipeline, &hit, h, &mut corr, &mut sightings)
            })
            .collect();
        self.corr_done(corr);
        (scores, sightings)
    }

    /// Scores a tenant's telemetry events: every engine, the tenant's behaviour profiles
    /// (which learn from them) and the STIX patterns.
    pub fn score_events(
        &self,
        tenant_id: &str,
        events: &[Event],
        threshold: i64,
        iocs: Option<&dyn IocLookup>,
        upload: Option<Upload<'_, D>>,
    ) -> Vec<ScoredEvent> {
        let Some(pipeline) = &self.pipeline else {
            return vec![ScoredEvent::default(); events.len()];
        };
        let mut corr = self.corr_upload(tenant_id, upload);
        let out = events
            .iter()
            .enumerate()
            .map(|(seq, e)| {
                let s = Self::score_seq(pipeline, tenant_id, e, iocs, seq as i64, &mut corr, true);
                ScoredEvent {
                    alert: AlertPolicy::is_alert(&s, threshold),
                    risk_score: s.risk_score,
                    sightings: s.sightings,
                    indicators: s.indicators,
                    actions: s.actions,
                }
            })
            .collect();
        self.corr_done(corr);
        out
    }

    /// The correlation side of scoring an upload: the evaluation options (this device's token;
    /// no feeding for a retried upload) and what to repeat or remember.
    fn corr_upload(&self, tenant_id: &str, upload: Option<Upload<'_, D>>) -> CorrUpload {
        let Some(u) = upload else {
            return CorrUpload::default();
        };
        let key = (u.device_id.to_string(), u.batch.to_string());
        let replay = self
            .corr_batches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key);
        let token = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            u.device_id.hash(&mut h);
            h.finish()
        };
        let mut devices = self.corr_devices.lock().unwrap_or_else(|p| p.into_inner());
        if devices.len() >= MAX_CORR_DEVICES && !devices.contains_key(&token) {
            devices.clear();
        }
        devices.insert(token, (tenant_id.to_string(), u.device.clone()));
        CorrUpload {
            opts: EvalOpts {
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

    /// Event `seq` of an upload through the pipeline (`learn`: telemetry, which the tenant's
    /// profiles learn from): a first upload's correlation indicators are remembered, a retried
    /// one gets them again instead of counting anew.
    fn score_seq(
        pipeline: &Pipeline,
        tenant_id: &str,
        e: &Event,
        iocs: Option<&dyn IocLookup>,
        seq: i64,
        corr: &mut CorrUpload,
        learn: bool,
    ) -> Scored {
        let mut s = pipeline.score_opts(tenant_id, e, iocs, &corr.opts);
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
                let found: Vec<Finding> = s
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
        if learn {
            pipeline.learn_into(tenant_id, e, &mut s);
        }
        s
    }

    /// One hit: the agent's intel match, then every sample event (or the hit's own event).
    fn score_hit(
        &self,
        pipeline: &Pipeline,
        hit: &HitScoring<'_>,
        h: &Hit,
        corr: &mut CorrUpload,
        sightings: &mut Vec<NewSighting>,
    ) -> HitScore {
        let mut seen = HashSet::new();
        let mut out = HitScore::default();
        let mut add = |out: &mut HitScore, i: Finding| {
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
            let seq = hit.index * 1000 + n as i64;
            let s = Self::score_seq(pipeline, hit.tenant_id, e, hit.iocs, seq, corr, false);
            wants_alert |= s.wants_alert();
            for i in s.indicators {
                if i.indicator_type == "ioc" && Some(i.extra_info.as_str()) == own {
                    continue;
                }
                add(&mut out, i);
            }
            sightings.extend(s.sightings.into_iter().map(|found| NewSighting {
                seq,
                event_ts: e.ts,
                found,
            }));
        }
        out.alert = wants_alert || out.risk_score >= hit.threshold;
        out
    }

    /// Decides the Sigma correlation windows with an upper bound that are over at `now`
    /// (event time; see [`crate::RuleSet::expire_correlations`]): each one that holds
    /// becomes an alert of the device of its last match, on that event, scored like an
    /// uploaded event (without counting it again) plus the correlation's indicator.
    pub fn expire_correlations(&self, now: DateTime<Utc>) -> Vec<TimerAlert<D>> {
        let Some(pipeline) = &self.pipeline else {
            return Vec::new();
        };
        let Some(rules) = pipeline.rules() else {
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
            let (Some(event), Some((device_tenant, device))) = (event, device) else {
                tracing::warn!(rule = %ind.rule_name, tenant = %tenant, "correlation decided by the timer has no device to alert on; dropped");
                continue;
            };
            if device_tenant != tenant {
                continue;
            }
            let opts = EvalOpts {
                feed_correlations: false,
                token,
            };
            let mut s = pipeline.score_opts(&tenant, &event, None, &opts);
            let id = {
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
            let threshold = self.policy.threshold(&tenant);
            if !AlertPolicy::is_alert(&s, threshold) {
                continue;
            }
            out.push(TimerAlert {
                device,
                batch_id,
                risk_score: s.risk_score,
                threshold,
                indicators: s.indicators,
                event: (*event).clone(),
                learned: self.policy.learning(&tenant),
            });
        }
        out
    }
}

/// The hit being scored: its tenant, threshold, the tenant's IOCs and its index in the batch.
struct HitScoring<'a> {
    tenant_id: &'a str,
    threshold: i64,
    iocs: Option<&'a dyn IocLookup>,
    index: i64,
}

/// The indicator of the agent's own intel match.
fn intel_indicator(h: &Hit, default_score: i32) -> Finding {
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
    Finding {
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
