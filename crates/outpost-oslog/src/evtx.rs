//! Windows EVTX files: reading from a remembered record id, and turning records into
//! [`LogRecord`]s (every record) and normalized events (see [`crate::windows`]).

use crate::error::{OsLogError, SinkError};
use crate::ingest::{IngestOptions, IngestStats, Progress};
use chrono::{DateTime, Utc};
#[cfg(feature = "evtx")]
use evtx::{EvtxParser, ParserSettings};
use outpost_core::{Event, LogRecord};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
#[cfg(feature = "evtx")]
use std::sync::Arc;

/// Size of an EVTX chunk (the unit the progress callback advances by).
#[cfg(feature = "evtx")]
const CHUNK_SIZE: u64 = 65536;
/// Size of the EVTX file header.
#[cfg(feature = "evtx")]
const FILE_HEADER_SIZE: u64 = 4096;
/// How much of a chunk is read to tell an empty (all-zero) chunk (see `ChunkReader::read_chunk`).
#[cfg(feature = "evtx")]
const EMPTY_PROBE: usize = 1024;
/// After this many consecutive record errors in one chunk, the rest of the chunk is skipped.
#[cfg(feature = "evtx")]
const MAX_CONSECUTIVE_RECORD_ERRORS: u32 = 64;

/// One EVTX record as read: its header fields and its rendered JSON.
#[derive(Debug, Clone)]
pub struct RawEvtxRecord {
    /// Record number from the record header (what chunk headers and cursors count). In
    /// exported logs (`wevtutil epl`, `EvtExportLog`) it is renumbered from 1, while the
    /// `System/EventRecordID` in the JSON keeps the original log's id.
    pub record_id: u64,
    /// Record header time stamp (when the record was written).
    pub written: DateTime<Utc>,
    /// The record rendered as JSON bytes by the `evtx` crate
    /// (`{"Event": {"System": …, "EventData": …}}`).
    pub json: Vec<u8>,
}

/// Where a read of an EVTX file stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvtxStop {
    /// Highest record-header id delivered, or the cursor given when nothing new was found: the
    /// cursor for the next read of the same file.
    pub last_record_id: u64,
    /// Highest `System/EventRecordID` delivered (the original log's id), if any.
    pub last_event_record_id: Option<u64>,
}

