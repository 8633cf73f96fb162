//! Pattern evaluation.
//!
//! Comparison expressions are evaluated per observation and yield, for each observation, the
//! set of *root* objects that satisfy them (so `AND` inside `[...]` needs one object to satisfy
//! both sides, references included). Observation expressions then search for *bindings*: an
//! assignment of distinct observations to the `[...]` parts such that the operators and
//! qualifiers hold.
//!
//! An observed-data with `number_observed = n` stands for `n` interchangeable observations: the
//! search counts how many instances of each are bound instead of enumerating them, and
//! `REPEATS` chooses unordered combinations of its operand's distinct bindings. The search is
//! depth-first and stops at the first complete binding.

use super::ast::*;
use super::literal::{
    Timestamp, net_contains, parse_net, parse_timestamp_literal, timestamp_from_datetime,
};
use super::{PatternError, PatternMatch};
use crate::observation::Observation;
use serde_json::Value;
use std::cmp::Ordering as CmpOrdering;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use unicode_normalization::UnicodeNormalization;

/// Upper bound on the distinct bindings of one `REPEATS` operand; beyond it evaluation stops
/// with an error rather than silently dropping candidates.
pub const MAX_BINDINGS: usize = 200_000;

/// STIX 2.1 domain and relationship object types: never cyber observables, so a pattern on
/// them matches nothing (as in the reference matcher).
const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
    "relationship",
    "sighting",
    "marking-definition",
    "language-content",
    "extension-definition",
    "bundle",
];

/// Upper bound on search steps, so a pathological pattern cannot hang the caller.
pub const MAX_STEPS: u64 = 50_000_000;

struct Ctx<'a> {
    obs: &'a [Observation],
    times: Vec<(Timestamp, Timestamp)>,
}

fn eval_err(msg: impl Into<String>) -> PatternError {
    PatternError::evaluation(msg)
}

pub(crate) fn evaluate(
    expr: &ObsExpr,
    obs: &[Observation],
) -> Result<Option<PatternMatch>, PatternError> {
    let mut times = Vec::with_capacity(obs.len());
    for (i, o) in obs.iter().enumerate() {
        if o.number_observed < 1 {
            return Err(eval_err(format!(
                "observation {i}: number_observed must be ≥ 1"
            )));
        }
        if o.first_observed > o.last_observed {
            return Err(eval_err(format!(
                "observation {i}: first_observed is after last_observed"
            )));
        }
        times.push((
            timestamp_from_datetime(&o.first_observed),
            timestamp_from_datetime(&o.last_observed),
        ));
    }
    if obs.len() > u32::MAX as usize {
        return Err(eval_err("too many observations"));
    }
    let ctx = Ctx { obs, times };
    // Every comparison expression is evaluated on every observation first, so data errors are
    // reported whatever the search order (as the reference matcher does).
    let mut simple = HashMap::new();
    ctx.prepare(expr, &mut simple)?;
    let mut search = Search {
        ctx: &ctx,
        simple,
        repeats: HashMap::new(),
        used: vec![0; obs.len()],
        chosen: Vec::new(),
        steps: 0,
        window: i64::MAX,
    };
    let mut found: Option<Vec<usize>> = None;
    let flow = search.each(expr, &mut |s: &mut Search, _| {
        let mut o: Vec<usize> = s.chosen.iter().map(|&i| i as usize).collect();
        o.sort_unstable();
        o.dedup();
        found = Some(o);
        Ok(Flow::Stop)
    })?;
    debug_assert!(flow == Flow::Stop || found.is_none());
    Ok(found.map(|observations| PatternMatch { observations }))
}

/// Whether the search should go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// What the operators above a partial binding need to know about it.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// The latest first_observed of its observations.
    max_first: Timestamp,
    /// The earliest last_observed of its observations.
    min_last: Timestamp,
}

impl Span {
    fn join(self, o: Span) -> Span {
        Span {
            max_first: self.max_first.max(o.max_first),
            min_last: self.min_last.min(o.min_last),
        }
    }
}

/// A binding of a `REPEATS` operand: instances used per observation, and its span.
#[derive(Debug, Clone)]
struct Item {
    usage: Vec<(u32, u64)>,
    span: Span,
}

