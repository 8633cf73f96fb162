//! Learned behaviour profiles shared by every server replica.
//!
//! Each replica learns in memory and periodically merges what it learned here
//! ([`Store::merge_profiles`]: set union, capped per dimension), then reads what the others
//! merged since its last read ([`Store::profiles_changed_since`]). Every merge and reset takes
//! the next value of the single-row `profile_rev` counter in its transaction, which also
//! serializes them, so revisions become visible in increasing order. A reset
//! ([`Store::reset_profiles`]) empties the profile and increases its `epoch`; a merge of an
//! older epoch is discarded.

use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::api::{Page, ProfileDelta, ProfileRecord};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeSet;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Sets {
    #[serde(default)]
    command_lines: BTreeSet<String>,
    #[serde(default)]
    children: BTreeSet<String>,
    #[serde(default)]
    destinations: BTreeSet<String>,
    #[serde(default)]
    files: BTreeSet<String>,
}

const COLS: &str = "tenant_id, subject, epoch, first_seen, learning_until, data, events_learned, deviations, rev, updated_at";

macro_rules! profile_from_row {
    ($r:expr, $now:expr) => {{
        let r = $r;
        let data: String = r.try_get("data")?;
        let sets: Sets = serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("profile data: {e}")))?;
        let first_seen: Option<i64> = r.try_get("first_seen")?;
        let learning_until: Option<i64> = r.try_get("learning_until")?;
        let status = match learning_until {
            Some(u) if u < $now => "profiled",
            _ => "learning",
        };
        let rec = ProfileRecord {
            tenant_id: r.try_get("tenant_id")?,
            subject: r.try_get("subject")?,
            status: status.to_string(),
            epoch: r.try_get("epoch")?,
            first_seen: first_seen.map(ms_to_dt),
            learning_until: learning_until.map(ms_to_dt),
            command_lines: sets.command_lines.into_iter().collect(),
            children: sets.children.into_iter().collect(),
            destinations: sets.destinations.into_iter().collect(),
            files: sets.files.into_iter().collect(),
            events_learned: r.try_get("events_learned")?,
            deviations: r.try_get("deviations")?,
            updated_at: ms_to_dt(r.try_get("updated_at")?),
        };
        let rev: i64 = r.try_get("rev")?;
        (rec, rev)
    }};
}

