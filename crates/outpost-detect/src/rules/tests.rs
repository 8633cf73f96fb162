use super::*;
use outpost_core::EventKind;

use crate::test_events::exec as ev;

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
