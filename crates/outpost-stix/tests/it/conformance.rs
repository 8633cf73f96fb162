//! The OASIS reference matcher's STIX 2.1 test cases (`conformance/stix2-patterns.json` in the
//! shared directory): every pattern must give the same match / no-match / error, a match must
//! bind as many observations as the reference matcher returned (`matched_count`), and every
//! `error` case must be rejected with a clear message (what is wrong, and where for syntax
//! errors).
//!
//! The file is read from `$OUTPOST_SHARED_DIR/conformance/`, defaulting to
//! `<workspace root>/../shared`. When it is absent the test prints why and passes, except
//! under `OUTPOST_REQUIRE_SHARED=1` (set by `scripts/test.sh`), where it fails.

use outpost_stix::observation::observations_from_json;
use outpost_stix::pattern::{Pattern, PatternError};
use serde_json::Value;

/// What our engine says for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Matched, binding these observations (indices into the case's observed-data objects).
    Match(Vec<usize>),
    NoMatch,
    /// Rejected: the rendered message and the structured error, when the pattern engine gave one
    /// (`None` for observation data that could not be read).
    Error(String, Option<PatternError>),
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Match(_) => "match",
            Outcome::NoMatch => "no-match",
            Outcome::Error(..) => "error",
        }
    }
    /// How many observation groups the match returned (0 for no-match and error), as the
    /// suite's `matched_count` counts them.
    fn matched_count(&self) -> u64 {
        match self {
            Outcome::Match(obs) => obs.len() as u64,
            _ => 0,
        }
    }
}

fn run_case(pattern: &str, observations: &Value) -> Outcome {
    let p = match Pattern::parse(pattern) {
        Ok(p) => p,
        Err(e) => return Outcome::Error(e.to_string(), Some(e)),
    };
    let obs = match observations_from_json(observations) {
        Ok(o) => o,
        Err(e) => return Outcome::Error(e.to_string(), None),
    };
    match p.matches(&obs) {
        Ok(Some(m)) => Outcome::Match(m.observations),
        Ok(None) => Outcome::NoMatch,
        Err(e) => Outcome::Error(e.to_string(), Some(e)),
    }
}

/// The suite's wording requirement for `error` cases: rejected "with a clear message". We hold
/// every rejection to: it comes from the pattern engine (not from unreadable test data), says
/// what is wrong in words (at least a few words, naming the offending token, operator or
/// value when there is one, never just "error"), and a syntax error gives its byte position
/// inside the pattern; the rendered message says whether the pattern is invalid or its
/// evaluation failed.
fn unclear_message(pattern: &str, message: &str, err: Option<&PatternError>) -> Option<String> {
    let Some(err) = err else {
        return Some(format!(
            "rejected by the observation reader, not the pattern engine: {message}"
        ));
    };
    let words = err.message.split_whitespace().count();
    if words < 3 || err.message.trim().eq_ignore_ascii_case("error") {
        return Some(format!("message too terse: {:?}", err.message));
    }
    if let Some(pos) = err.position
        && pos > pattern.len()
    {
        return Some(format!(
            "position {pos} lies outside the pattern ({} bytes)",
            pattern.len()
        ));
    }
    if !(message.starts_with("invalid STIX pattern")
        || message.starts_with("STIX pattern evaluation failed"))
    {
        return Some(format!("message does not say what failed: {message:?}"));
    }
    None
}

/// Upstream's `test_temporal_qualifiers.py` shares one module-level fixture between its tests
/// and its last two tests rewrite the first_observed/last_observed of its first two
/// observed-data objects in place. The conformance file was captured after that, so cases
/// 308–349 all carry the final, rewritten timestamps, while the expected results were produced
/// on the data each test actually saw. (Cases 339 and 347 are byte-identical in pattern and
/// data yet expect opposite results, so no matcher can pass them as written.)
///
/// Running the reference matcher itself (stix2-matcher 3.0.0) on the file as written gives
/// 408/423: it disagrees with the file's `expected` on exactly the 15 cases in
/// [`REFERENCE_ON_REWRITTEN`]. This restores, for cases 308–349, the timestamps the reference
/// matcher ran on — taken from upstream's test parameters — and only when the file holds the
/// rewritten state; the test also checks that on the rewritten data we differ from `expected`
/// on exactly the cases where the reference matcher does.
/// Cases where stix2-matcher 3.0.0, run on the file as written (rewritten timestamps), does not
/// give the file's `expected` result (verified with `pip install stix2-matcher==3.0.0`).
const REFERENCE_ON_REWRITTEN: &[u64] = &[
    314, 315, 316, 318, 319, 320, 321, 339, 340, 341, 342, 343, 344, 345, 346,
];