fn union_capped(set: &mut BTreeSet<String>, items: &[String], max: usize) {
    for i in items {
        if set.len() >= max {
            break;
        }
        set.insert(i.clone());
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Store {
    /// Merges replicas' learning (see the module docs): the changes of each tenant's profiles
    /// since the replica's last merge. `max_items` caps each dimension. Returns how many
    /// changes applied (stale epochs are skipped).
    pub async fn merge_profiles(
        &self,
        changes: &[(String, Vec<ProfileDelta>)],
        max_items: usize,
    ) -> Result<u64, StoreError> {
        if changes.iter().all(|(_, d)| d.is_empty()) {
            return Ok(0);
        }
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let now = now_ms();
        let mut applied = 0u64;
        let _gate = self.write_gate().await;
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let rev: i64 = sqlx::query_scalar("UPDATE profile_rev SET rev = rev + 1 WHERE id = 1 RETURNING rev")
                .fetch_one(&mut *tx).await?;
            for (tenant_id, deltas) in changes {
            for m in deltas {
                let row = sqlx::query("SELECT epoch, first_seen, learning_until, data, events_learned, deviations FROM profiles WHERE tenant_id = $1 AND subject = $2")
                    .bind(tenant_id).bind(&m.subject).fetch_optional(&mut *tx).await?;
                let first = m.first_seen.map(|t| t.timestamp_millis());
                let until = m.learning_until.map(|t| t.timestamp_millis());
                match row {
                    None => {
                        let mut sets = Sets::default();
                        union_capped(&mut sets.command_lines, &m.command_lines, max_items);
                        union_capped(&mut sets.children, &m.children, max_items);
                        union_capped(&mut sets.destinations, &m.destinations, max_items);
                        union_capped(&mut sets.files, &m.files, max_items);
                        let data = serde_json::to_string(&sets).map_err(|e| StoreError::Invalid(e.to_string()))?;
                        sqlx::query("INSERT INTO profiles (tenant_id, subject, epoch, first_seen, learning_until, data, events_learned, deviations, rev, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                            .bind(tenant_id).bind(&m.subject).bind(count(m.epoch)).bind(first).bind(until).bind(data)
                            .bind(count(m.events_learned)).bind(count(m.deviations)).bind(rev).bind(now)
                            .execute(&mut *tx).await?;
                        applied += 1;
                    }
                    Some(r) => {
                        let epoch: i64 = r.try_get("epoch")?;
                        if epoch != count(m.epoch) {
                            // Learning from before a reset (or a replica that has not seen
                            // the reset yet): dropped.
                            continue;
                        }
                        let data: String = r.try_get("data")?;
                        let mut sets: Sets = serde_json::from_str(&data)
                            .map_err(|e| StoreError::Corrupt(format!("profile data: {e}")))?;
                        union_capped(&mut sets.command_lines, &m.command_lines, max_items);
                        union_capped(&mut sets.children, &m.children, max_items);
                        union_capped(&mut sets.destinations, &m.destinations, max_items);
                        union_capped(&mut sets.files, &m.files, max_items);
                        let data = serde_json::to_string(&sets).map_err(|e| StoreError::Invalid(e.to_string()))?;
                        let first = min_opt(r.try_get("first_seen")?, first);
                        let until = min_opt(r.try_get("learning_until")?, until);
                        let learned: i64 = r.try_get("events_learned")?;
                        let deviations: i64 = r.try_get("deviations")?;
                        sqlx::query("UPDATE profiles SET first_seen = $3, learning_until = $4, data = $5, events_learned = $6, deviations = $7, rev = $8, updated_at = $9 WHERE tenant_id = $1 AND subject = $2")
                            .bind(tenant_id).bind(&m.subject).bind(first).bind(until).bind(data)
                            .bind(learned.saturating_add(count(m.events_learned))).bind(deviations.saturating_add(count(m.deviations)))
                            .bind(rev).bind(now)
                            .execute(&mut *tx).await?;
                        applied += 1;
                    }
                }
            }
            }
            tx.commit().await?;
        });
        Ok(applied)
    }

    /// Profiles merged or reset after revision `rev`, oldest change first, with the highest
    /// revision read (`rev` when nothing changed).
    pub async fn profiles_changed_since(
        &self,
        rev: i64,
    ) -> Result<(Vec<ProfileRecord>, i64), StoreError> {
        let now = now_ms();
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM profiles WHERE rev > $1 ORDER BY rev")))
                .bind(rev).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            let mut max = rev;
            for r in &rows {
                let (rec, rv) = profile_from_row!(r, now);
                max = max.max(rv);
                out.push(rec);
            }
            Ok((out, max))
        })
    }

    /// A tenant's profiles (all tenants when `tenant_id` is `None`), by tenant and subject;
    /// `status` filters `learning` / `profiled`. The cursor is the last subject of a page.
    pub async fn list_profiles(
        &self,
        tenant_id: Option<&str>,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ProfileRecord>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let now = now_ms();
        let after = cursor.map(decode_profile_cursor).transpose()?;
        let (after_t, after_s) = match &after {
            Some((t, s)) => (Some(t.as_str()), Some(s.as_str())),
            None => (None, None),
        };
        // Status is derived from learning_until, so it filters in SQL on the same rule.
        let (learning, profiled) = match status {
            None => (None, None),
            Some("learning") => (Some(now), None),
            Some("profiled") => (None, Some(now)),
            Some(other) => {
                return Err(StoreError::Invalid(format!(
                    "status {other:?} is not learning or profiled"
                )));
            }
        };
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM profiles \
                 WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR tenant_id > $2 OR (tenant_id = $2 AND subject > $3)) \
                 AND ($4 IS NULL OR learning_until IS NULL OR learning_until >= $4) AND ($5 IS NULL OR learning_until < $5) \
                 ORDER BY tenant_id, subject LIMIT $6")))
                .bind(tenant_id).bind(after_t).bind(after_s).bind(learning).bind(profiled).bind(i64::from(limit) + 1)
                .fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows.iter().take(limit as usize) {
                items.push(profile_from_row!(r, now).0);
            }
            let next_cursor = if rows.len() > limit as usize {
                items.last().map(|p: &ProfileRecord| encode_profile_cursor(&p.tenant_id, &p.subject))
            } else {
                None
            };
            Ok(Page { items, next_cursor })
        })
    }

    /// One profile.
    pub async fn get_profile(
        &self,
        tenant_id: &str,
        subject: &str,
    ) -> Result<ProfileRecord, StoreError> {
        let now = now_ms();
        dispatch!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM profiles WHERE tenant_id = $1 AND subject = $2")))
                .bind(tenant_id).bind(subject).fetch_optional(p).await?;
            match row {
                None => Err(StoreError::NotFound(format!("profile {subject:?}"))),
                Some(r) => Ok(profile_from_row!(&r, now).0),
            }
        })
    }

    /// Forgets one subject's profile, or all of a tenant's: it is emptied and its epoch
    /// increases, so every replica drops what it learned and learning starts again. Returns
    /// how many profiles were reset.
    pub async fn reset_profiles(
        &self,
        tenant_id: &str,
        subject: Option<&str>,
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        Ok(dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let rev: i64 = sqlx::query_scalar("UPDATE profile_rev SET rev = rev + 1 WHERE id = 1 RETURNING rev")
                .fetch_one(&mut *tx).await?;
            let n = sqlx::query("UPDATE profiles SET epoch = epoch + 1, first_seen = NULL, learning_until = NULL, data = '{}', events_learned = 0, deviations = 0, rev = $3, updated_at = $4 \
                 WHERE tenant_id = $1 AND ($2 IS NULL OR subject = $2)")
                .bind(tenant_id).bind(subject).bind(rev).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            n
        }))
    }
}

fn encode_profile_cursor(tenant: &str, subject: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{tenant}\n{subject}"))
}

fn decode_profile_cursor(c: &str) -> Result<(String, String), StoreError> {
    use base64::Engine;
    let bad = || StoreError::Invalid("malformed cursor".into());
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (t, sub) = s.split_once('\n').ok_or_else(bad)?;
    Ok((t.to_string(), sub.to_string()))
}
