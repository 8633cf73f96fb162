//! Self-update. A check-in may name the release this device should run
//! ([`UpdateOffer`]). The daemon then:
//!
//! 1. decides: the same version is nothing to do; a release it refused or rolled back before
//!    is not tried again; an older one is refused unless the rollout is a rollback; without a
//!    pinned release key nothing is installed;
//! 2. downloads the file from `/api/v1/releases/{id}/download` into memory (at most the
//!    announced size + 1 bytes) and checks size, SHA-256 and the release key's signature of
//!    the statement (platform, version, size, digest) — **before** writing any executable
//!    byte (`outpost_intel::release::verify_file`);
//! 3. writes it beside the running binary ([`STAGED_NAME`]: `.outpost.new`, mode 0755;
//!    `.outpost.new.exe` on Windows) and stops its pipeline (buffer flushed, data directory
//!    unlocked);
//! 4. runs it **on trial** with the same arguments (the Windows service: `agent run` with its
//!    data directory, see [`set_relaunch`]) and `OUTPOST_UPDATE_TRIAL=1`: the new build
//!    runs the daemon on the same data directory (device id, spool, buffer) and, at its first
//!    successful check-in, writes `update-trial-ok` and exits. A build that exits first, or
//!    does not check in within `[daemon] update_health_secs`, is stopped and reported
//!    `rolled_back`: the installed binary was never replaced, so the previous build simply
//!    carries on (also under systemd: a crash-looping build is never the unit's binary);
//! 5. after a healthy trial, installs ([`install_binary`]): on Unix atomically, the running
//!    binary is linked as `<binary>.prev` (the rollback copy) and the new file renamed over
//!    it; then the daemon re-executes itself (same pid, arguments and data directory). On
//!    Windows a running `.exe` can be renamed but neither replaced nor deleted: `outpost.exe`
//!    is renamed `outpost.exe.prev` and the new file renamed into its place (put back if that
//!    fails); the service then hands over to the new binary through a detached
//!    `outpost agent service-restart` (the SCM starts it again), a console `agent run` starts
//!    the new binary with its own arguments and exits.
//!
//! A start finds what an interrupted update left: a trial in progress is reported
//! `rolled_back`, a staged file is removed ([`recover`]).
//!
//! Every outcome (`installed`, `refused`, `failed`, `rolled_back`, with its reason) is kept in
//! `update-state.json`, counted, and reported at every check-in.

use crate::state::write_atomic;
use outpost_core::api::{UpdateOffer, UpdateReport};
use outpost_intel::release::{ReleaseStatement, compare_versions, verify_file};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Written by a build on trial at its first healthy check-in.
pub const TRIAL_OK: &str = crate::DataDir::UPDATE_TRIAL_OK;
/// Set in the environment of a build on trial.
pub const TRIAL_ENV: &str = "OUTPOST_UPDATE_TRIAL";
/// Releases remembered as refused or failed (not tried again).
const MAX_DONE: usize = 64;
/// The verified release beside the running binary, before and during its trial (Windows
/// starts only `.exe` files).
pub const STAGED_NAME: &str = if cfg!(windows) {
    ".outpost.new.exe"
} else {
    ".outpost.new"
};

/// How a build on trial is started when it is not with this process's own arguments.
#[derive(Debug, Clone)]
struct Relaunch {
    args: Vec<OsString>,
    log: Option<PathBuf>,
}

static RELAUNCH: std::sync::OnceLock<Relaunch> = std::sync::OnceLock::new();

/// Sets the arguments a build on trial gets (instead of this process's own) and where its
/// output goes (instead of this process's stdout/stderr; the file is truncated). The Windows
/// service sets `agent run --data-dir DIR` and a log file: `agent service` only runs when the
/// Service Control Manager starts it, and a service has no console.
pub fn set_relaunch(args: Vec<OsString>, log: Option<PathBuf>) {
    let _ = RELAUNCH.set(Relaunch { args, log });
}

