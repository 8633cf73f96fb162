//! The server under failure, as real processes: SIGKILL during ingest loses no acknowledged
//! hit and stores no partial batch; SIGTERM finishes the requests it accepted and exits 0;
//! two server processes on one PostgreSQL behave as one (no duplicate ingest, no lost update).

mod common;

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

#[test]
fn sigkill_during_ingest_loses_no_acknowledged_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let (enroll_key, admin) = acme_tenant(&data);
    let mut server = server_with(&data, &[]);
    let devices: Vec<_> = (0..4)
        .map(|i| enroll(&server, &enroll_key, &format!("host{i}")))
        .collect();

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
    let server = server_with(&data, &[]);
    let stored = hits_per_batch(&server.url, &admin);
    for id in &acked {
        assert_eq!(
            stored.get(id),
            Some(&HITS_PER_BATCH),
            "acknowledged batch {id}"
        );
    }
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
    let (enroll_key, admin) = acme_tenant(&data);
    let mut server = server_with(&data, &[]);
    let devices: Vec<_> = (0..4)
        .map(|i| enroll(&server, &enroll_key, &format!("host{i}")))
        .collect();
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

    let server = server_with(&data, &[]);
    let stored = hits_per_batch(&server.url, &admin);
    for id in &acked {
        assert_eq!(
            stored.get(id),
            Some(&HITS_PER_BATCH),
            "acknowledged batch {id}"
        );
    }
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
