//! Redis (list, stream) and NATS (JetStream, core) outputs against real servers
//! (OUTPOST_TEST_REDIS_URL, OUTPOST_TEST_NATS_URL), reached through a proxy that the test
//! takes down mid-stream.

use crate::common;

use common::*;
use futures_util::StreamExt;
use outpost_outputs::config::{NatsConfig, RedisConfig, RedisMode};
use outpost_outputs::{OutputConfig, Secret, SinkConfig};
use std::collections::HashSet;
use std::time::Duration;

fn hostport(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .trim_end_matches('/')
        .to_string()
}

async fn redis_outage(mode: RedisMode, test: &str) {
    let Some(url) = env_or_skip("OUTPOST_TEST_REDIS_URL", test) else {
        return;
    };
    let proxy = Proxy::start(&hostport(&url)).await;
    let key = unique("outpost-test");
    let cfg = outage_cfg(
        "redis",
        SinkConfig::Redis(RedisConfig {
            url: Secret(format!("redis://{}/", proxy.addr)),
            key: key.clone(),
            mode,
            maxlen: 100_000,
            timeout_secs: 2,
        }),
    );
    let published = publish_through_outage(cfg, &proxy).await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let docs: Vec<String> = match mode {
        RedisMode::List => redis::cmd("LRANGE")
            .arg(&key)
            .arg(0)
            .arg(-1)
            .query_async(&mut c)
            .await
            .unwrap(),
        RedisMode::Stream => {
            let v: redis::Value = redis::cmd("XRANGE")
                .arg(&key)
                .arg("-")
                .arg("+")
                .query_async(&mut c)
                .await
                .unwrap();
            let mut out = Vec::new();
            if let redis::Value::Array(entries) = v {
                for e in entries {
                    if let redis::Value::Array(parts) = e
                        && let Some(redis::Value::Array(fields)) = parts.get(1)
                    {
                        // fields: id, <id>, doc, <doc>
                        if let Some(redis::Value::BulkString(d)) = fields.get(3) {
                            out.push(String::from_utf8_lossy(d).into_owned());
                        }
                    }
                }
            }
            out
        }
        RedisMode::Pubsub => unreachable!(),
    };
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut c)
        .await
        .unwrap();
    let got: HashSet<String> = docs
        .iter()
        .map(|d| {
            serde_json::from_str::<serde_json::Value>(d).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_all_delivered_counting(test, &published, &got, docs.len());
}

#[tokio::test]
async fn redis_list_with_outage() {
    redis_outage(RedisMode::List, "redis_list_with_outage").await;
}

#[tokio::test]
async fn redis_stream_with_outage() {
    redis_outage(RedisMode::Stream, "redis_stream_with_outage").await;
}

#[tokio::test]
async fn redis_stream_maxlen_caps() {
    let Some(url) = env_or_skip("OUTPOST_TEST_REDIS_URL", "redis_stream_maxlen_caps") else {
        return;
    };
    let key = unique("outpost-cap");
    let data = tempfile::tempdir().unwrap();
    let cfg = OutputConfig::new(
        "redis",
        SinkConfig::Redis(RedisConfig {
            url: Secret(url.clone()),
            key: key.clone(),
            mode: RedisMode::Stream,
            maxlen: 100,
            timeout_secs: 2,
        }),
    );
    let mgr = start(cfg, data.path());
    for i in 0..2000 {
        mgr.publish(&record(i, "t1"));
    }
    assert!(mgr.drain(Duration::from_secs(30)).await);
    mgr.shutdown().await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let len: u64 = redis::cmd("XLEN")
        .arg(&key)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut c)
        .await
        .unwrap();
    // MAXLEN ~ trims whole macro nodes: the length stays near the cap, far below 2000.
    assert!((100..400).contains(&len), "XLEN {len}");
}

/// The NATS server of `OUTPOST_TEST_NATS_URL` (else a skip of `test`) and a proxy to it.
async fn nats(test: &str) -> Option<(String, Proxy)> {
    let url = env_or_skip("OUTPOST_TEST_NATS_URL", test)?;
    let proxy = Proxy::start(&hostport(&url)).await;
    Some((url, proxy))
}

/// The outage output publishing to `subject` through `proxy`, through JetStream into `stream`
/// when one is given (core NATS without).
fn nats_cfg(proxy: &Proxy, subject: String, stream: Option<String>) -> OutputConfig {
    outage_cfg(
        "nats",
        SinkConfig::Nats(NatsConfig {
            url: format!("nats://{}", proxy.addr),
            subject,
            jetstream: stream.is_some(),
            stream,
            stream_subjects: vec![],
            token: None,
            timeout_secs: 2,
        }),
    )
}

#[tokio::test]
async fn nats_jetstream_with_outage() {
    let Some((url, proxy)) = nats("nats_jetstream_with_outage").await else {
        return;
    };
    let stream = unique("OUTPOST").replace('-', "_");
    let subject_root = unique("outpost.test").replace('-', "_");
    let subject = format!("{subject_root}.{{tenant_id}}.{{kind}}");
    let cfg = nats_cfg(&proxy, subject, Some(stream.clone()));
    let published = publish_through_outage(cfg, &proxy).await;
    // Read the stream back directly.
    let client = async_nats::connect(url.as_str()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut st = js.get_stream(&stream).await.unwrap();
    let info = st.info().await.unwrap();
    let count = info.state.messages;
    let consumer = st
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            durable_name: None,
            // No acks: otherwise delivery stops at max_ack_pending (1000) unacked messages.
            ack_policy: async_nats::jetstream::consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut got = HashSet::new();
    let mut seen = 0u64;
    // One fetch returns at most one pull batch; keep fetching until the stream is read.
    for _ in 0..100 {
        let mut msgs = consumer
            .fetch()
            .max_messages(1000)
            .messages()
            .await
            .unwrap();
        let mut n = 0;
        while let Some(m) = msgs.next().await {
            let m = m.unwrap();
            assert!(
                m.subject
                    .as_str()
                    .starts_with(&format!("{subject_root}.t1.hit"))
            );
            let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            got.insert(v["id"].as_str().unwrap().to_string());
            n += 1;
        }
        seen += n;
        if n == 0 || seen >= count {
            break;
        }
    }
    js.delete_stream(&stream).await.unwrap();
    assert_all_delivered(&published, &got);
    // Nats-Msg-Id deduplication: redelivered batches were not stored twice.
    assert_eq!(count, published.len() as u64);
}

#[tokio::test]
async fn nats_core_with_outage() {
    let Some((url, proxy)) = nats("nats_core_with_outage").await else {
        return;
    };
    let subject = unique("outpost.core").replace('-', "_");
    // The subscriber talks to the server directly, so it stays subscribed during the outage.
    let sub_client = async_nats::connect(url.as_str()).await.unwrap();
    let mut sub = sub_client.subscribe(subject.clone()).await.unwrap();
    sub_client.flush().await.unwrap();
    let collector = tokio::spawn(async move {
        let mut got = HashSet::new();
        while let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(5), sub.next()).await {
            let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            got.insert(v["id"].as_str().unwrap().to_string());
        }
        got
    });
    let cfg = nats_cfg(&proxy, subject.clone(), None);
    let published = publish_through_outage(cfg, &proxy).await;
    let got = collector.await.unwrap();
    assert_all_delivered(&published, &got);
}
