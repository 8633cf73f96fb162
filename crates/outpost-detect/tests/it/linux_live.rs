//! Linux rules on events produced here for real: the test starts real processes (a shell
//! running as the web server's user `www-data`, `dig` querying a random name, a shell opening
//! /etc/passwd for writing) and builds each [`Event`] from the live `/proc/<pid>` of the process
//! it started (exe link, cmdline, status uids, parent, open file descriptors and their flags),
//! then scores them with the Linux Sigma fixtures, the native Linux rules and the static engine.
//!
//! Needs root (to switch to uid 33) and a Linux `/proc`; skips with a message otherwise.

use chrono::Utc;
use outpost_core::{Event, EventKind, FileAction, FileInfo, ParentInfo, ProcessInfo};
use outpost_detect::static_engine::{StaticConfig, StaticEngine};
use outpost_detect::{Pipeline, RuleHandle, RuleSet, SigmaOptions};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn user_name(uid: u32) -> Option<String> {
    let pw = std::fs::read_to_string("/etc/passwd").ok()?;
    pw.lines().find_map(|l| {
        let mut it = l.split(':');
        let name = it.next()?;
        let _ = it.next();
        (it.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

fn status_ids(pid: u32, key: &str) -> Option<(u32, u32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let l = s.lines().find(|l| l.starts_with(key))?;
    let mut it = l.split_whitespace().skip(1);
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn ppid_of(pid: u32) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &s[s.rfind(')')? + 2..];
    after.split_whitespace().nth(1)?.parse().ok()
}

fn exe_of(pid: u32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .map(|p| p.display().to_string())
}

/// Waits until the child has exec'd (its exe is no longer the test binary), then reads it.
fn exec_event(child: &Child) -> Event {
    let pid = child.id();
    let me = exe_of(std::process::id());
    let t0 = Instant::now();
    // exec has completed once the exe link changed and the new argument area is readable.
    let cmdline = || std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    while (exe_of(pid) == me || cmdline().is_empty()) && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let exe = exe_of(pid).expect("child exe (the child exited before it could be read)");
    let raw = cmdline();
    assert!(!raw.is_empty(), "cmdline of {pid} stayed empty");
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let (uid, euid) = status_ids(pid, "Uid:").expect("uids");
    let (gid, _) = status_ids(pid, "Gid:").expect("gids");
    let ppid = ppid_of(pid);
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_string());
    let mut e = Event::new(Utc::now(), EventKind::ProcessExec, "procfs");
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid,
        name: comm,
        exe: Some(exe),
        command_line: Some(args.join(" ")),
        args,
        cwd: std::fs::read_link(format!("/proc/{pid}/cwd"))
            .ok()
            .map(|p| p.display().to_string()),
        ppid,
        parent: ppid.map(|pp| ParentInfo {
            pid: pp,
            exe: exe_of(pp),
            ..Default::default()
        }),
        uid: Some(uid),
        euid: Some(euid),
        gid: Some(gid),
        user: user_name(uid),
        setuid: uid != euid,
        ..Default::default()
    }));
    e
}