fn upstream_fixture(id: u64, observations: &Value) -> Option<Value> {
    if !(308..=349).contains(&id) {
        return None;
    }
    let times = |v: &Value, i: usize| -> Option<(String, String)> {
        let od = v.get(i)?.get("objects")?.get(0)?;
        Some((
            od.get("first_observed")?.as_str()?.to_string(),
            od.get("last_observed")?.as_str()?.to_string(),
        ))
    };
    // The rewritten state: interval (_1, _2) for alice and (_5, _5) for bob.
    let mutated = times(observations, 0)?
        == ("2000-01-01T00:00:00Z".into(), "2000-01-01T00:00:01Z".into())
        && times(observations, 1)?
            == ("2000-01-01T00:00:04Z".into(), "2000-01-01T00:00:04Z".into());
    if !mutated {
        return None;
    }
    let t = |s: u32| format!("2000-01-01T00:00:{s:02}Z");
    let (alice, bob) = match id {
        308..=338 => (
            (
                "1994-11-29T13:37:52Z".to_string(),
                "1994-11-29T13:37:52Z".to_string(),
            ),
            (
                "1994-11-29T13:37:57Z".to_string(),
                "1994-11-29T13:37:57Z".to_string(),
            ),
        ),
        // test_within_match / test_within_nomatch parameters, in order (_1.._5 = :00..:04).
        339 => ((t(0), t(0)), (t(0), t(0))),
        340 => ((t(0), t(0)), (t(0), t(1))),
        341 => ((t(0), t(0)), (t(0), t(1))),
        342 => ((t(0), t(1)), (t(1), t(2))),
        343 => ((t(0), t(1)), (t(2), t(3))),
        344 => ((t(0), t(3)), (t(1), t(2))),
        345 => ((t(0), t(2)), (t(1), t(3))),
        346 => ((t(0), t(1)), (t(3), t(4))),
        347 => ((t(0), t(1)), (t(3), t(4))),
        348 => ((t(0), t(0)), (t(3), t(4))),
        _ => ((t(0), t(1)), (t(4), t(4))),
    };
    let mut fixed = observations.clone();
    for (i, (first, last)) in [(0usize, alice), (1, bob)] {
        let od = fixed
            .get_mut(i)?
            .get_mut("objects")?
            .get_mut(0)?
            .as_object_mut()?;
        od.insert("first_observed".into(), Value::String(first));
        od.insert("last_observed".into(), Value::String(last));
    }
    Some(fixed)
}

#[test]
fn stix2_pattern_conformance() {
    let Some(path) = outpost_testkit::shared("conformance/stix2-patterns.json") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("conformance file is readable");
    let doc: Value = serde_json::from_str(&text).expect("conformance file is JSON");
    let cases = doc["cases"].as_array().expect("cases array");
    assert_eq!(cases.len(), 423, "expected the 423-case suite");

    let mut failures = Vec::new();
    let mut raw_disagreements = Vec::new();
    let mut restored = 0;
    let mut rejected = 0;
    let mut messages = Vec::new();
    for case in cases {
        let id = case["id"].as_u64().expect("case id");
        let pattern = case["pattern"].as_str().expect("pattern");
        let expected = case["expected"].as_str().expect("expected");
        let expected_count = case["matched_count"]
            .as_u64()
            .expect("every case states matched_count");
        let raw_got = run_case(pattern, &case["observations"]);
        let got = match upstream_fixture(id, &case["observations"]) {
            Some(fixed) => {
                restored += 1;
                if raw_got.name() != expected {
                    raw_disagreements.push(id);
                }
                run_case(pattern, &fixed)
            }
            None => raw_got,
        };
        if got.name() != expected {
            failures.push(format!(
                "case {id}: {pattern:?}\n    expected {expected}, got {got:?}"
            ));
            continue;
        }
        if got.matched_count() != expected_count {
            failures.push(format!(
                "case {id}: {pattern:?}\n    expected {expected_count} matched observations, got {got:?}"
            ));
            continue;
        }
        if let Outcome::Error(message, err) = &got {
            rejected += 1;
            messages.push(format!("case {id}: {message}"));
            if let Some(why) = unclear_message(pattern, message, err.as_ref()) {
                failures.push(format!(
                    "case {id}: {pattern:?}\n    rejected without a clear message: {why}"
                ));
            }
        }
    }
    let passed = cases.len() - failures.len();
    println!(
        "STIX 2.1 pattern conformance: {passed}/{} cases agree with the OASIS reference matcher",
        cases.len()
    );
    println!(
        "  ({restored} temporal cases run on upstream's per-test timestamps; on the file's rewritten timestamps {} of them differ: {:?})",
        raw_disagreements.len(),
        raw_disagreements
    );
    println!(
        "  ({rejected} error cases rejected with a clear message; match counts checked against matched_count)"
    );
    for m in &messages {
        println!("  rejected {m}");
    }
    for f in &failures {
        println!("  FAIL {f}");
    }
    if restored > 0 {
        assert_eq!(
            raw_disagreements, REFERENCE_ON_REWRITTEN,
            "on the file's rewritten timestamps we must disagree with `expected` exactly where the reference matcher does"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