/// Reads the records of `path` whose (header) record id is greater than `after_record_id`,
/// delivering one event per record.
///
/// If the file's highest record id is below `after_record_id`, the log was cleared or replaced
/// and it is read from the beginning. Chunks entirely at or below the cursor are skipped without
/// parsing their records.
///
/// Without the `evtx` feature (the slim Linux agent): every EVTX file is refused with
/// [`OsLogError::EvtxUnsupported`], so a configured EVTX source fails loudly, not silently.
pub fn read_evtx_file(
    path: &Path,
    after_record_id: u64,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<EvtxStop, OsLogError> {
    #[cfg(not(feature = "evtx"))]
    {
        let _ = (after_record_id, opts, stats, progress, sink);
        Err(OsLogError::EvtxUnsupported {
            path: path.to_path_buf(),
        })
    }
    #[cfg(feature = "evtx")]
    {
        let (last, max_seen) = read_pass(path, after_record_id, None, opts, stats, progress, sink)?;
        if after_record_id > 0 && max_seen.is_some_and(|m| m < after_record_id) {
            tracing::info!(
                path = %path.display(),
                cursor = after_record_id,
                "EVTX record ids went backwards (log cleared or replaced); reading it again from the start"
            );
            let (last, _) = read_pass(path, 0, None, opts, stats, progress, sink)?;
            return Ok(last);
        }
        Ok(last)
    }
}

/// Reads one part of an EVTX file: of the chunks in the order the file is read (oldest
/// first), those whose position `i` has `i % part.count == part.index`. The parts of a file
/// together deliver exactly the events of [`read_evtx_file`] (from the start), each once, so
/// one large file can be read by several threads (every part still reads each chunk from disk,
/// but parses and renders only its own). Without the `evtx` feature: refused like
/// [`read_evtx_file`].
pub fn read_evtx_part(
    path: &Path,
    part: EvtxPart,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<EvtxStop, OsLogError> {
    #[cfg(feature = "evtx")]
    if part.count > 1 {
        let (last, _) = read_pass(path, 0, Some(part), opts, stats, progress, sink)?;
        return Ok(last);
    }
    #[cfg(not(feature = "evtx"))]
    let _ = part;
    read_evtx_file(path, 0, opts, stats, progress, sink)
}

/// One of `count` interleaved parts of an EVTX file's chunks (see [`read_evtx_part`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvtxPart {
    /// This part, `0..count`.
    pub index: u64,
    /// Number of parts.
    pub count: u64,
}

/// One walk over the file (or over one part of its chunks). Returns (where it stopped,
/// highest record id named by any chunk header or record).
#[cfg(feature = "evtx")]
fn read_pass(
    path: &Path,
    after: u64,
    part: Option<EvtxPart>,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<(EvtxStop, Option<u64>), OsLogError> {
    let mut reader = ChunkReader::open(path)?;
    let total = reader.len;
    let settings = Arc::new(ParserSettings::new());
    stats.files += 1;
    let mut last = EvtxStop {
        last_record_id: after,
        last_event_record_id: None,
    };
    let mut max_seen: Option<u64> = None;
    let mut bytes_done = FILE_HEADER_SIZE;
    let mut plans = crate::evtx_fast::ChunkPlans::default();
    let mut names_seen = std::collections::HashSet::new();
    let mut position = 0u64;
    while let Some(chunk) = reader.next_chunk() {
        let this = position;
        position += 1;
        bytes_done = (bytes_done + CHUNK_SIZE).min(total);
        if let Some(p) = part
            && this % p.count.max(1) != p.index
        {
            if let Ok(c) = chunk {
                reader.recycle(c);
            }
            continue;
        }
        let mut chunk = match chunk {
            Ok(c) => c,
            Err(err) => {
                stats.malformed += 1;
                tracing::warn!(path = %path.display(), %err, "skipping unreadable EVTX chunk");
                continue;
            }
        };
        let h = &chunk.header;
        if h.first_event_record_id <= h.last_event_record_id {
            max_seen =
                Some(max_seen.map_or(h.last_event_record_id, |m| m.max(h.last_event_record_id)));
            if h.last_event_record_id <= after {
                stats.skipped_seen += h.last_event_record_id - h.first_event_record_id + 1;
                continue;
            }
        }
        plans.clear();
        // The chunk's records as far as the fast path reads them without the crate's record
        // build; the first one it does not take hands the rest of the chunk to the crate.
        let mut walked = 0usize;
        let mut walk = crate::evtx_fast::RawWalk::new(&chunk.data, &chunk.header);
        // A string table the crate's chunk parse rejects: the chunk goes to it (and fails).
        let mut rest_to_crate = !crate::evtx_fast::string_table_ok(&chunk.data, &mut names_seen);
        while !rest_to_crate {
            let raw = match walk.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(()) => {
                    rest_to_crate = true;
                    break;
                }
            };
            let id = raw.record_id;
            let fast = if id <= after {
                None
            } else {
                match plans.log_record_at(&chunk.data, raw.start, raw.len, id) {
                    Some(f) => Some(f),
                    None => {
                        rest_to_crate = true;
                        break;
                    }
                }
            };
            walked += 1;
            max_seen = Some(max_seen.map_or(id, |m| m.max(id)));
            let Some((log, ts)) = fast else {
                stats.skipped_seen += 1;
                continue;
            };
            let written = jiff_to_chrono(raw.timestamp);
            let event = crate::windows::normalize_log(log, ts.unwrap_or(written), opts);
            deliver(event, id, stats, &mut last, sink)?;
        }
        if !rest_to_crate {
            reader.recycle(chunk);
            progress(Progress {
                bytes_done,
                bytes_total: total,
                records: stats.records_read,
            });
            continue;
        }
        let mut parsed = match chunk.parse(Arc::clone(&settings)) {
            Ok(p) => p,
            Err(err) => {
                stats.malformed += 1;
                tracing::warn!(path = %path.display(), %err, "skipping EVTX chunk that cannot be parsed");
                continue;
            }
        };
        let mut consecutive_errors = 0u32;
        // The crate's iterator yields the walked records first, one item each.
        for record in parsed.iter().skip(walked) {
            let record = match record {
                Ok(r) => {
                    consecutive_errors = 0;
                    r
                }
                Err(err) => {
                    stats.malformed += 1;
                    consecutive_errors += 1;
                    tracing::warn!(path = %path.display(), %err, "skipping malformed EVTX record");
                    if consecutive_errors >= MAX_CONSECUTIVE_RECORD_ERRORS {
                        tracing::warn!(path = %path.display(), "too many bad records, skipping the rest of the chunk");
                        break;
                    }
                    continue;
                }
            };
            let id = record.event_record_id;
            max_seen = Some(max_seen.map_or(id, |m| m.max(id)));
            if id <= after {
                stats.skipped_seen += 1;
                continue;
            }
            let written = jiff_to_chrono(record.timestamp);
            if let Some((log, ts)) = plans.log_record(&record) {
                let event = crate::windows::normalize_log(log, ts.unwrap_or(written), opts);
                deliver(event, id, stats, &mut last, sink)?;
                continue;
            }
            let json = match record.into_json_bytes() {
                Ok(r) => r.data,
                Err(err) => {
                    stats.malformed += 1;
                    tracing::warn!(path = %path.display(), record_id = id, %err, "skipping EVTX record that cannot be rendered");
                    continue;
                }
            };
            let raw = RawEvtxRecord {
                record_id: id,
                written,
                json,
            };
            let event = match crate::windows::normalize(&raw, opts) {
                Ok(e) => e,
                Err(err) => {
                    stats.malformed += 1;
                    tracing::warn!(path = %path.display(), record_id = id, %err, "EVTX record rendered to unusable JSON, skipped");
                    continue;
                }
            };
            deliver(event, id, stats, &mut last, sink)?;
        }
        drop(parsed);
        reader.recycle(chunk);
        progress(Progress {
            bytes_done,
            bytes_total: total,
            records: stats.records_read,
        });
    }
    progress(Progress {
        bytes_done: total,
        bytes_total: total,
        records: stats.records_read,
    });
    Ok((last, max_seen))
}

/// Reads the chunks of an EVTX file in record order, as `evtx::EvtxParser::chunks` does (from
/// the chunk with the oldest records to the end of the file, then from the start; empty chunks
/// skipped; chunks past the header's count read while there are any), with one positioned read
/// per chunk into a reused buffer and no path resolution.
#[cfg(feature = "evtx")]
struct ChunkReader {
    file: std::fs::File,
    /// File size.
    len: u64,
    /// Chunks the file size has room for.
    count: u64,
    next: u64,
    oldest: u64,
    wrapped: bool,
    done: bool,
    buf: Vec<u8>,
}

/// Reads exactly `buf.len()` bytes at `offset`.
#[cfg(feature = "evtx")]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = file;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
}

