//! STIX sightings: what the detection's STIX engine found on an event, typed from the engine
//! (`outpost-detect`'s `stix`) to the store (`outpost-store`'s `sightings` table).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An ATT&CK-style link of a sighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackLink {
    /// STIX id of the attack-pattern or intrusion-set.
    pub id: String,
    /// Its name.
    pub name: String,
    /// ATT&CK technique id (attack-patterns only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitre_id: Option<String>,
}

/// A sighting produced by the STIX engine: an indicator pattern matched one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StixSighting {
    /// The indicator's STIX id.
    pub indicator_id: String,
    /// The indicator's name.
    pub indicator_name: String,
    /// Attack-patterns the indicator indicates.
    pub attack_patterns: Vec<AttackLink>,
    /// Intrusion-sets that use those attack-patterns (or that the indicator indicates).
    pub intrusion_sets: Vec<AttackLink>,
    /// The STIX 2.1 `sighting` object (JSON), `sighting_of_ref` = the indicator.
    pub sighting: serde_json::Value,
    /// The `observed-data` and SCOs the sighting refers to (JSON).
    pub observed: Vec<serde_json::Value>,
}

impl StixSighting {
    /// The attack model as stored and shown: `{"attack_patterns": [...], "intrusion_sets": [...]}`.
    pub fn attack(&self) -> serde_json::Value {
        serde_json::json!({
            "attack_patterns": self.attack_patterns,
            "intrusion_sets": self.intrusion_sets,
        })
    }
}

/// A sighting to store: of the event at `seq` of an upload batch (for a hit batch, hit index ×
/// 1000 + sample index).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSighting {
    pub seq: i64,
    /// The event's time.
    pub event_ts: DateTime<Utc>,
    pub found: StixSighting,
}
