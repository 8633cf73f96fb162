//! One process per data directory: `run-once`, the daemon and `ingest` each hold an exclusive
//! lock on `DATA_DIR/agent.lock` for as long as they run, so two of them never write the same
//! buffer, spool or `state.json` (a daemon and a run-once together would spool the same hits
//! twice under different batch ids). The lock is the operating system's (see `outpost_platform::lock`), so it goes away with the
//! process however it ends, and the holder's pid is in the file.

use crate::{AgentError, io_err};
use outpost_platform::lock::{LockError, lock_file};
use std::path::Path;

/// The lock file's name in the data directory.
pub const FILE: &str = crate::DataDir::LOCK;

/// Held while the value lives.
pub type DataDirLock = outpost_platform::lock::DirLock;

/// Takes the data directory's lock, or fails at once with [`AgentError::Locked`] naming the
/// holder's pid (the lock itself is `outpost_platform::lock`, shared with the server's outputs).
pub fn lock_data_dir(data_dir: &Path) -> Result<DataDirLock, AgentError> {
    std::fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
    let path = crate::DataDir::new(data_dir).lock();
    let lock = lock_file(&path).map_err(|e| match e {
        LockError::Held { path, holder } => AgentError::Locked {
            path: path.display().to_string(),
            holder,
        },
        LockError::Io { path, source } => io_err(&path)(source),
    })?;
    if let Some(e) = &lock.pid_error {
        tracing::warn!(path = %path.display(), error = %e, "could not record the pid in the lock file");
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lock itself (and its release with the holder) is tested in `outpost_platform::lock`;
    /// here: a refusal is the agent's `Locked` error, naming the holder.
    #[test]
    fn a_second_holder_is_refused_as_locked_with_the_pid() {
        let d = tempfile::tempdir().unwrap();
        let _held = lock_data_dir(d.path()).unwrap();
        let e = lock_data_dir(d.path()).unwrap_err();
        let pid = std::process::id();
        assert!(
            matches!(e, AgentError::Locked { holder: Some(p), .. } if p == pid),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains(&format!("another agent process (pid {pid})")),
            "{e}"
        );
    }

    #[test]
    fn run_once_daemon_and_ingest_are_refused_while_another_holds_the_directory() {
        let d = tempfile::tempdir().unwrap();
        let _held = lock_data_dir(d.path()).unwrap();
        let locked = |r: Result<(), AgentError>| {
            let e = r.unwrap_err();
            assert!(matches!(e, AgentError::Locked { .. }), "{e}");
        };
        locked(
            crate::run_once::run_once(d.path(), &crate::run_once::RunOptions::default())
                .map(|_| ()),
        );
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        locked(crate::daemon::run(d.path(), stop).map(|_| ()));
        locked(
            crate::ingest::ingest_files(d.path(), &[], &Default::default(), &mut |_, _| {})
                .map(|_| ()),
        );
    }
}