#[cfg(feature = "evtx")]
impl ChunkReader {
    fn open(path: &Path) -> Result<ChunkReader, OsLogError> {
        let evtx_err = |message: String| OsLogError::Evtx {
            path: path.to_path_buf(),
            message,
        };
        let mut file = std::fs::File::open(path).map_err(|e| OsLogError::io(path, e))?;
        let len = file.metadata().map_err(|e| OsLogError::io(path, e))?.len();
        let header =
            evtx::EvtxFileHeader::from_stream(&mut file).map_err(|e| evtx_err(e.to_string()))?;
        let data = len
            .checked_sub(u64::from(header.header_block_size))
            .ok_or_else(|| {
                evtx_err(format!(
                    "file ({len} bytes) is shorter than its header block ({} bytes)",
                    header.header_block_size
                ))
            })?;
        let mut reader = ChunkReader {
            file,
            len,
            count: data / CHUNK_SIZE,
            next: 0,
            oldest: 0,
            wrapped: false,
            done: false,
            buf: Vec::new(),
        };
        reader.oldest = reader.oldest_chunk();
        reader.next = reader.oldest;
        Ok(reader)
    }

    /// The chunk whose header names the lowest record id (where a wrapped log starts).
    fn oldest_chunk(&self) -> u64 {
        if self.count <= 1 {
            return 0;
        }
        let mut oldest = (u64::MAX, 0);
        let mut header = [0u8; 512];
        for n in 0..self.count {
            if read_at(&self.file, &mut header, FILE_HEADER_SIZE + n * CHUNK_SIZE).is_err() {
                break;
            }
            if let Ok(h) = evtx::EvtxChunkHeader::from_bytes(&header)
                && h.first_event_record_id <= h.last_event_record_id
                && h.first_event_record_id < oldest.0
            {
                oldest = (h.first_event_record_id, n);
            }
        }
        oldest.1
    }

