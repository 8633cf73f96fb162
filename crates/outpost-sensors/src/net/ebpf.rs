//! The eBPF connection sensor: loads `bpf/conn.bpf.c` (BTF tracepoints `inet_sock_set_state` and
//! `net_dev_queue`, `sock_send_length`, `sock_recv_length`, `sched_process_exec`) and reads its
//! ring buffer.

use super::{
    ConnKind, ExecRecord, attribute, conn_event, parse_conn_record, parse_exec_record, sockdiag,
};
use crate::counters::Drop;
use crate::emit::Emitter;
use crate::procfs::mono_to_utc;
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, RingBufferBuilder};
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
    fn owner(&mut self, port: u16) -> Option<u32> {
        if let Some(&pid) = self.by_port.get(&port)
            && std::path::Path::new(&format!("/proc/{pid}")).exists()
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

/// Turns a kernel exec record into a process snapshot for the process table.
fn exec_snapshot(em: &Emitter, r: ExecRecord) -> ProcessInfo {
    let exe = if r.filename.starts_with('/') {
        std::fs::canonicalize(&r.filename)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or(r.filename)
    } else {
        r.filename
    };
    ProcessInfo {
        pid: r.pid,
        name: Some(r.comm),
        exe: Some(exe),
        command_line: (!r.args.is_empty()).then(|| r.args.join(" ")),
        args: r.args,
        ppid: Some(r.ppid),
        uid: Some(r.uid),
        gid: Some(r.gid),
        user: em.shared.users.name(r.uid),
        start_time: Some(mono_to_utc(r.ts_ns)),
        ..Default::default()
    }
}

fn handle(em: &Emitter, listeners: &mut Listeners, data: &[u8]) {
    if let Some(r) = parse_exec_record(data) {
        let snap = exec_snapshot(em, r);
        let done = em
            .shared
            .procs
            .lock()
            .map(|mut t| t.kernel_exec(snap))
            .unwrap_or_default();
        for ev in done {
            em.emit(ev);
        }
        return;
    }
    let Some(r) = parse_conn_record(data) else {
        return;
    };
    let (process, container) = if r.kind == ConnKind::Accept && r.pid == 0 {
        match listeners.owner(r.local_port) {
            Some(pid) => {
                let (p, c) = attribute(em, pid, None, None);
                (Some(p), c)
            }
            None => (None, None),
        }
    } else {
        let (p, c) = attribute(em, r.pid, Some(&r.comm), Some(r.uid));
        (Some(p), c)
    };
    let (direction, action) = match r.kind {
        ConnKind::Connect => (Direction::Outbound, NetworkAction::Allowed),
        ConnKind::ConnectFailed => (Direction::Outbound, NetworkAction::Attempted),
        ConnKind::Accept => (Direction::Inbound, NetworkAction::Allowed),
        ConnKind::UdpSend => (Direction::Outbound, NetworkAction::Allowed),
    };
    let ev = conn_event(
        mono_to_utc(r.ts_ns),
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
    em.emit(ev);
}

/// Loads and attaches the program in its own thread; returns once it runs (or why it cannot).
/// The sensor thread and its stop hook.
type Started = (JoinHandle<()>, Box<dyn FnOnce() + Send>);

pub(crate) fn start(em: Emitter) -> Result<Started, String> {
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<Result<(), String>>(1);
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
            let mut listeners = Listeners::default();
            let mut b = RingBufferBuilder::new();
            if let Err(e) = b.add(&skel.maps.events, move |d: &[u8]| {
                handle(&em2, &mut listeners, d);
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
            let _ = ready_tx.send(Ok(()));
            let mut lost_seen = 0u64;
            let mut last = Instant::now();
            while !em.stopped() {
                // The program wakes us only when 32 KiB are waiting; otherwise read every 50 ms.
                if let Err(e) = rb.poll(Duration::from_millis(50))
                    && !matches!(e.kind(), libbpf_rs::ErrorKind::Interrupted)
                {
                    tracing::warn!("eBPF ring buffer poll: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
                // poll() consumes only after a wakeup; records submitted without one are read here.
                let _ = rb.consume();
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
        })
        .map_err(|e| format!("cannot spawn the eBPF thread: {e}"))?;
    match ready_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(())) => Ok((t, Box::new(|| {}))),
        Ok(Err(e)) => {
            let _ = t.join();
            Err(e)
        }
        Err(_) => Err("eBPF sensor did not start within 30 s".into()),
    }
}
