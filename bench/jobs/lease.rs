//! Lease throughput of the job queue's store: jobs are created, then claimed (leased) and
//! completed by device workers running at once, straight on `JobStore` (no HTTP) — the
//! create → claim → complete path every job takes. SQLite file database (WAL) always; also
//! PostgreSQL when `LEASE_PG_URL` is set (a fresh schema per run).
//!
//! Run: `cargo bench -p outpost-jobs --bench lease` (`LEASE_JOBS=N` jobs per round, default
//! 2000; `LEASE_ROUNDS=N`, default 3; the median round is reported).

use std::time::{Duration, Instant};

use outpost_db::Db;
use outpost_jobs::model::Filter;
use outpost_jobs::store::{JobStore, StoreConfig};

const DEVICES: usize = 4;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Opens the pool the same way on every version of the crate, so only the store differs.
async fn sqlite(path: &std::path::Path) -> Db {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .expect("sqlite");
    Db::Sqlite(pool)
}

async fn postgres(url: &str) -> Db {
    let schema = format!("lease_bench_{}", std::process::id());
    let admin = sqlx::PgPool::connect(url).await.expect("postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&admin)
    .await
    .expect("drop schema");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("create schema");
    let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
    let opts = opts.options([("search_path", schema.as_str())]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .expect("postgres");
    Db::Postgres(pool)
}

/// One round on a fresh database: (creates/s, leases+completions/s, claim+complete p50, p99).
async fn round(db: Db, dir: &std::path::Path, n: usize) -> (f64, f64, Duration, Duration) {
    let store = JobStore::new(
        db,
        StoreConfig {
            data_dir: dir.into(),
            ..StoreConfig::default()
        },
    );
    store.migrate().await.expect("migrate");
    let t = Instant::now();
    for i in 0..n {
        store
            .create(
                "t1",
                "bench",
                &format!("d{}", i % DEVICES),
                "process.list",
                &Filter::default(),
                None,
            )
            .await
            .expect("create");
    }
    let creates = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut workers = Vec::new();
    for d in 0..DEVICES {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let device = format!("d{d}");
            let mut lat = Vec::new();
            loop {
                let t = Instant::now();
                let Some(c) = store.claim("t1", &device).await.expect("claim") else {
                    break;
                };
                store
                    .complete(c.job.id, Some(&c.lease_id))
                    .await
                    .expect("complete");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await.expect("worker"));
    }
    let leases = lat.len() as f64 / t.elapsed().as_secs_f64();
    assert_eq!(lat.len(), n, "every job leased once");
    lat.sort();
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    (creates, leases, pct(0.5), pct(0.99))
}

fn main() {
    let n = env_num("LEASE_JOBS", 2000);
    let rounds = env_num("LEASE_ROUNDS", 3).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let pg = std::env::var("LEASE_PG_URL").ok().filter(|u| !u.is_empty());
    for backend in ["sqlite", "postgres"] {
        if backend == "postgres" && pg.is_none() {
            continue;
        }
        let mut results = Vec::new();
        for _ in 0..rounds {
            let dir = tempfile::tempdir().expect("tempdir");
            let r = rt.block_on(async {
                let db = match (backend, &pg) {
                    ("postgres", Some(url)) => postgres(url).await,
                    _ => sqlite(&dir.path().join("jobs.db")).await,
                };
                round(db, dir.path(), n).await
            });
            results.push(r);
        }
        results.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (c, l, p50, p99) = results[results.len() / 2];
        println!(
            "{backend}: {n} jobs, {DEVICES} devices, median of {rounds}: create {c:.0}/s, \
             claim+complete {l:.0}/s (p50 {:.2} ms, p99 {:.2} ms)",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
}