    /// Chunk `n`: `Ok(None)` when it is all zeros, `Err` when it cannot be read or is not a
    /// chunk.
    fn read_chunk(&mut self, n: u64) -> Result<Option<evtx::EvtxChunkData>, String> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(CHUNK_SIZE as usize, 0);
        let offset = n
            .checked_mul(CHUNK_SIZE)
            .and_then(|o| o.checked_add(FILE_HEADER_SIZE))
            .ok_or_else(|| format!("chunk {n}: offset out of range"))?;
        // The first KiB first: the header and where the first record starts. All zeros there
        // is an empty chunk (a third of the chunks of real files), not read further; a chunk
        // with records always has the first one at 512, so a zeroed header before records is
        // still told apart (a damaged chunk).
        let (head, rest) = buf.split_at_mut(EMPTY_PROBE);
        let read = read_at(&self.file, head, offset).and_then(|()| {
            if is_all_zero(head) {
                return Ok(false);
            }
            read_at(&self.file, rest, offset + EMPTY_PROBE as u64).map(|()| true)
        });
        match read {
            Ok(true) => {}
            Ok(false) => {
                self.buf = buf;
                return Ok(None);
            }
            Err(e) => {
                self.buf = buf;
                return Err(format!("chunk {n}: incomplete chunk ({e})"));
            }
        }
        let mut chunk =
            evtx::EvtxChunkData::new(buf, false).map_err(|e| format!("chunk {n}: {e}"))?;
        chunk.number = Some(n);
        Ok(Some(chunk))
    }

    /// The next chunk in record order (see [`ChunkReader`]).
    fn next_chunk(&mut self) -> Option<Result<evtx::EvtxChunkData, String>> {
        while !self.done {
            let end = if self.wrapped { self.oldest } else { u64::MAX };
            while self.next < end {
                let n = self.next;
                self.next = n.checked_add(1)?;
                match self.read_chunk(n) {
                    Ok(Some(c)) => return Some(Ok(c)),
                    Ok(None) => continue,
                    // Past the header's count, a chunk that cannot be read is the end.
                    Err(_) if n >= self.count => break,
                    Err(e) => return Some(Err(e)),
                }
            }
            if self.wrapped || self.oldest == 0 {
                self.done = true;
            } else {
                self.wrapped = true;
                self.next = 0;
            }
        }
        None
    }

    /// Gives a chunk's buffer back for the next read.
    fn recycle(&mut self, mut chunk: evtx::EvtxChunkData) {
        self.buf = std::mem::take(&mut chunk.data);
    }
}

