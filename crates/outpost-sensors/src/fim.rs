//! File integrity monitoring: recursive inotify watches on the configured paths (and on paths
//! inside every container), SHA-256 before/after against a baseline persisted in the state dir.

use crate::config::{FileConfig, SensorConfig};
use crate::counters::{Drop, Queue};
use crate::emit::Emitter;
use crate::netlink::owned_fd;
use crate::procfs;
use crate::{Capabilities, SensorError};
use chrono::Utc;
use outpost_core::{ContainerInfo, Event, EventKind, FileAction, FileInfo};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the process collector tells the file collector about containers.
#[derive(Debug)]
pub(crate) enum ContainerNote {
    Started { info: Arc<ContainerInfo>, pid: u32 },
    Stopped { id: String },
}

/// The recorded state of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

const BASELINE_FILE: &str = "fim-baseline.json";

/// One inotify record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InotifyEvent {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub name: Vec<u8>,
}

/// Splits a buffer read from an inotify descriptor into records (names without NUL padding).
pub fn parse_inotify(mut b: &[u8]) -> Vec<InotifyEvent> {
    let mut out = Vec::new();
    while b.len() >= 16 {
        let u = |o: usize| u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let len = u(12) as usize;
        let Some(name) = b.get(16..16 + len) else {
            break;
        };
        let end = name.iter().position(|c| *c == 0).unwrap_or(name.len());
        out.push(InotifyEvent {
            wd: u(0) as i32,
            mask: u(4),
            cookie: u(8),
            name: name[..end].to_vec(),
        });
        b = &b[16 + len..];
    }
    out
}

/// SHA-256 of a regular file, streaming (never more than 64 KiB in memory); `None` when it cannot
/// be read or is larger than `max`.
pub fn sha256_file(path: &Path, max: u64) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    if f.metadata().ok()?.len() > max {
        return None;
    }
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(hex::encode(h.finalize()))
}

fn stat_state(path: &Path, max_hash: u64, hash: bool) -> Option<FileState> {
    let m = std::fs::symlink_metadata(path).ok()?;
    if !m.file_type().is_file() {
        return None;
    }
    Some(FileState {
        sha256: if hash {
            sha256_file(path, max_hash)
        } else {
            None
        },
        size: m.len(),
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
    })
}

struct Root {
    /// Host prefix stripped to get the path inside the container ("" on the host).
    base: String,
    container: Option<Arc<ContainerInfo>>,
}

struct Watch {
    dir: PathBuf,
    root: usize,
    recursive: bool,
}

struct Fim {
    em: Emitter,
    fd: OwnedFd,
    cfg: FileConfig,
    include: Vec<glob::Pattern>,
    exclude: Vec<glob::Pattern>,
    explicit: HashSet<PathBuf>,
    wds: HashMap<i32, Watch>,
    roots: Vec<Option<Root>>,
    container_roots: HashMap<String, usize>,
    baseline: BTreeMap<String, FileState>,
    baseline_path: Option<PathBuf>,
    dirty: bool,
    pending_moves: HashMap<u32, PendingMove>,
    notes: Receiver<ContainerNote>,
    /// While the start-up scan runs, its events are held here and sent paced by the thread.
    startup: std::cell::RefCell<Option<Vec<Event>>>,
}

/// The first half of a rename (`IN_MOVED_FROM`), waiting for its `IN_MOVED_TO` by cookie;
/// one left alone too long was a move out of the watched trees (a delete).
struct PendingMove {
    path: PathBuf,
    /// The index of the watched root it was under.
    root: usize,
    is_dir: bool,
    since: Instant,
}

impl PendingMove {
    fn new(path: PathBuf, root: usize, is_dir: bool) -> PendingMove {
        PendingMove {
            path,
            root,
            is_dir,
            since: Instant::now(),
        }
    }
}

const MASK: u32 = libc::IN_CREATE
    | libc::IN_CLOSE_WRITE
    | libc::IN_DELETE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_ATTRIB
    | libc::IN_DONT_FOLLOW
    | libc::IN_EXCL_UNLINK
    | libc::IN_ONLYDIR;