/// A file event for every descriptor of `pid` open for writing on `path` (from fdinfo flags).
fn write_open_event(child: &Child, path: &str) -> Option<Event> {
    let pid = child.id();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(5) {
        if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            for fd in rd.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                if target != Path::new(path) {
                    continue;
                }
                let info = std::fs::read_to_string(format!(
                    "/proc/{pid}/fdinfo/{}",
                    fd.file_name().to_string_lossy()
                ))
                .ok()?;
                let flags = info
                    .lines()
                    .find(|l| l.starts_with("flags:"))?
                    .split_whitespace()
                    .nth(1)?;
                let flags = u32::from_str_radix(flags, 8).ok()?;
                if flags & 0o3 == 0 {
                    continue; // O_RDONLY
                }
                let mut e = exec_event(child);
                e.kind = EventKind::File;
                e.file = Some(FileInfo {
                    size: std::fs::metadata(path).ok().map(|m| m.len()),
                    ..FileInfo::new(FileAction::Write, path)
                });
                return Some(e);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

fn pipeline() -> Pipeline {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let opts = SigmaOptions::default();
    let mut rules = Vec::new();
    for d in ["sigma_linux", "rules_linux"] {
        let set = RuleSet::load_dir(&base.join(d), &opts).expect("rules");
        assert!(set.unsupported().is_empty(), "{:?}", set.unsupported());
        rules.extend(set.rules().iter().cloned());
    }
    let set = RuleSet::new(rules, Vec::new()).expect("set");
    Pipeline::new()
        .with_static(StaticEngine::new(&StaticConfig::default(), None).expect("static"))
        .with_rules(RuleHandle::fixed(set))
}

/// Asserts that each of the `engine:rule` names `fired` is among the findings `s` of `e`.
fn assert_fired(s: &outpost_detect::Scored, fired: &[&str], e: &Event) {
    let n = names(s);
    for f in fired {
        assert!(n.iter().any(|x| x == f), "{f} not in {n:?} for {e:?}");
    }
}

fn names(s: &outpost_detect::Scored) -> Vec<String> {
    let mut v: Vec<String> = s
        .indicators
        .iter()
        .map(|i| format!("{}:{}", i.engine, i.rule_name))
        .collect();
    v.sort();
    v
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn real_linux_activity_fires_linux_rules() {
    if !outpost_testkit::host(Path::new("/proc/self/exe").exists(), "needs Linux /proc")
        || !outpost_testkit::root("running a shell as uid 33")
    {
        return;
    }
    let p = pipeline();
    if !outpost_testkit::host(
        user_name(33).is_some(),
        "no account with uid 33 (www-data) in /etc/passwd",
    ) {
        return;
    }

    // 1. A shell started by the web server's user.
    let sh = Kill(
        Command::new("/bin/sh")
            .args(["-c", "sleep 3; true"])
            .uid(33)
            .gid(33)
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sh"),
    );
    let e = exec_event(&sh.0);
    assert_eq!(e.process.as_ref().and_then(|p| p.uid), Some(33));
    let s = p.score(&e);
    let fired = [
        "sigma:0d8a4f8e-8b1c-4a3e-9a55-6f3f2b3c9d01",
        "rules:lnx-web-uid-shell",
    ];
    assert_fired(&s, &fired, &e);
    assert!(
        s.indicators
            .iter()
            .any(|i| i.indicator_type == "risky_process"),
        "{:?}",
        names(&s)
    );
    assert!(s.wants_alert());
    drop(sh);

    // 2. dig querying a random-looking name (no network needed: the exec is what matters).
    if outpost_testkit::tools(&["dig"], "apt-get install dnsutils") {
        let label: String = {
            let mut x = u64::from(std::process::id())
                ^ (Utc::now().timestamp_nanos_opt().unwrap_or(7) as u64);
            (0..20)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (b'a' + (x % 26) as u8) as char
                })
                .collect()
        };
        let name = format!("{label}.wat.example");
        // A local UDP socket that never answers keeps dig waiting (no network is used).
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = silent.local_addr().expect("addr").port().to_string();
        let dig = Kill(
            Command::new("/usr/bin/dig")
                .args(["+time=3", "+tries=1", "@127.0.0.1", "-p", &port, &name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn dig"),
        );
        let e = exec_event(&dig.0);
        let fired = [
            "sigma:7c1e9b52-3f0a-4d8e-b1a4-2e6d0c9f8a12",
            "rules:lnx-dns-tool-random-name",
            "static:dig",
        ];
        assert_fired(&p.score(&e), &fired, &e);
    }

    // 3. /etc/passwd opened for writing (append, no bytes written: the file is unchanged).
    let w = Kill(
        Command::new("/bin/sh")
            .args(["-c", "exec 3>>/etc/passwd; sleep 3"])
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn writer"),
    );
    let e = write_open_event(&w.0, "/etc/passwd").expect("fd open for writing on /etc/passwd");
    let fired = [
        "sigma:4b7f2d6a-91c3-4e5f-8a2b-7d1e0f3c6b45",
        "rules:lnx-passwd-write",
        "static:/etc/passwd",
    ];
    assert_fired(&p.score(&e), &fired, &e);
    drop(w);

    // Control: an ordinary root process fires none of the Linux rules.
    let ok = Kill(
        Command::new("/bin/sleep")
            .arg("3")
            .spawn()
            .expect("spawn sleep"),
    );
    let s = p.score(&exec_event(&ok.0));
    assert!(s.indicators.is_empty(), "{:?}", names(&s));
}
