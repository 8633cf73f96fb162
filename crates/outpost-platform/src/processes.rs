//! Processes for the `process.list` and `process.kill` jobs.
//!
//! A process is named by its pid *and its start time* (`start_time`): on Linux the clock ticks
//! since boot of `/proc/PID/stat` field 22, on Windows the creation time of `GetProcessTimes`
//! (100 ns units since 1601). [`kill`] pins the process first (a pidfd, a process handle), then
//! compares the start time, then signals through the pin, so a pid reused in between is never
//! hit.

use std::path::Path;

/// One running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessEntry {
    /// Process id.
    pub pid: u32,
    /// Parent process id (0 when unknown).
    pub ppid: u32,
    /// Short name (`comm` on Linux, the image file name on Windows).
    pub name: String,
    /// State letter (`R`, `S`, …) where the system has one.
    pub state: Option<String>,
    /// Start time (see the module documentation); what `process.kill` must be given.
    pub start_time: u64,
    /// Numeric user id where the system has one.
    pub uid: Option<u32>,
    /// Full path of the executable when readable.
    pub exe: Option<String>,
    /// Command line arguments when readable (not on Windows).
    pub cmdline: Vec<String>,
}

/// The signal of a kill. On Windows both end the process (`TerminateProcess`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGKILL.
    Kill,
    /// SIGTERM.
    Term,
}

impl Signal {
    /// The POSIX signal number (reported in job results on every OS).
    pub fn number(self) -> i32 {
        match self {
            Signal::Kill => 9,
            Signal::Term => 15,
        }
    }
}

/// What [`kill`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Killed {
    /// The process's name.
    pub name: String,
    /// Its start time (equal to the expected one).
    pub start_time: u64,
}

/// Why a kill did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The process is gone, or its pid now belongs to another process.
    #[error("{0}")]
    Mismatch(String),
    /// A system call failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Every process this agent can see, by pid. `proc_root` is the proc filesystem on Linux (tests
/// point it elsewhere) and unused on Windows.
pub fn list(proc_root: &Path) -> Result<Vec<ProcessEntry>, ProcessError> {
    let mut v = crate::os::list_processes(proc_root)?;
    v.sort_by_key(|p| p.pid);
    Ok(v)
}

/// The start time of `pid` (see the module documentation).
pub fn start_time(proc_root: &Path, pid: u32) -> Result<u64, ProcessError> {
    crate::os::start_time(proc_root, pid)
}

pub use crate::os::kill;

/// A child process bound to this one by [`bind_child`]. Dropping it ends the binding — on
/// Windows by ending the child as well, if it still runs.
pub struct BoundChild {
    #[cfg(windows)]
    _job: crate::os::KillOnCloseJob,
}

/// Binds `child`'s life to this process's where the system does not already: on Windows the
/// child joins a job object that ends it when this process ends, whatever the way (a service
/// stopped by the SCM, a crash), or when the returned [`BoundChild`] is dropped. Without it, a
/// service stopped while its child runs leaves the child running — for the agent's trial run of
/// a new release, a second agent holding the data directory's lock, so that the restarted
/// service could not start. On Linux nothing is done: the agent's service manager stops the
/// unit's whole control group (systemd's default `KillMode=control-group`).
pub fn bind_child(child: &std::process::Child) -> std::io::Result<BoundChild> {
    #[cfg(windows)]
    {
        Ok(BoundChild {
            _job: crate::os::kill_on_close_job(child)?,
        })
    }
    #[cfg(not(windows))]
    {
        let _ = child;
        Ok(BoundChild {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc_root() -> &'static Path {
        Path::new("/proc")
    }

    /// A child process that lives until killed: this test binary itself, running the ignored
    /// `sleeper` test (`std` has no portable "sleep" command, and Wine has none).
    fn spawn_sleeper() -> std::process::Child {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "processes::tests::sleeper",
                "--nocapture",
            ])
            .env("OUTPOST_PLATFORM_SLEEPER", "1")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    #[test]
    #[ignore = "helper process of kill_checks_start_time"]
    fn sleeper() {
        if std::env::var_os("OUTPOST_PLATFORM_SLEEPER").is_some() {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }

    #[test]
    fn list_includes_self_with_start_time() {
        let all = list(proc_root()).unwrap();
        let me = all
            .iter()
            .find(|p| p.pid == std::process::id())
            .expect("own process listed");
        assert!(me.start_time > 0);
        assert_eq!(start_time(proc_root(), me.pid).unwrap(), me.start_time);
        let exe = std::env::current_exe().unwrap();
        let base = exe.file_name().unwrap().to_string_lossy().to_lowercase();
        assert!(base.starts_with(&me.name.to_lowercase()), "{me:?}");
    }

    /// A bound child ends when its binding is dropped on Windows (checked under Wine by
    /// `scripts/windows-agent.sh`); on Linux the binding changes nothing.
    #[test]
    fn a_bound_child_ends_with_its_binding_on_windows() {
        let mut child = spawn_sleeper();
        let bound = bind_child(&child).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(child.try_wait().unwrap().is_none(), "ended while bound");
        drop(bound);
        // Ended at once on Windows (10 s for a slow Wine); on Linux a second shows it lives on.
        let wait = std::time::Duration::from_secs(if cfg!(windows) { 10 } else { 1 });
        let deadline = std::time::Instant::now() + wait;
        let ended = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if std::time::Instant::now() >= deadline {
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        if cfg!(windows) {
            assert!(ended.is_some(), "the child outlived its job");
        } else {
            assert!(ended.is_none(), "unbinding ended the child: {ended:?}");
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    #[test]
    fn kill_checks_start_time() {
        let mut child = spawn_sleeper();
        let pid = child.id();
        let start = start_time(proc_root(), pid).unwrap();
        // Wrong start time (a "reused" pid): refused, the process lives on.
        let r = kill(proc_root(), pid, start + 1, Signal::Kill);
        assert!(matches!(r, Err(ProcessError::Mismatch(_))), "{r:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(child.try_wait().unwrap().is_none());
        // Right start time: killed.
        let k = kill(proc_root(), pid, start, Signal::Kill).unwrap();
        assert_eq!(k.start_time, start);
        let status = child.wait().unwrap();
        assert!(!status.success());
        drop(child);
        // Gone: a mismatch, not a crash.
        let r = kill(proc_root(), pid, start, Signal::Kill);
        assert!(matches!(r, Err(ProcessError::Mismatch(_))), "{r:?}");
    }
}
