//! Windows: Win32 through `windows-sys`.

use crate::processes::{Killed, ProcessEntry, ProcessError, Signal};
use std::path::Path;
use windows_sys::Win32::Foundation::{CloseHandle, FILETIME, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::Security::{
    GetTokenInformation, TOKEN_ELEVATION, TOKEN_QUERY, TokenElevation,
};
use windows_sys::Win32::Storage::FileSystem::{GetLogicalDrives, QueryDosDeviceW};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::ProcessStatus::{K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetExitCodeProcess, GetProcessTimes, OpenProcess, OpenProcessToken,
    PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_TERMINATE,
    QueryFullProcessImageNameW, TerminateProcess,
};

/// A handle closed on drop.
struct Owned(HANDLE);

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: the handle was returned by an Open*/Create* call and is closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// A job object whose processes end when its last handle is closed (see
/// [`crate::processes::bind_child`]).
pub struct KillOnCloseJob(Owned);

/// A new kill-on-close job holding `child`.
pub fn kill_on_close_job(child: &std::process::Child) -> std::io::Result<KillOnCloseJob> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
        SetInformationJobObject,
    };
    // SAFETY: no attributes and no name: an unnamed job, or null on failure.
    let h = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
    if h.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    let job = KillOnCloseJob(Owned(h));
    let mut info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
    info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    // SAFETY: `info` is a valid structure of the class named, of the size given.
    let ok = unsafe {
        SetInformationJobObject(
            (job.0).0,
            JobObjectExtendedLimitInformation,
            (&raw const info).cast(),
            std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        )
    };
    if ok == 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both handles are open: the job's, and the child's, which `child` owns.
    let ok = unsafe { AssignProcessToJobObject((job.0).0, child.as_raw_handle() as HANDLE) };
    if ok == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(job)
}

/// `GetExitCodeProcess`'s code of a running process.
const STILL_ACTIVE: u32 = 259;

fn open_process(pid: u32, access: u32) -> Option<Owned> {
    // SAFETY: plain call with integer arguments; a null result means failure.
    let h = unsafe { OpenProcess(access, 0, pid) };
    (!h.is_null()).then_some(Owned(h))
}

fn ft(t: &FILETIME) -> u64 {
    (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime)
}

/// (creation time, kernel + user time), both in 100 ns units.
fn times(h: HANDLE) -> Option<(u64, u64)> {
    let mut t = [FILETIME::default(); 4];
    let [c, e, k, u] = &mut t;
    // SAFETY: four valid FILETIME out-pointers.
    let ok = unsafe { GetProcessTimes(h, c, e, k, u) };
    (ok != 0).then(|| (ft(&t[0]), ft(&t[2]) + ft(&t[3])))
}

fn image_path(h: HANDLE) -> Option<String> {
    let mut buf = vec![0u16; 32768];
    let mut len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
    // SAFETY: `buf` has `len` u16 slots; `len` is updated to the characters written.
    let ok =
        unsafe { QueryFullProcessImageNameW(h, PROCESS_NAME_WIN32, buf.as_mut_ptr(), &mut len) };
    (ok != 0).then(|| String::from_utf16_lossy(&buf[..len as usize]))
}

fn basename(p: &str) -> &str {
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

fn from_wide(buf: &[u16]) -> String {
    let end = buf.iter().position(|c| *c == 0).unwrap_or(buf.len());
    String::from_utf16_lossy(&buf[..end])
}

pub fn self_usage() -> (Option<u64>, Option<u64>) {
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing.
    usage(unsafe { GetCurrentProcess() })
}

pub fn process_usage(pid: u32) -> (Option<u64>, Option<u64>) {
    match open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION) {
        Some(h) => usage(h.0),
        None => (None, None),
    }
}

/// A process's working set (KiB) and CPU time (ms) through a handle with query access.
fn usage(h: HANDLE) -> (Option<u64>, Option<u64>) {
    let mut pmc = PROCESS_MEMORY_COUNTERS {
        cb: std::mem::size_of::<PROCESS_MEMORY_COUNTERS>() as u32,
        ..Default::default()
    };
    // SAFETY: `pmc` is a valid, sized out-structure.
    let ok = unsafe { K32GetProcessMemoryInfo(h, &mut pmc, pmc.cb) };
    let rss = (ok != 0).then_some(pmc.WorkingSetSize as u64 / 1024);
    let cpu = times(h).map(|(_, busy)| busy / 10_000);
    (rss, cpu)
}

pub fn tune_allocator() {}

pub fn trim_allocator() {}

pub fn is_privileged() -> bool {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: pseudo-handle of this process; `token` receives a handle we close.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return false;
    }
    let token = Owned(token);
    let mut el = TOKEN_ELEVATION::default();
    let mut len = 0u32;
    // SAFETY: `el` is a valid out-buffer of the given size.
    let ok = unsafe {
        GetTokenInformation(
            token.0,
            TokenElevation,
            (&raw mut el).cast(),
            std::mem::size_of::<TOKEN_ELEVATION>() as u32,
            &mut len,
        )
    };
    ok != 0 && el.TokenIsElevated != 0
}

