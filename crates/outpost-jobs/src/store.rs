//! Job storage on SQLite or PostgreSQL, with atomic leased claims.
//!
//! The pool, the [`dispatch!`](outpost_db::dispatch) macro and the migration runner are
//! `outpost-db`'s, shared with `outpost-store`; the job tables and their SQL are this crate's.
//! All times are stored as milliseconds since the epoch (`INTEGER`/`BIGINT`), so the same
//! statements (`$N` placeholders, which sqlx binds on SQLite too) and row decoding serve both
//! backends. The migrations (`migrations/sqlite`, `migrations/postgres`, versions 1000–1999)
//! are recorded in `_outpost_jobs_migrations` ([`MIGRATIONS`]).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::model::{ClaimedJob, Filter, Job, JobStatus, Node, from_ms};

use outpost_db::{DbRow, dispatch};

/// The job queue's migrations, recorded in `_outpost_jobs_migrations`.
pub static MIGRATIONS: outpost_db::Migrations = outpost_db::Migrations {
    table: "_outpost_jobs_migrations",
    versions: 1000..2000,
    sqlite: sqlx::migrate!("./migrations/sqlite"),
    postgres: sqlx::migrate!("./migrations/postgres"),
};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Opening or migrating the database failed (its own errors, other than the database's).
    #[error(transparent)]
    Open(outpost_db::DbError),
    /// A stored row could not be decoded.
    #[error("corrupt job row: {0}")]
    Corrupt(String),
    /// Result file I/O failed.
    #[error("result storage error: {0}")]
    Io(#[from] std::io::Error),
    /// The job does not exist.
    #[error("job not found")]
    NotFound,
    /// The job is not in a state that allows the operation.
    #[error("job {id} is {status}; {op} not allowed")]
    Conflict {
        /// Job id.
        id: i64,
        /// Its status.
        status: &'static str,
        /// What was attempted.
        op: &'static str,
    },
    /// The lease token does not match (lease lost or never held).
    #[error("lease mismatch: the job is no longer leased to this agent")]
    LeaseLost,
    /// The uploaded result exceeds the configured cap.
    #[error("result exceeds the cap of {cap} bytes")]
    TooLarge {
        /// The cap.
        cap: u64,
    },
}

impl From<outpost_db::DbError> for StoreError {
    fn from(e: outpost_db::DbError) -> Self {
        match e {
            outpost_db::DbError::Db(e) => StoreError::Db(e),
            e => StoreError::Open(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Queue tuning.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// How long a claim holds a job before it becomes claimable again.
    pub lease: Duration,
    /// Attempt limit for new jobs.
    pub max_attempts: i64,
    /// First retry delay; doubles per failure.
    pub backoff_base: Duration,
    /// Retry delay cap.
    pub backoff_max: Duration,
    /// A pending job not claimed within this time expires.
    pub pending_ttl: Duration,
    /// Where results live (`<data_dir>/job-results/<id>.bin`).
    pub data_dir: PathBuf,
    /// Largest accepted result, in bytes.
    pub max_result_bytes: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            lease: Duration::from_secs(300),
            max_attempts: 3,
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(600),
            pending_ttl: Duration::from_secs(7 * 24 * 3600),
            data_dir: PathBuf::from("data"),
            max_result_bytes: 256 * 1024 * 1024,
        }
    }
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this tenant.
    pub tenant_id: Option<String>,
    /// Only this device.
    pub device_id: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this status.
    pub status: Option<JobStatus>,
    /// Include deleted jobs.
    pub include_deleted: bool,
    /// Return ids below this (paging, newest first).
    pub before_id: Option<i64>,
    /// Page size (1..=1000, default 100).
    pub limit: Option<i64>,
    /// Only Sensoroni-node jobs (`Some(true)`) or only device jobs (`Some(false)`).
    pub sensor: Option<bool>,
}

pub use crate::model::{AuditEntry, AuditRecord};

/// A job to create ([`JobStore::create_for`]).
#[derive(Debug, Clone, Copy)]
pub struct CreateJob<'a> {
    /// The tenant of the target.
    pub tenant_id: &'a str,
    /// The target: an Outpost device, or (`sensor`) a Sensoroni node.
    pub device_id: &'a str,
    /// The target is a Sensoroni node.
    pub sensor: bool,
    /// What to do.
    pub kind: &'a str,
    /// Its filter.
    pub filter: &'a Filter,
    /// Attempt limit (1..=20; default: the store's).
    pub max_attempts: Option<i64>,
    /// Who asked for it.
    pub owner: &'a str,
}

/// Which audit records to read (newest first).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only records of this tenant.
    pub tenant_id: Option<String>,
    /// With `tenant_id`: leave out records of principals of *other* tenants (a customer's
    /// view of their tenant's trail).
    pub own_actors_only: bool,
    /// Only records of this job.
    pub job_id: Option<i64>,
    /// Only records of jobs addressed to this device / sensor.
    pub device_id: Option<String>,
    /// Records at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Records before this time.
    pub until: Option<DateTime<Utc>>,
    /// Records with ids below this (paging).
    pub before_id: Option<i64>,
    /// Page size (1..=1000, default 100).
    pub limit: Option<i64>,
}

