//! Locating the shared real data (`$OUTPOST_SHARED_DIR`, default `<workspace>/../shared`).

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data directory, if it exists.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("OUTPOST_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    dir.is_dir().then_some(dir)
}

/// `<shared>/data/evtx/attack-samples`, or `None` with a printed explanation.
pub fn attack_samples_dir() -> Option<PathBuf> {
    let dir = shared_dir().map(|d| d.join("data/evtx/attack-samples"));
    match dir {
        Some(d) if d.is_dir() => Some(d),
        _ => {
            println!(
                "SKIPPED: shared EVTX samples not found (set OUTPOST_SHARED_DIR to the directory \
                 holding data/evtx/attack-samples; default <workspace root>/../shared)"
            );
            None
        }
    }
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
