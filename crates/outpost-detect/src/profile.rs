//! The profile engine: learned behaviour per container image, or per executable outside
//! containers.
//!
//! During a learning window (from the first event of a subject) the engine records the
//! subject's command lines, child processes, outbound destinations and file paths. Afterwards
//! anything new is an `abnormal_behavior` indicator; a known command line is a
//! `normal_behavior` indicator with a (configurable, by default negative) score, as in
//! the original design. Profiles persist as JSON in a directory, can be reset, and serialize for the API.
//!
//! Several engines (server replicas) can learn together: with [`ProfileEngine::replicated`]
//! every change is also recorded as a [`ProfileDelta`] that [`ProfileEngine::take_deltas`]
//! hands to a shared store, and [`ProfileEngine::apply_remote`] merges what the others learned
//! (sets are unions, so merging is order-independent). A reset increases the profile's
//! `epoch`; deltas and remote copies of an older epoch are discarded.

use crate::indicator::{Finding, Scored};
use chrono::{DateTime, TimeDelta, Utc};
use outpost_core::{Direction, Event, EventKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Profile engine settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileConfig {
    /// Learning window per subject, in seconds.
    pub learning_secs: i64,
    /// Score of a deviation.
    pub abnormal_score: i32,
    /// Score of a known command line once profiled (0 disables the indicator).
    pub normal_score: i32,
    /// Cap on items per dimension of one profile (beyond it, learning stops for that dimension).
    pub max_items: usize,
    /// Cap on the number of subjects.
    pub max_subjects: usize,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            learning_secs: 3600,
            abnormal_score: 50,
            normal_score: -50,
            max_items: 10_000,
            max_subjects: 100_000,
        }
    }
}

/// Learning or profiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileStatus {
    /// Still inside the learning window.
    Learning,
    /// Learning finished; deviations score.
    Profiled,
}

/// One learned profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// `image:<container image>` or `exe:<executable path>`.
    pub subject: String,
    /// Status.
    pub status: ProfileStatus,
    /// First event of the subject.
    pub first_seen: DateTime<Utc>,
    /// End of the learning window.
    pub learning_until: DateTime<Utc>,
    /// Command lines seen.
    pub command_lines: BTreeSet<String>,
    /// Child executables seen.
    pub children: BTreeSet<String>,
    /// Outbound destinations (`ip:port` or `host:port`).
    pub destinations: BTreeSet<String>,
    /// File paths touched.
    pub files: BTreeSet<String>,
    /// Events learned from.
    pub events_learned: u64,
    /// Deviations seen after learning.
    pub deviations: u64,
    /// Resets so far (a replicated profile of an older epoch is stale).
    #[serde(default)]
    pub epoch: u64,
}

/// What one engine learned about a subject since it last handed its changes over
/// ([`ProfileEngine::take_deltas`]); the one record of a profile change, shared with the store.
pub use outpost_core::api::ProfileDelta;

/// The learned items of one dimension of a change.
fn delta_items(delta: &mut ProfileDelta, d: Dim) -> &mut Vec<String> {
    match d {
        Dim::Cmd => &mut delta.command_lines,
        Dim::Child => &mut delta.children,
        Dim::Dest => &mut delta.destinations,
        Dim::File => &mut delta.files,
    }
}

/// A profile's size, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSummary {
    /// Subject.
    pub subject: String,
    /// Status.
    pub status: ProfileStatus,
    /// End of learning.
    pub learning_until: DateTime<Utc>,
    /// Sizes of the four dimensions.
    pub command_lines: usize,
    /// Children.
    pub children: usize,
    /// Destinations.
    pub destinations: usize,
    /// Files.
    pub files: usize,
    /// Deviations.
    pub deviations: u64,
}

