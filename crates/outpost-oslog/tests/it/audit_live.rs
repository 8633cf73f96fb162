//! A real auditd on this machine writes the log that Outpost reads.
//!
//! The test starts its own `auditd` (foreground, configuration and log in a temporary
//! directory), adds an execve and a connect rule under a unique key, runs a marked command and
//! opens a TCP connection, and reads the log with `poll_sources` as `agent run-once` does: the
//! exec event carries the marked arguments and the connection its process and remote port.
//! Root and the Debian `auditd` package are needed (`scripts/test.sh` installs it and runs as
//! root); the test skips otherwise, and fails under `OUTPOST_REQUIRE_SERVICES=1` when auditd is
//! missing. It also skips when another audit daemon is registered (it must not take over a
//! host's auditd).

use outpost_core::{Event, EventKind};
use outpost_oslog::{Cursors, SourcesConfig, poll_sources};
use std::convert::Infallible;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn auditctl(args: &[&str]) -> std::process::Output {
    Command::new("auditctl")
        .args(args)
        .output()
        .expect("auditctl runs")
}

/// `auditctl -s` → (enabled, pid of the registered daemon).
fn audit_status() -> (String, u32) {
    let out = String::from_utf8_lossy(&auditctl(&["-s"]).stdout).to_string();
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or("0")
            .trim()
            .to_string()
    };
    (field("enabled"), field("pid").parse().unwrap_or(0))
}

/// Stops the test's auditd and removes its rules, restoring the audit state found.
struct Guard {
    child: Child,
    rules: Vec<Vec<String>>,
    enabled_before: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for r in &self.rules {
            let mut args: Vec<&str> = vec!["-d"];
            args.extend(r.iter().map(String::as_str));
            let _ = auditctl(&args);
        }
        // SIGTERM lets auditd unregister cleanly.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = auditctl(&["-e", &self.enabled_before]);
    }
}

fn write_config(dir: &Path) {
    let plugins = dir.join("plugins.d");
    std::fs::create_dir_all(&plugins).unwrap();
    let conf = format!(
        "local_events = yes\n\
         write_logs = yes\n\
         log_file = {log}\n\
         log_group = root\n\
         log_format = ENRICHED\n\
         flush = SYNC\n\
         freq = 0\n\
         max_log_file = 8\n\
         num_logs = 5\n\
         priority_boost = 0\n\
         name_format = NONE\n\
         max_log_file_action = ROTATE\n\
         space_left = 2\n\
         space_left_action = IGNORE\n\
         admin_space_left = 1\n\
         admin_space_left_action = IGNORE\n\
         disk_full_action = IGNORE\n\
         disk_error_action = IGNORE\n\
         tcp_listen_queue = 5\n\
         tcp_max_per_addr = 1\n\
         tcp_client_max_idle = 0\n\
         transport = TCP\n\
         distribute_network = no\n\
         q_depth = 2000\n\
         overflow_action = SYSLOG\n\
         max_restarts = 10\n\
         plugin_dir = {plugins}\n\
         end_of_event_timeout = 2\n",
        log = dir.join("audit.log").display(),
        plugins = plugins.display(),
    );
    let path = dir.join("auditd.conf");
    std::fs::write(&path, conf).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
}

