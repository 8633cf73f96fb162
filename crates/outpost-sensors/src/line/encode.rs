//! Writing a buffer line (see [`crate::line`]): byte for byte what `serde_json` writes, by a
//! hand-rolled writer into the caller's reused buffer, with the process sections of recent
//! processes serialized once.
//!
//! The daemon writes about a thousand events a second; through serde each one cost a
//! serializer state machine per field, its keys escaped at run time, the timestamp and the
//! addresses formatted through `fmt`, and every string escaped byte by byte through a
//! formatter. Here keys are literals, numbers, the timestamp and IPv4 addresses are written
//! directly, and a string that needs no escape (nearly all) is copied in one piece. The rare
//! sections (a file event's `file`, an OS-log record's `log`) and the rare values (IPv6
//! addresses, years outside 0–9999) still go through serde. The module's tests check the
//! bytes against `serde_json::to_string` for every field and for random strings.

use chrono::{DateTime, Datelike, Timelike, Utc};
use outpost_core::{
    ContainerInfo, DnsInfo, Event, Hashes, NetworkAction, NetworkInfo, ParentInfo, ProcessInfo,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Distinct process records whose serialized form is kept.
const CACHED: usize = 8;

/// Writes events as JSON (see the module documentation). One per writing thread.
#[derive(Default)]
pub struct EventEncoder {
    /// Recently written process records and their JSON, most recently used last. The
    /// records are the events' own shared ones, so the usual hit is a pointer comparison.
    processes: Vec<(Arc<ProcessInfo>, Vec<u8>)>,
}

impl EventEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `ev` as JSON (no newline) to `out`.
    pub fn encode(&mut self, ev: &Event, out: &mut Vec<u8>) -> serde_json::Result<()> {
        // Destructured so that a new field of `Event` cannot be forgotten here.
        let Event {
            ts,
            kind,
            source,
            process,
            network,
            file,
            container,
            dns,
            log,
            labels,
        } = ev;
        // The field order and the `skip_serializing_if` rules of `Event`'s derive.
        out.extend_from_slice(b"{\"ts\":");
        time(out, ts)?;
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(kind.as_str().as_bytes());
        out.push(b'"');
        if !source.is_empty() {
            out.extend_from_slice(b",\"source\":");
            string(out, source);
        }
        if let Some(p) = process {
            out.extend_from_slice(b",\"process\":");
            self.process(p, out)?;
        }
        if let Some(n) = network {
            out.extend_from_slice(b",\"network\":");
            network_info(out, n)?;
        }
        if let Some(f) = file {
            out.extend_from_slice(b",\"file\":");
            put(out, f)?;
        }
        if let Some(c) = container {
            out.extend_from_slice(b",\"container\":");
            container_info(out, c);
        }
        if let Some(d) = dns {
            out.extend_from_slice(b",\"dns\":");
            dns_info(out, d)?;
        }
        if let Some(l) = log {
            out.extend_from_slice(b",\"log\":");
            put(out, l)?;
        }
        if !labels.is_empty() {
            out.extend_from_slice(b",\"labels\":");
            map(out, labels);
        }
        out.push(b'}');
        Ok(())
    }

    fn process(&mut self, p: &Arc<ProcessInfo>, out: &mut Vec<u8>) -> serde_json::Result<()> {
        if let Some(at) = self
            .processes
            .iter()
            .rposition(|(q, _)| Arc::ptr_eq(q, p) || q == p)
        {
            // Least recently used first out: a busy process stays while others come and go.
            let hit = self.processes.remove(at);
            out.extend_from_slice(&hit.1);
            self.processes.push(hit);
            return Ok(());
        }
        let start = out.len();
        process_info(out, p)?;
        let json = out[start..].to_vec();
        if self.processes.len() == CACHED {
            self.processes.remove(0);
        }
        self.processes.push((Arc::clone(p), json));
        Ok(())
    }
}

fn put<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> serde_json::Result<()> {
    serde_json::to_writer(out, v)
}

