//! Output configuration, as it appears in the server's config file.
//!
//! Each output is one table of the `outputs` array; `type` selects the sink and the rest of the
//! sink's fields sit beside the common ones:
//!
//! ```toml
//! [[outputs]]
//! name = "siem"
//! type = "elasticsearch"
//! url = "http://127.0.0.1:9200"
//! format = "ecs"
//! filter = { kinds = ["hit", "alert"], tenants = ["acme"] }
//!
//! [[outputs]]
//! name = "archive"
//! type = "file"
//! path = "/var/lib/outpost/out/events.jsonl"
//! filter = { kinds = ["hit", "alert", "event", "audit"] }
//! ```

use crate::record::{OutputRecord, RecordKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A secret string (password, API token, HMAC key). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    /// The secret itself; do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One configured output: common settings plus the sink-specific part (`type = …`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutputConfig {
    /// Unique name; used for the queue directory and as the `output` metrics label.
    pub name: String,
    /// Which records go to this output.
    #[serde(default)]
    pub filter: Filter,
    /// Document format; the default is `rfc5424` for syslog and `json` for everything else.
    #[serde(default)]
    pub format: Option<Format>,
    /// Disk-queue limits.
    #[serde(default)]
    pub queue: QueueConfig,
    /// Retry backoff.
    #[serde(default)]
    pub retry: RetryConfig,
    /// Maximum records per delivery attempt (one `_bulk`, one produce request, …).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// The sink.
    #[serde(flatten)]
    pub sink: SinkConfig,
}

fn default_batch_size() -> usize {
    500
}

impl OutputConfig {
    /// A config with default filter, format, queue and retry settings.
    pub fn new(name: impl Into<String>, sink: SinkConfig) -> Self {
        OutputConfig {
            name: name.into(),
            filter: Filter::default(),
            format: None,
            queue: QueueConfig::default(),
            retry: RetryConfig::default(),
            batch_size: default_batch_size(),
            sink,
        }
    }

    /// The effective format.
    pub fn effective_format(&self) -> Format {
        match (self.format, &self.sink) {
            (Some(f), _) => f,
            (None, SinkConfig::Syslog(_)) => Format::Rfc5424,
            (None, _) => Format::Json,
        }
    }
}

/// Record selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filter {
    /// Record kinds to send; default hits and alerts.
    #[serde(default = "default_kinds")]
    pub kinds: Vec<RecordKind>,
    /// Only these tenants (absent = all tenants).
    #[serde(default)]
    pub tenants: Option<Vec<String>>,
    /// Only records whose `risk_score` is at least this.
    #[serde(default)]
    pub min_risk_score: Option<i64>,
}

fn default_kinds() -> Vec<RecordKind> {
    vec![RecordKind::Hit, RecordKind::Alert]
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            kinds: default_kinds(),
            tenants: None,
            min_risk_score: None,
        }
    }
}

impl Filter {
    /// A filter that passes every record.
    pub fn all() -> Self {
        Filter {
            kinds: vec![
                RecordKind::Hit,
                RecordKind::Alert,
                RecordKind::Event,
                RecordKind::Audit,
            ],
            tenants: None,
            min_risk_score: None,
        }
    }

    /// Whether `r` passes.
    pub fn matches(&self, r: &OutputRecord) -> bool {
        self.kinds.contains(&r.kind)
            && self
                .tenants
                .as_ref()
                .is_none_or(|t| t.contains(&r.tenant_id))
            && self.min_risk_score.is_none_or(|m| r.risk_score >= m)
    }
}

/// Document formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Outpost's native JSON: `@timestamp` (event time), `event`, `indicators`,
    /// `risk_score`, plus `kind`, `id`, `tenant_id`, `device_id`, `host.name`.
    Json,
    /// Elastic Common Schema 8.x JSON.
    Ecs,
    /// RFC 5424 syslog line whose MSG is the native JSON document.
    Rfc5424,
}

/// Disk-queue settings (one queue per output under `{data_dir}/outputs/{name}/queue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueueConfig {
    /// Size cap of the queue in bytes; when exceeded the oldest segment is dropped and its
    /// undelivered records are counted in `outpost_output_dropped_total`.
    #[serde(default = "default_queue_max")]
    pub max_bytes: u64,
    /// Size of one segment file.
    #[serde(default = "default_segment")]
    pub segment_bytes: u64,
    /// `fsync` each appended record (slow, survives power loss). Without it records are
    /// written to the OS before `publish` returns (survives a crash of the server process).
    #[serde(default)]
    pub fsync: bool,
}

fn default_queue_max() -> u64 {
    256 * 1024 * 1024
}
fn default_segment() -> u64 {
    8 * 1024 * 1024
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            max_bytes: default_queue_max(),
            segment_bytes: default_segment(),
            fsync: false,
        }
    }
}