#[cfg(feature = "evtx")]
fn is_all_zero(b: &[u8]) -> bool {
    let (words, rest) = b.as_chunks::<16>();
    words.iter().all(|w| u128::from_ne_bytes(*w) == 0) && rest.iter().all(|&x| x == 0)
}

/// Counts a record read and hands its event to the sink.
#[cfg(feature = "evtx")]
fn deliver(
    event: Event,
    id: u64,
    stats: &mut IngestStats,
    last: &mut EvtxStop,
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<(), OsLogError> {
    stats.records_read += 1;
    stats.count_event(event.kind);
    last.last_record_id = last.last_record_id.max(id);
    if let Some(rid) = event.log.as_ref().and_then(|l| l.record_id) {
        last.last_event_record_id = Some(last.last_event_record_id.map_or(rid, |m| m.max(rid)));
    }
    sink(event).map_err(OsLogError::Sink)
}

/// What [`check_fast_path`] found in one file.
#[cfg(feature = "evtx")]
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct FastPathCheck {
    /// Records read.
    pub records: u64,
    /// Records the fast path (no JSON) turned into a [`LogRecord`].
    pub fast: u64,
    /// Records where the fast path's [`LogRecord`] or time differs from the JSON path's (one
    /// line each: record id and both results), then (lines starting with `reader`) where what
    /// [`read_evtx_file`] delivers differs from the crate alone rendering every record.
    pub mismatches: Vec<String>,
}

/// Reads every record of `path` both ways — the fast path without JSON and [`log_record`] on
/// the rendered JSON — and reports where they differ; then the whole file with
/// [`read_evtx_file`] and with the crate alone (for tests).
#[cfg(feature = "evtx")]
#[doc(hidden)]
pub fn check_fast_path(path: &Path) -> Result<FastPathCheck, OsLogError> {
    let err = |e: evtx::err::EvtxError| OsLogError::Evtx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let settings = Arc::new(ParserSettings::new());
    let mut parser = EvtxParser::from_path(path).map_err(err)?;
    let mut out = FastPathCheck::default();
    let mut plans = crate::evtx_fast::ChunkPlans::default();
    for chunk in parser.chunks() {
        let Ok(mut chunk) = chunk else { continue };
        let Ok(mut parsed) = chunk.parse(Arc::clone(&settings)) else {
            continue;
        };
        plans.clear();
        for record in parsed.iter() {
            let Ok(record) = record else { continue };
            out.records += 1;
            let written = jiff_to_chrono(record.timestamp);
            let fast = plans.log_record(&record);
            let id = record.event_record_id;
            let Ok(json) = record.into_json_bytes() else {
                if fast.is_some() {
                    out.mismatches.push(format!(
                        "record {id}: fast path read a record JSON cannot render"
                    ));
                }
                continue;
            };
            let Some((log, ts)) = fast else { continue };
            out.fast += 1;
            let raw = RawEvtxRecord {
                record_id: id,
                written,
                json: json.data,
            };
            let slow = log_record(&raw).ok();
            let fast = (log, ts.unwrap_or(written));
            if slow.as_ref() != Some(&fast) {
                out.mismatches
                    .push(format!("record {id}: fast {fast:?}, JSON {slow:?}"));
            }
        }
    }
    compare_reader(path, &mut out.mismatches)?;
    Ok(out)
}

/// Compares what [`read_evtx_file`] delivers (its own record walk and the fast path, the
/// crate for the rest) with the crate alone rendering every record to JSON: the same events
/// in the same order, and the same counts.
#[cfg(feature = "evtx")]
fn compare_reader(path: &Path, mismatches: &mut Vec<String>) -> Result<(), OsLogError> {
    let opts = IngestOptions::default();
    let (mut got, mut stats) = (Vec::new(), IngestStats::default());
    read_evtx_file(path, 0, &opts, &mut stats, &mut |_| {}, &mut |e| {
        got.push(e);
        Ok(())
    })?;
    let err = |e: evtx::err::EvtxError| OsLogError::Evtx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let settings = Arc::new(ParserSettings::new());
    let mut parser = EvtxParser::from_path(path).map_err(err)?;
    let (mut want, mut malformed) = (Vec::new(), 0u64);
    for chunk in parser.chunks() {
        let Ok(mut chunk) = chunk else {
            malformed += 1;
            continue;
        };
        let h = &chunk.header;
        if h.first_event_record_id <= h.last_event_record_id && h.last_event_record_id == 0 {
            continue;
        }
        let Ok(mut parsed) = chunk.parse(Arc::clone(&settings)) else {
            malformed += 1;
            continue;
        };
        for record in parsed.iter() {
            let Ok(record) = record else {
                malformed += 1;
                continue;
            };
            let (record_id, written) = (record.event_record_id, jiff_to_chrono(record.timestamp));
            let Ok(json) = record.into_json_bytes() else {
                malformed += 1;
                continue;
            };
            let raw = RawEvtxRecord {
                record_id,
                written,
                json: json.data,
            };
            match crate::windows::normalize(&raw, &opts) {
                Ok(e) => want.push(e),
                Err(_) => malformed += 1,
            }
        }
    }
    if got.len() != want.len() || stats.malformed != malformed {
        mismatches.push(format!(
            "reader: {} events, {} malformed; JSON path: {} events, {malformed} malformed",
            got.len(),
            stats.malformed,
            want.len()
        ));
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if g != w {
            mismatches.push(format!("reader event {i}: {g:?}, JSON path {w:?}"));
        }
    }
    Ok(())
}

#[cfg(feature = "evtx")]
fn jiff_to_chrono(t: evtx::Timestamp) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(t.as_microsecond())
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// A JSON value as a field string: strings as is, numbers and booleans printed, `null` empty,
/// `{"#text": x}` as x, arrays joined by `,`, other objects as compact JSON.
pub fn value_to_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(value_to_string).collect::<Vec<_>>().join(","),
        Value::Object(o) => match o.get("#text") {
            Some(t) => value_to_string(t),
            None => v.to_string(),
        },
    }
}

