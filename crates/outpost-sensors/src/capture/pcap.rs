//! The pcap file format (nanosecond variant) and the rolling capture directory.
//!
//! Files are named `outpost-YYYYMMDDTHHMMSS.ffffffZ.pcap` after the UTC time they were opened,
//! so name order is time order, and they are only ever appended to: a file's modification
//! time is the time of its last packet (the `pcap` job skips files last written before its
//! window). A new file is created under a hidden temporary name (`.outpost-….pcap.tmp`), gets
//! its complete 24-byte header, and only then is renamed to its final name, so a reader never
//! sees a file without a complete header; records are appended whole per write of the
//! buffered writer, and a reader of the open file may at worst see a truncated last record,
//! which the extractor treats as the end of the file.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::{CaptureError, Shared};
use std::sync::atomic::Ordering;

/// Magic number of nanosecond-resolution pcap.
pub const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
/// Length of the global header.
pub const GLOBAL_HEADER_LEN: usize = 24;
/// Length of a record header.
pub const RECORD_HEADER_LEN: usize = 16;

/// The 24-byte global header (native byte order, which the magic number tells readers).
pub fn global_header(linktype: u32, snaplen: u32) -> [u8; GLOBAL_HEADER_LEN] {
    let mut h = [0u8; GLOBAL_HEADER_LEN];
    h[0..4].copy_from_slice(&PCAP_MAGIC_NS.to_ne_bytes());
    h[4..6].copy_from_slice(&2u16.to_ne_bytes());
    h[6..8].copy_from_slice(&4u16.to_ne_bytes());
    // thiszone (8..12) and sigfigs (12..16) stay 0.
    h[16..20].copy_from_slice(&snaplen.to_ne_bytes());
    h[20..24].copy_from_slice(&linktype.to_ne_bytes());
    h
}

/// The 16-byte record header of a packet captured at `ts` (since the Unix epoch) with
/// `caplen` bytes stored of `orig_len` on the wire.
pub fn record_header(ts: Duration, caplen: u32, orig_len: u32) -> [u8; RECORD_HEADER_LEN] {
    let mut h = [0u8; RECORD_HEADER_LEN];
    let secs = u32::try_from(ts.as_secs()).unwrap_or(u32::MAX);
    h[0..4].copy_from_slice(&secs.to_ne_bytes());
    h[4..8].copy_from_slice(&ts.subsec_nanos().to_ne_bytes());
    h[8..12].copy_from_slice(&caplen.to_ne_bytes());
    h[12..16].copy_from_slice(&orig_len.to_ne_bytes());
    h
}

/// Name prefix and suffix of Outpost's capture files (other files in the directory, e.g.
/// tcpdump's, are never rotated away by Outpost).
pub const FILE_PREFIX: &str = "outpost-";
/// See [`FILE_PREFIX`].
pub const FILE_SUFFIX: &str = ".pcap";

/// The file name for a file opened at `t`; `seq` > 0 disambiguates files opened within
/// the same microsecond (`_000001`, which sorts after the name without it).
pub fn file_name(t: SystemTime, seq: u32) -> String {
    let t: chrono::DateTime<chrono::Utc> = t.into();
    let base = t.format("%Y%m%dT%H%M%S%.6fZ").to_string();
    if seq == 0 {
        format!("{FILE_PREFIX}{base}{FILE_SUFFIX}")
    } else {
        format!("{FILE_PREFIX}{base}_{seq:06}{FILE_SUFFIX}")
    }
}

/// A file name without its suffix and sequence number.
fn stem(name: &str) -> &str {
    let s = name.strip_suffix(FILE_SUFFIX).unwrap_or(name);
    s.split('_').next().unwrap_or(s)
}

/// Whether `name` is one of Outpost's (finished or open) capture files.
pub fn is_own_file(name: &str) -> bool {
    name.starts_with(FILE_PREFIX) && name.ends_with(FILE_SUFFIX)
}

/// Limits of the rolling directory, in bytes and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollLimits {
    /// A file is closed before a record would take it past this size (a file holds at
    /// least one record).
    pub file_size: u64,
    /// Outpost's files in the directory are kept at or under this total, oldest deleted first
    /// (the open file is never deleted).
    pub max_total: u64,
    /// A file is closed this long after it was opened (`None`: size only).
    pub rotate_after: Option<Duration>,
}

struct OpenFile {
    path: PathBuf,
    out: BufWriter<File>,
    size: u64,
    packets: u64,
    opened: Instant,
}

