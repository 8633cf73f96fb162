//! YAML detection rules and Sigma rules (`outpost_detect::RuleSet::from_yaml`, what
//! `[detect] rules_dir` and the rule reload load): YAML parsing (serde-saphyr), native rule
//! validation, the Sigma compiler (modifiers, conditions, field mappings, regexes) and then
//! the compiled rules evaluated on sample events.
use outpost_detect::{RuleSet, Scored, SigmaOptions};
use std::path::Path;

fn main() {
    let opts = SigmaOptions::default();
    let events = outpost_fuzz::sample_events();
    afl::fuzz!(|data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let Ok(set) = RuleSet::from_yaml(text, Path::new("fuzz.yml"), &opts) else {
            return;
        };
        let _ = set.summaries();
        for e in &events {
            let _ = set.matching_ids(e);
            let mut out = Scored::default();
            set.eval_into(e, &mut out);
        }
    });
}
