//! Parsers for the `/proc` files the collectors read. They take untrusted text (a process can name
//! itself anything) and never panic.

use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::OnceLock;

/// The fields of `/proc/PID/stat` we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: u32,
    pub tty_nr: u32,
    /// Start time in clock ticks after boot.
    pub start_ticks: u64,
}

/// Parses `/proc/PID/stat`. The command name is between the first `(` and the *last* `)`, since
/// it may itself contain parentheses and spaces.
pub fn parse_stat(s: &str) -> Option<Stat> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    if close < open {
        return None;
    }
    let comm = s.get(open + 1..close)?.to_string();
    let rest = s.get(close + 1..)?;
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    // rest starts at field 3 (state): index = field - 3
    let state = f.first()?.chars().next()?;
    let ppid = f.get(1)?.parse().ok()?;
    let tty_nr = f.get(4)?.parse::<i64>().ok()? as u32;
    let start_ticks = f.get(19)?.parse().ok()?;
    Some(Stat {
        comm,
        state,
        ppid,
        tty_nr,
        start_ticks,
    })
}

/// Real, effective uid and gid from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ids {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
}

/// Parses the `Uid:` and `Gid:` lines of `/proc/PID/status`.
pub fn parse_status_ids(s: &str) -> Option<Ids> {
    let mut uid = None;
    let mut gid = None;
    for line in s.lines() {
        if let Some(v) = line.strip_prefix("Uid:") {
            uid = two_ids(v);
        } else if let Some(v) = line.strip_prefix("Gid:") {
            gid = two_ids(v);
        }
        if uid.is_some() && gid.is_some() {
            break;
        }
    }
    let (uid, euid) = uid?;
    let (gid, egid) = gid?;
    Some(Ids {
        uid,
        euid,
        gid,
        egid,
    })
}

fn two_ids(v: &str) -> Option<(u32, u32)> {
    let mut it = v.split_ascii_whitespace();
    let a = it.next()?.parse().ok()?;
    let b = it.next()?.parse().ok()?;
    Some((a, b))
}

/// Splits `/proc/PID/cmdline` (NUL-separated, usually NUL-terminated) into arguments.
pub fn parse_cmdline(b: &[u8]) -> Vec<String> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|c| *c == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The device name of a `tty_nr` (`/dev/pts/3`, `/dev/tty1`, `/dev/ttyS0`), or `None` for no
/// controlling terminal.
pub fn tty_name(tty_nr: u32) -> Option<String> {
    if tty_nr == 0 {
        return None;
    }
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    Some(match major {
        136..=143 => format!("/dev/pts/{}", (major - 136) * 256 + minor),
        4 if minor < 64 => format!("/dev/tty{minor}"),
        4 => format!("/dev/ttyS{}", minor - 64),
        5 if minor == 0 => "/dev/tty".to_string(),
        5 if minor == 1 => "/dev/console".to_string(),
        _ => format!("tty({major}:{minor})"),
    })
}

/// One line of `/proc/PID/mountinfo`, the fields we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    pub dev: String,
    pub root: String,
    pub mount_point: String,
    pub fstype: String,
}

/// Parses `/proc/PID/mountinfo` (octal escapes such as `\040` are decoded).
pub fn parse_mountinfo(s: &str) -> Vec<MountInfo> {
    s.lines()
        .filter_map(|line| {
            let (pre, post) = line.split_once(" - ")?;
            let f: Vec<&str> = pre.split(' ').collect();
            let fstype = post.split(' ').next()?;
            Some(MountInfo {
                dev: (*f.get(2)?).to_string(),
                root: unescape_octal(f.get(3)?),
                mount_point: unescape_octal(f.get(4)?),
                fstype: fstype.to_string(),
            })
        })
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            let oct = &b[i + 1..i + 4];
            if oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = (oct[0] - b'0') as u32 * 64
                    + (oct[1] - b'0') as u32 * 8
                    + (oct[2] - b'0') as u32;
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The directory on the host (in the agent's mount namespace) that is the root filesystem of
/// process `pid`: the mount of the same filesystem (device) and root seen at `/` by the process.
/// Falls back to `/proc/PID/root` when the root is not mounted in the agent's namespace.
pub fn host_root_of(pid: u32) -> Option<String> {
    let theirs = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).ok()?;
    let root = parse_mountinfo(&theirs)
        .into_iter()
        .rev()
        .find(|m| m.mount_point == "/")?;
    let ours = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    host_root_from(&root, &parse_mountinfo(&ours)).or_else(|| Some(format!("/proc/{pid}/root")))
}

/// The mount point in `ours` of the filesystem `root` (same device and root directory).
pub fn host_root_from(root: &MountInfo, ours: &[MountInfo]) -> Option<String> {
    ours.iter()
        .rev()
        .find(|m| m.dev == root.dev && m.root == root.root)
        .map(|m| m.mount_point.clone())
}

/// Boot time (seconds since the epoch) from `/proc/stat`.
fn boot_time() -> Option<i64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// Clock ticks per second of `/proc` times (USER_HZ).
pub fn clk_tck() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if v > 0 { v as u64 } else { 100 }
}

