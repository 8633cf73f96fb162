//! Wire types of Outpost's HTTP API (`/api/v1`). The server and the agent's client both use
//! these, so a change here is a change of the API.
//!
//! Compatibility rule: bodies an agent sends (enroll, check-in, hits, events, confirmations)
//! accept fields this version does not know, so an agent one version ahead still talks to
//! this server; the server counts and logs them ([`WireFields`]). Known fields keep their
//! types: a bad type is still rejected. Bodies staff send (tenants, users, keys, indicators,
//! allowlist, suppressions, device config, hit states) keep `deny_unknown_fields` on purpose:
//! a misspelt field there is a user's mistake that must not be silently ignored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Field names serde's derive gives `T` (top level), read by letting `T` start deserializing
/// from a deserializer that only records them. Empty for types that are not plain structs.
/// Checks a server URL given on the command line or in `agent.toml` and returns it without a
/// trailing `/`. A URL without `http://` or `https://` (`127.0.0.1:8470`) is refused with the
/// corrected URL, instead of an HTTP client's "invalid format" at the first request.
pub fn server_url(s: &str) -> Result<String, String> {
    let t = s.trim().trim_end_matches('/');
    match t.split_once("://") {
        Some((scheme, rest)) if !rest.is_empty() => {
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
                Ok(t.to_string())
            } else {
                Err(format!(
                    "the server URL {s:?} must start with http:// or https://, e.g. http://{rest}"
                ))
            }
        }
        Some(_) => Err(format!(
            "the server URL {s:?} has no host, e.g. http://127.0.0.1:8470"
        )),
        None if t.is_empty() => Err("the server URL is empty, e.g. http://127.0.0.1:8470".into()),
        None => Err(format!(
            "the server URL {s:?} needs http:// or https://: use http://{t} (or https://{t} when the server has TLS)"
        )),
    }
}

pub fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(FieldRecorder(&mut fields));
    fields.unwrap_or(&[])
}

