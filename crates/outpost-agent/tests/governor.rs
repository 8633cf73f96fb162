//! The daemon's own CPU cap on the real kernel: `outpost agent run` (the library's
//! `daemon::run`) with every sensor and a cap it cannot meet drops the events it drains and
//! counts each one, instead of buffering them. Needs root (the sensors); skips otherwise.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[test]
fn over_its_cpu_cap_the_daemon_sheds_and_counts_events() {
    if !outpost_platform::is_privileged() {
        eprintln!("SKIPPED: this test needs root (the daemon's sensors)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hot = dir.path().join("hotlist.txt");
    std::fs::write(&hot, "203.0.113.7\n").unwrap();
    // Enrolled with a server that is not there: nothing here needs one.
    std::fs::write(
        dir.path().join("agent.toml"),
        format!(
            r#"server_url = "http://127.0.0.1:9"
tenant_id = "t"
device_id = "d"
device_token = "x"
hostname = "h"
hotlist = "{}"

[daemon]
correlate_interval_secs = 3600
checkin_interval_secs = 0
jobs = false
max_cpu_percent = 0.001

[sensors.files]
enabled = false
"#,
            hot.display()
        ),
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (d, s) = (dir.path().to_path_buf(), stop.clone());
    let daemon = std::thread::spawn(move || outpost_agent::daemon::run(&d, s));
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
