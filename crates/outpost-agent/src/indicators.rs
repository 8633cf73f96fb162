//! The agent's matching of indicators other than addresses, around the correlator's scan
//! (see [`crate::correlate`]): hashing the executables of exec events that carry no hash and
//! matching their digests, and remembering the answers of listed domains across runs so a
//! later connection to such an address is attributed to the domain.

use crate::DataDir;
use crate::config::MatchConfig;
use crate::correlate::{Answers, Group, MAX_ANSWERS, Subject, Unhashed};
use crate::enrich::{Budget, HashCache, Skipped, Want};
use crate::state::write_json_atomic;
use crate::{AgentError, io_err};
use chrono::{DateTime, Utc};
use outpost_intel::{IndicatorKind, IndicatorLookup};
use std::path::{Path, PathBuf};

/// `cache/dns-answers.json`: answers of listed domains still inside their memory.
pub fn answers_path(data_dir: &Path) -> PathBuf {
    DataDir::new(data_dir).dns_answers()
}

/// The remembered answers that are still valid at `now` (a damaged file is a warning and an
/// empty memory: it is a cache).
pub fn load_answers(data_dir: &Path, now: DateTime<Utc>) -> Result<Answers, AgentError> {
    let path = answers_path(data_dir);
    let mut a: Answers = match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "remembered DNS answers unreadable; starting empty");
            Answers::new()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Answers::new(),
        Err(e) => return Err(io_err(&path)(e)),
    };
    a.retain(|_, v| v.until >= now);
    Ok(a)
}

/// Remembers `new` besides `known` (the newer answer of an address wins), drops what expired
/// by `now` and keeps the newest [`MAX_ANSWERS`].
pub fn save_answers(
    data_dir: &Path,
    mut known: Answers,
    new: Answers,
    now: DateTime<Utc>,
) -> Result<(), AgentError> {
    if known.is_empty() && new.is_empty() && !answers_path(data_dir).exists() {
        return Ok(());
    }
    for (ip, a) in new {
        match known.get(&ip) {
            Some(old) if old.seen >= a.seen => {}
            _ => {
                known.insert(ip, a);
            }
        }
    }
    known.retain(|_, v| v.until >= now);
    if known.len() > MAX_ANSWERS {
        let mut by_age: Vec<_> = known.into_iter().collect();
        by_age.sort_by_key(|a| std::cmp::Reverse(a.1.seen));
        by_age.truncate(MAX_ANSWERS);
        known = by_age.into_iter().collect();
    }
    let path = answers_path(data_dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    write_json_atomic(&path, &known)
}

/// The digests beyond SHA-256 that `set`'s hash indicators need.
pub fn want_of(set: &dyn IndicatorLookup) -> Want {
    want_of_kinds(&set.kind_counts())
}

fn want_of_kinds(kinds: &[(IndicatorKind, usize)]) -> Want {
    let mut w = Want::default();
    for &(k, _) in kinds {
        match k {
            IndicatorKind::Sha1 => w.sha1 = true,
            IndicatorKind::Md5 => w.md5 = true,
            _ => {}
        }
    }
    w
}

/// The digests `set`'s hash indicators need, or `None` when it holds no hash indicator.
pub fn hash_kinds(set: &dyn IndicatorLookup) -> Option<Want> {
    let kinds = set.kind_counts();
    kinds
        .iter()
        .any(|(k, _)| {
            matches!(
                k,
                IndicatorKind::Sha256 | IndicatorKind::Sha1 | IndicatorKind::Md5
            )
        })
        .then(|| want_of_kinds(&kinds))
}

/// Hashes the executables of exec events as the daemon receives them, while the intel holds
/// hash indicators: an executable is hashed the first time it runs, before a
/// short-lived binary can be deleted, and the digests travel in the event. Paced by a byte
/// budget per second (`[match] max_hash_bytes_per_sec`): an exec arriving once the second's
/// budget is spent is left for the correlation pass, which hashes what events lack (counted
/// as `hash_deferred`). Files over `max_hash_file_bytes` are counted and skipped.
pub struct ExecHasher {
    cache: HashCache,
    want: Option<Want>,
    max_file: u64,
    per_sec: u64,
    window: std::time::Instant,
    spent: u64,
    pub counters: ExecHashCounters,
}

/// What [`ExecHasher`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExecHashCounters {
    /// Executables read and hashed (cache misses), and exec events given digests from the
    /// cache.
    pub hashed: u64,
    pub cached: u64,
    /// Left for the correlation pass because the second's byte budget was spent.
    pub deferred: u64,
    /// Larger than `max_hash_file_bytes`.
    pub skipped_large: u64,
    /// Gone or unreadable by the time the event arrived.
    pub unreadable: u64,
}