/// Top-level keys of the JSON object `body` that are not fields of `T` (`prefix` prepended).
/// Not an object, or not JSON: none.
pub fn unknown_top_level<T: serde::de::DeserializeOwned>(body: &[u8], prefix: &str) -> Vec<String> {
    let known = field_names::<T>();
    match serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(body)
    {
        Ok(m) => m
            .into_keys()
            .filter(|k| !known.contains(&k.as_str()))
            .map(|k| format!("{prefix}{k}"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Bodies agents send: which fields of a body this version does not know (they are accepted
/// and ignored; the server counts and logs them).
pub trait WireFields: serde::de::DeserializeOwned {
    /// Name of the body in metrics and logs.
    const WIRE_NAME: &'static str;
    /// Dotted names of the fields of `body` (JSON) that this version's type does not have.
    fn unknown_fields(body: &[u8]) -> Vec<String> {
        unknown_top_level::<Self>(body, "")
    }
}

impl WireFields for CheckinRequest {
    const WIRE_NAME: &'static str = "checkin";
    fn unknown_fields(body: &[u8]) -> Vec<String> {
        let mut out = unknown_top_level::<Self>(body, "");
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
            && let Some(intel) = v.get("intel")
            && let Ok(b) = serde_json::to_vec(intel)
        {
            out.extend(unknown_top_level::<IntelStatus>(&b, "intel."));
        }
        out
    }
}

impl WireFields for EventBatch {
    const WIRE_NAME: &'static str = "events";
}

impl WireFields for EnrollRequest {
    const WIRE_NAME: &'static str = "enroll";
}

impl WireFields for crate::hit::HitPayload {
    const WIRE_NAME: &'static str = "hits";
}

struct FieldRecorder<'a>(&'a mut Option<&'static [&'static str]>);

/// Ends a [`FieldRecorder`] run.
#[derive(Debug)]
struct Recorded;

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Recorded {}

impl serde::de::Error for Recorded {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Recorded
    }
}

impl<'de> serde::Deserializer<'de> for FieldRecorder<'_> {
    type Error = Recorded;
    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Recorded> {
        Err(Recorded)
    }
    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Recorded> {
        *self.0 = Some(fields);
        Err(Recorded)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The one error shape every route returns: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unauthorized`, `bad_request`, `payload_too_large`.
    pub code: String,
    /// Human-readable explanation; never contains secrets.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

/// `POST /api/v1/enroll`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EnrollRequest {
    /// The tenant's enrollment key.
    pub enrollment_key: String,
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EnrollResponse {
    pub tenant_id: String,
    pub device_id: String,
    /// Shown once; the server keeps only its hash. Sent as `Authorization: Bearer <token>`.
    pub device_token: String,
    /// The server's intel signing key (ed25519, 64 hex digits): the agent pins it and verifies
    /// every intel bundle against it. Absent when the server publishes no intel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intel_public_key: Option<String>,
    /// The agent release signing key (ed25519, 64 hex digits), separate from the intel key:
    /// the agent pins it and installs only releases signed with it. Absent when the server
    /// has none configured (then the agent never updates itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_public_key: Option<String>,
}

/// `POST /api/v1/hits` response.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HitsAccepted {
    pub batch_id: String,
    /// Hits stored by this request (0 when the batch had been stored before).
    pub stored: u64,
    /// True when this batch id had already been accepted.
    pub duplicate: bool,
}

/// `POST /api/v1/events`: a batch of full telemetry from a device (agents that stream it, or
/// another shipper holding a device token).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventBatch {
    /// Unique per batch; a retried batch keeps its id (record ids derive from it).
    pub batch_id: String,
    pub events: Vec<crate::Event>,
}

/// `POST /api/v1/events` response.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventsAccepted {
    pub batch_id: String,
    /// Events scored and queued for the outputs.
    pub accepted: u64,
    /// Of those, events whose risk score made them alerts.
    pub alerts: u64,
}

/// A stored hit, as `GET /api/v1/hits` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HitRecord {
    /// The hit's id at the server.
    pub id: i64,
    /// The tenant of the device.
    pub tenant_id: String,
    /// The device that found it.
    pub device_id: String,
    /// The device's name at upload.
    pub hostname: String,
    /// The upload it came in.
    pub batch_id: String,
    /// When the server stored it.
    pub received_at: DateTime<Utc>,
    /// The agent's version at upload.
    pub agent_version: String,
    /// The intel bundle (or hotlist) version the agent matched with.
    pub hotlist_version: String,
    /// The hit itself (its fields are inlined).
    #[serde(flatten)]
    pub hit: crate::hit::Hit,
    /// Triage state and who set it.
    #[serde(flatten, default)]
    pub triage: Triage,
    /// The server's detection score (engines run on the sample events at ingest).
    #[serde(flatten, default)]
    pub score: HitScore,
}

/// What the server's detection engines made of a hit at ingest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HitScore {
    /// Sum of the indicators' scores.
    #[serde(default)]
    pub risk_score: i64,
    /// Every distinct indicator of the hit's sample events (and of the hit itself).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<crate::Finding>,
    /// The score passed the tenant's alert threshold, or a rule asked for an alert.
    #[serde(default)]
    pub alert: bool,
}

/// The lifecycle state of a hit (and of an alert).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TriageState {
    #[default]
    New,
    Acknowledged,
    Suppressed,
    FalsePositive,
}

impl TriageState {
    pub const ALL: [TriageState; 4] = [
        TriageState::New,
        TriageState::Acknowledged,
        TriageState::Suppressed,
        TriageState::FalsePositive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriageState::New => "new",
            TriageState::Acknowledged => "acknowledged",
            TriageState::Suppressed => "suppressed",
            TriageState::FalsePositive => "false_positive",
        }
    }

    pub fn parse(s: &str) -> Option<TriageState> {
        TriageState::ALL.into_iter().find(|h| h.as_str() == s)
    }
}

impl std::fmt::Display for TriageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Triage fields of a stored hit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Triage {
    /// `new`, `acknowledged`, `suppressed` or `false_positive`.
    #[serde(default)]
    pub state: TriageState,
    /// When the state last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_changed_at: Option<DateTime<Utc>>,
    /// Who changed the state last (user, key or `suppression:<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_changed_by: Option<String>,
    /// The suppression rule that matched at ingest, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression_id: Option<String>,
    /// Increases with every change; send it back as `expected_version` to change safely.
    #[serde(default)]
    pub version: i64,
}

/// `POST /api/v1/hits/{id}/state`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HitStateChange {
    pub state: TriageState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When set, the change applies only if the hit still has this version (else 409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<i64>,
}

/// One change of a hit's or an alert's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TriageHistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from_state: TriageState,
    pub to_state: TriageState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A hit as a customer sees it: what happened on which computer, without the technical detail
/// (batch ids, sample events, intel internals) that only technicians need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerHit {
    pub id: i64,
    pub tenant_id: String,
    pub device_id: String,
    pub hostname: String,
    /// Indicator kind: `ip`, `domain`, `domain_suffix`, `sha256`, `sha1`, `md5`,
    /// `process_name` or `process_path`.
    pub kind: String,
    /// What matched: the remote address, domain, hash or process (see `kind`).
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<std::net::IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_port: Option<u16>,
    pub process_name: String,
    pub first_seen_utc: DateTime<Utc>,
    pub last_seen_utc: DateTime<Utc>,
    pub hit_count: u64,
    pub state: TriageState,
    /// The server's risk score of the hit.
    #[serde(default)]
    pub risk_score: i64,
    /// The hit is an alert (its score reached the tenant's threshold).
    #[serde(default)]
    pub alert: bool,
}

impl From<&HitRecord> for CustomerHit {
    fn from(h: &HitRecord) -> Self {
        CustomerHit {
            id: h.id,
            tenant_id: h.tenant_id.clone(),
            device_id: h.device_id.clone(),
            hostname: h.hostname.clone(),
            kind: h.hit.kind().to_string(),
            subject: h.hit.subject(),
            remote_ip: h.hit.remote_ip,
            remote_port: h.hit.remote_port,
            process_name: h.hit.process_name.clone(),
            first_seen_utc: h.hit.first_seen_utc,
            last_seen_utc: h.hit.last_seen_utc,
            hit_count: h.hit.hit_count,
            state: h.triage.state,
            risk_score: h.score.risk_score,
            alert: h.score.alert,
        }
    }
}

/// An indicator value (remote IP or executable hash) seen on several devices of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Correlation {
    pub tenant_id: String,
    /// `remote_ip`, `sha256`, or the indicator kind of other hits (`domain`, `sha1`,
    /// `process_path`, …).
    pub kind: String,
    pub value: String,
    pub devices: u64,
    pub hits: u64,
    pub first_seen_utc: DateTime<Utc>,
    pub last_seen_utc: DateTime<Utc>,
}

