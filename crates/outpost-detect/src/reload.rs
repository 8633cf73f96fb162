//! Hot reload of a rule directory.
//!
//! [`RuleHandle`] holds the current [`RuleSet`] behind an `Arc` swap; [`RuleWatcher`] polls the
//! directory (file names, sizes, modification times) and reloads on change. A reload that fails
//! validation keeps the previous rule set and records the error in [`ReloadStatus`].

use crate::rules::{LoadError, RuleSet, Unsupported};
use crate::sigma::SigmaOptions;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// What the last load or reload did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReloadStatus {
    /// Incremented on every successful (re)load.
    pub generation: u64,
    /// When the current rule set was loaded.
    pub loaded_at: Option<DateTime<Utc>>,
    /// Number of rules in the current set.
    pub rules: usize,
    /// Rules that were not loaded, with the reason.
    pub unsupported: Vec<Unsupported>,
    /// The error of the last failed reload (cleared by a successful one).
    pub last_error: Option<String>,
    /// When the last reload failed.
    pub last_error_at: Option<DateTime<Utc>>,
}

/// The current rule set of a directory, swappable at run time.
#[derive(Debug)]
pub struct RuleHandle {
    dir: Option<PathBuf>,
    opts: SigmaOptions,
    current: RwLock<Arc<RuleSet>>,
    status: Mutex<ReloadStatus>,
}

impl RuleHandle {
    /// Loads `dir`; fails if the initial load fails.
    pub fn load(dir: &Path, opts: SigmaOptions) -> Result<Arc<RuleHandle>, LoadError> {
        let set = RuleSet::load_dir(dir, &opts)?;
        let status = ReloadStatus {
            generation: 1,
            loaded_at: Some(Utc::now()),
            rules: set.len(),
            unsupported: set.unsupported().to_vec(),
            last_error: None,
            last_error_at: None,
        };
        Ok(Arc::new(RuleHandle {
            dir: Some(dir.to_path_buf()),
            opts,
            current: RwLock::new(Arc::new(set)),
            status: Mutex::new(status),
        }))
    }

    /// A handle on a fixed rule set (no directory; [`RuleHandle::reload`] is a no-op).
    pub fn fixed(set: RuleSet) -> Arc<RuleHandle> {
        let status = ReloadStatus {
            generation: 1,
            loaded_at: Some(Utc::now()),
            rules: set.len(),
            unsupported: set.unsupported().to_vec(),
            ..Default::default()
        };
        Arc::new(RuleHandle {
            dir: None,
            opts: SigmaOptions::default(),
            current: RwLock::new(Arc::new(set)),
            status: Mutex::new(status),
        })
    }

    /// The current rule set.
    pub fn current(&self) -> Arc<RuleSet> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reloads the directory now. On failure the previous rule set stays active and the error
    /// is recorded in the status (and returned).
    pub fn reload(&self) -> Result<usize, LoadError> {
        let Some(dir) = &self.dir else {
            return Ok(self.current().len());
        };
        match RuleSet::load_dir(dir, &self.opts) {
            Ok(mut set) => {
                let n = set.len();
                let unsupported = set.unsupported().to_vec();
                let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
                // Correlations whose definition did not change go on counting.
                set.keep_correlation_state(&current);
                *current = Arc::new(set);
                drop(current);
                let mut st = self.status.lock().unwrap_or_else(|p| p.into_inner());
                st.generation += 1;
                st.loaded_at = Some(Utc::now());
                st.rules = n;
                st.unsupported = unsupported;
                st.last_error = None;
                st.last_error_at = None;
                tracing::info!(rules = n, dir = %dir.display(), "rules reloaded");
                Ok(n)
            }
            Err(e) => {
                let mut st = self.status.lock().unwrap_or_else(|p| p.into_inner());
                st.last_error = Some(e.to_string());
                st.last_error_at = Some(Utc::now());
                tracing::warn!(error = %e, dir = %dir.display(), "rule reload failed; keeping previous rules");
                Err(e)
            }
        }
    }

