//! sock_diag (NETLINK_SOCK_DIAG) socket dumps: the start-up inventory of existing sockets and the
//! polling fallback when no eBPF sensor runs. Sockets are attributed to processes through the
//! socket inodes in `/proc/*/fd`.

use super::{attribute, conn_event, normalize};
use crate::config::NetworkConfig;
use crate::counters::Drop;
use crate::emit::Emitter;
use crate::netlink::{self, NlSocket};
use crate::{Capabilities, SensorError};
use chrono::Utc;
use outpost_core::{Direction, EventKind, NetworkAction, Protocol};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const NETLINK_SOCK_DIAG: i32 = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;
/// TCP_LISTEN in the kernel's state numbering.
pub const TCP_LISTEN: u8 = 10;

/// One socket of a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagSocket {
    pub protocol: Protocol,
    pub state: u8,
    pub local: IpAddr,
    pub local_port: u16,
    pub remote: IpAddr,
    pub remote_port: u16,
    pub uid: u32,
    pub inode: u32,
}

/// Decodes an `inet_diag_msg`.
pub fn parse_diag_msg(p: &[u8], protocol: Protocol) -> Option<DiagSocket> {
    if p.len() < 72 {
        return None;
    }
    let family = p[0];
    let be16 = |o: usize| u16::from_be_bytes([p[o], p[o + 1]]);
    let addr = |o: usize| -> Option<IpAddr> {
        match family {
            2 => Some(IpAddr::V4(Ipv4Addr::new(
                p[o],
                p[o + 1],
                p[o + 2],
                p[o + 3],
            ))),
            10 => {
                let a: [u8; 16] = p.get(o..o + 16)?.try_into().ok()?;
                Some(normalize(IpAddr::V6(Ipv6Addr::from(a))))
            }
            _ => None,
        }
    };
    Some(DiagSocket {
        protocol,
        state: p[1],
        local_port: be16(4),
        remote_port: be16(6),
        local: addr(8)?,
        remote: addr(24)?,
        uid: netlink::u32_at(p, 64)?,
        inode: netlink::u32_at(p, 68)?,
    })
}

/// Dumps every socket of `protocol` (TCP or UDP), IPv4 and IPv6.
pub fn dump(protocol: Protocol) -> std::io::Result<Vec<DiagSocket>> {
    let sock = NlSocket::open(NETLINK_SOCK_DIAG, 0)?;
    sock.set_timeout(Duration::from_secs(2))?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    for family in [libc::AF_INET as u8, libc::AF_INET6 as u8] {
        let mut req = vec![0u8; 56];
        req[0] = family;
        req[1] = protocol.number();
        req[4..8].copy_from_slice(&u32::MAX.to_ne_bytes()); // all states
        sock.send(&netlink::nlmsg(
            SOCK_DIAG_BY_FAMILY,
            NLM_F_REQUEST | NLM_F_DUMP,
            u32::from(family),
            &req,
        ))?;
        'recv: loop {
            let n = sock.recv(&mut buf)?;
            for m in netlink::split(buf.get(..n).unwrap_or(&[])) {
                match m.kind {
                    netlink::NLMSG_DONE => break 'recv,
                    netlink::NLMSG_ERROR => {
                        let errno = netlink::u32_at(m.payload, 0)
                            .map(|e| -(e as i32))
                            .unwrap_or(0);
                        if errno != 0 {
                            return Err(std::io::Error::from_raw_os_error(errno));
                        }
                        break 'recv;
                    }
                    SOCK_DIAG_BY_FAMILY => out.extend(parse_diag_msg(m.payload, protocol)),
                    _ => {}
                }
            }
            if n == 0 {
                break;
            }
        }
    }
    Ok(out)
}

/// Parses a `/proc/PID/fd/N` link target `socket:[12345]`.
pub fn socket_inode(link: &str) -> Option<u32> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Socket inode → owning process id, from `/proc/*/fd` (the first process found wins).
pub fn inode_owners() -> HashMap<u32, u32> {
    let mut m = HashMap::new();
    for pid in crate::procfs::list_pids() {
        let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for e in rd.flatten() {
            if let Some(ino) = std::fs::read_link(e.path())
                .ok()
                .and_then(|l| socket_inode(&l.to_string_lossy()))
            {
                m.entry(ino).or_insert(pid);
            }
        }
    }
    m
}