fn trial_command(new: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(new);
    match RELAUNCH.get() {
        Some(r) => {
            cmd.args(&r.args);
            if let Some(f) = r.log.as_deref().and_then(|p| {
                p.parent().map(std::fs::create_dir_all);
                std::fs::File::create(p).ok()
            }) && let Ok(f2) = f.try_clone()
            {
                cmd.stdout(f).stderr(f2);
            }
        }
        None => {
            cmd.args(std::env::args_os().skip(1));
        }
    }
    cmd.env(TRIAL_ENV, "1");
    cmd
}

/// Why a release for `offer` (os, arch) cannot run on `running` (os, arch), if it cannot.
/// Every platform installs releases built for it (Linux, Windows).
pub fn platform_refusal(offer: (&str, &str), running: (&str, &str)) -> Option<String> {
    (offer != running).then(|| {
        format!(
            "release is for {} {}; this agent runs on {} {}",
            offer.0, offer.1, running.0, running.1
        )
    })
}

/// The rollback copy of `exe`: `<exe>.prev` (`outpost.exe.prev` on Windows).
pub fn prev_path(exe: &Path) -> PathBuf {
    let mut p = exe.as_os_str().to_owned();
    p.push(".prev");
    PathBuf::from(p)
}

/// `update-state.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateState {
    /// The last attempt's outcome (reported at every check-in).
    pub last: Option<UpdateReport>,
    /// Releases that failed here: never tried again.
    pub done: Vec<String>,
    /// Counts of outcomes.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// A trial in progress (release id, staged file): found at a start, it was interrupted.
    pub trial: Option<(String, String, PathBuf)>,
}

