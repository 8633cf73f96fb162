//! File and stdout outputs, queue persistence across manager restarts, isolation of a dead
//! output from ingest and from the other outputs, filters and metrics.

use crate::common;

use common::*;
use outpost_outputs::config::{FileConfig, RotateEvery, WebhookConfig};
use outpost_outputs::{Filter, OutputConfig, OutputManager, RecordKind, SinkConfig};
use std::collections::HashSet;
use std::io::Read;
use std::time::{Duration, Instant};

fn read_ids(dir: &std::path::Path, base: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with(base) {
            continue;
        }
        files += 1;
        let mut text = String::new();
        if name.ends_with(".gz") {
            flate2::read::GzDecoder::new(std::fs::File::open(&p).unwrap())
                .read_to_string(&mut text)
                .unwrap();
        } else {
            text = std::fs::read_to_string(&p).unwrap();
        }
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            ids.push(v["id"].as_str().unwrap().to_string());
        }
    }
    (ids, files)
}

/// A file output writing `path`, never rotated, compressed or synced.
fn plain_file(path: std::path::PathBuf) -> FileConfig {
    FileConfig {
        path,
        rotate_bytes: 0,
        rotate_every: RotateEvery::Never,
        compress: false,
        keep: 0,
        fsync: false,
    }
}

fn file_output(name: &str, f: FileConfig) -> OutputConfig {
    OutputConfig::new(name, SinkConfig::File(f))
}

/// Publishes records `0..n` of tenant `t1` to a fresh manager with the one output `cfg` (in a
/// temporary data directory), waits for the queue to drain and shuts the manager down.
async fn publish_and_drain(cfg: OutputConfig, n: u64) {
    let data = tempfile::tempdir().unwrap();
    let mgr = start(cfg, data.path());
    for i in 0..n {
        mgr.publish(&record(i, "t1"));
    }
    assert!(mgr.drain(Duration::from_secs(30)).await);
    mgr.shutdown().await;
}

#[tokio::test]
async fn file_rotates_by_size_and_gzips() {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("hits.jsonl");
    let mut cfg = file_output(
        "file",
        FileConfig {
            rotate_bytes: 20_000,
            compress: true,
            ..plain_file(path.clone())
        },
    );
    cfg.batch_size = 50;
    publish_and_drain(cfg, 1000).await;
    let (ids, files) = read_ids(out.path(), "hits.jsonl");
    assert!(files > 5, "expected several rotated files, got {files}");
    let gz = std::fs::read_dir(out.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "gz")
        })
        .count();
    assert!(gz >= 5, "rotated files are gzipped ({gz})");
    // Exactly once here (no failures), and in order.
    let want: Vec<String> = (0..1000).map(|i| format!("hit-{i}")).collect();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|s| s[4..].parse::<u64>().unwrap());
    assert_eq!(sorted, want);
}

#[tokio::test]
async fn file_keeps_n_rotated_and_native_format() {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("a.jsonl");
    let mut cfg = file_output(
        "f",
        FileConfig {
            rotate_bytes: 5_000,
            rotate_every: RotateEvery::Hour,
            keep: 2,
            fsync: true,
            ..plain_file(path.clone())
        },
    );
    cfg.batch_size = 5;
    publish_and_drain(cfg, 300).await;
    let rotated = std::fs::read_dir(out.path())
        .unwrap()
        .filter(|e| {
            let n = e.as_ref().unwrap().file_name();
            let n = n.to_str().unwrap();
            n.starts_with("a.jsonl.")
        })
        .count();
    assert_eq!(rotated, 2);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some(line) = text.lines().next() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["@timestamp"]
                .as_str()
                .unwrap()
                .starts_with("2026-11-23T10:")
        );
        assert_eq!(v["kind"], "hit");
        assert!(v["event"]["remote_ip"].is_string());
        assert!(v["indicators"].is_array());
    }
}

#[tokio::test]
async fn stdout_output_delivers() {
    let data = tempfile::tempdir().unwrap();
    let mut cfg = OutputConfig::new("out", SinkConfig::Stdout);
    cfg.format = Some(outpost_outputs::Format::Ecs);
    let mgr = start(cfg, data.path());
    for i in 0..5 {
        mgr.publish(&record(i, "t1"));
    }
    assert!(mgr.drain(Duration::from_secs(10)).await);
    assert_eq!(mgr.status()[0].sent, 5);
    mgr.shutdown().await;
}

