//! Attack models: the graph an intrusion set, its attack patterns (the steps) and their
//! indicators form in a bundle.
//!
//! Relationships followed:
//!
//! * `intrusion-set --uses--> attack-pattern`: the step is one the intrusion set starts from;
//! * `attack-pattern --related-to|uses--> attack-pattern`: the chain, source before target
//!   (`related-to` has no direction in STIX; Outpost reads it as written, source first);
//! * `indicator --indicates--> attack-pattern`: the step's indicators.
//!
//! A step's **order** is 1 for the steps an intrusion set starts from (those it `uses` that
//! no other step it reaches leads to; when every one is led to — a cycle — the first in the
//! bundle), then one more per chain relationship, breadth first, each step visited once (so a
//! cycle ends where it closes). A step reached by several intrusion sets lists them all and
//! keeps its smallest order. Attack patterns no intrusion set reaches are steps of their own
//! chain (no intrusion set). Everything else — other relationship types, relationships to
//! objects outside the bundle, indicators that indicate an intrusion set directly, self-loops
//! — is listed in [`AttackGraph::ignored`].

use crate::model::{Bundle, StixObject};
use outpost_core::sighting::{AttackEdge, AttackGraph, AttackLink, AttackStep, StepIndicator};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// The attack model of a bundle (see the module docs).
pub fn attack_graph(bundle: &Bundle) -> AttackGraph {
    let mut g = AttackGraph::default();
    // Attack patterns and intrusion sets, in bundle order.
    let mut steps: Vec<AttackStep> = Vec::new();
    let mut step_at: HashMap<&str, usize> = HashMap::new();
    let mut is_at: HashMap<&str, usize> = HashMap::new();
    for o in &bundle.objects {
        match o {
            StixObject::AttackPattern(ap) if !step_at.contains_key(ap.common.id.as_str()) => {
                step_at.insert(&ap.common.id, steps.len());
                steps.push(AttackStep {
                    id: ap.common.id.clone(),
                    name: ap.name.clone(),
                    mitre_id: ap.mitre_id().map(String::from),
                    order: 0,
                    intrusion_sets: Vec::new(),
                    indicators: Vec::new(),
                });
            }
            StixObject::IntrusionSet(is) if !is_at.contains_key(is.common.id.as_str()) => {
                is_at.insert(&is.common.id, g.intrusion_sets.len());
                g.intrusion_sets.push(AttackLink {
                    id: is.common.id.clone(),
                    name: is.name.clone(),
                    mitre_id: None,
                });
            }
            _ => {}
        }
    }
    let mut uses: Vec<Vec<usize>> = vec![Vec::new(); g.intrusion_sets.len()];
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    let mut ignored_types: BTreeMap<String, usize> = BTreeMap::new();
    for o in &bundle.objects {
        let StixObject::Relationship(r) = o else {
            continue;
        };
        let (src, dst) = (r.source_ref.as_str(), r.target_ref.as_str());
        let rt = r.relationship_type.as_str();
        let missing = [src, dst].into_iter().find(|id| bundle.get(id).is_none());
        if let Some(m) = missing {
            if matches!(rt, "uses" | "related-to" | "indicates") {
                g.ignored.push(format!(
                    "{}: {rt} refers to {m}, which is not in the bundle",
                    r.common.id
                ));
            }
            continue;
        }
        match (rt, is_at.get(src), step_at.get(src), step_at.get(dst)) {
            ("uses", Some(&i), _, Some(&s)) => {
                if !uses[i].contains(&s) {
                    uses[i].push(s);
                    g.edges.push(edge(src, dst, rt));
                }
            }
            ("uses" | "related-to", _, Some(&a), Some(&b)) => {
                if a == b {
                    g.ignored.push(format!("{}: {rt} of {src} to itself", r.common.id));
                } else if !next[a].contains(&b) {
                    next[a].push(b);
                    g.edges.push(edge(src, dst, rt));
                }
            }
            ("indicates", _, _, Some(&s)) => match bundle.get(src) {
                Some(StixObject::Indicator(ind)) => {
                    if !steps[s].indicators.iter().any(|x| x.id == ind.common.id) {
                        steps[s].indicators.push(StepIndicator {
                            id: ind.common.id.clone(),
                            name: ind.name.clone().unwrap_or_default(),
                            pattern: ind.pattern.clone(),
                        });
                    }
                }
                _ => g
                    .ignored
                    .push(format!("{}: indicates from {src}, not an indicator", r.common.id)),
            },
            ("indicates", _, _, None) if is_at.contains_key(dst) => g.ignored.push(format!(
                "{}: {src} indicates the intrusion set {dst} directly: no step; its sightings name the intrusion set only",
                r.common.id
            )),
            _ => *ignored_types.entry(format!("{rt} ({} → {})", kind(src), kind(dst))).or_default() += 1,
        }
    }
    for (what, n) in ignored_types {
        g.ignored.push(format!(
            "{n} relationship(s) {what}: not part of an attack model"
        ));
    }
    // Order: breadth first from each intrusion set's starting steps, then the orphans.
    let mut reached = vec![false; steps.len()];
    for (i, used) in uses.iter().enumerate() {
        let reach = reachable(used, &next);
        let led_to: HashSet<usize> = reach
            .iter()
            .flat_map(|&s| next[s].iter().copied())
            .collect();
        let mut roots: Vec<usize> = used
            .iter()
            .copied()
            .filter(|s| !led_to.contains(s))
            .collect();
        if roots.is_empty() {
            roots.extend(used.first());
        }
        for (s, order) in orders(&roots, used, &next) {
            reached[s] = true;
            let st = &mut steps[s];
            st.order = if st.order == 0 {
                order
            } else {
                st.order.min(order)
            };
            st.intrusion_sets.push(g.intrusion_sets[i].id.clone());
        }
    }
    let orphans: Vec<usize> = (0..steps.len()).filter(|&s| !reached[s]).collect();
    if !orphans.is_empty() {
        let led_to: HashSet<usize> = orphans
            .iter()
            .flat_map(|&s| next[s].iter().copied())
            .collect();
        let roots: Vec<usize> = orphans
            .iter()
            .copied()
            .filter(|s| !led_to.contains(s))
            .collect();
        for (s, order) in orders(&roots, &orphans, &next) {
            if steps[s].order == 0 {
                steps[s].order = order;
            }
        }
        for &s in &orphans {
            g.ignored.push(format!(
                "{}: no intrusion set uses this attack pattern or a step before it",
                steps[s].id
            ));
        }
    }
    steps.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.name.cmp(&b.name)));
    g.steps = steps;
    g
}