impl UpdateState {
    pub fn load(data_dir: &Path) -> UpdateState {
        std::fs::read(crate::DataDir::new(data_dir).update_state())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save(&self, data_dir: &Path) {
        let r = serde_json::to_vec(self)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                write_atomic(&crate::DataDir::new(data_dir).update_state(), &b, false)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = r {
            tracing::error!(error = %e, "cannot save update-state.json");
        }
    }
}

/// Records an outcome: counted, reported, and (unless installed) never tried again.
pub fn record(
    data_dir: &Path,
    release_id: &str,
    version: &str,
    outcome: &str,
    reason: Option<String>,
) {
    let mut st = UpdateState::load(data_dir);
    match &reason {
        Some(r) => {
            tracing::warn!(release = release_id, version, outcome, reason = %r, "agent update")
        }
        None => tracing::info!(release = release_id, version, outcome, "agent update"),
    }
    *st.counts.entry(outcome.to_string()).or_default() += 1;
    if outcome != "installed" && !st.done.iter().any(|d| d == release_id) {
        st.done.push(release_id.to_string());
        if st.done.len() > MAX_DONE {
            st.done.remove(0);
        }
    }
    st.last = Some(UpdateReport {
        release_id: release_id.to_string(),
        version: version.to_string(),
        outcome: outcome.to_string(),
        reason,
        at: chrono::Utc::now(),
    });
    st.trial = None;
    st.save(data_dir);
}

/// A verified release written beside the running binary, ready for its trial.
#[derive(Debug, Clone)]
pub struct Staged {
    pub offer: UpdateOffer,
    pub exe: PathBuf,
    pub new: PathBuf,
}

/// Whether this process is a build on trial.
pub fn on_trial() -> bool {
    std::env::var_os(TRIAL_ENV).is_some()
}

/// Handles a check-in's offer: `Some` when a verified release is staged for its trial.
pub fn consider(
    data_dir: &Path,
    key: Option<&str>,
    server_url: &str,
    token: &str,
    offer: &UpdateOffer,
) -> Option<Staged> {
    let running = outpost_core::version();
    if offer.version == running || on_trial() {
        return None;
    }
    let st = UpdateState::load(data_dir);
    if st.done.contains(&offer.release_id) {
        return None;
    }
    let refuse = |outcome: &str, why: String| {
        record(
            data_dir,
            &offer.release_id,
            &offer.version,
            outcome,
            Some(why),
        );
        None
    };
    let platform = (std::env::consts::OS, std::env::consts::ARCH);
    if let Some(why) = platform_refusal((&offer.os, &offer.arch), platform) {
        return refuse("refused", why);
    }
    let Some(key) = key else {
        return refuse(
            "refused",
            "no release key pinned (enroll with a server that has [releases] public_key)".into(),
        );
    };
    if compare_versions(&offer.version, running).is_lt() && !offer.rollback {
        return refuse(
            "refused",
            format!(
                "version {} is older than the running {running} and no rollback was ordered",
                offer.version
            ),
        );
    }
    let bytes = match download(server_url, token, offer) {
        Ok(b) => b,
        Err(e) => {
            // A network failure is not the release's fault: tried again at the next check-in.
            tracing::warn!(release = %offer.release_id, error = %e, "cannot download the release");
            return None;
        }
    };
    let stmt = ReleaseStatement {
        os: &offer.os,
        arch: &offer.arch,
        version: &offer.version,
        size: offer.size,
        sha256: &offer.sha256,
    };
    if let Err(e) = verify_file(key, &stmt, &offer.signature, &bytes) {
        return refuse("refused", e.to_string());
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return refuse("failed", format!("cannot locate the running binary: {e}")),
    };
    let new = exe.with_file_name(STAGED_NAME);
    if let Err(e) = write_executable(&new, &bytes) {
        let _ = std::fs::remove_file(&new);
        return refuse("failed", format!("cannot write {}: {e}", new.display()));
    }
    tracing::info!(release = %offer.release_id, version = %offer.version, "release verified and staged for its trial");
    Some(Staged {
        offer: offer.clone(),
        exe,
        new,
    })
}

fn download(server_url: &str, token: &str, offer: &UpdateOffer) -> Result<Vec<u8>, String> {
    let options = outpost_http::ClientOptions {
        timeout: Duration::from_secs(600),
        user_agent: None,
    };
    // One byte more than announced: a longer file is refused by the size check.
    outpost_http::ApiClient::with_options(server_url, &options)
        .with_token(token)
        .get_bytes(
            &format!("/api/v1/releases/{}/download", offer.release_id),
            offer.size + 1,
        )
        .map_err(|e| e.to_string())
}

fn write_executable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o755);
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// At a start: an interrupted trial (the previous process died during it) is reported
/// `rolled_back`, and a staged file left beside the binary (an update interrupted before or
/// during its trial) is removed. The rollback copy `<binary>.prev` is kept.
pub fn recover(data_dir: &Path) {
    let _ = std::fs::remove_file(crate::DataDir::new(data_dir).update_trial_ok());
    if on_trial() {
        return;
    }
    if let Some((id, version, new)) = UpdateState::load(data_dir).trial {
        let _ = std::fs::remove_file(&new);
        record(
            data_dir,
            &id,
            &version,
            "rolled_back",
            Some("the agent stopped during the release's health window".into()),
        );
    }
    if let Ok(exe) = std::env::current_exe() {
        let staged = exe.with_file_name(STAGED_NAME);
        match std::fs::remove_file(&staged) {
            Ok(()) => {
                tracing::info!(file = %staged.display(), "removed a staged release left by an interrupted update")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %staged.display(), error = %e, "cannot remove a staged release left by an interrupted update")
            }
        }
    }
}

