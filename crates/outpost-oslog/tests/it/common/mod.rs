//! Locating the shared real data (`$OUTPOST_SHARED_DIR`, default `<workspace>/../shared`).

#![allow(dead_code)]

use std::path::PathBuf;

/// `<shared>/data/evtx/attack-samples`, or `None` after a skip message (a failure under
/// `OUTPOST_REQUIRE_SHARED=1`).
pub fn attack_samples_dir() -> Option<PathBuf> {
    outpost_testkit::shared("data/evtx/attack-samples")
}

/// All `.evtx` files under `dir`, sorted.
pub fn evtx_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