/// Wall-clock start time of a process from its `start_ticks`.
pub fn start_time(start_ticks: u64) -> Option<DateTime<Utc>> {
    static BOOT: OnceLock<Option<(i64, u64)>> = OnceLock::new();
    let (btime, hz) = (*BOOT.get_or_init(|| boot_time().map(|b| (b, clk_tck()))))?;
    let ms = (start_ticks.checked_mul(1000)? / hz) as i64;
    DateTime::from_timestamp_millis(btime.checked_mul(1000)?.checked_add(ms)?)
}

/// Converts a `CLOCK_MONOTONIC` timestamp in ns (proc connector, `bpf_ktime_get_ns`) to UTC
/// (the readers convert a batch with one [`MonoClock`]; this one-off form is the tests').
#[cfg(test)]
pub fn mono_to_utc(mono_ns: u64) -> DateTime<Utc> {
    MonoClock::now().to_utc(mono_ns)
}

/// The wall clock and `CLOCK_MONOTONIC` read together once, to convert the timestamps of a
/// batch of kernel records (two clock reads per batch instead of per record; the offset
/// between the clocks moves only by NTP's slew, at most 0.5 ms per second).
#[derive(Clone, Copy)]
pub struct MonoClock {
    utc: DateTime<Utc>,
    mono: u64,
}

impl MonoClock {
    pub fn now() -> MonoClock {
        MonoClock {
            utc: Utc::now(),
            mono: monotonic_ns(),
        }
    }

