//! Throughput benchmark of the detection engines (run by `bench/detect/run.sh`).
//!
//! 1. Reads every EVTX file of the shared attack samples with `outpost-oslog` (real Sysmon and
//!    Security events) and adds synthetic Linux process / network / file events.
//! 2. Generates N Sigma rule variants (deterministic) into `<work>/rules_generated/`, and writes
//!    the Windows events flattened for a peer evaluator to `<work>/events_flat.jsonl`.
//! 3. Measures, on one thread: (a) the generated Sigma rules alone on the Windows events (the
//!    side-by-side with the peer); (b) the full pipeline — static engine with the 120k-address
//!    IPsum feed as IOC lookup, generated + fixture Sigma rules + native rules, profile engine,
//!    STIX engine — on all events.
//!
//! Usage: `bench_detect <shared dir> <work dir> [rules=1200] [min_secs=3]`

use chrono::{TimeZone, Utc};
use outpost_core::{
    Direction, Event, EventKind, FileAction, FileInfo, NetworkInfo, ParentInfo, ProcessInfo,
    Protocol,
};
use outpost_detect::profile::{ProfileConfig, ProfileEngine};
use outpost_detect::static_engine::{IocMatch, MemoryIoc, StaticConfig, StaticEngine};
use outpost_detect::{Pipeline, RuleHandle, RuleSet, SigmaOptions};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const IMAGES: &[&str] = &[
    "cmd.exe",
    "powershell.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "mshta.exe",
    "wmic.exe",
    "schtasks.exe",
    "certutil.exe",
    "bitsadmin.exe",
    "net.exe",
    "whoami.exe",
    "reg.exe",
    "msiexec.exe",
    "cscript.exe",
    "wscript.exe",
    "svchost.exe",
    "explorer.exe",
    "taskkill.exe",
    "sc.exe",
    "vssadmin.exe",
];
const TOKENS: &[&str] = &[
    "/c",
    "-nop",
    "hidden",
    "/create",
    "javascript",
    "http",
    "temp",
    "-enc",
    "/s",
    "/q",
    "delete",
    "shadows",
    "add",
    "user",
    "query",
    "/f",
    "-w",
    "bypass",
    "iex",
    "download",
    "appdata",
    "system32",
    "/i",
    "scrobj",
    "comsvcs",
    "minidump",
    "lsass",
    "-urlcache",
    "/transfer",
    "config",
    "localgroup",
    "administrators",
];
const MASKS: &[&str] = &[
    "0x1010", "0x1410", "0x1fffff", "0x1438", "0x143a", "0x1f1fff", "0x40", "0x1000", "0x1400",
];
const PORTS: &[u16] = &[
    3389, 445, 80, 443, 53, 135, 139, 5985, 22, 8080, 1433, 4444, 9999,
];

/// Writes `n` generated Sigma rules; returns the directory.
fn generate_rules(dir: &Path, n: usize) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..n {
        let mut y = String::new();
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let _ = writeln!(
            y,
            "title: Generated rule {i}\nid: {id}\nstatus: test\nlevel: medium"
        );
        match i % 4 {
            0 => {
                // Image + command-line tokens, with a parent filter.
                let img = rng.pick(IMAGES);
                let (a, b) = (rng.pick(TOKENS), rng.pick(TOKENS));
                let _ = writeln!(
                    y,
                    "logsource:\n    product: windows\n    service: sysmon\ndetection:\n    selection:\n        EventID: 1\n        Image|endswith: '\\{img}'\n        CommandLine|contains:\n            - '{a}'\n            - 'x{i}y'\n    filter:\n        ParentImage|endswith: '\\{}'\n    condition: selection and not filter",
                    rng.pick(IMAGES)
                );
                let _ = b;
            }
            1 => {
                // All-of tokens.
                let (a, b) = (rng.pick(TOKENS), rng.pick(TOKENS));
                let _ = writeln!(
                    y,
                    "logsource:\n    product: windows\n    service: sysmon\ndetection:\n    selection:\n        EventID: 1\n        CommandLine|contains|all:\n            - '{a}'\n            - '{b}'\n        Image|endswith:\n            - '\\{}'\n            - '\\{}'\n    condition: selection",
                    rng.pick(IMAGES),
                    rng.pick(IMAGES)
                );
            }
            2 => {
                // Process access masks.
                let _ = writeln!(
                    y,
                    "logsource:\n    product: windows\n    service: sysmon\ndetection:\n    selection:\n        EventID: 10\n        TargetImage|endswith: '\\lsass.exe'\n        GrantedAccess: '{}'\n    filter:\n        SourceImage|endswith: '\\{}'\n    condition: selection and not filter",
                    rng.pick(MASKS),
                    rng.pick(IMAGES)
                );
            }
            _ => {
                // WFP connections by port and application.
                let port = PORTS[(rng.next() % PORTS.len() as u64) as usize];
                let _ = writeln!(
                    y,
                    "logsource:\n    product: windows\n    service: security\ndetection:\n    selection:\n        EventID: 5156\n        DestPort: {port}\n    app:\n        Application|endswith: '\\{}'\n    condition: selection and not app",
                    rng.pick(IMAGES)
                );
            }
        }
        std::fs::write(dir.join(format!("gen_{i:05}.yml")), y)?;
    }
    Ok(())
}

