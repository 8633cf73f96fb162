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

use crate::field::{Field, Value};
use crate::rules::{CompiledRule, Unsupported, parse_duration};
use crate::sigma::SigmaOptions;
use outpost_core::Event;
use serde_json::Value as J;
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

/// Parses a correlation document. Errors name what is wrong (reported as not loaded).
pub fn parse(doc: &J, file: &Path, opts: &SigmaOptions) -> Result<CorrelationDef, Unsupported> {
    let fname = file.display().to_string();
    let title = doc
        .get("title")
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    let id = doc
        .get("id")
        .and_then(J::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .unwrap_or_else(|| {
            if title.is_empty() {
                "?".into()
            } else {
                title.clone()
            }
        });
    let un = |reason: String| Unsupported {
        file: fname.clone(),
        rule_id: id.clone(),
        reason: format!("correlation: {reason}"),
    };
    if title.is_empty() {
        return Err(un("missing `title`".into()));
    }
    if doc.get("status").and_then(J::as_str) == Some("deprecated") && !opts.load_deprecated {
        return Err(un("status is deprecated".into()));
    }
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
            let v: Vec<String> = a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            if v.len() != a.len() {
                return Err(un("`rules` must be a list of rule ids or names".into()));
            }
            v
        }
        _ => return Err(un("missing or empty `rules`".into())),
    };
    let group_by: Vec<String> = match c.get("group-by") {
        None | Some(J::Null) => Vec::new(),
        Some(J::String(s)) => vec![s.clone()],
        Some(J::Array(a)) => {
            let v: Vec<String> = a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            if v.len() != a.len() {
                return Err(un("`group-by` must be a list of field names".into()));
            }
            v
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
    let mut condition = CountCondition::default();
    let mut field = None;
    match c.get("condition") {
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
    let has_bound = condition != CountCondition::default();
    match kind {
        CorrelationType::EventCount | CorrelationType::ValueCount if !has_bound => {
            return Err(un(format!("{} needs a `condition`", kind.as_str())));
        }
        CorrelationType::ValueCount if field.is_none() => {
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
                && !condition.holds(rules.len() as u64)
            {
                return Err(un(
                    "temporal_ordered: the condition must accept all the listed rules".into(),
                ));
            }
        }
        _ => {}
    }
    let mut aliases = BTreeMap::new();
    match c.get("aliases") {
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

/// Tokens kept per fired correlation (the events shown with it).
const MAX_TOKENS: usize = 64;

/// The value of a field as a group key / value string (`None` when absent).
fn value_text(v: Option<Value<'_>>) -> Option<String> {
    Some(match v? {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Ip(ip) => ip.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(l) => l.join(" "),
    })
}

fn read(fields: &[Field], e: &Event) -> Option<String> {
    fields.iter().find_map(|f| value_text(f.get(e)))
}

impl Correlations {
    /// Resolves the definitions against the rules (by id, then by Sigma `name`; correlations
    /// may refer to earlier or later correlations, not in a cycle). Those that cannot be
    /// resolved are returned with the reason.
    pub fn build(
        defs: Vec<CorrelationDef>,
        rules: &[CompiledRule],
    ) -> (Correlations, Vec<Unsupported>) {
        let mut bad = Vec::new();
        let mut by_id: HashMap<&str, u32> = HashMap::new();
        let mut by_name: HashMap<&str, u32> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            by_id.entry(r.id.as_str()).or_insert(i as u32);
            if let Some(n) = &r.sigma_name {
                by_name.entry(n.as_str()).or_insert(i as u32);
            }
        }
        // Drop definitions until every reference resolves (a correlation referring to a
        // dropped one is dropped too).
        let mut alive: Vec<bool> = vec![true; defs.len()];
        let mut seen_ids: HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        for (i, d) in defs.iter().enumerate() {
            if !seen_ids.insert(d.id.as_str()) {
                alive[i] = false;
                bad.push(Unsupported {
                    file: d.file.display().to_string(),
                    rule_id: d.id.clone(),
                    reason: "correlation: duplicate rule id".into(),
                });
            }
        }
        let resolve = |alive: &[bool], s: &str| -> Option<Ref> {
            if let Some(&i) = by_id.get(s) {
                return Some(Ref::Rule(i));
            }
            if let Some(j) = defs
                .iter()
                .enumerate()
                .position(|(j, d)| alive[j] && (d.id == s || d.name.as_deref() == Some(s)))
            {
                return Some(Ref::Corr(j as u32));
            }
            by_name.get(s).map(|&i| Ref::Rule(i))
        };
        let drop_missing = |alive: &mut Vec<bool>, bad: &mut Vec<Unsupported>| {
            loop {
                let mut changed = false;
                for (i, d) in defs.iter().enumerate() {
                    if !alive[i] {
                        continue;
                    }
                    if let Some(missing) = d.rules.iter().find(|s| resolve(alive, s).is_none()) {
                        alive[i] = false;
                        changed = true;
                        bad.push(Unsupported {
                            file: d.file.display().to_string(),
                            rule_id: d.id.clone(),
                            reason: format!("correlation: referred rule '{missing}' is not loaded"),
                        });
                    }
                }
                if !changed {
                    break;
                }
            }
        };
        drop_missing(&mut alive, &mut bad);
        // Cycles.
        let refs_of = |alive: &[bool], i: usize| -> Vec<Ref> {
            defs[i]
                .rules
                .iter()
                .filter_map(|s| resolve(alive, s))
                .collect()
        };
        for i in 0..defs.len() {
            if !alive[i] {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(i, 0)];
            let mut cyclic = false;
            let mut steps = 0;
            while let Some((c, depth)) = stack.pop() {
                steps += 1;
                if depth > defs.len() || steps > 100_000 {
                    cyclic = true;
                    break;
                }
                for r in refs_of(&alive, c) {
                    if let Ref::Corr(j) = r {
                        if j as usize == i {
                            cyclic = true;
                        }
                        stack.push((j as usize, depth + 1));
                    }
                }
                if cyclic {
                    break;
                }
            }
            if cyclic {
                alive[i] = false;
                bad.push(Unsupported {
                    file: defs[i].file.display().to_string(),
                    rule_id: defs[i].id.clone(),
                    reason: "correlation: rules refer to each other in a cycle".into(),
                });
            }
        }
        // Correlations referring to one dropped for a cycle.
        drop_missing(&mut alive, &mut bad);
        // Renumber the live ones.
        let mut new_index = vec![u32::MAX; defs.len()];
        let mut n = 0u32;
        for (i, a) in alive.iter().enumerate() {
            if *a {
                new_index[i] = n;
                n += 1;
            }
        }
        let mut out = Correlations {
            by_corr: vec![Vec::new(); n as usize],
            ..Default::default()
        };
        // Rules some correlation generates stand-alone: never quiet.
        let mut loud: HashSet<u32> = HashSet::new();
        let resolved: Vec<Option<Vec<Ref>>> = (0..defs.len())
            .map(|i| alive[i].then(|| refs_of(&alive, i)))
            .collect();
        // The base rule that defines the fields of a reference (the first rule of a chain).
        fn base_rule(refs: &[Option<Vec<Ref>>], r: Ref, depth: usize) -> Option<u32> {
            match r {
                Ref::Rule(i) => Some(i),
                Ref::Corr(j) if depth < 64 => {
                    base_rule(refs, *refs.get(j as usize)?.as_ref()?.first()?, depth + 1)
                }
                Ref::Corr(_) => None,
            }
        }
        for (i, d) in defs.into_iter().enumerate() {
            let Some(refs) = resolved[i].clone() else {
                continue;
            };
            let mut group_fields = Vec::new();
            let mut value_fields = Vec::new();
            let mut err = None;
            for (pos, r) in refs.iter().enumerate() {
                let rname = &d.rules[pos];
                let base = base_rule(&resolved, *r, 0).and_then(|b| rules.get(b as usize));
                let map = |name: &str| -> Result<Vec<Field>, String> {
                    match base {
                        Some(rule) => crate::sigma::map_field_for(rule, name),
                        None => Err(format!("cannot resolve fields through '{rname}'")),
                    }
                };
                let mut gf = Vec::new();
                for g in &d.group_by {
                    let actual = d
                        .aliases
                        .get(g)
                        .map(|m| {
                            m.get(rname)
                                .or_else(|| {
                                    base.and_then(|b| b.sigma_name.as_ref().and_then(|n| m.get(n)))
                                })
                                .or_else(|| base.and_then(|b| m.get(&b.id)))
                        })
                        .unwrap_or(Some(g));
                    let Some(actual) = actual else {
                        err = Some(format!("alias '{g}' has no field for rule '{rname}'"));
                        break;
                    };
                    match map(actual) {
                        Ok(f) => gf.push(f),
                        Err(e) => {
                            err = Some(format!("group-by '{g}': {e}"));
                            break;
                        }
                    }
                }
                group_fields.push(gf);
                if let Some(f) = &d.field {
                    match map(f) {
                        Ok(f) => value_fields.push(f),
                        Err(e) => err = Some(format!("field '{f}': {e}")),
                    }
                } else {
                    value_fields.push(Vec::new());
                }
                if err.is_some() {
                    break;
                }
            }
            if let Some(e) = err {
                // Correlations chained on this one stay registered but never receive input;
                // report this one.
                bad.push(Unsupported {
                    file: d.file.display().to_string(),
                    rule_id: d.id.clone(),
                    reason: format!("correlation: {e}"),
                });
                out.list.push(Correlation {
                    def: d,
                    refs: Vec::new(),
                    group_fields: Vec::new(),
                    value_fields: Vec::new(),
                });
                continue;
            }
            let me = new_index[i];
            for (pos, r) in refs.iter().enumerate() {
                match *r {
                    Ref::Rule(b) => {
                        out.by_rule.entry(b).or_default().push((me, pos as u32));
                        if d.generate {
                            loud.insert(b);
                        } else {
                            out.quiet.insert(b);
                        }
                    }
                    Ref::Corr(j) => {
                        if let Some(v) = out.by_corr.get_mut(new_index[j as usize] as usize) {
                            v.push((me, pos as u32));
                        }
                    }
                }
            }
            out.list.push(Correlation {
                def: d,
                refs: refs
                    .into_iter()
                    .map(|r| match r {
                        Ref::Corr(j) => Ref::Corr(new_index[j as usize]),
                        x => x,
                    })
                    .collect(),
                group_fields,
                value_fields,
            });
        }
        // A correlation whose fields failed was reported: drop it from the list and its
        // consumers' inputs stay empty. Keep indices stable by leaving it with no refs.
        let failed: HashSet<String> = bad.iter().map(|u| u.rule_id.clone()).collect();
        let list = std::mem::take(&mut out.list);
        let mut keep_index = Vec::with_capacity(list.len());
        let mut k = 0u32;
        for c in &list {
            if c.refs.is_empty() && failed.contains(&c.def.id) {
                keep_index.push(u32::MAX);
            } else {
                keep_index.push(k);
                k += 1;
            }
        }
        let remap = |v: &mut Vec<(u32, u32)>| {
            v.retain(|(c, _)| keep_index.get(*c as usize).is_some_and(|x| *x != u32::MAX));
            for (c, _) in v.iter_mut() {
                *c = keep_index[*c as usize];
            }
        };
        for v in out.by_rule.values_mut() {
            remap(v);
        }
        let mut by_corr = vec![Vec::new(); k as usize];
        for (i, mut v) in std::mem::take(&mut out.by_corr).into_iter().enumerate() {
            if keep_index[i] != u32::MAX {
                remap(&mut v);
                by_corr[keep_index[i] as usize] = v;
            }
        }
        out.by_corr = by_corr;
        out.quiet.retain(|b| !loud.contains(b));
        let list: Vec<Correlation> = list
            .into_iter()
            .zip(keep_index.iter())
            .filter(|(_, k)| **k != u32::MAX)
            .map(|(mut c, _)| {
                for r in c.refs.iter_mut() {
                    if let Ref::Corr(j) = r {
                        *j = keep_index.get(*j as usize).copied().unwrap_or(u32::MAX);
                    }
                }
                c
            })
            .collect();
        out.keys = list.iter().map(|c| definition_key(&c.def)).collect();
        out.by_key = out
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect();
        out.list = list;
        (out, bad)
    }

    /// The state key of correlation `c` (see [`definition_key`]).
    fn key_of(&self, c: u32) -> u64 {
        self.keys.get(c as usize).copied().unwrap_or(u64::MAX)
    }

    /// Drops the groups of correlations this set does not have (after a reload).
    pub fn retain_state(&self, state: &CorrelationState) {
        let mut st = state.lock();
        st.groups.retain(|k, _| self.by_key.contains_key(&k.corr));
        state.note_groups(st.groups.len());
    }

    /// The resolved correlations.
    pub fn list(&self) -> &[Correlation] {
        &self.list
    }

    /// Number of correlations.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Does a match of this base rule feed a correlation?
    pub fn feeds(&self, rule: usize) -> bool {
        self.by_rule.contains_key(&(rule as u32))
    }

    /// Is this base rule silent on its own (referred to by a correlation without
    /// `generate: true`)?
    pub fn is_quiet(&self, rule: usize) -> bool {
        self.quiet.contains(&(rule as u32))
    }

    /// Feeds a match of base rule `rule` on event `e` (the caller's `token` names it) into
    /// the correlations it belongs to, in scope `scope`; calls `fired` for every correlation
    /// that fires (chained ones included).
    pub fn on_match(
        &self,
        state: &CorrelationState,
        scope: &str,
        rule: usize,
        e: &Event,
        token: u64,
        fired: &mut dyn FnMut(&Correlation, CorrelationHit),
    ) {
        let Some(targets) = self.by_rule.get(&(rule as u32)) else {
            return;
        };
        let mut st = state.lock();
        // Later positions first: one event never fills two consecutive positions of an ordered
        // correlation.
        let mut queue: VecDeque<(u32, u32, u32)> =
            targets.iter().rev().map(|&(c, p)| (c, p, 0)).collect();
        while let Some((c, pos, depth)) = queue.pop_front() {
            let Some(corr) = self.list.get(c as usize) else {
                continue;
            };
            let mut hits = Vec::new();
            st.feed(
                state,
                scope,
                c,
                self.key_of(c),
                corr,
                pos as usize,
                e,
                token,
                &mut hits,
            );
            for h in hits {
                if depth < 16 {
                    for &(c2, p2) in self
                        .by_corr
                        .get(c as usize)
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                    {
                        queue.push_back((c2, p2, depth + 1));
                    }
                }
                state.note_fired();
                fired(corr, h);
            }
        }
        state.note_groups(st.groups.len());
    }

    /// Decides every window still open (end of input): correlations with an upper bound
    /// whose count holds fire now. Chained correlations do not receive these.
    pub fn flush(
        &self,
        state: &CorrelationState,
        fired: &mut dyn FnMut(&Correlation, CorrelationHit),
    ) {
        let mut st = state.lock();
        let mut keys: Vec<(u32, GroupKey)> = st
            .groups
            .keys()
            .filter_map(|k| self.by_key.get(&k.corr).map(|&i| (i, k.clone())))
            .collect();
        keys.sort();
        for (i, k) in keys {
            let Some(corr) = self.list.get(i as usize) else {
                continue;
            };
            if !corr.def.condition.has_upper_bound() {
                continue;
            }
            if let Some(g) = st.groups.remove(&k)
                && let Some(h) =
                    g.window
                        .decide(&corr.def.condition, &k.values, &corr.def.group_by, i)
            {
                state.note_fired();
                fired(corr, h);
            }
        }
        state.note_groups(st.groups.len());
    }

    /// Decides the windows with an upper bound that are over at `now_ms` (Unix ms, on the
    /// events' clock), without waiting for a later match of their group: the server's timer
    /// (a "fewer than N within T" correlation fires when its time is up). `fired` gets the
    /// scope, the correlation, the hit and the last match of the window. Chained correlations
    /// do not receive these.
    pub fn expire(&self, state: &CorrelationState, now_ms: i64, fired: &mut ExpiredFn<'_>) {
        let mut st = state.lock();
        let mut due: Vec<(u32, GroupKey)> = st
            .groups
            .iter()
            .filter_map(|(k, g)| {
                let i = *self.by_key.get(&k.corr)?;
                let corr = self.list.get(i as usize)?;
                match &g.window {
                    Window::Fixed { start, .. }
                        if now_ms - *start > corr.def.timespan.num_milliseconds() =>
                    {
                        Some((i, k.clone()))
                    }
                    _ => None,
                }
            })
            .collect();
        due.sort();
        for (i, k) in due {
            let Some(corr) = self.list.get(i as usize) else {
                continue;
            };
            let Some(g) = st.groups.remove(&k) else {
                continue;
            };
            let last_event = match &g.window {
                Window::Fixed { last_event, .. } => last_event.clone(),
                _ => None,
            };
            if let Some(h) = g
                .window
                .decide(&corr.def.condition, &k.values, &corr.def.group_by, i)
            {
                state.note_fired();
                fired(&k.scope, corr, h, last_event);
            }
        }
        state.note_groups(st.groups.len());
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct GroupKey {
    scope: String,
    /// The correlation's [`definition_key`] (stable across reloads).
    corr: u64,
    values: Vec<String>,
}

#[derive(Debug)]
enum Window {
    /// event_count, sliding (lower bounds only): (time, token) of the matches in the window.
    Sliding(VecDeque<(i64, u64)>),
    /// value_count, sliding: value → (last time, token).
    SlidingValues(HashMap<String, (i64, u64)>),
    /// Windows decided at their end (upper bounds): start, count (saturated), distinct values
    /// (value_count), tokens.
    Fixed {
        start: i64,
        last: i64,
        count: u64,
        values: HashSet<String>,
        tokens: Vec<u64>,
        last_token: u64,
        /// The last match (for a decision by [`Correlations::expire`]).
        last_event: Option<std::sync::Arc<Event>>,
    },
    /// temporal: per referred rule, the (time, token) of its last match.
    Temporal(Vec<Option<(i64, u64)>>),
    /// temporal_ordered: per position, the latest start time of a chain of matches that reached
    /// it in order, with the tokens.
    Ordered(Vec<Option<(i64, Vec<u64>)>>),
}

impl Window {
    fn new(corr: &Correlation, now: i64) -> Window {
        let n = corr.refs.len();
        match corr.def.kind {
            CorrelationType::EventCount | CorrelationType::ValueCount
                if corr.def.condition.has_upper_bound() =>
            {
                Window::Fixed {
                    start: now,
                    last: now,
                    count: 0,
                    values: HashSet::new(),
                    tokens: Vec::new(),
                    last_token: 0,
                    last_event: None,
                }
            }
            CorrelationType::EventCount => Window::Sliding(VecDeque::new()),
            CorrelationType::ValueCount => Window::SlidingValues(HashMap::new()),
            CorrelationType::Temporal => Window::Temporal(vec![None; n]),
            CorrelationType::TemporalOrdered => Window::Ordered(vec![None; n]),
        }
    }

    /// Decides a fixed window that is over.
    fn decide(
        &self,
        cond: &CountCondition,
        values: &[String],
        names: &[String],
        corr: u32,
    ) -> Option<CorrelationHit> {
        let Window::Fixed {
            start,
            last,
            count,
            tokens,
            last_token,
            ..
        } = self
        else {
            return None;
        };
        cond.holds(*count).then(|| CorrelationHit {
            corr,
            count: *count,
            group: names.iter().cloned().zip(values.iter().cloned()).collect(),
            tokens: tokens.clone(),
            last: *last_token,
            first_ms: *start,
            last_ms: *last,
        })
    }
}

#[derive(Debug)]
struct Group {
    last_seen: i64,
    span: i64,
    window: Window,
}

#[derive(Debug, Default)]
struct StateInner {
    groups: HashMap<GroupKey, Group>,
}

/// The live state of the correlations (per scope, correlation and group), bounded.
#[derive(Debug)]
pub struct CorrelationState {
    inner: Mutex<StateInner>,
    max_groups: usize,
    evictions: AtomicU64,
    fired: AtomicU64,
    groups_gauge: AtomicU64,
}

impl Default for CorrelationState {
    fn default() -> Self {
        CorrelationState::new(DEFAULT_MAX_GROUPS)
    }
}

/// Default bound on the groups kept (all scopes and correlations together).
pub const DEFAULT_MAX_GROUPS: usize = 100_000;

impl CorrelationState {
    /// State keeping at most `max_groups` groups.
    pub fn new(max_groups: usize) -> CorrelationState {
        CorrelationState {
            inner: Mutex::new(StateInner::default()),
            max_groups: max_groups.max(1),
            evictions: AtomicU64::new(0),
            fired: AtomicU64::new(0),
            groups_gauge: AtomicU64::new(0),
        }
    }

    /// The bound on groups.
    pub fn max_groups(&self) -> usize {
        self.max_groups
    }

    /// Live groups dropped to stay within the bound (their partial windows are lost).
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Correlations fired.
    pub fn fired(&self) -> u64 {
        self.fired.load(Ordering::Relaxed)
    }

    /// Groups held now.
    pub fn groups(&self) -> u64 {
        self.groups_gauge.load(Ordering::Relaxed)
    }

    fn note_fired(&self) {
        self.fired.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::metrics::metrics().correlations_fired.inc();
    }

    fn note_groups(&self, n: usize) {
        self.groups_gauge.store(n as u64, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::metrics::metrics()
            .correlation_groups
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StateInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl StateInner {
    /// Makes room for one more group: expired groups first, then the least recently updated
    /// eighth (counted as evictions).
    fn make_room(&mut self, state: &CorrelationState, now: i64) {
        if self.groups.len() < state.max_groups {
            return;
        }
        // Windows decided at their end are not "expired" until decided: keep those whose
        // decision is pending only if room allows; an expired fixed window that is dropped
        // here is lost, so count it.
        let before = self.groups.len();
        let mut lost = 0u64;
        self.groups.retain(|_, g| {
            let expired = now - g.last_seen > g.span;
            if expired && matches!(g.window, Window::Fixed { .. }) {
                lost += 1;
            }
            !expired
        });
        if self.groups.len() >= state.max_groups {
            let mut ages: Vec<i64> = self.groups.values().map(|g| g.last_seen).collect();
            ages.sort_unstable();
            let n = (state.max_groups / 8).max(1).min(ages.len());
            let cutoff = ages[n - 1];
            let mut dropped = 0usize;
            self.groups.retain(|_, g| {
                if dropped < n && g.last_seen <= cutoff {
                    dropped += 1;
                    false
                } else {
                    true
                }
            });
            lost += dropped as u64;
        }
        let _ = before;
        if lost > 0 {
            state.evictions.fetch_add(lost, Ordering::Relaxed);
            #[cfg(feature = "metrics")]
            crate::metrics::metrics().correlation_evictions.inc_by(lost);
            tracing::debug!(lost, "correlation groups evicted");
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        state: &CorrelationState,
        scope: &str,
        c: u32,
        corr_key: u64,
        corr: &Correlation,
        pos: usize,
        e: &Event,
        token: u64,
        out: &mut Vec<CorrelationHit>,
    ) {
        let now = e.ts.timestamp_millis();
        let span = corr.def.timespan.num_milliseconds();
        let values: Vec<String> = corr
            .group_fields
            .get(pos)
            .map(|gf| gf.iter().map(|f| read(f, e).unwrap_or_default()).collect())
            .unwrap_or_default();
        let value = if corr.def.kind == CorrelationType::ValueCount {
            match corr.value_fields.get(pos).and_then(|f| read(f, e)) {
                Some(v) => Some(v),
                // A match without the counted field adds no value.
                None => return,
            }
        } else {
            None
        };
        let key = GroupKey {
            scope: scope.to_string(),
            corr: corr_key,
            values,
        };
        if !self.groups.contains_key(&key) {
            self.make_room(state, now);
        }
        let cond = corr.def.condition;
        let g = self.groups.entry(key.clone()).or_insert_with(|| Group {
            last_seen: now,
            span,
            window: Window::new(corr, now),
        });
        g.last_seen = g.last_seen.max(now);
        let hit = |count: u64, tokens: Vec<u64>, first: i64| CorrelationHit {
            corr: c,
            count,
            group: corr
                .def
                .group_by
                .iter()
                .cloned()
                .zip(key.values.iter().cloned())
                .collect(),
            tokens,
            last: token,
            first_ms: first,
            last_ms: now,
        };
        if let Window::Fixed { start, .. } = &g.window
            && now - *start > span
        {
            // The window is over: decide it; this match opens the next one.
            let done = std::mem::replace(&mut g.window, Window::new(corr, now));
            if let Some(h) = done.decide(&cond, &key.values, &corr.def.group_by, c) {
                out.push(h);
            }
        }
        let mut reset = false;
        match &mut g.window {
            Window::Fixed {
                last,
                count,
                values,
                tokens,
                last_token,
                last_event,
                ..
            } => {
                if last_event.as_ref().is_none_or(|l| l.ts <= e.ts) {
                    *last_event = Some(std::sync::Arc::new(e.clone()));
                }
                add_fixed(
                    &cond,
                    corr.def.kind,
                    value,
                    now,
                    token,
                    last,
                    count,
                    values,
                    tokens,
                    last_token,
                );
            }
            Window::Sliding(q) => {
                q.push_back((now, token));
                while q.front().is_some_and(|(t, _)| now - *t > span) {
                    q.pop_front();
                }
                let n = q.len() as u64;
                // Bound: the condition only needs the latest `need` matches.
                let need = cond
                    .gt
                    .map_or(0, |v| v + 1)
                    .max(cond.gte.unwrap_or(0))
                    .max(1);
                while q.len() as u64 > need {
                    q.pop_front();
                }
                if cond.holds(n) {
                    let first = q.front().map_or(now, |x| x.0);
                    let toks: Vec<u64> =
                        q.iter().rev().take(MAX_TOKENS).rev().map(|x| x.1).collect();
                    out.push(hit(n, toks, first));
                    reset = true;
                }
            }
            Window::SlidingValues(m) => {
                if let Some(v) = value {
                    m.insert(v, (now, token));
                }
                m.retain(|_, (t, _)| now - *t <= span);
                let n = m.len() as u64;
                if cond.holds(n) {
                    let mut toks: Vec<(i64, u64)> = m.values().copied().collect();
                    toks.sort_unstable();
                    let first = toks.first().map_or(now, |x| x.0);
                    let toks: Vec<u64> = toks
                        .iter()
                        .rev()
                        .take(MAX_TOKENS)
                        .rev()
                        .map(|x| x.1)
                        .collect();
                    out.push(hit(n, toks, first));
                    reset = true;
                }
            }
            Window::Temporal(last) => {
                // Every position this rule holds (a rule may be listed once; positions are
                // per reference).
                if let Some(s) = last.get_mut(pos) {
                    *s = Some((now, token));
                }
                for s in last.iter_mut() {
                    if s.is_some_and(|(t, _)| now - t > span) {
                        *s = None;
                    }
                }
                let n = last.iter().filter(|s| s.is_some()).count() as u64;
                let ok = if cond == CountCondition::default() {
                    n == last.len() as u64
                } else {
                    cond.holds(n)
                };
                if ok {
                    let mut toks: Vec<(i64, u64)> = last.iter().flatten().copied().collect();
                    toks.sort_unstable();
                    let first = toks.first().map_or(now, |x| x.0);
                    out.push(hit(n, toks.into_iter().map(|x| x.1).collect(), first));
                    reset = true;
                }
            }
            Window::Ordered(chain) => {
                let len = chain.len();
                if pos == 0 {
                    chain[0] = Some((now, vec![token]));
                } else if let Some((start, toks)) = chain[pos - 1].clone()
                    && now - start <= span
                {
                    let mut toks = toks;
                    if toks.len() < MAX_TOKENS {
                        toks.push(token);
                    }
                    // Keep the chain that started latest (most time left).
                    if chain[pos].as_ref().is_none_or(|(s, _)| *s <= start) {
                        chain[pos] = Some((start, toks));
                    }
                }
                if let Some((start, toks)) = chain[len - 1].clone()
                    && now - start <= span
                {
                    out.push(hit(len as u64, toks, start));
                    reset = true;
                }
            }
        }
        if reset {
            self.groups.remove(&key);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn add_fixed(
    cond: &CountCondition,
    kind: CorrelationType,
    value: Option<String>,
    now: i64,
    token: u64,
    last: &mut i64,
    count: &mut u64,
    values: &mut HashSet<String>,
    tokens: &mut Vec<u64>,
    last_token: &mut u64,
) {
    let sat = cond.saturation();
    *last = (*last).max(now);
    *last_token = token;
    if *count >= sat {
        return;
    }
    if kind == CorrelationType::ValueCount {
        if let Some(v) = value
            && values.insert(v)
        {
            *count = values.len() as u64;
            if tokens.len() < MAX_TOKENS {
                tokens.push(token);
            }
        }
    } else {
        *count += 1;
        if tokens.len() < MAX_TOKENS {
            tokens.push(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Scored;
    use crate::rules::RuleSet;
    use chrono::{TimeZone, Utc};
    use outpost_core::EventKind;
    use outpost_core::event::ProcessInfo;

    fn ev(name: &str, uid: u32, secs: i64) -> Event {
        let mut e = Event::new(
            Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap(),
            EventKind::ProcessExec,
            "test",
        );
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid: 10,
            exe: Some(format!("/bin/{name}")),
            uid: Some(uid),
            ..Default::default()
        }));
        e
    }

    /// Native rules referred to by correlations (group-by on Outpost field paths).
    const RULES: &str = r#"
rules:
  - id: run
    score: 5
    condition: {field: process.name, startswith: x}
  - id: first
    score: 5
    condition: {field: process.name, equals: a}
  - id: second
    score: 5
    condition: {field: process.name, equals: b}
---
title: three runs per user
id: c-count
correlation:
  type: event_count
  rules: [run]
  group-by: [process.uid]
  timespan: 10s
  condition: {gte: 3}
level: high
---
title: two of those bursts within a minute (a chain)
id: c-chain
correlation:
  type: event_count
  rules: [c-count]
  group-by: [process.uid]
  timespan: 60s
  condition: {gte: 2}
level: critical
---
title: a then b
id: c-ordered
correlation:
  type: temporal_ordered
  rules: [first, second]
  group-by: [process.uid]
  timespan: 30s
  generate: true
"#;

    fn fired(set: &RuleSet, scope: &str, e: &Event) -> Vec<String> {
        let mut out = Scored::default();
        set.eval_into_scoped(scope, e, &mut out);
        out.indicators.into_iter().map(|i| i.rule_name).collect()
    }

    /// A reload keeps the windows of correlations whose definition did not change (the third
    /// run after the reload completes the count), and drops those of a changed one.
    #[test]
    fn reload_keeps_state_of_unchanged_correlations() {
        let opts = SigmaOptions::default();
        let old = RuleSet::from_yaml(RULES, Path::new("t.yml"), &opts).unwrap();
        assert!(fired(&old, "", &ev("x1", 7, 0)).is_empty());
        assert!(fired(&old, "", &ev("x2", 7, 1)).is_empty());
        // The same rules plus one: c-count unchanged.
        let more = format!(
            "{RULES}---\nrules:\n  - id: extra\n    score: 1\n    condition: {{field: process.name, equals: zzz}}\n"
        );
        let mut new = RuleSet::from_yaml(&more, Path::new("t.yml"), &opts).unwrap();
        new.keep_correlation_state(&old);
        assert_eq!(fired(&new, "", &ev("x3", 7, 2)), vec!["c-count"]);
        // c-count changed (timespan): its windows start afresh.
        assert!(fired(&new, "", &ev("x4", 8, 3)).is_empty());
        assert!(fired(&new, "", &ev("x5", 8, 4)).is_empty());
        let changed = RULES.replace("timespan: 10s", "timespan: 11s");
        let mut third = RuleSet::from_yaml(&changed, Path::new("t.yml"), &opts).unwrap();
        third.keep_correlation_state(&new);
        assert!(fired(&third, "", &ev("x6", 8, 5)).is_empty());
        assert!(fired(&third, "", &ev("x7", 8, 6)).is_empty());
        assert_eq!(fired(&third, "", &ev("x8", 8, 7)), vec!["c-count"]);
    }

    /// "Fewer than 3 within 10s": decided by the timer once the window is over, without a later
    /// event; a window that reached 3 does not fire, and one still open is left alone.
    #[test]
    fn expire_fires_upper_bounds_when_time_is_up() {
        const FEW: &str = r#"
rules:
  - id: run
    score: 5
    condition: {field: process.name, startswith: x}
---
title: fewer than three runs per user
id: c-few
correlation:
  type: event_count
  rules: [run]
  group-by: [process.uid]
  timespan: 10s
  condition: {lt: 3}
level: high
"#;
        let set = RuleSet::from_yaml(FEW, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
        for (uid, n) in [(1, 1), (2, 3), (3, 2)] {
            for k in 0..n {
                let t = if uid == 3 { 20 + k } else { k };
                assert!(fired(&set, "acme", &ev("x", uid, t)).is_empty());
            }
        }
        let mut got = Vec::new();
        let now = Utc.timestamp_opt(1_700_000_000 + 15, 0).unwrap();
        set.expire_correlations(now, &mut |scope, i, e, _| {
            got.push((
                scope.to_string(),
                i.rule_name,
                i.extra_info,
                e.map(|e| e.ts),
            ))
        });
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "acme");
        assert_eq!(got[0].1, "c-few");
        assert!(got[0].2.contains("process.uid=1"), "{}", got[0].2);
        assert_eq!(got[0].3, Some(Utc.timestamp_opt(1_700_000_000, 0).unwrap()));
        // uid 3's window (from 20s) is over at 31s.
        let mut later_got = Vec::new();
        let later = Utc.timestamp_opt(1_700_000_000 + 31, 0).unwrap();
        set.expire_correlations(later, &mut |_, i, _, _| later_got.push(i.extra_info));
        assert_eq!(later_got.len(), 1, "{later_got:?}");
        assert!(later_got[0].contains("process.uid=3"), "{}", later_got[0]);
        assert_eq!(set.correlation_state().groups(), 0);
    }

    #[test]
    fn counts_chains_order_and_scopes() {
        let set = RuleSet::from_yaml(RULES, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
        assert!(set.unsupported().is_empty(), "{:?}", set.unsupported());
        assert_eq!(set.correlations().len(), 3);
        // `run` is quiet (referred to without generate); `first`/`second` are generated.
        assert_eq!(fired(&set, "t1", &ev("x1", 1, 0)), Vec::<String>::new());
        assert_eq!(fired(&set, "t2", &ev("x1", 1, 1)), Vec::<String>::new());
        assert_eq!(fired(&set, "t1", &ev("x2", 2, 2)), Vec::<String>::new());
        assert_eq!(fired(&set, "t1", &ev("x3", 1, 3)), Vec::<String>::new());
        assert_eq!(fired(&set, "t1", &ev("x4", 1, 4)), ["c-count"]);
        // Cleared after firing; 11 s later the old matches are out of the window anyway.
        assert_eq!(fired(&set, "t1", &ev("x5", 1, 20)), Vec::<String>::new());
        assert_eq!(fired(&set, "t1", &ev("x6", 1, 21)), Vec::<String>::new());
        // The second burst: c-count again, and the chain on it.
        assert_eq!(fired(&set, "t1", &ev("x7", 1, 22)), ["c-count", "c-chain"]);
        // Ordered: b before a does not count; a then b does.
        assert_eq!(fired(&set, "t1", &ev("b", 3, 30)), ["second"]);
        assert_eq!(fired(&set, "t1", &ev("a", 3, 31)), ["first"]);
        assert_eq!(fired(&set, "t1", &ev("b", 3, 40)), ["second", "c-ordered"]);
        // Another scope saw none of it.
        assert_eq!(fired(&set, "t2", &ev("b", 3, 41)), ["second"]);
        assert_eq!(set.correlation_state().evictions(), 0);
    }

    #[test]
    fn upper_bounds_are_decided_when_the_window_is_over() {
        let y = r#"
rules:
  - id: run
    condition: {field: process.name, startswith: x}
---
title: few
id: few
correlation:
  type: value_count
  rules: [run]
  group-by: [process.uid]
  timespan: 10s
  condition: {field: process.name, lte: 2}
"#;
        let set = RuleSet::from_yaml(y, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
        assert!(set.unsupported().is_empty(), "{:?}", set.unsupported());
        // uid 1: two distinct names in its window; uid 2: three.
        for (n, uid, t) in [
            ("x1", 1, 0),
            ("x2", 1, 1),
            ("x1", 1, 2),
            ("x1", 2, 0),
            ("x2", 2, 1),
            ("x3", 2, 2),
        ] {
            assert!(fired(&set, "", &ev(n, uid, t)).is_empty());
        }
        // A later match of uid 1 closes its window (2 ≤ 2: fires); uid 2's stays open.
        assert_eq!(fired(&set, "", &ev("x9", 1, 30)), ["few"]);
        // End of input: uid 1's new window (1 name) fires; uid 2's (3 names) does not.
        let mut got = Vec::new();
        set.correlations()
            .flush(set.correlation_state(), &mut |c, h| {
                got.push((c.def.id.clone(), h.count, h.group.clone()))
            });
        assert_eq!(
            got,
            [(
                "few".to_string(),
                1,
                vec![("process.uid".to_string(), "1".to_string())]
            )]
        );
    }

    #[test]
    fn state_is_bounded_and_evictions_are_counted() {
        let y = r#"
rules:
  - id: run
    condition: {field: process.name, startswith: x}
---
title: per name
id: per-name
correlation:
  type: event_count
  rules: [run]
  group-by: [process.name]
  timespan: 1h
  condition: {gte: 2}
"#;
        let set = RuleSet::from_yaml(y, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
        let state = CorrelationState::new(16);
        for i in 0..100 {
            let e = ev(&format!("x{i}"), 1, i);
            set.correlations()
                .on_match(&state, "", 0, &e, 0, &mut |_, _| panic!("nothing repeats"));
            assert!(state.groups() <= 16);
        }
        assert!(state.evictions() >= 100 - 16, "{}", state.evictions());
        #[cfg(feature = "metrics")]
        assert!(crate::metrics::metrics().correlation_evictions.get() >= 84);
    }

    #[test]
    fn bad_correlations_say_why() {
        let y = r#"
rules:
  - id: run
    condition: {field: process.name, startswith: x}
---
title: no condition
id: e1
correlation: {type: event_count, rules: [run], timespan: 1m}
---
title: unknown type
id: e2
correlation: {type: value_sum, rules: [run], timespan: 1m}
---
title: missing rule
id: e3
correlation: {type: temporal, rules: [run, nope], timespan: 1m}
---
title: bad timespan
id: e4
correlation: {type: temporal, rules: [run], timespan: soon}
---
title: unmapped group-by
id: e5
correlation: {type: temporal, rules: [run], group-by: [NoSuchField], timespan: 1m}
---
title: loop a
id: e6
correlation: {type: temporal, rules: [e7], timespan: 1m}
---
title: loop b
id: e7
correlation: {type: temporal, rules: [e6], timespan: 1m}
"#;
        let set = RuleSet::from_yaml(y, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
        let mut got: Vec<(String, String)> = set
            .unsupported()
            .iter()
            .map(|u| (u.rule_id.clone(), u.reason.clone()))
            .collect();
        got.sort();
        let want = [
            ("e1", "event_count needs a `condition`"),
            ("e2", "type 'value_sum' is not supported"),
            ("e3", "referred rule 'nope' is not loaded"),
            ("e4", "invalid timespan 'soon'"),
            (
                "e5",
                "group-by 'NoSuchField': 'NoSuchField' is not an Outpost event field",
            ),
            ("e6", "cycle"),
            ("e7", "referred rule 'e6' is not loaded"),
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for ((id, r), (wid, wr)) in got.iter().zip(want) {
            assert_eq!(id, wid);
            assert!(r.contains(wr), "{id}: {r}");
        }
        assert!(set.correlations().is_empty());
    }
}
