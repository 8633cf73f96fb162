//! Enrollment: trade a tenant's enrollment key for this device's identity and write
//! `agent.toml`, deciding which keys the agent pins — the server's intel signing key unless a
//! local hotlist was chosen, the release key the server offers — with keys given by the
//! operator checked against what the server says (a mismatch is refused, never overwritten).

use crate::config::AgentConfig;
use crate::upload::{Client, UploadError};
use crate::{AgentError, DataDir};
use outpost_core::api::EnrollRequest;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to enroll with and what to pin.
#[derive(Debug, Clone, Default)]
pub struct EnrollOptions {
    /// The server's URL (`http(s)://host:port`).
    pub server: String,
    /// The tenant's enrollment key.
    pub key: String,
    /// The name to enroll under (default: this machine's hostname).
    pub hostname: Option<String>,
    /// A local hotlist to match instead of the server's bundles (then no intel key is pinned).
    pub hotlist: Option<PathBuf>,
    /// Read this host's OS logs on every run (the host's default audit logs / channels).
    pub os_logs: bool,
    /// The intel signing key to pin instead of the one the server sends.
    pub intel_key: Option<String>,
    /// The release key to pin instead of the one the server offers.
    pub release_key: Option<String>,
    /// Do nothing when the directory is already enrolled.
    pub if_absent: bool,
}

/// The outcome of [`enroll`].
#[derive(Debug)]
pub enum Enrolled {
    /// `if_absent` and the directory already had a device id: nothing was done.
    Already(AgentConfig),
    /// Enrolled now; `agent.toml` is written.
    New {
        config: AgentConfig,
        device_id: String,
        /// With `os_logs`: whether this host has any OS log to read.
        os_logs_found: bool,
    },
}

/// Why an enrollment failed.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    /// The data directory cannot be written (checked before asking the server, so an
    /// enrollment is never lost for want of a place to keep it).
    #[error("the agent's data directory {dir} is not writable: {source}")]
    NotWritable { dir: String, source: std::io::Error },
    /// The server refused or could not be reached.
    #[error(transparent)]
    Server(#[from] UploadError),
    /// A key given by the operator is not an ed25519 public key in hex.
    #[error("--{flag} is not a valid public key")]
    InvalidKey { flag: &'static str },
    /// A key given by the operator differs from the one the server sent.
    #[error("the server's {what} {offered} differs from --{flag} {given}")]
    KeyMismatch {
        what: &'static str,
        flag: &'static str,
        offered: String,
        given: String,
    },
    #[error(transparent)]
    Agent(#[from] AgentError),
}

/// Enrolls the agent of `data_dir` (see the module docs).
pub fn enroll(data_dir: &Path, o: EnrollOptions) -> Result<Enrolled, EnrollError> {
    writable(data_dir)?;
    let mut cfg = AgentConfig::load(data_dir)?;
    if o.if_absent && cfg.device_id.is_some() {
        return Ok(Enrolled::Already(cfg));
    }
    let hostname = o.hostname.unwrap_or_else(outpost_platform::hostname);
    let resp = Client::new(&o.server, Duration::from_secs(30)).enroll(&EnrollRequest {
        enrollment_key: o.key,
        hostname: hostname.clone(),
        os: Some(std::env::consts::OS.to_string()),
        agent_version: Some(outpost_core::version().to_string()),
    })?;
    cfg.server_url = Some(o.server.trim_end_matches('/').to_string());
    cfg.tenant_id = Some(resp.tenant_id);
    cfg.device_id = Some(resp.device_id.clone());
    cfg.device_token = Some(resp.device_token);
    cfg.hostname = Some(hostname);
    cfg.release_public_key = match o.release_key {
        Some(k) => Some(pinned(
            &k,
            resp.release_public_key,
            "release key",
            "release-key",
        )?),
        None => resp.release_public_key,
    };
    cfg.intel_public_key = match (o.intel_key, &o.hotlist) {
        (Some(k), _) => Some(pinned(
            &k,
            resp.intel_public_key,
            "intel signing key",
            "intel-key",
        )?),
        // An explicit local hotlist: the operator chose local matching.
        (None, Some(_)) => None,
        (None, None) => resp.intel_public_key,
    };
    if let Some(h) = o.hotlist {
        cfg.hotlist = Some(std::path::absolute(&h).unwrap_or(h));
    }
    let mut os_logs_found = true;
    if o.os_logs {
        let defaults = outpost_oslog::SourcesConfig::host_defaults();
        os_logs_found = !(defaults.audit_logs.is_empty() && defaults.windows_channels.is_empty());
        for p in defaults.audit_logs {
            if !cfg.sources.audit_logs.contains(&p) {
                cfg.sources.audit_logs.push(p);
            }
        }
        for c in defaults.windows_channels {
            if !cfg.sources.windows_channels.contains(&c) {
                cfg.sources.windows_channels.push(c);
            }
        }
    }
    cfg.save(data_dir)?;
    Ok(Enrolled::New {
        config: cfg,
        device_id: resp.device_id,
        os_logs_found,
    })
}

/// The operator's key `given`, checked to be a key and to agree with what the server sent.
fn pinned(
    given: &str,
    offered: Option<String>,
    what: &'static str,
    flag: &'static str,
) -> Result<String, EnrollError> {
    outpost_intel::distribute::verifying_key_from_hex(given)
        .map_err(|_| EnrollError::InvalidKey { flag })?;
    let given = given.trim();
    if let Some(offered) = offered.filter(|o| !o.eq_ignore_ascii_case(given)) {
        return Err(EnrollError::KeyMismatch {
            what,
            flag,
            offered,
            given: given.to_string(),
        });
    }
    Ok(given.to_ascii_lowercase())
}

fn writable(dir: &Path) -> Result<(), EnrollError> {
    let probe = DataDir::new(dir).root().join(".outpost-write-test");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|source| EnrollError::NotWritable {
            dir: dir.display().to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const KEY_B: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";

    #[test]
    fn a_given_key_must_be_a_key_and_agree_with_the_server() {
        assert_eq!(
            pinned(
                &KEY_A.to_uppercase(),
                Some(KEY_A.into()),
                "intel signing key",
                "intel-key"
            )
            .unwrap(),
            KEY_A
        );
        assert_eq!(
            pinned(KEY_A, None, "release key", "release-key").unwrap(),
            KEY_A
        );
        assert!(matches!(
            pinned(KEY_A, Some(KEY_B.into()), "intel signing key", "intel-key"),
            Err(EnrollError::KeyMismatch {
                flag: "intel-key",
                ..
            })
        ));
        assert!(matches!(
            pinned("not-hex", None, "release key", "release-key"),
            Err(EnrollError::InvalidKey {
                flag: "release-key"
            })
        ));
    }
}
