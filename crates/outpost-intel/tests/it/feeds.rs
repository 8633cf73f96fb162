//! Feed parsing (plain, IPsum, CSV, STIX) and fetching (files, HTTP with ETag) on a schedule.

use chrono::{DateTime, Utc};
use outpost_intel::feed::{
    Column, CsvMapping, Feed, FeedFormat, FeedLocation, FeedOptions, FeedReport, FeedState,
    Fetched, KindSource, RefreshOutcome, fetch, parse_feed,
};
use outpost_intel::{IndicatorKind, IntelSet};
use proptest::prelude::*;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const NOW: &str = "2026-11-23T00:00:00Z";

/// `text` parsed as the feed `source` of `format` with the default options, at [`NOW`].
fn parse_default(text: &str, source: &str, format: &FeedFormat) -> (IntelSet, FeedReport) {
    parse_feed(text, source, format, &FeedOptions::default(), t(NOW)).unwrap()
}

#[test]
fn plain_list_with_guessed_kinds() {
    let text = "# mixed\n1.2.3.4\n*.evil.test\nbad.test\n".to_string()
        + &"c".repeat(64)
        + "\nmalware.exe\n/usr/bin/xmrig\n\x01\n";
    let strict_ip = parse_default(&text, "f", &FeedFormat::Plain);
    assert_eq!(strict_ip.1.accepted, 1);
    assert_eq!(strict_ip.1.malformed, 6);
    let opts = FeedOptions {
        guess_kinds: true,
        tags: vec!["ti".into()],
        ..FeedOptions::default()
    };
    let (set, r) = parse_feed(&text, "f", &FeedFormat::Plain, &opts, t(NOW)).unwrap();
    assert_eq!((r.accepted, r.malformed), (6, 1));
    assert_eq!(r.first_malformed[0].at, 8);
    assert!(set.lookup_ip(ip("1.2.3.4")).is_some());
    assert!(set.lookup_domain("x.evil.test").is_some());
    assert!(set.lookup_domain("bad.test").is_some());
    assert!(set.lookup_hash(&"c".repeat(64)).is_some());
    assert!(set.lookup_process("MALWARE.EXE", None).is_some());
    assert!(
        set.lookup_process("xmrig", Some("/usr/bin/xmrig"))
            .is_some()
    );
    assert_eq!(
        set.lookup_ip(ip("1.2.3.4")).unwrap().tags,
        vec!["ti".to_string()]
    );
}

#[test]
fn ipsum_min_score_and_default_ttl() {
    let text = "# x\n1.1.1.1\t5\n2.2.2.2\t1\n";
    let opts = FeedOptions {
        default_ttl: Some(Duration::from_secs(3600)),
        ..FeedOptions::default()
    };
    let (set, r) = parse_feed(
        text,
        "ipsum",
        &FeedFormat::Ipsum { min_score: Some(2) },
        &opts,
        t(NOW),
    )
    .unwrap();
    assert_eq!((r.accepted, r.below_min_score), (1, 1));
    let i = set.lookup_ip(ip("1.1.1.1")).unwrap();
    assert_eq!(i.score, Some(5));
    assert_eq!(i.expires, Some(t("2026-11-23T01:00:00Z")));
    assert_eq!(i.source, "ipsum");
}

#[test]
fn csv_with_column_mapping() {
    let text = "\
indicator,type,score,confidence,first_seen,expires,tags
203.0.113.5,ip,7,80,2026-01-01,2027-01-01T00:00:00Z,c2;emotet
evil.test,domain,,,,,
\"*.bad.test\",domain_suffix,1,,,,phish|kit
0123456789abcdef0123456789abcdef,md5,,,,,
old.test,domain,,,,2020-01-01,
1.2.3.4,ip,notanumber,,,,
x,unknownkind,,,,,
";
    let m = CsvMapping {
        kind: KindSource::Column(Column::Name("type".into())),
        score: Some(Column::Name("score".into())),
        confidence: Some(Column::Name("Confidence".into())),
        first_seen: Some(Column::Name("first_seen".into())),
        expires: Some(Column::Name("expires".into())),
        tags: Some(Column::Name("tags".into())),
        ..CsvMapping::new(Column::Name("indicator".into()))
    };
    let (set, r) = parse_default(text, "csv", &FeedFormat::Csv(m));
    assert_eq!(r.records, 7);
    assert_eq!((r.accepted, r.expired, r.malformed), (4, 1, 2));
    let lines: Vec<usize> = r.first_malformed.iter().map(|p| p.at).collect();
    assert_eq!(lines, vec![7, 8]);
    let i = set.lookup_ip(ip("203.0.113.5")).unwrap();
    assert_eq!((i.score, i.confidence), (Some(7), Some(80)));
    assert_eq!(i.first_seen, Some(t("2026-01-01T00:00:00Z")));
    assert_eq!(i.tags, vec!["c2".to_string(), "emotet".to_string()]);
    assert!(set.lookup_domain("evil.test").is_some());
    assert_eq!(set.lookup_domain("a.b.bad.test").unwrap().tags.len(), 2);
    assert!(
        set.lookup_hash("0123456789ABCDEF0123456789ABCDEF")
            .is_some()
    );
    assert!(set.lookup_domain("old.test").is_none());
    // Strict mode stops at the first bad record.
    let m2 = CsvMapping::parse_spec("value=indicator,kind=type,score=score").unwrap();
    let err = parse_feed(
        text,
        "csv",
        &FeedFormat::Csv(m2),
        &FeedOptions {
            strict: true,
            ..Default::default()
        },
        t(NOW),
    )
    .unwrap_err();
    assert!(err.to_string().contains("csv:7"), "{err}");
}

