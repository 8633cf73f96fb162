//! Per-tenant intel: indicators and allowlisted networks a tenant's bundle adds to (and
//! subtracts from) the global feeds, and the tenant's intel revision.
//!
//! Values arrive normalized (the server parses them with `outpost-intel`); the store keeps them
//! as text. Every change bumps `intel_revisions` in the same transaction, so a server replica
//! that cached a tenant's bundle sees the change at the next request.

use crate::ids::new_id;
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::api::{AllowlistEntry, NewAllowlistEntry, NewTenantIndicator, TenantIndicator};
use sqlx::Row;

const IND_COLS: &str =
    "id, tenant_id, kind, value, score, source, expires_at, created_by, created_at";
const ALLOW_COLS: &str = "id, tenant_id, network, reason, created_by, created_at";

/// The revision of a tenant's intel: bumped with every change of its indicators or allowlist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntelRevision {
    /// 0 before the first change.
    pub revision: i64,
    /// When the last change happened.
    pub changed_at: Option<chrono::DateTime<chrono::Utc>>,
}

macro_rules! indicator_from_row {
    ($r:expr) => {{
        let r = $r;
        let score: Option<i64> = r.try_get("score")?;
        let expires: Option<i64> = r.try_get("expires_at")?;
        TenantIndicator {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            kind: r.try_get("kind")?,
            value: r.try_get("value")?,
            score: score.and_then(|s| u32::try_from(s).ok()),
            source: r.try_get("source")?,
            expires_at: expires.map(ms_to_dt),
            created_by: r.try_get("created_by")?,
            created_at: ms_to_dt(r.try_get("created_at")?),
        }
    }};
}

macro_rules! allow_from_row {
    ($r:expr) => {{
        let r = $r;
        AllowlistEntry {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            network: r.try_get("network")?,
            reason: r.try_get("reason")?,
            created_by: r.try_get("created_by")?,
            created_at: ms_to_dt(r.try_get("created_at")?),
        }
    }};
}

const BUMP: &str = "INSERT INTO intel_revisions (tenant_id, revision, changed_at) VALUES ($1, 1, $2) ON CONFLICT (tenant_id) DO UPDATE SET revision = intel_revisions.revision + 1, changed_at = $2";

