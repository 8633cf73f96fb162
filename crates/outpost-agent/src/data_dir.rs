//! The agent's data directory: every file and directory the agent keeps there, named in one
//! place. Code never joins a literal onto the data directory; it asks [`DataDir`].
//!
//! ```text
//! agent.toml              identity and configuration (0600: the device token)
//! server-config.json      the last configuration overlay accepted from the server
//! state.json              where the next run starts, running counters (State::save)
//! agent.lock              held by the daemon, a run-once or an ingest
//! buffer/                 hourly event files events_YYYYMMDD_HH.jsonl
//! spool/                  hit batches until acknowledged (spool/rejected/: refused ones)
//! cache/                  hashcache.json, dns-answers.json, hotlist.compiled
//! intel/                  the verified intel bundle (current.bundle) and its state
//! oslog-cursors.json      how far each OS-log source was read
//! sensors/                the live collectors' own state (FIM baseline, …)
//! tmp/                    job executors' scratch files (on disk, not a tmpfs)
//! daemon-status.json      collector capabilities and counters (the daemon)
//! capture.prom            the packet capture's counters (Prometheus text)
//! collecting-stopped      present while an agent.stop_collecting job holds
//! update-state.json       self-update history; update-trial-ok: a trial's health proof
//! ```

use std::path::{Path, PathBuf};

/// The layout of one data directory (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub const CONFIG: &'static str = "agent.toml";
    pub const SERVER_CONFIG: &'static str = "server-config.json";
    pub const STATE: &'static str = "state.json";
    pub const LOCK: &'static str = "agent.lock";
    pub const BUFFER: &'static str = "buffer";
    pub const SPOOL: &'static str = "spool";
    pub const CACHE: &'static str = "cache";
    pub const INTEL: &'static str = "intel";
    pub const OSLOG_CURSORS: &'static str = "oslog-cursors.json";
    pub const SENSORS: &'static str = "sensors";
    pub const SCRATCH: &'static str = "tmp";
    pub const DAEMON_STATUS: &'static str = "daemon-status.json";
    pub const CAPTURE_METRICS: &'static str = "capture.prom";
    pub const COLLECTING_STOPPED: &'static str = "collecting-stopped";
    pub const UPDATE_STATE: &'static str = "update-state.json";
    pub const UPDATE_TRIAL_OK: &'static str = "update-trial-ok";
    /// In `cache/`.
    pub const HASH_CACHE: &'static str = "hashcache.json";
    /// In `cache/`.
    pub const DNS_ANSWERS: &'static str = "dns-answers.json";
    /// In `cache/`.
    pub const HOTLIST_CACHE: &'static str = "hotlist.compiled";

    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `agent.toml`.
    pub fn config(&self) -> PathBuf {
        self.file(Self::CONFIG)
    }
    /// `server-config.json`.
    pub fn server_config(&self) -> PathBuf {
        self.file(Self::SERVER_CONFIG)
    }
    /// `state.json`, written only by `crate::state::State::save`.
    pub fn state(&self) -> PathBuf {
        self.file(Self::STATE)
    }
    /// `agent.lock`.
    pub fn lock(&self) -> PathBuf {
        self.file(Self::LOCK)
    }
    /// `buffer/`.
    pub fn buffer(&self) -> PathBuf {
        self.file(Self::BUFFER)
    }
    /// `spool/`.
    pub fn spool(&self) -> PathBuf {
        self.file(Self::SPOOL)
    }
    /// `cache/`.
    pub fn cache(&self) -> PathBuf {
        self.file(Self::CACHE)
    }
    /// `cache/hashcache.json`.
    pub fn hash_cache(&self) -> PathBuf {
        self.cache().join(Self::HASH_CACHE)
    }
    /// `cache/dns-answers.json`.
    pub fn dns_answers(&self) -> PathBuf {
        self.cache().join(Self::DNS_ANSWERS)
    }
    /// `cache/hotlist.compiled`.
    pub fn hotlist_cache(&self) -> PathBuf {
        self.cache().join(Self::HOTLIST_CACHE)
    }
    /// `intel/`.
    pub fn intel(&self) -> PathBuf {
        self.file(Self::INTEL)
    }
    /// `oslog-cursors.json`.
    pub fn oslog_cursors(&self) -> PathBuf {
        self.file(Self::OSLOG_CURSORS)
    }
    /// `sensors/`.
    pub fn sensors(&self) -> PathBuf {
        self.file(Self::SENSORS)
    }
    /// `tmp/`.
    pub fn scratch(&self) -> PathBuf {
        self.file(Self::SCRATCH)
    }
    /// `daemon-status.json`.
    pub fn daemon_status(&self) -> PathBuf {
        self.file(Self::DAEMON_STATUS)
    }
    /// `capture.prom`.
    pub fn capture_metrics(&self) -> PathBuf {
        self.file(Self::CAPTURE_METRICS)
    }
    /// `collecting-stopped`.
    pub fn collecting_stopped(&self) -> PathBuf {
        self.file(Self::COLLECTING_STOPPED)
    }
    /// `update-state.json`.
    pub fn update_state(&self) -> PathBuf {
        self.file(Self::UPDATE_STATE)
    }
    /// `update-trial-ok`.
    pub fn update_trial_ok(&self) -> PathBuf {
        self.file(Self::UPDATE_TRIAL_OK)
    }
}

impl From<&Path> for DataDir {
    fn from(root: &Path) -> DataDir {
        DataDir::new(root)
    }
}

impl AsRef<Path> for DataDir {
    fn as_ref(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout is the agent's on-disk interface (install scripts, operators, upgrades
    /// from older agents read it): a name changed here is a migration, not a refactoring.
    #[test]
    fn the_layout_keeps_its_names() {
        let d = DataDir::new("/d");
        let p = |p: PathBuf| p.to_string_lossy().replace('\\', "/");
        assert_eq!(p(d.config()), "/d/agent.toml");
        assert_eq!(p(d.server_config()), "/d/server-config.json");
        assert_eq!(p(d.state()), "/d/state.json");
        assert_eq!(p(d.lock()), "/d/agent.lock");
        assert_eq!(p(d.buffer()), "/d/buffer");
        assert_eq!(p(d.spool()), "/d/spool");
        assert_eq!(p(d.hash_cache()), "/d/cache/hashcache.json");
        assert_eq!(p(d.dns_answers()), "/d/cache/dns-answers.json");
        assert_eq!(p(d.hotlist_cache()), "/d/cache/hotlist.compiled");
        assert_eq!(p(d.intel()), "/d/intel");
        assert_eq!(p(d.oslog_cursors()), "/d/oslog-cursors.json");
        assert_eq!(p(d.sensors()), "/d/sensors");
        assert_eq!(p(d.scratch()), "/d/tmp");
        assert_eq!(p(d.daemon_status()), "/d/daemon-status.json");
        assert_eq!(p(d.capture_metrics()), "/d/capture.prom");
        assert_eq!(p(d.collecting_stopped()), "/d/collecting-stopped");
        assert_eq!(p(d.update_state()), "/d/update-state.json");
        assert_eq!(p(d.update_trial_ok()), "/d/update-trial-ok");
    }
}
