//! Process collector: the netlink process connector (exec/fork/exit as they happen), `/proc`
//! enrichment, start-up inventory, and a `/proc` polling fallback without CAP_NET_ADMIN.

use crate::config::SensorConfig;
use crate::counters::{Drop, Queue};
use crate::emit::{Batch, Emitter};
use crate::fim::ContainerNote;
use crate::netlink::{self, NlSocket};
use crate::process::{ContainerChange, PendingExit, ProcessTable, read_process};
use crate::procfs;
use crate::recv_batch::RecvBatch;
use crate::{Capabilities, SensorError};
use chrono::Utc;
use outpost_core::{Event, EventKind, ProcessInfo};
use std::collections::HashSet;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const NETLINK_CONNECTOR: i32 = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const CN_MSG_LEN: usize = 20;
/// Datagrams taken per `recvmmsg` call.
const BATCH_SLOTS: usize = 64;

/// A decoded proc connector event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcEvent {
    Fork {
        parent_tgid: u32,
        child_pid: u32,
        child_tgid: u32,
    },
    Exec {
        pid: u32,
        tgid: u32,
    },
    Exit {
        pid: u32,
        tgid: u32,
        exit_code: u32,
        parent_tgid: u32,
    },
    /// Any other event (uid, gid, sid, comm, ptrace, coredump, the ack of our subscription).
    Other(u32),
}

/// Decodes the payload of one netlink message from the connector (cn_msg + proc_event).
/// Returns the event and its CLOCK_MONOTONIC timestamp.
pub fn parse_proc_event(p: &[u8]) -> Option<(ProcEvent, u64)> {
    use netlink::{u32_at, u64_at};
    if u32_at(p, 0)? != CN_IDX_PROC || u32_at(p, 4)? != CN_VAL_PROC {
        return None;
    }
    let e = p.get(CN_MSG_LEN..)?;
    let what = u32_at(e, 0)?;
    let ts = u64_at(e, 8)?;
    let d = e.get(16..)?;
    let ev = match what {
        0x1 => ProcEvent::Fork {
            parent_tgid: u32_at(d, 4)?,
            child_pid: u32_at(d, 8)?,
            child_tgid: u32_at(d, 12)?,
        },
        0x2 => ProcEvent::Exec {
            pid: u32_at(d, 0)?,
            tgid: u32_at(d, 4)?,
        },
        0x8000_0000 => ProcEvent::Exit {
            pid: u32_at(d, 0)?,
            tgid: u32_at(d, 4)?,
            exit_code: u32_at(d, 8)?,
            parent_tgid: u32_at(d, 20).unwrap_or(0),
        },
        other => ProcEvent::Other(other),
    };
    Some((ev, ts))
}

/// The shell-style exit status of a wait status: the exit code, or 128 + signal number.
pub fn exit_status(wait_status: u32) -> i32 {
    let sig = wait_status & 0x7f;
    if sig == 0 {
        ((wait_status >> 8) & 0xff) as i32
    } else {
        128 + sig as i32
    }
}

fn subscribe() -> std::io::Result<NlSocket> {
    let sock = NlSocket::open(NETLINK_CONNECTOR, CN_IDX_PROC)?;
    sock.set_rcvbuf(8 * 1024 * 1024);
    let mut cn = Vec::with_capacity(CN_MSG_LEN + 4);
    cn.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    cn.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    cn.extend_from_slice(&0u32.to_ne_bytes()); // seq
    cn.extend_from_slice(&0u32.to_ne_bytes()); // ack
    cn.extend_from_slice(&4u16.to_ne_bytes()); // len
    cn.extend_from_slice(&0u16.to_ne_bytes()); // flags
    cn.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    sock.send(&netlink::nlmsg(netlink::NLMSG_DONE, 0, 0, &cn))?;
    // Threads are not processes: their fork and exit events (a busy host creates thousands a
    // second), and uid/gid/sid/comm/ptrace events, are dropped in the kernel. Without the filter
    // (it cannot fail on a kernel with a proc connector) they are skipped in user space.
    if let Err(e) = sock.attach_filter(&process_events_filter()) {
        tracing::debug!("proc connector socket filter: {e}");
    }
    sock.set_timeout(Duration::from_millis(200))?;
    Ok(sock)
}