#[test]
fn csv_spec_by_index_without_header() {
    let m = CsvMapping::parse_spec("value=1,kind=fixed:sha1,header=no,delimiter=tab").unwrap();
    assert_eq!(m.kind, KindSource::Fixed(IndicatorKind::Sha1));
    let text = format!("x\t{}\ny\t{}\n", "a".repeat(40), "short");
    let (set, r) = parse_default(&text, "c", &FeedFormat::Csv(m));
    assert_eq!((r.accepted, r.malformed), (1, 1));
    assert!(set.lookup_hash(&"a".repeat(40)).is_some());
    assert!(CsvMapping::parse_spec("kind=type").is_err());
    assert!(CsvMapping::parse_spec("value=x,bogus=1").is_err());
    // A named column that does not exist is an error for the whole feed.
    let m = CsvMapping::parse_spec("value=nope").unwrap();
    assert!(
        parse_feed(
            "a,b\n1,2\n",
            "c",
            &FeedFormat::Csv(m),
            &FeedOptions::default(),
            t(NOW)
        )
        .is_err()
    );
}

#[test]
fn stix_bundle_simple_and_pattern_indicators() {
    let doc = serde_json::json!({
        "type": "bundle", "id": "bundle--1",
        "objects": [
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--a",
             "pattern": "[ipv4-addr:value = '198.51.100.1'] OR [ipv4-addr:value = '203.0.113.0/24']",
             "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "confidence": 70,
             "labels": ["c2"]},
            {"type": "indicator", "id": "indicator--b",
             "pattern": "[file:hashes.'SHA-256' = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']",
             "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--c",
             "pattern": "[domain-name:value = 'evil.test']", "pattern_type": "stix",
             "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2026-12-31T00:00:00Z"},
            {"type": "indicator", "id": "indicator--d", "name": "beacon",
             "pattern": "[network-traffic:dst_port = 4444] FOLLOWEDBY [process:name = 'nc'] WITHIN 60 SECONDS",
             "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--e",
             "pattern": "[url:value = 'http://x.test/a']", "pattern_type": "stix",
             "valid_from": "2026-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--f", "pattern": "[ipv4-addr:value = ",
             "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--g", "pattern": "alert tcp any any",
             "pattern_type": "snort", "valid_from": "2026-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--h",
             "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
             "valid_from": "2020-01-01T00:00:00Z", "valid_until": "2021-01-01T00:00:00Z"},
            {"type": "malware", "id": "malware--1", "name": "x", "is_family": true}
        ]
    })
    .to_string();
    let (set, r) = parse_default(&doc, "stix", &FeedFormat::Stix);
    assert_eq!(r.records, 9);
    assert_eq!(r.other_objects, 1);
    assert_eq!(r.malformed, 2, "{:?}", r.first_malformed);
    assert_eq!(r.expired, 1);
    assert_eq!(r.pattern_indicators, 2);
    let i = set.lookup_ip(ip("203.0.113.77")).unwrap();
    assert_eq!(i.confidence, Some(70));
    assert_eq!(i.tags, vec!["c2".to_string()]);
    assert_eq!(i.first_seen, Some(t("2026-01-01T00:00:00Z")));
    assert!(set.lookup_ip(ip("198.51.100.1")).is_some());
    assert!(set.lookup_hash(&"a".repeat(64)).is_some());
    assert_eq!(
        set.lookup_domain("evil.test").unwrap().expires,
        Some(t("2026-12-31T00:00:00Z"))
    );
    assert!(set.lookup_ip(ip("192.0.2.1")).is_none());
    let ids: Vec<&str> = set
        .pattern_indicators()
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(ids, vec!["indicator--d", "indicator--e"]);
    assert_eq!(set.pattern_indicators()[0].name.as_deref(), Some("beacon"));
    // Not JSON at all: no record to keep, an error whether strict or not (it was once one
    // malformed record of an otherwise empty feed).
    for strict in [false, true] {
        let opts = FeedOptions {
            strict,
            ..Default::default()
        };
        let e = parse_feed("nope", "s", &FeedFormat::Stix, &opts, t(NOW)).unwrap_err();
        assert!(e.to_string().starts_with("s:1: not JSON"), "{e}");
    }
}

