//! The DNS sensor: one AF_PACKET socket (`SOCK_DGRAM`, every interface, loopback included)
//! whose classic BPF filter, attached in the kernel, passes only UDP datagrams from or to port
//! 53 (IPv4 and IPv6, no later IPv4 fragments). Each query leaving the host becomes one `dns`
//! event; its answer, when seen within the wait (2 s), fills `rcode` and `answers`, and a query
//! nobody answered is emitted after the wait with them empty.
//!
//! * A datagram passes the tap once per interface it crosses, twice on loopback (outgoing,
//!   then incoming): a query is taken from its outgoing copy, an answer from its incoming one.
//!   Queries other hosts send to this one and the answers it sends (a DNS server here) are
//!   not lookups of this host and are skipped. The filter already drops the copies that are
//!   not read (the packet type is one of its tests), so the kernel copies to the socket only
//!   the datagrams the sensor decodes: half the loopback traffic, none of a DNS server's.
//! * Query and answer are joined by (server address, client port, DNS id) in a table of at
//!   most `max_pending` (4096) queries; when it is full a new query is emitted at once, without
//!   its answer, and counted (`dns_table_full`).
//! * The process: the eBPF program records, in the sender's context, which process last sent
//!   a datagram to port 53 from each local UDP port (`dns_ports`, keyed by family and port),
//!   before the datagram reaches the tap; the query is attributed by its source port. Without
//!   eBPF the event has no process (counted as `unattributed`).

use crate::config::SensorConfig;
use crate::counters::Drop;
use crate::emit::{Batch, Emitter};
use crate::netlink::{owned_fd, setsockopt};
use crate::recv_batch::RecvBatch;
use crate::{Capabilities, dns};
use chrono::{DateTime, Utc};
use outpost_core::{ContainerInfo, DnsInfo, Event, EventKind, ProcessInfo};
use std::collections::HashMap;
use std::ffi::c_int;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The process that last sent to port 53 from a local UDP port, as the kernel saw it.
pub(crate) struct PortOwner {
    pub pid: u32,
    pub uid: u32,
    pub comm: String,
}

