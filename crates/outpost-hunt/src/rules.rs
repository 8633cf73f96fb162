//! Loading rule directories for a hunt: every `*.yml` / `*.yaml` file is compiled on its own,
//! so a broken file is reported (and counted) without stopping the others.

use crate::Level;
use outpost_detect::correlation::CorrelationDef;
use outpost_detect::{CompiledRule, LoadError, RuleSet, SigmaOptions, Unsupported};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A rule (or a whole rule file) that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotLoaded {
    /// The file.
    pub file: String,
    /// The rule id or title (`?` when unknown, e.g. the whole file is not valid YAML).
    pub rule_id: String,
    /// Why.
    pub reason: String,
}

impl NotLoaded {
    /// A whole file not loaded (no rule id known).
    fn whole_file(path: &Path, reason: String) -> NotLoaded {
        NotLoaded {
            file: path.display().to_string(),
            rule_id: "?".into(),
            reason,
        }
    }

    /// The reason without the detail that differs between rules of the same kind (the
    /// detection's name, the condition text), for grouping in the summary.
    pub fn reason_group(&self) -> String {
        let mut r = self.reason.as_str();
        // "detection 'selection': modifier 'fieldref' is not supported" → the modifier part.
        if let Some(rest) = r.strip_prefix("detection '")
            && let Some(i) = rest.find("': ")
        {
            r = &rest[i + 3..];
        }
        if let Some(rest) = r.strip_prefix("condition \"")
            && let Some(i) = rest.find("\": ")
        {
            r = &rest[i + 3..];
        }
        for prefix in [
            "invalid YAML",
            "invalid native rule",
            "duplicate rule id",
            "cannot read",
        ] {
            if r.starts_with(prefix) {
                return prefix.into();
            }
        }
        r.to_string()
    }
}

/// Which rules to keep (`--level`, `--rule`).
#[derive(Debug, Clone, Default)]
pub struct RuleFilter {
    /// Minimum level.
    pub min_level: Option<Level>,
    /// Rule ids, title substrings or globs (`*`, `?`); a rule is kept when one matches. Empty:
    /// every rule.
    pub patterns: Vec<String>,
}

impl RuleFilter {
    /// Does the rule pass the filter?
    pub fn keeps(&self, r: &CompiledRule) -> bool {
        if let Some(min) = self.min_level
            && rule_level(r) < min
        {
            return false;
        }
        if self.patterns.is_empty() {
            return true;
        }
        self.patterns
            .iter()
            .any(|p| pattern_matches(p, &r.id, &r.name))
    }

    /// Does the correlation rule pass the filter?
    pub fn keeps_correlation(&self, d: &CorrelationDef) -> bool {
        if let Some(min) = self.min_level
            && correlation_level(d) < min
        {
            return false;
        }
        self.patterns.is_empty()
            || self
                .patterns
                .iter()
                .any(|p| pattern_matches(p, &d.id, &d.title))
    }
}

/// A correlation rule's level (Sigma `level`, else from its score as for [`rule_level`]).
pub fn correlation_level(d: &CorrelationDef) -> Level {
    if let Some(l) = d.level.as_deref().and_then(Level::parse) {
        return l;
    }
    score_level(d.score)
}

fn score_level(score: i32) -> Level {
    match score {
        s if s >= 90 => Level::Critical,
        s if s >= 70 => Level::High,
        s if s >= 50 => Level::Medium,
        s if s >= 30 => Level::Low,
        _ => Level::Informational,
    }
}

/// `--rule` semantics: the rule id (exactly, ignoring case), or, for a pattern with `*` or `?`,
/// a glob over the whole id or title, else a substring of the title (ignoring case).
pub fn pattern_matches(pattern: &str, id: &str, title: &str) -> bool {
    let p = pattern.to_lowercase();
    let (id, title) = (id.to_lowercase(), title.to_lowercase());
    if p.contains(['*', '?']) {
        return glob(p.as_bytes(), id.as_bytes()) || glob(p.as_bytes(), title.as_bytes());
    }
    id == p || title.contains(&p)
}

