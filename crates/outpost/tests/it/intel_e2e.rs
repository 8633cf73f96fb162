//! End to end intel distribution: a real server router on a socket (with a switch that
//! corrupts bundles in flight), an agent enrolled through the CLI (which pins the server's key),
//! run-once fetching and matching the signed bundle, conditional fetches answered 304, a
//! tampered bundle refused while the last good one stays in use and is reported at check-in,
//! and a stale bundle's matches confirmed with the server before they become hits.

use crate::common;
use chrono::Utc;
use outpost_agent::config::AgentConfig;
use outpost_agent::run_once::{RunOptions, run_once};
use outpost_core::{Direction, Event, EventKind, NetworkInfo, ProcessInfo, Protocol};
use outpost_intel::bundle::InstallOutcome;
use outpost_server::config::ServerConfig;
use outpost_store::{KeyKind, Store};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_outpost");

/// Flips a byte in the payload of every bundle the server sends while set.
static TAMPER: AtomicBool = AtomicBool::new(false);

async fn tamper(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_bundle = req.uri().path() == "/api/v1/intel/bundle";
    let resp = next.run(req).await;
    if !is_bundle || !TAMPER.load(Ordering::SeqCst) || resp.status() != 200 {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let mut bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap()
        .to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

struct Server {
    url: String,
    store: Store,
    admin: String,
    enroll_key: String,
    public_key: String,
    _rt: tokio::runtime::Runtime,
}

fn start(dir: &Path) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hotlist = dir.join("global.txt");
    std::fs::write(&hotlist, "# global\n203.0.113.0/24\n").unwrap();
    let (url, store, admin, enroll_key, public_key) = rt.block_on(async {
        let store = Store::open_sqlite_dir(&dir.join("server")).await.unwrap();
        store.migrate().await.unwrap();
        let t = store.create_tenant("acme").await.unwrap();
        let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
        let (_, enroll_key) = store
            .create_key(KeyKind::Enrollment, Some(&t.id), "")
            .await
            .unwrap();
        let mut cfg = ServerConfig {
            data_dir: dir.join("server"),
            rate_limit_per_s: 0,
            ..Default::default()
        };
        cfg.intel.hotlists = vec![hotlist];
        let state = outpost_server::build_state(cfg, store.clone())
            .await
            .unwrap();
        let public_key = state.intel.as_ref().unwrap().public_key();
        let app = outpost_server::router(state).layer(axum::middleware::from_fn(tamper));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, store, admin, enroll_key, public_key)
    });
    Server {
        url,
        store,
        admin,
        enroll_key,
        public_key,
        _rt: rt,
    }
}

fn outpost(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("OUTPOST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn event(ip: &str, name: &str) -> Event {
    let mut e = Event::new(Utc::now(), EventKind::Network, "test");
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: 4242,
        name: Some(name.into()),
        ..Default::default()
    }));
    e.network = Some(NetworkInfo {
        direction: Direction::Outbound,
        protocol: Protocol::Tcp,
        remote_ip: Some(ip.parse().unwrap()),
        remote_port: Some(443),
        ..Default::default()
    });
    e
}

fn buffer(agent: &Path, events: &[Event]) {
    let mut w = outpost_agent::buffer::BufferWriter::open(agent).unwrap();
    for e in events {
        w.append(e).unwrap();
    }
    w.flush().unwrap();
}

/// `outpost agent enroll` of the agent at `dir` with the server `s` and its enrollment key,
/// plus `extra` arguments: (success, stdout, stderr).
fn agent_enroll(s: &Server, dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["agent", "enroll", "--data-dir", dir, "--server", &s.url];
    args.extend(["--key", &s.enroll_key]);
    args.extend(extra);
    outpost(&args)
}

fn api(s: &Server, method: &str, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", s.url);
    let auth = format!("Bearer {}", s.admin);
    let mut resp = match body {
        Some(b) => ureq::post(&url)
            .header("Authorization", &auth)
            .send_json(&b),
        None if method == "DELETE" => ureq::delete(&url).header("Authorization", &auth).call(),
        None => ureq::get(&url).header("Authorization", &auth).call(),
    }
    .unwrap();
    resp.body_mut().read_json().unwrap_or(Value::Null)
}

