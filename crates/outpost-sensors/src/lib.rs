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
//! | DNS | AF_PACKET tap of UDP port 53 (kernel BPF filter), process from the eBPF program | `dns` |
//!
//! Separately, [`capture`] is the optional rolling packet capture (AF_PACKET, TPACKET_V3) that
//! writes the pcap files the agent's `pcap` jobs cut flows from, and [`line`] is the agent's
//! buffer line format: the [`EventEncoder`] the daemon writes events with, and the in-place
//! readers of the agent's correlator, with the contract test between the two.
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
//! fork/exit and uid/gid/comm events in the kernel, the proc connector and DNS readers take
//! every queued datagram with one `recvmmsg` (`recv_batch.rs`), and every reader hands the
//! events of one read burst to the channel together (a consumer blocked on it is woken once per
//! burst). Between reads the paced readers (and the daemon's consumer, through [`pause`]) sleep
//! to a common tick, so that they wake together and share a wakeup's cost (`pace.rs`).
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

// Outside Linux only the configuration types, the encoder and the placeholders are used.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

pub mod capture;
mod config;
mod container;
mod counters;
pub mod dns;
pub mod line;
mod pace;

// The platform boundary of the sensors: the collectors are Linux's (netlink, eBPF, inotify,
// fanotify, /proc); elsewhere `start` runs none of them and says so in the capabilities.
#[cfg(target_os = "linux")]
mod dns_sensor;
#[cfg(target_os = "linux")]
mod emit;
#[cfg(target_os = "linux")]
mod fanotify;
#[cfg(target_os = "linux")]
mod fim;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod net;
#[cfg(target_os = "linux")]
mod netlink;
#[cfg(target_os = "linux")]
mod proc_connector;
#[cfg(target_os = "linux")]
mod process;
#[cfg(target_os = "linux")]
mod procfs;
#[cfg(target_os = "linux")]
mod recv_batch;
#[cfg(not(target_os = "linux"))]
mod unsupported;
#[cfg(target_os = "linux")]
mod users;

#[cfg(target_os = "linux")]
pub(crate) use linux::Shared;
#[cfg(target_os = "linux")]
pub use linux::{Sensors, start};
#[cfg(not(target_os = "linux"))]
pub use unsupported::{Sensors, start};

pub use capture::{Capture, CaptureConfig, CaptureCounters, CaptureError};
pub use config::{
    AccessConfig, ContainerConfig, DnsLimits, FileConfig, NetworkConfig, ProcessConfig,
    SensorConfig,
};
pub use container::{ContainerRuntime, parse_cgroup};
pub use counters::{DnsCounters, SensorCounters};
pub use line::EventEncoder;

/// How long a reader sleeps after draining its queue under a steady trickle of events (the
/// eBPF ring buffer, the proc connector socket, the daemon's event channel), so that one wakeup
/// takes a batch rather than one event. A wakeup costs ~50 µs of CPU on a virtual machine
/// (measured on the development VM: `docs/benchmarks/footprint.md`), more than handling the
/// events it brings; at 10 wakeups a second per reader the agent spends ~0.15 % of a core on
/// them. Bursts are not delayed: the eBPF program wakes its reader as soon as 32 KiB wait, and
/// the daemon's consumer does not pause when a quarter of its channel was waiting. The readers
/// pause with [`pause`], which ends on a common tick (a multiple of `READ_PAUSE`) so that they
/// wake together and share a wakeup's cost (see `pace.rs`).
pub const READ_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

pub use pace::pause;
#[cfg(target_os = "linux")]
pub(crate) use pace::until_tick;

use serde::Serialize;
use std::collections::BTreeMap;

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
/// `connections`, `socket_inventory`, `files`, `file_access`, `containers`, `dns`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Status by collector name.
    pub collectors: BTreeMap<String, CollectorStatus>,
}

impl Capabilities {
    /// Collector `name` is off by configuration.
    pub(crate) fn disabled(&mut self, name: &str) {
        self.unavailable(name, "disabled by configuration".into());
    }

    /// Collector `name` does not run, for the reason `why`.
    pub(crate) fn unavailable(&mut self, name: &str, why: String) {
        self.set(name, false, "none", Some(why));
    }

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
