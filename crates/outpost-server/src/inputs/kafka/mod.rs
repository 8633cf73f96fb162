//! Kafka (or any Kafka-API broker: Redpanda, tansu) source of `[[inputs]]`, with the client
//! the Kafka output uses (rskafka).
//!
//! rskafka has no consumer-group protocol (no group coordinator, no offset commits), so the
//! server keeps each group's offsets itself: per (`group`, topic, partition) the next offset
//! to read, in its database (`input_offsets`, both backends), written only after the batch
//! before it was scored, stored and queued (see [`super`]). One task per partition; the
//! partitions are listed at start (a partition added later is read after a restart). A
//! group is meant to be consumed by one server: with several replicas sharing a database,
//! enable the input on one of them (each replica would otherwise read every partition and
//! the records would be scored once per replica).

use super::{Processor, RawRecord, back_off, count_error, wait};
use rskafka::client::ClientBuilder;
use rskafka::client::partition::{OffsetAt, UnknownTopicHandling};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::watch;

/// `type = "kafka"`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaInputConfig {
    /// Bootstrap brokers, `host:port`.
    pub brokers: Vec<String>,
    /// Topics to read (every partition of each).
    pub topics: Vec<String>,
    /// Consumer group: the key of the committed offsets (default: the input's name).
    #[serde(default)]
    pub group: Option<String>,
    /// Where a partition without a committed offset starts: `earliest` (default) or `latest`.
    #[serde(default)]
    pub start: StartAt,
    /// Longest wait of one fetch for new records, in milliseconds.
    #[serde(default = "default_max_wait_ms")]
    pub max_wait_ms: u32,
    /// Largest fetch, in bytes.
    #[serde(default = "default_fetch_bytes")]
    pub fetch_bytes: u32,
}

fn default_max_wait_ms() -> u32 {
    500
}

fn default_fetch_bytes() -> u32 {
    4 * 1024 * 1024
}

/// Where a partition without a committed offset starts.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StartAt {
    /// The oldest record the broker still has.
    #[default]
    Earliest,
    /// Only records produced after the input started.
    Latest,
}

/// Counts and logs a failure in the loop of one partition (`key`); `what` says what failed.
fn partition_error(input: &str, key: &str, what: &str, error: &dyn std::fmt::Display) {
    count_error(input);
    tracing::warn!(input, key, error = %error, "{what}");
}

/// Runs the input until `stop` turns true.
pub async fn run(cfg: KafkaInputConfig, p: Arc<Processor>, mut stop: watch::Receiver<bool>) {
    let group = cfg.group.clone().unwrap_or_else(|| p.name().to_string());
    let mut failures = 0u32;
    // Connect and list the partitions of every topic (retrying until the topics exist).
    let (client, parts) = loop {
        if *stop.borrow() {
            return;
        }
        match connect(&cfg).await {
            Ok(x) => break x,
            Err(e) => {
                let what = "kafka input cannot start; retrying";
                if !back_off(p.name(), what, &e, &mut failures, &mut stop).await {
                    return;
                }
            }
        }
    };
    tracing::info!(input = %p.name(), group = %group, partitions = parts.len(), "kafka input started");
    let mut tasks = Vec::new();
    for (topic, part) in parts {
        tasks.push(tokio::spawn(partition_loop(
            client.clone(),
            cfg.clone(),
            group.clone(),
            topic,
            part,
            p.clone(),
            stop.clone(),
        )));
    }
    for t in tasks {
        let _ = t.await;
    }
}

async fn connect(
    cfg: &KafkaInputConfig,
) -> Result<(Arc<rskafka::client::Client>, Vec<(String, i32)>), String> {
    let client = ClientBuilder::new(cfg.brokers.clone())
        .build()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let listed = client
        .list_topics()
        .await
        .map_err(|e| format!("list topics: {e}"))?;
    let mut parts = Vec::new();
    for t in &cfg.topics {
        let Some(found) = listed.iter().find(|x| &x.name == t) else {
            return Err(format!("topic {t:?} does not exist (yet)"));
        };
        let mut ps: Vec<i32> = found.partitions.iter().copied().collect();
        ps.sort_unstable();
        parts.extend(ps.into_iter().map(|p| (t.clone(), p)));
    }
    Ok((Arc::new(client), parts))
}