/// A suppression rule: hits of the tenant matching every set field are stored as
/// `suppressed` (counted and visible, never alerted or ticketed) until the rule expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Suppression {
    pub id: String,
    pub tenant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Only hits and alerts with an indicator of this detection rule (`rule_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/suppressions`
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuppression {
    pub tenant_id: String,
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub remote_ip: Option<String>,
    #[serde(default)]
    pub process_name: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    /// Narrows the rule to hits and alerts with an indicator of this detection rule.
    #[serde(default)]
    pub rule_name: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// An alert raised from one event of full telemetry (`POST /api/v1/events`) whose risk score
/// reached its tenant's threshold or that a rule flagged. Alerts have the lifecycle of hits
/// (states, history, suppression rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlertRecord {
    pub id: i64,
    pub tenant_id: String,
    pub device_id: String,
    pub hostname: String,
    /// The upload batch and the event's place in it.
    pub batch_id: String,
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub event_ts: DateTime<Utc>,
    pub risk_score: i64,
    /// The tenant's threshold when the alert was raised.
    pub threshold: i64,
    /// The highest-scoring indicator's description.
    pub summary: String,
    pub rule_names: Vec<String>,
    pub indicators: Vec<crate::Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Raised while the tenant was in learn mode: stored as suppressed, a whitelist proposal.
    #[serde(default)]
    pub learned: bool,
    #[serde(flatten, default)]
    pub triage: Triage,
    pub event: crate::Event,
}

/// An alert as a customer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerAlert {
    pub id: i64,
    pub tenant_id: String,
    pub device_id: String,
    pub hostname: String,
    pub created_at: DateTime<Utc>,
    pub event_ts: DateTime<Utc>,
    pub risk_score: i64,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_name: Option<String>,
    pub state: TriageState,
}

