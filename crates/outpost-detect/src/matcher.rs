//! Compiled conditions: a boolean tree of leaf matchers over event fields.
//!
//! Both the native YAML rules and the Sigma compiler produce a [`Node`]. Everything that can be
//! prepared is prepared at compile time (lower-cased patterns, Aho-Corasick automata, regexes,
//! parsed networks), so evaluation only borrows from the event and never allocates.

use crate::field::{Field, Value, any_string, fmt_i64, fmt_ip};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use ipnet::IpNet;
use outpost_core::Event;
use regex::Regex;
use std::net::IpAddr;

/// How a string pattern is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrKind {
    /// Whole value equality.
    Eq,
    /// Substring.
    Contains,
    /// Prefix.
    StartsWith,
    /// Suffix.
    EndsWith,
}

/// A string comparison against one or more patterns.
#[derive(Debug, Clone)]
pub struct StrMatch {
    kind: StrKind,
    patterns: Vec<String>,
    ci: bool,
    all: bool,
    /// One automaton over all patterns (`Contains`, any-of).
    ac_any: Option<AhoCorasick>,
    /// One automaton per pattern (`Contains`, all-of).
    ac_each: Vec<AhoCorasick>,
    /// For `Eq` any-of where every pattern is a canonical integer: the integers (compared
    /// numerically with integer values, without formatting).
    ints: Option<Vec<i64>>,
}

/// Errors building a matcher.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// A regular expression does not compile.
    #[error("invalid regex {pattern:?}: {reason}")]
    Regex {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// A CIDR does not parse.
    #[error("invalid CIDR {0:?}")]
    Cidr(String),
    /// An automaton could not be built.
    #[error("cannot build string matcher: {0}")]
    Automaton(String),
    /// No pattern was given.
    #[error("empty value list")]
    Empty,
}

impl StrMatch {
    /// Builds a string matcher. With `ci`, comparison ignores ASCII case.
    pub fn new(
        kind: StrKind,
        patterns: Vec<String>,
        ci: bool,
        all: bool,
    ) -> Result<StrMatch, MatcherError> {
        if patterns.is_empty() {
            return Err(MatcherError::Empty);
        }
        let patterns: Vec<String> = if ci {
            patterns
                .into_iter()
                .map(|p| p.to_ascii_lowercase())
                .collect()
        } else {
            patterns
        };
        let build = |ps: &[String]| -> Result<AhoCorasick, MatcherError> {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(ci)
                .match_kind(MatchKind::LeftmostFirst)
                .build(ps)
                .map_err(|e| MatcherError::Automaton(e.to_string()))
        };
        let mut ac_any = None;
        let mut ac_each = Vec::new();
        if kind == StrKind::Contains {
            if all {
                for p in &patterns {
                    ac_each.push(build(std::slice::from_ref(p))?);
                }
            } else {
                ac_any = Some(build(&patterns)?);
            }
        }
        let ints = if kind == StrKind::Eq && !all {
            patterns
                .iter()
                .map(|p| p.parse::<i64>().ok().filter(|v| v.to_string() == *p))
                .collect::<Option<Vec<i64>>>()
        } else {
            None
        };
        Ok(StrMatch {
            ints,
            kind,
            patterns,
            ci,
            all,
            ac_any,
            ac_each,
        })
    }

    fn one(&self, p: &str, s: &str) -> bool {
        let (sb, pb) = (s.as_bytes(), p.as_bytes());
        match self.kind {
            StrKind::Eq => {
                if self.ci {
                    sb.eq_ignore_ascii_case(pb)
                } else {
                    sb == pb
                }
            }
            StrKind::StartsWith => {
                sb.len() >= pb.len()
                    && if self.ci {
                        sb[..pb.len()].eq_ignore_ascii_case(pb)
                    } else {
                        &sb[..pb.len()] == pb
                    }
            }
            StrKind::EndsWith => {
                sb.len() >= pb.len()
                    && if self.ci {
                        sb[sb.len() - pb.len()..].eq_ignore_ascii_case(pb)
                    } else {
                        &sb[sb.len() - pb.len()..] == pb
                    }
            }
            StrKind::Contains => false, // handled by the automata
        }
    }

