//! Enrichment of hits: resolve the executable path and hash it — only for hits, through a
//! cache keyed by path, size, mtime and inode so an unchanged binary is hashed once — and the
//! hashing of executables for hash indicators ([`HashCache::digests`]): SHA-256, plus SHA-1
//! and MD5 only when the intel holds indicators of those kinds, under a byte rate
//! ([`Budget`]) and a file size cap.

use crate::state::write_json_atomic;
use crate::{AgentError, io_err};
use outpost_jobs::fsopen::{Links, OpenError, open_regular};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Identity of a file's content as far as the cache is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub size: u64,
    /// Nanoseconds since the Unix epoch (fits i64 until 2262).
    pub mtime_ns: i64,
    pub inode: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    stamp: FileStamp,
    sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
}

impl Entry {
    /// Its digests, when it describes a file with `stamp` and holds every digest wanted.
    fn digests_for(&self, stamp: &FileStamp, want: Want) -> Option<Digests> {
        (self.stamp == *stamp
            && (!want.sha1 || self.sha1.is_some())
            && (!want.md5 || self.md5.is_some()))
        .then(|| Digests {
            sha256: self.sha256.clone(),
            sha1: self.sha1.clone(),
            md5: self.md5.clone(),
        })
    }
}

/// Digests besides SHA-256 that a caller needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    pub sha1: bool,
    pub md5: bool,
}

/// An executable's digests (hex).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    pub sha256: String,
    pub sha1: Option<String>,
    pub md5: Option<String>,
}

/// Why a file was not hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// Gone, no permission, or not a regular file.
    Unreadable,
    /// Larger than the configured cap.
    TooLarge,
    /// Hashing it would pass the pass's time budget at the configured byte rate.
    Budget,
}

/// A byte rate for hashing: reading is paced so that on average at most `bytes_per_sec` are
/// hashed, and a pass stops taking files once it would run longer than `max`.
#[derive(Debug)]
pub struct Budget {
    bytes_per_sec: u64,
    max: std::time::Duration,
    started: std::time::Instant,
    spent: u64,
    /// Never wait: take at most one second's bytes in all.
    no_wait: bool,
}

impl Budget {
    /// `bytes_per_sec` 0 = no limit.
    pub fn new(bytes_per_sec: u64, max: std::time::Duration) -> Budget {
        Budget {
            bytes_per_sec,
            max,
            started: std::time::Instant::now(),
            spent: 0,
            no_wait: false,
        }
    }

    /// One second's bytes at `bytes_per_sec`, taken without waiting (0 = no limit).
    pub fn one_second(bytes_per_sec: u64) -> Budget {
        Budget {
            no_wait: true,
            ..Budget::new(bytes_per_sec, std::time::Duration::from_secs(1))
        }
    }

    /// Takes `n` bytes: waits until reading them keeps the rate, or returns false (nothing
    /// taken) when that would be past the time budget.
    fn take(&mut self, n: u64) -> bool {
        if self.bytes_per_sec == 0 {
            return true;
        }
        let due =
            std::time::Duration::from_secs_f64((self.spent + n) as f64 / self.bytes_per_sec as f64);
        if due > self.max {
            return false;
        }
        if self.no_wait {
            self.spent += n;
            return true;
        }
        let elapsed = self.started.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
        self.spent += n;
        true
    }
}

/// `cache/hashcache.json`.
#[derive(Debug, Default)]
pub struct HashCache {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
    dirty: bool,
    /// Hashes computed (cache misses) in this process.
    pub computed: u64,
    pub hits: u64,
}

/// Files larger than this are not hashed (a hit still uploads, without a hash).
pub const MAX_HASH_BYTES: u64 = 512 * 1024 * 1024;

