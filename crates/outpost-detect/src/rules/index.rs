//! The rule index: anchor literals (whole values, basenames, substrings through one
//! Aho-Corasick automaton per field) that narrow the rules an event is tested against.

use super::*;

/// Rules sharing an anchor field, by anchor literal.
#[derive(Debug)]
pub(super) struct AnchorGroup {
    pub(super) fields: Vec<Field>,
    /// Key = the value's last path component (for `endswith '\\name'` anchors).
    pub(super) basename: bool,
    /// Keys are substrings (`contains` anchors), found in the value by one automaton.
    pub(super) contains: bool,
    /// Keys are lower-cased (case-insensitive anchors).
    pub(super) ci: bool,
    pub(super) map: HashMap<String, Vec<u32>>,
    /// For `contains` groups: every key, and the rules of the key with the same index.
    pub(super) ac: Option<aho_corasick::AhoCorasick>,
    pub(super) ac_rules: Vec<Vec<u32>>,
}

impl AnchorGroup {
    pub(super) fn build_automaton(&mut self) {
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

    #[inline]
    pub(super) fn lookup_str(&self, v: &str, f: &mut impl FnMut(&[u32])) {
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

    #[inline]
    pub(super) fn lookup(&self, e: &Event, mut f: impl FnMut(&[u32])) {
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
pub(super) type Anchor = (Vec<Field>, bool, bool, bool, Vec<String>);

/// The anchor slots of a rule's condition: for a conjunction, every anchored conjunct (each
/// must hold, so each needs a hit; the most selective first, at most [`MAX_SLOTS`]); for
/// anything else its anchors as one slot. Empty: not anchored.
pub(super) fn anchor_slots(cond: &Node) -> Vec<Vec<Anchor>> {
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
pub(super) fn anchors_of(cond: &Node) -> Option<Vec<Anchor>> {
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

/// The anchor of `m`'s own patterns on the fields of `l`: whole values, or substrings when
/// `contains`.
fn patterns_anchor(l: &crate::matcher::Leaf, m: &StrMatch, contains: bool) -> Anchor {
    let keys = m.patterns().to_vec();
    (
        l.fields.clone(),
        false,
        contains,
        m.case_insensitive(),
        keys,
    )
}

pub(super) fn leaf_anchor(l: &crate::matcher::Leaf) -> Option<Anchor> {
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
            StrKind::Eq => return Some(patterns_anchor(l, m, false)),
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
                    return Some(patterns_anchor(l, m, true));
                }
            }
            // A prefix is a substring too.
            StrKind::StartsWith | StrKind::Contains
                if m.patterns().iter().all(|p| !p.is_empty()) =>
            {
                return Some(patterns_anchor(l, m, true));
            }
            _ => {}
        }
    }
    None
}
