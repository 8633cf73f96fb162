//! One process per data directory: `run-once`, the daemon and `ingest` each hold an exclusive
//! lock on `DATA_DIR/agent.lock` for as long as they run, so two of them never write the same
//! buffer, spool or `state.json` (a daemon and a run-once together would spool the same hits
//! twice under different batch ids). The lock is the operating system's (`flock` on Unix,
//! `LockFileEx` on Windows, both through `std::fs::File::try_lock`), so it goes away with the
//! process however it ends: a stale lock file never blocks a restart. The holder writes its
//! pid into the file, so a refused process can say who holds it.

use crate::{AgentError, io_err};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name in the data directory.
pub const FILE: &str = crate::DataDir::LOCK;

/// Held while the value lives.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    pub path: PathBuf,
}

/// Takes the data directory's lock, or fails at once with [`AgentError::Locked`] naming the
/// holder's pid.
pub fn lock_data_dir(data_dir: &Path) -> Result<DataDirLock, AgentError> {
    std::fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
    let path = crate::DataDir::new(data_dir).lock();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err(&path))?;
    if !try_lock_exclusive(&file).map_err(io_err(&path))? {
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        return Err(AgentError::Locked {
            path: path.display().to_string(),
            holder: text.trim().parse().ok(),
        });
    }
    // Ours now: record the pid for whoever is refused next.
    let written = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not record the pid in the lock file");
    }
    Ok(DataDirLock { _file: file, path })
}

/// `Ok(false)`: another process holds it. The one platform-specific step (std maps it to
/// `flock(LOCK_EX | LOCK_NB)` on Unix and `LockFileEx` on Windows).
fn try_lock_exclusive(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_pid_and_the_lock_goes_with_its_holder() {
        let d = tempfile::tempdir().unwrap();
        let held = lock_data_dir(d.path()).unwrap();
        let e = lock_data_dir(d.path()).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, AgentError::Locked { holder: Some(p), .. } if p == std::process::id()),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(held);
        lock_data_dir(d.path()).unwrap();
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
