//! Configured sources read incrementally: EVTX files, audit logs with their rotations and (on
//! Windows) live event log channels, with positions remembered in a [`Cursors`] file.

use crate::error::{OsLogError, SinkError};
use crate::ingest::{DriveMap, IngestOptions, IngestStats, Progress, with_path};
use outpost_core::Event;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Which logs to read on each poll (agent configuration section, serde: JSON or TOML).
///
/// ```toml
/// evtx = ["C:/exports/*.evtx"]
/// audit_logs = ["/var/log/audit/audit.log"]
/// windows_channels = ["Security", "Microsoft-Windows-Sysmon/Operational"]
/// [drive_map]
/// '\Device\HarddiskVolume3' = 'C:'
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcesConfig {
    /// Glob patterns of `.evtx` files (each matching file is a source with its own cursor, keyed
    /// by the path as the glob returns it: keep the pattern's form stable).
    #[serde(default)]
    pub evtx: Vec<String>,
    /// Audit log base paths (`/var/log/audit/audit.log`); rotations `PATH.1`, `PATH.2`, … are
    /// read too, oldest first. Without a cursor (first poll) everything present is read.
    #[serde(default)]
    pub audit_logs: Vec<PathBuf>,
    /// Live Windows event log channels (`Security`, `Microsoft-Windows-Sysmon/Operational`,
    /// `Microsoft-Windows-DNS-Client/Operational`, any other). Read on Windows only; elsewhere
    /// they are reported as failed sources.
    #[serde(default)]
    pub windows_channels: Vec<String>,
    /// Device-path → drive mapping for WFP application paths.
    #[serde(default)]
    pub drive_map: DriveMap,
}

impl SourcesConfig {
    /// The usual sources of this system: on Windows the Security, Sysmon and DNS-Client
    /// channels (the last is disabled until `wevtutil sl Microsoft-Windows-DNS-Client/Operational
    /// /e:true`; a disabled channel is read as empty); elsewhere `/var/log/audit/audit.log` when
    /// it exists.
    pub fn host_defaults() -> Self {
        let mut c = SourcesConfig::default();
        if cfg!(windows) {
            c.windows_channels = vec![
                "Security".to_string(),
                "Microsoft-Windows-Sysmon/Operational".to_string(),
                "Microsoft-Windows-DNS-Client/Operational".to_string(),
            ];
        } else {
            let audit = PathBuf::from("/var/log/audit/audit.log");
            if audit.exists() {
                c.audit_logs.push(audit);
            }
        }
        c
    }
}

/// Position in an EVTX file or a Windows channel: the highest record id delivered.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct EvtxCursor {
    /// Highest `EventRecordID` delivered.
    pub last_record_id: u64,
}

/// Position in a live Windows channel: the event log's own bookmark of the last record
/// delivered (what `EvtCreateBookmark` takes back), and that record's `EventRecordID` (the
/// fallback when the bookmarked record is gone: the log wrapped or was cleared).
///
/// Older cursor stores hold only `last_record_id`; they load with no bookmark.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChannelCursor {
    /// Highest `EventRecordID` delivered.
    pub last_record_id: u64,
    /// Bookmark XML rendered by `EvtRender(EvtRenderBookmark)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmark: Option<String>,
}

/// Position in an audit log set.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct AuditCursor {
    /// Inode of the file the offset belongs to (0 where inodes are not available).
    pub inode: u64,
    /// Byte offset in that file up to which everything was delivered.
    pub offset: u64,
    /// Time (ms since the epoch) of the last event delivered.
    pub last_ts_ms: i64,
    /// Serial of the last event delivered.
    pub last_serial: u64,
}

/// Remembered read positions, by source (EVTX file path, audit log base path, channel name).
/// Stored as a JSON file at a path the caller chooses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cursors {
    /// EVTX files, by path as matched by the glob.
    #[serde(default)]
    pub evtx: BTreeMap<String, EvtxCursor>,
    /// Audit logs, by configured base path.
    #[serde(default)]
    pub audit: BTreeMap<String, AuditCursor>,
    /// Live Windows channels, by channel name.
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelCursor>,
}

impl Cursors {
    /// Loads the store; a missing file gives an empty store.
    pub fn load(path: &Path) -> Result<Self, OsLogError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| OsLogError::CursorStore {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Cursors::default()),
            Err(e) => Err(OsLogError::io(path, e)),
        }
    }

    /// Saves the store atomically (write to a temporary file beside it, then rename).
    pub fn save(&self, path: &Path) -> Result<(), OsLogError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| OsLogError::CursorStore {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, json).map_err(|e| OsLogError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| OsLogError::io(path, e))
    }
}

/// Reads everything new in the configured sources, delivering events to `sink` and advancing
/// `cursors` (the caller saves them with [`Cursors::save`] after the sink has stored the events).
///
/// A source that cannot be read (missing file, invalid EVTX header, unsupported channel) is
/// warned about and counted in [`IngestStats::failed_sources`]; the others are still read. Only a
/// sink error or an invalid glob pattern stops the poll. Cursors of sources read before a sink
/// error are already advanced.
pub fn poll_sources<E>(
    config: &SourcesConfig,
    cursors: &mut Cursors,
    sink: &mut dyn FnMut(Event) -> Result<(), E>,
) -> Result<IngestStats, OsLogError>
where
    E: Into<SinkError>,
{
    poll_sources_with_progress(config, cursors, &mut |_| {}, sink)
}

