//! `outpost job …` subcommands against a live server (feature `cli`).
#![cfg(feature = "cli")]

use crate::common;

use std::time::Duration;

use common::{bearer_principal, quick_cfg, serve, sqlite_store};
use outpost_core::api::Page;
use outpost_jobs::cli::{Conn, JobCommand, run, run_to};
use outpost_jobs::model::{AuditRecord, JobStatus};
use outpost_jobs::{ExecContext, JobsConfig, JobsState, v1_router};

/// `outpost job create` of a `kind` job with `params` for device `a1`, without a time window
/// or flow.
fn create_on_a1(conn: Conn, kind: &str, params: Vec<String>) -> JobCommand {
    JobCommand::Create {
        conn,
        device: "a1".into(),
        kind: kind.into(),
        tenant: None,
        begin: None,
        end: None,
        src_ip: None,
        src_port: None,
        dst_ip: None,
        dst_port: None,
        params,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_show_download_delete() {
    let t = sqlite_store(quick_cfg).await;
    let state = JobsState::new(t.store.clone(), JobsConfig::default()).unwrap();
    let app = v1_router(state.clone()).layer(axum::middleware::from_fn(bearer_principal));
    let base = format!("http://{}", serve(app, "127.0.0.1:0").await);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("target.txt");
    std::fs::write(&file, b"cli test").unwrap();
    let conn = Conn {
        server: base.clone(),
        api_key: "customer:alice:ta".into(),
    };

    let c = conn.clone();
    let f = file.display().to_string();
    tokio::task::spawn_blocking(move || {
        run(create_on_a1(c, "file.hash", vec![format!("path={f}")]))
    })
    .await
    .unwrap()
    .unwrap();
    let jobs = state.store().list(&Default::default()).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let id = jobs[0].id;
    assert_eq!(jobs[0].owner, "alice");
    assert_eq!(
        jobs[0].filter.parameters["path"],
        file.display().to_string()
    );

    // A kind the customer may not create: the CLI reports the server's error.
    let c = conn.clone();
    let err = tokio::task::spawn_blocking(move || {
        run(create_on_a1(c, "process.kill", vec!["pid=1".into()]))
    })
    .await
    .unwrap()
    .unwrap_err();
    assert!(err.to_string().contains("kind_not_allowed"), "{err}");

    // The agent runs it.
    let b = base.clone();
    let done = tokio::task::spawn_blocking(move || {
        outpost_jobs::AgentClient::new(&b, "device:a1:ta", Duration::from_secs(5))
            .run_once(Duration::from_secs(2), &ExecContext::default())
            .unwrap()
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.status, JobStatus::Completed);

    let out = dir.path().join("result.json");
    let (c1, c2, c3, o) = (conn.clone(), conn.clone(), conn.clone(), out.clone());
    tokio::task::spawn_blocking(move || {
        run(JobCommand::List {
            conn: c1,
            tenant: None,
            device: None,
            kind: None,
            status: None,
            limit: 10,
        })?;
        run(JobCommand::Show { conn: c2, id })?;
        run(JobCommand::Download {
            conn: c3,
            id,
            output: Some(o),
        })
    })
    .await
    .unwrap()
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["size"], 8);

    // Another tenant's user sees nothing.
    let other = Conn {
        server: base.clone(),
        api_key: "customer:bob:tb".into(),
    };
    let err = tokio::task::spawn_blocking(move || run(JobCommand::Show { conn: other, id }))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("not_found"), "{err}");

    let c = conn.clone();
    tokio::task::spawn_blocking(move || run(JobCommand::Delete { conn: c, id }))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        state.store().get(id).await.unwrap().unwrap().status,
        JobStatus::Deleted
    );

    // The audit trail of the job: created, claimed, reported, downloaded, deleted.
    let audit = |conn: Conn, job: Option<i64>, limit: u32, cursor: Option<String>, json: bool| {
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            run_to(
                JobCommand::Audit {
                    conn,
                    job,
                    device: None,
                    tenant: None,
                    since: None,
                    until: None,
                    limit,
                    cursor,
                    json,
                },
                &mut out,
            )
            .map(|()| String::from_utf8(out).unwrap())
        })
    };
    let table = audit(conn.clone(), Some(id), 100, None, false)
        .await
        .unwrap()
        .unwrap();
    for action in [
        "job.create",
        "job.claim",
        "job.report",
        "job.result.download",
        "job.delete",
    ] {
        assert!(table.contains(action), "{action} missing:\n{table}");
    }
    let first: Page<AuditRecord> = serde_json::from_str(
        &audit(conn.clone(), Some(id), 2, None, true)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.unwrap();
    let next: Page<AuditRecord> = serde_json::from_str(
        &audit(conn.clone(), Some(id), 2, Some(cursor.clone()), true)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(!next.items.is_empty());
    assert!(
        next.items
            .iter()
            .all(|r| r.id < cursor.parse::<i64>().unwrap())
    );
    // Tenant tb's customer sees none of tenant ta's trail (its own denied read of ta's job is
    // a record of ta).
    let other = Conn {
        server: base.clone(),
        api_key: "customer:bob:tb".into(),
    };
    let theirs = audit(other, None, 100, None, false).await.unwrap().unwrap();
    assert!(
        !theirs.contains("job.create") && !theirs.contains("alice"),
        "{theirs}"
    );
}
