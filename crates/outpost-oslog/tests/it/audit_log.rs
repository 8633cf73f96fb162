//! auditd logs: the fixtures under `tests/fixtures/audit/` were written by a real auditd 3.0.9
//! (Debian 12, `log_format = ENRICHED`) on the development machine, with the rules
//!
//! ```text
//! auditctl -a always,exit -F arch=b64 -S execve  -F uid=1001 -k outpost_exec
//! auditctl -a always,exit -F arch=b64 -S connect -F uid=1001 -k outpost_net
//! ```
//!
//! while user `audittest` (uid 1001) ran echo/ls/python3 connects/bash `/dev/tcp`/env printf
//! (`audit.log.1`), then after `kill -USR1 auditd` (rotation) `id -un` and a UDP connect to
//! 192.0.2.77:4444 (`audit.log`).

use outpost_core::{Direction, Event, EventKind, NetworkAction};
use outpost_oslog::{
    AuditCursor, Cursors, IngestOptions, SourcesConfig, ingest_file, poll_sources,
};
use std::convert::Infallible;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(name)
}

fn collect(path: &Path) -> (Vec<Event>, outpost_oslog::IngestStats) {
    let mut events = Vec::new();
    let stats = ingest_file(path, &IngestOptions::default(), &mut |e| {
        events.push(e);
        Ok::<(), Infallible>(())
    })
    .expect("ingest");
    (events, stats)
}

fn serial(e: &Event) -> u64 {
    e.log.as_ref().and_then(|l| l.record_id).expect("record id")
}

