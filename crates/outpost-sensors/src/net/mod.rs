//! Connection collector: eBPF connect/accept/UDP events (feature `ebpf`), sock_diag inventory of
//! existing sockets, and sock_diag polling as the always-available fallback.

// The record decoders are used by the eBPF reader only (and by the tests).
#![cfg_attr(not(feature = "ebpf"), allow(dead_code))]

#[cfg(feature = "ebpf")]
mod ebpf;
pub mod sockdiag;

use crate::config::SensorConfig;
use crate::emit::Emitter;
use crate::process::read_process;
use crate::{Capabilities, SensorError};
use chrono::{DateTime, Utc};
use outpost_core::{
    ContainerInfo, Direction, Event, EventKind, NetworkAction, NetworkInfo, ProcessInfo, Protocol,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Threads and stop hooks of the connection collector.
#[derive(Default)]
pub(crate) struct NetStarted {
    pub threads: Vec<JoinHandle<()>>,
    pub stoppers: Vec<Box<dyn FnOnce() + Send>>,
    /// The DNS sensor's process lookup (the eBPF program's `dns_ports` map), or why there is
    /// none.
    pub dns_owners: Option<Result<crate::dns_sensor::PortOwners, String>>,
}

/// What the eBPF program reports (see `bpf/conn.bpf.c`, `struct conn_event`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnRecord {
    pub ts_ns: u64,
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
    pub kind: ConnKind,
    pub protocol: Protocol,
    pub local: IpAddr,
    pub local_port: u16,
    pub remote: IpAddr,
    pub remote_port: u16,
    /// The task's command name as the kernel holds it (NUL-padded): read with
    /// [`ConnRecord::comm`], which allocates nothing for a valid UTF-8 name.
    pub comm_bytes: [u8; 16],
}

impl ConnRecord {
    /// The command name (up to the first NUL; invalid UTF-8 replaced).
    pub fn comm(&self) -> std::borrow::Cow<'_, str> {
        let end = self
            .comm_bytes
            .iter()
            .position(|c| *c == 0)
            .unwrap_or(self.comm_bytes.len());
        String::from_utf8_lossy(&self.comm_bytes[..end])
    }
}

/// Which hook produced a [`ConnRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnKind {
    /// An outbound TCP connection was established (pid: the process that called connect).
    Connect,
    /// An outbound TCP connection attempt failed (refused, reset, timed out).
    ConnectFailed,
    /// An inbound TCP connection was established; pid is the first process that sent,
    /// received or closed on it, or 0 when it closed before any process used it (then it is
    /// attributed to the listening socket's current owner).
    Accept,
    /// A UDP datagram was sent (first to a destination per process, then once a minute).
    UdpSend,
}

/// Size of `struct conn_event`.
pub const CONN_RECORD_LEN: usize = 80;

fn ip_from(family: u16, b: &[u8]) -> Option<IpAddr> {
    match family {
        2 => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        10 => {
            let a: [u8; 16] = b.get(..16)?.try_into().ok()?;
            Some(normalize(IpAddr::V6(Ipv6Addr::from(a))))
        }
        _ => None,
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, from dual-stack sockets) as plain IPv4.
pub fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// An exec seen in the kernel (`sched_process_exec`): the image as the exec'ing process named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRecord {
    pub ts_ns: u64,
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    /// The task's cgroup v2 id.
    pub cgroup_id: u64,
    /// `task->start_boottime` in ns.
    pub start_boottime: u64,
    pub comm: String,
    /// The file executed (for a script its interpreter), as named (not symlink-resolved; may
    /// be relative).
    pub filename: String,
    /// argv, truncated to 512 bytes.
    pub args: Vec<String>,
    /// argv did not fit in 512 bytes.
    pub args_truncated: bool,
}

/// Size of `struct exec_event`.
pub const EXEC_RECORD_LEN: usize = 848;
/// The `kind` byte of an exec record.
pub const KIND_EXEC: u8 = 10;

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Decodes an exec record; `None` for a short record or another kind.
pub fn parse_exec_record(b: &[u8]) -> Option<ExecRecord> {
    if b.len() < EXEC_RECORD_LEN || b[30] != KIND_EXEC {
        return None;
    }
    let u32_at = |o: usize| crate::netlink::u32_at(b, o);
    let args_len = (u32_at(36)? as usize).min(512);
    Some(ExecRecord {
        ts_ns: crate::netlink::u64_at(b, 0)?,
        pid: u32_at(8)?,
        uid: u32_at(16)?,
        gid: u32_at(20)?,
        ppid: u32_at(32)?,
        euid: u32_at(824)?,
        egid: u32_at(828)?,
        cgroup_id: crate::netlink::u64_at(b, 832)?,
        start_boottime: crate::netlink::u64_at(b, 840)?,
        args_truncated: args_len >= 512,
        comm: cstr(&b[40..56]),
        filename: cstr(&b[56..312]),
        args: crate::procfs::parse_cmdline(&b[312..312 + args_len]),
    })
}

