//! Helpers shared by the hunt tests: rules loaded as `outpost hunt` loads them, and golden
//! files.

use outpost_hunt::{LoadedRules, RuleFilter, SigmaOptions, load_rules};
use std::path::{Path, PathBuf};

/// The rules under `dirs` (files or directories), loaded with the default options and no
/// filter, as `outpost hunt --rules DIR…` loads them.
pub fn rules_from(dirs: &[PathBuf]) -> LoadedRules {
    load_rules(dirs, &SigmaOptions::default(), &RuleFilter::default()).expect("rules load")
}

/// The directories `names` of `../shared` (the testkit's rule: skipped without them, a
/// failure under `OUTPOST_REQUIRE_SHARED`).
pub fn shared_dirs<const N: usize>(names: [&str; N]) -> Option<[PathBuf; N]> {
    let mut dirs = Vec::with_capacity(N);
    for name in names {
        dirs.push(outpost_testkit::shared(name)?);
    }
    dirs.try_into().ok()
}

/// The EVTX attack samples and SigmaHQ's Windows rules of `../shared`.
pub fn samples_and_windows_rules() -> Option<[PathBuf; 2]> {
    shared_dirs(["data/evtx/attack-samples", "data/sigma/rules/windows"])
}

/// Compares `rendered` with the golden file `tests/golden/{name}` (with `OUTPOST_BLESS` set:
/// rewrites it), naming the lines missing and new.
pub fn golden(name: &str, rendered: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("OUTPOST_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, rendered).expect("write golden");
        eprintln!("blessed {}", path.display());
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with OUTPOST_BLESS=1 to create it)",
            path.display()
        )
    });
    if want != rendered {
        let w: Vec<&str> = want.lines().collect();
        let g: Vec<&str> = rendered.lines().collect();
        let missing: Vec<&&str> = w.iter().filter(|l| !g.contains(l)).take(20).collect();
        let extra: Vec<&&str> = g.iter().filter(|l| !w.contains(l)).take(20).collect();
        panic!(
            "{} differs ({} lines pinned, {} now)\nmissing now (first 20): {missing:#?}\nnew (first 20): {extra:#?}",
            path.display(),
            w.len(),
            g.len()
        );
    }
}
