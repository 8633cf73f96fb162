//! One-shot ingestion of a log file, options, statistics and progress reporting.

use crate::error::{OsLogError, SinkError};
use outpost_core::{Event, EventKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// Maps Windows device paths (`\Device\HarddiskVolume3\…`, as in WFP 5156/5157 `Application`)
/// to drive paths (`C:\…`).
///
/// Keys are device prefixes (`\device\harddiskvolume3`, compared case-insensitively), values
/// the drive (`C:`). Serialized as a JSON/TOML map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct DriveMap(pub BTreeMap<String, String>);

impl DriveMap {
    /// Adds a mapping (`\Device\HarddiskVolume3` → `C:`).
    pub fn insert(&mut self, device: &str, drive: &str) {
        self.0.insert(
            device.trim_end_matches('\\').to_string(),
            drive.trim_end_matches('\\').to_string(),
        );
    }

    /// Maps `path` when its device prefix is known; returns it unchanged otherwise.
    pub fn map_path(&self, path: &str) -> String {
        for (dev, drive) in &self.0 {
            let dev = dev.trim_end_matches('\\');
            if path.len() >= dev.len()
                && path.is_char_boundary(dev.len())
                && path[..dev.len()].eq_ignore_ascii_case(dev)
            {
                let rest = &path[dev.len()..];
                if rest.is_empty() || rest.starts_with('\\') {
                    return format!("{drive}{rest}");
                }
            }
        }
        path.to_string()
    }
}

/// Options for reading logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOptions {
    /// Device-path → drive mapping for WFP application paths (kept raw when unmapped).
    #[serde(default)]
    pub drive_map: DriveMap,
}

/// Progress of a read: bytes of the current file and records so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file processed so far (EVTX: whole chunks).
    pub bytes_done: u64,
    /// Size of the file in bytes.
    pub bytes_total: u64,
    /// Records read so far in this call.
    pub records: u64,
}

/// What a read did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestStats {
    /// Files opened.
    pub files: u64,
    /// Records read (EVTX records; audit lines).
    pub records_read: u64,
    /// Events delivered, by kind (`network`, `process_exec`, `log`).
    pub events: BTreeMap<String, u64>,
    /// Malformed records (or EVTX chunks) skipped, each reported with `tracing::warn!`.
    pub malformed: u64,
    /// Records skipped because a cursor said they were already read.
    pub skipped_seen: u64,
    /// Sources that could not be read at all (file unreadable, EVTX header invalid); each is
    /// reported with `tracing::warn!` by [`poll_sources`](crate::poll_sources).
    pub failed_sources: u64,
}

impl IngestStats {
    /// Counts one delivered event.
    pub fn count_event(&mut self, kind: EventKind) {
        *self.events.entry(kind.as_str().to_string()).or_default() += 1;
    }

    /// Events delivered of one kind.
    pub fn events_of(&self, kind: EventKind) -> u64 {
        self.events.get(kind.as_str()).copied().unwrap_or(0)
    }

    /// All events delivered.
    pub fn events_total(&self) -> u64 {
        self.events.values().sum()
    }

    /// Adds another read's counts to these.
    pub fn merge(&mut self, o: &IngestStats) {
        self.files += o.files;
        self.records_read += o.records_read;
        self.malformed += o.malformed;
        self.skipped_seen += o.skipped_seen;
        self.failed_sources += o.failed_sources;
        for (k, v) in &o.events {
            *self.events.entry(k.clone()).or_default() += v;
        }
    }
}

/// The format of a log file, detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Windows EVTX (starts with `ElfFile\0`).
    Evtx,
    /// Linux audit log text (`type=… msg=audit(…)`, optionally `node=…` first).
    Audit,
}

/// Detects the format of `path` from its first bytes.
pub fn detect_format(path: &Path) -> Result<LogFormat, OsLogError> {
    let f = File::open(path).map_err(|e| OsLogError::io(path, e))?;
    let mut head = Vec::with_capacity(4096);
    f.take(4096)
        .read_to_end(&mut head)
        .map_err(|e| OsLogError::io(path, e))?;
    detect_format_bytes(&head).ok_or_else(|| OsLogError::UnknownFormat {
        path: path.to_path_buf(),
    })
}

