//! The rules engine: YAML rules compiled once into condition trees, indexed by event kind,
//! Windows event id and anchor literals (a conjunct every match must satisfy: a whole value, a
//! path's last component, or a substring found for a whole group of rules by one Aho-Corasick
//! automaton; an OR whose every branch is anchored counts), with counting windows and actions.
//!
//! # Rule format
//!
//! A rule file (`*.yml` / `*.yaml`) holds either native rules (a `rules:` list, a bare list, or
//! one rule per YAML document) or Sigma rules (a document with `detection:`, see
//! [`crate::sigma`]). A native rule:
//!
//! ```yaml
//! rules:
//!   - id: linux-web-user-shell
//!     name: Shell started by the web server's user
//!     description: www-data ran a shell (web shell or RCE)
//!     indicator_type: custom        # default "custom"
//!     score: 80                     # default 0
//!     enabled: true                 # default true
//!     kinds: [process_exec]         # optional; speeds up evaluation
//!     condition:
//!       all:
//!         - {field: process.uid, equals: 33}
//!         - {field: process.name, equals: [sh, bash, dash]}
//!         - not: {field: process.cwd, startswith: /tmp/}
//!     count: {window: 60s, group_by: process.exe, threshold: 3}   # optional
//!     actions: [alert, {tag: webshell}, {score: 10}, {ticket: {summary: "web shell"}},
//!               {job: {kind: pcap, args: {secs: "30"}}}]
//! ```
//!
//! Leaf operators: `equals` (alias `in`), `contains`, `startswith`, `endswith`, `regex`,
//! `cidr`, `gt`, `gte`, `lt`, `lte`, `exists`. A value may be a list (any-of; with
//! `all: true` every value must match). `nocase: true` makes string tests ignore ASCII case.
//! Combinators: `all: [..]`, `any: [..]`, `not: {..}`.

mod index;
mod load;
mod native;
#[cfg(test)]
mod tests;

use crate::correlation::{self, CorrelationDef, CorrelationHit, CorrelationState, Correlations};
use crate::field::{Field, KIND_COUNT, kind_bit, kind_index, parse_kind};
use crate::indicator::{Action, Finding, RuleAction, Scored};
use crate::matcher::{CmpOp, Matcher, Memo, Node, StrKind, StrMatch, compile_regex, parse_cidr};
use crate::sigma::{self, SigmaOptions};
use index::*;
pub use load::*;
pub use native::*;
use outpost_core::Event;
use serde::Serialize;
use serde_json::Value as J;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A validation error naming the file, the rule and the offending field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    /// The rule file.
    pub file: String,
    /// The rule id (`?` when the rule has none or it is the bad field).
    pub rule_id: String,
    /// Where in the rule, e.g. `condition.all[1].field`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: rule '{}': {}: {}",
            self.file, self.rule_id, self.field, self.message
        )
    }
}

/// Why a rule set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory or a file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("{file}: invalid YAML: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// One or more rules failed validation (all are listed).
    #[error("{} invalid rule(s): {}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<RuleError>),
}

/// A Sigma rule (or a rule file) that was not loaded, with the reason. Never silent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsupported {
    /// The file.
    pub file: String,
    /// The rule id or title (`?` when unknown).
    pub rule_id: String,
    /// Why it cannot be evaluated on Outpost events.
    pub reason: String,
}

