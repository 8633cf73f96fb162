//! From scores to alerts: per-tenant thresholds, suppressions with expiry, and learn mode.
//!
//! An event becomes an [`Alert`] when its risk score reaches the tenant's threshold or a rule
//! asked for [`crate::Action::Alert`]. A matching [`Suppression`] (by rule and/or field values,
//! optionally expiring) silences it. In learn mode (per tenant, as puppy-hids' `learn`), would-be
//! alerts are recorded as [`LearnRecord`]s with whitelist candidates instead of alerting.
//! Storage and the alert lifecycle belong to the server.

use crate::field::{Field, Value};
use crate::indicator::{Indicator, RuleAction, Scored};
use crate::static_engine::ListEntry;
use chrono::{DateTime, Utc};
use outpost_core::Event;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, RwLock};

/// Alert status (the server drives the lifecycle after creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Just raised.
    New,
    /// Seen by an analyst.
    Acknowledged,
    /// Closed.
    Closed,
}

/// An alert raised from a scored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Unique id.
    pub id: uuid::Uuid,
    /// Tenant.
    pub tenant: String,
    /// When the alert was raised.
    pub created_at: DateTime<Utc>,
    /// Status.
    pub status: AlertStatus,
    /// The event's risk score.
    pub risk_score: i64,
    /// The threshold in force.
    pub threshold: i64,
    /// One-line summary (highest-scoring indicator's description).
    pub summary: String,
    /// Rule names of the indicators.
    pub rule_names: Vec<String>,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// Actions requested by rules.
    pub actions: Vec<RuleAction>,
    /// The event.
    pub event: Event,
}

/// A suppression: matching alerts are not raised until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Id (for removal).
    pub id: String,
    /// Tenant it applies to (`None` = all).
    #[serde(default)]
    pub tenant: Option<String>,
    /// Only alerts carrying an indicator of this rule (`None` = any rule).
    #[serde(default)]
    pub rule_name: Option<String>,
    /// Field path → exact value the event must have.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// When it stops applying (`None` = never).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Why (for analysts).
    #[serde(default)]
    pub reason: String,
}

/// A would-be alert recorded in learn mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnRecord {
    /// Tenant.
    pub tenant: String,
    /// Event time.
    pub ts: DateTime<Utc>,
    /// Risk score.
    pub risk_score: i64,
    /// Rules that matched.
    pub rule_names: Vec<String>,
    /// Field values that would whitelist this event.
    pub whitelist_candidates: Vec<(String, String)>,
}

/// What happened to a scored event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Score below the threshold and no rule asked for an alert.
    BelowThreshold,
    /// Raise this alert.
    Alert(Box<Alert>),
    /// Would alert, but suppressed by this suppression id.
    Suppressed(String),
    /// Would alert, but the tenant is in learn mode.
    Learned(LearnRecord),
}

/// Errors managing suppressions.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A suppression names an unknown field.
    #[error("suppression '{id}': unknown event field '{field}'")]
    UnknownField {
        /// Suppression id.
        id: String,
        /// The field.
        field: String,
    },
}

/// Thresholds and learn-mode settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertConfig {
    /// Threshold for tenants without their own.
    pub default_threshold: i64,
    /// Per-tenant thresholds.
    #[serde(default)]
    pub thresholds: HashMap<String, i64>,
    /// Tenants in learn mode.
    #[serde(default)]
    pub learn_mode: HashSet<String>,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            default_threshold: 100,
            thresholds: HashMap::new(),
            learn_mode: HashSet::new(),
        }
    }
}

struct CompiledSuppression {
    s: Suppression,
    fields: Vec<(Field, String)>,
}

/// Decides alerts. Thread-safe.
pub struct AlertManager {
    cfg: RwLock<AlertConfig>,
    suppressions: RwLock<Vec<CompiledSuppression>>,
    learned: Mutex<VecDeque<LearnRecord>>,
    max_learned: usize,
}

impl std::fmt::Debug for AlertManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertManager").finish_non_exhaustive()
    }
}

fn value_string(v: Option<Value<'_>>) -> Option<String> {
    Some(match v? {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Ip(ip) => ip.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(l) => l.join(" "),
    })
}

fn value_eq(v: Option<Value<'_>>, want: &str) -> bool {
    match v {
        Some(Value::Str(s)) => s == want,
        other => value_string(other).as_deref() == Some(want),
    }
}

