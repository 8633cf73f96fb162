//! Migrations per crate, each in a table of its own, none ignored.
//!
//! Until the split every crate ran its migrations into sqlx's one `_sqlx_migrations` table
//! with `set_ignore_missing(true)` (each crate saw the other's rows as "missing"), so a lost
//! or renamed migration file went unnoticed. Now each crate declares a [`Migrations`] set:
//! its own table and the version range it owns (`outpost-store` 1–999, `outpost-jobs`
//! 1000–1999). [`Db::migrate`] first moves the crate's rows of an older database out of the
//! shared table into its own (once, in one transaction; the shared table is dropped when the
//! last crate has taken its rows), then runs sqlx's migrator on the crate's table with
//! nothing ignored: an applied migration the binary does not carry fails the start.
//!
//! Rows of the shared table that no crate owns (another tool's, a removed crate's) are not
//! ours to judge: they are left as they are, and so is the table, with a logged note at each
//! start (`foreign_rows_keep_the_shared_table_and_are_left_alone`).

use std::borrow::Cow;
use std::ops::Range;

use sqlx::migrate::{Migrate, Migrator};

use crate::{Db, DbError};

/// The table every crate shared before migrations were kept per crate.
pub const LEGACY_TABLE: &str = "_sqlx_migrations";

/// PostgreSQL advisory lock held (for one transaction) while a crate moves its rows out of the
/// shared table, so replicas starting together do it once.
const ADOPT_LOCK: i64 = 0x6f75_7470_6f73_7401;

/// One crate's migrations.
#[derive(Debug)]
pub struct Migrations {
    /// The crate's own table of applied migrations, e.g. `_outpost_jobs_migrations`.
    pub table: &'static str,
    /// The versions this crate owns: its migration files are numbered in this range, and
    /// its rows of the shared table are the rows in it.
    pub versions: Range<i64>,
    /// The migrations for SQLite (`sqlx::migrate!("migrations/sqlite")`).
    pub sqlite: Migrator,
    /// The migrations for PostgreSQL (`sqlx::migrate!("migrations/postgres")`).
    pub postgres: Migrator,
}

impl Migrations {
    /// The migrator of `db`'s backend.
    pub fn for_backend(&self, db: &Db) -> &Migrator {
        match db {
            Db::Sqlite(_) => &self.sqlite,
            Db::Postgres(_) => &self.postgres,
        }
    }

    /// `(version, description)` of every migration for `backend` (`sqlite` or `postgres`),
    /// in order: what a test pins, so that a lost or renamed file fails it.
    pub fn list(&self, backend: &str) -> Vec<(i64, String)> {
        let m = if backend == "postgres" {
            &self.postgres
        } else {
            &self.sqlite
        };
        m.iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }
}

impl Db {
    /// Applies `set`'s pending migrations, recording them in `set.table`; an applied migration
    /// missing from `set` is an error (`MigrateError::VersionMissing`). Rows of `set`'s range
    /// still in the shared table of an older database are moved to `set.table` first.
    pub async fn migrate(&self, set: &Migrations) -> Result<(), DbError> {
        let (moved, left) = self.adopt_legacy_rows(set).await?;
        if moved > 0 {
            tracing::info!(
                table = set.table,
                moved,
                "migration records moved out of the shared {LEGACY_TABLE} table"
            );
        }
        if left > 0 {
            // Rows of another crate that has not started yet, or foreign ones (another
            // tool's, a removed crate's): they are not ours to judge, so the table stays.
            tracing::info!(
                table = set.table,
                left,
                "the shared {LEGACY_TABLE} table is kept: it holds rows outside this crate's \
                 versions (another crate's until it starts, or foreign rows nothing removes)"
            );
        }
        let mut m = Migrator::with_migrations(set.for_backend(self).iter().cloned().collect());
        m.dangerous_set_table_name(Cow::Borrowed(set.table));
        crate::dispatch!(self, p => m.run(p).await?);
        Ok(())
    }

    /// Moves the rows of `set.versions` from [`LEGACY_TABLE`] into `set.table` (created with
    /// sqlx's layout), and drops the shared table once it is empty. Returns the rows moved and
    /// the rows left in the shared table: rows outside every crate's range (foreign ones) are
    /// never moved nor deleted, and keep the table.
    async fn adopt_legacy_rows(&self, set: &Migrations) -> Result<(u64, i64), DbError> {
        let postgres = matches!(self, Db::Postgres(_));
        let exists = if postgres {
            // Resolved through the search path, like the migrator's own unqualified name.
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT to_regclass('_sqlx_migrations') AS t) x \
             WHERE t IS NOT NULL"
        } else {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        };
        let table = set.table;
        let copy = format!(
            "INSERT INTO {table} (version, description, installed_on, success, checksum, execution_time) \
             SELECT version, description, installed_on, success, checksum, execution_time \
             FROM {LEGACY_TABLE} WHERE version >= $1 AND version < $2 \
             AND version NOT IN (SELECT version FROM {table})"
        );
        let delete = format!("DELETE FROM {LEGACY_TABLE} WHERE version >= $1 AND version < $2");
        let remaining = format!("SELECT COUNT(*) FROM {LEGACY_TABLE}");
        let drop = format!("DROP TABLE {LEGACY_TABLE}");
        let (lo, hi) = (set.versions.start, set.versions.end);
        let counts = crate::dispatch!(self, p => {
            let mut tx = p.begin().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(ADOPT_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let found: i64 = sqlx::query_scalar(exists).fetch_one(&mut *tx).await?;
            if found == 0 {
                return Ok((0, 0));
            }
            (*tx).ensure_migrations_table(table).await?;
            let moved = sqlx::query(sqlx::AssertSqlSafe(copy))
                .bind(lo)
                .bind(hi)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(sqlx::AssertSqlSafe(delete))
                .bind(lo)
                .bind(hi)
                .execute(&mut *tx)
                .await?;
            let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(remaining))
                .fetch_one(&mut *tx)
                .await?;
            if left == 0 {
                sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            (moved, left)
        });
        Ok(counts)
    }
}
