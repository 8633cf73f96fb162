//! The bounded process table: enrichment cache (live and recently exited processes) and the
//! container membership used for container start/stop events.

use crate::config::{ContainerConfig, ProcessConfig};
use crate::container::{docker_details, parse_cgroup};
use crate::counters::ProcStats;
use crate::procfs;
use crate::users::Users;
use outpost_core::{ContainerInfo, Event, ParentInfo, ProcessInfo};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One cached process.
#[derive(Debug, Clone)]
pub(crate) struct Proc {
    pub info: Arc<ProcessInfo>,
    pub container: Option<Arc<ContainerInfo>>,
    pub exited: Option<Instant>,
    /// Copied from the parent at fork: the image may have changed by an exec not processed yet.
    pub from_fork: bool,
    /// CLOCK_MONOTONIC time of the kernel's exec snapshot (eBPF) this record was built from.
    pub exec_ts: Option<u64>,
    /// The exec event of that snapshot was emitted.
    pub exec_reported: bool,
}

/// An exec seen by the proc connector (and possibly the exit that followed it) waiting for the
/// kernel's exec snapshot, which carries everything the event needs.
struct Pending {
    ts: chrono::DateTime<chrono::Utc>,
    /// The connector's CLOCK_MONOTONIC timestamp (the snapshot of the same exec is older).
    mono: u64,
    exit: Option<PendingExit>,
    at: Instant,
}

/// An exit reported by the proc connector while the exec before it waited for its snapshot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingExit {
    pub ts: chrono::DateTime<chrono::Utc>,
    /// Shell-style exit status.
    pub code: i32,
    pub parent_tgid: u32,
}

/// What the eBPF `sched_process_exec` hook saw: the new image and the process's identity.
#[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
pub(crate) struct KernelExec {
    /// pid, ppid, name, exe (the path as executed, not resolved), args, command_line, ids,
    /// user, setuid, start_time, entity_id.
    pub info: ProcessInfo,
    pub ts: u64,
    pub cgroup_id: u64,
    /// argv was longer than the snapshot holds.
    pub args_truncated: bool,
}

/// `/sys/fs/cgroup` is a pure cgroup v2 hierarchy, so the cgroup id the kernel reports for a task
/// identifies its cgroup (on v1 or hybrid hosts it does not).
fn cgroup_v2_only() -> bool {
    // SAFETY: statfs is plain old data; all-zero is a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: the path is a valid NUL-terminated string and st a valid out-pointer.
    let rc = unsafe { libc::statfs(c"/sys/fs/cgroup".as_ptr(), &mut st) };
    rc == 0 && st.f_type as u64 == 0x6367_7270
}

/// What [`read_process`] learned from `/proc`.
pub(crate) struct ReadProc {
    pub info: ProcessInfo,
    pub container: Option<ContainerInfo>,
}

struct ContainerState {
    info: Arc<ContainerInfo>,
    pids: HashSet<u32>,
}

/// A change in container membership to report.
#[derive(Debug)]
pub(crate) enum ContainerChange {
    Started(Arc<ContainerInfo>),
    Stopped(Arc<ContainerInfo>),
}

pub(crate) struct ProcessTable {
    procs: HashMap<u32, Proc>,
    exited: VecDeque<(u32, Instant)>,
    containers: HashMap<String, ContainerState>,
    max: usize,
    ttl: Duration,
    max_containers: usize,
    containers_enabled: bool,
    last_sweep: Instant,
    /// cgroup id → its container (or none), when cgroup ids are usable (pure cgroup v2).
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    cgroups: HashMap<u64, Option<ContainerInfo>>,
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    cgroup_ids: bool,
    /// Executable path → canonical path, for images of processes gone before `/proc` was read.
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    canonical: HashMap<String, String>,
    /// Container changes already reported as events, for the process collector's thread to pass
    /// on to the file collector (with the pid that caused them).
    changes_backlog: Vec<(ContainerChange, u32)>,
    /// True while the eBPF sensor sends exec snapshots.
    pub kernel_exec_active: bool,
    /// Exec events of processes gone before `/proc` could be read, waiting (briefly) for the
    /// kernel's snapshot of their image.
    pending_execs: HashMap<u32, Pending>,
    /// Live processes evicted because the cache was full (counted as drops by the caller).
    pub evicted_live: u64,
    pub container_limit_hits: u64,
}

