//! Property tests: the parser and the importers never panic, and export → import round-trips.

use chrono::{DateTime, TimeZone, Utc};
use outpost_stix::model::{
    Bundle, Common, Identity, Indicator, KillChainPhase, Relationship, StixObject,
};
use outpost_stix::observation::{Observation, observations_from_json};
use outpost_stix::pattern::Pattern;
use outpost_testkit::json::{JsonShape, json_value};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const VALID: &[&str] = &[
    "[ipv4-addr:value = '198.51.100.1']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port IN (80, 443)]",
    "[process:command_line MATCHES '^curl .*\\\\.sh$'] FOLLOWEDBY [file:name LIKE '%.sh'] WITHIN 60 SECONDS",
    "([a:b = 1] OR [c:d != h'0102']) REPEATS 3 TIMES START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00.5Z'",
    "[x:refs[*].name NOT IN ('a', 'b') OR EXISTS x:y[0].z]",
    "[t:ts > t'2010-05-21T13:21:43.123Z' AND t:bin = b'AQIDBA==' AND t:f <= -4.5 AND t:b = true]",
];

fn observations() -> Vec<Observation> {
    let t: DateTime<Utc> = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    vec![
        Observation::at(
            t,
            vec![
                (
                    "a--1".into(),
                    json!({"type": "a", "b": 1, "refs": ["c--1"], "y": [{"z": 1}]}),
                ),
                (
                    "c--1".into(),
                    json!({"type": "c", "d": "x", "name": "a", "bin": "AQIDBA=="}),
                ),
                (
                    "i--1".into(),
                    json!({"type": "ipv4-addr", "value": "198.51.100.1"}),
                ),
            ],
        ),
        Observation::at(
            t + chrono::Duration::seconds(3),
            vec![("f--1".into(), json!({"type": "file", "name": "x.sh"}))],
        ),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    json_value(JsonShape {
        text: "[a-z_-]{0,12}",
        strings: &[
            "2020-01-01T00:00:00Z",
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "observed-data",
            "bundle",
            "indicator",
            "[a:b = 1]",
        ],
        keys: &[
            "type",
            "id",
            "objects",
            "object_refs",
            "pattern",
            "first_observed",
            "number_observed",
        ],
        key_pattern: Some("[a-z_]{1,10}"),
        depth: 4,
        size: 48,
        width: 6,
    })
}

fn sample_bundle() -> Value {
    json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "pattern": "[ipv4-addr:value = '198.51.100.3']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"},
        {"type": "observed-data", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
         "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z", "number_observed": 1,
         "object_refs": ["ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8"]},
        {"type": "ipv4-addr", "id": "ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8", "value": "198.51.100.3"}
    ]})
}

fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000, 0u32..1_000_000)
        .prop_map(|(s, us)| Utc.timestamp_opt(s, us * 1000).unwrap())
}

fn uuid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
}

