//! Outpost's storage: one [`Store`] over embedded SQLite (the default) and PostgreSQL.
//!
//! Both backends run the same SQL text (numbered `$N` placeholders, which sqlx accepts for
//! SQLite too) through the [`dispatch!`] macro, which expands every query once per backend.
//! Only the schema differs (`migrations/sqlite`, `migrations/postgres`). Times are stored as
//! Unix milliseconds so that ordering and range filters behave the same on both.
//!
//! Secrets (enrollment keys, API keys, device tokens) are 256-bit random values; the store keeps
//! only their SHA-256, which is safe for high-entropy tokens and lets a token be found by an
//! index lookup instead of a scan. Passwords, which are low-entropy, are hashed with argon2 by
//! the server, never here.

mod alerts;
mod error;
mod hits;
mod ids;
mod inputs;
mod intel;
mod profiles;
mod releases;
mod tenants;
mod triage;
pub mod ui_queries;
mod users;

pub use alerts::{
    AlertFilter, AlertStateChange, AlertsStored, NewAlert, NewSighting, SightingFilter,
};
pub use error::StoreError;
pub use hits::{HitFilter, InsertOutcome};
pub use ids::{hash_secret, new_secret};
pub use intel::IntelRevision;
pub use releases::{NewRelease, NewRolloutRow, RolloutDevice};
pub use tenants::{ApiKeyInfo, CheckinUpdate, DeviceAuth, DeviceReport, KeyKind, is_online};
pub use triage::{StateChange, suppression_matches, suppression_matches_fields};
pub use users::{
    OIDC_PASSWORD_HASH, OidcLogin, PendingOidcLogin, UserCredentials, validate_username,
};

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// A connection pool to one of the supported databases.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool; the body is expanded once per
/// backend, so query builders and row decoding are monomorphized for each driver.
#[macro_export]
macro_rules! dispatch {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}

impl Store {
    /// Opens (creating if needed) the embedded SQLite database `outpost.db` in `data_dir`.
    pub async fn open_sqlite_dir(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Io {
            path: data_dir.display().to_string(),
            source: e,
        })?;
        Self::open_sqlite_file(&data_dir.join("outpost.db")).await
    }

    /// Opens (creating if needed) a SQLite database file, in WAL mode with foreign keys on.
    pub async fn open_sqlite_file(path: &Path) -> Result<Store, StoreError> {
        let opts = sqlite_tuned(SqliteConnectOptions::new().filename(path));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Store::Sqlite(pool))
    }

    /// Connects to a database URL: `postgres://…` or `sqlite://PATH`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Store::Postgres(pool))
        } else if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let opts = sqlite_tuned(SqliteConnectOptions::from_str(&format!("sqlite://{rest}"))?);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            Ok(Store::Sqlite(pool))
        } else {
            Err(StoreError::BadUrl(redact_url(url)))
        }
    }

    /// Applies pending migrations. Other subsystems (e.g. the job queue) keep their own
    /// migrations in the same database, so versions unknown to this migrator are tolerated.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(p) => {
                let mut m: Migrator = sqlx::migrate!("migrations/sqlite");
                m.set_ignore_missing(true);
                m.run(p).await?
            }
            Store::Postgres(p) => {
                let mut m: Migrator = sqlx::migrate!("migrations/postgres");
                m.set_ignore_missing(true);
                m.run(p).await?
            }
        }
        Ok(())
    }

    /// Which backend this is (`sqlite` or `postgres`).
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// SQLite: copies the write-ahead log back into the database without blocking writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`); returns the log frames and the frames checkpointed.
    /// A no-op on PostgreSQL. The server runs it every second, so that no request's commit
    /// pays for a checkpoint.
    pub async fn checkpoint(&self) -> Result<(i64, i64), StoreError> {
        match self {
            Store::Sqlite(p) => {
                let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(p)
                    .await?;
                use sqlx::Row;
                Ok((row.try_get(1)?, row.try_get(2)?))
            }
            Store::Postgres(_) => Ok((0, 0)),
        }
    }

    /// SQLite has one writer at a time; a second connection that wants to write waits in
    /// SQLite's busy handler, which sleeps in steps of up to 100 ms — the long tail of
    /// latency under load. The hot write paths (hit and alert ingest, device reports, profile
    /// merges) therefore queue here, in arrival order, before they begin their transaction.
    /// `None` on PostgreSQL (row locks, no single writer).
    pub(crate) async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'static, ()>> {
        static GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        match self {
            Store::Sqlite(_) => Some(GATE.lock().await),
            Store::Postgres(_) => None,
        }
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    pub async fn close(&self) {
        dispatch!(self, p => p.close().await)
    }
}

/// Removes a password from a URL before it is shown in an error.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn ms_to_dt(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The connection settings of every SQLite store: WAL with foreign keys on, `synchronous =
/// NORMAL` (a commit is durable once the WAL is synced at checkpoint; a power cut can lose the
/// last commits, never corrupt), statement journals and temporary tables in memory (a
/// multi-row hit INSERT otherwise spills its statement journal to a temporary file), and an
/// 8 MiB page cache per connection (the default 2 MiB made a 500-hit batch's transaction
/// spill dirty pages mid-way). New databases use 16 KiB pages: a hit row with its sample
/// events is ~2 KB, so 4 KiB pages split every other insert (inserting 1,200 hits took about
/// half as long with 16 KiB pages); an existing database keeps the page size it was made with.
/// Page size of a new SQLite database.
pub const SQLITE_PAGE_SIZE: u32 = 16 * 1024;

fn sqlite_tuned(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.create_if_missing(true)
        // Applied before the journal mode, which is what fixes it for a new file.
        .page_size(SQLITE_PAGE_SIZE)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        // No checkpoint inside a committing request: the server checkpoints in the
        // background (`Store::checkpoint`); SQLite checkpoints when the last connection
        // closes.
        .pragma("wal_autocheckpoint", "0")
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-8192")
}