impl ExecHasher {
    /// A hasher with an in-memory cache (the correlation pass keeps its own on disk).
    pub fn new(cfg: &MatchConfig) -> ExecHasher {
        ExecHasher {
            cache: HashCache::default(),
            want: None,
            max_file: cfg.max_hash_file_bytes,
            per_sec: cfg.max_hash_bytes_per_sec,
            window: std::time::Instant::now(),
            spent: 0,
            counters: ExecHashCounters::default(),
        }
    }

    /// Which digests to compute (`None`: the intel holds no hash indicator; hash nothing).
    pub fn set_want(&mut self, want: Option<Want>) {
        self.want = want;
    }

    /// Fills the event's executable digests when it is an exec event without them.
    pub fn hash(&mut self, ev: &mut outpost_core::Event) {
        let Some(want) = self.want else { return };
        if !matches!(
            ev.kind,
            outpost_core::EventKind::ProcessExec | outpost_core::EventKind::ProcessInventory
        ) {
            return;
        }
        let Some(p) = ev.process.as_mut() else { return };
        if p.hashes.sha256.is_some() {
            return;
        }
        let Some(exe) = p.exe.as_deref().filter(|e| Path::new(e).is_absolute()) else {
            return;
        };
        if self.window.elapsed() >= std::time::Duration::from_secs(1) {
            self.window = std::time::Instant::now();
            self.spent = 0;
        }
        // An executable seen before and unchanged (one stat): its digests from the cache, no
        // open. The stat's size also decides the budget, so a spent budget costs no open.
        let meta = std::fs::metadata(exe).ok();
        if let Some(d) = meta
            .as_ref()
            .and_then(|m| self.cache.cached(Path::new(exe), m, want))
        {
            self.counters.cached += 1;
            fill(p, d);
            return;
        }
        let size = meta.map(|m| m.len()).unwrap_or(0);
        let computed = self.cache.computed;
        if self.per_sec > 0 && self.spent + size > self.per_sec {
            self.counters.deferred += 1;
            return;
        }
        // The cache lives as long as the daemon: a build storm of new binaries cannot grow it
        // without bound (a full cache starts over; only re-hashing costs).
        if self.cache.len() >= MAX_EXEC_CACHE {
            self.cache = HashCache::default();
        }
        let mut unlimited = Budget::new(0, std::time::Duration::ZERO);
        let pid = p.pid;
        let mut r = self
            .cache
            .digests(Path::new(exe), want, self.max_file, &mut unlimited);
        // Deleted or replaced already (a dropper removing itself): while the process lives,
        // its executable may still be readable through the system (see the platform crate).
        if r == Err(Skipped::Unreadable)
            && let Some(live) = outpost_platform::live_exe_file(pid)
        {
            r = self
                .cache
                .digests(&live, want, self.max_file, &mut unlimited);
        }
        match r {
            Ok(d) => {
                if self.cache.computed > computed {
                    self.spent += size;
                    self.counters.hashed += 1;
                } else {
                    self.counters.cached += 1;
                }
                fill(p, d);
            }
            Err(Skipped::TooLarge) => self.counters.skipped_large += 1,
            Err(Skipped::Unreadable) => self.counters.unreadable += 1,
            Err(Skipped::Budget) => self.counters.deferred += 1,
        }
    }
}

/// Executables the daemon's exec hasher remembers at most.
pub const MAX_EXEC_CACHE: usize = 16_384;

