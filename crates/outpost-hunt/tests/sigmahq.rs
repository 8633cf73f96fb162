//! SigmaHQ on real logs, through the hunt path (`outpost_hunt::load_rules` + `hunt`, what
//! `outpost hunt` runs):
//!
//! - `sigmahq_windows_on_attack_samples_match_golden` (issue 20, point 3): the SigmaHQ Windows
//!   rules over the 277 EVTX attack samples give exactly the detections pinned in
//!   `tests/golden/sigmahq_windows_evtx.txt` (one line per detection: file#record, rule id,
//!   title), so any change in detections shows in review;
//! - `every_sigmahq_rule_file_loads_or_says_why`: every rule file of `data/sigma` (SigmaHQ,
//!   3,754 files) loads or is reported with its reason; the counts and the reasons (grouped)
//!   are pinned in `tests/golden/sigmahq_load.txt`.
//!
//! Set `OUTPOST_BLESS=1` to rewrite the golden files after reviewing a change.

use outpost_hunt::{
    HuntOptions, Progress, RuleFilter, SigmaOptions, collect_inputs, hunt, load_rules,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn golden(name: &str, rendered: &str) {
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

#[test]
fn sigmahq_windows_on_attack_samples_match_golden() {
    let Some(samples) = outpost_testkit::shared("data/evtx/attack-samples") else {
        return;
    };
    let Some(rules_dir) = outpost_testkit::shared("data/sigma/rules/windows") else {
        return;
    };
    let rules = load_rules(
        &[rules_dir],
        &SigmaOptions::default(),
        &RuleFilter::default(),
    )
    .expect("rules load");
    assert!(
        rules.set.len() > 2000,
        "only {} rules loaded",
        rules.set.len()
    );
    let (files, problems) = collect_inputs(std::slice::from_ref(&samples));
    assert!(problems.is_empty(), "{problems:?}");
    let res = hunt(
        &files,
        &rules.set,
        &HuntOptions::default(),
        &Progress::default(),
    );
    assert_eq!(
        res.stats.files_read.get("evtx"),
        Some(&277),
        "{:?}",
        res.stats
    );
    assert!(
        res.stats.files_failed.is_empty(),
        "{:?}",
        res.stats.files_failed
    );
    assert!(
        res.stats.records > 5000,
        "only {} records",
        res.stats.records
    );

    let mut lines: Vec<String> = res
        .detections
        .iter()
        .map(|d| {
            let rel = Path::new(&d.file)
                .strip_prefix(&samples)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| d.file.clone());
            format!(
                "{rel}#{}\t{}\t{}",
                d.record_id().map(|r| r.to_string()).unwrap_or_default(),
                d.rule_id,
                d.title
            )
        })
        .collect();
    lines.sort();
    assert!(lines.len() > 500, "only {} detections", lines.len());
    // Known detections (checked by hand against the samples' names).
    for (file, rule) in [
        // Mimikatz's sekurlsa on lsass: Sysmon 10 access to lsass.
        ("Credential_Access/", "Credential Dumping"),
        ("Lateral_Movement/", "PsExec"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(file) && l.contains(rule)),
            "no detection of a rule titled like {rule:?} in {file}"
        );
    }
    golden("sigmahq_windows_evtx.txt", &(lines.join("\n") + "\n"));
}

#[test]
fn every_sigmahq_rule_file_loads_or_says_why() {
    let Some(sigma) = outpost_testkit::shared("data/sigma") else {
        return;
    };
    let rules = load_rules(
        std::slice::from_ref(&sigma),
        &SigmaOptions::default(),
        &RuleFilter::default(),
    )
    .expect("rules load");
    assert_eq!(rules.files, 3754, "SigmaHQ rule files");
    // Every file has at least one loaded rule or one reason.
    let mut accounted: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for r in rules.set.rules() {
        *accounted.entry(r.file.clone()).or_default() += 1;
    }
    for n in &rules.not_loaded {
        *accounted.entry(PathBuf::from(&n.file)).or_default() += 1;
    }
    assert_eq!(
        accounted.len(),
        rules.files,
        "files neither loaded nor reported"
    );
    for n in &rules.not_loaded {
        assert!(!n.reason.trim().is_empty(), "{n:?} has no reason");
    }
    let mut out = format!(
        "rule files: {}\nrules loaded: {}\nnot loaded: {}\n\nnot loaded, by reason:\n",
        rules.files,
        rules.set.len(),
        rules.not_loaded.len()
    );
    for (reason, n) in rules.not_loaded_by_reason() {
        out.push_str(&format!("{n:>5}  {reason}\n"));
    }
    golden("sigmahq_load.txt", &out);
}