    /// The reload status.
    pub fn status(&self) -> ReloadStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The watched directory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

/// A fingerprint of the rule files in a directory (names, sizes, mtimes).
pub fn dir_fingerprint(dir: &Path) -> u64 {
    let mut entries = Vec::new();
    fn walk(d: &Path, out: &mut Vec<(PathBuf, u64, i128)>, depth: usize) {
        if depth > 16 {
            return;
        }
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for ent in rd.flatten() {
            let p = ent.path();
            let Ok(md) = ent.metadata() else { continue };
            if md.is_dir() {
                walk(&p, out, depth + 1);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                let mtime = md
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos() as i128)
                    .unwrap_or(-1);
                out.push((p, md.len(), mtime));
            }
        }
    }
    walk(dir, &mut entries, 0);
    entries.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    entries.hash(&mut h);
    h.finish()
}

/// Polls a rule directory and reloads the [`RuleHandle`] when it changes. Stops on drop.
#[derive(Debug)]
pub struct RuleWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RuleWatcher {
    /// Starts polling every `interval`.
    pub fn spawn(handle: Arc<RuleHandle>, interval: Duration) -> std::io::Result<RuleWatcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        // Fingerprint before returning, so a change made right after `spawn` is seen.
        let initial = handle.dir().map(dir_fingerprint);
        let thread = std::thread::Builder::new()
            .name("outpost-rule-watcher".into())
            .spawn(move || {
                let (Some(dir), Some(mut last)) = (handle.dir().map(Path::to_path_buf), initial)
                else {
                    return;
                };
                while !s2.load(Ordering::Relaxed) {
                    // Sleep in small steps so drop is prompt.
                    let mut slept = Duration::ZERO;
                    while slept < interval && !s2.load(Ordering::Relaxed) {
                        let step = Duration::from_millis(20).min(interval - slept);
                        std::thread::sleep(step);
                        slept += step;
                    }
                    let fp = dir_fingerprint(&dir);
                    if fp != last {
                        last = fp;
                        let _ = handle.reload();
                    }
                }
            })?;
        Ok(RuleWatcher {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for RuleWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_keeps_old_set_on_error() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.yml");
        std::fs::write(
            &f,
            "- {id: one, condition: {field: kind, equals: network}}\n",
        )
        .unwrap();
        let h = RuleHandle::load(d.path(), SigmaOptions::default()).unwrap();
        assert_eq!(h.current().len(), 1);
        std::fs::write(
            &f,
            "- {id: one, condition: {field: nope, equals: network}}\n",
        )
        .unwrap();
        let err = h.reload().unwrap_err().to_string();
        assert!(
            err.contains("a.yml") && err.contains("'one'") && err.contains("nope"),
            "{err}"
        );
        assert_eq!(h.current().len(), 1, "old rules kept");
        assert!(h.status().last_error.is_some());
        std::fs::write(
            &f,
            "- {id: one, condition: {field: kind, equals: network}}\n- {id: two, condition: {field: kind, equals: file}}\n",
        )
        .unwrap();
        assert_eq!(h.reload().unwrap(), 2);
        assert_eq!(h.status().generation, 2);
        assert!(h.status().last_error.is_none());
    }

    #[test]
    fn watcher_picks_up_changes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("a.yml"),
            "- {id: one, condition: {field: kind, equals: network}}\n",
        )
        .unwrap();
        let h = RuleHandle::load(d.path(), SigmaOptions::default()).unwrap();
        let _w = RuleWatcher::spawn(h.clone(), Duration::from_millis(30)).unwrap();
        std::fs::write(
            d.path().join("b.yaml"),
            "- {id: two, condition: {field: kind, equals: file}}\n",
        )
        .unwrap();
        let t0 = std::time::Instant::now();
        while h.current().len() != 2 && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(h.current().len(), 2);
    }
}
