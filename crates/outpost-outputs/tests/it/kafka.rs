//! Kafka output against tansu (Kafka API broker). `kafka_produce_keys_and_partitions` uses
//! the shared broker (OUTPOST_TEST_KAFKA_ADDR); `kafka_with_outage` starts its own broker
//! from OUTPOST_TEST_TANSU_BIN that advertises a proxy address, so every client connection
//! goes through the proxy the test takes down mid-stream.

use crate::common;

use common::*;
use outpost_outputs::config::{KafkaCompression, KafkaConfig};
use outpost_outputs::{OutputConfig, SinkConfig};
use rskafka::client::ClientBuilder;
use rskafka::client::partition::UnknownTopicHandling;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// (record id → key) of every record in `topic`.
async fn read_topic(addr: &str, topic: &str) -> Vec<(String, String, String)> {
    let client = ClientBuilder::new(vec![addr.to_string()])
        .build()
        .await
        .unwrap();
    let topics = client.list_topics().await.unwrap();
    let t = topics
        .iter()
        .find(|t| t.name == topic)
        .expect("topic exists");
    let mut out = Vec::new();
    for &p in &t.partitions {
        let pc = client
            .partition_client(topic.to_string(), p, UnknownTopicHandling::Retry)
            .await
            .unwrap();
        let mut offset = 0;
        loop {
            let (recs, hw) = pc.fetch_records(offset, 1..10_000_000, 500).await.unwrap();
            for r in &recs {
                let v: serde_json::Value =
                    serde_json::from_slice(r.record.value.as_deref().unwrap_or(b"{}")).unwrap();
                out.push((
                    v["id"].as_str().unwrap_or("").to_string(),
                    String::from_utf8_lossy(r.record.key.as_deref().unwrap_or(b"")).into_owned(),
                    format!("{p}"),
                ));
                offset = r.offset + 1;
            }
            if offset >= hw || recs.is_empty() {
                break;
            }
        }
    }
    out
}

fn kafka_cfg(addr: String, topic: String, compression: KafkaCompression) -> OutputConfig {
    let mut cfg = OutputConfig::new(
        "kafka",
        SinkConfig::Kafka(KafkaConfig {
            brokers: vec![addr],
            topic,
            compression,
            create_partitions: 3,
            replication_factor: 1,
            timeout_secs: 3,
        }),
    );
    cfg.batch_size = 200;
    fast_retry(&mut cfg);
    cfg
}

#[tokio::test]
async fn kafka_produce_keys_and_partitions() {
    let Some(addr) = env_or_skip(
        "OUTPOST_TEST_KAFKA_ADDR",
        "kafka_produce_keys_and_partitions",
    ) else {
        return;
    };
    let topic = unique("outpost-test");
    let data = tempfile::tempdir().unwrap();
    let mgr = start(
        kafka_cfg(addr.clone(), topic.clone(), KafkaCompression::Snappy),
        data.path(),
    );
    for i in 0..500 {
        mgr.publish(&record(i, "t1"));
    }
    assert!(
        mgr.drain(Duration::from_secs(60)).await,
        "{:?}",
        mgr.status()
    );
    mgr.shutdown().await;
    let recs = read_topic(&addr, &topic).await;
    let ids: HashSet<String> = recs.iter().map(|r| r.0.clone()).collect();
    let published: Vec<_> = (0..500).map(|i| record(i, "t1")).collect();
    assert_all_delivered(&published, &ids);
    // Keyed by tenant/device, and one key always lands on one partition.
    let mut part_of_key: HashMap<String, String> = HashMap::new();
    for (_, key, p) in &recs {
        assert!(key.starts_with("t1/dev-"), "key {key}");
        if let Some(prev) = part_of_key.insert(key.clone(), p.clone()) {
            assert_eq!(&prev, p, "key {key} on two partitions");
        }
    }
    let parts: HashSet<&String> = recs.iter().map(|r| &r.2).collect();
    assert!(
        parts.len() > 1,
        "5 devices should spread over the 3 created partitions"
    );
}

#[tokio::test]
async fn kafka_with_outage() {
    let Some(bin) = env_or_skip("OUTPOST_TEST_TANSU_BIN", "kafka_with_outage") else {
        return;
    };
    // The broker's own port, and a proxy in front of it that the broker advertises.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let broker_port = l.local_addr().unwrap().port();
    drop(l);
    let proxy = Proxy::start(&format!("127.0.0.1:{broker_port}")).await;
    let child = std::process::Command::new(&bin)
        .arg("broker")
        .arg("--listener-url")
        .arg(format!("tcp://127.0.0.1:{broker_port}"))
        .arg("--advertised-listener-url")
        .arg(format!("tcp://{}", proxy.addr))
        .arg("--storage-engine")
        .arg("memory://tansu/")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start tansu");
    // Killed when the test ends, even on a failed assertion.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = KillOnDrop(child);
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", broker_port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "tansu did not start");
    let addr = proxy.addr.to_string();
    let topic = unique("outpost-outage");
    let published = publish_through_outage(
        kafka_cfg(addr.clone(), topic.clone(), KafkaCompression::Gzip),
        &proxy,
    )
    .await;
    let recs = read_topic(&addr, &topic).await;
    let ids: HashSet<String> = recs.iter().map(|r| r.0.clone()).collect();
    assert_all_delivered_counting("kafka_with_outage", &published, &ids, recs.len());
}
