//! Read-only queries of the web UI: dashboard aggregates computed in SQL (never by loading
//! hits), and the hit list with a choice of sort order under keyset (cursor) paging.

use crate::hits::{HIT_COLS, HitFilter, hit_from_row};
use crate::{Store, StoreError, dispatch};
use chrono::{DateTime, Utc};
use outpost_core::api::{HitRecord, Page, TriageState};
use sqlx::Row;

/// One bucket of the hits-over-time chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeBucket {
    /// Start of the bucket (Unix milliseconds).
    pub start_ms: i64,
    pub hits: i64,
}

/// A value and how many hits carry it (top remote IPs, top processes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopValue {
    pub value: String,
    pub hits: i64,
    /// Sum of the hits' event counts.
    pub events: i64,
}

/// Sort orders of the UI's hit list. Each is a keyset order `(key, id)`, so pages are
/// fetched with `LIMIT` and a cursor, never `OFFSET`. Only orders an index serves are
/// offered (sorting 100,000 rows by `last_seen` or `hit_count` without an index took
/// 100-500 ms on SQLite).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HitSort {
    /// Most recently stored first (`id` descending).
    #[default]
    Newest,
    /// Oldest stored first.
    Oldest,
    /// Highest risk score first.
    Score,
}

impl HitSort {
    pub const ALL: [HitSort; 3] = [HitSort::Newest, HitSort::Oldest, HitSort::Score];

    pub fn as_str(self) -> &'static str {
        match self {
            HitSort::Newest => "newest",
            HitSort::Oldest => "oldest",
            HitSort::Score => "score",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HitSort::Newest => "Newest first",
            HitSort::Oldest => "Oldest first",
            HitSort::Score => "Highest risk first",
        }
    }

    pub fn parse(s: &str) -> Option<HitSort> {
        HitSort::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// The key column (a fixed identifier, never user text) and whether it descends.
    fn key(self) -> (&'static str, bool) {
        match self {
            HitSort::Newest => ("id", true),
            HitSort::Oldest => ("id", false),
            HitSort::Score => ("risk_score", true),
        }
    }

    fn key_of(self, h: &HitRecord) -> i64 {
        match self {
            HitSort::Newest | HitSort::Oldest => h.id,
            HitSort::Score => h.score.risk_score,
        }
    }
}

/// A severity band of the risk score (dashboard "open hits by severity").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Severity {
    /// `critical`, `high`, `medium`, `low`.
    pub name: &'static str,
    /// Lowest risk score in the band.
    pub min: i64,
    /// First risk score above the band.
    pub max: i64,
}

/// The bands, highest first: critical ≥ 150, high 100–149, medium 50–99, low below 50.
pub const SEVERITY_BANDS: [Severity; 4] = [
    Severity {
        name: "critical",
        min: 150,
        max: i64::MAX,
    },
    Severity {
        name: "high",
        min: 100,
        max: 150,
    },
    Severity {
        name: "medium",
        min: 50,
        max: 100,
    },
    Severity {
        name: "low",
        min: i64::MIN,
        max: 50,
    },
];

/// A UI cursor: `<key>_<id>` of the last row of the previous page.
fn encode_ui_cursor(key: i64, id: i64) -> String {
    format!("{key}_{id}")
}

fn decode_ui_cursor(c: &str) -> Result<(i64, i64), StoreError> {
    let bad = || StoreError::Invalid("malformed cursor".into());
    let (k, i) = c.rsplit_once('_').ok_or_else(bad)?;
    Ok((k.parse().map_err(|_| bad())?, i.parse().map_err(|_| bad())?))
}

const MAX_UI_PAGE: u32 = 500;

/// How many of the newest hits the dashboard's "top" tables look at.
pub const TOP_SAMPLE: i64 = 5000;

/// The tenant condition of the dashboard counts and the number of its first free
/// parameter. "All tenants" is spelled as an `IN` over the tenants so that the
/// `(tenant_id, …)` indexes are used for every tenant.
fn tenant_cond(tenant_id: Option<&str>) -> (&'static str, usize) {
    match tenant_id {
        Some(_) => ("tenant_id = $1", 2),
        None => ("tenant_id IN (SELECT id FROM tenants)", 1),
    }
}