/// A `*` / `?` glob over bytes (iterative, linear backtracking).
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// The rule's level: Sigma's `level`, else (native rules, Sigma rules without one) from the
/// score: ≥ 90 critical, ≥ 70 high, ≥ 50 medium, ≥ 30 low, else informational.
pub fn rule_level(r: &CompiledRule) -> Level {
    if let Some(l) = r.level.as_deref().and_then(Level::parse) {
        return l;
    }
    score_level(r.score)
}

/// The rules of a hunt.
#[derive(Debug)]
pub struct LoadedRules {
    /// The indexed rule set (after the filter).
    pub set: RuleSet,
    /// Rule files read.
    pub files: usize,
    /// Rules and files not loaded, with reasons.
    pub not_loaded: Vec<NotLoaded>,
    /// Rules loaded but left out by `--level` / `--rule`.
    pub filtered_out: usize,
    /// Per rule of [`LoadedRules::set`]: does a match show as a detection? (Not for rules
    /// only kept because a correlation refers to them, nor for rules a correlation refers to
    /// without `generate: true`.)
    pub emit: Vec<bool>,
}

impl LoadedRules {
    /// Rules and correlation rules loaded.
    pub fn loaded(&self) -> usize {
        self.set.len() + self.set.correlations().len()
    }
}

