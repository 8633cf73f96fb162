//! The agent's side of intel distribution: the verified bundle cache in `intel/` (checked
//! against the pinned `intel_public_key`), fetching the tenant's bundle from the server with
//! `If-None-Match`, and asking the server to confirm hits when the bundle is stale or in
//! filter mode.
//!
//! A refused bundle (tampered, truncated, expired, wrongly signed, older) never replaces the
//! installed one: the last good bundle stays in use and the error is reported at check-in.

use crate::AgentError;
use crate::api::Client;
use crate::config::AgentConfig;
use chrono::{DateTime, Utc};
use outpost_core::IntelMatch;
use outpost_core::api::IntelStatus;
use outpost_intel::BundleCache;
use outpost_intel::bundle::InstallOutcome;
use outpost_intel::distribute::ConfirmRequest;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Directory of the bundle cache inside the agent's data directory.
pub const DIR: &str = crate::DataDir::INTEL;
/// Addresses per confirmation request (the server's limit).
pub const CONFIRM_BATCH: usize = 10_000;

/// The cache directory of `data_dir`.
pub fn cache_dir(data_dir: &Path) -> PathBuf {
    crate::DataDir::new(data_dir).intel()
}

/// Opens the bundle cache when a key is pinned (`None` otherwise: the agent then uses its
/// plain `hotlist`).
pub fn open_cache(
    data_dir: &Path,
    cfg: &AgentConfig,
    now: DateTime<Utc>,
) -> Result<Option<BundleCache>, AgentError> {
    open_with(data_dir, cfg, now, false)
}

/// [`open_cache`] without decoding the installed bundle (`current()` is `None`): for the
/// check-in, which reports the bundle's status and fetches a newer one but matches nothing.
pub fn open_cache_header(
    data_dir: &Path,
    cfg: &AgentConfig,
    now: DateTime<Utc>,
) -> Result<Option<BundleCache>, AgentError> {
    open_with(data_dir, cfg, now, true)
}

fn open_with(
    data_dir: &Path,
    cfg: &AgentConfig,
    now: DateTime<Utc>,
    header_only: bool,
) -> Result<Option<BundleCache>, AgentError> {
    let Some(hex) = cfg.intel_public_key.as_deref() else {
        return Ok(None);
    };
    let key = outpost_intel::distribute::verifying_key_from_hex(hex).map_err(|e| {
        AgentError::Invalid {
            path: crate::DataDir::new(data_dir).config().display().to_string(),
            message: format!("intel_public_key: {e}"),
        }
    })?;
    let open = if header_only {
        BundleCache::open_header
    } else {
        BundleCache::open
    };
    let cache = open(&cache_dir(data_dir), key, now).map_err(|e| AgentError::Invalid {
        path: cache_dir(data_dir).display().to_string(),
        message: e.to_string(),
    })?;
    if let Some(e) = cache.status(now).last_error {
        tracing::warn!(error = %e, "the installed intel bundle is not usable");
    }
    Ok(Some(cache))
}

/// The path of the tenant's bundle.
pub const BUNDLE_PATH: &str = "/api/v1/intel/bundle";

/// The URL of the tenant's bundle.
pub fn bundle_url(server_url: &str) -> String {
    format!("{}{BUNDLE_PATH}", server_url.trim_end_matches('/'))
}

/// Fetches the tenant's bundle (conditionally on the installed one's ETag) and installs it if
/// it is new and verifies. Every failure leaves the installed bundle in use; it is logged here
/// and kept in the cache's status for the next check-in. (A client for this call only: the
/// daemon calls [`refresh_with`] with the client it keeps.)
pub fn refresh(
    cache: &mut BundleCache,
    server_url: &str,
    token: &str,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Result<InstallOutcome, outpost_intel::BundleError> {
    refresh_with(cache, &Client::new(server_url, timeout), token, now)
}

/// [`refresh`] through `client`.
pub fn refresh_with(
    cache: &mut BundleCache,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<InstallOutcome, outpost_intel::BundleError> {
    let r = cache.refresh_with(&client.device(token), BUNDLE_PATH, now);
    match &r {
        Ok(InstallOutcome::Installed { version }) => {
            tracing::info!(version = %version, "new intel bundle installed")
        }
        Ok(InstallOutcome::Unchanged) => {}
        Err(outpost_intel::BundleError::Fetch { .. }) => {
            tracing::warn!(error = %r.as_ref().err().map(ToString::to_string).unwrap_or_default(), "intel bundle fetch failed; keeping the installed bundle")
        }
        Err(e) => {
            tracing::error!(error = %e, "intel bundle refused; keeping the last good bundle")
        }
    }
    r
}

/// What the agent reports at check-in about its bundle.
pub fn status_report(cache: &BundleCache, now: DateTime<Utc>) -> IntelStatus {
    let s = cache.status(now);
    IntelStatus {
        version: s.current_version,
        stale: s.stale,
        last_error: s.last_error,
        last_error_at: s.last_error_at,
    }
}

/// Asks the server whether `ips` are listed in the tenant's intel, in batches of
/// [`CONFIRM_BATCH`]; the answer maps every asked address to its indicator (`None`: not
/// listed). Any failure is an error: the caller keeps its position and asks again next run.
pub fn confirm(
    client: &Client,
    token: &str,
    ips: &[IpAddr],
    bundle_version: Option<&str>,
) -> Result<HashMap<IpAddr, Option<IntelMatch>>, AgentError> {
    let url = client.url("/api/v1/intel/confirm");
    let err = |message: String| AgentError::Server {
        url: url.clone(),
        message,
    };
    let mut out = HashMap::with_capacity(ips.len());
    for chunk in ips.chunks(CONFIRM_BATCH) {
        let req = ConfirmRequest {
            ips: chunk.to_vec(),
            bundle_version: bundle_version.map(str::to_string),
        };
        let body = client
            .confirm(token, &req)
            .map_err(|e| err(e.to_string()))?;
        if body.results.len() != chunk.len() {
            return Err(err(format!(
                "{} answers for {} addresses",
                body.results.len(),
                chunk.len()
            )));
        }
        for r in body.results {
            out.insert(r.ip, r.intel);
        }
    }
    Ok(out)
}