type Cont<'c, 'a> = dyn FnMut(&mut Search<'a>, Span) -> Result<Flow, PatternError> + 'c;

/// Depth-first search for bindings, in continuation-passing style: each operator hands every
/// binding of its operand to a continuation, which stops the search as soon as a complete
/// pattern binding is found. `used` counts the instances of each observation already bound.
struct Search<'a> {
    ctx: &'a Ctx<'a>,
    simple: HashMap<*const CompExpr, Vec<u32>>,
    repeats: HashMap<*const ObsExpr, Rc<Vec<Item>>>,
    used: Vec<u64>,
    chosen: Vec<u32>,
    steps: u64,
    /// The tightest `WITHIN` (µs) enclosing the current sub-search: partial bindings wider
    /// than this cannot complete, so they are pruned early.
    window: i64,
}

impl<'a> Search<'a> {
    /// Whether a partial binding can still fit the enclosing `WITHIN` windows.
    fn fits_window(&self, sp: Span) -> bool {
        sp.max_first <= sp.min_last.saturating_add(self.window)
    }

    fn tick(&mut self) -> Result<(), PatternError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(eval_err(format!(
                "pattern evaluation exceeded {MAX_STEPS} search steps; narrow the pattern or the observations"
            )));
        }
        Ok(())
    }

    fn each(&mut self, e: &ObsExpr, k: &mut Cont<'_, 'a>) -> Result<Flow, PatternError> {
        match e {
            ObsExpr::Simple(c) => {
                let matching = self
                    .simple
                    .get(&(c as *const CompExpr))
                    .cloned()
                    .unwrap_or_default();
                for i in matching {
                    self.tick()?;
                    let iu = i as usize;
                    if self.used[iu] >= self.ctx.obs[iu].number_observed {
                        continue;
                    }
                    self.used[iu] += 1;
                    self.chosen.push(i);
                    let (f, l) = self.ctx.times[iu];
                    let flow = k(
                        self,
                        Span {
                            max_first: f,
                            min_last: l,
                        },
                    );
                    self.chosen.pop();
                    self.used[iu] -= 1;
                    if flow? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Continue)
            }
            ObsExpr::And(l, r) => self.each(l, &mut |s: &mut Search<'a>, s1: Span| {
                s.each(r, &mut |s: &mut Search<'a>, s2: Span| {
                    let j = s1.join(s2);
                    if s.fits_window(j) {
                        k(s, j)
                    } else {
                        Ok(Flow::Continue)
                    }
                })
            }),
            ObsExpr::Or(items) => {
                for item in items {
                    if self.each(item, k)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Continue)
            }
            ObsExpr::FollowedBy(l, r) => self.each(l, &mut |s: &mut Search<'a>, s1: Span| {
                // Earliest instants on the left, latest on the right: possible iff the latest
                // left first_observed is no later than the earliest right last_observed.
                s.each(r, &mut |s: &mut Search<'a>, s2: Span| {
                    if s1.max_first <= s2.min_last {
                        k(s, s1.join(s2))
                    } else {
                        Ok(Flow::Continue)
                    }
                })
            }),
            ObsExpr::Within(inner, micros) => {
                let outer = self.window;
                self.window = outer.min(*micros);
                let r = self.each(inner, &mut |s: &mut Search<'a>, sp: Span| {
                    // A window [L, L + d] from the earliest last_observed L must reach every
                    // first_observed.
                    if sp.max_first <= sp.min_last.saturating_add(*micros) {
                        // What follows is outside this WITHIN: lift its window meanwhile.
                        let inner_window = s.window;
                        s.window = outer;
                        let r = k(s, sp);
                        s.window = inner_window;
                        r
                    } else {
                        Ok(Flow::Continue)
                    }
                });
                self.window = outer;
                r
            }
            ObsExpr::StartStop(inner, start, stop) => {
                if start >= stop {
                    return Ok(Flow::Continue);
                }
                self.each(inner, &mut |s: &mut Search<'a>, sp: Span| {
                    // Every observation must overlap [start, stop).
                    if sp.max_first < *stop && sp.min_last >= *start {
                        k(s, sp)
                    } else {
                        Ok(Flow::Continue)
                    }
                })
            }
            ObsExpr::Repeats(inner, n) => {
                let items = self.repeat_items(e, inner)?;
                self.choose(&items, 0, *n, None, k)
            }
        }
    }

    /// The distinct bindings of a `REPEATS` operand, computed once.
    fn repeat_items(
        &mut self,
        e: &ObsExpr,
        inner: &ObsExpr,
    ) -> Result<Rc<Vec<Item>>, PatternError> {
        let key = e as *const ObsExpr;
        if let Some(items) = self.repeats.get(&key) {
            return Ok(items.clone());
        }
        let saved_used = std::mem::replace(&mut self.used, vec![0; self.ctx.obs.len()]);
        let saved_chosen = std::mem::take(&mut self.chosen);
        let mut items: Vec<Item> = Vec::new();
        let mut seen: HashSet<Vec<(u32, u64)>> = HashSet::new();
        let r = self.each(inner, &mut |s: &mut Search<'a>, span: Span| {
            let mut usage: Vec<(u32, u64)> = Vec::new();
            let mut ids = s.chosen.clone();
            ids.sort_unstable();
            for i in ids {
                match usage.last_mut() {
                    Some(last) if last.0 == i => last.1 += 1,
                    _ => usage.push((i, 1)),
                }
            }
            if seen.insert(usage.clone()) {
                items.push(Item { usage, span });
                if items.len() > MAX_BINDINGS {
                    return Err(eval_err(format!(
                        "a REPEATS operand has more than {MAX_BINDINGS} distinct bindings; narrow the pattern or the observations"
                    )));
                }
            }
            Ok(Flow::Continue)
        });
        self.used = saved_used;
        self.chosen = saved_chosen;
        r?;
        let items = Rc::new(items);
        self.repeats.insert(key, items.clone());
        Ok(items)
    }

    /// Chooses `left` more items (indices ≥ `from`, repeats allowed while instances remain).
    fn choose(
        &mut self,
        items: &Rc<Vec<Item>>,
        from: usize,
        left: u32,
        acc: Option<Span>,
        k: &mut Cont<'_, 'a>,
    ) -> Result<Flow, PatternError> {
        if left == 0 {
            let span = acc.unwrap_or(Span {
                max_first: Timestamp::MIN,
                min_last: Timestamp::MAX,
            });
            return k(self, span);
        }
        // Each item binds at least one instance: give up when too few are left.
        let free: u64 = self
            .ctx
            .obs
            .iter()
            .zip(&self.used)
            .map(|(o, u)| o.number_observed.saturating_sub(*u))
            .fold(0, u64::saturating_add);
        if free < u64::from(left) {
            return Ok(Flow::Continue);
        }
        for idx in from..items.len() {
            self.tick()?;
            let item = &items[idx];
            let fits = item.usage.iter().all(|&(i, c)| {
                self.used[i as usize] + c <= self.ctx.obs[i as usize].number_observed
            });
            if !fits {
                continue;
            }
            let span = match acc {
                None => item.span,
                Some(a) => a.join(item.span),
            };
            if !self.fits_window(span) {
                continue;
            }
            for &(i, c) in &item.usage {
                self.used[i as usize] += c;
                for _ in 0..c {
                    self.chosen.push(i);
                }
            }
            let flow = self.choose(items, idx, left - 1, Some(span), k);
            for &(i, c) in item.usage.iter().rev() {
                self.used[i as usize] -= c;
                for _ in 0..c {
                    self.chosen.pop();
                }
            }
            if flow? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

impl Ctx<'_> {
    /// Evaluates every `[...]` of the pattern on every observation.
    fn prepare(
        &self,
        e: &ObsExpr,
        out: &mut HashMap<*const CompExpr, Vec<u32>>,
    ) -> Result<(), PatternError> {
        match e {
            ObsExpr::Simple(c) => {
                let roots = self.eval_comp(c)?;
                let matching = roots
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| !r.is_empty())
                    .map(|(i, _)| i as u32)
                    .collect();
                out.insert(c as *const CompExpr, matching);
                Ok(())
            }
            ObsExpr::And(l, r) | ObsExpr::FollowedBy(l, r) => {
                self.prepare(l, out)?;
                self.prepare(r, out)
            }
            ObsExpr::Or(items) => items.iter().try_for_each(|i| self.prepare(i, out)),
            ObsExpr::Within(i, _) | ObsExpr::Repeats(i, _) | ObsExpr::StartStop(i, _, _) => {
                self.prepare(i, out)
            }
        }
    }

    /// For each observation, the sorted indices of the root objects satisfying `c`.
    fn eval_comp(&self, c: &CompExpr) -> Result<Vec<Vec<u32>>, PatternError> {
        match c {
            CompExpr::Test(t) => self.eval_test(t),
            CompExpr::And(items) => {
                let mut acc: Option<Vec<Vec<u32>>> = None;
                // Every operand is evaluated (no short-circuit), so data errors surface.
                for item in items {
                    let r = self.eval_comp(item)?;
                    acc = Some(match acc {
                        None => r,
                        Some(a) => a
                            .into_iter()
                            .zip(r)
                            .map(|(a, b)| {
                                a.into_iter()
                                    .filter(|x| b.binary_search(x).is_ok())
                                    .collect()
                            })
                            .collect(),
                    });
                }
                Ok(acc.unwrap_or_else(|| vec![Vec::new(); self.obs.len()]))
            }
            CompExpr::Or(items) => {
                let mut acc: Vec<Vec<u32>> = vec![Vec::new(); self.obs.len()];
                for item in items {
                    for (a, b) in acc.iter_mut().zip(self.eval_comp(item)?) {
                        a.extend(b);
                    }
                }
                for a in &mut acc {
                    a.sort_unstable();
                    a.dedup();
                }
                Ok(acc)
            }
        }
    }

    fn eval_test(&self, t: &PropTest) -> Result<Vec<Vec<u32>>, PatternError> {
        let mut out = Vec::with_capacity(self.obs.len());
        let blocked = SDO_TYPES.contains(&t.path.object_type.as_str());
        for o in self.obs {
            let mut roots = Vec::new();
            if !blocked {
                for (ri, (_, obj)) in o.objects.iter().enumerate() {
                    if obj.get("type").and_then(Value::as_str) != Some(t.path.object_type.as_str())
                    {
                        continue;
                    }
                    let vals = select(&t.path.steps, obj, o)?;
                    let pass = if let TestOp::Exists = t.op {
                        !vals.is_empty()
                    } else {
                        let mut pass = false;
                        for v in &vals {
                            if test_value(t, v)? {
                                pass = true;
                                break;
                            }
                        }
                        pass
                    };
                    if pass {
                        roots.push(ri as u32);
                    }
                }
            }
            out.push(roots);
        }
        Ok(out)
    }
}