/// Errors persisting profiles.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Reading or writing the profile file failed.
    #[error("profile store {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The profile file is not valid.
    #[error("profile store {path}: invalid JSON: {source}")]
    Json {
        /// The path.
        path: String,
        /// The error.
        source: serde_json::Error,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dim {
    Cmd,
    Child,
    Dest,
    File,
}

impl Dim {
    fn set(self, p: &Profile) -> &BTreeSet<String> {
        match self {
            Dim::Cmd => &p.command_lines,
            Dim::Child => &p.children,
            Dim::Dest => &p.destinations,
            Dim::File => &p.files,
        }
    }
    fn set_mut(self, p: &mut Profile) -> &mut BTreeSet<String> {
        match self {
            Dim::Cmd => &mut p.command_lines,
            Dim::Child => &mut p.children,
            Dim::Dest => &mut p.destinations,
            Dim::File => &mut p.files,
        }
    }
    fn what(self) -> &'static str {
        match self {
            Dim::Cmd => "command line",
            Dim::Child => "child process",
            Dim::Dest => "outbound destination",
            Dim::File => "file path",
        }
    }
}

/// The profile engine. Thread-safe; share it behind an `Arc`.
#[derive(Debug)]
pub struct ProfileEngine {
    cfg: ProfileConfig,
    file: Option<PathBuf>,
    profiles: RwLock<HashMap<String, Profile>>,
    dirty: AtomicBool,
    /// Replication bookkeeping (`None`: not replicated).
    repl: Option<std::sync::Mutex<Replication>>,
}

#[derive(Debug, Default)]
struct Replication {
    /// Changes not handed over yet, by subject.
    pending: HashMap<String, ProfileDelta>,
    /// Epoch of subjects reset elsewhere that are not learned again here yet.
    epochs: HashMap<String, u64>,
}

const FILE_NAME: &str = "profiles.json";

/// A container event's subject is its image (its id when the image is unknown), for the
/// process and its parent alike.
#[inline]
fn image_subject(e: &Event) -> Option<String> {
    let c = e.container.as_ref()?;
    let img = c
        .image
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&c.id);
    Some(format!("image:{img}"))
}

#[inline]
fn subject_of(e: &Event) -> Option<String> {
    image_subject(e).or_else(|| {
        let p = e.process.as_ref()?;
        let exe = p.exe.as_deref().or(p.name.as_deref())?;
        Some(format!("exe:{exe}"))
    })
}

#[inline]
fn parent_subject(e: &Event) -> Option<String> {
    image_subject(e).or_else(|| {
        let par = e.process.as_ref()?.parent.as_ref()?;
        let exe = par.exe.as_deref().or(par.name.as_deref())?;
        Some(format!("exe:{exe}"))
    })
}

fn command_line(e: &Event) -> Option<String> {
    let p = e.process.as_ref()?;
    if let Some(c) = &p.command_line {
        return Some(c.clone());
    }
    if p.args.is_empty() {
        None
    } else {
        Some(p.args.join(" "))
    }
}

/// What an event tells about which subject: (subject, dimension, item).
fn observations(e: &Event) -> Vec<(String, Dim, String)> {
    let mut out = Vec::new();
    match e.kind {
        EventKind::ProcessExec => {
            if let (Some(s), Some(c)) = (subject_of(e), command_line(e)) {
                out.push((s, Dim::Cmd, c));
            }
            if let (Some(ps), Some(child)) = (
                parent_subject(e),
                e.process
                    .as_ref()
                    .and_then(|p| p.exe.clone().or(p.name.clone())),
            ) {
                out.push((ps, Dim::Child, child));
            }
        }
        EventKind::Network => {
            if let (Some(s), Some(n)) = (subject_of(e), &e.network)
                && n.direction != Direction::Inbound
            {
                let host = n
                    .remote_hostname
                    .clone()
                    .or(n.remote_ip.map(|i| i.to_string()));
                if let Some(h) = host {
                    out.push((s, Dim::Dest, format!("{h}:{}", n.remote_port.unwrap_or(0))));
                }
            }
        }
        EventKind::File => {
            if let (Some(s), Some(f)) = (subject_of(e), &e.file) {
                out.push((s, Dim::File, f.path.clone()));
            }
        }
        _ => {}
    }
    out
}

