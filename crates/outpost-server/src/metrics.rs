//! Prometheus metrics of the server, exposed at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use std::sync::OnceLock;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: &'static str,
}

/// The server's metric handles.
pub struct Metrics {
    pub hits_stored: Counter,
    pub batches: Family<ResultLabel, Counter>,
    pub api_errors: Family<CodeLabel, Counter>,
    pub enrollments: Counter,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The process-wide metrics (created on first use).
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics {
        hits_stored: Counter::default(),
        batches: Family::default(),
        api_errors: Family::default(),
        enrollments: Counter::default(),
    })
}

/// Registers the metrics in `registry`.
pub fn register(registry: &mut Registry) {
    let m = metrics();
    registry.register(
        "outpost_hits_stored",
        "Hits stored from agent uploads",
        m.hits_stored.clone(),
    );
    registry.register(
        "outpost_hit_batches",
        "Hit batches received, by result (stored, duplicate, rejected)",
        m.batches.clone(),
    );
    registry.register(
        "outpost_api_errors",
        "API error responses, by error code",
        m.api_errors.clone(),
    );
    registry.register(
        "outpost_enrollments",
        "Devices enrolled",
        m.enrollments.clone(),
    );
}

pub(crate) fn api_error(code: &str) {
    metrics()
        .api_errors
        .get_or_create(&CodeLabel {
            code: code.to_string(),
        })
        .inc();
}