/// Reads everything `/proc/PID` tells about a process (without its parent). `None` when the
/// process is gone.
pub(crate) fn read_process(pid: u32, users: &Users, containers: bool) -> Option<ReadProc> {
    let base = format!("/proc/{pid}");
    let stat = procfs::with_small_text(&format!("{base}/stat"), 4096, procfs::parse_stat)??;
    let ids = procfs::with_small_text(&format!("{base}/status"), 16384, procfs::parse_status_ids)
        .flatten();
    let args = procfs::with_small(&format!("{base}/cmdline"), 64 * 1024, procfs::parse_cmdline)
        .unwrap_or_default();
    let exe = procfs::readlink(format!("{base}/exe"));
    let cwd = procfs::readlink(format!("{base}/cwd"));
    let container = if containers {
        procfs::with_small_text(&format!("{base}/cgroup"), 16384, parse_cgroup).flatten()
    } else {
        None
    };
    let command_line = (!args.is_empty()).then(|| args.join(" "));
    let info = ProcessInfo {
        pid,
        name: Some(stat.comm),
        exe,
        args,
        command_line,
        cwd,
        ppid: Some(stat.ppid),
        uid: ids.map(|i| i.uid),
        euid: ids.map(|i| i.euid),
        gid: ids.map(|i| i.gid),
        user: ids.and_then(|i| users.name(i.uid)),
        setuid: ids.is_some_and(|i| i.uid != i.euid),
        start_time: procfs::start_time(stat.start_ticks),
        tty: procfs::tty_name(stat.tty_nr),
        entity_id: Some(format!("{pid}-{}", stat.start_ticks)),
        ..Default::default()
    };
    Some(ReadProc { info, container })
}

/// A forked child's record from its parent's: the same image, command line, directory, ids
/// and hashes, the parent as its parent. Only what the child keeps is copied (the parent's own
/// parent, entity id and exit code are not cloned to be dropped); pid, start time and
/// the parent's pid are the caller's.
fn fork_of(p: &ProcessInfo) -> ProcessInfo {
    // Destructured so that a new field of `ProcessInfo` cannot be forgotten here.
    let ProcessInfo {
        pid: _,
        name,
        exe,
        args,
        command_line,
        cwd,
        ppid: _,
        parent: _,
        uid,
        euid,
        gid,
        user,
        setuid,
        start_time: _,
        tty,
        exit_code: _,
        hashes,
        entity_id: _,
    } = p;
    ProcessInfo {
        name: name.clone(),
        exe: exe.clone(),
        args: args.clone(),
        command_line: command_line.clone(),
        cwd: cwd.clone(),
        parent: Some(parent_of(p)),
        uid: *uid,
        euid: *euid,
        gid: *gid,
        user: user.clone(),
        setuid: *setuid,
        tty: tty.clone(),
        hashes: hashes.clone(),
        ..Default::default()
    }
}

fn parent_of(p: &ProcessInfo) -> ParentInfo {
    ParentInfo {
        pid: p.pid,
        name: p.name.clone(),
        exe: p.exe.clone(),
        command_line: p.command_line.clone(),
    }
}

impl ProcessTable {
    pub fn new(pc: &ProcessConfig, cc: &ContainerConfig) -> Self {
        ProcessTable {
            procs: HashMap::new(),
            exited: VecDeque::new(),
            containers: HashMap::new(),
            max: pc.max_cache.max(16),
            ttl: Duration::from_secs(pc.exited_ttl_secs),
            max_containers: cc.max_containers,
            containers_enabled: cc.enabled,
            last_sweep: Instant::now(),
            cgroups: HashMap::new(),
            cgroup_ids: cgroup_v2_only(),
            canonical: HashMap::new(),
            changes_backlog: Vec::new(),
            kernel_exec_active: false,
            pending_execs: HashMap::new(),
            evicted_live: 0,
            container_limit_hits: 0,
        }
    }

    pub fn containers_enabled(&self) -> bool {
        self.containers_enabled
    }

    pub fn stats(&self) -> ProcStats {
        ProcStats {
            processes: self.procs.len() as u64,
            containers: self.containers.len() as u64,
        }
    }

    /// The cached process (live or exited within the TTL).
    pub fn get(&self, pid: u32) -> Option<&Proc> {
        self.procs.get(&pid)
    }

    /// Parent details for `ppid`, from the cache or, failing that, from `/proc`.
    pub fn parent(&self, ppid: u32) -> Option<ParentInfo> {
        if ppid == 0 {
            return None;
        }
        if let Some(p) = self.procs.get(&ppid) {
            return Some(parent_of(&p.info));
        }
        let base = format!("/proc/{ppid}");
        let comm = std::fs::read_to_string(format!("{base}/comm")).ok();
        let exe = procfs::readlink(format!("{base}/exe"));
        let args = std::fs::read(format!("{base}/cmdline"))
            .map(|b| procfs::parse_cmdline(&b))
            .unwrap_or_default();
        Some(ParentInfo {
            pid: ppid,
            name: comm.map(|c| c.trim_end().to_string()),
            exe,
            command_line: (!args.is_empty()).then(|| args.join(" ")),
        })
    }

