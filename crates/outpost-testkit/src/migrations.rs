//! Helpers for the tests of a crate's migration set ([`outpost_db::Migrations`]): pinning its
//! files, and making the database of an older Outpost (every crate's records in the one shared
//! `_sqlx_migrations` table).

use outpost_db::{Db, Migrations, dispatch};
use sqlx::migrate::Migrator;

/// Asserts that `set` carries exactly the migrations `descriptions`, numbered from the start of
/// its version range, for both backends: a migration file lost or renamed fails the test.
pub fn assert_migration_files(set: &Migrations, descriptions: &[&str]) {
    let expected: Vec<(i64, String)> = descriptions
        .iter()
        .zip(set.versions.clone())
        .map(|(d, v)| (v, d.to_string()))
        .collect();
    for backend in ["sqlite", "postgres"] {
        assert_eq!(set.list(backend), expected, "{backend}");
    }
}

/// Migrates `set` the way Outpost did before migrations were kept per crate: into the shared
/// `_sqlx_migrations` table, ignoring the other crates' rows.
pub async fn migrate_legacy(db: &Db, set: &Migrations) {
    let mut m = Migrator::with_migrations(set.for_backend(db).iter().cloned().collect());
    m.set_ignore_missing(true);
    dispatch!(db, p => m.run(p).await.unwrap());
}

/// `(version, checksum, installed_on as text, execution_time)` of the migration table `table`,
/// by version.
pub async fn migration_rows(db: &Db, table: &str) -> Vec<(i64, Vec<u8>, String, i64)> {
    let sql = format!(
        "SELECT version, checksum, CAST(installed_on AS TEXT) AS at, execution_time FROM {table} ORDER BY version"
    );
    dispatch!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await.unwrap())
}

/// Records `version` (`description`, a made-up checksum) as applied in the migration table
/// `table` ([`outpost_db::LEGACY_TABLE`] for the shared one): another crate's migration, or one this
/// binary lost.
pub async fn record_migration(db: &Db, table: &str, version: i64, description: &str) {
    let sql = format!(
        "INSERT INTO {table} (version, description, success, checksum, execution_time) VALUES ($1, $2, TRUE, $3, 1)"
    );
    dispatch!(db, p => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(version)
            .bind(description)
            .bind(vec![7u8; 48])
            .execute(p)
            .await
            .unwrap();
    });
}
