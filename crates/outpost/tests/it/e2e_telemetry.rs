//! Full telemetry end to end through the binaries: an agent with `[upload] full_telemetry`
//! streams every buffered event to a real `outpost server`, which scores it and forwards it to
//! a file output; an outage in between loses nothing and sends nothing twice.

use crate::common;

use chrono::{Duration, Utc};
use common::{acme_tenant, outpost, start_server_with};
use outpost_core::event::ProcessInfo;
use outpost_core::{Event, EventKind};
use serde_json::Value;
use std::path::Path;

use outpost_testkit::json_lines as lines;

fn wait_lines(path: &Path, n: usize) -> Vec<Value> {
    for _ in 0..400 {
        let l = lines(path);
        if l.len() >= n {
            return l;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "{} has {} lines, expected {n}",
        path.display(),
        lines(path).len()
    );
}

fn buffer(agent: &Path, from: u32, n: u32) {
    let mut w = outpost_agent::buffer::BufferWriter::open(agent).unwrap();
    let t0 = Utc::now() - Duration::minutes(5);
    for i in from..from + n {
        let mut e = Event::new(
            t0 + Duration::milliseconds(i as i64),
            EventKind::ProcessExec,
            "test",
        );
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid: 10_000 + i,
            name: Some(if i % 50 == 0 {
                "nc".into()
            } else {
                "ls".into()
            }),
            exe: Some(if i % 50 == 0 {
                "/usr/bin/nc".into()
            } else {
                "/usr/bin/ls".into()
            }),
            ..Default::default()
        }));
        w.append(&e).unwrap();
    }
    w.flush().unwrap();
}

fn state(agent: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(agent.join("state.json")).unwrap()).unwrap()
}

#[test]
fn agent_streams_full_telemetry_through_an_outage() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let agent = tmp.path().join("agent");
    let forwarded = tmp.path().join("telemetry.jsonl");
    let cfg = common::file_output_config(tmp.path(), "siem", &forwarded, &["event"]);
    let (enroll, _admin) = acme_tenant(&data);
    let env = [("OUTPOST_CONFIG", cfg.to_str().unwrap())];
    let server = start_server_with(&data, &env);
    let hotlist = tmp.path().join("hotlist.txt");
    std::fs::write(&hotlist, "203.0.113.250\n").unwrap();
    common::enroll_agent(
        &agent,
        &server.url,
        &enroll,
        "telemetry-host",
        Some(&hotlist),
    );
    let mut c = outpost_agent::config::AgentConfig::load(&agent).unwrap();
    c.upload.full_telemetry = true;
    c.upload.telemetry_batch_events = 100;
    c.save(&agent).unwrap();

    buffer(&agent, 0, 250);
    let run = || {
        outpost(&[
            "agent",
            "run-once",
            "--data-dir",
            agent.to_str().unwrap(),
            "--now",
        ]);
    };
    run();
    let got = wait_lines(&forwarded, 250);
    assert_eq!(got.len(), 250);
    let device = got[0]["device_id"].as_str().unwrap().to_string();
    assert!(
        got.iter()
            .all(|d| d["kind"] == "event" && d["device_id"] == device.as_str()),
        "{:?}",
        got[0]
    );
    assert!(
        got[0].to_string().contains("telemetry-host"),
        "{:?}",
        got[0]
    );
    // nc is on the static engine's risky-process list: scored on the server.
    let nc: Vec<&Value> = got
        .iter()
        .filter(|d| d["event"]["process"]["name"] == "nc")
        .collect();
    assert_eq!(nc.len(), 5);
    assert!(
        nc.iter().all(|d| d["risk_score"].as_i64().unwrap() > 0),
        "{:?}",
        nc[0]
    );
    let s = state(&agent);
    assert_eq!(s["counters"]["telemetry_events_sent"], 250, "{s}");

    // A second run has nothing new to send.
    run();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(lines(&forwarded).len(), 250);

    // The server goes away; new events wait in the buffer.
    drop(server);
    buffer(&agent, 250, 30);
    run();
    let s = state(&agent);
    assert_eq!(s["counters"]["telemetry_events_sent"], 250, "{s}");
    assert!(
        s["counters"]["telemetry_failures"].as_u64().unwrap() >= 1,
        "{s}"
    );

    // Back (on another port): the waiting events arrive, once.
    let server = start_server_with(&data, &env);
    let mut c = outpost_agent::config::AgentConfig::load(&agent).unwrap();
    c.server_url = Some(server.url.clone());
    c.save(&agent).unwrap();
    run();
    let got = wait_lines(&forwarded, 280);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let got_now = lines(&forwarded);
    assert_eq!(got_now.len(), 280, "nothing twice: {}", got_now.len());
    let mut pids: Vec<i64> = got
        .iter()
        .map(|d| d["event"]["process"]["pid"].as_i64().unwrap())
        .collect();
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 280, "every event exactly once");
    assert_eq!(state(&agent)["counters"]["telemetry_events_sent"], 280);
}