/// Decodes one ring-buffer record; `None` for a short or unknown record.
pub fn parse_conn_record(b: &[u8]) -> Option<ConnRecord> {
    if b.len() < CONN_RECORD_LEN {
        return None;
    }
    let u32_at = |o: usize| crate::netlink::u32_at(b, o);
    let u16_at =
        |o: usize| -> Option<u16> { Some(u16::from_ne_bytes(b.get(o..o + 2)?.try_into().ok()?)) };
    let family = u16_at(24)?;
    let kind = match b[30] {
        1 => ConnKind::Connect,
        2 => ConnKind::Accept,
        3 => ConnKind::UdpSend,
        4 => ConnKind::ConnectFailed,
        _ => return None,
    };
    Some(ConnRecord {
        ts_ns: crate::netlink::u64_at(b, 0)?,
        pid: u32_at(8)?,
        uid: u32_at(16)?,
        gid: u32_at(20)?,
        kind,
        protocol: Protocol::from_number(b[31]),
        local_port: u16_at(26)?,
        remote_port: u16_at(28)?,
        local: ip_from(family, &b[32..48])?,
        remote: ip_from(family, &b[48..64])?,
        comm_bytes: b.get(64..80)?.try_into().ok()?,
    })
}

/// The process (and container) a connection belongs to: the cache first (it keeps processes that
/// already exited), then `/proc`, then what the kernel told us (pid, comm, uid).
pub(crate) fn attribute(
    em: &Emitter,
    pid: u32,
    comm: Option<&str>,
    uid: Option<u32>,
) -> (Arc<ProcessInfo>, Option<ContainerInfo>) {
    let mut fork_copy = None;
    let containers = match em.shared.procs.lock() {
        Ok(t) => {
            if let Some(p) = t.get(pid) {
                let cached = (
                    Arc::clone(&p.info),
                    p.container.as_ref().map(|c| (**c).clone()),
                );
                // A fork copy of a live process may predate an exec not processed yet: /proc
                // tells the current image.
                if !(p.from_fork && p.exited.is_none()) {
                    return cached;
                }
                fork_copy = Some(cached);
            }
            t.containers_enabled()
        }
        Err(_) => false,
    };
    if let Some(r) = read_process(pid, &em.shared.users, containers) {
        let mut info = r.info;
        if let (Some(ppid), Ok(t)) = (info.ppid, em.shared.procs.lock()) {
            info.parent = t.parent(ppid);
        }
        return (Arc::new(info), r.container);
    }
    if let Some(c) = fork_copy {
        return c;
    }
    let info = ProcessInfo {
        pid,
        name: comm.map(str::to_string),
        uid,
        user: uid.and_then(|u| em.shared.users.name(u)),
        ..Default::default()
    };
    (Arc::new(info), None)
}

/// Builds a connection event.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conn_event(
    ts: DateTime<Utc>,
    kind: EventKind,
    source: &'static str,
    direction: Direction,
    protocol: Protocol,
    local: (IpAddr, u16),
    remote: (IpAddr, u16),
    action: NetworkAction,
    process: Option<Arc<ProcessInfo>>,
    container: Option<ContainerInfo>,
) -> Event {
    let mut ev = Event::new(ts, kind, source);
    ev.network = Some(NetworkInfo {
        direction,
        protocol,
        local_ip: Some(local.0),
        local_port: Some(local.1),
        remote_ip: Some(remote.0),
        remote_port: Some(remote.1),
        action,
        ..Default::default()
    });
    ev.process = process;
    ev.container = container;
    ev
}