/// Looks up the sender of local UDP port `port` of address family `family` (2 or 10).
pub(crate) type PortOwners = Box<dyn Fn(u16, u16) -> Option<PortOwner> + Send>;

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
/// `SO_ATTACH_FILTER`, `SKF_AD_OFF + SKF_AD_PROTOCOL`, `SKF_AD_OFF + SKF_AD_PKTTYPE`.
const SO_ATTACH_FILTER: c_int = 26;
const SKF_AD_PROTOCOL: u32 = 0xffff_f000;
const SKF_AD_PKTTYPE: u32 = 0xffff_f004;

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// The classic BPF program: with `SOCK_DGRAM` the packet starts at the network header. It
/// passes a UDP datagram to or from port 53 only in the copy the sensor reads (see
/// [`Sensor::packet`]): a query (to port 53) as it leaves (`PACKET_OUTGOING`), an answer (from
/// port 53) as it arrives (any other packet type), both copies between two servers (53 → 53,
/// the QR bit decides). On loopback every datagram passes the tap twice, and a host serving
/// DNS receives queries and sends answers that are not its own lookups: those copies are
/// dropped in the kernel instead of being copied to the socket and read to be skipped.
fn filter() -> [libc::sock_filter; 30] {
    const LD_W_ABS: u16 = 0x20;
    const LD_H_ABS: u16 = 0x28;
    const LD_B_ABS: u16 = 0x30;
    const LDX_B_MSH: u16 = 0xb1;
    const LD_H_IND: u16 = 0x48;
    const ST: u16 = 0x02;
    const LD_MEM: u16 = 0x60;
    const JA: u16 = 0x05;
    const JEQ: u16 = 0x15;
    const JSET: u16 = 0x45;
    const RET: u16 = 0x06;
    const OUTGOING: u32 = libc::PACKET_OUTGOING as u32;
    [
        insn(LD_W_ABS, 0, 0, SKF_AD_PROTOCOL), // 0: A = ethertype
        insn(JEQ, 0, 9, 0x0800),               // 1: IPv4 ? 2 : 11
        insn(LD_B_ABS, 0, 0, 9),               // 2: protocol
        insn(JEQ, 0, 25, 17),                  // 3: UDP ? 4 : drop
        insn(LD_H_ABS, 0, 0, 6),               // 4: flags + fragment offset
        insn(JSET, 23, 0, 0x1fff),             // 5: a later fragment: drop
        insn(LDX_B_MSH, 0, 0, 0),              // 6: X = header length
        insn(LD_H_IND, 0, 0, 0),               // 7: source port
        insn(ST, 0, 0, 0),                     // 8: M[0] = source port
        insn(LD_H_IND, 0, 0, 2),               // 9: destination port
        insn(JA, 0, 0, 6),                     // 10: -> 17
        insn(JEQ, 0, 17, 0x86dd),              // 11: IPv6 ? 12 : drop
        insn(LD_B_ABS, 0, 0, 6),               // 12: next header
        insn(JEQ, 0, 15, 17),                  // 13: UDP ? 14 : drop
        insn(LD_H_ABS, 0, 0, 40),              // 14: source port
        insn(ST, 0, 0, 0),                     // 15: M[0] = source port
        insn(LD_H_ABS, 0, 0, 42),              // 16: destination port
        insn(ST, 0, 0, 1),                     // 17: M[1] = destination port
        insn(LD_MEM, 0, 0, 0),                 // 18: A = source port
        insn(JEQ, 0, 4, 53),                   // 19: from 53 ? 20 : 24
        insn(LD_MEM, 0, 0, 1),                 // 20: A = destination port
        insn(JEQ, 6, 0, 53),                   // 21: 53 -> 53: accept
        insn(LD_W_ABS, 0, 0, SKF_AD_PKTTYPE),  // 22: an answer:
        insn(JEQ, 5, 4, OUTGOING),             // 23: leaving ? drop : accept
        insn(LD_MEM, 0, 0, 1),                 // 24: A = destination port
        insn(JEQ, 0, 3, 53),                   // 25: to 53 ? 26 : drop
        insn(LD_W_ABS, 0, 0, SKF_AD_PKTTYPE),  // 26: a query:
        insn(JEQ, 0, 1, OUTGOING),             // 27: leaving ? accept : drop
        insn(RET, 0, 0, 0xffff),               // 28: accept (whole datagram)
        insn(RET, 0, 0, 0),                    // 29: drop
    ]
}

fn open_socket() -> Result<OwnedFd, String> {
    let err = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    // Protocol 0: nothing is queued before the filter is attached and the socket is bound.
    // SAFETY: plain syscall, which returns a new descriptor or -1.
    let fd = unsafe {
        owned_fd(libc::socket(
            libc::AF_PACKET,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        ))
    }
    .map_err(|e| format!("socket(AF_PACKET): {e}"))?;
    let mut prog = filter();
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // `fprog` points to `prog`, alive for the call.
    if setsockopt(&fd, libc::SOL_SOCKET, SO_ATTACH_FILTER, &fprog).is_err() {
        // Without the filter every packet of the host would reach user space: refuse.
        return Err(err("attaching the port-53 filter"));
    }
    // SAFETY: all-zero is a valid sockaddr_ll.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: `sll` is a valid sockaddr_ll of the size passed.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const sll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(err("bind(AF_PACKET)"));
    }
    // Room for bursts between two reads (the thread pauses `READ_PAUSE` after each drain);
    // beyond the system maximum only as root (SO_RCVBUFFORCE). Overflows are counted.
    let size: c_int = RCVBUF;
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        if setsockopt(&fd, libc::SOL_SOCKET, opt, &size).is_ok() {
            break;
        }
    }
    Ok(fd)
}

/// Datagrams taken per `recvmmsg` call (slots of 64 KiB, in a mapping whose pages become
/// resident only as datagrams fill them: about a page each).
const DNS_SLOTS: usize = 16;

/// Receive buffer of the socket (the kernel doubles it for its bookkeeping).
const RCVBUF: c_int = 1 << 20;

