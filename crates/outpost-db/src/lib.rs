//! The database plumbing every Outpost storage crate shares: one pool type over SQLite and
//! PostgreSQL ([`Db`]), the [`dispatch!`] macro that runs one piece of SQL text on either, the
//! connection settings, and migrations kept per crate ([`Migrations`]).
//!
//! Crates that own tables (`outpost-store`: tenants, devices, hits…; `outpost-jobs`: the job
//! queue) keep their own SQL and their own migration files, and run them on the one pool the
//! server opens. Each crate records its migrations in a table of its own
//! (`_outpost_store_migrations`, `_outpost_jobs_migrations`), so every applied migration is
//! checked against the files the binary carries: a migration that was applied but whose file
//! is gone or renamed fails the start ([`DbError::Migrate`], `VersionMissing`) instead of
//! being ignored. Databases made before this split kept every crate's rows in sqlx's shared
//! `_sqlx_migrations` table; [`Db::migrate`] moves a crate's rows (its version range) from
//! there into its own table once, in one transaction, before migrating (see `migrate.rs`).
//!
//! SQL text uses numbered `$N` placeholders on both backends (sqlx binds `$N` on SQLite too).
//! Times are Unix milliseconds in both schemas.

mod migrate;

pub use migrate::{LEGACY_TABLE, Migrations};

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// A connection pool to one of the supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite (the default deployment).
    Sqlite(SqlitePool),
    /// PostgreSQL (several server replicas on one database).
    Postgres(PgPool),
}

/// Errors opening or migrating a database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed, or an applied migration is missing from the binary.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The SQLite database's directory cannot be used.
    #[error("cannot use database directory {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A database URL of no supported kind (the password is redacted).
    #[error("unsupported database URL {0:?} (expected postgres://… or sqlite://PATH)")]
    BadUrl(String),
}

/// Anything that holds a [`Db`]: what [`dispatch!`] accepts.
pub trait AsDb {
    /// The pool.
    fn as_db(&self) -> &Db;
}

impl AsDb for Db {
    fn as_db(&self) -> &Db {
        self
    }
}

/// Runs `$body` with `$pool` bound to the backend's pool (`&SqlitePool` or `&PgPool`); the
/// body is expanded once per backend, so query builders and row decoding are monomorphized for
/// each driver. `$db` is a reference to anything that implements [`AsDb`].
#[macro_export]
macro_rules! dispatch {
    ($db:expr, $pool:ident => $body:expr) => {
        match $crate::AsDb::as_db($db) {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// A column value both backends decode (`i64`, `String`, `Option`s of them, …).
pub trait DbValue:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}

impl<T> DbValue for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
{
}

/// A row of either backend, read by column name: a row decoder is written once as a generic
/// function of `&impl DbRow` (no per-decoder list of `Decode` bounds), and [`dispatch!`]
/// instantiates it for each backend's row.
pub trait DbRow {
    /// The value of the column `name`.
    fn try_get<T: DbValue>(&self, name: &str) -> Result<T, sqlx::Error>;
}

impl DbRow for sqlx::sqlite::SqliteRow {
    fn try_get<T: DbValue>(&self, name: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, name)
    }
}

impl DbRow for sqlx::postgres::PgRow {
    fn try_get<T: DbValue>(&self, name: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, name)
    }
}

/// Page size of a new SQLite database.
pub const SQLITE_PAGE_SIZE: u32 = 16 * 1024;

impl Db {
    /// Opens (creating if needed) the embedded SQLite database `outpost.db` in `data_dir`.
    pub async fn open_sqlite_dir(data_dir: &Path) -> Result<Db, DbError> {
        std::fs::create_dir_all(data_dir).map_err(|e| DbError::Io {
            path: data_dir.display().to_string(),
            source: e,
        })?;
        Self::open_sqlite_file(&data_dir.join("outpost.db")).await
    }

    /// Opens (creating if needed) a SQLite database file, in WAL mode with foreign keys on.
    pub async fn open_sqlite_file(path: &Path) -> Result<Db, DbError> {
        let opts = sqlite_tuned(SqliteConnectOptions::new().filename(path));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    /// Connects to a database URL: `postgres://…` or `sqlite://PATH`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Db::Postgres(pool))
        } else if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let opts = sqlite_tuned(SqliteConnectOptions::from_str(&format!("sqlite://{rest}"))?);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else {
            Err(DbError::BadUrl(redact_url(url)))
        }
    }

    /// Which backend this is (`sqlite` or `postgres`).
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        dispatch!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        dispatch!(self, p => p.close().await)
    }
}

/// Removes a password from a URL before it is shown in an error.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// The connection settings of every SQLite database: WAL with foreign keys on, `synchronous =
/// NORMAL` (a commit is durable once the WAL is synced at checkpoint; a power cut can lose the
/// last commits, never corrupt), statement journals and temporary tables in memory (a
/// multi-row hit INSERT otherwise spills its statement journal to a temporary file), and an
/// 8 MiB page cache per connection (the default 2 MiB made a 500-hit batch's transaction
/// spill dirty pages mid-way). New databases use 16 KiB pages ([`SQLITE_PAGE_SIZE`]): a hit
/// row with its sample events is ~2 KB, so 4 KiB pages split every other insert (inserting
/// 1,200 hits took about half as long with 16 KiB pages); an existing database keeps the page
/// size it was made with.
fn sqlite_tuned(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.create_if_missing(true)
        // Applied before the journal mode, which is what fixes it for a new file.
        .page_size(SQLITE_PAGE_SIZE)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        // No checkpoint inside a committing request: the server checkpoints in the
        // background (`outpost_store::Store::checkpoint`); SQLite checkpoints when the last
        // connection closes.
        .pragma("wal_autocheckpoint", "0")
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-8192")
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://u:secret@db:5432/x"),
            "postgres://***@db:5432/x"
        );
        assert_eq!(super::redact_url("mysql://db"), "mysql://db");
    }
}
