//! The daemon's job runner (`daemon::spawn_job_runner`, the thread `outpost agent run`
//! starts, with the context `daemon::exec_context` builds from the effective configuration)
//! against a real `outpost-server` on loopback: jobs created through `POST /api/v1/jobs` are
//! claimed by the agent's device token, run, uploaded and completed.

use outpost_agent::AgentConfig;
use outpost_agent::daemon::spawn_job_runner;
use outpost_core::api::{Device, Tenant};
use outpost_server::config::ServerConfig;
use outpost_store::{KeyKind, Store};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn api(base: &str, key: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Vec<u8>) {
    let url = format!("{base}{path}");
    let auth = format!("Bearer {key}");
    let a = http();
    let mut resp = match (method, body) {
        ("POST", Some(b)) => a.post(&url).header("Authorization", &auth).send_json(&b),
        ("GET", None) => a.get(&url).header("Authorization", &auth).call(),
        other => panic!("unsupported {other:?}"),
    }
    .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.body_mut().read_to_vec().unwrap();
    (status, bytes)
}

/// A real server on loopback (SQLite under `{dir}/server`, no rate limit) with tenant `acme`,
/// one Linux device and an admin key: the tenant, the device, its token, the admin key and
/// `http://127.0.0.1:PORT`.
pub(crate) async fn server_with_device(
    dir: &Path,
    hostname: &str,
) -> (Tenant, Device, String, String, String) {
    let store = Store::open_sqlite_dir(&dir.join("server")).await.unwrap();
    store.migrate().await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let (dev, token) = store
        .create_device(&tenant.id, hostname, Some("linux"), None)
        .await
        .unwrap();
    let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
    let cfg = ServerConfig {
        data_dir: dir.join("server"),
        rate_limit_per_s: 0,
        ..Default::default()
    };
    let state = outpost_server::build_state(cfg, store).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(outpost_server::serve_on(
        listener,
        state,
        std::future::pending::<()>(),
    ));
    (tenant, dev, token, admin, base)
}

/// The daemon's job runner on the agent data directory `dir`, as `outpost agent run` starts it.
pub(crate) struct Runner {
    pub stop: Arc<AtomicBool>,
    /// Jobs run.
    pub run: Arc<AtomicU64>,
    /// Jobs that failed.
    pub errors: Arc<AtomicU64>,
    _thread: std::thread::JoinHandle<()>,
}

impl Runner {
    pub(crate) fn start(dir: &Path) -> Runner {
        let cfg = outpost_agent::checkin::effective_config(dir).unwrap();
        let id = cfg.identity().unwrap();
        let (stop, run, errors) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let thread =
            spawn_job_runner(&cfg, &id, dir, stop.clone(), run.clone(), errors.clone()).unwrap();
        Runner {
            stop,
            run,
            errors,
            _thread: thread,
        }
    }
}

/// `POST /api/v1/jobs` with the admin key `key`: the new job's id.
pub(crate) fn create_job(base: &str, key: &str, body: &Value) -> i64 {
    let (s, body) = api(base, key, "POST", "/api/v1/jobs", Some(body.clone()));
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    v["id"].as_i64().unwrap()
}

