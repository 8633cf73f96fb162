//! Outpost's own rolling capture (`outpost_sensors::capture`) on the real kernel's loopback:
//! its files are read by tshark, a `pcap` job cut from them holds exactly one flow's packets
//! (directly through the executor while the capture still writes, and through the server and
//! the daemon's job runner with `[capture]` in agent.toml), and rotation keeps the directory
//! under its bound. Needs root (CAP_NET_RAW) and tshark; a missing one is a skip with a
//! message, or a failure under `OUTPOST_REQUIRE_SERVICES=1`.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use outpost_sensors::capture::{self, CaptureConfig, RollLimits, pcap::is_own_file};
use outpost_testkit::net::{echo_server, tshark};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn lo_config(dir: &Path) -> CaptureConfig {
    CaptureConfig {
        enabled: true,
        interface: "lo".into(),
        dir: Some(dir.to_path_buf()),
        ..CaptureConfig::default()
    }
}

/// Starts a capture on `lo`, or says why it cannot (skip, or failure in strict mode).
fn start(cfg: &CaptureConfig, limits: RollLimits, test: &str) -> Option<capture::Capture> {
    if !have("tshark") {
        outpost_testkit::skip_or_fail(
            outpost_testkit::REQUIRE_SERVICES,
            &format!("{test}: tshark is not installed (apt-get install tshark)"),
        );
        return None;
    }
    match capture::start_with_limits(cfg, limits) {
        Ok(c) => Some(c),
        Err(e) if e.is_unavailable() => {
            outpost_testkit::skip_or_fail(
                outpost_testkit::REQUIRE_SERVICES,
                &format!(
                    "{test}: AF_PACKET capture is unavailable here ({e}; needs root/CAP_NET_RAW)"
                ),
            );
            None
        }
        Err(e) => panic!("capture did not start: {e}"),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| is_own_file(&p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    v
}

/// tshark's `fields` of the packets of `file` matching `display_filter` (one Vec per packet).
/// How many packets of the TCP flow between `port` and `server` the capture files hold
/// (by tshark: the ground truth).
fn flow_packets(files: &[PathBuf], port: u16, server: u16) -> usize {
    files
        .iter()
        .map(|f| {
            tshark(
                f,
                &format!("tcp.port == {port} && tcp.port == {server}"),
                &["tcp.srcport"],
            )
            .len()
        })
        .sum()
}

#[test]
fn loopback_capture_writes_files_tshark_reads_each_packet_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = lo_config(dir.path());
    let Some(cap) = start(&cfg, cfg.limits(), "loopback_capture_writes_files") else {
        return;
    };
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..25u32 {
        tx.send_to(
            format!("outpost capture test {i}").as_bytes(),
            ("127.0.0.1", port),
        )
        .unwrap();
    }
    std::thread::sleep(Duration::from_millis(400));
    let c = cap.stop().unwrap();
    let fs = files(dir.path());
    assert!(!fs.is_empty(), "no capture file written");
    let mut seen = 0;
    for f in &fs {
        seen += tshark(f, &format!("udp.dstport == {port}"), &["udp.srcport"]).len();
    }
    // Loopback packets pass the tap twice (out and in); the capture keeps each once.
    assert_eq!(seen, 25, "{c:?}");
    assert!(c.packets >= 25 && c.loopback_duplicates >= 25, "{c:?}");
    assert_eq!(c.dropped_total, 0, "{c:?}");
    assert!(c.kernel_packets >= c.packets, "{c:?}");
    assert_eq!(c.files_opened, fs.len() as u64);
    assert!(
        c.prometheus_text()
            .contains("outpost_capture_packets_total{interface=\"lo\"}")
    );
}

/// One TCP flow to the echo server; returns the client's port.
fn flow(server: u16, payload: &[u8]) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", server)).unwrap();
    let port = s.local_addr().unwrap().port();
    for chunk in payload.chunks(300) {
        s.write_all(chunk).unwrap();
        let mut buf = vec![0u8; chunk.len()];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(buf, chunk);
        std::thread::sleep(Duration::from_millis(50));
    }
    port
}

fn pcap_job(filter: serde_json::Value) -> outpost_jobs::Job {
    serde_json::from_value(serde_json::json!({
        "id": 1, "tenant_id": "t", "device_id": "d", "kind": "pcap", "filter": filter,
        "owner": "o", "status": "running", "attempts": 1, "max_attempts": 3, "fail_count": 0,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "file_extension": "pcap",
    }))
    .unwrap()
}

