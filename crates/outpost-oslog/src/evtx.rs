//! Windows EVTX files: reading from a remembered record id, and turning records into
//! [`LogRecord`]s (every record) and normalized events (see [`crate::windows`]).

use crate::error::{OsLogError, SinkError};
use crate::ingest::{IngestOptions, IngestStats, Progress};
use chrono::{DateTime, Utc};
use evtx::{EvtxParser, ParserSettings};
use outpost_core::{Event, LogRecord};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Size of an EVTX chunk (the unit the progress callback advances by).
const CHUNK_SIZE: u64 = 65536;
/// Size of the EVTX file header.
const FILE_HEADER_SIZE: u64 = 4096;
/// After this many consecutive record errors in one chunk, the rest of the chunk is skipped.
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
    /// The record rendered as JSON by the `evtx` crate (`{"Event": {"System": …, "EventData": …}}`).
    pub json: Value,
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
pub fn read_evtx_file(
    path: &Path,
    after_record_id: u64,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<EvtxStop, OsLogError> {
    let (last, max_seen) = read_pass(path, after_record_id, opts, stats, progress, sink)?;
    if after_record_id > 0 && max_seen.is_some_and(|m| m < after_record_id) {
        tracing::info!(
            path = %path.display(),
            cursor = after_record_id,
            "EVTX record ids went backwards (log cleared or replaced); reading it again from the start"
        );
        let (last, _) = read_pass(path, 0, opts, stats, progress, sink)?;
        return Ok(last);
    }
    Ok(last)
}

/// One walk over the file. Returns (where it stopped, highest record id named by any chunk
/// header or record).
fn read_pass(
    path: &Path,
    after: u64,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<(EvtxStop, Option<u64>), OsLogError> {
    let total = std::fs::metadata(path)
        .map_err(|e| OsLogError::io(path, e))?
        .len();
    let settings = ParserSettings::new().num_threads(1);
    let mut parser = EvtxParser::from_path(path)
        .map_err(|e| OsLogError::Evtx {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
        .with_configuration(settings.clone());
    let settings = Arc::new(settings);
    stats.files += 1;
    let mut last = EvtxStop {
        last_record_id: after,
        last_event_record_id: None,
    };
    let mut max_seen: Option<u64> = None;
    let mut bytes_done = FILE_HEADER_SIZE;
    for chunk in parser.chunks() {
        bytes_done = (bytes_done + CHUNK_SIZE).min(total);
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
        let mut parsed = match chunk.parse(Arc::clone(&settings)) {
            Ok(p) => p,
            Err(err) => {
                stats.malformed += 1;
                tracing::warn!(path = %path.display(), %err, "skipping EVTX chunk that cannot be parsed");
                continue;
            }
        };
        let mut consecutive_errors = 0u32;
        for record in parsed.iter() {
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
            let json = match record.into_json_bytes() {
                Ok(r) => match serde_json::from_slice::<Value>(&r.data) {
                    Ok(v) => v,
                    Err(err) => {
                        stats.malformed += 1;
                        tracing::warn!(path = %path.display(), record_id = id, %err, "EVTX record rendered to invalid JSON, skipped");
                        continue;
                    }
                },
                Err(err) => {
                    stats.malformed += 1;
                    tracing::warn!(path = %path.display(), record_id = id, %err, "skipping EVTX record that cannot be rendered");
                    continue;
                }
            };
            stats.records_read += 1;
            let raw = RawEvtxRecord {
                record_id: id,
                written,
                json,
            };
            let event = crate::windows::normalize(&raw, opts);
            stats.count_event(event.kind);
            last.last_record_id = last.last_record_id.max(id);
            if let Some(rid) = event.log.as_ref().and_then(|l| l.record_id) {
                last.last_event_record_id =
                    Some(last.last_event_record_id.map_or(rid, |m| m.max(rid)));
            }
            sink(event).map_err(OsLogError::Sink)?;
        }
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

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => parse_number(s),
        Value::Object(o) => o.get("#text").and_then(as_u64),
        _ => None,
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

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get("#attributes").and_then(|a| a.get(name))
}

/// Flattens EventData / UserData into `fields` (leaf names; dotted paths on collisions;
/// unnamed `Data` items as `Data`, `Data.1`, …).
fn flatten_into(prefix: &str, v: &Value, fields: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                if k == "#attributes" {
                    continue;
                }
                let key = if k == "#text" {
                    if prefix.is_empty() {
                        "Data".to_string()
                    } else {
                        prefix.to_string()
                    }
                } else if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match child {
                    Value::Object(inner) if !inner.contains_key("#text") => {
                        flatten_into(&key, child, fields)
                    }
                    Value::Array(items) => {
                        for (i, it) in items.iter().enumerate() {
                            let k = if i == 0 {
                                key.clone()
                            } else {
                                format!("{key}.{i}")
                            };
                            insert_leaf(fields, &k, value_to_string(it));
                        }
                    }
                    _ => insert_leaf(fields, &key, value_to_string(child)),
                }
            }
        }
        Value::Null => {}
        other => insert_leaf(
            fields,
            if prefix.is_empty() { "Data" } else { prefix },
            value_to_string(other),
        ),
    }
}

/// Inserts under the leaf name (after the last `.`) when free, else under the full path.
fn insert_leaf(fields: &mut BTreeMap<String, String>, path: &str, value: String) {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    let leaf_is_index = leaf.bytes().all(|b| b.is_ascii_digit());
    if !leaf_is_index && !fields.contains_key(leaf) {
        fields.insert(leaf.to_string(), value);
    } else {
        fields.insert(path.to_string(), value);
    }
}

/// Builds the [`LogRecord`] of a record: channel, provider, event id, record id
/// (`System/EventRecordID`, falling back to the header's), computer and all
/// EventData (or UserData) fields. Returns it with the record's creation time (`TimeCreated`,
/// falling back to the record header time).
pub fn log_record(raw: &RawEvtxRecord) -> (LogRecord, DateTime<Utc>) {
    let event = raw.json.get("Event").unwrap_or(&raw.json);
    let system = event.get("System").unwrap_or(&Value::Null);
    let provider = system
        .get("Provider")
        .and_then(|p| attr(p, "Name"))
        .map(value_to_string)
        .filter(|s| !s.is_empty());
    let event_id = system
        .get("EventID")
        .and_then(as_u64)
        .and_then(|n| u32::try_from(n).ok());
    let channel = system
        .get("Channel")
        .map(value_to_string)
        .unwrap_or_default();
    let computer = system
        .get("Computer")
        .map(value_to_string)
        .filter(|s| !s.is_empty());
    let ts = system
        .get("TimeCreated")
        .and_then(|t| attr(t, "SystemTime"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(raw.written);
    let record_id = system
        .get("EventRecordID")
        .and_then(as_u64)
        .unwrap_or(raw.record_id);
    let mut fields = BTreeMap::new();
    if let Some(d) = event.get("EventData") {
        flatten_into("", d, &mut fields);
    }
    if let Some(d) = event.get("UserData") {
        flatten_into("", d, &mut fields);
    }
    (
        LogRecord {
            channel,
            provider,
            event_id,
            record_id: Some(record_id),
            computer,
            fields,
        },
        ts,
    )
}
