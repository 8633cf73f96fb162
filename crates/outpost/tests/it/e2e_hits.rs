//! End to end: a real `outpost server` process, a real agent enrolled through the CLI, a buffer
//! of a few thousand events of which a known subset hits a hotlist made from IPsum entries, and
//! `outpost agent run-once`. Asserts exactly what the server stored, idempotency, and the
//! documented errors of bad uploads.

use chrono::{DateTime, Duration, Utc};
use outpost_core::{Direction, Event, EventKind, NetworkInfo, ProcessInfo, Protocol};
use serde_json::Value;

use crate::common;
use common::{all_hits, get_json, post_raw, start_server};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Hotlist lines taken from the real IPsum feed when `../shared` is present, otherwise an
/// IPsum-format list of documentation addresses (so the test runs everywhere).
fn hotlist_lines() -> Vec<(IpAddr, u32)> {
    // Absent shared data fails here under OUTPOST_REQUIRE_SHARED=1 (scripts/test.sh).
    let text = outpost_testkit::shared("data/feeds/ipsum.txt")
        .map(|p| std::fs::read_to_string(&p).expect("read the IPsum feed"));
    match text {
        Some(text) => text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .take(5000)
            .map(|l| {
                let mut it = l.split_whitespace();
                (
                    it.next().unwrap().parse().unwrap(),
                    it.next().unwrap().parse().unwrap(),
                )
            })
            .collect(),
        None => (0..5000u32)
            .map(|i| {
                (
                    IpAddr::from([203, 0, (i / 250) as u8, (i % 250) as u8 + 1]),
                    1 + i % 7,
                )
            })
            .collect(),
    }
}

fn net_event(ts: DateTime<Utc>, ip: IpAddr, port: u16, pid: u32, name: &str, exe: &str) -> Event {
    let mut e = Event::new(ts, EventKind::Network, "test");
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid,
        name: Some(name.into()),
        exe: Some(exe.into()),
        ..Default::default()
    }));
    e.network = Some(NetworkInfo {
        direction: Direction::Outbound,
        protocol: Protocol::Tcp,
        remote_ip: Some(ip),
        remote_port: Some(port),
        local_ip: Some("10.0.0.5".parse().unwrap()),
        local_port: Some(40000),
        ..Default::default()
    });
    e
}

#[derive(Debug, Clone, PartialEq)]
struct Expect {
    count: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    port: u16,
    pid: u32,
    exe: String,
}

