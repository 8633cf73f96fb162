//! `[[inputs]]`: telemetry of other sensors (Cilium Tetragon, Falco, or Outpost events)
//! consumed from Kafka topics or NATS subjects, mapped to Outpost's normalized events and
//! scored, stored and forwarded exactly like agent telemetry (`POST /api/v1/events`, see
//! [`crate::services::accept`]).
//!
//! One folder per component: the sources [`kafka`] and [`nats`], the formats [`tetragon`],
//! [`falco`] and [`outpost`]. Each record is mapped on its own; a record that is not valid
//! JSON, not of the format, or of an event type the mapper does not know is counted
//! (`outpost_input_records{input, result}`) and logged, never silently dropped, and never
//! stops the input. Each mapped event goes to its input's tenant — fixed, or chosen by a
//! label of the event (`tenant_field`, e.g. `k8s.namespace` or `k8s.pod_label.tenant`,
//! through `tenants`) — and to a pseudo-device per node: the device of that tenant whose
//! hostname is the node's name (an enrolled agent on the node included, found by the rules
//! of [`crate::jobs::StoreDeviceResolver`]), created on first use.
//!
//! **At least once.** A source acknowledges (Kafka: commits the next offset in the server's
//! store; JetStream: acks) only after the whole fetched batch was scored, its alerts and
//! sightings stored and everything queued for the outputs. A crash in between delivers the
//! batch again after the restart: alerts and sightings are stored once (their key is the
//! record's position: topic, partition and offset, or stream sequence), and the outputs get
//! the batch's events and open alerts again with the same record ids (targets with record ids
//! deduplicate). At most one fetched batch per partition (Kafka) or consumer (JetStream) is
//! delivered twice. A NATS core subject has no acknowledgements: what arrives while the
//! server is down is lost (use JetStream for at least once).

pub mod falco;
pub mod kafka;
pub mod nats;
pub mod outpost;
pub mod tetragon;

use crate::AppState;
use chrono::{DateTime, Utc};
use outpost_core::Event;
use outpost_store::DeviceAuth;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use tokio::sync::Mutex;

/// One configured input: common settings plus the source (`type = "kafka"` or `"nats"`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InputConfig {
    /// Unique name: the `input` metrics label, and the default Kafka consumer group.
    pub name: String,
    /// What the records are: `tetragon`, `falco` or `outpost`.
    pub format: Format,
    /// The tenant (name or id) of the events; with `tenant_field`, of those whose field
    /// names no tenant.
    pub tenant: String,
    /// A label of the mapped event that chooses the tenant, e.g. `k8s.namespace` or
    /// `k8s.pod_label.tenant`.
    #[serde(default)]
    pub tenant_field: Option<String>,
    /// `tenant_field` value → tenant (name or id). Empty: the value is the tenant's name or id.
    #[serde(default)]
    pub tenants: BTreeMap<String, String>,
    /// Most records fetched, scored and acknowledged together.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// The source.
    #[serde(flatten)]
    pub source: SourceConfig,
}

fn default_batch_size() -> usize {
    500
}

/// The record format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Cilium Tetragon's JSON export (see [`tetragon`]).
    Tetragon,
    /// Falco's JSON alerts (see [`falco`]).
    Falco,
    /// Outpost's normalized events as JSON (see [`outpost`]).
    Outpost,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Tetragon => "tetragon",
            Format::Falco => "falco",
            Format::Outpost => "outpost",
        }
    }

    /// Maps one record.
    pub fn map(self, record: &[u8], received: DateTime<Utc>) -> Result<Mapped, MapError> {
        match self {
            Format::Tetragon => tetragon::map(record, received),
            Format::Falco => falco::map(record, received),
            Format::Outpost => outpost::map(record, received),
        }
    }
}

/// The source part of an input, tagged by `type`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceConfig {
    /// A Kafka-API topic (offsets kept in the server's database).
    Kafka(kafka::KafkaInputConfig),
    /// A NATS subject (JetStream durable consumer, or core NATS).
    Nats(nats::NatsInputConfig),
}

/// A mapped record: the event and the node it happened on.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub event: Event,
    /// Kubernetes node (Tetragon `node_name`) or host (Falco `hostname`).
    pub node: Option<String>,
}

/// Why a record was not mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not a JSON object")]
    NotObject,
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("invalid {0}")]
    Invalid(&'static str),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("not an event: {0}")]
    NotAnEvent(String),
}

impl MapError {
    /// The `result` label of `outpost_input_records`.
    pub fn result(&self) -> &'static str {
        match self {
            MapError::UnknownType(_) => "unknown_type",
            MapError::NotAnEvent(_) => "not_an_event",
            _ => "malformed",
        }
    }
}

/// The hostname of the pseudo-device of events without a node.
pub const UNKNOWN_NODE: &str = "unknown-node";