/// Detects the format of a log from its first bytes (see [`detect_format`]).
pub fn detect_format_bytes(head: &[u8]) -> Option<LogFormat> {
    if head.starts_with(b"ElfFile\0") {
        return Some(LogFormat::Evtx);
    }
    let text = String::from_utf8_lossy(head);
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    if (first.starts_with("type=") || first.starts_with("node=")) && first.contains("msg=audit(") {
        return Some(LogFormat::Audit);
    }
    None
}

/// Reads a whole file (EVTX or audit log, auto-detected) and delivers its events to `sink`.
///
/// Malformed records are counted in [`IngestStats::malformed`] and skipped; the function only
/// fails when the file cannot be read at all or the sink fails.
pub fn ingest_file<E>(
    path: &Path,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event) -> Result<(), E>,
) -> Result<IngestStats, OsLogError>
where
    E: Into<SinkError>,
{
    ingest_file_with_progress(path, opts, &mut |_| {}, sink)
}

/// [`ingest_file`] with a progress callback, called every few thousand records and at the end.
pub fn ingest_file_with_progress<E>(
    path: &Path,
    opts: &IngestOptions,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), E>,
) -> Result<IngestStats, OsLogError>
where
    E: Into<SinkError>,
{
    let mut sink = |e: Event| sink(e).map_err(Into::into);
    let mut stats = IngestStats::default();
    match detect_format(path)? {
        LogFormat::Evtx => {
            crate::evtx::read_evtx_file(path, 0, opts, &mut stats, progress, &mut sink)?;
        }
        LogFormat::Audit => {
            let f = File::open(path).map_err(|e| OsLogError::io(path, e))?;
            let total = f.metadata().map(|m| m.len()).unwrap_or(0);
            stats.files += 1;
            crate::audit::read_audit_stream(
                BufReader::with_capacity(256 * 1024, f),
                0,
                total,
                true,
                None,
                opts,
                &mut stats,
                progress,
                &mut sink,
            )
            .map_err(|e| with_path(e, path))?;
        }
    }
    Ok(stats)
}

/// Reads one part of an EVTX file's chunks (see [`crate::evtx::read_evtx_part`]): several
/// threads reading the parts of one large file deliver together exactly the events of
/// [`ingest_file_with_progress`].
pub fn ingest_evtx_part_with_progress<E>(
    path: &Path,
    part: crate::evtx::EvtxPart,
    opts: &IngestOptions,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), E>,
) -> Result<IngestStats, OsLogError>
where
    E: Into<SinkError>,
{
    let mut sink = |e: Event| sink(e).map_err(Into::into);
    let mut stats = IngestStats::default();
    crate::evtx::read_evtx_part(path, part, opts, &mut stats, progress, &mut sink)?;
    Ok(stats)
}

/// Puts the real path into an I/O error raised deep inside a stream reader.
pub(crate) fn with_path(e: OsLogError, path: &Path) -> OsLogError {
    match e {
        OsLogError::Io { source, .. } => OsLogError::io(path, source),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_map_maps_known_prefix_only() {
        let mut m = DriveMap::default();
        m.insert(r"\Device\HarddiskVolume2", "C:");
        assert_eq!(
            m.map_path(r"\device\harddiskvolume2\windows\system32\svchost.exe"),
            r"C:\windows\system32\svchost.exe"
        );
        // HarddiskVolume22 must not match HarddiskVolume2
        assert_eq!(
            m.map_path(r"\device\harddiskvolume22\x.exe"),
            r"\device\harddiskvolume22\x.exe"
        );
        assert_eq!(m.map_path("System"), "System");
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect_format_bytes(b"ElfFile\0rest"), Some(LogFormat::Evtx));
        assert_eq!(
            detect_format_bytes(b"type=DAEMON_START msg=audit(1.2:3): op=start\n"),
            Some(LogFormat::Audit)
        );
        assert_eq!(detect_format_bytes(b"hello\n"), None);
        assert_eq!(detect_format_bytes(b""), None);
    }
}