/// Puts `new` (verified, healthy on trial) in place of the binary `exe`, keeping the running
/// one as [`prev_path`] (an older `.prev` is replaced). Unix: `exe` is linked as `.prev` and
/// `new` renamed over it (atomic: `exe` always names a whole binary). Windows: a running
/// `.exe` can be renamed but neither replaced nor deleted, so `exe` is renamed `.prev` and
/// `new` renamed into its place (`MoveFileEx`); if that fails `.prev` is renamed back.
pub fn install_binary(exe: &Path, new: &Path) -> std::io::Result<()> {
    let prev = prev_path(exe);
    match std::fs::remove_file(&prev) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("cannot remove the old {}: {e}", prev.display()),
            ));
        }
    }
    if cfg!(unix) {
        std::fs::hard_link(exe, &prev).or_else(|_| std::fs::copy(exe, &prev).map(|_| ()))?;
        std::fs::rename(new, exe)?;
    } else {
        std::fs::rename(exe, &prev)?;
        if let Err(e) = std::fs::rename(new, exe) {
            if let Err(back) = std::fs::rename(&prev, exe) {
                tracing::error!(error = %back, prev = %prev.display(), "cannot rename the previous binary back");
            }
            return Err(e);
        }
    }
    if let Some(dir) = exe.parent() {
        let _ = crate::state::sync_dir(dir);
    }
    Ok(())
}

/// Runs the staged release on trial (the caller has stopped its pipeline and unlocked the
/// data directory) and, when it checked in healthy, installs it. Returns the binary to
/// re-execute.
pub fn trial_and_install(data_dir: &Path, s: &Staged, health: &Health) -> Option<PathBuf> {
    let window = health.window;
    let o = &s.offer;
    let mut st = UpdateState::load(data_dir);
    st.trial = Some((o.release_id.clone(), o.version.clone(), s.new.clone()));
    st.save(data_dir);
    let ok = crate::DataDir::new(data_dir).update_trial_ok();
    let _ = std::fs::remove_file(&ok);
    let fail = |why: String| {
        let _ = std::fs::remove_file(&s.new);
        record(
            data_dir,
            &o.release_id,
            &o.version,
            "rolled_back",
            Some(why),
        );
        None
    };
    let mut child = match trial_command(&s.new).spawn() {
        Ok(c) => c,
        Err(e) => return fail(format!("the release does not start: {e}")),
    };
    // The trial ends with this process (on Windows a stopped service would leave it running,
    // holding the data directory's lock: see `bind_child`).
    let _bound = outpost_platform::processes::bind_child(&child)
        .map_err(|e| tracing::warn!(error = %e, "the release on trial is not bound to this process: it may outlive it"))
        .ok();
    tracing::info!(version = %o.version, pid = child.id(), secs = window.as_secs(), "release on trial");
    let started = Instant::now();
    let mut deadline = started + window;
    let mut checked_in = false;
    let mut caps = crate::governor::Governor::new(health.max_cpu_percent, health.max_rss_mib);
    let mut sampled = started;
    let mut over_caps = None;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {
                if sampled.elapsed() >= Duration::from_secs(1) {
                    sampled = Instant::now();
                    over_caps = health.judge(&mut caps, started, child.id());
                    if over_caps.is_some() {
                        break None;
                    }
                }
                // Healthy: the build stops by itself (a last pass, the buffer flushed).
                if !checked_in && ok.exists() {
                    checked_in = true;
                    deadline = Instant::now() + Duration::from_secs(60);
                }
                if Instant::now() >= deadline {
                    break None;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(_) => break None,
        }
    };
    let healthy = std::fs::read_to_string(&ok).is_ok_and(|v| v.trim() == o.version);
    let _ = std::fs::remove_file(&ok);
    match status {
        Some(st) if st.success() && healthy => {}
        Some(st) => {
            return fail(format!(
                "the release exited ({st}) without a healthy check-in"
            ));
        }
        None => {
            let _ = child.kill();
            let _ = child.wait();
            if let Some(why) = over_caps {
                return fail(why);
            }
            if !healthy {
                return fail(format!(
                    "no healthy check-in within the health window ({} s)",
                    window.as_secs()
                ));
            }
            tracing::warn!("the release checked in healthy but did not stop; stopped it");
        }
    }
    if let Err(e) = install_binary(&s.exe, &s.new) {
        return fail(format!("cannot install beside {}: {e}", s.exe.display()));
    }
    record(data_dir, &o.release_id, &o.version, "installed", None);
    Some(s.exe.clone())
}