/// A counting window: the rule fires when at least `threshold` matching events fell within
/// `window` for the same value of `group_by`.
#[derive(Debug, Clone)]
pub struct CountSpec {
    /// Window length.
    pub window: chrono::TimeDelta,
    /// Grouping field (`None` = one global group).
    pub group_by: Option<Field>,
    /// Matching events needed.
    pub threshold: u32,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Rule id (unique in a rule set).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `rules` for native rules, `sigma` for Sigma rules.
    pub engine: &'static str,
    /// Description.
    pub description: String,
    /// Finding type of its indicators.
    pub indicator_type: String,
    /// Indicator score (plus any [`Action::Score`]).
    pub score: i32,
    /// Actions returned when it fires.
    pub actions: Vec<Action>,
    /// Event kinds it may match (bit mask over [`kind_index`]).
    pub kinds: u16,
    /// The condition.
    pub cond: Node,
    /// Optional counting window.
    pub count: Option<CountSpec>,
    /// File it came from.
    pub file: PathBuf,
    /// Tags (Sigma `tags`, e.g. ATT&CK techniques).
    pub tags: Vec<String>,
    /// Sigma `level` (`informational` … `critical`); `None` for native rules.
    pub level: Option<String>,
    /// Sigma `name` (how correlation rules may refer to it).
    pub sigma_name: Option<String>,
    /// Sigma logsource product and category (how field names map onto events; correlation
    /// rules' `group-by` uses it). `None` for native rules.
    pub logsource: Option<(String, Option<String>)>,
}

impl CompiledRule {
    fn total_score(&self) -> i32 {
        self.actions.iter().fold(self.score, |acc, a| match a {
            Action::Score(s) => acc.saturating_add(*s),
            _ => acc,
        })
    }
}

/// Summary of a loaded rule, for the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    /// Rule id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Engine.
    pub engine: String,
    /// Score.
    pub score: i32,
    /// File.
    pub file: String,
}

type CountState = HashMap<u32, HashMap<String, VecDeque<i64>>>;

/// Cap on distinct groups kept per counting rule.
const MAX_GROUPS: usize = 100_000;

/// A compiled, indexed set of rules. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    /// Rules per kind that have no event-id requirement.
    by_kind: Vec<Vec<u32>>,
    /// Per kind: event id → every rule that may match an event with that id.
    by_kind_eid: Vec<HashMap<u32, Vec<u32>>>,
    /// Rules indexed by an anchor literal (an `equals` / basename `endswith` conjunct).
    groups: Vec<AnchorGroup>,
    /// Anchor groups to look up for an event without an event id (groups with a rule that
    /// has no event-id requirement), with their kind masks.
    groups_no_eid: Vec<(u32, u16)>,
    /// Per event id: the anchor groups that hold a rule that may match that id (the others
    /// cannot add a candidate), with their kind masks.
    groups_by_eid: HashMap<u32, Vec<(u32, u16)>>,
    /// Event ids each rule requires (anchored rules are checked against it).
    rule_eids: Vec<Option<Vec<u32>>>,
    counts: Mutex<CountState>,
    unsupported: Vec<Unsupported>,
    /// Per rule: anchored conjuncts (0: not anchored) that must all have a hit.
    slots: Vec<u8>,
    /// Leaf result slots (identical leaves share one; see [`Memo`]).
    memo_slots: usize,
    /// Sigma correlation rules over these rules, and their live state.
    correlations: Correlations,
    /// Shared with the rule set this one replaced on a reload (see
    /// [`RuleSet::keep_correlation_state`]).
    corr_state: std::sync::Arc<CorrelationState>,
}

impl RuleSet {
    /// Builds an indexed rule set. Fails when two rules share an id.
    pub fn new(
        rules: Vec<CompiledRule>,
        unsupported: Vec<Unsupported>,
    ) -> Result<RuleSet, LoadError> {
        RuleSet::with_correlations(rules, Vec::new(), unsupported)
    }

