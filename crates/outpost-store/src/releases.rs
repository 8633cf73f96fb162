//! Agent releases (content-addressed files), rollouts, devices' update status and history
//!. Policy — who may upload, which devices a stage includes, when a rollout
//! advances or pauses — is the server's; this is storage.

use crate::ids::new_id;
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::api::{Release, Rollout, UpdateEvent, UpdateReport};
use sqlx::Row;

/// A release to store (its signature already checked by the caller).
#[derive(Debug, Clone)]
pub struct NewRelease<'a> {
    pub os: &'a str,
    pub arch: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    pub signature: &'a str,
}

/// A rollout to create (validated by the caller).
#[derive(Debug, Clone)]
pub struct NewRolloutRow<'a> {
    pub release_id: &'a str,
    pub tenant_id: Option<&'a str>,
    pub canary: &'a [String],
    pub percents: &'a [u32],
    pub healthy_secs: u64,
    pub failure_threshold: u64,
    pub rollback: bool,
    pub created_by: &'a str,
}

/// A device's place in a rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutDevice {
    pub device_id: String,
    pub status: String,
    pub assigned_at: chrono::DateTime<chrono::Utc>,
    pub reported_at: Option<chrono::DateTime<chrono::Utc>>,
}

const RELEASE_COLS: &str =
    "id, os, arch, version, size, sha256, signature, uploaded_by, uploaded_at";
const ROLLOUT_COLS: &str = "r.id, r.release_id, rel.version, r.tenant_id, r.canary, r.percents, r.stage, r.state, r.reason, r.healthy_secs, r.failure_threshold, r.failure_base, r.rollback, r.created_by, r.created_at, r.stage_started_at";

macro_rules! release_from_row {
    ($r:expr) => {{
        let r = $r;
        Release {
            id: r.try_get("id")?,
            os: r.try_get("os")?,
            arch: r.try_get("arch")?,
            version: r.try_get("version")?,
            size: u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or(0),
            sha256: r.try_get("sha256")?,
            signature: r.try_get("signature")?,
            uploaded_by: r.try_get("uploaded_by")?,
            uploaded_at: ms_to_dt(r.try_get("uploaded_at")?),
        }
    }};
}