pub(crate) fn get_str(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn get_u32(o: &Map<String, Value>, k: &str) -> Option<u32> {
    match o.get(k)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// String-valued entries of `o` as labels `{prefix}{key}`.
pub(crate) fn labels_from(o: &Map<String, Value>, prefix: &str) -> BTreeMap<String, String> {
    o.iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (format!("{prefix}{k}"), s.to_string())))
        .collect()
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InputResult {
    pub input: String,
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InputLabel {
    pub input: String,
}

/// The inputs' metrics.
pub struct InputMetrics {
    /// Records read, by input and result (`mapped`, `malformed`, `unknown_type`,
    /// `not_an_event`, `no_tenant`).
    pub records: Family<InputResult, Counter>,
    /// Batches acknowledged (every record of them scored, stored and queued).
    pub batches: Family<InputLabel, Counter>,
    /// Errors of the source or of processing (the batch is retried), by input.
    pub errors: Family<InputLabel, Counter>,
}

static METRICS: OnceLock<InputMetrics> = OnceLock::new();

pub fn metrics() -> &'static InputMetrics {
    METRICS.get_or_init(|| InputMetrics {
        records: Family::default(),
        batches: Family::default(),
        errors: Family::default(),
    })
}

/// Registers the inputs' metrics.
pub fn register(registry: &mut Registry) {
    let m = metrics();
    registry.register(
        "outpost_input_records",
        "Records read by [[inputs]], by input and result (mapped, malformed, unknown_type, not_an_event, no_tenant)",
        crate::metrics::Listed(m.records.clone()),
    );
    registry.register(
        "outpost_input_batches",
        "Input batches acknowledged after scoring, storing and queueing, by input",
        crate::metrics::Listed(m.batches.clone()),
    );
    registry.register(
        "outpost_input_errors",
        "Errors of an input's source or processing (the batch is retried), by input",
        crate::metrics::Listed(m.errors.clone()),
    );
}

pub(crate) fn count(input: &str, result: &'static str, n: u64) {
    if n > 0 {
        metrics()
            .records
            .get_or_create(&InputResult {
                input: input.to_string(),
                result,
            })
            .inc_by(n);
    }
}

pub(crate) fn count_error(input: &str) {
    metrics()
        .errors
        .get_or_create(&InputLabel {
            input: input.to_string(),
        })
        .inc();
}

/// Counts and logs a failure of a network source (`what` says what failed), then waits before
/// the next attempt: 250 ms doubling up to 30 s after `failures` consecutive failures. Returns
/// false when `stop` changed meanwhile: the caller stops.
pub(crate) async fn back_off(
    input: &str,
    what: &str,
    error: &(dyn std::fmt::Display + Sync),
    failures: &mut u32,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    count_error(input);
    tracing::warn!(input, error = %error, "{what}");
    *failures += 1;
    wait(*failures, stop).await
}

/// Waits 250 ms doubling up to 30 s after `failures` consecutive failures; false when `stop`
/// changed meanwhile.
pub(crate) async fn wait(failures: u32, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    let delay = std::time::Duration::from_millis((250u64 << failures.min(7)).min(30_000));
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = stop.changed() => false,
    }
}

/// A record read from a source.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Its position, unique within the batch key and stable across redeliveries (Kafka
    /// offset, JetStream stream sequence).
    pub position: i64,
    pub payload: Vec<u8>,
    /// The broker's timestamp (the event time of records without one).
    pub received: DateTime<Utc>,
}

/// Error processing a batch (nothing is acknowledged; the batch is retried).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("store: {0}")]
    Store(#[from] outpost_store::StoreError),
    #[error("scoring: {0}")]
    Score(String),
}

/// (device, batch id) → (events, seqs) of a processed batch.
type Group = ((DeviceAuth, String), (Vec<Event>, Vec<i64>));

/// Positions grouped in one stored batch id: `{key}:{position / BUCKET}`.
const BUCKET: i64 = 100_000;

/// Maps, routes and scores the records of one input (shared by its source tasks).
pub struct Processor {
    cfg: InputConfig,
    state: AppState,
    /// (tenant id, node) → pseudo-device.
    devices: Mutex<HashMap<(String, String), DeviceAuth>>,
    /// Tenant name or id → id (None: no such tenant).
    tenants: Mutex<HashMap<String, Option<String>>>,
}

impl std::fmt::Debug for Processor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("input", &self.cfg.name)
            .finish()
    }
}