/// Parses a decimal or `0x`-prefixed hexadecimal number.
pub fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// Inserts under the leaf name (after the last `.`) when free, else under the full path.
fn insert_leaf(fields: &mut BTreeMap<String, String>, path: &str, value: String) {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    let leaf_is_index = leaf.bytes().all(|b| b.is_ascii_digit());
    if !leaf_is_index {
        // One lookup: the entry API needs an owned key, so look up by `&str` first.
        if let Some(slot) = fields.get_mut(leaf) {
            // Taken: the value goes under the full path (unless the path is the leaf).
            if leaf.len() == path.len() {
                *slot = value;
            } else {
                fields.insert(path.to_string(), value);
            }
            return;
        }
        fields.insert(leaf.to_string(), value);
    } else {
        fields.insert(path.to_string(), value);
    }
}

/// Streaming flattener for EventData / UserData: deserializes the JSON directly into the field
/// map (leaf names; dotted paths on collisions; `#attributes` skipped; `#text` stored under its
/// element's name, or `Data` at the top; array items as `name`, `name.1`, …). Avoids building a
/// `serde_json::Value` for the bulk of each record.
struct FlattenSeed<'a> {
    prefix: &'a str,
    fields: &'a mut BTreeMap<String, String>,
}

/// The path a value is stored under: its element's path, or `Data` at the top.
fn leaf_path_of(prefix: &str) -> &str {
    if prefix.is_empty() { "Data" } else { prefix }
}

impl FlattenSeed<'_> {
    fn leaf_path(&self) -> &str {
        if self.prefix.is_empty() {
            "Data"
        } else {
            self.prefix
        }
    }
}

impl<'de> DeserializeSeed<'de> for FlattenSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn number_string(n: serde_json::Number) -> String {
    n.to_string()
}

