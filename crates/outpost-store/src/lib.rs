//! Outpost's storage: one [`Store`] over embedded SQLite (the default) and PostgreSQL.
//!
//! Both backends run the same SQL text (numbered `$N` placeholders, which sqlx accepts for
//! SQLite too) through `outpost-db`'s [`dispatch!`] macro, which expands every query once per
//! backend; the pool, its settings and the migration runner are `outpost-db`'s too. Only the
//! schema differs (`migrations/sqlite`, `migrations/postgres`, recorded in the store's own
//! `_outpost_store_migrations` table: [`MIGRATIONS`]). Times are stored as Unix milliseconds
//! so that ordering and range filters behave the same on both.
//!
//! Secrets (enrollment keys, API keys, device tokens) are 256-bit random values; the store keeps
//! only their SHA-256, which is safe for high-entropy tokens and lets a token be found by an
//! index lookup instead of a scan. Passwords, which are low-entropy, are hashed with argon2 by
//! the server, never here.

mod alerts;
mod attack_models;
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
pub use attack_models::{NewAttackModel, StoredModelBundle};
pub use error::StoreError;
pub use hits::{HitFilter, InsertOutcome};
pub use ids::{hash_secret, new_secret};
pub use intel::IntelRevision;
pub use releases::{NewRelease, NewRolloutRow, RolloutDevice};
pub use tenants::{ApiKeyInfo, CheckinUpdate, DeviceAuth, DeviceReport, KeyKind, is_online};
pub use triage::{StateChange, Triaged, suppression_matches, suppression_matches_fields};
pub use users::{
    OIDC_PASSWORD_HASH, OidcLogin, PendingOidcLogin, UserCredentials, validate_username,
};

use std::path::Path;

pub use outpost_db::{Db, SQLITE_PAGE_SIZE, dispatch};

/// A connection pool to one of the supported databases, with the store's queries as methods.
#[derive(Clone, Debug)]
pub struct Store(Db);

impl outpost_db::AsDb for Store {
    fn as_db(&self) -> &Db {
        &self.0
    }
}

impl From<Db> for Store {
    fn from(db: Db) -> Self {
        Store(db)
    }
}

/// The store's migrations (`migrations/sqlite`, `migrations/postgres`), versions 1–999,
/// recorded in `_outpost_store_migrations`.
pub static MIGRATIONS: outpost_db::Migrations = outpost_db::Migrations {
    table: "_outpost_store_migrations",
    versions: 1..1000,
    sqlite: sqlx::migrate!("migrations/sqlite"),
    postgres: sqlx::migrate!("migrations/postgres"),
};

impl Store {
    /// Opens (creating if needed) the embedded SQLite database `outpost.db` in `data_dir`.
    pub async fn open_sqlite_dir(data_dir: &Path) -> Result<Store, StoreError> {
        Ok(Store(Db::open_sqlite_dir(data_dir).await?))
    }

    /// Opens (creating if needed) a SQLite database file, in WAL mode with foreign keys on.
    pub async fn open_sqlite_file(path: &Path) -> Result<Store, StoreError> {
        Ok(Store(Db::open_sqlite_file(path).await?))
    }

    /// Connects to a database URL: `postgres://…` or `sqlite://PATH`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Ok(Store(Db::connect(url).await?))
    }

    /// The pool, for other crates that keep their tables in the same database (the job queue).
    pub fn db(&self) -> &Db {
        &self.0
    }

    /// Applies pending migrations ([`MIGRATIONS`]); a migration applied to this database but
    /// missing from this binary is an error.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Ok(self.0.migrate(&MIGRATIONS).await?)
    }

    /// Which backend this is (`sqlite` or `postgres`).
    pub fn backend(&self) -> &'static str {
        self.0.backend()
    }

    /// SQLite: copies the write-ahead log back into the database without blocking writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`); returns the log frames and the frames checkpointed.
    /// A no-op on PostgreSQL. The server runs it every second, so that no request's commit
    /// pays for a checkpoint.
    pub async fn checkpoint(&self) -> Result<(i64, i64), StoreError> {
        match &self.0 {
            Db::Sqlite(p) => {
                let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(p)
                    .await?;
                use sqlx::Row;
                Ok((row.try_get(1)?, row.try_get(2)?))
            }
            Db::Postgres(_) => Ok((0, 0)),
        }
    }

    /// SQLite has one writer at a time; a second connection that wants to write waits in
    /// SQLite's busy handler, which sleeps in steps of up to 100 ms — the long tail of
    /// latency under load. The hot write paths (hit and alert ingest, device reports, profile
    /// merges) therefore queue here, in arrival order, before they begin their transaction.
    /// `None` on PostgreSQL (row locks, no single writer).
    pub(crate) async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'static, ()>> {
        static GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        match &self.0 {
            Db::Sqlite(_) => Some(GATE.lock().await),
            Db::Postgres(_) => None,
        }
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.0.ping().await?)
    }

    pub async fn close(&self) {
        self.0.close().await
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn ms_to_dt(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