impl From<&AlertRecord> for CustomerAlert {
    fn from(a: &AlertRecord) -> Self {
        CustomerAlert {
            id: a.id,
            tenant_id: a.tenant_id.clone(),
            device_id: a.device_id.clone(),
            hostname: a.hostname.clone(),
            created_at: a.created_at,
            event_ts: a.event_ts,
            risk_score: a.risk_score,
            summary: a.summary.clone(),
            process_name: a.process_name.clone(),
            state: a.triage.state,
        }
    }
}

/// A STIX indicator pattern matched an event on a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SightingRecord {
    pub id: i64,
    pub tenant_id: String,
    pub device_id: String,
    pub batch_id: String,
    pub seq: i64,
    /// STIX id of the indicator (`indicator--…`) and its name.
    pub indicator_id: String,
    pub indicator_name: String,
    pub created_at: DateTime<Utc>,
    pub event_ts: DateTime<Utc>,
    /// The attack model: `{"attack_patterns": [...], "intrusion_sets": [...]}`.
    pub attack: serde_json::Value,
    /// The STIX 2.1 `sighting` object.
    pub sighting: serde_json::Value,
    /// The `observed-data` and cyber-observables the sighting refers to.
    pub observed: Vec<serde_json::Value>,
    /// The alert the event raised, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<i64>,
}

/// A learned behaviour profile of a tenant (`GET /api/v1/profiles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProfileRecord {
    pub tenant_id: String,
    /// `image:<container image>` or `exe:<executable path>`.
    pub subject: String,
    /// `learning` or `profiled` (the learning window has passed).
    pub status: String,
    /// Resets so far.
    pub epoch: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_until: Option<DateTime<Utc>>,
    pub command_lines: Vec<String>,
    pub children: Vec<String>,
    pub destinations: Vec<String>,
    pub files: Vec<String>,
    pub events_learned: i64,
    pub deviations: i64,
    pub updated_at: DateTime<Utc>,
}

/// What one replica's profile engine learned about a subject since it last handed its changes
/// over: made by `outpost-detect`'s `ProfileEngine::take_deltas`, merged into the database by
/// `outpost-store`'s `merge_profiles` (per tenant), read back as [`ProfileRecord`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileDelta {
    /// `image:<container image>` or `exe:<executable path>`.
    pub subject: String,
    /// Epoch the changes belong to (resets so far; a change of an older epoch is stale).
    pub epoch: u64,
    /// First event of the subject (this engine's view).
    pub first_seen: Option<DateTime<Utc>>,
    /// End of the learning window (this engine's view).
    pub learning_until: Option<DateTime<Utc>>,
    /// Command lines learned.
    pub command_lines: Vec<String>,
    /// Children learned.
    pub children: Vec<String>,
    /// Destinations learned.
    pub destinations: Vec<String>,
    /// Files learned.
    pub files: Vec<String>,
    /// Events learned from.
    pub events_learned: u64,
    /// Deviations seen.
    pub deviations: u64,
}

/// `POST /api/v1/profiles/reset`: forget one subject's profile, or every profile of the
/// tenant when `subject` is absent; learning starts again.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileReset {
    pub tenant_id: String,
    #[serde(default)]
    pub subject: Option<String>,
}

/// `PUT /api/v1/detect/learn`: learn mode of a tenant on (for `hours`, default 168) or off.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LearnModeChange {
    pub tenant_id: String,
    pub on: bool,
    #[serde(default)]
    pub hours: Option<u32>,
}