/// Datagrams the kernel dropped because the socket's buffer was full since the last call
/// (`PACKET_STATISTICS` resets on read).
fn kernel_drops(fd: &OwnedFd) -> u64 {
    // SAFETY: all-zero is a valid tpacket_stats.
    let mut st: libc::tpacket_stats = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
    // SAFETY: `st` is writable for `len` bytes.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_STATISTICS,
            (&raw mut st).cast(),
            &mut len,
        )
    };
    if r == 0 { u64::from(st.tp_drops) } else { 0 }
}

/// The addresses, ports and payload of a UDP datagram (from its network header on).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Datagram<'a> {
    pub family: u16,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub payload: &'a [u8],
}

fn be16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

/// The source and destination addresses of an IP header: `N` bytes each, from `at`.
fn addrs<const N: usize>(b: &[u8], at: usize) -> Option<(IpAddr, IpAddr)>
where
    IpAddr: From<[u8; N]>,
{
    let src: [u8; N] = b.get(at..at + N)?.try_into().ok()?;
    let dst: [u8; N] = b.get(at + N..at + 2 * N)?.try_into().ok()?;
    Some((src.into(), dst.into()))
}

/// Decodes the IP and UDP headers; `None` for anything else or a truncated packet.
pub(crate) fn parse_datagram(b: &[u8]) -> Option<Datagram<'_>> {
    let (family, src, dst, udp) = match b.first()? >> 4 {
        4 => {
            let ihl = usize::from(b[0] & 0x0f) * 4;
            let total = usize::from(be16(b, 2)?).min(b.len());
            if ihl < 20 || *b.get(9)? != 17 || total < ihl {
                return None;
            }
            let (src, dst) = addrs::<4>(b, 12)?;
            (AF_INET, src, dst, &b[ihl..total])
        }
        6 => {
            let total = (40 + usize::from(be16(b, 4)?)).min(b.len());
            if *b.get(6)? != 17 || total < 40 {
                return None;
            }
            let (src, dst) = addrs::<16>(b, 8)?;
            (AF_INET6, src, dst, &b[40..total])
        }
        _ => return None,
    };
    let len = usize::from(be16(udp, 4)?);
    let payload = udp.get(8..len.min(udp.len()).max(8))?;
    Some(Datagram {
        family,
        src,
        dst,
        sport: be16(udp, 0)?,
        dport: be16(udp, 2)?,
        payload,
    })
}

/// Query waiting for its answer (or, answered, for its process); key: (server, client port,
/// DNS id).
struct Pending {
    /// When it is emitted if nothing else happens.
    due: Instant,
    ts: DateTime<Utc>,
    query: String,
    qtype: u16,
    server: IpAddr,
    /// (rcode, answers) once the answer was seen.
    answer: Option<(u16, Vec<String>)>,
    /// The sender as the kernel recorded it, kept while only that is known of it.
    owner: Option<PortOwner>,
    process: Option<Arc<ProcessInfo>>,
    container: Option<ContainerInfo>,
}

type Key = (IpAddr, u16, u16);

/// How long an answered query whose process was gone before it could be read (a short-lived
/// `dig`, `curl`) waits for the process collector to record it from its exec event.
const SETTLE: Duration = Duration::from_millis(300);

struct Sensor {
    em: Emitter,
    owners: Option<PortOwners>,
    wait: Duration,
    max_pending: usize,
    pending: HashMap<Key, Pending>,
}

/// Whether an attribution may be incomplete or stale: only the kernel's pid and command name
/// (the process was gone and not yet in the process table), or a record whose name is not the
/// sender's command name (the fork copy of a process whose exec the table has not seen yet;
/// also a thread that renamed itself, for which reading again costs nothing).
fn partial(p: &ProcessInfo, comm: &str) -> bool {
    p.exe.is_none() || !p.name.as_deref().unwrap_or("").starts_with(comm)
}

impl Sensor {
    fn attribute(&self, o: &PortOwner) -> (Arc<ProcessInfo>, Option<ContainerInfo>) {
        crate::net::attribute(&self.em, o.pid, Some(&o.comm), Some(o.uid))
    }

