//! The job model: states, filter, the job record and the wire shapes of both APIs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Job kinds the Outpost agent knows how to run.
pub const KNOWN_KINDS: &[&str] = &[
    "pcap",
    "file.hash",
    "file.get",
    "process.list",
    "process.kill",
    "agent.config",
    "agent.restart",
    "agent.reload",
    "agent.stop_collecting",
    "agent.resume",
    "agent.uninstall",
];

/// Remote control of the agent itself, run by the daemon, not by [`crate::exec`]:
/// restart (re-execute), reload (configuration), stop collecting / resume (sensors off, check-ins
/// and jobs go on), uninstall (service units removed; `parameters.purge = true` also removes
/// the data directory).
pub const AGENT_CONTROL_KINDS: &[&str] = &[
    "agent.restart",
    "agent.reload",
    "agent.stop_collecting",
    "agent.resume",
    "agent.uninstall",
];

/// Kinds only admins may create unless a role's list names them explicitly (a `"*"` does not
/// reach them).
pub const ADMIN_ONLY_KINDS: &[&str] = &["agent.uninstall"];

/// Where a job is in its life.
///
/// `pending → assigned (lease) → running → completed`; a failure or an expired lease sends the
/// job back to `pending` (with a backoff) until its attempt limit, then to `failed`. A pending
/// job that nobody claimed before its deadline becomes `expired`. `deleted` is terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for its device to claim it.
    Pending,
    /// Claimed by an agent, which holds a lease.
    Assigned,
    /// The agent reported that it started.
    Running,
    /// Finished; results (if any) are stored.
    Completed,
    /// Gave up after the attempt limit or a permanent error.
    Failed,
    /// Nobody claimed it before its deadline.
    Expired,
    /// Deleted by a user; results removed.
    Deleted,
}

impl JobStatus {
    /// The database/wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Assigned => "assigned",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Expired => "expired",
            JobStatus::Deleted => "deleted",
        }
    }

    /// Parses the database/wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => JobStatus::Pending,
            "assigned" => JobStatus::Assigned,
            "running" => JobStatus::Running,
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            "expired" => JobStatus::Expired,
            "deleted" => JobStatus::Deleted,
            _ => return None,
        })
    }

    /// True for states a job never leaves.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Expired | JobStatus::Deleted
        )
    }
}

/// Sensoroni's integer job status (`model/job.go`): Pending 0, Completed 1, Incomplete 2,
/// Deleted 3.
pub mod sensoroni_status {
    /// Not finished yet (includes assigned/running).
    pub const PENDING: i64 = 0;
    /// Done.
    pub const COMPLETED: i64 = 1;
    /// Failed at least once (may retry), or failed/expired for good.
    pub const INCOMPLETE: i64 = 2;
    /// Deleted.
    pub const DELETED: i64 = 3;
}

/// What a job selects: a time window, a 5-tuple (all optional) and free parameters.
/// JSON names are Sensoroni's (`model/filter.go`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Sensoroni's import id (carried, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
    /// Start of the time window.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub begin_time: Option<DateTime<Utc>>,
    /// End of the time window.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_time: Option<DateTime<Utc>>,
    /// Source (or either-side) IP address.
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub src_ip: Option<String>,
    /// Source (or either-side) port; 0 means any.
    #[serde(
        default,
        deserialize_with = "de_opt_port",
        skip_serializing_if = "Option::is_none"
    )]
    pub src_port: Option<u16>,
    /// Destination (or either-side) IP address.
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub dst_ip: Option<String>,
    /// Destination (or either-side) port; 0 means any.
    #[serde(
        default,
        deserialize_with = "de_opt_port",
        skip_serializing_if = "Option::is_none"
    )]
    pub dst_port: Option<u16>,
    /// Transport protocol of the flow: `tcp`, `udp`, `icmp`, `icmpv6`, `sctp` or an IP
    /// protocol number (0-255); any when absent. An Outpost addition to Sensoroni's filter
    /// (agents that predate it ignore it and return the flow's packets of every protocol).
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol: Option<String>,
    /// Untyped parameters for non-network kinds (`path`, `pid`, …).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub parameters: serde_json::Map<String, serde_json::Value>,
}

/// Go's zero time, which Sensoroni clients send for "unset".
fn is_go_zero(t: &DateTime<Utc>) -> bool {
    t.timestamp() <= -62_135_596_800
}

