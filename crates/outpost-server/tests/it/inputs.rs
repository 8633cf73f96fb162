//! `[[inputs]]` — the shared real Tetragon and Falco samples
//! (`../shared/data/sensors/`) mapped to normalized events, and consumed from the real
//! Kafka-API broker (tansu) and NATS server of `scripts/services.sh`: scored by the rules,
//! alerts stored (read back through the API), events forwarded to an output, malformed
//! records counted, and a consumer killed mid-stream and restarted loses nothing (duplicates
//! only within one batch per partition/consumer: the at-least-once bound).

use crate::common;
use crate::common::World;

use chrono::Utc;
use outpost_server::inputs::{Format, Inputs, MapError, falco, tetragon};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn lines(p: &Path) -> Vec<Vec<u8>> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect()
}

struct Samples {
    tetragon: Vec<Vec<u8>>,
    legacy: Vec<Vec<u8>>,
    falco: Vec<Vec<u8>>,
}

fn samples() -> Option<Samples> {
    let dir = outpost_testkit::shared("data/sensors")?;
    Some(Samples {
        tetragon: lines(&dir.join("tetragon/events.jsonl")),
        legacy: lines(&dir.join("tetragon/events_legacy_types.jsonl")),
        falco: lines(&dir.join("falco/alerts.jsonl")),
    })
}

/// Records that are not events of any format.
const MALFORMED: &[&[u8]] = &[b"not json", b"[1,2,3]", b"{\"truncated\":"];

#[test]
fn shared_samples_map() {
    let Some(s) = samples() else { return };
    assert_eq!(
        (s.tetragon.len(), s.legacy.len(), s.falco.len()),
        (85, 11, 33)
    );
    let now = Utc::now();
    let mut kinds: HashMap<String, usize> = HashMap::new();
    let mut with_pod = 0;
    for (i, l) in s.tetragon.iter().enumerate() {
        let m = tetragon::map(l, now).unwrap_or_else(|e| panic!("tetragon line {}: {e}", i + 1));
        *kinds.entry(m.event.kind.as_str().to_string()).or_default() += 1;
        let e = &m.event;
        if let Some(c) = &e.container {
            with_pod += 1;
            assert!(!c.id.contains("://"), "line {}: {c:?}", i + 1);
            assert!(c.image.is_some(), "line {}", i + 1);
            assert!(e.labels.contains_key("k8s.namespace"), "line {}", i + 1);
            assert!(e.labels.contains_key("k8s.pod"), "line {}", i + 1);
        }
        assert_eq!(
            m.node.as_deref(),
            e.labels.get("k8s.node").map(String::as_str)
        );
    }
    // 34 exec, 11 exit; of the 40 kprobes: 3 sock_arg, files, and the rest as log records.
    assert_eq!(kinds["process_exec"], 34, "{kinds:?}");
    assert_eq!(kinds["process_exit"], 11, "{kinds:?}");
    assert_eq!(kinds["network"], 3, "{kinds:?}");
    assert!(with_pod >= 25, "{with_pod}");
    // Line 1: the first sample (a pod's netserver), with its node, image and labels.
    let m = tetragon::map(&s.tetragon[0], now).unwrap();
    let e = &m.event;
    assert_eq!(
        e.process.as_ref().unwrap().exe.as_deref(),
        Some("/usr/bin/netserver")
    );
    assert_eq!(e.labels["k8s.namespace"], "default");
    assert_eq!(e.labels["k8s.pod"], "tiefighter");
    assert_eq!(e.labels["k8s.pod_label.org"], "empire");
    let c = e.container.as_ref().unwrap();
    assert_eq!(
        (c.runtime.as_str(), c.name.as_deref()),
        ("containerd", Some("spaceship"))
    );
    assert_eq!(c.image.as_deref(), Some("docker.io/tgraf/netperf:latest"));
    // Line 59: tcp_connect with a sock_arg.
    let m = tetragon::map(&s.tetragon[58], now).unwrap();
    let n = m.event.network.as_ref().expect("network section");
    assert!(n.remote_ip.is_some() && n.remote_port.is_some(), "{n:?}");
    // Line 21: sys_write of /etc/passwd is a file write.
    let m = tetragon::map(&s.tetragon[20], now).unwrap();
    assert_eq!(m.event.file.as_ref().unwrap().path, "/etc/passwd");
    // The older network types are unknown, reported as such.
    for l in &s.legacy {
        assert!(matches!(
            tetragon::map(l, now),
            Err(MapError::UnknownType(_))
        ));
    }
    // Falco: 31 alerts, 2 metrics snapshots; evt.time read exactly.
    let mut mapped = 0;
    for (i, l) in s.falco.iter().enumerate() {
        match falco::map(l, now) {
            Ok(m) => {
                mapped += 1;
                assert_eq!(m.event.log.as_ref().unwrap().channel, "falco");
            }
            Err(MapError::NotAnEvent(r)) => assert!(r.starts_with("Falco internal"), "{r}"),
            Err(e) => panic!("falco line {}: {e}", i + 1),
        }
    }
    assert_eq!(mapped, 31);
    let m = falco::map(&s.falco[27], now).unwrap();
    assert_eq!(
        m.event.ts.timestamp_nanos_opt(),
        Some(1_746_622_234_502_309_868)
    );
    assert_eq!(m.node.as_deref(), Some("x86"));
    assert_eq!(m.event.file.as_ref().unwrap().path, "/etc/shadow");
    assert_eq!(m.event.process_name(), Some("cat"));
    let m = falco::map(&s.falco[11], now).unwrap();
    assert_eq!(m.event.labels["k8s.namespace"], "default");
    assert_eq!(m.event.labels["k8s.pod"], "alpine");
    assert_eq!(m.event.container.as_ref().unwrap().id, "5892b41bcf46");
    for b in MALFORMED {
        for f in [Format::Tetragon, Format::Falco, Format::Outpost] {
            assert_eq!(f.map(b, now).unwrap_err().result(), "malformed");
        }
    }
}

