//! Throughput of each output against its real server (see `bench/outputs/run.sh`).
//!
//! For every selected output: start an `OutputManager` with that one output, publish N hit
//! records as fast as possible, and wait until the queue is drained (every record
//! acknowledged by the target). Prints one Markdown table row per output.
//!
//! Usage: `throughput [N] [output ...]`; outputs: publish, file, stdout, elasticsearch,
//! kafka, redis-list, redis-stream, nats, jetstream, syslog-tcp, syslog-udp, logstash,
//! webhook. Servers come from the `OUTPOST_TEST_*` variables of `scripts/services.sh env`.

use outpost_outputs::config::*;
use outpost_outputs::{OutputConfig, OutputManager, OutputRecord, RecordKind, Secret, SinkConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

fn rec(i: u64) -> OutputRecord {
    let t = chrono::Utc::now();
    let mut r = OutputRecord::new(
        format!("hit-{i}"),
        RecordKind::Hit,
        "t1",
        t,
        serde_json::json!({
            "id": i, "tenant_id": "t1", "device_id": format!("dev-{}", i % 50),
            "hostname": format!("host-{}", i % 50), "batch_id": "b", "received_at": t,
            "agent_version": "1.0.0", "hotlist_version": "2026-11-23",
            "remote_ip": format!("203.0.113.{}", i % 250), "remote_port": 443, "protocol": "tcp",
            "process_name": "svchost.exe", "pid": 4242, "exe_path": "C:\\Windows\\System32\\svchost.exe",
            "sha256": "0".repeat(64), "first_seen_utc": t, "last_seen_utc": t, "hit_count": 3,
            "sample_events": []
        }),
    );
    r.device_id = Some(format!("dev-{}", i % 50));
    r.hostname = Some(format!("host-{}", i % 50));
    r.risk_score = 70;
    r
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

/// A TCP sink that counts bytes (syslog/logstash receiver).
async fn tcp_counter() -> (String, Arc<AtomicU64>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let n = Arc::new(AtomicU64::new(0));
    let n2 = n.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let n = n2.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                while let Ok(k) = s.read(&mut buf).await {
                    if k == 0 {
                        break;
                    }
                    n.fetch_add(k as u64, Ordering::Relaxed);
                }
            });
        }
    });
    (addr, n)
}

async fn udp_counter() -> String {
    let s = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = s.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1 << 16];
        while s.recv(&mut buf).await.is_ok() {}
    });
    addr
}

