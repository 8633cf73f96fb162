//! Alerts raised from scored telemetry, with the lifecycle of hits (states, history,
//! suppression rules); the STIX sightings of those events; per-tenant learn mode and its
//! whitelist proposals.
//!
//! An alert is keyed by its event's place in its upload, (device, batch, seq): a batch the
//! agent retries stores nothing twice, and the call returns the batch's alerts either way so
//! the caller can forward them again (at-least-once to the outputs).

use crate::hits::{decode_cursor, encode_cursor};
use crate::tenants::DeviceAuth;
use crate::triage::suppression_matches_fields;
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use chrono::{DateTime, Utc};
use outpost_core::api::{
    AlertRecord, LearnProposal, NewSuppression, Page, SightingRecord, Suppression, Triage,
    TriageState,
};
use outpost_core::{Event, Finding};
use sqlx::Row;
use std::collections::HashMap;

/// An alert to store (what the server's engines made of one event).
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// The event's index in its upload batch.
    pub seq: i64,
    pub risk_score: i64,
    pub threshold: i64,
    pub indicators: Vec<Finding>,
    pub event: Event,
    /// Raised while the tenant was in learn mode.
    pub learned: bool,
}

/// A STIX sighting to store, of the event at `seq` of the batch (typed from the detection
/// engine to here).
pub use outpost_core::sighting::NewSighting;

/// Filters of `GET /api/v1/alerts`.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub tenant_id: Option<String>,
    pub device_id: Option<String>,
    pub state: Option<TriageState>,
    pub min_risk_score: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only learned (`true`) or only real (`false`) alerts.
    pub learned: Option<bool>,
    pub rule_name: Option<String>,
}

/// Filters of `GET /api/v1/sightings`.
#[derive(Debug, Clone, Default)]
pub struct SightingFilter {
    pub tenant_id: Option<String>,
    pub device_id: Option<String>,
    pub indicator_id: Option<String>,
}

const MAX_PAGE: u32 = 1000;

const ALERT_COLS: &str = "id, tenant_id, device_id, hostname, batch_id, seq, created_at, event_ts, risk_score, threshold, summary, rule_names, indicators, event, process_name, remote_ip, sha256, learned, state, state_changed_at, state_changed_by, suppression_id, version";

const SIGHTING_COLS: &str = "id, tenant_id, device_id, batch_id, seq, indicator_id, indicator_name, created_at, event_ts, attack, sighting, observed, alert_id";

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// The summary of an alert: its highest-scoring indicator's description.
fn summary_of(indicators: &[Finding]) -> String {
    indicators
        .iter()
        .max_by_key(|i| i.score)
        .map(|i| {
            if i.description.is_empty() {
                i.rule_name.clone()
            } else {
                i.description.clone()
            }
        })
        .unwrap_or_default()
}

fn rule_names_of(indicators: &[Finding]) -> Vec<String> {
    let mut v: Vec<String> = indicators.iter().map(|i| i.rule_name.clone()).collect();
    v.sort();
    v.dedup();
    v
}

macro_rules! alert_from_row {
    ($r:expr) => {{
        let r = $r;
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("alert {what}: {e}"))
        };
        let state: String = r.try_get("state")?;
        let rule_names: String = r.try_get("rule_names")?;
        let indicators: String = r.try_get("indicators")?;
        let event: String = r.try_get("event")?;
        AlertRecord {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            device_id: r.try_get("device_id")?,
            hostname: r.try_get("hostname")?,
            batch_id: r.try_get("batch_id")?,
            seq: r.try_get("seq")?,
            created_at: ms_to_dt(r.try_get("created_at")?),
            event_ts: ms_to_dt(r.try_get("event_ts")?),
            risk_score: r.try_get("risk_score")?,
            threshold: r.try_get("threshold")?,
            summary: r.try_get("summary")?,
            rule_names: serde_json::from_str(&rule_names).map_err(|e| corrupt("rule_names", &e))?,
            indicators: serde_json::from_str(&indicators).map_err(|e| corrupt("indicators", &e))?,
            process_name: r.try_get("process_name")?,
            remote_ip: r.try_get("remote_ip")?,
            sha256: r.try_get("sha256")?,
            learned: r.try_get::<i64, _>("learned")? != 0,
            triage: Triage {
                state: TriageState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
                state_changed_at: r
                    .try_get::<Option<i64>, _>("state_changed_at")?
                    .map(ms_to_dt),
                state_changed_by: r.try_get("state_changed_by")?,
                suppression_id: r.try_get("suppression_id")?,
                version: r.try_get("version")?,
            },
            event: serde_json::from_str(&event).map_err(|e| corrupt("event", &e))?,
        }
    }};
}

