//! STIX 2.1 patterns (`outpost_stix::Pattern::parse`, the patterning engine of `[detect]
//! stix_dir` and the intel STIX feeds) and the observations they are matched against. Input:
//! the pattern on the first line, then optionally the observations as JSON (a bundle, an
//! observed-data object or a list of them, as in the conformance suite). A parsed pattern is
//! matched against those observations and against the observations of sample events, and its
//! IOC extraction runs.
use outpost_stix::{Pattern, observation_from_event, observations_from_json};

fn main() {
    let events: Vec<_> = outpost_fuzz::sample_events()
        .iter()
        .map(observation_from_event)
        .collect();
    // OUTPOST_FUZZ_DEBUG=1: print the match result (for looking at a saved input by hand).
    let debug = std::env::var_os("OUTPOST_FUZZ_DEBUG").is_some();
    afl::fuzz!(|data: &[u8]| {
        let (pat, obs) = match data.iter().position(|&b| b == b'\n') {
            Some(i) => (&data[..i], &data[i + 1..]),
            None => (data, &[][..]),
        };
        let Ok(text) = std::str::from_utf8(pat) else {
            return;
        };
        let observations = serde_json::from_slice::<serde_json::Value>(obs)
            .ok()
            .and_then(|v| observations_from_json(&v).ok());
        let Ok(p) = Pattern::parse(text) else {
            return;
        };
        let _ = p.simple_iocs();
        // A parsed pattern parses again from its own text.
        if let Err(e) = Pattern::parse(p.as_str()) {
            panic!("pattern {:?} parsed once but not twice: {e:?}", p.as_str());
        }
        if let Some(o) = &observations {
            let r = p.matches(o);
            if debug {
                eprintln!(
                    "{} observations: {:?}",
                    o.len(),
                    r.as_ref().map(|m| m.is_some())
                );
            }
        }
        let _ = p.matches(&events);
    });
}
