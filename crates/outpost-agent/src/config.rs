//! The agent's configuration file, `agent.toml` in its data directory.

use crate::{AgentError, io_err};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// When a run correlates, and how long data is kept (the processing window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WindowConfig {
    /// Correlate once the oldest unprocessed event is at least this old.
    pub min_age_minutes: u64,
    /// …or once this many unprocessed bytes are buffered.
    pub max_buffer_bytes: u64,
    /// Processed buffer files are deleted this long after their hour ends.
    pub retention_minutes: u64,
    /// Unprocessed buffer files older than this are deleted too, and their events counted as
    /// dropped (only happens when runs stop for that long).
    pub max_unprocessed_hours: u64,
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            min_age_minutes: 30,
            max_buffer_bytes: 64 * 1024 * 1024,
            retention_minutes: 60,
            max_unprocessed_hours: 24,
        }
    }
}

/// Upload settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UploadConfig {
    /// Most hits in one upload batch.
    pub max_hits_per_batch: usize,
    /// Largest hit batch, in bytes of JSON (keep it well under the server's
    /// `max_body_bytes`, 8 MiB by default; a batch the server still refuses as too large is
    /// split).
    pub max_batch_bytes: usize,
    /// Matching events kept with each hit.
    pub samples_per_hit: usize,
    /// Timeout of one request to the server, in seconds.
    pub timeout_secs: u64,
    /// Spooled batches beyond this many bytes are dropped oldest-first (and counted).
    pub max_spool_bytes: u64,
    /// Stream every buffered event to the server (`POST /api/v1/events`), not only hits.
    pub full_telemetry: bool,
    /// Events per telemetry batch (1–5,000).
    pub telemetry_batch_events: usize,
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            max_hits_per_batch: 500,
            max_batch_bytes: 2 * 1024 * 1024,
            samples_per_hit: 5,
            timeout_secs: 30,
            max_spool_bytes: 64 * 1024 * 1024,
            full_telemetry: false,
            telemetry_batch_events: 1000,
        }
    }
}

/// `agent.toml`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// The server's URL (`http://…` or `https://…`), set at enrollment.
    pub server_url: Option<String>,
    /// The tenant this device belongs to, set at enrollment.
    pub tenant_id: Option<String>,
    /// This device's id at the server, set at enrollment.
    pub device_id: Option<String>,
    /// Secret; the file is written with mode 0600.
    pub device_token: Option<String>,
    /// The name this device enrolled under.
    pub hostname: Option<String>,
    /// The server's intel signing key (ed25519, 64 hex digits), pinned at enrollment. When set,
    /// the agent matches against the server's signed bundle for its tenant (kept verified in
    /// `intel/`) and `hotlist` is not used.
    pub intel_public_key: Option<String>,
    /// The release signing key (ed25519, 64 hex digits), pinned at enrollment (or with
    /// `--release-key`): the daemon installs only agent releases signed with it (see
    /// `update.rs`). Unset: the agent never updates itself.
    pub release_public_key: Option<String>,
    /// Path of a local hotlist (plain/CIDR list, IPsum, or a signed bundle), used only when no
    /// `intel_public_key` is pinned.
    pub hotlist: Option<PathBuf>,
    /// When a run correlates and how long buffered data is kept.
    pub window: WindowConfig,
    /// Uploads of hits (and, with `full_telemetry`, events) to the server.
    pub upload: UploadConfig,
    /// Hash, process and domain indicators.
    #[serde(rename = "match")]
    pub matching: MatchConfig,
    /// OS logs read at the start of every run (EVTX files, audit logs, Windows channels).
    pub sources: outpost_oslog::SourcesConfig,
    /// Daemon mode (`outpost agent run`).
    pub daemon: DaemonConfig,
    /// Live collectors of the daemon.
    pub sensors: outpost_sensors::SensorConfig,
    /// Outpost's own rolling packet capture (AF_PACKET), started by the daemon when
    /// `enabled`, or alone by `outpost agent capture`.
    pub capture: outpost_sensors::CaptureConfig,
}

/// Matching of the indicators other than addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MatchConfig {
    /// Executables larger than this are not hashed for hash indicators (counted as
    /// `hashes_skipped_large`).
    pub max_hash_file_bytes: u64,
    /// Hashing of executables for hash indicators reads at most this many bytes a second, so
    /// a build storm of new binaries cannot take a core (0 = no limit).
    pub max_hash_bytes_per_sec: u64,
    /// Longest one correlation pass spends hashing, in seconds; executables left over are
    /// counted as `hashes_skipped_budget`.
    pub max_hash_secs_per_pass: u64,
    /// How long a listed domain's answers attribute connections to their addresses, in
    /// seconds.
    pub dns_answer_memory_secs: u64,
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            max_hash_file_bytes: 100 * 1024 * 1024,
            max_hash_bytes_per_sec: 32 * 1024 * 1024,
            max_hash_secs_per_pass: 30,
            dns_answer_memory_secs: 3600,
        }
    }
}