    /// Does `s` match (any pattern, or every pattern with `all`)?
    pub fn is_match(&self, s: &str) -> bool {
        if self.kind == StrKind::Contains {
            if self.all {
                return self.ac_each.iter().all(|a| a.is_match(s));
            }
            return self.ac_any.as_ref().is_some_and(|a| a.is_match(s));
        }
        if self.all {
            self.patterns.iter().all(|p| self.one(p, s))
        } else {
            self.patterns.iter().any(|p| self.one(p, s))
        }
    }

    /// Matches a list value: any-of needs one element to match; all-of needs every pattern to
    /// match some element.
    fn is_match_list(&self, list: &[String]) -> bool {
        if !self.all {
            return list.iter().any(|s| self.is_match(s));
        }
        match self.kind {
            StrKind::Contains => self
                .ac_each
                .iter()
                .all(|a| list.iter().any(|s| a.is_match(s))),
            _ => self
                .patterns
                .iter()
                .all(|p| list.iter().any(|s| self.one(p, s))),
        }
    }

    /// The patterns (lower-cased when case-insensitive).
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The comparison kind.
    pub fn kind(&self) -> StrKind {
        self.kind
    }

    /// Whether comparison ignores ASCII case.
    pub fn case_insensitive(&self) -> bool {
        self.ci
    }

    /// Whether every pattern must match.
    pub fn all(&self) -> bool {
        self.all
    }
}

/// Numeric comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `==` (numeric)
    Eq,
}

/// A leaf matcher.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// String comparison.
    Str(StrMatch),
    /// Regular expressions (any-of, or all-of).
    Regex {
        /// The compiled expressions.
        res: Vec<Regex>,
        /// All must match.
        all: bool,
    },
    /// The value is an IP inside one of the networks.
    Cidr(Vec<IpNet>),
    /// Numeric comparison (strings are parsed as numbers, `0x` hex accepted).
    Cmp(CmpOp, f64),
    /// The field exists (`true`) or does not (`false`).
    Exists(bool),
    /// The field is missing or empty (Sigma `null` / `''` with no other value).
    Null,
    /// The value compared with another field of the same event (Sigma `fieldref`): equal, or
    /// containing / starting / ending with it. False when either field is absent.
    FieldRef {
        /// The other field (first present wins).
        other: Vec<Field>,
        /// Comparison.
        kind: StrKind,
        /// Ignore ASCII case (Sigma's default).
        ci: bool,
    },
}

/// `a` compared with `b` as `kind` says.
fn str_cmp(kind: StrKind, a: &str, b: &str, ci: bool) -> bool {
    if !ci {
        return match kind {
            StrKind::Eq => a == b,
            StrKind::Contains => a.contains(b),
            StrKind::StartsWith => a.starts_with(b),
            StrKind::EndsWith => a.ends_with(b),
        };
    }
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    match kind {
        StrKind::Eq => a.eq_ignore_ascii_case(b),
        StrKind::StartsWith => ab.len() >= bb.len() && ab[..bb.len()].eq_ignore_ascii_case(bb),
        StrKind::EndsWith => {
            ab.len() >= bb.len() && ab[ab.len() - bb.len()..].eq_ignore_ascii_case(bb)
        }
        StrKind::Contains => {
            bb.is_empty() || ab.windows(bb.len()).any(|w| w.eq_ignore_ascii_case(bb))
        }
    }
}

/// Compiles a regex with bounded size (rules are untrusted input).
pub fn compile_regex(
    pattern: &str,
    ci: bool,
    multi_line: bool,
    dot_all: bool,
) -> Result<Regex, MatcherError> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(ci)
        .multi_line(multi_line)
        .dot_matches_new_line(dot_all)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| MatcherError::Regex {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })
}

