//! The local event buffer: append-only hourly JSONL files `buffer/events_YYYYMMDD_HH.jsonl`.
//!
//! Files are named by the UTC hour in which they were written (not by event time), so new
//! lines always go to the newest file and a [`Position`] orders all data. Readers take only
//! complete lines (up to the last `\n`), so a writer may append while a run reads.

use crate::state::Position;
use crate::{AgentError, io_err};
use chrono::{DateTime, NaiveDateTime, Utc};
use outpost_core::Event;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const DIR: &str = crate::DataDir::BUFFER;

/// The buffer file name for the hour containing `t`.
pub fn file_name_for(t: DateTime<Utc>) -> String {
    t.format("events_%Y%m%d_%H.jsonl").to_string()
}

/// The start of the hour a buffer file name stands for.
pub fn hour_of(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix("events_")?.strip_suffix(".jsonl")?;
    NaiveDateTime::parse_from_str(&format!("{stamp}0000"), "%Y%m%d_%H%M%S")
        .ok()
        .map(|n| n.and_utc())
}

/// Buffer files in write order (oldest first).
pub fn list_files(data_dir: &Path) -> Result<Vec<(String, PathBuf)>, AgentError> {
    let dir = crate::DataDir::new(data_dir).buffer();
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&dir)(e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(io_err(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if hour_of(&name).is_some() {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Appends events to the buffer file of the current hour.
///
/// The daemon appends ~1,000 events a second, so the per-event path is kept cheap: the file
/// name is formatted only when the hour changes (the hour number is compared), the line buffer
/// is reused, and lines are written by [`outpost_sensors::EventEncoder`] (the same bytes as
/// serde_json, with the process sections of recent processes serialized once).
pub struct BufferWriter {
    dir: PathBuf,
    current: Option<OpenFile>,
    line: Vec<u8>,
    encoder: outpost_sensors::EventEncoder,
}

struct OpenFile {
    /// Hours since the Unix epoch (UTC) this file stands for.
    hour: i64,
    name: String,
    w: std::io::BufWriter<std::fs::File>,
}

/// Hours since the Unix epoch of `t` (UTC; whole hours, so it names the same file as
/// [`file_name_for`]).
fn epoch_hour(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(3600)
}

impl BufferWriter {
    pub fn open(data_dir: &Path) -> Result<BufferWriter, AgentError> {
        let dir = crate::DataDir::new(data_dir).buffer();
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(BufferWriter {
            dir,
            current: None,
            line: Vec::with_capacity(1024),
            encoder: outpost_sensors::EventEncoder::new(),
        })
    }

    /// Appends one event, written at `now` (which picks the file).
    pub fn append_at(&mut self, event: &Event, now: DateTime<Utc>) -> Result<(), AgentError> {
        self.line.clear();
        self.encoder
            .encode(event, &mut self.line)
            .map_err(|e| AgentError::Invalid {
                path: "event".into(),
                message: e.to_string(),
            })?;
        self.line.push(b'\n');
        self.append_raw_at(now)
    }

    pub fn append(&mut self, event: &Event) -> Result<(), AgentError> {
        self.append_at(event, Utc::now())
    }

    fn append_raw_at(&mut self, now: DateTime<Utc>) -> Result<(), AgentError> {
        let hour = epoch_hour(now);
        if self.current.as_ref().is_none_or(|c| c.hour != hour) {
            self.flush()?;
            self.current = None;
            let name = file_name_for(now);
            let path = self.dir.join(&name);
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io_err(&path))?;
            self.current = Some(OpenFile {
                hour,
                name,
                w: std::io::BufWriter::with_capacity(64 * 1024, f),
            });
        }
        if let Some(c) = self.current.as_mut() {
            let (dir, name) = (&self.dir, &c.name);
            c.w.write_all(&self.line)
                .map_err(|e| io_err(&dir.join(name))(e))?;
        }
        Ok(())
    }

    /// Writes buffered lines to the file.
    pub fn flush(&mut self) -> Result<(), AgentError> {
        if let Some(c) = self.current.as_mut() {
            let (dir, name) = (&self.dir, &c.name);
            c.w.flush().map_err(|e| io_err(&dir.join(name))(e))?;
        }
        Ok(())
    }
}

impl Drop for BufferWriter {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::error!(error = %e, "could not flush the event buffer");
        }
    }
}

/// The unprocessed part of the buffer: for each file from `position` on, the byte range to read.
#[derive(Debug, Clone)]
pub struct Pending {
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub struct Segment {
    pub name: String,
    pub path: PathBuf,
    /// First unprocessed byte.
    pub start: u64,
    /// File length when the run started (the run reads complete lines up to here).
    pub end: u64,
}

impl Segment {
    /// A reader of the segment's unprocessed bytes (`start..end`).
    pub fn reader(&self) -> Result<std::io::BufReader<std::io::Take<std::fs::File>>, AgentError> {
        use std::io::{Seek, SeekFrom};
        let mut f = std::fs::File::open(&self.path).map_err(io_err(&self.path))?;
        f.seek(SeekFrom::Start(self.start))
            .map_err(io_err(&self.path))?;
        Ok(std::io::BufReader::new(f.take(self.end - self.start)))
    }
}

impl Pending {
    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.end - s.start).sum()
    }

    /// The position after all pending data (given the complete-line end of the last segment).
    pub fn is_empty(&self) -> bool {
        self.bytes() == 0
    }
}