/// Polls job `id` until it has completed (failing on `failed` or at `deadline`).
pub(crate) fn wait_for_job(base: &str, key: &str, id: i64, deadline: Instant) -> Value {
    loop {
        let (s, body) = api(base, key, "GET", &format!("/api/v1/jobs/{id}"), None);
        assert_eq!(s, 200);
        let v: Value = serde_json::from_slice(&body).unwrap();
        if v["status"] == "completed" || v["status"] == "failed" {
            assert_eq!(v["status"], "completed", "job {id}: {v}");
            return v;
        }
        assert!(Instant::now() < deadline, "job {id} still {}", v["status"]);
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The result file of job `id`.
pub(crate) fn job_result(base: &str, key: &str, id: i64) -> Vec<u8> {
    let (s, data) = api(base, key, "GET", &format!("/api/v1/jobs/{id}/result"), None);
    assert_eq!(s, 200, "job {id}");
    data
}

/// The agent's data directory as enrollment leaves it, for a server at `server_url`.
fn enrolled_agent(
    dir: &Path,
    tenant: &Tenant,
    dev: &Device,
    token: &str,
    server_url: &str,
) -> std::path::PathBuf {
    let agent_dir = dir.join("agent");
    AgentConfig {
        server_url: Some(server_url.to_string()),
        tenant_id: Some(tenant.id.clone()),
        device_id: Some(dev.id.clone()),
        device_token: Some(token.to_string()),
        hostname: Some("agent-host".into()),
        ..Default::default()
    }
    .save(&agent_dir)
    .unwrap();
    agent_dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_job_runner_completes_jobs_created_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (tenant, dev, token, admin, base) = server_with_device(dir.path(), "agent-host").await;

    // The agent's data directory as enrollment leaves it, read like the daemon reads it.
    let agent_dir = enrolled_agent(dir.path(), &tenant, &dev, &token, &base);
    let runner = Runner::start(&agent_dir);

    let target = dir.path().join("hash-me.txt");
    std::fs::write(&target, b"outpost job runner test\n").unwrap();
    let want_sha = hex::encode(Sha256::digest(b"outpost job runner test\n"));
    let (b, k, tid, did, path) = (
        base.clone(),
        admin.clone(),
        tenant.id.clone(),
        dev.id.clone(),
        target.display().to_string(),
    );
    let results = tokio::task::spawn_blocking(move || {
        let mut ids = Vec::new();
        for (kind, params) in [
            ("process.list", json!({})),
            ("file.hash", json!({"path": path})),
            ("agent.config", json!({})),
        ] {
            let body = json!({"tenant_id": tid, "device_id": did, "kind": kind, "filter": {"parameters": params}});
            ids.push((kind, create_job(&b, &k, &body)));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut out = Vec::new();
        for (kind, id) in ids {
            let job = wait_for_job(&b, &k, id, deadline);
            assert_eq!(job["attempts"], 1, "{kind}: {job}");
            let data = job_result(&b, &k, id);
            out.push((kind, serde_json::from_slice::<Value>(&data).unwrap()));
        }
        out
    })
    .await
    .unwrap();

    let by = |k: &str| &results.iter().find(|(kind, _)| *kind == k).unwrap().1;
    // process.list lists this very test process.
    let me = u64::from(std::process::id());
    let procs = by("process.list");
    let list = procs["processes"]
        .as_array()
        .unwrap_or_else(|| panic!("no process list: {procs}"));
    assert!(
        list.iter().any(|p| p["pid"].as_u64() == Some(me)),
        "pid {me} not in the process list"
    );
    // file.hash hashed the file on this host.
    assert_eq!(by("file.hash")["sha256"], want_sha);
    assert_eq!(by("file.hash")["size"], 24);
    // agent.config is the daemon's effective configuration, without the device token.
    let conf = by("agent.config");
    assert_eq!(conf["device_id"], dev.id);
    assert_eq!(conf["server_url"], base);
    assert!(!conf.to_string().contains(&token), "{conf}");
    assert_eq!(runner.run.load(Ordering::Relaxed), 3);
    assert_eq!(runner.errors.load(Ordering::Relaxed), 0);
    // The runner's long poll in flight ends within its wait; the process exits before.
    runner.stop.store(true, Ordering::Relaxed);
}

/// A TCP relay on loopback in front of `to` that counts the connections made through it.
fn counting_relay(to: &str) -> (String, Arc<AtomicU64>) {
    let to = to.trim_start_matches("http://").to_string();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let n = Arc::new(AtomicU64::new(0));
    let count = n.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { return };
            count.fetch_add(1, Ordering::Relaxed);
            let s = std::net::TcpStream::connect(&to).unwrap();
            let (mut c2, mut s2) = (c.try_clone().unwrap(), s.try_clone().unwrap());
            let (mut c, mut s) = (c, s);
            std::thread::spawn(move || std::io::copy(&mut c, &mut s));
            std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
        }
    });
    (base, n)
}

/// The daemon's calls of the server (check-ins, and each correlation pass's bundle fetch,
/// confirmations and uploads) go through the one client it keeps: one kept-alive connection
/// for any number of calls, where a client per call (as before) opened one connection per call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemons_calls_share_one_client_and_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (tenant, dev, token, _admin, base) = server_with_device(dir.path(), "agent-host").await;
    let (relay, connections) = counting_relay(&base);
    let agent_dir = enrolled_agent(dir.path(), &tenant, &dev, &token, &relay);
    tokio::task::spawn_blocking(move || {
        use outpost_agent::checkin::{Report, checkin_once, checkin_with};
        use outpost_agent::run_once::{RunOptions, run_once};
        let report = || Report {
            counters: json!({}),
            interval: Duration::from_secs(60),
            ..Report::default()
        };
        let client = outpost_agent::api::Client::new(&relay, Duration::from_secs(30));
        for _ in 0..3 {
            checkin_with(&agent_dir, &client, &token, report()).unwrap();
            let opts = RunOptions {
                force: true,
                client: Some(client.clone()),
                ..RunOptions::default()
            };
            run_once(&agent_dir, &opts).unwrap();
        }
        assert_eq!(connections.load(Ordering::Relaxed), 1);
        // A client per call: a connection per call.
        for _ in 0..3 {
            checkin_once(
                &agent_dir,
                &relay,
                &token,
                json!({}),
                Duration::from_secs(60),
                None,
                None,
            )
            .unwrap();
        }
        assert_eq!(connections.load(Ordering::Relaxed), 4);
    })
    .await
    .unwrap();
}
