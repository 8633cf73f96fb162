//! STIX sightings: what the detection's STIX engine found on an event, typed from the engine
//! (`outpost-detect`'s `stix`) to the store (`outpost-store`'s `sightings` table).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An ATT&CK-style link of a sighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// An attack model: the intrusion sets, attack patterns (its steps) and indicators of a STIX
/// bundle, and the relationships followed between them (`outpost_stix::attack::attack_graph`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttackGraph {
    /// The intrusion sets (their `mitre_id` is unused).
    pub intrusion_sets: Vec<AttackLink>,
    /// The attack patterns, by order then name.
    pub steps: Vec<AttackStep>,
    /// The relationships followed: `uses` (intrusion set → step) and the chain between steps
    /// (`related-to` or `uses`, source → target).
    pub edges: Vec<AttackEdge>,
    /// What the bundle holds that the model does not use, one line each.
    pub ignored: Vec<String>,
}

/// One step of an attack model: an attack pattern, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttackStep {
    /// The attack pattern's STIX id.
    pub id: String,
    pub name: String,
    /// ATT&CK technique id, if the attack pattern names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitre_id: Option<String>,
    /// 1 for a step an intrusion set uses directly, then one more per chain relationship
    /// (the smallest over the intrusion sets that reach it).
    pub order: u32,
    /// Ids of the intrusion sets that reach the step (empty: an orphan attack pattern).
    pub intrusion_sets: Vec<String>,
    /// The indicators that `indicate` the step.
    pub indicators: Vec<StepIndicator>,
}

/// An indicator of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepIndicator {
    pub id: String,
    pub name: String,
    pub pattern: String,
}

/// A relationship of an attack model's graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttackEdge {
    pub source: String,
    pub target: String,
    pub relationship_type: String,
}

impl AttackGraph {
    /// The model's name: its intrusion sets' names, else its first step's.
    pub fn name(&self) -> String {
        if !self.intrusion_sets.is_empty() {
            let names: Vec<&str> = self
                .intrusion_sets
                .iter()
                .map(|i| i.name.as_str())
                .collect();
            return names.join(", ");
        }
        self.steps
            .first()
            .map(|s| format!("attack patterns from '{}'", s.name))
            .unwrap_or_default()
    }

    /// Whether the bundle holds an attack model at all (an intrusion set or an attack pattern).
    pub fn is_empty(&self) -> bool {
        self.intrusion_sets.is_empty() && self.steps.is_empty()
    }
}

/// An attack model as stored and listed (`GET /api/v1/attack-models`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttackModelSummary {
    pub id: i64,
    /// The tenant whose model it is; none for a global model (staff-managed, its steps are
    /// sighted on every tenant's devices).
    pub tenant_id: Option<String>,
    /// The STIX bundle's id: uploading the same bundle again replaces the model.
    pub bundle_id: String,
    pub name: String,
    /// `api` (uploaded) or `file` (`[detect] stix_dir`).
    pub source: String,
    /// The file, or who uploaded it.
    pub origin: String,
    pub intrusion_sets: Vec<AttackLink>,
    /// Number of steps.
    pub steps: usize,
    /// What loading the bundle noted (ids that are not UUIDs, accepted leniently).
    pub warnings: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The sightings of a step on one device: how many, first and last (event times).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceSightings {
    pub tenant_id: String,
    pub device_id: String,
    pub hostname: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: i64,
}

/// A step of a model with its sightings per device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepView {
    #[serde(flatten)]
    pub step: AttackStep,
    /// Per device, first sighted first; empty when the step was not sighted.
    pub sightings: Vec<DeviceSightings>,
}

impl StepView {
    /// When the step was last sighted (any device), if it was.
    pub fn last_seen(&self) -> Option<DateTime<Utc>> {
        self.sightings.iter().map(|s| s.last_seen).max()
    }
}

/// An attack model with, per step, its sightings (`GET /api/v1/attack-models/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttackModelView {
    #[serde(flatten)]
    pub model: AttackModelSummary,
    /// In order.
    pub steps: Vec<StepView>,
    pub edges: Vec<AttackEdge>,
    pub ignored: Vec<String>,
}

/// The result of uploading an attack model (`POST /api/v1/attack-models`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttackModelStored {
    #[serde(flatten)]
    pub model: AttackModelSummary,
    /// True when the bundle replaced an earlier upload of the same bundle id.
    pub replaced: bool,
    pub ignored: Vec<String>,
}

/// Where a sighting's indicator belongs: a step of a stored model (for the alert and device
/// pages' links to the model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IndicatorStep {
    pub indicator_id: String,
    pub model_id: i64,
    pub model_name: String,
    pub tenant_id: Option<String>,
    pub step_id: String,
    pub step_name: String,
    pub step_order: u32,
}
