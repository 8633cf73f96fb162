use super::*;
use crate::indicator::Scored;
use crate::rules::RuleSet;
use chrono::{TimeZone, Utc};

use crate::test_events::exec as ev;

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

/// The rule set of the native rule `run` (process names starting with `x`) and the Sigma
/// `correlations` (documents after it).
fn with_run(correlations: &str) -> RuleSet {
    let y = format!(
        "rules:\n  - id: run\n    condition: {{field: process.name, startswith: x}}\n{correlations}"
    );
    RuleSet::from_yaml(&y, Path::new("t.yml"), &SigmaOptions::default()).unwrap()
}

#[test]
fn upper_bounds_are_decided_when_the_window_is_over() {
    let set = with_run(
        r#"---
title: few
id: few
correlation:
  type: value_count
  rules: [run]
  group-by: [process.uid]
  timespan: 10s
  condition: {field: process.name, lte: 2}
"#,
    );
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
    let set = with_run(
        r#"---
title: per name
id: per-name
correlation:
  type: event_count
  rules: [run]
  group-by: [process.name]
  timespan: 1h
  condition: {gte: 2}
"#,
    );
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
    // (id, correlation, why it is not loaded)
    let cases = [
        (
            "e1",
            "{type: event_count, rules: [run], timespan: 1m}",
            "event_count needs a `condition`",
        ),
        (
            "e2",
            "{type: value_sum, rules: [run], timespan: 1m}",
            "type 'value_sum' is not supported",
        ),
        (
            "e3",
            "{type: temporal, rules: [run, nope], timespan: 1m}",
            "referred rule 'nope' is not loaded",
        ),
        (
            "e4",
            "{type: temporal, rules: [run], timespan: soon}",
            "invalid timespan 'soon'",
        ),
        (
            "e5",
            "{type: temporal, rules: [run], group-by: [NoSuchField], timespan: 1m}",
            "group-by 'NoSuchField': 'NoSuchField' is not an Outpost event field",
        ),
        // A loop: e6 refers to e7, which refers to e6.
        ("e6", "{type: temporal, rules: [e7], timespan: 1m}", "cycle"),
        (
            "e7",
            "{type: temporal, rules: [e6], timespan: 1m}",
            "referred rule 'e6' is not loaded",
        ),
    ];
    let set = with_run(
        &cases
            .iter()
            .map(|(id, c, _)| format!("---\ntitle: rule {id}\nid: {id}\ncorrelation: {c}\n"))
            .collect::<String>(),
    );
    let unsupported = set.unsupported();
    assert_eq!(unsupported.len(), cases.len(), "{unsupported:#?}");
    let why: std::collections::HashMap<&str, &str> = unsupported
        .iter()
        .map(|u| (u.rule_id.as_str(), u.reason.as_str()))
        .collect();
    for (id, _, want) in cases {
        assert!(
            why.get(id).is_some_and(|r| r.contains(want)),
            "{id}: {why:?}"
        );
    }
    assert!(set.correlations().is_empty());
}
