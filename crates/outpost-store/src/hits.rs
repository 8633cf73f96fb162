//! Hits: idempotent ingest of agent batches and filtered, cursor-paginated reads.

use crate::tenants::DeviceAuth;
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use outpost_core::api::{HitRecord, HitScore, Page, Triage, TriageState};
use outpost_core::{Hit, HitPayload};
use sqlx::Row;

/// Result of storing one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Hits written by this call.
    pub stored: u64,
    /// Of those, hits stored as `suppressed` because a suppression rule matched.
    pub suppressed: u64,
    /// The batch had been stored before; nothing was written.
    pub duplicate: bool,
}

/// Filters of `GET /api/v1/hits`. All are optional and combine with AND.
#[derive(Debug, Clone, Default)]
pub struct HitFilter {
    pub tenant_id: Option<String>,
    pub device_id: Option<String>,
    pub remote_ip: Option<String>,
    pub process_name: Option<String>,
    /// Hits whose last sighting is at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Hits whose first sighting is before this time.
    pub until: Option<DateTime<Utc>>,
    pub state: Option<TriageState>,
    pub sha256: Option<String>,
    /// Hits whose risk score is at least this.
    pub min_risk_score: Option<i64>,
    /// Only alerts (`true`) or only non-alerts (`false`).
    pub alert: Option<bool>,
}

const MAX_PAGE: u32 = 1000;

/// Hits per INSERT statement (27 parameters each; well under SQLite's and PostgreSQL's
/// parameter limits).
const INSERT_CHUNK: usize = 200;

/// Encodes the last id of a page as an opaque cursor.
pub(crate) fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("h{id}"))
}

/// Decodes a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<i64, StoreError> {
    let bad = || StoreError::Invalid("malformed cursor".into());
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let s = std::str::from_utf8(&raw).map_err(|_| bad())?;
    s.strip_prefix('h')
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)
}

