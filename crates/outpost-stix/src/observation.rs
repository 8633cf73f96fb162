//! Observations: what patterns are matched against.
//!
//! An [`Observation`] is one STIX `observed-data` object with the cyber-observable objects it
//! refers to. STIX 2.1 observed-data lists SCO ids in `object_refs` and the SCOs travel beside it
//! in a bundle; STIX 2.0 (deprecated in 2.1) embeds them in an `objects` dictionary. Both are
//! accepted by [`observations_from_json`].

use crate::pattern::literal::parse_timestamp_literal;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One observed-data object and its cyber observables.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The observed-data id, when known.
    pub id: Option<String>,
    pub first_observed: DateTime<Utc>,
    pub last_observed: DateTime<Utc>,
    /// How many times this was observed (≥ 1); each counts as a separate observation for
    /// `AND`, `FOLLOWEDBY` and `REPEATS`.
    pub number_observed: u64,
    /// The observables as `(id, object)`: STIX 2.1 SCO ids, or the keys of a 2.0 `objects`
    /// dictionary. References (`*_ref`, `*_refs`) are resolved against these ids.
    pub objects: Vec<(String, Value)>,
}

impl Observation {
    /// A single observation at one instant.
    pub fn at(ts: DateTime<Utc>, objects: Vec<(String, Value)>) -> Self {
        Observation {
            id: None,
            first_observed: ts,
            last_observed: ts,
            number_observed: 1,
            objects,
        }
    }

    /// The observable with this id, if present.
    pub fn object(&self, id: &str) -> Option<&Value> {
        self.objects.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }
}

/// Why JSON could not be read as observations. Names the object and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObservationError {
    /// A field is missing or has the wrong type or value.
    #[error("{object}: field '{field}': {message}")]
    Field {
        /// The object's id, or its position when it has none.
        object: String,
        field: String,
        message: String,
    },
    /// The JSON is not a bundle, an observed-data object or a list of them.
    #[error("not STIX observed data: {0}")]
    Shape(String),
}

/// The object's `id`, or the name `otherwise` gives it.
fn id_or(obj: &Map<String, Value>, otherwise: impl FnOnce() -> String) -> String {
    obj.get("id")
        .and_then(Value::as_str)
        .map_or_else(otherwise, str::to_string)
}

fn field_err(object: &str, field: &str, message: impl Into<String>) -> ObservationError {
    ObservationError::Field {
        object: object.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

/// Parses a STIX timestamp from JSON (`YYYY-MM-DDTHH:MM:SS[.f]Z`).
pub(crate) fn parse_json_time(
    object: &str,
    field: &str,
    v: Option<&Value>,
) -> Result<DateTime<Utc>, ObservationError> {
    let s = v
        .ok_or_else(|| field_err(object, field, "missing"))?
        .as_str()
        .ok_or_else(|| field_err(object, field, "must be a timestamp string"))?;
    let micros =
        parse_timestamp_literal(s).map_err(|m| field_err(object, field, format!("'{s}': {m}")))?;
    Utc.timestamp_micros(micros)
        .single()
        .ok_or_else(|| field_err(object, field, format!("'{s}' is out of range")))
}

/// Reads observations from a bundle, an observed-data object, or a list of bundles and/or
/// observed-data objects.
///
/// As in the OASIS reference matcher, all the bundles are pooled: an observed-data's
/// `object_refs` may name an SCO from any of them. References that resolve to nothing are
/// skipped. Observations keep the order in which the observed-data objects appear.
pub fn observations_from_json(value: &Value) -> Result<Vec<Observation>, ObservationError> {
    let mut observed: Vec<(String, &Map<String, Value>)> = Vec::new();
    let mut pool: HashMap<&str, &Value> = HashMap::new();
    let items: Vec<&Value> = match value {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![value],
        _ => {
            return Err(ObservationError::Shape(
                "expected a JSON object or array".into(),
            ));
        }
    };
    for (i, item) in items.iter().enumerate() {
        let obj = item
            .as_object()
            .ok_or_else(|| ObservationError::Shape(format!("item {i} is not a JSON object")))?;
        match obj.get("type").and_then(Value::as_str) {
            Some("bundle") => {
                let bundle_name = id_or(obj, || "bundle".into());
                let objects = obj
                    .get("objects")
                    .ok_or_else(|| field_err(&bundle_name, "objects", "missing"))?
                    .as_array()
                    .ok_or_else(|| field_err(&bundle_name, "objects", "must be a list"))?;
                for (j, o) in objects.iter().enumerate() {
                    let m = o.as_object().ok_or_else(|| {
                        field_err(&bundle_name, &format!("objects[{j}]"), "not a JSON object")
                    })?;
                    let ty = m.get("type").and_then(Value::as_str).ok_or_else(|| {
                        field_err(&format!("{bundle_name} objects[{j}]"), "type", "missing")
                    })?;
                    if ty == "observed-data" {
                        let name = id_or(m, || format!("{bundle_name} objects[{j}]"));
                        observed.push((name, m));
                    } else if let Some(id) = m.get("id").and_then(Value::as_str) {
                        pool.insert(id, o);
                    }
                }
            }
            Some("observed-data") => {
                let name = id_or(obj, || format!("item {i}"));
                observed.push((name, obj));
            }
            Some(other) => {
                return Err(ObservationError::Shape(format!(
                    "item {i} has type '{other}'; expected 'bundle' or 'observed-data'"
                )));
            }
            None => return Err(ObservationError::Shape(format!("item {i} has no 'type'"))),
        }
    }

    let mut out = Vec::with_capacity(observed.len());
    for (name, od) in observed {
        let first_observed = parse_json_time(&name, "first_observed", od.get("first_observed"))?;
        let last_observed = parse_json_time(&name, "last_observed", od.get("last_observed"))?;
        if first_observed > last_observed {
            return Err(field_err(
                &name,
                "last_observed",
                "is earlier than first_observed",
            ));
        }
        let number_observed = od
            .get("number_observed")
            .ok_or_else(|| field_err(&name, "number_observed", "missing"))?
            .as_u64()
            .filter(|n| *n >= 1)
            .ok_or_else(|| field_err(&name, "number_observed", "must be an integer ≥ 1"))?;
        let mut objects = Vec::new();
        if let Some(refs) = od.get("object_refs") {
            let refs = refs
                .as_array()
                .ok_or_else(|| field_err(&name, "object_refs", "must be a list"))?;
            for r in refs {
                let r = r
                    .as_str()
                    .ok_or_else(|| field_err(&name, "object_refs", "must hold id strings"))?;
                if let Some(o) = pool.get(r) {
                    objects.push((r.to_string(), (*o).clone()));
                }
            }
        } else if let Some(embedded) = od.get("objects") {
            let embedded = embedded.as_object().ok_or_else(|| {
                field_err(&name, "objects", "must be a dictionary of observables")
            })?;
            for (k, v) in embedded {
                objects.push((k.clone(), v.clone()));
            }
        } else {
            return Err(field_err(
                &name,
                "object_refs",
                "missing (and no 2.0 'objects' dictionary either)",
            ));
        }
        out.push(Observation {
            id: od.get("id").and_then(Value::as_str).map(str::to_string),
            first_observed,
            last_observed,
            number_observed,
            objects,
        });
    }
    Ok(out)
}
