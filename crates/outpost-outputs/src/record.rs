//! [`OutputRecord`]: what the server hands to [`crate::OutputManager::publish`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kind of a record; outputs filter on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A stored hit (an agent-uploaded correlation match), body = `outpost_core::api::HitRecord`.
    Hit,
    /// A server-side alert (a rule or correlation result), body = the alert document.
    Alert,
    /// A normalized event (`outpost_core::Event`) received from an agent.
    Event,
    /// An audit-log entry (who did what in the server).
    Audit,
}

impl RecordKind {
    /// The snake_case name (`hit`, `alert`, `event`, `audit`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Hit => "hit",
            RecordKind::Alert => "alert",
            RecordKind::Event => "event",
            RecordKind::Audit => "audit",
        }
    }
}

/// One indicator that contributed to a record's risk score (`outpost_core::Finding`).
pub use outpost_core::Finding;

/// A record to send to the outputs.
///
/// `body` is the document itself (a `HitRecord`, an `Event`, an alert or audit entry) as JSON;
/// the formats wrap it (`event` in native JSON, mapped fields in ECS, MSG in RFC 5424). The
/// record is stored in each matching output's disk queue as JSON, so it must be self-contained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Stable unique id, used as the document id (`_id` in Elasticsearch, Kafka header, …) so a
    /// redelivery overwrites instead of duplicating where the target supports it. For stored
    /// rows use `"{kind}-{row id}"`, e.g. `hit-42`.
    pub id: String,
    /// What this is.
    pub kind: RecordKind,
    /// Owning tenant.
    pub tenant_id: String,
    /// Device the record is about, when there is one (absent for audit entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Host name of that device, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// When the underlying event happened (becomes `@timestamp`).
    pub time: DateTime<Utc>,
    /// The document.
    pub body: serde_json::Value,
    /// Indicators that scored this record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Finding>,
    /// Sum of indicator scores (the event's `risk_score`); 0 when unscored.
    #[serde(default)]
    pub risk_score: i64,
}

impl OutputRecord {
    /// A record with no indicators.
    pub fn new(
        id: impl Into<String>,
        kind: RecordKind,
        tenant_id: impl Into<String>,
        time: DateTime<Utc>,
        body: serde_json::Value,
    ) -> Self {
        OutputRecord {
            id: id.into(),
            kind,
            tenant_id: tenant_id.into(),
            device_id: None,
            hostname: None,
            time,
            body,
            indicators: Vec::new(),
            risk_score: 0,
        }
    }

    /// Builds a `hit` record from a stored hit (`id` = `hit-{row id}`, time = the hit's
    /// `first_seen_utc`, indicators and risk score = the server's score of the hit).
    pub fn from_hit(hit: &outpost_core::api::HitRecord) -> Result<Self, serde_json::Error> {
        Ok(OutputRecord {
            id: format!("hit-{}", hit.id),
            kind: RecordKind::Hit,
            tenant_id: hit.tenant_id.clone(),
            device_id: Some(hit.device_id.clone()),
            hostname: Some(hit.hostname.clone()),
            time: hit.hit.first_seen_utc,
            body: serde_json::to_value(hit)?,
            indicators: hit.score.indicators.clone(),
            risk_score: hit.score.risk_score,
        })
    }
}