/// Shortest literal worth anchoring a regex on.
const MIN_REGEX_LITERAL: usize = 3;

/// Literals one of which every match of `pattern` contains (ignoring ASCII case), for the rule
/// index: one per top-level alternative, the longest run of plain characters the alternative
/// must match in sequence. `None` when some alternative has no such run of at least 3
/// characters. The pattern is read case-insensitively whatever its flags, so the literals hold
/// for the case-sensitive and the case-insensitive regex alike; a letter whose case folding
/// leaves ASCII (`k`, `s`) ends a run.
pub fn regex_required_literals(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::{Hir, HirKind};
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .ok()?;
    // A plain character, or a break between runs.
    fn flatten(h: &Hir, out: &mut Vec<Option<char>>, depth: usize) {
        if depth > 64 {
            out.push(None);
            return;
        }
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(l) => match std::str::from_utf8(&l.0) {
                Ok(t) => out.extend(t.chars().map(|c| Some(c.to_ascii_lowercase()))),
                Err(_) => out.push(None),
            },
            HirKind::Class(c) => out.push(class_char(c)),
            HirKind::Capture(c) => flatten(&c.sub, out, depth + 1),
            HirKind::Concat(v) => v.iter().for_each(|x| flatten(x, out, depth + 1)),
            HirKind::Repetition(r) if r.min == 1 && r.max == Some(1) => {
                flatten(&r.sub, out, depth + 1)
            }
            HirKind::Repetition(r) if r.min >= 1 => {
                out.push(None);
                flatten(&r.sub, out, depth + 1);
                out.push(None);
            }
            _ => out.push(None),
        }
    }
    // A class standing for one character ignoring ASCII case: `[Aa]`, or a single one.
    fn class_char(c: &regex_syntax::hir::Class) -> Option<char> {
        use regex_syntax::hir::Class;
        let mut chars: Vec<char> = Vec::new();
        match c {
            Class::Unicode(u) => {
                for r in u.ranges() {
                    if (r.end() as u32).saturating_sub(r.start() as u32) > 1 {
                        return None;
                    }
                    chars.extend([r.start(), r.end()]);
                }
            }
            Class::Bytes(b) => {
                for r in b.ranges() {
                    if r.end().saturating_sub(r.start()) > 1 {
                        return None;
                    }
                    chars.extend([char::from(r.start()), char::from(r.end())]);
                }
            }
        }
        chars.sort_unstable();
        chars.dedup();
        match chars.as_slice() {
            [c] if c.is_ascii() && !c.is_ascii_alphabetic() => Some(*c),
            [a, b] if a.is_ascii_uppercase() && a.to_ascii_lowercase() == *b => Some(*b),
            _ => None,
        }
    }
    fn best(h: &Hir) -> Option<String> {
        let mut items = Vec::new();
        flatten(h, &mut items, 0);
        let mut best = String::new();
        let mut cur = String::new();
        for it in items {
            match it {
                Some(c) if c != 'k' && c != 's' => cur.push(c),
                _ => {
                    if cur.chars().count() > best.chars().count() {
                        best = std::mem::take(&mut cur);
                    }
                    cur.clear();
                }
            }
        }
        if cur.chars().count() > best.chars().count() {
            best = cur;
        }
        (best.chars().count() >= MIN_REGEX_LITERAL).then_some(best)
    }
    let alts: Vec<&Hir> = match hir.kind() {
        HirKind::Alternation(v) => v.iter().collect(),
        _ => vec![&hir],
    };
    alts.into_iter().map(best).collect()
}

