//! The on-disk spool of hit batches, and their upload (through [`crate::api::Client`]).
//!
//! A batch is written to `spool/` before the run's read position advances and is deleted only
//! after the server acknowledged it (stored, or recognised as a duplicate). A crash or an
//! unreachable server therefore never loses a hit, and a retry resends the same batch id, which
//! the server stores once. A batch the server refuses as a whole (413: too large; any other
//! 4xx but auth and throttling: one invalid hit) is split in halves, written to the spool
//! under derived ids (`{batch_id}.a`, `{batch_id}.b`, the same after a crash) before the
//! original is removed, and sent again, so one process's hit never costs another's. A single
//! hit refused as too large is sent again with half its sample events (counted); only a
//! single hit the server still refuses moves to `spool/rejected/` and is counted, not deleted.

pub use crate::api::{Client, UploadError};
use crate::state::write_json_atomic;
use crate::{AgentError, io_err};
use outpost_core::HitPayload;
use outpost_core::api::HitsAccepted;
use std::path::{Path, PathBuf};

/// Batches [`Spool::flush`] sends at the same time.
pub const PARALLEL_UPLOADS: usize = 4;

/// What happened to one spooled batch in [`Spool::flush`].
enum Sent {
    Unreadable(String),
    Answer(Result<HitsAccepted, UploadError>),
}

/// The commit record of [`Spool::put_committed`].
const COMMIT: &str = "commit.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct Commit {
    parts: Vec<String>,
    state: crate::state::State,
}

/// What [`Spool::recover`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Batches of a committed pass made sendable after the crash.
    pub committed_batches: u64,
    /// Whether `state.json` was behind the commit record (and replaced by it).
    pub state_restored: bool,
    /// Batch parts of a pass that crashed before its commit point (the pass is redone).
    pub uncommitted_removed: u64,
    /// Temporary files of interrupted atomic writes.
    pub temp_removed: u64,
}

/// The spool directory of unacknowledged batches.
pub struct Spool {
    dir: PathBuf,
}

/// What [`Spool::flush`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FlushReport {
    pub batches_sent: u64,
    pub hits_stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Batches refused as a whole and split (see the module documentation).
    pub split: u64,
    /// Sample events left out of a single hit the server refused as too large.
    pub samples_dropped: u64,
    /// Batches still waiting (server unreachable or credentials refused).
    pub pending: u64,
    pub last_error: Option<String>,
}

impl Spool {
    pub fn open(data_dir: &Path) -> Result<Spool, AgentError> {
        let dir = crate::DataDir::new(data_dir).spool();
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(Spool { dir })
    }

    /// Durably stores a batch for upload.
    pub fn put(&self, payload: &HitPayload) -> Result<PathBuf, AgentError> {
        let name = format!(
            "{}_{}.json",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
            payload.batch_id
        );
        let path = self.dir.join(name);
        write_json_atomic(&path, payload)?;
        Ok(path)
    }

    /// Spools the batches of one correlation pass together with the state that pass leads
    /// to, as one unit: either all of them are in the spool and `state.json` says the pass
    /// is done, or (a crash before the commit point) none is and the pass is done again.
    ///
    /// 1. The batches are written as `*.json.part` (durable, not sent).
    /// 2. `spool/commit.json` (the new state) is written atomically: the commit point.
    /// 3. The parts are renamed to `*.json`, then `state.json` is saved, then the commit
    ///    record is removed.
    ///
    /// [`Spool::recover`] finishes step 3 after a crash, or removes uncommitted parts. Without
    /// this, a crash between the batches and `state.json` made the next pass spool the same
    /// hits again under new batch ids (stored twice).
    pub fn put_committed(
        &self,
        payloads: &[HitPayload],
        data_dir: &Path,
        state: &crate::state::State,
    ) -> Result<Vec<PathBuf>, AgentError> {
        let parts = self.put_all_as(payloads, ".json.part")?;
        let commit = Commit {
            parts: parts
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect(),
            state: state.clone(),
        };
        let path = self.dir.join(COMMIT);
        write_json_atomic(&path, &commit)?;
        let done = self.finish_commit(&commit)?;
        state.save(data_dir)?;
        std::fs::remove_file(&path).map_err(io_err(&path))?;
        Ok(done)
    }