const AUDIT_COLS: &str =
    "id, at, tenant_id, actor_tenant_id, actor_role, actor, action, job_id, outcome, detail";

const JOB_COLS: &str = "id, tenant_id, device_id, kind, filter, owner, status, attempts, max_attempts, \
    fail_count, failure, lease_id, lease_expires_at, not_before, expires_at, created_at, updated_at, \
    completed_at, failed_at, file_extension, result_size, result_sha256, sensor";

/// Runs `$sql` (`$N` placeholders) on `$db` with `$args` bound in order, and decodes every
/// row with the generic `$decode` (instantiated per backend by `dispatch!`).
macro_rules! fetch {
    ($db:expr, $sql:expr, [$($arg:expr),* $(,)?], $decode:expr) => {
        dispatch!($db, p => {
            sqlx::query(sqlx::AssertSqlSafe($sql))$(.bind($arg))*
                .fetch_all(p)
                .await?
                .iter()
                .map($decode)
                .collect::<Result<Vec<_>, StoreError>>()
        })
    };
}

/// Runs `$sql` on `$db` with `$args` bound in order; the rows affected.
macro_rules! execute {
    ($db:expr, $sql:expr, [$($arg:expr),* $(,)?]) => {
        dispatch!($db, p => {
            sqlx::query(sqlx::AssertSqlSafe($sql))$(.bind($arg))*
                .execute(p)
                .await?
                .rows_affected()
        })
    };
}

/// Runs `UPDATE jobs SET $set` on the job `$job` only while it is as it was read (the same
/// status and lease): `$1`, `$2` and `$3` of the statement are its id, status and lease, and
/// `$args` bind `$4`… of `$set`. The updated job, or [`StoreError::LeaseLost`] when another
/// call changed it in between.
macro_rules! update_as_read {
    ($db:expr, $job:expr, $set:expr, [$($arg:expr),* $(,)?]) => {{
        let job: &Job = $job;
        let sql = format!(
            "UPDATE jobs SET {} WHERE id = $1 AND status = $2 AND COALESCE(lease_id, '') = $3 \
             RETURNING {JOB_COLS}",
            $set
        );
        first(fetch!(
            $db,
            sql,
            [
                job.id,
                job.status.as_str(),
                job.lease_id.clone().unwrap_or_default()
                $(, $arg)*
            ],
            job_from_row
        ))?
        .ok_or(StoreError::LeaseLost)
    }};
}

/// The first job of `rows`.
fn first(rows: Result<Vec<Job>, StoreError>) -> Result<Option<Job>, StoreError> {
    Ok(rows?.into_iter().next())
}

fn audit_record_from_row(r: &impl DbRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: r.try_get("id")?,
        entry: audit_from_row(r)?,
    })
}

fn lease_from_row(r: &impl DbRow) -> Result<(i64, String), StoreError> {
    Ok((r.try_get("id")?, r.try_get("lease_id")?))
}