/// A whitelist proposal of learn mode: a rule that fired for a process while learning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LearnProposal {
    pub rule_name: String,
    pub process_name: String,
    /// Learned alerts it covers, and on how many devices.
    pub alerts: i64,
    pub devices: i64,
    /// A suppression rule with these fields exists already.
    pub applied: bool,
}

/// `GET /api/v1/detect/learn`: a tenant's learn mode and its whitelist proposals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LearnStatus {
    pub tenant_id: String,
    pub learning: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learn_until: Option<DateTime<Utc>>,
    pub proposals: Vec<LearnProposal>,
}

/// `POST /api/v1/detect/learn/apply`: turn proposals into suppression rules (all of the
/// tenant's when `rules` is absent).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LearnApply {
    pub tenant_id: String,
    /// (rule_name, process_name) pairs to apply.
    #[serde(default)]
    pub only: Option<Vec<(String, String)>>,
}

/// `POST /api/v1/checkin`: an agent's periodic report. Every field is optional so that old
/// agents keep working.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckinRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Version of the hotlist bundle the agent matches with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotlist_version: Option<String>,
    /// Version of the configuration the agent runs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_version: Option<String>,
    /// The agent's counters (events by kind, drops, queue depths, RSS, CPU…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<serde_json::Value>,
    /// Seconds until the agent's next check-in (the server uses it for online/offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<u32>,
    /// Long-poll: hold the answer up to this many seconds (at most 60) until a job or a new
    /// configuration is there for this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_s: Option<u32>,
    /// The state of the agent's intel bundle cache (version in use, staleness, the last
    /// refused bundle's error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intel: Option<IntelStatus>,
    /// The outcome of the agent's last self-update attempt (sent until the server sees it
    /// again; idempotent per release and outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateReport>,
}

/// The outcome of one self-update attempt, as the agent reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpdateReport {
    /// The release's id.
    pub release_id: String,
    /// The release's version.
    pub version: String,
    /// `installed`, `refused` (verification or version rule), `failed` (download or install
    /// error) or `rolled_back` (no healthy check-in within the health window).
    pub outcome: String,
    /// Why it was refused, failed or rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the outcome happened.
    pub at: DateTime<Utc>,
}

/// The release a device should run, as a check-in answer names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpdateOffer {
    /// The release's id (download it from `/api/v1/releases/{id}/file`).
    pub release_id: String,
    /// Its version.
    pub version: String,
    /// `linux` or `windows`.
    pub os: String,
    /// `x86_64` or `aarch64`.
    pub arch: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// ed25519 signature (hex) of the release's signed statement
    /// (`outpost_intel::release::statement`) by the release key.
    pub signature: String,
    /// Ordered as a rollback: install even when older than the running version.
    #[serde(default)]
    pub rollback: bool,
}

/// An uploaded agent release (`GET /api/v1/releases`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub id: String,
    pub os: String,
    pub arch: String,
    pub version: String,
    pub size: u64,
    pub sha256: String,
    pub signature: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

/// `POST /api/v1/rollouts`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRollout {
    pub release_id: String,
    /// Only this tenant's devices (all tenants when absent; admins only).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Canary devices: the first stage, before the percentages.
    #[serde(default)]
    pub canary: Vec<String>,
    /// Stages as percentages of the target's devices, increasing, the last 100 (default
    /// `[100]`).
    #[serde(default)]
    pub percents: Vec<u32>,
    /// A stage's devices must have reported a healthy install this long before the next
    /// stage starts (default 3600).
    #[serde(default)]
    pub healthy_secs: Option<u64>,
    /// Pause when this many devices failed (refused, failed, rolled back); default 1.
    #[serde(default)]
    pub failure_threshold: Option<u64>,
    /// A rollback: devices install the release even though it is older than theirs.
    #[serde(default)]
    pub rollback: bool,
}