#[test]
fn events_written_by_a_real_auditd_are_read() {
    if !outpost_testkit::root("running auditd") {
        return;
    }
    if !outpost_testkit::tools(&["auditd", "auditctl"], "apt-get install auditd") {
        return;
    }
    // A kernel or container without the audit interface is an environment limit, not a
    // missing package: say so and stop.
    let probe = auditctl(&["-s"]);
    if !outpost_testkit::host(
        probe.status.success(),
        &format!(
            "the kernel audit interface is not available here: {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        ),
    ) {
        return;
    }
    let (enabled_before, pid) = audit_status();
    if !outpost_testkit::host(
        pid == 0,
        &format!("an audit daemon (pid {pid}) is already registered"),
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let child = Command::new("auditd")
        .args(["-n", "-c"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("auditd starts");
    let key = format!("outpost_live_{}", std::process::id());
    // Only this test's own processes: the exec of its child (ppid = us) and its own connect
    // (pid = us). System-wide rules record every process of a busy CI machine, and the
    // kernel's audit backlog then overflows and loses the very events this test looks for.
    let me = std::process::id();
    let rules: Vec<Vec<String>> = [
        ("execve", format!("ppid={me}")),
        ("connect", format!("pid={me}")),
    ]
    .iter()
    .map(|(sc, who)| {
        [
            "always,exit",
            "-F",
            "arch=b64",
            "-S",
            sc,
            "-F",
            who.as_str(),
            "-F",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("key={key}")])
        .collect::<Vec<String>>()
    })
    .map(|mut v| {
        v.insert(0, "-a".to_string());
        v
    })
    .collect();
    let mut guard = Guard {
        child,
        rules: Vec::new(),
        enabled_before,
    };
    // Wait until this auditd is registered with the kernel.
    let deadline = Instant::now() + Duration::from_secs(10);
    while audit_status().1 != guard.child.id() {
        assert!(Instant::now() < deadline, "auditd did not register");
        if let Ok(Some(st)) = guard.child.try_wait() {
            panic!("auditd exited at start: {st}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(auditctl(&["-e", "1"]).status.success());
    for r in &rules {
        let args: Vec<&str> = r.iter().map(String::as_str).collect();
        let out = auditctl(&args);
        assert!(out.status.success(), "auditctl {args:?}: {:?}", out);
        // Deletion takes the same arguments after -d instead of -a.
        guard.rules.push(r[1..].to_vec());
    }

    // What the log must show.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let marker = format!("outpost-marker-{}-{nanos}", std::process::id());
    let st = Command::new("/bin/echo")
        .args([&marker, "with space"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    drop(stream);

    let cfg = SourcesConfig {
        audit_logs: vec![dir.path().join("audit.log")],
        ..Default::default()
    };
    let mut cursors = Cursors::default();
    let mut events: Vec<Event> = Vec::new();
    let found = |events: &[Event]| {
        let exec = events.iter().find(|e| {
            e.kind == EventKind::ProcessExec
                && e.process
                    .as_ref()
                    .is_some_and(|p| p.args.iter().any(|a| a == &marker))
        });
        let conn = events.iter().find(|e| {
            e.kind == EventKind::Network
                && e.network
                    .as_ref()
                    .is_some_and(|n| n.remote_port == Some(port))
        });
        (exec.cloned(), conn.cloned())
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    let (exec, conn) = loop {
        let stats = poll_sources(&cfg, &mut cursors, &mut |e| {
            events.push(e);
            Ok::<(), Infallible>(())
        })
        .unwrap();
        assert_eq!(
            stats.malformed, 0,
            "a real auditd log has no malformed line"
        );
        if let (Some(x), Some(c)) = found(&events) {
            break (x, c);
        }
        assert!(
            Instant::now() < deadline,
            "the marked exec and the connect did not reach the log ({} events read)",
            events.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let p = exec.process.as_ref().unwrap();
    assert_eq!(p.exe.as_deref(), Some("/usr/bin/echo"));
    assert_eq!(
        p.args,
        vec!["/bin/echo".to_string(), marker.clone(), "with space".into()]
    );
    assert_eq!(p.ppid, Some(std::process::id()));
    let cp = conn.process.as_ref().unwrap();
    assert_eq!(cp.pid, std::process::id());
    assert_eq!(conn.remote_ip(), Some("127.0.0.1".parse().unwrap()));

    // The position is remembered: a second poll delivers nothing already seen.
    let seen = events.len();
    let mut again = Vec::new();
    poll_sources(&cfg, &mut cursors, &mut |e| {
        again.push(e);
        Ok::<(), Infallible>(())
    })
    .unwrap();
    assert!(
        again.iter().all(|e| {
            !e.process
                .as_ref()
                .is_some_and(|p| p.args.iter().any(|a| a == &marker))
        }),
        "the marked exec is not delivered twice ({seen} before)"
    );
    drop(guard);
}
