//! A bounded, segmented, append-only on-disk queue with an acknowledged-position ledger.
//!
//! Layout of a queue directory:
//!
//! * `{first_seq:020}.seg` — segment files. Each record is `len: u32 LE`, `crc: u32 LE`
//!   (CRC-32 of the next 8 bytes and the payload), `appended_at_ms: u64 LE`, `payload`.
//!   A record's sequence number is the segment's first sequence number plus its index.
//! * `ledger` — the acknowledged position (`acked`: every record with a smaller sequence number
//!   was delivered), 8 bytes LE plus a CRC-32, replaced atomically (write + rename).
//!
//! On open, every segment is scanned; a torn or corrupt tail (a crash in the middle of a write)
//! is truncated away and counted as lost. Reading starts at `acked`, so records that were read
//! but not acknowledged before a restart are delivered again (at-least-once).
//!
//! The size cap is enforced when appending: whole segments are dropped, oldest first, and their
//! unacknowledged records are counted in [`DiskQueue::dropped`].

use crate::error::OutputError;
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

const HEADER: usize = 16;
/// Largest accepted record payload (64 MiB).
pub const MAX_RECORD: usize = 64 * 1024 * 1024;

/// Size limits of a queue.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    /// Cap of all segment files together.
    pub max_bytes: u64,
    /// Target size of one segment (lowered to a quarter of `max_bytes` if larger).
    pub segment_bytes: u64,
    /// `fsync` after each append.
    pub fsync: bool,
}

impl From<&crate::config::QueueConfig> for QueueLimits {
    fn from(c: &crate::config::QueueConfig) -> Self {
        QueueLimits {
            max_bytes: c.max_bytes,
            segment_bytes: c.segment_bytes,
            fsync: c.fsync,
        }
    }
}

/// A record read from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRecord {
    /// Sequence number; acknowledge `seq + 1` to mark it delivered.
    pub seq: u64,
    /// Wall-clock time it was appended (milliseconds since the Unix epoch).
    pub appended_at_ms: u64,
    /// The payload.
    pub payload: Vec<u8>,
}

#[derive(Debug)]
struct Segment {
    first_seq: u64,
    count: u64,
    bytes: u64,
    path: PathBuf,
}

impl Segment {
    fn end(&self) -> u64 {
        self.first_seq + self.count
    }
}

struct Cursor {
    seg_first: u64,
    next_seq: u64,
    reader: BufReader<File>,
}

struct Inner {
    dir: PathBuf,
    limits: QueueLimits,
    segments: VecDeque<Segment>,
    writer: Option<File>,
    next_seq: u64,
    acked: u64,
    read_seq: u64,
    cursor: Option<Cursor>,
    total_bytes: u64,
    dropped: u64,
}

/// The queue. All methods take `&self`; it is shared between the publisher and one reader.
pub struct DiskQueue {
    inner: Mutex<Inner>,
}

fn seg_name(first_seq: u64) -> String {
    format!("{first_seq:020}.seg")
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

fn record_crc(ts: &[u8; 8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(ts);
    h.update(payload);
    h.finalize()
}

/// Reads one record. `Ok(None)` = clean end of file or a torn/corrupt record.
fn read_record(r: &mut impl Read) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    let mut head = [0u8; HEADER];
    match r.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&head[8..16]);
    if len > MAX_RECORD {
        return Ok(None);
    }
    let mut payload = vec![0u8; len];
    match r.read_exact(&mut payload) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    if record_crc(&ts, &payload) != crc {
        return Ok(None);
    }
    Ok(Some((u64::from_le_bytes(ts), payload)))
}