/// What a release on trial must meet: check in healthy within `window`, and stay within the
/// daemon's own caps (`[daemon] max_cpu_percent`, averaged over the governor's window, and
/// `max_rss_mib`) the whole time it runs.
#[derive(Debug, Clone)]
pub struct Health {
    pub window: Duration,
    pub max_cpu_percent: f64,
    pub max_rss_mib: u64,
}

impl Health {
    /// The health rule of this configuration (a window under 5 s is taken as 5 s).
    pub fn of(daemon: &crate::config::DaemonConfig) -> Health {
        Health {
            window: Duration::from_secs(daemon.update_health_secs.max(5)),
            max_cpu_percent: daemon.max_cpu_percent,
            max_rss_mib: daemon.max_rss_mib,
        }
    }

    /// One sample of the trial's usage; the reason to stop it when it is over a cap. CPU is
    /// judged once a whole governor window has passed (a start-up burst alone is not a
    /// failure, as it does not make the daemon shed either); memory at every sample.
    fn judge(
        &self,
        caps: &mut crate::governor::Governor,
        started: Instant,
        pid: u32,
    ) -> Option<String> {
        use crate::governor::{Verdict, WINDOW};
        let (rss_kib, cpu_ms) = outpost_platform::process_usage(pid);
        match caps.observe(Instant::now(), cpu_ms, rss_kib) {
            Verdict::ShedMemory => Some(format!(
                "the release exceeded the memory cap: {} MiB resident > max_rss_mib {}",
                rss_kib.unwrap_or(0) / 1024,
                self.max_rss_mib
            )),
            Verdict::ShedCpu if started.elapsed() >= WINDOW => Some(format!(
                "the release exceeded the CPU cap: over max_cpu_percent {} % of a core for {} s",
                self.max_cpu_percent,
                WINDOW.as_secs()
            )),
            _ => None,
        }
    }
}