/// A rollout and its progress (`GET /api/v1/rollouts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    pub id: String,
    pub release_id: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    pub canary: Vec<String>,
    pub percents: Vec<u32>,
    /// Index of the current stage (canary first when there are canary devices).
    pub stage: u32,
    pub stages: u32,
    /// `running`, `paused`, `aborted` or `completed`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub healthy_secs: u64,
    pub failure_threshold: u64,
    /// Failures before the last resume, no longer counted against the threshold.
    #[serde(default)]
    pub failure_base: u64,
    pub rollback: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub stage_started_at: DateTime<Utc>,
    /// Devices by update status (`assigned`, `installed`, `refused`, `failed`,
    /// `rolled_back`).
    #[serde(default)]
    pub devices: std::collections::BTreeMap<String, u64>,
}

/// `POST /api/v1/rollouts/{id}/state`: `pause`, `resume` or `abort`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutAction {
    pub action: String,
}

/// One entry of a device's update history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateEvent {
    pub device_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_id: Option<String>,
    pub release_id: String,
    pub version: String,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// `GET /api/v1/fleet`: agent versions per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetVersions {
    /// The newest uploaded release per (os, arch), "os arch" → version.
    pub latest: std::collections::BTreeMap<String, String>,
    pub tenants: Vec<TenantVersions>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantVersions {
    pub tenant_id: String,
    /// Devices per reported agent version ("unknown" when none was reported).
    pub versions: std::collections::BTreeMap<String, u64>,
    /// Devices older than the newest release for their platform.
    pub outdated: u64,
    pub devices: u64,
}

/// What an agent reports about its verified intel bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntelStatus {
    /// Version of the bundle in use (none before the first good bundle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// No bundle, or the one in use has expired (hits then need server confirmation).
    #[serde(default)]
    pub stale: bool,
    /// Why the last offered bundle was refused (tampered, truncated, expired, wrong key…),
    /// until a later one is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<DateTime<Utc>>,
}

