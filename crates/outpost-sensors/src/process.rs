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
}

/// An exec event (and possibly the exit that followed it) waiting for the kernel's snapshot.
struct Pending {
    exec: Event,
    exit: Option<Event>,
    at: Instant,
}

impl Pending {
    fn events(self) -> Vec<Event> {
        std::iter::once(self.exec).chain(self.exit).collect()
    }
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
    /// Kernel exec snapshots (eBPF) by pid, with insertion order for the bound.
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    exec_snaps: HashMap<u32, (Arc<ProcessInfo>, u64)>,
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    exec_order: VecDeque<(u32, u64)>,
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    exec_seq: u64,
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
    let stat = procfs::parse_stat(&procfs::read_small_text(&format!("{base}/stat"), 4096)?)?;
    let ids = procfs::read_small_text(&format!("{base}/status"), 16384)
        .and_then(|s| procfs::parse_status_ids(&s));
    let args = procfs::read_small(&format!("{base}/cmdline"), 64 * 1024)
        .map(|b| procfs::parse_cmdline(&b))
        .unwrap_or_default();
    let exe = procfs::readlink(format!("{base}/exe"));
    let cwd = procfs::readlink(format!("{base}/cwd"));
    let container = if containers {
        procfs::read_small_text(&format!("{base}/cgroup"), 16384).and_then(|c| parse_cgroup(&c))
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
            exec_snaps: HashMap::new(),
            exec_order: VecDeque::new(),
            exec_seq: 0,
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
            Some(p) => {
                let mut i = (*p.info).clone();
                i.parent = Some(parent_of(&p.info));
                (i, p.container.as_ref().map(|c| (**c).clone()))
            }
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

    /// The kernel's snapshot of the last exec of `pid`, if the eBPF sensor sent one.
    pub fn exec_snapshot(&self, pid: u32) -> Option<Arc<ProcessInfo>> {
        self.exec_snaps.get(&pid).map(|(p, _)| Arc::clone(p))
    }

    /// Records an exec seen by the kernel (image path and argv captured in the exec'ing process)
    /// and, when the cached entry does not describe that image yet (the process was gone before
    /// `/proc` could be read, or its exec event is still queued), patches it.
    ///
    /// Returns the exec event that was waiting for this snapshot, completed with it.
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    pub fn kernel_exec(&mut self, snap: ProcessInfo) -> Vec<Event> {
        let pid = snap.pid;
        let snap = Arc::new(snap);
        self.exec_seq += 1;
        self.exec_snaps
            .insert(pid, (Arc::clone(&snap), self.exec_seq));
        self.exec_order.push_back((pid, self.exec_seq));
        while self.exec_order.len() > self.max {
            if let Some((p, seq)) = self.exec_order.pop_front()
                && self.exec_snaps.get(&p).is_some_and(|(_, s)| *s == seq)
            {
                self.exec_snaps.remove(&p);
            }
        }
        match self.procs.get_mut(&pid) {
            Some(p) if p.info.exe != snap.exe || p.info.args != snap.args => {
                let mut info = (*p.info).clone();
                info.exe = snap.exe.clone();
                info.args = snap.args.clone();
                info.command_line = snap.command_line.clone();
                info.name = snap.name.clone();
                info.entity_id = None;
                p.info = Arc::new(info);
                p.from_fork = false;
            }
            Some(_) => {}
            None => {
                let mut info = (*snap).clone();
                info.start_time = None;
                if let Some(ppid) = info.ppid {
                    info.parent = self.parent(ppid);
                }
                self.make_room(pid);
                self.procs.insert(
                    pid,
                    Proc {
                        info: Arc::new(info),
                        container: None,
                        exited: None,
                        from_fork: false,
                    },
                );
            }
        }
        let Some(p) = self.pending_execs.remove(&pid) else {
            return Vec::new();
        };
        let mut out = p.events();
        for ev in &mut out {
            if let Some(p) = ev.process.as_mut() {
                p.exe = snap.exe.clone();
                p.args = snap.args.clone();
                p.command_line = snap.command_line.clone();
                p.name = snap.name.clone();
            }
            if ev.kind == outpost_core::EventKind::ProcessExec {
                ev.source = "ebpf".into();
            }
        }
        out
    }

    /// Holds an exec event until the kernel's snapshot of the image arrives; returns events
    /// pushed out to make room.
    pub fn defer_exec(&mut self, pid: u32, exec: Event) -> Vec<Event> {
        let mut evicted = Vec::new();
        if self.pending_execs.len() >= self.max {
            let oldest = self
                .pending_execs
                .iter()
                .min_by_key(|(_, p)| p.at)
                .map(|(p, _)| *p);
            if let Some(p) = oldest.and_then(|p| self.pending_execs.remove(&p)) {
                evicted = p.events();
            }
        }
        self.pending_execs.insert(
            pid,
            Pending {
                exec,
                exit: None,
                at: Instant::now(),
            },
        );
        evicted
    }

    /// Holds an exit event behind its pending exec; gives it back when nothing is pending.
    pub fn defer_exit(&mut self, pid: u32, exit: Event) -> Option<Event> {
        match self.pending_execs.get_mut(&pid) {
            Some(p) if p.exit.is_none() => {
                p.exit = Some(exit);
                None
            }
            _ => Some(exit),
        }
    }

    /// Events that waited longer than `older` for a snapshot: emitted as they are.
    pub fn stale_pending_execs(&mut self, older: Duration) -> Vec<Event> {
        let stale: Vec<u32> = self
            .pending_execs
            .iter()
            .filter(|(_, p)| p.at.elapsed() >= older)
            .map(|(p, _)| *p)
            .collect();
        stale
            .into_iter()
            .filter_map(|p| self.pending_execs.remove(&p))
            .flat_map(Pending::events)
            .collect()
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
                self.exec_snaps.remove(&pid);
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