fn hits(s: &Server) -> Vec<Value> {
    api(s, "GET", "/api/v1/hits?limit=1000", None)["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn agent_fetches_verifies_and_keeps_its_last_good_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path());
    let agent = tmp.path().join("agent");

    // Enrollment pins the server's key.
    let (ok, _, err) = agent_enroll(&s, &agent, &["--hostname", "e2e"]);
    assert!(ok, "{err}");
    let cfg = AgentConfig::load(&agent).unwrap();
    assert_eq!(cfg.intel_public_key.as_deref(), Some(s.public_key.as_str()));
    let id = cfg.identity().unwrap();

    // run-once fetches the bundle, matches the global intel in it, and reports the bundle
    // version as the hits' hotlist_version.
    buffer(
        &agent,
        &[event("203.0.113.7", "curl"), event("8.8.8.8", "curl")],
    );
    let report = common::run_once(&agent, true);
    let v1 = report["hotlist_version"].as_str().unwrap().to_string();
    assert!(v1.contains("-g"), "a server bundle version: {v1}");
    let stored = hits(&s);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["remote_ip"], "203.0.113.7");
    assert_eq!(stored[0]["hotlist_version"], v1.as_str());
    assert_eq!(stored[0]["intel"]["indicator"], "203.0.113.0/24");

    // The installed bundle is the verified one; a second fetch is a 304.
    let now = Utc::now();
    let mut cache = outpost_agent::intel::open_cache(&agent, &cfg, now)
        .unwrap()
        .unwrap();
    assert_eq!(cache.current().unwrap().version(), v1);
    let etag = cache.etag().unwrap().to_string();
    let r = ureq::get(outpost_agent::intel::bundle_url(&s.url))
        .header("Authorization", &format!("Bearer {}", id.device_token))
        .header("If-None-Match", &etag)
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 304);
    let timeout = Duration::from_secs(10);
    let out = outpost_agent::intel::refresh(&mut cache, &s.url, &id.device_token, timeout, now);
    assert_eq!(out.unwrap(), InstallOutcome::Unchanged);

    // The tenant's intel changes; the new bundle is corrupted in flight: refused, the last
    // good bundle stays in use, and the error is reported at check-in.
    let tenant = &id.tenant_id;
    let added = api(
        &s,
        "POST",
        "/api/v1/intel/indicators",
        Some(json!({"tenant_id": tenant, "kind": "ip", "value": "198.51.100.50"})),
    );
    let added_id = added["id"].as_str().unwrap().to_string();
    TAMPER.store(true, Ordering::SeqCst);
    let now = Utc::now();
    let e = outpost_agent::intel::refresh(&mut cache, &s.url, &id.device_token, timeout, now)
        .unwrap_err();
    assert!(matches!(e, outpost_intel::BundleError::Tampered(_)), "{e}");
    assert_eq!(
        cache.current().unwrap().version(),
        v1,
        "last good bundle kept"
    );
    let status = outpost_agent::intel::status_report(&cache, now);
    assert!(
        status.last_error.as_deref().unwrap().contains("tampered"),
        "{status:?}"
    );
    assert_eq!(status.version.as_deref(), Some(v1.as_str()));
    // The file on disk is still the good bundle (a new process loads it).
    let reopened = outpost_agent::intel::open_cache(&agent, &cfg, now)
        .unwrap()
        .unwrap();
    assert_eq!(reopened.current().unwrap().version(), v1);
    // run-once meanwhile keeps matching with the last good bundle.
    buffer(&agent, &[event("203.0.113.8", "wget")]);
    let report = common::run_once(&agent, true);
    assert_eq!(report["hotlist_version"], v1.as_str());
    assert_eq!(hits(&s).len(), 2);
    // Check-in carries the refusal to the server, which shows it on the device.
    outpost_agent::checkin::checkin_once(
        &agent,
        &s.url,
        &id.device_token,
        json!({}),
        Duration::from_secs(60),
        status.version.clone(),
        Some(status),
    )
    .unwrap();
    let dev = api(
        &s,
        "GET",
        &format!("/api/v1/devices/{}", id.device_id),
        None,
    );
    assert!(
        dev["intel"]["last_error"]
            .as_str()
            .unwrap()
            .contains("tampered"),
        "{dev}"
    );
    assert_eq!(dev["hotlist_version"], v1.as_str());

    // Delivered intact, the new bundle is installed and the error clears.
    TAMPER.store(false, Ordering::SeqCst);
    let now = Utc::now();
    let out = outpost_agent::intel::refresh(&mut cache, &s.url, &id.device_token, timeout, now);
    let InstallOutcome::Installed { version: v2 } = out.unwrap() else {
        panic!("expected a new bundle")
    };
    assert_ne!(v2, v1);
    assert!(
        cache
            .current()
            .unwrap()
            .hotlist()
            .contains("198.51.100.50".parse::<IpAddr>().unwrap())
    );
    assert!(
        outpost_agent::intel::status_report(&cache, now)
            .last_error
            .is_none()
    );

    // The analyst removes the indicator again. An agent whose bundle has expired (a day
    // later, without a fetch) asks the server before reporting: the removed indicator is
    // refuted, the global one confirmed with the server's current intel.
    api(
        &s,
        "DELETE",
        &format!("/api/v1/intel/indicators/{added_id}"),
        None,
    );
    buffer(
        &agent,
        &[event("198.51.100.50", "nc"), event("203.0.113.9", "nc")],
    );
    let later = Utc::now() + chrono::Duration::days(2);
    let r = run_once(
        &agent,
        &RunOptions {
            now: later,
            force: true,
            hotlist: None,
            fetch_intel: false,
            poll_os_logs: true,
            hash_wait: true,
            client: None,
        },
    )
    .unwrap();
    assert!(r.intel.as_ref().unwrap().stale);
    assert_eq!(r.hotlist_version.as_deref(), Some(v2.as_str()));
    assert_eq!(r.confirm_asked, 2);
    assert_eq!(r.confirm_refuted, 1);
    assert_eq!(r.hits, 1);
    let stored = hits(&s);
    assert_eq!(stored.len(), 3);
    let newest = stored
        .iter()
        .find(|h| h["remote_ip"] == "203.0.113.9")
        .unwrap();
    assert_eq!(newest["intel"]["indicator"], "203.0.113.0/24");
    assert!(stored.iter().all(|h| h["remote_ip"] != "198.51.100.50"));
    let st = outpost_agent::state::State::load(&agent).unwrap();
    assert_eq!(st.counters.matches_refuted, 1);
    drop(s.store);
}