/// Where reading `topic`'s partition `part` starts: the offset committed for the consumer
/// `group` (and `true`), else the configured start (and `false`). An error names what failed.
async fn start_offset(
    p: &Processor,
    client_p: &rskafka::client::partition::PartitionClient,
    cfg: &KafkaInputConfig,
    group: &str,
    topic: &str,
    part: i32,
) -> Result<(i64, bool), (&'static str, String)> {
    let committed = p
        .state_store()
        .input_offsets(group, topic)
        .await
        .map_err(|e| ("reading the committed offset", e.to_string()))?;
    if let Some((_, o)) = committed.into_iter().find(|(q, _)| *q == part) {
        return Ok((o, true));
    }
    let at = match cfg.start {
        StartAt::Earliest => OffsetAt::Earliest,
        StartAt::Latest => OffsetAt::Latest,
    };
    let o = client_p
        .get_offset(at)
        .await
        .map_err(|e| ("kafka list offsets", e.to_string()))?;
    Ok((o, false))
}

async fn partition_loop(
    client: Arc<rskafka::client::Client>,
    cfg: KafkaInputConfig,
    group: String,
    topic: String,
    part: i32,
    p: Arc<Processor>,
    mut stop: watch::Receiver<bool>,
) {
    let input = p.name().to_string();
    let key = format!("{topic}:{part}");
    let mut failures = 0u32;
    let mut offset: Option<i64> = None;
    let mut pc = None;
    loop {
        if *stop.borrow() {
            return;
        }
        if failures > 0 && !wait(failures, &mut stop).await {
            return;
        }
        let client_p = match &pc {
            Some(c) => c,
            None => match client
                .partition_client(topic.clone(), part, UnknownTopicHandling::Retry)
                .await
            {
                Ok(c) => pc.insert(c),
                Err(e) => {
                    partition_error(&input, &key, "kafka partition client", &e);
                    failures += 1;
                    continue;
                }
            },
        };
        let next = match offset {
            Some(o) => o,
            None => match start_offset(&p, client_p, &cfg, &group, &topic, part).await {
                Ok((o, committed)) => {
                    tracing::info!(
                        input,
                        key,
                        group,
                        offset = o,
                        committed,
                        "kafka partition reading"
                    );
                    offset = Some(o);
                    o
                }
                Err((what, e)) => {
                    partition_error(&input, &key, what, &e);
                    failures += 1;
                    continue;
                }
            },
        };
        let max_bytes = i32::try_from(cfg.fetch_bytes.max(1024)).unwrap_or(i32::MAX);
        let wait = i32::try_from(cfg.max_wait_ms).unwrap_or(i32::MAX);
        let fetched = tokio::select! {
            r = client_p.fetch_records(next, 1..max_bytes, wait) => r,
            _ = stop.changed() => return,
        };
        let (records, _high) = match fetched {
            Ok(x) => x,
            Err(rskafka::client::error::Error::ServerError {
                protocol_error: rskafka::client::error::ProtocolError::OffsetOutOfRange,
                ..
            }) => {
                // Records before the committed offset were deleted (retention): read from the
                // earliest kept one. Counted as an error: records may have been lost upstream.
                count_error(&input);
                tracing::warn!(
                    input,
                    key,
                    offset = next,
                    "committed offset out of range; reading from the earliest kept record"
                );
                match client_p.get_offset(OffsetAt::Earliest).await {
                    Ok(o) => offset = Some(o.max(0)),
                    Err(e) => {
                        tracing::warn!(input, key, error = %e, "kafka list offsets");
                        failures += 1;
                    }
                }
                continue;
            }
            Err(e) => {
                partition_error(&input, &key, "kafka fetch", &e);
                failures += 1;
                pc = None;
                continue;
            }
        };
        // A fetch may start before the requested offset (compressed batches).
        let records: Vec<RawRecord> = records
            .into_iter()
            .filter(|r| r.offset >= next)
            .map(|r| RawRecord {
                position: r.offset,
                payload: r.record.value.unwrap_or_default(),
                received: r.record.timestamp,
            })
            .collect();
        let mut done = next;
        let mut ok = true;
        for chunk in records.chunks(p.batch_size()) {
            let Some(last) = chunk.last().map(|r| r.position) else {
                continue;
            };
            if let Err(e) = p.process(&key, chunk).await {
                partition_error(&input, &key, "input batch not processed; retrying it", &e);
                ok = false;
                break;
            }
            if let Err(e) = p
                .state_store()
                .commit_input_offset(&group, &topic, part, last + 1)
                .await
            {
                partition_error(
                    &input,
                    &key,
                    "offset not committed; the batch will be read again",
                    &e,
                );
                ok = false;
                break;
            }
            done = last + 1;
        }
        offset = Some(done);
        failures = if ok { 0 } else { failures + 1 };
    }
}