pub(crate) fn start(
    config: &SensorConfig,
    em: Emitter,
    caps: &mut Capabilities,
) -> Result<NetStarted, SensorError> {
    let nc = config.network.clone();
    let mut out = NetStarted::default();
    if !nc.enabled {
        out.dns_owners = Some(Err("network collector disabled by configuration".into()));
        caps.disabled("connections");
        caps.disabled("socket_inventory");
        return Ok(out);
    }
    #[cfg(feature = "ebpf")]
    let ebpf_error: Option<String> = if nc.ebpf {
        match ebpf::start(em.clone()) {
            Ok((t, stop, owners)) => {
                caps.set("connections", true, "ebpf", None);
                out.threads.push(t);
                out.stoppers.push(stop);
                out.dns_owners = Some(owners);
                None
            }
            Err(e) => Some(e),
        }
    } else {
        Some("eBPF disabled by configuration (network.ebpf = false)".into())
    };
    #[cfg(not(feature = "ebpf"))]
    let ebpf_error: Option<String> =
        Some("this build has no eBPF sensor (cargo feature `ebpf`)".into());
    let poll = ebpf_error.is_some();
    if let Some(e) = ebpf_error {
        out.dns_owners = Some(Err(e.clone()));
        caps.set(
            "connections",
            true,
            "sock_diag_poll",
            Some(format!(
                "{e}; falling back to sock_diag polling every {} ms: connections shorter than that are missed, \
                 and processes are attributed only while their socket is open",
                nc.poll_interval_ms
            )),
        );
    }
    let t = sockdiag::start(em, nc.inventory, poll, &nc, caps)?;
    out.threads.extend(t);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(kind: u8, family: u16, l: &[u8], r: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; CONN_RECORD_LEN];
        b[0..8].copy_from_slice(&42u64.to_ne_bytes());
        b[8..12].copy_from_slice(&1234u32.to_ne_bytes());
        b[16..20].copy_from_slice(&1000u32.to_ne_bytes());
        b[24..26].copy_from_slice(&family.to_ne_bytes());
        b[26..28].copy_from_slice(&40000u16.to_ne_bytes());
        b[28..30].copy_from_slice(&443u16.to_ne_bytes());
        b[30] = kind;
        b[31] = 6;
        b[32..32 + l.len()].copy_from_slice(l);
        b[48..48 + r.len()].copy_from_slice(r);
        b[64..68].copy_from_slice(b"curl");
        b
    }

    #[test]
    fn decodes_v4_v6_and_mapped() {
        let r = parse_conn_record(&record(1, 2, &[10, 0, 0, 1], &[1, 2, 3, 4])).unwrap();
        assert_eq!(r.kind, ConnKind::Connect);
        assert_eq!(r.pid, 1234);
        assert_eq!(r.uid, 1000);
        assert_eq!(r.remote, "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!((r.local_port, r.remote_port), (40000, 443));
        assert_eq!(r.comm(), "curl");
        let one: [u8; 16] = "::1".parse::<Ipv6Addr>().unwrap().octets();
        let r = parse_conn_record(&record(2, 10, &one, &one)).unwrap();
        assert_eq!(r.remote, "::1".parse::<IpAddr>().unwrap());
        let mapped: [u8; 16] = "::ffff:8.8.8.8".parse::<Ipv6Addr>().unwrap().octets();
        let r = parse_conn_record(&record(3, 10, &one, &mapped)).unwrap();
        assert_eq!(r.remote, "8.8.8.8".parse::<IpAddr>().unwrap());
        assert_eq!(
            parse_conn_record(&record(4, 2, &[1, 1, 1, 1], &[2, 2, 2, 2])).map(|r| r.kind),
            Some(ConnKind::ConnectFailed)
        );
        assert!(parse_conn_record(&record(9, 2, &[], &[])).is_none());
        assert!(parse_conn_record(&record(1, 1, &[], &[])).is_none());
        assert!(parse_conn_record(&[0; 10]).is_none());
    }

    #[test]
    fn decodes_exec_record() {
        let mut b = vec![0u8; EXEC_RECORD_LEN];
        b[8..12].copy_from_slice(&77u32.to_ne_bytes());
        b[30] = KIND_EXEC;
        b[32..36].copy_from_slice(&1u32.to_ne_bytes());
        let args = b"/bin/sh\0-c\0true\0";
        b[36..40].copy_from_slice(&(args.len() as u32).to_ne_bytes());
        b[40..42].copy_from_slice(b"sh");
        b[56..63].copy_from_slice(b"/bin/sh");
        b[312..312 + args.len()].copy_from_slice(args);
        let r = parse_exec_record(&b).unwrap();
        assert_eq!((r.pid, r.ppid), (77, 1));
        assert_eq!(r.comm, "sh");
        assert_eq!(r.filename, "/bin/sh");
        assert_eq!(r.args, vec!["/bin/sh", "-c", "true"]);
        assert!(
            parse_conn_record(&b).is_none(),
            "an exec record is not a connection"
        );
        b[36..40].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(parse_exec_record(&b).is_some(), "args_len is clamped");
        assert!(parse_exec_record(&b[..100]).is_none());
    }

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..900)) {
            let _ = parse_conn_record(&b);
            let _ = parse_exec_record(&b);
        }
    }
}