#[test]
fn enrollment_with_a_mismatching_pinned_key_fails_and_a_local_hotlist_pins_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path());
    let other = outpost_intel::distribute::verifying_key_to_hex(
        &outpost_intel::distribute::generate_signing_key().verifying_key(),
    );
    let a = tmp.path().join("a");
    let (ok, _, err) = agent_enroll(&s, &a, &["--intel-key", &other]);
    assert!(!ok);
    assert!(err.contains("differs"), "{err}");
    let (ok, _, err) = agent_enroll(&s, &a, &["--intel-key", &s.public_key]);
    assert!(ok, "{err}");
    assert_eq!(
        AgentConfig::load(&a).unwrap().intel_public_key.as_deref(),
        Some(s.public_key.as_str())
    );
    let b = tmp.path().join("b");
    let list = tmp.path().join("local.txt");
    std::fs::write(&list, "192.0.2.1\n").unwrap();
    let (ok, _, err) = agent_enroll(&s, &b, &["--hotlist", list.to_str().unwrap()]);
    assert!(ok, "{err}");
    let cfg = AgentConfig::load(&b).unwrap();
    assert!(cfg.intel_public_key.is_none());
    assert!(cfg.hotlist.is_some());
}

fn exec_event(exe: &str, name: &str, hashes: outpost_core::Hashes) -> Event {
    let mut e = Event::new(Utc::now(), EventKind::ProcessExec, "test");
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: 5151,
        name: Some(name.into()),
        exe: Some(exe.into()),
        hashes,
        ..Default::default()
    }));
    e
}

fn dns_event(query: &str, answers: &[&str]) -> Event {
    let mut e = Event::new(Utc::now(), EventKind::Dns, "test");
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: 6161,
        name: Some("resolver-app".into()),
        ..Default::default()
    }));
    e.dns = Some(outpost_core::DnsInfo {
        query: query.into(),
        qtype: Some("A".into()),
        rcode: Some("NOERROR".into()),
        answers: answers.iter().map(|a| a.to_string()).collect(),
        server: None,
    });
    e
}

/// `outpost agent run-once --now --json` on `agent`: its report.
fn run_once_json(agent: &Path) -> Value {
    common::run_once(agent, true)
}

fn add_indicator(s: &Server, tenant: &str, kind: &str, value: &str) {
    let r = api(
        s,
        "POST",
        "/api/v1/intel/indicators",
        Some(
            json!({"tenant_id": tenant, "kind": kind, "value": value, "score": 10, "source": "report-42"}),
        ),
    );
    assert_eq!(r["kind"], kind, "{r}");
}

