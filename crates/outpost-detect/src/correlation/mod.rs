//! Sigma correlation rules (Sigma specification v2: `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`).
//!
//! A correlation is a YAML document with a `correlation:` section that refers to other rules
//! (Sigma or native, by `id` or by Sigma `name`, or to other correlations: chains) and fires
//! when their matches, grouped by the `group-by` fields (with `aliases` mapping a group name
//! to a different field per referred rule), meet the `condition` within `timespan`:
//!
//! - `event_count`: the number of matches (`gte: 5` …);
//! - `value_count`: the number of distinct values of `condition.field` among the matches;
//! - `temporal`: every referred rule matched (or, with a `condition`, that many of them);
//! - `temporal_ordered`: every referred rule matched, in the order listed.
//!
//! Evaluation: a condition with only lower bounds (`gt`, `gte`) is tested on a sliding
//! window as each match arrives and fires as soon as it holds; the group's window is then
//! cleared, so the next alert needs a fresh set of matches. A condition with an upper bound
//! (`lt`, `lte`, `eq`, ranges) can only be decided when the window is over: the window opens at
//! the group's first match, and is decided when a later match of the group falls after it (or
//! at the end of the input, [`Correlations::flush`], which `outpost hunt` calls).
//!
//! The rules a correlation refers to produce no alert of their own unless the correlation
//! says `generate: true` (spec default: only the correlation is generated).
//!
//! State ([`CorrelationState`]) is kept per scope (the tenant in the server) × correlation ×
//! group, bounded: when [`CorrelationState::max_groups`] is reached, expired groups are
//! dropped, then the least recently updated; live groups dropped are counted
//! ([`CorrelationState::evictions`], exported as `outpost_detect_correlation_evictions`).

mod engine;
mod state;
#[cfg(test)]
mod tests;

use crate::field::{Field, Value};
use crate::rules::{CompiledRule, Unsupported, parse_duration};
use crate::sigma::SigmaOptions;
use engine::*;
use outpost_core::Event;
use serde_json::Value as J;
pub use state::*;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The correlation types of the Sigma specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    /// `event_count`
    EventCount,
    /// `value_count`
    ValueCount,
    /// `temporal`
    Temporal,
    /// `temporal_ordered`
    TemporalOrdered,
}

impl CorrelationType {
    /// The name used in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A correlation condition: every bound given must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountCondition {
    /// `gt`
    pub gt: Option<u64>,
    /// `gte`
    pub gte: Option<u64>,
    /// `lt`
    pub lt: Option<u64>,
    /// `lte`
    pub lte: Option<u64>,
    /// `eq`
    pub eq: Option<u64>,
}

impl CountCondition {
    /// Does the count satisfy every bound?
    pub fn holds(&self, n: u64) -> bool {
        self.gt.is_none_or(|v| n > v)
            && self.gte.is_none_or(|v| n >= v)
            && self.lt.is_none_or(|v| n < v)
            && self.lte.is_none_or(|v| n <= v)
            && self.eq.is_none_or(|v| n == v)
    }

    /// Has it an upper bound (then it is decided when the window is over)?
    pub fn has_upper_bound(&self) -> bool {
        self.lt.is_some() || self.lte.is_some() || self.eq.is_some()
    }

