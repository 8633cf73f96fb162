//! Access monitoring of sensitive files with fanotify: every open of a marked file is reported
//! with the opening process.

use crate::config::SensorConfig;
use crate::counters::{Drop, Queue};
use crate::emit::Emitter;
use crate::net::attribute;
use crate::netlink::owned_fd;
use crate::{Capabilities, SensorError, procfs};
use chrono::Utc;
use outpost_core::{Event, EventKind, FileAction, FileInfo};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One fanotify event header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanEvent {
    pub mask: u64,
    pub fd: i32,
    pub pid: i32,
}

/// Splits a buffer read from a fanotify descriptor into event headers.
pub fn parse_fanotify(mut b: &[u8]) -> Vec<FanEvent> {
    let mut out = Vec::new();
    while b.len() >= 24 {
        let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len < 24 || len > b.len() {
            break;
        }
        let i32_at = |o: usize| i32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut m = [0u8; 8];
        m.copy_from_slice(&b[8..16]);
        out.push(FanEvent {
            mask: u64::from_ne_bytes(m),
            fd: i32_at(16),
            pid: i32_at(20),
        });
        b = &b[len..];
    }
    out
}

fn expand(patterns: &[String]) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for p in patterns {
        match glob::glob(p) {
            Ok(paths) => v.extend(paths.flatten().filter(|p| p.is_file())),
            Err(_) => continue,
        }
    }
    v.sort();
    v.dedup();
    v
}

fn mark(fd: &OwnedFd, paths: &[PathBuf]) -> usize {
    let mut n = 0;
    for p in paths {
        let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
            continue;
        };
        // SAFETY: fd is our fanotify descriptor and c a valid NUL-terminated path.
        let rc = unsafe {
            libc::fanotify_mark(
                fd.as_raw_fd(),
                libc::FAN_MARK_ADD,
                libc::FAN_OPEN,
                libc::AT_FDCWD,
                c.as_ptr(),
            )
        };
        if rc == 0 {
            n += 1;
        }
    }
    n
}

pub(crate) fn start(
    config: &SensorConfig,
    em: Emitter,
    caps: &mut Capabilities,
) -> Result<Option<JoinHandle<()>>, SensorError> {
    let ac = config.files.access.clone();
    if !ac.enabled || ac.paths.is_empty() {
        caps.disabled("file_access");
        return Ok(None);
    }
    // SAFETY: fanotify_init has no memory-safety preconditions and returns a new descriptor
    // or -1.
    let fd = unsafe {
        owned_fd(libc::fanotify_init(
            libc::FAN_CLASS_NOTIF | libc::FAN_CLOEXEC | libc::FAN_NONBLOCK,
            (libc::O_RDONLY | libc::O_LARGEFILE | libc::O_CLOEXEC) as u32,
        ))
    };
    let fd = match fd {
        Ok(fd) => fd,
        Err(e) => {
            caps.unavailable(
                "file_access",
                format!(
                    "fanotify unavailable ({e}; it needs CAP_SYS_ADMIN): reads of sensitive files are not seen"
                ),
            );
            return Ok(None);
        }
    };
    let paths = expand(&ac.paths);
    let marked = mark(&fd, &paths);
    caps.set(
        "file_access",
        true,
        "fanotify",
        (marked == 0)
            .then(|| "no sensitive file exists yet; globs are re-expanded periodically".into()),
    );
    let refresh = Duration::from_secs(ac.refresh_secs.max(1));
    let me = std::process::id() as i32;
    let t = std::thread::Builder::new()
        .name("outpost-fanotify".into())
        .spawn(move || {
            let mut buf = vec![0u8; 16 * 1024];
            let mut last = Instant::now();
            while !em.stopped() {
                // The refresh period is at least a second: idle, one wakeup a second.
                if em
                    .shared
                    .wait_readable(fd.as_raw_fd(), Duration::from_secs(1))
                {
                    let mut pending: libc::c_int = 0;
                    // SAFETY: FIONREAD writes one c_int.
                    unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut pending) };
                    em.shared
                        .counters
                        .queue(Queue::Fanotify, pending.max(0) as u64);
                    // SAFETY: buf is valid and writable for its length.
                    let n =
                        unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                    if n > 0 {
                        for e in parse_fanotify(&buf[..n as usize]) {
                            handle(&em, e, me);
                        }
                    }
                }
                if last.elapsed() >= refresh {
                    last = Instant::now();
                    mark(&fd, &expand(&ac.paths));
                }
            }
        })
        .map_err(|source| SensorError::Spawn {
            collector: "file_access",
            source,
        })?;
    Ok(Some(t))
}

fn handle(em: &Emitter, e: FanEvent, me: i32) {
    if e.mask & libc::FAN_Q_OVERFLOW != 0 {
        em.count_drop(Drop::FanotifyOverflow, 1);
    }
    if e.fd < 0 {
        return;
    }
    // SAFETY: the kernel gave us this descriptor with the event; we own and close it.
    let file = unsafe { OwnedFd::from_raw_fd(e.fd) };
    if e.pid == me || e.pid <= 0 {
        return;
    }
    let Some(host) = procfs::readlink(format!("/proc/self/fd/{}", file.as_raw_fd())) else {
        return;
    };
    drop(file);
    let pid = e.pid as u32;
    let (process, container) = attribute(em, pid, None, None);
    let (path, host_path) = match &container {
        Some(_) => match procfs::host_root_of(pid) {
            Some(base) if host.starts_with(&base) && base != "/" => {
                (host[base.len()..].to_string(), Some(host.clone()))
            }
            _ => (host.clone(), Some(host.clone())),
        },
        None => (host, None),
    };
    let mut ev = Event::new(Utc::now(), EventKind::File, "fanotify");
    ev.file = Some(FileInfo {
        host_path,
        ..FileInfo::new(FileAction::Access, path)
    });
    ev.process = Some(process);
    ev.container = container;
    em.emit(ev);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headers() {
        let mut b = vec![0u8; 48];
        for (i, pid) in [(0usize, 77i32), (24, 78)] {
            b[i..i + 4].copy_from_slice(&24u32.to_ne_bytes());
            b[i + 4] = 3;
            b[i + 6..i + 8].copy_from_slice(&24u16.to_ne_bytes());
            b[i + 8..i + 16].copy_from_slice(&libc::FAN_OPEN.to_ne_bytes());
            b[i + 16..i + 20].copy_from_slice(&5i32.to_ne_bytes());
            b[i + 20..i + 24].copy_from_slice(&pid.to_ne_bytes());
        }
        let v = parse_fanotify(&b);
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[1],
            FanEvent {
                mask: libc::FAN_OPEN,
                fd: 5,
                pid: 78
            }
        );
        b[0] = 3;
        assert!(parse_fanotify(&b).is_empty());
    }

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_fanotify(&b);
        }
    }
}