fn read_evtx(dir: &Path, out: &mut Vec<Event>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            read_evtx(&p, out);
        } else if p.extension().is_some_and(|x| x == "evtx") {
            let mut sink = |e: Event| -> Result<(), outpost_oslog::SinkError> {
                out.push(e);
                Ok(())
            };
            if let Err(e) =
                outpost_oslog::ingest_file(&p, &outpost_oslog::IngestOptions::default(), &mut sink)
            {
                eprintln!("{}: {e}", p.display());
            }
        }
    }
}

fn linux_events(n: usize, bad_ips: &[std::net::IpAddr]) -> Vec<Event> {
    let mut rng = Rng(42);
    let exes = [
        "/usr/bin/curl",
        "/usr/sbin/nginx",
        "/bin/bash",
        "/usr/bin/python3",
        "/usr/bin/dig",
        "/usr/bin/ls",
        "/usr/lib/systemd/systemd",
    ];
    (0..n)
        .map(|i| {
            let ts = Utc
                .timestamp_opt(1_700_000_000 + i as i64, 0)
                .single()
                .unwrap_or_else(Utc::now);
            let exe = rng.pick(&exes).to_string();
            let proc_ = ProcessInfo {
                pid: 1000 + i as u32,
                exe: Some(exe.clone()),
                args: vec![
                    exe.rsplit('/').next().unwrap_or("").to_string(),
                    format!("--opt{}", rng.next() % 50),
                ],
                command_line: None,
                uid: Some([0, 33, 1000][(rng.next() % 3) as usize]),
                parent: Some(ParentInfo {
                    pid: 1,
                    exe: Some("/usr/sbin/nginx".into()),
                    ..Default::default()
                }),
                ..Default::default()
            };
            match i % 3 {
                0 => {
                    let mut e = Event::new(ts, EventKind::ProcessExec, "proc_connector");
                    let mut p = proc_;
                    p.command_line = Some(p.args.join(" "));
                    e.process = Some(std::sync::Arc::new(p));
                    e
                }
                1 => {
                    let mut e = Event::new(ts, EventKind::Network, "ebpf");
                    e.process = Some(std::sync::Arc::new(proc_));
                    let ip = if rng.next().is_multiple_of(10) && !bad_ips.is_empty() {
                        bad_ips[(rng.next() % bad_ips.len() as u64) as usize]
                    } else {
                        std::net::IpAddr::from([
                            93,
                            184,
                            (rng.next() % 255) as u8,
                            (rng.next() % 255) as u8,
                        ])
                    };
                    e.network = Some(NetworkInfo {
                        direction: Direction::Outbound,
                        protocol: Protocol::Tcp,
                        remote_ip: Some(ip),
                        remote_port: Some(443),
                        ..Default::default()
                    });
                    e
                }
                _ => {
                    let mut e = Event::new(ts, EventKind::File, "fanotify");
                    e.process = Some(std::sync::Arc::new(proc_));
                    let paths = [
                        "/etc/passwd",
                        "/var/www/html/index.php",
                        "/tmp/x",
                        "/usr/bin/ls",
                        "/home/u/.bashrc",
                    ];
                    e.file = Some(FileInfo::new(
                        FileAction::Write,
                        rng.pick(&paths).to_string(),
                    ));
                    e
                }
            }
        })
        .collect()
}

fn corpus_for_nostix(win: &[Event], bad: &[std::net::IpAddr]) -> Vec<Event> {
    let mut c = win.to_vec();
    c.extend(linux_events(6000, bad));
    c
}

fn flat(e: &Event) -> Option<serde_json::Value> {
    let l = e.log.as_ref()?;
    let mut m = serde_json::Map::new();
    for (k, v) in &l.fields {
        m.insert(k.clone(), serde_json::Value::String(v.clone()));
    }
    m.insert("EventID".into(), serde_json::json!(l.event_id.unwrap_or(0)));
    m.insert(
        "Channel".into(),
        serde_json::Value::String(l.channel.clone()),
    );
    Some(serde_json::Value::Object(m))
}

/// CPU time of the calling thread (ns), from /proc/thread-self/schedstat.
fn thread_cpu_ns() -> Option<u64> {
    outpost_testkit::schedstat_cpu_ns("/proc/thread-self/schedstat")
}

