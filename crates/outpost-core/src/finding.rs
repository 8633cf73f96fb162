//! [`Finding`]: one match of one detection engine (a rule, a list, a pattern, a profile).
//!
//! The detection engines produce them, hits store them, and the outputs ship them: one type
//! for all three so a score means the same everywhere.

use serde::{Deserialize, Serialize};

/// One match of one engine on one event. An event's (or a hit's) `risk_score` is the sum of
/// its indicators' scores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// `static`, `rules`, `sigma`, `profile`, `stix`.
    pub engine: String,
    /// The rule's id (empty for engines without named rules).
    #[serde(default)]
    pub rule_name: String,
    /// `risky_process`, `ioc`, `file_integrity`, `blacklist`, `custom`, `sigma`,
    /// `abnormal_behavior`, `normal_behavior`, `stix_pattern`, …
    #[serde(default)]
    pub indicator_type: String,
    /// Human-readable description.
    #[serde(default)]
    pub description: String,
    /// Detail (what matched).
    #[serde(default)]
    pub extra_info: String,
    /// Contribution to the risk score (may be negative, e.g. normal behaviour).
    #[serde(default)]
    pub score: i32,
}
