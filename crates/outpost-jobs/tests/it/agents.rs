//! Outpost agents over HTTP (the blocking `AgentClient`): racing agents, a dying agent whose
//! lease expires, long-poll wake-up.

use crate::common;

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
            &StatusReport::new(cl.lease_id.clone(), JobStatus::Running),
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
            &StatusReport::new(claimed.lease_id, JobStatus::Completed),
        )
    })
    .await
    .unwrap();
    match late {
        Err(outpost_jobs::client::ClientError::Status {
            status,
            code,
            message,
        }) => {
            assert_eq!(status, 409);
            let body = format!("{code} {message}");
            assert!(body.contains("lease_lost"), "{body}");
        }
        other => panic!("expected 409, got {other:?}"),
    }
    let b5 = base.clone();
    let lease = second.lease_id.clone();
    let done = tokio::task::spawn_blocking(move || {
        device(&b5, "a1").report(id, &StatusReport::new(lease, JobStatus::Completed))
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
    common::post_job(
        format!("{base}/api/v1/jobs"),
        "Bearer admin:root",
        &serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"file.hash","filter":{"parameters":{"path":"/nonexistent/file"}}}),
    )
    .await;
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

/// Peak resident memory of this process (KiB) since the last [`reset_peak_rss`].
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Resets the kernel's peak-RSS mark to the current RSS (`/proc/self/clear_refs`, Linux 4.0+).
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// Writes a pcap of `n` UDP frames of 1,000 payload bytes (about 1 KiB each), one per
/// millisecond from `t0` seconds, without holding it in memory.
fn write_big_pcap(path: &std::path::Path, n: usize, t0: u64) {
    let header = pcap_file::pcap::PcapHeader {
        datalink: pcap_file::DataLink::ETHERNET,
        ts_resolution: pcap_file::TsResolution::NanoSecond,
        ..Default::default()
    };
    let f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = pcap_file::pcap::PcapWriter::with_header(f, header).unwrap();
    let b = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1000, 2000);
    let mut data = Vec::new();
    b.write(&mut data, &[7u8; 1000]).unwrap();
    for i in 0..n {
        let ts = Duration::from_secs(t0) + Duration::from_millis(i as u64);
        let p = pcap_file::pcap::PcapPacket::new(ts, data.len() as u32, &data);
        w.write_packet(&p).unwrap();
    }
}

/// A `pcap` job streams its result to disk. Extracting 64 MiB of packets used to
/// hold them in memory twice (the matched frames, then the written pcap: peak RSS grew by
/// more than 128 MiB); the result is now an unnamed temporary file and the peak grows by a
/// few MiB whatever the result's size.
#[test]
fn pcap_job_streams_its_result_through_a_bounded_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("capture");
    std::fs::create_dir_all(&cap).unwrap();
    let t0 = 1_700_000_000;
    let n = 64 * 1024;
    write_big_pcap(&cap.join("a.pcap"), n, t0);
    let file_len = std::fs::metadata(cap.join("a.pcap")).unwrap().len();
    // The capture's mtime says when it was written; the window is around the packets.
    let ctx = ExecContext {
        capture_dir: Some(cap.clone()),
        scratch_dir: Some(dir.path().join("tmp")),
        ..ExecContext::default()
    };
    let mut job: outpost_jobs::Job = serde_json::from_value(serde_json::json!({
        "id": 1, "tenant_id": "t", "device_id": "d", "kind": "pcap",
        "filter": {}, "owner": "o", "status": "running", "attempts": 1, "max_attempts": 3,
        "fail_count": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "file_extension": "pcap"
    }))
    .unwrap();
    job.filter.begin_time = chrono::DateTime::from_timestamp(t0 as i64 - 1, 0);
    job.filter.end_time = chrono::DateTime::from_timestamp(t0 as i64 + 3600, 0);
    reset_peak_rss();
    let before = peak_rss_kib();
    let out = outpost_jobs::execute(&job, &ctx).unwrap();
    let grew_kib = peak_rss_kib().saturating_sub(before);
    assert!(
        out.summary.starts_with(&format!("{n} packets")),
        "{}",
        out.summary
    );
    // The in-memory writer's header is the same size: result = file when all match.
    assert_eq!(out.data.len(), file_len);
    assert!(
        grew_kib < 16 * 1024,
        "peak RSS grew by {grew_kib} KiB for a {} KiB result",
        file_len / 1024
    );
    assert!(matches!(out.data, outpost_jobs::ResultData::File { .. }));
}