#[test]
fn file_feed_on_a_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("list.txt");
    std::fs::write(&p, "1.2.3.4\n").unwrap();
    let feed = Feed {
        name: "local".into(),
        location: FeedLocation::parse(p.to_str().unwrap()),
        format: FeedFormat::Plain,
        interval: Duration::from_secs(3600),
        options: FeedOptions::default(),
    };
    let mut st = FeedState::default();
    let t0 = t(NOW);
    let timeout = Duration::from_secs(5);
    match feed.refresh(&mut st, t0, false, timeout).unwrap() {
        RefreshOutcome::Updated(set, r, _) => {
            assert_eq!(r.accepted, 1);
            assert!(set.lookup_ip(ip("1.2.3.4")).is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        feed.refresh(&mut st, t0 + chrono::Duration::minutes(5), false, timeout)
            .unwrap(),
        RefreshOutcome::NotDue
    ));
    let t1 = t0 + chrono::Duration::hours(2);
    assert!(feed.is_due(&st, t1));
    assert!(matches!(
        feed.refresh(&mut st, t1, false, timeout).unwrap(),
        RefreshOutcome::NotModified
    ));
    assert_eq!(st.fetched_at, Some(t1));
    std::fs::remove_file(&p).unwrap();
    assert!(feed.refresh(&mut st, t1, true, timeout).is_err());
    assert!(st.last_error.is_some());
    let json = serde_json::to_string(&feed).unwrap();
    let back: Feed = serde_json::from_str(&json).unwrap();
    assert_eq!(back, feed);
}

/// A feed body of which no record can be read — a STIX feed that is not JSON (a truncated
/// download), a list feed answered with an HTML error page — is refused with its first problem
/// and leaves the feed's state as it was (so its last good content stays in use); an empty
/// list is a real update (regression: such bodies were accepted as empty feeds and replaced
/// the feed's indicators with nothing).
#[test]
fn a_body_of_which_no_record_reads_is_refused_and_the_last_content_stays() {
    let dir = tempfile::tempdir().unwrap();
    let timeout = Duration::from_secs(5);
    for (format, good, bad, says) in [
        (
            FeedFormat::Stix,
            r#"{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","valid_from":"2020-01-01T00:00:00Z"}]}"#,
            r#"{"type":"bundle","objects":[{"type":"indic"#,
            "not JSON",
        ),
        (
            FeedFormat::Stix,
            r#"{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']","valid_from":"2020-01-01T00:00:00Z"}]}"#,
            "\"an error\"",
            "not a STIX bundle",
        ),
        (
            FeedFormat::Plain,
            "1.2.3.4\n",
            "<html>\n<body>502 Bad Gateway</body>\n</html>\n",
            "none of its 3 records could be read (3 malformed",
        ),
    ] {
        let p = dir.path().join("feed");
        std::fs::write(&p, good).unwrap();
        let feed = Feed {
            name: "f".into(),
            location: FeedLocation::parse(p.to_str().unwrap()),
            format: format.clone(),
            interval: Duration::from_secs(1),
            options: FeedOptions::default(),
        };
        let mut st = FeedState::default();
        match feed.refresh(&mut st, t(NOW), true, timeout).unwrap() {
            RefreshOutcome::Updated(set, _, _) => {
                assert!(
                    set.lookup_ip(ip("1.2.3.4")).is_some() || !set.pattern_indicators().is_empty()
                )
            }
            other => panic!("{other:?}"),
        }
        let before = st.clone();
        std::fs::write(&p, bad).unwrap();
        let later = t(NOW) + chrono::Duration::hours(1);
        let e = feed.refresh(&mut st, later, true, timeout).unwrap_err();
        assert!(e.to_string().contains(says), "{format:?}: {e}");
        assert_eq!(st.last_error.as_deref(), Some(e.to_string().as_str()));
        assert_eq!(
            (st.fetched_at, &st.etag, &st.last_modified),
            (before.fetched_at, &before.etag, &before.last_modified),
            "{format:?}"
        );
    }
    // An empty list, and one whose entries all expired, are updates that empty the feed.
    let (set, r) = parse_default("# nothing today\n", "f", &FeedFormat::Plain);
    assert_eq!((set.len(), r.malformed), (0, 0));
}

