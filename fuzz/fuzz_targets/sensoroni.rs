//! Bodies of the Sensoroni-compatible API (`outpost_jobs::http::compat`): `POST /api/node`
//! (a `Node`), `POST`/`PUT /api/job` (a `SensoroniJob` with its `Filter`: Go zero times,
//! string or number ports, empty strings for "unset"). The first byte picks the body. An
//! accepted body must serialize and parse again to the same value (floats within a few ulps:
//! serde_json's documented best-effort float parsing, see `outpost_fuzz::same_json`), and a
//! job's filter goes through the same validation and flow matcher as a created job.
use outpost_fuzz::same_json;
use outpost_jobs::pcapio::FlowMatcher;
use outpost_jobs::{Node, SensoroniJob};

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("serializes")
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&sel, rest)) = data.split_first() else {
            return;
        };
        if sel & 1 == 0 {
            if let Ok(n) = serde_json::from_slice::<Node>(rest) {
                let again = serde_json::to_vec(&n).expect("a node serializes");
                let back: Node = serde_json::from_slice(&again).expect("a node parses again");
                assert!(
                    same_json(&json(&back), &json(&n)),
                    "a node changed through JSON: {n:?} → {back:?}"
                );
            }
        } else if let Ok(j) = serde_json::from_slice::<SensoroniJob>(rest) {
            let _ = j.target();
            let again = serde_json::to_vec(&j).expect("a job serializes");
            let back: SensoroniJob = serde_json::from_slice(&again).expect("a job parses again");
            assert!(
                same_json(&json(&back), &json(&j)),
                "a job changed through JSON: {j:?} → {back:?}"
            );
            if let Some(f) = &j.filter
                && f.validate().is_ok()
            {
                let _ = FlowMatcher::new(f);
            }
        }
    });
}
