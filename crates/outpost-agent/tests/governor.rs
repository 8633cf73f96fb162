//! The daemon's own CPU cap on the real kernel: `outpost agent run` (the library's
//! `daemon::run`) with every sensor and a cap it cannot meet drops the events it drains and
//! counts each one, instead of buffering them. Needs root (the sensors); skips otherwise.
//! And, on every platform, the caps' effect on pollable OS-log sources.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A data directory enrolled with a server that is not there (nothing here needs one), a
/// one-address hotlist, and `rest` (the `[daemon]` section and after) appended to `agent.toml`.
/// Paths are TOML literal strings, so Windows paths keep their backslashes.
fn offline_agent(rest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let hot = dir.path().join("hotlist.txt");
    std::fs::write(&hot, "203.0.113.7\n").unwrap();
    std::fs::write(
        dir.path().join("agent.toml"),
        format!(
            "server_url = \"http://127.0.0.1:9\"\ntenant_id = \"t\"\ndevice_id = \"d\"\n\
             device_token = \"x\"\nhostname = \"h\"\nhotlist = '{}'\n\n{rest}",
            hot.display()
        ),
    )
    .unwrap();
    dir
}

#[cfg(target_os = "linux")]
#[test]
fn over_its_cpu_cap_the_daemon_sheds_and_counts_events() {
    if !outpost_testkit::root("the daemon's sensors") {
        return;
    }
    let dir = offline_agent(
        r#"[daemon]
correlate_interval_secs = 3600
checkin_interval_secs = 0
jobs = false
max_cpu_percent = 0.001

[sensors.files]
enabled = false
"#,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let (d, s) = (dir.path().to_path_buf(), stop.clone());
    let daemon = std::thread::spawn(move || outpost_agent::daemon::run(&d, s));
    use std::time::Instant;
    // Processes for the sensors to report, for longer than the governor's first judgement
    // (a second of history).
    let end = Instant::now() + Duration::from_secs(4);
    while Instant::now() < end {
        let _ = std::process::Command::new("/bin/true").status();
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    let c = daemon.join().unwrap().unwrap();
    assert!(c.events_shed_cpu > 0, "nothing shed: {c:?}");
    assert_eq!(c.events_shed_memory, 0, "{c:?}");
    eprintln!(
        "buffered {}, shed {} (cpu)",
        c.events_buffered, c.events_shed_cpu
    );
}

/// Pollable sources (EVTX files, audit logs, Windows channels — on Windows the agent's main
/// source) are not shed but deferred: over its memory cap the daemon leaves them unread and
/// counts the deferral; under the cap the same daemon reads every record. No root needed (the
/// sensors are off), so this runs on Windows too.
#[test]
fn over_its_memory_cap_the_daemon_defers_os_logs_and_reads_them_under_it() {
    let Some(evtx) = outpost_testkit::shared(outpost_testkit::RDP_TUNNEL_5156) else {
        return;
    };
    let run = |max_rss_mib: u64| {
        let dir = offline_agent(&format!(
            r#"[daemon]
correlate_interval_secs = 1
checkin_interval_secs = 0
jobs = false
max_rss_mib = {max_rss_mib}

[sources]
evtx = ['{evtx}']

[sensors.processes]
enabled = false
[sensors.network]
enabled = false
[sensors.files]
enabled = false
[sensors.containers]
enabled = false
"#,
            evtx = evtx.display()
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s) = (dir.path().to_path_buf(), stop.clone());
        let daemon = std::thread::spawn(move || outpost_agent::daemon::run(&d, s));
        std::thread::sleep(Duration::from_secs(4));
        // Regression: with no sensor sending (Windows; every sensor off) the daemon used to
        // end at once, after one pass.
        assert!(!daemon.is_finished(), "the daemon stopped on its own");
        stop.store(true, Ordering::Relaxed);
        let c = daemon.join().unwrap().unwrap();
        assert!(c.correlation_passes >= 3, "{c:?}");
        let cursors =
            std::fs::read_to_string(dir.path().join("oslog-cursors.json")).unwrap_or_default();
        (c, cursors)
    };
    // 1 MiB: no process is that small, so every pass after the first second defers.
    let (c, cursors) = run(1);
    assert!(c.os_log_polls_deferred > 0, "{c:?}");
    assert!(
        !cursors.contains("DE_RDP"),
        "an EVTX source was read over the cap: {cursors}"
    );
    // No cap: the same source is read.
    let (c, cursors) = run(0);
    assert_eq!(c.os_log_polls_deferred, 0, "{c:?}");
    assert!(
        cursors.contains("DE_RDP"),
        "the EVTX source was not read: {cursors:?}"
    );
}