    /// Inserts or replaces a live process; returns the container changes this causes.
    pub fn upsert(
        &mut self,
        mut info: ProcessInfo,
        container: Option<ContainerInfo>,
    ) -> Vec<ContainerChange> {
        let pid = info.pid;
        if info.parent.is_none()
            && let Some(ppid) = info.ppid
        {
            info.parent = self.parent(ppid);
        }
        let mut changes = Vec::new();
        let old_container = self
            .procs
            .get(&pid)
            .filter(|p| p.exited.is_none())
            .and_then(|p| p.container.clone());
        let container = container.map(|c| self.container_arc(c));
        if old_container.as_ref().map(|c| &c.id) != container.as_ref().map(|c| &c.id) {
            if let Some(old) = old_container {
                changes.extend(self.leave_container(&old.id, pid));
            }
            if let Some(c) = &container {
                changes.extend(self.join_container(c, pid));
            }
        }
        self.make_room(pid);
        self.procs.insert(
            pid,
            Proc {
                info: Arc::new(info),
                container,
                exited: None,
                from_fork: false,
                exec_ts: None,
                exec_reported: false,
            },
        );
        changes
    }

    /// A forked child inherits its parent's image and container; returns the child's record.
    pub fn fork(
        &mut self,
        parent_pid: u32,
        child_pid: u32,
        users: &Users,
    ) -> (
        Arc<ProcessInfo>,
        Option<Arc<ContainerInfo>>,
        Vec<ContainerChange>,
    ) {
        let (info, container) = match self.procs.get(&parent_pid) {
            Some(p) => (
                fork_of(&p.info),
                p.container.as_ref().map(|c| (**c).clone()),
            ),
            None => match read_process(child_pid, users, self.containers_enabled) {
                Some(r) => (r.info, r.container),
                None => (ProcessInfo::default(), None),
            },
        };
        let mut info = info;
        info.pid = child_pid;
        info.ppid = Some(parent_pid);
        info.start_time = Some(chrono::Utc::now());
        info.entity_id = None;
        info.exit_code = None;
        // The kernel's exec snapshot of the child was processed first: the record it made is
        // more recent than this copy of the parent, which only describes the fork.
        if self
            .procs
            .get(&child_pid)
            .is_some_and(|p| p.exited.is_none() && p.exec_ts.is_some())
        {
            return (Arc::new(info), container.map(Arc::new), Vec::new());
        }
        let changes = self.upsert(info, container);
        if let Some(p) = self.procs.get_mut(&child_pid) {
            p.from_fork = true;
        }
        let p = self.procs.get(&child_pid);
        (
            p.map(|p| Arc::clone(&p.info)).unwrap_or_default(),
            p.and_then(|p| p.container.clone()),
            changes,
        )
    }

    /// Applies the kernel's exec snapshot (eBPF `sched_process_exec`): the record of `pid` is
    /// rebuilt from it, reading from `/proc` only the links to the image and working directory
    /// (the process may already be gone; then the path as executed and the fork's directory are
    /// used) and the cgroup of a cgroup not seen before. Exec events waiting for this snapshot
    /// (and the exit behind them) are completed and passed to `emit`.
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    pub fn kernel_exec(&mut self, k: KernelExec, users: &Users, emit: &mut dyn FnMut(Event)) {
        let pid = k.info.pid;
        let mut pending = self.pending_execs.remove(&pid);
        if let Some(old) = pending.take_if(|p| p.mono < k.ts) {
            // An earlier exec whose snapshot never came: as it is.
            self.emit_pending(pid, old, emit);
        }
        // The cached record is this process's (its fork, or its exec waiting) unless it exited
        // with nothing waiting: then the pid was reused.
        let prev = self
            .procs
            .get(&pid)
            .filter(|p| pending.is_some() || p.exited.is_none())
            .cloned();
        let ts = k.ts;
        // The connector already reported this exec's exit: the process is gone, and its pid
        // may be reused, so `/proc` is not read (it would fail, or describe another process).
        let gone = pending.as_ref().is_some_and(|p| p.exit.is_some());
        let (info, container) = self.exec_info(k, prev.as_ref(), gone, users);
        let changes = self.upsert(info, container);
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        p.exec_ts = Some(ts);
        p.exec_reported = pending.is_some();
        let (info, container) = (Arc::clone(&p.info), p.container.clone());
        let at = pending.as_ref().map_or_else(chrono::Utc::now, |p| p.ts);
        self.container_events(changes, &info, at, emit);
        if let Some(pend) = pending {
            let mut ev = Event::new(pend.ts, outpost_core::EventKind::ProcessExec, "ebpf");
            ev.process = Some(Arc::clone(&info));
            ev.container = container.as_deref().cloned();
            emit(ev);
            if let Some(x) = pend.exit {
                self.finish_exit(pid, x, emit);
            }
        }
    }

