//! Lock-free counters shared by the collector threads.

use outpost_core::EventKind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

fn kind_index(k: EventKind) -> usize {
    EventKind::ALL
        .iter()
        .position(|x| *x == k)
        .unwrap_or(EventKind::ALL.len() - 1)
}

/// Why an event was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drop {
    /// The caller's channel was full.
    QueueFull,
    /// The caller dropped its receiver.
    ReceiverGone,
    /// The proc connector socket overflowed (ENOBUFS): an unknown number of process events lost.
    ProcConnectorOverflow,
    /// The eBPF ring buffer was full: exact number of connection events lost in the kernel.
    RingbufFull,
    /// inotify queue overflow (IN_Q_OVERFLOW): an unknown number of file events lost.
    InotifyOverflow,
    /// fanotify queue overflow.
    FanotifyOverflow,
    /// A directory could not be watched because `max_watches` (or the kernel limit) was reached.
    WatchLimit,
    /// A file was not added to the baseline because `max_files` was reached.
    BaselineFull,
    /// A live process was evicted from the full process cache.
    ProcessCacheEvicted,
    /// A container was not tracked because `max_containers` was reached.
    ContainerLimit,
    /// A socket was not tracked by the polling fallback because its table was full.
    SocketTableFull,
    /// A note to the file collector about a new container was dropped.
    ContainerNoteDropped,
    /// A DNS query was emitted without waiting for its answer: the table of queries waiting
    /// for one was full (the answer, if any, is lost).
    DnsTableFull,
    /// The DNS sensor's socket buffer was full: exact number of port-53 datagrams the kernel
    /// dropped (`PACKET_STATISTICS`).
    DnsSocketOverflow,
}

const DROPS: [(Drop, &str); 14] = [
    (Drop::QueueFull, "queue_full"),
    (Drop::ReceiverGone, "receiver_gone"),
    (Drop::ProcConnectorOverflow, "proc_connector_overflow"),
    (Drop::RingbufFull, "ebpf_ringbuf_full"),
    (Drop::InotifyOverflow, "inotify_overflow"),
    (Drop::FanotifyOverflow, "fanotify_overflow"),
    (Drop::WatchLimit, "watch_limit"),
    (Drop::BaselineFull, "baseline_full"),
    (Drop::ProcessCacheEvicted, "process_cache_evicted"),
    (Drop::ContainerLimit, "container_limit"),
    (Drop::SocketTableFull, "socket_table_full"),
    (Drop::ContainerNoteDropped, "container_note_dropped"),
    (Drop::DnsTableFull, "dns_table_full"),
    (Drop::DnsSocketOverflow, "dns_socket_overflow"),
];

/// Kernel-side queues whose backlog is sampled.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Queue {
    ProcConnector,
    Inotify,
    Fanotify,
}

const QUEUES: [&str; 3] = ["proc_connector_bytes", "inotify_bytes", "fanotify_bytes"];

/// The internal counters.
#[derive(Default)]
pub(crate) struct Counters {
    events: [AtomicU64; EventKind::ALL.len()],
    drops: [AtomicU64; 14],
    queues: [AtomicU64; 3],
    sent: AtomicU64,
    /// Gauges set by the file collector.
    pub fim_watches: AtomicU64,
    pub fim_files: AtomicU64,
    pub dns: DnsAtomics,
}

/// Set by the DNS sensor.
#[derive(Default)]
pub(crate) struct DnsAtomics {
    pub queries: AtomicU64,
    pub answered: AtomicU64,
    pub unanswered: AtomicU64,
    pub malformed: AtomicU64,
    pub unattributed: AtomicU64,
    pub unmatched_answers: AtomicU64,
}

