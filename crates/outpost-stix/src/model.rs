//! STIX 2.1 objects and bundles: import and export.
//!
//! The object types Outpost works with are typed ([`Indicator`], [`ObservedData`],
//! [`Sighting`], [`Relationship`], [`AttackPattern`], [`IntrusionSet`], [`Identity`]); every
//! other object is kept as raw JSON ([`StixObject::Other`]), and properties a typed object does
//! not model are kept in its `extra` map, so an import followed by an export loses nothing.
//!
//! Import validates as it reads: an error names the object (its id, or its position) and the
//! field at fault.

use crate::pattern::{Pattern, PatternError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// Why a bundle or object could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The text is not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The JSON is not a STIX bundle.
    #[error("not a STIX bundle: {0}")]
    NotABundle(String),
    /// A field of an object is missing or invalid.
    #[error("{object}: field '{field}': {message}")]
    Field {
        /// The object's id, or `objects[i]` when it has none.
        object: String,
        field: String,
        message: String,
    },
}

/// Properties common to STIX domain and relationship objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Common {
    /// `type--uuid`.
    pub id: String,
    pub spec_version: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    pub created_by_ref: Option<String>,
    pub labels: Vec<String>,
    /// 0–100.
    pub confidence: Option<u8>,
    pub revoked: Option<bool>,
    /// Raw `external_references` (ATT&CK ids live here).
    pub external_references: Vec<Value>,
    pub object_marking_refs: Vec<String>,
    /// Every other property, kept verbatim.
    pub extra: Map<String, Value>,
}

/// A kill-chain phase (`mitre-attack` / `execution`, …).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KillChainPhase {
    pub kill_chain_name: String,
    pub phase_name: String,
}

/// An `indicator`: a pattern that detects something.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub common: Common,
    pub name: Option<String>,
    pub description: Option<String>,
    pub indicator_types: Vec<String>,
    pub pattern: String,
    /// `stix`, `sigma`, `snort`, `yara`, …
    pub pattern_type: String,
    pub pattern_version: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub kill_chain_phases: Vec<KillChainPhase>,
}

impl Indicator {
    /// Parses the pattern (only for `pattern_type = "stix"`).
    pub fn compiled_pattern(&self) -> Result<Pattern, PatternError> {
        if self.pattern_type != "stix" {
            return Err(PatternError {
                position: None,
                message: format!("pattern_type '{}' is not a STIX pattern", self.pattern_type),
            });
        }
        Pattern::parse(&self.pattern)
    }

    /// Whether the indicator is valid at `t` (`valid_from ≤ t < valid_until`, not revoked).
    pub fn is_valid_at(&self, t: DateTime<Utc>) -> bool {
        self.common.revoked != Some(true)
            && self.valid_from <= t
            && self.valid_until.is_none_or(|u| t < u)
    }
}

/// An `observed-data` object (the SCOs it refers to travel beside it in the bundle).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedData {
    pub common: Common,
    pub first_observed: DateTime<Utc>,
    pub last_observed: DateTime<Utc>,
    pub number_observed: u64,
    pub object_refs: Vec<String>,
    /// The deprecated STIX 2.0 embedded `objects` dictionary, when present.
    pub objects: Option<Map<String, Value>>,
}

/// A `sighting`: something (usually an indicator) was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    pub common: Common,
    pub description: Option<String>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub count: Option<u64>,
    pub sighting_of_ref: String,
    pub observed_data_refs: Vec<String>,
    pub where_sighted_refs: Vec<String>,
    pub summary: Option<bool>,
}

/// A `relationship` between two objects (`indicates`, `uses`, `attributed-to`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Relationship {
    pub common: Common,
    pub relationship_type: String,
    pub description: Option<String>,
    pub source_ref: String,
    pub target_ref: String,
    pub start_time: Option<DateTime<Utc>>,
    pub stop_time: Option<DateTime<Utc>>,
}

/// An `attack-pattern` (an ATT&CK technique, for instance).
#[derive(Debug, Clone, PartialEq)]
pub struct AttackPattern {
    pub common: Common,
    pub name: String,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub kill_chain_phases: Vec<KillChainPhase>,
}