impl LoadedRules {
    /// Not-loaded rules grouped by reason, most frequent first.
    pub fn not_loaded_by_reason(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for n in &self.not_loaded {
            *m.entry(n.reason_group()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

/// Why rules could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// A `--rules` directory (or file) cannot be read.
    #[error("cannot read rules {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, bad: &mut Vec<NotLoaded>) -> Result<(), RulesError> {
    let md = std::fs::metadata(dir).map_err(|e| RulesError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    if md.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| RulesError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    for ent in rd {
        let ent = match ent {
            Ok(e) => e,
            Err(e) => {
                bad.push(NotLoaded::whole_file(
                    dir,
                    format!("cannot list directory: {e}"),
                ));
                continue;
            }
        };
        if ent.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = ent.path();
        if p.is_dir() {
            if let Err(RulesError::Io { path, source }) = collect(&p, out, bad) {
                bad.push(NotLoaded::whole_file(
                    &path,
                    format!("cannot read: {source}"),
                ));
            }
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
    Ok(())
}

/// Loads every rule file under the directories (recursively, sorted by path; a directory may
/// also be a single file). Files that are not valid YAML, native rules that fail validation,
/// Sigma rules Outpost cannot evaluate, native counting rules (`count`, not evaluated by a
/// hunt) and duplicate ids are reported in [`LoadedRules::not_loaded`]; only an unreadable
/// `--rules` path itself is an error.
pub fn load_rules(
    dirs: &[PathBuf],
    opts: &SigmaOptions,
    filter: &RuleFilter,
) -> Result<LoadedRules, RulesError> {
    let mut files = Vec::new();
    let mut not_loaded = Vec::new();
    for d in dirs {
        collect(d, &mut files, &mut not_loaded)?;
    }
    files.sort();
    files.dedup();
    let mut all: Vec<CompiledRule> = Vec::new();
    let mut defs: Vec<CorrelationDef> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut filtered_out = 0;
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                not_loaded.push(NotLoaded::whole_file(f, format!("cannot read: {e}")));
                continue;
            }
        };
        match outpost_detect::compile_file_text(&text, f, opts) {
            Ok(cf) => {
                let (rs, unsupported) = (cf.rules, cf.unsupported);
                defs.extend(cf.correlations);
                not_loaded.extend(unsupported.into_iter().map(|u: Unsupported| NotLoaded {
                    file: u.file,
                    rule_id: u.rule_id,
                    reason: u.reason,
                }));
                for r in rs {
                    let file = f.display().to_string();
                    if r.count.is_some() {
                        not_loaded.push(NotLoaded {
                            file,
                            rule_id: r.id,
                            reason: "counting rules (`count`) are not evaluated by hunt".into(),
                        });
                        continue;
                    }
                    if let Some(prev) = seen.get(&r.id) {
                        not_loaded.push(NotLoaded {
                            reason: format!("duplicate rule id (also in {prev})"),
                            file,
                            rule_id: r.id,
                        });
                        continue;
                    }
                    seen.insert(r.id.clone(), file);
                    all.push(r);
                }
            }
            Err(LoadError::Invalid(errs)) => {
                for e in errs {
                    not_loaded.push(NotLoaded {
                        file: e.file.clone(),
                        rule_id: e.rule_id.clone(),
                        reason: format!("invalid native rule: {}: {}", e.field, e.message),
                    });
                }
            }
            Err(e) => not_loaded.push(NotLoaded {
                file: f.display().to_string(),
                rule_id: "?".into(),
                reason: match e {
                    LoadError::Yaml { message, .. } => format!("invalid YAML: {message}"),
                    other => other.to_string(),
                },
            }),
        }
    }
    // The filter: correlations it keeps, and every rule they refer to (through chains), kept
    // silent unless the filter keeps it too.
    let kept_defs: Vec<bool> = defs.iter().map(|d| filter.keeps_correlation(d)).collect();
    let mut needed: HashSet<&str> = HashSet::new();
    let mut stack: Vec<usize> = (0..defs.len()).filter(|&i| kept_defs[i]).collect();
    let mut in_corr: Vec<bool> = kept_defs.clone();
    while let Some(i) = stack.pop() {
        for name in &defs[i].rules {
            needed.insert(name.as_str());
            for (j, d) in defs.iter().enumerate() {
                if !in_corr[j] && (d.id == *name || d.name.as_deref() == Some(name)) {
                    in_corr[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    filtered_out += defs.len() - in_corr.iter().filter(|x| **x).count();
    let mut rules = Vec::new();
    let mut shown = Vec::new();
    for r in all {
        let keep = filter.keeps(&r);
        let need = needed.contains(r.id.as_str())
            || r.sigma_name.as_deref().is_some_and(|n| needed.contains(n));
        if keep || need {
            shown.push(keep);
            rules.push(r);
        } else {
            filtered_out += 1;
        }
    }
    let defs: Vec<CorrelationDef> = defs
        .into_iter()
        .zip(in_corr)
        .filter_map(|(d, k)| k.then_some(d))
        .collect();
    // Ids are unique by construction, so this cannot fail; report it as a rule problem if it
    // ever does rather than panicking.
    let set = match RuleSet::with_correlations(rules, defs, Vec::new()) {
        Ok(s) => s,
        Err(e) => {
            not_loaded.push(NotLoaded {
                file: "?".into(),
                rule_id: "?".into(),
                reason: e.to_string(),
            });
            RuleSet::empty()
        }
    };
    not_loaded.extend(set.unsupported().iter().map(|u| NotLoaded {
        file: u.file.clone(),
        rule_id: u.rule_id.clone(),
        reason: u.reason.clone(),
    }));
    let emit = (0..set.len())
        .map(|i| shown.get(i).copied().unwrap_or(false) && !set.correlations().is_quiet(i))
        .collect();
    Ok(LoadedRules {
        set,
        files: files.len(),
        not_loaded,
        filtered_out,
        emit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_patterns() {
        assert!(pattern_matches("ABC-1", "abc-1", "Something"));
        assert!(!pattern_matches("abc", "abc-1", "Something"));
        assert!(pattern_matches(
            "mimikatz",
            "x",
            "HackTool - Mimikatz Execution"
        ));
        assert!(pattern_matches(
            "*mimi*exec*",
            "x",
            "HackTool - Mimikatz Execution"
        ));
        assert!(!pattern_matches(
            "mimi*",
            "x",
            "HackTool - Mimikatz Execution"
        ));
        assert!(pattern_matches("5b?a*", "5b1a-22", "t"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"a?", b"a"));
    }

    #[test]
    fn reasons_group_without_detection_names() {
        let n = |r: &str| NotLoaded {
            file: "f".into(),
            rule_id: "x".into(),
            reason: r.into(),
        };
        assert_eq!(
            n("detection 'sel_x': modifier 'fieldref' is not supported").reason_group(),
            "modifier 'fieldref' is not supported"
        );
        assert_eq!(
            n("condition \"2 of sel*\": '2 of' is not supported").reason_group(),
            "'2 of' is not supported"
        );
    }
}