impl AlertManager {
    /// A manager with this configuration.
    pub fn new(cfg: AlertConfig) -> AlertManager {
        AlertManager {
            cfg: RwLock::new(cfg),
            suppressions: RwLock::new(Vec::new()),
            learned: Mutex::new(VecDeque::new()),
            max_learned: 100_000,
        }
    }

    /// The threshold of a tenant.
    pub fn threshold(&self, tenant: &str) -> i64 {
        let c = self.cfg.read().unwrap_or_else(|p| p.into_inner());
        c.thresholds
            .get(tenant)
            .copied()
            .unwrap_or(c.default_threshold)
    }

    /// Sets a tenant's threshold.
    pub fn set_threshold(&self, tenant: &str, threshold: i64) {
        self.cfg
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .thresholds
            .insert(tenant.to_string(), threshold);
    }

    /// Turns learn mode on or off for a tenant.
    pub fn set_learn_mode(&self, tenant: &str, on: bool) {
        let mut c = self.cfg.write().unwrap_or_else(|p| p.into_inner());
        if on {
            c.learn_mode.insert(tenant.to_string());
        } else {
            c.learn_mode.remove(tenant);
        }
    }

    /// Whether a tenant is in learn mode.
    pub fn learn_mode(&self, tenant: &str) -> bool {
        self.cfg
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .learn_mode
            .contains(tenant)
    }

    /// Adds (or replaces, by id) a suppression.
    pub fn add_suppression(&self, s: Suppression) -> Result<(), AlertError> {
        let mut fields = Vec::new();
        for (k, v) in &s.fields {
            let f = Field::parse(k).ok_or_else(|| AlertError::UnknownField {
                id: s.id.clone(),
                field: k.clone(),
            })?;
            fields.push((f, v.clone()));
        }
        let mut list = self.suppressions.write().unwrap_or_else(|p| p.into_inner());
        list.retain(|c| c.s.id != s.id);
        list.push(CompiledSuppression { s, fields });
        Ok(())
    }

    /// Removes a suppression; returns whether it existed.
    pub fn remove_suppression(&self, id: &str) -> bool {
        let mut list = self.suppressions.write().unwrap_or_else(|p| p.into_inner());
        let n = list.len();
        list.retain(|c| c.s.id != id);
        list.len() != n
    }

    /// Active suppressions (expired ones are dropped).
    pub fn suppressions(&self, now: DateTime<Utc>) -> Vec<Suppression> {
        let mut list = self.suppressions.write().unwrap_or_else(|p| p.into_inner());
        list.retain(|c| c.s.expires_at.is_none_or(|t| t > now));
        list.iter().map(|c| c.s.clone()).collect()
    }

    /// Decides what to do with a scored event of `tenant` at time `now`.
    pub fn decide(&self, tenant: &str, e: &Event, s: &Scored, now: DateTime<Utc>) -> Decision {
        let threshold = self.threshold(tenant);
        if s.whitelisted || (s.risk_score < threshold && !s.wants_alert()) {
            return Decision::BelowThreshold;
        }
        let mut rule_names: Vec<String> = s
            .indicators
            .iter()
            .map(|i| i.rule_name.clone())
            .filter(|r| !r.is_empty())
            .collect();
        rule_names.dedup();
        {
            let list = self.suppressions.read().unwrap_or_else(|p| p.into_inner());
            for c in list.iter() {
                if c.s.expires_at.is_some_and(|t| t <= now) {
                    continue;
                }
                if c.s.tenant.as_deref().is_some_and(|t| t != tenant) {
                    continue;
                }
                if let Some(r) = &c.s.rule_name
                    && !rule_names.iter().any(|x| x == r)
                {
                    continue;
                }
                if c.fields.iter().all(|(f, v)| value_eq(f.get(e), v)) {
                    return Decision::Suppressed(c.s.id.clone());
                }
            }
        }
        if self.learn_mode(tenant) {
            let rec = LearnRecord {
                tenant: tenant.to_string(),
                ts: e.ts,
                risk_score: s.risk_score,
                rule_names,
                whitelist_candidates: whitelist_candidates(e),
            };
            let mut q = self.learned.lock().unwrap_or_else(|p| p.into_inner());
            if q.len() >= self.max_learned {
                q.pop_front();
            }
            q.push_back(rec.clone());
            return Decision::Learned(rec);
        }
        let summary = s
            .indicators
            .iter()
            .max_by_key(|i| i.score)
            .map(|i| i.description.clone())
            .unwrap_or_default();
        Decision::Alert(Box::new(Alert {
            id: uuid::Uuid::new_v4(),
            tenant: tenant.to_string(),
            created_at: now,
            status: AlertStatus::New,
            risk_score: s.risk_score,
            threshold,
            summary,
            rule_names,
            indicators: s.indicators.clone(),
            actions: s.actions.clone(),
            event: e.clone(),
        }))
    }

