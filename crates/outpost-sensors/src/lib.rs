//! Outpost's live Linux telemetry.
//!
//! [`start`] launches one thread per collector and sends normalized [`outpost_core::Event`]s into
//! the caller's bounded channel:
//!
//! | collector | mechanism (fallback) | event kinds |
//! | --- | --- | --- |
//! | processes | netlink proc connector (`/proc` polling) | `process_exec`, `process_fork`, `process_exit`, `process_inventory` |
//! | connections | eBPF BTF tracepoints + ring buffer, feature `ebpf` (sock_diag polling) | `network` |
//! | socket inventory | sock_diag | `network_inventory` |
//! | files | inotify with a persisted SHA-256 baseline | `file` |
//! | file access | fanotify | `file` (action `access`) |
//! | containers | `/proc/PID/cgroup` + mountinfo | `container_start`, `container_stop`, and `container` on every event |
//!
//! Separately, [`capture`] is the optional rolling packet capture (AF_PACKET, TPACKET_V3) that
//! writes the pcap files the agent's `pcap` jobs cut flows from.
//!
//! No kernel reader ever blocks on the channel: when it is full the event is dropped and counted
//! (see [`SensorCounters`]). Every collector that cannot run says why in [`Capabilities`] and, where
//! possible, falls back to a weaker mechanism.
//!
//! The eBPF program (`bpf/conn.bpf.c`) uses only `tp_btf` programs (`inet_sock_set_state`,
//! `net_dev_queue`, `sock_send_length`, `sock_recv_length`, `sched_process_exec`): they need a
//! kernel with BTF but neither kprobes, ftrace trampolines (fentry/fexit/LSM) nor tracefs. It
//! also snapshots every exec (image, argv, uid/euid/gid, cgroup id, start time): the exec events
//! of the proc connector are built from that snapshot without reading `/proc/PID/{stat,status,
//! cmdline,cgroup}` (only the `exe` and `cwd` links of a process still alive, and the cgroup file
//! once per new cgroup on cgroup v2 hosts), so a process gone before `/proc` could be read still
//! has its `exe`, `args`, user and container, on its exec and exit events and on the
//! connections it made. The proc connector socket has a classic BPF filter that drops thread
//! fork/exit and uid/gid/comm events in the kernel, and every reader hands the events of one read
//! burst to the channel together (a consumer blocked on it is woken once per burst).
//!
//! Memory: a `std::sync::mpsc::sync_channel` preallocates its slots and an [`Event`] is about
//! 1 KiB, so the caller's channel capacity is the largest single memory item (2048 ≈ 2 MiB).
//!
//! ```no_run
//! let (tx, rx) = std::sync::mpsc::sync_channel(2048);
//! let sensors = outpost_sensors::start(outpost_sensors::SensorConfig::default(), tx)?;
//! for (name, status) in &sensors.capabilities().collectors {
//!     if let Some(note) = &status.note {
//!         eprintln!("{name}: {note}");
//!     }
//! }
//! while let Ok(event) = rx.recv_timeout(std::time::Duration::from_secs(1)) {
//!     println!("{}", serde_json::to_string(&event).unwrap_or_default());
//! }
//! eprintln!("{:?}", sensors.counters());
//! sensors.stop();
//! # Ok::<(), outpost_sensors::SensorError>(())
//! ```

pub mod capture;
mod config;
mod container;
mod counters;
mod emit;
mod fanotify;
mod fim;
mod jsonl;
mod net;
mod netlink;
mod proc_connector;
mod process;
mod procfs;
mod users;

pub use capture::{Capture, CaptureConfig, CaptureCounters, CaptureError};
pub use config::{
    AccessConfig, ContainerConfig, FileConfig, NetworkConfig, ProcessConfig, SensorConfig,
};
pub use container::{ContainerRuntime, parse_cgroup};
pub use counters::SensorCounters;
pub use jsonl::EventEncoder;