impl Processor {
    pub fn new(cfg: InputConfig, state: AppState) -> Arc<Processor> {
        Arc::new(Processor {
            cfg,
            state,
            devices: Mutex::new(HashMap::new()),
            tenants: Mutex::new(HashMap::new()),
        })
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// Most records processed and acknowledged together.
    pub fn batch_size(&self) -> usize {
        self.cfg.batch_size.max(1)
    }

    pub(crate) fn state_store(&self) -> &outpost_store::Store {
        &self.state.store
    }

    async fn tenant_id(&self, name: &str) -> Result<Option<String>, ProcessError> {
        let mut cache = self.tenants.lock().await;
        if let Some(t) = cache.get(name) {
            return Ok(t.clone());
        }
        let id = match self.state.store.find_tenant(name).await {
            Ok(t) => Some(t.id),
            Err(outpost_store::StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        cache.insert(name.to_string(), id.clone());
        Ok(id)
    }

    /// The tenant of a mapped event.
    async fn tenant_of(&self, e: &Event) -> Result<Option<String>, ProcessError> {
        if let Some(field) = &self.cfg.tenant_field
            && let Some(v) = e.labels.get(field)
        {
            let name = self.cfg.tenants.get(v).unwrap_or(v);
            if let Some(id) = self.tenant_id(name).await? {
                return Ok(Some(id));
            }
        }
        self.tenant_id(&self.cfg.tenant).await
    }

    /// The pseudo-device of `node` in `tenant`: the tenant's device with that hostname
    /// (resolved as `/joblookup` resolves names), else a new one.
    async fn device(&self, tenant: &str, node: &str) -> Result<DeviceAuth, ProcessError> {
        let key = (tenant.to_string(), node.to_string());
        let mut cache = self.devices.lock().await;
        if let Some(d) = cache.get(&key) {
            return Ok(d.clone());
        }
        let store = &self.state.store;
        let found = store.find_devices_for_host(Some(tenant), node).await?;
        let dev = match crate::jobs::pick_device(node, &found) {
            Ok(Some(r)) => {
                let d = store.get_device(&r.device_id).await?;
                DeviceAuth {
                    device_id: d.id,
                    tenant_id: d.tenant_id,
                    hostname: d.hostname,
                }
            }
            // Several devices claim the name: the exact hostname's most recent one.
            Err(_) => match store
                .find_devices_by_hostname(Some(tenant), node)
                .await?
                .first()
            {
                Some(d) => DeviceAuth {
                    device_id: d.id.clone(),
                    tenant_id: d.tenant_id.clone(),
                    hostname: d.hostname.clone(),
                },
                None => self.create_device(tenant, node).await?,
            },
            Ok(None) => self.create_device(tenant, node).await?,
        };
        cache.insert(key, dev.clone());
        Ok(dev)
    }

    async fn create_device(&self, tenant: &str, node: &str) -> Result<DeviceAuth, ProcessError> {
        let version = format!("input:{}", self.cfg.name);
        let (d, _token) = self
            .state
            .store
            .create_device(tenant, node, Some("linux"), Some(&version))
            .await?;
        tracing::info!(input = %self.cfg.name, tenant, node, device = %d.id, "pseudo-device created for a node");
        Ok(DeviceAuth {
            device_id: d.id,
            tenant_id: d.tenant_id,
            hostname: d.hostname,
        })
    }

    /// Maps `records` (read from `key`, e.g. `topic:partition`) and scores, stores and
    /// queues them. On `Ok` the source may acknowledge every record of the batch.
    pub async fn process(&self, key: &str, records: &[RawRecord]) -> Result<(), ProcessError> {
        let input = self.cfg.name.as_str();
        // (device, batch id) → (events, seqs); in the order of arrival.
        let mut groups: Vec<Group> = Vec::new();
        let mut mapped = 0u64;
        for r in records {
            let m = match self.cfg.format.map(&r.payload, r.received) {
                Ok(m) => m,
                Err(e) => {
                    count(input, e.result(), 1);
                    if matches!(e, MapError::NotAnEvent(_)) {
                        tracing::debug!(input, key, position = r.position, error = %e, "input record skipped");
                    } else {
                        tracing::warn!(input, key, position = r.position, error = %e, "input record not mapped");
                    }
                    continue;
                }
            };
            let Some(tenant) = self.tenant_of(&m.event).await? else {
                count(input, "no_tenant", 1);
                tracing::warn!(input, key, position = r.position, tenant = %self.cfg.tenant, "input record has no tenant (the configured tenant does not exist)");
                continue;
            };
            let node = m.node.as_deref().unwrap_or(UNKNOWN_NODE);
            let dev = self.device(&tenant, node).await?;
            let batch_id = format!("in:{input}:{key}:{}", r.position.div_euclid(BUCKET));
            let seq = r.position.rem_euclid(BUCKET);
            match groups
                .iter_mut()
                .find(|((d, b), _)| d.device_id == dev.device_id && *b == batch_id)
            {
                Some((_, (ev, seqs))) => {
                    ev.push(m.event);
                    seqs.push(seq);
                }
                None => groups.push(((dev, batch_id), (vec![m.event], vec![seq]))),
            }
            mapped += 1;
        }
        for ((dev, batch_id), (events, seqs)) in groups {
            self.state
                .acceptance()
                .events(&dev, &batch_id, events, seqs)
                .await
                .map_err(|e| ProcessError::Score(e.to_string()))?;
        }
        count(input, "mapped", mapped);
        metrics()
            .batches
            .get_or_create(&InputLabel {
                input: input.to_string(),
            })
            .inc();
        Ok(())
    }
}

/// Running inputs (their tasks stop when this is dropped or [`Inputs::stop`] is called).
#[derive(Debug, Default)]
pub struct Inputs {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
}

impl Inputs {
    /// Starts every `[[inputs]]` entry of the state's configuration. Each runs until stopped,
    /// reconnecting on errors.
    pub fn start(state: &AppState) -> Inputs {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for cfg in state.config.inputs.clone() {
            let source = cfg.source.clone();
            let p = Processor::new(cfg, state.clone());
            let rx = rx.clone();
            tasks.push(match source {
                SourceConfig::Kafka(k) => tokio::spawn(kafka::run(k, p, rx)),
                SourceConfig::Nats(n) => tokio::spawn(nats::run(n, p, rx)),
            });
        }
        Inputs {
            tasks,
            stop: Some(tx),
        }
    }

    /// Stops the inputs: a batch being processed finishes (and is acknowledged) first.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            s.send_replace(true);
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for Inputs {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Checks `[[inputs]]`: unique non-empty names, a tenant, a positive batch size.
pub fn validate(inputs: &[InputConfig]) -> Result<(), String> {
    let mut names = std::collections::HashSet::new();
    for i in inputs {
        if i.name.trim().is_empty() {
            return Err("an input has an empty name".into());
        }
        if !names.insert(i.name.as_str()) {
            return Err(format!("two inputs are named {:?}", i.name));
        }
        if i.tenant.trim().is_empty() {
            return Err(format!("input {:?}: tenant is empty", i.name));
        }
        if i.batch_size == 0 {
            return Err(format!("input {:?}: batch_size must be at least 1", i.name));
        }
        match &i.source {
            SourceConfig::Kafka(k) if k.brokers.is_empty() || k.topics.is_empty() => {
                return Err(format!(
                    "input {:?}: kafka needs brokers and topics",
                    i.name
                ));
            }
            SourceConfig::Nats(n) if n.subject.is_empty() => {
                return Err(format!("input {:?}: nats needs a subject", i.name));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Arbitrary JSON for the mappers' property tests.
#[cfg(test)]
pub(crate) mod arb {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    const KEYS: &[&str] = &[
        "process_exec",
        "process_exit",
        "process_kprobe",
        "process_lsm",
        "process",
        "parent",
        "pod",
        "container",
        "image",
        "name",
        "id",
        "namespace",
        "binary",
        "arguments",
        "pid",
        "uid",
        "time",
        "node_name",
        "args",
        "sock_arg",
        "file_arg",
        "path",
        "saddr",
        "daddr",
        "sport",
        "dport",
        "function_name",
        "pod_labels",
        "rule",
        "output_fields",
        "evt.time",
        "hostname",
        "proc.name",
        "proc.pid",
        "fd.name",
        "fd.sip",
        "fd.rip",
        "container.id",
        "k8s.ns.name",
        "priority",
        "status",
        "ts",
        "kind",
        "labels",
    ];

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,12}".prop_map(Value::String),
            Just(Value::String("2024-03-22T11:45:01.570679989Z".into())),
            Just(Value::String("containerd://abc".into())),
            Just(Value::String("10.0.0.1".into())),
        ]
    }

    /// JSON values whose keys are mostly the formats' own, nested a few levels.
    pub fn json() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            prop::sample::select(KEYS).prop_map(str::to_string),
                            ".{0,6}"
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use proptest::prelude::*;

    proptest! {
        /// Any JSON, to each format's mapper: a mapped event of that format (a Falco alert
        /// with its log, a Tetragon event with its process) or an error, never a panic.
        #[test]
        fn arbitrary_json_never_panics(v in super::arb::json()) {
            if let Ok(m) = super::falco::map_value(&v, Utc::now()) {
                prop_assert_eq!(&*m.event.source, "falco");
                prop_assert!(m.event.log.is_some());
            }
            if let Ok(m) = super::tetragon::map_value(&v, Utc::now()) {
                prop_assert_eq!(&*m.event.source, "tetragon");
                prop_assert!(m.event.process.is_some());
            }
            let bytes = serde_json::to_vec(&v).unwrap_or_default();
            let _ = super::tetragon::map(&bytes, Utc::now());
        }
    }
}
