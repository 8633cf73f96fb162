//! Golden test (chainsaw-style): the Sigma fixture rules in `tests/fixtures/sigma_windows`,
//! evaluated on every EVTX file of the shared attack samples (read with `outpost-oslog`), must
//! give exactly the detections in `tests/golden/sigma_evtx.json` (rule id → file#record id).
//!
//! Set `OUTPOST_BLESS=1` to rewrite the golden file after reviewing a change.

use outpost_detect::{RuleSet, SigmaOptions};
use std::collections::BTreeMap;
use std::path::Path;

use outpost_oslog::evtx_files;

#[test]
fn sigma_rules_on_attack_samples_match_golden() {
    let Some(samples) = outpost_testkit::shared("data/evtx/attack-samples") else {
        return;
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigma_windows");
    let rules = RuleSet::load_dir(&fixtures, &SigmaOptions::default()).expect("fixture rules load");
    assert!(rules.unsupported().is_empty(), "{:?}", rules.unsupported());
    assert_eq!(rules.len(), 10);

    let files = evtx_files(&samples);
    assert!(
        files.len() >= 270,
        "expected the 277 attack samples, found {}",
        files.len()
    );

    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rules.rules() {
        got.insert(format!("{} {}", r.id, r.name), Vec::new());
    }
    let names: BTreeMap<&str, String> = rules
        .rules()
        .iter()
        .map(|r| (r.id.as_str(), format!("{} {}", r.id, r.name)))
        .collect();
    let opts = outpost_oslog::IngestOptions::default();
    let mut events = 0usize;
    for f in &files {
        let rel = f.strip_prefix(&samples).unwrap_or(f).display().to_string();
        let mut sink = |e: outpost_core::Event| -> Result<(), outpost_oslog::SinkError> {
            events += 1;
            for id in rules.matching_ids(&e) {
                let rec = e.log.as_ref().and_then(|l| l.record_id).unwrap_or(0);
                if let Some(key) = names.get(id) {
                    got.entry(key.clone())
                        .or_default()
                        .push(format!("{rel}#{rec}"));
                }
            }
            Ok(())
        };
        outpost_oslog::ingest_file(f, &opts, &mut sink)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    assert!(events > 5000, "only {events} events read");
    for v in got.values_mut() {
        v.sort();
    }
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sigma_evtx.json");
    let rendered = serde_json::to_string_pretty(&got).expect("json") + "\n";
    if std::env::var_os("OUTPOST_BLESS").is_some() {
        std::fs::write(&golden_path, &rendered).expect("write golden");
        eprintln!("blessed {}", golden_path.display());
        return;
    }
    let want: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&std::fs::read_to_string(&golden_path).expect("golden file"))
            .expect("golden json");
    for (rule, hits) in &want {
        assert!(
            !hits.is_empty(),
            "golden rule {rule} has no detection: a dead fixture"
        );
    }
    assert_eq!(
        got,
        want,
        "detections differ from {}",
        golden_path.display()
    );
}