fn state_name(p: Protocol, s: u8) -> &'static str {
    match (p, s) {
        (Protocol::Udp, 7) => "unconn",
        (Protocol::Udp, 1) => "connected",
        (_, 1) => "established",
        (_, 2) => "syn_sent",
        (_, 3) => "syn_recv",
        (_, 4) => "fin_wait1",
        (_, 5) => "fin_wait2",
        (_, 6) => "time_wait",
        (_, 7) => "close",
        (_, 8) => "close_wait",
        (_, 9) => "last_ack",
        (_, 10) => "listen",
        (_, 11) => "closing",
        _ => "unknown",
    }
}

fn direction(s: &DiagSocket, listening: &HashSet<(Protocol, u16)>) -> Direction {
    match (s.protocol, s.state) {
        (Protocol::Tcp, TCP_LISTEN) => Direction::Inbound,
        (Protocol::Udp, 7) => Direction::Inbound,
        _ if listening.contains(&(s.protocol, s.local_port)) => Direction::Inbound,
        _ if s.remote_port != 0 => Direction::Outbound,
        _ => Direction::Unknown,
    }
}

struct Poller {
    em: Emitter,
    seen: HashSet<u32>,
    max: usize,
}

impl Poller {
    fn snapshot(&self) -> Vec<DiagSocket> {
        let mut v = dump(Protocol::Tcp).unwrap_or_default();
        v.extend(dump(Protocol::Udp).unwrap_or_default());
        v
    }

    fn emit(
        &self,
        s: &DiagSocket,
        kind: EventKind,
        source: &'static str,
        owners: &HashMap<u32, u32>,
        listening: &HashSet<(Protocol, u16)>,
    ) {
        let (process, container) = match owners.get(&s.inode) {
            Some(pid) => {
                let (p, c) = attribute(&self.em, *pid, None, Some(s.uid));
                (Some(p), c)
            }
            None => (None, None),
        };
        let mut ev = conn_event(
            Utc::now(),
            kind,
            source,
            direction(s, listening),
            s.protocol,
            (s.local, s.local_port),
            (s.remote, s.remote_port),
            NetworkAction::Allowed,
            process,
            container,
        );
        ev.labels
            .insert("state".into(), state_name(s.protocol, s.state).into());
        if ev.process.is_none() {
            ev.labels.insert("uid".into(), s.uid.to_string());
        }
        if kind == EventKind::NetworkInventory {
            self.em.emit_paced(ev);
        } else {
            self.em.emit(ev);
        }
    }

    fn inventory(&mut self, emit: bool) {
        let socks = self.snapshot();
        let owners = inode_owners();
        let listening = listening_ports(&socks);
        for s in &socks {
            if s.inode != 0 && self.seen.len() < self.max {
                self.seen.insert(s.inode);
            }
            // Sockets without an inode (TIME_WAIT, SYN_RECV) belong to no process any more.
            if emit && s.inode != 0 {
                self.emit(
                    s,
                    EventKind::NetworkInventory,
                    "sock_diag",
                    &owners,
                    &listening,
                );
            }
        }
    }

    fn poll_once(&mut self) {
        let socks = self.snapshot();
        let listening = listening_ports(&socks);
        let fresh: Vec<&DiagSocket> = socks
            .iter()
            .filter(|s| s.inode != 0 && !self.seen.contains(&s.inode))
            .filter(|s| s.remote_port != 0 && s.state != TCP_LISTEN)
            .collect();
        if !fresh.is_empty() {
            let owners = inode_owners();
            for s in fresh {
                self.emit(s, EventKind::Network, "sock_diag_poll", &owners, &listening);
            }
        }
        let live: HashSet<u32> = socks.iter().map(|s| s.inode).collect();
        self.seen.retain(|i| live.contains(i));
        for s in &socks {
            if s.inode != 0 && !self.seen.contains(&s.inode) {
                if self.seen.len() >= self.max {
                    self.em.count_drop(Drop::SocketTableFull, 1);
                    continue;
                }
                self.seen.insert(s.inode);
            }
        }
    }
}

