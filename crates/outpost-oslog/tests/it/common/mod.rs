//! Locating the shared real data (`$OUTPOST_SHARED_DIR`, default `<workspace>/../shared`).

#![allow(dead_code)]

use std::path::PathBuf;

/// `<shared>/data/evtx/attack-samples`, or `None` after a skip message (a failure under
/// `OUTPOST_REQUIRE_SHARED=1`).
pub fn attack_samples_dir() -> Option<PathBuf> {
    outpost_testkit::shared("data/evtx/attack-samples")
}

pub use outpost_oslog::evtx_files;
