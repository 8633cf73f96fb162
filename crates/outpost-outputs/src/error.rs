//! Typed errors of the outputs crate.

use std::path::PathBuf;

/// Errors returned by [`crate::OutputManager`] and the disk queue.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The configuration is invalid (duplicate names, bad URL, missing field, …).
    #[error("invalid output configuration: {0}")]
    Config(String),
    /// A filesystem operation on the queue, ledger or an output file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A record could not be serialized.
    #[error("serialization failed: {0}")]
    Serialize(#[from] serde_json::Error),
    /// Another process (a second server on the same data directory) holds the outputs' queues.
    #[error(
        "{path}: another process{} is delivering these outputs' queues (two servers on one data directory would both deliver and delete the same records); stop it or give this server its own data_dir",
        .holder.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked {
        /// The lock file (`{data_dir}/outputs/outputs.lock`).
        path: PathBuf,
        /// The holder's pid, when it recorded one.
        holder: Option<u32>,
    },
    /// Metrics registration failed or the manager is shutting down.
    #[error("output manager: {0}")]
    Manager(String),
}

impl OutputError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        OutputError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Why one delivery attempt failed. Every variant makes the worker retry the batch later with
/// backoff; records a sink refuses for good are dead-lettered by the sink itself and count as
/// delivered.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Connecting, writing or reading failed (server down, reset, timeout).
    #[error("transport: {0}")]
    Transport(String),
    /// The server answered with a retryable error (HTTP 429/5xx, broker error, missing ack).
    #[error("server: {0}")]
    Server(String),
    /// A local file operation failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}