impl HashCache {
    pub fn load(data_dir: &Path) -> Result<HashCache, AgentError> {
        let path = crate::DataDir::new(data_dir).hash_cache();
        let entries = match std::fs::read(&path) {
            Ok(b) => match serde_json::from_slice(&b) {
                Ok(e) => e,
                Err(e) => {
                    // A cache is disposable: start over rather than fail the run.
                    tracing::warn!(path = %path.display(), error = %e, "hash cache unreadable; starting empty");
                    BTreeMap::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io_err(&path)(e)),
        };
        Ok(HashCache {
            path,
            entries,
            dirty: false,
            computed: 0,
            hits: 0,
        })
    }

    pub fn save(&mut self) -> Result<(), AgentError> {
        if !self.dirty {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        write_json_atomic(&self.path, &self.entries)?;
        self.dirty = false;
        Ok(())
    }

    /// SHA-256 (hex) of the file at `path`, from the cache when its stamp is unchanged.
    /// `None` when the file cannot be read (gone, no permission, not a regular file, too big).
    ///
    /// The file is opened first (without blocking, see [`outpost_jobs::fsopen`]) and its
    /// type, size and stamp are taken from the opened descriptor, so a path swapped for a FIFO
    /// or a device between a check and the read can neither block the run nor be read.
    pub fn sha256(&mut self, path: &Path) -> Option<String> {
        let mut unlimited = Budget::new(0, std::time::Duration::ZERO);
        self.digests(path, Want::default(), MAX_HASH_BYTES, &mut unlimited)
            .ok()
            .map(|d| d.sha256)
    }

    /// Every wanted digest of `path` from the cache, when its entry's stamp is `meta`'s (the
    /// caller's stat of the path): no open, no read.
    pub fn cached(&mut self, path: &Path, meta: &std::fs::Metadata, want: Want) -> Option<Digests> {
        let d = self
            .entries
            .get(path.to_string_lossy().as_ref())?
            .digests_for(&stamp(meta), want);
        if d.is_some() {
            self.hits += 1;
        }
        d
    }

    /// Number of files the cache knows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it knows none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The digests of the executable at `path` for hash indicators: from the cache when its
    /// stamp is unchanged and it holds every digest wanted, else read once (all digests in
    /// one pass) if it is at most `max_file` bytes and `budget` allows.
    pub fn digests(
        &mut self,
        path: &Path,
        want: Want,
        max_file: u64,
        budget: &mut Budget,
    ) -> Result<Digests, Skipped> {
        let opened = open_regular(path, Links::Follow).map_err(|_| Skipped::Unreadable)?;
        let size = opened.meta.len();
        if size > max_file {
            return Err(Skipped::TooLarge);
        }
        let stamp = stamp(&opened.meta);
        let key = path.to_string_lossy().into_owned();
        if let Some(d) = self
            .entries
            .get(&key)
            .and_then(|e| e.digests_for(&stamp, want))
        {
            self.hits += 1;
            return Ok(d);
        }
        if !budget.take(size) {
            return Err(Skipped::Budget);
        }
        let d = digest_reader(opened.file, want).map_err(|_| Skipped::Unreadable)?;
        self.computed += 1;
        self.entries.insert(
            key,
            Entry {
                stamp,
                sha256: d.sha256.clone(),
                sha1: d.sha1.clone(),
                md5: d.md5.clone(),
            },
        );
        self.dirty = true;
        Ok(d)
    }
}

/// Every wanted digest of a file, in one read.
fn digest_reader(mut f: std::fs::File, want: Want) -> std::io::Result<Digests> {
    use sha1::Sha1;
    let mut h256 = Sha256::new();
    let mut h1 = want.sha1.then(Sha1::new);
    let mut h5 = want.md5.then(md5::Md5::new);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h256.update(&buf[..n]);
        if let Some(h) = h1.as_mut() {
            h.update(&buf[..n]);
        }
        if let Some(h) = h5.as_mut() {
            h.update(&buf[..n]);
        }
    }
    Ok(Digests {
        sha256: hex::encode(h256.finalize()),
        sha1: h1.map(|h| hex::encode(h.finalize())),
        md5: h5.map(|h| hex::encode(h.finalize())),
    })
}

pub(crate) fn stamp(meta: &std::fs::Metadata) -> FileStamp {
    FileStamp {
        size: meta.len(),
        mtime_ns: outpost_platform::mtime_ns(meta),
        inode: outpost_platform::file_identity(meta),
    }
}

/// SHA-256 of a regular file, streamed; anything else (FIFO, device, directory) is an error
/// returned at once, never a blocking open.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let opened = open_regular(path, Links::Follow).map_err(|e| match e {
        OpenError::Io { source, .. } => source,
        other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
    })?;
    hash_reader(opened.file)
}

fn hash_reader(f: std::fs::File) -> std::io::Result<String> {
    digest_reader(f, Want::default()).map(|d| d.sha256)
}

/// Best-effort executable path for a hit that has none: the live process's executable (see
/// `outpost_platform::live_exe`), used only when the process still has the name the event
/// recorded (pids are reused).
pub fn resolve_exe(pid: Option<u32>, process_name: &str) -> Option<String> {
    outpost_platform::live_exe(pid, process_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_hashes_once_and_notices_changes() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("bin");
        std::fs::write(&f, b"abc").unwrap();
        let mut c = HashCache::load(d.path()).unwrap();
        let h = c.sha256(&f).unwrap();
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(c.sha256(&f).unwrap(), h);
        assert_eq!((c.computed, c.hits), (1, 1));
        c.save().unwrap();
        let mut c2 = HashCache::load(d.path()).unwrap();
        assert_eq!(c2.sha256(&f).unwrap(), h);
        assert_eq!(c2.computed, 0, "persisted cache is used");
        std::fs::write(&f, b"abcd").unwrap();
        assert_ne!(c2.sha256(&f).unwrap(), h, "changed size invalidates");
        assert_eq!(c2.sha256(&d.path().join("missing")), None);
    }

    /// The hit enrichment hashed a path it had checked with `stat` by opening it
    /// again — a FIFO put there in between blocked the run forever. A FIFO is now refused
    /// on the opened descriptor, at once, by both entry points.
    #[cfg(unix)]
    #[test]
    fn a_fifo_never_blocks_the_enrichment() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        let st = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(st.success(), "mkfifo");
        let (tx, rx) = std::sync::mpsc::channel();
        let (f1, dd) = (fifo.clone(), d.path().to_path_buf());
        std::thread::spawn(move || {
            let direct = hash_file(&f1).map_err(|e| e.kind());
            let mut cache = HashCache::load(&dd).unwrap();
            let cached = cache.sha256(&f1);
            let _ = tx.send((direct, cached));
        });
        let (direct, cached) = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("hashing a FIFO blocked");
        assert_eq!(direct, Err(std::io::ErrorKind::InvalidInput));
        assert_eq!(cached, None);
    }

    #[test]
    fn resolves_own_exe_only_with_matching_name() {
        let me = std::process::id();
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            resolve_exe(Some(me), &name).as_deref(),
            Some(exe.to_str().unwrap())
        );
        assert_eq!(resolve_exe(Some(me), "definitely-not-this"), None);
    }
}