fn arb_object() -> impl Strategy<Value = StixObject> {
    let text = "[ -~]{0,20}";
    prop_oneof![
        (
            uuid(),
            text,
            arb_time(),
            proptest::option::of(arb_time()),
            prop::collection::vec("[a-z-]{1,10}", 0..3),
            0usize..VALID.len()
        )
            .prop_map(|(u, name, from, until, types, p)| {
                StixObject::Indicator(Indicator {
                    common: Common {
                        id: format!("indicator--{u}"),
                        spec_version: Some("2.1".into()),
                        ..Default::default()
                    },
                    name: Some(name),
                    description: None,
                    indicator_types: types,
                    pattern: VALID[p].into(),
                    pattern_type: "stix".into(),
                    pattern_version: None,
                    valid_from: from,
                    valid_until: until,
                    kill_chain_phases: vec![KillChainPhase {
                        kill_chain_name: "mitre-attack".into(),
                        phase_name: "execution".into(),
                    }],
                })
            }),
        (
            uuid(),
            uuid(),
            uuid(),
            "[a-z-]{1,12}",
            proptest::option::of(0u8..=100)
        )
            .prop_map(|(u, s, t, rt, conf)| {
                StixObject::Relationship(Relationship {
                    common: Common {
                        id: format!("relationship--{u}"),
                        confidence: conf,
                        ..Default::default()
                    },
                    relationship_type: rt,
                    description: None,
                    source_ref: format!("indicator--{s}"),
                    target_ref: format!("attack-pattern--{t}"),
                    start_time: None,
                    stop_time: None,
                })
            }),
        (uuid(), text, proptest::option::of("[a-z]{1,10}")).prop_map(|(u, name, class)| {
            let mut extra = Map::new();
            extra.insert("x_custom".into(), json!({"n": name.len()}));
            StixObject::Identity(Identity {
                common: Common {
                    id: format!("identity--{u}"),
                    extra,
                    ..Default::default()
                },
                name,
                description: None,
                identity_class: class,
                roles: vec![],
                sectors: vec!["technology".into()],
                contact_information: None,
            })
        }),
        (uuid(), "[a-z]{1,10}").prop_map(|(u, v)| {
            let mut m = Map::new();
            m.insert("type".into(), json!("domain-name"));
            m.insert("id".into(), json!(format!("domain-name--{u}")));
            m.insert("value".into(), json!(format!("{v}.example")));
            StixObject::Other(m)
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = Pattern::parse(&s);
    }

    #[test]
    fn parser_never_panics_on_pattern_like_text(s in "[\\[\\]()':.,*=!<>a-zA-Z0-9_ \\-+/\\\\]{0,80}") {
        if let Ok(p) = Pattern::parse(&s) {
            let _ = p.matches(&observations());
            let _ = p.simple_iocs();
        }
    }

    #[test]
    fn parser_never_panics_on_mutated_patterns(
        idx in 0usize..VALID.len(),
        edits in prop::collection::vec((0usize..200, 0u8..3, any::<char>()), 1..5),
    ) {
        let mut chars: Vec<char> = VALID[idx].chars().collect();
        for (pos, kind, c) in edits {
            let at = if chars.is_empty() { 0 } else { pos % (chars.len() + 1) };
            match kind {
                0 if at < chars.len() => { chars.remove(at); }
                1 => chars.insert(at, c),
                _ if at < chars.len() => chars[at] = c,
                _ => chars.push(c),
            }
        }
        let s: String = chars.into_iter().collect();
        if let Ok(p) = Pattern::parse(&s) {
            let _ = p.matches(&observations());
        }
    }

    #[test]
    fn bundle_import_never_panics(v in arb_json()) {
        let _ = Bundle::from_json(&v);
        let _ = observations_from_json(&v);
    }

    #[test]
    fn bundle_import_never_panics_on_corrupted_fields(obj in 0usize..3, key in "[a-z_]{1,16}", v in arb_json()) {
        let mut b = sample_bundle();
        let fields = ["type", "id", "pattern", "valid_from", "first_observed", "number_observed", "object_refs", "value"];
        let k = if key.len() % 2 == 0 { fields[key.len() % fields.len()].to_string() } else { key };
        b["objects"][obj][k] = v;
        if let Ok(parsed) = Bundle::from_json(&b) {
            // Whatever imports must export and import back to the same thing.
            prop_assert_eq!(Bundle::from_json(&parsed.to_json()).unwrap(), parsed);
        }
        let _ = observations_from_json(&b);
    }

    #[test]
    fn export_import_round_trips(objects in prop::collection::vec(arb_object(), 0..8), u in uuid()) {
        let b = Bundle { id: format!("bundle--{u}"), objects };
        let json = b.to_json();
        let back = Bundle::from_json(&json).unwrap();
        prop_assert_eq!(&back, &b);
        let text = serde_json::to_string(&json).unwrap();
        prop_assert_eq!(Bundle::from_json_str(&text).unwrap(), b);
    }
}