/// `ProcessInfo`'s derive: its field order and skip rules.
fn process_info(out: &mut Vec<u8>, p: &ProcessInfo) -> serde_json::Result<()> {
    let ProcessInfo {
        pid,
        name,
        exe,
        args,
        command_line,
        cwd,
        ppid,
        parent,
        uid,
        euid,
        gid,
        user,
        setuid,
        start_time,
        tty,
        exit_code,
        hashes,
        entity_id,
    } = p;
    out.extend_from_slice(b"{\"pid\":");
    uint(out, u64::from(*pid));
    opt_str(out, b",\"name\":", name);
    opt_str(out, b",\"exe\":", exe);
    opt_list(out, b",\"args\":[", args);
    opt_str(out, b",\"command_line\":", command_line);
    opt_str(out, b",\"cwd\":", cwd);
    opt_uint(out, b",\"ppid\":", *ppid);
    if let Some(pa) = parent {
        out.extend_from_slice(b",\"parent\":");
        parent_info(out, pa);
    }
    opt_uint(out, b",\"uid\":", *uid);
    opt_uint(out, b",\"euid\":", *euid);
    opt_uint(out, b",\"gid\":", *gid);
    opt_str(out, b",\"user\":", user);
    if *setuid {
        out.extend_from_slice(b",\"setuid\":true");
    }
    if let Some(t) = start_time {
        out.extend_from_slice(b",\"start_time\":");
        time(out, t)?;
    }
    opt_str(out, b",\"tty\":", tty);
    if let Some(c) = exit_code {
        out.extend_from_slice(b",\"exit_code\":");
        if *c < 0 {
            out.push(b'-');
        }
        uint(out, u64::from(c.unsigned_abs()));
    }
    if !hashes.is_empty() {
        out.extend_from_slice(b",\"hashes\":");
        hashes_info(out, hashes);
    }
    opt_str(out, b",\"entity_id\":", entity_id);
    out.push(b'}');
    Ok(())
}

fn parent_info(out: &mut Vec<u8>, p: &ParentInfo) {
    let ParentInfo {
        pid,
        name,
        exe,
        command_line,
    } = p;
    out.extend_from_slice(b"{\"pid\":");
    uint(out, u64::from(*pid));
    opt_str(out, b",\"name\":", name);
    opt_str(out, b",\"exe\":", exe);
    opt_str(out, b",\"command_line\":", command_line);
    out.push(b'}');
}

/// A non-empty `Hashes` (the caller skips an empty one, as the derive does).
fn hashes_info(out: &mut Vec<u8>, h: &Hashes) {
    let Hashes {
        sha256,
        sha1,
        md5,
        other,
    } = h;
    out.push(b'{');
    let mut first = true;
    let mut field = |out: &mut Vec<u8>, key: &[u8], v: Option<&str>| {
        if let Some(v) = v {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(key);
            string(out, v);
        }
    };
    field(out, b"\"sha256\":", sha256.as_deref());
    field(out, b"\"sha1\":", sha1.as_deref());
    field(out, b"\"md5\":", md5.as_deref());
    if !other.is_empty() {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(b"\"other\":");
        map(out, other);
    }
    out.push(b'}');
}

fn network_info(out: &mut Vec<u8>, n: &NetworkInfo) -> serde_json::Result<()> {
    let NetworkInfo {
        direction,
        protocol,
        local_ip,
        local_port,
        remote_ip,
        remote_port,
        action,
        remote_hostname,
        community_id,
    } = n;
    out.extend_from_slice(b"{\"direction\":\"");
    out.extend_from_slice(direction.as_str().as_bytes());
    out.extend_from_slice(b"\",\"protocol\":");
    string(out, &protocol.as_str());
    if let Some(ip) = local_ip {
        out.extend_from_slice(b",\"local_ip\":");
        addr(out, ip)?;
    }
    opt_uint(out, b",\"local_port\":", *local_port);
    if let Some(ip) = remote_ip {
        out.extend_from_slice(b",\"remote_ip\":");
        addr(out, ip)?;
    }
    opt_uint(out, b",\"remote_port\":", *remote_port);
    out.extend_from_slice(match action {
        NetworkAction::Allowed => b",\"action\":\"allowed\"",
        NetworkAction::Blocked => b",\"action\":\"blocked\"",
        NetworkAction::Attempted => b",\"action\":\"attempted\"",
    });
    opt_str(out, b",\"remote_hostname\":", remote_hostname);
    opt_str(out, b",\"community_id\":", community_id);
    out.push(b'}');
    Ok(())
}