/// Runs `f` over the corpus repeatedly for at least `min_secs` of this thread's CPU time;
/// returns (events per CPU-second, events per wall-second, matches per pass). On a shared
/// machine the CPU-time figure is the one-core throughput; wall time includes waiting for a core.
fn measure(corpus: &[Event], min_secs: f64, mut f: impl FnMut(&Event) -> usize) -> (f64, usize) {
    // Warm-up pass (also counts matches).
    let per_pass: usize = corpus.iter().map(&mut f).sum();
    let t0 = Instant::now();
    let c0 = thread_cpu_ns();
    let cpu = |c0: Option<u64>| match (c0, thread_cpu_ns()) {
        (Some(a), Some(b)) => (b.saturating_sub(a)) as f64 / 1e9,
        _ => t0.elapsed().as_secs_f64(),
    };
    let mut n = 0usize;
    let mut sink = 0usize;
    while cpu(c0) < min_secs {
        for e in corpus {
            sink = sink.wrapping_add(f(e));
        }
        n += corpus.len();
    }
    std::hint::black_box(sink);
    let (wall, cpu_s) = (t0.elapsed().as_secs_f64(), cpu(c0));
    eprintln!(
        "  {n} events: {cpu_s:.2}s CPU, {wall:.2}s wall ({:.0} events/s wall-clock)",
        n as f64 / wall
    );
    (n as f64 / cpu_s, per_pass)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench_detect <shared dir> <work dir> [rules=1200] [min_secs=3]");
        std::process::exit(2);
    }
    let shared = PathBuf::from(&args[1]);
    let work = PathBuf::from(&args[2]);
    let nrules: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1200);
    let min_secs: f64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    if let Err(e) = std::fs::create_dir_all(&work) {
        eprintln!("{}: {e}", work.display());
        std::process::exit(1);
    }

    let t = Instant::now();
    let mut win = Vec::new();
    read_evtx(&shared.join("data/evtx/attack-samples"), &mut win);
    eprintln!(
        "read {} EVTX events in {:.2}s",
        win.len(),
        t.elapsed().as_secs_f64()
    );
    let flat_lines: String = win
        .iter()
        .filter_map(flat)
        .map(|v| v.to_string() + "\n")
        .collect();
    if let Err(e) = std::fs::write(work.join("events_flat.jsonl"), flat_lines) {
        eprintln!("events_flat.jsonl: {e}");
    }

    let gen_dir = work.join("rules_generated");
    if let Err(e) = generate_rules(&gen_dir, nrules) {
        eprintln!("generating rules: {e}");
        std::process::exit(1);
    }
    let t = Instant::now();
    let generated = match RuleSet::load_dir(&gen_dir, &SigmaOptions::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loading generated rules: {e}");
            std::process::exit(1);
        }
    };
    let load_secs = t.elapsed().as_secs_f64();
    eprintln!(
        "compiled {} generated Sigma rules in {load_secs:.2}s ({} unsupported)",
        generated.len(),
        generated.unsupported().len()
    );

    // (a) generated Sigma rules only, Windows events.
    eprintln!("generated Sigma rules only:");
    let (rules_eps, rules_matches) = measure(&win, min_secs, |e| generated.matching_ids(e).len());
    let mut per_event_hits = String::new();
    for (i, e) in win.iter().enumerate() {
        let n = generated.matching_ids(e).len();
        if n > 0 {
            let _ = writeln!(per_event_hits, "{i} {n}");
        }
    }
    let _ = std::fs::write(work.join("outpost_hits.txt"), per_event_hits);

    // (b) full pipeline.
    let mut ioc = MemoryIoc::new();
    let mut bad = Vec::new();
    let mut nioc = 0usize;
    if let Ok(feed) = std::fs::read_to_string(shared.join("data/feeds/ipsum.txt")) {
        for l in feed.lines().filter(|l| !l.starts_with('#')) {
            let mut it = l.split_whitespace();
            if let (Some(ip), Some(n)) = (it.next(), it.next())
                && let Ok(ip) = ip.parse()
            {
                nioc += 1;
                ioc.add_ip(
                    ip,
                    IocMatch {
                        source: "ipsum".into(),
                        description: format!("on {n} blocklists"),
                        score: None,
                        indicator: String::new(),
                    },
                );
                if bad.len() < 1000 {
                    bad.push(ip);
                }
            }
        }
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all_rules: Vec<_> = generated.rules().to_vec();
    for d in [
        "tests/fixtures/sigma_windows",
        "tests/fixtures/sigma_linux",
        "tests/fixtures/rules_linux",
    ] {
        match RuleSet::load_dir(&manifest.join(d), &SigmaOptions::default()) {
            Ok(s) => all_rules.extend(s.rules().iter().cloned()),
            Err(e) => eprintln!("{d}: {e}"),
        }
    }
    let nall = all_rules.len();
    let set = match RuleSet::new(all_rules, Vec::new()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let ioc_copy = ioc.clone();
    let static_engine = match StaticEngine::new(&StaticConfig::default(), Some(Arc::new(ioc))) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let profiles = Arc::new(ProfileEngine::in_memory(ProfileConfig {
        learning_secs: 600,
        ..Default::default()
    }));
    let mut pipeline = Pipeline::new()
        .with_static(static_engine)
        .with_rules(RuleHandle::fixed(set))
        .with_profiles(profiles);
    let bundle = r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
      {"type":"indicator","spec_version":"2.1","id":"indicator--1a2b3c4d-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","name":"dig with random label","pattern_type":"stix","pattern":"[process:name = 'dig' AND process:command_line MATCHES '[a-z0-9]{16,}']","valid_from":"2000-01-01T00:00:00Z"},
      {"type":"indicator","spec_version":"2.1","id":"indicator--1a2b3c4d-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","name":"rdp from loopback","pattern_type":"stix","pattern":"[network-traffic:dst_port = 3389 AND network-traffic:src_ref.value ISSUBSET '127.0.0.0/8']","valid_from":"2000-01-01T00:00:00Z"}]}"#;
    eprintln!("full pipeline without STIX:");
    let (nostix_full_eps, _) = measure(&corpus_for_nostix(&win, &bad), min_secs, |e| {
        pipeline.score(e).indicators.len()
    });
    let mut nstix = 0;
    match outpost_stix::model::Bundle::from_json_str(bundle) {
        Ok(b) => {
            let (eng, _) = outpost_detect::stix::StixEngine::from_bundle(&b, Default::default());
            nstix = eng.len();
            pipeline = pipeline.with_engine(Box::new(eng));
        }
        Err(e) => eprintln!("stix bundle: {e}"),
    }
    let mut corpus = win.clone();
    corpus.extend(linux_events(6000, &bad));
    eprintln!("full pipeline:");
    let (full_eps, full_ind) = measure(&corpus, min_secs, |e| pipeline.score(e).indicators.len());
    let engine_eps = |name: &str, p: &Pipeline| {
        eprintln!("engine {name}:");
        measure(&corpus, min_secs, |e| p.score(e).indicators.len())
            .0
            .round()
    };
    let only_static = engine_eps(
        "static (risky, 120k IOC, FIM)",
        &Pipeline::new().with_static(
            match StaticEngine::new(&StaticConfig::default(), Some(Arc::new(ioc_copy))) {
                Ok(s) => s,
                Err(e) => panic!("{e}"),
            },
        ),
    );
    let only_profile = engine_eps(
        "profile",
        &Pipeline::new().with_profiles(Arc::new(ProfileEngine::in_memory(ProfileConfig {
            learning_secs: 600,
            ..Default::default()
        }))),
    );
    let only_stix = match outpost_stix::model::Bundle::from_json_str(bundle) {
        Ok(b) => {
            let (eng, _) = outpost_detect::stix::StixEngine::from_bundle(&b, Default::default());
            engine_eps("stix", &Pipeline::new().with_engine(Box::new(eng)))
        }
        Err(_) => 0.0,
    };
    let (nostix_eps, _) = {
        let p2 = Pipeline::new()
            .with_static(
                StaticEngine::new(&StaticConfig::default(), None).unwrap_or_else(|e| panic!("{e}")),
            )
            .with_rules(RuleHandle::fixed(
                match RuleSet::new(generated.rules().to_vec(), Vec::new()) {
                    Ok(s) => s,
                    Err(e) => panic!("{e}"),
                },
            ));
        measure(&corpus, min_secs, |e| p2.score(e).indicators.len())
    };

    let summary = serde_json::json!({
        "windows_events": win.len(),
        "corpus_events": corpus.len(),
        "generated_rules": generated.len(),
        "rule_compile_secs": load_secs,
        "sigma_only": {"events_per_sec": rules_eps.round(), "matches_per_pass": rules_matches},
        "full_pipeline": {"rules": nall, "stix_indicators": nstix, "ioc_addresses": nioc, "events_per_sec": full_eps.round(), "indicators_per_pass": full_ind},
        "static_plus_generated_rules": {"events_per_sec": nostix_eps.round()},
        "full_pipeline_without_stix": {"events_per_sec": nostix_full_eps.round()},
        "engines_alone_events_per_sec": {"static": only_static, "profile": only_profile, "stix": only_stix},
        "note": "events_per_sec = events per CPU-second of the benchmark thread (one core)",
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&summary).unwrap_or_default()
    );
}
