//! Process collector: the netlink process connector (exec/fork/exit as they happen), `/proc`
//! enrichment, start-up inventory, and a `/proc` polling fallback without CAP_NET_ADMIN.

use crate::config::SensorConfig;
use crate::counters::{Drop, Queue};
use crate::emit::Emitter;
use crate::fim::ContainerNote;
use crate::netlink::{self, NlSocket};
use crate::process::{ContainerChange, ProcessTable, read_process};
use crate::procfs;
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
    sock.set_timeout(Duration::from_millis(200))?;
    Ok(sock)
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
        caps.set(
            "processes",
            false,
            "none",
            Some("disabled by configuration".into()),
        );
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
        source: &str,
        ts: chrono::DateTime<Utc>,
        info: ProcessInfo,
        container: Option<outpost_core::ContainerInfo>,
    ) {
        let mut ev = Event::new(ts, kind, source);
        ev.process = Some(info);
        ev.container = container;
        self.em.emit(ev);
    }

    fn container_changes(
        &self,
        changes: Vec<ContainerChange>,
        info: &ProcessInfo,
        ts: chrono::DateTime<Utc>,
    ) {
        for ch in changes {
            let (kind, c) = match ch {
                ContainerChange::Started(c) => {
                    if self
                        .fim_tx
                        .try_send(ContainerNote::Started {
                            info: Arc::clone(&c),
                            pid: info.pid,
                        })
                        .is_err()
                    {
                        self.em.count_drop(Drop::ContainerNoteDropped, 1);
                    }
                    (EventKind::ContainerStart, c)
                }
                ContainerChange::Stopped(c) => {
                    if self
                        .fim_tx
                        .try_send(ContainerNote::Stopped { id: c.id.clone() })
                        .is_err()
                    {
                        self.em.count_drop(Drop::ContainerNoteDropped, 1);
                    }
                    (EventKind::ContainerStop, c)
                }
            };
            self.emit_proc(kind, "cgroup", ts, info.clone(), Some((*c).clone()));
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
                let info = t.get(pid).map(|p| (*p.info).clone()).unwrap_or_default();
                (ch, info)
            };
            let ts = info.start_time.unwrap_or_else(Utc::now);
            if emit {
                let mut ev = Event::new(Utc::now(), EventKind::ProcessInventory, "procfs");
                ev.process = Some(info.clone());
                ev.container = container;
                self.em.emit_paced(ev);
            }
            self.container_changes(changes, &info, ts);
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
        let stale = self
            .table()
            .map(|mut t| t.stale_pending_execs(Duration::from_millis(500)))
            .unwrap_or_default();
        for e in stale {
            self.em.emit(e);
        }
        let changes = self.table().map(|mut t| t.expire()).unwrap_or_default();
        self.container_changes(changes, &ProcessInfo::default(), Utc::now());
        self.note_evictions();
    }

    fn datagram(&self, d: &[u8]) {
        for m in netlink::split(d) {
            if let Some((ev, ts)) = parse_proc_event(m.payload) {
                self.handle(ev, procfs::mono_to_utc(ts));
            }
        }
    }

    fn run_connector(&mut self, sock: &NlSocket) {
        let mut buf = vec![0u8; 64 * 1024];
        let mut last_hk = Instant::now();
        while !self.em.stopped() {
            match sock.recv(&mut buf) {
                Ok(n) => {
                    self.datagram(buf.get(..n).unwrap_or(&[]));
                    // With the eBPF sensor snapshotting every exec image, /proc need not be read
                    // the very microsecond a process starts: drain what is queued, then sleep a
                    // little, which saves a wakeup per event under load.
                    if self.table().is_some_and(|t| t.kernel_exec_active) {
                        loop {
                            match sock.recv_nowait(&mut buf) {
                                Ok(n) => self.datagram(buf.get(..n).unwrap_or(&[])),
                                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                                    self.em.count_drop(Drop::ProcConnectorOverflow, 1);
                                }
                                Err(_) => break,
                            }
                        }
                        std::thread::sleep(Duration::from_millis(20));
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
        }
    }

    fn handle(&self, ev: ProcEvent, ts: chrono::DateTime<Utc>) {
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
                let info = (*info).clone();
                self.container_changes(changes, &info, ts);
                if self.forks {
                    self.emit_proc(
                        EventKind::ProcessFork,
                        "proc_connector",
                        ts,
                        info.clone(),
                        container.map(|c| (*c).clone()),
                    );
                }
            }
            ProcEvent::Exec { tgid, .. } => {
                let containers = self.containers_enabled();
                let read = read_process(tgid, users, containers);
                let Some(mut t) = self.table() else { return };
                let (mut info, container) = match read {
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
                // No image: the process was gone (or a zombie) when /proc was read. Use the
                // kernel's snapshot of the exec (eBPF) if it came first, else wait for it.
                let mut wait = false;
                if info.exe.is_none() {
                    match t.exec_snapshot(tgid) {
                        Some(s) => {
                            info.exe = s.exe.clone();
                            info.args = s.args.clone();
                            info.command_line = s.command_line.clone();
                            info.name = s.name.clone();
                        }
                        None => wait = t.kernel_exec_active,
                    }
                }
                let changes = t.upsert(info, container);
                let (info, container) = match t.get(tgid) {
                    Some(p) => (
                        (*p.info).clone(),
                        p.container.as_ref().map(|c| (**c).clone()),
                    ),
                    None => (ProcessInfo::default(), None),
                };
                if wait {
                    // The event goes out when the snapshot arrives (or after 500 ms without it).
                    let mut ev = Event::new(ts, EventKind::ProcessExec, "proc_connector");
                    ev.process = Some(info.clone());
                    ev.container = container;
                    let evicted = t.defer_exec(tgid, ev);
                    drop(t);
                    self.container_changes(changes, &info, ts);
                    for e in evicted {
                        self.em.emit(e);
                    }
                    return;
                }
                drop(t);
                self.container_changes(changes, &info, ts);
                self.emit_proc(
                    EventKind::ProcessExec,
                    "proc_connector",
                    ts,
                    info.clone(),
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
                let Some(mut t) = self.table() else { return };
                let (p, changes) = t.exit(tgid);
                drop(t);
                let (mut info, container) = match p {
                    Some(p) => ((*p.info).clone(), p.container.map(|c| (*c).clone())),
                    None => (
                        ProcessInfo {
                            pid: tgid,
                            ppid: Some(parent_tgid),
                            ..Default::default()
                        },
                        None,
                    ),
                };
                info.exit_code = Some(exit_status(exit_code));
                let mut ev = Event::new(ts, EventKind::ProcessExit, "proc_connector");
                ev.process = Some(info.clone());
                ev.container = container;
                // An exit whose exec still waits for the kernel's image snapshot follows it.
                let now = match self.table() {
                    Some(mut t) => t.defer_exit(tgid, ev),
                    None => Some(ev),
                };
                if let Some(ev) = now {
                    self.em.emit(ev);
                }
                self.container_changes(changes, &info, ts);
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
                let info = t.get(pid).map(|p| (*p.info).clone()).unwrap_or_default();
                drop(t);
                let ts = info.start_time.unwrap_or_else(Utc::now);
                self.emit_proc(
                    EventKind::ProcessExec,
                    "procfs_poll",
                    ts,
                    info.clone(),
                    container,
                );
                self.container_changes(ch, &info, ts);
            }
            for &pid in known.difference(&now) {
                let Some(mut t) = self.table() else { return };
                let (p, ch) = t.exit(pid);
                drop(t);
                if let Some(p) = p {
                    let info = (*p.info).clone();
                    self.emit_proc(
                        EventKind::ProcessExit,
                        "procfs_poll",
                        Utc::now(),
                        info.clone(),
                        p.container.map(|c| (*c).clone()),
                    );
                    self.container_changes(ch, &info, Utc::now());
                }
            }
            known = now;
            self.housekeeping();
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

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = parse_proc_event(&b);
        }
    }
}