impl<'de> Visitor<'de> for FlattenSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("EventData / UserData")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let p = leaf_path_of(self.prefix);
        insert_leaf(self.fields, p, v.to_string());
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        let p = leaf_path_of(self.prefix);
        insert_leaf(self.fields, p, v);
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.visit_string(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_string(number_string(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_string(number_string(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match serde_json::Number::from_f64(v) {
            Some(n) => self.visit_string(number_string(n)),
            None => self.visit_string(v.to_string()),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        // `null` inside a map is an empty field; a null EventData has no fields.
        if !self.prefix.is_empty() {
            insert_leaf(self.fields, self.prefix, String::new());
        }
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let base = self.leaf_path().to_string();
        let mut i = 0usize;
        while let Some(item) = seq.next_element::<Text>()? {
            let k = if i == 0 {
                base.clone()
            } else {
                format!("{base}.{i}")
            };
            insert_leaf(self.fields, &k, item.text);
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if k == "#attributes" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            // Top-level names are used as they are (no copy).
            let key: std::borrow::Cow<'_, str> = if k == "#text" {
                std::borrow::Cow::Borrowed(leaf_path_of(self.prefix))
            } else if self.prefix.is_empty() {
                k
            } else {
                std::borrow::Cow::Owned(format!("{}.{k}", self.prefix))
            };
            map.next_value_seed(FlattenSeed {
                prefix: &key,
                fields: self.fields,
            })?;
        }
        Ok(())
    }
}

/// EventData / UserData flattened into a field map.
#[derive(Default)]
struct Flattened(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Flattened {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut fields = BTreeMap::new();
        FlattenSeed {
            prefix: "",
            fields: &mut fields,
        }
        .deserialize(d)?;
        Ok(Flattened(fields))
    }
}

/// A `System` value as [`value_to_string`] prints it, read without building a
/// `serde_json::Value` for the common shapes (strings, numbers); `is_str` when it was a JSON
/// string.
struct Text {
    text: String,
    is_str: bool,
}

impl Text {
    fn other(text: String) -> Text {
        Text {
            text,
            is_str: false,
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a System value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text {
                    text: v.to_string(),
                    is_str: true,
                })
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text {
                    text: v,
                    is_str: true,
                })
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text::other(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text::other(number_string(v.into())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text::other(number_string(v.into())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text::other(
                    serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), number_string),
                ))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text::other(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                self.visit_unit()
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text, A::Error> {
                let v = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Text::other(value_to_string(&v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                let v = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Text::other(value_to_string(&v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A `System` number (`EventID`, `EventRecordID`): a number, a decimal or `0x` string, or the
/// `#text` of an element; anything else is none.
struct Num(Option<u64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a System number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                Ok(Num(parse_number(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Num, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Num, A::Error> {
                // `{"#text": N, "#attributes": …}`: the (last) `#text`, read as a number.
                let mut out = None;
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if k == "#text" {
                        out = map.next_value::<Num>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Num(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `{"#attributes": {KEY: value}}` → the value; any other shape → none.
struct AttrSeed(&'static str, bool);

impl<'de> DeserializeSeed<'de> for AttrSeed {
    type Value = Option<Text>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Text>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AttrSeed {
    type Value = Option<Text>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a System element")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<Text>, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<Text>, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<Text>, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<Text>, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<Text>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Text>, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<Text>, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Text>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Text>, A::Error> {
        let mut out = None;
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let matches = if self.1 {
                // Inside `#attributes`: the wanted key.
                k == self.0
            } else {
                k == "#attributes"
            };
            if !matches {
                map.next_value::<IgnoredAny>()?;
            } else if self.1 {
                out = Some(map.next_value::<Text>()?);
            } else {
                out = map.next_value_seed(AttrSeed(self.0, true))?;
            }
        }
        Ok(out)
    }
}

/// `Provider`'s `Name` attribute.
struct ProviderName(Option<Text>);

impl<'de> Deserialize<'de> for ProviderName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AttrSeed("Name", false).deserialize(d).map(ProviderName)
    }
}

/// `TimeCreated`'s `SystemTime` attribute.
struct SystemTime(Option<Text>);

impl<'de> Deserialize<'de> for SystemTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AttrSeed("SystemTime", false).deserialize(d).map(SystemTime)
    }
}

/// `Execution`'s `ProcessID` attribute (kept for DNS-Client records only, see `log_record`).
struct ExecutionPid(Option<Text>);

impl<'de> Deserialize<'de> for ExecutionPid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AttrSeed("ProcessID", false)
            .deserialize(d)
            .map(ExecutionPid)
    }
}

/// The parts of `System` that are used; everything else is skipped.
#[derive(Deserialize, Default)]
struct SystemJson {
    #[serde(rename = "Provider", default)]
    provider: Option<ProviderName>,
    #[serde(rename = "EventID", default)]
    event_id: Option<Num>,
    #[serde(rename = "TimeCreated", default)]
    time_created: Option<SystemTime>,
    #[serde(rename = "EventRecordID", default)]
    event_record_id: Option<Num>,
    #[serde(rename = "Channel", default)]
    channel: Option<Text>,
    #[serde(rename = "Computer", default)]
    computer: Option<Text>,
    #[serde(rename = "Execution", default)]
    execution: Option<ExecutionPid>,
}

#[derive(Deserialize, Default)]
struct EventJson {
    #[serde(rename = "System", default)]
    system: Option<SystemJson>,
    #[serde(rename = "EventData", default)]
    event_data: Option<Flattened>,
    #[serde(rename = "UserData", default)]
    user_data: Option<Flattened>,
}

#[derive(Deserialize)]
struct RecordJson {
    #[serde(rename = "Event", default)]
    event: Option<EventJson>,
}

/// Builds the [`LogRecord`] of a record from its rendered JSON: channel, provider, event id,
/// record id (`System/EventRecordID`, falling back to the header's), computer and all EventData
/// (and UserData; a UserData name already used by EventData becomes `UserData.NAME`) fields.
/// Returns it with the record's creation time (`TimeCreated`, falling
/// back to the record header time). Fails only when the JSON is not an object.
pub fn log_record(raw: &RawEvtxRecord) -> Result<(LogRecord, DateTime<Utc>), serde_json::Error> {
    let rec: RecordJson = serde_json::from_slice(&raw.json)?;
    let event = rec.event.unwrap_or_default();
    let system = event.system.unwrap_or_default();
    let provider = system
        .provider
        .and_then(|p| p.0)
        .map(|t| t.text)
        .filter(|s| !s.is_empty());
    let event_id = system
        .event_id
        .and_then(|n| n.0)
        .and_then(|n| u32::try_from(n).ok());
    let channel = system.channel.map(|t| t.text).unwrap_or_default();
    let computer = system.computer.map(|t| t.text).filter(|s| !s.is_empty());
    let ts = system
        .time_created
        .and_then(|t| t.0)
        .filter(|t| t.is_str)
        .and_then(|t| DateTime::parse_from_rfc3339(&t.text).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(raw.written);
    let record_id = system
        .event_record_id
        .and_then(|n| n.0)
        .unwrap_or(raw.record_id);
    let mut fields = event.event_data.unwrap_or_default().0;
    for (k, v) in event.user_data.unwrap_or_default().0 {
        if fields.contains_key(&k) {
            fields.insert(format!("UserData.{k}"), v);
        } else {
            fields.insert(k, v);
        }
    }
    // The DNS-Client channel names the querying process only in `System/Execution`.
    if provider
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case(crate::windows::DNS_CLIENT_PROVIDER))
        && let Some(pid) = system.execution.and_then(|e| e.0).map(|t| t.text)
    {
        fields.insert(crate::windows::EXECUTION_PID.into(), pid);
    }
    Ok((
        LogRecord {
            channel,
            provider,
            event_id,
            record_id: Some(record_id),
            computer,
            fields,
        },
        ts,
    ))
}
