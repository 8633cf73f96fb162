//! Error type of the OS-log readers.

use std::path::PathBuf;

/// Boxed error returned by an event sink (anything convertible: `anyhow::Error`, `String`, …).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Why reading an OS log failed as a whole.
///
/// A single malformed record is never an error: it is counted in
/// [`IngestStats::malformed`](crate::IngestStats::malformed), warned about and skipped.
#[derive(Debug, thiserror::Error)]
pub enum OsLogError {
    /// The file could not be opened, read or inspected.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is neither an EVTX file nor an audit log.
    #[error("{path}: unrecognized format (neither EVTX nor a Linux audit log)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// This build has no EVTX reader (built without the `evtx` feature, like the slim agent).
    #[error(
        "{path}: this build of Outpost cannot read EVTX files (built without the `evtx` feature; use the full `outpost` binary)"
    )]
    EvtxUnsupported {
        /// The file.
        path: PathBuf,
    },
    /// The EVTX file header could not be parsed (the file is not usable at all).
    #[error("{path}: unreadable EVTX file: {message}")]
    Evtx {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The cursor store could not be read or written.
    #[error("cursor store {path}: {message}")]
    CursorStore {
        /// The cursor file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A configured glob pattern is invalid.
    #[error("invalid file pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern as configured.
        pattern: String,
        /// The glob parser's message.
        message: String,
    },
    /// The event sink returned an error; reading stopped at that event.
    #[error("event sink failed: {0}")]
    Sink(#[source] SinkError),
    /// A Windows event log API call failed (live channels, Windows only).
    #[error("Windows event log: {0}")]
    Windows(String),
}

impl OsLogError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        OsLogError::Io {
            path: path.into(),
            source,
        }
    }
}