/// Parses `a.b.c.d/n`, `::/0` or a bare address (as a host network).
pub fn parse_cidr(s: &str) -> Result<IpNet, MatcherError> {
    let t = s.trim();
    if let Ok(n) = t.parse::<IpNet>() {
        return Ok(n);
    }
    t.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| MatcherError::Cidr(s.to_string()))
}

fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok().map(|v| v as f64);
    }
    t.parse::<f64>().ok()
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    let t = s.trim().trim_start_matches('[').trim_end_matches(']');
    let t = t.split('%').next().unwrap_or(t);
    t.parse().ok()
}

impl Matcher {
    fn match_str(&self, s: &str) -> bool {
        match self {
            Matcher::Str(m) => m.is_match(s),
            Matcher::Regex { res, all } => {
                if *all {
                    res.iter().all(|r| r.is_match(s))
                } else {
                    res.iter().any(|r| r.is_match(s))
                }
            }
            Matcher::Cidr(nets) => {
                parse_ip(s).is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)))
            }
            Matcher::Cmp(op, rhs) => parse_num(s).is_some_and(|v| cmp(*op, v, *rhs)),
            Matcher::Exists(b) => *b,
            Matcher::Null => s.is_empty(),
            // Needs the event: evaluated by `Leaf::eval`.
            Matcher::FieldRef { .. } => false,
        }
    }

    /// Matches a resolved value (`None` = field absent).
    pub fn matches(&self, v: Option<Value<'_>>) -> bool {
        let Some(v) = v else {
            return matches!(self, Matcher::Exists(false) | Matcher::Null);
        };
        match v {
            Value::Str(s) => self.match_str(s),
            Value::List(l) => match self {
                Matcher::Str(m) => m.is_match_list(l),
                Matcher::Exists(b) => *b,
                Matcher::Null => l.is_empty(),
                _ => l.iter().any(|s| self.match_str(s)),
            },
            Value::Int(i) => match self {
                Matcher::Cmp(op, rhs) => cmp(*op, i as f64, *rhs),
                Matcher::Exists(b) => *b,
                Matcher::Null => false,
                Matcher::Cidr(_) => false,
                Matcher::Str(StrMatch { ints: Some(v), .. }) => v.contains(&i),
                _ => {
                    let mut buf = [0u8; 24];
                    self.match_str(fmt_i64(i, &mut buf))
                }
            },
            Value::Ip(ip) => match self {
                Matcher::Cidr(nets) => nets.iter().any(|n| n.contains(&ip)),
                Matcher::Exists(b) => *b,
                Matcher::Null => false,
                Matcher::Cmp(..) => false,
                _ => {
                    let mut buf = [0u8; 48];
                    self.match_str(fmt_ip(ip, &mut buf))
                }
            },
            Value::Bool(b) => match self {
                Matcher::Exists(x) => *x,
                Matcher::Null => false,
                Matcher::Cmp(op, rhs) => cmp(*op, if b { 1.0 } else { 0.0 }, *rhs),
                _ => self.match_str(if b { "true" } else { "false" }),
            },
        }
    }
}

fn cmp(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Gt => a > b,
        CmpOp::Gte => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Lte => a <= b,
        CmpOp::Eq => a == b,
    }
}

/// A leaf: a matcher on the first present field among candidates.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Candidate fields; the first one present on the event is used.
    pub fields: Vec<Field>,
    /// What the value must satisfy.
    pub matcher: Matcher,
    /// Slot of this leaf's result in a [`Memo`] (shared by identical leaves of a rule set;
    /// [`NO_MEMO`]: evaluated every time).
    pub memo: u32,
}

/// [`Leaf::memo`] of a leaf whose result is not remembered.
pub const NO_MEMO: u32 = u32::MAX;

/// Per-event results of the leaves of a rule set: identical leaves of different rules (the
/// logsource's channel and event id tests, `Image|endswith: '\\cmd.exe'` …) are evaluated once
/// per event. [`Memo::next_event`] forgets every result in O(1).
#[derive(Debug, Default)]
pub struct Memo {
    generation: u32,
    slots: Vec<u32>,
}