    /// The UTC time of `mono_ns` (0, "unknown", is the clock's time).
    pub fn to_utc(self, mono_ns: u64) -> DateTime<Utc> {
        if mono_ns == 0 {
            return self.utc;
        }
        let ahead = mono_ns as i128 - self.mono as i128;
        let ahead = i64::try_from(ahead).unwrap_or(0);
        self.utc + chrono::Duration::nanoseconds(ahead)
    }
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Numeric directory names in `/proc` (process ids).
pub fn list_pids() -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Reads a small `/proc` file with as few syscalls as possible (open, one read per 4 KiB, close;
/// no stat), up to `max` bytes.
pub fn read_small(path: &str, max: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut v = vec![0u8; 4096.min(max)];
    let mut n = 0;
    loop {
        if n == v.len() {
            if v.len() >= max {
                break;
            }
            v.resize((v.len() * 2).min(max), 0);
        }
        match f.read(&mut v[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
        // /proc text files are produced in one go when they fit: a short read means the end.
        if n < v.len() {
            break;
        }
    }
    v.truncate(n);
    Some(v)
}

thread_local! {
    /// Per-thread read buffer of [`with_small`]: reading `/proc` files allocates nothing.
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a small `/proc` file (up to `max` bytes) into a reused per-thread buffer and passes its
/// contents to `f`.
pub fn with_small<R>(path: &str, max: usize, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    use std::io::Read;
    READ_BUF.with(|cell| {
        let Ok(mut v) = cell.try_borrow_mut() else {
            // Re-entered from `f`: use a buffer of its own.
            return read_small(path, max).map(|b| f(&b));
        };
        let mut file = std::fs::File::open(path).ok()?;
        if v.len() < 4096.min(max) {
            v.resize(4096.min(max), 0);
        }
        let mut n = 0;
        loop {
            if n == v.len() {
                if v.len() >= max {
                    break;
                }
                let grown = (v.len() * 2).min(max);
                v.resize(grown, 0);
            }
            let end = v.len().min(max);
            match file.read(&mut v[n..end]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
            if n < end {
                break;
            }
            if n >= max {
                break;
            }
        }
        Some(f(&v[..n.min(max)]))
    })
}

/// [`with_small`] with the contents as (lossy) text.
pub fn with_small_text<R>(path: &str, max: usize, f: impl FnOnce(&str) -> R) -> Option<R> {
    with_small(path, max, |b| f(&String::from_utf8_lossy(b)))
}

/// Reads a symlink to a String (lossy).
pub fn readlink(p: impl AsRef<Path>) -> Option<String> {
    std::fs::read_link(p)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A clock read once converts earlier and later kernel timestamps as reading it per
    /// timestamp does (to within the time between the reads).
    #[test]
    fn one_clock_converts_a_batch() {
        let c = MonoClock::now();
        let second = 1_000_000_000;
        let earlier = c.mono - 3 * second;
        let fresh = mono_to_utc(earlier);
        let batch = c.to_utc(earlier);
        assert!(
            (fresh - batch).num_milliseconds().abs() < 50,
            "{fresh} {batch}"
        );
        assert_eq!((c.utc - batch).num_seconds(), 3);
        assert_eq!(
            (c.to_utc(c.mono + second) - c.utc).num_seconds(),
            1,
            "a later record"
        );
        assert_eq!(c.to_utc(0), c.utc, "unknown: the clock's time");
    }

    #[test]
    fn stat_with_parens_in_comm() {
        let s = "4242 (a) b (c)) S 1 4242 4242 34816 4242 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 100 0";
        let st = parse_stat(s).unwrap();
        assert_eq!(st.comm, "a) b (c)");
        assert_eq!(st.state, 'S');
        assert_eq!(st.ppid, 1);
        assert_eq!(st.tty_nr, 34816);
        assert_eq!(st.start_ticks, 123456);
        assert_eq!(tty_name(34816).as_deref(), Some("/dev/pts/0"));
        assert_eq!(tty_name(1025).as_deref(), Some("/dev/tty1"));
        assert_eq!(tty_name(1088).as_deref(), Some("/dev/ttyS0"));
        assert_eq!(tty_name(0), None);
    }

    #[test]
    fn status_ids() {
        let s = "Name:\tpasswd\nUmask:\t0022\nState:\tS\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(
            parse_status_ids(s),
            Some(Ids {
                uid: 1000,
                euid: 0,
                gid: 1000,
                egid: 1000
            })
        );
        assert_eq!(parse_status_ids("Uid:\tx\n"), None);
    }

    #[test]
    fn read_small_reads_whole_proc_files() {
        let a = read_small("/proc/self/status", 1 << 20).unwrap();
        assert!(String::from_utf8_lossy(&a).contains("Uid:"));
        assert!(a.len() > 500);
        let big = read_small("/proc/self/maps", 1 << 20).unwrap();
        assert_eq!(big, std::fs::read("/proc/self/maps").unwrap());
        assert_eq!(read_small("/proc/self/status", 10).unwrap().len(), 10);
        assert!(read_small("/proc/nonexistent", 10).is_none());
        assert_eq!(
            with_small("/proc/self/maps", 1 << 20, |b| b.to_vec()),
            Some(big)
        );
        assert_eq!(with_small("/proc/self/status", 10, |b| b.len()), Some(10));
        assert!(with_small("/proc/nonexistent", 10, |_| ()).is_none());
        let nested = with_small("/proc/self/stat", 4096, |a| {
            (a.len(), with_small("/proc/self/stat", 4096, |b| b.len()))
        });
        assert!(nested.is_some_and(|(a, b)| a > 0 && b.is_some()));
    }

    #[test]
    fn cmdline_split() {
        assert_eq!(parse_cmdline(b"ls\0-l\0/tmp\0"), vec!["ls", "-l", "/tmp"]);
        assert_eq!(parse_cmdline(b""), Vec::<String>::new());
        assert_eq!(parse_cmdline(b"a\0\0b\0"), vec!["a", "", "b"]);
    }

    #[test]
    fn mountinfo_and_host_root() {
        let container = "1021 985 0:112 / / rw,relatime master:301 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/AB:/var/lib/docker/overlay2/l/CD,upperdir=/var/lib/docker/overlay2/9f3c/diff,workdir=/var/lib/docker/overlay2/9f3c/work\n1022 1021 0:114 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n";
        let host = "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n985 22 0:112 / /var/lib/docker/overlay2/9f3c/merged rw,relatime shared:301 - overlay overlay rw,lowerdir=x\n990 22 0:50 / /mnt/with\\040space rw - tmpfs tmpfs rw\n";
        let c = parse_mountinfo(container);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].fstype, "overlay");
        let h = parse_mountinfo(host);
        assert_eq!(h[2].mount_point, "/mnt/with space");
        assert_eq!(
            host_root_from(&c[0], &h).as_deref(),
            Some("/var/lib/docker/overlay2/9f3c/merged")
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in ".{0,300}", b in proptest::collection::vec(any::<u8>(), 0..300), n in any::<u32>()) {
            let _ = parse_stat(&s);
            let _ = parse_status_ids(&s);
            let _ = parse_mountinfo(&s);
            let _ = parse_cmdline(&b);
            let _ = tty_name(n);
            let _ = unescape_octal(&s);
        }

        #[test]
        fn stat_round_trips_any_comm(comm in "[^\\x00]{0,15}", ppid in 0u32..4_000_000, start in any::<u32>()) {
            let line = format!("77 ({comm}) R {ppid} 77 77 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 {start} 0 0");
            let st = parse_stat(&line).unwrap();
            prop_assert_eq!(st.comm, comm);
            prop_assert_eq!(st.ppid, ppid);
            prop_assert_eq!(st.start_ticks, start as u64);
        }
    }
}
