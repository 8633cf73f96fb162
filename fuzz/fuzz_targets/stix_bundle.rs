//! STIX 2.1 bundles (`outpost_stix::Bundle::from_json_str`: the files of `[detect] stix_dir`
//! and STIX intel feeds): object validation, then what the server does with a bundle — the
//! STIX engine compiles its indicators with their attack models and evaluates them on events —
//! and the export: a bundle that was read must read again from its own JSON.
use outpost_detect::stix::{StixConfig, StixEngine};
use outpost_stix::Bundle;

fn main() {
    let events = outpost_fuzz::sample_events();
    afl::fuzz!(|data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let Ok(b) = Bundle::from_json_str(text) else {
            return;
        };
        if let Err(e) = Bundle::from_json(&b.to_json()) {
            panic!("an imported bundle does not import again from its export: {e}");
        }
        let _ = b.observations();
        let cfg = StixConfig {
            skip_simple_iocs: false,
            ..StixConfig::default()
        };
        let (engine, _skipped) = StixEngine::from_bundle(&b, cfg);
        for e in &events {
            let _ = engine.sightings(e);
        }
    });
}