fn enroll(s: &Server, agent: &Path) -> outpost_agent::config::Identity {
    let (ok, _, err) = agent_enroll(s, agent, &["--hostname", "kinds"]);
    assert!(ok, "{err}");
    AgentConfig::load(agent).unwrap().identity().unwrap()
}

/// Every indicator kind a bundle carries matches on the agent and becomes a hit
/// through the real server, which shows the kind; the server's static engine matches the
/// tenant's indicators of every kind in streamed events too.
#[test]
fn every_indicator_kind_matches_on_the_agent_and_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path());
    let agent = tmp.path().join("agent");
    let id = enroll(&s, &agent);
    let tenant = id.tenant_id.clone();

    // A copied binary: its SHA-256 is listed, the exec event carries no hash (the agent
    // hashes the file).
    let dropper = tmp.path().join("dropper-copy");
    std::fs::copy("/bin/true", &dropper).unwrap();
    let sha = outpost_agent::enrich::hash_file(&dropper).unwrap();
    add_indicator(&s, &tenant, "sha256", &sha);
    // A Sysmon-style event bringing its own SHA-1 and MD5.
    add_indicator(&s, &tenant, "sha1", &"ab".repeat(20));
    add_indicator(&s, &tenant, "md5", &"cd".repeat(16));
    add_indicator(&s, &tenant, "process_name", "mimikatz.exe");
    add_indicator(&s, &tenant, "process_path", "/tmp/.hidden/miner");
    add_indicator(&s, &tenant, "domain", "c2.evil-test.example");
    add_indicator(&s, &tenant, "domain_suffix", "bad-test.example");

    let sysmon = outpost_core::Hashes {
        sha1: Some("AB".repeat(20)),
        md5: Some("cd".repeat(16)),
        ..Default::default()
    };
    buffer(
        &agent,
        &[
            exec_event(
                dropper.to_str().unwrap(),
                "dropper-copy",
                Default::default(),
            ),
            exec_event(
                dropper.to_str().unwrap(),
                "dropper-copy",
                Default::default(),
            ),
            exec_event("C:\\Windows\\Temp\\x.exe", "x.exe", sysmon),
            exec_event(
                "C:\\Users\\a\\MIMIKATZ.EXE",
                "MIMIKATZ.EXE",
                Default::default(),
            ),
            exec_event("/tmp/.hidden/miner", "miner", Default::default()),
            exec_event("/usr/bin/ls", "ls", Default::default()),
            dns_event("C2.Evil-Test.example", &[]),
            dns_event("x.bad-test.example", &["198.51.100.77"]),
            dns_event("fine.example", &["198.51.100.78"]),
            // After the lookup: a connection to the answer is the domain's; one to the other
            // name's answer is nothing.
            event("198.51.100.77", "curl"),
            event("198.51.100.78", "curl"),
            event("203.0.113.7", "curl"),
        ],
    );
    let report = run_once_json(&agent);
    assert_eq!(report["hits"], 8, "{report}");
    let stored = hits(&s);
    let by = |kind: &str, process: &str| -> Value {
        stored
            .iter()
            .find(|h| h["intel"]["kind"] == kind && h["process_name"] == process)
            .unwrap_or_else(|| panic!("no {kind} hit of {process}: {stored:#?}"))
            .clone()
    };
    let h = by("sha256", "dropper-copy");
    assert_eq!(h["hit_count"], 2);
    assert_eq!(h["sha256"], sha.as_str());
    assert_eq!(h["intel"]["indicator"], sha.as_str());
    assert_eq!(h["intel"]["source"], "report-42");
    assert!(h.get("remote_ip").is_none(), "{h}");
    assert_eq!(by("sha1", "x.exe")["intel"]["indicator"], "ab".repeat(20));
    assert_eq!(
        by("process_name", "MIMIKATZ.EXE")["intel"]["indicator"],
        "mimikatz.exe"
    );
    assert_eq!(
        by("process_path", "miner")["exe_path"],
        "/tmp/.hidden/miner"
    );
    let d = by("domain", "resolver-app");
    assert_eq!(d["domain"], "c2.evil-test.example");
    // The suffix: the query, and the later connection to its answer, one group per process.
    let q = by("domain_suffix", "resolver-app");
    assert_eq!(q["domain"], "x.bad-test.example");
    assert_eq!(q["intel"]["indicator"], "*.bad-test.example");
    let c = by("domain_suffix", "curl");
    assert_eq!(c["remote_ip"], "198.51.100.77");
    assert_eq!(c["domain"], "x.bad-test.example");
    assert_eq!(by("ip", "curl")["remote_ip"], "203.0.113.7");
    assert_eq!(stored.len(), 8, "nothing else: {stored:#?}");
    // The md5 indicator is the same event as the sha1 one: one hit (the first listed digest).
    // The answers are remembered for later runs.
    let remembered =
        std::fs::read_to_string(outpost_agent::indicators::answers_path(&agent)).unwrap();
    assert!(remembered.contains("198.51.100.77"), "{remembered}");

    // A later run: a connection to the remembered answer is still the domain's.
    buffer(&agent, &[event("198.51.100.77", "wget")]);
    let report = run_once_json(&agent);
    assert_eq!(report["hits"], 1, "{report}");
    let stored = hits(&s);
    let w = stored.iter().find(|h| h["process_name"] == "wget").unwrap();
    assert_eq!(w["intel"]["kind"], "domain_suffix");
    assert_eq!(w["domain"], "x.bad-test.example");

    // The server matches the same indicators in streamed events (full telemetry).
    let batch = json!({
        "batch_id": "kinds-1",
        "events": [
            exec_event(dropper.to_str().unwrap(), "renamed", outpost_core::Hashes {
                sha256: Some(sha.clone()), ..Default::default()
            }),
            dns_event("deep.x.bad-test.example", &[]),
            exec_event("/opt/mimikatz.exe", "mimikatz.exe", Default::default()),
            exec_event("/usr/bin/ls", "ls", Default::default()),
        ]
    });
    let mut r = ureq::post(format!("{}/api/v1/events", s.url))
        .header("Authorization", &format!("Bearer {}", id.device_token))
        .send_json(&batch)
        .unwrap();
    let accepted: Value = r.body_mut().read_json().unwrap();
    assert_eq!(accepted["alerts"], 3, "{accepted}");
    let alerts = api(&s, "GET", "/api/v1/alerts?limit=100", None)["items"]
        .as_array()
        .unwrap()
        .clone();
    let iocs: Vec<String> = alerts
        .iter()
        .flat_map(|a| a["indicators"].as_array().unwrap().clone())
        .filter(|i| i["indicator_type"] == "ioc")
        .map(|i| i["extra_info"].as_str().unwrap().to_string())
        .collect();
    for want in [sha.as_str(), "*.bad-test.example", "mimikatz.exe"] {
        assert!(
            iocs.iter().any(|i| i == want),
            "{want} not matched: {iocs:?}"
        );
    }
}