impl AttackPattern {
    /// The ATT&CK technique id (`T1059.004`) from the external references, if any.
    pub fn mitre_id(&self) -> Option<&str> {
        self.common.external_references.iter().find_map(|r| {
            let source = r.get("source_name")?.as_str()?;
            if source.starts_with("mitre") {
                r.get("external_id")?.as_str()
            } else {
                None
            }
        })
    }
}

/// An `intrusion-set` (a threat group's activity).
#[derive(Debug, Clone, PartialEq)]
pub struct IntrusionSet {
    pub common: Common,
    pub name: String,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub goals: Vec<String>,
    pub resource_level: Option<String>,
    pub primary_motivation: Option<String>,
}

/// An `identity` (an organisation, a system, a person).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub common: Common,
    pub name: String,
    pub description: Option<String>,
    pub identity_class: Option<String>,
    pub roles: Vec<String>,
    pub sectors: Vec<String>,
    pub contact_information: Option<String>,
}

/// Any STIX object.
#[derive(Debug, Clone, PartialEq)]
pub enum StixObject {
    Indicator(Indicator),
    ObservedData(ObservedData),
    Sighting(Sighting),
    Relationship(Relationship),
    AttackPattern(AttackPattern),
    IntrusionSet(IntrusionSet),
    Identity(Identity),
    /// Any other object (SCOs, malware, reports, …), kept as it was.
    Other(Map<String, Value>),
}