/// How long a reader sleeps after draining its queue under a steady trickle of events (the
/// eBPF ring buffer, the proc connector socket, the daemon's event channel), so that one wakeup
/// takes a batch rather than one event. A wakeup costs ~50 µs of CPU on a virtual machine
/// (measured on the development VM: `docs/benchmarks/footprint.md`), more than handling the
/// events it brings; at 10 wakeups a second per reader the agent spends ~0.15 % of a core on
/// them. Bursts are not delayed: the eBPF program wakes its reader as soon as 32 KiB wait, and
/// the daemon's consumer does not pause when a quarter of its channel was waiting.
pub const READ_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

use counters::Counters;
use emit::Emitter;
use outpost_core::Event;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Errors of [`start`].
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// The configuration is inconsistent (bad glob, zero-sized cache, …).
    #[error("invalid sensor configuration: {0}")]
    Config(String),
    /// A collector thread could not be spawned.
    #[error("cannot spawn the {collector} thread: {source}")]
    Spawn {
        collector: &'static str,
        source: std::io::Error,
    },
    /// The state directory for the file-integrity baseline is unusable.
    #[error("state directory {path}: {source}")]
    StateDir {
        path: String,
        source: std::io::Error,
    },
    /// No collector at all could run.
    #[error("no sensor could start: {0}")]
    NothingRuns(String),
}

/// Whether one collector runs and, if not or only partly, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectorStatus {
    /// True when the collector delivers events (possibly through its fallback).
    pub running: bool,
    /// The mechanism in use (`proc_connector`, `procfs_poll`, `ebpf`, `sock_diag_poll`, …) or `none`.
    pub mechanism: String,
    /// What cannot be seen and why, in words an operator can act on; `None` when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What this agent can and cannot see, per collector (`processes`, `process_inventory`,
/// `connections`, `socket_inventory`, `files`, `file_access`, `containers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Status by collector name.
    pub collectors: BTreeMap<String, CollectorStatus>,
}

impl Capabilities {
    pub(crate) fn set(&mut self, name: &str, running: bool, mechanism: &str, note: Option<String>) {
        if let Some(n) = &note {
            if running {
                tracing::warn!(collector = name, mechanism, "{n}");
            } else {
                tracing::error!(collector = name, "{n}");
            }
        }
        self.collectors.insert(
            name.to_string(),
            CollectorStatus {
                running,
                mechanism: mechanism.to_string(),
                note,
            },
        );
    }

    /// The status of one collector.
    pub fn get(&self, name: &str) -> Option<&CollectorStatus> {
        self.collectors.get(name)
    }
}

/// Shared state of the running sensors.
pub(crate) struct Shared {
    pub stop: AtomicBool,
    /// An eventfd that becomes readable when the sensors stop, so that a reader blocked in
    /// poll(2) can sleep long while idle and still stop at once (`None` if eventfd failed:
    /// readers then notice `stop` at their next timeout).
    pub stop_fd: Option<std::os::fd::OwnedFd>,
    pub counters: Counters,
    pub procs: Mutex<process::ProcessTable>,
    pub users: users::Users,
}

impl Shared {
    /// Waits up to `timeout` until `fd` is readable or the sensors stop; whether `fd` is
    /// readable.
    pub fn wait_readable(&self, fd: std::os::fd::RawFd, timeout: std::time::Duration) -> bool {
        use std::os::fd::AsRawFd;
        let mut fds = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                // poll(2) ignores a negative descriptor.
                fd: self.stop_fd.as_ref().map_or(-1, |f| f.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is an array of two valid pollfd structures.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        r > 0 && fds[0].revents & libc::POLLIN != 0
    }

    fn signal_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(f) = &self.stop_fd {
            use std::os::fd::AsRawFd;
            let one: u64 = 1;
            // SAFETY: writes the 8 bytes of `one` to an eventfd we own; a failure (counter
            // full) still leaves it readable, which is all the readers need.
            unsafe { libc::write(f.as_raw_fd(), (&raw const one).cast(), 8) };
        }
    }
}