    /// Reports container changes as `container_start`/`container_stop` events and keeps them for
    /// the file collector ([`ProcessTable::take_changes`]).
    pub fn container_events(
        &mut self,
        changes: Vec<ContainerChange>,
        info: &Arc<ProcessInfo>,
        ts: chrono::DateTime<chrono::Utc>,
        emit: &mut dyn FnMut(Event),
    ) {
        for ch in changes {
            let (kind, c) = match &ch {
                ContainerChange::Started(c) => (outpost_core::EventKind::ContainerStart, c),
                ContainerChange::Stopped(c) => (outpost_core::EventKind::ContainerStop, c),
            };
            let mut ev = Event::new(ts, kind, "cgroup");
            ev.process = Some(Arc::clone(info));
            ev.container = Some((**c).clone());
            emit(ev);
            self.changes_backlog.push((ch, info.pid));
        }
    }

    /// Marks `pid` exited and reports its exit event (then the container it leaves, if it was
    /// the last process in it).
    pub fn finish_exit(&mut self, pid: u32, x: PendingExit, emit: &mut dyn FnMut(Event)) {
        let (p, changes) = self.exit(pid);
        let (mut info, container) = match p {
            Some(p) => ((*p.info).clone(), p.container.as_deref().cloned()),
            None => (
                ProcessInfo {
                    pid,
                    ppid: Some(x.parent_tgid),
                    ..Default::default()
                },
                None,
            ),
        };
        info.exit_code = Some(x.code);
        let info = Arc::new(info);
        let mut ev = Event::new(x.ts, outpost_core::EventKind::ProcessExit, "proc_connector");
        ev.container = container;
        ev.process = Some(Arc::clone(&info));
        emit(ev);
        if !changes.is_empty() {
            self.container_events(changes, &info, x.ts, emit);
        }
    }

    /// Completes a kernel exec snapshot into a process record.
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    fn exec_info(
        &mut self,
        k: KernelExec,
        prev: Option<&Proc>,
        gone: bool,
        users: &Users,
    ) -> (ProcessInfo, Option<ContainerInfo>) {
        let mut info = k.info;
        let pid = info.pid;
        let base = format!("/proc/{pid}");
        let exe = if gone {
            None
        } else {
            procfs::readlink(format!("{base}/exe"))
        };
        let alive = exe.is_some();
        match exe {
            Some(e) => info.exe = Some(e),
            None => {
                if let Some(raw) = info.exe.take() {
                    info.exe = Some(self.canonical_path(raw));
                }
            }
        }
        let prev_info = prev.map(|p| &*p.info);
        info.cwd = if alive {
            procfs::readlink(format!("{base}/cwd"))
        } else {
            None
        }
        .or_else(|| prev_info.and_then(|p| p.cwd.clone()));
        if k.args_truncated
            && alive
            && let Some(args) =
                procfs::with_small(&format!("{base}/cmdline"), 64 * 1024, procfs::parse_cmdline)
            && !args.is_empty()
        {
            info.command_line = Some(args.join(" "));
            info.args = args;
        }
        info.tty = prev_info.and_then(|p| p.tty.clone());
        if info.user.is_none() {
            info.user = info.uid.and_then(|u| users.name(u));
        }
        info.parent = match (prev_info, info.ppid) {
            (Some(p), Some(ppid)) if p.ppid == Some(ppid) && p.parent.is_some() => p.parent.clone(),
            (_, Some(ppid)) => self.parent(ppid),
            _ => None,
        };
        let container = if !self.containers_enabled {
            None
        } else if self.cgroup_ids && k.cgroup_id != 0 {
            match self.cgroups.get(&k.cgroup_id) {
                Some(c) => c.clone(),
                None => {
                    let read = (!gone)
                        .then(|| {
                            procfs::with_small_text(&format!("{base}/cgroup"), 16384, parse_cgroup)
                        })
                        .flatten();
                    match read {
                        Some(c) => {
                            if self.cgroups.len() >= 4096 {
                                self.cgroups.clear();
                            }
                            self.cgroups.insert(k.cgroup_id, c.clone());
                            c
                        }
                        None => prev.and_then(|p| p.container.as_deref().cloned()),
                    }
                }
            }
        } else if alive {
            procfs::with_small_text(&format!("{base}/cgroup"), 16384, parse_cgroup)
                .unwrap_or_else(|| prev.and_then(|p| p.container.as_deref().cloned()))
        } else {
            prev.and_then(|p| p.container.as_deref().cloned())
        };
        (info, container)
    }

