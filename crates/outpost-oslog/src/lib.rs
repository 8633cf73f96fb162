//! Outpost OS-log readers.
//!
//! Reads Windows EVTX files (and, on Windows, the live Security and Sysmon channels) and Linux
//! audit logs, and turns every record into an [`outpost_core::Event`]:
//!
//! * Security 5156 / 5157 (Windows Filtering Platform), Sysmon 3 and audited `connect()` /
//!   `accept()` → `network` events;
//! * Sysmon 1, Security 4688 and audited `execve` → `process_exec` events;
//! * every other record → a `log` event carrying all of its fields.
//!
//! Entry points:
//!
//! * [`ingest_file`] — one-shot import of a file (format detected from its first bytes);
//! * [`poll_sources`] — incremental reading of configured sources ([`SourcesConfig`]), with
//!   positions remembered in a [`Cursors`] store, so each run only reads new records.
//!
//! Malformed records are counted ([`IngestStats::malformed`]), warned about with
//! `tracing::warn!` and skipped; they never stop a read.
//!
//! How EVTX is read: files chunk by chunk with positioned reads; a record that is one BinXML
//! template instance (almost all) becomes its log record straight from the template definition
//! and substitution values (`evtx_fast.rs`), the rest through the `evtx` crate's JSON, with
//! identical results (checked on every record of the real samples). Without the `evtx`
//! feature (the slim agent) EVTX sources are refused with [`error::OsLogError::EvtxUnsupported`].
//! Live Windows channels (`live.rs`, `cfg(windows)`) are read with `EvtQuery`/`EvtNext` after a
//! saved bookmark and `EvtRender`ed as XML, which `xml.rs` puts into the EVTX reader's JSON
//! shape, so both share one mapping. Audit logs: records grouped by event serial even when
//! events interleave, hex fields decoded, rotations followed.

#![warn(missing_docs)]

pub mod audit;
pub mod error;
pub mod evtx;
#[cfg(feature = "evtx")]
mod evtx_fast;
pub mod ingest;
pub mod live;
pub mod sources;
pub mod windows;
pub mod xml;

pub use error::{OsLogError, SinkError};
pub use evtx::EvtxPart;
pub use ingest::{
    DriveMap, IngestOptions, IngestStats, LogFormat, Progress, detect_format, detect_format_bytes,
    ingest_evtx_part_with_progress, ingest_file, ingest_file_with_progress,
};
pub use sources::{
    AuditCursor, ChannelCursor, Cursors, EvtxCursor, SourcesConfig, audit_rotation_set,
    poll_sources, poll_sources_with_progress,
};

/// Every `.evtx` file (any case) under `dir`, recursively, sorted; unreadable directories are
/// passed over. For tools and tests that read a tree of exported logs.
pub fn evtx_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
