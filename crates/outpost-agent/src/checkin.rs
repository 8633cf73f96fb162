//! Check-in: the daemon reports liveness, its counters and versions to the server every
//! interval (`POST /api/v1/checkin`) and receives the configuration the server wants it to
//! run.
//!
//! Server-side configuration is an overlay on `agent.toml`: a JSON object with any of the
//! sections `window`, `upload`, `sources`, `daemon`, `sensors`. The agent validates it against
//! its own configuration types, keeps it in `server-config.json` with its version, and the
//! daemon restarts its pipeline with the merged configuration. Identity keys (server URL,
//! device id and token) can never be changed this way, nor the agent's safety switches and
//! result caps ([`LOCAL_ONLY_DAEMON_KEYS`]: `process.kill`, the capture directory, the size
//! and time limits of jobs); the server may switch jobs off, never on.

use crate::DataDir;
use crate::config::AgentConfig;
use crate::state::write_atomic;
use crate::{AgentError, io_err};
use outpost_core::api::{CheckinRequest, CheckinResponse};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Sections of `agent.toml` the server may override.
pub const OVERRIDABLE: [&str; 5] = ["window", "upload", "sources", "daemon", "sensors"];

/// Keys of `[daemon]` that only `agent.toml` sets: what jobs may do on this host and how big
/// and long they may get. A server (or whoever holds its admin key) cannot widen them.
pub const LOCAL_ONLY_DAEMON_KEYS: [&str; 6] = outpost_core::api::AGENT_LOCAL_ONLY_DAEMON_KEYS;

const FILE: &str = DataDir::SERVER_CONFIG;

/// `server-config.json`: the last configuration accepted from the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerConfig {
    pub version: Option<String>,
    pub config: serde_json::Value,
}

/// The last accepted server configuration (none when the file is absent).
pub fn load_server_config(data_dir: &Path) -> Result<Option<ServerConfig>, AgentError> {
    let p = DataDir::new(data_dir).server_config();
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| AgentError::Invalid {
                path: p.display().to_string(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&p)(e)),
    }
}

/// Merges `overlay` into `base` (objects recursively; everything else replaces).
fn merge(base: &mut serde_json::Value, overlay: &serde_json::Value) {
    match (base, overlay) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// `cfg` with the server's overlay applied; an overlay naming anything but the overridable
/// sections, or not fitting the configuration types, is an error that names the problem.
pub fn apply_overlay(
    cfg: &AgentConfig,
    overlay: &serde_json::Value,
) -> Result<AgentConfig, String> {
    let obj = overlay
        .as_object()
        .ok_or_else(|| "server configuration must be a JSON object".to_string())?;
    if let Some(k) = obj.keys().find(|k| !OVERRIDABLE.contains(&k.as_str())) {
        return Err(format!(
            "server configuration may set only {}; not {k:?}",
            OVERRIDABLE.join(", ")
        ));
    }
    if let Some(d) = obj.get("daemon").and_then(|d| d.as_object()) {
        if let Some(k) = d
            .keys()
            .find(|k| LOCAL_ONLY_DAEMON_KEYS.contains(&k.as_str()))
        {
            return Err(format!(
                "server configuration may not set daemon.{k}: {} are set in agent.toml only",
                LOCAL_ONLY_DAEMON_KEYS.join(", ")
            ));
        }
        if d.get("jobs") == Some(&serde_json::Value::Bool(true)) && !cfg.daemon.jobs {
            return Err(
                "server configuration may not switch jobs on (daemon.jobs is false in agent.toml)"
                    .into(),
            );
        }
    }
    let mut v = serde_json::to_value(cfg).map_err(|e| e.to_string())?;
    merge(&mut v, overlay);
    serde_json::from_value(v).map_err(|e| format!("server configuration: {e}"))
}

/// `agent.toml` with the accepted server configuration applied.
pub fn effective_config(data_dir: &Path) -> Result<AgentConfig, AgentError> {
    let cfg = AgentConfig::load(data_dir)?;
    match load_server_config(data_dir)? {
        Some(sc) if !sc.config.is_null() => {
            apply_overlay(&cfg, &sc.config).map_err(|message| AgentError::Invalid {
                path: DataDir::new(data_dir).server_config().display().to_string(),
                message,
            })
        }
        _ => Ok(cfg),
    }
}

/// What one check-in brought.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckinOutcome {
    /// Nothing new.
    Unchanged(CheckinResponse),
    /// A new configuration was accepted and saved; the pipeline should restart.
    NewConfig(CheckinResponse),
    /// The server sent a configuration that does not fit; it was refused (and logged).
    RefusedConfig(CheckinResponse, String),
}

impl CheckinOutcome {
    /// The server's answer.
    pub fn response(&self) -> &CheckinResponse {
        match self {
            CheckinOutcome::Unchanged(r)
            | CheckinOutcome::NewConfig(r)
            | CheckinOutcome::RefusedConfig(r, _) => r,
        }
    }
}

/// Checks in once and saves a new server configuration if one came (through a client made
/// for this call: the daemon uses [`checkin_with`] and the client it keeps).
pub fn checkin_once(
    data_dir: &Path,
    server_url: &str,
    token: &str,
    counters: serde_json::Value,
    interval: Duration,
    hotlist_version: Option<String>,
    intel: Option<outpost_core::api::IntelStatus>,
) -> Result<CheckinOutcome, AgentError> {
    let client = crate::api::Client::new(server_url, Duration::from_secs(30));
    let report = Report {
        counters,
        interval,
        hotlist_version,
        intel,
    };
    checkin_with(data_dir, &client, token, report)
}