    /// Builds an indexed rule set with Sigma correlation rules over its rules. Fails when two
    /// rules share an id; correlations that cannot be resolved (a referred rule missing, a
    /// group-by field with no mapping, a cycle) are added to [`RuleSet::unsupported`].
    pub fn with_correlations(
        mut rules: Vec<CompiledRule>,
        defs: Vec<CorrelationDef>,
        mut unsupported: Vec<Unsupported>,
    ) -> Result<RuleSet, LoadError> {
        let mut memo_keys: HashMap<String, u32> = HashMap::new();
        for r in rules.iter_mut() {
            r.cond.assign_memo(&mut memo_keys);
        }
        let memo_slots = memo_keys.len();
        drop(memo_keys);
        let mut seen: HashMap<&str, &Path> = HashMap::new();
        let mut errors = Vec::new();
        for r in &rules {
            if let Some(prev) = seen.insert(&r.id, &r.file) {
                errors.push(RuleError {
                    file: r.file.display().to_string(),
                    rule_id: r.id.clone(),
                    field: "id".into(),
                    message: format!("duplicate rule id (also in {})", prev.display()),
                });
            }
        }
        if !errors.is_empty() {
            return Err(LoadError::Invalid(errors));
        }
        let eids: Vec<Option<Vec<u32>>> =
            rules.iter().map(|r| r.cond.required_event_ids()).collect();
        let all_eids: HashSet<u32> = eids.iter().flatten().flatten().copied().collect();
        // Anchor index: rules with a selective literal conjunct are only evaluated when the
        // event's value has that literal.
        let mut groups: Vec<AnchorGroup> = Vec::new();
        let mut anchored = vec![false; rules.len()];
        // Per rule: how many of its conjuncts are anchored (slots); a rule is a candidate only
        // when every slot has a hit.
        let mut slots = vec![0u8; rules.len()];
        for (i, r) in rules.iter().enumerate() {
            let rule_slots = anchor_slots(&r.cond);
            if rule_slots.is_empty() {
                continue;
            }
            slots[i] = rule_slots.len() as u8;
            for (slot, anchors) in rule_slots.into_iter().enumerate() {
                let entry = ((i as u32) << SLOT_BITS) | slot as u32;
                for (fields, basename, contains, ci, keys) in anchors {
                    let gi = match groups.iter().position(|g| {
                        g.fields == fields
                            && g.basename == basename
                            && g.contains == contains
                            && g.ci == ci
                    }) {
                        Some(g) => g,
                        None => {
                            groups.push(AnchorGroup {
                                fields,
                                basename,
                                contains,
                                ci,
                                map: HashMap::new(),
                                ac: None,
                                ac_rules: Vec::new(),
                            });
                            groups.len() - 1
                        }
                    };
                    for k in keys {
                        let list = groups[gi].map.entry(k).or_default();
                        if list.last() != Some(&entry) {
                            list.push(entry);
                        }
                    }
                }
            }
            anchored[i] = true;
        }
        for g in groups.iter_mut().filter(|g| g.contains) {
            g.build_automaton();
        }
        // Which groups can add a candidate for an event id: a group whose rules all require
        // other ids (or other kinds) is not looked up at all.
        let mut groups_no_eid: Vec<(u32, u16)> = Vec::new();
        let mut groups_by_eid: HashMap<u32, Vec<(u32, u16)>> = HashMap::new();
        for (gi, g) in groups.iter().enumerate() {
            let mut kinds = 0u16;
            let mut any_eid = false;
            let mut ids: HashSet<u32> = HashSet::new();
            for &entry in g.map.values().flatten() {
                let r = entry >> SLOT_BITS;
                kinds |= rules.get(r as usize).map_or(0, |x| x.kinds);
                match eids.get(r as usize) {
                    Some(Some(v)) => ids.extend(v.iter().copied()),
                    _ => any_eid = true,
                }
            }
            let entry = (gi as u32, kinds);
            if any_eid {
                groups_no_eid.push(entry);
            } else {
                for id in ids {
                    groups_by_eid.entry(id).or_default().push(entry);
                }
            }
        }
        // Every event id also gets the groups that hold id-less rules.
        for v in groups_by_eid.values_mut() {
            v.extend_from_slice(&groups_no_eid);
            v.sort_unstable();
        }
        let mut by_kind = vec![Vec::new(); KIND_COUNT];
        let mut by_kind_eid = vec![HashMap::new(); KIND_COUNT];
        for k in 0..KIND_COUNT {
            let bit = 1u16 << k;
            for (i, r) in rules.iter().enumerate() {
                if r.kinds & bit != 0 && eids[i].is_none() && !anchored[i] {
                    by_kind[k].push(i as u32);
                }
            }
            for &eid in &all_eids {
                let list: Vec<u32> = rules
                    .iter()
                    .enumerate()
                    .filter(|(i, r)| {
                        r.kinds & bit != 0
                            && !anchored[*i]
                            && eids[*i].as_ref().is_none_or(|v| v.contains(&eid))
                    })
                    .map(|(i, _)| i as u32)
                    .collect();
                by_kind_eid[k].insert(eid, list);
            }
        }
        let (correlations, bad) = Correlations::build(defs, &rules);
        unsupported.extend(bad);
        Ok(RuleSet {
            rules,
            by_kind,
            by_kind_eid,
            groups,
            groups_no_eid,
            groups_by_eid,
            slots,
            memo_slots,
            rule_eids: eids,
            counts: Mutex::new(HashMap::new()),
            unsupported,
            correlations,
            corr_state: std::sync::Arc::new(CorrelationState::default()),
        })
    }