/// The time limit is enforced by the client even on an executor stuck in a system call: the
/// job is reported failed (permanently) once the limit has passed, and the runner moves on
/// to the next job instead of blocking forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_job_fails_at_its_time_limit_and_the_runner_moves_on() {
    let (base, state, _t) = start(quick_cfg).await;
    let id = create(&state, "a1", "process.list").await;
    let b = base.clone();
    let (job, took) = tokio::task::spawn_blocking(move || {
        let t0 = Instant::now();
        let job = device(&b, "a1")
            .with_time_limit(Duration::from_millis(300))
            .run_once_with(Duration::from_secs(1), |_job| {
                // A read that never returns (a FIFO or a hung network file system).
                std::thread::sleep(Duration::from_secs(30));
                Err(outpost_jobs::JobError::NoCaptureDir)
            })
            .unwrap()
            .expect("claimed");
        (job, t0.elapsed())
    })
    .await
    .unwrap();
    assert!(took < Duration::from_secs(5), "gave up after {took:?}");
    assert_eq!(job.id, id);
    assert_eq!(job.status, JobStatus::Failed);
    assert!(
        job.failure.as_deref().unwrap_or("").contains("time limit"),
        "{job:?}"
    );
    assert!(outpost_jobs::client::abandoned_executors() >= 1);
    // The next job runs.
    let id2 = create(&state, "a1", "process.list").await;
    let b = base.clone();
    let next = tokio::task::spawn_blocking(move || {
        device(&b, "a1")
            .run_once(Duration::from_secs(1), &ExecContext::default())
            .unwrap()
            .expect("claimed")
    })
    .await
    .unwrap();
    assert_eq!((next.id, next.status), (id2, JobStatus::Completed));
}

fn tiny_results(d: &std::path::Path) -> StoreConfig {
    StoreConfig {
        max_result_bytes: 512,
        ..quick_cfg(d)
    }
}

/// A result over the server's `max_result_bytes` fails the job at once with a
/// clear error (it used to stay `running` until its lease ran out, then be handed out again
/// to fail the same way).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_result_over_the_servers_cap_fails_the_job() {
    let (base, state, _t) = start(tiny_results).await;
    let id = create(&state, "a1", "process.list").await;
    let b = base.clone();
    let job = tokio::task::spawn_blocking(move || {
        device(&b, "a1")
            .run_once(Duration::from_secs(1), &ExecContext::default())
            .expect("the run reports the failure")
            .expect("claimed")
    })
    .await
    .unwrap();
    assert_eq!(job.id, id);
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    let stored = state.store().get(id).await.unwrap().unwrap();
    assert_eq!(stored.status, JobStatus::Failed);
    assert_eq!(stored.attempts, 1);
    assert!(stored.lease_id.is_none());
    let why = stored.failure.unwrap_or_default();
    assert!(
        why.contains("512") && why.contains("max_result_bytes"),
        "{why}"
    );
    assert!(stored.result_size.is_none());
}

/// `/api/packets` decodes only what it returns. A 64 MiB result asked for one
/// packet used to be read whole and every frame decoded (peak RSS grew by over 128 MiB per
/// request); it now reads frame by frame and stops after `offset + count`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_packets_decodes_only_what_count_asks_for() {
    use outpost_jobs::compat_router;
    let t = common::sqlite_store(quick_cfg).await;
    let state = JobsState::new(t.store.clone(), common::pcap_compat("k-123", "sensoroni")).unwrap();
    let base = format!(
        "http://{}",
        serve(compat_router(state.clone()), "127.0.0.1:0").await
    );
    let id = common::post_job(
        format!("{base}/api/job/"),
        "k-123",
        &serde_json::json!({"nodeId": "sensor-1", "filter": {"beginTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T01:00:00Z"}}),
    )
    .await;
    // A small result records the job's result, then the big capture takes its place on disk
    // (written streaming, so the test itself does not raise the peak).
    let one = {
        let big = tempfile::tempdir().unwrap();
        write_big_pcap(&big.path().join("x"), 1, 1_700_000_000);
        std::fs::read(big.path().join("x")).unwrap()
    };
    state
        .store()
        .store_result(
            id,
            "pcap",
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(one))]),
        )
        .await
        .unwrap();
    let n = 64 * 1024;
    write_big_pcap(&state.store().result_path(id), n, 1_700_000_000);
    reset_peak_rss();
    let before = peak_rss_kib();
    let r = common::get_as(
        format!("{base}/api/packets?jobId={id}&offset=2&count=1"),
        "k-123",
    )
    .await;
    let grew_kib = peak_rss_kib().saturating_sub(before);
    assert_eq!(r.status(), 200);
    let pkts: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(pkts.len(), 1);
    assert_eq!(pkts[0]["number"], 3);
    assert_eq!(pkts[0]["srcPort"], 1000);
    assert!(
        grew_kib < 16 * 1024,
        "peak RSS grew by {grew_kib} KiB to return one packet"
    );
}