macro_rules! rollout_from_row {
    ($r:expr) => {{
        let r = $r;
        let canary: String = r.try_get("canary")?;
        let percents: String = r.try_get("percents")?;
        let canary: Vec<String> = serde_json::from_str(&canary)
            .map_err(|e| StoreError::Corrupt(format!("rollout canary: {e}")))?;
        let percents: Vec<u32> = serde_json::from_str(&percents)
            .map_err(|e| StoreError::Corrupt(format!("rollout percents: {e}")))?;
        let stages = percents.len() as u32 + u32::from(!canary.is_empty());
        Rollout {
            id: r.try_get("id")?,
            release_id: r.try_get("release_id")?,
            version: r.try_get("version")?,
            tenant_id: r.try_get("tenant_id")?,
            canary,
            percents,
            stage: u32::try_from(r.try_get::<i64, _>("stage")?).unwrap_or(0),
            stages,
            state: r.try_get("state")?,
            reason: r.try_get("reason")?,
            healthy_secs: u64::try_from(r.try_get::<i64, _>("healthy_secs")?).unwrap_or(0),
            failure_threshold: u64::try_from(r.try_get::<i64, _>("failure_threshold")?)
                .unwrap_or(0),
            failure_base: u64::try_from(r.try_get::<i64, _>("failure_base")?).unwrap_or(0),
            rollback: r.try_get::<i64, _>("rollback")? != 0,
            created_by: r.try_get("created_by")?,
            created_at: ms_to_dt(r.try_get("created_at")?),
            stage_started_at: ms_to_dt(r.try_get("stage_started_at")?),
            devices: Default::default(),
        }
    }};
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores a release; the file is stored once per SHA-256 (a second release of the same
    /// bytes shares it). `(os, arch, version)` is unique: [`StoreError::Conflict`].
    pub async fn put_release(
        &self,
        r: &NewRelease<'_>,
        content: &[u8],
        uploaded_by: &str,
    ) -> Result<Release, StoreError> {
        let id = new_id();
        let now = now_ms();
        let size = content.len() as i64;
        let res: Result<(), StoreError> = dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let taken = sqlx::query("SELECT id FROM releases WHERE os = $1 AND arch = $2 AND version = $3")
                .bind(r.os).bind(r.arch).bind(r.version).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(StoreError::Conflict(format!("release {} {} {}", r.os, r.arch, r.version)));
            }
            sqlx::query("INSERT INTO release_blobs (sha256, size, content, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING")
                .bind(r.sha256).bind(size).bind(content).bind(now).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO releases (id, os, arch, version, size, sha256, signature, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&id).bind(r.os).bind(r.arch).bind(r.version).bind(size).bind(r.sha256)
                .bind(r.signature).bind(uploaded_by).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        });
        res?;
        self.get_release(&id).await
    }

    pub async fn list_releases(&self) -> Result<Vec<Release>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {RELEASE_COLS} FROM releases ORDER BY uploaded_at DESC, id"))).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(release_from_row!(r)); }
            Ok(out)
        })
    }

    pub async fn get_release(&self, id: &str) -> Result<Release, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {RELEASE_COLS} FROM releases WHERE id = $1")))
                .bind(id).fetch_optional(p).await?;
            match row {
                Some(r) => Ok(release_from_row!(&r)),
                None => Err(StoreError::NotFound(format!("release {id}"))),
            }
        })
    }

    /// The file of a release.
    pub async fn release_content(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT b.content FROM releases r JOIN release_blobs b ON b.sha256 = r.sha256 WHERE r.id = $1")
                .bind(id).fetch_optional(p).await?;
            match row {
                Some(r) => Ok(r.try_get::<Vec<u8>, _>("content")?),
                None => Err(StoreError::NotFound(format!("release {id}"))),
            }
        })
    }

    pub async fn create_rollout(&self, n: &NewRolloutRow<'_>) -> Result<Rollout, StoreError> {
        let id = new_id();
        let now = now_ms();
        let canary =
            serde_json::to_string(n.canary).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let percents =
            serde_json::to_string(n.percents).map_err(|e| StoreError::Invalid(e.to_string()))?;
        dispatch!(self, p => {
            sqlx::query("INSERT INTO rollouts (id, release_id, tenant_id, canary, percents, stage, state, reason, healthy_secs, failure_threshold, failure_base, rollback, created_by, created_at, stage_started_at) VALUES ($1, $2, $3, $4, $5, 0, 'running', NULL, $6, $7, 0, $8, $9, $10, $10)")
                .bind(&id).bind(n.release_id).bind(n.tenant_id).bind(&canary).bind(&percents)
                .bind(i64_of(n.healthy_secs)).bind(i64_of(n.failure_threshold)).bind(i64::from(n.rollback))
                .bind(n.created_by).bind(now).execute(p).await?;
        });
        self.get_rollout(&id).await
    }

    /// Rollouts, newest first, with their devices counted by status; `active`: all but the
    /// aborted ones.
    pub async fn list_rollouts(&self, active: bool) -> Result<Vec<Rollout>, StoreError> {
        let mut out: Vec<Rollout> = dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ROLLOUT_COLS} FROM rollouts r JOIN releases rel ON rel.id = r.release_id WHERE ($1 = 0 OR r.state <> 'aborted') ORDER BY r.created_at DESC, r.id")))
                .bind(i64::from(active)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(rollout_from_row!(r)); }
            out
        });
        let counts: Vec<(String, String, i64)> = dispatch!(self, p => {
            let rows = sqlx::query("SELECT rollout_id, status, COUNT(*) AS n FROM device_updates GROUP BY rollout_id, status")
                .fetch_all(p).await?;
            let mut v = Vec::with_capacity(rows.len());
            for r in &rows { v.push((r.try_get("rollout_id")?, r.try_get("status")?, r.try_get("n")?)); }
            v
        });
        for (rid, status, n) in counts {
            if let Some(r) = out.iter_mut().find(|r| r.id == rid) {
                r.devices.insert(status, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(out)
    }

    pub async fn get_rollout(&self, id: &str) -> Result<Rollout, StoreError> {
        self.list_rollouts(false)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("rollout {id}")))
    }

    /// Sets a rollout's state (and reason); with `stage`, moves it to that stage, which
    /// starts now; with `failure_base`, failures up to that many are no longer counted
    /// against the threshold (a resume).
    pub async fn set_rollout(
        &self,
        id: &str,
        state: &str,
        reason: Option<&str>,
        stage: Option<u32>,
        failure_base: Option<u64>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let stage = stage.map(i64::from);
        let base = failure_base.map(i64_of);
        let n = dispatch!(self, p => {
            sqlx::query("UPDATE rollouts SET state = $2, reason = $3, stage = COALESCE($4, stage), stage_started_at = CASE WHEN $4 IS NULL THEN stage_started_at ELSE $5 END, failure_base = COALESCE($6, failure_base) WHERE id = $1")
                .bind(id).bind(state).bind(reason).bind(stage).bind(now).bind(base).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound(format!("rollout {id}")));
        }
        Ok(())
    }

    /// The devices a rollout has offered its release to, with their status.
    pub async fn rollout_devices(
        &self,
        rollout_id: &str,
    ) -> Result<Vec<RolloutDevice>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT device_id, status, assigned_at, reported_at FROM device_updates WHERE rollout_id = $1 ORDER BY device_id")
                .bind(rollout_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let reported: Option<i64> = r.try_get("reported_at")?;
                out.push(RolloutDevice {
                    device_id: r.try_get("device_id")?,
                    status: r.try_get("status")?,
                    assigned_at: ms_to_dt(r.try_get("assigned_at")?),
                    reported_at: reported.map(ms_to_dt),
                });
            }
            Ok(out)
        })
    }

    /// A device's status in a rollout (none before it was offered the release).
    pub async fn update_status(
        &self,
        device_id: &str,
        rollout_id: &str,
    ) -> Result<Option<String>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT status FROM device_updates WHERE device_id = $1 AND rollout_id = $2")
                .bind(device_id).bind(rollout_id).fetch_optional(p).await?;
            Ok(row.map(|r| r.try_get("status")).transpose()?)
        })
    }

    /// Records that a rollout offered its release to a device (once).
    pub async fn assign_update(&self, device_id: &str, rollout_id: &str) -> Result<(), StoreError> {
        dispatch!(self, p => {
            sqlx::query("INSERT INTO device_updates (device_id, rollout_id, status, reason, assigned_at, reported_at) VALUES ($1, $2, 'assigned', NULL, $3, NULL) ON CONFLICT (device_id, rollout_id) DO NOTHING")
                .bind(device_id).bind(rollout_id).bind(now_ms()).execute(p).await?;
        });
        Ok(())
    }

    /// Records a device's report of an update attempt: its status in the rollouts that
    /// offered it that release, and an entry of its history (a report repeated with the same
    /// time is stored once). Returns whether the report was new.
    pub async fn record_update_report(
        &self,
        device_id: &str,
        r: &UpdateReport,
    ) -> Result<bool, StoreError> {
        let at = r.at.timestamp_millis();
        let now = now_ms();
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let rollout: Option<String> = sqlx::query("SELECT du.rollout_id FROM device_updates du JOIN rollouts ro ON ro.id = du.rollout_id WHERE du.device_id = $1 AND ro.release_id = $2 ORDER BY ro.created_at DESC LIMIT 1")
                .bind(device_id).bind(&r.release_id).fetch_optional(&mut *tx).await?
                .map(|row| row.try_get("rollout_id")).transpose()?;
            let inserted = sqlx::query("INSERT INTO update_history (device_id, rollout_id, release_id, version, outcome, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (device_id, release_id, outcome, at) DO NOTHING")
                .bind(device_id).bind(&rollout).bind(&r.release_id).bind(&r.version).bind(&r.outcome)
                .bind(&r.reason).bind(at).execute(&mut *tx).await?.rows_affected() > 0;
            if inserted && let Some(rid) = &rollout {
                sqlx::query("UPDATE device_updates SET status = $3, reason = $4, reported_at = $5 WHERE device_id = $1 AND rollout_id = $2")
                    .bind(device_id).bind(rid).bind(&r.outcome).bind(&r.reason).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(inserted)
        })
    }

    /// A device's update history, newest first.
    pub async fn update_history(
        &self,
        device_id: &str,
        limit: i64,
    ) -> Result<Vec<UpdateEvent>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT device_id, rollout_id, release_id, version, outcome, reason, at FROM update_history WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
                .bind(device_id).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(UpdateEvent {
                    device_id: r.try_get("device_id")?,
                    rollout_id: r.try_get("rollout_id")?,
                    release_id: r.try_get("release_id")?,
                    version: r.try_get("version")?,
                    outcome: r.try_get("outcome")?,
                    reason: r.try_get("reason")?,
                    at: ms_to_dt(r.try_get("at")?),
                });
            }
            Ok(out)
        })
    }
}