fn edge(source: &str, target: &str, rt: &str) -> AttackEdge {
    AttackEdge {
        source: source.to_string(),
        target: target.to_string(),
        relationship_type: rt.to_string(),
    }
}

/// The type part of a STIX id.
fn kind(id: &str) -> &str {
    id.split("--").next().unwrap_or(id)
}

/// Every step reachable from `from` along the chain (including `from`).
fn reachable(from: &[usize], next: &[Vec<usize>]) -> HashSet<usize> {
    let mut seen: HashSet<usize> = from.iter().copied().collect();
    let mut stack: Vec<usize> = from.to_vec();
    while let Some(s) = stack.pop() {
        for &n in &next[s] {
            if seen.insert(n) {
                stack.push(n);
            }
        }
    }
    seen
}

/// Breadth-first orders from `roots` (order 1); steps of `also` not reached that way start a
/// walk of their own at order 1 (a cycle, or a start led to only from inside a cycle).
fn orders(roots: &[usize], also: &[usize], next: &[Vec<usize>]) -> Vec<(usize, u32)> {
    let mut order: HashMap<usize, u32> = HashMap::new();
    let mut out = Vec::new();
    let starts = roots.iter().chain(also.iter());
    for &start in starts {
        if order.contains_key(&start) {
            continue;
        }
        let mut queue = VecDeque::from([(start, 1u32)]);
        order.insert(start, 1);
        while let Some((s, o)) = queue.pop_front() {
            out.push((s, o));
            for &n in &next[s] {
                if let std::collections::hash_map::Entry::Vacant(v) = order.entry(n) {
                    v.insert(o + 1);
                    queue.push_back((n, o + 1));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn ap(n: u32) -> Value {
        json!({"type": "attack-pattern", "spec_version": "2.1", "id": format!("attack-pattern--00000000-0000-4000-8000-{n:012}"), "name": format!("step {n}")})
    }
    fn is(n: u32) -> Value {
        json!({"type": "intrusion-set", "spec_version": "2.1", "id": format!("intrusion-set--00000000-0000-4000-8000-{n:012}"), "name": format!("set {n}")})
    }
    fn rel(n: u32, t: &str, s: &str, d: &str) -> Value {
        json!({"type": "relationship", "spec_version": "2.1", "id": format!("relationship--00000000-0000-4000-9000-{n:012}"),
               "relationship_type": t, "source_ref": s, "target_ref": d})
    }
    fn id(v: &Value) -> String {
        v["id"].as_str().unwrap().to_string()
    }
    fn graph(objects: Vec<Value>) -> AttackGraph {
        let b = Bundle::from_json(&json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objects})).unwrap();
        attack_graph(&b)
    }
    fn order_of(g: &AttackGraph, v: &Value) -> (u32, Vec<String>) {
        let s = g.steps.iter().find(|s| s.id == id(v)).unwrap();
        (s.order, s.intrusion_sets.clone())
    }

    #[test]
    fn a_chain_gives_every_step_its_intrusion_set_and_order() {
        let (s1, s2, s3) = (ap(1), ap(2), ap(3));
        let set = is(9);
        let g = graph(vec![
            s3.clone(),
            s2.clone(),
            s1.clone(),
            set.clone(),
            rel(1, "uses", &id(&set), &id(&s1)),
            rel(2, "related-to", &id(&s1), &id(&s2)),
            rel(3, "related-to", &id(&s2), &id(&s3)),
            rel(4, "attributed-to", &id(&set), &id(&s1)),
        ]);
        assert_eq!(order_of(&g, &s1), (1, vec![id(&set)]));
        assert_eq!(order_of(&g, &s2), (2, vec![id(&set)]));
        assert_eq!(order_of(&g, &s3), (3, vec![id(&set)]));
        assert_eq!(
            g.steps.iter().map(|s| s.order).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(g.edges.len(), 3);
        assert!(
            g.ignored.iter().any(|l| l.contains("attributed-to")),
            "{:?}",
            g.ignored
        );
        assert_eq!(g.name(), "set 9");
    }

    #[test]
    fn cycles_end_and_shared_steps_list_every_intrusion_set() {
        let (s1, s2, s3, s4) = (ap(1), ap(2), ap(3), ap(4));
        let (a, b) = (is(8), is(9));
        let g = graph(vec![
            s1.clone(),
            s2.clone(),
            s3.clone(),
            s4.clone(),
            a.clone(),
            b.clone(),
            // a: 1 → 2 → 3 → 1 (a cycle), b: 4 → 3.
            rel(1, "uses", &id(&a), &id(&s1)),
            rel(2, "related-to", &id(&s1), &id(&s2)),
            rel(3, "uses", &id(&s2), &id(&s3)),
            rel(4, "related-to", &id(&s3), &id(&s1)),
            rel(5, "uses", &id(&b), &id(&s4)),
            rel(6, "related-to", &id(&s4), &id(&s3)),
            rel(7, "related-to", &id(&s4), &id(&s4)),
        ]);
        // b reaches the cycle through 3 (3 → 1 → 2): every step of it is b's too, and the
        // walk ends where the cycle closes.
        assert_eq!(order_of(&g, &s1), (1, vec![id(&a), id(&b)]));
        assert_eq!(order_of(&g, &s2), (2, vec![id(&a), id(&b)]));
        // Order 3 for a, 2 for b: the smallest.
        assert_eq!(order_of(&g, &s3), (2, vec![id(&a), id(&b)]));
        assert_eq!(order_of(&g, &s4), (1, vec![id(&b)]));
        assert!(g.ignored.iter().any(|l| l.contains("to itself")));
        // A set whose every used step is led to (a pure cycle) starts from the first.
        let g = graph(vec![
            s1.clone(),
            s2.clone(),
            a.clone(),
            rel(1, "uses", &id(&a), &id(&s2)),
            rel(2, "uses", &id(&a), &id(&s1)),
            rel(3, "related-to", &id(&s1), &id(&s2)),
            rel(4, "related-to", &id(&s2), &id(&s1)),
        ]);
        assert_eq!(order_of(&g, &s2), (1, vec![id(&a)]));
        assert_eq!(order_of(&g, &s1), (2, vec![id(&a)]));
    }

    #[test]
    fn orphans_and_dangling_references_are_listed() {
        let (s1, s2) = (ap(1), ap(2));
        let g = graph(vec![
            s1.clone(),
            s2.clone(),
            rel(1, "related-to", &id(&s1), &id(&s2)),
            rel(
                2,
                "uses",
                "intrusion-set--00000000-0000-4000-8000-000000000077",
                &id(&s1),
            ),
        ]);
        assert_eq!(order_of(&g, &s1), (1, vec![]));
        assert_eq!(order_of(&g, &s2), (2, vec![]));
        assert!(
            g.ignored.iter().any(|l| l.contains("not in the bundle")),
            "{:?}",
            g.ignored
        );
        assert!(
            g.ignored
                .iter()
                .any(|l| l.contains("no intrusion set uses"))
        );
        assert_eq!(g.name(), "attack patterns from 'step 1'");
    }
}
