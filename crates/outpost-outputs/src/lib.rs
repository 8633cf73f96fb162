//! Outpost's outputs: ship hits, alerts, events and audit entries to Elasticsearch/OpenSearch,
//! Kafka, Redis, NATS, Logstash, syslog, files, stdout and webhooks, and open tickets in Syncro
//! or post to Slack/Teams.
//!
//! # Use from the server
//!
//! ```no_run
//! # async fn f(configs: Vec<outpost_outputs::OutputConfig>) -> Result<(), outpost_outputs::OutputError> {
//! let mut registry = prometheus_client::registry::Registry::default();
//! let outputs = outpost_outputs::OutputManager::start(configs, std::path::Path::new("/var/lib/outpost"), &mut registry)?;
//! // for every stored hit / alert / event / audit entry:
//! # let hit_record: outpost_core::api::HitRecord = todo!();
//! outputs.publish_hit(&hit_record);
//! // at exit:
//! outputs.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Delivery
//!
//! Every output has its own bounded on-disk queue ([`queue::DiskQueue`]) under
//! `{data_dir}/outputs/{name}/queue` and its own worker task. [`OutputManager::publish`] only
//! appends to the matching queues, so a slow or dead target never blocks ingest or the other
//! outputs. A worker reads a batch, sends it, and acknowledges it in the queue's ledger only
//! after the target confirmed it (HTTP 2xx / per-item status, Kafka produce response with
//! acks=all, JetStream publish ack, Redis reply, NATS flush round trip, file write; for
//! syslog and Logstash streams, which have no acknowledgements, a replay window: written
//! batches are re-sent after a reconnect until the connection has stayed healthy for
//! `confirm_window_ms` after them).
//! Failures are retried with exponential backoff; a restart resumes from the ledger, so
//! delivery is at-least-once (Elasticsearch and JetStream deduplicate by record id).
//! One process at a time owns the queues: [`OutputManager::start`] takes an exclusive lock on
//! `{data_dir}/outputs/outputs.lock` (released by [`OutputManager::shutdown`] or with the
//! process) and a second server on the same data directory is refused with
//! [`OutputError::Locked`], so two never deliver and delete the same records.

pub mod config;
pub mod error;
pub mod format;
pub mod manager;
pub mod metrics;
pub mod queue;
pub mod record;
mod sinks;
pub mod ticket;

pub use config::{Filter, Format, OutputConfig, Secret, SinkConfig};
pub use error::{OutputError, SinkError};
pub use manager::{OutputManager, OutputStatus};
pub use record::{Finding, OutputRecord, RecordKind};
pub use sinks::webhook::signature as webhook_signature;