/// A classic BPF program for the proc connector socket that accepts exec events, fork events of
/// new processes (child pid = child tgid) and exit events of processes (pid = tgid), and drops
/// everything else. Offsets: nlmsghdr (16) + cn_msg (20), then `proc_event`: `what` at 36, the
/// event data at 52 (fork: parent pid, parent tgid, child pid 60, child tgid 64; exit: pid 52,
/// tgid 56). Absolute loads are big-endian, so constants are byte-swapped on little-endian hosts;
/// comparisons of two fields are unaffected.
pub(crate) fn process_events_filter() -> Vec<libc::sock_filter> {
    const LD_ABS_W: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const JEQ_X: u16 = 0x1d;
    const TAX: u16 = 0x07;
    const RET_K: u16 = 0x06;
    let what = |w: u32| u32::from_be_bytes(w.to_ne_bytes());
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    vec![
        op(LD_ABS_W, 0, 0, 36),             // 0: A = what
        op(JEQ_K, 2, 0, what(0x1)),         // 1: fork -> 4
        op(JEQ_K, 9, 0, what(0x2)),         // 2: exec -> 12 (accept)
        op(JEQ_K, 4, 9, what(0x8000_0000)), // 3: exit -> 8, else 13 (drop)
        op(LD_ABS_W, 0, 0, 60),             // 4: A = child pid
        op(TAX, 0, 0, 0),                   // 5: X = A
        op(LD_ABS_W, 0, 0, 64),             // 6: A = child tgid
        op(JEQ_X, 4, 5, 0),                 // 7: a process -> 12, a thread -> 13
        op(LD_ABS_W, 0, 0, 52),             // 8: A = pid
        op(TAX, 0, 0, 0),                   // 9: X = A
        op(LD_ABS_W, 0, 0, 56),             // 10: A = tgid
        op(JEQ_X, 0, 1, 0),                 // 11: a process -> 12, a thread -> 13
        op(RET_K, 0, 0, u32::MAX),          // 12: accept
        op(RET_K, 0, 0, 0),                 // 13: drop
    ]
}

/// Forks a child that exits at once and waits (≤ 1 s) for the connector to report it: the proc
/// connector only delivers in the initial network namespace, and subscribing elsewhere succeeds
/// silently.
fn self_test(sock: &NlSocket) -> bool {
    // SAFETY: the child calls only the async-signal-safe _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        // SAFETY: _exit is always safe to call.
        unsafe { libc::_exit(0) };
    }
    if child < 0 {
        return false;
    }
    let child = child as u32;
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = vec![0u8; 16 * 1024];
    let mut seen = false;
    while !seen && Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            seen = netlink::split(buf.get(..n).unwrap_or(&[])).any(|m| {
                matches!(parse_proc_event(m.payload), Some((ProcEvent::Fork { child_tgid, .. }, _)) if child_tgid == child)
                    || matches!(parse_proc_event(m.payload), Some((ProcEvent::Exit { tgid, .. }, _)) if tgid == child)
            });
        }
    }
    let mut status = 0;
    // SAFETY: child is our own child process; status is a valid out-pointer.
    unsafe { libc::waitpid(child as i32, &mut status, 0) };
    seen
}