impl StixObject {
    /// The object's `type`.
    pub fn type_name(&self) -> &str {
        match self {
            StixObject::Indicator(_) => "indicator",
            StixObject::ObservedData(_) => "observed-data",
            StixObject::Sighting(_) => "sighting",
            StixObject::Relationship(_) => "relationship",
            StixObject::AttackPattern(_) => "attack-pattern",
            StixObject::IntrusionSet(_) => "intrusion-set",
            StixObject::Identity(_) => "identity",
            StixObject::Other(m) => m.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The object's `id` (empty for a raw object without one).
    pub fn id(&self) -> &str {
        match self {
            StixObject::Indicator(o) => &o.common.id,
            StixObject::ObservedData(o) => &o.common.id,
            StixObject::Sighting(o) => &o.common.id,
            StixObject::Relationship(o) => &o.common.id,
            StixObject::AttackPattern(o) => &o.common.id,
            StixObject::IntrusionSet(o) => &o.common.id,
            StixObject::Identity(o) => &o.common.id,
            StixObject::Other(m) => m.get("id").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// Reads one object. `fallback_name` names it in errors when it has no id.
    pub fn from_json(value: &Value, fallback_name: &str) -> Result<StixObject, ImportError> {
        StixObject::from_json_with(value, fallback_name, IdPolicy::Strict, &mut Vec::new())
    }

    /// [`StixObject::from_json`] with an id policy; under [`IdPolicy::Lenient`] an id that is
    /// not `type--UUID` adds a line to `warnings` instead of failing.
    pub fn from_json_with(
        value: &Value,
        fallback_name: &str,
        policy: IdPolicy,
        warnings: &mut Vec<String>,
    ) -> Result<StixObject, ImportError> {
        let map = value.as_object().ok_or_else(|| ImportError::Field {
            object: fallback_name.to_string(),
            field: "(object)".into(),
            message: "not a JSON object".into(),
        })?;
        let name = map
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or(fallback_name)
            .to_string();
        let ty = match map.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(_) => return Err(field_err(&name, "type", "must be a string")),
            None => return Err(field_err(&name, "type", "missing")),
        };
        let mut r = Reader {
            map: map.clone(),
            name,
            policy,
            warnings,
        };
        Ok(match ty.as_str() {
            "indicator" => {
                let common = r.common(&ty)?;
                let pattern = r.req_str("pattern")?;
                let pattern_type = r.req_str("pattern_type")?;
                if pattern_type == "stix"
                    && let Err(e) = Pattern::parse(&pattern)
                {
                    if r.policy == IdPolicy::Strict {
                        return Err(field_err(&r.name, "pattern", e.to_string()));
                    }
                    r.warnings.push(format!(
                        "{}: pattern is not valid STIX ({e}); the indicator is kept in the model but never matches",
                        r.name
                    ));
                }
                StixObject::Indicator(Indicator {
                    name: r.opt_str("name")?,
                    description: r.opt_str("description")?,
                    indicator_types: r.str_list("indicator_types")?,
                    pattern_version: r.opt_str("pattern_version")?,
                    valid_from: r.req_time("valid_from")?,
                    valid_until: r.opt_time("valid_until")?,
                    kill_chain_phases: r.kill_chain()?,
                    pattern,
                    pattern_type,
                    common: r.finish(common),
                })
            }
            "observed-data" => {
                let common = r.common(&ty)?;
                let first_observed = r.req_time("first_observed")?;
                let last_observed = r.req_time("last_observed")?;
                if last_observed < first_observed {
                    return Err(field_err(
                        &r.name,
                        "last_observed",
                        "is earlier than first_observed",
                    ));
                }
                let number_observed = match r.take("number_observed") {
                    Some(v) => v
                        .as_u64()
                        .filter(|n| (1..=999_999_999).contains(n))
                        .ok_or_else(|| {
                            field_err(
                                &r.name,
                                "number_observed",
                                "must be an integer from 1 to 999999999",
                            )
                        })?,
                    None => return Err(field_err(&r.name, "number_observed", "missing")),
                };
                let object_refs = r.str_list("object_refs")?;
                let objects = match r.take("objects") {
                    None => None,
                    Some(Value::Object(m)) => Some(m),
                    Some(_) => return Err(field_err(&r.name, "objects", "must be a dictionary")),
                };
                if object_refs.is_empty() && objects.is_none() {
                    return Err(field_err(
                        &r.name,
                        "object_refs",
                        "missing (needs at least one reference)",
                    ));
                }
                StixObject::ObservedData(ObservedData {
                    first_observed,
                    last_observed,
                    number_observed,
                    object_refs,
                    objects,
                    common: r.finish(common),
                })
            }
            "sighting" => {
                let common = r.common(&ty)?;
                let count = match r.take("count") {
                    None => None,
                    Some(v) => Some(v.as_u64().filter(|n| *n <= 999_999_999).ok_or_else(|| {
                        field_err(&r.name, "count", "must be an integer from 0 to 999999999")
                    })?),
                };
                StixObject::Sighting(Sighting {
                    description: r.opt_str("description")?,
                    first_seen: r.opt_time("first_seen")?,
                    last_seen: r.opt_time("last_seen")?,
                    count,
                    sighting_of_ref: r.req_str("sighting_of_ref")?,
                    observed_data_refs: r.str_list("observed_data_refs")?,
                    where_sighted_refs: r.str_list("where_sighted_refs")?,
                    summary: r.opt_bool("summary")?,
                    common: r.finish(common),
                })
            }
            "relationship" => {
                let common = r.common(&ty)?;
                StixObject::Relationship(Relationship {
                    relationship_type: r.req_str("relationship_type")?,
                    description: r.opt_str("description")?,
                    source_ref: r.req_str("source_ref")?,
                    target_ref: r.req_str("target_ref")?,
                    start_time: r.opt_time("start_time")?,
                    stop_time: r.opt_time("stop_time")?,
                    common: r.finish(common),
                })
            }
            "attack-pattern" => {
                let common = r.common(&ty)?;
                StixObject::AttackPattern(AttackPattern {
                    name: r.req_str("name")?,
                    description: r.opt_str("description")?,
                    aliases: r.str_list("aliases")?,
                    kill_chain_phases: r.kill_chain()?,
                    common: r.finish(common),
                })
            }
            "intrusion-set" => {
                let common = r.common(&ty)?;
                StixObject::IntrusionSet(IntrusionSet {
                    name: r.req_str("name")?,
                    description: r.opt_str("description")?,
                    aliases: r.str_list("aliases")?,
                    first_seen: r.opt_time("first_seen")?,
                    last_seen: r.opt_time("last_seen")?,
                    goals: r.str_list("goals")?,
                    resource_level: r.opt_str("resource_level")?,
                    primary_motivation: r.opt_str("primary_motivation")?,
                    common: r.finish(common),
                })
            }
            "identity" => {
                let common = r.common(&ty)?;
                StixObject::Identity(Identity {
                    name: r.req_str("name")?,
                    description: r.opt_str("description")?,
                    identity_class: r.opt_str("identity_class")?,
                    roles: r.str_list("roles")?,
                    sectors: r.str_list("sectors")?,
                    contact_information: r.opt_str("contact_information")?,
                    common: r.finish(common),
                })
            }
            _ => StixObject::Other(map.clone()),
        })
    }

    /// Writes the object as STIX JSON.
    pub fn to_json(&self) -> Value {
        let mut w = Writer::default();
        let (ty, common) = match self {
            StixObject::Other(m) => return Value::Object(m.clone()),
            StixObject::Indicator(o) => {
                w.opt_str("name", &o.name);
                w.opt_str("description", &o.description);
                w.list("indicator_types", &o.indicator_types);
                w.str("pattern", &o.pattern);
                w.str("pattern_type", &o.pattern_type);
                w.opt_str("pattern_version", &o.pattern_version);
                w.time("valid_from", &o.valid_from);
                w.opt_time("valid_until", &o.valid_until);
                w.kill_chain(&o.kill_chain_phases);
                ("indicator", &o.common)
            }
            StixObject::ObservedData(o) => {
                w.time("first_observed", &o.first_observed);
                w.time("last_observed", &o.last_observed);
                w.0.insert("number_observed".into(), Value::from(o.number_observed));
                w.list("object_refs", &o.object_refs);
                if let Some(objs) = &o.objects {
                    w.0.insert("objects".into(), Value::Object(objs.clone()));
                }
                ("observed-data", &o.common)
            }
            StixObject::Sighting(o) => {
                w.opt_str("description", &o.description);
                w.opt_time("first_seen", &o.first_seen);
                w.opt_time("last_seen", &o.last_seen);
                if let Some(c) = o.count {
                    w.0.insert("count".into(), Value::from(c));
                }
                w.str("sighting_of_ref", &o.sighting_of_ref);
                w.list("observed_data_refs", &o.observed_data_refs);
                w.list("where_sighted_refs", &o.where_sighted_refs);
                if let Some(s) = o.summary {
                    w.0.insert("summary".into(), Value::Bool(s));
                }
                ("sighting", &o.common)
            }
            StixObject::Relationship(o) => {
                w.str("relationship_type", &o.relationship_type);
                w.opt_str("description", &o.description);
                w.str("source_ref", &o.source_ref);
                w.str("target_ref", &o.target_ref);
                w.opt_time("start_time", &o.start_time);
                w.opt_time("stop_time", &o.stop_time);
                ("relationship", &o.common)
            }
            StixObject::AttackPattern(o) => {
                w.str("name", &o.name);
                w.opt_str("description", &o.description);
                w.list("aliases", &o.aliases);
                w.kill_chain(&o.kill_chain_phases);
                ("attack-pattern", &o.common)
            }
            StixObject::IntrusionSet(o) => {
                w.str("name", &o.name);
                w.opt_str("description", &o.description);
                w.list("aliases", &o.aliases);
                w.opt_time("first_seen", &o.first_seen);
                w.opt_time("last_seen", &o.last_seen);
                w.list("goals", &o.goals);
                w.opt_str("resource_level", &o.resource_level);
                w.opt_str("primary_motivation", &o.primary_motivation);
                ("intrusion-set", &o.common)
            }
            StixObject::Identity(o) => {
                w.str("name", &o.name);
                w.opt_str("description", &o.description);
                w.opt_str("identity_class", &o.identity_class);
                w.list("roles", &o.roles);
                w.list("sectors", &o.sectors);
                w.opt_str("contact_information", &o.contact_information);
                ("identity", &o.common)
            }
        };
        w.str("type", ty);
        w.str("id", &common.id);
        w.opt_str("spec_version", &common.spec_version);
        w.opt_time("created", &common.created);
        w.opt_time("modified", &common.modified);
        w.opt_str("created_by_ref", &common.created_by_ref);
        w.list("labels", &common.labels);
        if let Some(c) = common.confidence {
            w.0.insert("confidence".into(), Value::from(c));
        }
        if let Some(r) = common.revoked {
            w.0.insert("revoked".into(), Value::Bool(r));
        }
        if !common.external_references.is_empty() {
            w.0.insert(
                "external_references".into(),
                Value::Array(common.external_references.clone()),
            );
        }
        w.list("object_marking_refs", &common.object_marking_refs);
        for (k, v) in &common.extra {
            w.0.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(w.0)
    }
}

/// A STIX bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// `bundle--uuid`.
    pub id: String,
    pub objects: Vec<StixObject>,
}

impl Bundle {
    /// Parses bundle JSON text.
    pub fn from_json_str(text: &str) -> Result<Bundle, ImportError> {
        let v: Value = serde_json::from_str(text).map_err(|e| ImportError::Json(e.to_string()))?;
        Bundle::from_json(&v)
    }

    /// Reads a bundle, validating every object it holds.
    pub fn from_json(value: &Value) -> Result<Bundle, ImportError> {
        Bundle::from_json_with(value, IdPolicy::Strict, &mut Vec::new())
    }

    /// Reads a bundle whose ids need not be UUIDs (see [`IdPolicy::Lenient`]): every other
    /// check holds, and each id that is not `type--UUID` is named in the returned warnings.
    pub fn from_json_lenient(value: &Value) -> Result<(Bundle, Vec<String>), ImportError> {
        let mut warnings = Vec::new();
        let b = Bundle::from_json_with(value, IdPolicy::Lenient, &mut warnings)?;
        Ok((b, warnings))
    }

    /// [`Bundle::from_json`] with an id policy (warnings are added to `warnings`).
    pub fn from_json_with(
        value: &Value,
        policy: IdPolicy,
        warnings: &mut Vec<String>,
    ) -> Result<Bundle, ImportError> {
        let map = value
            .as_object()
            .ok_or_else(|| ImportError::NotABundle("expected a JSON object".into()))?;
        match map.get("type") {
            Some(Value::String(t)) if t == "bundle" => {}
            Some(other) => {
                return Err(ImportError::NotABundle(format!(
                    "type is {other}, expected \"bundle\""
                )));
            }
            None => return Err(ImportError::NotABundle("no 'type' property".into())),
        }
        let id = match map.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(field_err("bundle", "id", "missing or not a string")),
        };
        check_id_with(&id, "bundle", policy, warnings).map_err(|m| field_err(&id, "id", m))?;
        let objects = match map.get("objects") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    StixObject::from_json_with(o, &format!("{id} objects[{i}]"), policy, warnings)
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(field_err(&id, "objects", "must be a list")),
        };
        Ok(Bundle { id, objects })
    }

    /// Writes the bundle as STIX JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), Value::String("bundle".into()));
        m.insert("id".into(), Value::String(self.id.clone()));
        m.insert(
            "objects".into(),
            Value::Array(self.objects.iter().map(StixObject::to_json).collect()),
        );
        Value::Object(m)
    }

