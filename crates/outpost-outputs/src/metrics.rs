//! Prometheus metrics, one time series per output (label `output`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The label set of every output metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutputLabels {
    /// Output name from the config.
    pub output: String,
}

/// The metric families, registered under the `outpost_output` prefix:
/// `outpost_output_sent_total`, `_retried_total`, `_dropped_total`, `_dead_lettered_total`,
/// `_queue_depth`, `_queue_bytes`, `_lag_seconds`.
#[derive(Clone, Default)]
pub struct Metrics {
    sent: Family<OutputLabels, Counter>,
    retried: Family<OutputLabels, Counter>,
    dropped: Family<OutputLabels, Counter>,
    dead_lettered: Family<OutputLabels, Counter>,
    queue_depth: Family<OutputLabels, Gauge>,
    queue_bytes: Family<OutputLabels, Gauge>,
    lag_seconds: Family<OutputLabels, Gauge<f64, AtomicU64>>,
}

impl Metrics {
    /// Creates the families and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Metrics {
        let m = Metrics::default();
        let r = registry.sub_registry_with_prefix("outpost_output");
        r.register(
            "sent",
            "Records delivered (acknowledged by the target)",
            m.sent.clone(),
        );
        r.register(
            "retried",
            "Records in delivery attempts that failed and will be retried",
            m.retried.clone(),
        );
        r.register(
            "dropped",
            "Records removed from the queue undelivered (size cap, corruption, undecodable)",
            m.dropped.clone(),
        );
        r.register(
            "dead_lettered",
            "Records the target rejected for good, written to the dead-letter file",
            m.dead_lettered.clone(),
        );
        r.register(
            "queue_depth",
            "Records queued and not yet delivered",
            m.queue_depth.clone(),
        );
        r.register(
            "queue_bytes",
            "Bytes of queue segment files on disk",
            m.queue_bytes.clone(),
        );
        r.register(
            "lag_seconds",
            "Age of the oldest record in the current delivery attempt (0 when idle)",
            m.lag_seconds.clone(),
        );
        m
    }

    /// The handles of one output.
    pub fn for_output(&self, name: &str) -> OutputMetrics {
        let l = OutputLabels {
            output: name.to_string(),
        };
        OutputMetrics {
            sent: self.sent.get_or_create(&l).clone(),
            retried: self.retried.get_or_create(&l).clone(),
            dropped: self.dropped.get_or_create(&l).clone(),
            dead_lettered: self.dead_lettered.get_or_create(&l).clone(),
            queue_depth: self.queue_depth.get_or_create(&l).clone(),
            queue_bytes: self.queue_bytes.get_or_create(&l).clone(),
            lag_seconds: self.lag_seconds.get_or_create(&l).clone(),
        }
    }
}

/// One output's metric handles (cheap to clone; clones share the values).
#[derive(Clone, Debug, Default)]
pub struct OutputMetrics {
    /// Delivered records.
    pub sent: Counter,
    /// Records in failed attempts.
    pub retried: Counter,
    /// Records dropped undelivered.
    pub dropped: Counter,
    /// Records dead-lettered.
    pub dead_lettered: Counter,
    /// Queue depth.
    pub queue_depth: Gauge,
    /// Queue size on disk.
    pub queue_bytes: Gauge,
    /// Delivery lag.
    pub lag_seconds: Gauge<f64, AtomicU64>,
}