fn listening_ports(socks: &[DiagSocket]) -> HashSet<(Protocol, u16)> {
    socks
        .iter()
        .filter(|s| {
            (s.protocol == Protocol::Tcp && s.state == TCP_LISTEN)
                || (s.protocol == Protocol::Udp && s.remote_port == 0)
        })
        .map(|s| (s.protocol, s.local_port))
        .collect()
}

pub(crate) fn start(
    em: Emitter,
    inventory: bool,
    poll: bool,
    nc: &NetworkConfig,
    caps: &mut Capabilities,
) -> Result<Option<JoinHandle<()>>, SensorError> {
    if let Err(e) = dump(Protocol::Tcp) {
        caps.unavailable("socket_inventory", format!("sock_diag unavailable: {e}"));
        if poll {
            caps.unavailable(
                "connections",
                format!("no eBPF sensor and sock_diag unavailable ({e})"),
            );
        }
        return Ok(None);
    }
    caps.set(
        "socket_inventory",
        inventory,
        if inventory { "sock_diag" } else { "none" },
        (!inventory).then(|| "disabled by configuration".into()),
    );
    if !inventory && !poll {
        return Ok(None);
    }
    let interval = Duration::from_millis(nc.poll_interval_ms);
    let mut p = Poller {
        em,
        seen: HashSet::new(),
        max: nc.max_tracked_sockets,
    };
    let t = std::thread::Builder::new()
        .name("outpost-sockdiag".into())
        .spawn(move || {
            p.inventory(inventory);
            if !poll {
                return;
            }
            while !p.em.stopped() {
                let until = Instant::now() + interval;
                while !p.em.stopped() && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(50).min(interval));
                }
                p.poll_once();
            }
        })
        .map_err(|source| SensorError::Spawn {
            collector: "sock_diag",
            source,
        })?;
    Ok(Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_inet_diag_msg() {
        let mut p = vec![0u8; 72];
        p[0] = 2;
        p[1] = 1; // established
        p[4..6].copy_from_slice(&22u16.to_be_bytes());
        p[6..8].copy_from_slice(&50123u16.to_be_bytes());
        p[8..12].copy_from_slice(&[10, 0, 0, 5]);
        p[24..28].copy_from_slice(&[192, 168, 1, 9]);
        p[64..68].copy_from_slice(&0u32.to_ne_bytes());
        p[68..72].copy_from_slice(&98765u32.to_ne_bytes());
        let s = parse_diag_msg(&p, Protocol::Tcp).unwrap();
        assert_eq!(s.local_port, 22);
        assert_eq!(s.remote, "192.168.1.9".parse::<IpAddr>().unwrap());
        assert_eq!(s.inode, 98765);
        let listening = HashSet::from([(Protocol::Tcp, 22)]);
        assert_eq!(direction(&s, &listening), Direction::Inbound);
        assert_eq!(direction(&s, &HashSet::new()), Direction::Outbound);
        p[0] = 1;
        assert!(parse_diag_msg(&p, Protocol::Tcp).is_none());
        assert!(parse_diag_msg(&p[..50], Protocol::Tcp).is_none());
        assert_eq!(socket_inode("socket:[4242]"), Some(4242));
        assert_eq!(socket_inode("pipe:[4242]"), None);
    }

    #[test]
    fn dump_sees_own_listener() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let socks = dump(Protocol::Tcp).unwrap();
        let me = socks
            .iter()
            .find(|s| s.local_port == port && s.state == TCP_LISTEN)
            .expect("our listener is in the dump");
        assert_eq!(inode_owners().get(&me.inode), Some(&std::process::id()));
    }

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..100), s in "\\PC{0,20}") {
            let _ = parse_diag_msg(&b, Protocol::Udp);
            let _ = socket_inode(&s);
        }
    }
}