    /// The indicators of the bundle.
    pub fn indicators(&self) -> impl Iterator<Item = &Indicator> {
        self.objects.iter().filter_map(|o| match o {
            StixObject::Indicator(i) => Some(i),
            _ => None,
        })
    }

    /// The object with this id.
    pub fn get(&self, id: &str) -> Option<&StixObject> {
        self.objects.iter().find(|o| o.id() == id)
    }

    /// The observations (observed-data with their SCOs) of the bundle, for pattern matching.
    pub fn observations(
        &self,
    ) -> Result<Vec<crate::observation::Observation>, crate::observation::ObservationError> {
        crate::observation::observations_from_json(&self.to_json())
    }

    /// The attack model of an indicator: the attack-patterns it `indicates` and the
    /// intrusion-sets that reach those attack-patterns through `uses` and the chain of steps
    /// (see [`crate::attack`]), or that the indicator `indicates`.
    pub fn attack_model(&self, indicator_id: &str) -> AttackModel<'_> {
        self.attack_model_in(&crate::attack::attack_graph(self), indicator_id)
    }

    /// [`Bundle::attack_model`] with the bundle's graph already built (one graph serves every
    /// indicator of the bundle).
    pub fn attack_model_in<'a>(
        &'a self,
        graph: &outpost_core::sighting::AttackGraph,
        indicator_id: &str,
    ) -> AttackModel<'a> {
        let mut model = AttackModel::default();
        let add_set = |model: &mut AttackModel<'a>, id: &str| {
            if let Some(StixObject::IntrusionSet(is)) = self.objects.iter().find(|o| o.id() == id)
                && !model
                    .intrusion_sets
                    .iter()
                    .any(|x| x.common.id == is.common.id)
            {
                model.intrusion_sets.push(is);
            }
        };
        for o in &self.objects {
            let StixObject::Relationship(r) = o else {
                continue;
            };
            if r.source_ref != indicator_id || r.relationship_type != "indicates" {
                continue;
            }
            match self.get(&r.target_ref) {
                Some(StixObject::AttackPattern(ap))
                    if !model
                        .attack_patterns
                        .iter()
                        .any(|x| x.common.id == ap.common.id) =>
                {
                    model.attack_patterns.push(ap);
                }
                Some(StixObject::IntrusionSet(_)) => add_set(&mut model, &r.target_ref),
                _ => {}
            }
        }
        for ap in model.attack_patterns.clone() {
            if let Some(step) = graph.steps.iter().find(|s| s.id == ap.common.id) {
                for is in &step.intrusion_sets {
                    add_set(&mut model, is);
                }
            }
        }
        model
    }
}