/// Settings of `outpost agent run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// Seconds between correlation passes; hits upload as soon as a pass finds them.
    pub correlate_interval_secs: u64,
    /// Events the collectors may queue before drops (counted) start.
    pub queue_capacity: usize,
    /// Poll the server for jobs (PCAP retrieval, file hash/collect, process list/kill).
    pub jobs: bool,
    /// Rolling capture directory (pcap/pcapng by tcpdump or dumpcap) for `pcap` jobs; when
    /// unset and `[capture]` is enabled, its `dir`.
    pub capture_dir: Option<PathBuf>,
    /// Allow `process.kill` jobs on this host.
    pub allow_kill: bool,
    /// Largest `pcap` job result, in bytes; more matching packets are cut there (and the
    /// job's summary says so).
    pub max_pcap_bytes: u64,
    /// Largest file a `file.get` job returns, in bytes (larger files are refused).
    pub max_file_get_bytes: u64,
    /// Largest file a `file.hash` job reads, in bytes (larger files are refused).
    pub max_file_hash_bytes: u64,
    /// Longest a job may run, in seconds; past it the job fails and the runner moves on.
    pub max_job_secs: u64,
    /// Seconds between check-ins (counters, versions, server configuration); 0 = never.
    pub checkin_interval_secs: u64,
    /// The agent's own CPU cap, in percent of one core averaged over 10 s (0 = none): above
    /// it the daemon drops the events it drains, counted as `events_shed_cpu`.
    pub max_cpu_percent: f64,
    /// The agent's own RSS cap in MiB (0 = none): above it the daemon drops events (counted
    /// as `events_shed_memory`) and returns freed memory to the system.
    pub max_rss_mib: u64,
    /// Self-update: how long a new release runs on trial, beside the installed binary, to
    /// check in healthy before it replaces it; otherwise it is stopped and reported
    /// `rolled_back`.
    pub update_health_secs: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            correlate_interval_secs: 60,
            queue_capacity: 2048,
            jobs: true,
            capture_dir: None,
            allow_kill: false,
            max_pcap_bytes: 512 * 1024 * 1024,
            max_file_get_bytes: 16 * 1024 * 1024,
            max_file_hash_bytes: 4 * 1024 * 1024 * 1024,
            max_job_secs: 900,
            checkin_interval_secs: 60,
            max_cpu_percent: 25.0,
            max_rss_mib: 256,
            update_health_secs: 120,
        }
    }
}

/// The enrolled identity, once all parts are present.
#[derive(Debug, Clone)]
pub struct Identity {
    pub server_url: String,
    pub tenant_id: String,
    pub device_id: String,
    pub device_token: String,
    pub hostname: String,
}

impl AgentConfig {
    pub const FILE: &'static str = crate::DataDir::CONFIG;

    /// Reads `<data_dir>/agent.toml`; a missing file is an empty configuration.
    pub fn load(data_dir: &Path) -> Result<AgentConfig, AgentError> {
        let path = crate::DataDir::new(data_dir).config();
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| AgentError::Invalid {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AgentConfig::default()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// Writes `<data_dir>/agent.toml` atomically, readable only by its owner.
    pub fn save(&self, data_dir: &Path) -> Result<(), AgentError> {
        std::fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
        let path = crate::DataDir::new(data_dir).config();
        let text = toml::to_string_pretty(self).map_err(|e| AgentError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        crate::state::write_atomic(&path, text.as_bytes(), true)
    }

    pub fn identity(&self) -> Result<Identity, AgentError> {
        let need = |v: &Option<String>, name: &str| {
            v.clone()
                .ok_or_else(|| AgentError::NotEnrolled(name.to_string()))
        };
        Ok(Identity {
            server_url: need(&self.server_url, "server_url")?,
            tenant_id: need(&self.tenant_id, "tenant_id")?,
            device_id: need(&self.device_id, "device_id")?,
            device_token: need(&self.device_token, "device_token")?,
            hostname: need(&self.hostname, "hostname")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_permissions() {
        let d = tempfile::tempdir().unwrap();
        let c = AgentConfig {
            device_token: Some("opd_x".into()),
            ..Default::default()
        };
        c.save(d.path()).unwrap();
        assert_eq!(AgentConfig::load(d.path()).unwrap(), c);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.path().join("agent.toml"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(c.identity(), Err(AgentError::NotEnrolled(_))));
    }

    #[test]
    fn sources_section_is_read_from_agent_toml() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join(AgentConfig::FILE),
            r#"
hotlist = "/etc/outpost/hot.txt"

[sources]
evtx = ["/exports/*.evtx"]
audit_logs = ["/var/log/audit/audit.log"]
windows_channels = ["Security"]

[sources.drive_map]
'\Device\HarddiskVolume3' = 'C:'
"#,
        )
        .unwrap();
        let c = AgentConfig::load(d.path()).unwrap();
        assert_eq!(c.sources.evtx, vec!["/exports/*.evtx".to_string()]);
        assert_eq!(
            c.sources.audit_logs,
            vec![PathBuf::from("/var/log/audit/audit.log")]
        );
        assert_eq!(c.sources.windows_channels, vec!["Security".to_string()]);
        assert_eq!(
            c.sources
                .drive_map
                .map_path(r"\device\harddiskvolume3\tools\x.exe"),
            r"C:\tools\x.exe"
        );
        // A misspelt key is an error that names the file, not a silently ignored setting.
        std::fs::write(d.path().join(AgentConfig::FILE), "[sources]\nevtxx = []\n").unwrap();
        let err = AgentConfig::load(d.path()).unwrap_err().to_string();
        assert!(err.contains("agent.toml") && err.contains("evtxx"), "{err}");
    }
}