fn de_opt_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let v: Option<String> = Option::deserialize(d)?;
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => {
            let t = DateTime::parse_from_rfc3339(s)
                .map_err(|e| serde::de::Error::custom(format!("invalid RFC 3339 time {s:?}: {e}")))?
                .with_timezone(&Utc);
            Ok(if is_go_zero(&t) { None } else { Some(t) })
        }
    }
}

fn de_opt_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<String> = Option::deserialize(d)?;
    Ok(v.filter(|s| !s.is_empty()))
}

fn de_opt_port<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    // Sensoroni sends ints; some UIs send strings. 0 / "" = unset.
    let v: Option<serde_json::Value> = Option::deserialize(d)?;
    let n = match v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| serde::de::Error::custom("port must be a non-negative integer"))?,
        Some(serde_json::Value::String(s)) if s.is_empty() => return Ok(None),
        Some(serde_json::Value::String(s)) => s
            .parse::<u64>()
            .map_err(|_| serde::de::Error::custom("port must be an integer"))?,
        Some(_) => return Err(serde::de::Error::custom("port must be an integer")),
    };
    if n == 0 {
        return Ok(None);
    }
    u16::try_from(n)
        .map(Some)
        .map_err(|_| serde::de::Error::custom("port must be 0..=65535"))
}

impl Filter {
    /// The IP protocol number of `protocol` (`None`: any protocol).
    pub fn protocol_number(&self) -> Result<Option<u8>, String> {
        let Some(p) = self.protocol.as_deref() else {
            return Ok(None);
        };
        let n = match p.to_ascii_lowercase().as_str() {
            "tcp" => 6,
            "udp" => 17,
            "icmp" => 1,
            "icmpv6" | "ipv6-icmp" => 58,
            "sctp" => 132,
            other => other.parse::<u8>().map_err(|_| {
                format!("protocol {p:?} is not tcp, udp, icmp, icmpv6, sctp or a number 0-255")
            })?,
        };
        Ok(Some(n))
    }

    /// Checks what deserialization cannot: a well-formed window and IP addresses.
    pub fn validate(&self) -> Result<(), String> {
        self.protocol_number()?;
        if let (Some(b), Some(e)) = (self.begin_time, self.end_time)
            && e < b
        {
            return Err("endTime is before beginTime".into());
        }
        for (name, ip) in [("srcIp", &self.src_ip), ("dstIp", &self.dst_ip)] {
            if let Some(ip) = ip
                && ip.parse::<std::net::IpAddr>().is_err()
            {
                return Err(format!("{name} is not an IP address"));
            }
        }
        Ok(())
    }
}

/// A job as the store keeps it and `/api/v1/jobs` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Server-assigned id.
    pub id: i64,
    /// Tenant that owns the job.
    pub tenant_id: String,
    /// The device / sensor (Sensoroni `nodeId`) that must run it.
    pub device_id: String,
    /// What to do (`pcap`, `file.hash`, …).
    pub kind: String,
    /// Selection and parameters.
    pub filter: Filter,
    /// Who created it (principal subject).
    pub owner: String,
    /// Current state.
    pub status: JobStatus,
    /// Claims so far (each claim is one attempt).
    pub attempts: i64,
    /// Attempt limit; after it the job fails for good.
    pub max_attempts: i64,
    /// Failures reported or leases lost so far.
    pub fail_count: i64,
    /// Last failure message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The agent instance holding the lease (while assigned/running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<String>,
    /// When the current lease runs out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Not claimable before this time (retry backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<DateTime<Utc>>,
    /// A pending job not claimed by then becomes `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// When it last failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<DateTime<Utc>>,
    /// Extension of the stored result (`pcap`, `json`, `bin`).
    pub file_extension: String,
    /// Size in bytes of the stored result, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_size: Option<i64>,
    /// SHA-256 (hex) of the stored result, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_sha256: Option<String>,
    /// Addressed to a Sensoroni node (created through the compatible API, or by `/joblookup`
    /// for a name that is no enrolled device) rather than to an Outpost device. Only the
    /// compatible API sees and claims sensor jobs; only devices claim the others.
    #[serde(default)]
    pub sensor: bool,
}

/// What a caller supplies to create a job (`POST /api/v1/jobs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    /// Target tenant; required for staff, must equal the caller's tenant otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Target device / sensor.
    pub device_id: String,
    /// Job kind.
    pub kind: String,
    /// Selection and parameters.
    #[serde(default)]
    pub filter: Filter,
    /// Overrides the configured attempt limit (1..=20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<i64>,
}