/// What an indicator is evidence of (see [`Bundle::attack_model`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttackModel<'a> {
    pub attack_patterns: Vec<&'a AttackPattern>,
    pub intrusion_sets: Vec<&'a IntrusionSet>,
}

fn field_err(object: &str, field: &str, message: impl Into<String>) -> ImportError {
    ImportError::Field {
        object: object.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

/// Checks `type--uuid` (hex and hyphens after the `--`).
fn check_id(id: &str, ty: &str) -> Result<(), String> {
    let Some(rest) = id.strip_prefix(ty).and_then(|r| r.strip_prefix("--")) else {
        return Err(format!("'{id}' must start with '{ty}--'"));
    };
    if rest.len() != 36 || !rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(format!("'{id}' must be '{ty}--' followed by a UUID"));
    }
    Ok(())
}

/// How object ids are checked on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdPolicy {
    /// `type--` followed by a UUID (STIX 2.1 §2.9); anything else is an error.
    #[default]
    Strict,
    /// `type--` followed by 1 to 64 ASCII letters, digits and hyphens (ids such as
    /// `attack-pattern--abcd1234-efgh-…` that some published bundles use); each id that is
    /// not a UUID is named in a warning. Objects still refer to each other by these ids.
    /// An indicator whose STIX pattern does not parse is kept (its step stays in the model)
    /// with a warning; the STIX engine skips it, naming the reason.
    Lenient,
}