/// Exponential backoff between failed delivery attempts (with ±25 % jitter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetryConfig {
    /// First delay.
    #[serde(default = "default_initial_backoff")]
    pub initial_backoff_ms: u64,
    /// Maximum delay.
    #[serde(default = "default_max_backoff")]
    pub max_backoff_ms: u64,
}

fn default_initial_backoff() -> u64 {
    200
}
fn default_max_backoff() -> u64 {
    30_000
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            initial_backoff_ms: default_initial_backoff(),
            max_backoff_ms: default_max_backoff(),
        }
    }
}

/// The sink part of an output, tagged by `type`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SinkConfig {
    /// Elasticsearch or OpenSearch `_bulk`.
    Elasticsearch(ElasticsearchConfig),
    /// Kafka produce.
    Kafka(KafkaConfig),
    /// Redis list, pub/sub channel or stream.
    Redis(RedisConfig),
    /// NATS core subject or JetStream.
    Nats(NatsConfig),
    /// Logstash `tcp` input with the `json_lines` codec.
    Logstash(LogstashConfig),
    /// Syslog over UDP, TCP or TLS.
    Syslog(SyslogConfig),
    /// JSON-lines file with rotation.
    File(FileConfig),
    /// Standard output, one line per record.
    Stdout,
    /// HTTP POST with an HMAC-SHA256 signature.
    Webhook(WebhookConfig),
    /// Syncro tickets (hits and alerts).
    Syncro(crate::ticket::syncro::SyncroConfig),
    /// Slack incoming webhook (hits and alerts, deduplicated).
    Slack(crate::ticket::chat::ChatConfig),
    /// Microsoft Teams incoming webhook / workflow (hits and alerts, deduplicated).
    Teams(crate::ticket::chat::ChatConfig),
}

impl SinkConfig {
    /// The `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            SinkConfig::Elasticsearch(_) => "elasticsearch",
            SinkConfig::Kafka(_) => "kafka",
            SinkConfig::Redis(_) => "redis",
            SinkConfig::Nats(_) => "nats",
            SinkConfig::Logstash(_) => "logstash",
            SinkConfig::Syslog(_) => "syslog",
            SinkConfig::File(_) => "file",
            SinkConfig::Stdout => "stdout",
            SinkConfig::Webhook(_) => "webhook",
            SinkConfig::Syncro(_) => "syncro",
            SinkConfig::Slack(_) => "slack",
            SinkConfig::Teams(_) => "teams",
        }
    }
}

/// Elasticsearch/OpenSearch.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ElasticsearchConfig {
    /// Base URL, e.g. `https://es.example:9200`.
    pub url: String,
    /// Index name; `{kind}` is replaced by the record kind and `%Y`, `%m`, `%d` by the record's
    /// date (UTC), giving daily indices. Ignored when `data_stream` is set.
    #[serde(default = "default_es_index")]
    pub index: String,
    /// Write to this data stream instead (`create` actions; needs the index template).
    #[serde(default)]
    pub data_stream: Option<String>,
    /// Use `create` actions: never overwrite; a redelivered document answers 409, which
    /// counts as delivered. Always on for data streams.
    #[serde(default)]
    pub create_only: bool,
    /// Install an index template named `{template_name}` matching the index/data-stream pattern.
    #[serde(default = "default_true")]
    pub install_template: bool,
    /// Template name.
    #[serde(default = "default_template_name")]
    pub template_name: String,
    /// Basic-auth user.
    #[serde(default)]
    pub username: Option<String>,
    /// Basic-auth password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// `Authorization: ApiKey …` value.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Gzip request bodies.
    #[serde(default = "default_true")]
    pub gzip: bool,
    /// Times an item answered 429/5xx is retried inside one attempt before the whole batch is
    /// failed and retried later.
    #[serde(default = "default_item_retries")]
    pub item_retries: u32,
    /// Dead-letter file for rejected documents; default `{data_dir}/outputs/{name}/dead-letter.jsonl`.
    #[serde(default)]
    pub dead_letter: Option<PathBuf>,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_es_index() -> String {
    "outpost-{kind}-%Y.%m.%d".into()
}
fn default_template_name() -> String {
    "outpost".into()
}
fn default_true() -> bool {
    true
}
fn default_item_retries() -> u32 {
    3
}
fn default_timeout() -> u64 {
    30
}

/// Kafka compression codec.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KafkaCompression {
    /// No compression.
    None,
    /// gzip (default).
    #[default]
    Gzip,
    /// Snappy.
    Snappy,
}

/// Kafka.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KafkaConfig {
    /// Bootstrap brokers (`host:port`).
    pub brokers: Vec<String>,
    /// Topic.
    pub topic: String,
    /// Compression.
    #[serde(default)]
    pub compression: KafkaCompression,
    /// Create the topic if it does not exist, with this many partitions.
    #[serde(default = "default_partitions")]
    pub create_partitions: i32,
    /// Replication factor for a created topic.
    #[serde(default = "default_replication")]
    pub replication_factor: i16,
    /// Request deadline in seconds (rskafka retries inside it).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_partitions() -> i32 {
    3
}
fn default_replication() -> i16 {
    1
}