/// A value selected by an object path.
enum Val<'a> {
    Json(&'a Value),
    /// A `*_hex` / `*_bin` property, decoded.
    Bytes(Vec<u8>),
    /// A dereferenced `*_refs` list.
    Objects(Vec<&'a Value>),
}

fn resolve<'a>(o: &'a Observation, id: &str) -> Option<&'a Value> {
    o.objects.iter().find(|(k, _)| k == id).map(|(_, v)| v)
}

fn select<'a>(
    steps: &[PathStep],
    root: &'a Value,
    o: &'a Observation,
) -> Result<Vec<Val<'a>>, PatternError> {
    let mut vals = vec![Val::Json(root)];
    for step in steps {
        let mut next = Vec::new();
        for v in vals {
            match (step, v) {
                (PathStep::Key(k), Val::Json(Value::Object(m))) => {
                    let Some(x) = m.get(k) else { continue };
                    if k.ends_with("_hex") {
                        let s = x.as_str().ok_or_else(|| {
                            eval_err(format!("property '{k}' must be a hex string"))
                        })?;
                        let b = super::literal::decode_hex(s).ok_or_else(|| {
                            eval_err(format!("property '{k}' is not valid hex: '{s}'"))
                        })?;
                        next.push(Val::Bytes(b));
                    } else if k.ends_with("_bin") {
                        let s = x.as_str().ok_or_else(|| {
                            eval_err(format!("property '{k}' must be a base64 string"))
                        })?;
                        let b = super::literal::decode_base64(s).ok_or_else(|| {
                            eval_err(format!("property '{k}' is not valid base64: '{s}'"))
                        })?;
                        next.push(Val::Bytes(b));
                    } else if k.ends_with("_ref") {
                        let id = x.as_str().ok_or_else(|| {
                            eval_err(format!(
                                "the value of reference property '{k}' is not a string: {x}"
                            ))
                        })?;
                        if let Some(t) = resolve(o, id) {
                            next.push(Val::Json(t));
                        }
                    } else if k.ends_with("_refs") {
                        let list = x.as_array().ok_or_else(|| {
                            eval_err(format!(
                                "the value of reference list property '{k}' is not a list: {x}"
                            ))
                        })?;
                        let mut targets = Vec::new();
                        for id in list {
                            let id = id.as_str().ok_or_else(|| {
                                eval_err(format!(
                                    "a value of reference property '{k}' is not a string: {id}"
                                ))
                            })?;
                            if let Some(t) = resolve(o, id) {
                                targets.push(t);
                            }
                        }
                        if !targets.is_empty() {
                            next.push(Val::Objects(targets));
                        }
                    } else {
                        next.push(Val::Json(x));
                    }
                }
                (PathStep::Index(i), Val::Json(Value::Array(a))) => {
                    if let Some(x) = usize::try_from(*i).ok().and_then(|i| a.get(i)) {
                        next.push(Val::Json(x));
                    }
                }
                (PathStep::Index(i), Val::Objects(a)) => {
                    if let Some(x) = usize::try_from(*i).ok().and_then(|i| a.get(i)) {
                        next.push(Val::Json(x));
                    }
                }
                (PathStep::Star, Val::Json(Value::Array(a))) => {
                    next.extend(a.iter().map(Val::Json))
                }
                (PathStep::Star, Val::Objects(a)) => next.extend(a.into_iter().map(Val::Json)),
                _ => {}
            }
        }
        vals = next;
    }
    Ok(vals)
}

