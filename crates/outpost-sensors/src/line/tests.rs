//! The contract of the buffer line format: what the encoder writes is what the in-place
//! readers expect (see the module documentation). A change to either half that breaks the
//! other fails here, not as a silently slower (or wrong) correlation pass.

use super::*;
use chrono::TimeZone;
use memchr::memmem;
use outpost_core::{
    DnsInfo, Event, EventKind, Hashes, NetworkInfo, ParentInfo, ProcessInfo, Protocol,
};
use proptest::prelude::*;
use std::net::IpAddr;
use std::sync::Arc;

fn encode(ev: &Event) -> Vec<u8> {
    let mut out = Vec::new();
    EventEncoder::new().encode(ev, &mut out).unwrap();
    out
}

fn ts() -> chrono::DateTime<chrono::Utc> {
    // Nanoseconds: the longest timestamp the encoder writes.
    chrono::Utc
        .timestamp_opt(1_764_700_000, 123_456_789)
        .single()
        .unwrap()
}

fn process(name: Option<&str>, exe: Option<&str>, hashes: Hashes) -> ProcessInfo {
    ProcessInfo {
        pid: 4242,
        name: name.map(str::to_string),
        exe: exe.map(str::to_string),
        args: vec!["x".into(), "\"kind\":\"dns\" remote_ip query".into()],
        command_line: Some("x --y".into()),
        ppid: Some(1),
        parent: Some(ParentInfo {
            pid: 1,
            name: Some("init".into()),
            ..Default::default()
        }),
        uid: Some(0),
        start_time: Some(ts()),
        hashes,
        ..Default::default()
    }
}

#[test]
fn every_kind_is_read_from_the_head_of_the_line() {
    for kind in EventKind::ALL {
        for source in ["", "ebpf", "evtx:Microsoft-Windows-Sysmon/Operational"] {
            let mut ev = Event::new(ts(), kind, source);
            ev.process = Some(Arc::new(process(Some("a"), Some("/a"), Hashes::default())));
            let line = encode(&ev);
            let want = format!("{}\"", kind.as_str());
            match kind_at(&line) {
                KindAt::Head(rest) => assert!(
                    rest.starts_with(want.as_bytes()),
                    "{kind:?}: {}",
                    String::from_utf8_lossy(&line)
                ),
                other => panic!("{kind:?}: {other:?} in {}", String::from_utf8_lossy(&line)),
            }
        }
    }
}

#[test]
fn a_connections_remote_address_is_read_after_the_key() {
    for ip in [
        "203.0.113.7",
        "0.0.0.0",
        "255.255.255.255",
        "2001:db8::1",
        "::ffff:1.2.3.4",
        "::1",
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        let mut ev = Event::new(ts(), EventKind::Network, "ebpf");
        ev.process = Some(Arc::new(process(
            Some("curl"),
            Some("/usr/bin/curl"),
            Hashes::default(),
        )));
        ev.network = Some(NetworkInfo {
            protocol: Protocol::Tcp,
            local_ip: Some("10.0.0.1".parse().unwrap()),
            remote_ip: Some(ip),
            remote_port: Some(443),
            remote_hostname: Some("remote_ip.example".into()),
            ..Default::default()
        });
        let line = encode(&ev);
        let mut keys = memmem::find_iter(&line, REMOTE_IP_KEY);
        let at = keys.next().expect("the key");
        assert!(keys.next().is_none(), "the key once");
        assert_eq!(
            remote_ip_after_key(&line[at + REMOTE_IP_KEY.len()..]),
            Some(ip)
        );
        assert_eq!(parse(&line).unwrap(), ev);
    }
}

/// Printable ASCII with the characters JSON escapes (`"`, `\`) and the one it may (`/`).
fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,24}"
}

fn hex(n: usize) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(proptest::string::string_regex(&format!("[0-9a-f]{{{n}}}")).unwrap())
}

/// Written without escapes but `\\` (which the readers undo): read in place, never parsed.
fn plain(s: &str) -> bool {
    !s.contains('"')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn exec_fields_read_back_what_the_encoder_wrote(
        name in proptest::option::of(text()),
        exe in proptest::option::of(text()),
        sha256 in hex(64),
        sha1 in hex(40),
        md5 in hex(32),
        other in any::<bool>(),
        inventory in any::<bool>(),
    ) {
        let mut hashes = Hashes { sha256, sha1, md5, ..Default::default() };
        if other {
            hashes.other.insert("IMPHASH".into(), "00".into());
        }
        let kind = if inventory { EventKind::ProcessInventory } else { EventKind::ProcessExec };
        let mut ev = Event::new(ts(), kind, "proc_connector");
        ev.process = Some(Arc::new(process(name.as_deref(), exe.as_deref(), hashes.clone())));
        let line = encode(&ev);
        let f = exec_fields(&line);
        if let (Some(n), Some(e)) = (&name, &exe)
            && plain(n)
            && plain(e)
        {
            prop_assert!(f.is_some(), "not read in place: {}", String::from_utf8_lossy(&line));
        }
        if let Some(f) = f {
            prop_assert_eq!(f.name.as_deref(), name.as_deref());
            prop_assert_eq!(f.exe.as_deref(), exe.as_deref());
            prop_assert_eq!(f.sha256.as_deref(), hashes.sha256.as_deref());
            prop_assert_eq!(f.sha1.as_deref(), hashes.sha1.as_deref());
            prop_assert_eq!(f.md5.as_deref(), hashes.md5.as_deref());
        }
        prop_assert!(matches!(kind_at(&line), KindAt::Head(k) if k.starts_with(kind.as_str().as_bytes())));
    }

    #[test]
    fn a_dns_query_reads_back_what_the_encoder_wrote(query in text(), with_process in any::<bool>()) {
        let mut ev = Event::new(ts(), EventKind::Dns, "dns_tap");
        ev.dns = Some(DnsInfo {
            query: query.clone(),
            qtype: Some("A".into()),
            rcode: Some("NOERROR".into()),
            answers: vec!["192.0.2.1".into()],
            server: Some("127.0.0.53".parse().unwrap()),
        });
        if with_process {
            ev.process = Some(Arc::new(process(Some("resolved"), Some("/lib/resolved"), Hashes::default())));
        }
        let line = encode(&ev);
        let q = dns_query(&line);
        if plain(&query) {
            prop_assert!(q.is_some(), "not read in place: {}", String::from_utf8_lossy(&line));
        }
        if let Some(q) = q {
            prop_assert_eq!(q.as_deref(), Some(query.as_str()));
        }
        prop_assert!(matches!(kind_at(&line), KindAt::Head(k) if k.starts_with(b"dns\"")));
    }
}