pub(crate) fn start(
    config: &SensorConfig,
    em: Emitter,
    fim_tx: SyncSender<ContainerNote>,
    caps: &mut Capabilities,
) -> Result<Option<JoinHandle<()>>, SensorError> {
    let pc = config.processes.clone();
    if !pc.enabled {
        caps.disabled("processes");
        return Ok(None);
    }
    let sock = match subscribe() {
        Ok(s) if self_test(&s) => Some(s),
        Ok(_) => {
            caps.set(
                "processes",
                true,
                "procfs_poll",
                Some(format!(
                    "the proc connector delivered no events (it works only in the initial network namespace); \
                     falling back to /proc polling every {} ms: processes living shorter than that are missed",
                    pc.poll_interval_ms
                )),
            );
            None
        }
        Err(e) => {
            caps.set(
                "processes",
                true,
                "procfs_poll",
                Some(format!(
                    "proc connector unavailable ({e}; it needs CAP_NET_ADMIN); falling back to /proc polling every {} ms: \
                     processes living shorter than that are missed",
                    pc.poll_interval_ms
                )),
            );
            None
        }
    };
    if sock.is_some() {
        caps.set("processes", true, "proc_connector", None);
    }
    caps.set(
        "process_inventory",
        pc.inventory,
        if pc.inventory { "procfs" } else { "none" },
        (!pc.inventory).then(|| "disabled by configuration".into()),
    );
    caps.set(
        "containers",
        config.containers.enabled,
        if config.containers.enabled {
            "cgroup"
        } else {
            "none"
        },
        (!config.containers.enabled).then(|| "disabled by configuration".into()),
    );
    let mut c = Collector {
        out: std::cell::RefCell::new(Batch::new(em.clone())),
        em,
        fim_tx,
        forks: pc.forks,
        poll: Duration::from_millis(pc.poll_interval_ms),
    };
    let inventory = pc.inventory;
    let t = std::thread::Builder::new()
        .name("outpost-proc".into())
        .spawn(move || {
            let known = c.inventory(inventory);
            match sock {
                Some(s) => c.run_connector(&s),
                None => c.run_poll(known),
            }
        })
        .map_err(|source| SensorError::Spawn {
            collector: "processes",
            source,
        })?;
    Ok(Some(t))
}

struct Collector {
    em: Emitter,
    /// Process events of the current read burst (see [`Batch`]).
    out: std::cell::RefCell<Batch>,
    fim_tx: SyncSender<ContainerNote>,
    forks: bool,
    poll: Duration,
}

