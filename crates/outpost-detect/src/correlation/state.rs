//! Correlation state: windows and groups per (scope, correlation, group), bounded.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct GroupKey {
    pub(super) scope: String,
    /// The correlation's [`definition_key`] (stable across reloads).
    pub(super) corr: u64,
    pub(super) values: Vec<String>,
}

#[derive(Debug)]
pub(super) enum Window {
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
    pub(super) fn new(corr: &Correlation, now: i64) -> Window {
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
    pub(super) fn decide(
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
pub(super) struct Group {
    pub(super) last_seen: i64,
    pub(super) span: i64,
    pub(super) window: Window,
}

#[derive(Debug, Default)]
pub(super) struct StateInner {
    pub(super) groups: HashMap<GroupKey, Group>,
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

    pub(super) fn note_fired(&self) {
        self.fired.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::metrics::metrics().correlations_fired.inc();
    }

    pub(super) fn note_groups(&self, n: usize) {
        self.groups_gauge.store(n as u64, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::metrics::metrics()
            .correlation_groups
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, StateInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl StateInner {
    /// Makes room for one more group: expired groups first, then the least recently updated
    /// eighth (counted as evictions).
    pub(super) fn make_room(&mut self, state: &CorrelationState, now: i64) {
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
    pub(super) fn feed(
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
pub(super) fn add_fixed(
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