#[test]
fn pcap_job_from_outposts_own_capture_holds_exactly_one_flow() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = lo_config(dir.path());
    let limits = RollLimits {
        rotate_after: Some(Duration::from_millis(300)),
        ..cfg.limits()
    };
    let Some(cap) = start(&cfg, limits, "pcap_job_from_outposts_own_capture") else {
        return;
    };
    let server = echo_server();
    let t_begin = chrono::Utc::now();
    // Two flows at the same time, so only the 5-tuple tells them apart.
    let a = std::thread::spawn(move || flow(server, &b"flow A ".repeat(600)));
    let b = std::thread::spawn(move || flow(server, &b"flow B ".repeat(600)));
    let (port_a, port_b) = (a.join().unwrap(), b.join().unwrap());
    let t_end = chrono::Utc::now();
    // Let the ring hand its last block over (100 ms block timeout) and the writer flush.
    std::thread::sleep(Duration::from_millis(600));

    // The job runs while the capture is still writing its current file.
    let ctx = outpost_jobs::ExecContext {
        capture_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let job = pcap_job(serde_json::json!({
        "beginTime": (t_begin - chrono::Duration::seconds(1)).to_rfc3339(),
        "endTime": (t_end + chrono::Duration::seconds(1)).to_rfc3339(),
        "srcIp": "127.0.0.1", "srcPort": port_a, "dstIp": "127.0.0.1", "dstPort": server,
    }));
    let out = outpost_jobs::execute(&job, &ctx).unwrap();
    // Outside the stored data: a clear refusal.
    let old = pcap_job(serde_json::json!({
        "beginTime": (t_begin - chrono::Duration::days(400)).to_rfc3339(),
        "endTime": (t_begin - chrono::Duration::days(399)).to_rfc3339(),
        "srcIp": "127.0.0.1", "srcPort": port_a,
    }));
    let refused = outpost_jobs::execute(&old, &ctx).unwrap_err().to_string();
    assert!(refused.contains("outside the stored data"), "{refused}");
    let c = cap.stop().unwrap();
    assert_eq!(c.dropped_total, 0, "{c:?}");

    let fs = files(dir.path());
    assert!(fs.len() >= 2, "time rotation made {} files", fs.len());
    // Ground truth: what the capture holds for each flow, by tshark.
    let count = |port: u16| flow_packets(&fs, port, server);
    let (expected, other) = (count(port_a), count(port_b));
    assert!(expected >= 10 && other >= 10, "{expected} / {other}");

    let res_dir = tempfile::tempdir().unwrap();
    let result = res_dir.path().join("result.pcap");
    std::fs::write(&result, out.data.into_vec().unwrap()).unwrap();
    let got = tshark(&result, "", &["tcp.srcport", "tcp.dstport"]);
    assert_eq!(
        got.len(),
        expected,
        "exactly the flow's packets ({})",
        out.summary
    );
    let (a, s) = (port_a.to_string(), server.to_string());
    for p in &got {
        assert!(
            (p[0] == a && p[1] == s) || (p[0] == s && p[1] == a),
            "foreign packet {p:?} in the result"
        );
    }
}

#[test]
fn rotation_keeps_the_directory_under_its_bound_oldest_deleted_first() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = lo_config(dir.path());
    let limits = RollLimits {
        file_size: 64 * 1024,
        max_total: 256 * 1024,
        rotate_after: None,
    };
    let Some(cap) = start(&cfg, limits, "rotation_keeps_the_directory_under_its_bound") else {
        return;
    };
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let n = 1500u32;
    for i in 0..n {
        let mut msg = i.to_be_bytes().to_vec();
        msg.resize(1000, 0xab);
        tx.send_to(&msg, ("127.0.0.1", port)).unwrap();
        if i % 100 == 99 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    std::thread::sleep(Duration::from_millis(400));
    let c = cap.stop().unwrap();
    assert_eq!(c.dropped_total, 0, "{c:?}");
    let fs = files(dir.path());
    let total: u64 = fs.iter().map(|f| f.metadata().unwrap().len()).sum();
    assert!(
        total <= limits.max_total,
        "{total} bytes in {} files",
        fs.len()
    );
    assert!(fs.len() >= 3, "{fs:?}");
    assert!(c.files_deleted > 0 && c.bytes_deleted > 0, "{c:?}");
    assert_eq!(c.files_opened, c.files_deleted + fs.len() as u64, "{c:?}");
    // Every file is whole, within the size limit, and the survivors hold the newest packets
    // in an unbroken run ending with the last one sent.
    let mut seqs = Vec::new();
    for f in &fs {
        assert!(f.metadata().unwrap().len() <= limits.file_size);
        for p in tshark(f, &format!("udp.dstport == {port}"), &["udp.payload"]) {
            let hex = p[0].replace(':', "");
            seqs.push(u32::from_str_radix(&hex[..8], 16).unwrap());
        }
    }
    assert_eq!(seqs.last(), Some(&(n - 1)));
    let first = seqs[0];
    assert!(first > 0, "the oldest packets were deleted");
    assert_eq!(seqs, (first..n).collect::<Vec<_>>());
}