/// A one-thread HTTP/1.1 server answering `If-None-Match: "v1"` with 304.
fn serve(body: &'static str, requests: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let not_modified = head.to_ascii_lowercase().contains("if-none-match: \"v1\"");
            let path_missing = head.starts_with("GET /missing");
            seen2.lock().unwrap().push(head);
            let resp = if path_missing {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_string()
            } else if not_modified {
                "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n".to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nLast-Modified: Sun, 22 Nov 2026 10:00:00 GMT\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    body.len(),
                    body
                )
            };
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    (format!("http://{addr}"), seen)
}

#[test]
fn http_feed_with_etag() {
    let (base, seen) = serve("# ipsum\n9.9.9.9\t4\n8.8.4.4\t1\n", 3);
    let feed = Feed {
        name: "remote".into(),
        location: FeedLocation::parse(&format!("{base}/ipsum.txt")),
        format: FeedFormat::Ipsum { min_score: Some(2) },
        interval: Duration::from_secs(600),
        options: FeedOptions::default(),
    };
    assert!(matches!(feed.location, FeedLocation::Url(_)));
    let mut st = FeedState::default();
    let timeout = Duration::from_secs(10);
    match feed.refresh(&mut st, t(NOW), false, timeout).unwrap() {
        RefreshOutcome::Updated(set, r, _) => {
            assert_eq!((r.accepted, r.below_min_score), (1, 1));
            assert_eq!(set.lookup_ip(ip("9.9.9.9")).unwrap().score, Some(4));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(st.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        st.last_modified.as_deref(),
        Some("Sun, 22 Nov 2026 10:00:00 GMT")
    );
    let later = t(NOW) + chrono::Duration::minutes(11);
    assert!(matches!(
        feed.refresh(&mut st, later, false, timeout).unwrap(),
        RefreshOutcome::NotModified
    ));
    let heads = seen.lock().unwrap().clone();
    assert!(
        heads[1]
            .to_ascii_lowercase()
            .contains("if-modified-since: sun, 22 nov 2026 10:00:00 gmt")
    );
    // HTTP errors are errors (and recorded).
    let missing = FeedLocation::parse(&format!("{base}/missing"));
    let e = fetch(&missing, &FeedState::default(), timeout).unwrap_err();
    assert!(e.to_string().contains("404"), "{e}");
}

#[test]
fn unconditional_fetch_returns_body() {
    let (base, _) = serve("1.2.3.4\n", 1);
    match fetch(
        &FeedLocation::Url(base),
        &FeedState::default(),
        Duration::from_secs(10),
    )
    .unwrap()
    {
        Fetched::Body { text, etag, .. } => {
            assert_eq!(text, "1.2.3.4\n");
            assert_eq!(etag.as_deref(), Some("\"v1\""));
        }
        Fetched::NotModified => panic!("unexpected 304"),
    }
}

proptest! {
    #[test]
    fn csv_parser_never_panics(text in "(?s)[a-z0-9,.;:\"#*/ \\n\\t-]{0,300}") {
        let m = CsvMapping::parse_spec("value=0,kind=1,score=2,confidence=3,first_seen=4,tags=5,header=no").unwrap();
        let _ = parse_feed(&text, "c", &FeedFormat::Csv(m), &FeedOptions::default(), t(NOW));
        let m = CsvMapping::parse_spec("value=a,kind=guess").unwrap();
        let _ = parse_feed(&text, "c", &FeedFormat::Csv(m), &FeedOptions::default(), t(NOW));
    }

    #[test]
    fn list_and_stix_parsers_never_panic(text in "(?s).{0,300}") {
        let opts = FeedOptions { guess_kinds: true, ..FeedOptions::default() };
        let _ = parse_feed(&text, "p", &FeedFormat::Plain, &opts, t(NOW));
        let _ = parse_feed(&text, "p", &FeedFormat::Ipsum { min_score: Some(3) }, &opts, t(NOW));
        let _ = parse_feed(&text, "p", &FeedFormat::Stix, &opts, t(NOW));
    }
}

/// A feed's options may each be left out of a configuration (`options = { guess_kinds =
/// true }` was refused for want of `strict`).
#[test]
fn feed_options_each_default() {
    let o: FeedOptions = serde_json::from_str(r#"{"guess_kinds": true}"#).unwrap();
    assert!(o.guess_kinds && !o.strict && o.tags.is_empty() && o.default_ttl.is_none());
}