/// A selected value, typed for comparison.
#[derive(Debug)]
enum V<'a> {
    Int(i64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
    Bytes(&'a [u8]),
    /// null, lists, dictionaries: comparable with nothing.
    Other,
}

fn typed<'a>(v: &'a Val<'a>) -> V<'a> {
    match v {
        Val::Json(Value::Number(n)) => match n.as_i64() {
            Some(i) => V::Int(i),
            None => V::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Val::Json(Value::String(s)) => V::Str(s),
        Val::Json(Value::Bool(b)) => V::Bool(*b),
        Val::Bytes(b) => V::Bytes(b),
        _ => V::Other,
    }
}

fn json_ts(s: &str) -> Result<Timestamp, PatternError> {
    parse_timestamp_literal(s)
        .map_err(|m| eval_err(format!("invalid timestamp in observed data: '{s}': {m}")))
}

/// A string as Latin-1 bytes, when every character is below U+0100.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(c as u32).ok()).collect()
}

fn num_eq(a: &V, b: &V) -> Option<bool> {
    Some(match (a, b) {
        (V::Int(x), V::Int(y)) => x == y,
        (V::Int(x), V::Float(y)) | (V::Float(y), V::Int(x)) => (*x as f64) == *y,
        (V::Float(x), V::Float(y)) => x == y,
        _ => return None,
    })
}

fn lit_as_v(l: &Literal) -> V<'_> {
    match l {
        Literal::Int(i) => V::Int(*i),
        Literal::Float(f) => V::Float(*f),
        Literal::Str(s) => V::Str(s),
        Literal::Bool(b) => V::Bool(*b),
        Literal::Binary(b) => V::Bytes(b),
        Literal::Timestamp(_) => V::Other,
    }
}

