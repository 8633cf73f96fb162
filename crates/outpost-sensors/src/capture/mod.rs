//! Outpost's own rolling packet capture (`[capture]` of `agent.toml`): an AF_PACKET socket with
//! a TPACKET_V3 ring on one interface, writing nanosecond pcap files into the directory the
//! agent's `pcap` jobs read.
//!
//! * Files rotate by size (`file_size_mb`) and time (`rotate_seconds`); Outpost's files in the
//!   directory are kept under `max_total_mb`, oldest deleted first (files of other writers,
//!   e.g. tcpdump's, are never deleted). See [`pcap`] for the naming and why a reader never
//!   sees a file without a complete header.
//! * Every loss is counted ([`CaptureCounters`]): packets the kernel dropped because the ring
//!   was full (`PACKET_STATISTICS`), packets that could not be written (`write_drops`), and
//!   records of a malformed ring block.
//! * On a loopback interface the kernel shows every packet twice, outgoing and incoming; the
//!   outgoing copy is skipped (as libpcap/tcpdump do) and counted as `loopback_duplicates`,
//!   so a capture on `lo` holds each packet once, like tcpdump's.

// The platform boundary of the capture: AF_PACKET on Linux, "unsupported" elsewhere.
#[cfg_attr(not(target_os = "linux"), path = "unsupported.rs")]
mod afpacket;
pub mod pcap;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub use pcap::RollLimits;

/// Capture errors.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The configuration is inconsistent.
    #[error("invalid [capture] configuration: {0}")]
    Config(String),
    /// The interface does not exist or cannot be captured on.
    #[error("interface {interface:?}: {reason}")]
    Interface { interface: String, reason: String },
    /// A socket call failed (EPERM without CAP_NET_RAW, EAFNOSUPPORT without AF_PACKET…).
    #[error("{what}: {source}")]
    Socket {
        what: &'static str,
        source: std::io::Error,
    },
    /// The capture directory is unusable.
    #[error("capture directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    /// A capture file could not be created or written.
    #[error("capture file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    /// The capture thread could not be spawned or panicked.
    #[error("capture thread: {0}")]
    Thread(String),
    /// Outpost's own capture needs Linux's AF_PACKET.
    #[error(
        "packet capture is unsupported on {0}: Outpost captures through Linux's AF_PACKET (a `pcap` job can still read a directory another capture tool writes)"
    )]
    Unsupported(&'static str),
}

impl CaptureError {
    /// True when the error means this host or process cannot use AF_PACKET at all (no
    /// CAP_NET_RAW, no packet socket support), as opposed to a configuration mistake.
    pub fn is_unavailable(&self) -> bool {
        #[cfg(unix)]
        let refused = |code| {
            matches!(
                code,
                Some(libc::EPERM | libc::EACCES | libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT)
            )
        };
        #[cfg(not(unix))]
        let refused = |_| false;
        match self {
            CaptureError::Unsupported(_) => true,
            CaptureError::Socket { source, .. } => refused(source.raw_os_error()),
            _ => false,
        }
    }
}

/// `[capture]` of `agent.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CaptureConfig {
    /// Start the capture with the daemon (`outpost agent run`).
    pub enabled: bool,
    /// Interface to capture on (`eth0`, `lo`, …).
    pub interface: String,
    /// The rolling capture directory; also what `pcap` jobs read when `[daemon] capture_dir`
    /// is not set.
    pub dir: Option<PathBuf>,
    /// Bytes kept of each packet (16–262144).
    pub snaplen: u32,
    /// A file is closed before it would grow past this many MiB.
    pub file_size_mb: u64,
    /// Outpost's files in `dir` are kept under this many MiB, oldest deleted first.
    pub max_total_mb: u64,
    /// A file is also closed this many seconds after it was opened (0: by size only).
    pub rotate_seconds: u64,
    /// Size of the kernel ring in MiB (1-MiB blocks); a full ring drops packets (counted).
    pub ring_mb: u32,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            enabled: false,
            interface: String::new(),
            dir: None,
            snaplen: 262_144,
            file_size_mb: 64,
            max_total_mb: 1024,
            rotate_seconds: 300,
            ring_mb: 8,
        }
    }
}

