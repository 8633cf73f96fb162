//! Outpost agents over HTTP (the blocking `AgentClient`): racing agents, a dying agent whose
//! lease expires, long-poll wake-up.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{bearer_principal, quick_cfg, serve, sqlite_store};
use outpost_jobs::model::{JobStatus, StatusReport};
use outpost_jobs::store::StoreConfig;
use outpost_jobs::{AgentClient, ExecContext, JobsConfig, JobsState, v1_router};

async fn start(cfg: fn(&std::path::Path) -> StoreConfig) -> (String, JobsState, common::TestStore) {
    let t = sqlite_store(cfg).await;
    let state = JobsState::new(t.store.clone(), JobsConfig::default()).unwrap();
    let app = v1_router(state.clone()).layer(axum::middleware::from_fn(bearer_principal));
    let addr = serve(app, "127.0.0.1:0").await;
    (format!("http://{addr}"), state, t)
}

fn device(base: &str, id: &str) -> AgentClient {
    AgentClient::new(base, &format!("device:{id}:ta"), Duration::from_secs(10))
}

async fn create(state: &JobsState, device: &str, kind: &str) -> i64 {
    state
        .store()
        .create("ta", "root", device, kind, &Default::default(), None)
        .await
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_agents_racing_run_a_job_once() {
    let (base, state, _t) = start(quick_cfg).await;
    for round in 0..5 {
        let id = create(&state, "a1", "agent.config").await;
        state.notify();
        let runs = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..2 {
            // Two agent processes configured with the same device identity.
            let c = device(&base, "a1");
            let runs = runs.clone();
            handles.push(tokio::task::spawn_blocking(move || {
                let ctx = ExecContext::default();
                if let Some(job) = c.run_once(Duration::from_secs(1), &ctx).unwrap() {
                    runs.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(job.status, JobStatus::Completed);
                    Some(job.id)
                } else {
                    None
                }
            }));
        }
        let mut got = Vec::new();
        for h in handles {
            got.extend(h.await.unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "round {round}: {got:?}");
        assert_eq!(got, vec![id]);
        let j = state.store().get(id).await.unwrap().unwrap();
        assert_eq!((j.status, j.attempts), (JobStatus::Completed, 1));
        assert!(j.result_size.unwrap_or(0) > 0);
    }
}

fn short_lease(d: &std::path::Path) -> StoreConfig {
    StoreConfig {
        lease: Duration::from_millis(600),
        ..quick_cfg(d)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dead_agent_lease_expires_and_job_is_retried() {
    let (base, state, _t) = start(short_lease).await;
    let id = create(&state, "a1", "process.list").await;
    let b2 = base.clone();
    // Agent 1 claims, says "running", then dies (never reports again).
    let claimed = tokio::task::spawn_blocking(move || {
        let c = device(&b2, "a1");
        let cl = c
            .next_job(Duration::from_secs(1))
            .unwrap()
            .expect("claimed");
        c.report(
            cl.job.id,
            &StatusReport {
                lease_id: cl.lease_id.clone(),
                status: JobStatus::Running,
                failure: None,
                permanent: false,
            },
        )
        .unwrap();
        cl
    })
    .await
    .unwrap();
    assert_eq!(claimed.job.id, id);
    // Agent 2 (restarted agent) long-polls and gets the job once the lease ran out.
    let b3 = base.clone();
    let started = Instant::now();
    let second = tokio::task::spawn_blocking(move || {
        device(&b3, "a1").next_job(Duration::from_secs(10)).unwrap()
    })
    .await
    .unwrap()
    .expect("retried after lease expiry");
    assert_eq!(second.job.id, id);
    assert_eq!(second.job.attempts, 2);
    assert_eq!(second.job.fail_count, 1);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    // The dead agent's late completion is refused.
    let b4 = base.clone();
    let late = tokio::task::spawn_blocking(move || {
        device(&b4, "a1").report(
            id,
            &StatusReport {
                lease_id: claimed.lease_id,
                status: JobStatus::Completed,
                failure: None,
                permanent: false,
            },
        )
    })
    .await
    .unwrap();
    match late {
        Err(outpost_jobs::client::ClientError::Status { status, body }) => {
            assert_eq!(status, 409);
            assert!(body.contains("lease_lost"), "{body}");
        }
        other => panic!("expected 409, got {other:?}"),
    }
    let b5 = base.clone();
    let lease = second.lease_id.clone();
    let done = tokio::task::spawn_blocking(move || {
        device(&b5, "a1").report(
            id,
            &StatusReport {
                lease_id: lease,
                status: JobStatus::Completed,
                failure: None,
                permanent: false,
            },
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.status, JobStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_poll_wakes_on_creation_and_failures_are_reported() {
    let (base, state, _t) = start(quick_cfg).await;
    let b = base.clone();
    let waiter = tokio::task::spawn_blocking(move || {
        let t0 = Instant::now();
        let c = device(&b, "a1");
        let got = c.next_job(Duration::from_secs(20)).unwrap();
        (got, t0.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let created = Instant::now();
    // Create through HTTP as staff.
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/jobs"))
        .header("Authorization", "Bearer admin:root")
        .json(&serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"file.hash","filter":{"parameters":{"path":"/nonexistent/file"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let (got, _) = waiter.await.unwrap();
    let latency = created.elapsed();
    assert!(
        latency < Duration::from_secs(1),
        "dispatch took {latency:?}"
    );
    let claimed = got.expect("job delivered to the waiting agent");
    // Executing it fails (no such file): reported as a retryable failure.
    let b = base.clone();
    let job = tokio::task::spawn_blocking(move || {
        let c = device(&b, "a1");
        let e = outpost_jobs::execute(&claimed.job, &ExecContext::default()).unwrap_err();
        c.report(
            claimed.job.id,
            &StatusReport {
                lease_id: claimed.lease_id,
                status: JobStatus::Failed,
                failure: Some(e.to_string()),
                permanent: e.is_permanent(),
            },
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(job.status, JobStatus::Pending, "I/O errors are retried");
    assert_eq!(job.fail_count, 1);
    assert!(job.failure.unwrap().contains("/nonexistent/file"));
    let _ = state;
}

/// A job that runs longer than its lease keeps the lease (the client renews it while the
/// executor runs): a second agent of the same device long-polling all the while never gets
/// it, and it completes on the first attempt. Without renewal the lease would run out after
/// 600 ms and the job would be handed out again (see the test above).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_running_longer_than_its_lease_is_not_handed_out_again() {
    let (base, state, _t) = start(short_lease).await;
    let id = create(&state, "a1", "process.list").await;
    let b1 = base.clone();
    let runner = tokio::task::spawn_blocking(move || {
        let t0 = Instant::now();
        // The real executor after a delay of four leases (a slow disk, a huge capture).
        let job = device(&b1, "a1")
            .run_once_with(Duration::from_secs(1), |job| {
                std::thread::sleep(Duration::from_millis(2400));
                outpost_jobs::execute(job, &ExecContext::default())
            })
            .unwrap()
            .expect("claimed");
        (job, t0.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let b2 = base.clone();
    let rival = tokio::task::spawn_blocking(move || {
        let c = device(&b2, "a1");
        let t0 = Instant::now();
        let mut stolen = Vec::new();
        while t0.elapsed() < Duration::from_millis(2600) {
            if let Some(c) = c.next_job(Duration::from_secs(1)).unwrap() {
                stolen.push(c.job.id);
            }
        }
        stolen
    });
    let (job, took) = runner.await.unwrap();
    let stolen = rival.await.unwrap();
    assert!(took >= Duration::from_millis(2400), "{took:?}");
    assert!(stolen.is_empty(), "handed to a second agent: {stolen:?}");
    assert_eq!(job.id, id);
    assert_eq!(job.status, JobStatus::Completed);
    let j = state.store().get(id).await.unwrap().unwrap();
    assert_eq!((j.attempts, j.fail_count), (1, 0));
    assert!(j.result_size.unwrap_or(0) > 0);
    // The renewals are in the audit trail (a `job.report` of status running each time).
    let renewals = state
        .store()
        .audit_log(Some(id), 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "job.report" && a.detail.as_deref() == Some("status=running"))
        .count();
    assert!(renewals >= 4, "{renewals} running reports");
}

#[test]
fn renewal_interval_is_a_third_of_the_lease() {
    use outpost_jobs::client::renew_interval;
    assert_eq!(
        renew_interval(Duration::from_secs(300)),
        Duration::from_secs(100)
    );
    assert_eq!(
        renew_interval(Duration::from_millis(30)),
        Duration::from_millis(50)
    );
    assert_eq!(
        renew_interval(Duration::from_secs(7200)),
        Duration::from_secs(600)
    );
}
