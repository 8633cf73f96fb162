//! Opening a file that untrusted input names (a job's `parameters.path`, a hit's executable,
//! a file in the capture directory) without the classic traps: the file's type is checked on
//! the *opened* descriptor (no check-then-open race), opening never blocks (a FIFO with no
//! writer, a terminal, a device), and, when asked, the last path component may not be a
//! symbolic link.
//!
//! The platform-specific part is [`open_regular`]'s `open_impl`: on Linux the path is first
//! opened with `O_PATH` (which opens nothing: no FIFO wait, no device driver `open` with side
//! effects such as `/dev/watchdog`), its type checked with `fstat`, and only a regular file
//! is then re-opened for reading through `/proc/self/fd` (the same inode, checked again). Other
//! Unix systems open with `O_NONBLOCK | O_NOCTTY` (and `O_NOFOLLOW`) and check with `fstat`.
//! On Windows the file is opened with `FILE_FLAG_OPEN_REPARSE_POINT` when links are refused
//! and the handle's type is checked.

use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

/// Why a path could not be opened as a regular file.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The last path component is a symbolic link and links were refused.
    #[error("{path} is a symbolic link; name the file it points to")]
    Symlink {
        /// The path as given.
        path: String,
    },
    /// The path is a FIFO, device, socket or directory.
    #[error("{path} is not a regular file (it is {kind})")]
    NotRegular {
        /// The path as given.
        path: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file was replaced while it was being opened.
    #[error("{path} changed while it was being opened")]
    Raced {
        /// The path as given.
        path: String,
    },
    /// Opening or `fstat` failed.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Whether the last path component may be a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow it (the hash enrichment: executables are often links, `/usr/bin/python3`).
    Follow,
    /// Refuse it (file jobs: the path named is the file read).
    Refuse,
}

/// A regular file opened for reading.
#[derive(Debug)]
pub struct Opened {
    /// The open file (reads never block on a FIFO: it is never opened).
    pub file: File,
    /// Its metadata, from the descriptor.
    pub meta: Metadata,
    /// Where the opened file really is, when the platform can tell (Linux:
    /// `/proc/self/fd/N`), symbolic links in every component resolved.
    pub real_path: Option<PathBuf>,
}

fn kind_of(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn check_type(path: &Path, meta: &Metadata) -> Result<(), OpenError> {
    if meta.file_type().is_symlink() {
        return Err(OpenError::Symlink {
            path: path.display().to_string(),
        });
    }
    if !meta.is_file() {
        return Err(OpenError::NotRegular {
            path: path.display().to_string(),
            kind: kind_of(meta),
        });
    }
    Ok(())
}

/// Opens `path` for reading if, and only if, it is a regular file; never blocks in `open`.
pub fn open_regular(path: &Path, links: Links) -> Result<Opened, OpenError> {
    open_impl(path, links)
}

/// `file` (opened at `path`) as [`Opened`] if it is a regular file (the platforms that cannot
/// tell where an open file really is).
#[cfg(any(
    windows,
    all(unix, not(any(target_os = "linux", target_os = "android")))
))]
fn checked(path: &Path, file: std::fs::File) -> Result<Opened, OpenError> {
    let meta = file.metadata().map_err(io(path))?;
    check_type(path, &meta)?;
    Ok(Opened {
        file,
        meta,
        real_path: None,
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OpenError + '_ {
    move |source| OpenError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_impl(path: &Path, links: Links) -> Result<Opened, OpenError> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::os::unix::io::AsRawFd;
    let nofollow = if links == Links::Refuse {
        libc::O_NOFOLLOW
    } else {
        0
    };
    // O_PATH: resolves the path and pins the inode without opening the file itself.
    let pinned = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | nofollow | libc::O_CLOEXEC)
        .open(path)
        .map_err(io(path))?;
    let first = pinned.metadata().map_err(io(path))?;
    check_type(path, &first)?;
    let magic = PathBuf::from(format!("/proc/self/fd/{}", pinned.as_raw_fd()));
    let flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(&magic)
    {
        Ok(f) => f,
        // No /proc (some containers): open the path again, without following a link.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags | libc::O_NOFOLLOW)
            .open(path)
            .map_err(io(path))?,
        Err(e) => return Err(io(path)(e)),
    };
    let meta = file.metadata().map_err(io(path))?;
    if meta.dev() != first.dev() || meta.ino() != first.ino() || !meta.is_file() {
        return Err(OpenError::Raced {
            path: path.display().to_string(),
        });
    }
    let real_path = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok();
    Ok(Opened {
        file,
        meta,
        real_path,
    })
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn open_impl(path: &Path, links: Links) -> Result<Opened, OpenError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) && links == Links::Refuse => {
            return Err(OpenError::Symlink {
                path: path.display().to_string(),
            });
        }
        Err(e) => return Err(io(path)(e)),
    };
    checked(path, file)
}

#[cfg(windows)]
fn open_impl(path: &Path, links: Links) -> Result<Opened, OpenError> {
    use std::os::windows::fs::OpenOptionsExt;
    /// Opens a reparse point (symbolic link, junction) itself instead of its target.
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    if links == Links::Refuse {
        o.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
    }
    let file = o.open(path).map_err(io(path))?;
    checked(path, file)
}

#[cfg(not(any(unix, windows)))]
fn open_impl(path: &Path, _links: Links) -> Result<Opened, OpenError> {
    Err(OpenError::Io {
        path: path.display().to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "safe file opening is not implemented on this platform",
        ),
    })
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Runs `f` on a thread and gives up after 5 s (a blocking `open` never returns).
    fn within_5s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(5)).ok()
    }

    pub(crate) fn mkfifo(p: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; the result is checked.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    #[test]
    fn fifo_symlink_and_directory_are_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let f2 = fifo.clone();
        let r = within_5s(move || open_regular(&f2, Links::Follow).map(|_| ()))
            .expect("open of a FIFO blocked");
        assert!(
            matches!(&r, Err(OpenError::NotRegular { kind: "a FIFO", .. })),
            "{r:?}"
        );
        let reg = d.path().join("reg");
        std::fs::write(&reg, b"x").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&reg, &link).unwrap();
        assert!(matches!(
            open_regular(&link, Links::Refuse),
            Err(OpenError::Symlink { .. })
        ));
        // A link to a FIFO is refused when followed too.
        let flink = d.path().join("flink");
        std::os::unix::fs::symlink(&fifo, &flink).unwrap();
        let r = within_5s(move || open_regular(&flink, Links::Follow).map(|_| ()))
            .expect("open through a link to a FIFO blocked");
        assert!(matches!(r, Err(OpenError::NotRegular { .. })), "{r:?}");
        let o = open_regular(&link, Links::Follow).unwrap();
        assert_eq!(o.meta.len(), 1);
        assert!(matches!(
            open_regular(d.path(), Links::Follow),
            Err(OpenError::NotRegular {
                kind: "a directory",
                ..
            })
        ));
        #[cfg(target_os = "linux")]
        assert_eq!(o.real_path.unwrap(), reg.canonicalize().unwrap());
        // A character device is never opened for reading.
        assert!(matches!(
            open_regular(Path::new("/dev/null"), Links::Follow),
            Err(OpenError::NotRegular {
                kind: "a character device",
                ..
            })
        ));
    }
}