/// A dead webhook must not slow ingest nor the file output; its records survive a restart
/// and are delivered once the receiver exists.
#[tokio::test]
async fn dead_output_blocks_nothing_and_resumes_after_restart() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // A port with nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = l.local_addr().unwrap();
    drop(l);
    let mk = || {
        let mut wh = OutputConfig::new(
            "hook",
            SinkConfig::Webhook(WebhookConfig {
                url: format!("http://{dead_addr}/in"),
                secret: None,
                headers: Default::default(),
                dead_letter: None,
                timeout_secs: 2,
            }),
        );
        fast_retry(&mut wh);
        let file = file_output("file", plain_file(out.path().join("x.jsonl")));
        vec![wh, file]
    };
    let mut reg = prometheus_client::registry::Registry::default();
    let mgr = OutputManager::start(mk(), data.path(), &mut reg).unwrap();
    let n = 20_000u64;
    let mut worst = Duration::ZERO;
    let t0 = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        assert_eq!(mgr.publish(&record(i, "t1")), 2);
        worst = worst.max(t.elapsed());
    }
    let total = t0.elapsed();
    assert!(
        mgr.drain_output("file", Duration::from_secs(30)).await,
        "file output stalled behind the dead webhook"
    );
    assert!(mgr.queue_depth("hook").unwrap() >= n - 1);
    eprintln!("publish of {n} records to 2 outputs: {total:?}, worst single publish {worst:?}");
    assert!(
        total < Duration::from_secs(20),
        "publish too slow: {total:?}"
    );
    // Metrics are exposed.
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
    assert!(
        text.contains("outpost_output_sent_total{output=\"file\"} 20000"),
        "{text}"
    );
    assert!(text.contains("outpost_output_retried_total{output=\"hook\"}"));
    assert!(text.contains("outpost_output_queue_depth{output=\"hook\"}"));
    assert!(text.contains("outpost_output_lag_seconds{output=\"hook\"}"));
    mgr.shutdown().await;

    // Now a receiver appears on that port; a fresh manager delivers the persisted backlog.
    let got = std::sync::Arc::new(std::sync::Mutex::new(HashSet::new()));
    let g2 = got.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |body: axum::body::Bytes| {
            let g = g2.clone();
            async move {
                let v: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
                let mut g = g.lock().unwrap();
                for d in v {
                    g.insert(d["id"].as_str().unwrap().to_string());
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(dead_addr).await.unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut reg = prometheus_client::registry::Registry::default();
    let mgr = OutputManager::start(mk(), data.path(), &mut reg).unwrap();
    assert!(
        mgr.drain(Duration::from_secs(60)).await,
        "{:?}",
        mgr.status()
    );
    mgr.shutdown().await;
    server.abort();
    let got = got.lock().unwrap();
    let published: Vec<_> = (0..n).map(|i| record(i, "t1")).collect();
    assert_all_delivered(&published, &got);
}

#[tokio::test]
async fn filters_select_kinds_tenants_and_scores() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut cfg = file_output("f", plain_file(out.path().join("f.jsonl")));
    cfg.filter = Filter {
        kinds: vec![RecordKind::Hit, RecordKind::Audit],
        tenants: Some(vec!["acme".into()]),
        min_risk_score: Some(10),
    };
    let mgr = start(cfg, data.path());
    let mut a = record(1, "acme");
    a.risk_score = 50;
    let mut b = record(2, "other");
    b.risk_score = 50;
    let mut c = record(3, "acme");
    c.risk_score = 5;
    let mut d = record(4, "acme");
    d.kind = RecordKind::Event;
    d.risk_score = 50;
    assert_eq!(mgr.publish(&a), 1);
    assert_eq!(mgr.publish(&b), 0);
    assert_eq!(mgr.publish(&c), 0);
    assert_eq!(mgr.publish(&d), 0);
    assert!(mgr.drain(Duration::from_secs(10)).await);
    mgr.shutdown().await;
    let (ids, _) = read_ids(out.path(), "f.jsonl");
    assert_eq!(ids, vec!["hit-1".to_string()]);
}

/// Two servers on one data directory would both deliver and delete from the same queues: the
/// second manager is refused (naming the holder's pid) until the first has shut down.
#[tokio::test]
async fn a_second_manager_on_the_same_data_directory_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let cfg = || file_output("f", plain_file(out.path().join("f.jsonl")));
    let first = start(cfg(), data.path());
    let mut reg = prometheus_client::registry::Registry::default();
    let e = OutputManager::start(vec![cfg()], data.path(), &mut reg).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(&e, outpost_outputs::OutputError::Locked { holder: Some(p), .. } if *p == std::process::id()),
        "{msg}"
    );
    assert!(
        msg.contains("outputs.lock") && msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );
    // A manager with other outputs is refused too: the lock is the whole outputs directory's.
    let other = file_output("g", plain_file(out.path().join("g.jsonl")));
    let mut reg = prometheus_client::registry::Registry::default();
    assert!(OutputManager::start(vec![other], data.path(), &mut reg).is_err());
    first.publish(&record(1, "t1"));
    first.shutdown().await;
    // Released once the first has stopped delivering: the next one delivers the backlog.
    let second = start(cfg(), data.path());
    assert!(second.drain(Duration::from_secs(10)).await);
    second.shutdown().await;
    let (ids, _) = read_ids(out.path(), "f.jsonl");
    assert!(ids.contains(&"hit-1".to_string()), "{ids:?}");
}

#[test]
fn config_parses_from_toml_shape() {
    let j = serde_json::json!([
        {"name": "es", "type": "elasticsearch", "url": "http://127.0.0.1:9200", "format": "ecs",
         "filter": {"kinds": ["hit", "alert"]}},
        {"name": "k", "type": "kafka", "brokers": ["127.0.0.1:9092"], "topic": "t"},
        {"name": "r", "type": "redis", "url": "redis://127.0.0.1/", "key": "k", "mode": "stream", "maxlen": 1000},
        {"name": "s", "type": "syslog", "address": "127.0.0.1:514", "transport": "udp"},
        {"name": "o", "type": "stdout"},
        {"name": "sy", "type": "syncro", "base_url": "https://x.syncromsp.com/api/v1", "api_key": "k",
         "public_url": "https://outpost", "customers": {"acme": 7}}
    ]);
    let cfgs: Vec<OutputConfig> = serde_json::from_value(j).unwrap();
    assert_eq!(cfgs.len(), 6);
    assert_eq!(cfgs[0].effective_format(), outpost_outputs::Format::Ecs);
    assert_eq!(cfgs[3].effective_format(), outpost_outputs::Format::Rfc5424);
    assert!(
        matches!(&cfgs[2].sink, SinkConfig::Redis(r) if r.mode == outpost_outputs::config::RedisMode::Stream && r.maxlen == 1000)
    );
    // Secrets never show in Debug output.
    assert!(!format!("{:?}", cfgs[5]).contains("\"k\""));
}
