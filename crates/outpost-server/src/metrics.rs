//! Prometheus metrics of the server, exposed at `/metrics`.

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
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

/// The server's metric handles.
pub struct Metrics {
    pub hits_stored: Counter,
    pub batches: Family<ResultLabel, Counter>,
    pub api_errors: Family<CodeLabel, Counter>,
    pub enrollments: Counter,
    pub rate_limited: Counter,
    pub checkins: Counter,
    pub logins: Family<ResultLabel, Counter>,
    /// OIDC sign-ins by result (`ok`, `unmapped`, `disabled`, `invalid_token`, `state`,
    /// `provider_error`).
    pub oidc_logins: Family<ResultLabel, Counter>,
    /// JWKS refetches after an ID token named an unknown key (`ok`, `error`, `throttled`).
    pub oidc_jwks_refetches: Family<ResultLabel, Counter>,
    pub hit_state_changes: Counter,
    pub hits_suppressed: Counter,
    /// Telemetry events received (`POST /api/v1/events`).
    pub events_received: Counter,
    /// Hits stored as alerts (score at or above the tenant's threshold, or a rule's alert).
    pub alerts: Counter,
    /// Records queued for the outputs (hits and alerts, per matching output).
    pub output_records_queued: Counter,
    pub hits_purged: Counter,
    /// Check-ins currently held open by long-poll.
    pub checkins_waiting: prometheus_client::metrics::gauge::Gauge,
    pub tls_handshake_failures: Counter,
    /// Tenant bundles built (cache misses), by result (ok, error).
    pub intel_bundles_built: Family<ResultLabel, Counter>,
    /// Bundle requests answered, by result (sent, not_modified).
    pub intel_bundle_requests: Family<ResultLabel, Counter>,
    /// Addresses agents asked the server to confirm, by result (listed, not_listed).
    pub intel_confirmations: Family<ResultLabel, Counter>,
    /// Global feed loads, by result (updated, not_modified, error).
    pub intel_feed_loads: Family<ResultLabel, Counter>,
    /// Alerts from telemetry events stored, by result (new, suppressed, learned).
    pub event_alerts: Family<ResultLabel, Counter>,
    /// STIX sightings stored.
    pub sightings: Counter,
    /// STIX sightings the database refused (their batch is refused too, and retried).
    pub sightings_failed: Counter,
    /// Profile synchronizations with the database, by result (ok, error).
    pub profile_syncs: Family<ResultLabel, Counter>,
    /// Profile changes merged into the database.
    pub profile_merges: Counter,
    /// STIX indicator (re)loads, by result (ok, error).
    pub stix_loads: Family<ResultLabel, Counter>,
    /// Attack models of `stix` feeds, by result (stored, unchanged, retired, not_a_model, error).
    pub feed_models: Family<ResultLabel, Counter>,
    /// Devices whose check-in or upload report waits for the next write.
    pub device_reports_pending: prometheus_client::metrics::gauge::Gauge,
    /// Device report writes (one transaction each), by result (ok, error).
    pub device_report_flushes: Family<ResultLabel, Counter>,
    /// Device reports written.
    pub device_reports_written: Counter,
    /// Tenant bundles evicted from the cache, by reason (capacity, idle).
    pub intel_bundle_cache_evictions: Family<ResultLabel, Counter>,
    /// Tenant bundles in the cache.
    pub intel_bundle_cache_entries: prometheus_client::metrics::gauge::Gauge,
    /// Fields of agent request bodies this server does not know (accepted, ignored), by body.
    pub unknown_fields: Family<BodyLabel, Counter>,
    /// Argon2 password checks, by result (run, waited: queued for a slot first, busy: refused
    /// because too many were waiting).
    pub password_checks: Family<ResultLabel, Counter>,
    /// Argon2 computations running now (at most one per CPU).
    pub password_checks_in_flight: prometheus_client::metrics::gauge::Gauge,
    /// Fields of agent-sent events (hit samples, telemetry) cut to the size limit, by body.
    pub fields_truncated: Family<BodyLabel, Counter>,
    /// Hit batches whose `hostname` was not the device's enrolled one (stored as the enrolled).
    pub hostname_mismatches: Counter,
    /// Batches scored without the tenant's indicators because its intel could not be built.
    pub intel_lookup_failures: Counter,
    /// Agent releases uploaded, by result (stored, bad_signature, conflict, invalid, no_key).
    pub releases_uploaded: Family<ResultLabel, Counter>,
    /// Self-update outcomes reported by agents (installed, refused, failed, rolled_back).
    pub update_reports: Family<CodeLabel, Counter>,
    /// Rollout transitions by the server (advanced, paused, completed).
    pub rollout_transitions: Family<ResultLabel, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BodyLabel {
    pub body: &'static str,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The process-wide metrics (created on first use).
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics {
        hits_stored: Counter::default(),
        batches: Family::default(),
        api_errors: outpost_api::error_counter().clone(),
        enrollments: Counter::default(),
        releases_uploaded: Family::default(),
        update_reports: Family::default(),
        rollout_transitions: Family::default(),
        rate_limited: Counter::default(),
        checkins: Counter::default(),
        logins: Family::default(),
        oidc_logins: Family::default(),
        oidc_jwks_refetches: Family::default(),
        hit_state_changes: Counter::default(),
        hits_suppressed: Counter::default(),
        alerts: Counter::default(),
        events_received: Counter::default(),
        output_records_queued: Counter::default(),
        hits_purged: Counter::default(),
        checkins_waiting: Default::default(),
        tls_handshake_failures: Counter::default(),
        intel_bundles_built: Family::default(),
        intel_bundle_requests: Family::default(),
        intel_confirmations: Family::default(),
        intel_feed_loads: Family::default(),
        event_alerts: Family::default(),
        sightings: Counter::default(),
        sightings_failed: Counter::default(),
        profile_syncs: Family::default(),
        profile_merges: Counter::default(),
        stix_loads: Family::default(),
        feed_models: Family::default(),
        device_reports_pending: Default::default(),
        device_report_flushes: Family::default(),
        device_reports_written: Counter::default(),
        intel_bundle_cache_evictions: Family::default(),
        intel_bundle_cache_entries: Default::default(),
        unknown_fields: Family::default(),
        password_checks: Family::default(),
        password_checks_in_flight: Default::default(),
        fields_truncated: Family::default(),
        hostname_mismatches: Counter::default(),
        intel_lookup_failures: Counter::default(),
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
        Listed(m.batches.clone()),
    );
    registry.register(
        "outpost_api_errors",
        "API error responses, by error code",
        Listed(m.api_errors.clone()),
    );
    registry.register(
        "outpost_enrollments",
        "Devices enrolled",
        m.enrollments.clone(),
    );
    registry.register(
        "outpost_releases_uploaded",
        "Agent release uploads, by result",
        Listed(m.releases_uploaded.clone()),
    );
    registry.register(
        "outpost_update_reports",
        "Agent self-update outcomes reported at check-in, by outcome",
        Listed(m.update_reports.clone()),
    );
    registry.register(
        "outpost_rollout_transitions",
        "Rollouts advanced, paused or completed by the server",
        Listed(m.rollout_transitions.clone()),
    );
    registry.register(
        "outpost_rate_limited",
        "Requests refused by a rate limit",
        m.rate_limited.clone(),
    );
    registry.register("outpost_checkins", "Agent check-ins", m.checkins.clone());
    registry.register(
        "outpost_password_checks",
        "Argon2 password checks, by result (run, waited, busy)",
        Listed(m.password_checks.clone()),
    );
    registry.register(
        "outpost_password_checks_in_flight",
        "Argon2 password checks running now (at most one per CPU)",
        m.password_checks_in_flight.clone(),
    );
    registry.register(
        "outpost_oidc_logins",
        "OIDC sign-ins by result (ok, unmapped, disabled, invalid_token, state, provider_error)",
        Listed(m.oidc_logins.clone()),
    );
    registry.register(
        "outpost_oidc_jwks_refetches",
        "JWKS refetches after an ID token named an unknown key, by result (ok, error, throttled)",
        Listed(m.oidc_jwks_refetches.clone()),
    );
    registry.register(
        "outpost_logins",
        "UI login attempts, by result (ok, failed)",
        Listed(m.logins.clone()),
    );
    registry.register(
        "outpost_hit_state_changes",
        "Hit state changes by analysts",
        m.hit_state_changes.clone(),
    );
    registry.register(
        "outpost_hits_suppressed",
        "Hits stored as suppressed because a suppression rule matched",
        m.hits_suppressed.clone(),
    );
    registry.register(
        "outpost_events_received",
        "Telemetry events received from devices (scored and forwarded, not stored)",
        m.events_received.clone(),
    );
    registry.register(
        "outpost_alerts",
        "Hits and telemetry events that became alerts (risk score at the tenant's threshold, or a rule's alert action)",
        m.alerts.clone(),
    );
    registry.register(
        "outpost_output_records_queued",
        "Hit and alert records queued for the outputs (one per matching output)",
        m.output_records_queued.clone(),
    );
    registry.register(
        "outpost_hits_purged",
        "Hits deleted by retention",
        m.hits_purged.clone(),
    );
    registry.register(
        "outpost_tls_handshake_failures",
        "TLS handshakes that failed or timed out",
        m.tls_handshake_failures.clone(),
    );
    register_intel_and_detection(registry, m);
}

/// The intel, detection, report and request-body metrics (the second half of [`register`]).
fn register_intel_and_detection(registry: &mut Registry, m: &Metrics) {
    registry.register(
        "outpost_intel_bundles_built",
        "Tenant intel bundles built, by result (ok, error)",
        Listed(m.intel_bundles_built.clone()),
    );
    registry.register(
        "outpost_intel_bundle_requests",
        "Intel bundle requests answered, by result (sent, not_modified)",
        Listed(m.intel_bundle_requests.clone()),
    );
    registry.register(
        "outpost_intel_confirmations",
        "Addresses agents asked to confirm, by result (listed, not_listed)",
        Listed(m.intel_confirmations.clone()),
    );
    registry.register(
        "outpost_intel_feed_loads",
        "Global intel feed loads, by result (updated, not_modified, error)",
        Listed(m.intel_feed_loads.clone()),
    );
    registry.register(
        "outpost_event_alerts",
        "Alerts from telemetry events stored, by result (new, suppressed, learned)",
        Listed(m.event_alerts.clone()),
    );
    registry.register(
        "outpost_sightings",
        "STIX sightings stored",
        m.sightings.clone(),
    );
    registry.register(
        "outpost_sightings_failed",
        "STIX sightings the database refused (their batch is refused too, and retried)",
        m.sightings_failed.clone(),
    );
    registry.register(
        "outpost_profile_syncs",
        "Behaviour-profile synchronizations with the database, by result (ok, error)",
        Listed(m.profile_syncs.clone()),
    );
    registry.register(
        "outpost_profile_merges",
        "Behaviour-profile changes merged into the database",
        m.profile_merges.clone(),
    );
    registry.register(
        "outpost_stix_loads",
        "STIX indicator pattern (re)loads, by result (ok, error)",
        Listed(m.stix_loads.clone()),
    );
    registry.register(
        "outpost_feed_models",
        "Attack models of STIX intel feeds, by result (stored, unchanged, retired, not_a_model, error)",
        Listed(m.feed_models.clone()),
    );
    registry.register(
        "outpost_device_reports_pending",
        "Devices whose check-in or upload report waits for the next write",
        m.device_reports_pending.clone(),
    );
    registry.register(
        "outpost_device_report_flushes",
        "Device report writes (one transaction for all pending devices), by result (ok, error)",
        Listed(m.device_report_flushes.clone()),
    );
    registry.register(
        "outpost_device_reports_written",
        "Device check-in and upload reports written",
        m.device_reports_written.clone(),
    );
    registry.register(
        "outpost_intel_bundle_cache_evictions",
        "Tenant intel bundles evicted from the server's cache, by reason (capacity: more tenants than [intel] bundle_cache_tenants; idle: not requested for bundle_cache_idle_s)",
        Listed(m.intel_bundle_cache_evictions.clone()),
    );
    registry.register(
        "outpost_intel_bundle_cache_entries",
        "Tenant intel bundles held in the server's cache",
        m.intel_bundle_cache_entries.clone(),
    );
    registry.register(
        "outpost_unknown_fields",
        "Fields of agent request bodies (checkin, hits, events, enroll) this server does not know: accepted and ignored (a newer agent), by body",
        Listed(m.unknown_fields.clone()),
    );
    registry.register(
        "outpost_fields_truncated",
        "Fields of agent-sent events (hit samples, telemetry events) and hit names the server cut to its size limit (marked, see outpost_core::bound) instead of refusing the batch, by body",
        Listed(m.fields_truncated.clone()),
    );
    registry.register(
        "outpost_intel_lookup_failures",
        "Hit and event batches scored without the tenant's indicators (domains, hashes, processes, addresses) because its intel could not be built (see the log)",
        m.intel_lookup_failures.clone(),
    );
    registry.register(
        "outpost_hostname_mismatches",
        "Hit batches naming another hostname than the device's enrolled one; the enrolled one is stored",
        m.hostname_mismatches.clone(),
    );
    registry.register(
        "outpost_checkins_waiting",
        "Check-ins held open by long-poll",
        m.checkins_waiting.clone(),
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
