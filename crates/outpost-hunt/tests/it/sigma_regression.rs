//! SigmaHQ's own regression data (`../shared/conformance/sigma-regression/`):
//! for each of its 203 rules, the rule loaded from `../shared/data/sigma/` (as `outpost hunt`
//! loads it) must match at least one event of its own positive test log. The cases that do not
//! (rule not loaded, with the reason; log not readable; no match) are pinned with the reason in
//! `tests/golden/sigma_regression.txt`, so the list stays short, explained and reviewed.
//!
//! Set `OUTPOST_BLESS=1` to rewrite the golden file after reviewing a change.

use crate::common::{golden, rules_from, shared_dirs};
use outpost_detect::RuleSet;
use outpost_hunt::{HuntOptions, InputFile, Progress, hunt};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn info_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            info_files(&p, out);
        } else if p.file_name().is_some_and(|n| n == "info.yml") {
            out.push(p);
        }
    }
}

/// The rule id (first `rule_metadata` entry) and the test log paths of an `info.yml`.
fn parse_info(text: &str) -> (Option<String>, Vec<String>) {
    let mut id = None;
    let mut in_meta = false;
    let mut paths = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if !line.starts_with(' ') && !line.starts_with('-') {
            in_meta = t.starts_with("rule_metadata:");
        }
        if in_meta
            && id.is_none()
            && let Some(v) = t.strip_prefix("- id:").or_else(|| t.strip_prefix("id:"))
        {
            id = Some(v.trim().trim_matches(['"', '\'']).to_string());
        }
        if let Some(v) = t.strip_prefix("path:") {
            paths.push(v.trim().trim_matches(['"', '\'']).to_string());
        }
    }
    (id, paths)
}

#[test]
fn each_regression_case_fires_its_own_rule_or_is_listed_with_the_reason() {
    let Some([reg, sigma]) = shared_dirs(["conformance/sigma-regression", "data/sigma"]) else {
        return;
    };
    let rules = rules_from(std::slice::from_ref(&sigma));
    let by_id: HashMap<&str, &outpost_detect::CompiledRule> = rules
        .set
        .rules()
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let why: HashMap<&str, &str> = rules
        .not_loaded
        .iter()
        .map(|n| (n.rule_id.as_str(), n.reason.as_str()))
        .collect();
    let mut infos = Vec::new();
    info_files(&reg, &mut infos);
    infos.sort();
    assert_eq!(infos.len(), 203, "regression cases");
    let (mut fired, mut failures) = (0, Vec::new());
    for info in &infos {
        let case = info
            .parent()
            .and_then(|p| p.strip_prefix(&reg).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(info).expect("info.yml");
        let (Some(id), paths) = parse_info(&text) else {
            failures.push(format!("{case}\t?\tinfo.yml names no rule id"));
            continue;
        };
        let Some(rule) = by_id.get(id.as_str()) else {
            let reason = why.get(id.as_str()).copied().unwrap_or("not in data/sigma");
            failures.push(format!("{case}\t{id}\trule not loaded: {reason}"));
            continue;
        };
        let files: Vec<InputFile> = paths
            .iter()
            .map(|p| {
                let rel = p.strip_prefix("regression_data/").unwrap_or(p);
                let path = reg.join(rel);
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                InputFile {
                    path,
                    size,
                    explicit: true,
                }
            })
            .collect();
        let one = RuleSet::new(vec![(*rule).clone()], Vec::new()).expect("one rule");
        let res = hunt(
            &files,
            &one,
            &HuntOptions {
                threads: 1,
                ..Default::default()
            },
            &Progress::default(),
        );
        if !res.detections.is_empty() {
            fired += 1;
            continue;
        }
        let reason = match res.stats.files_failed.first() {
            Some(f) => format!(
                "log not read: {}",
                f.reason.replace(&reg.display().to_string(), "")
            ),
            None => format!("no match in {} record(s)", res.stats.records),
        };
        failures.push(format!("{case}\t{id}\t{reason}"));
    }
    let rendered = format!(
        "cases: {}\nfired: {fired}\nnot fired: {}\n\n{}\n",
        infos.len(),
        failures.len(),
        failures.join("\n")
    );
    golden("sigma_regression.txt", &rendered);
}