/// [`check_id`] under a policy: a lenient non-UUID id is accepted with a warning.
fn check_id_with(
    id: &str,
    ty: &str,
    policy: IdPolicy,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let strict = check_id(id, ty);
    match (strict, policy) {
        (Ok(()), _) => Ok(()),
        (Err(e), IdPolicy::Strict) => Err(format!(
            "{e} (a bundle whose ids are not UUIDs loads as an attack model with lenient ids)"
        )),
        (Err(e), IdPolicy::Lenient) => {
            let rest = id
                .strip_prefix(ty)
                .and_then(|r| r.strip_prefix("--"))
                .unwrap_or("");
            if rest.is_empty()
                || rest.len() > 64
                || !rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(format!(
                    "'{id}' must be '{ty}--' followed by a UUID or, leniently, by 1 to 64 letters, digits and hyphens"
                ));
            }
            warnings.push(format!("{e}; accepted (lenient ids)"));
            Ok(())
        }
    }
}

/// Takes fields out of an object's map; what is left becomes `extra`.
struct Reader<'w> {
    map: Map<String, Value>,
    name: String,
    policy: IdPolicy,
    warnings: &'w mut Vec<String>,
}

impl Reader<'_> {
    fn take(&mut self, f: &str) -> Option<Value> {
        self.map.remove(f)
    }

    fn req_str(&mut self, f: &str) -> Result<String, ImportError> {
        match self.take(f) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(field_err(&self.name, f, "must be a string")),
            None => Err(field_err(&self.name, f, "missing")),
        }
    }

    fn opt_str(&mut self, f: &str) -> Result<Option<String>, ImportError> {
        match self.take(f) {
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(field_err(&self.name, f, "must be a string")),
            None => Ok(None),
        }
    }

    fn opt_bool(&mut self, f: &str) -> Result<Option<bool>, ImportError> {
        match self.take(f) {
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(field_err(&self.name, f, "must be true or false")),
            None => Ok(None),
        }
    }

    fn str_list(&mut self, f: &str) -> Result<Vec<String>, ImportError> {
        match self.take(f) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(field_err(&self.name, f, "must be a list of strings")),
                })
                .collect(),
            Some(_) => Err(field_err(&self.name, f, "must be a list of strings")),
        }
    }

    fn parse_time(&self, f: &str, v: Value) -> Result<DateTime<Utc>, ImportError> {
        crate::observation::parse_json_time(&self.name, f, Some(&v)).map_err(|e| match e {
            crate::observation::ObservationError::Field {
                object,
                field,
                message,
            } => ImportError::Field {
                object,
                field,
                message,
            },
            other => field_err(&self.name, f, other.to_string()),
        })
    }

    fn req_time(&mut self, f: &str) -> Result<DateTime<Utc>, ImportError> {
        match self.take(f) {
            Some(v) => self.parse_time(f, v),
            None => Err(field_err(&self.name, f, "missing")),
        }
    }

    fn opt_time(&mut self, f: &str) -> Result<Option<DateTime<Utc>>, ImportError> {
        match self.take(f) {
            Some(v) => self.parse_time(f, v).map(Some),
            None => Ok(None),
        }
    }

    fn kill_chain(&mut self) -> Result<Vec<KillChainPhase>, ImportError> {
        match self.take("kill_chain_phases") {
            None => Ok(Vec::new()),
            Some(v) => serde_json::from_value(v).map_err(|e| {
                field_err(
                    &self.name,
                    "kill_chain_phases",
                    format!("must be a list of {{kill_chain_name, phase_name}}: {e}"),
                )
            }),
        }
    }

    fn common(&mut self, ty: &str) -> Result<Common, ImportError> {
        self.take("type");
        let id = self.req_str("id")?;
        check_id_with(&id, ty, self.policy, self.warnings)
            .map_err(|m| field_err(&self.name, "id", m))?;
        let confidence = match self.take("confidence") {
            None => None,
            Some(v) => Some(v.as_u64().filter(|c| *c <= 100).ok_or_else(|| {
                field_err(&self.name, "confidence", "must be an integer from 0 to 100")
            })? as u8),
        };
        let external_references = match self.take("external_references") {
            None => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(field_err(
                    &self.name,
                    "external_references",
                    "must be a list",
                ));
            }
        };
        let created = self.opt_time("created")?;
        let modified = self.opt_time("modified")?;
        if let (Some(c), Some(m)) = (created, modified)
            && m < c
        {
            return Err(field_err(&self.name, "modified", "is earlier than created"));
        }
        Ok(Common {
            id,
            spec_version: self.opt_str("spec_version")?,
            created,
            modified,
            created_by_ref: self.opt_str("created_by_ref")?,
            labels: self.str_list("labels")?,
            confidence,
            revoked: self.opt_bool("revoked")?,
            external_references,
            object_marking_refs: self.str_list("object_marking_refs")?,
            extra: Map::new(),
        })
    }

    fn finish(self, mut common: Common) -> Common {
        common.extra = self.map;
        common
    }
}