    /// Learn-mode records of a tenant.
    pub fn learned(&self, tenant: &str) -> Vec<LearnRecord> {
        self.learned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|r| r.tenant == tenant)
            .cloned()
            .collect()
    }

    /// Whitelist entries proposed from a tenant's learn-mode records (field → values seen).
    pub fn whitelist_proposal(&self, tenant: &str) -> Vec<ListEntry> {
        let mut by_field: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for r in self.learned(tenant) {
            for (f, v) in r.whitelist_candidates {
                by_field.entry(f).or_default().insert(v);
            }
        }
        by_field
            .into_iter()
            .map(|(field, values)| ListEntry {
                field,
                values: values.into_iter().collect(),
                description: "learned in learn mode".into(),
                ..Default::default()
            })
            .collect()
    }
}

/// Field values that identify what an event is about, as puppy-hids' list keys.
fn whitelist_candidates(e: &Event) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut add = |path: &str| {
        if let Some(f) = Field::parse(path)
            && let Some(s) = value_string(f.get(e))
        {
            v.push((path.to_string(), s));
        }
    };
    if e.process.is_some() {
        add("process.exe");
    }
    if e.network.is_some() {
        add("network.remote_ip");
    }
    if e.file.is_some() {
        add("file.path");
        add("file.sha256_after");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Action;
    use outpost_core::{EventKind, ProcessInfo};

    fn scored(score: i32) -> Scored {
        let mut s = Scored::default();
        s.push(Indicator {
            engine: "rules".into(),
            rule_name: "r1".into(),
            indicator_type: "custom".into(),
            description: "d".into(),
            extra_info: String::new(),
            score,
        });
        s
    }

    #[test]
    fn threshold_suppression_learn() {
        let m = AlertManager::new(AlertConfig::default());
        m.set_threshold("acme", 50);
        let mut e = Event::new(Utc::now(), EventKind::ProcessExec, "t");
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid: 1,
            exe: Some("/bin/sh".into()),
            ..Default::default()
        }));
        let now = Utc::now();
        assert_eq!(
            m.decide("other", &e, &scored(60), now),
            Decision::BelowThreshold
        );
        assert!(matches!(
            m.decide("acme", &e, &scored(60), now),
            Decision::Alert(_)
        ));
        let mut forced = scored(1);
        forced.actions.push(RuleAction {
            engine: "rules".into(),
            rule_name: "r1".into(),
            action: Action::Alert,
        });
        assert!(matches!(
            m.decide("other", &e, &forced, now),
            Decision::Alert(_)
        ));

        m.add_suppression(Suppression {
            id: "s1".into(),
            tenant: Some("acme".into()),
            rule_name: Some("r1".into()),
            fields: BTreeMap::from([("process.exe".into(), "/bin/sh".into())]),
            expires_at: Some(now + chrono::TimeDelta::hours(1)),
            reason: "known admin script".into(),
        })
        .unwrap();
        assert_eq!(
            m.decide("acme", &e, &scored(60), now),
            Decision::Suppressed("s1".into())
        );
        // Expired → alerts again.
        let later = now + chrono::TimeDelta::hours(2);
        assert!(matches!(
            m.decide("acme", &e, &scored(60), later),
            Decision::Alert(_)
        ));
        assert!(m.suppressions(later).is_empty());
        assert!(
            m.add_suppression(Suppression {
                id: "bad".into(),
                tenant: None,
                rule_name: None,
                fields: BTreeMap::from([("nope".into(), "x".into())]),
                expires_at: None,
                reason: String::new(),
            })
            .is_err()
        );

        m.set_learn_mode("acme", true);
        let Decision::Learned(r) = m.decide("acme", &e, &scored(60), later) else {
            panic!()
        };
        assert_eq!(
            r.whitelist_candidates,
            vec![("process.exe".to_string(), "/bin/sh".to_string())]
        );
        assert_eq!(m.learned("acme").len(), 1);
        let wl = m.whitelist_proposal("acme");
        assert_eq!(wl[0].field, "process.exe");
        assert_eq!(wl[0].values, vec!["/bin/sh".to_string()]);
    }
}