const GLOB_OPTS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl Fim {
    fn root(&self, i: usize) -> Option<&Root> {
        self.roots.get(i).and_then(|r| r.as_ref())
    }

    /// The path a rule sees: inside the container for container roots.
    fn visible(&self, host: &Path, root: usize) -> String {
        let s = host.to_string_lossy();
        match self.root(root) {
            Some(r) if !r.base.is_empty() => {
                let inner = s.strip_prefix(r.base.as_str()).unwrap_or(&s);
                if inner.is_empty() {
                    "/".into()
                } else {
                    inner.to_string()
                }
            }
            _ => s.into_owned(),
        }
    }

    fn excluded(&self, visible: &str) -> bool {
        self.exclude
            .iter()
            .any(|p| p.matches_with(visible, GLOB_OPTS))
    }

    fn included(&self, host: &Path, root: usize) -> bool {
        let v = self.visible(host, root);
        if self.excluded(&v) || self.baseline_path.as_deref() == Some(host) {
            return false;
        }
        self.include.is_empty() || self.include.iter().any(|p| p.matches_with(&v, GLOB_OPTS))
    }

    fn add_watch(&mut self, dir: &Path, root: usize, recursive: bool) -> bool {
        if self.wds.len() >= self.cfg.max_watches {
            self.em.count_drop(Drop::WatchLimit, 1);
            return false;
        }
        let Ok(c) = CString::new(dir.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: fd is our inotify descriptor and c a valid NUL-terminated path.
        let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), c.as_ptr(), MASK) };
        if wd < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENOSPC) {
                self.em.count_drop(Drop::WatchLimit, 1);
            }
            return false;
        }
        self.wds.insert(
            wd,
            Watch {
                dir: dir.to_path_buf(),
                root,
                recursive,
            },
        );
        self.em
            .shared
            .counters
            .fim_watches
            .store(self.wds.len() as u64, Ordering::Relaxed);
        true
    }

    /// Watches `dir` and everything below it; files found are compared with the baseline
    /// (`report`: emit events for differences) and recorded.
    fn add_tree(&mut self, dir: &Path, root: usize, report: bool, seen: &mut HashSet<String>) {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            if self.excluded(&self.visible(&d, root)) || !self.add_watch(&d, root, true) {
                continue;
            }
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(ft) = e.file_type() else { continue };
                let p = e.path();
                if ft.is_dir() {
                    stack.push(p);
                } else if ft.is_file() {
                    self.scan_file(&p, root, report, seen);
                }
            }
        }
    }

    fn scan_file(&mut self, p: &Path, root: usize, report: bool, seen: &mut HashSet<String>) {
        if !self.included(p, root) {
            return;
        }
        let Some(now) = stat_state(p, self.cfg.max_hash_bytes, true) else {
            return;
        };
        let key = p.to_string_lossy().into_owned();
        seen.insert(key.clone());
        let before = self.baseline.get(&key).cloned();
        if report {
            match &before {
                None => {
                    self.file_event(FileAction::Create, p, root, None, None, Some(&now), "scan")
                }
                Some(b) => self.compare(p, root, b, &now, "scan"),
            }
        }
        self.record(key, now);
    }

    fn record(&mut self, key: String, st: FileState) {
        if !self.baseline.contains_key(&key) && self.baseline.len() >= self.cfg.max_files {
            self.em.count_drop(Drop::BaselineFull, 1);
            return;
        }
        if self.baseline.get(&key) != Some(&st) {
            self.baseline.insert(key, st);
            self.dirty = true;
        }
    }

    fn forget(&mut self, key: &str) -> Option<FileState> {
        let r = self.baseline.remove(key);
        self.dirty |= r.is_some();
        r
    }

    /// Emits content/mode/owner differences between `before` and `now`.
    fn compare(&self, p: &Path, root: usize, before: &FileState, now: &FileState, how: &str) {
        if before.sha256 != now.sha256 || before.size != now.size {
            self.file_event(
                FileAction::Write,
                p,
                root,
                None,
                Some(before),
                Some(now),
                how,
            );
        }
        if before.mode != now.mode {
            self.file_event(
                FileAction::Chmod,
                p,
                root,
                None,
                Some(before),
                Some(now),
                how,
            );
        }
        if before.uid != now.uid || before.gid != now.gid {
            self.file_event(
                FileAction::Chown,
                p,
                root,
                None,
                Some(before),
                Some(now),
                how,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn file_event(
        &self,
        action: FileAction,
        p: &Path,
        root: usize,
        old: Option<&Path>,
        before: Option<&FileState>,
        after: Option<&FileState>,
        how: &str,
    ) {
        let r = self.root(root);
        let container = r.and_then(|r| r.container.as_ref().map(|c| (**c).clone()));
        let host = p.to_string_lossy().into_owned();
        let path = self.visible(p, root);
        let mut ev = Event::new(Utc::now(), EventKind::File, "inotify");
        ev.file = Some(FileInfo {
            action,
            host_path: container.is_some().then_some(host),
            path,
            old_path: old.map(|o| self.visible(o, root)),
            sha256_before: before.and_then(|b| b.sha256.clone()),
            sha256_after: after.and_then(|a| a.sha256.clone()),
            size: after.or(before).map(|s| s.size),
            mode: after.or(before).map(|s| s.mode),
            uid: after.or(before).map(|s| s.uid),
            gid: after.or(before).map(|s| s.gid),
        });
        if let (Some(b), Some(a)) = (before, after) {
            if action == FileAction::Chmod {
                ev.labels
                    .insert("mode_before".into(), format!("{:o}", b.mode));
                ev.labels
                    .insert("mode_after".into(), format!("{:o}", a.mode));
            }
            if action == FileAction::Chown {
                ev.labels.insert("uid_before".into(), b.uid.to_string());
                ev.labels.insert("gid_before".into(), b.gid.to_string());
            }
        }
        if how != "inotify" {
            ev.labels.insert("detected_by".into(), how.into());
        }
        ev.container = container;
        match self.startup.borrow_mut().as_mut() {
            Some(held) => held.push(ev),
            None => self.em.emit(ev),
        }
    }

    fn handle(&mut self, e: InotifyEvent) {
        if e.mask & libc::IN_Q_OVERFLOW != 0 {
            self.em.count_drop(Drop::InotifyOverflow, 1);
            return;
        }
        if e.mask & libc::IN_IGNORED != 0 {
            self.wds.remove(&e.wd);
            return;
        }
        let Some(w) = self.wds.get(&e.wd) else { return };
        let (root, recursive) = (w.root, w.recursive);
        let full = w.dir.join(std::ffi::OsStr::from_bytes(&e.name));
        let is_dir = e.mask & libc::IN_ISDIR != 0;
        if !recursive && !self.explicit.contains(&full) {
            return;
        }
        let key = full.to_string_lossy().into_owned();
        if is_dir {
            if e.mask & libc::IN_MOVED_FROM != 0 {
                self.pending_moves
                    .insert(e.cookie, PendingMove::new(full, root, true));
            } else if e.mask & libc::IN_MOVED_TO != 0 {
                if let Some(PendingMove { path: old, .. }) = self.pending_moves.remove(&e.cookie) {
                    self.rename_dir(&old, &full);
                    self.file_event(
                        FileAction::Rename,
                        &full,
                        root,
                        Some(&old),
                        None,
                        None,
                        "inotify",
                    );
                } else {
                    self.add_tree(&full, root, true, &mut HashSet::new());
                }
            } else if e.mask & libc::IN_CREATE != 0 && recursive {
                self.add_tree(&full, root, true, &mut HashSet::new());
            } else if e.mask & libc::IN_DELETE != 0 {
                let prefix = format!("{key}/");
                let gone = self.keys_under(&prefix);
                for k in gone {
                    self.forget(&k);
                }
            }
            return;
        }
        if !self.included(&full, root) {
            return;
        }
        let max = self.cfg.max_hash_bytes;
        let event = |s: &Self, action, old: Option<&Path>, before, after| {
            s.file_event(action, &full, root, old, before, after, "inotify")
        };
        // Events are handled after the fact: a file may already be gone (or changed again) when
        // its event is read. Such an event is still reported, without the state it no longer has.
        if e.mask & libc::IN_CREATE != 0 {
            let st = stat_state(&full, max, false);
            event(self, FileAction::Create, None, None, st.as_ref());
            if let Some(st) = st {
                self.record(key, st);
            }
        } else if e.mask & libc::IN_CLOSE_WRITE != 0 {
            let before = self.baseline.get(&key).cloned();
            let now = stat_state(&full, max, true);
            event(self, FileAction::Write, None, before.as_ref(), now.as_ref());
            if let Some(now) = now {
                self.record(key, now);
            }
        } else if e.mask & libc::IN_DELETE != 0 {
            let before = self.forget(&key);
            event(self, FileAction::Delete, None, before.as_ref(), None);
        } else if e.mask & libc::IN_MOVED_FROM != 0 {
            self.pending_moves
                .insert(e.cookie, PendingMove::new(full, root, false));
        } else if e.mask & libc::IN_MOVED_TO != 0 {
            let now = stat_state(&full, max, true);
            match self.pending_moves.remove(&e.cookie) {
                Some(PendingMove { path: old, .. }) => {
                    let before = self.forget(&old.to_string_lossy());
                    event(
                        self,
                        FileAction::Rename,
                        Some(&old),
                        before.as_ref(),
                        now.as_ref(),
                    );
                }
                None => {
                    event(self, FileAction::Create, None, None, now.as_ref());
                }
            }
            if let Some(now) = now {
                self.record(key, now);
            }
        } else if e.mask & libc::IN_ATTRIB != 0 {
            let Some(now) = stat_state(&full, max, false) else {
                return;
            };
            match self.baseline.get(&key).cloned() {
                Some(b) => {
                    let now = FileState {
                        sha256: b.sha256.clone(),
                        size: b.size,
                        ..now
                    };
                    if b.mode != now.mode {
                        event(self, FileAction::Chmod, None, Some(&b), Some(&now));
                    }
                    if b.uid != now.uid || b.gid != now.gid {
                        event(self, FileAction::Chown, None, Some(&b), Some(&now));
                    }
                    self.record(key, now);
                }
                None => {
                    if let Some(st) = stat_state(&full, max, true) {
                        self.record(key, st);
                    }
                }
            }
        }
    }

    /// The baseline's paths under `prefix` (a directory followed by `/`).
    fn keys_under(&self, prefix: &str) -> Vec<String> {
        self.baseline
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn rename_dir(&mut self, old: &Path, new: &Path) {
        for w in self.wds.values_mut() {
            if let Ok(rest) = w.dir.strip_prefix(old) {
                w.dir = new.join(rest);
            }
        }
        let prefix = format!("{}/", old.to_string_lossy());
        let moved = self.keys_under(&prefix);
        for k in moved {
            if let Some(st) = self.forget(&k) {
                let nk = format!("{}/{}", new.to_string_lossy(), &k[prefix.len()..]);
                self.record(nk, st);
            }
        }
    }

    /// Moves whose other half never came: the file left the monitored tree.
    fn flush_moves(&mut self, older_than: Duration) {
        let stale: Vec<u32> = self
            .pending_moves
            .iter()
            .filter(|(_, v)| v.since.elapsed() >= older_than)
            .map(|(k, _)| *k)
            .collect();
        for c in stale {
            if let Some(PendingMove {
                path: p,
                root,
                is_dir,
                ..
            }) = self.pending_moves.remove(&c)
            {
                let key = p.to_string_lossy().into_owned();
                if is_dir {
                    let prefix = format!("{key}/");
                    let gone = self.keys_under(&prefix);
                    for k in gone {
                        self.forget(&k);
                    }
                    let dead: Vec<i32> = self
                        .wds
                        .iter()
                        .filter(|(_, w)| w.dir.starts_with(&p))
                        .map(|(k, _)| *k)
                        .collect();
                    for wd in dead {
                        self.rm_watch(wd);
                    }
                } else {
                    let before = self.forget(&key);
                    self.file_event(
                        FileAction::Delete,
                        &p,
                        root,
                        None,
                        before.as_ref(),
                        None,
                        "inotify",
                    );
                }
            }
        }
    }

    fn rm_watch(&mut self, wd: i32) {
        // SAFETY: fd is our inotify descriptor; an unknown wd only yields EINVAL.
        unsafe { libc::inotify_rm_watch(self.fd.as_raw_fd(), wd) };
        self.wds.remove(&wd);
    }

    fn save(&mut self) {
        self.em
            .shared
            .counters
            .fim_files
            .store(self.baseline.len() as u64, Ordering::Relaxed);
        if !self.dirty {
            return;
        }
        let Some(path) = &self.baseline_path else {
            self.dirty = false;
            return;
        };
        let tmp = path.with_extension("json.tmp");
        let ok = serde_json::to_vec(&self.baseline)
            .ok()
            .and_then(|b| std::fs::write(&tmp, b).ok())
            .and_then(|()| std::fs::rename(&tmp, path).ok())
            .is_some();
        if ok {
            self.dirty = false;
        } else {
            tracing::warn!(
                "cannot write the file-integrity baseline {}",
                path.display()
            );
        }
    }

    fn container_note(&mut self, n: ContainerNote) {
        match n {
            ContainerNote::Started { info, pid } => {
                if self.cfg.container_paths.is_empty()
                    || self.container_roots.contains_key(&info.id)
                {
                    return;
                }
                let Some(base) = procfs::host_root_of(pid) else {
                    return;
                };
                let base = base.trim_end_matches('/').to_string();
                let idx = self.roots.len();
                self.roots.push(Some(Root {
                    base: base.clone(),
                    container: Some(Arc::clone(&info)),
                }));
                self.container_roots.insert(info.id.clone(), idx);
                for p in self.cfg.container_paths.clone() {
                    let dir = PathBuf::from(format!("{base}/{}", p.trim_start_matches('/')));
                    self.add_tree(&dir, idx, false, &mut HashSet::new());
                }
            }
            ContainerNote::Stopped { id } => {
                let Some(idx) = self.container_roots.remove(&id) else {
                    return;
                };
                let dead: Vec<i32> = self
                    .wds
                    .iter()
                    .filter(|(_, w)| w.root == idx)
                    .map(|(k, _)| *k)
                    .collect();
                for wd in dead {
                    self.rm_watch(wd);
                }
                if let Some(Some(r)) = self.roots.get(idx) {
                    let prefix = format!("{}/", r.base);
                    let gone = self.keys_under(&prefix);
                    for k in gone {
                        self.forget(&k);
                    }
                }
                if let Some(slot) = self.roots.get_mut(idx) {
                    *slot = None;
                }
            }
        }
    }

    fn run(&mut self) {
        let mut buf = vec![0u8; 64 * 1024];
        let mut last_save = Instant::now();
        while !self.em.stopped() {
            while let Ok(n) = self.notes.try_recv() {
                self.container_note(n);
            }
            // Idle, one wakeup a second (container notes, the baseline's save); 200 ms while a
            // rename waits for its other half.
            let timeout = if self.pending_moves.is_empty() {
                Duration::from_secs(1)
            } else {
                Duration::from_millis(200)
            };
            if self.em.shared.wait_readable(self.fd.as_raw_fd(), timeout) {
                let mut pending: libc::c_int = 0;
                // SAFETY: FIONREAD writes one c_int.
                unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::FIONREAD, &mut pending) };
                self.em
                    .shared
                    .counters
                    .queue(Queue::Inotify, pending.max(0) as u64);
                // SAFETY: buf is valid and writable for its length.
                let n =
                    unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n > 0 {
                    for e in parse_inotify(&buf[..n as usize]) {
                        self.handle(e);
                    }
                }
            }
            self.flush_moves(Duration::from_millis(300));
            if last_save.elapsed() > Duration::from_secs(5) {
                last_save = Instant::now();
                self.save();
            }
        }
        self.flush_moves(Duration::ZERO);
        self.save();
    }
}

fn load_baseline(path: &Path) -> Option<BTreeMap<String, FileState>> {
    let b = std::fs::read(path).ok()?;
    match serde_json::from_slice(&b) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!("ignoring unreadable baseline {}: {e}", path.display());
            None
        }
    }
}