/// Finds what has not been processed yet.
pub fn pending(data_dir: &Path, position: Option<&Position>) -> Result<Pending, AgentError> {
    let mut segments = Vec::new();
    for (name, path) in list_files(data_dir)? {
        let len = std::fs::metadata(&path).map_err(io_err(&path))?.len();
        let start = match position {
            Some(p) if name < p.file => continue,
            Some(p) if name == p.file => p.offset.min(len),
            _ => 0,
        };
        segments.push(Segment {
            name,
            path,
            start,
            end: len,
        });
    }
    Ok(Pending { segments })
}

/// Reads the first complete unprocessed line, to learn how old the oldest pending event is.
pub fn first_pending_event(p: &Pending) -> Result<Option<Event>, AgentError> {
    use std::io::BufRead;
    for seg in &p.segments {
        if seg.end <= seg.start {
            continue;
        }
        let mut r = seg.reader()?;
        // Bytes, not `String`: a line that is not UTF-8 (a torn write) is skipped like any
        // other unreadable line instead of failing the run.
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = r.read_until(b'\n', &mut line).map_err(io_err(&seg.path))?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            if let Ok(ev) = serde_json::from_slice::<Event>(&line) {
                return Ok(Some(ev));
            }
        }
    }
    Ok(None)
}

use std::io::Read;

/// What [`repair_torn_tails`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TornReport {
    pub files: u64,
    pub bytes: u64,
}

/// Cuts every buffer file back to its last complete line. A process killed while appending
/// leaves a partial line (possibly ending inside a UTF-8 character) at the end of the file;
/// the next writer of that hour would append after it and glue two records into one
/// unreadable line. Only a process holding the data directory's lock (no writer is active)
/// may call this; the cut bytes were never a complete event, so no reader went past them.
pub fn repair_torn_tails(data_dir: &Path) -> Result<TornReport, AgentError> {
    use std::io::{Seek, SeekFrom};
    let mut report = TornReport::default();
    for (name, path) in list_files(data_dir)? {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let len = f.metadata().map_err(io_err(&path))?.len();
        if len == 0 {
            continue;
        }
        // Find the last newline, reading backwards in chunks.
        let mut end = len;
        let mut keep = 0u64;
        let mut chunk = vec![0u8; 64 * 1024];
        let mut last_byte_checked = false;
        while end > 0 {
            let start = end.saturating_sub(chunk.len() as u64);
            let buf = &mut chunk[..(end - start) as usize];
            f.seek(SeekFrom::Start(start)).map_err(io_err(&path))?;
            f.read_exact(buf).map_err(io_err(&path))?;
            if !last_byte_checked {
                if buf.last() == Some(&b'\n') {
                    keep = len;
                    break;
                }
                last_byte_checked = true;
            }
            if let Some(i) = memchr::memrchr(b'\n', buf) {
                keep = start + i as u64 + 1;
                break;
            }
            end = start;
        }
        if keep == len {
            continue;
        }
        f.set_len(keep).map_err(io_err(&path))?;
        f.sync_all().map_err(io_err(&path))?;
        tracing::warn!(file = %name, bytes = len - keep, "buffer file ended in a torn line (a process killed mid-write): cut back to its last complete line");
        report.files += 1;
        report.bytes += len - keep;
    }
    Ok(report)
}

/// Outcome of [`prune`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PruneReport {
    pub files_deleted: u64,
    /// Events in deleted files that had not been processed.
    pub unprocessed_events_dropped: u64,
}

