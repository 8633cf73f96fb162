//! Sensor configuration (serde, every field optional with a sensible default).

use crate::SensorError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Configuration of all collectors. Deserialize it from the agent's config file; every field has
/// a default, so `{}` is a valid configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SensorConfig {
    /// Directory where persistent state (the file-integrity baseline) is kept. Without it the
    /// baseline lives in memory only and changes made while the agent was down are not reported.
    pub state_dir: Option<PathBuf>,
    /// Process collector (`[sensors.processes]`).
    pub processes: ProcessConfig,
    /// Network collector (`[sensors.network]`).
    pub network: NetworkConfig,
    /// File-integrity and file-access monitoring (`[sensors.files]`).
    pub files: FileConfig,
    /// Container attribution (`[sensors.containers]`).
    pub containers: ContainerConfig,
    /// The DNS sensor (Linux: a packet tap of UDP port 53, root needed; on by default).
    pub dns: bool,
    /// The DNS sensor's limits: fixed in configuration files (a field costs the slim agent
    /// kilobytes of deserializer code), settable by programs embedding the sensors and tests.
    #[serde(skip)]
    pub dns_limits: DnsLimits,
}

impl Default for SensorConfig {
    fn default() -> Self {
        SensorConfig {
            state_dir: None,
            processes: ProcessConfig::default(),
            network: NetworkConfig::default(),
            files: FileConfig::default(),
            containers: ContainerConfig::default(),
            dns: true,
            dns_limits: DnsLimits::default(),
        }
    }
}

/// Process collector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessConfig {
    /// Collect process starts and exits.
    pub enabled: bool,
    /// Emit a `process_inventory` event for every process alive at start.
    pub inventory: bool,
    /// Maximum number of processes kept in the enrichment cache (live and recently exited).
    pub max_cache: usize,
    /// How long an exited process stays in the cache to attribute late events (seconds).
    pub exited_ttl_secs: u64,
    /// Polling interval of the `/proc` fallback when the proc connector is unavailable (ms).
    pub poll_interval_ms: u64,
    /// Emit `process_fork` events (a fork without exec). Exec and exit are always emitted.
    pub forks: bool,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        ProcessConfig {
            enabled: true,
            inventory: true,
            max_cache: 4096,
            exited_ttl_secs: 10,
            poll_interval_ms: 1000,
            forks: true,
        }
    }
}

/// Connection collector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Collect connections and flows.
    pub enabled: bool,
    /// Emit a `network_inventory` event for every socket open at start (sock_diag).
    pub inventory: bool,
    /// Use the eBPF sensor when the crate was built with it (feature `ebpf`).
    pub ebpf: bool,
    /// Polling interval of the sock_diag fallback (ms).
    pub poll_interval_ms: u64,
    /// Maximum sockets remembered by the polling fallback.
    pub max_tracked_sockets: usize,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            enabled: true,
            inventory: true,
            ebpf: true,
            poll_interval_ms: 1000,
            max_tracked_sockets: 65536,
        }
    }
}

/// File integrity monitoring settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// Watch the configured paths for changes.
    pub enabled: bool,
    /// Directories (watched recursively) or single files to monitor.
    pub paths: Vec<PathBuf>,
    /// Glob patterns (`*`, `?`, `[..]`, `**`) a file's full path must match to be monitored;
    /// empty means every file.
    pub include: Vec<String>,
    /// Glob patterns of files and directories never monitored (wins over `include`).
    pub exclude: Vec<String>,
    /// Maximum inotify watches (directories) this collector adds.
    pub max_watches: usize,
    /// Maximum files in the baseline.
    pub max_files: usize,
    /// Files larger than this are not hashed (the event says so by carrying no hash).
    pub max_hash_bytes: u64,
    /// Paths inside every container to monitor (through the container's root on the host).
    pub container_paths: Vec<String>,
    /// Sensitive-file access monitoring (fanotify).
    pub access: AccessConfig,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            enabled: true,
            paths: vec![PathBuf::from("/etc")],
            include: Vec::new(),
            exclude: vec![
                "**/*.swp".into(),
                "**/*~".into(),
                "/etc/mtab".into(),
                "/etc/ld.so.cache".into(),
            ],
            max_watches: 8192,
            max_files: 100_000,
            max_hash_bytes: 64 * 1024 * 1024,
            container_paths: vec!["/etc".into()],
            access: AccessConfig::default(),
        }
    }
}