/// With root (the testkit's rule: skipped without, a failure under `OUTPOST_REQUIRE_HOST`), for
/// `what`: a fresh directory with a server and an agent enrolled with it.
#[cfg(target_os = "linux")]
fn root_enrolled(
    what: &str,
) -> Option<(
    tempfile::TempDir,
    Server,
    std::path::PathBuf,
    outpost_agent::config::Identity,
)> {
    if !outpost_testkit::root(what) {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path());
    let agent = tmp.path().join("agent");
    let id = enroll(&s, &agent);
    Some((tmp, s, agent, id))
}

/// Runs the daemon on an enrolled `agent` (a correlation pass a second, no check-ins or jobs,
/// no file or container sensors; `tweak` changes more) until the returned flag is set, once
/// its first pass has installed the tenant's bundle.
#[cfg(target_os = "linux")]
#[allow(clippy::type_complexity)]
fn start_daemon(
    agent: &Path,
    tweak: impl FnOnce(&mut AgentConfig),
) -> (
    std::sync::Arc<AtomicBool>,
    std::thread::JoinHandle<
        Result<outpost_agent::daemon::DaemonCounters, outpost_agent::AgentError>,
    >,
) {
    let mut cfg = AgentConfig::load(agent).unwrap();
    cfg.daemon.correlate_interval_secs = 1;
    cfg.daemon.checkin_interval_secs = 0;
    cfg.daemon.jobs = false;
    cfg.sensors.files.enabled = false;
    cfg.sensors.containers.enabled = false;
    tweak(&mut cfg);
    cfg.save(agent).unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let (d, st) = (agent.to_path_buf(), stop.clone());
    let daemon = std::thread::spawn(move || outpost_agent::daemon::run(&d, st));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !outpost_agent::intel::cache_dir(agent)
        .join(outpost_intel::bundle::CURRENT_FILE)
        .exists()
    {
        assert!(std::time::Instant::now() < deadline, "no bundle installed");
        std::thread::sleep(Duration::from_millis(100));
    }
    (stop, daemon)
}

