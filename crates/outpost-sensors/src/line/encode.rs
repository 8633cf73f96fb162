//! Writing a buffer line (see [`crate::line`]): byte for byte what `serde_json` writes, with
//! the process sections of recent processes serialized once.

use outpost_core::{Event, ProcessInfo};
use serde::Serialize;
use std::sync::Arc;

/// Distinct process records whose serialized form is kept.
const CACHED: usize = 8;

/// Writes events as JSON (see the module documentation). One per writing thread.
#[derive(Default)]
pub struct EventEncoder {
    /// Recently written process records and their JSON, most recently inserted last. The
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
        put(out, ts)?;
        out.extend_from_slice(b",\"kind\":");
        put(out, kind)?;
        if !source.is_empty() {
            out.extend_from_slice(b",\"source\":");
            put(out, source)?;
        }
        if let Some(p) = process {
            out.extend_from_slice(b",\"process\":");
            self.process(p, out)?;
        }
        if let Some(n) = network {
            out.extend_from_slice(b",\"network\":");
            put(out, n)?;
        }
        if let Some(f) = file {
            out.extend_from_slice(b",\"file\":");
            put(out, f)?;
        }
        if let Some(c) = container {
            out.extend_from_slice(b",\"container\":");
            put(out, c)?;
        }
        if let Some(d) = dns {
            out.extend_from_slice(b",\"dns\":");
            put(out, d)?;
        }
        if let Some(l) = log {
            out.extend_from_slice(b",\"log\":");
            put(out, l)?;
        }
        if !labels.is_empty() {
            out.extend_from_slice(b",\"labels\":");
            put(out, labels)?;
        }
        out.push(b'}');
        Ok(())
    }

    fn process(&mut self, p: &Arc<ProcessInfo>, out: &mut Vec<u8>) -> serde_json::Result<()> {
        if let Some((_, json)) = self
            .processes
            .iter()
            .find(|(q, _)| Arc::ptr_eq(q, p) || q == p)
        {
            out.extend_from_slice(json);
            return Ok(());
        }
        let mut json = Vec::with_capacity(512);
        put(&mut json, p)?;
        out.extend_from_slice(&json);
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use outpost_core::{
        ContainerInfo, Direction, EventKind, FileAction, FileInfo, LogRecord, NetworkInfo,
        ParentInfo, Protocol,
    };

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

    #[test]
    fn writes_what_serde_writes() {
        let mut enc = EventEncoder::new();
        for ev in events() {
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