    fn event(&self, mut p: Pending) -> Event {
        if let Some(o) = p.owner.take() {
            let (proc_, container) = self.attribute(&o);
            p.process = Some(proc_);
            p.container = container;
        }
        let mut ev = Event::new(p.ts, EventKind::Dns, "af_packet");
        let (rcode, answers) = match p.answer {
            Some((r, a)) => (Some(DnsInfo::rcode_name(r)), a),
            None => (None, Vec::new()),
        };
        ev.dns = Some(DnsInfo {
            query: p.query,
            qtype: Some(DnsInfo::type_name(p.qtype)),
            rcode,
            answers,
            server: Some(p.server),
        });
        ev.process = p.process;
        ev.container = p.container;
        ev
    }

    fn unanswered(&self, p: Pending, out: &mut Batch) {
        self.em
            .shared
            .counters
            .dns
            .unanswered
            .fetch_add(1, Ordering::Relaxed);
        out.push(self.event(p));
    }

    /// One datagram that passed the filter; `outgoing`: the tap's PACKET_OUTGOING copy.
    fn packet(&mut self, b: &[u8], outgoing: bool, out: &mut Batch) {
        let dns_stats = &self.em.shared.counters.dns;
        let Some(d) = parse_datagram(b) else {
            dns_stats.malformed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        // Which copy to keep is decided by the ports before decoding, so that a malformed
        // message is counted once too; between two servers (53 → 53) the QR bit decides.
        let to_server = match (d.sport == 53, d.dport == 53) {
            (false, true) => Some(true),
            (true, false) => Some(false),
            _ => None,
        };
        if to_server.is_some_and(|q| q != outgoing) {
            return;
        }
        let msg = match dns::decode(d.payload) {
            Ok(m) => m,
            Err(_) => {
                dns_stats.malformed.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        if msg.response == outgoing {
            // An answer this host sends, or a query it receives: this host serves DNS.
            return;
        }
        let now = Instant::now();
        if msg.response {
            let key = (d.src, d.dport, msg.id);
            let now_due = match self.pending.get_mut(&key) {
                Some(p) if p.answer.is_none() => {
                    dns_stats.answered.fetch_add(1, Ordering::Relaxed);
                    p.answer = Some((msg.rcode, msg.answers));
                    // A sender not read yet is given time to reach the process table.
                    p.due = now + SETTLE;
                    p.owner.is_none()
                }
                // A duplicate answer.
                Some(_) => false,
                None => {
                    dns_stats.unmatched_answers.fetch_add(1, Ordering::Relaxed);
                    false
                }
            };
            if now_due && let Some(p) = self.pending.remove(&key) {
                out.push(self.event(p));
            }
            return;
        }
        dns_stats.queries.fetch_add(1, Ordering::Relaxed);
        let key = (d.dst, d.sport, msg.id);
        if self.pending.contains_key(&key) {
            // A retransmission of a query still waiting: one event per query.
            return;
        }
        let mut p = Pending {
            due: now + self.wait,
            ts: Utc::now(),
            query: msg.query,
            qtype: msg.qtype,
            server: d.dst,
            answer: None,
            owner: None,
            process: None,
            container: None,
        };
        match self.owners.as_ref().and_then(|f| f(d.family, d.sport)) {
            Some(o) => {
                // Read now, while the sender most likely still runs; if it is already gone
                // (and not in the process table yet), read again when the event is emitted.
                let (proc_, container) = self.attribute(&o);
                if partial(&proc_, &o.comm) {
                    p.owner = Some(o);
                }
                p.process = Some(proc_);
                p.container = container;
            }
            None => {
                dns_stats.unattributed.fetch_add(1, Ordering::Relaxed);
            }
        }
        if self.pending.len() >= self.max_pending {
            self.em.count_drop(Drop::DnsTableFull, 1);
            self.unanswered(p, out);
            return;
        }
        self.pending.insert(key, p);
    }

    /// Emits the entries that are due (all of them when `all`); the time until the next one is.
    fn expire(&mut self, all: bool, out: &mut Batch) -> Option<Duration> {
        if self.pending.is_empty() {
            return None;
        }
        let now = Instant::now();
        // In no particular order: the entries of one pass are at most a pass apart.
        let due: Vec<Pending> = self
            .pending
            .extract_if(|_, p| all || p.due <= now)
            .map(|(_, p)| p)
            .collect();
        for p in due {
            if p.answer.is_some() {
                out.push(self.event(p));
            } else {
                self.unanswered(p, out);
            }
        }
        self.pending
            .values()
            .map(|p| p.due.saturating_duration_since(now))
            .min()
    }

    fn run(mut self, fd: OwnedFd) {
        let mut batch = RecvBatch::new(DNS_SLOTS, 65536);
        let mut out = Batch::new(self.em.clone());
        let mut stats_at = Instant::now();
        while !self.em.stopped() {
            if stats_at.elapsed() >= Duration::from_secs(1) {
                stats_at = Instant::now();
                let n = kernel_drops(&fd);
                if n > 0 {
                    self.em.count_drop(Drop::DnsSocketOverflow, n);
                }
            }
            let idle = self
                .expire(false, &mut out)
                .unwrap_or(Duration::from_secs(1));
            out.flush();
            if !self.em.shared.wait_readable(fd.as_raw_fd(), idle) {
                continue;
            }
            // Drain what is queued (a batch of datagrams per call), then pause so that a steady
            // trickle costs one wakeup per pause, not one per datagram (the socket buffer
            // holds far more than a pause's worth).
            for _ in 0..4096 / DNS_SLOTS {
                let Ok(n) = batch.recv(fd.as_raw_fd(), libc::MSG_DONTWAIT) else {
                    break;
                };
                for i in 0..n {
                    // A slot holds the largest datagram the filter passes (64 KiB).
                    let (d, _, sll) = batch.get(i);
                    self.packet(d, sll.sll_pkttype == libc::PACKET_OUTGOING, &mut out);
                }
                if n < DNS_SLOTS {
                    break;
                }
            }
            out.flush();
            // On the readers' common tick, unless the configured wait is too short for it.
            if self.wait / 4 >= crate::READ_PAUSE {
                crate::pause();
            } else {
                std::thread::sleep(self.wait / 4);
            }
        }
        // Nothing seen is lost on stop: the queries still waiting are emitted unanswered.
        self.expire(true, &mut out);
        out.flush();
    }
}

/// Starts the DNS sensor thread (or says in `caps` why it cannot run).
pub(crate) fn start(
    cfg: &SensorConfig,
    em: Emitter,
    owners: Option<PortOwners>,
    no_owners: Option<String>,
    caps: &mut Capabilities,
) -> Option<JoinHandle<()>> {
    if !cfg.dns {
        caps.disabled("dns");
        return None;
    }
    let fd = match open_socket() {
        Ok(fd) => fd,
        Err(e) => {
            caps.unavailable(
                "dns",
                format!("{e}: the DNS sensor needs CAP_NET_RAW (root) and AF_PACKET sockets"),
            );
            return None;
        }
    };
    let sensor = Sensor {
        em,
        wait: cfg.dns_limits.wait.max(Duration::from_millis(1)),
        max_pending: cfg.dns_limits.max_pending.max(1),
        pending: HashMap::new(),
        owners,
    };
    match std::thread::Builder::new()
        .name("outpost-dns".into())
        .spawn(move || sensor.run(fd))
    {
        Ok(t) => {
            caps.set(
                "dns",
                true,
                "af_packet",
                no_owners.map(|why| format!("{why}: DNS events carry no process")),
            );
            Some(t)
        }
        Err(e) => {
            caps.unavailable("dns", format!("cannot spawn the DNS thread: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn udp4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let total = 28 + payload.len();
        let mut b = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
        ];
        b.extend_from_slice(&src);
        b.extend_from_slice(&dst);
        b.extend_from_slice(&sport.to_be_bytes());
        b.extend_from_slice(&dport.to_be_bytes());
        b.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn ip_and_udp_headers() {
        let q = dns::encode_query(9, "a.example", 1);
        let mut p = udp4([127, 0, 0, 1], [127, 0, 0, 53], 40000, 53, &q);
        p.extend_from_slice(&[0; 6]); // link padding after the IP packet
        let d = parse_datagram(&p).unwrap();
        assert_eq!((d.family, d.sport, d.dport), (AF_INET, 40000, 53));
        assert_eq!(d.dst, IpAddr::from([127, 0, 0, 53]));
        assert_eq!(d.payload, &q[..]);
        // IPv6
        let mut v6 = vec![0x60, 0, 0, 0];
        v6.extend_from_slice(&((8 + q.len()) as u16).to_be_bytes());
        v6.extend_from_slice(&[17, 64]);
        v6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v6.extend_from_slice(&p[20..]);
        let d = parse_datagram(&v6).unwrap();
        assert_eq!(
            (d.family, d.src),
            (AF_INET6, IpAddr::from(Ipv6Addr::LOCALHOST))
        );
        assert_eq!(d.payload, &q[..]);
        // not UDP, truncated, not IP
        let mut tcp = p.clone();
        tcp[9] = 6;
        assert!(parse_datagram(&tcp).is_none());
        assert!(parse_datagram(&p[..24]).is_none());
        assert!(parse_datagram(&[0x10; 40]).is_none());
        assert!(parse_datagram(&[]).is_none());
    }

    /// The filter passes exactly the copies [`Sensor::packet`] reads: a query as it leaves,
    /// an answer as it arrives, both copies between two servers; nothing else of port 53, no
    /// other port or protocol, no later IPv4 fragment.
    #[test]
    fn the_filter_passes_only_the_copies_read() {
        let prog = filter();
        let q = dns::encode_query(9, "a.example", 1);
        let out = libc::PACKET_OUTGOING;
        let host = libc::PACKET_HOST;
        let pass4 = |p: &[u8], t: u8| crate::netlink::run_cbpf(&prog, p, 0x0800, t) != 0;
        let query = udp4([127, 0, 0, 1], [127, 0, 0, 53], 40000, 53, &q);
        let answer = udp4([127, 0, 0, 53], [127, 0, 0, 1], 53, 40000, &q);
        assert!(pass4(&query, out), "a query leaving");
        assert!(
            !pass4(&query, host),
            "a query arriving (loopback copy, or a server's)"
        );
        assert!(pass4(&answer, host), "an answer arriving");
        assert!(!pass4(&answer, out), "an answer leaving");
        let relay = udp4([127, 0, 0, 53], [127, 0, 0, 54], 53, 53, &q);
        assert!(pass4(&relay, out) && pass4(&relay, host), "53 -> 53: both");
        assert!(
            !pass4(&udp4([1; 4], [2; 4], 40000, 54, &q), out),
            "other port"
        );
        let mut tcp = query.clone();
        tcp[9] = 6;
        assert!(!pass4(&tcp, out), "TCP");
        let mut frag = query.clone();
        frag[7] = 1;
        assert!(!pass4(&frag, out), "a later fragment");
        let mut opts = query.clone();
        opts[0] = 0x46; // a 24-byte header: the ports are 4 bytes further
        opts.splice(20..20, [0u8; 4]);
        assert!(pass4(&opts, out) && !pass4(&opts, host), "IPv4 options");
        // IPv6
        let v6 = |ip4: &[u8]| {
            let mut v = vec![0x60, 0, 0, 0];
            v.extend_from_slice(&((ip4.len() - 20) as u16).to_be_bytes());
            v.extend_from_slice(&[17, 64]);
            v.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
            v.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
            v.extend_from_slice(&ip4[20..]);
            v
        };
        let pass6 = |p: &[u8], t: u8| crate::netlink::run_cbpf(&prog, p, 0x86dd, t) != 0;
        assert!(pass6(&v6(&query), out) && !pass6(&v6(&query), host));
        assert!(pass6(&v6(&answer), host) && !pass6(&v6(&answer), out));
        let other = udp4([1; 4], [2; 4], 40000, 54, &q);
        assert!(!pass6(&v6(&other), out), "IPv6, other port");
        assert_eq!(
            crate::netlink::run_cbpf(&prog, &query, 0x0806, out),
            0,
            "ARP"
        );
    }

    proptest::proptest! {
        #[test]
        fn datagram_parser_never_panics(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_datagram(&b);
        }
    }
}