fn dns_info(out: &mut Vec<u8>, d: &DnsInfo) -> serde_json::Result<()> {
    let DnsInfo {
        query,
        qtype,
        rcode,
        answers,
        server,
    } = d;
    out.extend_from_slice(b"{\"query\":");
    string(out, query);
    opt_str(out, b",\"qtype\":", qtype);
    opt_str(out, b",\"rcode\":", rcode);
    opt_list(out, b",\"answers\":[", answers);
    if let Some(ip) = server {
        out.extend_from_slice(b",\"server\":");
        addr(out, ip)?;
    }
    out.push(b'}');
    Ok(())
}

fn container_info(out: &mut Vec<u8>, c: &ContainerInfo) {
    let ContainerInfo {
        id,
        runtime,
        name,
        image,
    } = c;
    out.extend_from_slice(b"{\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"runtime\":");
    string(out, runtime);
    opt_str(out, b",\"name\":", name);
    opt_str(out, b",\"image\":", image);
    out.push(b'}');
}

/// A string map as serde writes a `BTreeMap<String, String>` (key order).
fn map(out: &mut Vec<u8>, m: &BTreeMap<String, String>) {
    out.push(b'{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, k);
        out.push(b':');
        string(out, v);
    }
    out.push(b'}');
}

fn opt_str(out: &mut Vec<u8>, key: &[u8], v: &Option<String>) {
    if let Some(v) = v {
        out.extend_from_slice(key);
        string(out, v);
    }
}

/// A non-empty list of strings after `key` (which ends with the opening bracket).
fn opt_list(out: &mut Vec<u8>, key: &[u8], v: &[String]) {
    if v.is_empty() {
        return;
    }
    out.extend_from_slice(key);
    for (i, a) in v.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, a);
    }
    out.push(b']');
}

fn opt_uint<T: Into<u64>>(out: &mut Vec<u8>, key: &[u8], v: Option<T>) {
    if let Some(v) = v {
        out.extend_from_slice(key);
        uint(out, v.into());
    }
}

/// A decimal number.
fn uint(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Two decimal digits.
fn two(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&[b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]);
}

/// A time as chrono serializes it: RFC 3339 in UTC with `Z`, the fraction of a second in
/// 0, 3, 6 or 9 digits (the fewest that are exact), a leap second as second 60.
fn time(out: &mut Vec<u8>, t: &DateTime<Utc>) -> serde_json::Result<()> {
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return put(out, t);
    }
    out.push(b'"');
    two(out, year as u32 / 100);
    two(out, year as u32 % 100);
    out.push(b'-');
    two(out, t.month());
    out.push(b'-');
    two(out, t.day());
    out.push(b'T');
    let (mut sec, mut nano) = (t.second(), t.nanosecond());
    if nano >= 1_000_000_000 {
        sec += 1;
        nano -= 1_000_000_000;
    }
    two(out, t.hour());
    out.push(b':');
    two(out, t.minute());
    out.push(b':');
    two(out, sec);
    let (digits, v) = if nano == 0 {
        (0, 0)
    } else if nano % 1_000_000 == 0 {
        (3, nano / 1_000_000)
    } else if nano % 1_000 == 0 {
        (6, nano / 1_000)
    } else {
        (9, nano)
    };
    if digits > 0 {
        out.push(b'.');
        let mut buf = [b'0'; 9];
        let mut v = v;
        for d in buf[..digits].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&buf[..digits]);
    }
    out.extend_from_slice(b"Z\"");
    Ok(())
}

/// An address as serde writes it (its `Display`): IPv4 directly, IPv6 through serde.
fn addr(out: &mut Vec<u8>, ip: &IpAddr) -> serde_json::Result<()> {
    match ip {
        IpAddr::V4(v4) => {
            out.push(b'"');
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                uint(out, u64::from(o));
            }
            out.push(b'"');
            Ok(())
        }
        IpAddr::V6(_) => put(out, ip),
    }
}

/// What serde_json writes for a byte that must be escaped (0: none): the short escapes, `u`
/// for `\u00XX`.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Whether any of the 8 bytes of `w` may need an escape: a byte below 0x20, a quote or a
/// backslash (exact for "none": a word without any is never flagged).
#[inline]
fn may_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (below_space | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))) != 0
}