impl Store {
    /// Adds an indicator to a tenant's intel (kind and value already validated and normalized).
    /// The same (tenant, kind, value) twice is a conflict.
    pub async fn create_tenant_indicator(
        &self,
        n: &NewTenantIndicator,
        created_by: &str,
    ) -> Result<TenantIndicator, StoreError> {
        self.find_tenant(&n.tenant_id).await?;
        let now = now_ms();
        let ind = TenantIndicator {
            id: new_id(),
            tenant_id: n.tenant_id.clone(),
            kind: n.kind.clone(),
            value: n.value.clone(),
            score: n.score,
            source: n.source.clone(),
            expires_at: n.expires_at.map(|t| ms_to_dt(t.timestamp_millis())),
            created_by: created_by.to_string(),
            created_at: ms_to_dt(now),
        };
        let inserted = dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("INSERT INTO tenant_indicators (id, tenant_id, kind, value, score, source, expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, kind, value) DO NOTHING")
                .bind(&ind.id).bind(&ind.tenant_id).bind(&ind.kind).bind(&ind.value)
                .bind(ind.score.map(i64::from)).bind(&ind.source)
                .bind(ind.expires_at.map(|t| t.timestamp_millis()))
                .bind(&ind.created_by).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                sqlx::query(BUMP).bind(&ind.tenant_id).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            n
        });
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "indicator {} {:?} of this tenant",
                ind.kind, ind.value
            )));
        }
        Ok(ind)
    }

    /// Indicators, optionally of one tenant, oldest first.
    pub async fn list_tenant_indicators(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<TenantIndicator>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {IND_COLS} FROM tenant_indicators WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY created_at, id")))
                .bind(tenant_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(indicator_from_row!(r)); }
            Ok(out)
        })
    }

    /// One tenant indicator.
    pub async fn get_tenant_indicator(&self, id: &str) -> Result<TenantIndicator, StoreError> {
        dispatch!(self, p => {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {IND_COLS} FROM tenant_indicators WHERE id = $1")))
                .bind(id).fetch_optional(p).await?
                .ok_or_else(|| StoreError::NotFound(format!("indicator {id:?}")))?;
            Ok(indicator_from_row!(&r))
        })
    }

    /// Removes a tenant indicator.
    pub async fn delete_tenant_indicator(&self, id: &str) -> Result<(), StoreError> {
        let ind = self.get_tenant_indicator(id).await?;
        let now = now_ms();
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("DELETE FROM tenant_indicators WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("indicator {id:?}")));
            }
            sqlx::query(BUMP).bind(&ind.tenant_id).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Allowlists a network (already validated and normalized) for a tenant.
    pub async fn create_allowlist_entry(
        &self,
        n: &NewAllowlistEntry,
        created_by: &str,
    ) -> Result<AllowlistEntry, StoreError> {
        self.find_tenant(&n.tenant_id).await?;
        let now = now_ms();
        let e = AllowlistEntry {
            id: new_id(),
            tenant_id: n.tenant_id.clone(),
            network: n.network.clone(),
            reason: n.reason.clone(),
            created_by: created_by.to_string(),
            created_at: ms_to_dt(now),
        };
        let inserted = dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("INSERT INTO tenant_allowlist (id, tenant_id, network, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, network) DO NOTHING")
                .bind(&e.id).bind(&e.tenant_id).bind(&e.network).bind(&e.reason).bind(&e.created_by).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                sqlx::query(BUMP).bind(&e.tenant_id).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            n
        });
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "allowlisted network {:?} of this tenant",
                e.network
            )));
        }
        Ok(e)
    }

    /// Allowlisted networks, optionally of one tenant, oldest first.
    pub async fn list_allowlist(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<AllowlistEntry>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ALLOW_COLS} FROM tenant_allowlist WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY created_at, id")))
                .bind(tenant_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(allow_from_row!(r)); }
            Ok(out)
        })
    }

    /// One allowlist entry.
    pub async fn get_allowlist_entry(&self, id: &str) -> Result<AllowlistEntry, StoreError> {
        dispatch!(self, p => {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ALLOW_COLS} FROM tenant_allowlist WHERE id = $1")))
                .bind(id).fetch_optional(p).await?
                .ok_or_else(|| StoreError::NotFound(format!("allowlist entry {id:?}")))?;
            Ok(allow_from_row!(&r))
        })
    }

    /// Removes an allowlist entry.
    pub async fn delete_allowlist_entry(&self, id: &str) -> Result<(), StoreError> {
        let e = self.get_allowlist_entry(id).await?;
        let now = now_ms();
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("DELETE FROM tenant_allowlist WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("allowlist entry {id:?}")));
            }
            sqlx::query(BUMP).bind(&e.tenant_id).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The tenant's intel revision (one indexed read: cheap enough for every bundle request).
    pub async fn intel_revision(&self, tenant_id: &str) -> Result<IntelRevision, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT revision, changed_at FROM intel_revisions WHERE tenant_id = $1")
                .bind(tenant_id).fetch_optional(p).await?;
            match row {
                None => Ok(IntelRevision::default()),
                Some(r) => {
                    let at: i64 = r.try_get("changed_at")?;
                    Ok(IntelRevision { revision: r.try_get("revision")?, changed_at: Some(ms_to_dt(at)) })
                }
            }
        })
    }

    /// Records `public_key` (hex, with its `key_id`) as this database's intel signing key
    /// unless one is recorded already, and returns the recorded `(public_key, key_id)` — ours
    /// when we were first. Replicas compare it with their own key at start.
    pub async fn record_intel_signing_key(
        &self,
        public_key: &str,
        key_id: &str,
    ) -> Result<(String, String), StoreError> {
        dispatch!(self, p => {
            sqlx::query("INSERT INTO intel_signing_key (id, public_key, key_id, recorded_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING")
                .bind(public_key).bind(key_id).bind(now_ms()).execute(p).await?;
            let r = sqlx::query("SELECT public_key, key_id FROM intel_signing_key WHERE id = 1")
                .fetch_one(p).await?;
            Ok((r.try_get("public_key")?, r.try_get("key_id")?))
        })
    }
}