pub(crate) fn start(
    config: &SensorConfig,
    em: Emitter,
    notes: Receiver<ContainerNote>,
    caps: &mut Capabilities,
) -> Result<Option<JoinHandle<()>>, SensorError> {
    let cfg = config.files.clone();
    if !cfg.enabled || (cfg.paths.is_empty() && cfg.container_paths.is_empty()) {
        caps.disabled("files");
        return Ok(None);
    }
    let baseline_path = match &config.state_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|source| SensorError::StateDir {
                path: d.display().to_string(),
                source,
            })?;
            Some(d.join(BASELINE_FILE))
        }
        None => None,
    };
    // SAFETY: inotify_init1 has no memory-safety preconditions and returns a new descriptor
    // or -1.
    let fd = match unsafe { owned_fd(libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK)) } {
        Ok(fd) => fd,
        Err(e) => {
            caps.unavailable("files", format!("inotify unavailable: {e}"));
            return Ok(None);
        }
    };
    let parse = |v: &[String]| {
        v.iter()
            .filter_map(|g| glob::Pattern::new(g).ok())
            .collect::<Vec<_>>()
    };
    let stored = baseline_path.as_deref().and_then(load_baseline);
    let have_baseline = stored.is_some();
    let mut fim = Fim {
        em,
        fd,
        include: parse(&cfg.include),
        exclude: parse(&cfg.exclude),
        explicit: HashSet::new(),
        wds: HashMap::new(),
        roots: vec![Some(Root {
            base: String::new(),
            container: None,
        })],
        container_roots: HashMap::new(),
        baseline: stored.unwrap_or_default(),
        baseline_path,
        dirty: false,
        pending_moves: HashMap::new(),
        notes,
        cfg,
        startup: std::cell::RefCell::new(Some(Vec::new())),
    };
    let mut note = match (&fim.baseline_path, have_baseline) {
        (None, _) => Some("no state_dir: the baseline is kept in memory only, changes made while the agent was stopped are not reported".to_string()),
        _ => None,
    };
    // Initial scan: watches, hashes, and differences with the persisted baseline.
    let mut seen = HashSet::new();
    let mut missing = Vec::new();
    for p in fim.cfg.paths.clone() {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fim.add_tree(&p, 0, have_baseline, &mut seen),
            Ok(_) => {
                fim.explicit.insert(p.clone());
                if let Some(parent) = p.parent()
                    && !fim.wds.values().any(|w| w.dir == parent)
                {
                    fim.add_watch(parent, 0, false);
                }
                fim.scan_file(&p, 0, have_baseline, &mut seen);
            }
            Err(_) => missing.push(p.display().to_string()),
        }
    }
    if have_baseline {
        let roots: Vec<String> = fim
            .cfg
            .paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let gone: Vec<String> = fim
            .baseline
            .keys()
            .filter(|k| !seen.contains(*k) && roots.iter().any(|r| k.starts_with(r.as_str())))
            .cloned()
            .collect();
        for k in gone {
            let before = fim.forget(&k);
            fim.file_event(
                FileAction::Delete,
                Path::new(&k),
                0,
                None,
                before.as_ref(),
                None,
                "scan",
            );
        }
    }
    fim.dirty = true;
    fim.save();
    let held = fim.startup.borrow_mut().take().unwrap_or_default();
    if !missing.is_empty() {
        let m = format!("not monitored (missing): {}", missing.join(", "));
        note = Some(match note {
            Some(n) => format!("{n}; {m}"),
            None => m,
        });
    }
    caps.set("files", true, "inotify", note);
    let t = std::thread::Builder::new()
        .name("outpost-fim".into())
        .spawn(move || {
            for ev in held {
                fim.em.emit_paced(ev);
            }
            fim.run()
        })
        .map_err(|source| SensorError::Spawn {
            collector: "files",
            source,
        })?;
    Ok(Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw(wd: i32, mask: u32, cookie: u32, name: &[u8], pad: usize) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&wd.to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&cookie.to_ne_bytes());
        v.extend_from_slice(&((name.len() + pad) as u32).to_ne_bytes());
        v.extend_from_slice(name);
        v.extend(std::iter::repeat_n(0, pad));
        v
    }

    #[test]
    fn inotify_records() {
        let mut b = raw(1, libc::IN_CREATE, 0, b"a.txt", 11);
        b.extend(raw(2, libc::IN_MOVED_TO, 7, b"", 0));
        let v = parse_inotify(&b);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, b"a.txt");
        assert_eq!(v[1].cookie, 7);
        assert!(v[1].name.is_empty());
        assert_eq!(parse_inotify(&b[..20]).len(), 0, "truncated name");
    }

    #[test]
    fn hashes_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p, 10).as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(sha256_file(&p, 2), None, "over the size limit");
    }

    #[test]
    fn globs_with_literal_separator() {
        let p = glob::Pattern::new("**/*.swp").unwrap();
        assert!(p.matches_with("/etc/x/.a.swp", GLOB_OPTS));
        let p = glob::Pattern::new("/etc/*.conf").unwrap();
        assert!(p.matches_with("/etc/a.conf", GLOB_OPTS));
        assert!(!p.matches_with("/etc/sub/a.conf", GLOB_OPTS));
    }

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            for e in parse_inotify(&b) { prop_assert!(e.name.len() <= b.len()); }
        }
    }
}
