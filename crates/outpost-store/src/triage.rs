//! Triage of stored hits: states with their history, suppression rules, correlation across
//! devices, retention.
//!
//! State changes are compare-and-set on the hit's `version`, in one transaction with their
//! history row, so two analysts (or two server replicas) changing one hit at once never lose
//! an update: the second either applies on top of the first or, with `expected_version`, gets
//! a conflict.

use crate::hits::{HIT_COLS, hit_from_row};
use crate::ids::new_id;
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::Hit;
use outpost_core::api::{
    Correlation, HitRecord, NewSuppression, Suppression, Triage, TriageHistoryEntry, TriageState,
};
use sqlx::Row;

/// Whether `rule` suppresses hit `h` of device `device_id` whose detection indicators are
/// `indicators` (every set field must match).
pub fn suppression_matches(
    rule: &Suppression,
    device_id: &str,
    h: &Hit,
    indicators: &[outpost_core::Finding],
) -> bool {
    suppression_matches_fields(
        rule,
        device_id,
        h.remote_ip,
        Some(&h.process_name),
        h.sha256.as_deref(),
        indicators,
    )
}

/// Whether `rule` suppresses something of device `device_id` with these fields (a hit, or the
/// event of an alert); an unset field of the rule matches anything, a set one needs a value.
pub fn suppression_matches_fields(
    rule: &Suppression,
    device_id: &str,
    remote_ip: Option<std::net::IpAddr>,
    process_name: Option<&str>,
    sha256: Option<&str>,
    indicators: &[outpost_core::Finding],
) -> bool {
    rule.device_id.as_deref().is_none_or(|d| d == device_id)
        && rule
            .remote_ip
            .as_deref()
            .is_none_or(|ip| remote_ip.is_some_and(|r| ip_matches(ip, r)))
        && rule
            .process_name
            .as_deref()
            .is_none_or(|p| process_name == Some(p))
        && rule
            .sha256
            .as_deref()
            .is_none_or(|s| sha256.is_some_and(|hs| hs.eq_ignore_ascii_case(s)))
        && rule
            .rule_name
            .as_deref()
            .is_none_or(|r| indicators.iter().any(|i| i.rule_name == r))
}

/// A rule's `remote_ip` is an address or a CIDR range.
fn ip_matches(rule: &str, ip: std::net::IpAddr) -> bool {
    if let Ok(net) = rule.parse::<ipnet::IpNet>() {
        return net.contains(&ip.to_canonical());
    }
    rule.parse::<std::net::IpAddr>()
        .is_ok_and(|r| r.to_canonical() == ip.to_canonical())
}

/// Outcome of a state change of a hit (or, as [`crate::AlertStateChange`], of an alert).
#[derive(Debug, Clone, PartialEq)]
pub enum StateChange<T = HitRecord> {
    Changed(Box<T>),
    /// `expected_version` did not match; the record as it is now.
    Conflict(Box<T>),
}

/// What has a triage lifecycle (hits, alerts): where its state and history live, and how one
/// is read ([`Store::set_triage_state`], [`Store::triage_history`]).
pub trait Triaged: Sized + Send {
    /// The table of the records and of their history, and the history's key column.
    const TABLE: &'static str;
    const HISTORY: &'static str;
    const KEY: &'static str;
    /// For messages.
    const WHAT: &'static str;
    fn id(&self) -> i64;
    fn triage(&self) -> &Triage;
    fn triage_mut(&mut self) -> &mut Triage;
    fn tenant_id(&self) -> &str;
    /// The record `id`.
    fn load(store: &Store, id: i64) -> impl Future<Output = Result<Self, StoreError>> + Send;
}

/// The [`Triaged`] impl of a record with `id`, `tenant_id` and `triage` fields: its table,
/// history table and key column, its name, and the `Store` method that reads one.
macro_rules! triaged {
    ($ty:ty, $table:literal, $history:literal, $key:literal, $what:literal, $get:ident) => {
        impl Triaged for $ty {
            const TABLE: &'static str = $table;
            const HISTORY: &'static str = $history;
            const KEY: &'static str = $key;
            const WHAT: &'static str = $what;
            fn id(&self) -> i64 {
                self.id
            }
            fn triage(&self) -> &Triage {
                &self.triage
            }
            fn triage_mut(&mut self) -> &mut Triage {
                &mut self.triage
            }
            fn tenant_id(&self) -> &str {
                &self.tenant_id
            }
            async fn load(store: &Store, id: i64) -> Result<Self, StoreError> {
                store.$get(id).await
            }
        }
    };
}