/// The first stored hit of indicator kind `kind`, waiting until `deadline`.
#[cfg(target_os = "linux")]
fn wait_hit(s: &Server, kind: &str, deadline: std::time::Instant) -> Option<Value> {
    loop {
        let found = hits(s).into_iter().find(|h| h["intel"]["kind"] == kind);
        if found.is_some() || std::time::Instant::now() >= deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// On the real kernel: the daemon sees a copied binary start (netlink proc
/// connector), hashes it as it starts (the binary is deleted right after it ran) and the hit
/// of its listed SHA-256 reaches the real server.
#[cfg(target_os = "linux")]
#[test]
fn a_copied_binary_whose_hash_is_listed_is_a_hit_when_it_runs() {
    let Some((tmp, s, agent, id)) = root_enrolled("the daemon's process sensor") else {
        return;
    };
    let bin = tmp.path().join("listed-tool");
    std::fs::copy("/bin/sleep", &bin).unwrap();
    // Unique content: a hash no other binary on this host has.
    let mut bytes = std::fs::read(&bin).unwrap();
    bytes.extend_from_slice(format!("outpost-test-{}", std::process::id()).as_bytes());
    std::fs::write(&bin, &bytes).unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sha = outpost_agent::enrich::hash_file(&bin).unwrap();
    add_indicator(&s, &id.tenant_id, "sha256", &sha);

    let (stop, daemon) = start_daemon(&agent, |cfg| {
        cfg.sensors.network.enabled = false;
    });
    // The pass after the bundle's installation learnt that it holds hash indicators.
    std::thread::sleep(Duration::from_millis(1500));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    // It runs for a while (as droppers do) and deletes its file at once: only hashing as it
    // started (through the live process, the file being gone) sees it, never the
    // correlation pass.
    let mut child = Command::new(&bin).arg("30").spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::remove_file(&bin).unwrap();
    let found = wait_hit(&s, "sha256", deadline);
    let _ = child.kill();
    let _ = child.wait();
    stop.store(true, Ordering::Relaxed);
    let c = daemon.join().unwrap().unwrap();
    let h = found.unwrap_or_else(|| {
        let mut seen = String::new();
        for e in walk(&agent) {
            if let Ok(t) = std::fs::read_to_string(&e) {
                for l in t.lines().filter(|l| l.contains("listed-tool")) {
                    seen.push_str(l);
                    seen.push('\n');
                }
            }
        }
        panic!("no sha256 hit; daemon counters {c:?}; events of the tool:\n{seen}")
    });
    assert_eq!(h["sha256"], sha.as_str());
    assert_eq!(h["process_name"], "listed-tool");
    assert!(c.exec_hashing.hashed >= 1, "{c:?}");
}

#[cfg(target_os = "linux")]
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A DNS query for `name` (type A), as a resolver sends it.
#[cfg(target_os = "linux")]
fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut q = Vec::new();
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// On the real kernel: a process resolving a listed domain is a hit naming the
/// domain, through the daemon's DNS sensor (packet tap of port 53) and the real server — even
/// though no DNS server answers (the query goes to 127.0.0.3:53, where nothing listens; the
/// test's own loopback, never the system's resolver).
#[cfg(target_os = "linux")]
#[test]
fn resolving_a_listed_domain_is_a_hit_even_without_an_answer() {
    let Some((_tmp, s, agent, id)) = root_enrolled("the daemon's DNS sensor") else {
        return;
    };
    add_indicator(&s, &id.tenant_id, "domain_suffix", "c2-kernel-test.example");
    let (stop, daemon) = start_daemon(&agent, |cfg| {
        cfg.sensors.processes.enabled = false;
        cfg.sensors.dns = true;
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(
        &dns_query(0x4242, "Beacon.C2-Kernel-Test.example"),
        "127.0.0.3:53",
    )
    .unwrap();
    let found = wait_hit(&s, "domain_suffix", deadline);
    stop.store(true, Ordering::Relaxed);
    let c = daemon.join().unwrap().unwrap();
    let h = found.unwrap_or_else(|| panic!("no domain hit; daemon counters {c:?}"));
    assert_eq!(h["domain"], "beacon.c2-kernel-test.example");
    assert_eq!(h["intel"]["indicator"], "*.c2-kernel-test.example");
    assert!(h.get("remote_ip").is_none(), "{h}");
}