#[test]
fn agent_run_once_uploads_exact_groups_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let agent_dir = tmp.path().join("agent");

    // Tenants and keys through the admin CLI.
    let enroll_a = common::tenant(&data, "acme");
    let enroll_b = common::tenant(&data, "globex");
    let admin = common::admin_key(&data);

    let server = start_server(&data, 256 * 1024);

    // Hotlist made from IPsum entries.
    let listed = hotlist_lines();
    let hotlist = tmp.path().join("ipsum-subset.txt");
    let mut text = String::from("# IPsum subset\n");
    for (ip, n) in &listed {
        text.push_str(&format!("{ip}\t{n}\n"));
    }
    std::fs::write(&hotlist, text).unwrap();

    common::enroll_agent(&agent_dir, &server.url, &enroll_a, "host-a", Some(&hotlist));

    // A real executable file for one hit, so its SHA-256 is computed.
    let exe = tmp.path().join("evil-dropper");
    std::fs::write(&exe, b"#!/bin/sh\necho pwned\n").unwrap();
    let exe_s = exe.to_str().unwrap().to_string();
    let exe_sha = outpost_agent::enrich::hash_file(&exe).unwrap();

    // A few thousand events over the last 50 minutes; a known subset hits.
    let bad = [listed[0].0, listed[1].0, listed[2].0];
    let now_ms = Utc::now().timestamp_millis();
    let start = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap() - Duration::minutes(50);
    let mut expected: BTreeMap<(String, String), Expect> = BTreeMap::new();
    let mut w = outpost_agent::buffer::BufferWriter::open(&agent_dir).unwrap();
    let mut n_events = 0;
    for i in 0..4000u32 {
        let ts = start + Duration::milliseconds(i as i64 * 700);
        let (ip, port, pid, name, exe_path): (IpAddr, u16, u32, &str, &str) = match i % 100 {
            7 => (bad[0], 443, 4242, "evil-dropper", &exe_s),
            13 | 14 => (bad[0], 8080, 5151, "curl", "/usr/bin/curl"),
            21 => (bad[1], 53, 6161, "python3", "/usr/bin/python3"),
            _ if i % 977 == 5 => (bad[2], 22, 7171, "ssh", "/usr/bin/ssh"),
            k => (
                IpAddr::from([198, 51, 100, (k % 200) as u8 + 1]),
                443,
                1000 + k,
                "firefox",
                "/usr/lib/firefox/firefox",
            ),
        };
        let ev = net_event(ts, ip, port, pid, name, exe_path);
        w.append(&ev).unwrap();
        n_events += 1;
        if listed.iter().any(|(l, _)| *l == ip) {
            let e = expected
                .entry((ip.to_string(), name.to_string()))
                .or_insert(Expect {
                    count: 0,
                    first: ts,
                    last: ts,
                    port,
                    pid,
                    exe: exe_path.to_string(),
                });
            e.count += 1;
            e.last = ts;
        }
        // Non-network events in between.
        if i % 10 == 0 {
            let mut pe = Event::new(ts, EventKind::ProcessExec, "test");
            pe.process = Some(std::sync::Arc::new(ProcessInfo {
                pid: 9000 + i,
                name: Some("bash".into()),
                ..Default::default()
            }));
            w.append(&pe).unwrap();
            n_events += 1;
        }
    }
    w.flush().unwrap();
    drop(w);
    // Two malformed lines (one mentions remote_ip, one does not): counted, skipped.
    let buf_file = std::fs::read_dir(agent_dir.join("buffer"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&buf_file)
        .unwrap();
    use std::io::Write;
    writeln!(f, "{{\"remote_ip\": \"{}\", broken", bad[0]).unwrap();
    writeln!(f, "not json at all").unwrap();
    drop(f);
    assert!(expected.len() >= 3, "test data must hit: {expected:?}");

    // First run: correlates (oldest event is 50 min old) and uploads.
    let report: Value = common::run_once(&agent_dir, false);
    assert_eq!(report["correlated"], true, "{report}");
    assert_eq!(report["lines_scanned"], n_events + 2, "{report}");
    assert_eq!(
        report["malformed_lines"], 1,
        "only the malformed line mentioning remote_ip is parsed: {report}"
    );
    assert_eq!(report["hits"], expected.len(), "{report}");
    assert_eq!(report["pending"], 0, "{report}");

    let stored = all_hits(&server, &admin);
    assert_eq!(stored.len(), expected.len());
    let mut got: BTreeMap<(String, String), Value> = BTreeMap::new();
    for h in &stored {
        got.insert(
            (
                h["remote_ip"].as_str().unwrap().to_string(),
                h["process_name"].as_str().unwrap().to_string(),
            ),
            h.clone(),
        );
    }
    for (key, e) in &expected {
        let h = got
            .get(key)
            .unwrap_or_else(|| panic!("missing group {key:?}"));
        assert_eq!(h["hit_count"], e.count, "{key:?}");
        assert_eq!(
            h["first_seen_utc"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap(),
            e.first,
            "{key:?}"
        );
        assert_eq!(
            h["last_seen_utc"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap(),
            e.last,
            "{key:?}"
        );
        assert_eq!(h["remote_port"], e.port);
        assert_eq!(h["pid"], e.pid);
        assert_eq!(h["exe_path"], e.exe.as_str());
        assert_eq!(h["hostname"], "host-a");
        assert_eq!(h["protocol"], "tcp");
        assert_eq!(
            h["intel"]["indicator"].as_str().unwrap(),
            format!("{}/32", key.0)
        );
        assert!(h["sample_events"].as_array().unwrap().len() as u64 <= e.count.min(5));
    }
    let dropper = &got[&(bad[0].to_string(), "evil-dropper".to_string())];
    assert_eq!(
        dropper["sha256"],
        exe_sha.as_str(),
        "the hit's executable is hashed"
    );

    // Second run: nothing new to upload.
    let report2: Value = common::run_once(&agent_dir, true);
    assert_eq!(report2["hits"], 0, "{report2}");
    assert_eq!(report2["batches_sent"], 0, "{report2}");
    assert_eq!(all_hits(&server, &admin).len(), expected.len());

    // A retried batch is stored once.
    let cfg: toml_like::Cfg = toml_like::read(&agent_dir.join("agent.toml"));
    let hits_url = format!("{}/api/v1/hits", server.url);
    let payload = serde_json::json!({
        "batch_id": "retry-me", "tenant_id": cfg.tenant_id, "device_id": cfg.device_id, "hostname": "host-a",
        "agent_version": "test", "hotlist_version": "v",
        "hits": [{"remote_ip": bad[1].to_string(), "remote_port": 1, "protocol": "udp", "process_name": "x", "pid": 1,
                  "exe_path": null, "sha256": null, "first_seen_utc": "2026-01-01T00:00:00Z",
                  "last_seen_utc": "2026-01-01T00:00:01Z", "hit_count": 2, "sample_events": []}]
    });
    let body = serde_json::to_vec(&payload).unwrap();
    let (s1, v1) = post_raw(&hits_url, &cfg.device_token, body.clone());
    let (s2, v2) = post_raw(&hits_url, &cfg.device_token, body.clone());
    assert_eq!(
        (s1, &v1["duplicate"], &v1["stored"]),
        (200, &Value::Bool(false), &Value::from(1)),
        "{v1}"
    );
    assert_eq!(
        (s2, &v2["duplicate"], &v2["stored"]),
        (200, &Value::Bool(true), &Value::from(0)),
        "{v2}"
    );
    let count_now = all_hits(&server, &admin).len();
    assert_eq!(count_now, expected.len() + 1);

    // Bad uploads get the documented error and store nothing.
    let agent_b = tmp.path().join("agent-b");
    common::enroll_agent(&agent_b, &server.url, &enroll_b, "host-b", None);
    let cfg_b = toml_like::read(&agent_b.join("agent.toml"));
    let mut fresh = payload.clone();
    fresh["batch_id"] = "fresh".into();
    let fresh_body = serde_json::to_vec(&fresh).unwrap();
    let cases: Vec<(&str, String, Vec<u8>, u16, &str)> = vec![
        (
            "wrong token",
            "opd_0000".to_string(),
            fresh_body.clone(),
            401,
            "unauthorized",
        ),
        (
            "another tenant's token",
            cfg_b.device_token.clone(),
            fresh_body.clone(),
            403,
            "forbidden",
        ),
        (
            "malformed json",
            cfg.device_token.clone(),
            b"{\"batch_id\": ".to_vec(),
            400,
            "bad_request",
        ),
        (
            "missing fields",
            cfg.device_token.clone(),
            b"{\"batch_id\": \"x\"}".to_vec(),
            422,
            "invalid_payload",
        ),
        (
            "oversized body",
            cfg.device_token.clone(),
            {
                let mut big = fresh.clone();
                big["hostname"] = "x".repeat(300 * 1024).into();
                serde_json::to_vec(&big).unwrap()
            },
            413,
            "payload_too_large",
        ),
    ];
    for (what, token, body, status, code) in cases {
        let (s, v) = post_raw(&hits_url, &token, body);
        assert_eq!(s, status, "{what}: {v}");
        assert_eq!(v["error"]["code"], code, "{what}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: {v}"
        );
        assert_eq!(
            all_hits(&server, &admin).len(),
            count_now,
            "{what} stored something"
        );
    }

    // Devices are listed for the admin, with the hotlist version the agent reported.
    let devices = get_json(&format!("{}/api/v1/devices", server.url), &admin);
    assert_eq!(devices["items"].as_array().unwrap().len(), 2);
}

/// Three local processes with 64 KiB command lines of control bytes (six-fold
/// in JSON, carried twice: `args` and `command_line`) connect to a listed address; an implant
/// connects to it too. With the server's default body limit, the implant's hit must be stored
/// (and the noisy processes' hits too, their long fields truncated with a marker and counted),
/// and nothing parked in `spool/rejected/`.
#[test]
fn huge_command_lines_of_other_processes_cannot_hide_a_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let agent_dir = tmp.path().join("agent");
    let (enroll_key, admin) = common::acme_tenant(&data);
    // The default body limit (8 MiB).
    let server = common::start_server_with(&data, &[]);
    let listed: IpAddr = "203.0.113.66".parse().unwrap();
    let hotlist = tmp.path().join("hotlist.txt");
    std::fs::write(&hotlist, format!("{listed}\t5\n")).unwrap();
    common::enroll_agent(
        &agent_dir,
        &server.url,
        &enroll_key,
        "victim",
        Some(&hotlist),
    );
    let huge: String = "\u{1}".repeat(64 * 1024);
    let start = Utc::now() - Duration::minutes(30);
    let mut w = outpost_agent::buffer::BufferWriter::open(&agent_dir).unwrap();
    for i in 0..6i64 {
        for p in 0..3u32 {
            let mut e = net_event(
                start + Duration::seconds(i * 10 + p as i64),
                listed,
                443,
                3000 + p,
                &format!("noisy{p}"),
                &format!("/usr/bin/noisy{p}"),
            );
            let proc_ = std::sync::Arc::make_mut(e.process.as_mut().unwrap());
            proc_.args = vec![huge.clone()];
            proc_.command_line = Some(huge.clone());
            w.append(&e).unwrap();
        }
    }
    w.append(&net_event(
        start + Duration::seconds(100),
        listed,
        4444,
        6666,
        "implant",
        "/tmp/.x/implant",
    ))
    .unwrap();
    w.flush().unwrap();
    drop(w);

    let report: Value = common::run_once(&agent_dir, false);
    assert_eq!(report["hits"], 4, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(report["pending"], 0, "{report}");
    let rejected = agent_dir.join("spool/rejected");
    let parked = std::fs::read_dir(&rejected).map(|d| d.count()).unwrap_or(0);
    assert_eq!(parked, 0, "batches parked in {}", rejected.display());

    let stored = all_hits(&server, &admin);
    let names: std::collections::BTreeSet<String> = stored
        .iter()
        .map(|h| h["process_name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains("implant"),
        "the implant's hit is stored: {names:?}"
    );
    assert_eq!(stored.len(), 4, "{names:?}");
    // The noisy processes' samples are kept, their long fields cut with a marker.
    for h in stored.iter().filter(|h| h["process_name"] != "implant") {
        let samples = h["sample_events"].as_array().unwrap();
        assert!(!samples.is_empty());
        for s in samples {
            let cl = s["process"]["command_line"].as_str().unwrap();
            assert!(cl.len() < 16 * 1024, "command line bounded: {}", cl.len());
            assert!(
                cl.contains(outpost_core::TRUNCATED_MARKER),
                "marked: {}",
                &cl[cl.len() - 60..]
            );
            assert!(
                s["labels"][outpost_core::TRUNCATED_LABEL]
                    .as_str()
                    .is_some_and(
                        |l| l.contains("process.command_line") && l.contains("process.args")
                    ),
                "{}",
                s["labels"]
            );
        }
    }
    // Counted in state.json.
    let st: Value =
        serde_json::from_slice(&std::fs::read(agent_dir.join("state.json")).unwrap()).unwrap();
    assert!(
        st["counters"]["fields_truncated"].as_u64().unwrap() >= 2 * 3 * 5,
        "{st}"
    );
}

/// Reads the few fields the test needs from the agent's TOML without another dependency.
mod toml_like {
    pub struct Cfg {
        pub tenant_id: String,
        pub device_id: String,
        pub device_token: String,
    }
    pub fn read(p: &std::path::Path) -> Cfg {
        let text = std::fs::read_to_string(p).unwrap();
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{k} = ")))
                .map(|v| v.trim_matches('"').to_string())
                .unwrap()
        };
        Cfg {
            tenant_id: get("tenant_id"),
            device_id: get("device_id"),
            device_token: get("device_token"),
        }
    }
}