/// [`poll_sources`] with a progress callback (per file: bytes of that file).
pub fn poll_sources_with_progress<E>(
    config: &SourcesConfig,
    cursors: &mut Cursors,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), E>,
) -> Result<IngestStats, OsLogError>
where
    E: Into<SinkError>,
{
    let mut sink = |e: Event| sink(e).map_err(Into::into);
    let opts = IngestOptions {
        drive_map: config.drive_map.clone(),
    };
    let mut stats = IngestStats::default();
    for pattern in &config.evtx {
        for path in expand_glob(pattern)? {
            let key = path.to_string_lossy().into_owned();
            let cur = cursors.evtx.get(&key).copied().unwrap_or_default();
            match crate::evtx::read_evtx_file(
                &path,
                cur.last_record_id,
                &opts,
                &mut stats,
                progress,
                &mut sink,
            ) {
                Ok(stop) => {
                    cursors.evtx.insert(
                        key,
                        EvtxCursor {
                            last_record_id: stop.last_record_id,
                        },
                    );
                }
                Err(OsLogError::Sink(e)) => return Err(OsLogError::Sink(e)),
                Err(err) => {
                    stats.failed_sources += 1;
                    tracing::warn!(path = %path.display(), %err, "EVTX source not read");
                }
            }
        }
    }
    for base in &config.audit_logs {
        let key = base.to_string_lossy().into_owned();
        let cur = cursors.audit.get(&key).copied();
        match poll_audit(base, cur, &opts, &mut stats, progress, &mut sink) {
            Ok(Some(c)) => {
                cursors.audit.insert(key, c);
            }
            Ok(None) => {}
            Err(OsLogError::Sink(e)) => return Err(OsLogError::Sink(e)),
            Err(err) => {
                stats.failed_sources += 1;
                tracing::warn!(path = %base.display(), %err, "audit log not read");
            }
        }
    }
    for channel in &config.windows_channels {
        let cur = cursors.channels.get(channel).cloned().unwrap_or_default();
        match crate::live::read_channel(channel, &cur, &opts, &mut stats, &mut sink) {
            Ok(next) => {
                cursors.channels.insert(channel.clone(), next);
            }
            Err(OsLogError::Sink(e)) => return Err(OsLogError::Sink(e)),
            Err(err) => {
                stats.failed_sources += 1;
                tracing::warn!(%channel, %err, "Windows channel not read");
            }
        }
    }
    Ok(stats)
}

fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, OsLogError> {
    let paths = glob::glob(pattern).map_err(|e| OsLogError::Pattern {
        pattern: pattern.to_string(),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for p in paths {
        match p {
            Ok(p) if p.is_file() => out.push(p),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(%pattern, err = %e, "cannot inspect a path matched by the pattern")
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(unix)]
fn inode_of(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.ino()
}

#[cfg(not(unix))]
fn inode_of(_m: &std::fs::Metadata) -> u64 {
    0
}

/// The audit log set of `base`, oldest first: `base.N`, …, `base.1`, `base`.
pub fn audit_rotation_set(base: &Path) -> Vec<PathBuf> {
    let mut rotated = Vec::new();
    for n in 1..=999u32 {
        let mut p = base.as_os_str().to_owned();
        p.push(format!(".{n}"));
        let p = PathBuf::from(p);
        if p.is_file() {
            rotated.push(p);
        } else {
            break;
        }
    }
    rotated.reverse();
    if base.is_file() {
        rotated.push(base.to_path_buf());
    }
    rotated
}

/// Reads what is new in one audit log set. Returns the new cursor (None when nothing exists).
fn poll_audit(
    base: &Path,
    cursor: Option<AuditCursor>,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<Option<AuditCursor>, OsLogError> {
    let set = audit_rotation_set(base);
    if set.is_empty() {
        return Err(OsLogError::io(
            base,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no audit log file"),
        ));
    }
    let mut files = Vec::with_capacity(set.len());
    for p in set {
        let m = std::fs::metadata(&p).map_err(|e| OsLogError::io(&p, e))?;
        files.push((p, inode_of(&m), m.len()));
    }
    // Where to start: the file we stopped in (by inode), at the remembered offset; if it is
    // gone, every file, skipping events up to the last one delivered.
    let (start_idx, start_off, after) = match cursor {
        None => (0, 0, None),
        Some(c) => match files
            .iter()
            .position(|(_, ino, _)| c.inode != 0 && *ino == c.inode)
        {
            Some(i) => {
                let off = if files[i].2 < c.offset { 0 } else { c.offset };
                let after = (off == 0).then_some((c.last_ts_ms, c.last_serial));
                (
                    i,
                    off,
                    after.filter(|_| c.last_ts_ms != 0 || c.last_serial != 0),
                )
            }
            None => (0, 0, Some((c.last_ts_ms, c.last_serial))),
        },
    };
    let mut new_cursor = cursor.unwrap_or_default();
    let last = files.len() - 1;
    for (i, (path, ino, len)) in files.iter().enumerate().skip(start_idx) {
        let off = if i == start_idx { start_off } else { 0 };
        let mut f = File::open(path).map_err(|e| OsLogError::io(path, e))?;
        f.seek(SeekFrom::Start(off))
            .map_err(|e| OsLogError::io(path, e))?;
        stats.files += 1;
        let stop = crate::audit::read_audit_stream(
            BufReader::with_capacity(256 * 1024, f),
            off,
            *len,
            i != last,
            after,
            opts,
            stats,
            progress,
            sink,
        )
        .map_err(|e| with_path(e, path))?;
        new_cursor.inode = *ino;
        new_cursor.offset = stop.offset;
        if let Some((ts, serial)) = stop.last_key {
            new_cursor.last_ts_ms = ts;
            new_cursor.last_serial = serial;
        }
    }
    Ok(Some(new_cursor))
}