impl ProfileEngine {
    /// An in-memory engine (no persistence).
    pub fn in_memory(cfg: ProfileConfig) -> ProfileEngine {
        ProfileEngine {
            cfg,
            file: None,
            profiles: RwLock::new(HashMap::new()),
            dirty: AtomicBool::new(false),
            repl: None,
        }
    }

    /// An in-memory engine that records its changes for a shared store (see the module docs).
    pub fn replicated(cfg: ProfileConfig) -> ProfileEngine {
        ProfileEngine {
            cfg,
            file: None,
            profiles: RwLock::new(HashMap::new()),
            dirty: AtomicBool::new(false),
            repl: Some(std::sync::Mutex::new(Replication::default())),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ProfileConfig {
        &self.cfg
    }

    /// The changes since the last call (replicated engines; empty otherwise).
    pub fn take_deltas(&self) -> Vec<ProfileDelta> {
        let Some(r) = &self.repl else {
            return Vec::new();
        };
        let mut r = r.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<ProfileDelta> = r.pending.drain().map(|(_, d)| d).collect();
        v.sort_by(|a, b| a.subject.cmp(&b.subject));
        v
    }

    /// Gives back deltas that could not be stored, so they are retried with the next ones.
    pub fn restore_deltas(&self, deltas: Vec<ProfileDelta>) {
        let Some(r) = &self.repl else {
            return;
        };
        let mut r = r.lock().unwrap_or_else(|p| p.into_inner());
        for d in deltas {
            match r.pending.get_mut(&d.subject) {
                None => {
                    r.pending.insert(d.subject.clone(), d);
                }
                Some(cur) if cur.epoch == d.epoch => {
                    let mut d = d;
                    for dim in [Dim::Cmd, Dim::Child, Dim::Dest, Dim::File] {
                        delta_items(cur, dim).append(delta_items(&mut d, dim));
                    }
                    cur.events_learned += d.events_learned;
                    cur.deviations += d.deviations;
                    cur.first_seen = min_opt(cur.first_seen, d.first_seen);
                    cur.learning_until = min_opt(cur.learning_until, d.learning_until);
                }
                Some(_) => {}
            }
        }
    }

    /// Merges a profile as the shared store holds it: a newer epoch replaces the local copy
    /// (a reset: an empty remote profile is dropped until the subject is seen again); the same
    /// epoch is united with it; an older one is ignored.
    pub fn apply_remote(&self, remote: Profile) {
        let mut map = self.profiles.write().unwrap_or_else(|p| p.into_inner());
        let local_epoch = map.get(&remote.subject).map(|p| p.epoch).or_else(|| {
            self.repl.as_ref().and_then(|r| {
                r.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .epochs
                    .get(&remote.subject)
                    .copied()
            })
        });
        let empty = remote.events_learned == 0
            && remote.command_lines.is_empty()
            && remote.children.is_empty()
            && remote.destinations.is_empty()
            && remote.files.is_empty();
        match local_epoch {
            Some(e) if e > remote.epoch => {}
            Some(e) if e == remote.epoch => {
                if let Some(local) = map.get_mut(&remote.subject) {
                    let max = self.cfg.max_items;
                    for dim in [Dim::Cmd, Dim::Child, Dim::Dest, Dim::File] {
                        for item in dim.set(&remote) {
                            let set = dim.set_mut(local);
                            if set.len() >= max {
                                break;
                            }
                            set.insert(item.clone());
                        }
                    }
                    local.first_seen = local.first_seen.min(remote.first_seen);
                    local.learning_until = local.learning_until.min(remote.learning_until);
                    local.events_learned = local.events_learned.max(remote.events_learned);
                    local.deviations = local.deviations.max(remote.deviations);
                } else if !empty {
                    map.insert(remote.subject.clone(), remote);
                }
            }
            _ => {
                // Newer epoch (a reset elsewhere) or a subject new here.
                if let Some(r) = &self.repl {
                    let mut r = r.lock().unwrap_or_else(|p| p.into_inner());
                    r.pending.remove(&remote.subject);
                    r.epochs.insert(remote.subject.clone(), remote.epoch);
                }
                if empty {
                    map.remove(&remote.subject);
                } else {
                    map.insert(remote.subject.clone(), remote);
                }
            }
        }
    }

    /// Opens (or creates) the profile store in `dir` (`dir/profiles.json`).
    pub fn open(dir: &Path, cfg: ProfileConfig) -> Result<ProfileEngine, ProfileError> {
        let path = dir.join(FILE_NAME);
        std::fs::create_dir_all(dir).map_err(|e| ProfileError::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        let profiles = match std::fs::read(&path) {
            Ok(b) => {
                let list: Vec<Profile> =
                    serde_json::from_slice(&b).map_err(|e| ProfileError::Json {
                        path: path.display().to_string(),
                        source: e,
                    })?;
                list.into_iter().map(|p| (p.subject.clone(), p)).collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => {
                return Err(ProfileError::Io {
                    path: path.display().to_string(),
                    source: e,
                });
            }
        };
        Ok(ProfileEngine {
            cfg,
            file: Some(path),
            profiles: RwLock::new(profiles),
            dirty: AtomicBool::new(false),
            repl: None,
        })
    }

    /// Learns from / scores one event.
    pub fn eval_into(&self, e: &Event, out: &mut Scored) {
        if !matches!(
            e.kind,
            EventKind::ProcessExec | EventKind::Network | EventKind::File
        ) {
            return;
        }
        for (subject, dim, item) in observations(e) {
            self.observe(&subject, dim, item, e.ts, out);
        }
    }

    fn observe(&self, subject: &str, dim: Dim, item: String, ts: DateTime<Utc>, out: &mut Scored) {
        // Fast path: read lock only.
        {
            let map = self.profiles.read().unwrap_or_else(|p| p.into_inner());
            if let Some(p) = map.get(subject) {
                let profiled = p.status == ProfileStatus::Profiled || ts > p.learning_until;
                let known = dim.set(p).contains(&item);
                if profiled && known {
                    if dim == Dim::Cmd && self.cfg.normal_score != 0 {
                        out.push(Finding {
                            engine: "profile".into(),
                            rule_name: subject.to_string(),
                            indicator_type: "normal_behavior".into(),
                            description: "subject is behaving within its profile".into(),
                            extra_info: String::new(),
                            score: self.cfg.normal_score,
                        });
                    }
                    return;
                }
                if !profiled && known {
                    return;
                }
            }
        }
        let mut map = self.profiles.write().unwrap_or_else(|p| p.into_inner());
        if !map.contains_key(subject) {
            if map.len() >= self.cfg.max_subjects {
                return;
            }
            let epoch = self.repl.as_ref().map_or(0, |r| {
                r.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .epochs
                    .get(subject)
                    .copied()
                    .unwrap_or(0)
            });
            let until = ts + TimeDelta::seconds(self.cfg.learning_secs);
            map.insert(
                subject.to_string(),
                Profile {
                    subject: subject.to_string(),
                    status: ProfileStatus::Learning,
                    first_seen: ts,
                    learning_until: until,
                    command_lines: BTreeSet::new(),
                    children: BTreeSet::new(),
                    destinations: BTreeSet::new(),
                    files: BTreeSet::new(),
                    events_learned: 0,
                    deviations: 0,
                    epoch,
                },
            );
        }
        let Some(p) = map.get_mut(subject) else {
            return;
        };
        if p.status == ProfileStatus::Learning && ts > p.learning_until {
            p.status = ProfileStatus::Profiled;
        }
        self.dirty.store(true, Ordering::Relaxed);
        match p.status {
            ProfileStatus::Learning => {
                let max = self.cfg.max_items;
                let set = dim.set_mut(p);
                let learned = set.len() < max && set.insert(item.clone());
                p.events_learned += 1;
                self.record(p, |d| {
                    if learned {
                        delta_items(d, dim).push(item.clone());
                    }
                    d.events_learned += 1;
                });
            }
            ProfileStatus::Profiled => {
                if dim.set(p).contains(&item) {
                    return;
                }
                p.deviations += 1;
                self.record(p, |d| d.deviations += 1);
                out.push(Finding {
                    engine: "profile".into(),
                    rule_name: subject.to_string(),
                    indicator_type: "abnormal_behavior".into(),
                    description: "subject is behaving outside of its profile".into(),
                    extra_info: format!("new {}: {item}", dim.what()),
                    score: self.cfg.abnormal_score,
                });
            }
        }
    }

    /// Records a change of `p` for replication.
    fn record(&self, p: &Profile, f: impl FnOnce(&mut ProfileDelta)) {
        let Some(r) = &self.repl else {
            return;
        };
        let mut r = r.lock().unwrap_or_else(|e| e.into_inner());
        let d = r
            .pending
            .entry(p.subject.clone())
            .or_insert_with(|| ProfileDelta {
                subject: p.subject.clone(),
                epoch: p.epoch,
                ..Default::default()
            });
        if d.epoch != p.epoch {
            *d = ProfileDelta {
                subject: p.subject.clone(),
                epoch: p.epoch,
                ..Default::default()
            };
        }
        d.first_seen = min_opt(d.first_seen, Some(p.first_seen));
        d.learning_until = min_opt(d.learning_until, Some(p.learning_until));
        f(d);
    }

    /// All profiles, summarized.
    pub fn list(&self) -> Vec<ProfileSummary> {
        let map = self.profiles.read().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<ProfileSummary> = map
            .values()
            .map(|p| ProfileSummary {
                subject: p.subject.clone(),
                status: p.status,
                learning_until: p.learning_until,
                command_lines: p.command_lines.len(),
                children: p.children.len(),
                destinations: p.destinations.len(),
                files: p.files.len(),
                deviations: p.deviations,
            })
            .collect();
        v.sort_by(|a, b| a.subject.cmp(&b.subject));
        v
    }

    /// One profile.
    pub fn get(&self, subject: &str) -> Option<Profile> {
        self.profiles
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(subject)
            .cloned()
    }

    /// Forgets a profile (it will be learned again). Returns whether it existed.
    pub fn reset(&self, subject: &str) -> bool {
        let removed = self
            .profiles
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(subject)
            .is_some();
        if removed {
            self.dirty.store(true, Ordering::Relaxed);
        }
        removed
    }

    /// Forgets every profile.
    pub fn reset_all(&self) {
        self.profiles
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Writes the profiles to disk (atomically) if anything changed since the last flush.
    pub fn flush(&self) -> Result<(), ProfileError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let list: Vec<Profile> = {
            let map = self.profiles.read().unwrap_or_else(|p| p.into_inner());
            let mut v: Vec<Profile> = map.values().cloned().collect();
            v.sort_by(|a, b| a.subject.cmp(&b.subject));
            v
        };
        let io = |e: std::io::Error| ProfileError::Io {
            path: path.display().to_string(),
            source: e,
        };
        let json = serde_json::to_vec_pretty(&list).map_err(|e| ProfileError::Json {
            path: path.display().to_string(),
            source: e,
        })?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Drop for ProfileEngine {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "could not save profiles");
        }
    }
}

impl Profile {
    /// A profile as the store keeps it (merged by every replica), its status from its learning
    /// window at `now`.
    pub fn from_record(p: outpost_core::api::ProfileRecord, now: DateTime<Utc>) -> Profile {
        let learning_until = p.learning_until.unwrap_or(now);
        Profile {
            subject: p.subject,
            status: if learning_until < now {
                ProfileStatus::Profiled
            } else {
                ProfileStatus::Learning
            },
            first_seen: p.first_seen.unwrap_or(now),
            learning_until,
            command_lines: p.command_lines.into_iter().collect::<BTreeSet<_>>(),
            children: p.children.into_iter().collect(),
            destinations: p.destinations.into_iter().collect(),
            files: p.files.into_iter().collect(),
            events_learned: u64::try_from(p.events_learned).unwrap_or(0),
            deviations: u64::try_from(p.deviations).unwrap_or(0),
            epoch: u64::try_from(p.epoch).unwrap_or(0),
        }
    }
}

/// One replicated [`ProfileEngine`] per tenant (made on its first event): the profile engine of
/// a multi-tenant [`crate::Pipeline`]. They learn from telemetry only (see
/// [`crate::Pipeline::score_learning`]); whoever shares them with other replicas takes their
/// changes ([`TenantProfiles::engines`], [`ProfileEngine::take_deltas`]) and gives back what
/// the others learned ([`TenantProfiles::apply_remote`]).
#[derive(Debug)]
pub struct TenantProfiles {
    cfg: ProfileConfig,
    engines: RwLock<HashMap<String, std::sync::Arc<ProfileEngine>>>,
}

impl TenantProfiles {
    /// No tenant yet; each one's engine gets `cfg`.
    pub fn new(cfg: ProfileConfig) -> TenantProfiles {
        TenantProfiles {
            cfg,
            engines: RwLock::new(HashMap::new()),
        }
    }

    /// The engines' settings.
    pub fn config(&self) -> &ProfileConfig {
        &self.cfg
    }

    /// A tenant's engine (made when missing).
    pub fn engine(&self, tenant_id: &str) -> std::sync::Arc<ProfileEngine> {
        if let Some(e) = self
            .engines
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant_id)
        {
            return e.clone();
        }
        self.engines
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(tenant_id.to_string())
            .or_insert_with(|| std::sync::Arc::new(ProfileEngine::replicated(self.cfg.clone())))
            .clone()
    }

    /// Every tenant's engine so far.
    pub fn engines(&self) -> Vec<(String, std::sync::Arc<ProfileEngine>)> {
        self.engines
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(t, e)| (t.clone(), e.clone()))
            .collect()
    }

    /// Learns from / scores one event of a tenant.
    pub fn eval_into(&self, tenant_id: &str, e: &Event, out: &mut Scored) {
        self.engine(tenant_id).eval_into(e, out);
    }

    /// Merges a profile another replica stored into the tenant's engine.
    pub fn apply_remote(&self, tenant_id: &str, remote: Profile) {
        self.engine(tenant_id).apply_remote(remote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use outpost_core::{ContainerInfo, NetworkInfo, ParentInfo, ProcessInfo};

    fn exec(ts: i64, exe: &str, args: &[&str], image: Option<&str>) -> Event {
        let mut e = crate::test_events::exec_of(
            ts,
            ProcessInfo {
                pid: 5,
                exe: Some(exe.into()),
                args: args.iter().map(|s| s.to_string()).collect(),
                parent: Some(ParentInfo {
                    pid: 1,
                    exe: Some("/usr/sbin/nginx".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        if let Some(i) = image {
            e.container = Some(ContainerInfo {
                id: "c".repeat(64),
                runtime: "docker".into(),
                name: None,
                image: Some(i.into()),
            });
        }
        e
    }

    #[test]
    fn learns_then_scores_and_persists() {
        let d = tempfile::tempdir().unwrap();
        let cfg = ProfileConfig {
            learning_secs: 60,
            ..Default::default()
        };
        {
            let pe = ProfileEngine::open(d.path(), cfg.clone()).unwrap();
            let mut out = Scored::default();
            pe.eval_into(&exec(0, "/bin/ls", &["ls", "-l"], Some("alpine")), &mut out);
            pe.eval_into(
                &exec(10, "/bin/ls", &["ls", "-l"], Some("alpine")),
                &mut out,
            );
            assert!(out.indicators.is_empty(), "learning scores nothing");
            // After the window: known → normal, new → abnormal.
            let mut out = Scored::default();
            pe.eval_into(
                &exec(100, "/bin/ls", &["ls", "-l"], Some("alpine")),
                &mut out,
            );
            assert_eq!(out.indicators.len(), 1);
            assert_eq!(out.indicators[0].indicator_type, "normal_behavior");
            let mut out = Scored::default();
            pe.eval_into(
                &exec(101, "/usr/bin/dig", &["dig", "x.example"], Some("alpine")),
                &mut out,
            );
            let types: Vec<_> = out
                .indicators
                .iter()
                .map(|i| i.indicator_type.as_str())
                .collect();
            assert_eq!(
                types,
                ["abnormal_behavior", "abnormal_behavior"],
                "new command line and new child"
            );
            assert_eq!(out.risk_score, 100);
            // Outbound destination outside a container: per executable.
            let mut n = Event::new(
                Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
                EventKind::Network,
                "t",
            );
            n.process = Some(std::sync::Arc::new(ProcessInfo {
                pid: 9,
                exe: Some("/usr/bin/curl".into()),
                ..Default::default()
            }));
            n.network = Some(NetworkInfo {
                direction: Direction::Outbound,
                remote_ip: Some("192.0.2.1".parse().unwrap()),
                remote_port: Some(443),
                ..Default::default()
            });
            pe.eval_into(&n, &mut Scored::default());
            let p = pe.get("exe:/usr/bin/curl").unwrap();
            assert!(p.destinations.contains("192.0.2.1:443"));
            pe.flush().unwrap();
        }
        let pe = ProfileEngine::open(d.path(), cfg).unwrap();
        let list = pe.list();
        assert_eq!(list.len(), 2, "{list:?}");
        let p = pe.get("image:alpine").unwrap();
        assert_eq!(p.status, ProfileStatus::Profiled);
        assert_eq!(p.deviations, 2);
        assert!(p.command_lines.contains("ls -l"));
        assert!(pe.reset("image:alpine"));
        assert!(!pe.reset("image:alpine"));
        pe.flush().unwrap();
        let pe = ProfileEngine::open(d.path(), ProfileConfig::default()).unwrap();
        assert_eq!(pe.list().len(), 1);
        let j = serde_json::to_string(&pe.get("exe:/usr/bin/curl").unwrap()).unwrap();
        assert!(j.contains("\"status\":\"learning\""));
    }

    #[test]
    fn replicas_share_learning_and_resets_win() {
        let cfg = ProfileConfig {
            learning_secs: 60,
            normal_score: 0,
            ..Default::default()
        };
        let a = ProfileEngine::replicated(cfg.clone());
        let b = ProfileEngine::replicated(cfg);
        a.eval_into(
            &exec(0, "/bin/ls", &["ls", "-l"], Some("alpine")),
            &mut Scored::default(),
        );
        let deltas = a.take_deltas();
        assert_eq!(deltas.len(), 1);
        assert_eq!(deltas[0].command_lines, ["ls -l"]);
        assert_eq!(deltas[0].children, ["/bin/ls"]);
        assert!(a.take_deltas().is_empty(), "handed over once");
        // What the store would hold: the delta as a profile.
        let p = a.get("image:alpine").unwrap();
        b.apply_remote(p.clone());
        let mut out = Scored::default();
        b.eval_into(
            &exec(100, "/bin/ls", &["ls", "-l"], Some("alpine")),
            &mut out,
        );
        assert!(out.indicators.is_empty(), "known on b: {out:?}");
        b.eval_into(&exec(101, "/bin/sh", &["sh"], Some("alpine")), &mut out);
        assert_eq!(out.risk_score, 100, "new command line and child on b");
        // A reset elsewhere (newer epoch, empty) drops the local copy and its pending changes.
        b.apply_remote(Profile {
            epoch: 1,
            command_lines: BTreeSet::new(),
            children: BTreeSet::new(),
            events_learned: 0,
            deviations: 0,
            ..p.clone()
        });
        assert!(b.get("image:alpine").is_none());
        assert!(b.take_deltas().is_empty());
        b.eval_into(
            &exec(200, "/bin/sh", &["sh"], Some("alpine")),
            &mut Scored::default(),
        );
        assert_eq!(
            b.get("image:alpine").unwrap().epoch,
            1,
            "learns again in the new epoch"
        );
        let d = b.take_deltas();
        assert_eq!((d[0].epoch, d[0].command_lines.len()), (1, 1));
        // An older remote copy is ignored; failed hand-overs come back.
        b.apply_remote(p);
        assert_eq!(b.get("image:alpine").unwrap().epoch, 1);
        b.restore_deltas(d.clone());
        assert_eq!(b.take_deltas(), d);
    }
}