const RULES: &str = r#"
rules:
  - id: curl-in-pod
    name: curl run in a pod
    score: 120
    condition:
      all:
        - {field: process.name, equals: curl}
  - id: shadow-read
    name: shadow read
    score: 120
    condition:
      all:
        - {field: file.path, equals: /etc/shadow}
"#;

/// Tenant acme and the rules; the servers of a test are built by `state`.
async fn world() -> World {
    let w = World::builder().tenant("acme", &[]).lite().build().await;
    std::fs::create_dir_all(w.dir.path().join("rules")).unwrap();
    std::fs::write(w.dir.path().join("rules/local.yml"), RULES).unwrap();
    w
}

/// The file the servers forward events to.
fn events(w: &World) -> PathBuf {
    w.dir.path().join("events.jsonl")
}

/// A server state whose only input is `input` (TOML of one `[[inputs]]` entry).
async fn state(w: &World, input: &str) -> outpost_server::AppState {
    let path = w.dir.path().join("server.toml");
    let dir = w.dir.path();
    let text = [
        common::detect_toml(
            &dir.join("data"),
            &dir.join("rules"),
            "alert_threshold = 100",
        ),
        common::file_output_toml("siem", &events(w), &["event"], 50),
        input.to_string(),
    ];
    std::fs::write(&path, text.concat()).unwrap();
    let cfg = outpost_server::config::ServerConfig::load(Some(&path)).unwrap();
    outpost_server::build_state(cfg, w.store.clone())
        .await
        .unwrap()
}

/// Event record ids forwarded to the file output (with repeats).
fn forwarded(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .collect()
}