/// How records are written to Redis.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RedisMode {
    /// `RPUSH key doc…` (default).
    #[default]
    List,
    /// `PUBLISH key doc` (reaches only the subscribers connected at that moment).
    Pubsub,
    /// `XADD key MAXLEN ~ maxlen * id <id> doc <doc>`.
    Stream,
}

fn default_maxlen() -> usize {
    1_000_000
}

/// Redis.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RedisConfig {
    /// `redis://[user:pass@]host:port/db` (`rediss://` is not supported in this build).
    pub url: Secret,
    /// List, channel or stream name.
    pub key: String,
    /// Mode (default list).
    #[serde(default)]
    pub mode: RedisMode,
    /// Approximate stream length cap for `mode = "stream"`.
    #[serde(default = "default_maxlen")]
    pub maxlen: usize,
    /// Per-request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

/// NATS.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NatsConfig {
    /// Server URL(s), comma separated (`nats://127.0.0.1:4222`).
    pub url: String,
    /// Subject; `{tenant_id}` and `{kind}` are substituted.
    pub subject: String,
    /// Publish through JetStream and wait for the publish acks.
    #[serde(default)]
    pub jetstream: bool,
    /// With `jetstream`, create this stream (capturing `stream_subjects`) when it is missing.
    #[serde(default)]
    pub stream: Option<String>,
    /// Subjects of a created stream (default: the subject with placeholders replaced by `>`/`*`).
    #[serde(default)]
    pub stream_subjects: Vec<String>,
    /// Credentials: user token.
    #[serde(default)]
    pub token: Option<Secret>,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

/// Client TLS settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsConfig {
    /// PEM file with the CA certificates to trust (default: the Mozilla roots).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Name to verify in the server certificate (default: the host of `address`).
    #[serde(default)]
    pub server_name: Option<String>,
}

/// Logstash `tcp` input, `json_lines` codec.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LogstashConfig {
    /// `host:port`.
    pub address: String,
    /// TLS (absent = plain TCP).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// How long a written record is kept for replay until the connection is known to have
    /// survived it (the transport has no acknowledgements), in milliseconds.
    #[serde(default = "default_confirm_ms")]
    pub confirm_window_ms: u64,
    /// Connect/write timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_confirm_ms() -> u64 {
    2_000
}

/// Syslog transport.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SyslogTransport {
    /// RFC 5426, one message per datagram.
    Udp,
    /// RFC 6587 octet counting.
    #[default]
    Tcp,
    /// RFC 5425 (octet counting over TLS).
    Tls,
}

/// Syslog.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyslogConfig {
    /// `host:port`.
    pub address: String,
    /// Transport.
    #[serde(default)]
    pub transport: SyslogTransport,
    /// TLS settings for `transport = "tls"`.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Facility number (default 4 = auth).
    #[serde(default = "default_facility")]
    pub facility: u8,
    /// APP-NAME field.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// HOSTNAME field when the record has no host name (default: this machine's name).
    #[serde(default)]
    pub hostname: Option<String>,
    /// Replay window for stream transports (see [`LogstashConfig::confirm_window_ms`]).
    #[serde(default = "default_confirm_ms")]
    pub confirm_window_ms: u64,
    /// Connect/write timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_facility() -> u8 {
    4
}
fn default_app_name() -> String {
    "outpost".into()
}

/// When to rotate the output file by time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RotateEvery {
    /// Only by size.
    #[default]
    Never,
    /// At the start of each UTC hour.
    Hour,
    /// At the start of each UTC day.
    Day,
}

/// JSON-lines file.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileConfig {
    /// The active file; rotated files are `{path}.{UTC timestamp}[.gz]`.
    pub path: PathBuf,
    /// Rotate when the file reaches this size (0 = never by size).
    #[serde(default = "default_rotate_bytes")]
    pub rotate_bytes: u64,
    /// Rotate by time.
    #[serde(default)]
    pub rotate_every: RotateEvery,
    /// Gzip rotated files.
    #[serde(default = "default_true")]
    pub compress: bool,
    /// Keep at most this many rotated files (0 = keep all).
    #[serde(default)]
    pub keep: usize,
    /// `fsync` after each batch.
    #[serde(default)]
    pub fsync: bool,
}

fn default_rotate_bytes() -> u64 {
    100 * 1024 * 1024
}

/// Webhook.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookConfig {
    /// Target URL.
    pub url: String,
    /// HMAC-SHA256 key; the signature is sent as `X-Outpost-Signature: sha256=<hex>` over
    /// `"{timestamp}.{body}"`, with the timestamp in `X-Outpost-Timestamp`.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Dead-letter file for batches answered with a non-retryable 4xx; default
    /// `{data_dir}/outputs/{name}/dead-letter.jsonl`.
    #[serde(default)]
    pub dead_letter: Option<PathBuf>,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}