/// Access monitoring of sensitive files through fanotify (reads report the reading process).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccessConfig {
    /// Report reads of the listed files (fanotify; root needed).
    pub enabled: bool,
    /// Files to watch; glob patterns are expanded at start and re-expanded every
    /// `refresh_secs` (so new SSH keys are picked up and replaced files re-marked).
    pub paths: Vec<String>,
    /// Seconds between re-expansions of `paths`.
    pub refresh_secs: u64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            enabled: true,
            paths: vec![
                "/etc/shadow".into(),
                "/etc/gshadow".into(),
                "/etc/sudoers".into(),
                "/root/.ssh/id_*".into(),
                "/root/.ssh/authorized_keys".into(),
                "/home/*/.ssh/id_*".into(),
                "/home/*/.ssh/authorized_keys".into(),
                "/etc/ssh/ssh_host_*_key".into(),
            ],
            refresh_secs: 60,
        }
    }
}

/// Limits of the DNS sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsLimits {
    /// How long a query waits for its answer before it is emitted unanswered.
    pub wait: std::time::Duration,
    /// Queries waiting for their answer at most; beyond, a query is emitted at once without
    /// its answer (counted as `dns_table_full`).
    pub max_pending: usize,
}

impl Default for DnsLimits {
    fn default() -> Self {
        DnsLimits {
            wait: std::time::Duration::from_secs(2),
            max_pending: 4096,
        }
    }
}

/// Container attribution settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContainerConfig {
    /// Attribute events to containers (runtime, id, name, image).
    pub enabled: bool,
    /// Maximum containers tracked for start/stop events.
    pub max_containers: usize,
}

impl Default for ContainerConfig {
    fn default() -> Self {
        ContainerConfig {
            enabled: true,
            max_containers: 4096,
        }
    }
}

impl SensorConfig {
    pub(crate) fn validate(&self) -> Result<(), SensorError> {
        if self.processes.max_cache < 16 {
            return Err(SensorError::Config(
                "processes.max_cache must be at least 16".into(),
            ));
        }
        if self.processes.poll_interval_ms == 0 || self.network.poll_interval_ms == 0 {
            return Err(SensorError::Config("poll intervals must be > 0 ms".into()));
        }
        let l = &self.dns_limits;
        if l.wait.is_zero() || l.wait.as_secs() > 60 || l.max_pending == 0 {
            return Err(SensorError::Config(
                "the DNS sensor's wait must be 1 ms..60 s and max_pending at least 1".into(),
            ));
        }
        for g in self.files.include.iter().chain(&self.files.exclude) {
            glob::Pattern::new(g)
                .map_err(|e| SensorError::Config(format!("bad glob {g:?}: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_default() {
        let c: SensorConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, SensorConfig::default());
        assert!(c.validate().is_ok());
    }

    #[test]
    fn partial_config_and_unknown_fields() {
        let c: SensorConfig =
            serde_json::from_str(r#"{"files":{"paths":["/srv"],"exclude":["**/*.log"]}}"#).unwrap();
        assert_eq!(c.files.paths, vec![PathBuf::from("/srv")]);
        assert!(c.files.enabled);
        assert!(serde_json::from_str::<SensorConfig>(r#"{"filez":{}}"#).is_err());
        let bad: SensorConfig = serde_json::from_str(r#"{"files":{"include":["[x"]}}"#).unwrap();
        assert!(bad.validate().is_err());
        let dns: SensorConfig = serde_json::from_str(r#"{"dns":false}"#).unwrap();
        assert!(!dns.dns);
        assert!(SensorConfig::default().dns, "on by default");
        assert_eq!(dns.dns_limits, DnsLimits::default());
        assert!(serde_json::from_str::<SensorConfig>(r#"{"dns_limits":{}}"#).is_err());
        let mut bad = SensorConfig::default();
        bad.dns_limits.max_pending = 0;
        assert!(bad.validate().is_err());
    }
}
