//! Error types.

use std::path::PathBuf;

/// Errors from loading or parsing intel.
#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A text list is not valid UTF-8.
    #[error("{source_name}: not UTF-8 text (line {line})")]
    NotUtf8 {
        /// Name of the list.
        source_name: String,
        /// 1-based line of the first invalid byte.
        line: usize,
    },
    /// A malformed line in strict mode.
    #[error("{source_name}:{line}: {reason}")]
    Parse {
        /// Name of the list.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The list could not be turned into a lookup table.
    #[error("{source_name}: {reason}")]
    Table {
        /// Name of the list.
        source_name: String,
        /// What went wrong.
        reason: String,
    },
    /// A feed URL could not be fetched.
    #[error("fetching {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A bundle was refused.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
}