impl Memo {
    /// Starts a new event with room for `slots` leaves.
    pub fn next_event(&mut self, slots: usize) {
        if self.slots.len() < slots {
            self.slots.resize(slots, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 || self.generation > (u32::MAX >> 1) {
            self.slots.iter_mut().for_each(|x| *x = 0);
            self.generation = 1;
        }
    }
}

impl Leaf {
    /// A key equal for leaves that always give the same result on the same event, `None`
    /// for leaves not worth remembering or whose equality cannot be told (regexes: their
    /// case flag is not visible).
    fn memo_key(&self) -> Option<String> {
        let m = match &self.matcher {
            Matcher::Str(m) => format!("s{:?}{}{}{:?}", m.kind, m.ci, m.all, m.patterns),
            Matcher::Regex { .. } => return None,
            Matcher::Cidr(n) => format!("c{n:?}"),
            Matcher::Cmp(op, v) => format!("n{op:?}{}", v.to_bits()),
            Matcher::Exists(b) => format!("e{b}"),
            Matcher::Null => "z".into(),
            Matcher::FieldRef { other, kind, ci } => format!("f{other:?}{kind:?}{ci}"),
        };
        Some(format!("{:?}|{m}", self.fields))
    }

    /// Evaluates the leaf.
    pub fn eval(&self, e: &Event) -> bool {
        if self.fields.len() == 1 && self.fields[0] == Field::AnyString {
            return any_string(e, |s| self.matcher.match_str(s));
        }
        if let Matcher::FieldRef { other, kind, ci } = &self.matcher {
            let Some(a) = self.fields.iter().find_map(|f| f.get(e)) else {
                return false;
            };
            let Some(b) = other.iter().find_map(|f| f.get(e)) else {
                return false;
            };
            return str_cmp(*kind, &value_string(a), &value_string(b), *ci);
        }
        let v = self.fields.iter().find_map(|f| f.get(e));
        self.matcher.matches(v)
    }
}

/// A compiled boolean condition.
#[derive(Debug, Clone)]
pub enum Node {
    /// Always true.
    True,
    /// Always false.
    False,
    /// A field test.
    Leaf(Box<Leaf>),
    /// Every child is true.
    And(Vec<Node>),
    /// Some child is true.
    Or(Vec<Node>),
    /// The child is false.
    Not(Box<Node>),
}

impl Node {
    /// Evaluates the condition on an event.
    pub fn eval(&self, e: &Event) -> bool {
        match self {
            Node::True => true,
            Node::False => false,
            Node::Leaf(l) => l.eval(e),
            Node::And(c) => c.iter().all(|n| n.eval(e)),
            Node::Or(c) => c.iter().any(|n| n.eval(e)),
            Node::Not(n) => !n.eval(e),
        }
    }

    /// [`Node::eval`] with identical leaves evaluated once per event (see [`Memo`]).
    pub fn eval_memo(&self, e: &Event, m: &mut Memo) -> bool {
        match self {
            Node::True => true,
            Node::False => false,
            Node::Leaf(l) => {
                let Some(slot) = m.slots.get_mut(l.memo as usize) else {
                    return l.eval(e);
                };
                if *slot >> 1 == m.generation {
                    return *slot & 1 == 1;
                }
                let r = l.eval(e);
                *slot = (m.generation << 1) | u32::from(r);
                r
            }
            Node::And(c) => c.iter().all(|n| n.eval_memo(e, m)),
            Node::Or(c) => c.iter().any(|n| n.eval_memo(e, m)),
            Node::Not(n) => !n.eval_memo(e, m),
        }
    }

    /// Gives every leaf its [`Memo`] slot, identical leaves (by `keys`) the same one.
    pub fn assign_memo(&mut self, keys: &mut std::collections::HashMap<String, u32>) {
        match self {
            Node::True | Node::False => {}
            Node::Leaf(l) => {
                l.memo = match l.memo_key() {
                    Some(k) => {
                        let n = keys.len() as u32;
                        *keys.entry(k).or_insert(n)
                    }
                    None => NO_MEMO,
                };
            }
            Node::And(c) | Node::Or(c) => c.iter_mut().for_each(|n| n.assign_memo(keys)),
            Node::Not(n) => n.assign_memo(keys),
        }
    }

    /// The fields that made a true condition true: for every leaf that holds on the event
    /// (outside a `not`, and only in the `or` branches that hold), its field path and the
    /// event's value, in tree order without duplicates. Keyword leaves (`*`) report the first
    /// event string they matched. For display (hunt output); empty when the condition is false.
    pub fn matched_fields(&self, e: &Event) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.eval(e) {
            self.collect_matched(e, &mut out);
        }
        out
    }

    fn collect_matched(&self, e: &Event, out: &mut Vec<(String, String)>) {
        match self {
            Node::True | Node::False | Node::Not(_) => {}
            Node::And(c) => c.iter().for_each(|n| n.collect_matched(e, out)),
            Node::Or(c) => {
                for n in c {
                    if n.eval(e) {
                        n.collect_matched(e, out);
                    }
                }
            }
            Node::Leaf(l) => {
                let item = if l.fields.len() == 1 && l.fields[0] == Field::AnyString {
                    let mut hit = None;
                    any_string(e, |s| {
                        let ok = l.matcher.match_str(s);
                        if ok {
                            hit = Some(s.to_string());
                        }
                        ok
                    });
                    hit.map(|v| ("*".to_string(), v))
                } else if matches!(l.matcher, Matcher::FieldRef { .. }) {
                    l.eval(e)
                        .then(|| {
                            l.fields
                                .iter()
                                .find_map(|f| Some((f.path(), value_string(f.get(e)?))))
                        })
                        .flatten()
                } else {
                    l.fields.iter().find_map(|f| {
                        let v = f.get(e)?;
                        if !l.matcher.matches(Some(v)) {
                            return None;
                        }
                        Some((f.path(), value_string(v)))
                    })
                };
                if let Some(item) = item
                    && !out.contains(&item)
                {
                    out.push(item);
                }
            }
        }
    }

    /// A leaf node.
    pub fn leaf(fields: Vec<Field>, matcher: Matcher) -> Node {
        Node::Leaf(Box::new(Leaf {
            fields,
            matcher,
            memo: NO_MEMO,
        }))
    }

    /// Simplifies constant sub-trees and single-child groups.
    pub fn simplify(self) -> Node {
        match self {
            Node::And(c) => Node::simplify_group(c, true),
            Node::Or(c) => Node::simplify_group(c, false),
            Node::Not(n) => match n.simplify() {
                Node::True => Node::False,
                Node::False => Node::True,
                Node::Not(inner) => *inner,
                n => Node::Not(Box::new(n)),
            },
            other => other,
        }
    }

    /// An `And` (`all`) or `Or` of `children`, simplified: the group's identity (`True` of an
    /// `And`, `False` of an `Or`) drops out, its absorbing constant decides the whole group,
    /// nested groups of the same kind are flattened and a single child stands alone.
    fn simplify_group(children: Vec<Node>, all: bool) -> Node {
        let mut out = Vec::with_capacity(children.len());
        for n in children {
            match (n.simplify(), all) {
                (Node::True, true) | (Node::False, false) => {}
                (Node::False, true) => return Node::False,
                (Node::True, false) => return Node::True,
                (Node::And(inner), true) | (Node::Or(inner), false) => out.extend(inner),
                (n, _) => out.push(n),
            }
        }
        let identity = || if all { Node::True } else { Node::False };
        match out.len() {
            0 => identity(),
            1 => out.pop().unwrap_or_else(identity),
            _ if all => Node::And(out),
            _ => Node::Or(out),
        }
    }

    /// Event ids this condition requires (`log.event_id` must be one of them), when the
    /// condition is a conjunction containing such a test; used to index rules.
    pub fn required_event_ids(&self) -> Option<Vec<u32>> {
        match self {
            Node::Leaf(l) => leaf_event_ids(l),
            Node::And(c) => c.iter().find_map(|n| n.required_event_ids()),
            Node::Or(c) => {
                let mut all = Vec::new();
                for n in c {
                    all.extend(n.required_event_ids()?);
                }
                all.sort_unstable();
                all.dedup();
                Some(all)
            }
            _ => None,
        }
    }
}

fn value_string(v: Value<'_>) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Ip(ip) => ip.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(l) => l.join(" "),
    }
}