/// Writes packets into a rolling directory of pcap files.
pub struct RollingWriter {
    dir: PathBuf,
    linktype: u32,
    snaplen: u32,
    limits: RollLimits,
    current: Option<OpenFile>,
    /// Sizes of the closed own files, oldest first (kept in step with deletions).
    closed: Vec<(PathBuf, u64)>,
    last_name: String,
}

impl RollingWriter {
    /// Prepares `dir` (created if missing); Outpost files already there (from an earlier run)
    /// count towards the total and are the first to go.
    pub fn new(
        dir: &Path,
        linktype: u32,
        snaplen: u32,
        limits: RollLimits,
    ) -> Result<Self, CaptureError> {
        let io = |source| CaptureError::Dir {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut closed = Vec::new();
        for e in std::fs::read_dir(dir).map_err(io)?.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(&format!(".{FILE_PREFIX}")) && name.ends_with(".tmp") {
                // A temporary file left by a crash between create and rename.
                let _ = std::fs::remove_file(e.path());
                continue;
            }
            if is_own_file(name)
                && let Ok(m) = e.metadata()
                && m.is_file()
            {
                closed.push((e.path(), m.len()));
            }
        }
        closed.sort();
        let last_name = closed
            .last()
            .and_then(|(p, _)| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(RollingWriter {
            dir: dir.to_path_buf(),
            linktype,
            snaplen,
            limits,
            current: None,
            closed,
            last_name,
        })
    }

    /// The file being written, if any.
    pub fn current_path(&self) -> Option<&Path> {
        self.current.as_ref().map(|c| c.path.as_path())
    }

    /// Bytes in Outpost's files of the directory (closed and open).
    pub fn total_bytes(&self) -> u64 {
        self.closed.iter().map(|(_, n)| n).sum::<u64>()
            + self.current.as_ref().map_or(0, |c| c.size)
    }

    fn open(&mut self, shared: &Shared) -> Result<(), CaptureError> {
        let now = file_name(SystemTime::now(), 0);
        // Names must grow: after a clock step back a new file continues the last name's
        // sequence rather than sorting before older files.
        let base = if self.last_name > now {
            stem(&self.last_name).to_string()
        } else {
            stem(&now).to_string()
        };
        let mut name = now;
        let mut seq = 0u32;
        while (name <= self.last_name || self.dir.join(&name).exists()) && seq < 999_999 {
            seq += 1;
            name = format!("{base}_{seq:06}{FILE_SUFFIX}");
        }
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let io = |p: &Path| {
            let p = p.display().to_string();
            move |source| CaptureError::File { path: p, source }
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        let res = f
            .write_all(&global_header(self.linktype, self.snaplen))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(&path)(e));
        }
        self.last_name = name;
        self.current = Some(OpenFile {
            path,
            out: BufWriter::with_capacity(1 << 18, f),
            size: GLOBAL_HEADER_LEN as u64,
            packets: 0,
            opened: Instant::now(),
        });
        shared.files_opened.fetch_add(1, Ordering::Relaxed);
        self.enforce_total(shared);
        Ok(())
    }