/// A JSON string with serde_json's escapes; a string without any is copied in one piece
/// (checked eight bytes at a time: command lines of a busy host's builds are kilobytes).
fn string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut from = 0;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        if may_escape(u64::from_le_bytes(w)) {
            break;
        }
        i += 8;
    }
    for (i, &c) in b.iter().enumerate().skip(i) {
        let e = ESCAPE[c as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&b[from..i]);
        if e == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 0xf) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
        from = i + 1;
    }
    out.extend_from_slice(&b[from..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use outpost_core::{Direction, EventKind, FileAction, FileInfo, LogRecord, Protocol};

    fn events() -> Vec<Event> {
        let ts = chrono::Utc
            .timestamp_opt(1_764_700_000, 123_456_789)
            .single()
            .unwrap();
        let proc_ = |pid: u32, cmd: &str| ProcessInfo {
            pid,
            name: Some("python3".into()),
            exe: Some("/usr/bin/python3.11".into()),
            args: vec!["python3".into(), cmd.into(), "--x \"q\"\n\u{1}é".into()],
            command_line: Some(format!("python3 {cmd}")),
            cwd: Some("/work".into()),
            ppid: Some(1),
            parent: Some(ParentInfo {
                pid: 1,
                name: Some("bash".into()),
                ..Default::default()
            }),
            uid: Some(0),
            euid: Some(1000),
            setuid: true,
            start_time: Some(ts),
            entity_id: Some(format!("{pid}-99")),
            ..Default::default()
        };
        let mut out = Vec::new();
        let mut e = Event::new(ts, EventKind::Network, "ebpf");
        e.network = Some(NetworkInfo {
            direction: Direction::Outbound,
            protocol: Protocol::Tcp,
            local_ip: Some("10.0.0.1".parse().unwrap()),
            remote_ip: Some("::ffff:1.2.3.4".parse().unwrap()),
            remote_port: Some(443),
            ..Default::default()
        });
        for (pid, cmd) in [
            (7, "a.py"),
            (7, "a.py"),
            (8, "b.py"),
            (7, "a.py"),
            (7, "c.py"),
        ] {
            let mut e = e.clone();
            e.process = Some(std::sync::Arc::new(proc_(pid, cmd)));
            out.push(e);
        }
        let mut bare = Event::new(ts, EventKind::Log, "");
        bare.labels.insert("k".into(), "v\t".into());
        bare.log = Some(LogRecord::default());
        out.push(bare);
        let mut f = Event::new(ts, EventKind::File, "inotify");
        f.file = Some(FileInfo {
            action: FileAction::Write,
            path: "/etc/pass\"wd".into(),
            host_path: None,
            old_path: None,
            sha256_before: None,
            sha256_after: Some("ab".into()),
            size: Some(3),
            mode: None,
            uid: None,
            gid: None,
        });
        f.container = Some(ContainerInfo::default());
        f.process = Some(std::sync::Arc::new(proc_(9, "d.py")));
        out.push(f);
        let mut d = Event::new(ts, EventKind::Dns, "dns_tap");
        d.dns = Some(outpost_core::DnsInfo {
            query: "evil.example".into(),
            qtype: Some("A".into()),
            rcode: Some("NOERROR".into()),
            answers: vec!["192.0.2.1".into()],
            server: Some("127.0.0.53".parse().unwrap()),
        });
        d.process = Some(std::sync::Arc::new(proc_(10, "e.py")));
        d.labels.insert("l".into(), "v".into());
        out.push(d);
        // More distinct processes than the cache holds, then an early one again.
        for pid in 100..(100 + CACHED as u32 + 2) {
            let mut e = e.clone();
            e.process = Some(std::sync::Arc::new(proc_(pid, "x.py")));
            out.push(e);
        }
        let mut again = e.clone();
        again.process = Some(std::sync::Arc::new(proc_(100, "x.py")));
        out.push(again);
        out.push(e);
        out
    }

    /// Every field and rare value the hand-rolled writer handles itself or hands to serde.
    fn unusual() -> Vec<Event> {
        let mut out = Vec::new();
        let at = |secs: i64, nanos: u32| chrono::Utc.timestamp_opt(secs, nanos).single().unwrap();
        let times = [
            at(1_764_700_000, 0),
            at(1_764_700_000, 5_000_000),
            at(1_764_700_000, 120_000),
            at(1_764_700_000, 7),
            at(1_764_700_019, 1_500_000_000),
            at(0, 1),
            at(-62_167_219_200, 0),
            at(-62_167_219_201, 0),
            at(253_402_300_799, 999_999_999),
            at(253_402_300_800, 0),
        ];
        for (i, ts) in times.into_iter().enumerate() {
            let mut e = Event::new(ts, EventKind::ProcessExit, "");
            let mut p = ProcessInfo {
                pid: u32::MAX,
                exit_code: Some([-1, i32::MIN, 0, i32::MAX, 3][i % 5]),
                tty: Some("pts/\\1".into()),
                gid: Some(0),
                start_time: Some(ts),
                ..Default::default()
            };
            match i % 4 {
                0 => {
                    p.hashes.other.insert("IMPHASH".into(), "x\\u".into());
                }
                1 => p.hashes.md5 = Some("m".into()),
                2 => {
                    p.hashes.sha1 = Some("s".into());
                    p.hashes.other.insert("A".into(), "".into());
                }
                _ => {}
            }
            e.process = Some(std::sync::Arc::new(p));
            out.push(e);
        }
        let ips = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        for (i, action) in [
            NetworkAction::Allowed,
            NetworkAction::Blocked,
            NetworkAction::Attempted,
        ]
        .into_iter()
        .enumerate()
        {
            let mut e = Event::new(times[i], EventKind::NetworkInventory, "sock_diag");
            e.network = Some(NetworkInfo {
                direction: [Direction::Inbound, Direction::Unknown, Direction::Outbound][i],
                protocol: [Protocol::Other(132), Protocol::Other(253), Protocol::Icmpv6][i],
                local_ip: Some(ips(["::1", "0.0.0.0", "fe80::1"][i])),
                local_port: Some(0),
                remote_ip: Some(ips([
                    "255.255.255.255",
                    "2001:db8::ffff:1.2.3.4",
                    "::ffff:10.0.0.1",
                ][i])),
                remote_port: Some(u16::MAX),
                action,
                remote_hostname: Some("h\u{7f}\u{1f}".into()),
                community_id: Some("1:abc=".into()),
            });
            e.container = Some(ContainerInfo {
                id: "c".repeat(64),
                runtime: "docker".into(),
                name: Some("n\\".into()),
                image: Some("img:1".into()),
            });
            out.push(e);
        }
        let mut d = Event::new(times[3], EventKind::Dns, "dns_tap");
        d.dns = Some(outpost_core::DnsInfo {
            query: "\u{8}\u{c}\r".into(),
            server: Some(ips("2001:db8::53")),
            ..Default::default()
        });
        out.push(d);
        out
    }

    proptest::proptest! {
        /// Any string, in any string field, is escaped exactly as serde_json escapes it.
        #[test]
        fn strings_are_escaped_as_serde_escapes_them(
            a in ".*",
            b in proptest::collection::vec(proptest::char::any(), 0..40),
            c in proptest::collection::vec(0u8..0x80, 0..40),
        ) {
            let b: String = b.into_iter().collect();
            let c = String::from_utf8(c).unwrap();
            let ts = chrono::Utc.timestamp_opt(1_764_700_000, 1).single().unwrap();
            let mut e = Event::new(ts, EventKind::ProcessExec, a.clone());
            let mut p = ProcessInfo {
                pid: 1,
                name: Some(b.clone()),
                exe: Some(c.clone()),
                args: vec![a.clone(), b.clone(), c.clone()],
                ..Default::default()
            };
            p.hashes.other.insert(b.clone(), c.clone());
            e.process = Some(std::sync::Arc::new(p));
            e.labels.insert(c.clone(), a.clone());
            e.dns = Some(outpost_core::DnsInfo {
                query: b,
                answers: vec![c, a],
                ..Default::default()
            });
            let mut line = Vec::new();
            EventEncoder::new().encode(&e, &mut line).unwrap();
            proptest::prop_assert_eq!(
                String::from_utf8(line).unwrap(),
                serde_json::to_string(&e).unwrap()
            );
        }
    }

    /// The word test flags exactly the words holding a byte that needs an escape.
    #[test]
    fn word_test_finds_every_byte_to_escape() {
        for c in 0..=255u8 {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                w[at] = c;
                assert_eq!(
                    may_escape(u64::from_le_bytes(w)),
                    ESCAPE[c as usize] != 0,
                    "{c:#x} at {at}"
                );
            }
        }
    }

    #[test]
    fn writes_what_serde_writes() {
        let mut enc = EventEncoder::new();
        for ev in events().into_iter().chain(unusual()) {
            let mut line = Vec::new();
            enc.encode(&ev, &mut line).unwrap();
            assert_eq!(
                String::from_utf8(line).unwrap(),
                serde_json::to_string(&ev).unwrap()
            );
        }
        assert!(enc.processes.len() <= CACHED);
    }
}
