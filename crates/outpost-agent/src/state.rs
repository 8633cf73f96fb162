//! `state.json`: where the next run starts, and the agent's running counters.

use crate::{AgentError, io_err};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// A read position in the buffer: everything before `offset` in `file`, and every earlier
/// file, has been processed.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    pub file: String,
    pub offset: u64,
}

/// Counters kept across runs (reported at check-in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    pub runs: u64,
    pub events_scanned: u64,
    pub events_matched: u64,
    /// Lines that were not valid events (skipped with a warning).
    pub malformed_lines: u64,
    pub hits_uploaded: u64,
    pub batches_uploaded: u64,
    /// Unprocessed events deleted because runs stopped for longer than the limit.
    pub events_dropped_unprocessed: u64,
    /// Spooled batches dropped because the spool was full.
    pub batches_dropped_spool_full: u64,
    pub upload_failures: u64,
    /// Matches the server did not confirm (stale or filter-mode bundle): not reported.
    pub matches_refuted: u64,
    /// Events whose address was listed only by intel entries that had expired: not matched.
    pub matches_expired: u64,
    /// Runs that could not correlate because confirming matches with the server failed.
    pub confirm_failures: u64,
    /// Events streamed to the server (full telemetry).
    pub telemetry_events_sent: u64,
    /// Streamed events the server refused for good (skipped).
    pub telemetry_events_rejected: u64,
    /// Streaming passes that stopped because the server was unreachable.
    pub telemetry_failures: u64,
    /// Event fields (sample events of hits, streamed events) cut to the size limit, each
    /// marked (see `outpost_core::bound`).
    pub fields_truncated: u64,
    /// Sample events left out of a hit so that it fits in a request the server accepts.
    pub samples_dropped_oversize: u64,
    /// Hit or telemetry batches the server refused as a whole (too large, or one invalid
    /// part) and that were split and sent again in parts.
    pub batches_split: u64,
    /// Buffer files that ended in a torn line (a process killed mid-write) and were cut back
    /// to their last complete line; `torn_bytes_removed` is what was cut.
    pub torn_tails_repaired: u64,
    pub torn_bytes_removed: u64,
    /// Exec events matched by a process name/path or hash indicator, DNS queries of listed
    /// domains, and connections to their answers.
    pub events_matched_iocs: u64,
    /// Executables hashed for hash indicators (cache misses).
    pub executables_hashed: u64,
    /// Executables not hashed: larger than `[match] max_hash_file_bytes`, past a pass's
    /// hashing time budget, unreadable (gone before the pass, no permission).
    pub hashes_skipped_large: u64,
    pub hashes_skipped_budget: u64,
    pub hashes_unreadable: u64,
    /// Distinct executables of one pass beyond the pass's limit (not hashed).
    pub executables_unhashed_dropped: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub position: Option<Position>,
    /// How far full-telemetry streaming got (see `telemetry.rs`); absent when it never ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry_position: Option<Position>,
    pub last_run_utc: Option<chrono::DateTime<chrono::Utc>>,
    pub counters: Counters,
}

impl State {
    pub const FILE: &'static str = crate::DataDir::STATE;

    pub fn load(data_dir: &Path) -> Result<State, AgentError> {
        let path = crate::DataDir::new(data_dir).state();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| AgentError::Invalid {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    pub fn save(&self, data_dir: &Path) -> Result<(), AgentError> {
        let path = crate::DataDir::new(data_dir).state();
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| AgentError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        write_atomic(&path, &bytes, false)
    }
}

/// Writes `value` as compact JSON to `path` with [`write_atomic`] (not private).
pub fn write_json_atomic(path: &Path, value: &impl Serialize) -> Result<(), AgentError> {
    let bytes = serde_json::to_vec(value).map_err(|e| AgentError::Invalid {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_atomic(path, &bytes, false)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash leaves either
/// the old or the new content. With `private`, the file is created with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), AgentError> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    // The rename is durable only once the directory is: without this a power loss can bring
    // back the old file after later writes elsewhere (a spooled batch gone while `state.json`
    // already moved past its hits).
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Makes the entries of `dir` (files created, renamed or removed in it) durable.
pub fn sync_dir(dir: &Path) -> Result<(), AgentError> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
