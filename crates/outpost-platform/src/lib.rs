//! The agent's platform boundary.
//!
//! Everything the agent (its daemon, `run-once`, check-in and the job executors of
//! `outpost-jobs`) needs from the operating system goes through this crate, which has one
//! implementation per OS: `linux.rs` (`/proc`, pidfd, glibc) and `windows.rs` (Win32 through
//! `windows-sys`). Code outside it does not test `cfg(target_os)` for these services. The live
//! Linux collectors and the AF_PACKET capture are the other half of the boundary: they stay in
//! `outpost-sensors`, which builds everywhere and answers "unsupported on this OS" elsewhere.
//!
//! | service | Linux | Windows |
//! |---|---|---|
//! | [`self_usage`], [`process_usage`] | `/proc/{self,PID}/status`, `stat` | `GetProcessMemoryInfo`, `GetProcessTimes` |
//! | [`tune_allocator`], [`trim_allocator`] | glibc `mallopt`, `malloc_trim` | no-op (the process heap returns pages itself) |
//! | [`is_privileged`] | effective uid 0 | elevated token (`TokenElevation`) |
//! | [`hostname`] | `/proc/sys/kernel/hostname` | `COMPUTERNAME` |
//! | [`live_exe`] | `/proc/PID/exe` (name checked) | `QueryFullProcessImageNameW` (name checked) |
//! | [`live_exe_file`] | `/proc/PID/exe` (readable after the file was deleted) | none |
//! | [`file_identity`] | inode | 0 (size and mtime only) |
//! | [`processes::list`], [`processes::kill`] | `/proc`, pidfd | Toolhelp snapshot, process handle |
//! | [`processes::bind_child`] | nothing (the service manager stops the unit's cgroup) | a kill-on-close job object |
//! | [`drive_map`] | empty | `QueryDosDeviceW` for `A:`–`Z:` |
//! | [`lock::lock_file`] | `flock` | `LockFileEx` (both through `File::try_lock`) |

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

#[cfg(not(any(target_os = "linux", windows)))]
compile_error!("the Outpost agent supports Linux and Windows");

pub mod lock;
pub mod processes;

/// The operating system this build runs on (`linux`, `windows`).
pub const OS: &str = std::env::consts::OS;

/// Whether Outpost's own packet capture (`outpost-sensors`' AF_PACKET ring) exists here.
pub const PACKET_CAPTURE: bool = cfg!(target_os = "linux");

/// This process's resident memory (KiB) and CPU time (user + system, ms); `None` when the
/// system does not say.
pub fn self_usage() -> (Option<u64>, Option<u64>) {
    os::self_usage()
}

/// Another process's resident memory (KiB) and CPU time (ms), as [`self_usage`]; `None` for a
/// process that is gone or not ours to query.
pub fn process_usage(pid: u32) -> (Option<u64>, Option<u64>) {
    os::process_usage(pid)
}

/// Tunes the allocator for a long-running agent; call it early, before threads start (on
/// glibc: two malloc arenas instead of one per thread).
pub fn tune_allocator() {
    os::tune_allocator();
}

/// Returns the allocator's free pages to the system after a burst of allocations (glibc's
/// `malloc_trim`); a no-op where the allocator does it by itself.
pub fn trim_allocator() {
    os::trim_allocator();
}

/// Whether this process has the rights the live collectors need (root on Linux, an elevated
/// administrator token on Windows).
pub fn is_privileged() -> bool {
    os::is_privileged()
}

/// This machine's host name (`unknown-host` when it cannot be found).
pub fn hostname() -> String {
    os::hostname()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// The executable of the live process `pid`, but only when that process still has the name an
/// event recorded for it (pids are reused): best effort, `None` when unknown.
pub fn live_exe(pid: Option<u32>, process_name: &str) -> Option<String> {
    os::live_exe(pid?, process_name)
}

/// A path through which the executable of the live process `pid` can be read even after its
/// file was deleted or replaced (a dropper removing itself), where the system offers one.
pub fn live_exe_file(pid: u32) -> Option<std::path::PathBuf> {
    os::live_exe_file(pid)
}

/// A number that changes when a path names another file (the inode on Linux); 0 where the
/// system has none through `std` (Windows), so size and mtime alone identify a version.
pub fn file_identity(meta: &std::fs::Metadata) -> u64 {
    os::file_identity(meta)
}

/// Modification time of a file in nanoseconds since the epoch (0 when unknown).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The live device-path → drive mapping (`\Device\HarddiskVolume3` → `C:`), for Windows
/// Filtering Platform application paths; empty where there are no drive letters.
pub fn drive_map() -> Vec<(String, String)> {
    os::drive_map()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_usage_reports_memory_and_cpu() {
        // Burn a little CPU so the CPU time is not zero on a coarse clock.
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(50) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let (rss, cpu) = self_usage();
        let rss = rss.expect("RSS known");
        assert!(rss > 100 && rss < 4 << 20, "rss {rss} KiB");
        assert!(cpu.is_some());
    }

    #[test]
    fn process_usage_by_pid_matches_self_usage() {
        let (rss, cpu) = process_usage(std::process::id());
        let (own_rss, own_cpu) = self_usage();
        let (rss, own_rss) = (rss.expect("RSS by pid"), own_rss.expect("own RSS"));
        assert!(rss.abs_diff(own_rss) < 64 * 1024, "{rss} vs {own_rss} KiB");
        assert!(cpu.expect("CPU by pid") <= own_cpu.expect("own CPU"));
        assert_eq!(process_usage(u32::MAX - 1), (None, None));
    }

    #[test]
    fn hostname_is_not_empty() {
        let h = hostname();
        assert!(!h.is_empty() && h.trim() == h, "{h:?}");
    }

    #[test]
    fn live_exe_is_own_binary_only_under_its_name() {
        let me = std::env::current_exe().unwrap();
        let name = me.file_name().unwrap().to_str().unwrap().to_string();
        let got = live_exe(Some(std::process::id()), &name).expect("own exe");
        assert!(got.to_lowercase().ends_with(&name.to_lowercase()), "{got}");
        assert_eq!(live_exe(Some(std::process::id()), "surely-not-this"), None);
        assert_eq!(live_exe(None, &name), None);
    }

    #[test]
    #[cfg(windows)]
    fn drive_map_names_the_system_drive() {
        let map = drive_map();
        let sys = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
        assert!(
            map.iter()
                .any(|(dev, drive)| drive.eq_ignore_ascii_case(&sys) && !dev.is_empty()),
            "{map:?}"
        );
    }
}