impl Collector {
    fn table(&self) -> Option<MutexGuard<'_, ProcessTable>> {
        self.em.shared.procs.lock().ok()
    }

    fn containers_enabled(&self) -> bool {
        self.table().is_some_and(|t| t.containers_enabled())
    }

    fn emit_proc(
        &self,
        kind: EventKind,
        source: &'static str,
        ts: chrono::DateTime<Utc>,
        info: Arc<ProcessInfo>,
        container: Option<outpost_core::ContainerInfo>,
    ) {
        let mut ev = Event::new(ts, kind, source);
        ev.process = Some(info);
        ev.container = container;
        self.push(ev);
    }

    /// Queues an event of the current burst; [`Collector::flush`] sends them.
    fn push(&self, ev: Event) {
        match self.out.try_borrow_mut() {
            Ok(mut b) => b.push(ev),
            Err(_) => self.em.emit(ev),
        }
    }

    fn flush(&self) {
        if let Ok(mut b) = self.out.try_borrow_mut() {
            b.flush();
        }
    }

    fn container_changes(
        &self,
        changes: Vec<ContainerChange>,
        info: &Arc<ProcessInfo>,
        ts: chrono::DateTime<Utc>,
    ) {
        for ch in changes {
            self.fim_note(&ch, info.pid);
            let (kind, c) = match ch {
                ContainerChange::Started(c) => (EventKind::ContainerStart, c),
                ContainerChange::Stopped(c) => (EventKind::ContainerStop, c),
            };
            self.emit_proc(kind, "cgroup", ts, Arc::clone(info), Some((*c).clone()));
        }
    }

    /// Reads every live process into the table; emits inventory events. Returns the pids seen.
    fn inventory(&self, emit: bool) -> HashSet<u32> {
        let users = &self.em.shared.users;
        let containers = self.containers_enabled();
        let mut seen = HashSet::new();
        let mut pids = procfs::list_pids();
        pids.sort_unstable();
        for pid in pids {
            let Some(r) = read_process(pid, users, containers) else {
                continue;
            };
            seen.insert(pid);
            let container = r.container.clone();
            let (changes, info) = {
                let Some(mut t) = self.table() else { break };
                let ch = t.upsert(r.info, container.clone());
                let info = t.get(pid).map(|p| Arc::clone(&p.info)).unwrap_or_default();
                (ch, info)
            };
            let ts = info.start_time.unwrap_or_else(Utc::now);
            if emit {
                let mut ev = Event::new(Utc::now(), EventKind::ProcessInventory, "procfs");
                ev.process = Some(Arc::clone(&info));
                ev.container = container;
                self.em.emit_paced(ev);
            }
            self.container_changes(changes, &info, ts);
            self.flush();
        }
        self.note_evictions();
        seen
    }

    fn note_evictions(&self) {
        if let Some(mut t) = self.table() {
            let ev = std::mem::take(&mut t.evicted_live);
            let cl = std::mem::take(&mut t.container_limit_hits);
            drop(t);
            self.em.count_drop(Drop::ProcessCacheEvicted, ev);
            self.em.count_drop(Drop::ContainerLimit, cl);
        }
    }

    fn housekeeping(&self) {
        if let Some(mut t) = self.table() {
            t.stale_pending_execs(Duration::from_millis(500), &mut |e| self.push(e));
        }
        self.drain_backlog();
        let changes = self.table().map(|mut t| t.expire()).unwrap_or_default();
        self.container_changes(changes, &Arc::default(), Utc::now());
        self.note_evictions();
    }

    /// Passes container changes the process table reported (some found by the eBPF reader's
    /// exec snapshots) on to the file collector.
    fn drain_backlog(&self) {
        let backlog = self
            .table()
            .map(|mut t| t.take_changes())
            .unwrap_or_default();
        for (ch, pid) in backlog {
            self.fim_note(&ch, pid);
        }
    }

    fn fim_note(&self, ch: &ContainerChange, pid: u32) {
        let note = match ch {
            ContainerChange::Started(c) => ContainerNote::Started {
                info: Arc::clone(c),
                pid,
            },
            ContainerChange::Stopped(c) => ContainerNote::Stopped { id: c.id.clone() },
        };
        if self.fim_tx.try_send(note).is_err() {
            self.em.count_drop(Drop::ContainerNoteDropped, 1);
        }
    }

    fn datagram(&self, d: &[u8], clock: procfs::MonoClock) {
        for m in netlink::split(d) {
            if let Some((ev, mono)) = parse_proc_event(m.payload) {
                self.handle(ev, clock.to_utc(mono), mono);
            }
        }
    }

    /// Handles the datagrams of one batch.
    fn batch(&self, b: &RecvBatch, n: usize) {
        let clock = procfs::MonoClock::now();
        for i in 0..n {
            let (d, truncated, _) = b.get(i);
            if truncated {
                // A proc connector message is ~80 bytes; a slot holds a KiB.
                self.em.count_drop(Drop::ProcConnectorOverflow, 1);
            }
            self.datagram(d, clock);
        }
    }

    fn run_connector(&mut self, sock: &NlSocket) {
        // One datagram per event: `recvmmsg` takes everything queued (up to the slots) in one
        // call, instead of one `recv` per event.
        let mut b = RecvBatch::new(BATCH_SLOTS, 1024);
        let mut last_hk = Instant::now();
        while !self.em.stopped() {
            match sock.recv_batch(&mut b, true) {
                Ok(n) => {
                    self.batch(&b, n);
                    // With the eBPF sensor snapshotting every exec (image, ids, cgroup, start),
                    // /proc is not read for execs at all: drain what is queued, then sleep like
                    // the eBPF reader (to the next tick, `READ_PAUSE`), which saves a wakeup per event
                    // under load. The socket's 8 MiB buffer holds ~10,000 events, 100,000/s at
                    // this pace, and the socket filter keeps threads out.
                    if self.table().is_some_and(|t| t.kernel_exec_active) {
                        let mut got = n;
                        // A full batch: more may be waiting.
                        while got == BATCH_SLOTS {
                            match sock.recv_batch(&mut b, false) {
                                Ok(n) => {
                                    self.batch(&b, n);
                                    got = n;
                                }
                                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                                    self.em.count_drop(Drop::ProcConnectorOverflow, 1);
                                }
                                Err(_) => break,
                            }
                        }
                        self.drain_backlog();
                        self.flush();
                        crate::pause();
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.em.count_drop(Drop::ProcConnectorOverflow, 1);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    tracing::warn!("proc connector recv: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            if last_hk.elapsed() > Duration::from_millis(250) {
                last_hk = Instant::now();
                self.em
                    .shared
                    .counters
                    .queue(Queue::ProcConnector, sock.pending());
                self.housekeeping();
            }
            self.flush();
        }
        self.flush();
    }

    fn handle(&self, ev: ProcEvent, ts: chrono::DateTime<Utc>, mono: u64) {
        let users = &self.em.shared.users;
        match ev {
            ProcEvent::Fork {
                parent_tgid,
                child_pid,
                child_tgid,
            } => {
                if child_pid != child_tgid {
                    return; // a new thread
                }
                let Some(mut t) = self.table() else { return };
                let (info, container, changes) = t.fork(parent_tgid, child_tgid, users);
                drop(t);
                if !changes.is_empty() {
                    self.container_changes(changes, &info, ts);
                }
                if self.forks {
                    self.emit_proc(
                        EventKind::ProcessFork,
                        "proc_connector",
                        ts,
                        info,
                        container.map(|c| (*c).clone()),
                    );
                }
            }
            ProcEvent::Exec { tgid, .. } => {
                let Some(mut t) = self.table() else { return };
                if t.kernel_exec_active {
                    // The eBPF exec snapshot carries the image, ids, cgroup and start time:
                    // /proc is not read here. Report the exec when the snapshot was applied
                    // already, else when it arrives (or after 500 ms without it).
                    match t.exec_ready(tgid, mono) {
                        Some((info, container)) => {
                            drop(t);
                            self.emit_proc(EventKind::ProcessExec, "ebpf", ts, info, container);
                        }
                        None => {
                            t.defer_exec(tgid, ts, mono, &mut |e| self.push(e));
                        }
                    }
                    return;
                }
                drop(t);
                let containers = self.containers_enabled();
                let read = read_process(tgid, users, containers);
                let Some(mut t) = self.table() else { return };
                let (info, container) = match read {
                    Some(r) => (r.info, r.container),
                    None => {
                        // Gone before /proc could be read: keep what the fork told us about
                        // its lineage, but not the parent's image.
                        let prev = t.get(tgid).map(|p| (*p.info).clone()).unwrap_or_default();
                        let container = t
                            .get(tgid)
                            .and_then(|p| p.container.as_ref().map(|c| (**c).clone()));
                        let info = ProcessInfo {
                            pid: tgid,
                            ppid: prev.ppid,
                            parent: prev.parent,
                            uid: prev.uid,
                            euid: prev.euid,
                            gid: prev.gid,
                            user: prev.user,
                            ..Default::default()
                        };
                        (info, container)
                    }
                };
                let changes = t.upsert(info, container);
                let (info, container) = match t.get(tgid) {
                    Some(p) => (
                        Arc::clone(&p.info),
                        p.container.as_ref().map(|c| (**c).clone()),
                    ),
                    None => (Arc::default(), None),
                };
                drop(t);
                self.container_changes(changes, &info, ts);
                self.emit_proc(
                    EventKind::ProcessExec,
                    "proc_connector",
                    ts,
                    info,
                    container,
                );
            }
            ProcEvent::Exit {
                pid,
                tgid,
                exit_code,
                parent_tgid,
            } => {
                if pid != tgid {
                    return; // a thread
                }
                let x = PendingExit {
                    ts,
                    code: exit_status(exit_code),
                    parent_tgid,
                };
                let Some(mut t) = self.table() else { return };
                // An exit whose exec still waits for the kernel's image snapshot follows it.
                if let Some(x) = t.defer_exit(tgid, x) {
                    t.finish_exit(tgid, x, &mut |e| self.push(e));
                }
                drop(t);
                self.drain_backlog();
            }
            ProcEvent::Other(_) => {}
        }
    }

    fn run_poll(&mut self, mut known: HashSet<u32>) {
        while !self.em.stopped() {
            let until = Instant::now() + self.poll;
            while !self.em.stopped() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50).min(self.poll));
            }
            let now: HashSet<u32> = procfs::list_pids().into_iter().collect();
            let containers = self.containers_enabled();
            for &pid in now.difference(&known) {
                let Some(r) = read_process(pid, &self.em.shared.users, containers) else {
                    continue;
                };
                let container = r.container.clone();
                let Some(mut t) = self.table() else { return };
                let ch = t.upsert(r.info, container.clone());
                let info = t.get(pid).map(|p| Arc::clone(&p.info)).unwrap_or_default();
                drop(t);
                let ts = info.start_time.unwrap_or_else(Utc::now);
                self.emit_proc(
                    EventKind::ProcessExec,
                    "procfs_poll",
                    ts,
                    Arc::clone(&info),
                    container,
                );
                self.container_changes(ch, &info, ts);
            }
            for &pid in known.difference(&now) {
                let Some(mut t) = self.table() else { return };
                let (p, ch) = t.exit(pid);
                drop(t);
                if let Some(p) = p {
                    let info = p.info;
                    self.emit_proc(
                        EventKind::ProcessExit,
                        "procfs_poll",
                        Utc::now(),
                        Arc::clone(&info),
                        p.container.map(|c| (*c).clone()),
                    );
                    self.container_changes(ch, &info, Utc::now());
                }
            }
            known = now;
            self.housekeeping();
            self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn msg(what: u32, data: &[u32]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [CN_IDX_PROC, CN_VAL_PROC, 7, 0] {
            v.extend_from_slice(&x.to_ne_bytes());
        }
        v.extend_from_slice(&40u16.to_ne_bytes());
        v.extend_from_slice(&0u16.to_ne_bytes());
        v.extend_from_slice(&what.to_ne_bytes());
        v.extend_from_slice(&1u32.to_ne_bytes());
        v.extend_from_slice(&123_456u64.to_ne_bytes());
        for d in data {
            v.extend_from_slice(&d.to_ne_bytes());
        }
        v
    }

    #[test]
    fn decodes_fork_exec_exit() {
        assert_eq!(
            parse_proc_event(&msg(1, &[10, 10, 11, 11])),
            Some((
                ProcEvent::Fork {
                    parent_tgid: 10,
                    child_pid: 11,
                    child_tgid: 11
                },
                123_456
            ))
        );
        assert_eq!(
            parse_proc_event(&msg(2, &[11, 11])).map(|x| x.0),
            Some(ProcEvent::Exec { pid: 11, tgid: 11 })
        );
        assert_eq!(
            parse_proc_event(&msg(0x8000_0000, &[11, 11, 256 * 3, 17, 10, 10])).map(|x| x.0),
            Some(ProcEvent::Exit {
                pid: 11,
                tgid: 11,
                exit_code: 768,
                parent_tgid: 10
            })
        );
        assert_eq!(parse_proc_event(&msg(2, &[11])), None, "truncated");
        let mut wrong = msg(2, &[1, 1]);
        wrong[0] = 9;
        assert_eq!(parse_proc_event(&wrong), None, "another connector");
        assert_eq!(exit_status(768), 3);
        assert_eq!(exit_status(9), 137);
    }

    #[test]
    fn socket_filter_keeps_process_events_only() {
        let prog = process_events_filter();
        let pass = |what: u32, data: &[u32]| {
            let pkt = netlink::nlmsg(netlink::NLMSG_DONE, 0, 0, &msg(what, data));
            netlink::run_cbpf(&prog, &pkt, 0, 0) != 0
        };
        assert!(pass(1, &[10, 10, 11, 11]), "fork of a process");
        assert!(!pass(1, &[10, 10, 12, 10]), "a new thread");
        assert!(pass(2, &[11, 11]), "exec");
        assert!(
            pass(0x8000_0000, &[11, 11, 0, 17, 10, 10]),
            "exit of a process"
        );
        assert!(
            !pass(0x8000_0000, &[12, 11, 0, 17, 10, 10]),
            "exit of a thread"
        );
        assert!(!pass(4, &[11, 11, 0, 0]), "uid change");
        assert!(!pass(0, &[]), "subscription ack");
        assert!(!pass(1, &[10]), "truncated");
    }

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = parse_proc_event(&b);
        }
    }
}