async fn webhook_server() -> String {
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(|_b: axum::body::Bytes| async { "ok" }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    format!("http://{addr}/in")
}

async fn config(name: &str, dir: &std::path::Path) -> Option<OutputConfig> {
    let uniq = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let sink = match name {
        "file" => SinkConfig::File(FileConfig {
            path: dir.join("out/bench.jsonl"),
            rotate_bytes: 64 * 1024 * 1024,
            rotate_every: RotateEvery::Never,
            compress: true,
            keep: 0,
            fsync: false,
        }),
        "stdout" => SinkConfig::Stdout,
        "elasticsearch" => SinkConfig::Elasticsearch(ElasticsearchConfig {
            url: env("OUTPOST_TEST_OPENSEARCH_URL")?,
            index: format!("bench-{uniq}-%Y.%m.%d"),
            data_stream: None,
            create_only: false,
            install_template: true,
            template_name: format!("bench-{uniq}"),
            username: None,
            password: None,
            api_key: None,
            gzip: true,
            item_retries: 3,
            dead_letter: None,
            timeout_secs: 30,
        }),
        "kafka" => SinkConfig::Kafka(KafkaConfig {
            brokers: vec![env("OUTPOST_TEST_KAFKA_ADDR")?],
            topic: format!("bench-{uniq}"),
            compression: KafkaCompression::Gzip,
            create_partitions: 3,
            replication_factor: 1,
            timeout_secs: 30,
        }),
        "redis-list" | "redis-stream" => SinkConfig::Redis(RedisConfig {
            url: Secret(env("OUTPOST_TEST_REDIS_URL")?),
            key: format!("bench-{uniq}"),
            mode: if name == "redis-list" {
                RedisMode::List
            } else {
                RedisMode::Stream
            },
            maxlen: 1_000_000,
            timeout_secs: 30,
        }),
        "nats" | "jetstream" => SinkConfig::Nats(NatsConfig {
            url: env("OUTPOST_TEST_NATS_URL")?,
            subject: format!("bench.{}.{{kind}}", uniq.replace('-', "_")),
            jetstream: name == "jetstream",
            stream: (name == "jetstream").then(|| format!("BENCH_{}", uniq.replace('-', "_"))),
            stream_subjects: vec![],
            token: None,
            timeout_secs: 30,
        }),
        "syslog-tcp" | "syslog-udp" => SinkConfig::Syslog(SyslogConfig {
            address: match name {
                "syslog-udp" => udp_counter().await,
                _ => tcp_counter().await.0,
            },
            transport: match name {
                "syslog-udp" => SyslogTransport::Udp,
                _ => SyslogTransport::Tcp,
            },
            tls: None,
            facility: 4,
            app_name: "outpost".into(),
            hostname: None,
            confirm_window_ms: 2000,
            timeout_secs: 30,
        }),
        "logstash" => SinkConfig::Logstash(LogstashConfig {
            address: tcp_counter().await.0,
            tls: None,
            confirm_window_ms: 2000,
            timeout_secs: 30,
        }),
        "webhook" => SinkConfig::Webhook(WebhookConfig {
            url: webhook_server().await,
            secret: Some(Secret("bench".into())),
            headers: Default::default(),
            dead_letter: None,
            timeout_secs: 30,
        }),
        _ => return None,
    };
    let mut c = OutputConfig::new(name, sink);
    c.filter = outpost_outputs::Filter::all();
    c.batch_size = 1000;
    Some(c)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut names: Vec<String> = args.collect();
    if names.is_empty() {
        names = [
            "publish",
            "file",
            "elasticsearch",
            "kafka",
            "redis-list",
            "redis-stream",
            "nats",
            "jetstream",
            "syslog-tcp",
            "syslog-udp",
            "logstash",
            "webhook",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
    }
    let records: Vec<OutputRecord> = (0..n).map(rec).collect();
    println!("| output | records | publish (µs/record) | delivered in (s) | records/s |");
    println!("|---|---:|---:|---:|---:|");
    for name in names {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("tempdir: {e}");
                return;
            }
        };
        let (cfg, publish_only) = if name == "publish" {
            // Queue cost only: an output whose target never answers.
            let mut c = OutputConfig::new(
                "publish",
                SinkConfig::Webhook(WebhookConfig {
                    url: "http://127.0.0.1:9/".into(),
                    secret: None,
                    headers: Default::default(),
                    dead_letter: None,
                    timeout_secs: 1,
                }),
            );
            c.retry.initial_backoff_ms = 60_000;
            (Some(c), true)
        } else {
            (config(&name, dir.path()).await, false)
        };
        let Some(cfg) = cfg else {
            eprintln!("skipping {name}: its server variable is not set");
            continue;
        };
        let mut reg = prometheus_client::registry::Registry::default();
        let mgr = match OutputManager::start(vec![cfg], dir.path(), &mut reg) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        let t0 = Instant::now();
        for r in &records {
            mgr.publish(r);
        }
        let publish = t0.elapsed();
        if publish_only {
            println!(
                "| publish (disk queue append only) | {n} | {:.2} | — | {:.0} |",
                publish.as_secs_f64() * 1e6 / n as f64,
                n as f64 / publish.as_secs_f64()
            );
            mgr.shutdown().await;
            continue;
        }
        let ok = mgr.drain(Duration::from_secs(600)).await;
        let total = t0.elapsed();
        let st = mgr.status();
        mgr.shutdown().await;
        if !ok {
            eprintln!("{name}: not drained: {st:?}");
            continue;
        }
        println!(
            "| {name} | {n} | {:.2} | {:.2} | {:.0} |",
            publish.as_secs_f64() * 1e6 / n as f64,
            total.as_secs_f64(),
            n as f64 / total.as_secs_f64()
        );
    }
}