/// Puts `d` into the event's process record (a source's own SHA-1/MD5 kept where `d` has none).
fn fill(p: &mut std::sync::Arc<outpost_core::ProcessInfo>, d: crate::enrich::Digests) {
    let p = std::sync::Arc::make_mut(p);
    p.hashes.sha256 = Some(d.sha256);
    p.hashes.sha1 = d.sha1.or(p.hashes.sha1.take());
    p.hashes.md5 = d.md5.or(p.hashes.md5.take());
}

/// What hashing for hash indicators did in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashStats {
    /// Executables hashed (cache misses) or found in the cache.
    pub hashed: u64,
    pub cached: u64,
    /// Executables not hashed: larger than `max_hash_file_bytes`, past the pass's time
    /// budget, or unreadable (gone, no permission).
    pub skipped_large: u64,
    pub skipped_budget: u64,
    pub unreadable: u64,
}

/// Hashes the executables of `unhashed` (through the cache, under the byte rate and size cap
/// of `cfg`) and returns the groups of those whose digest is an indicator of `set`.
pub fn match_unhashed(
    unhashed: Vec<Unhashed>,
    set: &dyn IndicatorLookup,
    cache: &mut HashCache,
    cfg: &MatchConfig,
    now: DateTime<Utc>,
    wait: bool,
) -> (Vec<Group>, HashStats) {
    let want = want_of(set);
    let mut budget = if wait {
        Budget::new(
            cfg.max_hash_bytes_per_sec,
            std::time::Duration::from_secs(cfg.max_hash_secs_per_pass),
        )
    } else {
        Budget::one_second(cfg.max_hash_bytes_per_sec)
    };
    let mut stats = HashStats::default();
    let mut groups = Vec::new();
    for u in unhashed {
        let computed = cache.computed;
        let d = match cache.digests(
            Path::new(&u.exe),
            want,
            cfg.max_hash_file_bytes,
            &mut budget,
        ) {
            Ok(d) => d,
            Err(Skipped::TooLarge) => {
                stats.skipped_large += 1;
                continue;
            }
            Err(Skipped::Budget) => {
                stats.skipped_budget += 1;
                continue;
            }
            Err(Skipped::Unreadable) => {
                stats.unreadable += 1;
                continue;
            }
        };
        if cache.computed > computed {
            stats.hashed += 1;
        } else {
            stats.cached += 1;
        }
        let listed = [Some(&d.sha256), d.sha1.as_ref(), d.md5.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|h| set.hash_at(h, now));
        if let Some(ind) = listed {
            let subject = Subject::Indicator {
                kind: ind.value.kind(),
                value: ind.value.to_string(),
            };
            let mut m = ind.to_intel_match();
            m.source = m.source.filter(|s| !s.is_empty());
            groups.push(Group::from_unhashed(u, subject, m, d.sha256));
        }
    }
    (groups, stats)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A dropper that deletes itself after it started is still hashed while it runs: the
    /// hasher reads the deleted executable through `/proc/PID/exe`.
    #[test]
    fn a_deleted_running_executable_is_hashed_through_the_live_process() {
        let d = tempfile::tempdir().unwrap();
        let bin = d.path().join("self-deleting");
        std::fs::copy("/bin/sleep", &bin).unwrap();
        let want_sha = crate::enrich::hash_file(&bin).unwrap();
        let mut child = std::process::Command::new(&bin).arg("2").spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        std::fs::remove_file(&bin).unwrap();
        let mut h = ExecHasher::new(&MatchConfig::default());
        h.set_want(Some(Want::default()));
        let mut ev = outpost_core::Event::new(
            chrono::Utc::now(),
            outpost_core::EventKind::ProcessExec,
            "test",
        );
        ev.process = Some(std::sync::Arc::new(outpost_core::ProcessInfo {
            pid: child.id(),
            exe: Some(bin.display().to_string()),
            ..Default::default()
        }));
        h.hash(&mut ev);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(h.counters.unreadable, 0, "{:?}", h.counters);
        assert_eq!(
            ev.process.unwrap().hashes.sha256.as_deref(),
            Some(want_sha.as_str())
        );
    }
}