impl DiskQueue {
    /// Opens (or creates) the queue in `dir`, recovering from a crash.
    pub fn open(dir: &Path, limits: QueueLimits) -> Result<DiskQueue, OutputError> {
        let mut limits = limits;
        limits.max_bytes = limits.max_bytes.max(64 * 1024);
        limits.segment_bytes = limits.segment_bytes.clamp(4096, limits.max_bytes / 4);
        fs::create_dir_all(dir).map_err(|e| OutputError::io(dir, e))?;
        let _ = fs::remove_file(dir.join("ledger.tmp"));
        let mut firsts = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| OutputError::io(dir, e))? {
            let entry = entry.map_err(|e| OutputError::io(dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(stem) = name.strip_suffix(".seg")
                && let Ok(n) = stem.parse::<u64>()
            {
                firsts.push(n);
            }
        }
        firsts.sort_unstable();
        let ledger = read_ledger(dir)?;
        let mut segments = VecDeque::new();
        let mut lost = 0u64;
        let mut prev_end = 0u64;
        for first in firsts {
            let path = dir.join(seg_name(first));
            if first < prev_end {
                // Overlapping segment: cannot happen unless files were tampered with.
                tracing::warn!(path = %path.display(), "overlapping queue segment removed");
                fs::remove_file(&path).map_err(|e| OutputError::io(&path, e))?;
                continue;
            }
            let (count, good_len, file_len) = scan_segment(&path)?;
            if good_len < file_len {
                tracing::warn!(
                    path = %path.display(),
                    truncated_bytes = file_len - good_len,
                    "queue segment had a torn or corrupt tail; truncated"
                );
                lost += 1;
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| OutputError::io(&path, e))?;
                f.set_len(good_len).map_err(|e| OutputError::io(&path, e))?;
            }
            prev_end = first + count;
            segments.push_back(Segment {
                first_seq: first,
                count,
                bytes: good_len,
                path,
            });
        }
        let first_seq = segments.front().map(|s| s.first_seq).unwrap_or(0);
        let next_seq = segments
            .back()
            .map(|s| s.end())
            .unwrap_or(0)
            .max(ledger.unwrap_or(0));
        let acked = ledger.unwrap_or(first_seq).max(first_seq).min(next_seq);
        let mut inner = Inner {
            dir: dir.to_path_buf(),
            limits,
            segments,
            writer: None,
            next_seq,
            acked,
            read_seq: acked,
            cursor: None,
            total_bytes: 0,
            dropped: lost,
        };
        inner.total_bytes = inner.segments.iter().map(|s| s.bytes).sum();
        inner.delete_acked_segments()?;
        if let Some(last) = inner.segments.back()
            && last.bytes < inner.limits.segment_bytes
        {
            let f = OpenOptions::new()
                .append(true)
                .open(&last.path)
                .map_err(|e| OutputError::io(&last.path, e))?;
            inner.writer = Some(f);
        }
        inner.write_ledger()?;
        Ok(DiskQueue {
            inner: Mutex::new(inner),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the state consistent enough to continue:
        // every mutation is ordered so that files are written before counters change.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends one record; returns how many old records were dropped to respect the cap.
    pub fn append(&self, payload: &[u8]) -> Result<u64, OutputError> {
        self.lock().append(payload)
    }

    /// Reads up to `max` records (and at most about `max_bytes` of payload, but at least one)
    /// after the last one handed out. Does not acknowledge them.
    pub fn read_batch(
        &self,
        max: usize,
        max_bytes: usize,
    ) -> Result<Vec<QueuedRecord>, OutputError> {
        self.lock().read_batch(max, max_bytes)
    }

    /// Marks every record with `seq < up_to` as delivered and deletes fully delivered segments.
    pub fn ack(&self, up_to: u64) -> Result<(), OutputError> {
        self.lock().ack(up_to)
    }

    /// Makes the next [`read_batch`](Self::read_batch) start again at the first unacknowledged
    /// record.
    pub fn rewind(&self) {
        let mut g = self.lock();
        g.read_seq = g.acked;
        g.cursor = None;
    }

    /// Records appended but not yet acknowledged.
    pub fn depth(&self) -> u64 {
        let g = self.lock();
        g.next_seq - g.acked
    }

    /// Bytes used by segment files.
    pub fn bytes(&self) -> u64 {
        self.lock().total_bytes
    }

    /// Records dropped because of the size cap or lost to corruption since open.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// The acknowledged position.
    pub fn acked(&self) -> u64 {
        self.lock().acked
    }
}

fn read_ledger(dir: &Path) -> Result<Option<u64>, OutputError> {
    let path = dir.join("ledger");
    let mut buf = Vec::new();
    match File::open(&path) {
        Ok(mut f) => {
            f.read_to_end(&mut buf)
                .map_err(|e| OutputError::io(&path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(OutputError::io(&path, e)),
    }
    if buf.len() != 12 {
        tracing::warn!(path = %path.display(), "queue ledger has a bad size; ignoring it");
        return Ok(None);
    }
    let mut v = [0u8; 8];
    v.copy_from_slice(&buf[..8]);
    let crc = u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]);
    if crc32fast::hash(&v) != crc {
        tracing::warn!(path = %path.display(), "queue ledger checksum mismatch; ignoring it");
        return Ok(None);
    }
    Ok(Some(u64::from_le_bytes(v)))
}

/// Returns (valid records, valid length, file length).
fn scan_segment(path: &Path) -> Result<(u64, u64, u64), OutputError> {
    let f = File::open(path).map_err(|e| OutputError::io(path, e))?;
    let file_len = f.metadata().map_err(|e| OutputError::io(path, e))?.len();
    let mut r = BufReader::new(f);
    let mut count = 0u64;
    let mut good = 0u64;
    while let Some((_, payload)) = read_record(&mut r).map_err(|e| OutputError::io(path, e))? {
        count += 1;
        good += (HEADER + payload.len()) as u64;
    }
    Ok((count, good, file_len))
}

impl Inner {
    fn write_ledger(&self) -> Result<(), OutputError> {
        let tmp = self.dir.join("ledger.tmp");
        let path = self.dir.join("ledger");
        let v = self.acked.to_le_bytes();
        let mut buf = Vec::with_capacity(12);
        buf.extend_from_slice(&v);
        buf.extend_from_slice(&crc32fast::hash(&v).to_le_bytes());
        let mut f = File::create(&tmp).map_err(|e| OutputError::io(&tmp, e))?;
        f.write_all(&buf).map_err(|e| OutputError::io(&tmp, e))?;
        if self.limits.fsync {
            f.sync_data().map_err(|e| OutputError::io(&tmp, e))?;
        }
        fs::rename(&tmp, &path).map_err(|e| OutputError::io(&path, e))
    }

    fn delete_acked_segments(&mut self) -> Result<(), OutputError> {
        // Keep the last segment (the write target) even when fully acknowledged, unless it is
        // empty of unread data and full, in which case the next append starts a new one.
        while self.segments.len() > 1 {
            let Some(front) = self.segments.front() else {
                break;
            };
            if front.end() > self.acked {
                break;
            }
            self.remove_front()?;
        }
        Ok(())
    }

    fn remove_front(&mut self) -> Result<(), OutputError> {
        if let Some(seg) = self.segments.pop_front() {
            if self
                .cursor
                .as_ref()
                .is_some_and(|c| c.seg_first == seg.first_seq)
            {
                self.cursor = None;
            }
            self.total_bytes -= seg.bytes;
            match fs::remove_file(&seg.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(OutputError::io(&seg.path, e)),
            }
            if self.segments.is_empty() {
                self.writer = None;
            }
        }
        Ok(())
    }

    fn append(&mut self, payload: &[u8]) -> Result<u64, OutputError> {
        let rec_len = (HEADER + payload.len()) as u64;
        if payload.len() > MAX_RECORD || rec_len > self.limits.max_bytes / 2 {
            self.dropped += 1;
            return Ok(1);
        }
        let mut dropped = 0u64;
        // Start a new segment when the current one is full.
        let need_new = match self.segments.back() {
            None => true,
            Some(last) => last.bytes >= self.limits.segment_bytes || self.writer.is_none(),
        };
        if need_new {
            let path = self.dir.join(seg_name(self.next_seq));
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| OutputError::io(&path, e))?;
            self.writer = Some(f);
            self.segments.push_back(Segment {
                first_seq: self.next_seq,
                count: 0,
                bytes: 0,
                path,
            });
            self.delete_acked_segments()?;
        }
        // Enforce the cap by dropping whole old segments (never the write target).
        while self.total_bytes + rec_len > self.limits.max_bytes && self.segments.len() > 1 {
            let Some(front) = self.segments.front() else {
                break;
            };
            let end = front.end();
            let lost = end.saturating_sub(self.acked.max(front.first_seq));
            dropped += lost;
            self.acked = self.acked.max(end);
            self.read_seq = self.read_seq.max(end);
            self.remove_front()?;
            self.write_ledger()?;
        }
        let ts = now_ms().to_le_bytes();
        let mut buf = Vec::with_capacity(rec_len as usize);
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&record_crc(&ts, payload).to_le_bytes());
        buf.extend_from_slice(&ts);
        buf.extend_from_slice(payload);
        let Some(last) = self.segments.back_mut() else {
            return Err(OutputError::Manager("queue has no write segment".into()));
        };
        let Some(w) = self.writer.as_mut() else {
            return Err(OutputError::Manager("queue has no writer".into()));
        };
        if let Err(e) = w.write_all(&buf) {
            // Roll back a partial write so the segment stays well-formed.
            let _ = w.set_len(last.bytes);
            return Err(OutputError::io(&last.path, e));
        }
        if self.limits.fsync {
            w.sync_data().map_err(|e| OutputError::io(&last.path, e))?;
        }
        last.count += 1;
        last.bytes += rec_len;
        self.total_bytes += rec_len;
        self.next_seq += 1;
        self.dropped += dropped;
        Ok(dropped)
    }

    fn read_batch(
        &mut self,
        max: usize,
        max_bytes: usize,
    ) -> Result<Vec<QueuedRecord>, OutputError> {
        let mut out = Vec::new();
        let mut bytes = 0usize;
        if self.read_seq < self.acked {
            self.read_seq = self.acked;
            self.cursor = None;
        }
        while out.len() < max
            && self.read_seq < self.next_seq
            && (out.is_empty() || bytes < max_bytes)
        {
            let seq = self.read_seq;
            // Find the segment holding `seq` (or the first one after a gap).
            let Some(seg) = self.segments.iter().find(|s| s.end() > seq) else {
                break;
            };
            let (seg_first, seg_path, seg_end) = (seg.first_seq, seg.path.clone(), seg.end());
            if seq < seg_first {
                self.read_seq = seg_first;
                self.cursor = None;
                continue;
            }
            let reuse = self
                .cursor
                .as_ref()
                .is_some_and(|c| c.seg_first == seg_first && c.next_seq == seq);
            if !reuse {
                let f = File::open(&seg_path).map_err(|e| OutputError::io(&seg_path, e))?;
                let mut reader = BufReader::with_capacity(256 * 1024, f);
                reader
                    .seek(SeekFrom::Start(0))
                    .map_err(|e| OutputError::io(&seg_path, e))?;
                let mut at = seg_first;
                while at < seq {
                    if read_record(&mut reader)
                        .map_err(|e| OutputError::io(&seg_path, e))?
                        .is_none()
                    {
                        break;
                    }
                    at += 1;
                }
                self.cursor = Some(Cursor {
                    seg_first,
                    next_seq: at,
                    reader,
                });
            }
            let Some(cursor) = self.cursor.as_mut() else {
                break;
            };
            match read_record(&mut cursor.reader).map_err(|e| OutputError::io(&seg_path, e))? {
                Some((ts, payload)) => {
                    bytes += payload.len();
                    out.push(QueuedRecord {
                        seq,
                        appended_at_ms: ts,
                        payload,
                    });
                    cursor.next_seq += 1;
                    self.read_seq += 1;
                }
                None => {
                    // Unexpected end (file modified behind our back): skip the segment.
                    tracing::warn!(path = %seg_path.display(), seq, "queue segment ended early; skipping rest");
                    self.read_seq = seg_end;
                    self.cursor = None;
                }
            }
        }
        Ok(out)
    }

    fn ack(&mut self, up_to: u64) -> Result<(), OutputError> {
        let up_to = up_to.min(self.next_seq);
        if up_to <= self.acked {
            return Ok(());
        }
        self.acked = up_to;
        if self.read_seq < self.acked {
            self.read_seq = self.acked;
            self.cursor = None;
        }
        self.write_ledger()?;
        self.delete_acked_segments()
    }
}