macro_rules! sighting_from_row {
    ($r:expr) => {{
        let r = $r;
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("sighting {what}: {e}"))
        };
        let attack: String = r.try_get("attack")?;
        let sighting: String = r.try_get("sighting")?;
        let observed: String = r.try_get("observed")?;
        SightingRecord {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            device_id: r.try_get("device_id")?,
            batch_id: r.try_get("batch_id")?,
            seq: r.try_get("seq")?,
            indicator_id: r.try_get("indicator_id")?,
            indicator_name: r.try_get("indicator_name")?,
            created_at: ms_to_dt(r.try_get("created_at")?),
            event_ts: ms_to_dt(r.try_get("event_ts")?),
            attack: serde_json::from_str(&attack).map_err(|e| corrupt("attack", &e))?,
            sighting: serde_json::from_str(&sighting).map_err(|e| corrupt("sighting", &e))?,
            observed: serde_json::from_str(&observed).map_err(|e| corrupt("observed", &e))?,
            alert_id: r.try_get("alert_id")?,
        }
    }};
}

/// Outcome of storing a batch's alerts.
#[derive(Debug, Clone, Default)]
pub struct AlertsStored {
    /// Every alert of the delivered events (also those stored by an earlier attempt), in event
    /// order.
    pub alerts: Vec<AlertRecord>,
    /// Alerts written by this call.
    pub fresh: u64,
    /// Their `seq`s (the events that raised an alert for the first time).
    pub fresh_seqs: Vec<i64>,
    /// Of those, alerts stored as suppressed by a suppression rule or learn mode.
    pub suppressed: u64,
    /// Sightings written by this call.
    pub sightings: u64,
}

impl Store {
    /// Stores the alerts and sightings of one upload batch of a device, once (see the module
    /// docs). Suppression rules of the tenant apply as they do to hits; learned alerts are
    /// stored as suppressed by `learn-mode`. Answers every alert of the batch.
    pub async fn insert_alerts(
        &self,
        dev: &DeviceAuth,
        batch_id: &str,
        alerts: &[NewAlert],
        sightings: &[NewSighting],
    ) -> Result<AlertsStored, StoreError> {
        self.insert_delivered_alerts(dev, batch_id, i64::MIN..=i64::MAX, alerts, sightings)
            .await
    }

