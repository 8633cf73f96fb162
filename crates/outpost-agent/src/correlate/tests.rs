use super::scan::{scan_intel_with, scan_with};
use super::*;
use crate::buffer::Pending;
use crate::buffer::Segment;
use outpost_core::EventKind;
use outpost_intel::IntelSet;
use outpost_sensors::line::{parse_ip, parse_v4};
use proptest::prelude::*;

fn hotlist() -> Hotlist {
    let (h, _) = Hotlist::parse(
        "1.2.3.4 3\n10.0.0.0/8 1\n2001:db8::/32\n",
        "test",
        &Default::default(),
    )
    .unwrap();
    h
}

fn event_line(i: usize, ip: &str, proc_: &str) -> String {
    format!(
        r#"{{"ts":"2026-11-23T10:{:02}:{:02}.{:03}Z","kind":"network","source":"t","process":{{"pid":{},"name":"{proc_}","exe":"/usr/bin/{proc_}"}},"network":{{"direction":"outbound","protocol":"tcp","remote_ip":"{ip}","remote_port":{}}}}}"#,
        (i / 60) % 60,
        i % 60,
        i % 1000,
        100 + i % 7,
        1000 + i % 5
    )
}

/// A line of one of many shapes: compact hits and misses, pretty-printed, repeated key,
/// malformed, blank, non-network, unusual addresses.
fn any_line(kind: u8, i: usize) -> String {
    let ips = [
        "1.2.3.4",
        "10.9.8.7",
        "8.8.8.8",
        "2001:db8::1",
        "::ffff:1.2.3.4",
        "01.2.3.4",
        "1.2.3.4 ",
        "256.1.1.1",
        "",
    ];
    let procs = ["curl", "sshd", ""];
    let ip = ips[i % ips.len()];
    let p = procs[i % procs.len()];
    match kind % 8 {
        0..=2 => event_line(i, ip, p),
        3 => event_line(i, ip, p).replace(r#""remote_ip":""#, r#""remote_ip": ""#),
        4 => format!(
            r#"{{"x":{{"remote_ip":"1.2.3.4"}},"y":{}}}"#,
            event_line(i, ip, p)
        ),
        5 => format!("{{not json remote_ip {i}"),
        6 => "   \r".to_string(),
        _ => format!(
            r#"{{"ts":"2026-11-23T10:00:00Z","kind":"process_exec","source":"t","labels":{{"n":"{i}"}}}}"#
        ),
    }
}

/// A hit from a bundle says which indicator matched (kind, value, source,
/// score, tags, first/last seen, expiry), and entries that have expired do not match.
#[test]
fn hit_names_the_matching_indicator_and_expired_entries_do_not_match() {
    use outpost_intel::bundle::{BundleSpec, build_bundle, verify};
    use outpost_intel::{Indicator, IndicatorValue, IntelSet, SigningKey};
    let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let mut set = IntelSet::new();
    let mut live = Indicator::new(
        IndicatorValue::Net("203.0.113.0/24".parse().unwrap()),
        "abuse.ch",
    )
    .with_score(Some(8))
    .with_expiry(Some(t("2026-12-01T00:00:00Z")));
    live.tags = vec!["botnet".into(), "emotet".into()];
    live.first_seen = Some(t("2026-10-01T00:00:00Z"));
    live.last_seen = Some(t("2026-11-20T00:00:00Z"));
    set.insert(live);
    set.insert(
        Indicator::new(
            IndicatorValue::Net("198.51.100.9/32".parse().unwrap()),
            "otx",
        )
        .with_score(Some(5))
        .with_expiry(Some(t("2026-11-23T09:00:00Z"))),
    );
    let key = SigningKey::from_bytes(&[7; 32]);
    let spec = BundleSpec {
        version: "v1".into(),
        created: t("2026-11-23T08:00:00Z"),
        ttl: std::time::Duration::from_secs(86_400),
        filter_mode: false,
        source: "tenant-bundle".into(),
    };
    let bytes = build_bundle(&set, &spec, &key).unwrap();
    let b = verify(&bytes, &key.verifying_key(), t("2026-11-23T10:00:00Z")).unwrap();
    let line = |ip: &str| event_line(1, ip, "curl");
    let mut c = Correlator::new(b.hotlist(), 3).at(t("2026-11-23T10:00:00Z"));
    c.line(line("203.0.113.50").as_bytes());
    c.line(line("198.51.100.9").as_bytes());
    let (groups, stats) = c.finish();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!((stats.matched, stats.expired), (1, 1));
    let m = &groups[0].intel;
    assert_eq!(m.indicator, "203.0.113.0/24");
    assert_eq!(m.kind.as_deref(), Some("ip"));
    assert_eq!((m.source.as_deref(), m.score), (Some("abuse.ch"), Some(8)));
    assert_eq!(m.tags, vec!["botnet", "emotet"]);
    assert_eq!(m.first_seen, Some(t("2026-10-01T00:00:00Z")));
    assert_eq!(m.last_seen, Some(t("2026-11-20T00:00:00Z")));
    assert_eq!(m.expires, Some(t("2026-12-01T00:00:00Z")));
    // Before its expiry the other entry matches too.
    let mut c = Correlator::new(b.hotlist(), 3).at(t("2026-11-23T08:30:00Z"));
    c.line(line("198.51.100.9").as_bytes());
    let (groups, _) = c.finish();
    assert_eq!(groups[0].intel.source.as_deref(), Some("otx"));
    assert_eq!(groups[0].intel.indicator, "198.51.100.9/32");
}

/// The reference: every complete line of every segment fed through `Correlator::line`,
/// one by one, in order.
fn reference(p: &Pending, h: &Hotlist) -> (Vec<Group>, ScanStats, Option<crate::state::Position>) {
    let mut c = Correlator::new(h, 3);
    let mut end = None;
    for seg in &p.segments {
        let data = std::fs::read(&seg.path).unwrap();
        let data = &data[seg.start as usize..seg.end as usize];
        let complete = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
        for line in data[..complete].split(|&b| b == b'\n') {
            c.line(line);
        }
        c.stats.bytes += complete as u64;
        end = Some(crate::state::Position {
            file: seg.name.clone(),
            offset: seg.start + complete as u64,
        });
    }
    let (g, s) = c.finish();
    (g, s, end)
}

fn write_pending(dir: &std::path::Path, files: &[(Vec<String>, bool, usize)]) -> Pending {
    let mut segments = Vec::new();
    for (n, (lines, partial_tail, skip)) in files.iter().enumerate() {
        let mut text = String::new();
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        if *partial_tail {
            text.push_str(r#"{"ts":"2026-11-23T10:00:00Z","network":{"remote_ip":"1.2.3.4""#);
        }
        let name = format!("events_20261123_{n:02}.jsonl");
        let path = dir.join(&name);
        std::fs::write(&path, &text).unwrap();
        // Start after `skip` complete lines (a previous run's position).
        let start = text
            .match_indices('\n')
            .nth(skip.saturating_sub(1))
            .filter(|_| *skip > 0)
            .map_or(0, |(i, _)| i as u64 + 1);
        segments.push(Segment {
            name,
            path,
            start,
            end: text.len() as u64,
        });
    }
    Pending { segments }
}

#[test]
fn fast_v4_parser_agrees_with_std() {
    for s in [
        "1.2.3.4",
        "0.0.0.0",
        "255.255.255.255",
        "256.0.0.1",
        "01.2.3.4",
        "1.2.3",
        "1.2.3.4.5",
        "1..2.3",
        "1.2.3.4 ",
        " 1.2.3.4",
        "1.2.3.04",
        "1.2.3.400",
        "1111.2.3.4",
        "a.b.c.d",
        "10.0.0.0",
        "1.2.3.-4",
        "+1.2.3.4",
        "",
    ] {
        let std = s.parse::<IpAddr>().ok();
        assert_eq!(parse_ip(s.as_bytes()), std, "{s:?}");
        if let Some(v4) = parse_v4(s.as_bytes()) {
            assert_eq!(Some(IpAddr::V4(v4)), std, "{s:?}");
        }
    }
}

#[test]
fn filter_matches_are_grouped_and_marked_unconfirmed() {
    let d = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..300)
        .map(|i| {
            let ip = ["1.2.3.4", "198.51.100.7", "9.9.9.9"][i % 3];
            event_line(i, ip, "curl")
        })
        .collect();
    let p = write_pending(d.path(), &[(lines, false, 0)]);
    let h = hotlist();
    let f = IpFilter::build(["198.51.100.7".parse().unwrap()]).unwrap();
    for threads in [1, 3] {
        let s = scan_with(&p, &h, Some(&f), 3, threads, 1, 512).unwrap();
        assert_eq!(s.stats.matched, 200, "{threads} threads");
        let by_ip: HashMap<String, &Group> = s
            .groups
            .iter()
            .map(|g| (g.remote_ip.unwrap().to_string(), g))
            .collect();
        let exact = by_ip["1.2.3.4"];
        assert!(!exact.unconfirmed);
        assert_eq!(exact.intel.score, Some(3));
        let filtered = by_ip["198.51.100.7"];
        assert!(filtered.unconfirmed);
        assert_eq!(filtered.count, 100);
        assert_eq!(filtered.intel.source.as_deref(), Some("filter"));
        assert!(!by_ip.contains_key("9.9.9.9"));
    }
    // Without the filter only the exact ranges match.
    let s = scan_with(&p, &h, None, 3, 1, 1, 512).unwrap();
    assert_eq!(s.stats.matched, 100);
}

#[test]
fn groups_events_and_samples_in_buffer_order() {
    let d = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..400)
        .map(|i| event_line(i, if i % 3 == 0 { "1.2.3.4" } else { "9.9.9.9" }, "curl"))
        .collect();
    let p = write_pending(d.path(), &[(lines, false, 0)]);
    let h = hotlist();
    for threads in [1, 2, 3, 8] {
        let s = scan_with(&p, &h, None, 3, threads, 1, 512).unwrap();
        assert_eq!(s.stats.lines, 400);
        assert_eq!(s.stats.matched, 134);
        assert_eq!(s.groups.len(), 1);
        let g = &s.groups[0];
        assert_eq!(g.count, 134);
        let firsts: Vec<_> = g.samples.iter().map(|e| e.ts).collect();
        let expect: Vec<_> = [0, 3, 6]
            .iter()
            .map(|&i| {
                serde_json::from_str::<Event>(&event_line(i, "1.2.3.4", "curl"))
                    .unwrap()
                    .ts
            })
            .collect();
        assert_eq!(firsts, expect, "{threads} threads");
        assert_eq!(g.pid, Some(100));
        assert_eq!(g.remote_port, Some(1000));
    }
}

