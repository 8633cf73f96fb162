//! Attack models from bundles: the threatintel seed's example model (reconstructed in
//! `tests/data/seed-attack-model.json` from its description, with ids that are not UUIDs)
//! loads only leniently, and every one of its five steps knows its intrusion set and order.

use outpost_stix::attack::attack_graph;
use outpost_stix::{Bundle, ImportError};

const SEED: &str = include_str!("../data/seed-attack-model.json");

fn seed() -> serde_json::Value {
    serde_json::from_str(SEED).unwrap()
}

#[test]
fn the_seed_model_needs_lenient_ids_and_names_the_first_bad_one() {
    match Bundle::from_json(&seed()) {
        Err(ImportError::Field {
            object,
            field,
            message,
        }) => {
            assert_eq!(object, "bundle--abcd1234-efgh-5678-ijkl-9012mnop9999");
            assert_eq!(field, "id");
            assert!(
                message.contains("followed by a UUID") && message.contains("lenient"),
                "{message}"
            );
        }
        other => panic!("a strict import must refuse the seed's ids: {other:?}"),
    }
    let (b, warnings) = Bundle::from_json_lenient(&seed()).unwrap();
    // The bundle and its 21 objects: every id is a warning.
    assert_eq!(b.objects.len(), 21);
    let ids = warnings
        .iter()
        .filter(|w| w.contains("accepted (lenient ids)"));
    assert_eq!(ids.count(), 22, "{warnings:#?}");
    // The seed's indicators 2 and 3 write `path EXISTS`; STIX 2.1's EXISTS comes before the
    // path (`EXISTS kubernetes-pod:…`): kept in the model, never matched, and said so.
    let patterns: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("pattern is not valid STIX"))
        .collect();
    assert_eq!(patterns.len(), 2, "{warnings:#?}");
    assert!(patterns[0].starts_with("indicator--abcd1234-efgh-5678-ijkl-9012mnop0012"));
    assert!(patterns[1].starts_with("indicator--abcd1234-efgh-5678-ijkl-9012mnop0013"));
    assert!(patterns[0].contains("EXISTS"), "{}", patterns[0]);
    // Leniency is about the characters of ids only: a broken id is still refused.
    let mut bad = seed();
    bad["objects"][1]["id"] = "attack-pattern--no spaces allowed".into();
    let e = Bundle::from_json_lenient(&bad).unwrap_err().to_string();
    assert!(e.contains("attack-pattern--no spaces allowed"), "{e}");
    let mut bad = seed();
    bad["objects"][1]["id"] = "indicator--abcd1234-efgh-5678-ijkl-9012mnop0001".into();
    let e = Bundle::from_json_lenient(&bad).unwrap_err().to_string();
    assert!(e.contains("must be 'attack-pattern--'"), "{e}");
}

#[test]
fn every_step_of_the_seed_model_knows_its_intrusion_set_and_order() {
    let (b, _) = Bundle::from_json_lenient(&seed()).unwrap();
    let g = attack_graph(&b);
    let set = "intrusion-set--abcd1234-efgh-5678-ijkl-9012mnop0000";
    assert_eq!(g.intrusion_sets.len(), 1);
    assert_eq!(g.name(), "Kubernetes HostPath Volume Exploitation");
    let names: Vec<(&str, u32)> = g.steps.iter().map(|s| (s.name.as_str(), s.order)).collect();
    assert_eq!(
        names,
        vec![
            ("Initial SSH Access and Misconfigured RBAC", 1),
            ("Creation of HostPath Persistent Volume", 2),
            ("Pod Deployment with HostPath PVC (mount /var/log)", 3),
            ("Symlink of sensitive files in /var/log", 4),
            ("Extraction of Sensitive Data Using Kubectl Logs", 5),
        ]
    );
    for (n, s) in g.steps.iter().enumerate() {
        assert_eq!(s.intrusion_sets, vec![set.to_string()], "step {}", n + 1);
        assert_eq!(s.indicators.len(), 1, "step {}", n + 1);
        assert_eq!(
            s.indicators[0].id,
            format!("indicator--abcd1234-efgh-5678-ijkl-9012mnop{:04}", 11 + n)
        );
    }
    // 1 uses + 4 related-to; the indicates relationships are the steps' indicators.
    assert_eq!(g.edges.len(), 5);
    assert!(g.ignored.is_empty(), "{:?}", g.ignored);
    // The sightings' attack links: before, steps 2–5 lost their intrusion set (the model
    // followed a direct `uses` only).
    for s in &g.steps {
        let m = b.attack_model(&s.indicators[0].id);
        assert_eq!(m.attack_patterns.len(), 1);
        assert_eq!(m.intrusion_sets.len(), 1, "{}", s.name);
        assert_eq!(
            m.intrusion_sets[0].name,
            "Kubernetes HostPath Volume Exploitation"
        );
    }
}