    /// The symlink-resolved form of an absolute executable path (cached); other paths as given
    /// (relative paths and `/dev/fd/N`, `/proc/...` name something only the process can resolve).
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    fn canonical_path(&mut self, raw: String) -> String {
        if !raw.starts_with('/') || raw.starts_with("/dev/fd/") || raw.starts_with("/proc/") {
            return raw;
        }
        if let Some(c) = self.canonical.get(&raw) {
            return c.clone();
        }
        let c = std::fs::canonicalize(&raw)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| raw.clone());
        if self.canonical.len() >= 1024 {
            self.canonical.clear();
        }
        self.canonical.insert(raw, c.clone());
        c
    }

    /// The exec (proc connector, at `mono` ns) of `pid` was already described by the kernel's
    /// snapshot: returns the record to report, once.
    pub fn exec_ready(
        &mut self,
        pid: u32,
        mono: u64,
    ) -> Option<(Arc<ProcessInfo>, Option<ContainerInfo>)> {
        let p = self.procs.get_mut(&pid)?;
        if p.exec_reported || p.exec_ts.is_none_or(|t| t > mono) {
            return None;
        }
        p.exec_reported = true;
        Some((Arc::clone(&p.info), p.container.as_deref().cloned()))
    }

    /// Container changes reported by [`ProcessTable::container_events`], for the file collector.
    pub fn take_changes(&mut self) -> Vec<(ContainerChange, u32)> {
        std::mem::take(&mut self.changes_backlog)
    }

    /// Emits a waiting exec (and its exit) with what the cache knows.
    fn emit_pending(&mut self, pid: u32, p: Pending, emit: &mut dyn FnMut(Event)) {
        let mut ev = Event::new(p.ts, outpost_core::EventKind::ProcessExec, "proc_connector");
        let cached = self.procs.get(&pid);
        ev.process = Some(cached.map_or_else(
            || {
                Arc::new(ProcessInfo {
                    pid,
                    ..Default::default()
                })
            },
            |c| Arc::clone(&c.info),
        ));
        ev.container = cached.and_then(|c| c.container.as_deref().cloned());
        emit(ev);
        if let Some(x) = p.exit {
            self.finish_exit(pid, x, emit);
        }
    }

    /// Holds an exec (seen by the proc connector at `ts` / `mono`) until the kernel's snapshot of
    /// the image arrives; an earlier one of the same pid still waiting, or the oldest when the
    /// table is full, is emitted as it is.
    pub fn defer_exec(
        &mut self,
        pid: u32,
        ts: chrono::DateTime<chrono::Utc>,
        mono: u64,
        emit: &mut dyn FnMut(Event),
    ) {
        if let Some(old) = self.pending_execs.remove(&pid) {
            self.emit_pending(pid, old, emit);
        }
        if self.pending_execs.len() >= self.max {
            let oldest = self
                .pending_execs
                .iter()
                .min_by_key(|(_, p)| p.at)
                .map(|(p, _)| *p);
            if let Some(o) = oldest
                && let Some(p) = self.pending_execs.remove(&o)
            {
                self.emit_pending(o, p, emit);
            }
        }
        self.pending_execs.insert(
            pid,
            Pending {
                ts,
                mono,
                exit: None,
                at: Instant::now(),
            },
        );
    }

    /// Holds an exit behind its pending exec; gives it back when nothing is pending.
    pub fn defer_exit(&mut self, pid: u32, exit: PendingExit) -> Option<PendingExit> {
        match self.pending_execs.get_mut(&pid) {
            Some(p) if p.exit.is_none() => {
                p.exit = Some(exit);
                None
            }
            _ => Some(exit),
        }
    }

    /// Exec events that waited longer than `older` for a snapshot: emitted with what the cache
    /// knows (the snapshot was lost, which the ring buffer counts).
    pub fn stale_pending_execs(&mut self, older: Duration, emit: &mut dyn FnMut(Event)) {
        let stale: Vec<u32> = self
            .pending_execs
            .iter()
            .filter(|(_, p)| p.at.elapsed() >= older)
            .map(|(p, _)| *p)
            .collect();
        for pid in stale {
            if let Some(p) = self.pending_execs.remove(&pid) {
                self.emit_pending(pid, p, emit);
            }
        }
    }

    /// Marks a process exited (kept for `ttl` to attribute late events).
    pub fn exit(&mut self, pid: u32) -> (Option<Proc>, Vec<ContainerChange>) {
        let now = Instant::now();
        let Some(p) = self.procs.get_mut(&pid) else {
            return (None, Vec::new());
        };
        if p.exited.is_some() {
            return (Some(p.clone()), Vec::new());
        }
        p.exited = Some(now);
        let snapshot = p.clone();
        self.exited.push_back((pid, now));
        let changes = match &snapshot.container {
            Some(c) => self
                .leave_container(&c.id.clone(), pid)
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        (Some(snapshot), changes)
    }

    /// Drops exited processes past their TTL and, every 30 s, container members that vanished
    /// without an exit event (returns the resulting container stops).
    pub fn expire(&mut self) -> Vec<ContainerChange> {
        let now = Instant::now();
        while let Some(&(pid, at)) = self.exited.front() {
            if now.duration_since(at) < self.ttl {
                break;
            }
            self.exited.pop_front();
            if self.procs.get(&pid).and_then(|p| p.exited) == Some(at) {
                self.procs.remove(&pid);
            }
        }
        let mut changes = Vec::new();
        if now.duration_since(self.last_sweep) > Duration::from_secs(30) {
            self.last_sweep = now;
            let gone: Vec<(String, u32)> = self
                .containers
                .iter()
                .flat_map(|(id, st)| st.pids.iter().map(move |p| (id.clone(), *p)))
                .filter(|(_, p)| !std::path::Path::new(&format!("/proc/{p}")).exists())
                .collect();
            for (id, pid) in gone {
                changes.extend(self.leave_container(&id, pid));
            }
        }
        changes
    }

    fn make_room(&mut self, incoming: u32) {
        if self.procs.len() < self.max || self.procs.contains_key(&incoming) {
            return;
        }
        while let Some((pid, at)) = self.exited.pop_front() {
            if self.procs.get(&pid).and_then(|p| p.exited) == Some(at) {
                self.procs.remove(&pid);
                if self.procs.len() < self.max {
                    return;
                }
            }
        }
        // Only live processes left: evict an arbitrary one (counted).
        if let Some(&pid) = self.procs.keys().next() {
            self.procs.remove(&pid);
            self.evicted_live += 1;
        }
    }

    fn container_arc(&self, c: ContainerInfo) -> Arc<ContainerInfo> {
        match self.containers.get(&c.id) {
            Some(st) => Arc::clone(&st.info),
            None => {
                let mut c = c;
                docker_details(&mut c);
                Arc::new(c)
            }
        }
    }

    fn join_container(&mut self, c: &Arc<ContainerInfo>, pid: u32) -> Option<ContainerChange> {
        if let Some(st) = self.containers.get_mut(&c.id) {
            st.pids.insert(pid);
            return None;
        }
        if self.containers.len() >= self.max_containers {
            self.container_limit_hits += 1;
            return None;
        }
        self.containers.insert(
            c.id.clone(),
            ContainerState {
                info: Arc::clone(c),
                pids: HashSet::from([pid]),
            },
        );
        Some(ContainerChange::Started(Arc::clone(c)))
    }

    fn leave_container(&mut self, id: &str, pid: u32) -> Option<ContainerChange> {
        let st = self.containers.get_mut(id)?;
        st.pids.remove(&pid);
        if st.pids.is_empty() {
            let st = self.containers.remove(id)?;
            return Some(ContainerChange::Stopped(st.info));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(max: usize) -> ProcessTable {
        let pc = ProcessConfig {
            max_cache: max,
            exited_ttl_secs: 0,
            ..Default::default()
        };
        ProcessTable::new(&pc, &ContainerConfig::default())
    }

    fn proc(pid: u32) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid: Some(0),
            exe: Some(format!("/bin/p{pid}")),
            ..Default::default()
        }
    }

    fn ctr(id: &str) -> ContainerInfo {
        ContainerInfo {
            id: id.into(),
            runtime: "cri".into(),
            name: None,
            image: None,
        }
    }

    #[test]
    fn exited_processes_stay_until_expired_and_are_evicted_first() {
        let mut t = table(16);
        for pid in 1..=16 {
            t.upsert(proc(pid), None);
        }
        t.exit(3);
        assert!(t.get(3).is_some_and(|p| p.exited.is_some()));
        t.upsert(proc(100), None);
        assert!(t.get(3).is_none(), "the exited entry makes room first");
        assert_eq!(t.evicted_live, 0);
        t.upsert(proc(101), None);
        assert_eq!(t.evicted_live, 1);
        assert_eq!(t.stats().processes, 16);
        t.exit(100);
        std::thread::sleep(Duration::from_millis(5));
        t.expire();
        assert!(t.get(100).is_none());
    }

    /// The fork copy built field by field is what cloning the parent and replacing its
    /// parent, entity id and exit code gave.
    #[test]
    fn fork_copy_is_the_parents_record_with_the_parent_as_parent() {
        let p = ProcessInfo {
            pid: 10,
            name: Some("python3".into()),
            exe: Some("/usr/bin/python3".into()),
            args: vec!["python3".into(), "w.py".into()],
            command_line: Some("python3 w.py".into()),
            cwd: Some("/tmp".into()),
            ppid: Some(1),
            parent: Some(ParentInfo {
                pid: 1,
                name: Some("init".into()),
                exe: None,
                command_line: None,
            }),
            uid: Some(1000),
            euid: Some(0),
            gid: Some(1000),
            user: Some("u".into()),
            setuid: true,
            start_time: Some(chrono::Utc::now()),
            tty: Some("pts/0".into()),
            exit_code: Some(3),
            hashes: outpost_core::Hashes {
                sha256: Some("ab".into()),
                ..Default::default()
            },
            entity_id: Some("10-5".into()),
        };
        let mut want = p.clone();
        want.parent = Some(parent_of(&p));
        want.entity_id = None;
        want.exit_code = None;
        (want.pid, want.ppid, want.start_time) = (0, None, None);
        assert_eq!(fork_of(&p), want);
    }

    #[test]
    fn container_start_and_stop_follow_first_and_last_process() {
        let mut t = table(64);
        let c = t.upsert(proc(10), Some(ctr("c1")));
        assert!(matches!(&c[..], [ContainerChange::Started(x)] if x.id == "c1"));
        let users = Users::load();
        let (child, cont, c) = t.fork(10, 11, &users);
        assert!(c.is_empty());
        assert_eq!(child.pid, 11);
        assert_eq!(child.exe.as_deref(), Some("/bin/p10"));
        assert_eq!(child.parent.as_ref().map(|p| p.pid), Some(10));
        assert_eq!(cont.map(|c| c.id.clone()).as_deref(), Some("c1"));
        assert!(t.exit(10).1.is_empty());
        let (_, c) = t.exit(11);
        assert!(matches!(&c[..], [ContainerChange::Stopped(x)] if x.id == "c1"));
        assert!(
            t.exit(11).1.is_empty(),
            "a second exit is not a second stop"
        );
    }

    const GONE: u32 = u32::MAX - 7;

    fn snap(pid: u32, ppid: u32, ts: u64, exe: &str) -> KernelExec {
        KernelExec {
            info: ProcessInfo {
                pid,
                ppid: Some(ppid),
                name: Some("x".into()),
                exe: Some(exe.into()),
                args: vec![exe.into(), "-v".into()],
                command_line: Some(format!("{exe} -v")),
                uid: Some(0),
                euid: Some(0),
                gid: Some(0),
                ..Default::default()
            },
            ts,
            cgroup_id: 0,
            args_truncated: false,
        }
    }

    fn collect(f: impl FnOnce(&mut dyn FnMut(Event))) -> Vec<Event> {
        let mut v = Vec::new();
        f(&mut |e| v.push(e));
        v
    }

    fn exe_of(e: &Event) -> Option<&str> {
        e.process.as_ref().and_then(|p| p.exe.as_deref())
    }

    /// The connector's exec of `pid` (at mono 100), then its exit with `code`: both held until
    /// the kernel's snapshot of the image arrives.
    fn exec_then_exit(t: &mut ProcessTable, pid: u32, code: i32) {
        let now = chrono::Utc::now();
        assert!(collect(|e| t.defer_exec(pid, now, 100, e)).is_empty());
        let exit = PendingExit {
            ts: now,
            code,
            parent_tgid: 1,
        };
        assert!(t.defer_exit(pid, exit).is_none(), "held behind the exec");
    }

    #[test]
    fn exec_waits_for_its_snapshot_and_the_exit_follows() {
        let mut t = table(64);
        let users = Users::load();
        exec_then_exit(&mut t, GONE, 3);
        let out = collect(|e| t.kernel_exec(snap(GONE, 1, 90, "/nonexistent/x"), &users, e));
        let kinds: Vec<_> = out.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                outpost_core::EventKind::ProcessExec,
                outpost_core::EventKind::ProcessExit
            ]
        );
        assert_eq!(exe_of(&out[0]), Some("/nonexistent/x"));
        assert_eq!(
            out[0].process.as_ref().unwrap().args,
            ["/nonexistent/x", "-v"]
        );
        assert_eq!(
            out[0].process.as_ref().unwrap().user.as_deref(),
            Some("root")
        );
        assert_eq!(exe_of(&out[1]), Some("/nonexistent/x"));
        assert_eq!(out[1].process.as_ref().unwrap().exit_code, Some(3));
        assert!(t.get(GONE).is_some_and(|p| p.exited.is_some()));
        assert!(t.exec_ready(GONE, 100).is_none(), "reported once");
    }

    /// A snapshot applied after the connector reported the exec's exit reads nothing from
    /// `/proc`: the process is gone and its pid may already be another process's (here: this
    /// test's own, alive, pid stands for the reused one).
    #[test]
    fn a_snapshot_after_the_exit_does_not_read_proc() {
        let mut t = table(64);
        let users = Users::load();
        let reused = std::process::id();
        exec_then_exit(&mut t, reused, 0);
        let out = collect(|e| t.kernel_exec(snap(reused, 1, 90, "/nonexistent/v"), &users, e));
        assert_eq!(out.len(), 2, "the exec, then its exit");
        assert_eq!(
            exe_of(&out[0]),
            Some("/nonexistent/v"),
            "not this test's image"
        );
        assert_eq!(
            out[0].process.as_ref().unwrap().cwd,
            None,
            "not this test's cwd"
        );
    }

    #[test]
    fn snapshot_first_then_the_connector_exec_reads_nothing() {
        let mut t = table(64);
        let users = Users::load();
        t.upsert(proc(10), None);
        let (_, _, _) = t.fork(10, GONE, &users);
        assert!(
            collect(|e| t.kernel_exec(snap(GONE, 10, 90, "/nonexistent/y"), &users, e)).is_empty()
        );
        // a fork event processed after the snapshot describes the fork but keeps the record
        let (child, _, _) = t.fork(10, GONE, &users);
        assert_eq!(child.exe.as_deref(), Some("/bin/p10"));
        assert_eq!(
            t.get(GONE).unwrap().info.exe.as_deref(),
            Some("/nonexistent/y")
        );
        let (info, _) = t.exec_ready(GONE, 100).unwrap();
        assert_eq!(info.exe.as_deref(), Some("/nonexistent/y"));
        assert_eq!(info.parent.as_ref().map(|p| p.pid), Some(10));
        assert!(t.exec_ready(GONE, 100).is_none());
        // the next exec's snapshot is newer than an exec event seen before it
        assert!(
            collect(|e| t.kernel_exec(snap(GONE, 10, 200, "/nonexistent/z"), &users, e)).is_empty()
        );
        assert!(t.exec_ready(GONE, 150).is_none());
        assert_eq!(
            t.exec_ready(GONE, 210).unwrap().0.exe.as_deref(),
            Some("/nonexistent/z")
        );
    }

    #[test]
    fn an_exec_without_snapshot_goes_out_as_it_is() {
        let mut t = table(64);
        let users = Users::load();
        let now = chrono::Utc::now();
        t.upsert(proc(GONE), None);
        assert!(collect(|e| t.defer_exec(GONE, now, 50, e)).is_empty());
        // a snapshot of a later exec: the waiting one is emitted with the cached record
        let out = collect(|e| t.kernel_exec(snap(GONE, 1, 90, "/nonexistent/w"), &users, e));
        assert_eq!(out.len(), 1);
        assert_eq!(exe_of(&out[0]), Some(format!("/bin/p{GONE}").as_str()));
        assert!(t.exec_ready(GONE, 100).is_some());
        assert!(collect(|e| t.defer_exec(GONE, now, 300, e)).is_empty());
        let stale = collect(|e| t.stale_pending_execs(Duration::ZERO, e));
        assert_eq!(stale.len(), 1);
        assert_eq!(exe_of(&stale[0]), Some("/nonexistent/w"));
    }

    #[test]
    fn reads_own_process() {
        let users = Users::load();
        let r = read_process(std::process::id(), &users, true).unwrap();
        assert_eq!(r.info.pid, std::process::id());
        assert!(r.info.exe.is_some());
        assert!(!r.info.args.is_empty());
        assert!(r.info.start_time.is_some());
        assert!(read_process(u32::MAX - 1, &users, true).is_none());
    }
}
