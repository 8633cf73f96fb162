//! One process at a time on a directory: an exclusive lock on a lock file, held for as long as
//! the returned [`DirLock`] lives. The lock is the operating system's (`flock` on Unix,
//! `LockFileEx` on Windows, both through `std::fs::File::try_lock`), so it goes away with the
//! process however it ends: a stale lock file never blocks a restart. The holder writes its
//! pid into the file, so a refused process can say who holds it. Used by the agent
//! (`DATA_DIR/agent.lock`) and the server's outputs (`DATA_DIR/outputs/outputs.lock`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Held while the value lives.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    /// The lock file.
    pub path: PathBuf,
    /// Why the holder's pid could not be written into the lock file (the lock is held all the
    /// same; a refused process then cannot name the holder).
    pub pid_error: Option<std::io::Error>,
}

/// Why [`lock_file`] failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "{path}: held by another process{}",
        .holder.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Held {
        /// The lock file.
        path: PathBuf,
        /// The holder's pid, when it recorded one.
        holder: Option<u32>,
    },
    /// The directory or the lock file could not be created or locked.
    #[error("{path}: {source}")]
    Io {
        /// The lock file or its directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Takes the exclusive lock on the file `path` (creating it and its directory), or fails at
/// once with [`LockError::Held`] naming the holder's pid.
pub fn lock_file(path: &Path) -> Result<DirLock, LockError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| LockError::Io { path: p, source }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io(path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(LockError::Held {
                path: path.to_path_buf(),
                holder: text.trim().parse().ok(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(path)(e)),
    }
    // Ours now: record the pid for whoever is refused next.
    let pid_error = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .err();
    Ok(DirLock {
        _file: file,
        path: path.to_path_buf(),
        pid_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_pid_and_the_lock_goes_with_its_holder() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("sub/x.lock");
        let held = lock_file(&path).unwrap();
        assert!(held.pid_error.is_none());
        let e = lock_file(&path).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, LockError::Held { holder: Some(p), .. } if p == std::process::id()),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(held);
        lock_file(&path).unwrap();
    }
}
