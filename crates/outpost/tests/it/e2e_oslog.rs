//! OS logs end to end through the binary: a real EVTX file (Windows Filtering Platform 5156
//! events of `DE_RDP_Tunnel_5156.evtx`) configured as a source in `agent.toml` is read by
//! `outpost agent run-once`, the connection to a listed address becomes a hit on a real
//! `outpost server`, and a second run reads and uploads nothing new. `outpost agent ingest`
//! imports the same file one-shot.

use crate::common;

use common::{acme_tenant, all_hits, outpost, start_server};
use serde_json::Value;
use std::convert::Infallible;
use std::path::Path;

#[test]
fn evtx_source_in_agent_toml_feeds_run_once_and_ingest_imports() {
    let Some(evtx) = outpost_testkit::shared(outpost_testkit::RDP_TUNNEL_5156) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("server");
    let agent_dir = tmp.path().join("agent");
    let agent_s = agent_dir.to_str().unwrap();
    let (enroll, admin) = acme_tenant(&data);
    let server = start_server(&data, 1024 * 1024);

    let hotlist = tmp.path().join("hot.txt");
    std::fs::write(&hotlist, "# listed remote of the RDP tunnel\n10.0.2.18\n").unwrap();
    common::enroll_agent(
        std::path::Path::new(agent_s),
        &server.url,
        &enroll,
        "win-host",
        Some(&hotlist),
    );

    // The source section as an administrator writes it.
    let toml_path = agent_dir.join("agent.toml");
    let written = std::fs::read_to_string(&toml_path).unwrap();
    let text_sources = format!(
        "\n[sources]\nevtx = [{:?}]\n\n[sources.drive_map]\n'\\device\\harddiskvolume1' = 'C:'\n",
        evtx.display().to_string()
    );
    // Drop the (empty) source tables the enrollment wrote, keep everything else.
    let mut text = String::new();
    let mut in_sources = false;
    for line in written.lines() {
        if line.starts_with('[') {
            in_sources = line.starts_with("[sources");
        }
        if !in_sources {
            text.push_str(line);
            text.push('\n');
        }
    }
    text.push_str(&text_sources);
    std::fs::write(&toml_path, &text).unwrap();

    // What the file holds, read independently.
    let mut events = Vec::new();
    outpost_oslog::ingest_file(&evtx, &Default::default(), &mut |e| {
        events.push(e);
        Ok::<(), Infallible>(())
    })
    .unwrap();
    let target: std::net::IpAddr = "10.0.2.18".parse().unwrap();
    let plink = events
        .iter()
        .filter(|e| e.remote_ip() == Some(target) && e.process_name() == Some("plink.exe"))
        .count() as u64;
    assert!(plink > 0);

    let run = |label: &str| -> Value {
        eprintln!("{label}");
        common::run_once(Path::new(agent_s), true)
    };
    let first = run("first run");
    assert_eq!(first["os_logs"]["records_read"], 101, "{first}");
    assert_eq!(first["os_logs"]["malformed"], 0);
    assert_eq!(first["os_logs"]["failed_sources"], 0);
    assert!(first["hits"].as_u64().unwrap() >= 1, "{first}");
    assert_eq!(first["pending"], 0);

    let hits = all_hits(&server, &admin);
    let h = hits
        .iter()
        .find(|h| h["process_name"] == "plink.exe" && h["remote_ip"] == "10.0.2.18")
        .unwrap_or_else(|| panic!("no plink.exe hit in {hits:?}"));
    assert_eq!(h["hit_count"].as_u64(), Some(plink));
    assert_eq!(h["pid"], 3324);
    assert_eq!(h["remote_port"], 80);
    assert_eq!(h["hostname"], "win-host");
    // The configured drive mapping turned the device path into a drive path.
    assert_eq!(h["exe_path"], r"C:\users\user01\desktop\plink.exe");

    // The position in the EVTX file is remembered: nothing is read or uploaded twice.
    let second = run("second run");
    assert_eq!(second["os_logs"]["records_read"], 0, "{second}");
    assert_eq!(second["hits"], 0, "{second}");
    assert_eq!(all_hits(&server, &admin).len(), hits.len());

    // One-shot import of the same file into another data directory.
    let other = tmp.path().join("import");
    let out = outpost(&[
        "agent",
        "ingest",
        "--data-dir",
        other.to_str().unwrap(),
        "--json",
        evtx.to_str().unwrap(),
    ]);
    let stats: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(stats["files"], 1);
    assert_eq!(stats["records_read"], 101);
    assert_eq!(stats["malformed"], 0);
    let network = stats["events"]["network"].as_u64().unwrap();
    assert_eq!(
        network,
        events
            .iter()
            .filter(|e| e.kind == outpost_core::EventKind::Network)
            .count() as u64
    );
    // The events are in the agent's hourly buffer files.
    let lines: usize = std::fs::read_dir(other.join("buffer"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap().lines().count())
        .sum();
    assert_eq!(lines as u64, 101);
}