impl Store {
    /// Hits per time bucket, by first sighting: bucket `i` is
    /// `[start + i*bucket_ms, start + (i+1)*bucket_ms)`, for one tenant or all. One range
    /// count per bucket over the `(tenant_id, first_seen)` index (index-only, no row reads).
    pub async fn ui_hits_over_time(
        &self,
        tenant_id: Option<&str>,
        start: DateTime<Utc>,
        bucket_ms: i64,
        buckets: usize,
    ) -> Result<Vec<TimeBucket>, StoreError> {
        let bucket_ms = bucket_ms.max(1000);
        let buckets = buckets.clamp(1, 200);
        let start_ms = start.timestamp_millis();
        let (cond, first) = tenant_cond(tenant_id);
        let cols: Vec<String> = (0..buckets)
            .map(|i| {
                let a = first + 2 * i;
                format!(
                    "(SELECT COUNT(*) FROM hits WHERE {cond} AND first_seen >= ${a} AND first_seen < ${}) AS c{i}",
                    a + 1
                )
            })
            .collect();
        let sql = format!("SELECT {}", cols.join(", "));
        dispatch!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            if let Some(t) = tenant_id { q = q.bind(t); }
            for i in 0..buckets as i64 {
                q = q.bind(start_ms + i * bucket_ms).bind(start_ms + (i + 1) * bucket_ms);
            }
            let row = q.fetch_one(p).await?;
            let mut out = Vec::with_capacity(buckets);
            for i in 0..buckets {
                out.push(TimeBucket { start_ms: start_ms + i as i64 * bucket_ms, hits: row.try_get(i)? });
            }
            Ok(out)
        })
    }

    /// The remote IPs with the most hits among the latest [`TOP_SAMPLE`] hits received at
    /// or after `since`.
    pub async fn ui_top_remote_ips(
        &self,
        tenant_id: Option<&str>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TopValue>, StoreError> {
        self.ui_top("remote_ip", tenant_id, since, limit).await
    }

    /// The process names with the most hits among the latest [`TOP_SAMPLE`] hits received
    /// at or after `since`.
    pub async fn ui_top_processes(
        &self,
        tenant_id: Option<&str>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TopValue>, StoreError> {
        self.ui_top("process_name", tenant_id, since, limit).await
    }

    /// `column` is one of our fixed identifiers, never caller text. Bounded work: the
    /// newest [`TOP_SAMPLE`] hits (primary-key order, from the first id received at or after
    /// `since`, found on the `received_at` index; ids grow with receipt), then grouped.
    async fn ui_top(
        &self,
        column: &'static str,
        tenant_id: Option<&str>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TopValue>, StoreError> {
        let limit = i64::from(limit.clamp(1, 100));
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT v, COUNT(*) AS n, CAST(SUM(c) AS BIGINT) AS e FROM \
                 (SELECT {column} AS v, hit_count AS c FROM hits WHERE ($1 IS NULL OR tenant_id = $1) AND id >= (SELECT MIN(id) FROM hits WHERE received_at >= $2) ORDER BY id DESC LIMIT $4) recent \
                 WHERE v IS NOT NULL AND v <> '' GROUP BY v ORDER BY n DESC, v LIMIT $3")))
                .bind(tenant_id).bind(since.timestamp_millis()).bind(limit).bind(TOP_SAMPLE)
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(TopValue {
                    value: r.try_get("v")?,
                    hits: r.try_get("n")?,
                    events: r.try_get::<Option<i64>, _>("e")?.unwrap_or(0),
                });
            }
            Ok(out)
        })
    }

    /// Open (`new`) hits per severity band of their risk score, for one tenant or all:
    /// `(band, count)` for every band of [`SEVERITY_BANDS`], highest first.
    pub async fn ui_open_by_severity(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<(Severity, i64)>, StoreError> {
        let (cond, first) = tenant_cond(tenant_id);
        let cols: Vec<String> = SEVERITY_BANDS
            .iter()
            .enumerate()
            .map(|(i, _)| {
                format!(
                    "(SELECT COUNT(*) FROM hits WHERE {cond} AND state = 'new' AND risk_score >= ${} AND risk_score < ${}) AS b{i}",
                    first + 2 * i,
                    first + 2 * i + 1
                )
            })
            .collect();
        let sql = format!("SELECT {}", cols.join(", "));
        dispatch!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            if let Some(t) = tenant_id { q = q.bind(t); }
            for b in SEVERITY_BANDS { q = q.bind(b.min).bind(b.max); }
            let row = q.fetch_one(p).await?;
            let mut out = Vec::with_capacity(SEVERITY_BANDS.len());
            for (i, b) in SEVERITY_BANDS.iter().enumerate() {
                out.push((*b, row.try_get::<i64, _>(i)?));
            }
            Ok(out)
        })
    }

    /// Number of hits in each state, for one tenant or all: one index-only count per state
    /// over `(tenant_id, state, id)`.
    pub async fn ui_state_counts(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<(TriageState, i64)>, StoreError> {
        let (cond, first) = tenant_cond(tenant_id);
        let cols: Vec<String> = TriageState::ALL
            .iter()
            .enumerate()
            .map(|(i, _)| {
                format!(
                    "(SELECT COUNT(*) FROM hits WHERE {cond} AND state = ${}) AS s{i}",
                    first + i
                )
            })
            .collect();
        let sql = format!("SELECT {}", cols.join(", "));
        dispatch!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            if let Some(t) = tenant_id { q = q.bind(t); }
            for s in TriageState::ALL { q = q.bind(s.as_str()); }
            let row = q.fetch_one(p).await?;
            let mut out = Vec::with_capacity(TriageState::ALL.len());
            for (i, s) in TriageState::ALL.iter().enumerate() {
                out.push((*s, row.try_get::<i64, _>(i)?));
            }
            Ok(out)
        })
    }

    /// The id of the newest hit visible to `tenant_id` (all tenants when `None`), or 0.
    pub async fn ui_latest_hit_id(&self, tenant_id: Option<&str>) -> Result<i64, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT MAX(id) AS m FROM hits WHERE ($1 IS NULL OR tenant_id = $1)")
                .bind(tenant_id).fetch_one(p).await?;
            Ok(row.try_get::<Option<i64>, _>("m")?.unwrap_or(0))
        })
    }

    /// Hits matching `filter` in `sort` order, `limit` per page (at most 500), with a cursor
    /// for the next page.
    pub async fn ui_list_hits(
        &self,
        filter: &HitFilter,
        sort: HitSort,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<HitRecord>, StoreError> {
        let after = cursor.map(decode_ui_cursor).transpose()?;
        let limit = limit.clamp(1, MAX_UI_PAGE);
        let (col, desc) = sort.key();
        let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
        let keyset = if col == "id" {
            format!("($10 IS NULL OR id {cmp} $11)")
        } else {
            format!("($10 IS NULL OR {col} {cmp} $10 OR ({col} = $10 AND id {cmp} $11))")
        };
        let order = if col == "id" {
            format!("id {dir}")
        } else {
            format!("{col} {dir}, id {dir}")
        };
        let sql = format!(
            "SELECT {HIT_COLS} FROM hits \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR device_id = $2) AND ($3 IS NULL OR remote_ip = $3) \
             AND ($4 IS NULL OR process_name = $4) AND ($5 IS NULL OR last_seen >= $5) AND ($6 IS NULL OR first_seen < $6) \
             AND ($7 IS NULL OR state = $7) AND ($8 IS NULL OR sha256 = $8) AND {keyset} \
             AND ($12 IS NULL OR risk_score >= $12) AND ($13 IS NULL OR alert = $13) \
             ORDER BY {order} LIMIT $9"
        );
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&filter.tenant_id).bind(&filter.device_id).bind(&filter.remote_ip).bind(&filter.process_name)
                .bind(filter.since.map(|t| t.timestamp_millis())).bind(filter.until.map(|t| t.timestamp_millis()))
                .bind(filter.state.map(|s| s.as_str())).bind(&filter.sha256)
                .bind(i64::from(limit) + 1)
                .bind(after.map(|a| a.0)).bind(after.map(|a| a.1))
                .bind(filter.min_risk_score).bind(filter.alert.map(i64::from))
                .fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows.iter().take(limit as usize) {
                items.push(hit_from_row(r)?);
            }
            let next_cursor = if rows.len() > limit as usize {
                items.last().map(|h: &HitRecord| encode_ui_cursor(sort.key_of(h), h.id))
            } else {
                None
            };
            Ok(Page { items, next_cursor })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        assert_eq!(
            decode_ui_cursor(&encode_ui_cursor(-5, 42)).ok(),
            Some((-5, 42))
        );
        assert!(decode_ui_cursor("nope").is_err());
        assert!(decode_ui_cursor("1_x").is_err());
        for s in HitSort::ALL {
            assert_eq!(HitSort::parse(s.as_str()), Some(s));
        }
    }
}