/// `=` semantics. Values of unrelated types are simply unequal.
fn equals(lit: &Literal, v: &V) -> Result<bool, PatternError> {
    if let Literal::Timestamp(t) = lit {
        return Ok(match v {
            V::Str(s) => json_ts(s)? == *t,
            _ => false,
        });
    }
    let l = lit_as_v(lit);
    if let Some(r) = num_eq(&l, v) {
        return Ok(r);
    }
    Ok(match (&l, v) {
        (V::Str(a), V::Str(b)) => a == b,
        (V::Bool(a), V::Bool(b)) => a == b,
        (V::Bytes(a), V::Bytes(b)) => a == b,
        (V::Str(s), V::Bytes(b)) | (V::Bytes(b), V::Str(s)) => latin1(s).is_some_and(|x| x == *b),
        _ => false,
    })
}

/// Outcome of an ordering comparison.
enum Cmp {
    /// The types cannot be ordered: the test is false, even under NOT.
    Unsupported,
    /// A string with characters ≥ U+0100 against binary: false, and NOT applies.
    Invalid,
    Ord(Option<CmpOrdering>),
}

fn compare(v: &V, lit: &Literal) -> Result<Cmp, PatternError> {
    if let Literal::Timestamp(t) = lit {
        return Ok(match v {
            V::Str(s) => Cmp::Ord(Some(json_ts(s)?.cmp(t))),
            _ => Cmp::Unsupported,
        });
    }
    let l = lit_as_v(lit);
    Ok(match (v, &l) {
        (V::Int(a), V::Int(b)) => Cmp::Ord(Some(a.cmp(b))),
        (V::Int(a), V::Float(b)) => Cmp::Ord((*a as f64).partial_cmp(b)),
        (V::Float(a), V::Int(b)) => Cmp::Ord(a.partial_cmp(&(*b as f64))),
        (V::Float(a), V::Float(b)) => Cmp::Ord(a.partial_cmp(b)),
        (V::Str(a), V::Str(b)) => Cmp::Ord(Some(a.cmp(b))),
        (V::Bytes(a), V::Bytes(b)) => Cmp::Ord(Some(a.cmp(b))),
        (V::Str(s), V::Bytes(b)) => match latin1(s) {
            Some(x) => Cmp::Ord(Some(x.as_slice().cmp(b))),
            None => Cmp::Invalid,
        },
        (V::Bytes(b), V::Str(s)) => match latin1(s) {
            Some(x) => Cmp::Ord(Some((*b).cmp(x.as_slice()))),
            None => Cmp::Invalid,
        },
        _ => Cmp::Unsupported,
    })
}

