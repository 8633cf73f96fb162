use super::*;

#[test]
fn base64_and_offsets() {
    assert_eq!(b64(b"hello"), "aGVsbG8=");
    assert_eq!(b64(b"hi!"), "aGkh");
    assert_eq!(b64(b""), "");
    // Every offset variant must be a substring of the encoding of the value at that offset.
    let v = b"Invoke-Mimikatz";
    let offs = b64_offsets(v);
    assert_eq!(offs.len(), 3);
    for (i, o) in offs.iter().enumerate() {
        let mut buf = b"XY".to_vec();
        buf.truncate(i);
        buf.extend_from_slice(v);
        buf.extend_from_slice(b"tail");
        assert!(
            b64(&buf).contains(o.as_str()),
            "offset {i}: {o} not in {}",
            b64(&buf)
        );
    }
}

#[test]
fn wildcards() {
    match wildcard_pattern(&wildcard_tokens("*\\rundll32.exe")) {
        Pat::Str(StrKind::EndsWith, s) => assert_eq!(s, "\\rundll32.exe"),
        _ => panic!(),
    }
    match wildcard_pattern(&wildcard_tokens("a*b")) {
        Pat::Regex(r) => assert_eq!(r, "^a(?s:.*)b$"),
        _ => panic!(),
    }
    match wildcard_pattern(&wildcard_tokens("lit\\*eral")) {
        Pat::Str(StrKind::Eq, s) => assert_eq!(s, "lit*eral"),
        _ => panic!(),
    }
    assert!(glob_match("sel*", "selection"));
    assert!(glob_match("*_ps", "filter_ps"));
    assert!(!glob_match("sel*", "filter"));
}

fn sysmon1(fields: &[(&str, &str)]) -> outpost_core::Event {
    let mut e = outpost_core::Event::new(chrono::Utc::now(), EventKind::Log, "evtx");
    e.log = Some(outpost_core::event::LogRecord {
        channel: SYSMON_CHANNEL.into(),
        event_id: Some(1),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    });
    e
}

const FIELDREF: &str = r#"
title: Process spawned under another user
id: fr-1
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\cmd.exe'
    filter_same_user:
        User|fieldref: ParentUser
    condition: selection and not filter_same_user
---
title: Image under its parent's directory
id: fr-2
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|fieldref|startswith: CurrentDirectory
    condition: selection
"#;

#[test]
fn fieldref_compares_two_fields_of_the_event() {
    let set =
        crate::RuleSet::from_yaml(FIELDREF, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
    assert!(set.unsupported().is_empty(), "{:?}", set.unsupported());
    let ids = |f: &[(&str, &str)]| -> Vec<String> {
        set.matching_ids(&sysmon1(f))
            .into_iter()
            .map(String::from)
            .collect()
    };
    let img = ("Image", "C:\\Windows\\System32\\cmd.exe");
    // Same user (ignoring case): filtered out; another user: fires.
    assert!(ids(&[img, ("User", "CORP\\bob"), ("ParentUser", "corp\\BOB")]).is_empty());
    assert_eq!(
        ids(&[
            img,
            ("User", "CORP\\bob"),
            ("ParentUser", "NT AUTHORITY\\SYSTEM")
        ]),
        ["fr-1"]
    );
    // The parent's user missing: the `not` filter passes (Sigma: a filter on a missing field).
    assert_eq!(ids(&[img, ("User", "CORP\\bob")]), ["fr-1"]);
    assert_eq!(
        ids(&[
            ("Image", "C:\\Tools\\x.exe"),
            ("CurrentDirectory", "c:\\tools\\")
        ]),
        ["fr-2"]
    );
    assert!(
        ids(&[
            ("Image", "C:\\Tools\\x.exe"),
            ("CurrentDirectory", "C:\\Temp\\")
        ])
        .is_empty()
    );
}

#[test]
fn expand_uses_placeholder_values_or_says_which_is_missing() {
    let y = r#"
title: Not from a known DC
id: ex-1
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4886
    filter:
        Attributes|contains|expand: '%known_cdcs%'
    condition: selection and not filter
"#;
    let set = crate::RuleSet::from_yaml(y, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
    assert_eq!(set.len(), 0);
    assert!(
        set.unsupported()[0]
            .reason
            .contains("placeholder '%known_cdcs%' has no values"),
        "{:?}",
        set.unsupported()
    );
    let opts = SigmaOptions {
        placeholders: parse_placeholders("'%known_cdcs%': [dc01.corp, 10.0.0.10]\n").unwrap(),
        ..Default::default()
    };
    let set = crate::RuleSet::from_yaml(y, Path::new("t.yml"), &opts).unwrap();
    assert!(set.unsupported().is_empty(), "{:?}", set.unsupported());
    let ev = |attrs: &str| {
        let mut e = outpost_core::Event::new(chrono::Utc::now(), EventKind::Log, "evtx");
        e.log = Some(outpost_core::event::LogRecord {
            channel: "Security".into(),
            event_id: Some(4886),
            fields: [("Attributes".to_string(), attrs.to_string())].into(),
            ..Default::default()
        });
        e
    };
    assert!(set.matching_ids(&ev("ccm:DC01.corp")).is_empty());
    assert!(set.matching_ids(&ev("san:ip=10.0.0.10")).is_empty());
    assert_eq!(set.matching_ids(&ev("ccm:evil.example")), ["ex-1"]);
    // Placeholders inside a value, several values each.
    let p: BTreeMap<String, Vec<String>> = [
        ("a".into(), vec!["1".into(), "2".into()]),
        ("b".into(), vec!["x".into()]),
    ]
    .into();
    let got = expand_placeholders(&[J::String("pre%a%-%b%post".into())], Some(&p)).unwrap();
    assert_eq!(
        got,
        [
            J::String("pre1-xpost".into()),
            J::String("pre2-xpost".into())
        ]
    );
    assert!(expand_placeholders(&[J::String("%c%".into())], Some(&p)).is_err());
}

#[test]
fn condition_precedence() {
    let mut id = BTreeMap::new();
    id.insert("a", Node::True);
    id.insert("b", Node::False);
    id.insert("c", Node::True);
    let e = outpost_core::Event::new(chrono::Utc::now(), EventKind::Log, "t");
    // not binds tighter than and, and tighter than or.
    assert!(parse_condition("a or b and not c", &id).unwrap().eval(&e));
    assert!(!parse_condition("(a or b) and not c", &id).unwrap().eval(&e));
    assert!(parse_condition("1 of them", &id).unwrap().eval(&e));
    assert!(!parse_condition("all of them", &id).unwrap().eval(&e));
    assert!(parse_condition("a | count() > 5", &id).is_err());
    assert!(parse_condition("2 of them", &id).is_err());
    assert!(parse_condition("a and", &id).is_err());
    assert!(parse_condition("zzz", &id).is_err());
    assert!(parse_condition(&"(".repeat(500), &id).is_err());
}
