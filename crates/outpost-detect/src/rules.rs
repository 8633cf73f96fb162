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

use crate::correlation::{self, CorrelationDef, CorrelationHit, CorrelationState, Correlations};
use crate::field::{Field, KIND_COUNT, kind_bit, kind_index, parse_kind};
use crate::indicator::{Action, Indicator, RuleAction, Scored};
use crate::matcher::{CmpOp, Matcher, Memo, Node, StrKind, StrMatch, compile_regex, parse_cidr};
use crate::sigma::{self, SigmaOptions};
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
    /// Indicator type of its indicators.
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
        out.push(Indicator {
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
pub fn correlation_indicator(c: &correlation::Correlation, h: &CorrelationHit) -> Indicator {
    let group = h
        .group
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let span = (h.last_ms - h.first_ms) / 1000;
    Indicator {
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
    dyn FnMut(&str, Indicator, Option<std::sync::Arc<Event>>, u64) + 'a;

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

/// Rules sharing an anchor field, by anchor literal.
#[derive(Debug)]
struct AnchorGroup {
    fields: Vec<Field>,
    /// Key = the value's last path component (for `endswith '\\name'` anchors).
    basename: bool,
    /// Keys are substrings (`contains` anchors), found in the value by one automaton.
    contains: bool,
    /// Keys are lower-cased (case-insensitive anchors).
    ci: bool,
    map: HashMap<String, Vec<u32>>,
    /// For `contains` groups: every key, and the rules of the key with the same index.
    ac: Option<aho_corasick::AhoCorasick>,
    ac_rules: Vec<Vec<u32>>,
}

impl AnchorGroup {
    fn build_automaton(&mut self) {
        let mut keys: Vec<&String> = self.map.keys().collect();
        keys.sort();
        let built = aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(self.ci)
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&keys);
        match built {
            Ok(ac) => {
                self.ac_rules = keys
                    .iter()
                    .map(|k| self.map.get(*k).cloned().unwrap_or_default())
                    .collect();
                self.ac = Some(ac);
            }
            Err(_) => {
                // Cannot happen for literal keys; if it did, every rule of the group stays a
                // candidate for every value (correct, only slower).
                self.ac_rules = vec![self.map.values().flatten().copied().collect()];
                self.ac = None;
            }
        }
    }

    fn lookup_str(&self, v: &str, f: &mut impl FnMut(&[u32])) {
        if self.contains {
            match &self.ac {
                Some(ac) => {
                    // A key found several times in the value (`.exe`, ` -`) reports its rules
                    // once.
                    let mut ids = AC_IDS.with(|c| std::mem::take(&mut *c.borrow_mut()));
                    ids.clear();
                    ids.extend(ac.find_overlapping_iter(v).map(|m| m.pattern().as_u32()));
                    if ids.len() > 1 {
                        ids.sort_unstable();
                        ids.dedup();
                    }
                    for &id in &ids {
                        if let Some(l) = self.ac_rules.get(id as usize) {
                            f(l);
                        }
                    }
                    AC_IDS.with(|c| *c.borrow_mut() = ids);
                }
                None => self.ac_rules.iter().for_each(|l| f(l)),
            }
            return;
        }
        let v = if self.basename {
            v.rsplit(['/', '\\']).next().unwrap_or(v)
        } else {
            v
        };
        if !self.ci {
            if let Some(l) = self.map.get(v) {
                f(l);
            }
            return;
        }
        let mut buf = [0u8; 256];
        if v.len() <= buf.len() {
            for (d, s) in buf.iter_mut().zip(v.bytes()) {
                *d = s.to_ascii_lowercase();
            }
            if let Ok(k) = std::str::from_utf8(&buf[..v.len()])
                && let Some(l) = self.map.get(k)
            {
                f(l);
            }
        } else if let Some(l) = self.map.get(&v.to_ascii_lowercase()) {
            f(l);
        }
    }

    fn lookup(&self, e: &Event, mut f: impl FnMut(&[u32])) {
        use crate::field::Value as V;
        match self.fields.iter().find_map(|x| x.get(e)) {
            None => {}
            Some(V::Str(s)) => self.lookup_str(s, &mut f),
            Some(V::List(l)) => {
                // A rule may be listed under several elements: dedupe by rule order later.
                let mut seen: Vec<u32> = Vec::new();
                for s in l {
                    self.lookup_str(s, &mut |ids: &[u32]| {
                        for &i in ids {
                            if !seen.contains(&i) {
                                seen.push(i);
                            }
                        }
                    });
                }
                if !seen.is_empty() {
                    f(&seen);
                }
            }
            Some(V::Int(i)) => {
                let mut b = [0u8; 24];
                self.lookup_str(crate::field::fmt_i64(i, &mut b), &mut f)
            }
            Some(V::Ip(ip)) => self.lookup_str(&ip.to_string(), &mut f),
            Some(V::Bool(b)) => self.lookup_str(if b { "true" } else { "false" }, &mut f),
        }
    }
}

/// (fields, basename, contains, case-insensitive, keys)
type Anchor = (Vec<Field>, bool, bool, bool, Vec<String>);

/// The anchor slots of a rule's condition: for a conjunction, every anchored conjunct (each
/// must hold, so each needs a hit; the most selective first, at most [`MAX_SLOTS`]); for
/// anything else its anchors as one slot. Empty: not anchored.
fn anchor_slots(cond: &Node) -> Vec<Vec<Anchor>> {
    let rank = |a: &Vec<Anchor>| u8::from(a.len() > 1) + 2 * u8::from(a.iter().any(|x| x.2));
    match cond {
        Node::And(c) => {
            let mut v: Vec<Vec<Anchor>> = c.iter().filter_map(anchors_of).collect();
            v.sort_by_key(rank);
            v.truncate(MAX_SLOTS);
            v
        }
        other => anchors_of(other).into_iter().collect(),
    }
}

/// The anchors of a condition: literals one of which the event must have for the condition to
/// hold. A leaf anchors itself when it is an any-of `equals`, or an any-of `endswith` whose
/// patterns are all `<separator><name>`; an AND is anchored by its first anchored conjunct; an
/// OR only when every branch is anchored (the rule is then listed under each branch's
/// literals: SigmaHQ's `Image|endswith: '\\x.exe'` or `OriginalFileName: 'x.exe'`).
fn anchors_of(cond: &Node) -> Option<Vec<Anchor>> {
    match cond {
        Node::Leaf(l) => leaf_anchor(l).map(|a| vec![a]),
        Node::And(c) => {
            // The most selective conjunct: a whole-value literal, then an OR of such, then a
            // substring, then an OR with substrings.
            let mut best: Option<(u8, Vec<Anchor>)> = None;
            for n in c {
                let Some(a) = anchors_of(n) else { continue };
                let rank = u8::from(a.len() > 1) + 2 * u8::from(a.iter().any(|x| x.2));
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((rank, a));
                }
            }
            best.map(|(_, a)| a)
        }
        Node::Or(c) => {
            let mut all = Vec::new();
            for n in c {
                all.extend(anchors_of(n)?);
            }
            (!all.is_empty()).then_some(all)
        }
        _ => None,
    }
}

fn leaf_anchor(l: &crate::matcher::Leaf) -> Option<Anchor> {
    let leaves = [l];
    for l in leaves {
        if l.fields.iter().any(|f| {
            matches!(
                f,
                Field::LogEventId
                    | Field::LogChannel
                    | Field::Kind
                    | Field::Source
                    | Field::AnyString
            )
        }) {
            continue;
        }
        if let Matcher::Regex { res, all } = &l.matcher {
            // Literals every match contains: any-of over the regexes, or (all of them must
            // match) those of the first regex that has some.
            let per: Vec<Option<Vec<String>>> = res
                .iter()
                .map(|r| crate::matcher::regex_required_literals(r.as_str()))
                .collect();
            let keys: Option<Vec<String>> = if *all {
                per.into_iter().flatten().next()
            } else {
                per.into_iter()
                    .collect::<Option<Vec<Vec<String>>>>()
                    .map(|v| v.into_iter().flatten().collect())
            };
            if let Some(keys) = keys.filter(|k| !k.is_empty()) {
                return Some((l.fields.clone(), false, true, true, keys));
            }
            continue;
        }
        let Matcher::Str(m) = &l.matcher else {
            continue;
        };
        if m.all() {
            continue;
        }
        match m.kind() {
            StrKind::Eq => {
                return Some((
                    l.fields.clone(),
                    false,
                    false,
                    m.case_insensitive(),
                    m.patterns().to_vec(),
                ));
            }
            StrKind::EndsWith => {
                let keys: Option<Vec<String>> = m
                    .patterns()
                    .iter()
                    .map(|p| {
                        let rest = p.strip_prefix('\\').or_else(|| p.strip_prefix('/'))?;
                        (!rest.is_empty() && !rest.contains(['/', '\\'])).then(|| rest.to_string())
                    })
                    .collect();
                if let Some(keys) = keys {
                    return Some((l.fields.clone(), true, false, m.case_insensitive(), keys));
                }
                // Ending with a pattern that is not `\name` still means containing it.
                if m.patterns().iter().all(|p| !p.is_empty()) {
                    return Some((
                        l.fields.clone(),
                        false,
                        true,
                        m.case_insensitive(),
                        m.patterns().to_vec(),
                    ));
                }
            }
            // A prefix is a substring too.
            StrKind::StartsWith | StrKind::Contains
                if m.patterns().iter().all(|p| !p.is_empty()) =>
            {
                return Some((
                    l.fields.clone(),
                    false,
                    true,
                    m.case_insensitive(),
                    m.patterns().to_vec(),
                ));
            }
            _ => {}
        }
    }
    None
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|e| LoadError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    for ent in rd {
        let ent = ent.map_err(|e| LoadError::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        let p = ent.path();
        let name = ent.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
    Ok(())
}

/// Compiles the rules of one file's text without indexing them: the native and Sigma rules
/// that compiled, and the Sigma rules that cannot be evaluated (with reasons). Invalid YAML is
/// [`LoadError::Yaml`]; native rules failing validation are [`LoadError::Invalid`]. For tools
/// that load many files and report a bad one without giving up on the others (`outpost hunt`).
pub fn compile_file_text(
    text: &str,
    file: &Path,
    opts: &SigmaOptions,
) -> Result<CompiledFile, LoadError> {
    let mut out = CompiledFile::default();
    let mut errors = Vec::new();
    load_text(text, file, opts, &mut out, &mut errors)?;
    if !errors.is_empty() {
        return Err(LoadError::Invalid(errors));
    }
    Ok(out)
}

/// The rules of one file, compiled but not indexed (see [`compile_file_text`]).
#[derive(Debug, Default)]
pub struct CompiledFile {
    /// Native and Sigma rules.
    pub rules: Vec<CompiledRule>,
    /// Sigma correlation rules (resolved against the rules when the rule set is built).
    pub correlations: Vec<CorrelationDef>,
    /// Sigma rules that cannot be evaluated, with the reason.
    pub unsupported: Vec<Unsupported>,
}

/// Parses YAML documents into JSON values (bounded, panic-free parser).
pub(crate) fn parse_yaml_docs(text: &str, file: &Path) -> Result<Vec<J>, LoadError> {
    serde_saphyr::from_multiple::<J>(text).map_err(|e| LoadError::Yaml {
        file: file.display().to_string(),
        message: e.to_string(),
    })
}

fn load_text(
    text: &str,
    file: &Path,
    opts: &SigmaOptions,
    out: &mut CompiledFile,
    errors: &mut Vec<RuleError>,
) -> Result<(), LoadError> {
    let docs = parse_yaml_docs(text, file)?;
    let fname = file.display().to_string();
    let CompiledFile {
        rules,
        correlations,
        unsupported,
    } = out;
    for doc in docs {
        match &doc {
            J::Object(m) if m.contains_key("correlation") => {
                match correlation::parse(&doc, file, opts) {
                    Ok(d) => correlations.push(d),
                    Err(u) => unsupported.push(u),
                }
            }
            J::Object(m) if m.contains_key("detection") || m.contains_key("logsource") => {
                match sigma::compile(&doc, file, opts) {
                    Ok(r) => rules.push(r),
                    Err(u) => unsupported.push(u),
                }
            }
            J::Object(m) if m.contains_key("rules") => match m.get("rules") {
                Some(J::Array(list)) => {
                    for (i, r) in list.iter().enumerate() {
                        compile_native(r, file, i, rules, errors);
                    }
                }
                _ => errors.push(RuleError {
                    file: fname.clone(),
                    rule_id: "?".into(),
                    field: "rules".into(),
                    message: "must be a list of rules".into(),
                }),
            },
            J::Array(list) => {
                for (i, r) in list.iter().enumerate() {
                    compile_native(r, file, i, rules, errors);
                }
            }
            J::Object(_) => compile_native(&doc, file, 0, rules, errors),
            J::Null => {}
            _ => errors.push(RuleError {
                file: fname.clone(),
                rule_id: "?".into(),
                field: "(document)".into(),
                message: "expected a rule, a list of rules, a `rules:` map or a Sigma rule".into(),
            }),
        }
    }
    Ok(())
}

struct Ctx<'a> {
    file: &'a str,
    id: String,
    errors: Vec<RuleError>,
}

impl Ctx<'_> {
    fn err(&mut self, field: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(RuleError {
            file: self.file.to_string(),
            rule_id: self.id.clone(),
            field: field.into(),
            message: msg.into(),
        });
    }
}

const RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "indicator_type",
    "score",
    "enabled",
    "kinds",
    "condition",
    "count",
    "actions",
    "tags",
];

fn compile_native(
    v: &J,
    file: &Path,
    index: usize,
    rules: &mut Vec<CompiledRule>,
    errors: &mut Vec<RuleError>,
) {
    let fname = file.display().to_string();
    let Some(m) = v.as_object() else {
        errors.push(RuleError {
            file: fname,
            rule_id: format!("#{index}"),
            field: "(rule)".into(),
            message: "a rule must be a map".into(),
        });
        return;
    };
    let id = match m.get("id") {
        Some(J::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(J::Number(n)) => n.to_string(),
        _ => {
            errors.push(RuleError {
                file: fname,
                rule_id: format!("#{index}"),
                field: "id".into(),
                message: "missing or empty rule id".into(),
            });
            return;
        }
    };
    let mut cx = Ctx {
        file: &fname,
        id: id.clone(),
        errors: Vec::new(),
    };
    for k in m.keys() {
        if !RULE_KEYS.contains(&k.as_str()) {
            cx.err(
                k.clone(),
                format!(
                    "unknown rule key (expected one of {})",
                    RULE_KEYS.join(", ")
                ),
            );
        }
    }
    let get_str = |cx: &mut Ctx, k: &str, default: &str| -> String {
        match m.get(k) {
            None | Some(J::Null) => default.to_string(),
            Some(J::String(s)) => s.clone(),
            Some(_) => {
                cx.err(k, "must be a string");
                default.to_string()
            }
        }
    };
    let name = get_str(&mut cx, "name", &id);
    let description = get_str(&mut cx, "description", "");
    let indicator_type = get_str(&mut cx, "indicator_type", "custom");
    let score = match m.get("score") {
        None | Some(J::Null) => 0,
        Some(J::Number(n)) => match n.as_i64().and_then(|x| i32::try_from(x).ok()) {
            Some(s) => s,
            None => {
                cx.err("score", "must be an integer in i32 range");
                0
            }
        },
        Some(_) => {
            cx.err("score", "must be an integer");
            0
        }
    };
    let enabled = match m.get("enabled") {
        None | Some(J::Null) => true,
        Some(J::Bool(b)) => *b,
        Some(_) => {
            cx.err("enabled", "must be true or false");
            true
        }
    };
    let mut kinds = u16::MAX;
    match m.get("kinds") {
        None | Some(J::Null) => {}
        Some(J::Array(a)) => {
            kinds = 0;
            for (i, k) in a.iter().enumerate() {
                match k.as_str().and_then(parse_kind) {
                    Some(k) => kinds |= kind_bit(k),
                    None => cx.err(format!("kinds[{i}]"), format!("unknown event kind {k}")),
                }
            }
        }
        Some(_) => cx.err("kinds", "must be a list of event kinds"),
    }
    let cond = match m.get("condition") {
        Some(c) => compile_cond(c, "condition", &mut cx, 0),
        None => {
            cx.err("condition", "missing condition");
            Node::False
        }
    };
    let count = m.get("count").and_then(|c| compile_count(c, &mut cx));
    let actions = match m.get("actions") {
        None | Some(J::Null) => Vec::new(),
        Some(J::Array(a)) => a
            .iter()
            .enumerate()
            .filter_map(|(i, x)| {
                serde_json::from_value::<Action>(x.clone())
                    .map_err(|e| cx.err(format!("actions[{i}]"), format!("invalid action: {e} (expected alert, {{score: N}}, {{tag: T}}, {{ticket: {{summary: S}}}}, {{job: {{kind: K, args: {{..}}}}}})")))
                    .ok()
            })
            .collect(),
        Some(_) => {
            cx.err("actions", "must be a list");
            Vec::new()
        }
    };
    let tags = match m.get("tags") {
        Some(J::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    if !cx.errors.is_empty() {
        errors.append(&mut cx.errors);
        return;
    }
    if !enabled {
        return;
    }
    let cond = cond.simplify();
    let kinds = kinds & infer_kinds(&cond);
    rules.push(CompiledRule {
        id,
        name,
        engine: "rules",
        description,
        indicator_type,
        score,
        actions,
        kinds,
        cond,
        count,
        file: file.to_path_buf(),
        tags,
        level: None,
        sigma_name: None,
        logsource: None,
    });
}

/// Narrows the kind mask from a top-level `kind` test.
fn infer_kinds(n: &Node) -> u16 {
    match n {
        Node::Leaf(l) if l.fields.len() == 1 && l.fields[0] == Field::Kind => match &l.matcher {
            Matcher::Str(m) if m.kind() == StrKind::Eq && !m.all() => m
                .patterns()
                .iter()
                .filter_map(|p| parse_kind(p))
                .fold(0, |acc, k| acc | kind_bit(k)),
            _ => u16::MAX,
        },
        Node::And(c) => c.iter().fold(u16::MAX, |acc, n| acc & infer_kinds(n)),
        Node::Or(c) => c.iter().fold(0, |acc, n| acc | infer_kinds(n)),
        _ => u16::MAX,
    }
}

fn compile_count(c: &J, cx: &mut Ctx) -> Option<CountSpec> {
    let Some(m) = c.as_object() else {
        cx.err("count", "must be a map {window, group_by, threshold}");
        return None;
    };
    for k in m.keys() {
        if !["window", "group_by", "threshold"].contains(&k.as_str()) {
            cx.err(
                format!("count.{k}"),
                "unknown key (expected window, group_by, threshold)",
            );
        }
    }
    let window = match m.get("window") {
        Some(J::Number(n)) => n
            .as_u64()
            .map(|s| chrono::TimeDelta::seconds(s.min(86_400 * 365) as i64)),
        Some(J::String(s)) => parse_duration(s),
        _ => None,
    };
    let Some(window) = window else {
        cx.err(
            "count.window",
            "missing or invalid window (seconds, or like 30s, 5m, 1h)",
        );
        return None;
    };
    let group_by = match m.get("group_by") {
        None | Some(J::Null) => None,
        Some(J::String(s)) => match Field::parse(s) {
            Some(f) => Some(f),
            None => {
                cx.err("count.group_by", format!("unknown event field '{s}'"));
                return None;
            }
        },
        Some(_) => {
            cx.err("count.group_by", "must be a field path");
            return None;
        }
    };
    let threshold = match m.get("threshold").and_then(|t| t.as_u64()) {
        Some(t) if (1..=1_000_000).contains(&t) => t as u32,
        _ => {
            cx.err(
                "count.threshold",
                "must be an integer between 1 and 1000000",
            );
            return None;
        }
    };
    Some(CountSpec {
        window,
        group_by,
        threshold,
    })
}

/// Parses `30`, `30s`, `5m`, `2h`, `1d`.
pub fn parse_duration(s: &str) -> Option<chrono::TimeDelta> {
    let t = s.trim();
    let (num, mult) = match t.chars().last()? {
        's' => (&t[..t.len() - 1], 1),
        'm' => (&t[..t.len() - 1], 60),
        'h' => (&t[..t.len() - 1], 3600),
        'd' => (&t[..t.len() - 1], 86_400),
        c if c.is_ascii_digit() => (t, 1),
        _ => return None,
    };
    let n: i64 = num.trim().parse().ok()?;
    if !(0..=86_400 * 365).contains(&(n.checked_mul(mult)?)) {
        return None;
    }
    Some(chrono::TimeDelta::seconds(n * mult))
}

const LEAF_OPS: &[&str] = &[
    "equals",
    "in",
    "contains",
    "startswith",
    "endswith",
    "regex",
    "cidr",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
];

fn scalar_strings(v: &J) -> Option<Vec<String>> {
    match v {
        J::String(s) => Some(vec![s.clone()]),
        J::Number(n) => Some(vec![n.to_string()]),
        J::Bool(b) => Some(vec![b.to_string()]),
        J::Array(a) if !a.is_empty() => a
            .iter()
            .map(|x| match x {
                J::String(s) => Some(s.clone()),
                J::Number(n) => Some(n.to_string()),
                J::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

const MAX_DEPTH: usize = 64;

fn compile_cond(v: &J, at: &str, cx: &mut Ctx, depth: usize) -> Node {
    if depth > MAX_DEPTH {
        cx.err(at, "condition nested too deeply");
        return Node::False;
    }
    let Some(m) = v.as_object() else {
        cx.err(at, "a condition must be a map (all / any / not / field)");
        return Node::False;
    };
    let has = |k: &str| m.contains_key(k);
    let n_comb =
        ["all", "any", "not"].iter().filter(|k| has(k)).count() + usize::from(has("field"));
    if n_comb != 1 {
        cx.err(at, "a condition needs exactly one of all, any, not, field");
        return Node::False;
    }
    for key in ["all", "any"] {
        if let Some(x) = m.get(key) {
            if m.len() != 1 {
                cx.err(at, format!("`{key}` cannot be combined with other keys"));
            }
            let Some(list) = x.as_array() else {
                cx.err(format!("{at}.{key}"), "must be a list of conditions");
                return Node::False;
            };
            let kids: Vec<Node> = list
                .iter()
                .enumerate()
                .map(|(i, c)| compile_cond(c, &format!("{at}.{key}[{i}]"), cx, depth + 1))
                .collect();
            return if key == "all" {
                Node::And(kids)
            } else {
                Node::Or(kids)
            };
        }
    }
    if let Some(x) = m.get("not") {
        if m.len() != 1 {
            cx.err(at, "`not` cannot be combined with other keys");
        }
        return Node::Not(Box::new(compile_cond(
            x,
            &format!("{at}.not"),
            cx,
            depth + 1,
        )));
    }
    // A leaf.
    let fat = format!("{at}.field");
    let field = match m.get("field") {
        Some(J::String(s)) => match Field::parse(s) {
            Some(f) => f,
            None => {
                cx.err(
                    fat,
                    format!("unknown event field '{s}' (see outpost_detect::field::KNOWN_FIELDS)"),
                );
                return Node::False;
            }
        },
        _ => {
            cx.err(fat, "must be a field path string");
            return Node::False;
        }
    };
    let mut nocase = false;
    let mut all = false;
    for (k, val) in m {
        match k.as_str() {
            "field" => {}
            "nocase" => match val.as_bool() {
                Some(b) => nocase = b,
                None => cx.err(format!("{at}.nocase"), "must be true or false"),
            },
            "all" => {}
            k if LEAF_OPS.contains(&k) => {}
            other => cx.err(
                format!("{at}.{other}"),
                format!(
                    "unknown operator (expected one of {}, nocase, all)",
                    LEAF_OPS.join(", ")
                ),
            ),
        }
    }
    if let Some(J::Bool(b)) = m.get("all") {
        all = *b;
    }
    let ops: Vec<&str> = LEAF_OPS.iter().copied().filter(|k| has(k)).collect();
    if ops.len() != 1 {
        cx.err(
            at,
            format!(
                "a field test needs exactly one operator ({})",
                LEAF_OPS.join(", ")
            ),
        );
        return Node::False;
    }
    let op = ops[0];
    let oat = format!("{at}.{op}");
    let val = &m[op];
    let fname = field.path();
    let matcher = match op {
        "equals" | "in" | "contains" | "startswith" | "endswith" => {
            let Some(ps) = scalar_strings(val) else {
                cx.err(
                    oat,
                    format!(
                        "value for field '{fname}' must be a scalar or a non-empty list of scalars"
                    ),
                );
                return Node::False;
            };
            let kind = match op {
                "contains" => StrKind::Contains,
                "startswith" => StrKind::StartsWith,
                "endswith" => StrKind::EndsWith,
                _ => StrKind::Eq,
            };
            match StrMatch::new(kind, ps, nocase, all) {
                Ok(s) => Matcher::Str(s),
                Err(e) => {
                    cx.err(oat, format!("field '{fname}': {e}"));
                    return Node::False;
                }
            }
        }
        "regex" => {
            let Some(ps) = scalar_strings(val) else {
                cx.err(
                    oat,
                    format!("regex for field '{fname}' must be a string or list"),
                );
                return Node::False;
            };
            let mut res = Vec::new();
            for p in ps {
                match compile_regex(&p, nocase, false, false) {
                    Ok(r) => res.push(r),
                    Err(e) => {
                        cx.err(oat.clone(), format!("field '{fname}': {e}"));
                        return Node::False;
                    }
                }
            }
            Matcher::Regex { res, all }
        }
        "cidr" => {
            let Some(ps) = scalar_strings(val) else {
                cx.err(
                    oat,
                    format!("cidr for field '{fname}' must be a string or list"),
                );
                return Node::False;
            };
            let mut nets = Vec::new();
            for p in ps {
                match parse_cidr(&p) {
                    Ok(n) => nets.push(n),
                    Err(e) => {
                        cx.err(oat.clone(), format!("field '{fname}': {e}"));
                        return Node::False;
                    }
                }
            }
            Matcher::Cidr(nets)
        }
        "gt" | "gte" | "lt" | "lte" => {
            let Some(n) = val.as_f64() else {
                cx.err(oat, format!("field '{fname}': comparison needs a number"));
                return Node::False;
            };
            let cop = match op {
                "gt" => CmpOp::Gt,
                "gte" => CmpOp::Gte,
                "lt" => CmpOp::Lt,
                _ => CmpOp::Lte,
            };
            Matcher::Cmp(cop, n)
        }
        "exists" => match val.as_bool() {
            Some(b) => Matcher::Exists(b),
            None => {
                cx.err(
                    oat,
                    format!("field '{fname}': exists must be true or false"),
                );
                return Node::False;
            }
        },
        _ => return Node::False,
    };
    Node::leaf(vec![field], matcher)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use outpost_core::{EventKind, ProcessInfo};

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
            args: vec![name.into(), "-c".into(), "id".into()],
            ..Default::default()
        }));
        e
    }

    const RULES: &str = r#"
rules:
  - id: web-shell
    name: Shell by web user
    score: 80
    kinds: [process_exec]
    condition:
      all:
        - {field: process.uid, equals: 33}
        - {field: process.name, equals: [sh, bash, dash]}
        - not: {field: process.exe, startswith: /tmp/}
    actions: [alert, {tag: webshell}, {score: 5}]
  - id: burst
    score: 10
    condition: {field: process.args, equals: id}
    count: {window: 10s, group_by: process.exe, threshold: 3}
"#;

    #[test]
    fn native_rules_match_and_count() {
        let rs = RuleSet::from_yaml(RULES, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
        assert_eq!(rs.len(), 2);
        let mut out = Scored::default();
        rs.eval_into(&ev("sh", 33, 0), &mut out);
        assert_eq!(out.indicators.len(), 1);
        assert_eq!(out.indicators[0].rule_name, "web-shell");
        assert_eq!(out.risk_score, 85);
        assert_eq!(out.actions.len(), 3);
        let mut out = Scored::default();
        rs.eval_into(&ev("sh", 0, 1), &mut out);
        assert!(out.indicators.is_empty());
        let mut out = Scored::default();
        rs.eval_into(&ev("sh", 0, 2), &mut out);
        assert_eq!(
            out.indicators.len(),
            1,
            "third matching event within 10s fires the count rule"
        );
        assert_eq!(out.indicators[0].rule_name, "burst");
        let mut out = Scored::default();
        rs.eval_into(&ev("sh", 0, 60), &mut out);
        assert!(out.indicators.is_empty(), "window expired");
    }

    #[test]
    fn errors_name_file_rule_and_field() {
        let bad = "rules:\n  - id: r1\n    condition: {all: [{field: process.uidd, equals: 1}]}\n  - id: r2\n    condition: {field: process.exe, regex: '('}\n";
        let Err(LoadError::Invalid(errs)) =
            RuleSet::from_yaml(bad, Path::new("bad.yml"), &SigmaOptions::default())
        else {
            panic!("expected invalid");
        };
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].file, "bad.yml");
        assert_eq!(errs[0].rule_id, "r1");
        assert_eq!(errs[0].field, "condition.all[0].field");
        assert!(errs[0].message.contains("process.uidd"));
        assert_eq!(errs[1].rule_id, "r2");
        assert_eq!(errs[1].field, "condition.regex");
        let dup = "- {id: a, condition: {field: kind, exists: true}}\n- {id: a, condition: {field: kind, exists: true}}\n";
        assert!(matches!(
            RuleSet::from_yaml(dup, Path::new("d.yml"), &SigmaOptions::default()),
            Err(LoadError::Invalid(_))
        ));
    }

    #[test]
    fn kind_index_skips_other_kinds() {
        let y = "- {id: kind-net, condition: {all: [{field: kind, equals: network}, {field: network.remote_port, gte: 0}]}}\n";
        let rs = RuleSet::from_yaml(y, Path::new("k.yml"), &SigmaOptions::default()).unwrap();
        assert_eq!(rs.rules()[0].kinds, kind_bit(EventKind::Network));
        assert!(rs.matching_ids(&ev("sh", 0, 0)).is_empty());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(chrono::TimeDelta::seconds(90)));
        assert_eq!(parse_duration("5m"), Some(chrono::TimeDelta::seconds(300)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("99999999999999d"), None);
    }
}
