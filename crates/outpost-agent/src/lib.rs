//! The Outpost agent.
//!
//! The agent's pipeline is the ThreatHunter seed's endpoint design, in Rust:
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

pub mod buffer;
pub mod checkin;
pub mod config;
pub mod correlate;
pub mod daemon;
pub mod enrich;
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
