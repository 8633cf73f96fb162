//! Queue semantics on SQLite (always) and PostgreSQL (when OUTPOST_TEST_PG_URL is set).

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{all_stores, quick_cfg};
use outpost_db::LEGACY_TABLE;
use outpost_jobs::model::{Filter, JobStatus};
use outpost_jobs::store::{ListQuery, StoreConfig, StoreError};
use outpost_testkit::migrations::{
    assert_migration_files, migrate_legacy, migration_rows, record_migration,
};

fn short_lease(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        lease: Duration::from_millis(300),
        ..quick_cfg(dir)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_pending_assigned_running_completed() {
    for t in all_stores(quick_cfg).await {
        let s = &t.store;
        let job = s
            .create("t1", "alice", "dev1", "pcap", &Filter::default(), None)
            .await
            .unwrap();
        assert_eq!(job.status, JobStatus::Pending, "{}", t.name);
        assert!(
            job.id >= 1001,
            "ids start at 1001 like Sensoroni ({})",
            t.name
        );
        assert_eq!(job.file_extension, "pcap");
        // Wrong device / tenant: nothing to claim.
        assert!(s.claim("t1", "dev2").await.unwrap().is_none());
        assert!(s.claim("t2", "dev1").await.unwrap().is_none());
        let c = s.claim("t1", "dev1").await.unwrap().expect("claim");
        assert_eq!(c.job.id, job.id);
        assert_eq!(c.job.status, JobStatus::Assigned);
        assert_eq!(c.job.attempts, 1);
        assert!(
            s.claim("t1", "dev1").await.unwrap().is_none(),
            "leased job is not handed out twice"
        );
        // A wrong lease cannot touch it.
        assert!(matches!(
            s.mark_running(job.id, "bogus").await,
            Err(StoreError::LeaseLost)
        ));
        let r = s.mark_running(job.id, &c.lease_id).await.unwrap();
        assert_eq!(r.status, JobStatus::Running);
        let chunks = futures_like(vec![b"abc".to_vec(), b"def".to_vec()]);
        let with = s.store_result(job.id, "pcap", chunks).await.unwrap();
        assert_eq!(with.result_size, Some(6));
        assert_eq!(std::fs::read(s.result_path(job.id)).unwrap(), b"abcdef");
        let done = s.complete(job.id, Some(&c.lease_id)).await.unwrap();
        assert_eq!(done.status, JobStatus::Completed);
        assert!(done.completed_at.is_some());
        // Terminal: no more transitions.
        assert!(matches!(
            s.complete(job.id, None).await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            s.fail(job.id, None, "x", false).await,
            Err(StoreError::Conflict { .. })
        ));
        // Delete removes the file and hides it from lists.
        s.delete(job.id).await.unwrap();
        assert!(!s.result_path(job.id).exists());
        assert_eq!(
            s.get(job.id).await.unwrap().unwrap().status,
            JobStatus::Deleted
        );
        assert!(s.list(&ListQuery::default()).await.unwrap().is_empty());
        assert_eq!(
            s.list(&ListQuery {
                include_deleted: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
            1
        );
    }
}

fn futures_like(
    chunks: Vec<Vec<u8>>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin {
    futures_util::stream::iter(chunks.into_iter().map(|c| Ok(bytes::Bytes::from(c))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn result_size_cap_is_enforced() {
    for t in all_stores(|d| StoreConfig {
        max_result_bytes: 10,
        ..quick_cfg(d)
    })
    .await
    {
        let s = &t.store;
        let job = s
            .create("t1", "a", "d", "file.get", &Filter::default(), None)
            .await
            .unwrap();
        let r = s
            .store_result(job.id, "bin", futures_like(vec![vec![0; 6], vec![0; 6]]))
            .await;
        assert!(
            matches!(r, Err(StoreError::TooLarge { cap: 10 })),
            "{}",
            t.name
        );
        assert!(!s.result_path(job.id).exists());
        assert_eq!(s.get(job.id).await.unwrap().unwrap().result_size, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_claimers_get_each_job_exactly_once() {
    for t in all_stores(quick_cfg).await {
        let s = Arc::new(t.store.clone());
        let mut ids = HashSet::new();
        for _ in 0..20 {
            ids.insert(
                s.create("t1", "a", "dev", "pcap", &Filter::default(), None)
                    .await
                    .unwrap()
                    .id,
            );
        }
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(c) = s.claim("t1", "dev").await.unwrap() {
                    got.push(c.job.id);
                }
                got
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let unique: HashSet<_> = all.iter().copied().collect();
        assert_eq!(
            all.len(),
            20,
            "{}: every job claimed once, got {all:?}",
            t.name
        );
        assert_eq!(unique, ids, "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_lease_retries_with_backoff_then_fails_at_limit() {
    for t in all_stores(short_lease).await {
        let s = &t.store;
        let job = s
            .create("t1", "a", "dev", "pcap", &Filter::default(), Some(2))
            .await
            .unwrap();
        let c1 = s.claim("t1", "dev").await.unwrap().unwrap();
        s.mark_running(job.id, &c1.lease_id).await.unwrap();
        // The agent dies: no report. After the lease the job is pending again (with backoff).
        tokio::time::sleep(Duration::from_millis(450)).await;
        s.reap().await.unwrap();
        let j = s.get(job.id).await.unwrap().unwrap();
        assert_eq!(j.status, JobStatus::Pending, "{}", t.name);
        assert_eq!(j.fail_count, 1);
        assert!(j.failure.as_deref().unwrap_or("").contains("lease expired"));
        assert!(j.not_before.is_some());
        // The dead agent's late report is refused.
        assert!(matches!(
            s.complete(job.id, Some(&c1.lease_id)).await,
            Err(StoreError::LeaseLost)
        ));
        // Claimable again after the backoff (50 ms).
        tokio::time::sleep(Duration::from_millis(80)).await;
        let c2 = s.claim("t1", "dev").await.unwrap().expect("retried");
        assert_eq!(c2.job.attempts, 2);
        assert_ne!(c2.lease_id, c1.lease_id);
        // Second agent fails too: attempt limit (2) reached → failed for good.
        let f = s
            .fail(job.id, Some(&c2.lease_id), "boom", false)
            .await
            .unwrap();
        assert_eq!(f.status, JobStatus::Failed, "{}", t.name);
        assert_eq!(f.fail_count, 2);
        assert!(s.claim("t1", "dev").await.unwrap().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failure_backoff_and_permanent_failures() {
    for t in all_stores(|d| StoreConfig {
        backoff_base: Duration::from_millis(300),
        ..quick_cfg(d)
    })
    .await
    {
        let s = &t.store;
        assert_eq!(s.backoff(1), Duration::from_millis(300));
        assert_eq!(
            s.backoff(2),
            Duration::from_millis(400),
            "capped at backoff_max"
        );
        let job = s
            .create("t1", "a", "dev", "pcap", &Filter::default(), None)
            .await
            .unwrap();
        let c = s.claim("t1", "dev").await.unwrap().unwrap();
        s.fail(job.id, Some(&c.lease_id), "transient", false)
            .await
            .unwrap();
        assert!(
            s.claim("t1", "dev").await.unwrap().is_none(),
            "{}: not before backoff",
            t.name
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        let c = s.claim("t1", "dev").await.unwrap().expect("after backoff");
        let f = s
            .fail(job.id, Some(&c.lease_id), "no data", true)
            .await
            .unwrap();
        assert_eq!(
            f.status,
            JobStatus::Failed,
            "permanent failure skips retries"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unclaimed_jobs_expire() {
    for t in all_stores(|d| StoreConfig {
        pending_ttl: Duration::from_millis(100),
        ..quick_cfg(d)
    })
    .await
    {
        let s = &t.store;
        let job = s
            .create("t1", "a", "dev", "pcap", &Filter::default(), None)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(s.claim("t1", "dev").await.unwrap().is_none());
        s.reap().await.unwrap();
        assert_eq!(
            s.get(job.id).await.unwrap().unwrap().status,
            JobStatus::Expired,
            "{}",
            t.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn list_filters_audit_and_nodes() {
    for t in all_stores(quick_cfg).await {
        let s = &t.store;
        s.create("t1", "a", "d1", "pcap", &Filter::default(), None)
            .await
            .unwrap();
        s.create("t1", "a", "d2", "file.hash", &Filter::default(), None)
            .await
            .unwrap();
        let j3 = s
            .create("t2", "b", "d1", "pcap", &Filter::default(), None)
            .await
            .unwrap();
        let q = |tenant: Option<&str>, kind: Option<&str>| ListQuery {
            tenant_id: tenant.map(str::to_string),
            kind: kind.map(str::to_string),
            ..Default::default()
        };
        assert_eq!(
            s.list(&q(Some("t1"), None)).await.unwrap().len(),
            2,
            "{}",
            t.name
        );
        assert_eq!(s.list(&q(Some("t1"), Some("pcap"))).await.unwrap().len(), 1);
        assert_eq!(s.list(&q(None, Some("pcap"))).await.unwrap().len(), 2);
        // A tenant id that looks like SQL is just a value.
        assert!(
            s.list(&q(Some("' OR 1=1 --"), None))
                .await
                .unwrap()
                .is_empty()
        );
        let page = s
            .list(&ListQuery {
                limit: Some(1),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page[0].id, j3.id, "newest first");
        let e = outpost_jobs::store::AuditEntry {
            at: chrono::Utc::now(),
            tenant_id: Some("t2".into()),
            actor_tenant_id: None,
            actor_role: "admin".into(),
            actor: "root".into(),
            action: "job.create".into(),
            job_id: Some(j3.id),
            outcome: "ok".into(),
            detail: None,
        };
        s.audit(&e).await.unwrap();
        let log = s.audit_log(Some(j3.id), 10).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].actor, "root");
        // Filtered, paged queries of the trail.
        let t0 = chrono::Utc::now();
        for (tenant, actor_tenant, actor, job) in [
            ("t2", Some("t2"), "user:own", Some(j3.id)),
            ("t2", Some("t9"), "user:intruder", Some(j3.id)),
            ("t1", None, "user:tech", None),
        ] {
            s.audit(&outpost_jobs::store::AuditEntry {
                at: t0,
                tenant_id: Some(tenant.into()),
                actor_tenant_id: actor_tenant.map(str::to_string),
                actor: actor.into(),
                job_id: job,
                ..e.clone()
            })
            .await
            .unwrap();
        }
        let q = |f: outpost_jobs::AuditQuery| async move { s.query_audit(&f).await.unwrap() };
        let all_t2 = q(outpost_jobs::AuditQuery {
            tenant_id: Some("t2".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(all_t2.len(), 3, "{}", t.name);
        assert!(all_t2.windows(2).all(|w| w[0].id > w[1].id), "newest first");
        let own = q(outpost_jobs::AuditQuery {
            tenant_id: Some("t2".into()),
            own_actors_only: true,
            ..Default::default()
        })
        .await;
        assert!(
            own.iter().all(|r| r.entry.actor != "user:intruder") && own.len() == 2,
            "{}: {own:?}",
            t.name
        );
        let by_device = q(outpost_jobs::AuditQuery {
            device_id: Some(j3.device_id.clone()),
            ..Default::default()
        })
        .await;
        assert!(by_device.iter().all(|r| r.entry.job_id == Some(j3.id)));
        assert_eq!(by_device.len(), 3);
        let page = q(outpost_jobs::AuditQuery {
            job_id: Some(j3.id),
            limit: Some(2),
            ..Default::default()
        })
        .await;
        assert_eq!(page.len(), 2);
        let rest = q(outpost_jobs::AuditQuery {
            job_id: Some(j3.id),
            before_id: Some(page[1].id),
            ..Default::default()
        })
        .await;
        assert_eq!(rest.len(), 1);
        assert!(rest[0].id < page[1].id);
        let later = q(outpost_jobs::AuditQuery {
            since: Some(t0 + chrono::Duration::seconds(1)),
            ..Default::default()
        })
        .await;
        assert!(later.is_empty());
        let window = q(outpost_jobs::AuditQuery {
            since: Some(t0),
            until: Some(t0 + chrono::Duration::milliseconds(1)),
            ..Default::default()
        })
        .await;
        assert!(window.len() >= 3, "{}", window.len());
        let node = outpost_jobs::Node {
            id: "sensor-1".into(),
            version: "2.4".into(),
            ..Default::default()
        };
        s.upsert_node("t1", &node).await.unwrap();
        s.upsert_node("t1", &node).await.unwrap();
        let nodes = s.list_nodes("t1").await.unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].status, "ok");
        assert!(s.list_nodes("t2").await.unwrap().is_empty());
    }
}

/// The job queue's migrations, pinned: a migration file lost or renamed fails this test (and
/// a database that applied it refuses to open, see the next test).
#[test]
fn the_migration_files_are_all_there() {
    assert_migration_files(
        &outpost_jobs::MIGRATIONS,
        &[
            "outpost jobs",
            "audit actor tenant",
            "jobs updated",
            "jobs sensor",
        ],
    );
}

/// A database made before migrations were kept per crate (the server's and the job queue's
/// rows in one `_sqlx_migrations` table, each ignoring the other's) opens: its jobs are kept,
/// nothing runs again, the queue's records move to `_outpost_jobs_migrations` and the
/// server's stay for the store to take; and once there, a migration the binary lacks fails
/// the start instead of going unnoticed.
#[tokio::test]
async fn a_database_of_the_shared_migration_table_opens_and_lost_migrations_fail() {
    let mut stores = vec![common::unmigrated_sqlite_store(quick_cfg).await];
    stores.extend(common::unmigrated_pg_store(quick_cfg).await);
    for t in stores {
        let s = &t.store;
        let db = s.db();
        // What the server did before: the queue's migrations into `_sqlx_migrations`,
        // ignoring missing versions, beside the store's row (version 1).
        migrate_legacy(db, &outpost_jobs::MIGRATIONS).await;
        record_migration(db, LEGACY_TABLE, 1, "foundation").await;
        let job = s
            .create("t1", "alice", "dev1", "pcap", &Filter::default(), None)
            .await
            .unwrap();
        let before = migration_rows(db, LEGACY_TABLE).await;
        assert_eq!(before.len(), 5, "{}", t.name);

        s.migrate().await.unwrap();
        s.migrate().await.unwrap();
        assert_eq!(
            migration_rows(db, "_outpost_jobs_migrations").await,
            before[1..],
            "{}",
            t.name
        );
        assert_eq!(migration_rows(db, LEGACY_TABLE).await, before[..1]);
        assert_eq!(s.get(job.id).await.unwrap().unwrap().id, job.id);

        // A migration this binary does not carry (a lost file) stops the start.
        record_migration(db, "_outpost_jobs_migrations", 1004, "lost").await;
        match s.migrate().await {
            Err(StoreError::Open(outpost_db::DbError::Migrate(
                sqlx::migrate::MigrateError::VersionMissing(1004),
            ))) => {}
            other => panic!("{}: a lost migration went unnoticed: {other:?}", t.name),
        }
    }
}