/// The daemon's path: `[capture]` in agent.toml starts the capture, the job runner's context
/// (`daemon::exec_context`) reads its directory, and a job created through the server's API
/// comes back as exactly one flow's packets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcap_job_through_the_server_reads_the_agents_own_capture() {
    use crate::jobs_server::{Runner, create_job, job_result, server_with_device, wait_for_job};
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    let dir = tempfile::tempdir().unwrap();
    let (tenant, dev, token, admin, base) = server_with_device(dir.path(), "cap-host").await;

    let agent_dir = dir.path().join("agent");
    let cap_dir = dir.path().join("capture");
    std::fs::create_dir_all(&agent_dir).unwrap();
    std::fs::write(
        agent_dir.join("agent.toml"),
        format!(
            "server_url = \"{base}\"\ntenant_id = \"{}\"\ndevice_id = \"{}\"\ndevice_token = \"{token}\"\n\
             hostname = \"cap-host\"\n[capture]\nenabled = true\ninterface = \"lo\"\ndir = \"{}\"\n\
             rotate_seconds = 1\n",
            tenant.id,
            dev.id,
            cap_dir.display()
        ),
    )
    .unwrap();
    let cfg = outpost_agent::checkin::effective_config(&agent_dir).unwrap();
    let Some(cap) = start(
        &cfg.capture,
        cfg.capture.limits(),
        "pcap_job_through_the_server",
    ) else {
        return;
    };
    let server = echo_server();
    let t_begin = chrono::Utc::now();
    let (a, b) = (
        std::thread::spawn(move || flow(server, &b"first flow ".repeat(200))),
        std::thread::spawn(move || flow(server, &b"second flow ".repeat(200))),
    );
    let (port_a, port_b) = (a.join().unwrap(), b.join().unwrap());
    let t_end = chrono::Utc::now();
    std::thread::sleep(Duration::from_millis(600));

    let runner = Runner::start(&agent_dir);
    let body = serde_json::json!({
        "tenant_id": tenant.id, "device_id": dev.id, "kind": "pcap",
        "filter": {
            "beginTime": (t_begin - chrono::Duration::seconds(1)).to_rfc3339(),
            "endTime": (t_end + chrono::Duration::seconds(1)).to_rfc3339(),
            "srcIp": "127.0.0.1", "srcPort": port_b, "dstIp": "127.0.0.1", "dstPort": server,
        }
    });
    let (b, k) = (base.clone(), admin.clone());
    let data = tokio::task::spawn_blocking(move || {
        let id = create_job(&b, &k, &body);
        wait_for_job(&b, &k, id, Instant::now() + Duration::from_secs(30));
        job_result(&b, &k, id)
    })
    .await
    .unwrap();
    runner.stop.store(true, Ordering::Relaxed);
    let c = cap.stop().unwrap();
    assert_eq!(c.dropped_total, 0, "{c:?}");
    assert_eq!(runner.errors.load(Ordering::Relaxed), 0);

    let fs = files(&cap_dir);
    let count = |port: u16| flow_packets(&fs, port, server);
    let (expected, other) = (count(port_b), count(port_a));
    assert!(expected >= 10 && other >= 10, "{expected} / {other}");
    let result = dir.path().join("result.pcap");
    std::fs::write(&result, &data).unwrap();
    let got = tshark(&result, "", &["tcp.srcport", "tcp.dstport"]);
    assert_eq!(got.len(), expected, "exactly the flow's packets");
    let (bp, s) = (port_b.to_string(), server.to_string());
    assert!(
        got.iter()
            .all(|p| (p[0] == bp && p[1] == s) || (p[0] == s && p[1] == bp)),
        "foreign packets in {got:?}"
    );
}
