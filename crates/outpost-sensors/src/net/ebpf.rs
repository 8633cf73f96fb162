//! The eBPF connection sensor: loads `bpf/conn.bpf.c` (BTF tracepoints `inet_sock_set_state` and
//! `net_dev_queue`, `sock_send_length`, `sock_recv_length`, `sched_process_exec`) and reads its
//! ring buffer.

use super::{
    ConnKind, ExecRecord, attribute, conn_event, parse_conn_record, parse_exec_record, sockdiag,
};
use crate::counters::Drop;
use crate::dns_sensor::{PortOwner, PortOwners};
use crate::emit::{Batch, Emitter};
use crate::process::KernelExec;
use crate::procfs::{MonoClock, clk_tck};
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, MapHandle, RingBufferBuilder};
use outpost_core::{Direction, EventKind, NetworkAction, ProcessInfo, Protocol};
use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[allow(clippy::all, unsafe_op_in_unsafe_fn, dead_code, missing_docs)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/conn.skel.rs"));
}
use skel::ConnSkelBuilder;

/// TCP listening port → owning process, refreshed from sock_diag and `/proc/*/fd` on a miss (at
/// most every 500 ms) or when the cached owner is gone. Inbound connections become established
/// in softirq context, so this is how they are attributed.
#[derive(Default)]
struct Listeners {
    by_port: HashMap<u16, u32>,
    refreshed: Option<Instant>,
}

impl Listeners {
    fn owner(&mut self, em: &Emitter, port: u16) -> Option<u32> {
        if let Some(&pid) = self.by_port.get(&port)
            && alive(em, pid)
        {
            return Some(pid);
        }
        if self
            .refreshed
            .is_some_and(|t| t.elapsed() < Duration::from_millis(500))
        {
            return None;
        }
        self.refreshed = Some(Instant::now());
        let socks = sockdiag::dump(Protocol::Tcp).unwrap_or_default();
        let owners = sockdiag::inode_owners();
        self.by_port = socks
            .iter()
            .filter(|s| s.state == sockdiag::TCP_LISTEN)
            .filter_map(|s| owners.get(&s.inode).map(|pid| (s.local_port, *pid)))
            .collect();
        self.by_port.get(&port).copied()
    }
}

