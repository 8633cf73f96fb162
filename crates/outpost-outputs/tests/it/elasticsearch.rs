//! Elasticsearch/OpenSearch output against a real osmem-server (OUTPOST_TEST_OPENSEARCH_URL),
//! reached through a proxy that the test takes down mid-stream.

use crate::common;

use common::*;
use outpost_outputs::config::ElasticsearchConfig;
use outpost_outputs::{Format, OutputConfig, SinkConfig};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

fn es_cfg(url: String, index: String, data_stream: Option<String>) -> ElasticsearchConfig {
    ElasticsearchConfig {
        url,
        index,
        data_stream,
        create_only: false,
        install_template: true,
        template_name: unique("tpl"),
        username: None,
        password: None,
        api_key: None,
        gzip: true,
        item_retries: 2,
        dead_letter: None,
        timeout_secs: 5,
    }
}

/// Every document (up to `size`) of the indices `pattern`, after a refresh.
async fn search(base: &str, pattern: &str, size: usize) -> Value {
    let c = reqwest::Client::new();
    let _ = c.post(format!("{base}/{pattern}/_refresh")).send().await;
    c.post(format!("{base}/{pattern}/_search"))
        .json(&json!({"size": size, "query": {"match_all": {}}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn ids_in(base: &str, pattern: &str) -> HashSet<String> {
    let v = search(base, pattern, 10000).await;
    v["hits"]["hits"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|h| {
            h["_source"]["id"]
                .as_str()
                .or(h["_id"].as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// The OpenSearch (or Elasticsearch) server of `OUTPOST_TEST_OPENSEARCH_URL` (else a skip of
/// `test`).
fn opensearch(test: &str) -> Option<String> {
    env_or_skip("OUTPOST_TEST_OPENSEARCH_URL", test)
}

#[tokio::test]
async fn bulk_with_outage_delivers_everything() {
    let Some(base) = opensearch("bulk_with_outage_delivers_everything") else {
        return;
    };
    let target = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let proxy = Proxy::start(&target).await;
    let prefix = unique("outpost-test");
    let cfg = outage_cfg(
        "es",
        SinkConfig::Elasticsearch(es_cfg(
            format!("http://{}", proxy.addr),
            format!("{prefix}-{{kind}}-%Y.%m.%d"),
            None,
        )),
    );
    let published = publish_through_outage(cfg, &proxy).await;
    // Daily index from the record's event time.
    let got = ids_in(&base, &format!("{prefix}-hit-2026.11.23")).await;
    assert_all_delivered(&published, &got);
    // `_id` = record id, so the redelivered batches did not create duplicates.
    assert_eq!(got.len(), published.len());
    // The template was installed.
    let c = reqwest::Client::new();
    let st = c
        .get(format!("{base}/_index_template"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        st.contains(&format!("{prefix}-*")),
        "template missing: {}",
        &st[..st.len().min(500)]
    );
}

#[tokio::test]
async fn rejected_documents_go_to_dead_letter() {
    let Some(base) = opensearch("rejected_documents_go_to_dead_letter") else {
        return;
    };
    let prefix = unique("outpost-dl");
    let data = tempfile::tempdir().unwrap();
    let mut cfg = OutputConfig::new(
        "es",
        SinkConfig::Elasticsearch(es_cfg(base.clone(), format!("{prefix}-{{kind}}"), None)),
    );
    fast_retry(&mut cfg);
    let mgr = start(cfg, data.path());
    let good = record(1, "t1");
    let mut bad = record(2, "t1");
    // The template maps event.remote_ip as `ip`: this value cannot be indexed.
    bad.body["remote_ip"] = json!("not-an-ip");
    mgr.publish(&good);
    mgr.publish(&bad);
    assert!(mgr.drain(Duration::from_secs(30)).await);
    let st = mgr.status();
    mgr.shutdown().await;
    let dl = std::fs::read_to_string(data.path().join("outputs/es/dead-letter.jsonl"))
        .unwrap_or_default();
    let got = ids_in(&base, &format!("{prefix}-hit")).await;
    assert!(got.contains("hit-1"));
    assert!(!got.contains("hit-2"));
    assert!(dl.contains("\"hit-2\""), "dead letter: {dl}");
    assert_eq!(st[0].dead_lettered, 1);
}

/// osmem-server does not implement data streams, so `create` semantics (used for data
/// streams) are tested with `create_only` on a daily index.
#[tokio::test]
async fn create_only_and_ecs() {
    let Some(base) = opensearch("create_only_and_ecs") else {
        return;
    };
    let prefix = unique("outpost-ecs");
    let data = tempfile::tempdir().unwrap();
    let mut es = es_cfg(base.clone(), format!("{prefix}-%Y.%m.%d"), None);
    es.create_only = true;
    let mut cfg = OutputConfig::new("es", SinkConfig::Elasticsearch(es));
    cfg.format = Some(Format::Ecs);
    let mgr = start(cfg, data.path());
    for i in 0..50 {
        mgr.publish(&record(i, "t1"));
    }
    // A duplicate id: `create` answers 409, which counts as delivered (not dead-lettered).
    mgr.publish(&record(0, "t1"));
    assert!(
        mgr.drain(Duration::from_secs(30)).await,
        "{:?}",
        mgr.status()
    );
    let st = mgr.status();
    mgr.shutdown().await;
    assert_eq!(st[0].dead_lettered, 0);
    assert_eq!(st[0].sent, 51);
    let index = format!("{prefix}-2026.11.23");
    let v = search(&base, &index, 100).await;
    let hits = v["hits"]["hits"].as_array().cloned().unwrap_or_default();
    assert_eq!(hits.len(), 50, "{v}");
    let src = &hits[0]["_source"];
    assert_eq!(src["ecs"]["version"], "8.11.0");
    assert!(src["destination"]["ip"].is_string());
    assert_eq!(src["organization"]["id"], "t1");
    assert_eq!(src["event"]["kind"], "alert");
}