/// An indicator a tenant's intel holds in addition to the global feeds
/// (`GET/POST /api/v1/intel/indicators`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TenantIndicator {
    pub id: String,
    pub tenant_id: String,
    /// `ip` (address or CIDR), `domain`, `domain_suffix`, `sha256`, `sha1`, `md5`,
    /// `process_name` or `process_path`.
    pub kind: String,
    /// The normalized value.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/intel/indicators`
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantIndicator {
    pub tenant_id: String,
    pub kind: String,
    pub value: String,
    #[serde(default)]
    pub score: Option<u32>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A network of a tenant that is never reported (its own servers): subtracted from the
/// tenant's bundle (`GET/POST /api/v1/intel/allowlist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllowlistEntry {
    pub id: String,
    pub tenant_id: String,
    /// Address or CIDR.
    pub network: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/intel/allowlist`
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAllowlistEntry {
    pub tenant_id: String,
    pub network: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `GET /api/v1/intel/key`: the public half of the server's bundle signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntelKey {
    /// ed25519 public key, 64 hex digits (pin it in agents as `intel_public_key`).
    pub public_key: String,
    /// Its 8-byte id (hex), as bundles name their signer.
    pub key_id: String,
}

/// Keys of an agent's `[daemon]` section that only its `agent.toml` sets, never a server
/// configuration overlay: whether `process.kill` runs, where `pcap` jobs read, and how big
/// and long jobs may get. The server refuses an overlay naming one (422) and the agent
/// refuses it too.
pub const AGENT_LOCAL_ONLY_DAEMON_KEYS: [&str; 6] = [
    "allow_kill",
    "capture_dir",
    "max_pcap_bytes",
    "max_file_get_bytes",
    "max_file_hash_bytes",
    "max_job_secs",
];

/// The server's answer to a check-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckinResponse {
    pub server_time: DateTime<Utc>,
    /// Jobs waiting for this device (claim them from `/api/v1/agent/jobs/next`).
    pub jobs_pending: u64,
    /// The configuration version the server wants the agent to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_version: Option<String>,
    /// The configuration itself, present only when the agent reported another version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    /// Check in again after this many seconds.
    pub next_checkin_s: u32,
    /// The release this device should run (from a rollout that includes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateOffer>,
}

/// `PUT /api/v1/devices/{id}/config`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceConfig {
    /// Agent configuration sections (as in `agent.toml`), applied by the agent at check-in.
    pub config: serde_json::Value,
}

/// A UI user, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub role: crate::auth::Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub disabled: bool,
}

/// `POST /api/v1/users`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: crate::auth::Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// `POST /api/v1/auth/login`
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoginResponse {
    /// The session token (also set as the `outpost_session` cookie); send it as
    /// `Authorization: Bearer <token>` from scripts.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// `POST /api/v1/keys`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// `enrollment`, `admin`, `technician` or `customer`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub name: String,
}

/// `POST /api/v1/tenants`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    pub name: String,
}

/// A page of results with an opaque cursor for the next page (absent on the last page).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A device, as `GET /api/v1/devices` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Device {
    pub id: String,
    pub tenant_id: String,
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotlist_version: Option<String>,
    /// Last check-in (absent for agents that never checked in, e.g. run-once uploads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checkin_at: Option<DateTime<Utc>>,
    /// Whether the device checked in within its announced interval (plus slack), or uploaded
    /// within the last 15 minutes when it does not check in.
    #[serde(default)]
    pub online: bool,
    /// The agent's counters from its last check-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<serde_json::Value>,
    /// Configuration version the agent reported / the server wants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_config_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_version: Option<String>,
    /// The agent's intel bundle state from its last check-in (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intel: Option<IntelStatus>,
}

/// A tenant (one customer of an MSP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    /// `--server 127.0.0.1:8470` is refused with the corrected URL.
    #[test]
    fn server_url_needs_a_scheme() {
        assert_eq!(
            server_url("http://127.0.0.1:8470/").unwrap(),
            "http://127.0.0.1:8470"
        );
        assert_eq!(
            server_url("HTTPS://x.example").unwrap(),
            "HTTPS://x.example"
        );
        let e = server_url("127.0.0.1:8470").unwrap_err();
        assert!(
            e.contains("needs http:// or https://") && e.contains("http://127.0.0.1:8470"),
            "{e}"
        );
        assert!(server_url("ftp://x").unwrap_err().contains("http://x"));
        assert!(server_url("").is_err());
    }

    /// A newer agent's extra fields are accepted (and reported), bad types of
    /// known fields are still rejected.
    #[test]
    fn agent_bodies_accept_unknown_fields_but_not_bad_types() {
        let body = br#"{"agent_version":"9.9","hostname":"h","future_field":{"x":1},
            "intel":{"version":"v1","stale":false,"next_gen":true}}"#;
        let req: CheckinRequest = serde_json::from_slice(body).unwrap();
        assert_eq!(req.agent_version.as_deref(), Some("9.9"));
        assert_eq!(req.intel.unwrap().version.as_deref(), Some("v1"));
        assert_eq!(
            CheckinRequest::unknown_fields(body),
            vec!["future_field".to_string(), "intel.next_gen".to_string()]
        );
        assert!(CheckinRequest::unknown_fields(br#"{"hostname":"h"}"#).is_empty());
        assert!(serde_json::from_slice::<CheckinRequest>(br#"{"interval_s":"soon"}"#).is_err());
        assert!(serde_json::from_slice::<CheckinRequest>(br#"{"intel":{"stale":"no"}}"#).is_err());
        let ev = br#"{"batch_id":"b1","events":[],"compression":"none"}"#;
        assert!(serde_json::from_slice::<EventBatch>(ev).is_ok());
        assert_eq!(
            EventBatch::unknown_fields(ev),
            vec!["compression".to_string()]
        );
        assert!(serde_json::from_slice::<EventBatch>(br#"{"batch_id":1,"events":[]}"#).is_err());
        assert!(field_names::<CheckinRequest>().contains(&"wait_s"));
        // Staff bodies stay strict.
        assert!(serde_json::from_slice::<NewTenant>(br#"{"name":"acme","nmae":"typo"}"#).is_err());
    }
}