/// Deletes buffer files by age (pruned by time, not size): processed files whose
/// hour ended more than `retention` ago, and unprocessed ones older than `max_unprocessed`,
/// counting the events the latter held.
pub fn prune(
    data_dir: &Path,
    position: Option<&Position>,
    now: DateTime<Utc>,
    retention: chrono::Duration,
    max_unprocessed: chrono::Duration,
) -> Result<PruneReport, AgentError> {
    let mut report = PruneReport::default();
    for (name, path) in list_files(data_dir)? {
        let Some(hour) = hour_of(&name) else { continue };
        let hour_end = hour + chrono::Duration::hours(1);
        let len = std::fs::metadata(&path).map_err(io_err(&path))?.len();
        let processed_to = match position {
            Some(p) if name < p.file => len,
            Some(p) if name == p.file => p.offset.min(len),
            _ => 0,
        };
        let fully_processed = processed_to >= len;
        let delete = if fully_processed {
            hour_end + retention <= now
        } else {
            hour_end + max_unprocessed <= now
        };
        if !delete {
            continue;
        }
        if !fully_processed {
            let mut f = std::fs::File::open(&path).map_err(io_err(&path))?;
            use std::io::{Seek, SeekFrom};
            f.seek(SeekFrom::Start(processed_to))
                .map_err(io_err(&path))?;
            let mut rest = Vec::new();
            f.read_to_end(&mut rest).map_err(io_err(&path))?;
            let dropped = memchr::memchr_iter(b'\n', &rest).count() as u64;
            tracing::warn!(file = %name, events = dropped, "deleting unprocessed buffer file past the age limit");
            report.unprocessed_events_dropped += dropped;
        }
        std::fs::remove_file(&path).map_err(io_err(&path))?;
        report.files_deleted += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_core::EventKind;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().into()
    }

    #[test]
    fn names_round_trip() {
        let n = file_name_for(t("2026-11-23T17:59:59Z"));
        assert_eq!(n, "events_20261123_17.jsonl");
        assert_eq!(hour_of(&n), Some(t("2026-11-23T17:00:00Z")));
        assert_eq!(hour_of("events_2026_17.jsonl"), None);
        assert_eq!(hour_of("other.txt"), None);
    }

    #[test]
    fn a_torn_tail_splitting_a_utf8_character_is_read_past_then_repaired_and_counted() {
        let d = tempfile::tempdir().unwrap();
        let mut w = BufferWriter::open(d.path()).unwrap();
        let ev = Event::new(t("2026-11-23T10:00:00Z"), EventKind::ProcessExec, "test");
        w.append_at(&ev, t("2026-11-23T10:05:00Z")).unwrap();
        w.flush().unwrap();
        drop(w);
        let (_, path) = list_files(d.path()).unwrap().remove(0);
        let good_len = std::fs::metadata(&path).unwrap().len();
        // A kill mid-write: a line cut inside "é" (0xC3 0xA9), then (after a restart in the
        // same hour) the next complete line appended right after it.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"ts\":\"2026-11-23T10:06:00Z\",\"source\":\"caf\xC3")
            .unwrap();
        drop(f);
        // Readers take it as an incomplete line, not as an error.
        let p = pending(d.path(), None).unwrap();
        assert_eq!(first_pending_event(&p).unwrap(), Some(ev.clone()));
        let r = repair_torn_tails(d.path()).unwrap();
        assert_eq!(
            r,
            TornReport {
                files: 1,
                bytes: 43
            }
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
        // Nothing left to repair; appending again gives only readable lines.
        assert_eq!(repair_torn_tails(d.path()).unwrap(), TornReport::default());
        let mut w = BufferWriter::open(d.path()).unwrap();
        w.append_at(&ev, t("2026-11-23T10:07:00Z")).unwrap();
        w.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        for l in text.lines() {
            serde_json::from_str::<Event>(l).unwrap();
        }
    }

    #[test]
    fn write_pending_and_prune() {
        let d = tempfile::tempdir().unwrap();
        let mut w = BufferWriter::open(d.path()).unwrap();
        let ev = Event::new(t("2026-11-23T10:00:00Z"), EventKind::ProcessExec, "test");
        w.append_at(&ev, t("2026-11-23T10:05:00Z")).unwrap();
        w.append_at(&ev, t("2026-11-23T11:05:00Z")).unwrap();
        w.append_at(&ev, t("2026-11-23T11:06:00Z")).unwrap();
        w.flush().unwrap();
        let p = pending(d.path(), None).unwrap();
        assert_eq!(p.segments.len(), 2);
        assert_eq!(first_pending_event(&p).unwrap(), Some(ev.clone()));
        // Nothing processed: the 10:00 file survives retention but not the unprocessed limit.
        let now = t("2026-11-23T12:30:00Z");
        let r = prune(
            d.path(),
            None,
            now,
            chrono::Duration::minutes(60),
            chrono::Duration::hours(24),
        )
        .unwrap();
        assert_eq!(r, PruneReport::default());
        let r = prune(
            d.path(),
            None,
            now,
            chrono::Duration::minutes(60),
            chrono::Duration::minutes(60),
        )
        .unwrap();
        assert_eq!(
            r,
            PruneReport {
                files_deleted: 1,
                unprocessed_events_dropped: 1
            }
        );
        // Fully processed 11:00 file goes after retention, without counting drops.
        let first = &pending(d.path(), None).unwrap().segments[0];
        let pos = Position {
            file: first.name.clone(),
            offset: first.end,
        };
        let r = prune(
            d.path(),
            Some(&pos),
            t("2026-11-23T13:00:00Z"),
            chrono::Duration::minutes(60),
            chrono::Duration::hours(24),
        )
        .unwrap();
        assert_eq!(
            r,
            PruneReport {
                files_deleted: 1,
                unprocessed_events_dropped: 0
            }
        );
    }
}
