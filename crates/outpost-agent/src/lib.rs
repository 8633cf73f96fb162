//! The Outpost agent.
//!
//! The agent's pipeline correlates on the endpoint and uploads only hits:
//!
//! 1. Events (from live collectors or OS logs) are appended to hourly JSONL files in
//!    `buffer/` ([`buffer`]); files are named by the hour they were *written*, so appending is
//!    always to the newest file and a read position is a (file, offset) pair.
//! 2. A run ([`run_once`]) reads from the remembered position ([`state`]), extracts remote
//!    addresses, looks them up in the hotlist loaded once, and groups matches by
//!    `(remote_ip, process_name)` ([`correlate`]); only matching lines are fully parsed.
//! 3. Hits are enriched: executable path resolved, SHA-256 computed only for hits, through a
//!    cache keyed by path, size, mtime and inode ([`enrich`]).
//! 4. Hit batches are written to `spool/` before the position advances, then uploaded; a batch
//!    leaves the spool only when the server acknowledged it ([`upload`]). Retries reuse the batch
//!    id, so the server stores each batch once.
//!
//! Where things live:
//!
//! - [`data_dir`]: the data directory's layout ([`DataDir`]: every file and directory the
//!   agent keeps); `state.json` is written only by [`state::State::save`].
//! - [`api`]: every call of the Outpost API (enroll, hits, events, check-in, intel
//!   confirmation) through one `outpost_http::ApiClient` and its one error type; the job
//!   runner uses the same client through `outpost_jobs::AgentClient`.
//! - [`buffer`]: the hourly buffer files; the line format itself (encoder and in-place
//!   readers, with their contract test) is `outpost_sensors::line`.
//! - [`correlate`] (the hot path: every indicator kind, the parallel chunked scan),
//!   [`indicators`] (hashing exec events for hash indicators — as they start in the daemon,
//!   after the scan otherwise — and remembered DNS answers), [`intel`] (the bundle cache and
//!   hit confirmation), [`enrich`] (executable path and hash cache), [`upload`] (the spool),
//!   [`telemetry`] (full-telemetry streaming), [`ingest`] (OS logs into the buffer).
//! - [`run_once`]: one pass as named steps (window, intel, scan, hashing, confirmation,
//!   enrichment, spooling, upload, pruning).
//! - [`daemon`]: `outpost agent run`, one file per worker — the drain of the sensors' channel
//!   under the agent's own CPU/RSS caps ([`governor`]), the correlation pass (the same code as
//!   `run-once`), the check-in thread (intel refresh, server configuration, [`update`]), the
//!   job thread (`outpost-jobs`' executors, `agent.*` control jobs) — and the optional packet
//!   capture of `outpost-sensors`, whose directory the `pcap` executor reads.

pub mod api;
pub mod buffer;
pub mod checkin;
pub mod config;
pub mod correlate;
pub mod daemon;
pub mod data_dir;
pub mod enrich;
pub mod enroll;
pub mod governor;
pub mod indicators;
pub mod ingest;
pub mod intel;
pub mod lock;
pub mod run_once;
pub mod state;
pub mod telemetry;
pub mod update;
pub mod upload;

pub use config::AgentConfig;
pub use data_dir::DataDir;

/// Errors of the agent library.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: String, message: String },
    #[error(
        "the agent is not enrolled: run `outpost agent enroll --server URL --key KEY` first ({0} missing)"
    )]
    NotEnrolled(String),
    #[error("hotlist: {0}")]
    Hotlist(#[from] outpost_intel::IntelError),
    #[error(
        "{path}: another agent process{} is using this data directory (run-once, the daemon and ingest each need it alone); stop it or wait for it to finish",
        .holder.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked { path: String, holder: Option<u32> },
    #[error("server {url}: {message}")]
    Server { url: String, message: String },
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AgentError + '_ {
    move |source| AgentError::Io {
        path: path.display().to_string(),
        source,
    }
}