/// A build on trial calls this at its first successful check-in.
pub fn trial_checked_in(data_dir: &Path) {
    if let Err(e) = std::fs::write(
        crate::DataDir::new(data_dir).update_trial_ok(),
        outpost_core::version(),
    ) {
        tracing::error!(error = %e, "cannot record the healthy check-in of the trial");
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::Health;
    use crate::governor::{Governor, WINDOW};
    use std::time::{Duration, Instant};

    /// A trial that spins a core is over a 5 % CPU cap once a governor window has passed since
    /// its start, and forgiven before (a start-up burst); memory is judged at once.
    #[test]
    fn a_trial_over_its_cpu_cap_is_judged_after_a_window_and_over_its_memory_cap_at_once() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .expect("sh");
        let health = Health {
            window: Duration::from_secs(30),
            max_cpu_percent: 5.0,
            max_rss_mib: 0,
        };
        let long_ago = Instant::now()
            .checked_sub(WINDOW + Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        let just_now = Instant::now();
        let (mut old, mut new) = (Governor::new(5.0, 0), Governor::new(5.0, 0));
        let pid = child.id();
        assert_eq!(health.judge(&mut old, long_ago, pid), None);
        assert_eq!(health.judge(&mut new, just_now, pid), None);
        std::thread::sleep(Duration::from_millis(1500));
        let verdict = health.judge(&mut old, long_ago, pid);
        let early = health.judge(&mut new, just_now, pid);
        let memory = Health {
            max_cpu_percent: 0.0,
            max_rss_mib: 1,
            ..health.clone()
        }
        .judge(&mut Governor::new(0.0, 1), just_now, std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            verdict.as_deref().is_some_and(|v| v.contains("CPU cap")),
            "{verdict:?}"
        );
        assert_eq!(early, None, "judged before a whole window had passed");
        assert!(
            memory.as_deref().is_some_and(|v| v.contains("memory cap")),
            "{memory:?}"
        );
    }
}

#[cfg(test)]
mod decision_tests {
    use super::{STAGED_NAME, UpdateState, consider, install_binary, platform_refusal, prev_path};
    use outpost_core::api::UpdateOffer;

    fn offer(os: &str, arch: &str) -> UpdateOffer {
        UpdateOffer {
            release_id: format!("rel-{os}-{arch}"),
            version: "999.0.0".into(),
            os: os.into(),
            arch: arch.into(),
            size: 4,
            sha256: "00".repeat(32),
            signature: "00".repeat(64),
            rollback: false,
        }
    }

    fn last_refusal(dir: &std::path::Path) -> (String, String) {
        let last = UpdateState::load(dir).last.expect("an outcome recorded");
        (last.outcome, last.reason.unwrap_or_default())
    }

    /// Regression (Windows self-update): every offer was refused on Windows ("self-update is
    /// Linux/Unix only"). A release for this very platform now goes on to the next check (here
    /// the missing release key), on Linux and on Windows alike (this test also runs under Wine,
    /// scripts/windows-agent.sh).
    #[test]
    fn a_release_for_this_platform_is_considered_on_every_os() {
        let dir = tempfile::tempdir().unwrap();
        let (os, arch) = (std::env::consts::OS, std::env::consts::ARCH);
        assert_eq!(platform_refusal((os, arch), (os, arch)), None);
        assert_eq!(
            platform_refusal(("windows", "x86_64"), ("windows", "x86_64")),
            None
        );
        let o = offer(os, arch);
        assert!(consider(dir.path(), None, "http://127.0.0.1:9", "t", &o).is_none());
        let (outcome, reason) = last_refusal(dir.path());
        assert_eq!(outcome, "refused");
        assert!(reason.contains("no release key pinned"), "{reason}");
    }

    /// A release for another OS or architecture is still refused, with both platforms named,
    /// and never downloaded (no server answers on the address given).
    #[test]
    fn a_release_for_another_os_or_arch_is_refused() {
        let (os, arch) = (std::env::consts::OS, std::env::consts::ARCH);
        let other_os = if os == "windows" { "linux" } else { "windows" };
        let other_arch = if arch == "aarch64" {
            "x86_64"
        } else {
            "aarch64"
        };
        for (o_os, o_arch) in [(other_os, arch), (os, other_arch)] {
            let dir = tempfile::tempdir().unwrap();
            let o = offer(o_os, o_arch);
            assert!(
                consider(
                    dir.path(),
                    Some(&"11".repeat(32)),
                    "http://127.0.0.1:9",
                    "t",
                    &o
                )
                .is_none()
            );
            let (outcome, reason) = last_refusal(dir.path());
            assert_eq!(outcome, "refused");
            assert_eq!(
                reason,
                format!("release is for {o_os} {o_arch}; this agent runs on {os} {arch}")
            );
            assert!(UpdateState::load(dir.path()).done.contains(&o.release_id));
        }
    }

    /// The install keeps the running binary as `.prev` (replacing an older one) and puts the
    /// staged file in its place; nothing is left under the staged name.
    #[test]
    fn install_keeps_the_running_binary_as_prev_and_replaces_an_old_prev() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join(if cfg!(windows) {
            "outpost.exe"
        } else {
            "outpost"
        });
        let new = dir.path().join(STAGED_NAME);
        let prev = prev_path(&exe);
        std::fs::write(&exe, b"build A").unwrap();
        std::fs::write(&new, b"build B").unwrap();
        std::fs::write(&prev, b"build Z").unwrap();
        install_binary(&exe, &new).unwrap();
        assert_eq!(std::fs::read(&exe).unwrap(), b"build B");
        assert_eq!(std::fs::read(&prev).unwrap(), b"build A");
        assert!(!new.exists());
        // A failed install (nothing staged) leaves the installed binary in place.
        assert!(install_binary(&exe, &new).is_err());
        assert_eq!(std::fs::read(&exe).unwrap(), b"build B");
    }
}
