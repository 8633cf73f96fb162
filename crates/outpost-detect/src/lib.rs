//! Outpost detection engines and scoring.
//!
//! Every event that reaches the server is scored by a [`Pipeline`] of engines:
//!
//! - [`static_engine`]: risky processes (exact basename or path), IOC matches through the
//!   [`static_engine::IocLookup`] trait, file-integrity changes on watched paths, and
//!   per-field black/white lists;
//! - [`rules`]: YAML rules (hot-reloaded by [`reload::RuleWatcher`]) and Sigma rules compiled by
//!   [`sigma`] onto the same engine;
//! - [`profile`]: learned behaviour per container image or executable (per tenant:
//!   [`profile::TenantProfiles`]);
//! - [`stix`]: STIX indicator patterns (feature `stix`, through `outpost-stix`), reloaded from
//!   their bundle files by [`stix::StixPatterns`].
//!
//! Each match is an [`Finding`]; the event's `risk_score` is their sum. [`alert`] holds the
//! per-tenant threshold that makes a scored event an alert, and learn mode. [`scorer`] is the
//! server's whole scoring: uploaded hits (with the agent's intel match) and telemetry of a
//! tenant, typed STIX sightings, Sigma correlations across retried uploads and their timer.
//!
//! # Rules index
//!
//! Rules are compiled once and indexed (event kind, Windows event id, anchor literals: whole
//! values, basenames, substrings through one Aho-Corasick automaton per field, ORs of
//! anchors), so an event is tested only against rules that can match it (every anchored
//! conjunct of a rule must have a hit; regexes are anchored on the literals every match
//! contains, [`matcher::regex_required_literals`]), and identical leaves of different rules are
//! evaluated once per event ([`matcher::Memo`]); `tests/index_equivalence.rs` checks the index
//! against a full scan on real data. Sigma `fieldref` and `expand` take their placeholders
//! from [`SigmaOptions::placeholders`].
//!
//! # Sigma correlations
//!
//! Correlation rules ([`correlation`]: `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`, chains, aliases, `generate`) are resolved against the rule set and fed
//! by its matches; their state is per scope (the tenant) × correlation × group, bounded,
//! evictions counted (`metrics`, feature `metrics`: `outpost_detect_correlation_*`, registered
//! by the server).

pub mod alert;
pub mod correlation;
pub mod field;
pub mod indicator;
pub mod matcher;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod pipeline;
pub mod profile;
pub mod reload;
pub mod rules;
#[cfg(feature = "stix")]
pub mod scorer;
pub mod sigma;
pub mod static_engine;
#[cfg(feature = "stix")]
pub mod stix;

pub use alert::AlertPolicy;
pub use correlation::{CorrelationState, Correlations};
pub use indicator::{Action, Finding, RuleAction, Scored};
pub use pipeline::Pipeline;
pub use reload::{RuleHandle, RuleWatcher};
pub use rules::{
    CompiledFile, CompiledRule, EvalOpts, LoadError, RuleError, RuleSet, Unsupported,
    compile_file_text,
};
pub use sigma::SigmaOptions;

#[cfg(test)]
mod test_events {
    use chrono::{TimeZone, Utc};
    use outpost_core::{Event, EventKind, ProcessInfo};

    /// A process exec of `/bin/{name}` (`name -c id`) by `uid`, `secs` after a fixed instant.
    pub(crate) fn exec(name: &str, uid: u32, secs: i64) -> Event {
        exec_of(
            secs,
            ProcessInfo {
                pid: 10,
                exe: Some(format!("/bin/{name}")),
                uid: Some(uid),
                args: vec![name.into(), "-c".into(), "id".into()],
                ..Default::default()
            },
        )
    }

    /// A process exec of `process`, `secs` after a fixed instant.
    pub(crate) fn exec_of(secs: i64, process: ProcessInfo) -> Event {
        let mut e = Event::new(
            Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap(),
            EventKind::ProcessExec,
            "test",
        );
        e.process = Some(std::sync::Arc::new(process));
        e
    }
}
