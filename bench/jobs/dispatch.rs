//! Dispatch latency benchmark: time from `POST /api/v1/jobs` (job creation) to the moment an
//! online agent, long-polling `GET /api/v1/agent/jobs/next`, holds the job and can start it.
//!
//! Real HTTP over loopback, real SQLite file database (WAL), the crate's blocking agent client.
//! Jobs are created one at a time at random 20–150 ms gaps (the agent is idle and waiting, the
//! case the <1 s p99 target is about).
//!
//! Run: `CARGO_TARGET_DIR=/work/target-jobs cargo bench -p outpost-jobs --bench dispatch`
//! (`DISPATCH_JOBS=N` sets the number of jobs, default 300).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use outpost_core::auth::{Principal, Role};
use outpost_db::Db;
use outpost_jobs::model::{JobStatus, StatusReport};
use outpost_jobs::store::{JobStore, StoreConfig};
use outpost_jobs::{AgentClient, JobsConfig, JobsState, v1_router};

/// Stand-in for the server's auth middleware: `Bearer device` → device a1, else admin.
async fn auth(mut req: Request, next: Next) -> Response {
    let device = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "Bearer device");
    let p = if device {
        Principal {
            role: Role::Device,
            subject: "a1".into(),
            tenant_id: Some("ta".into()),
        }
    } else {
        Principal {
            role: Role::Admin,
            subject: "bench".into(),
            tenant_id: None,
        }
    };
    req.extensions_mut().insert(p);
    next.run(req).await
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let n: usize = std::env::var("DISPATCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let (addr, _state) = rt.block_on(async {
        let db = Db::open_sqlite_file(&dir.path().join("jobs.db"))
            .await
            .expect("sqlite");
        let store = JobStore::new(
            db,
            StoreConfig {
                data_dir: dir.path().into(),
                ..StoreConfig::default()
            },
        );
        store.migrate().await.expect("migrate");
        let state = JobsState::new(store, JobsConfig::default()).expect("state");
        let app = v1_router(state.clone()).layer(axum::middleware::from_fn(auth));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        (addr, state)
    });
    let base = format!("http://{addr}");

    // The agent: long-polls, notes when it holds each job, completes it.
    let (tx, rx) = mpsc::channel::<(i64, Instant)>();
    let agent_base = base.clone();
    let agent = std::thread::spawn(move || {
        let c = AgentClient::new(&agent_base, "device", Duration::from_secs(10));
        let mut got = 0;
        while got < n {
            match c.next_job(Duration::from_secs(30)) {
                Ok(Some(claim)) => {
                    let at = Instant::now();
                    let _ = tx.send((claim.job.id, at));
                    got += 1;
                    let _ = c.report(
                        claim.job.id,
                        &StatusReport {
                            lease_id: claim.lease_id,
                            status: JobStatus::Completed,
                            failure: None,
                            permanent: false,
                        },
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    eprintln!("agent error: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    });

    // The creator.
    let http = ureq::Agent::new_with_defaults();
    let mut created: HashMap<i64, Instant> = HashMap::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 130));
        let t0 = Instant::now();
        let mut resp = http
            .post(format!("{base}/api/v1/jobs"))
            .header("Authorization", "Bearer admin")
            .send_json(
                serde_json::json!({"tenant_id": "ta", "device_id": "a1", "kind": "process.list"}),
            )
            .expect("create");
        let v: serde_json::Value = resp.body_mut().read_json().expect("json");
        let id = v["id"].as_i64().expect("id");
        created.insert(id, t0);
    }
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let (id, at) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("agent received every job");
        let t0 = created.get(&id).copied().expect("known job");
        lat.push(at.saturating_duration_since(t0));
    }
    let _ = agent.join();
    lat.sort();
    let mean = lat.iter().sum::<Duration>() / lat.len() as u32;
    println!(
        "dispatch latency (job creation -> agent holds job), {n} jobs, SQLite, HTTP long-poll on loopback"
    );
    println!(
        "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  mean {:.2} ms",
        pct(&lat, 0.50).as_secs_f64() * 1e3,
        pct(&lat, 0.90).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3
    );
    let p99 = pct(&lat, 0.99);
    if p99 >= Duration::from_secs(1) {
        eprintln!("p99 {p99:?} is above the 1 s target");
        std::process::exit(1);
    }
}