impl Store {
    /// Stores a device's batch once: a batch id already accepted from this device stores
    /// nothing and reports `duplicate`. The whole batch is one transaction.
    pub async fn insert_hits(
        &self,
        dev: &DeviceAuth,
        payload: &HitPayload,
        scores: &[HitScore],
    ) -> Result<InsertOutcome, StoreError> {
        if !scores.is_empty() && scores.len() != payload.hits.len() {
            return Err(StoreError::Invalid(format!(
                "{} scores for {} hits",
                scores.len(),
                payload.hits.len()
            )));
        }
        let unscored = HitScore::default();
        let received = now_ms();
        let rules = self.active_suppressions(&dev.tenant_id).await?;
        let mut suppressed = 0u64;
        // Rows prepared once, before the write gate (so concurrent uploads prepare theirs in
        // parallel and the gate is held only for the writes), then written with multi-row
        // INSERTs (one statement per chunk instead of one per hit).
        let mut rows = Vec::with_capacity(payload.hits.len());
        for (i, h) in payload.hits.iter().enumerate() {
            let score = scores.get(i).unwrap_or(&unscored);
            let indicators = if score.indicators.is_empty() {
                None
            } else {
                Some(
                    serde_json::to_string(&score.indicators)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                )
            };
            let samples = serde_json::to_string(&h.sample_events)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let intel = h
                .intel
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let rule = rules.iter().find(|r| {
                crate::triage::suppression_matches(r, &dev.device_id, h, &score.indicators)
            });
            let (state, by, changed_at) = match rule {
                Some(r) => {
                    suppressed += 1;
                    (
                        TriageState::Suppressed,
                        Some(format!("suppression:{}", r.id)),
                        Some(received),
                    )
                }
                None => (TriageState::New, None, None),
            };
            rows.push((
                h,
                samples,
                intel,
                state,
                by,
                changed_at,
                rule.map(|r| r.id.clone()),
                score,
                indicators,
            ));
        }
        let _gate = self.write_gate().await;
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let fresh = sqlx::query("INSERT INTO hit_batches (device_id, batch_id, received_at, hit_count) VALUES ($1, $2, $3, $4) ON CONFLICT (device_id, batch_id) DO NOTHING")
                .bind(&dev.device_id).bind(&payload.batch_id).bind(received).bind(payload.hits.len() as i64)
                .execute(&mut *tx).await?.rows_affected();
            if fresh == 0 {
                tx.rollback().await?;
                return Ok(InsertOutcome { stored: 0, suppressed: 0, duplicate: true });
            }
            for chunk in rows.chunks(INSERT_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO hits (tenant_id, device_id, batch_id, hostname, received_at, agent_version, hotlist_version, remote_ip, remote_port, protocol, process_name, pid, exe_path, sha256, first_seen, last_seen, hit_count, direction, intel, sample_events, state, state_changed_by, state_changed_at, suppression_id, risk_score, indicators, alert, kind, indicator, domain) ");
                qb.push_values(chunk, |mut b, (h, samples, intel, state, by, changed_at, rule, score, indicators)| {
                    b.push_bind(&dev.tenant_id).push_bind(&dev.device_id).push_bind(&payload.batch_id).push_bind(&payload.hostname)
                        .push_bind(received).push_bind(&payload.agent_version).push_bind(&payload.hotlist_version)
                        .push_bind(remote_ip_column(h.remote_ip)).push_bind(h.remote_port.map(i64::from)).push_bind(h.protocol.to_string())
                        .push_bind(&h.process_name).push_bind(h.pid.map(i64::from)).push_bind(&h.exe_path).push_bind(&h.sha256)
                        .push_bind(h.first_seen_utc.timestamp_millis()).push_bind(h.last_seen_utc.timestamp_millis())
                        .push_bind(i64::try_from(h.hit_count).unwrap_or(i64::MAX)).push_bind(h.direction.map(|d| d.as_str()))
                        .push_bind(intel).push_bind(samples)
                        .push_bind(state.as_str()).push_bind(by).push_bind(*changed_at).push_bind(rule)
                        .push_bind(score.risk_score).push_bind(indicators).push_bind(i64::from(score.alert))
                        .push_bind(h.kind()).push_bind(indicator_column(h)).push_bind(&h.domain);
                });
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(InsertOutcome { stored: payload.hits.len() as u64, suppressed, duplicate: false })
        })
    }

    /// The hits stored from one upload batch of a device, in upload order (empty when the
    /// batch is unknown).
    pub async fn hits_of_batch(
        &self,
        device_id: &str,
        batch_id: &str,
    ) -> Result<Vec<HitRecord>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {HIT_COLS} FROM hits WHERE device_id = $1 AND batch_id = $2 ORDER BY id")))
                .bind(device_id).bind(batch_id)
                .fetch_all(p).await?;
            rows.iter().map(hit_from_row).collect()
        })
    }

    /// Hits matching `filter`, newest first, `limit` per page (at most 1000).
    pub async fn list_hits(
        &self,
        filter: &HitFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<HitRecord>, StoreError> {
        let before = cursor.map(decode_cursor).transpose()?;
        let limit = limit.clamp(1, MAX_PAGE);
        dispatch!(self, p => {
            let rows = sqlx::query(
                sqlx::AssertSqlSafe(format!("SELECT {HIT_COLS} FROM hits \
                 WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR device_id = $2) AND ($3 IS NULL OR remote_ip = $3) \
                 AND ($4 IS NULL OR process_name = $4) AND ($5 IS NULL OR last_seen >= $5) AND ($6 IS NULL OR first_seen < $6) \
                 AND ($7 IS NULL OR id < $7) AND ($9 IS NULL OR state = $9) AND ($10 IS NULL OR sha256 = $10) \
                 AND ($11 IS NULL OR risk_score >= $11) AND ($12 IS NULL OR alert = $12) ORDER BY id DESC LIMIT $8")))
                .bind(&filter.tenant_id).bind(&filter.device_id).bind(&filter.remote_ip).bind(&filter.process_name)
                .bind(filter.since.map(|t| t.timestamp_millis())).bind(filter.until.map(|t| t.timestamp_millis()))
                .bind(before).bind(i64::from(limit) + 1).bind(filter.state.map(|s| s.as_str())).bind(&filter.sha256)
                .bind(filter.min_risk_score).bind(filter.alert.map(i64::from))
                .fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows.iter().take(limit as usize) {
                items.push(hit_from_row(r)?);
            }
            let next_cursor = if rows.len() > limit as usize { items.last().map(|h: &HitRecord| encode_cursor(h.id)) } else { None };
            Ok(Page { items, next_cursor })
        })
    }
}

