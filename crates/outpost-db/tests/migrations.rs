//! Per-crate migration tables, on SQLite always and PostgreSQL when `OUTPOST_TEST_PG_URL` is
//! set (each PostgreSQL run in a schema of its own): two fixture "crates" (`a`: versions
//! 1–999, `b`: 1000–1999) stand for `outpost-store` and `outpost-jobs`.

use outpost_db::{Db, DbError, LEGACY_TABLE, Migrations};
use outpost_testkit::migrations::{migrate_legacy, migration_rows};
use sqlx::migrate::MigrateError;

static A: Migrations = Migrations {
    table: "_a_migrations",
    versions: 1..1000,
    sqlite: sqlx::migrate!("tests/fixtures/a"),
    postgres: sqlx::migrate!("tests/fixtures/a"),
};

/// `a` as a binary whose newest migration file was lost.
static A_LOST: Migrations = Migrations {
    table: "_a_migrations",
    versions: 1..1000,
    sqlite: sqlx::migrate!("tests/fixtures/a_lost"),
    postgres: sqlx::migrate!("tests/fixtures/a_lost"),
};

static B: Migrations = Migrations {
    table: "_b_migrations",
    versions: 1000..2000,
    sqlite: sqlx::migrate!("tests/fixtures/b"),
    postgres: sqlx::migrate!("tests/fixtures/b"),
};

struct Backend {
    db: Db,
    _dir: tempfile::TempDir,
}

/// A fresh SQLite database, and a fresh PostgreSQL schema when the service is configured.
async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vec![Backend {
        db: Db::open_sqlite_dir(dir.path()).await.unwrap(),
        _dir: dir,
    }];
    if let Some(url) = outpost_testkit::pg_schema("db_test").await {
        v.push(Backend {
            db: Db::connect(&url).await.unwrap(),
            _dir: tempfile::tempdir().unwrap(),
        });
    }
    v
}

/// An older database: `a` and `b` migrated into the shared table, then `sql` run; answers
/// the shared table's rows, checked to be of `versions`.
async fn legacy_database(
    db: &Db,
    sql: &[String],
    versions: &[i64],
) -> Vec<(i64, Vec<u8>, String, i64)> {
    migrate_legacy(db, &A).await;
    migrate_legacy(db, &B).await;
    for q in sql {
        let q = q.clone();
        outpost_db::dispatch!(db, p => {
            sqlx::query(sqlx::AssertSqlSafe(q)).execute(p).await.unwrap();
        });
    }
    let before = migration_rows(db, LEGACY_TABLE).await;
    let got: Vec<i64> = before.iter().map(|r| r.0).collect();
    assert_eq!(got, versions, "{}", db.backend());
    before
}

async fn count(db: &Db, sql: &str) -> i64 {
    let sql = sql.to_string();
    outpost_db::dispatch!(db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(p).await.unwrap())
}

/// `a` as the binary that lost its newest migration file refuses to start on `db`.
async fn assert_lost_migration_fails(db: &Db) {
    match db.migrate(&A_LOST).await {
        Err(DbError::Migrate(MigrateError::VersionMissing(2))) => {}
        other => panic!(
            "{}: a lost migration went unnoticed: {other:?}",
            db.backend()
        ),
    }
}

async fn legacy_exists(db: &Db) -> bool {
    let sql = match db {
        Db::Sqlite(_) => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Db::Postgres(_) => {
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT to_regclass('_sqlx_migrations') AS t) x WHERE t IS NOT NULL"
        }
    };
    count(db, sql).await == 1
}

#[tokio::test]
async fn a_database_with_the_shared_table_is_split_without_rerunning_anything() {
    for b in backends().await {
        let db = &b.db;
        let before = legacy_database(
            db,
            &[
                "INSERT INTO a_items (id, name, note) VALUES (1, 'kept', 'n')".into(),
                "INSERT INTO b_things (id, a_name) VALUES (7, 'kept')".into(),
            ],
            &[1, 2, 1000],
        )
        .await;

        // The first crate takes its rows; the other crate's stay shared until it starts.
        db.migrate(&A).await.unwrap();
        assert_eq!(migration_rows(db, "_a_migrations").await, before[..2]);
        assert_eq!(migration_rows(db, LEGACY_TABLE).await, before[2..]);
        db.migrate(&B).await.unwrap();
        assert_eq!(migration_rows(db, "_b_migrations").await, before[2..]);
        assert!(!legacy_exists(db).await, "{}", db.backend());

        // Nothing ran again (a re-run would have failed on the existing tables), no row lost,
        // and opening again changes nothing.
        db.migrate(&A).await.unwrap();
        db.migrate(&B).await.unwrap();
        assert_eq!(migration_rows(db, "_a_migrations").await, before[..2]);
        assert_eq!(migration_rows(db, "_b_migrations").await, before[2..]);
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM a_items WHERE note = 'n'").await,
            1
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM b_things").await, 1);
    }
}

/// A row of the shared table that no crate owns (another tool's, a removed crate's) is kept
/// as it is, and so is the table: each crate takes its own rows, nothing else is deleted, and
/// every later start is the same no-op (the crates log that the table is kept).
#[tokio::test]
async fn foreign_rows_keep_the_shared_table_and_are_left_alone() {
    for b in backends().await {
        let db = &b.db;
        let checksum = match db {
            Db::Sqlite(_) => "X'00'",
            Db::Postgres(_) => "decode('00', 'hex')",
        };
        let foreign = format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (5000, 'another tool', TRUE, {checksum}, 1)"
        );
        let before = legacy_database(db, &[foreign], &[1, 2, 1000, 5000]).await;
        for _ in 0..2 {
            db.migrate(&A).await.unwrap();
            db.migrate(&B).await.unwrap();
            assert_eq!(migration_rows(db, "_a_migrations").await, before[..2]);
            assert_eq!(migration_rows(db, "_b_migrations").await, before[2..3]);
            assert!(legacy_exists(db).await, "{}", db.backend());
            assert_eq!(
                migration_rows(db, LEGACY_TABLE).await,
                before[3..],
                "{}",
                db.backend()
            );
        }
    }
}

#[tokio::test]
async fn an_applied_migration_missing_from_the_binary_fails_the_start() {
    for b in backends().await {
        let db = &b.db;
        db.migrate(&A).await.unwrap();
        db.migrate(&B).await.unwrap();
        // Each crate checks its own table only: the other crate's versions are not "missing".
        db.migrate(&A).await.unwrap();
        assert_lost_migration_fails(db).await;
    }
}

#[tokio::test]
async fn a_lost_migration_in_the_shared_table_of_an_older_database_fails_the_start() {
    for b in backends().await {
        let db = &b.db;
        migrate_legacy(db, &A).await;
        migrate_legacy(db, &B).await;
        assert_lost_migration_fails(db).await;
    }
}

#[test]
fn a_set_lists_its_migrations_in_order() {
    assert_eq!(
        A.list("sqlite"),
        [(1, "items".to_string()), (2, "items note".to_string())]
    );
    assert_eq!(B.list("postgres"), [(1000, "things".to_string())]);
}