/// Whether `pid` still runs: the process table knows it (its exit is recorded by the process
/// collector), else `/proc` is asked. Asked for every inbound connection, so the common case
/// costs no system call.
fn alive(em: &Emitter, pid: u32) -> bool {
    let known = em
        .shared
        .procs
        .lock()
        .ok()
        .and_then(|t| t.get(pid).map(|p| p.exited.is_none()));
    known.unwrap_or_else(|| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Turns a kernel exec record into a snapshot for the process table (no system calls: the
/// table resolves the image path and the container).
fn kernel_exec(em: &Emitter, r: ExecRecord, clock: MonoClock) -> KernelExec {
    let ExecRecord {
        ts_ns,
        pid,
        ppid,
        uid,
        gid,
        euid,
        egid: _,
        cgroup_id,
        start_boottime,
        comm,
        filename,
        args,
        args_truncated,
    } = r;
    // /proc/PID/stat's start time: start_boottime in clock ticks.
    let ticks = start_boottime / (1_000_000_000 / clk_tck());
    KernelExec {
        info: ProcessInfo {
            pid,
            name: Some(comm),
            exe: Some(filename),
            command_line: (!args.is_empty()).then(|| args.join(" ")),
            args,
            ppid: Some(ppid),
            uid: Some(uid),
            euid: Some(euid),
            gid: Some(gid),
            user: em.shared.users.name(uid),
            setuid: uid != euid,
            start_time: crate::procfs::start_time(ticks).or_else(|| Some(clock.to_utc(ts_ns))),
            entity_id: Some(format!("{pid}-{ticks}")),
            ..Default::default()
        },
        ts: ts_ns,
        cgroup_id,
        args_truncated,
    }
}

/// The reader's state between records: the listening-port owners and the clock of the
/// current read (see [`MonoClock`]).
struct Reader {
    listeners: Listeners,
    clock: MonoClock,
}

fn handle(em: &Emitter, rd: &mut Reader, data: &[u8], out: &mut Batch) {
    if let Some(r) = parse_exec_record(data) {
        let k = kernel_exec(em, r, rd.clock);
        if let Ok(mut t) = em.shared.procs.lock() {
            t.kernel_exec(k, &em.shared.users, &mut |e| out.push(e));
        }
        return;
    }
    let Some(r) = parse_conn_record(data) else {
        return;
    };
    let (process, container) = if r.kind == ConnKind::Accept && r.pid == 0 {
        match rd.listeners.owner(em, r.local_port) {
            Some(pid) => {
                let (p, c) = attribute(em, pid, None, None);
                (Some(p), c)
            }
            None => (None, None),
        }
    } else {
        let (p, c) = attribute(em, r.pid, Some(&r.comm()), Some(r.uid));
        (Some(p), c)
    };
    let (direction, action) = match r.kind {
        ConnKind::Connect => (Direction::Outbound, NetworkAction::Allowed),
        ConnKind::ConnectFailed => (Direction::Outbound, NetworkAction::Attempted),
        ConnKind::Accept => (Direction::Inbound, NetworkAction::Allowed),
        ConnKind::UdpSend => (Direction::Outbound, NetworkAction::Allowed),
    };
    let ev = conn_event(
        rd.clock.to_utc(r.ts_ns),
        EventKind::Network,
        "ebpf",
        direction,
        r.protocol,
        (r.local, r.local_port),
        (r.remote, r.remote_port),
        action,
        process,
        container,
    );
    out.push(ev);
}

/// The sensor thread, its stop hook and the DNS sensor's lookup of the process that last sent
/// to port 53 from a local UDP port (or why there is none).
type Started = (
    JoinHandle<()>,
    Box<dyn FnOnce() + Send>,
    Result<PortOwners, String>,
);

/// The DNS sensor's process lookup: the program's `dns_ports` map, (family, local UDP port)
/// → `struct task_id` of the last process that sent a datagram to port 53 from it.
fn port_owners(map: MapHandle) -> PortOwners {
    Box::new(move |family: u16, port: u16| {
        let mut key = [0u8; 4];
        key[..2].copy_from_slice(&family.to_ne_bytes());
        key[2..].copy_from_slice(&port.to_ne_bytes());
        let v = map.lookup(&key, MapFlags::ANY).ok().flatten()?;
        let u32_at = |o: usize| crate::netlink::u32_at(&v, o);
        let comm = v.get(16..32)?;
        let end = comm.iter().position(|c| *c == 0).unwrap_or(comm.len());
        Some(PortOwner {
            pid: u32_at(0)?,
            uid: u32_at(8)?,
            comm: String::from_utf8_lossy(&comm[..end]).into_owned(),
        })
    })
}

/// Waits until the ring buffer's epoll descriptor is readable or the readers' next tick;
/// `false` on an error other than an interruption (`errno` tells which).
fn wait_until_tick(epoll_fd: i32) -> bool {
    // At most a period and a half.
    let ts = crate::pace::timespec(crate::until_tick().as_nanos());
    let mut fd = libc::pollfd {
        fd: epoll_fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd and a valid timeout; no signal mask is changed.
    let r = unsafe { libc::ppoll(&mut fd, 1, &ts, std::ptr::null()) };
    r >= 0 || std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
}

/// Loads and attaches the program in its own thread; returns once it runs (or why it cannot).
pub(crate) fn start(em: Emitter) -> Result<Started, String> {
    type Ready = Result<Result<MapHandle, String>, String>;
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<Ready>(1);
    let t = std::thread::Builder::new()
        .name("outpost-ebpf".into())
        .spawn(move || {
            let mut obj = MaybeUninit::uninit();
            let skel = ConnSkelBuilder::default()
                .open(&mut obj)
                .and_then(|o| o.load())
                .and_then(|mut s| s.attach().map(|()| s));
            let skel = match skel {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!(
                        "eBPF sensor failed to load ({e}; it needs CAP_BPF and CAP_PERFMON or root, and a kernel with BTF (/sys/kernel/btf/vmlinux))"
                    )));
                    return;
                }
            };
            let em2 = em.clone();
            let mut reader = Reader {
                listeners: Listeners::default(),
                clock: MonoClock::now(),
            };
            // The clocks are read once per turn of the loop, not per record: a record's time is
            // converted with their offset, which a turn does not change (see `MonoClock`).
            let clock = std::rc::Rc::new(std::cell::Cell::new(MonoClock::now()));
            let clock2 = std::rc::Rc::clone(&clock);
            // Events of one ring-buffer read go to the channel together.
            let batch = std::rc::Rc::new(std::cell::RefCell::new(Batch::new(em.clone())));
            let batch2 = std::rc::Rc::clone(&batch);
            let mut b = RingBufferBuilder::new();
            if let Err(e) = b.add(&skel.maps.events, move |d: &[u8]| {
                reader.clock = clock2.get();
                if let Ok(mut out) = batch2.try_borrow_mut() {
                    handle(&em2, &mut reader, d, &mut out);
                }
                0
            }) {
                let _ = ready_tx.send(Err(format!("eBPF ring buffer: {e}")));
                return;
            }
            let rb = match b.build() {
                Ok(rb) => rb,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("eBPF ring buffer: {e}")));
                    return;
                }
            };
            if let Ok(mut t) = em.shared.procs.lock() {
                t.kernel_exec_active = true;
            }
            let dns_ports = MapHandle::try_from(&skel.maps.dns_ports)
                .map_err(|e| format!("eBPF map dns_ports: {e}"));
            let _ = ready_tx.send(Ok(dns_ports));
            let mut lost_seen = 0u64;
            let mut last = Instant::now();
            let epoll_fd = rb.epoll_fd();
            while !em.stopped() {
                // The program wakes us only when 32 KiB are waiting; otherwise read on the
                // readers' common tick (every `READ_PAUSE`, see `pace.rs`), to the
                // nanosecond: epoll's millisecond timeout would wake us apart from the others.
                if !wait_until_tick(epoll_fd) {
                    tracing::warn!(
                        "eBPF ring buffer poll: {}",
                        std::io::Error::last_os_error()
                    );
                    std::thread::sleep(Duration::from_millis(100));
                }
                // Records submitted with or without a wakeup are read here.
                clock.set(MonoClock::now());
                let _ = rb.consume();
                if let Ok(mut out) = batch.try_borrow_mut() {
                    out.flush();
                }
                if last.elapsed() >= Duration::from_secs(1) {
                    last = Instant::now();
                    let lost = skel
                        .maps
                        .lost
                        .lookup(&0u32.to_ne_bytes(), MapFlags::ANY)
                        .ok()
                        .flatten()
                        .and_then(|v| v.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_ne_bytes))
                        .unwrap_or(lost_seen);
                    if lost > lost_seen {
                        em.count_drop(Drop::RingbufFull, lost - lost_seen);
                        lost_seen = lost;
                    }
                }
            }
            // Drain what is left so that nothing accepted by the kernel is lost on stop.
            let _ = rb.consume();
            if let Ok(mut out) = batch.try_borrow_mut() {
                out.flush();
            }
        })
        .map_err(|e| format!("cannot spawn the eBPF thread: {e}"))?;
    match ready_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(dns_ports)) => Ok((t, Box::new(|| {}), dns_ports.map(port_owners))),
        Ok(Err(e)) => {
            let _ = t.join();
            Err(e)
        }
        Err(_) => Err("eBPF sensor did not start within 30 s".into()),
    }
}