fn job_from_row(r: &impl DbRow) -> Result<Job, StoreError> {
    let status: String = r.try_get("status")?;
    let filter: String = r.try_get("filter")?;
    let opt_time = |c: &'static str| -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(r.try_get::<Option<i64>>(c)?.map(from_ms))
    };
    Ok(Job {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        device_id: r.try_get("device_id")?,
        kind: r.try_get("kind")?,
        filter: serde_json::from_str::<Filter>(&filter)?,
        owner: r.try_get("owner")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        fail_count: r.try_get("fail_count")?,
        failure: r.try_get("failure")?,
        lease_id: r.try_get("lease_id")?,
        lease_expires_at: opt_time("lease_expires_at")?,
        not_before: opt_time("not_before")?,
        expires_at: opt_time("expires_at")?,
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
        completed_at: opt_time("completed_at")?,
        failed_at: opt_time("failed_at")?,
        file_extension: r.try_get("file_extension")?,
        result_size: r.try_get("result_size")?,
        result_sha256: r.try_get("result_sha256")?,
        sensor: r.try_get::<i64>("sensor")? != 0,
    })
}

fn audit_from_row(r: &impl DbRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: from_ms(r.try_get("at")?),
        tenant_id: r.try_get("tenant_id")?,
        actor_tenant_id: r.try_get("actor_tenant_id")?,
        actor_role: r.try_get("actor_role")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        job_id: r.try_get("job_id")?,
        outcome: r.try_get("outcome")?,
        detail: r.try_get("detail")?,
    })
}