/// A non-blocking eventfd, or `None` when the kernel refuses one.
fn eventfd() -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: eventfd takes no pointers; a non-negative result is a new descriptor we own.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    // SAFETY: `fd` is a freshly created descriptor owned by nobody else.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// The running sensors. Dropping it without [`Sensors::stop`] leaves the threads running until the
/// receiver is dropped and the process exits; call `stop` for an orderly shutdown.
pub struct Sensors {
    shared: Arc<Shared>,
    caps: Capabilities,
    threads: Vec<JoinHandle<()>>,
    stoppers: Vec<Box<dyn FnOnce() + Send>>,
}

impl Sensors {
    /// A snapshot of the counters (events by kind, drops by reason, queue depths, lost kernel
    /// events, cache sizes).
    pub fn counters(&self) -> SensorCounters {
        let procs = self
            .shared
            .procs
            .lock()
            .map(|p| p.stats())
            .unwrap_or_default();
        self.shared.counters.snapshot(procs)
    }

    /// What runs, with which mechanism, and what cannot be seen.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Stops every collector, persists the file baseline and joins the threads (within ~0.5 s).
    pub fn stop(self) {
        self.shared.signal_stop();
        for s in self.stoppers {
            s();
        }
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Tunes glibc's allocator for the agent; call it early, before the sensor threads start (the
/// agent daemon and the footprint benchmark's runner both do): two malloc arenas instead of one
/// per thread, so the sensor threads do not each keep an arena's worth of memory
/// (fragmentation across threads).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator parameter (under glibc's own lock, so it is
    // thread-safe); glibc refuses invalid values (return value 0), which is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the allocator's free pages to the system (glibc's `malloc_trim`): for a daemon after
/// a burst of allocations (the agent's periodic correlation pass loads the hotlist and reads the
/// buffer), which glibc would otherwise keep mapped as free heap. No-op elsewhere.
pub fn trim_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory under the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Starts every enabled collector. Events go to `tx`; when it is full they are dropped and
/// counted, never waited for. Returns an error only when the configuration is invalid or nothing
/// at all can run; partial failures are reported in [`Sensors::capabilities`].
pub fn start(config: SensorConfig, tx: SyncSender<Event>) -> Result<Sensors, SensorError> {
    config.validate()?;
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        stop_fd: eventfd(),
        counters: Counters::default(),
        procs: Mutex::new(process::ProcessTable::new(
            &config.processes,
            &config.containers,
        )),
        users: users::Users::load(),
    });
    let emitter = Emitter::new(tx, Arc::clone(&shared));
    let mut caps = Capabilities::default();
    let mut threads = Vec::new();
    let mut stoppers: Vec<Box<dyn FnOnce() + Send>> = Vec::new();

    // Files first: container starts found by the process collector are forwarded to it.
    let (fim_tx, fim_rx) = std::sync::mpsc::sync_channel::<fim::ContainerNote>(256);
    let fim_started = fim::start(&config, emitter.clone(), fim_rx, &mut caps)?;
    if let Some(t) = fim_started {
        threads.push(t);
    }
    if let Some(t) = fanotify::start(&config, emitter.clone(), &mut caps)? {
        threads.push(t);
    }
    if let Some(t) = proc_connector::start(&config, emitter.clone(), fim_tx, &mut caps)? {
        threads.push(t);
    }
    let net_started = net::start(&config, emitter.clone(), &mut caps)?;
    threads.extend(net_started.threads);
    stoppers.extend(net_started.stoppers);

    if threads.is_empty() {
        let why = caps
            .collectors
            .iter()
            .filter_map(|(k, v)| v.note.as_ref().map(|n| format!("{k}: {n}")))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(SensorError::NothingRuns(why));
    }
    Ok(Sensors {
        shared,
        caps,
        threads,
        stoppers,
    })
}

/// Effective uid of this process (0 = root).
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