/// `IN` membership: equality without the string/binary conversion.
fn member(set: &[Literal], v: &V) -> Result<bool, PatternError> {
    if matches!(set.first(), Some(Literal::Timestamp(_))) {
        if let V::Str(s) = v {
            let ts = json_ts(s)?;
            return Ok(set
                .iter()
                .any(|l| matches!(l, Literal::Timestamp(t) if *t == ts)));
        }
        return Ok(false);
    }
    Ok(set.iter().any(|lit| {
        let l = lit_as_v(lit);
        if let Some(r) = num_eq(&l, v) {
            return r;
        }
        match (&l, v) {
            (V::Str(a), V::Str(b)) => a == b,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Bytes(a), V::Bytes(b)) => a == b,
            _ => false,
        }
    }))
}

fn test_value(t: &PropTest, val: &Val) -> Result<bool, PatternError> {
    let v = typed(val);
    let result = match &t.op {
        TestOp::Eq(l) => equals(l, &v)?,
        TestOp::Neq(l) => !equals(l, &v)?,
        TestOp::Order(op, l) => match compare(&v, l)? {
            Cmp::Unsupported => return Ok(false),
            Cmp::Invalid => false,
            Cmp::Ord(None) => false,
            Cmp::Ord(Some(o)) => match op {
                Ordering::Lt => o == CmpOrdering::Less,
                Ordering::Le => o != CmpOrdering::Greater,
                Ordering::Gt => o == CmpOrdering::Greater,
                Ordering::Ge => o != CmpOrdering::Less,
            },
        },
        TestOp::In(set) => member(set, &v)?,
        TestOp::StrSet(set) => match v {
            V::Str(s) => set.lookup.contains(s),
            V::Bytes(b) if set.binary_equal => {
                let as_latin1: String = b.iter().map(|&c| char::from(c)).collect();
                set.lookup.contains(&as_latin1)
            }
            _ => false,
        },
        TestOp::Like(m) => match v {
            V::Str(s) => m.regex.is_match(&s.nfc().collect::<String>()),
            V::Bytes(b) if m.binary_ok => {
                let s = std::str::from_utf8(b)
                    .map_err(|_| eval_err("LIKE on a binary value that is not valid UTF-8"))?;
                m.regex.is_match(&s.nfc().collect::<String>())
            }
            _ => false,
        },
        TestOp::Matches(m) => match v {
            V::Str(s) => m.regex.is_match(&s.nfc().collect::<String>()),
            V::Bytes(b) => m.bytes.as_ref().is_some_and(|r| r.is_match(b)),
            _ => false,
        },
        TestOp::IsSubset(net) => match v {
            V::Str(s) => {
                let outer = parse_net(net, true).map_err(eval_err)?;
                let inner = parse_net(s, false).map_err(eval_err)?;
                net_contains(outer, inner)
            }
            _ => false,
        },
        TestOp::IsSuperset(net) => match v {
            V::Str(s) => {
                let outer = parse_net(s, true).map_err(eval_err)?;
                let inner = parse_net(net, false).map_err(eval_err)?;
                net_contains(outer, inner)
            }
            _ => false,
        },
        TestOp::Exists => true,
    };
    Ok(result != t.negated)
}