/// What a check-in reports besides the agent's versions.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The daemon's counters.
    pub counters: serde_json::Value,
    /// Its check-in interval.
    pub interval: Duration,
    /// The intel version in use.
    pub hotlist_version: Option<String>,
    /// The bundle cache's state.
    pub intel: Option<outpost_core::api::IntelStatus>,
}

/// [`checkin_once`] through `client`.
pub fn checkin_with(
    data_dir: &Path,
    client: &crate::api::Client,
    token: &str,
    report: Report,
) -> Result<CheckinOutcome, AgentError> {
    let Report {
        counters,
        interval,
        hotlist_version,
        intel,
    } = report;
    let current = load_server_config(data_dir)?;
    let updates = crate::update::UpdateState::load(data_dir);
    let mut counters = counters;
    if let Some(c) = counters.as_object_mut() {
        c.insert("updates".into(), serde_json::json!(updates.counts));
    }
    let req = CheckinRequest {
        agent_version: Some(outpost_core::version().to_string()),
        hostname: None,
        os: Some(format!(
            "{} {}",
            std::env::consts::OS,
            std::env::consts::ARCH
        )),
        hotlist_version,
        config_version: current.as_ref().and_then(|c| c.version.clone()),
        counters: Some(counters),
        interval_s: u32::try_from(interval.as_secs()).ok(),
        wait_s: None,
        intel,
        update: updates.last,
    };
    let body = client
        .checkin(token, &req)
        .map_err(|e| AgentError::Server {
            url: client.url("/api/v1/checkin"),
            message: e.to_string(),
        })?;
    let Some(cfg) = body.config.clone() else {
        return Ok(CheckinOutcome::Unchanged(body));
    };
    let base = AgentConfig::load(data_dir)?;
    if let Err(e) = apply_overlay(&base, &cfg) {
        tracing::warn!(version = ?body.config_version, error = %e, "server configuration refused");
        return Ok(CheckinOutcome::RefusedConfig(body, e));
    }
    let sc = ServerConfig {
        version: body.config_version.clone(),
        config: cfg,
    };
    let bytes = serde_json::to_vec_pretty(&sc).map_err(|e| AgentError::Invalid {
        path: FILE.into(),
        message: e.to_string(),
    })?;
    write_atomic(&DataDir::new(data_dir).server_config(), &bytes, false)?;
    tracing::info!(version = ?sc.version, "new server configuration accepted");
    Ok(CheckinOutcome::NewConfig(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_merges_sections_and_refuses_identity() {
        let base = AgentConfig::default();
        let c = apply_overlay(
            &base,
            &serde_json::json!({"window": {"min_age_minutes": 5}}),
        )
        .unwrap();
        assert_eq!(c.window.min_age_minutes, 5);
        assert_eq!(c.window.max_buffer_bytes, base.window.max_buffer_bytes);
        let e = apply_overlay(&base, &serde_json::json!({"device_token": "x"})).unwrap_err();
        assert!(e.contains("device_token"), "{e}");
        let e = apply_overlay(&base, &serde_json::json!({"window": {"nope": 1}})).unwrap_err();
        assert!(e.contains("nope"), "{e}");
        assert!(apply_overlay(&base, &serde_json::json!([1])).is_err());
    }

    /// The server's overlay cannot switch off the agent's safety — enable
    /// `process.kill`, raise a result cap or the time limit, move the capture directory, or
    /// switch jobs on — and a refused overlay changes nothing.
    #[test]
    fn overlay_cannot_touch_local_safety_switches_and_caps() {
        let base = AgentConfig::default();
        for (k, v) in [
            ("allow_kill", serde_json::json!(true)),
            ("max_file_get_bytes", serde_json::json!(1u64 << 40)),
            ("max_file_hash_bytes", serde_json::json!(1u64 << 40)),
            ("max_pcap_bytes", serde_json::json!(1u64 << 40)),
            ("capture_dir", serde_json::json!("/")),
            ("max_job_secs", serde_json::json!(1u64 << 40)),
        ] {
            let overlay = serde_json::json!({"daemon": {k: v}});
            let e = apply_overlay(&base, &overlay).unwrap_err();
            assert!(e.contains(&format!("daemon.{k}")), "{k}: {e}");
        }
        // Jobs: off is allowed, on is not when agent.toml has them off.
        let off = apply_overlay(&base, &serde_json::json!({"daemon": {"jobs": false}})).unwrap();
        assert!(!off.daemon.jobs);
        let mut local_off = base.clone();
        local_off.daemon.jobs = false;
        assert!(apply_overlay(&local_off, &serde_json::json!({"daemon": {"jobs": true}})).is_err());
        // The other daemon settings stay the server's to tune.
        let c = apply_overlay(
            &base,
            &serde_json::json!({"daemon": {"correlate_interval_secs": 10, "max_rss_mib": 128}}),
        )
        .unwrap();
        assert_eq!(
            (c.daemon.correlate_interval_secs, c.daemon.max_rss_mib),
            (10, 128)
        );
        assert!(!c.daemon.allow_kill);
    }
}