    /// [`Store::insert_alerts`] for a delivery of the events `delivered` (their `seq`s) of a
    /// batch that arrives in parts (an input's records share a batch id per range of
    /// positions): answers the alerts of those events only, also those an earlier attempt
    /// stored, never the alerts of the batch's other parts.
    pub async fn insert_delivered_alerts(
        &self,
        dev: &DeviceAuth,
        batch_id: &str,
        delivered: std::ops::RangeInclusive<i64>,
        alerts: &[NewAlert],
        sightings: &[NewSighting],
    ) -> Result<AlertsStored, StoreError> {
        if alerts.is_empty() && sightings.is_empty() {
            return Ok(AlertsStored::default());
        }
        let now = now_ms();
        let rules = if alerts.is_empty() {
            Vec::new()
        } else {
            self.active_suppressions(&dev.tenant_id).await?
        };
        let mut out = AlertsStored::default();
        let mut fresh = 0u64;
        let mut suppressed = 0u64;
        let mut sighted = 0u64;
        let mut fresh_seqs = Vec::new();
        let _gate = self.write_gate().await;
        let stored: Vec<AlertRecord> = dispatch!(self, p => {
            let mut tx = p.begin().await?;
            for a in alerts {
                let process = a.event.process.as_ref();
                let process_name = a.event.process_name().map(str::to_string);
                let sha256 = process.and_then(|p| p.hashes.sha256.clone());
                let remote_ip = a.event.remote_ip();
                let rule = rules.iter().find(|r| suppression_matches_fields(r, &dev.device_id, remote_ip, process_name.as_deref(), sha256.as_deref(), &a.indicators));
                let (state, by, changed_at, rule_id) = match (a.learned, rule) {
                    (true, _) => (TriageState::Suppressed, Some("learn-mode".to_string()), Some(now), None),
                    (false, Some(r)) => (TriageState::Suppressed, Some(format!("suppression:{}", r.id)), Some(now), Some(r.id.clone())),
                    (false, None) => (TriageState::New, None, None, None),
                };
                let n = sqlx::query("INSERT INTO alerts (tenant_id, device_id, hostname, batch_id, seq, created_at, event_ts, risk_score, threshold, summary, rule_names, indicators, event, process_name, remote_ip, sha256, learned, state, state_changed_at, state_changed_by, suppression_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) ON CONFLICT (device_id, batch_id, seq) DO NOTHING")
                    .bind(&dev.tenant_id).bind(&dev.device_id).bind(&dev.hostname).bind(batch_id).bind(a.seq).bind(now)
                    .bind(a.event.ts.timestamp_millis()).bind(a.risk_score).bind(a.threshold).bind(summary_of(&a.indicators))
                    .bind(json(&rule_names_of(&a.indicators))?).bind(json(&a.indicators)?).bind(json(&a.event)?)
                    .bind(&process_name).bind(remote_ip.map(|i| i.to_string())).bind(&sha256).bind(i64::from(a.learned))
                    .bind(state.as_str()).bind(changed_at).bind(by).bind(rule_id)
                    .execute(&mut *tx).await?.rows_affected();
                if n == 1 {
                    fresh += 1;
                    fresh_seqs.push(a.seq);
                    if state == TriageState::Suppressed {
                        suppressed += 1;
                    }
                }
            }
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ALERT_COLS} FROM alerts WHERE device_id = $1 AND batch_id = $2 AND seq >= $3 AND seq <= $4 ORDER BY seq")))
                .bind(&dev.device_id).bind(batch_id).bind(*delivered.start()).bind(*delivered.end()).fetch_all(&mut *tx).await?;
            let mut stored = Vec::with_capacity(rows.len());
            for r in &rows {
                stored.push(alert_from_row!(r));
            }
            let by_seq: HashMap<i64, i64> = stored.iter().map(|a| (a.seq, a.id)).collect();
            for s in sightings {
                let n = sqlx::query("INSERT INTO sightings (tenant_id, device_id, batch_id, seq, indicator_id, indicator_name, created_at, event_ts, attack, sighting, observed, alert_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (device_id, batch_id, seq, indicator_id) DO NOTHING")
                    .bind(&dev.tenant_id).bind(&dev.device_id).bind(batch_id).bind(s.seq).bind(&s.found.indicator_id).bind(&s.found.indicator_name)
                    .bind(now).bind(s.event_ts.timestamp_millis()).bind(json(&s.found.attack())?).bind(json(&s.found.sighting)?).bind(json(&s.found.observed)?)
                    .bind(by_seq.get(&s.seq).copied())
                    .execute(&mut *tx).await?.rows_affected();
                sighted += n;
            }
            tx.commit().await?;
            stored
        });
        out.alerts = stored;
        out.fresh = fresh;
        out.fresh_seqs = fresh_seqs;
        out.suppressed = suppressed;
        out.sightings = sighted;
        Ok(out)
    }

    /// Alerts matching `filter`, newest first.
    pub async fn list_alerts(
        &self,
        filter: &AlertFilter,
        cursor_in: Option<&str>,
        limit: u32,
    ) -> Result<Page<AlertRecord>, StoreError> {
        let before = cursor_in.map(decode_cursor).transpose()?;
        let limit = limit.clamp(1, MAX_PAGE);
        // rule_names is a JSON array of strings: match the quoted name.
        let rule_like = filter
            .rule_name
            .as_ref()
            .map(json)
            .transpose()?
            .map(|q| format!("%{}%", q.replace('%', "\\%").replace('_', "\\_")));
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ALERT_COLS} FROM alerts \
                 WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR device_id = $2) AND ($3 IS NULL OR state = $3) \
                 AND ($4 IS NULL OR risk_score >= $4) AND ($5 IS NULL OR event_ts >= $5) AND ($6 IS NULL OR event_ts < $6) \
                 AND ($7 IS NULL OR learned = $7) AND ($8 IS NULL OR rule_names LIKE $8 ESCAPE '\\') AND ($9 IS NULL OR id < $9) \
                 ORDER BY id DESC LIMIT $10")))
                .bind(&filter.tenant_id).bind(&filter.device_id).bind(filter.state.map(|s| s.as_str()))
                .bind(filter.min_risk_score).bind(filter.since.map(|t| t.timestamp_millis())).bind(filter.until.map(|t| t.timestamp_millis()))
                .bind(filter.learned.map(i64::from)).bind(&rule_like).bind(before).bind(i64::from(limit) + 1)
                .fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows.iter().take(limit as usize) {
                items.push(alert_from_row!(r));
            }
            let next_cursor = if rows.len() > limit as usize { items.last().map(|a: &AlertRecord| encode_cursor(a.id)) } else { None };
            Ok(Page { items, next_cursor })
        })
    }

    /// One alert by id.
    pub async fn get_alert(&self, id: i64) -> Result<AlertRecord, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ALERT_COLS} FROM alerts WHERE id = $1")))
                .bind(id).fetch_optional(p).await?;
            match row {
                None => Err(StoreError::NotFound(format!("alert {id}"))),
                Some(r) => Ok(alert_from_row!(&r)),
            }
        })
    }

    /// Sightings matching `filter`, newest first.
    pub async fn list_sightings(
        &self,
        filter: &SightingFilter,
        cursor_in: Option<&str>,
        limit: u32,
    ) -> Result<Page<SightingRecord>, StoreError> {
        let before = cursor_in.map(decode_cursor).transpose()?;
        let limit = limit.clamp(1, MAX_PAGE);
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SIGHTING_COLS} FROM sightings \
                 WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR device_id = $2) AND ($3 IS NULL OR indicator_id = $3) \
                 AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5")))
                .bind(&filter.tenant_id).bind(&filter.device_id).bind(&filter.indicator_id).bind(before).bind(i64::from(limit) + 1)
                .fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows.iter().take(limit as usize) {
                items.push(sighting_from_row!(r));
            }
            let next_cursor = if rows.len() > limit as usize { items.last().map(|s: &SightingRecord| encode_cursor(s.id)) } else { None };
            Ok(Page { items, next_cursor })
        })
    }

    /// Until when the tenant is in learn mode (`None`: not, or it has ended).
    pub async fn learn_until(&self, tenant_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let until: Option<Option<i64>> = dispatch!(self, p => {
            sqlx::query_scalar("SELECT learn_until FROM tenant_learn WHERE tenant_id = $1")
                .bind(tenant_id).fetch_optional(p).await?
        });
        Ok(until.flatten().filter(|u| *u > now_ms()).map(ms_to_dt))
    }

    /// Every tenant in learn mode now, with its end.
    pub async fn learning_tenants(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT tenant_id, learn_until FROM tenant_learn WHERE learn_until > $1")
                .bind(now_ms()).fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get("tenant_id")?, ms_to_dt(r.try_get("learn_until")?)))).collect()
        })
    }

    /// Turns a tenant's learn mode on until `until`, or off (`None`).
    pub async fn set_learn_mode(
        &self,
        tenant_id: &str,
        until: Option<DateTime<Utc>>,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.find_tenant(tenant_id).await?;
        dispatch!(self, p => {
            sqlx::query("INSERT INTO tenant_learn (tenant_id, learn_until, changed_by, changed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id) DO UPDATE SET learn_until = excluded.learn_until, changed_by = excluded.changed_by, changed_at = excluded.changed_at")
                .bind(tenant_id).bind(until.map(|t| t.timestamp_millis())).bind(actor).bind(now_ms())
                .execute(p).await?;
        });
        Ok(())
    }

    /// Learn mode's whitelist proposals of a tenant: each (rule, process) that fired while
    /// learning, with how often and on how many devices, most frequent first.
    pub async fn learn_proposals(&self, tenant_id: &str) -> Result<Vec<LearnProposal>, StoreError> {
        let rows: Vec<(String, Option<String>, String)> = dispatch!(self, p => {
            let rows = sqlx::query("SELECT device_id, process_name, rule_names FROM alerts WHERE tenant_id = $1 AND learned = 1")
                .bind(tenant_id).fetch_all(p).await?;
            rows.iter().map(|r| Ok::<_, StoreError>((r.try_get("device_id")?, r.try_get("process_name")?, r.try_get("rule_names")?)))
                .collect::<Result<Vec<_>, _>>()?
        });
        let mut agg: HashMap<(String, String), (i64, std::collections::HashSet<String>)> =
            HashMap::new();
        for (device, process, rules) in rows {
            let rules: Vec<String> = serde_json::from_str(&rules)
                .map_err(|e| StoreError::Corrupt(format!("alert rule_names: {e}")))?;
            let process = process.unwrap_or_default();
            for r in rules {
                let e = agg.entry((r, process.clone())).or_default();
                e.0 += 1;
                e.1.insert(device.clone());
            }
        }
        let existing = self.active_suppressions(tenant_id).await?;
        let mut out: Vec<LearnProposal> = agg
            .into_iter()
            .map(
                |((rule_name, process_name), (alerts, devices))| LearnProposal {
                    applied: existing
                        .iter()
                        .any(|s| is_learned_rule(s, &rule_name, &process_name)),
                    rule_name,
                    process_name,
                    alerts,
                    devices: devices.len() as i64,
                },
            )
            .collect();
        out.sort_by(|a, b| {
            b.alerts
                .cmp(&a.alerts)
                .then_with(|| a.rule_name.cmp(&b.rule_name))
                .then_with(|| a.process_name.cmp(&b.process_name))
        });
        Ok(out)
    }

    /// Creates a suppression rule (rule + process) for each proposal not applied yet (only
    /// those in `only` when given); returns the rules created.
    pub async fn apply_learn_proposals(
        &self,
        tenant_id: &str,
        only: Option<&[(String, String)]>,
        actor: &str,
    ) -> Result<Vec<Suppression>, StoreError> {
        let mut created = Vec::new();
        for p in self.learn_proposals(tenant_id).await? {
            if p.applied
                || only.is_some_and(|o| {
                    !o.iter()
                        .any(|(r, pr)| *r == p.rule_name && *pr == p.process_name)
                })
            {
                continue;
            }
            let n = NewSuppression {
                tenant_id: tenant_id.to_string(),
                process_name: (!p.process_name.is_empty()).then(|| p.process_name.clone()),
                rule_name: Some(p.rule_name.clone()),
                reason: Some(format!(
                    "learn mode: {} alerts on {} devices",
                    p.alerts, p.devices
                )),
                ..Default::default()
            };
            created.push(self.create_suppression(&n, actor).await?);
        }
        Ok(created)
    }
}

/// A suppression that is exactly learn mode's rule for (rule, process).
fn is_learned_rule(s: &Suppression, rule_name: &str, process_name: &str) -> bool {
    s.rule_name.as_deref() == Some(rule_name)
        && s.process_name.as_deref().unwrap_or("") == process_name
        && s.device_id.is_none()
        && s.remote_ip.is_none()
        && s.sha256.is_none()
}

/// Outcome of an alert state change.
pub type AlertStateChange = crate::triage::StateChange<AlertRecord>;
