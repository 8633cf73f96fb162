//! Sigma rules that cannot be evaluated are reported with the reason, never silently dropped.

use outpost_detect::{RuleSet, SigmaOptions};
use std::path::Path;

#[test]
fn unsupported_rules_are_reported_with_reasons() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigma_unsupported");
    let set = RuleSet::load_dir(&dir, &SigmaOptions::default()).expect("load");
    // The fieldref rule (63be0498…) loads since fieldref is supported.
    assert_eq!(set.len(), 1);
    let mut got: Vec<(String, String)> = set
        .unsupported()
        .iter()
        .map(|u| (u.rule_id.clone(), u.reason.clone()))
        .collect();
    got.sort();
    let expect = [
        (
            "50c66dca-d2a5-41e2-bf93-1e632b598406",
            "logsource product 'macos' has no Outpost mapping",
        ),
        (
            "57be4e70-6780-4dbe-bbfa-3451817d02da",
            // Its rule is not loaded (an aggregation expression), so the correlation is not.
            "correlation: referred rule '60cda4ea-dde6-475e-88a0-bd772bb48633' is not loaded",
        ),
        (
            "5a0a6b17-4cab-4935-b799-0524f7dcdd68",
            "field 'IntegrityLevel' has no Linux mapping for category 'process_creation'",
        ),
        (
            "60cda4ea-dde6-475e-88a0-bd772bb48633",
            "aggregation expressions",
        ),
        (
            "a592bea7-1fe1-44e9-b90c-d85f171d96fb",
            "'2 of' is not supported",
        ),
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for ((id, reason), (eid, ereason)) in got.iter().zip(expect) {
        assert_eq!(id, eid);
        assert!(
            reason.contains(ereason),
            "{id}: {reason:?} should mention {ereason:?}"
        );
    }
    for u in set.unsupported() {
        assert!(u.file.ends_with("unsupported.yml"));
    }
}
