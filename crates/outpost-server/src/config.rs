//! Server configuration: a TOML file, then environment overrides (`OUTPOST_*`).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Errors reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is invalid: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
    #[error("environment variable {var} is invalid: {message}")]
    Env { var: &'static str, message: String },
}

/// Everything `outpost server` needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the embedded database and other server state live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite database.
    pub database_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The URL users reach the server at (for links in tickets and messages).
    pub public_url: Option<String>,
    /// The Sensoroni/Threatsensor-compatible job API (`/api/node`, `/api/job/`, …).
    pub sensoroni: SensoroniConfig,
    /// Elasticsearch/OpenSearch used by `/joblookup` to build PCAP jobs from documents.
    pub elastic_url: Option<String>,
    /// Index pattern searched by `/joblookup`.
    pub elastic_index: String,
    /// Hits received longer ago than this are deleted (0 keeps them forever).
    pub retention_days: u32,
    /// How long a UI session lasts after login.
    pub session_hours: u32,
    /// The check-in interval the server asks agents for.
    pub checkin_interval_s: u32,
    /// Requests per second allowed per device token, API key or user (burst: 5x); 0 = off.
    pub rate_limit_per_s: u32,
    /// Login attempts per minute allowed per client address (burst 10); 0 = off.
    pub login_rate_per_min: u32,
    /// Serve HTTPS (`[tls] cert`, `key`, optional `client_ca`, `require_client_cert`).
    pub tls: Option<crate::tls::TlsConfig>,
    /// Threat intel: the bundle signing key, global feeds, bundle lifetime (`[intel]`).
    pub intel: IntelConfig,
}

/// `[intel]`: what every tenant's signed bundle is built from.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntelConfig {
    /// File holding the ed25519 signing key's seed (64 hex digits). Default
    /// `DATA_DIR/intel-signing.key`, generated on first start (mode 0600) with the public key
    /// beside it in `intel-signing.pub`. Replicas sharing a database must share this file.
    /// Env: `OUTPOST_INTEL_SIGNING_KEY_FILE`.
    pub signing_key_file: Option<PathBuf>,
    /// Plain or IPsum hotlist files that are global intel (what `outpost up --hotlist` sets).
    pub hotlists: Vec<PathBuf>,
    /// Global feeds (`[[intel.feeds]]`: name, location, format, interval, options).
    pub feeds: Vec<outpost_intel::feed::Feed>,
    /// How long a bundle is valid after it was built; agents treat an older one as stale and
    /// ask the server to confirm its hits.
    pub bundle_ttl_s: u64,
    /// Build bundles in filter mode (host addresses in a BinaryFuse8 filter; every filter hit
    /// is confirmed by the server), for lists beyond the agents' memory budget.
    pub filter_mode: bool,
    /// Seconds between checks whether a feed is due (each feed has its own `interval`).
    pub refresh_check_s: u64,
}

impl Default for IntelConfig {
    fn default() -> Self {
        IntelConfig {
            signing_key_file: None,
            hotlists: Vec::new(),
            feeds: Vec::new(),
            bundle_ttl_s: 24 * 3600,
            filter_mode: false,
            refresh_check_s: 60,
        }
    }
}

/// Settings of the Sensoroni-compatible API. Without a key and without anonymous networks
/// the API refuses every request.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SensoroniConfig {
    /// The shared static key (`Authorization: <key>` or `Bearer <key>`). Env: `OUTPOST_SENSORONI_KEY`.
    pub api_key: Option<String>,
    /// Networks (IPv4 or IPv6 CIDRs) allowed without the key.
    pub anonymous_cidrs: Vec<ipnet::IpNet>,
    /// Tenant (name or id) that owns jobs created through this API; default `default`.
    pub tenant: Option<String>,
}

impl std::fmt::Debug for SensoroniConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SensoroniConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("anonymous_cidrs", &self.anonymous_cidrs)
            .field("tenant", &self.tenant)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8470)),
            data_dir: PathBuf::from("outpost-data"),
            database_url: None,
            max_body_bytes: 8 * 1024 * 1024,
            public_url: None,
            sensoroni: SensoroniConfig::default(),
            elastic_url: None,
            elastic_index: "*".to_string(),
            retention_days: 90,
            session_hours: 12,
            checkin_interval_s: 60,
            rate_limit_per_s: 50,
            login_rate_per_min: 20,
            tls: None,
            intel: IntelConfig::default(),
        }
    }
}

impl ServerConfig {
    /// Reads `path` (if given) and applies `OUTPOST_LISTEN`, `OUTPOST_DATA_DIR`,
    /// `OUTPOST_DATABASE_URL`, `OUTPOST_MAX_BODY_BYTES` and `OUTPOST_PUBLIC_URL`.
    pub fn load(path: Option<&Path>) -> Result<ServerConfig, ConfigError> {
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: p.display().to_string(),
                    source,
                })?
            }
            None => ServerConfig::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    /// Applies environment overrides read through `get` (injectable for tests).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("OUTPOST_LISTEN") {
            self.listen = v.parse().map_err(|e| ConfigError::Env {
                var: "OUTPOST_LISTEN",
                message: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("OUTPOST_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("OUTPOST_DATABASE_URL") {
            self.database_url = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = get("OUTPOST_MAX_BODY_BYTES") {
            self.max_body_bytes = v.parse().map_err(|e| ConfigError::Env {
                var: "OUTPOST_MAX_BODY_BYTES",
                message: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("OUTPOST_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("OUTPOST_SENSORONI_KEY") {
            self.sensoroni.api_key = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = get("OUTPOST_INTEL_SIGNING_KEY_FILE") {
            self.intel.signing_key_file =
                Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = get("OUTPOST_ELASTIC_URL") {
            self.elastic_url = Some(v).filter(|s| !s.is_empty());
        }
        for (var, slot) in [
            ("OUTPOST_RETENTION_DAYS", &mut self.retention_days),
            ("OUTPOST_SESSION_HOURS", &mut self.session_hours),
            ("OUTPOST_CHECKIN_INTERVAL_S", &mut self.checkin_interval_s),
            ("OUTPOST_RATE_LIMIT_PER_S", &mut self.rate_limit_per_s),
            ("OUTPOST_LOGIN_RATE_PER_MIN", &mut self.login_rate_per_min),
        ] {
            if let Some(v) = get(var) {
                *slot = v.parse().map_err(|e| ConfigError::Env {
                    var,
                    message: format!("{v:?}: {e}"),
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("outpost.toml");
        std::fs::write(&p, "listen = \"0.0.0.0:9000\"\nmax_body_bytes = 1024\n").unwrap();
        let mut c = ServerConfig::load(Some(&p)).unwrap();
        assert_eq!(c.listen.port(), 9000);
        c.apply_env(|k| (k == "OUTPOST_MAX_BODY_BYTES").then(|| "2048".to_string()))
            .unwrap();
        assert_eq!(c.max_body_bytes, 2048);
        assert!(
            c.apply_env(|k| (k == "OUTPOST_LISTEN").then(|| "nope".to_string()))
                .is_err()
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, "listn = \"x\"\n").unwrap();
        let e = ServerConfig::load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains("listn"), "{e}");
    }
}