async fn wait_forwarded(path: &Path, distinct: usize) -> Vec<String> {
    for _ in 0..300 {
        let ids = forwarded(path);
        if ids.iter().collect::<HashSet<_>>().len() >= distinct {
            return ids;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ids = forwarded(path);
    panic!(
        "{} distinct events forwarded, expected {distinct}",
        ids.iter().collect::<HashSet<_>>().len()
    );
}

async fn metric(state: &outpost_server::AppState, input: &str, result: &str) -> u64 {
    let app = outpost_server::router(state.clone());
    let m = common::call(&app, "GET", "/metrics", None, None)
        .await
        .text();
    let needle = format!("outpost_input_records_total{{input=\"{input}\",result=\"{result}\"}} ");
    m.lines()
        .find_map(|l| l.strip_prefix(&needle))
        .map_or(0, |v| v.trim().parse().unwrap())
}

async fn get(state: &outpost_server::AppState, uri: &str, token: &str) -> Value {
    let app = outpost_server::router(state.clone());
    let r = common::call(&app, "GET", uri, Some(token), None).await;
    assert!(r.status.is_success(), "{uri}: {} {}", r.status, r.text());
    r.json()
}

/// Stops an input abruptly, as a crash would (no batch is finished).
fn crash(i: Inputs) {
    drop(i);
}

/// The crashed server's output workers stop too (a crashed process's would): what they had
/// queued stays on disk for the next server, which alone appends to the output file (two
/// writers on one file could tear its lines).
async fn stop_outputs(st: &outpost_server::AppState) {
    st.forward.shutdown().await;
}

/// One `[[inputs]]` entry of tenant `acme`: `name`, reading `format` records from a `kind`
/// source that the TOML lines `source` configure.
fn input_toml(name: &str, kind: &str, format: &str, source: &str) -> String {
    format!(
        "[[inputs]]\nname = {name:?}\ntype = {kind:?}\nformat = {format:?}\ntenant = \"acme\"\n{source}"
    )
}

/// Starts a server with the configuration `cfg` and crashes it once its input `input` has
/// mapped `n` records (or after about 6 s); how many it had mapped by then.
async fn run_until_crash(w: &World, cfg: &str, input: &str, n: u64) -> u64 {
    let st = state(w, cfg).await;
    let inputs = Inputs::start(&st);
    for _ in 0..300 {
        if metric(&st, input, "mapped").await >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    crash(inputs);
    stop_outputs(&st).await;
    metric(&st, input, "mapped").await
}

/// The samples, the address of the service in the environment variable `var` and a world:
/// `None` (a skip, or a failure under `OUTPOST_REQUIRE_*`) without the samples or the service.
async fn samples_service_world(var: &str) -> Option<(Samples, String, World)> {
    let s = samples()?;
    let addr = outpost_testkit::service(var)?;
    Some((s, addr, world().await))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_tetragon_input_survives_a_restart() {
    let Some((s, addr, w)) = samples_service_world("OUTPOST_TEST_KAFKA_ADDR").await else {
        return;
    };
    let topic = format!("tetragon-{}", uuid::Uuid::new_v4().simple());
    let input = format!("tetragon-kafka-{}", &topic[9..17]);
    let client = rskafka::client::ClientBuilder::new(vec![addr.clone()])
        .build()
        .await
        .unwrap();
    client
        .controller_client()
        .unwrap()
        .create_topic(topic.clone(), 2, 1, 5_000)
        .await
        .unwrap();
    // Every line (real events, older types, malformed records), spread over two partitions.
    let mut all: Vec<Vec<u8>> = s.tetragon.clone();
    all.extend(s.legacy.iter().cloned());
    all.extend(MALFORMED.iter().map(|b| b.to_vec()));
    let produce = |part: i32, recs: Vec<Vec<u8>>| {
        let client = &client;
        let topic = topic.clone();
        async move {
            let pc = client
                .partition_client(
                    topic,
                    part,
                    rskafka::client::partition::UnknownTopicHandling::Retry,
                )
                .await
                .unwrap();
            let recs = recs
                .into_iter()
                .map(|v| rskafka::record::Record {
                    key: None,
                    value: Some(v),
                    headers: Default::default(),
                    timestamp: Utc::now(),
                })
                .collect();
            pc.produce(recs, rskafka::client::partition::Compression::NoCompression)
                .await
                .unwrap();
        }
    };
    let (first, second): (Vec<_>, Vec<_>) = all
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let first: Vec<Vec<u8>> = first.into_iter().map(|(_, v)| v).collect();
    let second: Vec<Vec<u8>> = second.into_iter().map(|(_, v)| v).collect();
    // Half of each partition before the consumer starts, the rest while it runs.
    let (f1, f2) = first.split_at(first.len() / 2);
    let (s1, s2) = second.split_at(second.len() / 2);
    produce(0, f1.to_vec()).await;
    produce(1, s1.to_vec()).await;
    let source = format!(
        r#"brokers = ["{addr}"]
topics = ["{topic}"]
batch_size = 7
max_wait_ms = 100
"#
    );
    let cfg = input_toml(&input, "kafka", "tetragon", &source);
    // Crash once some batches were acknowledged, mid-stream.
    let before = run_until_crash(&w, &cfg, &input, 14).await;
    assert!(
        before < 85,
        "the crash came too late to test anything: {before}"
    );
    produce(0, f2.to_vec()).await;
    produce(1, s2.to_vec()).await;
    // A new server on the same database resumes from the committed offsets.
    let st2 = state(&w, &cfg).await;
    let inputs = Inputs::start(&st2);
    let ids = wait_forwarded(&events(&w), 85).await;
    // Give a wrongly rewound consumer the time to deliver duplicates before counting.
    tokio::time::sleep(Duration::from_secs(1)).await;
    inputs.stop().await;
    let ids = forwarded(&events(&w)).len().max(ids.len());
    let distinct: HashSet<String> = forwarded(&events(&w)).into_iter().collect();
    assert_eq!(
        distinct.len(),
        85,
        "every mapped event forwarded once at least"
    );
    // At least once: at most one unacknowledged batch per partition delivered twice.
    assert!(ids - 85 <= 2 * 7, "{} duplicates", ids - 85);
    assert!(metric(&st2, &input, "unknown_type").await >= 11);
    assert!(metric(&st2, &input, "malformed").await >= 3);
    // Offsets: both partitions committed to their end.
    let offs = w.store.input_offsets(&input, &topic).await.unwrap();
    assert_eq!(offs.len(), 2, "{offs:?}");
    assert_eq!(
        offs.iter().map(|(_, o)| o).sum::<i64>(),
        all.len() as i64,
        "{offs:?}"
    );
    // Scored: curl in a pod raised alerts, stored once, with the pod's Kubernetes labels,
    // on the pseudo-device of its node.
    let page = get(&st2, "/api/v1/alerts?rule=curl-in-pod", &w.admin).await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{page}");
    let a = &items[0];
    assert_eq!(a["event"]["source"], "tetragon");
    assert!(a["event"]["labels"]["k8s.namespace"].is_string(), "{a}");
    assert!(a["event"]["container"]["image"].is_string(), "{a}");
    let seqs: HashSet<(String, i64)> = items
        .iter()
        .map(|a| {
            (
                a["batch_id"].as_str().unwrap_or("").to_string(),
                a["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seqs.len(), items.len(), "an alert stored twice: {page}");
    let devices = get(&st2, "/api/v1/devices", &w.admin).await;
    let names: HashSet<String> = devices["items"]
        .as_array()
        .or(devices.as_array())
        .unwrap()
        .iter()
        .filter(|d| d["tenant_id"] == w.a().id.as_str())
        .map(|d| d["hostname"].as_str().unwrap().to_string())
        .collect();
    let nodes: HashSet<String> = s
        .tetragon
        .iter()
        .map(|l| {
            tetragon::map(l, Utc::now())
                .unwrap()
                .node
                .unwrap_or("unknown-node".into())
        })
        .collect();
    assert_eq!(names, nodes, "one pseudo-device per node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_jetstream_falco_input_survives_a_restart() {
    let Some((s, url, w)) = samples_service_world("OUTPOST_TEST_NATS_URL").await else {
        return;
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let input = format!("falco-nats-{}", &id[..8]);
    let subject = format!("falco.{}", &id[..12]);
    let stream = format!("FALCO_{}", &id[..12]);
    let source = format!(
        r#"url = "{url}"
subject = "{subject}"
jetstream = true
stream = "{stream}"
ack_wait_secs = 2
batch_size = 5
"#
    );
    let cfg = input_toml(&input, "nats", "falco", &source);
    let client = async_nats::connect(url.as_str()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: stream.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    let mut all: Vec<Vec<u8>> = s.falco.clone();
    all.extend(MALFORMED.iter().map(|b| b.to_vec()));
    let (a, b) = all.split_at(20);
    let publish = |records: &[Vec<u8>]| {
        let (js, subject) = (&js, &subject);
        let records = records.to_vec();
        async move {
            for r in records {
                js.publish(subject.clone(), r.into())
                    .await
                    .unwrap()
                    .await
                    .unwrap();
            }
        }
    };
    publish(a).await;
    let before = run_until_crash(&w, &cfg, &input, 5).await;
    assert!(
        before < 31,
        "the crash came too late to test anything: {before}"
    );
    publish(b).await;
    let st2 = state(&w, &cfg).await;
    let inputs = Inputs::start(&st2);
    wait_forwarded(&events(&w), 31).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    inputs.stop().await;
    let ids = forwarded(&events(&w));
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 31);
    assert!(ids.len() - 31 <= 5, "{} duplicates", ids.len() - 31);
    assert!(metric(&st2, &input, "malformed").await >= 3);
    assert!(metric(&st2, &input, "not_an_event").await >= 2);
    // Scored: `cat /etc/shadow` (Falco's "Read sensitive file untrusted") is an alert on
    // the pseudo-device of host x86.
    let page = get(&st2, "/api/v1/alerts?rule=shadow-read", &w.admin).await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{page}");
    assert!(items.iter().any(|a| a["hostname"] == "x86"), "{page}");
    assert_eq!(
        items[0]["event"]["log"]["provider"],
        "Read sensitive file untrusted"
    );
}

/// Regression: an input stores its records under one batch id per range of positions
/// (`{key}:{position / 100000}`), delivered in many parts; each part forwarded the alerts of
/// every part before it in the range again (duplicate alerts downstream, and a cost per event
/// that grew with the stream: the Tetragon benchmark's falling events per CPU-second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_part_of_an_input_batch_forwards_its_own_alerts_only() {
    let w = World::builder()
        .tenant("acme", &["node-1"])
        .lite()
        .build()
        .await;
    std::fs::create_dir_all(w.dir.path().join("rules")).unwrap();
    std::fs::write(w.dir.path().join("rules/local.yml"), RULES).unwrap();
    let alerts = w.dir.path().join("alerts.jsonl");
    let st = state(
        &w,
        &common::file_output_toml("alerts", &alerts, &["alert"], 1),
    )
    .await;
    let dev = &w.a().device().auth;
    let batch = "in:tetragon-kafka:tetragon:0:0";
    // Two parts of one batch id: positions 0..3 (one curl), then 3..6 (another curl).
    for (part, first) in [(0, 0i64), (1, 3)] {
        let events = (0..3)
            .map(|i| common::exec_event(100 + i, if i == 1 { "curl" } else { "sh" }))
            .collect();
        let open = st
            .acceptance()
            .events(dev, batch, events, (first..first + 3).collect())
            .await
            .unwrap();
        assert_eq!(open, 1, "part {part}: the open alerts of its own events");
    }
    // A part delivered again (a redelivery after a crash) forwards its own alert again, as an
    // agent's retried batch does: at least once.
    let events = (0..3)
        .map(|i| common::exec_event(100 + i, if i == 1 { "curl" } else { "sh" }))
        .collect();
    let open = st
        .acceptance()
        .events(dev, batch, events, vec![3, 4, 5])
        .await
        .unwrap();
    assert_eq!(open, 1);
    // Three records are due; a fourth (or more) would come on their heels.
    for _ in 0..300 {
        if forwarded(&alerts).len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop_outputs(&st).await;
    let ids = forwarded(&alerts);
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        *per_id.entry(id.as_str()).or_default() += 1;
    }
    let counts: Vec<usize> = {
        let mut v: Vec<(&str, usize)> = per_id.into_iter().collect();
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    };
    // The first part's alert once, the second part's twice (its redelivery); on the old code
    // the second part and the redelivery also sent the first part's alert again (3 and 2).
    assert_eq!(counts, vec![1, 2], "alerts forwarded: {ids:?}");
}
