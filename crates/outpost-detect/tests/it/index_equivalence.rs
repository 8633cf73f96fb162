//! The rule index (kind, event id, anchor literals, including ORs of anchors) selects exactly
//! the rules a full scan matches, on real data: every SigmaHQ Windows rule on every event of
//! the 277 EVTX attack samples.

use outpost_detect::{RuleSet, SigmaOptions};

use outpost_oslog::evtx_files;

#[test]
fn indexed_matching_equals_a_full_scan_on_sigmahq_windows_rules() {
    let Some(samples) = outpost_testkit::shared("data/evtx/attack-samples") else {
        return;
    };
    let Some(rules) = outpost_testkit::shared("data/sigma/rules/windows") else {
        return;
    };
    let set = RuleSet::load_dir(&rules, &SigmaOptions::default()).expect("SigmaHQ windows rules");
    assert!(set.len() > 2000);
    let files = evtx_files(&samples);
    let (mut events, mut matches) = (0usize, 0usize);
    for f in &files {
        let mut sink = |e: outpost_core::Event| -> Result<(), outpost_oslog::SinkError> {
            events += 1;
            let fast = set.matching_ids(&e);
            let bit = outpost_detect::field::kind_bit(e.kind);
            let slow: Vec<&str> = set
                .rules()
                .iter()
                .filter(|r| r.kinds & bit != 0 && r.cond.eval(&e))
                .map(|r| r.id.as_str())
                .collect();
            assert_eq!(
                fast,
                slow,
                "{} record {:?}",
                f.display(),
                e.log.as_ref().and_then(|l| l.record_id)
            );
            matches += fast.len();
            Ok(())
        };
        outpost_oslog::ingest_file(f, &outpost_oslog::IngestOptions::default(), &mut sink)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    assert!(
        events > 8000 && matches > 1000,
        "{events} events, {matches} matches"
    );
}