/// What a claiming agent receives (`GET /api/v1/agent/jobs/next`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimedJob {
    /// The job.
    pub job: Job,
    /// Token to present with every report; proves the lease.
    pub lease_id: String,
    /// When the lease runs out unless renewed by a `running` report.
    pub lease_expires_at: DateTime<Utc>,
}

/// An agent's status report (`POST /api/v1/agent/jobs/{id}`). Unlike [`NewJob`] (staff
/// input, strict on purpose), fields this version does not know are ignored, so an agent one
/// version ahead can still report to this server; known fields keep their types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The lease token from the claim.
    pub lease_id: String,
    /// `running` (also renews the lease), `completed` or `failed`.
    pub status: JobStatus,
    /// Failure message for `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Failure is permanent (no retry), e.g. "no data for that window".
    #[serde(default)]
    pub permanent: bool,
}

impl StatusReport {
    /// A report of `status` (`running` or `completed`) under the lease `lease_id`.
    pub fn new(lease_id: impl Into<String>, status: JobStatus) -> StatusReport {
        StatusReport {
            lease_id: lease_id.into(),
            status,
            failure: None,
            permanent: false,
        }
    }
}

/// A Sensoroni job result entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SensoroniJobResult {
    /// Result id.
    #[serde(default)]
    pub id: String,
    /// Arbitrary data.
    #[serde(default)]
    pub data: serde_json::Value,
    /// Human summary.
    #[serde(default)]
    pub summary: String,
}

/// A job in Sensoroni's JSON shape (`model/job.go`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SensoroniJob {
    /// Job id.
    #[serde(default)]
    pub id: i64,
    /// Creation time.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<DateTime<Utc>>,
    /// Integer status, see [`sensoroni_status`].
    #[serde(default)]
    pub status: i64,
    /// Completion time.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub complete_time: Option<DateTime<Utc>>,
    /// Last failure time.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub fail_time: Option<DateTime<Utc>>,
    /// Last failure.
    #[serde(default)]
    pub failure: String,
    /// Failures so far.
    #[serde(default)]
    pub fail_count: i64,
    /// Creator.
    #[serde(default)]
    pub owner: String,
    /// Target node.
    #[serde(default)]
    pub node_id: String,
    /// Legacy alias of `nodeId`.
    #[serde(default)]
    pub sensor_id: String,
    /// Result file extension (default `bin`).
    #[serde(default)]
    pub file_extension: String,
    /// Selection.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Creator's user id.
    #[serde(default)]
    pub user_id: String,
    /// Kind (default `pcap`).
    #[serde(default)]
    pub kind: String,
    /// Results.
    #[serde(default)]
    pub results: Vec<SensoroniJobResult>,
    /// Outpost addition: the lease of the check-in that handed this job out (only in the
    /// `POST /api/node` answer). A client that sends it back (`PUT /api/job/` body,
    /// `POST /api/stream?leaseId=`) proves it holds the current lease; Sensoroni agents, which
    /// drop it, may still report only while the job is leased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<String>,
}

impl SensoroniJob {
    /// Sensoroni's view of an Outpost job.
    pub fn from_job(job: &Job) -> Self {
        use sensoroni_status::*;
        let status = match job.status {
            JobStatus::Pending | JobStatus::Assigned | JobStatus::Running if job.fail_count > 0 => {
                INCOMPLETE
            }
            JobStatus::Pending | JobStatus::Assigned | JobStatus::Running => PENDING,
            JobStatus::Completed => COMPLETED,
            JobStatus::Failed | JobStatus::Expired => INCOMPLETE,
            JobStatus::Deleted => DELETED,
        };
        SensoroniJob {
            id: job.id,
            create_time: Some(job.created_at),
            status,
            complete_time: job.completed_at,
            fail_time: job.failed_at,
            failure: job.failure.clone().unwrap_or_default(),
            fail_count: job.fail_count,
            owner: job.owner.clone(),
            node_id: job.device_id.clone(),
            sensor_id: job.device_id.clone(),
            file_extension: job.file_extension.clone(),
            filter: Some(job.filter.clone()),
            user_id: job.owner.clone(),
            kind: job.kind.clone(),
            results: Vec::new(),
            lease_id: None,
        }
    }

    /// The node the job targets (`nodeId`, else the legacy `sensorId`).
    pub fn target(&self) -> &str {
        if self.node_id.is_empty() {
            &self.sensor_id
        } else {
            &self.node_id
        }
    }
}