impl CaptureConfig {
    /// Checks the values; returns the directory.
    pub fn validate(&self) -> Result<PathBuf, CaptureError> {
        let bad = |m: &str| Err(CaptureError::Config(m.to_string()));
        if self.interface.is_empty() {
            return bad("interface is required");
        }
        let Some(dir) = self.dir.clone() else {
            return bad("dir is required");
        };
        if !(16..=262_144).contains(&self.snaplen) {
            return bad("snaplen must be between 16 and 262144");
        }
        if self.file_size_mb == 0 || self.file_size_mb > 1 << 20 {
            return bad("file_size_mb must be at least 1");
        }
        if self.max_total_mb < self.file_size_mb {
            return bad("max_total_mb must be at least file_size_mb");
        }
        if self.ring_mb == 0 || self.ring_mb > 1024 {
            return bad("ring_mb must be between 1 and 1024");
        }
        Ok(dir)
    }

    /// The rolling limits in bytes.
    pub fn limits(&self) -> RollLimits {
        RollLimits {
            file_size: self.file_size_mb.saturating_mul(1 << 20),
            max_total: self.max_total_mb.saturating_mul(1 << 20),
            rotate_after: (self.rotate_seconds > 0)
                .then(|| Duration::from_secs(self.rotate_seconds)),
        }
    }
}

/// The counters of a running capture.
#[derive(Debug, Default)]
pub struct Shared {
    pub(crate) stop: AtomicBool,
    pub(crate) packets: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) wire_bytes: AtomicU64,
    pub(crate) kernel_packets: AtomicU64,
    pub(crate) kernel_drops: AtomicU64,
    pub(crate) ring_freezes: AtomicU64,
    pub(crate) write_drops: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) loopback_duplicates: AtomicU64,
    pub(crate) files_opened: AtomicU64,
    pub(crate) files_rotated: AtomicU64,
    pub(crate) files_deleted: AtomicU64,
    pub(crate) bytes_deleted: AtomicU64,
    pub(crate) delete_errors: AtomicU64,
}

/// A snapshot of a capture's counters (check-in, `daemon-status.json`, `capture.prom`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaptureCounters {
    /// The interface captured on.
    pub interface: String,
    /// Packets written to capture files.
    pub packets: u64,
    /// Bytes of packet data written (after the snap length cut).
    pub bytes: u64,
    /// Bytes those packets had on the wire.
    pub wire_bytes: u64,
    /// Packets the kernel saw for this socket (drops included).
    pub kernel_packets: u64,
    /// Packets the kernel dropped because the ring was full (`PACKET_STATISTICS`).
    pub kernel_drops: u64,
    /// Times the ring was frozen full.
    pub ring_freezes: u64,
    /// Packets lost because a capture file could not be written.
    pub write_drops: u64,
    /// Records of ring blocks that did not parse (lost).
    pub malformed: u64,
    /// Outgoing copies of loopback packets skipped (not a loss: the incoming copy is kept).
    pub loopback_duplicates: u64,
    /// Sum of the losses: `kernel_drops + write_drops + malformed`.
    pub dropped_total: u64,
    /// Files opened.
    pub files_opened: u64,
    /// Files closed (by size, time or stop).
    pub files_rotated: u64,
    /// Old files deleted to keep the total under `max_total_mb`.
    pub files_deleted: u64,
    /// Bytes of those files.
    pub bytes_deleted: u64,
    /// Old files that could not be deleted.
    pub delete_errors: u64,
}

impl Shared {
    fn snapshot(&self, interface: &str) -> CaptureCounters {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (kernel_drops, write_drops, malformed) = (
            l(&self.kernel_drops),
            l(&self.write_drops),
            l(&self.malformed),
        );
        CaptureCounters {
            interface: interface.to_string(),
            packets: l(&self.packets),
            bytes: l(&self.bytes),
            wire_bytes: l(&self.wire_bytes),
            kernel_packets: l(&self.kernel_packets),
            kernel_drops,
            ring_freezes: l(&self.ring_freezes),
            write_drops,
            malformed,
            loopback_duplicates: l(&self.loopback_duplicates),
            dropped_total: kernel_drops + write_drops + malformed,
            files_opened: l(&self.files_opened),
            files_rotated: l(&self.files_rotated),
            files_deleted: l(&self.files_deleted),
            bytes_deleted: l(&self.bytes_deleted),
            delete_errors: l(&self.delete_errors),
        }
    }
}