/// The columns [`hit_from_row`] reads.
pub(crate) const HIT_COLS: &str = "id, tenant_id, device_id, batch_id, hostname, received_at, agent_version, hotlist_version, remote_ip, remote_port, protocol, process_name, pid, exe_path, sha256, first_seen, last_seen, hit_count, direction, intel, sample_events, state, state_changed_at, state_changed_by, suppression_id, version, risk_score, indicators, alert, domain";

/// `hits.remote_ip` of a hit: its address, or '' for a hit that is not about one (the column
/// is NOT NULL since the first schema; see migration 0007).
pub(crate) fn remote_ip_column(ip: Option<std::net::IpAddr>) -> String {
    ip.map(|i| i.to_string()).unwrap_or_default()
}

/// `hits.indicator`: the matched value of a hit of another kind than `ip` (domain, hash,
/// process name or path); NULL for address hits, which match on `remote_ip`.
pub(crate) fn indicator_column(h: &Hit) -> Option<String> {
    (h.kind() != "ip")
        .then(|| h.intel.as_ref().map(|i| i.indicator.to_ascii_lowercase()))
        .flatten()
}

pub(crate) fn hit_from_row<R>(r: &R) -> Result<HitRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt =
        |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("hit {what}: {e}"));
    let ip: String = r.try_get("remote_ip")?;
    let proto: String = r.try_get("protocol")?;
    let samples: String = r.try_get("sample_events")?;
    let intel: Option<String> = r.try_get("intel")?;
    let direction: Option<String> = r.try_get("direction")?;
    let hit = Hit {
        remote_ip: match ip.as_str() {
            "" => None,
            ip => Some(ip.parse().map_err(|e| corrupt("remote_ip", &e))?),
        },
        remote_port: r
            .try_get::<Option<i64>, _>("remote_port")?
            .and_then(|v| u16::try_from(v).ok()),
        protocol: proto.parse().map_err(|e| corrupt("protocol", &e))?,
        process_name: r.try_get("process_name")?,
        pid: r
            .try_get::<Option<i64>, _>("pid")?
            .and_then(|v| u32::try_from(v).ok()),
        exe_path: r.try_get("exe_path")?,
        sha256: r.try_get("sha256")?,
        first_seen_utc: ms_to_dt(r.try_get("first_seen")?),
        last_seen_utc: ms_to_dt(r.try_get("last_seen")?),
        hit_count: u64::try_from(r.try_get::<i64, _>("hit_count")?).unwrap_or(0),
        sample_events: serde_json::from_str(&samples).map_err(|e| corrupt("sample_events", &e))?,
        direction: direction
            .and_then(|d| serde_json::from_value(serde_json::Value::String(d)).ok()),
        intel: intel
            .map(|i| serde_json::from_str(&i))
            .transpose()
            .map_err(|e| corrupt("intel", &e))?,
        domain: r.try_get("domain")?,
    };
    Ok(HitRecord {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        device_id: r.try_get("device_id")?,
        hostname: r.try_get("hostname")?,
        batch_id: r.try_get("batch_id")?,
        received_at: ms_to_dt(r.try_get("received_at")?),
        agent_version: r.try_get("agent_version")?,
        hotlist_version: r.try_get("hotlist_version")?,
        hit,
        triage: Triage {
            state: {
                let s: String = r.try_get("state")?;
                TriageState::parse(&s).ok_or_else(|| corrupt("state", &s))?
            },
            state_changed_at: r
                .try_get::<Option<i64>, _>("state_changed_at")?
                .map(ms_to_dt),
            state_changed_by: r.try_get("state_changed_by")?,
            suppression_id: r.try_get("suppression_id")?,
            version: r.try_get("version")?,
        },
        score: HitScore {
            risk_score: r.try_get("risk_score")?,
            indicators: r
                .try_get::<Option<String>, _>("indicators")?
                .map(|i| serde_json::from_str(&i))
                .transpose()
                .map_err(|e| corrupt("indicators", &e))?
                .unwrap_or_default(),
            alert: r.try_get::<i64, _>("alert")? != 0,
        },
    })
}