/// Formats a time as STIX does (UTC, `Z`, with as many fraction digits as needed).
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[derive(Default)]
struct Writer(Map<String, Value>);

impl Writer {
    fn str(&mut self, k: &str, v: &str) {
        self.0.insert(k.into(), Value::String(v.into()));
    }
    fn opt_str(&mut self, k: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.str(k, v);
        }
    }
    fn time(&mut self, k: &str, v: &DateTime<Utc>) {
        self.str(k, &format_time(v));
    }
    fn opt_time(&mut self, k: &str, v: &Option<DateTime<Utc>>) {
        if let Some(v) = v {
            self.time(k, v);
        }
    }
    fn list(&mut self, k: &str, v: &[String]) {
        if !v.is_empty() {
            self.0.insert(
                k.into(),
                Value::Array(v.iter().map(|s| Value::String(s.clone())).collect()),
            );
        }
    }
    fn kill_chain(&mut self, v: &[KillChainPhase]) {
        if !v.is_empty() {
            self.0.insert(
                "kill_chain_phases".into(),
                serde_json::to_value(v).unwrap_or(Value::Null),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "type": "bundle",
            "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
            "objects": [
                {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                 "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
                 "indicator_types": ["malicious-activity"], "name": "Poison Ivy C2",
                 "pattern": "[ipv4-addr:value = '198.51.100.3']", "pattern_type": "stix",
                 "valid_from": "2016-01-01T00:00:00Z", "x_custom": {"keep": [1, 2]}},
                {"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5",
                 "created": "2016-05-12T08:17:27.000Z", "modified": "2016-05-12T08:17:27.000Z", "name": "Spear Phishing",
                 "external_references": [{"source_name": "mitre-attack", "external_id": "T1566"}]},
                {"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29",
                 "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "name": "Bobcat Breakin"},
                {"type": "relationship", "spec_version": "2.1", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
                 "created": "2016-04-06T20:06:37.000Z", "modified": "2016-04-06T20:06:37.000Z", "relationship_type": "indicates",
                 "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "target_ref": "attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5"},
                {"type": "relationship", "spec_version": "2.1", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fae",
                 "created": "2016-04-06T20:06:37.000Z", "modified": "2016-04-06T20:06:37.000Z", "relationship_type": "uses",
                 "source_ref": "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29", "target_ref": "attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5"},
                {"type": "identity", "spec_version": "2.1", "id": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
                 "created": "2015-12-21T19:59:11.000Z", "modified": "2015-12-21T19:59:11.000Z", "name": "Cole Powers", "identity_class": "individual"},
                {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
                 "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
                 "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z", "number_observed": 1,
                 "object_refs": ["ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8"]},
                {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8", "value": "198.51.100.3"},
                {"type": "sighting", "spec_version": "2.1", "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
                 "created": "2016-04-06T20:08:31.000Z", "modified": "2016-04-06T20:08:31.000Z",
                 "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "count": 1,
                 "observed_data_refs": ["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"]},
                {"type": "malware", "spec_version": "2.1", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b", "name": "Poison Ivy", "is_family": true}
            ]
        })
    }

    #[test]
    fn import_export_round_trip() {
        let b = Bundle::from_json(&sample()).unwrap();
        assert_eq!(b.objects.len(), 10);
        assert!(matches!(b.objects[0], StixObject::Indicator(_)));
        assert!(matches!(b.objects[9], StixObject::Other(_)));
        let out = b.to_json();
        let back = Bundle::from_json(&out).unwrap();
        assert_eq!(back, b);
        // The custom property survives.
        assert_eq!(out["objects"][0]["x_custom"], json!({"keep": [1, 2]}));
        let ind = b.indicators().next().unwrap();
        assert!(ind.compiled_pattern().unwrap().simple_iocs().is_some());
        let model = b.attack_model(&ind.common.id);
        assert_eq!(model.attack_patterns.len(), 1);
        assert_eq!(model.attack_patterns[0].mitre_id(), Some("T1566"));
        assert_eq!(model.intrusion_sets[0].name, "Bobcat Breakin");
        let obs = b.observations().unwrap();
        assert_eq!(obs.len(), 1);
        assert!(
            ind.compiled_pattern()
                .unwrap()
                .matches(&obs)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn errors_name_object_and_field() {
        let mut v = sample();
        v["objects"][0]["pattern"] = json!("[ipv4-addr:value = ");
        match Bundle::from_json(&v).unwrap_err() {
            ImportError::Field { object, field, .. } => {
                assert_eq!(object, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
                assert_eq!(field, "pattern");
            }
            e => panic!("{e}"),
        }
        let mut v = sample();
        v["objects"][6]["number_observed"] = json!(0);
        let e = Bundle::from_json(&v).unwrap_err().to_string();
        assert!(
            e.contains("observed-data--b67d30ff") && e.contains("number_observed"),
            "{e}"
        );
        let mut v = sample();
        v["objects"][3]
            .as_object_mut()
            .unwrap()
            .remove("target_ref");
        let e = Bundle::from_json(&v).unwrap_err().to_string();
        assert!(e.contains("target_ref") && e.contains("missing"), "{e}");
        let mut v = sample();
        v["objects"][1]["created"] = json!("yesterday");
        let e = Bundle::from_json(&v).unwrap_err().to_string();
        assert!(
            e.contains("attack-pattern--7e33") && e.contains("created"),
            "{e}"
        );
        assert!(matches!(
            Bundle::from_json_str("{"),
            Err(ImportError::Json(_))
        ));
        assert!(matches!(
            Bundle::from_json(&json!({"type": "x"})),
            Err(ImportError::NotABundle(_))
        ));
    }
}
