//! PCAP job end to end: tcpdump writes a rolling capture of loopback while the test makes
//! several TCP flows; a job for one flow goes server → agent → server, and the downloaded pcap
//! is read by `tshark` and holds exactly that flow's packets. Needs root, tcpdump and tshark
//! (`apt-get install tcpdump tshark`); skips with a message otherwise.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{bearer_principal, get_as, post_job, quick_cfg, serve, sqlite_store};
use outpost_jobs::model::{Filter, Job, JobStatus};
use outpost_jobs::{AgentClient, ExecContext, JobsConfig, JobsState, execute, v1_router};
use outpost_testkit::net::{echo_server, tshark};

/// One TCP flow to the echo server; returns the client's port.
fn flow(server: u16, payload: &[u8]) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", server)).unwrap();
    let port = s.local_addr().unwrap().port();
    s.write_all(payload).unwrap();
    let mut buf = vec![0u8; payload.len()];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(buf, payload);
    drop(s);
    port
}

fn tshark_ports(file: &Path, display_filter: &str) -> Vec<(u16, u16)> {
    tshark(file, display_filter, &["tcp.srcport", "tcp.dstport"])
        .into_iter()
        .map(|f| (f[0].parse().unwrap(), f[1].parse().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pcap_job_for_one_flow_end_to_end() {
    if !outpost_testkit::tools(
        &["tcpdump", "tshark", "editcap"],
        "apt-get install tcpdump tshark",
    ) || !outpost_testkit::root("capturing on lo")
    {
        return;
    }
    let capdir = tempfile::tempdir().unwrap();
    let server_port = echo_server();
    // Rolling capture: a new file every second (-G 1), packet-buffered (-U).
    let mut tcpdump = Command::new("tcpdump")
        .args(["-i", "lo", "-n", "-U", "-Z", "root", "-G", "1", "-w"])
        .arg(capdir.path().join("cap-%s.pcap"))
        .arg(format!("tcp port {server_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for "listening on lo".
    let mut stderr = tcpdump.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut b = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("listening on") {
        let n = stderr.read(&mut b).unwrap();
        assert!(n > 0, "tcpdump exited: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&b[..n]);
    }
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    std::thread::sleep(Duration::from_millis(300));

    let t_begin = chrono::Utc::now();
    let mut ports = Vec::new();
    for i in 0..4 {
        ports.push(flow(
            server_port,
            format!("flow number {i} ").repeat(50 + i * 30).as_bytes(),
        ));
        std::thread::sleep(Duration::from_millis(700));
    }
    let t_end = chrono::Utc::now();
    std::thread::sleep(Duration::from_millis(1200));
    // Stop our tcpdump (by its pid) and wait for it.
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(tcpdump.id().to_string())
        .status();
    tcpdump.wait().unwrap();
    let files: Vec<_> = std::fs::read_dir(capdir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        files.len() >= 2,
        "rolling capture made {} files",
        files.len()
    );

    let target = ports[2];
    // Ground truth: that flow's packets across all capture files, by tshark.
    let mut expected = 0usize;
    for f in &files {
        expected += tshark_ports(f, &format!("tcp.port == {target}")).len();
    }
    assert!(expected >= 6, "handshake + data + teardown, got {expected}");

    // Server + agent over HTTP.
    let t = sqlite_store(quick_cfg).await;
    let state = JobsState::new(t.store.clone(), JobsConfig::default()).unwrap();
    let app = v1_router(state.clone()).layer(axum::middleware::from_fn(bearer_principal));
    let base = format!("http://{}", serve(app, "127.0.0.1:0").await);
    let filter = Filter {
        begin_time: Some(t_begin - chrono::Duration::seconds(1)),
        end_time: Some(t_end + chrono::Duration::seconds(1)),
        src_ip: Some("127.0.0.1".into()),
        src_port: Some(target),
        dst_ip: Some("127.0.0.1".into()),
        dst_port: Some(server_port),
        ..Filter::default()
    };
    let id = create_sensor_pcap_job(&base, &filter).await;

    let ctx = ExecContext {
        capture_dir: Some(capdir.path().to_path_buf()),
        ..ExecContext::default()
    };
    let job = run_sensor_job(&base, ctx.clone())
        .await
        .expect("agent got the job");
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");

    let resp = get_as(
        format!("{base}/api/v1/jobs/{id}/result"),
        "Bearer customer:alice:ta",
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.tcpdump.pcap"
    );
    let out = tempfile::tempdir().unwrap();
    let result = out.path().join("result.pcap");
    std::fs::write(&result, resp.bytes().await.unwrap()).unwrap();
    let got = tshark_ports(&result, "");
    assert_eq!(got.len(), expected, "exactly the flow's packets");
    for (s, d) in &got {
        assert!(
            (*s == target && *d == server_port) || (*s == server_port && *d == target),
            "foreign packet {s}->{d} in result"
        );
    }

    // The same data as pcapng (dumpcap's format) gives the same answer.
    let ngdir = tempfile::tempdir().unwrap();
    for (i, f) in files.iter().enumerate() {
        let st = Command::new("editcap")
            .args(["-F", "pcapng"])
            .arg(f)
            .arg(ngdir.path().join(format!("cap-{i}.pcapng")))
            .status()
            .unwrap();
        assert!(st.success());
    }
    let ng_ctx = ExecContext {
        capture_dir: Some(ngdir.path().to_path_buf()),
        ..ExecContext::default()
    };
    let job_full = state.store().get(id).await.unwrap().unwrap();
    let ng = execute(&job_full, &ng_ctx).unwrap();
    let ng_file = out.path().join("ng.pcap");
    std::fs::write(&ng_file, ng.data.into_vec().unwrap()).unwrap();
    assert_eq!(tshark_ports(&ng_file, "").len(), expected);

    // A window outside the stored data is refused clearly, and the job fails for good.
    let old = Filter {
        begin_time: Some(t_begin - chrono::Duration::days(400)),
        end_time: Some(t_begin - chrono::Duration::days(399)),
        ..filter.clone()
    };
    create_sensor_pcap_job(&base, &old).await;
    let job = run_sensor_job(&base, ctx).await.unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    let why = job.failure.unwrap_or_default();
    assert!(why.contains("outside the stored data"), "{why}");
}

/// Creates a PCAP job of `filter` for the sensor `sensor-1` of tenant `ta` through the API, as
/// a technician; its id.
async fn create_sensor_pcap_job(base: &str, filter: &Filter) -> i64 {
    post_job(
        format!("{base}/api/v1/jobs"),
        "Bearer technician:tech",
        &serde_json::json!({"tenant_id": "ta", "device_id": "sensor-1", "kind": "pcap", "filter": filter}),
    )
    .await
}

/// The sensor's agent runs its next job with `ctx` (`None`: there was none).
async fn run_sensor_job(base: &str, ctx: ExecContext) -> Option<Job> {
    let b = base.to_string();
    tokio::task::spawn_blocking(move || {
        AgentClient::new(&b, "device:sensor-1:ta", Duration::from_secs(10))
            .run_once(Duration::from_secs(2), &ctx)
            .unwrap()
    })
    .await
    .unwrap()
}