    fn finish_commit(&self, c: &Commit) -> Result<Vec<PathBuf>, AgentError> {
        let mut done = Vec::with_capacity(c.parts.len());
        for name in &c.parts {
            let part = self.dir.join(name);
            let Some(json) = name.strip_suffix(".part") else {
                continue;
            };
            let target = self.dir.join(json);
            match std::fs::rename(&part, &target) {
                Ok(()) => {}
                // Renamed before the crash.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&part)(e)),
            }
            done.push(target);
        }
        crate::state::sync_dir(&self.dir)?;
        Ok(done)
    }

    /// Completes or undoes what a crash interrupted (see [`Spool::put_committed`]): a commit
    /// record present means its parts become batches and its state is the state (unless
    /// `state.json` is already further); parts without a record, and temporary files, are
    /// removed. Answers what it found, for the log and the counters. Run before a pass, by
    /// the process holding the data directory's lock.
    pub fn recover(
        &self,
        data_dir: &Path,
        state: &mut crate::state::State,
    ) -> Result<Recovered, AgentError> {
        let mut r = Recovered::default();
        let path = self.dir.join(COMMIT);
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Commit>(&bytes) {
                Ok(c) => {
                    r.committed_batches = self.finish_commit(&c)?.len() as u64;
                    if c.state.position > state.position {
                        *state = c.state;
                        state.save(data_dir)?;
                        r.state_restored = true;
                    }
                    std::fs::remove_file(&path).map_err(io_err(&path))?;
                }
                Err(e) => {
                    // Written atomically, so only foreign damage gets here: its parts are
                    // dropped below and the pass is done again.
                    tracing::error!(path = %path.display(), error = %e, "unreadable spool commit record removed");
                    std::fs::remove_file(&path).map_err(io_err(&path))?;
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path)(e)),
        }
        for entry in std::fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let p = entry.map_err(io_err(&self.dir))?.path();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name else { continue };
            if name.ends_with(".part") {
                r.uncommitted_removed += 1;
            } else if name.ends_with(".tmp") {
                r.temp_removed += 1;
            } else {
                continue;
            }
            std::fs::remove_file(&p).map_err(io_err(&p))?;
        }
        if r != Recovered::default() {
            tracing::warn!(?r, "spool recovered after an interrupted run");
        }
        Ok(r)
    }

    /// Durably stores several batches, serialized and written (each with its own fsync) in
    /// parallel; their file names keep the given order. Returns once all are durable.
    pub fn put_all(&self, payloads: &[HitPayload]) -> Result<Vec<PathBuf>, AgentError> {
        self.put_all_as(payloads, ".json")
    }

    fn put_all_as(&self, payloads: &[HitPayload], ext: &str) -> Result<Vec<PathBuf>, AgentError> {
        let now = chrono::Utc::now();
        let named: Vec<(PathBuf, &HitPayload)> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let t = now + chrono::Duration::microseconds(i as i64);
                let name = format!("{}_{}{ext}", t.format("%Y%m%dT%H%M%S%.6f"), p.batch_id);
                (self.dir.join(name), p)
            })
            .collect();
        let write = |(path, payload): &(PathBuf, &HitPayload)| -> Result<PathBuf, AgentError> {
            write_json_atomic(path, payload)?;
            Ok(path.clone())
        };
        if named.len() <= 1 {
            return named.iter().map(write).collect();
        }
        std::thread::scope(|sc| {
            let handles: Vec<_> = named.iter().map(|n| sc.spawn(move || write(n))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }

    /// Spooled batch files, oldest first.
    pub fn files(&self) -> Result<Vec<PathBuf>, AgentError> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(io_err(&self.dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            // The commit record of an interrupted pass is not a batch.
            .filter(|p| p.file_name().is_none_or(|n| n != COMMIT))
            .collect();
        v.sort();
        Ok(v)
    }

    /// Drops the oldest batches while the spool is larger than `max_bytes`; returns how many.
    pub fn enforce_cap(&self, max_bytes: u64) -> Result<u64, AgentError> {
        let files = self.files()?;
        let mut sizes: Vec<(PathBuf, u64)> = files
            .into_iter()
            .map(|p| {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                (p, len)
            })
            .collect();
        let mut total: u64 = sizes.iter().map(|(_, l)| l).sum();
        let mut dropped = 0;
        for (p, len) in sizes.drain(..) {
            if total <= max_bytes {
                break;
            }
            tracing::error!(file = %p.display(), "spool full: dropping the oldest unsent hit batch");
            std::fs::remove_file(&p).map_err(io_err(&p))?;
            total -= len;
            dropped += 1;
        }
        Ok(dropped)
    }

    /// Sends every spooled batch, oldest first, up to [`PARALLEL_UPLOADS`] at a time (each
    /// batch is its own request and its own transaction on the server, so their order does not
    /// matter). Stops after the first round with a transient or auth failure (the rest waits
    /// for the next run). Batches split on the way are sent in the same flush.
    pub fn flush(&self, client: &Client, token: &str) -> Result<FlushReport, AgentError> {
        let mut r = FlushReport::default();
        // Each pass sends what the spool holds; a split leaves new (smaller) files for the
        // next pass. Halving ends: at most ~log2(hits) + log2(samples) passes.
        for _ in 0..64 {
            let split_before = r.split;
            let stopped = self.flush_pass(client, token, &mut r)?;
            if stopped || r.split == split_before {
                break;
            }
        }
        Ok(r)
    }

    /// One pass over the spool; answers whether it stopped at a transient failure.
    fn flush_pass(
        &self,
        client: &Client,
        token: &str,
        r: &mut FlushReport,
    ) -> Result<bool, AgentError> {
        let files = self.files()?;
        let total = files.len() as u64;
        let mut done = 0u64;
        for round in files.chunks(PARALLEL_UPLOADS) {
            let send = |path: &PathBuf| -> Result<Sent, AgentError> {
                let bytes = std::fs::read(path).map_err(io_err(path))?;
                // A syntax check only (no allocation); the server validates the content and
                // rejects a batch that is JSON but not a valid payload.
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                    return Ok(Sent::Unreadable(e.to_string()));
                }
                Ok(Sent::Answer(client.upload_hits_json(token, &bytes)))
            };
            let results: Vec<Result<Sent, AgentError>> = if round.len() == 1 {
                round.iter().map(send).collect()
            } else {
                std::thread::scope(|sc| {
                    let handles: Vec<_> = round
                        .iter()
                        .map(|path| sc.spawn(move || send(path)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                        .collect()
                })
            };
            let mut failed = 0u64;
            for (path, res) in round.iter().zip(results) {
                match res? {
                    Sent::Unreadable(e) => {
                        tracing::error!(file = %path.display(), error = %e, "unreadable spooled batch moved aside");
                        self.move_rejected(path)?;
                        r.rejected += 1;
                        done += 1;
                    }
                    Sent::Answer(Ok(acc)) => {
                        r.batches_sent += 1;
                        r.hits_stored += acc.stored;
                        if acc.duplicate {
                            r.duplicates += 1;
                        }
                        std::fs::remove_file(path).map_err(io_err(path))?;
                        done += 1;
                    }
                    Sent::Answer(Err(UploadError::Rejected {
                        status,
                        code,
                        message,
                    })) => {
                        let e = format!("server rejected the batch ({status} {code}): {message}");
                        match self.split(path, status == 413)? {
                            Some(dropped) => {
                                tracing::warn!(file = %path.display(), error = %e, "server refused a hit batch as a whole; split to be sent again in parts");
                                r.split += 1;
                                r.samples_dropped += dropped;
                            }
                            None => {
                                tracing::error!(file = %path.display(), error = %e, "server rejected a hit batch; kept in spool/rejected");
                                self.move_rejected(path)?;
                                r.rejected += 1;
                                r.last_error = Some(e);
                            }
                        }
                        done += 1;
                    }
                    Sent::Answer(Err(e)) => {
                        failed += 1;
                        r.last_error = Some(e.to_string());
                    }
                }
            }
            if failed > 0 {
                r.pending = total - done;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Replaces a refused batch by smaller ones: its two halves, or (a single hit refused as
    /// too large) the hit with half its sample events. The parts are durable before the
    /// original goes, and their ids derive from the original's, so a crash in between only
    /// makes the next flush split (and the server deduplicate) the same parts again. `None`:
    /// nothing smaller to try. `Some(n)`: split, dropping `n` sample events.
    fn split(&self, path: &Path, too_large: bool) -> Result<Option<u64>, AgentError> {
        let bytes = std::fs::read(path).map_err(io_err(path))?;
        let Ok(mut p) = serde_json::from_slice::<HitPayload>(&bytes) else {
            return Ok(None);
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut parts = Vec::new();
        let mut dropped = 0u64;
        if p.hits.len() >= 2 {
            let second = p.hits.split_off(p.hits.len() / 2);
            let mut b = p.clone();
            b.hits = second;
            for (suffix, mut part) in [("a", p), ("b", b)] {
                part.batch_id = format!("{}.{suffix}", part.batch_id);
                parts.push((format!("{stem}.{suffix}.json"), part));
            }
        } else if too_large
            && let Some(h) = p.hits.first_mut()
            && !h.sample_events.is_empty()
        {
            let keep = h.sample_events.len() / 2;
            dropped = (h.sample_events.len() - keep) as u64;
            h.sample_events.truncate(keep);
            p.batch_id = format!("{}.s", p.batch_id);
            parts.push((format!("{stem}.s.json"), p));
        } else {
            return Ok(None);
        }
        if parts.iter().any(|(_, p)| p.batch_id.len() > 128) {
            return Ok(None);
        }
        for (name, part) in &parts {
            write_json_atomic(&self.dir.join(name), part)?;
        }
        std::fs::remove_file(path).map_err(io_err(path))?;
        crate::state::sync_dir(&self.dir)?;
        Ok(Some(dropped))
    }

    fn move_rejected(&self, path: &Path) -> Result<(), AgentError> {
        let dir = self.dir.join("rejected");
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let target = dir.join(path.file_name().unwrap_or_default());
        std::fs::rename(path, &target).map_err(io_err(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Position, State};

    fn payload(id: &str) -> HitPayload {
        HitPayload {
            batch_id: id.into(),
            tenant_id: "t".into(),
            device_id: "d".into(),
            hostname: "h".into(),
            agent_version: "v".into(),
            hotlist_version: "v".into(),
            hits: Vec::new(),
        }
    }

    #[test]
    fn a_crash_after_the_commit_point_keeps_the_batches_and_the_position_before_it_neither() {
        let d = tempfile::tempdir().unwrap();
        let spool = Spool::open(d.path()).unwrap();
        let state = State {
            position: Some(Position {
                file: "events_20261201_10.jsonl".into(),
                offset: 100,
            }),
            ..Default::default()
        };
        state.save(d.path()).unwrap();
        let old = state.clone();

        // Crash after the commit record, before the renames and `state.json`: simulated by
        // staging the parts and writing the record by hand.
        let mut next = state.clone();
        next.position.as_mut().unwrap().offset = 900;
        next.counters.events_scanned = 7;
        let parts = spool
            .put_all_as(&[payload("a"), payload("b")], ".json.part")
            .unwrap();
        let commit = Commit {
            parts: parts
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect(),
            state: next.clone(),
        };
        write_json_atomic(&spool.dir.join(COMMIT), &commit).unwrap();
        // One part already renamed when the crash came.
        let first = parts[0].to_string_lossy().replace(".part", "");
        std::fs::rename(&parts[0], &first).unwrap();
        let listed: Vec<_> = std::fs::read_dir(&spool.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(spool.files().unwrap().len(), 1, "{listed:?} {first}");
        let mut loaded = State::load(d.path()).unwrap();
        assert_eq!(loaded, old);
        let r = spool.recover(d.path(), &mut loaded).unwrap();
        assert_eq!(r.committed_batches, 2);
        assert!(r.state_restored);
        assert_eq!(loaded, next);
        assert_eq!(State::load(d.path()).unwrap(), next);
        assert_eq!(spool.files().unwrap().len(), 2);
        assert!(!spool.dir.join(COMMIT).exists());

        // Crash before the commit point: the parts go, the state stays, the pass is redone.
        spool.put_all_as(&[payload("c")], ".json.part").unwrap();
        std::fs::write(spool.dir.join("x.tmp"), b"half").unwrap();
        let r = spool.recover(d.path(), &mut loaded).unwrap();
        assert_eq!(
            r,
            Recovered {
                uncommitted_removed: 1,
                temp_removed: 1,
                ..Default::default()
            }
        );
        assert_eq!(spool.files().unwrap().len(), 2);
        assert_eq!(State::load(d.path()).unwrap(), next);

        // The normal path leaves no record behind.
        next.position.as_mut().unwrap().offset = 1000;
        spool
            .put_committed(&[payload("e")], d.path(), &next)
            .unwrap();
        assert_eq!(spool.files().unwrap().len(), 3);
        assert_eq!(State::load(d.path()).unwrap(), next);
        assert_eq!(
            spool.recover(d.path(), &mut next).unwrap(),
            Recovered::default()
        );
    }
}
