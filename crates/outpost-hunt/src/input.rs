//! Input files: paths walked recursively, formats detected from content, events read.

use outpost_core::Event;
use outpost_oslog::{EvtxPart, IngestOptions, LogFormat, OsLogError, SinkError};
use serde::Serialize;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A file format a hunt reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Windows EVTX.
    Evtx,
    /// Linux audit log text.
    Audit,
    /// One serialized `outpost_core::Event` per line (the agent's buffer format).
    JsonLines,
}

impl Format {
    /// Name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::Audit => "audit",
            Format::JsonLines => "jsonl",
        }
    }
}

/// A file to read.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Its path.
    pub path: PathBuf,
    /// Its size when listed.
    pub size: u64,
    /// Named on the command line (not found by walking a directory): an unrecognized format is
    /// then an error, not a skip.
    pub explicit: bool,
}

/// A command-line path that could not be listed.
#[derive(Debug, Clone, Serialize)]
pub struct PathProblem {
    /// The path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Lists the files under the paths (directories recursively, hidden entries skipped), sorted
/// by path, each once. Paths that do not exist or directories that cannot be listed are
/// returned as problems.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<InputFile>, Vec<PathProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(md) if md.is_dir() => walk(p, &mut files, &mut problems),
            Ok(md) => files.push(InputFile {
                path: p.clone(),
                size: md.len(),
                explicit: true,
            }),
            Err(e) => problems.push(PathProblem {
                path: p.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path).then(b.explicit.cmp(&a.explicit)));
    files.dedup_by(|a, b| a.path == b.path);
    (files, problems)
}

fn walk(dir: &Path, files: &mut Vec<InputFile>, problems: &mut Vec<PathProblem>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            problems.push(PathProblem {
                path: dir.display().to_string(),
                reason: e.to_string(),
            });
            return;
        }
    };
    for ent in rd {
        let Ok(ent) = ent else { continue };
        if ent.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = ent.path();
        // Symbolic links are followed for files, not for directories (no cycles).
        let Ok(ft) = ent.file_type() else { continue };
        if ft.is_dir() {
            walk(&p, files, problems);
        } else if let Ok(md) = std::fs::metadata(&p)
            && md.is_file()
        {
            files.push(InputFile {
                path: p,
                size: md.len(),
                explicit: false,
            });
        }
    }
}

/// Longest first line accepted when sniffing JSON lines.
const MAX_SNIFF_LINE: u64 = 1 << 20;

/// Detects the format of a file from its content: EVTX and audit logs as `outpost-oslog`
/// does, else JSON lines when the first non-empty line is an Outpost event. `Ok(None)`: not a
/// log this hunt can read.
pub fn sniff(path: &Path) -> std::io::Result<Option<Format>> {
    let f = std::fs::File::open(path)?;
    let mut head = Vec::with_capacity(4096);
    (&f).take(4096).read_to_end(&mut head)?;
    match outpost_oslog::detect_format_bytes(&head) {
        Some(LogFormat::Evtx) => return Ok(Some(Format::Evtx)),
        Some(LogFormat::Audit) => return Ok(Some(Format::Audit)),
        None => {}
    }
    let trimmed = head.iter().position(|b| !b.is_ascii_whitespace());
    if trimmed.is_none_or(|i| head[i] != b'{') {
        return Ok(None);
    }
    let f = std::fs::File::open(path)?;
    let mut r = BufReader::new(f.take(MAX_SNIFF_LINE));
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    Ok(serde_json::from_str::<Event>(line.trim())
        .ok()
        .map(|_| Format::JsonLines))
}

/// What reading one file did.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadStats {
    /// Records read (EVTX records, audit lines, JSON lines).
    pub records: u64,
    /// Events delivered.
    pub events: u64,
    /// Malformed records skipped.
    pub malformed: u64,
}

/// Reads a file of a known format, calling `sink` for every event and `progress` with the
/// bytes done now and then. Fails only when the file cannot be read at all.
pub fn read_events(
    path: &Path,
    format: Format,
    opts: &IngestOptions,
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Event),
) -> Result<ReadStats, OsLogError> {
    read_events_part(path, format, None, opts, progress, sink)
}

/// [`read_events`] for one part of an EVTX file's chunks (`None`: the whole file; other
/// formats are always read whole).
pub fn read_events_part(
    path: &Path,
    format: Format,
    part: Option<EvtxPart>,
    opts: &IngestOptions,
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Event),
) -> Result<ReadStats, OsLogError> {
    match format {
        Format::Evtx | Format::Audit => {
            let mut events = 0u64;
            let mut s = |e: Event| -> Result<(), SinkError> {
                events += 1;
                sink(e);
                Ok(())
            };
            let mut progress = |p: outpost_oslog::Progress| progress(p.bytes_done);
            let st = match part.filter(|p| format == Format::Evtx && p.count > 1) {
                Some(part) => outpost_oslog::ingest_evtx_part_with_progress(
                    path,
                    part,
                    opts,
                    &mut progress,
                    &mut s,
                )?,
                None => {
                    outpost_oslog::ingest_file_with_progress(path, opts, &mut progress, &mut s)?
                }
            };
            Ok(ReadStats {
                records: st.records_read,
                events,
                malformed: st.malformed,
            })
        }
        Format::JsonLines => {
            let io = |e| OsLogError::Io {
                path: path.to_path_buf(),
                source: e,
            };
            let f = std::fs::File::open(path).map_err(io)?;
            let mut r = BufReader::with_capacity(256 * 1024, f);
            let mut st = ReadStats::default();
            let mut buf = Vec::new();
            let mut done = 0u64;
            loop {
                buf.clear();
                let n = r.read_until(b'\n', &mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                done += n as u64;
                let line = buf.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                st.records += 1;
                match serde_json::from_slice::<Event>(line) {
                    Ok(e) => {
                        st.events += 1;
                        sink(e);
                    }
                    Err(_) => st.malformed += 1,
                }
                if st.records % 4096 == 0 {
                    progress(done);
                }
            }
            progress(done);
            Ok(st)
        }
    }
}