    /// The count past which the condition can never hold again (for upper bounds): counting
    /// further is useless.
    fn saturation(&self) -> u64 {
        [self.lt, self.lte.map(|v| v + 1), self.eq.map(|v| v + 1)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(u64::MAX)
    }

    fn describe(&self) -> String {
        let mut p = Vec::new();
        for (k, v) in [
            ("gt", self.gt),
            ("gte", self.gte),
            ("lt", self.lt),
            ("lte", self.lte),
            ("eq", self.eq),
        ] {
            if let Some(v) = v {
                p.push(format!("{k} {v}"));
            }
        }
        p.join(" and ")
    }
}

/// A correlation rule as written (references not yet resolved).
#[derive(Debug, Clone)]
pub struct CorrelationDef {
    /// Rule id (the title when it has none).
    pub id: String,
    /// Title.
    pub title: String,
    /// Sigma `name` (for references from other correlations).
    pub name: Option<String>,
    /// Description (or the title).
    pub description: String,
    /// Sigma level.
    pub level: Option<String>,
    /// Indicator score (from the level).
    pub score: i32,
    /// Tags.
    pub tags: Vec<String>,
    /// File it came from.
    pub file: PathBuf,
    /// Type.
    pub kind: CorrelationType,
    /// Referred rules (ids or names), in order.
    pub rules: Vec<String>,
    /// Group-by names (fields or aliases).
    pub group_by: Vec<String>,
    /// Timespan.
    pub timespan: chrono::TimeDelta,
    /// Condition.
    pub condition: CountCondition,
    /// `value_count`'s field.
    pub field: Option<String>,
    /// Aliases: alias → referred rule name → field.
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// Whether the referred rules also alert on their own.
    pub generate: bool,
}

fn u64_of(v: &J) -> Option<u64> {
    match v {
        J::Number(n) => n.as_u64(),
        J::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Makes the "not loaded" reason of a correlation document.
type Reject<'a> = dyn Fn(String) -> Unsupported + 'a;

/// `correlation.condition`: the count bounds and `value_count`'s `field`.
fn parse_condition(
    v: Option<&J>,
    un: &Reject,
) -> Result<(CountCondition, Option<String>), Unsupported> {
    let mut condition = CountCondition::default();
    let mut field = None;
    match v {
        None | Some(J::Null) => {}
        Some(J::Object(m)) => {
            for (k, v) in m {
                let slot = match k.as_str() {
                    "gt" => &mut condition.gt,
                    "gte" => &mut condition.gte,
                    "lt" => &mut condition.lt,
                    "lte" => &mut condition.lte,
                    "eq" => &mut condition.eq,
                    "field" => {
                        field = Some(
                            v.as_str()
                                .ok_or_else(|| un("`condition.field` must be a name".into()))?
                                .to_string(),
                        );
                        continue;
                    }
                    other => {
                        return Err(un(format!(
                            "condition operator '{other}' (expected gt, gte, lt, lte, eq, field)"
                        )));
                    }
                };
                *slot =
                    Some(u64_of(v).ok_or_else(|| un(format!("condition `{k}` needs a count")))?);
            }
        }
        Some(_) => return Err(un("`condition` must be a map".into())),
    }
    Ok((condition, field))
}

/// Whether the condition suits the correlation type (`rules`: how many rules it refers to).
fn check_condition(
    kind: CorrelationType,
    condition: &CountCondition,
    has_field: bool,
    rules: usize,
    un: &Reject,
) -> Result<(), Unsupported> {
    let has_bound = *condition != CountCondition::default();
    match kind {
        CorrelationType::EventCount | CorrelationType::ValueCount if !has_bound => {
            return Err(un(format!("{} needs a `condition`", kind.as_str())));
        }
        CorrelationType::ValueCount if !has_field => {
            return Err(un("value_count needs `condition.field`".into()));
        }
        CorrelationType::Temporal | CorrelationType::TemporalOrdered => {
            if condition.has_upper_bound() {
                return Err(un(format!(
                    "{} with an upper bound ({}) is not supported",
                    kind.as_str(),
                    condition.describe()
                )));
            }
            if kind == CorrelationType::TemporalOrdered
                && has_bound
                && !condition.holds(rules as u64)
            {
                return Err(un(
                    "temporal_ordered: the condition must accept all the listed rules".into(),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// `correlation.aliases`: alias → referred rule name → field.
fn parse_aliases(
    v: Option<&J>,
    un: &Reject,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, Unsupported> {
    let mut aliases = BTreeMap::new();
    match v {
        None | Some(J::Null) => {}
        Some(J::Object(m)) => {
            for (alias, per_rule) in m {
                let Some(pr) = per_rule.as_object() else {
                    return Err(un(format!("alias '{alias}' must map rule names to fields")));
                };
                let mut mm = BTreeMap::new();
                for (r, f) in pr {
                    let Some(f) = f.as_str() else {
                        return Err(un(format!(
                            "alias '{alias}': field for '{r}' must be a name"
                        )));
                    };
                    mm.insert(r.clone(), f.to_string());
                }
                aliases.insert(alias.clone(), mm);
            }
        }
        Some(_) => return Err(un("`aliases` must be a map".into())),
    }
    Ok(aliases)
}

/// The strings of `a`; `None` when an item is not a string.
fn strings(a: &[J]) -> Option<Vec<String>> {
    a.iter().map(|x| x.as_str().map(String::from)).collect()
}

/// Parses a correlation document. Errors name what is wrong (reported as not loaded).
pub fn parse(doc: &J, file: &Path, opts: &SigmaOptions) -> Result<CorrelationDef, Unsupported> {
    let fname = file.display().to_string();
    let (title, id) = crate::sigma::doc_title_id(doc);
    let un = |reason: String| Unsupported {
        file: fname.clone(),
        rule_id: id.clone(),
        reason: format!("correlation: {reason}"),
    };
    crate::sigma::check_title_status(doc, &title, opts).map_err(un)?;
    let Some(c) = doc.get("correlation").and_then(J::as_object) else {
        return Err(un("`correlation` must be a map".into()));
    };
    const KEYS: &[&str] = &[
        "type",
        "rules",
        "group-by",
        "timespan",
        "timeframe",
        "condition",
        "aliases",
        "generate",
    ];
    if let Some(k) = c.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(un(format!("unknown key `{k}`")));
    }
    let kind = match c.get("type").and_then(J::as_str) {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some(other) => return Err(un(format!("type '{other}' is not supported"))),
        None => return Err(un("missing `type`".into())),
    };
    let rules: Vec<String> = match c.get("rules") {
        Some(J::String(s)) => vec![s.clone()],
        Some(J::Array(a)) if !a.is_empty() => {
            strings(a).ok_or_else(|| un("`rules` must be a list of rule ids or names".into()))?
        }
        _ => return Err(un("missing or empty `rules`".into())),
    };
    let group_by: Vec<String> = match c.get("group-by") {
        None | Some(J::Null) => Vec::new(),
        Some(J::String(s)) => vec![s.clone()],
        Some(J::Array(a)) => {
            strings(a).ok_or_else(|| un("`group-by` must be a list of field names".into()))?
        }
        Some(_) => return Err(un("`group-by` must be a list of field names".into())),
    };
    let ts = c
        .get("timespan")
        .or_else(|| c.get("timeframe"))
        .and_then(|v| match v {
            J::String(s) => Some(s.clone()),
            J::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| un("missing `timespan`".into()))?;
    let timespan = parse_duration(&ts)
        .filter(|d| d.num_milliseconds() > 0)
        .ok_or_else(|| un(format!("invalid timespan '{ts}' (e.g. 30s, 5m, 1h, 1d)")))?;
    let (condition, field) = parse_condition(c.get("condition"), &un)?;
    check_condition(kind, &condition, field.is_some(), rules.len(), &un)?;
    let aliases = parse_aliases(c.get("aliases"), &un)?;
    let generate = c
        .get("generate")
        .or_else(|| doc.get("generate"))
        .and_then(J::as_bool)
        .unwrap_or(false);
    let level = doc
        .get("level")
        .and_then(J::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from);
    let score = level
        .as_deref()
        .and_then(|l| opts.level_scores.get(l).copied())
        .unwrap_or(opts.default_score);
    let tags = crate::sigma::doc_tags(doc);
    let description = crate::sigma::doc_description(doc);
    Ok(CorrelationDef {
        id,
        name: doc.get("name").and_then(J::as_str).map(String::from),
        description: if description.is_empty() {
            title.clone()
        } else {
            description
        },
        title,
        level,
        score,
        tags,
        file: file.to_path_buf(),
        kind,
        rules,
        group_by,
        timespan,
        condition,
        field,
        aliases,
        generate,
    })
}

/// What a correlation refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ref {
    Rule(u32),
    Corr(u32),
}

/// A resolved correlation.
#[derive(Debug)]
pub struct Correlation {
    /// The rule as written.
    pub def: CorrelationDef,
    refs: Vec<Ref>,
    /// Per referred rule: per group-by name, the fields to read (first present wins).
    group_fields: Vec<Vec<Vec<Field>>>,
    /// Per referred rule: `value_count`'s field.
    value_fields: Vec<Vec<Field>>,
}

/// The correlations of a rule set, resolved against its rules.
#[derive(Debug, Default)]
pub struct Correlations {
    list: Vec<Correlation>,
    /// Base rule index → (correlation, position in its `rules`).
    by_rule: HashMap<u32, Vec<(u32, u32)>>,
    /// Correlation index → (correlation, position) of the correlations chained on it.
    by_corr: Vec<Vec<(u32, u32)>>,
    /// Base rules that produce no alert of their own (referred to, `generate` false).
    quiet: HashSet<u32>,
    /// Per correlation: its state key (see [`definition_key`]); and back.
    keys: Vec<u64>,
    by_key: HashMap<u64, u32>,
}

/// The key a correlation's state is kept under: a hash of its definition (everything but the
/// file it came from). A rule set reloaded with the same definition finds its groups again
/// (see [`CorrelationState`] and `RuleSet::keep_correlation_state`); a changed definition
/// starts afresh.
pub fn definition_key(d: &CorrelationDef) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &d.id,
        &d.title,
        &d.name,
        &d.description,
        &d.level,
        d.score,
        &d.tags,
        d.kind.as_str(),
        &d.rules,
        &d.group_by,
        d.timespan.num_milliseconds(),
    )
        .hash(&mut h);
    let c = d.condition;
    (
        c.gt, c.gte, c.lt, c.lte, c.eq, &d.field, &d.aliases, d.generate,
    )
        .hash(&mut h);
    h.finish()
}

/// A correlation that fired.
#[derive(Debug, Clone)]
pub struct CorrelationHit {
    /// Index in [`Correlations::list`].
    pub corr: u32,
    /// The count the condition was tested on (matches, distinct values, or rules).
    pub count: u64,
    /// Group-by names and the group's values.
    pub group: Vec<(String, String)>,
    /// The caller's tokens of the matches that made it, oldest first (bounded).
    pub tokens: Vec<u64>,
    /// The token of the match that completed it (for windows decided later: the last one).
    pub last: u64,
    /// Time of the first match in the window (Unix ms).
    pub first_ms: i64,
    /// Time of the last match (Unix ms).
    pub last_ms: i64,
}

/// What [`Correlations::expire`] calls for each decided window: scope, correlation, hit and
/// the window's last match.
pub type ExpiredFn<'a> =
    dyn FnMut(&str, &Correlation, CorrelationHit, Option<std::sync::Arc<Event>>) + 'a;