/// A sensor / node as Sensoroni's `POST /api/node` sends it and `/api/grid` lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Node id (hostname by default).
    #[serde(default)]
    pub id: String,
    /// First check-in.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub online_time: Option<DateTime<Utc>>,
    /// Last check-in.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub update_time: Option<DateTime<Utc>>,
    /// Oldest data the node holds.
    #[serde(
        default,
        deserialize_with = "de_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub epoch_time: Option<DateTime<Utc>>,
    /// Seconds since first check-in.
    #[serde(default)]
    pub uptime_seconds: i64,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Address as reported.
    #[serde(default)]
    pub address: String,
    /// Role as reported.
    #[serde(default)]
    pub role: String,
    /// Model as reported.
    #[serde(default)]
    pub model: String,
    /// `ok` / `fault` / `unknown`.
    #[serde(default)]
    pub status: String,
    /// Agent version.
    #[serde(default)]
    pub version: String,
    /// `ok` when checked in recently.
    #[serde(default)]
    pub connection_status: String,
}

/// Milliseconds since the epoch → UTC time (out-of-range values clamp to the epoch).
#[cfg(feature = "server")]
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Tenant concerned, when known.
    pub tenant_id: Option<String>,
    /// The tenant of the principal that acted (`None` for staff, the Sensoroni key and
    /// anonymous peers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_tenant_id: Option<String>,
    /// The actor's role (`admin`, `device`, `sensoroni-key`, …).
    pub actor_role: String,
    /// The actor's subject.
    pub actor: String,
    /// What (`job.create`, `job.claim`, …).
    pub action: String,
    /// Which job.
    pub job_id: Option<i64>,
    /// `ok` or `denied` / an error code.
    pub outcome: String,
    /// Extra detail (never secrets).
    pub detail: Option<String>,
}

/// A stored audit record: its id (the paging cursor) and the entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// Row id; newer records have larger ids.
    pub id: i64,
    /// The record.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_accepts_sensoroni_shapes() {
        let f: Filter = serde_json::from_str(
            r#"{"importId":"","beginTime":"2024-01-01T00:00:00Z","endTime":"0001-01-01T00:00:00Z",
               "srcIp":"10.0.0.1","srcPort":"443","dstIp":"","dstPort":0,"parameters":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(f.src_port, Some(443));
        assert_eq!(f.dst_port, None);
        assert_eq!(f.end_time, None);
        assert_eq!(f.dst_ip, None);
        assert!(f.begin_time.is_some());
        assert!(serde_json::from_str::<Filter>(r#"{"srcPort":70000}"#).is_err());
        assert!(serde_json::from_str::<Filter>(r#"{"beginTime":"yesterday"}"#).is_err());
        let bad = Filter {
            src_ip: Some("999.1.1.1".into()),
            ..Default::default()
        };
        assert!(bad.validate().is_err());
        // The protocol: names and numbers; anything else is refused.
        let f: Filter = serde_json::from_str(r#"{"protocol":"TCP"}"#).unwrap();
        assert_eq!(f.protocol_number(), Ok(Some(6)));
        let f: Filter = serde_json::from_str(r#"{"protocol":""}"#).unwrap();
        assert_eq!(f.protocol_number(), Ok(None));
        for (p, n) in [("udp", 17), ("icmp", 1), ("icmpv6", 58), ("47", 47)] {
            let f = Filter {
                protocol: Some(p.into()),
                ..Default::default()
            };
            assert_eq!(f.protocol_number(), Ok(Some(n)), "{p}");
        }
        for p in ["quic", "256", "-1"] {
            let f = Filter {
                protocol: Some(p.into()),
                ..Default::default()
            };
            assert!(f.validate().is_err(), "{p}");
        }
    }

    #[test]
    fn status_round_trip() {
        for s in [
            JobStatus::Pending,
            JobStatus::Assigned,
            JobStatus::Running,
            JobStatus::Completed,
            JobStatus::Failed,
            JobStatus::Expired,
            JobStatus::Deleted,
        ] {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobStatus::parse("bogus"), None);
        // A newer agent's extra field is accepted; a bad type is not.
        let r: StatusReport =
            serde_json::from_str(r#"{"lease_id":"l","status":"running","progress":0.5}"#).unwrap();
        assert_eq!(r.lease_id, "l");
        assert!(
            serde_json::from_str::<StatusReport>(
                r#"{"lease_id":"l","status":"running","permanent":"yes"}"#
            )
            .is_err()
        );
    }
}
