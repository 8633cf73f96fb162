//! Pattern evaluation throughput. Run: `cargo bench -p outpost-stix --bench stix_match`.
//!
//! Prints a Markdown table (used for `docs/benchmarks/stix.md`). No external harness: each
//! measurement repeats the operation for at least ~1 s of wall time and reports the rate.

use chrono::{DateTime, Duration, Utc};
use outpost_core::event::{Event, EventKind, NetworkInfo, ParentInfo, ProcessInfo};
use outpost_core::net::{Direction, Protocol};
use outpost_stix::observables::observation_from_event;
use outpost_stix::observation::{Observation, observations_from_json};
use outpost_stix::pattern::Pattern;
use std::hint::black_box;
use std::time::Instant;

fn rate(label: &str, unit: &str, per_iter: u64, mut f: impl FnMut() -> bool) {
    // Warm up, then run until at least a second has passed.
    for _ in 0..10 {
        black_box(f());
    }
    let start = Instant::now();
    let mut iters: u64 = 0;
    let mut hits: u64 = 0;
    while start.elapsed().as_secs_f64() < 1.0 {
        for _ in 0..100 {
            hits += u64::from(black_box(f()));
        }
        iters += 100;
    }
    let secs = start.elapsed().as_secs_f64();
    let per_sec = (iters * per_iter) as f64 / secs;
    let ns = secs * 1e9 / iters as f64;
    println!(
        "| {label} | {per_sec:.0} {unit}/s | {ns:.0} ns | {} |",
        if hits > 0 { "match" } else { "no match" }
    );
}

fn event(i: u32, t: DateTime<Utc>) -> Event {
    let mut e = Event::new(t, EventKind::Network, "bench");
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: 1000 + i,
        exe: Some("/usr/bin/curl".into()),
        args: vec!["curl".into(), format!("http://host{i}.example/x.sh")],
        uid: Some(33),
        user: Some("www-data".into()),
        parent: Some(ParentInfo {
            pid: 7,
            name: Some("nginx".into()),
            exe: Some("/usr/sbin/nginx".into()),
            command_line: None,
        }),
        ..Default::default()
    }));
    e.network = Some(NetworkInfo {
        direction: Direction::Outbound,
        protocol: Protocol::Tcp,
        local_ip: Some("10.0.0.5".parse().unwrap()),
        local_port: Some(40000),
        remote_ip: Some(
            format!("198.51.{}.{}", (i / 256) % 256, i % 256)
                .parse()
                .unwrap(),
        ),
        remote_port: Some(443),
        ..Default::default()
    });
    e
}

fn main() {
    let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let ev = event(7, t0);
    let one = [observation_from_event(&ev)];
    let window: Vec<Observation> = (0..100u32)
        .map(|i| observation_from_event(&event(i, t0 + Duration::seconds(i64::from(i)))))
        .collect();

    let simple = Pattern::parse("[ipv4-addr:value = '198.51.0.7']").unwrap();
    let simple_miss = Pattern::parse("[ipv4-addr:value = '203.0.113.1']").unwrap();
    let cidr = Pattern::parse("[network-traffic:dst_ref.value ISSUBSET '198.51.0.0/16' AND network-traffic:dst_port = 443]").unwrap();
    let complex = Pattern::parse(
        "[process:parent_ref.name = 'nginx' AND process:creator_user_ref.account_login = 'www-data' AND process:command_line MATCHES '^curl .*\\\\.sh$']",
    )
    .unwrap();
    let iocs: Vec<String> = (0..1000)
        .map(|i| format!("ipv4-addr:value = '203.0.{}.{}'", i / 256, i % 256))
        .collect();
    let big_or = Pattern::parse(&format!("[{}]", iocs.join(" OR "))).unwrap();
    let seq = Pattern::parse("[process:image_ref.name = 'curl'] FOLLOWEDBY [network-traffic:dst_ref.value = '198.51.0.90'] WITHIN 120 SECONDS").unwrap();
    let repeats =
        Pattern::parse("[network-traffic:dst_port = 443] REPEATS 50 TIMES WITHIN 60 SECONDS")
            .unwrap();
    let repeats_miss =
        Pattern::parse("[network-traffic:dst_port = 443] REPEATS 10 TIMES WITHIN 5 SECONDS")
            .unwrap();

    println!("| benchmark | throughput | time per op | result |");
    println!("| --- | --- | --- | --- |");
    rate("parse `[ipv4-addr:value = '…']`", "patterns", 1, || {
        Pattern::parse("[ipv4-addr:value = '198.51.0.7']").is_ok()
    });
    rate(
        "parse 3-test process pattern with MATCHES",
        "patterns",
        1,
        || {
            Pattern::parse("[process:parent_ref.name = 'nginx' AND process:creator_user_ref.account_login = 'www-data' AND process:command_line MATCHES '^curl .*\\\\.sh$']").is_ok()
        },
    );
    rate(
        "event → STIX observation (process + network)",
        "events",
        1,
        || !observation_from_event(&ev).objects.is_empty(),
    );
    for (label, p) in [
        ("1 event, `[ipv4-addr:value = …]` (hit)", &simple),
        ("1 event, `[ipv4-addr:value = …]` (miss)", &simple_miss),
        ("1 event, ISSUBSET + port via `dst_ref`", &cidr),
        ("1 event, parent/user refs + MATCHES", &complex),
        ("1 event, OR of 1,000 IP comparisons (miss)", &big_or),
    ] {
        rate(label, "events", 1, || p.matches(&one).unwrap().is_some());
    }
    rate(
        "event → observation → parent/user/MATCHES pattern",
        "events",
        1,
        || {
            complex
                .matches(&[observation_from_event(&ev)])
                .unwrap()
                .is_some()
        },
    );
    for (label, p) in [
        ("100-event window, FOLLOWEDBY … WITHIN 120 SECONDS", &seq),
        (
            "100-event window, REPEATS 50 TIMES WITHIN 60 SECONDS",
            &repeats,
        ),
        (
            "100-event window, REPEATS 10 TIMES WITHIN 5 SECONDS (miss)",
            &repeats_miss,
        ),
    ] {
        rate(label, "windows", 1, || {
            p.matches(&window).unwrap().is_some()
        });
    }

    // The whole conformance suite, when the shared directory is present.
    let shared = std::env::var_os("OUTPOST_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        });
    if let Ok(text) = std::fs::read_to_string(shared.join("conformance/stix2-patterns.json")) {
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cases: Vec<(String, Vec<Observation>)> = doc["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| {
                Some((
                    c["pattern"].as_str()?.to_string(),
                    observations_from_json(&c["observations"]).ok()?,
                ))
            })
            .collect();
        let n = cases.len() as u64;
        rate(
            "OASIS conformance cases (parse + match, data pre-loaded)",
            "cases",
            n,
            || {
                let mut any = false;
                for (p, o) in &cases {
                    if let Ok(p) = Pattern::parse(p) {
                        any |= matches!(p.matches(o), Ok(Some(_)));
                    }
                }
                any
            },
        );
    }
}