triaged!(HitRecord, "hits", "hit_history", "hit_id", "hit", get_hit);
triaged!(
    outpost_core::api::AlertRecord,
    "alerts",
    "alert_history",
    "alert_id",
    "alert",
    get_alert
);

fn validate_suppression(n: &NewSuppression) -> Result<(), StoreError> {
    if n.device_id.is_none()
        && n.remote_ip.is_none()
        && n.process_name.is_none()
        && n.sha256.is_none()
        && n.rule_name.is_none()
    {
        return Err(StoreError::Invalid(
            "a suppression needs at least one of device_id, remote_ip, process_name, sha256, rule_name".into(),
        ));
    }
    if let Some(ip) = &n.remote_ip
        && ip.parse::<ipnet::IpNet>().is_err()
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(StoreError::Invalid(format!(
            "remote_ip {ip:?} is neither an address nor a CIDR range"
        )));
    }
    if let Some(s) = &n.sha256
        && (s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(StoreError::Invalid(
            "sha256 must be 64 hex characters".into(),
        ));
    }
    if n.reason.as_ref().is_some_and(|r| r.len() > 2000)
        || n.process_name.as_ref().is_some_and(|p| p.len() > 1024)
        || n.rule_name.as_ref().is_some_and(|p| p.len() > 1024)
    {
        return Err(StoreError::Invalid(
            "reason or process_name too long".into(),
        ));
    }
    Ok(())
}

macro_rules! suppression_from_row {
    ($r:expr) => {{
        let r = $r;
        Suppression {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            device_id: r.try_get("device_id")?,
            remote_ip: r.try_get("remote_ip")?,
            process_name: r.try_get("process_name")?,
            sha256: r.try_get("sha256")?,
            rule_name: r.try_get("rule_name")?,
            reason: r.try_get("reason")?,
            created_by: r.try_get("created_by")?,
            created_at: ms_to_dt(r.try_get("created_at")?),
            expires_at: r.try_get::<Option<i64>, _>("expires_at")?.map(ms_to_dt),
        }
    }};
}

const SUPP_COLS: &str = "id, tenant_id, device_id, remote_ip, process_name, sha256, rule_name, reason, created_by, created_at, expires_at";

