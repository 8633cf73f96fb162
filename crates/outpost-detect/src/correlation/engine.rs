//! Correlation definitions resolved against the rule set, and the matches fed to them.

use super::*;

/// Tokens kept per fired correlation (the events shown with it).
pub(super) const MAX_TOKENS: usize = 64;

/// The value of a field as a group key / value string (`None` when absent).
pub(super) fn value_text(v: Option<Value<'_>>) -> Option<String> {
    Some(match v? {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Ip(ip) => ip.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(l) => l.join(" "),
    })
}

pub(super) fn read(fields: &[Field], e: &Event) -> Option<String> {
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
        for (i, d) in defs.into_iter().enumerate() {
            let Some(refs) = resolved[i].clone() else {
                continue;
            };
            let fields = fields_of(&d, &refs, &resolved, rules);
            let (group_fields, value_fields) = match fields {
                Ok(f) => f,
                Err(e) => {
                    // Correlations chained on this one stay registered but never receive
                    // input; report this one.
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
            };
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
        out.quiet.retain(|b| !loud.contains(b));
        out.drop_failed(&bad);
        (out, bad)
    }

    /// Drops the correlations whose fields failed (reported in `bad`): their consumers'
    /// inputs stay empty, and the others are renumbered.
    pub(super) fn drop_failed(&mut self, bad: &[Unsupported]) {
        // A correlation whose fields failed was reported: drop it from the list and its
        // consumers' inputs stay empty. Keep indices stable by leaving it with no refs.
        let failed: HashSet<String> = bad.iter().map(|u| u.rule_id.clone()).collect();
        let list = std::mem::take(&mut self.list);
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
        for v in self.by_rule.values_mut() {
            remap(v);
        }
        let mut by_corr = vec![Vec::new(); k as usize];
        for (i, mut v) in std::mem::take(&mut self.by_corr).into_iter().enumerate() {
            if keep_index[i] != u32::MAX {
                remap(&mut v);
                by_corr[keep_index[i] as usize] = v;
            }
        }
        self.by_corr = by_corr;
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
        self.keys = list.iter().map(|c| definition_key(&c.def)).collect();
        self.by_key = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect();
        self.list = list;
    }

    /// The state key of correlation `c` (see [`definition_key`]).
    pub(super) fn key_of(&self, c: u32) -> u64 {
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

/// The base rule that defines the fields of a reference (the first rule of a chain).
fn base_rule(refs: &[Option<Vec<Ref>>], r: Ref, depth: usize) -> Option<u32> {
    match r {
        Ref::Rule(i) => Some(i),
        Ref::Corr(j) if depth < 64 => {
            base_rule(refs, *refs.get(j as usize)?.as_ref()?.first()?, depth + 1)
        }
        Ref::Corr(_) => None,
    }
}

/// Per-reference group-by fields and per-reference value fields.
type RefFields = (Vec<Vec<Vec<Field>>>, Vec<Vec<Field>>);

/// The fields a correlation reads from the matches of each rule it refers to: its group-by
/// names (through its aliases) and `value_count`'s field, mapped by the base rule's log source.
fn fields_of(
    d: &CorrelationDef,
    refs: &[Ref],
    resolved: &[Option<Vec<Ref>>],
    rules: &[CompiledRule],
) -> Result<RefFields, String> {
    let mut group_fields = Vec::new();
    let mut value_fields = Vec::new();
    for (pos, r) in refs.iter().enumerate() {
        let rname = &d.rules[pos];
        let base = base_rule(resolved, *r, 0).and_then(|b| rules.get(b as usize));
        let map = |name: &str| -> Result<Vec<Field>, String> {
            match base {
                Some(rule) => crate::sigma::map_field_for(rule, name),
                None => Err(format!("cannot resolve fields through '{rname}'")),
            }
        };
        let mut gf = Vec::new();
        // The first failing group-by is reported, unless the value field fails too.
        let mut err = None;
        for g in &d.group_by {
            let actual = d
                .aliases
                .get(g)
                .map(|m| {
                    m.get(rname)
                        .or_else(|| base.and_then(|b| b.sigma_name.as_ref().and_then(|n| m.get(n))))
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
        match &d.field {
            Some(f) => match map(f) {
                Ok(f) => value_fields.push(f),
                Err(e) => err = Some(format!("field '{f}': {e}")),
            },
            None => value_fields.push(Vec::new()),
        }
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok((group_fields, value_fields))
}
