//! Kafka via rskafka (pure Rust). Records are keyed `"{tenant_id}/{device_id}"` and routed to
//! partition `sha256(key)[..8] % partitions`, so one device's records stay in order on one partition.
//! rskafka always produces with `acks=all` (-1): `produce` returns only once the leader and
//! its in-sync replicas have the records. A missing topic is created
//! (`create_partitions`, `replication_factor`).

use crate::config::{KafkaCompression, KafkaConfig};
use crate::error::{OutputError, SinkError};
use crate::sinks::{Encoded, Sink};
use rskafka::BackoffConfig;
use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::Record;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

pub(crate) struct KafkaSink {
    cfg: KafkaConfig,
    timeout: Duration,
    client: Option<Client>,
    partitions: HashMap<i32, PartitionClient>,
    partition_ids: Vec<i32>,
}

/// The partition of a key: the first 8 bytes of SHA-256(key), big-endian, modulo the number
/// of partitions. (CRC-32 was tried first: keys that differ only in their last character, such
/// as `t1/dev-0`…`t1/dev-4`, all landed on one partition of three.)
pub(crate) fn partition_for(key: &[u8], ids: &[i32]) -> i32 {
    use sha2::{Digest, Sha256};
    if ids.is_empty() {
        return 0;
    }
    let d = Sha256::digest(key);
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    ids[(u64::from_be_bytes(first) % ids.len() as u64) as usize]
}

impl KafkaSink {
    pub(crate) fn new(cfg: KafkaConfig) -> Result<Self, OutputError> {
        if cfg.brokers.is_empty() {
            return Err(OutputError::Config("kafka brokers is empty".into()));
        }
        if cfg.topic.is_empty() {
            return Err(OutputError::Config("kafka topic is empty".into()));
        }
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        Ok(KafkaSink {
            cfg,
            timeout,
            client: None,
            partitions: HashMap::new(),
            partition_ids: Vec::new(),
        })
    }

    async fn connect(&mut self) -> Result<(), SinkError> {
        if self.client.is_some() {
            return Ok(());
        }
        let backoff = BackoffConfig {
            init_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
            deadline: Some(self.timeout),
        };
        let client = ClientBuilder::new(self.cfg.brokers.clone())
            .client_id("outpost")
            .backoff_config(backoff)
            .build()
            .await
            .map_err(|e| SinkError::Transport(format!("kafka connect: {e}")))?;
        let topics = client
            .list_topics()
            .await
            .map_err(|e| SinkError::Transport(format!("kafka metadata: {e}")))?;
        let mut ids: Vec<i32> = topics
            .iter()
            .find(|t| t.name == self.cfg.topic)
            .map(|t| t.partitions.iter().copied().collect())
            .unwrap_or_default();
        if ids.is_empty() {
            let ctl = client
                .controller_client()
                .map_err(|e| SinkError::Transport(format!("kafka controller: {e}")))?;
            match ctl
                .create_topic(
                    self.cfg.topic.clone(),
                    self.cfg.create_partitions.max(1),
                    self.cfg.replication_factor.max(1),
                    5_000,
                )
                .await
            {
                Ok(()) => tracing::info!(topic = %self.cfg.topic, "created kafka topic"),
                Err(e) => {
                    tracing::debug!(topic = %self.cfg.topic, error = %e, "create topic (may already exist)")
                }
            }
            let topics = client
                .list_topics()
                .await
                .map_err(|e| SinkError::Transport(format!("kafka metadata: {e}")))?;
            ids = topics
                .iter()
                .find(|t| t.name == self.cfg.topic)
                .map(|t| t.partitions.iter().copied().collect())
                .unwrap_or_default();
            if ids.is_empty() {
                return Err(SinkError::Server(format!(
                    "kafka topic {} has no partitions",
                    self.cfg.topic
                )));
            }
        }
        ids.sort_unstable();
        self.partition_ids = ids;
        self.partitions.clear();
        self.client = Some(client);
        Ok(())
    }

    async fn partition(&mut self, p: i32) -> Result<&PartitionClient, SinkError> {
        if !self.partitions.contains_key(&p) {
            let Some(client) = &self.client else {
                return Err(SinkError::Transport("kafka not connected".into()));
            };
            let pc = client
                .partition_client(self.cfg.topic.clone(), p, UnknownTopicHandling::Retry)
                .await
                .map_err(|e| SinkError::Transport(format!("kafka partition {p}: {e}")))?;
            self.partitions.insert(p, pc);
        }
        self.partitions
            .get(&p)
            .ok_or_else(|| SinkError::Transport("kafka partition client missing".into()))
    }

    async fn produce(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        self.connect().await?;
        let compression = match self.cfg.compression {
            KafkaCompression::None => Compression::NoCompression,
            KafkaCompression::Gzip => Compression::Gzip,
            KafkaCompression::Snappy => Compression::Snappy,
        };
        let mut groups: BTreeMap<i32, Vec<Record>> = BTreeMap::new();
        for e in batch {
            let key = format!(
                "{}/{}",
                e.record.tenant_id,
                e.record.device_id.as_deref().unwrap_or("")
            );
            let p = partition_for(key.as_bytes(), &self.partition_ids);
            let mut headers = BTreeMap::new();
            headers.insert("id".to_string(), e.record.id.clone().into_bytes());
            headers.insert(
                "kind".to_string(),
                e.record.kind.as_str().as_bytes().to_vec(),
            );
            headers.insert(
                "tenant_id".to_string(),
                e.record.tenant_id.clone().into_bytes(),
            );
            groups.entry(p).or_default().push(Record {
                key: Some(key.into_bytes()),
                value: Some(e.doc.clone()),
                headers,
                timestamp: e.record.time,
            });
        }
        let timeout = self.timeout;
        for (p, records) in groups {
            let pc = self.partition(p).await?;
            tokio::time::timeout(timeout, pc.produce(records, compression))
                .await
                .map_err(|_| {
                    SinkError::Transport(format!("kafka produce to partition {p} timed out"))
                })?
                .map_err(|e| SinkError::Server(format!("kafka produce to partition {p}: {e}")))?;
        }
        Ok(())
    }
}

impl Sink for KafkaSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        let r = self.produce(batch).await;
        if r.is_err() {
            // Rebuild the client and re-read metadata on the next attempt.
            self.client = None;
            self.partitions.clear();
        }
        r
    }
}