impl Store {
    /// One hit by id.
    pub async fn get_hit(&self, id: i64) -> Result<HitRecord, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {HIT_COLS} FROM hits WHERE id = $1")))
                .bind(id).fetch_optional(p).await?;
            match row {
                None => Err(StoreError::NotFound(format!("hit {id}"))),
                Some(r) => hit_from_row(&r),
            }
        })
    }

    /// Changes the state of record `id` (a hit or an alert) and records who did it; with
    /// `expected_version`, only if the record is still at that version. Compare-and-set on its
    /// `version`, in one transaction with its history row; a concurrent change between the read
    /// and the write makes it read again and retry. The changed record is returned as the
    /// update left it.
    pub async fn set_triage_state<T: Triaged>(
        &self,
        id: i64,
        to: TriageState,
        actor: &str,
        note: Option<&str>,
        expected_version: Option<i64>,
    ) -> Result<StateChange<T>, StoreError> {
        let mut cur = T::load(self, id).await?;
        if note.is_some_and(|n| n.len() > 4000) {
            return Err(StoreError::Invalid("note is longer than 4000 bytes".into()));
        }
        let now = now_ms();
        let update = format!(
            "UPDATE {} SET state = $2, state_changed_at = $3, state_changed_by = $4, version = version + 1 WHERE id = $1 AND version = $5",
            T::TABLE
        );
        let history = format!(
            "INSERT INTO {} ({}, tenant_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            T::HISTORY,
            T::KEY
        );
        for attempt in 0..8 {
            if attempt > 0 {
                cur = T::load(self, id).await?;
            }
            if let Some(v) = expected_version
                && v != cur.triage().version
            {
                return Ok(StateChange::Conflict(Box::new(cur)));
            }
            let from = cur.triage().state;
            let version = cur.triage().version;
            let record_id = cur.id();
            let applied = dispatch!(self, p => {
                let mut tx = p.begin().await?;
                let n = sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                    .bind(record_id).bind(to.as_str()).bind(now).bind(actor).bind(version)
                    .execute(&mut *tx).await?.rows_affected();
                if n == 1 {
                    sqlx::query(sqlx::AssertSqlSafe(history.clone()))
                        .bind(record_id).bind(cur.tenant_id()).bind(now).bind(actor).bind(from.as_str()).bind(to.as_str()).bind(note)
                        .execute(&mut *tx).await?;
                    tx.commit().await?;
                    true
                } else {
                    tx.rollback().await?;
                    false
                }
            });
            if applied {
                let t = cur.triage_mut();
                t.state = to;
                t.state_changed_at = Some(ms_to_dt(now));
                t.state_changed_by = Some(actor.to_string());
                t.version = version + 1;
                return Ok(StateChange::Changed(Box::new(cur)));
            }
        }
        Err(StoreError::Conflict(format!(
            "{} is being changed concurrently; change",
            T::WHAT
        )))
    }

    /// The state changes of record `id` (a hit or an alert), oldest first.
    pub async fn triage_history<T: Triaged>(
        &self,
        id: i64,
    ) -> Result<Vec<TriageHistoryEntry>, StoreError> {
        let sql = format!(
            "SELECT at, actor, from_state, to_state, note FROM {} WHERE {} = $1 ORDER BY id",
            T::HISTORY,
            T::KEY
        );
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(p).await?;
            rows.iter().map(|r| {
                let from: String = r.try_get("from_state")?;
                let to: String = r.try_get("to_state")?;
                let bad = |s: &str| StoreError::Corrupt(format!("{} history state {s:?}", T::WHAT));
                Ok(TriageHistoryEntry {
                    at: ms_to_dt(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    from_state: TriageState::parse(&from).ok_or_else(|| bad(&from))?,
                    to_state: TriageState::parse(&to).ok_or_else(|| bad(&to))?,
                    note: r.try_get("note")?,
                })
            }).collect()
        })
    }

    /// Hits of the same tenant on *other* devices with the same remote IP or executable hash.
    pub async fn related_hits(
        &self,
        hit: &HitRecord,
        limit: u32,
    ) -> Result<Vec<HitRecord>, StoreError> {
        let limit = i64::from(limit.clamp(1, 1000));
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {HIT_COLS} FROM hits WHERE tenant_id = $1 AND device_id <> $2 AND ((remote_ip = $3 AND remote_ip <> '') OR ($4 IS NOT NULL AND sha256 = $4) OR ($6 IS NOT NULL AND kind = $7 AND indicator = $6)) ORDER BY id DESC LIMIT $5")))
                .bind(&hit.tenant_id).bind(&hit.device_id).bind(crate::hits::remote_ip_column(hit.hit.remote_ip)).bind(&hit.hit.sha256).bind(limit)
                .bind(crate::hits::indicator_column(&hit.hit)).bind(hit.hit.kind())
                .fetch_all(p).await?;
            rows.iter().map(hit_from_row).collect()
        })
    }

    /// Remote IPs, executable hashes and other indicators (domains, processes: `kind` is the
    /// indicator kind) seen on at least `min_devices` devices of a tenant
    /// (all tenants when `tenant_id` is `None`), most widespread first.
    pub async fn correlations(
        &self,
        tenant_id: Option<&str>,
        since: Option<chrono::DateTime<chrono::Utc>>,
        min_devices: u32,
        limit: u32,
    ) -> Result<Vec<Correlation>, StoreError> {
        let since = since.map(|t| t.timestamp_millis());
        let min = i64::from(min_devices.max(2));
        let limit = i64::from(limit.clamp(1, 1000));
        let mut out = Vec::new();
        // (kind as returned, the kind expression, the value column): addresses, executable
        // hashes, and the matched value of hits of the other indicator kinds (migration 0007).
        // (PostgreSQL refuses a constant in GROUP BY: the kind column is grouped only where it
        // is one.)
        for (kind, col, group) in [
            ("'remote_ip'", "remote_ip", "remote_ip"),
            ("'sha256'", "sha256", "sha256"),
            ("kind", "indicator", "kind, indicator"),
        ] {
            let sql = format!(
                "SELECT tenant_id, {kind} AS k, {col} AS value, COUNT(DISTINCT device_id) AS devices, CAST(SUM(hit_count) AS BIGINT) AS hits, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen \
                 FROM hits WHERE {col} IS NOT NULL AND {col} <> '' AND ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR last_seen >= $2) \
                 GROUP BY tenant_id, {group} HAVING COUNT(DISTINCT device_id) >= $3 ORDER BY devices DESC, hits DESC LIMIT $4"
            );
            let mut part: Vec<Correlation> = dispatch!(self, p => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(since).bind(min).bind(limit).fetch_all(p).await?;
                rows.iter().map(|r| -> Result<Correlation, StoreError> {
                    Ok(Correlation {
                        tenant_id: r.try_get("tenant_id")?,
                        kind: r.try_get("k")?,
                        value: r.try_get("value")?,
                        devices: u64::try_from(r.try_get::<i64, _>("devices")?).unwrap_or(0),
                        hits: u64::try_from(r.try_get::<i64, _>("hits")?).unwrap_or(0),
                        first_seen_utc: ms_to_dt(r.try_get("first_seen")?),
                        last_seen_utc: ms_to_dt(r.try_get("last_seen")?),
                    })
                }).collect::<Result<Vec<_>, _>>()?
            });
            out.append(&mut part);
        }
        out.sort_by(|a, b| b.devices.cmp(&a.devices).then(b.hits.cmp(&a.hits)));
        out.truncate(usize::try_from(limit).unwrap_or(1000));
        Ok(out)
    }

    /// Creates a suppression rule. Hits already stored that match it are not changed
    /// (use the state API for those); hits ingested from now on are.
    pub async fn create_suppression(
        &self,
        n: &NewSuppression,
        created_by: &str,
    ) -> Result<Suppression, StoreError> {
        validate_suppression(n)?;
        self.find_tenant(&n.tenant_id).await?;
        let s = Suppression {
            id: new_id(),
            tenant_id: n.tenant_id.clone(),
            device_id: n.device_id.clone(),
            remote_ip: n.remote_ip.clone(),
            process_name: n.process_name.clone(),
            sha256: n.sha256.as_ref().map(|h| h.to_ascii_lowercase()),
            rule_name: n.rule_name.clone(),
            reason: n.reason.clone(),
            created_by: created_by.to_string(),
            created_at: ms_to_dt(now_ms()),
            expires_at: n.expires_at,
        };
        dispatch!(self, p => {
            sqlx::query("INSERT INTO suppressions (id, tenant_id, device_id, remote_ip, process_name, sha256, reason, created_by, created_at, expires_at, rule_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(&s.id).bind(&s.tenant_id).bind(&s.device_id).bind(&s.remote_ip).bind(&s.process_name)
                .bind(&s.sha256).bind(&s.reason).bind(&s.created_by).bind(s.created_at.timestamp_millis())
                .bind(s.expires_at.map(|t| t.timestamp_millis())).bind(&s.rule_name)
                .execute(p).await?;
        });
        Ok(s)
    }

    /// Suppression rules that are in force (not deleted, not expired), optionally of one tenant.
    pub async fn list_suppressions(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<Suppression>, StoreError> {
        let now = now_ms();
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SUPP_COLS} FROM suppressions WHERE ($1 IS NULL OR tenant_id = $1) AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at, id")))
                .bind(tenant_id).bind(now).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(suppression_from_row!(r)); }
            Ok(out)
        })
    }

    /// The rules in force for one tenant (used at ingest).
    pub async fn active_suppressions(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<Suppression>, StoreError> {
        self.list_suppressions(Some(tenant_id)).await
    }

    pub async fn get_suppression(&self, id: &str) -> Result<Suppression, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SUPP_COLS} FROM suppressions WHERE id = $1 AND deleted_at IS NULL")))
                .bind(id).fetch_optional(p).await?;
            match row {
                None => Err(StoreError::NotFound(format!("suppression {id:?}"))),
                Some(r) => Ok(suppression_from_row!(&r)),
            }
        })
    }

    pub async fn delete_suppression(&self, id: &str) -> Result<(), StoreError> {
        let n = dispatch!(self, p => {
            sqlx::query("UPDATE suppressions SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
                .bind(id).bind(now_ms()).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound(format!("suppression {id:?}")));
        }
        Ok(())
    }

    /// Retention: deletes hits received before `before` (with their history), batch records,
    /// alerts from telemetry (with their history) and sightings older than that; returns the
    /// number of hits deleted.
    pub async fn purge_hits_before(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let t = before.timestamp_millis();
        Ok(dispatch!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM hit_history WHERE hit_id IN (SELECT id FROM hits WHERE received_at < $1)").bind(t).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM hits WHERE received_at < $1").bind(t).execute(&mut *tx).await?.rows_affected();
            sqlx::query("DELETE FROM hit_batches WHERE received_at < $1").bind(t).execute(&mut *tx).await?;
            // Alerts from telemetry and sightings age out with the hits.
            sqlx::query("DELETE FROM sightings WHERE created_at < $1").bind(t).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM alert_history WHERE alert_id IN (SELECT id FROM alerts WHERE created_at < $1)").bind(t).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM alerts WHERE created_at < $1").bind(t).execute(&mut *tx).await?;
            tx.commit().await?;
            n
        }))
    }
}
