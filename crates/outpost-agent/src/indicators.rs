//! The agent's matching of indicators other than addresses, around the correlator's scan
//! (see [`crate::correlate`]): hashing the executables of exec events that carry no hash and
//! matching their digests, and remembering the answers of listed domains across runs so a
//! later connection to such an address is attributed to the domain.

use crate::config::MatchConfig;
use crate::correlate::{Answers, Group, MAX_ANSWERS, Subject, Unhashed};
use crate::enrich::{Budget, HashCache, Skipped, Want};
use crate::state::write_atomic;
use crate::{AgentError, io_err};
use chrono::{DateTime, Utc};
use outpost_intel::{IndicatorKind, IntelSet};
use std::path::{Path, PathBuf};

/// `cache/dns-answers.json`: answers of listed domains still inside their memory.
pub fn answers_path(data_dir: &Path) -> PathBuf {
    data_dir.join("cache").join("dns-answers.json")
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
        by_age.sort_by(|a, b| b.1.seen.cmp(&a.1.seen));
        by_age.truncate(MAX_ANSWERS);
        known = by_age.into_iter().collect();
    }
    let path = answers_path(data_dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let bytes = serde_json::to_vec(&known).map_err(|e| AgentError::Invalid {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_atomic(&path, &bytes, false)
}

/// The digests beyond SHA-256 that `set`'s hash indicators need.
pub fn want_of(set: &IntelSet) -> Want {
    let mut w = Want::default();
    for (k, _) in set.counts() {
        match k {
            IndicatorKind::Sha1 => w.sha1 = true,
            IndicatorKind::Md5 => w.md5 = true,
            _ => {}
        }
    }
    w
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
    set: &IntelSet,
    cache: &mut HashCache,
    cfg: &MatchConfig,
    now: DateTime<Utc>,
) -> (Vec<Group>, HashStats) {
    let want = want_of(set);
    let mut budget = Budget::new(
        cfg.max_hash_bytes_per_sec,
        std::time::Duration::from_secs(cfg.max_hash_secs_per_pass),
    );
    let mut stats = HashStats::default();
    let mut groups = Vec::new();
    for u in unhashed {
        let computed = cache.computed;
        let d = match cache.digests(Path::new(&u.exe), want, cfg.max_hash_file_bytes, &mut budget)
        {
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
            .find_map(|h| set.lookup_hash_at(h, now));
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