proptest! {
    #[test]
    fn fast_v4_parser_never_disagrees_with_std(s in "[0-9.]{0,16}|[0-9.:/a-f +-]{0,18}") {
        let std = s.parse::<IpAddr>().ok();
        if let Some(v4) = parse_v4(s.as_bytes()) {
            prop_assert_eq!(Some(IpAddr::V4(v4)), std);
        }
        prop_assert_eq!(parse_ip(s.as_bytes()), std);
    }

    #[test]
    fn fast_v4_parser_reads_every_canonical_address(a: u32) {
        let ip = std::net::Ipv4Addr::from(a);
        prop_assert_eq!(parse_v4(ip.to_string().as_bytes()), Some(ip));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn parallel_chunked_scan_equals_line_by_line(
        files in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..60), any::<bool>(), 0usize..5),
            1..4,
        ),
        threads in 1usize..5,
        min_part in 1u64..4000,
        chunk in 64usize..3000,
    ) {
        let d = tempfile::tempdir().unwrap();
        let files: Vec<(Vec<String>, bool, usize)> = files
            .into_iter()
            .map(|(kinds, tail, skip)| {
                let lines = kinds.iter().enumerate().map(|(i, &k)| any_line(k, i * 7 + k as usize)).collect();
                (lines, tail, skip)
            })
            .collect();
        let p = write_pending(d.path(), &files);
        let h = hotlist();
        let (g, stats, end) = reference(&p, &h);
        let s = scan_with(&p, &h, None, 3, threads, min_part, chunk).unwrap();
        prop_assert_eq!(&s.stats, &stats);
        prop_assert_eq!(&s.end, &end);
        prop_assert_eq!(s.groups, g);
    }
}

