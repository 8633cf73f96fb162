//! The server under failure, as real processes: SIGKILL during ingest loses no acknowledged
//! hit and stores no partial batch; SIGTERM finishes the requests it accepted and exits 0;
//! two server processes on one PostgreSQL behave as one (no duplicate ingest, no lost update).

use crate::common;

use common::{
    Server, acme_tenant, all_hits_fast, enroll, get_json, outpost, start_server_with, try_post,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HITS_PER_BATCH: usize = 25;

/// A server without rate limits (the uploaders send as fast as they can).
fn server_with(data: &Path, env: &[(&str, &str)]) -> Server {
    let mut env = env.to_vec();
    env.push(("OUTPOST_RATE_LIMIT_PER_S", "0"));
    start_server_with(data, &env)
}

/// A batch of distinct hits; batch `n` of device `d` always has the same content.
fn batch(tenant: &str, device: &str, d: usize, n: usize) -> (String, Vec<u8>) {
    let id = format!("d{d}-b{n}");
    let hits: Vec<Value> = (0..HITS_PER_BATCH)
        .map(|h| {
            json!({
                "remote_ip": format!("10.{d}.{}.{}", n % 250, h + 1),
                "remote_port": 443, "protocol": "tcp", "process_name": format!("proc{h}"),
                "pid": 1000 + h, "exe_path": null, "sha256": null,
                "first_seen_utc": "2026-12-01T10:00:00Z", "last_seen_utc": "2026-12-01T10:05:00Z",
                "hit_count": 3, "sample_events": []
            })
        })
        .collect();
    let body = json!({
        "batch_id": id, "tenant_id": tenant, "device_id": device, "hostname": format!("host{d}"),
        "agent_version": "test", "hotlist_version": "v1", "hits": hits
    });
    (id, serde_json::to_vec(&body).unwrap())
}

fn hits_per_batch(url: &str, admin: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for h in all_hits_fast(url, admin) {
        *m.entry(h["batch_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

/// Every batch attempted: batch id → (device token, body).
type Attempts = BTreeMap<String, (String, Vec<u8>)>;

/// Uploaders that send batches until told to stop or until the server is gone; answer the
/// acknowledged batch ids and every batch attempted.
struct Load {
    acked: Arc<Mutex<BTreeSet<String>>>,
    attempted: Arc<Mutex<Attempts>>,
    errors_5xx: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

fn start_load(url: &str, devices: &[(String, String, String)]) -> Load {
    let load = Load {
        acked: Default::default(),
        attempted: Default::default(),
        errors_5xx: Default::default(),
        stop: Arc::new(AtomicBool::new(false)),
        threads: Vec::new(),
    };
    let mut threads = Vec::new();
    for (d, (tenant, device, token)) in devices.iter().cloned().enumerate() {
        let (acked, attempted, errs, stop) = (
            load.acked.clone(),
            load.attempted.clone(),
            load.errors_5xx.clone(),
            load.stop.clone(),
        );
        let url = format!("{url}/api/v1/hits");
        threads.push(std::thread::spawn(move || {
            for n in 0.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let (id, body) = batch(&tenant, &device, d, n);
                attempted
                    .lock()
                    .unwrap()
                    .insert(id.clone(), (token.clone(), body.clone()));
                match try_post(&url, &token, &body) {
                    Ok((200, _)) => {
                        acked.lock().unwrap().insert(id);
                    }
                    Ok((s, v)) => {
                        if s >= 500 {
                            errs.lock().unwrap().push(format!("{id}: {s} {v}"));
                        }
                        return;
                    }
                    // Connection refused or reset: the server is gone.
                    Err(_) => return,
                }
            }
        }));
    }
    Load { threads, ..load }
}

fn wait_acked(load: &Load, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while load.acked.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "uploads too slow");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A server on `data` with tenant acme and four enrolled devices (hosts `host0`…`host3`), and
/// the admin key.
fn four_devices(data: &Path) -> (Server, Vec<(String, String, String)>, String) {
    let (enroll_key, admin) = acme_tenant(data);
    let server = server_with(data, &[]);
    let devices = (0..4)
        .map(|i| enroll(&server, &enroll_key, &format!("host{i}")))
        .collect();
    (server, devices, admin)
}

/// Restarts the server on `data` and checks that every acknowledged batch is stored with all
/// its hits: the restarted server and the hits stored per batch.
fn restart_with_acked_stored(
    data: &Path,
    admin: &str,
    acked: &BTreeSet<String>,
) -> (Server, BTreeMap<String, usize>) {
    let server = server_with(data, &[]);
    let stored = hits_per_batch(&server.url, admin);
    for id in acked {
        assert_eq!(
            stored.get(id),
            Some(&HITS_PER_BATCH),
            "acknowledged batch {id}"
        );
    }
    (server, stored)
}

#[test]
fn sigkill_during_ingest_loses_no_acknowledged_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let (mut server, devices, admin) = four_devices(&data);

    let load = start_load(&server.url, &devices);
    wait_acked(&load, 40);
    // SIGKILL while the uploaders are mid-request.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for t in load.threads {
        t.join().unwrap();
    }
    let acked = load.acked.lock().unwrap().clone();
    let attempted = load.attempted.lock().unwrap().clone();
    assert!(acked.len() >= 40);
    assert!(load.errors_5xx.lock().unwrap().is_empty());

    // After a restart, every acknowledged batch is there with all its hits, and no batch is
    // there in part (a batch is one transaction).
    let (server, stored) = restart_with_acked_stored(&data, &admin, &acked);
    for (id, n) in &stored {
        assert_eq!(*n, HITS_PER_BATCH, "batch {id} stored in part");
        assert!(attempted.contains_key(id));
    }

    // The agents retry what was not acknowledged (and, to be sure, everything): each batch
    // ends up stored exactly once.
    for (id, (token, body)) in &attempted {
        let (s, v) = try_post(&format!("{}/api/v1/hits", server.url), token, body).unwrap();
        assert_eq!(s, 200, "{id}: {v}");
        assert_eq!(
            v["duplicate"].as_bool(),
            Some(stored.contains_key(id)),
            "{id}: {v}"
        );
    }
    let after = hits_per_batch(&server.url, &admin);
    assert_eq!(after.len(), attempted.len());
    assert!(after.values().all(|n| *n == HITS_PER_BATCH));
}

#[test]
fn sigterm_finishes_accepted_requests_and_exits_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let (mut server, devices, admin) = four_devices(&data);
    // An agent waiting in a long-poll check-in must not hold the shutdown up.
    let (_, _, token) = devices[0].clone();
    let url = server.url.clone();
    let poller = std::thread::spawn(move || {
        try_post(
            &format!("{url}/api/v1/checkin"),
            &token,
            br#"{"wait_s": 60}"#,
        )
    });
    std::thread::sleep(Duration::from_millis(300));

    let load = start_load(&server.url, &devices);
    wait_acked(&load, 40);
    let t0 = Instant::now();
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "server did not shut down within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "graceful shutdown exits 0: {status}");
    load.stop.store(true, Ordering::Relaxed);
    for t in load.threads {
        t.join().unwrap();
    }
    // The held check-in was answered (or its connection closed), not left hanging.
    let _ = poller.join().unwrap();
    assert!(
        load.errors_5xx.lock().unwrap().is_empty(),
        "{:?}",
        load.errors_5xx
    );
    let acked = load.acked.lock().unwrap().clone();

    let (_server, stored) = restart_with_acked_stored(&data, &admin, &acked);
    assert!(stored.values().all(|n| *n == HITS_PER_BATCH));
}

#[test]
fn two_servers_on_one_postgres_act_as_one() {
    let Some(pg) = outpost_testkit::service("OUTPOST_TEST_PG_URL") else {
        return;
    };
    // A fresh schema, so the two servers share a database that no other test touches.
    let schema = format!("replicas_{}", std::process::id());
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .args([pg.as_str(), "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "psql {sql}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    psql(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ));
    let sep = if pg.contains('?') { '&' } else { '?' };
    let url = format!("{pg}{sep}options=-c%20search_path%3D{schema}");

    let tmp = tempfile::tempdir().unwrap();
    let db = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--database-url", url.as_str()]);
        outpost(&a).trim().to_string()
    };
    let env = [("OUTPOST_DATABASE_URL", url.as_str())];
    let a = server_with(&tmp.path().join("a"), &env);
    // Replicas on one database sign intel bundles with one key (a replica with another key
    // refuses to start): b uses the key a generated.
    let key_file = tmp.path().join("a").join("intel-signing.key");
    let key_file = key_file.to_str().unwrap();
    let b = server_with(
        &tmp.path().join("b"),
        &[
            ("OUTPOST_DATABASE_URL", url.as_str()),
            ("OUTPOST_INTEL_SIGNING_KEY_FILE", key_file),
        ],
    );
    db(&["tenant", "create", "--name", "acme"]);
    let enroll_key = db(&["key", "create", "--kind", "enrollment", "--tenant", "acme"]);
    let admin = db(&["key", "create", "--kind", "admin"]);
    let (tenant, device, token) = enroll(&a, &enroll_key, "host0");

    // The same batches sent to both replicas at once are stored once.
    let mut handles = Vec::new();
    for n in 0..20 {
        for srv in [a.url.clone(), b.url.clone()] {
            let (_, body) = batch(&tenant, &device, 0, n);
            let token = token.clone();
            handles.push(std::thread::spawn(move || {
                try_post(&format!("{srv}/api/v1/hits"), &token, &body).unwrap()
            }));
        }
    }
    let results: Vec<(u16, Value)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
    let fresh = results
        .iter()
        .filter(|(_, v)| v["duplicate"] == Value::Bool(false))
        .count();
    assert_eq!(fresh, 20, "each batch is new at exactly one replica");
    let per_batch = hits_per_batch(&b.url, &admin);
    assert_eq!(per_batch.len(), 20);
    assert!(per_batch.values().all(|n| *n == HITS_PER_BATCH));

    // Two analysts change the same hit at the same version through different replicas:
    // exactly one wins, the other gets a conflict, and the history holds one change.
    let hits = get_json(&format!("{}/api/v1/hits?limit=1", a.url), &admin);
    let hit = &hits["items"][0];
    let id = hit["id"].as_i64().unwrap();
    let version = hit["version"].as_i64().unwrap();
    let mut handles = Vec::new();
    for (srv, state) in [
        (a.url.clone(), "acknowledged"),
        (b.url.clone(), "false_positive"),
    ] {
        let admin = admin.clone();
        handles.push(std::thread::spawn(move || {
            let body = json!({"state": state, "expected_version": version, "note": "race"});
            try_post(
                &format!("{srv}/api/v1/hits/{id}/state"),
                &admin,
                &serde_json::to_vec(&body).unwrap(),
            )
            .unwrap()
        }));
    }
    let mut statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap().0).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![200, 409],
        "one update wins, the other conflicts"
    );
    let history = get_json(&format!("{}/api/v1/hits/{id}/history", b.url), &admin);
    let changes = history["items"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(changes, 1, "{history}");
    psql(&format!("DROP SCHEMA {schema} CASCADE"));
}

/// Iterations of the fault-injection loops: 200 unless
/// `OUTPOST_FAULT_ITERATIONS` says otherwise.
fn fault_iterations() -> usize {
    std::env::var("OUTPOST_FAULT_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// A small xorshift generator; the seed is printed so a failing run can be replayed with
/// `OUTPOST_FAULT_SEED`.
struct Rng(u64);

impl Rng {
    fn from_env(what: &str) -> Rng {
        let seed = std::env::var("OUTPOST_FAULT_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("{what}: OUTPOST_FAULT_SEED={seed}");
        Rng(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Files in `dir` (recursively) that are not where a finished agent keeps its state.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(leftovers(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// Agent side: `outpost agent run-once` is SIGKILLed at a random moment
/// of its run, 200 times, while new events arrive between runs. Afterwards (one clean run):
/// every hit is stored exactly once, the spool holds nothing (no batch, part, commit record
/// or temporary file, nothing rejected) and the counters of `state.json` match the events.
#[test]
fn sigkill_during_agent_run_once_stores_every_hit_exactly_once() {
    let iterations = fault_iterations();
    let mut rng = Rng::from_env("agent kill loop");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let agent = tmp.path().join("agent");
    let agent_s = agent.to_str().unwrap().to_string();
    let (enroll_key, admin) = acme_tenant(&data);
    let server = server_with(&data, &[]);
    let hotlist = tmp.path().join("hotlist.txt");
    let listed: String = (1..=250).map(|i| format!("203.0.113.{i}\t3\n")).collect();
    std::fs::write(&hotlist, listed).unwrap();
    common::enroll_agent(
        std::path::Path::new(&agent_s),
        &server.url,
        &enroll_key,
        "victim",
        Some(&hotlist),
    );
    let append = |i: usize, n_events: &mut u64| {
        let mut w = outpost_agent::buffer::BufferWriter::open(&agent).unwrap();
        let ts = chrono::Utc::now() - chrono::Duration::minutes(1);
        for k in 0..8u8 {
            let listed = k < 3;
            let mut e = outpost_core::Event::new(ts, outpost_core::EventKind::Network, "test");
            e.process = Some(std::sync::Arc::new(outpost_core::ProcessInfo {
                pid: 10_000 + i as u32,
                name: Some(if listed {
                    format!("p{i}")
                } else {
                    "quiet".into()
                }),
                ..Default::default()
            }));
            e.network = Some(outpost_core::NetworkInfo {
                remote_ip: Some(if listed {
                    format!("203.0.113.{}", i % 250 + 1).parse().unwrap()
                } else {
                    format!("198.51.100.{}", k + 1).parse().unwrap()
                }),
                remote_port: Some(443),
                ..Default::default()
            });
            w.append(&e).unwrap();
            *n_events += 1;
        }
        w.flush().unwrap();
    };
    let run = || {
        Command::new(common::BIN)
            .args(["agent", "run-once", "--data-dir", &agent_s, "--now"])
            .env("OUTPOST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // The phase targeted: a whole run, measured once uninterrupted.
    let mut n_events = 0u64;
    let t = Instant::now();
    append(0, &mut n_events);
    assert!(run().wait().unwrap().success());
    let run_ms = (t.elapsed().as_millis() as u64).max(5);
    let (mut killed, mut finished) = (0, 0);
    for i in 1..iterations {
        append(i, &mut n_events);
        let mut child = run();
        std::thread::sleep(Duration::from_micros(rng.below(run_ms * 1200)));
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap();
                killed += 1;
            }
        }
        child.wait().unwrap();
    }
    // One clean run finishes what the killed ones left.
    common::outpost(&[
        "agent",
        "run-once",
        "--data-dir",
        &agent_s,
        "--now",
        "--json",
    ]);

    let hits = all_hits_fast(&server.url, &admin);
    let mut per_process: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for h in &hits {
        per_process
            .entry(h["process_name"].as_str().unwrap().to_string())
            .or_default()
            .push(h["hit_count"].as_u64().unwrap());
    }
    let duplicates = per_process.values().filter(|v| v.len() > 1).count();
    let missing = (0..iterations)
        .filter(|i| !per_process.contains_key(&format!("p{i}")))
        .count();
    let spool_left: Vec<String> = leftovers(&agent.join("spool"));
    let st: Value =
        serde_json::from_slice(&std::fs::read(agent.join("state.json")).unwrap()).unwrap();
    let c = &st["counters"];
    eprintln!(
        "FIGURES agent: iterations={iterations} killed={killed} finished_before_kill={finished} run_ms={run_ms} \
         hits_expected={iterations} hits_stored={} duplicates={duplicates} missing={missing} \
         spool_leftovers={} events_appended={n_events} events_scanned={} hits_uploaded_counter={}",
        hits.len(),
        spool_left.len(),
        c["events_scanned"],
        c["hits_uploaded"],
    );
    assert!(
        killed > iterations / 4,
        "the loop must kill most runs: {killed}"
    );
    assert_eq!(duplicates, 0, "{per_process:?}");
    assert_eq!(missing, 0, "{per_process:?}");
    assert_eq!(hits.len(), iterations);
    assert!(per_process.values().all(|v| v == &[3]), "{per_process:?}");
    assert!(spool_left.is_empty(), "{spool_left:?}");
    // The scan counters advance with the position, in the same commit: exact.
    assert_eq!(c["events_scanned"].as_u64(), Some(n_events), "{c}");
    assert_eq!(
        c["events_matched"].as_u64(),
        Some(3 * iterations as u64),
        "{c}"
    );
    // The upload counter is saved after the acknowledgement: a run killed in between
    // leaves it short, never over.
    assert!(
        c["hits_uploaded"].as_u64().unwrap() <= iterations as u64,
        "{c}"
    );
}

/// Server side: the server is SIGKILLed at a random moment of ingest,
/// 200 times (restarted each time on the same data), while an agent-like uploader sends
/// batches and resends what was not acknowledged. Afterwards: every batch is stored exactly
/// once with all its hits, and the acknowledged count matches what is stored.
#[test]
fn sigkill_during_server_ingest_200_times_stores_every_batch_exactly_once() {
    let iterations = fault_iterations();
    let mut rng = Rng::from_env("server kill loop");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let (enroll_key, admin) = acme_tenant(&data);
    let server = server_with(&data, &[]);
    let (tenant, device, token) = enroll(&server, &enroll_key, "host0");
    drop(server);
    let mut next_batch = 0usize;
    // Batches not yet acknowledged, resent first after each restart (as the agent's spool).
    let mut unacked: BTreeSet<usize> = BTreeSet::new();
    let mut acked: BTreeSet<usize> = BTreeSet::new();
    let (mut killed_mid_request, mut duplicates_acked) = (0, 0);
    let mut ingest_ms = 0u64;
    for it in 0..iterations {
        let mut server = server_with(&data, &[]);
        let url = format!("{}/api/v1/hits", server.url);
        // Send on another thread; kill after a random delay within the ingest phase (the
        // time two batches take, measured on the first iteration).
        let stop = Arc::new(AtomicBool::new(false));
        let pending: Vec<usize> = unacked.iter().copied().collect();
        let first_new = next_batch;
        let (tenant2, device2, token2, stop2) =
            (tenant.clone(), device.clone(), token.clone(), stop.clone());
        let sender = std::thread::spawn(move || {
            let mut results = Vec::new();
            let order = pending.into_iter().chain(first_new..);
            for n in order {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                let (_, body) = batch(&tenant2, &device2, 0, n);
                match try_post(&url, &token2, &body) {
                    Ok((200, v)) => results.push((n, Some(v["duplicate"] == Value::Bool(true)))),
                    Ok((s, v)) => panic!("batch {n}: {s} {v}"),
                    Err(_) => {
                        results.push((n, None));
                        break;
                    }
                }
            }
            results
        });
        let t = Instant::now();
        if it == 0 {
            std::thread::sleep(Duration::from_millis(200));
        } else {
            std::thread::sleep(Duration::from_micros(rng.below(ingest_ms * 2000)));
        }
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let results = sender.join().unwrap();
        if it == 0 {
            let n = results.len().max(1) as u64;
            ingest_ms = (t.elapsed().as_millis() as u64 / n).max(2);
        }
        for (n, r) in results {
            next_batch = next_batch.max(n + 1);
            match r {
                Some(dup) => {
                    duplicates_acked += dup as usize;
                    unacked.remove(&n);
                    acked.insert(n);
                }
                None => {
                    killed_mid_request += 1;
                    unacked.insert(n);
                }
            }
        }
    }
    // Final: a server that stays up; everything unacknowledged is resent.
    let server = server_with(&data, &[]);
    for n in unacked.clone() {
        let (_, body) = batch(&tenant, &device, 0, n);
        let (s, v) = try_post(&format!("{}/api/v1/hits", server.url), &token, &body).unwrap();
        assert_eq!(s, 200, "{v}");
        acked.insert(n);
    }
    let stored = hits_per_batch(&server.url, &admin);
    let partial = stored.values().filter(|n| **n != HITS_PER_BATCH).count();
    let unknown = stored
        .keys()
        .filter(|id| !(0..next_batch).any(|n| **id == format!("d0-b{n}")))
        .count();
    eprintln!(
        "FIGURES server: iterations={iterations} ingest_ms_per_batch={ingest_ms} batches_sent={next_batch} \
         killed_mid_request={killed_mid_request} resent_found_stored={duplicates_acked} \
         batches_stored={} hits_expected={} hits_stored={} partial_batches={partial} unknown_batches={unknown}",
        stored.len(),
        next_batch * HITS_PER_BATCH,
        stored.values().sum::<usize>(),
    );
    assert!(killed_mid_request > iterations / 4, "{killed_mid_request}");
    assert_eq!(acked.len(), next_batch);
    assert_eq!(stored.len(), next_batch, "every batch stored once");
    assert_eq!(partial, 0);
    assert_eq!(unknown, 0);
    assert_eq!(stored.values().sum::<usize>(), next_batch * HITS_PER_BATCH);
}