    /// An empty rule set.
    pub fn empty() -> RuleSet {
        RuleSet {
            by_kind: vec![Vec::new(); KIND_COUNT],
            by_kind_eid: vec![HashMap::new(); KIND_COUNT],
            ..Default::default()
        }
    }

    /// Loads every `*.yml` / `*.yaml` file under `dir` (recursively, sorted by path).
    /// Native rules that fail validation make the whole load fail (all errors listed); Sigma
    /// rules that cannot be mapped are listed in [`RuleSet::unsupported`].
    pub fn load_dir(dir: &Path, opts: &SigmaOptions) -> Result<RuleSet, LoadError> {
        let mut files = Vec::new();
        collect_files(dir, &mut files)?;
        files.sort();
        let mut out = CompiledFile::default();
        let mut errors = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|e| LoadError::Io {
                path: f.display().to_string(),
                source: e,
            })?;
            load_text(&text, f, opts, &mut out, &mut errors)?;
        }
        if !errors.is_empty() {
            return Err(LoadError::Invalid(errors));
        }
        RuleSet::with_correlations(out.rules, out.correlations, out.unsupported)
    }

    /// Parses rules from YAML text (as if read from `file`).
    pub fn from_yaml(text: &str, file: &Path, opts: &SigmaOptions) -> Result<RuleSet, LoadError> {
        let mut out = CompiledFile::default();
        let mut errors = Vec::new();
        load_text(text, file, opts, &mut out, &mut errors)?;
        if !errors.is_empty() {
            return Err(LoadError::Invalid(errors));
        }
        RuleSet::with_correlations(out.rules, out.correlations, out.unsupported)
    }

    /// Rules that were not loaded, with reasons.
    pub fn unsupported(&self) -> &[Unsupported] {
        &self.unsupported
    }

    /// The loaded rules.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Summaries for the API.
    pub fn summaries(&self) -> Vec<RuleSummary> {
        self.rules
            .iter()
            .map(|r| RuleSummary {
                id: r.id.clone(),
                name: r.name.clone(),
                engine: r.engine.to_string(),
                score: r.total_score(),
                file: r.file.display().to_string(),
            })
            .collect()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules that may match this event (by kind and event id).
    fn candidates(&self, e: &Event) -> &[u32] {
        let k = kind_index(e.kind);
        if let Some(eid) = e.log.as_ref().and_then(|l| l.event_id)
            && let Some(list) = self.by_kind_eid.get(k).and_then(|m| m.get(&eid))
        {
            return list;
        }
        self.by_kind.get(k).map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// Calls `f` with every candidate rule index for the event, in rule order, and the
    /// event's leaf memo.
    fn for_each_candidate(&self, e: &Event, mut f: impl FnMut(u32, &mut Memo)) {
        let mut memo = MEMO.with(|c| std::mem::take(&mut *c.borrow_mut()));
        memo.next_event(self.memo_slots);
        self.for_each_candidate_index(e, |i| f(i, &mut memo));
        MEMO.with(|c| *c.borrow_mut() = memo);
    }

    /// Calls `f` with every candidate rule index for the event, in rule order.
    fn for_each_candidate_index(&self, e: &Event, mut f: impl FnMut(u32)) {
        let base = self.candidates(e);
        if self.groups.is_empty() {
            base.iter().for_each(|&i| f(i));
            return;
        }
        let mut buf = CANDIDATES.with(|c| std::mem::take(&mut *c.borrow_mut()));
        buf.clear();
        buf.extend_from_slice(base);
        let bit = kind_bit(e.kind);
        let eid = e.log.as_ref().and_then(|l| l.event_id);
        let before = buf.len();
        // Slot hits per rule for this event (reset in O(1) by the generation).
        let (mut generation, mut marks, mut touched) =
            MARKS.with(|c| std::mem::take(&mut *c.borrow_mut()));
        if marks.len() < self.rules.len() {
            marks.resize(self.rules.len(), (0, 0));
        }
        generation = generation.wrapping_add(1);
        if generation == 0 {
            marks.iter_mut().for_each(|m| *m = (0, 0));
            generation = 1;
        }
        touched.clear();
        let groups = match eid {
            Some(x) => self.groups_by_eid.get(&x).unwrap_or(&self.groups_no_eid),
            None => &self.groups_no_eid,
        };
        for &(gi, kinds) in groups {
            if kinds & bit == 0 {
                continue;
            }
            let Some(g) = self.groups.get(gi as usize) else {
                continue;
            };
            g.lookup(e, |list| {
                for &entry in list {
                    let i = entry >> SLOT_BITS;
                    let slot = entry & SLOT_MASK;
                    let Some(mark) = marks.get_mut(i as usize) else {
                        continue;
                    };
                    if mark.0 != generation {
                        let ok_kind = self
                            .rules
                            .get(i as usize)
                            .is_some_and(|r| r.kinds & bit != 0);
                        let ok_eid = match self.rule_eids.get(i as usize) {
                            Some(Some(v)) => eid.is_some_and(|x| v.contains(&x)),
                            _ => true,
                        };
                        // A rule of the wrong kind or event id never becomes a candidate.
                        *mark = (generation, if ok_kind && ok_eid { 0 } else { u64::MAX });
                        touched.push(i);
                    }
                    if mark.1 != u64::MAX {
                        mark.1 |= 1u64 << slot;
                    }
                }
            });
        }
        for &i in &touched {
            let need = self.slots.get(i as usize).copied().unwrap_or(0);
            if let Some(&(_, m)) = marks.get(i as usize)
                && m != u64::MAX
                && need > 0
                && m.count_ones() == u32::from(need)
            {
                buf.push(i);
            }
        }
        MARKS.with(|c| *c.borrow_mut() = (generation, marks, touched));
        if buf.len() != before {
            // A rule anchored on several alternatives (`Image|endswith` or `OriginalFileName`)
            // may be found through more than one group: evaluate it once.
            buf.sort_unstable();
            buf.dedup();
        }
        buf.iter().for_each(|&i| f(i));
        CANDIDATES.with(|c| *c.borrow_mut() = buf);
    }

    /// Evaluates every rule on the event and appends indicators and actions to `out`
    /// (correlations in the default scope; see [`RuleSet::eval_into_scoped`]).
    pub fn eval_into(&self, e: &Event, out: &mut Scored) {
        self.eval_into_scoped("", e, out);
    }

    /// Evaluates every rule on the event and appends indicators and actions to `out`;
    /// correlation state is kept apart per `scope` (the tenant).
    pub fn eval_into_scoped(&self, scope: &str, e: &Event, out: &mut Scored) {
        self.eval_into_opts(scope, e, out, &EvalOpts::default());
    }

    /// [`RuleSet::eval_into_scoped`] with options: the caller's token for the matches fed to
    /// the correlations, or not feeding them at all (an event already counted, e.g. of a
    /// retried upload: its correlation indicators are the caller's to repeat).
    pub fn eval_into_opts(&self, scope: &str, e: &Event, out: &mut Scored, opts: &EvalOpts) {
        self.for_each_candidate(e, |i, m| self.eval_one(scope, i, e, m, out, opts));
    }

    /// Keeps the correlation state of `old` (the set this one replaces): groups of
    /// correlations whose definition did not change go on counting; those of correlations
    /// that changed or are gone are dropped. Call it before this set is used.
    pub fn keep_correlation_state(&mut self, old: &RuleSet) {
        self.corr_state = std::sync::Arc::clone(&old.corr_state);
        self.correlations.retain_state(&self.corr_state);
    }

    /// Decides the correlation windows with an upper bound that are over at `now` (see
    /// [`Correlations::expire`]); `fired` gets the scope, the correlation's indicator, the
    /// window's last match and its token ([`EvalOpts::token`]).
    pub fn expire_correlations(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        fired: &mut ExpiredCorrelationFn<'_>,
    ) {
        self.correlations.expire(
            &self.corr_state,
            now.timestamp_millis(),
            &mut |scope, c, h, e| fired(scope, correlation_indicator(c, &h), e, h.last),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_one(
        &self,
        scope: &str,
        i: u32,
        e: &Event,
        m: &mut Memo,
        out: &mut Scored,
        opts: &EvalOpts,
    ) {
        let Some(r) = self.rules.get(i as usize) else {
            return;
        };
        if !r.cond.eval_memo(e, m) {
            return;
        }
        if !self.correlations.is_quiet(i as usize) {
            self.push_own(i, r, e, out);
        }
        if opts.feed_correlations && self.correlations.feeds(i as usize) {
            self.correlations.on_match(
                &self.corr_state,
                scope,
                i as usize,
                e,
                opts.token,
                &mut |c, h| out.push(correlation_indicator(c, &h)),
            );
        }
    }

    /// The rule's own indicator and actions (after its counting window, if any).
    fn push_own(&self, i: u32, r: &CompiledRule, e: &Event, out: &mut Scored) {
        let mut extra = String::new();
        if let Some(c) = &r.count {
            match self.count_hit(i, c, e) {
                Some(n) => {
                    extra = format!("{n} matching events within {}s", c.window.num_seconds())
                }
                None => return,
            }
        }
        out.push(Finding {
            engine: r.engine.to_string(),
            rule_name: r.id.clone(),
            indicator_type: r.indicator_type.clone(),
            description: if r.description.is_empty() {
                r.name.clone()
            } else {
                r.description.clone()
            },
            extra_info: extra,
            score: r.total_score(),
        });
        for a in &r.actions {
            out.actions.push(RuleAction {
                engine: r.engine.to_string(),
                rule_name: r.id.clone(),
                action: a.clone(),
            });
        }
    }

    /// The Sigma correlation rules of this set.
    pub fn correlations(&self) -> &Correlations {
        &self.correlations
    }

    /// The live correlation state of this set (used by [`RuleSet::eval_into_scoped`]).
    pub fn correlation_state(&self) -> &CorrelationState {
        &self.corr_state
    }

    /// Calls `f` with the index (in [`RuleSet::rules`]) of every rule whose condition holds on
    /// the event, and the rule, in rule order (counting
    /// windows are ignored: the caller decides what a match of a counting rule means). The
    /// candidates come from the same index as [`RuleSet::eval_into`].
    pub fn for_each_match<'a>(&'a self, e: &Event, mut f: impl FnMut(usize, &'a CompiledRule)) {
        self.for_each_candidate(e, |i, m| {
            if let Some(r) = self.rules.get(i as usize)
                && r.cond.eval_memo(e, m)
            {
                f(i as usize, r);
            }
        });
    }

    /// Number of anchor groups of the index (for profiling).
    #[doc(hidden)]
    pub fn anchor_group_count(&self) -> usize {
        self.groups.len()
    }

    /// The indices of the rules the index selects for the event (candidates, before their
    /// conditions are evaluated); for tests and profiling.
    pub fn candidate_indices(&self, e: &Event) -> Vec<usize> {
        let mut out = Vec::new();
        self.for_each_candidate_index(e, |i| out.push(i as usize));
        out
    }

    /// Ids of the rules matching the event (ignores counting windows); for tests and tools.
    pub fn matching_ids(&self, e: &Event) -> Vec<&str> {
        let mut out = Vec::new();
        self.for_each_candidate(e, |i, m| {
            if let Some(r) = self.rules.get(i as usize)
                && r.cond.eval_memo(e, m)
            {
                out.push(r.id.as_str());
            }
        });
        out
    }

    /// Records a match for a counting rule; returns the count when the threshold is reached.
    fn count_hit(&self, rule: u32, c: &CountSpec, e: &Event) -> Option<usize> {
        let key = match &c.group_by {
            None => String::new(),
            Some(f) => match f.get(e) {
                None => String::new(),
                Some(crate::field::Value::Str(s)) => s.to_string(),
                Some(crate::field::Value::Int(i)) => i.to_string(),
                Some(crate::field::Value::Ip(ip)) => ip.to_string(),
                Some(crate::field::Value::Bool(b)) => b.to_string(),
                Some(crate::field::Value::List(l)) => l.join(" "),
            },
        };
        let now = e.ts.timestamp_millis();
        let win = c.window.num_milliseconds();
        let mut st = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let groups = st.entry(rule).or_default();
        if groups.len() >= MAX_GROUPS && !groups.contains_key(&key) {
            groups.retain(|_, q| q.back().is_some_and(|t| now - *t <= win));
            if groups.len() >= MAX_GROUPS {
                return None;
            }
        }
        let q = groups.entry(key).or_default();
        q.push_back(now);
        while q.front().is_some_and(|t| now - *t > win) {
            q.pop_front();
        }
        while q.len() > c.threshold as usize * 4 + 16 {
            q.pop_front();
        }
        (q.len() >= c.threshold as usize).then_some(q.len())
    }
}

/// The indicator of a fired correlation.
pub fn correlation_indicator(c: &correlation::Correlation, h: &CorrelationHit) -> Finding {
    let group = h
        .group
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let span = (h.last_ms - h.first_ms) / 1000;
    Finding {
        engine: "sigma".into(),
        rule_name: c.def.id.clone(),
        indicator_type: "sigma_correlation".into(),
        description: c.def.description.clone(),
        extra_info: format!(
            "{}: {} within {span}s (timespan {}s){}{group}",
            c.def.kind.as_str(),
            h.count,
            c.def.timespan.num_seconds(),
            if group.is_empty() { "" } else { " for " },
        ),
        score: c.def.score,
    }
}

/// What [`RuleSet::expire_correlations`] calls for each correlation decided: scope, the
/// correlation's indicator, the window's last match and its token.
pub type ExpiredCorrelationFn<'a> =
    dyn FnMut(&str, Finding, Option<std::sync::Arc<Event>>, u64) + 'a;

/// Options of [`RuleSet::eval_into_opts`].
#[derive(Debug, Clone, Copy)]
pub struct EvalOpts {
    /// Feed the matches to the correlation rules (default true).
    pub feed_correlations: bool,
    /// The caller's token for the matches (see [`Correlations::on_match`]).
    pub token: u64,
}

impl Default for EvalOpts {
    fn default() -> Self {
        EvalOpts {
            feed_correlations: true,
            token: 0,
        }
    }
}

/// Bits of a group entry that hold the rule's slot (the rest is the rule index).
const SLOT_BITS: u32 = 6;
const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
/// Anchored conjuncts used per rule at most (more only narrow the candidates further).
const MAX_SLOTS: usize = 8;

/// Generation, per-rule (generation, slot bits), rules touched: the slot hits of one event.
type Marks = (u32, Vec<(u32, u64)>, Vec<u32>);

thread_local! {
    static AC_IDS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    static MARKS: std::cell::RefCell<Marks> = const { std::cell::RefCell::new((0, Vec::new(), Vec::new())) };
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
    static CANDIDATES: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}
