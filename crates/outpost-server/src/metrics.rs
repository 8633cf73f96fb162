//! Prometheus metrics of the server, exposed at `/metrics`.

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::OnceLock;

/// The label of per-code counters; `outpost_api_errors` itself is `outpost-api`'s.
pub use outpost_api::CodeLabel;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: &'static str,
}

/// A labelled family that `/metrics` lists (its `# HELP` and `# TYPE`) before its first
/// sample too, so a scraper, an alert rule and the metrics reference see every metric the
/// server has from the start (OpenMetrics allows a family without samples; the encoder of
/// `prometheus-client` otherwise leaves an empty family out).
#[derive(Debug)]
pub struct Listed<F>(pub F);

impl<F: EncodeMetric> EncodeMetric for Listed<F> {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }

    fn is_empty(&self) -> bool {
        false
    }
}

/// Declares each metric of the server once: its field of [`Metrics`] (documented by its help
/// text), its initial value (`Default`, unless one is given after the help) and its
/// registration by [`register`] under its name, [`Listed`] from the start.
macro_rules! server_metrics {
    ($($field:ident: $ty:ty = $name:literal, $help:literal $(, $init:expr)?;)*) => {
        /// The server's metric handles.
        pub struct Metrics {
            $(#[doc = $help] pub $field: $ty,)*
        }

        impl Metrics {
            fn new() -> Metrics {
                Metrics { $($field: server_metrics!(@init $($init)?),)* }
            }
        }

        /// Registers the metrics in `registry`.
        pub fn register(registry: &mut Registry) {
            let m = metrics();
            $(registry.register($name, $help, Listed(m.$field.clone()));)*
        }
    };
    (@init) => { Default::default() };
    (@init $init:expr) => { $init };
}

server_metrics! {
    hits_stored: Counter = "outpost_hits_stored", "Hits stored from agent uploads";
    batches: Family<ResultLabel, Counter> = "outpost_hit_batches", "Hit batches received, by result (stored, duplicate, rejected)";
    api_errors: Family<CodeLabel, Counter> = "outpost_api_errors", "API error responses, by error code", outpost_api::error_counter().clone();
    enrollments: Counter = "outpost_enrollments", "Devices enrolled";
    releases_uploaded: Family<ResultLabel, Counter> = "outpost_releases_uploaded", "Agent release uploads, by result";
    update_reports: Family<CodeLabel, Counter> = "outpost_update_reports", "Agent self-update outcomes reported at check-in, by outcome";
    rollout_transitions: Family<ResultLabel, Counter> = "outpost_rollout_transitions", "Rollouts advanced, paused or completed by the server";
    rate_limited: Counter = "outpost_rate_limited", "Requests refused by a rate limit";
    checkins: Counter = "outpost_checkins", "Agent check-ins";
    password_checks: Family<ResultLabel, Counter> = "outpost_password_checks", "Argon2 password checks, by result (run, waited, busy)";
    password_checks_in_flight: Gauge = "outpost_password_checks_in_flight", "Argon2 password checks running now (at most one per CPU)";
    oidc_logins: Family<ResultLabel, Counter> = "outpost_oidc_logins", "OIDC sign-ins by result (ok, unmapped, disabled, invalid_token, state, provider_error)";
    oidc_jwks_refetches: Family<ResultLabel, Counter> = "outpost_oidc_jwks_refetches", "JWKS refetches after an ID token named an unknown key, by result (ok, error, throttled)";
    logins: Family<ResultLabel, Counter> = "outpost_logins", "UI login attempts, by result (ok, failed)";
    hit_state_changes: Counter = "outpost_hit_state_changes", "Hit state changes by analysts";
    hits_suppressed: Counter = "outpost_hits_suppressed", "Hits stored as suppressed because a suppression rule matched";
    events_received: Counter = "outpost_events_received", "Telemetry events received from devices (scored and forwarded, not stored)";
    alerts: Counter = "outpost_alerts", "Hits and telemetry events that became alerts (risk score at the tenant's threshold, or a rule's alert action)";
    output_records_queued: Counter = "outpost_output_records_queued", "Hit and alert records queued for the outputs (one per matching output)";
    hits_purged: Counter = "outpost_hits_purged", "Hits deleted by retention";
    tls_handshake_failures: Counter = "outpost_tls_handshake_failures", "TLS handshakes that failed or timed out";
    intel_bundles_built: Family<ResultLabel, Counter> = "outpost_intel_bundles_built", "Tenant intel bundles built, by result (ok, error)";
    intel_bundle_requests: Family<ResultLabel, Counter> = "outpost_intel_bundle_requests", "Intel bundle requests answered, by result (sent, not_modified)";
    intel_confirmations: Family<ResultLabel, Counter> = "outpost_intel_confirmations", "Addresses agents asked to confirm, by result (listed, not_listed)";
    intel_feed_loads: Family<ResultLabel, Counter> = "outpost_intel_feed_loads", "Global intel feed loads, by result (updated, not_modified, error)";
    event_alerts: Family<ResultLabel, Counter> = "outpost_event_alerts", "Alerts from telemetry events stored, by result (new, suppressed, learned)";
    sightings: Counter = "outpost_sightings", "STIX sightings stored";
    sightings_failed: Counter = "outpost_sightings_failed", "STIX sightings the database refused (their batch is refused too, and retried)";
    profile_syncs: Family<ResultLabel, Counter> = "outpost_profile_syncs", "Behaviour-profile synchronizations with the database, by result (ok, error)";
    profile_merges: Counter = "outpost_profile_merges", "Behaviour-profile changes merged into the database";
    stix_loads: Family<ResultLabel, Counter> = "outpost_stix_loads", "STIX indicator pattern (re)loads, by result (ok, error)";
    feed_models: Family<ResultLabel, Counter> = "outpost_feed_models", "Attack models of STIX intel feeds, by result (stored, unchanged, retired, not_a_model, error)";
    device_reports_pending: Gauge = "outpost_device_reports_pending", "Devices whose check-in or upload report waits for the next write";
    device_report_flushes: Family<ResultLabel, Counter> = "outpost_device_report_flushes", "Device report writes (one transaction for all pending devices), by result (ok, error)";
    device_reports_written: Counter = "outpost_device_reports_written", "Device check-in and upload reports written";
    intel_bundle_cache_evictions: Family<ResultLabel, Counter> = "outpost_intel_bundle_cache_evictions", "Tenant intel bundles evicted from the server's cache, by reason (capacity: more tenants than [intel] bundle_cache_tenants; idle: not requested for bundle_cache_idle_s)";
    intel_bundle_cache_entries: Gauge = "outpost_intel_bundle_cache_entries", "Tenant intel bundles held in the server's cache";
    unknown_fields: Family<BodyLabel, Counter> = "outpost_unknown_fields", "Fields of agent request bodies (checkin, hits, events, enroll) this server does not know: accepted and ignored (a newer agent), by body";
    fields_truncated: Family<BodyLabel, Counter> = "outpost_fields_truncated", "Fields of agent-sent events (hit samples, telemetry events) and hit names the server cut to its size limit (marked, see outpost_core::bound) instead of refusing the batch, by body";
    intel_lookup_failures: Counter = "outpost_intel_lookup_failures", "Hit and event batches scored without the tenant's indicators (domains, hashes, processes, addresses) because its intel could not be built (see the log)";
    hostname_mismatches: Counter = "outpost_hostname_mismatches", "Hit batches naming another hostname than the device's enrolled one; the enrolled one is stored";
    checkins_waiting: Gauge = "outpost_checkins_waiting", "Check-ins held open by long-poll";
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BodyLabel {
    pub body: &'static str,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The process-wide metrics (created on first use).
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(Metrics::new)
}

pub(crate) fn api_error(code: &str) {
    metrics()
        .api_errors
        .get_or_create(&CodeLabel {
            code: code.to_string(),
        })
        .inc();
}

/// Counts fields of an agent body this server does not know.
pub(crate) fn unknown_fields(body: &'static str, n: u64) {
    metrics()
        .unknown_fields
        .get_or_create(&BodyLabel { body })
        .inc_by(n);
}

/// Counts one event of a result-labelled family.
pub(crate) fn count(f: &Family<ResultLabel, Counter>, result: &'static str, n: u64) {
    f.get_or_create(&ResultLabel { result }).inc_by(n);
}

#[cfg(test)]
mod tests {
    /// Every metric the server registers is listed by `/metrics` from the start, samples or not
    /// (the metrics reference is generated from that text): a family registered without
    /// [`super::Listed`] (and with no series) fails here.
    #[test]
    fn every_registered_metric_is_listed_before_its_first_sample() {
        let registry = crate::base_registry();
        let debug = format!("{registry:?}");
        let registered: Vec<&str> = debug
            .split("Descriptor { name: \"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert!(registered.len() > 40, "{registered:?}");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        let missing: Vec<&&str> = registered
            .iter()
            .filter(|name| !text.contains(&format!("# HELP {name} ")))
            .collect();
        assert!(missing.is_empty(), "not listed by /metrics: {missing:?}");
    }
}
