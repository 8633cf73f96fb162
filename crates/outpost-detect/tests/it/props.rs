//! Property tests: loading never panics on arbitrary YAML or strings, and evaluation never
//! panics on arbitrary events.

use chrono::{TimeZone, Utc};
use outpost_core::{
    ContainerInfo, Direction, Event, EventKind, FileAction, FileInfo, LogRecord, NetworkInfo,
    ParentInfo, ProcessInfo, Protocol,
};
use outpost_detect::static_engine::{StaticConfig, StaticEngine};
use outpost_detect::{Pipeline, RuleHandle, RuleSet, SigmaOptions};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const SAMPLE_RULES: &str = r#"
rules:
  - id: a
    score: 10
    condition:
      any:
        - {field: process.command_line, contains: [" -enc ", "curl"], nocase: true}
        - {field: network.remote_ip, cidr: [10.0.0.0/8, "::1/128"]}
        - {field: network.remote_port, gte: 1024}
        - {field: log.fields.Image, regex: '(?i)\\rundll32\.exe$'}
        - not: {field: file.path, exists: true}
    count: {window: 10s, group_by: process.exe, threshold: 2}
  - id: b
    condition: {all: [{field: process.name, equals: [sh, rundll32.exe], nocase: true}, {field: process.uid, lt: 1000}]}
  - id: c
    condition: {field: process.args, equals: ["", "0x1fffff"]}
---
title: t
id: s1
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\cmd.exe', CommandLine|contains|all: [a, b]}
  sel2: {Image|endswith: ['\rundll32.exe', '/sh'], EventID: 4688}
  k: [foo, 'b*r']
  condition: 1 of sel* or not k
"#;

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("rules:\n".to_string()),
        Just("  - id: x\n".to_string()),
        Just("    condition: {field: process.exe, equals: a}\n".to_string()),
        Just("    condition: {all: [{not: {field: kind, exists: true}}]}\n".to_string()),
        Just("title: t\n".to_string()),
        Just("logsource: {product: windows, service: security}\n".to_string()),
        Just("logsource: {product: linux, category: process_creation}\n".to_string()),
        Just("detection:\n".to_string()),
        Just("  sel: {EventID: 4688, CommandLine|base64offset|contains: x}\n".to_string()),
        Just("  sel2: {Image|re: '(', DestinationIp|cidr: 'x'}\n".to_string()),
        Just("  condition: sel and not (1 of sel* or all of them)\n".to_string()),
        Just("  condition: ((((sel\n".to_string()),
        Just("---\n".to_string()),
        Just("- [1, 2, {a: b}]\n".to_string()),
        "[ -~\n]{0,40}".prop_map(|s| s),
    ]
}

fn arb_str() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        Just(String::new()),
        Just("C:\\Windows\\System32\\rundll32.exe".into()),
        Just("10.1.2.3".into()),
        Just("0x1fffff".into())
    ]
}

fn arb_event() -> impl Strategy<Value = Event> {
    (
        0..EventKind::ALL.len(),
        proptest::option::of((
            any::<u32>(),
            proptest::option::of(arb_str()),
            proptest::option::of(arb_str()),
            proptest::collection::vec(arb_str(), 0..4),
            proptest::option::of(any::<u32>()),
        )),
        proptest::option::of((
            any::<[u8; 4]>(),
            any::<u16>(),
            proptest::option::of(arb_str()),
        )),
        proptest::option::of(arb_str()),
        proptest::option::of((
            arb_str(),
            proptest::option::of(any::<u32>()),
            proptest::collection::btree_map("[A-Za-z]{1,12}", arb_str(), 0..5),
        )),
        proptest::option::of(arb_str()),
        any::<i32>(),
    )
        .prop_map(|(k, p, n, f, l, c, ts)| {
            let mut e = Event::new(
                Utc.timestamp_opt(i64::from(ts), 0)
                    .single()
                    .unwrap_or_else(Utc::now),
                EventKind::ALL[k],
                "prop",
            );
            if let Some((pid, name, exe, args, uid)) = p {
                e.process = Some(std::sync::Arc::new(ProcessInfo {
                    pid,
                    name,
                    exe: exe.clone(),
                    command_line: Some(args.join(" ")),
                    args,
                    uid,
                    parent: Some(ParentInfo {
                        pid: 1,
                        exe,
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
            if let Some((ip, port, host)) = n {
                e.network = Some(NetworkInfo {
                    direction: Direction::Outbound,
                    protocol: Protocol::Other(200),
                    remote_ip: Some(std::net::IpAddr::from(ip)),
                    remote_port: Some(port),
                    remote_hostname: host,
                    ..Default::default()
                });
            }
            if let Some(path) = f {
                e.file = Some(FileInfo {
                    size: Some(u64::MAX),
                    ..FileInfo::new(FileAction::Write, path)
                });
            }
            if let Some((channel, eid, fields)) = l {
                e.log = Some(LogRecord {
                    channel,
                    provider: None,
                    event_id: eid,
                    record_id: Some(u64::MAX),
                    computer: None,
                    fields,
                });
            }
            if let Some(img) = c {
                e.container = Some(ContainerInfo {
                    id: "c".into(),
                    runtime: "docker".into(),
                    name: None,
                    image: Some(img),
                });
            }
            e.labels = BTreeMap::new();
            e
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn loading_arbitrary_text_never_panics(s in "\\PC{0,300}") {
        let _ = RuleSet::from_yaml(&s, Path::new("p.yml"), &SigmaOptions::default());
    }

    #[test]
    fn loading_yaml_like_fragments_never_panics(parts in proptest::collection::vec(fragment(), 0..14)) {
        let s: String = parts.concat();
        let _ = RuleSet::from_yaml(&s, Path::new("p.yml"), &SigmaOptions::default());
    }

    #[test]
    fn evaluation_never_panics(events in proptest::collection::vec(arb_event(), 1..8)) {
        let set = RuleSet::from_yaml(SAMPLE_RULES, Path::new("s.yml"), &SigmaOptions::default()).expect("sample rules");
        prop_assert_eq!(set.len(), 4);
        let p = Pipeline::new()
            .with_static(StaticEngine::new(&StaticConfig::default(), None).expect("static"))
            .with_rules(RuleHandle::fixed(set))
            .with_profiles(std::sync::Arc::new(outpost_detect::profile::ProfileEngine::in_memory(Default::default())));
        let naive_set = RuleSet::from_yaml(SAMPLE_RULES, Path::new("s.yml"), &SigmaOptions::default()).expect("sample rules");
        for e in &events {
            // The kind / event-id / anchor indexes select exactly the rules a full scan matches.
            let fast = naive_set.matching_ids(e);
            let bit = outpost_detect::field::kind_bit(e.kind);
            let slow: Vec<&str> = naive_set.rules().iter().filter(|r| r.kinds & bit != 0 && r.cond.eval(e)).map(|r| r.id.as_str()).collect();
            prop_assert_eq!(fast, slow);
            let s = p.score(e);
            let sum: i64 = s.indicators.iter().map(|i| i64::from(i.score)).sum();
            prop_assert_eq!(sum, s.risk_score);
        }
    }
}
