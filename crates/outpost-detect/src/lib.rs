//! Outpost detection engines and scoring.
//!
//! Every event that reaches the server is scored by a [`Pipeline`] of engines:
//!
//! - [`static_engine`]: risky processes (exact basename or path), IOC matches through the
//!   [`static_engine::IocLookup`] trait, file-integrity changes on watched paths, and
//!   per-field black/white lists;
//! - [`rules`]: YAML rules (hot-reloaded by [`reload::RuleWatcher`]) and Sigma rules compiled by
//!   [`sigma`] onto the same engine;
//! - [`profile`]: learned behaviour per container image or executable;
//! - STIX indicator patterns (when `outpost-stix` is available).
//!
//! Each match is an [`Indicator`]; the event's `risk_score` is their sum. [`alert`] turns scored
//! events into alerts by per-tenant threshold, with suppression and learn mode.

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
pub mod sigma;
pub mod static_engine;
#[cfg(feature = "stix")]
pub mod stix;

pub use correlation::{CorrelationState, Correlations};
pub use indicator::{Action, Indicator, RuleAction, Scored};
pub use pipeline::Pipeline;
pub use reload::{RuleHandle, RuleWatcher};
pub use rules::{
    CompiledFile, CompiledRule, EvalOpts, LoadError, RuleError, RuleSet, Unsupported,
    compile_file_text,
};
pub use sigma::SigmaOptions;