fn leaf_event_ids(l: &Leaf) -> Option<Vec<u32>> {
    if l.fields.len() != 1 || l.fields[0] != Field::LogEventId {
        return None;
    }
    match &l.matcher {
        Matcher::Str(m) if m.kind() == StrKind::Eq && !m.all() => m
            .patterns()
            .iter()
            .map(|p| p.trim().parse::<u32>().ok())
            .collect(),
        Matcher::Cmp(CmpOp::Eq, v) if *v >= 0.0 && *v <= u32::MAX as f64 && v.fract() == 0.0 => {
            Some(vec![*v as u32])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm(kind: StrKind, ps: &[&str], ci: bool, all: bool) -> StrMatch {
        StrMatch::new(kind, ps.iter().map(|s| s.to_string()).collect(), ci, all).unwrap()
    }

    #[test]
    fn groups_simplify_by_their_identity_and_absorbing_constant() {
        fn shape(n: &Node) -> String {
            let list = |c: &[Node]| c.iter().map(shape).collect::<Vec<_>>().join(",");
            match n {
                Node::True => "T".into(),
                Node::False => "F".into(),
                Node::Leaf(_) => "L".into(),
                Node::Not(n) => format!("!{}", shape(n)),
                Node::And(c) => format!("and({})", list(c)),
                Node::Or(c) => format!("or({})", list(c)),
            }
        }
        let leaf = || {
            Node::leaf(
                vec![Field::parse("process.name").unwrap()],
                Matcher::Exists(true),
            )
        };
        let and = |c: Vec<Node>| shape(&Node::And(c).simplify());
        let or = |c: Vec<Node>| shape(&Node::Or(c).simplify());
        assert_eq!(and(vec![]), "T");
        assert_eq!(or(vec![]), "F");
        assert_eq!(and(vec![Node::True, leaf()]), "L");
        assert_eq!(or(vec![Node::False, leaf()]), "L");
        assert_eq!(and(vec![leaf(), Node::False]), "F");
        assert_eq!(or(vec![leaf(), Node::True]), "T");
        assert_eq!(
            and(vec![leaf(), Node::And(vec![leaf(), Node::True, leaf()])]),
            "and(L,L,L)"
        );
        assert_eq!(
            or(vec![leaf(), Node::Or(vec![leaf(), Node::False, leaf()])]),
            "or(L,L,L)"
        );
        assert_eq!(
            and(vec![leaf(), Node::Or(vec![leaf(), leaf()])]),
            "and(L,or(L,L))"
        );
        assert_eq!(
            or(vec![leaf(), Node::And(vec![leaf(), leaf()])]),
            "or(L,and(L,L))"
        );
        assert_eq!(
            shape(&Node::Not(Box::new(Node::Or(vec![Node::False]))).simplify()),
            "T"
        );
    }

    #[test]
    fn regex_literals_are_required_substrings() {
        let lits = |p: &str| regex_required_literals(p);
        assert_eq!(
            lits(r"^(?s:.*)ipconfig(?s:.*)\|(?s:.*)find(?s:.*)$"),
            Some(vec!["ipconfig".to_string()])
        );
        // `k` and `s` end runs (their case folding leaves ASCII); alternatives each give one.
        assert_eq!(
            lits(r#"(?i)\.exe["']?\s+[^"]{0,64}werfaultsecure\.exe"#),
            Some(vec!["ecure.exe".to_string()])
        );
        assert_eq!(
            lits("abcd|(?:xyz)+q"),
            Some(vec!["abcd".to_string(), "xyz".to_string()])
        );
        assert_eq!(lits("abcd|x.y"), None);
        assert_eq!(lits("a.c"), None);
        // Every literal is in every match, ignoring case.
        let cases = [
            (r"(?i)invoke-(mimi|kiwi)katz", "INVOKE-KIWIKATZ"),
            (
                r"\\AppData\\Local\\Temp\\[a-z0-9]{8}\.exe",
                r"C:\Users\x\AppData\Local\Temp\abcd1234.exe",
            ),
            ("-enc(odedcommand)? ", "-EncodedCommand "),
        ];
        for (p, text) in cases {
            let re = compile_regex(p, true, false, false).unwrap();
            assert!(re.is_match(text), "{p} should match {text}");
            let l = lits(p).unwrap_or_else(|| panic!("{p}: no literal"));
            let low = text.to_ascii_lowercase();
            assert!(
                l.iter().any(|x| low.contains(x.as_str())),
                "{p}: {l:?} not in {text}"
            );
        }
    }

    #[test]
    fn string_kinds() {
        assert!(sm(StrKind::Eq, &["CMD.exe"], true, false).is_match("cmd.EXE"));
        assert!(!sm(StrKind::Eq, &["CMD.exe"], false, false).is_match("cmd.EXE"));
        assert!(
            sm(StrKind::EndsWith, &["\\rundll32.exe"], true, false)
                .is_match("C:\\Windows\\System32\\RUNDLL32.exe")
        );
        assert!(!sm(StrKind::EndsWith, &["\\rundll32.exe"], true, false).is_match("rundll32.exe"));
        assert!(sm(StrKind::StartsWith, &["/usr/"], false, false).is_match("/usr/bin/x"));
        assert!(
            sm(StrKind::Contains, &[" -enc ", " -e "], true, false).is_match("powershell -EnC abc")
        );
        assert!(sm(StrKind::Contains, &["a", "b"], false, true).is_match("xbxa"));
        assert!(!sm(StrKind::Contains, &["a", "b"], false, true).is_match("xbx"));
        let l = vec!["dig".to_string(), "+short".to_string()];
        assert!(sm(StrKind::Eq, &["+short", "dig"], false, true).is_match_list(&l));
        assert!(!sm(StrKind::Eq, &["+long", "dig"], false, true).is_match_list(&l));
    }

    #[test]
    fn typed_values() {
        let cidr = Matcher::Cidr(vec![parse_cidr("10.0.0.0/8").unwrap()]);
        assert!(cidr.matches(Some(Value::Ip("10.2.3.4".parse().unwrap()))));
        assert!(cidr.matches(Some(Value::Str("10.2.3.4"))));
        assert!(!cidr.matches(Some(Value::Str("nope"))));
        let gt = Matcher::Cmp(CmpOp::Gte, 1024.0);
        assert!(gt.matches(Some(Value::Int(3389))));
        assert!(gt.matches(Some(Value::Str("0xD3D"))));
        assert!(!gt.matches(Some(Value::Str("80"))));
        let eq = Matcher::Str(sm(StrKind::Eq, &["3389"], true, false));
        assert!(eq.matches(Some(Value::Int(3389))));
        assert!(Matcher::Exists(false).matches(None));
        assert!(!Matcher::Exists(true).matches(None));
        assert!(Matcher::Null.matches(Some(Value::Str(""))));
        assert!(compile_regex("(", false, false, false).is_err());
    }
}