#[test]
fn real_log_gives_exec_and_connect_events() {
    let (events, stats) = collect(&fixture("audit.log.1"));
    assert_eq!(stats.records_read, 110);
    assert_eq!(stats.malformed, 0);
    assert_eq!(events.len(), 29, "29 distinct audit events");
    assert_eq!(stats.events_of(EventKind::ProcessExec), 7);
    assert_eq!(stats.events_of(EventKind::Network), 4);
    assert_eq!(stats.events_of(EventKind::Log), 18);

    // serial 9: /bin/echo "hello world" "with spaces" (hex-encoded arguments)
    let echo = events.iter().find(|e| serial(e) == 9).unwrap();
    assert_eq!(echo.kind, EventKind::ProcessExec);
    assert_eq!(echo.source, "auditd_log");
    let p = echo.process.as_ref().unwrap();
    assert_eq!(p.pid, 8863);
    assert_eq!(p.ppid, Some(8862));
    assert_eq!(p.exe.as_deref(), Some("/usr/bin/echo"));
    assert_eq!(p.name.as_deref(), Some("echo"));
    assert_eq!(p.args, vec!["/bin/echo", "hello world", "with spaces"]);
    assert_eq!(
        p.command_line.as_deref(),
        Some("/bin/echo hello world with spaces")
    );
    assert_eq!(p.cwd.as_deref(), Some("/tmp"));
    assert_eq!(p.uid, Some(1001));
    assert_eq!(p.euid, Some(1001));
    assert_eq!(p.user.as_deref(), Some("audittest"));
    assert!(!p.setuid);
    assert_eq!(
        echo.ts,
        chrono::DateTime::parse_from_rfc3339("2026-11-23T18:00:51.229Z").unwrap()
    );
    assert_eq!(
        echo.labels.get("audit.key").map(String::as_str),
        Some("outpost_exec")
    );
    let log = echo.log.as_ref().unwrap();
    assert_eq!(log.channel, "audit");
    assert_eq!(log.event_id, Some(1300));
    for (k, v) in [
        ("EXECVE.a1", "hello world"),
        ("PROCTITLE.proctitle", "/bin/echo hello world with spaces"),
        ("PATH.0.name", "/bin/echo"),
        ("SYSCALL", "execve"),
    ] {
        assert_eq!(log.fields.get(k).map(String::as_str), Some(v), "{k}");
    }

    // serial 17: tab and double quote in arguments
    let env = events.iter().find(|e| serial(e) == 17).unwrap();
    assert_eq!(
        env.process.as_ref().unwrap().args,
        vec!["/usr/bin/env", "printf", "%s\\n", "tab\tsep", "quote\"d"]
    );

    // serial 11: python3 -c with a multi-line script (hex with newlines)
    let py = events.iter().find(|e| serial(e) == 11).unwrap();
    let args = &py.process.as_ref().unwrap().args;
    assert_eq!(args[0], "python3");
    assert_eq!(args[1], "-c");
    assert!(
        args[2].starts_with("import socket\ns=socket.socket()"),
        "{}",
        args[2]
    );

    // connects: serial → (remote, port, action)
    let expect = [
        (12, "127.0.0.1", 9, NetworkAction::Attempted), // EINPROGRESS (non-blocking)
        (13, "::1", 8443, NetworkAction::Attempted),
        (14, "10.11.12.13", 53, NetworkAction::Allowed), // UDP connect succeeds
        (16, "127.0.0.1", 22, NetworkAction::Attempted), // ECONNREFUSED
    ];
    for (s, ip, port, action) in expect {
        let e = events.iter().find(|e| serial(e) == s).unwrap();
        assert_eq!(e.kind, EventKind::Network, "serial {s}");
        let n = e.network.as_ref().unwrap();
        assert_eq!(n.direction, Direction::Outbound);
        assert_eq!(n.remote_ip, Some(ip.parse().unwrap()), "serial {s}");
        assert_eq!(n.remote_port, Some(port));
        assert_eq!(n.action, action, "serial {s}");
        assert_eq!(
            e.labels.get("audit.key").map(String::as_str),
            Some("outpost_net")
        );
    }
    let bash = events.iter().find(|e| serial(e) == 16).unwrap();
    assert_eq!(
        bash.process.as_ref().unwrap().exe.as_deref(),
        Some("/usr/bin/bash")
    );
    assert_eq!(
        bash.labels.get("audit.exit").map(String::as_str),
        Some("-111")
    );

    // a failed execve (no EXECVE record) stays a log event with its fields
    let failed = events.iter().find(|e| serial(e) == 18).unwrap();
    assert_eq!(failed.kind, EventKind::Log);
    let f = &failed.log.as_ref().unwrap().fields;
    assert_eq!(f.get("success").map(String::as_str), Some("no"));
    assert_eq!(
        f.get("PATH.name").map(String::as_str),
        Some("/root/.cargo/bin/printf")
    );

    // user-space record with nested msg='…'
    let start = events.iter().find(|e| serial(e) == 6).unwrap();
    let l = start.log.as_ref().unwrap();
    assert_eq!(l.event_id, Some(1105));
    assert_eq!(l.fields.get("acct").map(String::as_str), Some("audittest"));
    assert_eq!(
        l.fields.get("op").map(String::as_str),
        Some("PAM:session_open")
    );
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

fn poll(cfg: &SourcesConfig, cursors: &mut Cursors) -> Vec<Event> {
    let mut out = Vec::new();
    let stats = poll_sources(cfg, cursors, &mut |e| {
        out.push(e);
        Ok::<(), Infallible>(())
    })
    .unwrap();
    assert_eq!(stats.failed_sources, 0);
    out
}

#[test]
fn poll_remembers_position_across_appends_and_rotation() {
    let first = std::fs::read(fixture("audit.log.1")).unwrap();
    let second = std::fs::read(fixture("audit.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("audit.log");
    let cfg = SourcesConfig {
        audit_logs: vec![base.clone()],
        ..Default::default()
    };
    let mut cursors = Cursors::default();

    // The writer is in the middle of event 11 (SYSCALL + EXECVE written, rest not yet) and in
    // the middle of a line.
    let text = std::str::from_utf8(&first).unwrap();
    let cut_line = text.find("type=CWD msg=audit(1795456851.249:11)").unwrap();
    let cut = cut_line + 10; // inside the CWD line
    write(&base, &first[..cut]);
    let a = poll(&cfg, &mut cursors);
    let a_serials: Vec<u64> = a.iter().map(serial).collect();
    assert!(!a_serials.contains(&11), "incomplete event 11 is held back");
    assert_eq!(*a_serials.last().unwrap(), 10);

    // Nothing new: nothing delivered.
    assert!(poll(&cfg, &mut cursors).is_empty());

    // The rest arrives.
    write(&base, &first);
    let b = poll(&cfg, &mut cursors);
    assert_eq!(serial(&b[0]), 11);
    let py = &b[0];
    assert_eq!(py.kind, EventKind::ProcessExec);
    assert_eq!(py.process.as_ref().unwrap().cwd.as_deref(), Some("/tmp"));

    // Together exactly the one-shot result, without duplicates.
    let (all, _) = collect(&fixture("audit.log.1"));
    let mut got: Vec<u64> = a.iter().chain(b.iter()).map(serial).collect();
    let want: Vec<u64> = all.iter().map(serial).collect();
    assert_eq!(got, want);

    // Rotation: audit.log → audit.log.1, a new audit.log is written.
    std::fs::rename(&base, dir.path().join("audit.log.1")).unwrap();
    write(&base, &second);
    let c = poll(&cfg, &mut cursors);
    let (all2, _) = collect(&fixture("audit.log"));
    let want2: Vec<u64> = all2.iter().map(serial).collect();
    got = c.iter().map(serial).collect();
    assert_eq!(got, want2, "only the new file's events after rotation");
    let udp = c
        .iter()
        .find(|e| e.remote_ip() == Some("192.0.2.77".parse().unwrap()))
        .expect("UDP connect after rotation");
    assert_eq!(udp.network.as_ref().unwrap().remote_port, Some(4444));
    assert!(poll(&cfg, &mut cursors).is_empty());

    // The cursor store round-trips through its JSON file.
    let store = dir.path().join("cursors.json");
    cursors.save(&store).unwrap();
    let loaded = Cursors::load(&store).unwrap();
    assert_eq!(loaded, cursors);
    let mut loaded = loaded;
    assert!(poll(&cfg, &mut loaded).is_empty());
}

#[test]
fn lost_inode_falls_back_to_time_and_serial() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("audit.log");
    std::fs::copy(fixture("audit.log.1"), &base).unwrap();
    let cfg = SourcesConfig {
        audit_logs: vec![base.clone()],
        ..Default::default()
    };
    // A cursor from another machine state: unknown inode, last event 1795456851.373:14.
    let mut cursors = Cursors::default();
    cursors.audit.insert(
        base.to_string_lossy().into_owned(),
        AuditCursor {
            inode: 1,
            offset: 999_999,
            last_ts_ms: 1_795_456_851_373,
            last_serial: 14,
        },
    );
    let got: Vec<u64> = poll(&cfg, &mut cursors).iter().map(serial).collect();
    assert_eq!(
        got,
        vec![
            15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
        ]
    );
}

#[test]
fn documented_formats_and_garbage_lines() {
    // RAW format (no enrichment), node= prefix, split long argument (aN_len / aN[i]), an
    // AF_INET6 accept, and lines that are not audit records.
    let log = "\
node=host1 type=SYSCALL msg=audit(1700000000.100:500): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=4242 auid=1000 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"sudo\" exe=\"/usr/bin/sudo\" key=\"exec\"
node=host1 type=EXECVE msg=audit(1700000000.100:500): argc=2 a0=\"sudo\" a1_len=10 a1[0]=68656C6C6F a1[1]=776F726C64
node=host1 type=CWD msg=audit(1700000000.100:500): cwd=2F686F6D652F6D7920646972
node=host1 type=PROCTITLE msg=audit(1700000000.100:500): proctitle=7375646F0068656C6C6F776F726C64
this is not an audit line
type=SYSCALL msg=audit(1700000001.000:501): arch=c000003e syscall=43 success=yes exit=5 a0=3 items=0 ppid=1 pid=77 uid=33 euid=33 gid=33 comm=\"nginx\" exe=\"/usr/sbin/nginx\" key=(null)
type=SOCKADDR msg=audit(1700000001.000:501): saddr=0A00D43100000000200107F8000000000000000000000001000000000000
type=PROCTITLE msg=audit(1700000001.000:501): proctitle=6E67696E78
type=BROKEN msg=audit(nonsense): x=1
";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("raw.log");
    write(&p, log.as_bytes());
    let (events, stats) = collect(&p);
    assert_eq!(stats.malformed, 2);
    assert_eq!(events.len(), 2);
    let sudo = &events[0];
    assert_eq!(sudo.kind, EventKind::ProcessExec);
    let p = sudo.process.as_ref().unwrap();
    assert_eq!(p.args, vec!["sudo", "helloworld"]);
    assert_eq!(p.cwd.as_deref(), Some("/home/my dir"));
    assert!(p.setuid, "euid 0 != uid 1000");
    assert_eq!(p.tty.as_deref(), Some("pts0"));
    assert_eq!(
        sudo.log.as_ref().unwrap().computer.as_deref(),
        Some("host1")
    );
    let nginx = &events[1];
    assert_eq!(nginx.kind, EventKind::Network);
    let n = nginx.network.as_ref().unwrap();
    assert_eq!(n.direction, Direction::Inbound);
    assert_eq!(n.remote_ip, Some("2001:7f8::1".parse().unwrap()));
    assert_eq!(n.remote_port, Some(54321));
    assert!(
        !nginx.labels.contains_key("audit.key"),
        "key=(null) is not a key"
    );
}

/// `long-arg.log`: real auditd output for `/bin/echo <9000 × 'a'> "x y"` run as uid 1001; the
/// kernel splits the long argument as `a1_len=18000 a1[0]=… a1[1]=…` over several EXECVE
/// records.
#[test]
fn real_split_long_argument_is_reassembled() {
    let (events, stats) = collect(&fixture("long-arg.log"));
    assert_eq!(stats.malformed, 0);
    let exec: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == EventKind::ProcessExec)
        .collect();
    assert_eq!(exec.len(), 1);
    let p = exec[0].process.as_ref().unwrap();
    assert_eq!(p.args.len(), 3);
    assert_eq!(p.args[0], "/bin/echo");
    assert_eq!(p.args[1], "a".repeat(9000));
    assert_eq!(p.args[2], "x y");
    assert_eq!(p.exe.as_deref(), Some("/usr/bin/echo"));
}

/// Records of two events can interleave in the log (events of different CPUs): each event is
/// still assembled from all its records, exactly as from the tidy log.
#[test]
fn interleaved_records_of_different_events_are_grouped_by_serial() {
    let text = std::fs::read_to_string(fixture("audit.log.1")).unwrap();
    let key = |l: &str| {
        l.split("msg=audit(")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap()
            .to_string()
    };
    // Consecutive lines of one event form a block.
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        match blocks.last_mut() {
            Some(b) if key(b[0]) == key(l) => b.push(l),
            _ => blocks.push(vec![l]),
        }
    }
    assert!(blocks.iter().filter(|b| b.len() > 1).count() >= 5);
    // Merge each pair of blocks record by record: a1 b1 a2 b2 …
    let mut mixed = String::new();
    let mut interleaved_pairs = 0;
    for pair in blocks.chunks(2) {
        if pair.len() == 2 && pair[0].len() > 1 && pair[1].len() > 1 {
            interleaved_pairs += 1;
        }
        let n = pair.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..n {
            for b in pair {
                if let Some(l) = b.get(i) {
                    mixed.push_str(l);
                    mixed.push('\n');
                }
            }
        }
    }
    assert!(
        interleaved_pairs >= 2,
        "the test must interleave multi-record events"
    );
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("audit.log");
    write(&path, mixed.as_bytes());

    let (tidy, tidy_stats) = collect(&fixture("audit.log.1"));
    let (events, stats) = collect(&path);
    assert_eq!(stats.records_read, tidy_stats.records_read);
    assert_eq!(events.len(), tidy.len(), "no event is split in two");
    let by_serial = |v: &[Event]| {
        let mut m: Vec<(u64, String)> = v
            .iter()
            .map(|e| (serial(e), serde_json::to_string(e).unwrap()))
            .collect();
        m.sort();
        m
    };
    assert_eq!(by_serial(&events), by_serial(&tidy));
}