impl Counters {
    pub fn event(&self, k: EventKind) {
        self.events[kind_index(k)].fetch_add(1, Ordering::Relaxed);
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    pub fn drop(&self, d: Drop, n: u64) {
        if let Some(i) = DROPS.iter().position(|(x, _)| *x == d) {
            self.drops[i].fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn queue(&self, q: Queue, depth: u64) {
        self.queues[q as usize].store(depth, Ordering::Relaxed);
    }

    pub fn snapshot(&self, procs: ProcStats) -> SensorCounters {
        let events = EventKind::ALL
            .iter()
            .zip(&self.events)
            .map(|(k, v)| (k.as_str().to_string(), v.load(Ordering::Relaxed)))
            .filter(|(_, v)| *v > 0)
            .collect();
        let drops: BTreeMap<String, u64> = DROPS
            .iter()
            .zip(&self.drops)
            .map(|((_, name), v)| (name.to_string(), v.load(Ordering::Relaxed)))
            .collect();
        let lost_kernel_events = [
            "proc_connector_overflow",
            "ebpf_ringbuf_full",
            "inotify_overflow",
            "fanotify_overflow",
            "dns_socket_overflow",
        ]
        .iter()
        .filter_map(|k| drops.get(*k))
        .sum();
        let dropped_total = drops.values().sum();
        let dns_table_full = drops.get("dns_table_full").copied().unwrap_or(0);
        SensorCounters {
            events,
            events_sent: self.sent.load(Ordering::Relaxed),
            drops,
            dropped_total,
            lost_kernel_events,
            queue_depth: QUEUES
                .iter()
                .zip(&self.queues)
                .map(|(k, v)| (k.to_string(), v.load(Ordering::Relaxed)))
                .collect(),
            process_cache: procs.processes,
            containers: procs.containers,
            fim_watches: self.fim_watches.load(Ordering::Relaxed),
            fim_files: self.fim_files.load(Ordering::Relaxed),
            dns: DnsCounters {
                queries: self.dns.queries.load(Ordering::Relaxed),
                answered: self.dns.answered.load(Ordering::Relaxed),
                unanswered: self.dns.unanswered.load(Ordering::Relaxed),
                malformed: self.dns.malformed.load(Ordering::Relaxed),
                unattributed: self.dns.unattributed.load(Ordering::Relaxed),
                unmatched_answers: self.dns.unmatched_answers.load(Ordering::Relaxed),
                table_full: dns_table_full,
            },
        }
    }
}

/// Sizes of the process table, for [`SensorCounters`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ProcStats {
    pub processes: u64,
    pub containers: u64,
}

/// A snapshot of the sensors' counters, reported at check-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SensorCounters {
    /// Events delivered to the channel, by kind (`process_exec`, `network`, …).
    pub events: BTreeMap<String, u64>,
    /// Total events delivered.
    pub events_sent: u64,
    /// Events (or notes) not delivered, by reason (`queue_full`, `ebpf_ringbuf_full`, …); every
    /// reason is listed, zeros included.
    pub drops: BTreeMap<String, u64>,
    /// Sum of `drops`.
    pub dropped_total: u64,
    /// Events lost inside the kernel (ring buffer full: exact; netlink/inotify/fanotify queue
    /// overflows: one per overflow, the number of events in it is unknown; DNS socket buffer
    /// full: exact number of datagrams).
    pub lost_kernel_events: u64,
    /// Last sampled backlog of the kernel queues the collectors read, in bytes.
    pub queue_depth: BTreeMap<String, u64>,
    /// Processes in the enrichment cache (live and recently exited).
    pub process_cache: u64,
    /// Containers with at least one live process.
    pub containers: u64,
    /// Directories watched by the file collector.
    pub fim_watches: u64,
    /// Files in the integrity baseline.
    pub fim_files: u64,
    /// The DNS sensor's counters.
    pub dns: DnsCounters,
}

/// What the DNS sensor saw (see `dns_sensor.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DnsCounters {
    /// Queries leaving the host (retransmissions of a waiting query not counted).
    pub queries: u64,
    /// Queries whose answer was seen within the wait.
    pub answered: u64,
    /// Queries emitted without an answer (none came within the wait, the table was full, or
    /// the sensor stopped).
    pub unanswered: u64,
    /// Port-53 datagrams that are not a decodable DNS message (bad IP/UDP header, bad message).
    pub malformed: u64,
    /// Queries whose process is unknown (no eBPF, or the sender was not recorded).
    pub unattributed: u64,
    /// Answers to no query waiting (late, or to a query sent before the sensor started).
    pub unmatched_answers: u64,
    /// Queries emitted at once because the table of waiting queries was full (also in
    /// `drops.dns_table_full`).
    pub table_full: u64,
}
