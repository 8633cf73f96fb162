//! Prometheus metrics of the detection engines (registered by the server into its
//! `/metrics`; feature `metrics`).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::OnceLock;

/// Counters of the Sigma correlation engine (all rule sets and tenants together).
#[derive(Default)]
pub struct DetectMetrics {
    /// Live correlation groups dropped to stay within the state bound (their partial windows
    /// are lost: a correlation may then miss).
    pub correlation_evictions: Counter,
    /// Correlation rules that fired.
    pub correlations_fired: Counter,
    /// Correlation groups held (the last rule set that changed it).
    pub correlation_groups: Gauge,
}

static METRICS: OnceLock<DetectMetrics> = OnceLock::new();

/// The process-wide detection metrics.
pub fn metrics() -> &'static DetectMetrics {
    METRICS.get_or_init(DetectMetrics::default)
}

/// Registers the detection metrics (`outpost_detect_*`) in `registry`.
pub fn register(registry: &mut Registry) {
    let m = metrics();
    registry.register(
        "outpost_detect_correlation_evictions",
        "Live Sigma correlation groups dropped to stay within the state bound",
        m.correlation_evictions.clone(),
    );
    registry.register(
        "outpost_detect_correlations_fired",
        "Sigma correlation rules that fired",
        m.correlations_fired.clone(),
    );
    registry.register(
        "outpost_detect_correlation_groups",
        "Sigma correlation groups held in memory",
        m.correlation_groups.clone(),
    );
}
