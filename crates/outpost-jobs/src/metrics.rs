//! Prometheus metrics of the job queue (registered by the server into its `/metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::OnceLock;

/// The job kind a metric is about.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

/// Counters and gauges of the queue.
#[derive(Default)]
pub struct JobMetrics {
    /// Jobs created, by kind.
    pub created: Family<KindLabel, Counter>,
    /// Claims that handed a job to an agent.
    pub claimed: Counter,
    /// Jobs completed with a result.
    pub completed: Counter,
    /// Failures that put a job back in the queue for another attempt (after a backoff).
    pub retried: Counter,
    /// Jobs that failed for good (attempt limit reached, or a permanent failure).
    pub failed: Counter,
    /// Leases that ran out while an agent held a job (the agent stopped responding).
    pub leases_expired: Counter,
    /// Pending jobs that expired unclaimed.
    pub expired: Counter,
    /// Jobs deleted.
    pub deleted: Counter,
    /// Jobs waiting (status `pending`), sampled by the reaper.
    pub pending: Gauge,
    /// Jobs failed because their uploaded result went over `max_result_bytes`.
    pub results_too_large: Counter,
}

static METRICS: OnceLock<JobMetrics> = OnceLock::new();

/// The process-wide job metrics.
pub fn metrics() -> &'static JobMetrics {
    METRICS.get_or_init(JobMetrics::default)
}

/// Registers the job metrics (`outpost_jobs_*`) in `registry`.
pub fn register(registry: &mut Registry) {
    let m = metrics();
    // A series per known kind from the start: `/metrics` lists the family before the first
    // job, and `rate()` over a kind sees its zero.
    for kind in crate::model::KNOWN_KINDS {
        let _ = m.created.get_or_create(&KindLabel {
            kind: (*kind).to_string(),
        });
    }
    registry.register(
        "outpost_jobs_created",
        "Jobs created, by kind",
        m.created.clone(),
    );
    let counters = [
        (
            "outpost_jobs_claimed",
            "Jobs handed to an agent",
            &m.claimed,
        ),
        ("outpost_jobs_completed", "Jobs completed", &m.completed),
        (
            "outpost_jobs_retried",
            "Job failures put back in the queue for another attempt",
            &m.retried,
        ),
        ("outpost_jobs_failed", "Jobs failed for good", &m.failed),
        (
            "outpost_jobs_leases_expired",
            "Leases that ran out while an agent held the job",
            &m.leases_expired,
        ),
        (
            "outpost_jobs_expired",
            "Pending jobs that expired unclaimed",
            &m.expired,
        ),
        ("outpost_jobs_deleted", "Jobs deleted", &m.deleted),
        (
            "outpost_jobs_results_too_large",
            "Jobs failed because their result went over the server's max_result_bytes",
            &m.results_too_large,
        ),
    ];
    for (name, help, counter) in counters {
        registry.register(name, help, counter.clone());
    }
    registry.register(
        "outpost_jobs_pending",
        "Jobs waiting for their agent",
        m.pending.clone(),
    );
}