pub fn hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok()
}

/// Windows keeps a running image's file from being deleted, so its path stays readable.
pub fn live_exe_file(_pid: u32) -> Option<std::path::PathBuf> {
    None
}

pub fn live_exe(pid: u32, process_name: &str) -> Option<String> {
    let h = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
    let exe = image_path(h.0)?;
    basename(&exe)
        .eq_ignore_ascii_case(process_name)
        .then_some(exe)
}

pub fn file_identity(_meta: &std::fs::Metadata) -> u64 {
    0
}

pub fn drive_map() -> Vec<(String, String)> {
    // SAFETY: no arguments; a bit mask of the present drive letters.
    let mask = unsafe { GetLogicalDrives() };
    let mut out = Vec::new();
    for i in 0..26u8 {
        if mask & (1 << i) == 0 {
            continue;
        }
        let drive = format!("{}:", char::from(b'A' + i));
        let name = wide(&drive);
        let mut buf = vec![0u16; 1024];
        // SAFETY: NUL-terminated name, `buf` has the given capacity.
        let n = unsafe { QueryDosDeviceW(name.as_ptr(), buf.as_mut_ptr(), buf.len() as u32) };
        if n == 0 {
            continue;
        }
        // The first of the NUL-separated targets is the current one.
        let device = from_wide(&buf[..n as usize]);
        if !device.is_empty() {
            out.push((device, drive));
        }
    }
    out
}

pub fn list_processes(_proc_root: &Path) -> Result<Vec<ProcessEntry>, ProcessError> {
    // SAFETY: plain call; the result is checked against INVALID_HANDLE_VALUE.
    let snap = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) };
    if snap == INVALID_HANDLE_VALUE {
        return Err(ProcessError::Io {
            context: "cannot snapshot the processes".into(),
            source: std::io::Error::last_os_error(),
        });
    }
    let snap = Owned(snap);
    let mut e = PROCESSENTRY32W {
        dwSize: std::mem::size_of::<PROCESSENTRY32W>() as u32,
        ..Default::default()
    };
    let mut procs = Vec::new();
    // SAFETY: `e` is a valid entry with dwSize set.
    let mut more = unsafe { Process32FirstW(snap.0, &mut e) } != 0;
    while more {
        let pid = e.th32ProcessID;
        let name = from_wide(&e.szExeFile);
        let (start_time, exe) = match open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION) {
            Some(h) => (times(h.0).map_or(0, |t| t.0), image_path(h.0)),
            None => (0, None),
        };
        procs.push(ProcessEntry {
            pid,
            ppid: e.th32ParentProcessID,
            name,
            state: None,
            start_time,
            uid: None,
            exe,
            cmdline: Vec::new(),
        });
        // SAFETY: as above.
        more = unsafe { Process32NextW(snap.0, &mut e) } != 0;
    }
    Ok(procs)
}

pub fn start_time(_proc_root: &Path, pid: u32) -> Result<u64, ProcessError> {
    let h = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION)
        .ok_or_else(|| ProcessError::Mismatch(format!("pid {pid} is not running")))?;
    times(h.0).map(|t| t.0).ok_or_else(|| ProcessError::Io {
        context: format!("cannot read the times of pid {pid}"),
        source: std::io::Error::last_os_error(),
    })
}

/// Sends `signal` to `pid` only if its start time is still `expected_start`.
pub fn kill(
    _proc_root: &Path,
    pid: u32,
    expected_start: u64,
    _signal: Signal,
) -> Result<Killed, ProcessError> {
    // The handle pins the process object: its pid cannot be reused while we hold it.
    let h = open_process(pid, PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION).ok_or_else(
        || {
            ProcessError::Mismatch(format!(
                "pid {pid} is not running or not accessible ({})",
                std::io::Error::last_os_error()
            ))
        },
    )?;
    let (start, _) = times(h.0).ok_or_else(|| ProcessError::Io {
        context: format!("cannot read the times of pid {pid}"),
        source: std::io::Error::last_os_error(),
    })?;
    if start != expected_start {
        return Err(ProcessError::Mismatch(format!(
            "pid {pid} now belongs to another process (start time {start}, expected {expected_start}); not killed"
        )));
    }
    let name = image_path(h.0)
        .map(|p| basename(&p).to_string())
        .unwrap_or_default();
    // A process that exited but is still held open by someone is no target.
    let mut code = 0u32;
    // SAFETY: valid handle and out-pointer.
    if unsafe { GetExitCodeProcess(h.0, &mut code) } != 0 && code != STILL_ACTIVE {
        return Err(ProcessError::Mismatch(format!(
            "pid {pid} has exited (code {code})"
        )));
    }
    // SAFETY: a handle with PROCESS_TERMINATE access.
    if unsafe { TerminateProcess(h.0, 1) } == 0 {
        return Err(ProcessError::Io {
            context: format!("cannot terminate pid {pid}"),
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(Killed {
        name,
        start_time: start,
    })
}