impl CaptureCounters {
    /// The counters in the Prometheus text exposition format (for node_exporter's textfile
    /// collector: the daemon writes them to `capture.prom` in its data directory).
    pub fn prometheus_text(&self) -> String {
        let iface: String = self
            .interface
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "._-@:".contains(*c))
            .collect();
        let rows: [(&str, &str, u64); 13] = [
            ("packets", "Packets written to capture files.", self.packets),
            (
                "bytes",
                "Packet bytes written (after the snap length cut).",
                self.bytes,
            ),
            (
                "wire_bytes",
                "Wire bytes of the packets written.",
                self.wire_bytes,
            ),
            (
                "kernel_packets",
                "Packets the kernel saw for the capture socket, drops included.",
                self.kernel_packets,
            ),
            (
                "kernel_drops",
                "Packets the kernel dropped because the capture ring was full.",
                self.kernel_drops,
            ),
            (
                "write_drops",
                "Packets lost because a capture file could not be written.",
                self.write_drops,
            ),
            (
                "malformed",
                "Ring records that did not parse (lost).",
                self.malformed,
            ),
            (
                "dropped",
                "All lost packets (kernel, write, malformed).",
                self.dropped_total,
            ),
            (
                "loopback_duplicates",
                "Outgoing copies of loopback packets skipped.",
                self.loopback_duplicates,
            ),
            ("files_opened", "Capture files opened.", self.files_opened),
            (
                "files_rotated",
                "Capture files closed by size, time or stop.",
                self.files_rotated,
            ),
            (
                "files_deleted",
                "Old capture files deleted to stay under max_total_mb.",
                self.files_deleted,
            ),
            (
                "bytes_deleted",
                "Bytes of old capture files deleted.",
                self.bytes_deleted,
            ),
        ];
        let mut out = String::new();
        for (name, help, v) in rows {
            out.push_str(&format!(
                "# HELP outpost_capture_{name}_total {help}\n# TYPE outpost_capture_{name}_total counter\noutpost_capture_{name}_total{{interface=\"{iface}\"}} {v}\n"
            ));
        }
        out
    }
}

/// A running capture.
pub struct Capture {
    shared: Arc<Shared>,
    interface: String,
    dir: PathBuf,
    thread: Option<JoinHandle<Result<(), CaptureError>>>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("interface", &self.interface)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Opens the socket on `config.interface` (errors surface here: no such interface, no
/// CAP_NET_RAW…) and starts the capture thread. `config.enabled` is not looked at.
pub fn start(config: &CaptureConfig) -> Result<Capture, CaptureError> {
    start_with_limits(config, config.limits())
}

/// [`start`] with explicit rolling limits in bytes (tests, small devices).
pub fn start_with_limits(
    config: &CaptureConfig,
    limits: RollLimits,
) -> Result<Capture, CaptureError> {
    let dir = config.validate()?;
    let ring = afpacket::Ring::open(&config.interface, config.ring_mb, config.snaplen)?;
    let mut writer = pcap::RollingWriter::new(&dir, ring.iface.linktype, config.snaplen, limits)?;
    let shared = Arc::new(Shared::default());
    let s = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("outpost-capture".into())
        .spawn(move || {
            ring.run(&mut writer, &s);
            writer.finish(&s)
        })
        .map_err(|e| CaptureError::Thread(e.to_string()))?;
    tracing::info!(interface = %config.interface, dir = %dir.display(), snaplen = config.snaplen, "packet capture running");
    Ok(Capture {
        shared,
        interface: config.interface.clone(),
        dir,
        thread: Some(thread),
    })
}

impl Capture {
    /// The counters so far.
    pub fn counters(&self) -> CaptureCounters {
        self.shared.snapshot(&self.interface)
    }

    /// The capture directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Stops the capture (within ~0.2 s), closes the open file and returns the final counters.
    pub fn stop(mut self) -> Result<CaptureCounters, CaptureError> {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join()
                .map_err(|_| CaptureError::Thread("the capture thread panicked".into()))??;
        }
        Ok(self.counters())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