fn node_from_row(r: &impl DbRow) -> Result<Node, StoreError> {
    let online = from_ms(r.try_get("online_time")?);
    let update = from_ms(r.try_get("update_time")?);
    let recent = Utc::now().signed_duration_since(update) < chrono::Duration::minutes(5);
    Ok(Node {
        id: r.try_get("id")?,
        online_time: Some(online),
        update_time: Some(update),
        epoch_time: r.try_get::<Option<i64>>("epoch_time")?.map(from_ms),
        uptime_seconds: update.signed_duration_since(online).num_seconds(),
        description: r.try_get("description")?,
        address: r.try_get("address")?,
        role: r.try_get("role")?,
        model: r.try_get("model")?,
        status: if recent { "ok" } else { "fault" }.into(),
        version: r.try_get("version")?,
        connection_status: if recent { "ok" } else { "unknown" }.into(),
    })
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn dur_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The job queue.
#[derive(Debug, Clone)]
pub struct JobStore {
    /// The database the job tables live in: the server's own pool (`outpost_store::Store::db`).
    db: outpost_db::Db,
    cfg: StoreConfig,
    last_reap: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl JobStore {
    /// A store over `db` (call [`JobStore::migrate`] once at start-up).
    pub fn new(db: outpost_db::Db, cfg: StoreConfig) -> Self {
        JobStore {
            db,
            cfg,
            last_reap: std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0)),
        }
    }

    /// Reaps at most every 250 ms (claims call this, so expired leases are noticed without a
    /// separate task).
    async fn maybe_reap(&self) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        let now = ms(Utc::now());
        let last = self.last_reap.load(Ordering::Relaxed);
        if now - last >= 250
            && self
                .last_reap
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.reap().await?;
        }
        Ok(())
    }

    /// The newest job id (0 without jobs): a cheap change marker for other replicas' jobs.
    pub async fn max_job_id(&self) -> Result<i64, StoreError> {
        self.scalar("SELECT COALESCE(MAX(id), 0) AS m FROM jobs", &[])
            .await
    }

    /// When a job of `tenant_id` (or of any tenant) last changed, in Unix ms (0 without jobs):
    /// the UI's live-update marker.
    pub async fn last_change(&self, tenant_id: Option<&str>) -> Result<i64, StoreError> {
        match tenant_id {
            Some(t) => {
                self.scalar(
                    "SELECT COALESCE(MAX(updated_at), 0) AS m FROM jobs WHERE tenant_id = $1",
                    &[t],
                )
                .await
            }
            None => {
                self.scalar("SELECT COALESCE(MAX(updated_at), 0) AS m FROM jobs", &[])
                    .await
            }
        }
    }

    /// How many jobs wait (status `pending`) in all; also sets the `outpost_jobs_pending` gauge.
    pub async fn pending_total(&self) -> Result<u64, StoreError> {
        let n = self
            .scalar(
                "SELECT COUNT(*) AS m FROM jobs WHERE status = 'pending'",
                &[],
            )
            .await?;
        crate::metrics::metrics().pending.set(n);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// How many device jobs wait (status `pending`) for `device_id` of `tenant_id`.
    pub async fn pending_count(&self, tenant_id: &str, device_id: &str) -> Result<u64, StoreError> {
        let n = self
            .scalar(
                "SELECT COUNT(*) AS m FROM jobs WHERE tenant_id = $1 AND device_id = $2 AND status = 'pending' AND sensor = 0",
                &[tenant_id, device_id],
            )
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Runs a query returning one integer column `m`, binding `args` as text.
    async fn scalar(&self, sql: &'static str, args: &[&str]) -> Result<i64, StoreError> {
        Ok(dispatch!(&self.db, p => {
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(a.to_string());
            }
            q.fetch_one(p).await?.try_get::<i64>("m")?
        }))
    }

    /// The database.
    pub fn db(&self) -> &outpost_db::Db {
        &self.db
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    /// Applies this crate's migrations ([`MIGRATIONS`]); a migration applied to this database
    /// but missing from this binary is an error.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Ok(self.db.migrate(&MIGRATIONS).await?)
    }

    /// Creates a pending job for an Outpost device.
    pub async fn create(
        &self,
        tenant_id: &str,
        owner: &str,
        device_id: &str,
        kind: &str,
        filter: &Filter,
        max_attempts: Option<i64>,
    ) -> Result<Job, StoreError> {
        self.create_for(&CreateJob {
            tenant_id,
            owner,
            device_id,
            kind,
            filter,
            max_attempts,
            sensor: false,
        })
        .await
    }

    /// Creates a pending job for an Outpost device, or (`sensor`) for a Sensoroni node.
    pub async fn create_for(&self, new: &CreateJob<'_>) -> Result<Job, StoreError> {
        let now = Utc::now();
        let filter_json = serde_json::to_string(new.filter)?;
        let expires = ms(now) + dur_ms(self.cfg.pending_ttl);
        let max = new
            .max_attempts
            .unwrap_or(self.cfg.max_attempts)
            .clamp(1, 20);
        let ext = if new.kind == "pcap" { "pcap" } else { "bin" };
        let sql = format!(
            "INSERT INTO jobs (tenant_id, device_id, kind, filter, owner, status, attempts, max_attempts, \
             fail_count, expires_at, created_at, updated_at, file_extension, sensor) \
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, 0, $7, $8, $8, $9, $10) RETURNING {JOB_COLS}"
        );
        let rows = first(fetch!(
            &self.db,
            sql,
            [
                new.tenant_id,
                new.device_id,
                new.kind,
                filter_json.as_str(),
                new.owner,
                max,
                expires,
                ms(now),
                ext,
                i64::from(new.sensor)
            ],
            job_from_row
        ))?;
        let job = rows.ok_or(StoreError::NotFound)?;
        crate::metrics::metrics()
            .created
            .get_or_create(&crate::metrics::KindLabel {
                kind: job.kind.clone(),
            })
            .inc();
        Ok(job)
    }

    /// One job by id (deleted jobs included).
    pub async fn get(&self, id: i64) -> Result<Option<Job>, StoreError> {
        let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1");
        first(fetch!(&self.db, sql, [id], job_from_row))
    }

    /// Jobs matching `q`, newest first.
    pub async fn list(&self, q: &ListQuery) -> Result<Vec<Job>, StoreError> {
        // Fixed SQL with optional predicates expressed as `($n IS NULL OR col = $n)`, so no
        // caller value is ever spliced into the statement.
        let sql = format!(
            "SELECT {JOB_COLS} FROM jobs WHERE \
             (CAST($1 AS TEXT) IS NULL OR tenant_id = $1) AND (CAST($2 AS TEXT) IS NULL OR device_id = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR kind = $3) AND (CAST($4 AS TEXT) IS NULL OR status = $4) \
             AND ($5 = 1 OR status <> 'deleted') AND id < $6 \
             AND (CAST($8 AS BIGINT) IS NULL OR sensor = $8) ORDER BY id DESC LIMIT $7"
        );
        let limit = q.limit.unwrap_or(100).clamp(1, 1000);
        fetch!(
            &self.db,
            sql,
            [
                q.tenant_id.as_deref(),
                q.device_id.as_deref(),
                q.kind.as_deref(),
                q.status.map(|s| s.as_str()),
                i64::from(q.include_deleted),
                q.before_id.unwrap_or(i64::MAX),
                limit,
                q.sensor.map(i64::from)
            ],
            job_from_row
        )
    }

    /// Atomically claims the oldest claimable device job of `device_id` in `tenant_id` and
    /// leases it to a fresh lease id. Two concurrent callers never get the same job.
    pub async fn claim(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        self.claim_for(tenant_id, device_id, false).await
    }

    /// [`JobStore::claim`] for an Outpost device (`sensor = false`) or a Sensoroni node
    /// (`sensor = true`): each claims only jobs addressed to its own kind of target.
    pub async fn claim_for(
        &self,
        tenant_id: &str,
        device_id: &str,
        sensor: bool,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        self.maybe_reap().await?;
        let now = ms(Utc::now());
        let lease_id = uuid::Uuid::new_v4().to_string();
        let lease_exp = now + dur_ms(self.cfg.lease);
        let lock = match self.db {
            outpost_db::Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            outpost_db::Db::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE jobs SET status = 'assigned', lease_id = $1, lease_expires_at = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE status = 'pending' AND id = (SELECT id FROM jobs WHERE tenant_id = $4 AND device_id = $5 \
               AND sensor = $6 AND status = 'pending' AND (not_before IS NULL OR not_before <= $3) \
               AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at, id LIMIT 1 {lock}) \
             RETURNING {JOB_COLS}"
        );
        let rows = first(fetch!(
            &self.db,
            sql,
            [
                lease_id.as_str(),
                lease_exp,
                now,
                tenant_id,
                device_id,
                i64::from(sensor)
            ],
            job_from_row
        ))?;
        let claimed = rows.map(|job| ClaimedJob {
            job,
            lease_id,
            lease_expires_at: from_ms(lease_exp),
        });
        if claimed.is_some() {
            crate::metrics::metrics().claimed.inc();
        }
        Ok(claimed)
    }

    /// Retry delay after `fail_count` failures.
    pub fn backoff(&self, fail_count: i64) -> Duration {
        let exp = u32::try_from(fail_count.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.cfg
            .backoff_base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.cfg.backoff_max)
    }

    /// Housekeeping: jobs whose lease ran out go back to pending (with backoff) or fail at
    /// their attempt limit; pending jobs past their deadline expire. Returns jobs changed.
    pub async fn reap(&self) -> Result<u64, StoreError> {
        let now = ms(Utc::now());
        let mut changed = execute!(
            &self.db,
            "UPDATE jobs SET status = 'expired', updated_at = $1 \
             WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= $1",
            [now]
        );
        crate::metrics::metrics().expired.inc_by(changed);
        let lost = fetch!(
            &self.db,
            "SELECT id, lease_id FROM jobs WHERE status IN ('assigned', 'running') \
             AND lease_expires_at IS NOT NULL AND lease_expires_at <= $1 AND lease_id IS NOT NULL",
            [now],
            lease_from_row
        )?;
        for (id, lease) in lost {
            match self
                .fail(
                    id,
                    Some(&lease),
                    "lease expired (agent stopped responding)",
                    false,
                )
                .await
            {
                Ok(_) => {
                    changed += 1;
                    crate::metrics::metrics().leases_expired.inc();
                }
                // Someone else (a concurrent reaper or the agent itself) got there first.
                Err(StoreError::LeaseLost) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }

    fn check_lease(job: &Job, lease: Option<&str>, op: &'static str) -> Result<(), StoreError> {
        match job.status {
            JobStatus::Assigned | JobStatus::Running => {}
            JobStatus::Pending if lease.is_none() => {}
            s => {
                return Err(if lease.is_some() && !s.is_terminal() {
                    StoreError::LeaseLost
                } else {
                    StoreError::Conflict {
                        id: job.id,
                        status: s.as_str(),
                        op,
                    }
                });
            }
        }
        if let Some(l) = lease
            && job.lease_id.as_deref() != Some(l)
        {
            return Err(StoreError::LeaseLost);
        }
        Ok(())
    }

    async fn get_required(&self, id: i64) -> Result<Job, StoreError> {
        self.get(id).await?.ok_or(StoreError::NotFound)
    }

    /// The agent started the job; renews the lease.
    pub async fn mark_running(&self, id: i64, lease: &str) -> Result<Job, StoreError> {
        let job = self.get_required(id).await?;
        Self::check_lease(&job, Some(lease), "running")?;
        let now = ms(Utc::now());
        let sql = format!(
            "UPDATE jobs SET status = 'running', lease_expires_at = $1, updated_at = $2 \
             WHERE id = $3 AND lease_id = $4 AND status IN ('assigned', 'running') RETURNING {JOB_COLS}"
        );
        first(fetch!(
            &self.db,
            sql,
            [now + dur_ms(self.cfg.lease), now, id, lease],
            job_from_row
        ))?
        .ok_or(StoreError::LeaseLost)
    }

    /// Completes a job. With `lease = None` (Sensoroni compatibility) any non-terminal job may
    /// be completed.
    pub async fn complete(&self, id: i64, lease: Option<&str>) -> Result<Job, StoreError> {
        let job = self.get_required(id).await?;
        Self::check_lease(&job, lease, "complete")?;
        let now = ms(Utc::now());
        let done = update_as_read!(
            &self.db,
            &job,
            "status = 'completed', completed_at = $4, updated_at = $4, lease_id = NULL, \
             lease_expires_at = NULL",
            [now]
        )?;
        crate::metrics::metrics().completed.inc();
        Ok(done)
    }

    /// Records a failure: back to pending after a backoff, or `failed` at the attempt limit
    /// (or at once when `permanent`).
    pub async fn fail(
        &self,
        id: i64,
        lease: Option<&str>,
        failure: &str,
        permanent: bool,
    ) -> Result<Job, StoreError> {
        let job = self.get_required(id).await?;
        Self::check_lease(&job, lease, "fail")?;
        let now = ms(Utc::now());
        let fails = job.fail_count + 1;
        let give_up = permanent || job.attempts >= job.max_attempts;
        let (status, not_before) = if give_up {
            ("failed", None)
        } else {
            ("pending", Some(now + dur_ms(self.backoff(fails))))
        };
        let failure: String = failure.chars().take(4000).collect();
        let failed = update_as_read!(
            &self.db,
            &job,
            "status = $4, fail_count = $5, failure = $6, failed_at = $7, updated_at = $7, \
             not_before = $8, lease_id = NULL, lease_expires_at = NULL",
            [status, fails, failure.as_str(), now, not_before]
        )?;
        let m = crate::metrics::metrics();
        if give_up {
            m.failed.inc()
        } else {
            m.retried.inc()
        };
        Ok(failed)
    }

    /// Marks a job deleted and removes its result file. Returns the job as it was.
    pub async fn delete(&self, id: i64) -> Result<Job, StoreError> {
        let job = self.get_required(id).await?;
        if job.status == JobStatus::Deleted {
            return Err(StoreError::Conflict {
                id,
                status: "deleted",
                op: "delete",
            });
        }
        let now = ms(Utc::now());
        execute!(
            &self.db,
            "UPDATE jobs SET status = 'deleted', updated_at = $1, lease_id = NULL, lease_expires_at = NULL, \
             result_size = NULL, result_sha256 = NULL WHERE id = $2",
            [now, id]
        );
        match tokio::fs::remove_file(self.result_path(id)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        crate::metrics::metrics().deleted.inc();
        Ok(job)
    }

    /// Path of a job's result file.
    pub fn result_path(&self, id: i64) -> PathBuf {
        self.cfg
            .data_dir
            .join("job-results")
            .join(format!("{id}.bin"))
    }

    /// Stores a job's result from a stream of chunks, enforcing the size cap, and records its
    /// size, digest and extension. The file is written to a temporary name and renamed.
    pub async fn store_result<S, E>(
        &self,
        id: i64,
        extension: &str,
        mut chunks: S,
    ) -> Result<Job, StoreError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        use tokio::io::AsyncWriteExt;
        let dir = self.cfg.data_dir.join("job-results");
        tokio::fs::create_dir_all(&dir).await?;
        let tmp = dir.join(format!("{id}.{}.tmp", uuid::Uuid::new_v4()));
        let mut file = tokio::fs::File::create(&tmp).await?;
        let mut size: u64 = 0;
        let mut hasher = Sha256::new();
        let result: Result<(), StoreError> = async {
            while let Some(chunk) = futures_util::StreamExt::next(&mut chunks).await {
                let chunk = chunk.map_err(|e| {
                    StoreError::Io(std::io::Error::other(format!("upload interrupted: {e}")))
                })?;
                size += chunk.len() as u64;
                if size > self.cfg.max_result_bytes {
                    return Err(StoreError::TooLarge {
                        cap: self.cfg.max_result_bytes,
                    });
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await?;
            }
            file.sync_all().await?;
            Ok(())
        }
        .await;
        drop(file);
        if let Err(e) = result {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        tokio::fs::rename(&tmp, self.result_path(id)).await?;
        let ext: String = extension
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
        let ext = if ext.is_empty() {
            "bin".to_string()
        } else {
            ext
        };
        let sql = format!(
            "UPDATE jobs SET result_size = $1, result_sha256 = $2, file_extension = $3, updated_at = $4 \
             WHERE id = $5 RETURNING {JOB_COLS}"
        );
        let digest = hex::encode(hasher.finalize());
        first(fetch!(
            &self.db,
            sql,
            [
                i64::try_from(size).unwrap_or(i64::MAX),
                digest.as_str(),
                ext.as_str(),
                ms(Utc::now()),
                id
            ],
            job_from_row
        ))?
        .ok_or(StoreError::NotFound)
    }

    /// Appends an audit record.
    pub async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        execute!(
            &self.db,
            "INSERT INTO job_audit (at, tenant_id, actor_role, actor, action, job_id, outcome, detail, actor_tenant_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                ms(e.at),
                e.tenant_id.as_deref(),
                e.actor_role.as_str(),
                e.actor.as_str(),
                e.action.as_str(),
                e.job_id,
                e.outcome.as_str(),
                e.detail.as_deref(),
                e.actor_tenant_id.as_deref()
            ]
        );
        Ok(())
    }

    /// Audit records matching `q`, newest first. Every filter is a bound parameter of one
    /// fixed statement.
    pub async fn query_audit(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let sql = format!(
            "SELECT {AUDIT_COLS} FROM job_audit WHERE \
             (CAST($1 AS TEXT) IS NULL OR tenant_id = $1) \
             AND ($2 = 0 OR actor_tenant_id IS NULL OR actor_tenant_id = $1) \
             AND (CAST($3 AS BIGINT) IS NULL OR job_id = $3) \
             AND (CAST($4 AS TEXT) IS NULL OR job_id IN (SELECT id FROM jobs WHERE device_id = $4)) \
             AND (CAST($5 AS BIGINT) IS NULL OR at >= $5) AND (CAST($6 AS BIGINT) IS NULL OR at < $6) \
             AND id < $7 ORDER BY id DESC LIMIT $8"
        );
        let limit = q.limit.unwrap_or(100).clamp(1, 1000);
        fetch!(
            &self.db,
            sql,
            [
                q.tenant_id.as_deref(),
                i64::from(q.own_actors_only && q.tenant_id.is_some()),
                q.job_id,
                q.device_id.as_deref(),
                q.since.map(ms),
                q.until.map(ms),
                q.before_id.unwrap_or(i64::MAX),
                limit
            ],
            audit_record_from_row
        )
    }

    /// Audit records, newest first; of one job when `job_id` is given.
    pub async fn audit_log(
        &self,
        job_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        fetch!(
            &self.db,
            "SELECT at, tenant_id, actor_tenant_id, actor_role, actor, action, job_id, outcome, detail FROM job_audit \
             WHERE (CAST($1 AS BIGINT) IS NULL OR job_id = $1) ORDER BY id DESC LIMIT $2",
            [job_id, limit.clamp(1, 10_000)],
            audit_from_row
        )
    }

    /// Records a Sensoroni check-in.
    pub async fn upsert_node(&self, tenant_id: &str, node: &Node) -> Result<(), StoreError> {
        let now = ms(Utc::now());
        execute!(
            &self.db,
            "INSERT INTO job_nodes (tenant_id, id, online_time, update_time, epoch_time, description, address, role, model, version) \
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET update_time = $3, epoch_time = $4, description = $5, \
             address = $6, role = $7, model = $8, version = $9",
            [
                tenant_id,
                node.id.as_str(),
                now,
                node.epoch_time.map(ms),
                node.description.as_str(),
                node.address.as_str(),
                node.role.as_str(),
                node.model.as_str(),
                node.version.as_str()
            ]
        );
        Ok(())
    }

    /// Nodes of a tenant.
    pub async fn list_nodes(&self, tenant_id: &str) -> Result<Vec<Node>, StoreError> {
        fetch!(
            &self.db,
            "SELECT tenant_id, id, online_time, update_time, epoch_time, description, address, role, model, version \
             FROM job_nodes WHERE tenant_id = $1 ORDER BY id",
            [tenant_id],
            node_from_row
        )
    }
}
