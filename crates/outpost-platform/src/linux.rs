//! Linux: `/proc`, pidfd, glibc.

use crate::processes::{Killed, ProcessEntry, ProcessError, Signal};
use std::path::Path;

pub fn self_usage() -> (Option<u64>, Option<u64>) {
    usage("/proc/self")
}

pub fn process_usage(pid: u32) -> (Option<u64>, Option<u64>) {
    usage(&format!("/proc/{pid}"))
}

/// RSS (KiB, `VmRSS` of `status`) and CPU time (ms, utime + stime of `stat`) of the process
/// whose `/proc` directory is `dir`.
fn usage(dir: &str) -> (Option<u64>, Option<u64>) {
    let rss = std::fs::read_to_string(format!("{dir}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        });
    let cpu = std::fs::read_to_string(format!("{dir}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised comm: state is field 3, utime 14, stime 15.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ut: u64 = f.get(11)?.parse().ok()?;
            let st: u64 = f.get(12)?.parse().ok()?;
            // USER_HZ is 100 on every Linux platform Outpost supports.
            Some((ut + st) * 10)
        });
    (rss, cpu)
}

pub fn tune_allocator() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes an allocator parameter (under glibc's own lock, so it is
    // thread-safe); glibc refuses invalid values (return value 0), which is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

pub fn trim_allocator() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases free memory under the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

pub fn is_privileged() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").ok()
}

pub fn live_exe_file(pid: u32) -> Option<std::path::PathBuf> {
    (pid > 0).then(|| std::path::PathBuf::from(format!("/proc/{pid}/exe")))
}

pub fn live_exe(pid: u32, process_name: &str) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let exe = exe.to_string_lossy().into_owned();
    let base = exe.rsplit('/').next().unwrap_or(&exe);
    // comm is truncated to 15 bytes by the kernel.
    let comm = comm.trim_end();
    (base == process_name || (comm == process_name && base.starts_with(comm))).then_some(exe)
}

pub fn file_identity(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.ino()
}

pub fn drive_map() -> Vec<(String, String)> {
    Vec::new()
}

/// Fields of `/proc/<pid>/stat`: (state, ppid, starttime, comm).
fn read_stat(proc_root: &Path, pid: u32) -> Result<(String, u32, u64, String), std::io::Error> {
    let s = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat"))?;
    parse_stat(&s)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "unparsable stat"))
}

/// Parses `/proc/<pid>/stat`: returns (state, ppid, starttime, comm). The command name may
/// contain spaces and parentheses, so the fields are taken after the *last* `)`.
pub fn parse_stat(s: &str) -> Option<(String, u32, u64, String)> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = s.get(close + 1..)?.split_whitespace().collect();
    // rest[0] = state (field 3), rest[1] = ppid (4), rest[19] = starttime (22).
    let state = rest.first()?.to_string();
    let ppid = rest.get(1)?.parse().ok()?;
    let start = rest.get(19)?.parse().ok()?;
    Some((state, ppid, start, comm))
}

pub fn list_processes(proc_root: &Path) -> Result<Vec<ProcessEntry>, ProcessError> {
    let rd = std::fs::read_dir(proc_root).map_err(|source| ProcessError::Io {
        context: format!("cannot list {}", proc_root.display()),
        source,
    })?;
    let mut procs = Vec::new();
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok((state, ppid, start_time, name)) = read_stat(proc_root, pid) else {
            continue;
        };
        let dir = proc_root.join(pid.to_string());
        let cmdline = std::fs::read(dir.join("cmdline"))
            .map(|b| {
                b.split(|c| *c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let exe = std::fs::read_link(dir.join("exe"))
            .ok()
            .map(|p| p.display().to_string());
        let uid = std::fs::read_to_string(dir.join("status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|u| u.parse::<u32>().ok())
            });
        procs.push(ProcessEntry {
            pid,
            ppid,
            name,
            state: Some(state),
            start_time,
            uid,
            exe,
            cmdline,
        });
    }
    Ok(procs)
}

pub fn start_time(proc_root: &Path, pid: u32) -> Result<u64, ProcessError> {
    read_stat(proc_root, pid)
        .map(|(_, _, start, _)| start)
        .map_err(|e| ProcessError::Mismatch(format!("pid {pid} is gone ({e})")))
}

/// Sends `signal` to `pid` only if its start time is still `expected_start`.
pub fn kill(
    proc_root: &Path,
    pid: u32,
    expected_start: u64,
    signal: Signal,
) -> Result<Killed, ProcessError> {
    let signal = match signal {
        Signal::Kill => libc::SIGKILL,
        Signal::Term => libc::SIGTERM,
    };
    let pid_t = libc::pid_t::try_from(pid)
        .map_err(|_| ProcessError::Mismatch(format!("pid {pid} out of range")))?;
    // Pin the process first, then check its identity, then signal through the pin: a pid
    // reused after the pidfd was opened cannot be hit.
    // SAFETY: plain syscall with integer arguments; the result is checked.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid_t, 0) };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return Err(ProcessError::Mismatch(format!(
            "pid {pid} is not running ({e})"
        )));
    }
    let fd = i32::try_from(fd).map_err(|_| ProcessError::Mismatch("bad pidfd".into()))?;
    struct Fd(i32);
    impl Drop for Fd {
        fn drop(&mut self) {
            // SAFETY: closing a descriptor this function opened and owns.
            unsafe { libc::close(self.0) };
        }
    }
    let fd = Fd(fd);
    let (_, _, start, comm) = read_stat(proc_root, pid)
        .map_err(|e| ProcessError::Mismatch(format!("pid {pid} is gone ({e})")))?;
    if start != expected_start {
        return Err(ProcessError::Mismatch(format!(
            "pid {pid} now belongs to another process (start time {start}, expected {expected_start}); not killed"
        )));
    }
    // SAFETY: plain syscall on a descriptor we own; null siginfo is allowed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.0,
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if rc != 0 {
        return Err(ProcessError::Io {
            context: format!("cannot signal pid {pid}"),
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(Killed {
        name: comm,
        start_time: start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parsing_handles_odd_names() {
        let s =
            "1234 (a) b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
        let (state, ppid, start, comm) = parse_stat(s).unwrap();
        assert_eq!(
            (state.as_str(), ppid, start, comm.as_str()),
            ("S", 1, 98765, "a) b) c")
        );
        assert!(parse_stat("garbage").is_none());
    }
}
