//! Turning a pattern match into a STIX sighting.

use crate::model::{Bundle, Common, Identity, Indicator, ObservedData, Sighting, StixObject};
use crate::observation::Observation;
use crate::pattern::PatternMatch;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// FNV-1a, 64-bit, with a seed; used to derive stable ids.
fn fnv(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A deterministic `type--uuid` id (UUID version 5 layout) from some strings, so the same
/// match always yields the same sighting id and duplicates can be recognised.
pub fn stable_id(ty: &str, parts: &[&str]) -> String {
    let a = fnv(0x5354_4958, parts);
    let b = fnv(0x006f_7574_706f_7374, parts);
    let time_hi = ((a >> 16) & 0x0fff) | 0x5000;
    let clock = ((b >> 48) & 0x3fff) | 0x8000;
    format!(
        "{ty}--{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        a & 0xffff,
        time_hi,
        clock,
        b & 0xffff_ffff_ffff
    )
}

/// The observed-data id of an observation: its own id, or one derived from its content.
pub fn observed_data_id(obs: &Observation) -> String {
    if let Some(id) = &obs.id {
        return id.clone();
    }
    let first = crate::model::format_time(&obs.first_observed);
    let last = crate::model::format_time(&obs.last_observed);
    let n = obs.number_observed.to_string();
    let body: Vec<String> = obs.objects.iter().map(|(_, v)| v.to_string()).collect();
    let mut parts: Vec<&str> = vec![&first, &last, &n];
    parts.extend(body.iter().map(String::as_str));
    stable_id("observed-data", &parts)
}

/// The STIX objects for an observation: the observed-data and its observables, ready to put in
/// a bundle beside the sighting. When every observable has a STIX id (`type--…`) they are
/// listed in `object_refs` and travel beside the observed-data (STIX 2.1); when some do not (a
/// STIX 2.0 `objects` dictionary keyed `"0"`, `"1"`…, whose references use those keys) the
/// observables stay embedded in `objects`, so references between them still resolve.
pub fn observed_data_objects(obs: &Observation, now: DateTime<Utc>) -> Vec<StixObject> {
    let all_stix_ids = obs.objects.iter().all(|(id, _)| id.contains("--"));
    let observed = |object_refs: Vec<String>, objects: Option<Map<String, Value>>| ObservedData {
        common: Common {
            id: observed_data_id(obs),
            spec_version: Some("2.1".into()),
            created: Some(now),
            modified: Some(now),
            ..Default::default()
        },
        first_observed: obs.first_observed,
        last_observed: obs.last_observed,
        number_observed: obs.number_observed,
        object_refs,
        objects,
    };
    if !all_stix_ids {
        let embedded: Map<String, Value> = obs.objects.iter().cloned().collect();
        return vec![StixObject::ObservedData(observed(
            Vec::new(),
            Some(embedded),
        ))];
    }
    let object_refs: Vec<String> = obs.objects.iter().map(|(id, _)| id.clone()).collect();
    let od = observed(object_refs, None);
    let mut out = vec![StixObject::ObservedData(od)];
    for (id, v) in &obs.objects {
        if !id.contains("--") {
            continue;
        }
        let mut m = v.as_object().cloned().unwrap_or_else(Map::new);
        m.entry("id").or_insert_with(|| Value::String(id.clone()));
        out.push(StixObject::Other(m));
    }
    out
}

/// A sighting of `indicator`, evidenced by `observed`: `sighting_of_ref` is the indicator,
/// `observed_data_refs` the observations, `count` their total `number_observed`, and
/// `first_seen`/`last_seen` their time span. `where_sighted_refs` names where (identity ids of
/// the host or tenant). `now` is the creation time.
pub fn sighting_for(
    indicator: &Indicator,
    observed: &[Observation],
    where_sighted_refs: &[String],
    now: DateTime<Utc>,
) -> Sighting {
    let observed_data_refs: Vec<String> = observed.iter().map(observed_data_id).collect();
    let count = observed
        .iter()
        .map(|o| o.number_observed)
        .fold(0u64, u64::saturating_add);
    let first_seen = observed.iter().map(|o| o.first_observed).min();
    let last_seen = observed.iter().map(|o| o.last_observed).max();
    let mut parts: Vec<&str> = vec![&indicator.common.id];
    parts.extend(observed_data_refs.iter().map(String::as_str));
    parts.extend(where_sighted_refs.iter().map(String::as_str));
    Sighting {
        common: Common {
            id: stable_id("sighting", &parts),
            spec_version: Some("2.1".into()),
            created: Some(now),
            modified: Some(now),
            ..Default::default()
        },
        description: indicator
            .name
            .as_ref()
            .map(|n| format!("Sighting of indicator '{n}'")),
        first_seen,
        last_seen,
        count: Some(count.min(999_999_999)),
        sighting_of_ref: indicator.common.id.clone(),
        observed_data_refs,
        where_sighted_refs: where_sighted_refs.to_vec(),
        summary: Some(false),
    }
}

/// [`sighting_for`] with the observations a [`PatternMatch`] bound.
pub fn sighting_for_match(
    indicator: &Indicator,
    observations: &[Observation],
    m: &PatternMatch,
    where_sighted_refs: &[String],
    now: DateTime<Utc>,
) -> Sighting {
    let bound: Vec<Observation> = m
        .observations
        .iter()
        .filter_map(|&i| observations.get(i).cloned())
        .collect();
    sighting_for(indicator, &bound, where_sighted_refs, now)
}

/// An `identity` for where something was sighted: a device (`identity_class` `system`) or a
/// tenant (`organization`). Its id is derived from the class and name, so every sighting on
/// the same device or tenant refers to the same identity.
pub fn where_sighted_identity(name: &str, identity_class: &str, now: DateTime<Utc>) -> Identity {
    Identity {
        common: Common {
            id: stable_id("identity", &[identity_class, name]),
            spec_version: Some("2.1".into()),
            created: Some(now),
            modified: Some(now),
            ..Default::default()
        },
        name: name.to_string(),
        description: None,
        identity_class: Some(identity_class.to_string()),
        roles: Vec::new(),
        sectors: Vec::new(),
        contact_information: None,
    }
}

/// The STIX 2.1 bundle a match yields: the indicator, the identities of where it was sighted,
/// the `sighting` (see [`sighting_for_match`]) and the observed-data (with their observables)
/// it refers to. The bundle id is derived from the sighting's, so the same match exports the
/// same bundle; [`Bundle::to_json`] exports it and [`Bundle::from_json`] reads it back.
pub fn sighting_bundle(
    indicator: &Indicator,
    observations: &[Observation],
    m: &PatternMatch,
    where_sighted: &[Identity],
    now: DateTime<Utc>,
) -> Bundle {
    let refs: Vec<String> = where_sighted.iter().map(|i| i.common.id.clone()).collect();
    let sighting = sighting_for_match(indicator, observations, m, &refs, now);
    let bundle_id = stable_id("bundle", &[&sighting.common.id]);
    let mut objects = vec![StixObject::Indicator(indicator.clone())];
    objects.extend(where_sighted.iter().cloned().map(StixObject::Identity));
    objects.push(StixObject::Sighting(sighting));
    let mut seen = std::collections::HashSet::new();
    for &i in &m.observations {
        if let Some(o) = observations.get(i) {
            for obj in observed_data_objects(o, now) {
                if seen.insert(obj.id().to_string()) {
                    objects.push(obj);
                }
            }
        }
    }
    Bundle {
        id: bundle_id,
        objects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn indicator() -> Indicator {
        match StixObject::from_json(
            &json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                    "name": "C2", "pattern": "[ipv4-addr:value = '198.51.100.3'] REPEATS 2 TIMES", "pattern_type": "stix",
                    "valid_from": "2016-01-01T00:00:00Z"}),
            "x",
        )
        .unwrap()
        {
            StixObject::Indicator(i) => i,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn match_becomes_sighting() {
        let ind = indicator();
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let o = |s: i64, ip: &str| {
            Observation::at(
                t0 + chrono::Duration::seconds(s),
                vec![(
                    "ipv4-addr--00000000-0000-4000-8000-000000000001".into(),
                    json!({"type": "ipv4-addr", "value": ip}),
                )],
            )
        };
        let obs = vec![
            o(0, "198.51.100.3"),
            o(5, "203.0.113.1"),
            o(9, "198.51.100.3"),
        ];
        let m = ind
            .compiled_pattern()
            .unwrap()
            .matches(&obs)
            .unwrap()
            .unwrap();
        assert_eq!(m.observations, vec![0, 2]);
        let creator = ["identity--311b2d2d-f010-4473-83ec-1edf84858f4c".to_string()];
        let s = sighting_for_match(&ind, &obs, &m, &creator, t0);
        assert_eq!(s.sighting_of_ref, ind.common.id);
        assert_eq!(s.count, Some(2));
        assert_eq!(s.first_seen, Some(t0));
        assert_eq!(s.last_seen, Some(t0 + chrono::Duration::seconds(9)));
        assert_eq!(s.observed_data_refs.len(), 2);
        assert_ne!(s.observed_data_refs[0], s.observed_data_refs[1]);
        // Same inputs, same id.
        let again = sighting_for_match(&ind, &obs, &m, &creator, t0);
        assert_eq!(again.common.id, s.common.id);
        // The sighting and its evidence form a valid bundle that imports back.
        let mut objects = vec![StixObject::Indicator(ind.clone()), StixObject::Sighting(s)];
        for i in &m.observations {
            objects.extend(observed_data_objects(&obs[*i], t0));
        }
        let b = Bundle {
            id: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d".into(),
            objects,
        };
        let back = Bundle::from_json(&b.to_json()).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.observations().unwrap().len(), 2);
    }
}