fn iocs() -> IntelSet {
    use outpost_intel::{Indicator, IndicatorValue};
    let mut set = IntelSet::new();
    for (kind, v) in [
        (IndicatorKind::ProcessName, "evil-tool"),
        (IndicatorKind::ProcessPath, "/opt/x/miner"),
        (IndicatorKind::Sha256, &"ab".repeat(32)),
        (IndicatorKind::Domain, "c2.example"),
        (IndicatorKind::DomainSuffix, "bad.example"),
    ] {
        set.insert(Indicator::new(IndicatorValue::parse(kind, v).unwrap(), "t"));
    }
    set
}

/// Lines of every kind the intel of [`iocs`] matches, in increasing time.
fn ioc_line(k: u8, i: usize) -> String {
    let ts = format!(
        "2026-11-23T10:{:02}:{:02}.{:03}Z",
        (i / 60) % 60,
        i % 60,
        i % 1000
    );
    let exec = |exe: &str, name: &str, hashes: &str| {
        format!(
            r#"{{"ts":"{ts}","kind":"process_exec","source":"t","process":{{"pid":{},"name":"{name}","exe":"{exe}"{hashes}}}}}"#,
            200 + i % 5
        )
    };
    let dns = |q: &str, a: &str, name: &str| {
        format!(
            r#"{{"ts":"{ts}","kind":"dns","source":"t","process":{{"pid":9,"name":"{name}"}},"dns":{{"query":"{q}","answers":["{a}"]}}}}"#
        )
    };
    match k % 10 {
        0 => exec("/usr/bin/evil-tool", "evil-tool", ""),
        1 => exec("/opt/x/miner", "miner", ""),
        2 => exec(
            "C:\\w\\x.exe",
            "x.exe",
            &format!(r#","hashes":{{"sha256":"{}"}}"#, "ab".repeat(32)),
        ),
        3 => exec("/usr/bin/ls", "ls", r#","hashes":{"sha256":"00"}"#),
        4 => dns("c2.example", "198.51.100.1", "app"),
        5 => dns("x.bad.example", "198.51.100.2", "app"),
        6 => dns("good.example", "198.51.100.3", "app"),
        7 => event_line(
            i,
            ["198.51.100.1", "198.51.100.2", "198.51.100.3"][i % 3],
            "curl",
        ),
        8 => event_line(i, "1.2.3.4", "curl"),
        _ => any_line(k, i),
    }
}

/// A connection to a listed domain's answer found in the same input is the
/// domain's (second pass), one to an unlisted name's answer is nothing, and answers from an
/// earlier run match in the first pass.
#[test]
fn connections_to_a_listed_domains_answers_are_its_hits() {
    let d = tempfile::tempdir().unwrap();
    let lines = vec![
        ioc_line(5, 0),
        ioc_line(6, 1),
        event_line(2, "198.51.100.2", "curl"),
        event_line(3, "198.51.100.3", "curl"),
    ];
    let p = write_pending(d.path(), &[(lines, false, 0)]);
    let h = hotlist();
    let set = iocs();
    let mut intel = Intel::ips(&h, None);
    intel.iocs = Some(&set);
    let s = scan_intel_with(&p, &intel, 3, 1, 1, 512).unwrap();
    let kinds: Vec<_> = s
        .groups
        .iter()
        .map(|g| (&g.subject, g.process_name.as_str(), g.remote_ip))
        .collect();
    assert_eq!(s.groups.len(), 2, "{kinds:?}");
    let conn = s.groups.iter().find(|g| g.process_name == "curl").unwrap();
    assert_eq!(conn.remote_ip, Some("198.51.100.2".parse().unwrap()));
    assert_eq!(conn.domain.as_deref(), Some("x.bad.example"));
    assert_eq!(conn.intel.indicator, "*.bad.example");
    assert_eq!(
        s.answers.len(),
        1,
        "only the listed name's answer is remembered"
    );
    // A later run: the remembered answer matches a connection without any lookup in it.
    let d2 = tempfile::tempdir().unwrap();
    let p2 = write_pending(
        d2.path(),
        &[(vec![event_line(9, "198.51.100.2", "wget")], false, 0)],
    );
    let mut later = intel;
    later.answers = Some(&s.answers);
    let s2 = scan_intel_with(&p2, &later, 3, 1, 1, 512).unwrap();
    assert_eq!(s2.groups.len(), 1);
    assert_eq!(s2.groups[0].domain.as_deref(), Some("x.bad.example"));
    // Past its memory the answer attributes nothing.
    later.answer_memory = chrono::Duration::zero();
    let mut old = s.answers.clone();
    for a in old.values_mut() {
        a.until = a.seen;
    }
    later.answers = Some(&old);
    assert!(
        scan_intel_with(&p2, &later, 3, 1, 1, 512)
            .unwrap()
            .groups
            .is_empty()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The parallel, chunked scan of every indicator kind (exec, dns, answered
    /// connections, addresses) finds exactly what one worker reading line by line finds.
    #[test]
    fn parallel_scan_of_every_kind_equals_line_by_line(
        kinds in prop::collection::vec(any::<u8>(), 1..80),
        threads in 2usize..5,
        min_part in 1u64..3000,
        chunk in 64usize..2000,
    ) {
        let d = tempfile::tempdir().unwrap();
        let lines: Vec<String> = kinds.iter().enumerate().map(|(i, &k)| ioc_line(k, i)).collect();
        let p = write_pending(d.path(), &[(lines, false, 0)]);
        let h = hotlist();
        let set = iocs();
        let mut intel = Intel::ips(&h, None);
        intel.iocs = Some(&set);
        let one = scan_intel_with(&p, &intel, 3, 1, u64::MAX, 1 << 20).unwrap();
        let many = scan_intel_with(&p, &intel, 3, threads, min_part, chunk).unwrap();
        prop_assert_eq!(&many.stats, &one.stats);
        prop_assert_eq!(&many.end, &one.end);
        prop_assert_eq!(&many.answers, &one.answers);
        prop_assert_eq!(&many.unhashed, &one.unhashed);
        prop_assert_eq!(many.groups, one.groups);
    }
}

/// An exec or DNS event with values chosen to hit and miss [`iocs`], including escapes,
/// quotes, empty and missing fields, a parent with its own name and path, and hashes in
/// either case.
fn fast_path_event(picks: &[u8]) -> Event {
    let pick =
        |i: usize, from: &[&str]| from[picks[i % picks.len()] as usize % from.len()].to_string();
    let opt = |i: usize, from: &[&str]| {
        let v = picks[i % picks.len()] as usize % (from.len() + 1);
        (v < from.len()).then(|| from[v].to_string())
    };
    let ts: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
    let kinds = [
        EventKind::ProcessExec,
        EventKind::ProcessInventory,
        EventKind::Dns,
    ];
    let kind = kinds[picks[0] as usize % kinds.len()];
    let mut ev = Event::new(ts, kind, "t");
    let sha = "ab".repeat(32);
    let sha_upper = "AB".repeat(32);
    let other_sha = "cd".repeat(32);
    let mut p = outpost_core::ProcessInfo {
        pid: 100 + picks[1 % picks.len()] as u32,
        name: opt(
            2,
            &[
                "evil-tool",
                "miner",
                "ls",
                "x.exe",
                "",
                "a\\b",
                "q\"uote",
                "ünï",
                "evil-tool\n",
            ],
        ),
        exe: opt(
            3,
            &[
                "/usr/bin/evil-tool",
                "/opt/x/miner",
                "C:\\w\\x.exe",
                "rel/bin",
                "",
                "/usr/bin/ls",
                "/p\"q",
                "/opt/x/miner/",
            ],
        ),
        ..Default::default()
    };
    p.hashes.sha256 = opt(4, &[&sha, &sha_upper, "00", &other_sha]);
    p.hashes.sha1 = opt(5, &["11", &"ef".repeat(20)]);
    p.hashes.md5 = opt(6, &["22"]);
    if picks[7 % picks.len()].is_multiple_of(3) {
        p.hashes.other.insert("IMPHASH".into(), "33".into());
    }
    if picks[8 % picks.len()].is_multiple_of(2) {
        p.parent = Some(outpost_core::event::ParentInfo {
            pid: 1,
            name: opt(9, &["evil-tool", "bash"]),
            exe: opt(10, &["/opt/x/miner", "/bin/bash"]),
            command_line: None,
        });
    }
    ev.process = Some(std::sync::Arc::new(p));
    if kind == EventKind::Dns {
        ev.dns = Some(outpost_core::event::DnsInfo {
            query: pick(
                11,
                &[
                    "c2.example",
                    "C2.Example.",
                    "x.bad.example",
                    "good.example",
                    "a\\b.example",
                    "q\"x.example",
                    "c2\u{e9}.example",
                ],
            ),
            answers: vec!["198.51.100.1".into()],
            ..Default::default()
        });
    }
    ev
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// The in-place reading of exec and DNS lines decides exactly as the parsed event:
    /// feeding the line finds the same groups, executables to hash and answers as feeding
    /// the parsed event.
    #[test]
    fn exec_and_dns_lines_read_in_place_decide_as_the_parsed_event(
        picks in prop::collection::vec(any::<u8>(), 12..24),
    ) {
        let ev = fast_path_event(&picks);
        let line = serde_json::to_string(&ev).unwrap();
        let h = hotlist();
        let set = iocs();
        let mut intel = Intel::ips(&h, None);
        intel.iocs = Some(&set);
        let now: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        let mut fast = Correlator::for_intel(&intel, 3).at(now);
        fast.line(line.as_bytes());
        let mut slow = Correlator::for_intel(&intel, 3).at(now);
        slow.event(serde_json::from_str(&line).unwrap());
        let (g1, _, u1, a1) = fast.finish_all();
        let (g2, _, u2, a2) = slow.finish_all();
        prop_assert_eq!(u1, u2, "{}", line);
        prop_assert_eq!(a1, a2, "{}", line);
        prop_assert_eq!(g1, g2, "{}", line);
    }
}

/// The in-place reader takes only the writer's layout and plain or `\\`-escaped strings.
#[test]
fn in_place_reading_refuses_what_it_cannot_read_exactly() {
    use outpost_sensors::line::{exec_fields, only_str};
    let canonical = r#"{"ts":"t","kind":"process_exec","process":{"pid":7,"name":"x","exe":"C:\\a\/b.exe","hashes":{"sha256":"ab","md5":"cd","other":{"I":"1"}}}}"#;
    let f = exec_fields(canonical.as_bytes()).unwrap();
    assert_eq!(f.exe.as_deref(), Some("C:\\a/b.exe"));
    assert_eq!(
        (f.sha256.as_deref(), f.sha1.as_deref(), f.md5.as_deref()),
        (Some("ab"), None, Some("cd"))
    );
    for other in [
        r#"{"process":{"pid": 7,"name":"x","exe":"/x"}}"#,
        r#"{"process":{"pid":7,"exe":"/x","name":"x"}}"#,
        r#"{"process":{"pid":7,"name":"x\u0041","exe":"/x"}}"#,
        r#"{"process":{"pid":7,"name":"x","exe":"/x","hashes":{"md5":"cd","sha256":"ab"}}}"#,
        r#"{"process":{"pid":7,"name":"x","exe":"/x","hashes": {"sha256":"ab"}}}"#,
    ] {
        assert!(exec_fields(other.as_bytes()).is_none(), "{other}");
    }
    assert!(
        only_str(
            br#"{"dns":{"query":"a","x":{"query":"b"}}}"#,
            b"\"query\":\""
        )
        .is_none()
    );
    assert_eq!(only_str(br#"{"dns":{}}"#, b"\"query\":\""), Some(None));
}