    /// Closes the open file (flushing it); the next packet opens a new one.
    pub fn rotate(&mut self, shared: &Shared) -> Result<(), CaptureError> {
        if let Some(mut c) = self.current.take() {
            let res = c.out.flush();
            self.closed.push((c.path.clone(), c.size));
            shared.files_rotated.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(file = %c.path.display(), packets = c.packets, bytes = c.size, "capture file closed");
            res.map_err(|source| CaptureError::File {
                path: c.path.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// Deletes the oldest closed files while the total is over the limit.
    fn enforce_total(&mut self, shared: &Shared) {
        while self.total_bytes() > self.limits.max_total && !self.closed.is_empty() {
            let (path, size) = self.closed.remove(0);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    // Counted and logged; the file no longer counts towards our total so we
                    // do not spin on it.
                    shared.delete_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(file = %path.display(), error = %e, "cannot delete an old capture file");
                    continue;
                }
            }
            shared.files_deleted.fetch_add(1, Ordering::Relaxed);
            shared.bytes_deleted.fetch_add(size, Ordering::Relaxed);
            tracing::debug!(file = %path.display(), bytes = size, "old capture file deleted");
        }
    }

    /// Rotates the open file when it has packets and is older than `rotate_after`.
    pub fn tick(&mut self, shared: &Shared) -> Result<(), CaptureError> {
        if let (Some(c), Some(after)) = (&self.current, self.limits.rotate_after)
            && c.packets > 0
            && c.opened.elapsed() >= after
        {
            self.rotate(shared)?;
        }
        Ok(())
    }

    /// Appends one packet (`data` is cut to the snap length), opening or rotating files as
    /// the limits say.
    pub fn write(
        &mut self,
        shared: &Shared,
        ts: Duration,
        orig_len: u32,
        data: &[u8],
    ) -> Result<(), CaptureError> {
        let cap = data.len().min(self.snaplen as usize);
        let data = &data[..cap];
        let rec = (RECORD_HEADER_LEN + cap) as u64;
        self.tick(shared)?;
        if let Some(c) = &self.current
            && c.packets > 0
            && c.size + rec > self.limits.file_size
        {
            self.rotate(shared)?;
        }
        if self.current.is_none() {
            self.open(shared)?;
        }
        let Some(c) = self.current.as_mut() else {
            return Ok(());
        };
        let caplen = u32::try_from(cap).unwrap_or(u32::MAX);
        let res = c
            .out
            .write_all(&record_header(ts, caplen, orig_len.max(caplen)))
            .and_then(|()| c.out.write_all(data));
        if let Err(source) = res {
            // The file may now end in a partial record: close it so no later record follows
            // the damage (readers stop at a truncated record).
            let path = c.path.display().to_string();
            let _ = self.rotate(shared);
            return Err(CaptureError::File { path, source });
        }
        c.size += rec;
        c.packets += 1;
        shared.packets.fetch_add(1, Ordering::Relaxed);
        shared.bytes.fetch_add(cap as u64, Ordering::Relaxed);
        shared
            .wire_bytes
            .fetch_add(u64::from(orig_len), Ordering::Relaxed);
        if self.total_bytes() > self.limits.max_total {
            self.enforce_total(shared);
        }
        Ok(())
    }

    /// Hands buffered records to the kernel, so readers see them.
    pub fn flush(&mut self) -> Result<(), CaptureError> {
        if let Some(c) = self.current.as_mut() {
            c.out.flush().map_err(|source| CaptureError::File {
                path: c.path.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// Flushes and closes the open file.
    pub fn finish(mut self, shared: &Shared) -> Result<(), CaptureError> {
        self.rotate(shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (time, wire length, data) of one record.
    type Record = (Duration, u32, Vec<u8>);

    /// A minimal independent reader of what the writer produces.
    fn parse(bytes: &[u8]) -> (u32, u32, Vec<Record>) {
        let u32_at = |o: usize| u32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap());
        assert_eq!(u32_at(0), PCAP_MAGIC_NS);
        assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), 2);
        assert_eq!(u16::from_ne_bytes([bytes[6], bytes[7]]), 4);
        let (snap, link) = (u32_at(16), u32_at(20));
        let mut out = Vec::new();
        let mut o = GLOBAL_HEADER_LEN;
        while o < bytes.len() {
            let (s, ns, cap, orig) = (u32_at(o), u32_at(o + 4), u32_at(o + 8), u32_at(o + 12));
            assert!(ns < 1_000_000_000);
            assert!(orig >= cap);
            let d = bytes[o + 16..o + 16 + cap as usize].to_vec();
            out.push((Duration::new(u64::from(s), ns), orig, d));
            o += 16 + cap as usize;
        }
        assert_eq!(o, bytes.len(), "no trailing garbage");
        (snap, link, out)
    }

    fn own_files(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn names_sort_by_time_and_are_recognized() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_764_000_000, 123_456_000);
        let n = file_name(t, 0);
        assert_eq!(n, "outpost-20251124T160000.123456Z.pcap");
        assert!(is_own_file(&n));
        assert!(!is_own_file("cap-1.pcap"));
        assert!(!is_own_file(".outpost-x.pcap.tmp"));
        assert!(file_name(t + Duration::from_micros(1), 0) > n);
        assert!(file_name(t, 1) > n);
    }

    #[test]
    fn size_rotation_and_total_bound_delete_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        // A tcpdump file in the same directory is never touched.
        std::fs::write(dir.path().join("cap-1.pcap"), [0u8; 5000]).unwrap();
        let shared = Shared::default();
        let limits = RollLimits {
            file_size: 24 + 3 * (16 + 100),
            max_total: 3 * (24 + 3 * (16 + 100)),
            rotate_after: None,
        };
        let mut w = RollingWriter::new(dir.path(), 1, 65535, limits).unwrap();
        for i in 0..30u32 {
            w.write(
                &shared,
                Duration::from_secs(u64::from(i)),
                100,
                &[i as u8; 100],
            )
            .unwrap();
            assert!(w.total_bytes() <= limits.max_total);
        }
        w.flush().unwrap();
        w.finish(&shared).unwrap();
        let files: Vec<_> = own_files(dir.path())
            .into_iter()
            .filter(|p| is_own_file(p.file_name().unwrap().to_str().unwrap()))
            .collect();
        assert_eq!(files.len(), 3, "{files:?}");
        // The survivors are the newest 9 packets, in order.
        let mut got = Vec::new();
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(bytes.len() as u64 <= limits.file_size);
            got.extend(parse(&bytes).2.into_iter().map(|(t, _, _)| t.as_secs()));
        }
        assert_eq!(got, (21..30).collect::<Vec<_>>());
        assert_eq!(shared.files_opened.load(Ordering::Relaxed), 10);
        assert_eq!(shared.files_rotated.load(Ordering::Relaxed), 10);
        assert_eq!(shared.files_deleted.load(Ordering::Relaxed), 7);
        assert_eq!(
            shared.bytes_deleted.load(Ordering::Relaxed),
            7 * limits.file_size
        );
        assert!(dir.path().join("cap-1.pcap").exists());
        assert_eq!(shared.packets.load(Ordering::Relaxed), 30);
    }

    #[test]
    fn time_rotation_only_closes_files_with_packets() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Shared::default();
        let limits = RollLimits {
            file_size: 1 << 20,
            max_total: 1 << 24,
            rotate_after: Some(Duration::from_millis(50)),
        };
        let mut w = RollingWriter::new(dir.path(), 1, 65535, limits).unwrap();
        w.tick(&shared).unwrap();
        assert!(w.current_path().is_none(), "no empty files");
        w.write(&shared, Duration::from_secs(1), 10, &[1; 10])
            .unwrap();
        let first = w.current_path().unwrap().to_path_buf();
        std::thread::sleep(Duration::from_millis(60));
        w.tick(&shared).unwrap();
        assert!(w.current_path().is_none());
        w.write(&shared, Duration::from_secs(2), 10, &[2; 10])
            .unwrap();
        let second = w.current_path().unwrap().to_path_buf();
        assert!(second > first);
        w.finish(&shared).unwrap();
        assert_eq!(shared.files_rotated.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn leftover_files_count_and_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("outpost-20000101T000000.000000Z.pcap"),
            [0u8; 900],
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".outpost-20000101T000001.000000Z.pcap.tmp"),
            [0u8; 3],
        )
        .unwrap();
        let shared = Shared::default();
        let limits = RollLimits {
            file_size: 1000,
            max_total: 1000,
            rotate_after: None,
        };
        let mut w = RollingWriter::new(dir.path(), 1, 65535, limits).unwrap();
        assert_eq!(w.total_bytes(), 900);
        w.write(&shared, Duration::from_secs(1), 200, &[0; 200])
            .unwrap();
        w.finish(&shared).unwrap();
        let names: Vec<String> = own_files(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].as_str() > "outpost-20000101T000000.000000Z.pcap");
        assert_eq!(shared.files_deleted.load(Ordering::Relaxed), 1);
    }

    proptest! {
        #[test]
        fn written_files_round_trip(
            snaplen in 1u32..300,
            pkts in proptest::collection::vec(
                (0u64..4_000_000_000, 0u32..1_000_000_000, proptest::collection::vec(any::<u8>(), 0..400)),
                0..40,
            ),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let shared = Shared::default();
            let limits = RollLimits { file_size: 2000, max_total: u64::MAX, rotate_after: None };
            let mut w = RollingWriter::new(dir.path(), 113, snaplen, limits).unwrap();
            for (s, ns, d) in &pkts {
                let orig = d.len() as u32 + 7;
                w.write(&shared, Duration::new(*s, *ns), orig, d).unwrap();
            }
            w.finish(&shared).unwrap();
            let mut got = Vec::new();
            for f in own_files(dir.path()) {
                let bytes = std::fs::read(&f).unwrap();
                let (snap, link, recs) = parse(&bytes);
                prop_assert_eq!(snap, snaplen);
                prop_assert_eq!(link, 113);
                // A file only exceeds the size limit when one record alone does.
                prop_assert!(bytes.len() <= 2000 || recs.len() == 1);
                got.extend(recs);
            }
            prop_assert_eq!(got.len(), pkts.len());
            for ((s, ns, d), (t, orig, data)) in pkts.iter().zip(&got) {
                let secs = u32::try_from(*s).unwrap_or(u32::MAX);
                prop_assert_eq!(*t, Duration::new(u64::from(secs), *ns));
                prop_assert_eq!(*orig, d.len() as u32 + 7);
                let cut = d.len().min(snaplen as usize);
                prop_assert_eq!(&data[..], &d[..cut]);
            }
            prop_assert_eq!(shared.packets.load(Ordering::Relaxed), pkts.len() as u64);
        }
    }
}