/// The committed skeleton (`bpf/conn.skel.rs`, what a machine without clang builds with) is
/// the reproducible clang build of `bpf/conn.bpf.c`: when this crate was built with clang, the
/// skeleton it generated must equal the committed one byte for byte.
#[cfg(test)]
mod skeleton {
    const BUILT: &str = include_str!(concat!(env!("OUT_DIR"), "/conn.skel.rs"));
    const COMMITTED: &str = include_str!("../../bpf/conn.skel.rs");

    #[test]
    fn committed_is_reproducible() {
        if cfg!(outpost_bpf_from_source) {
            if let Some((i, (b, c))) = BUILT
                .lines()
                .zip(COMMITTED.lines())
                .enumerate()
                .find(|(_, (b, c))| b != c)
            {
                panic!(
                    "bpf/conn.skel.rs differs from this clang build at line {}:\n  built:     {b:.200}\n  committed: {c:.200}\nrun scripts/bpf-skeleton.sh",
                    i + 1
                );
            }
            assert_eq!(
                BUILT.len(),
                COMMITTED.len(),
                "bpf/conn.skel.rs differs from this clang build in length: run scripts/bpf-skeleton.sh"
            );
        } else {
            // Built from the committed skeleton (no clang): build.rs checked its source hash.
            assert_eq!(BUILT, COMMITTED);
            assert!(
                std::env::var("OUTPOST_REQUIRE_BPF_CLANG").as_deref() != Ok("1"),
                "OUTPOST_REQUIRE_BPF_CLANG=1 but this build used the committed skeleton (no clang)"
            );
        }
    }
}
