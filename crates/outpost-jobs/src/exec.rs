//! Agent-side job executors: what an Outpost agent does with a claimed job.
//!
//! [`execute`] dispatches on the job kind:
//! * `pcap` — the packets of the filter's flow and window, cut from the rolling capture
//!   directory (pcap/pcapng files written by tcpdump, dumpcap or Outpost's own capture,
//!   `outpost_sensors::capture`; hidden files are ignored), as a pcap file;
//! * `file.hash` — SHA-256 and size of `parameters.path`;
//! * `file.get` — the bytes of `parameters.path`, refused above a size cap and inside the
//!   agent's own data directory ([`ExecContext::protected_dirs`]);
//! * `process.list` — the processes (`outpost_platform::processes`: `/proc` on Linux, a
//!   Toolhelp snapshot on Windows);
//! * `process.kill` — signal `parameters.pid`, but only if its start time still equals
//!   `parameters.startTime` (as `process.list` reports it: clock ticks since boot on Linux,
//!   the creation time on Windows), so a reused pid is never hit; the check and the signal go
//!   through a pidfd (a process handle on Windows), so the pid cannot be reused in between;
//! * `agent.config` — the agent's effective configuration with secrets redacted.
//!
//! File paths are opened with [`crate::fsopen::open_regular`]: the last component may not be
//! a symbolic link, opening never blocks, and anything but a regular file (FIFO, device,
//! socket, directory) is refused on the opened descriptor. Every job has a time limit
//! ([`ExecContext::time_limit`]): the executors check it as they read, and the client gives up
//! on an executor that overruns it (see [`crate::client::AgentClient::run_once_with`]).
//! A `pcap` result is streamed to an unnamed temporary file, never held in memory.

use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fsopen::{Links, OpenError, open_regular};
use crate::model::Job;
use crate::pcapio::{self, FlowMatcher, Frame};

/// What the executors may touch.
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// The rolling capture directory (`pcap` jobs); files are read recursively.
    pub capture_dir: Option<PathBuf>,
    /// Largest pcap result; more matching packets → the result is cut there and says so.
    pub max_pcap_bytes: u64,
    /// Largest file `file.get` returns.
    pub max_file_get_bytes: u64,
    /// Largest file `file.hash` reads.
    pub max_file_hash_bytes: u64,
    /// Whether `process.kill` is enabled on this agent.
    pub allow_kill: bool,
    /// The agent's effective configuration, for `agent.config` (secrets are redacted here
    /// too).
    pub agent_config: Value,
    /// Root of the proc filesystem (tests may point elsewhere).
    pub proc_root: PathBuf,
    /// Longest a job may run; the executors stop reading past it and the job fails.
    pub time_limit: Duration,
    /// Directories `file.get` refuses to read from (the agent's data directory: its token,
    /// spool and state). Compared after every symbolic link is resolved.
    pub protected_dirs: Vec<PathBuf>,
    /// Where a `pcap` result is spooled (an unnamed temporary file); the system temporary
    /// directory when unset.
    pub scratch_dir: Option<PathBuf>,
}

impl Default for ExecContext {
    fn default() -> Self {
        ExecContext {
            capture_dir: None,
            max_pcap_bytes: 512 * 1024 * 1024,
            max_file_get_bytes: 16 * 1024 * 1024,
            max_file_hash_bytes: 4 * 1024 * 1024 * 1024,
            allow_kill: false,
            agent_config: Value::Null,
            proc_root: PathBuf::from("/proc"),
            time_limit: DEFAULT_TIME_LIMIT,
            protected_dirs: Vec::new(),
            scratch_dir: None,
        }
    }
}

/// A job's default time limit (`[daemon] max_job_secs`).
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(900);

/// A finished job's result bytes: in memory (small JSON results, `file.get`) or in an
/// unnamed temporary file (`pcap`), streamed from there to the server.
#[derive(Debug)]
pub enum ResultData {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A temporary file holding `len` bytes (deleted when dropped).
    File {
        /// The file, positioned anywhere (readers seek to the start).
        file: std::fs::File,
        /// Its length.
        len: u64,
    },
}

impl ResultData {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            ResultData::Bytes(b) => b.len() as u64,
            ResultData::File { len, .. } => *len,
        }
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All bytes in memory (tests, small results).
    pub fn into_vec(self) -> std::io::Result<Vec<u8>> {
        match self {
            ResultData::Bytes(b) => Ok(b),
            ResultData::File { mut file, len } => {
                file.seek(SeekFrom::Start(0))?;
                let mut v = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                file.read_to_end(&mut v)?;
                Ok(v)
            }
        }
    }
}

impl From<Vec<u8>> for ResultData {
    fn from(b: Vec<u8>) -> Self {
        ResultData::Bytes(b)
    }
}

/// A finished job's result.
#[derive(Debug)]
pub struct JobOutput {
    /// The result bytes uploaded to the server.
    pub data: ResultData,
    /// Its file extension (`pcap`, `json`, `bin`).
    pub file_extension: String,
    /// A short human summary.
    pub summary: String,
}

/// Why a job could not be run.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job's kind is not one this agent runs.
    #[error("unsupported job kind {0:?}")]
    UnsupportedKind(String),
    /// A parameter is missing or wrong.
    #[error("invalid job parameters: {0}")]
    InvalidParameters(String),
    /// The requested window is not covered by the stored captures.
    #[error("no data available for the requested window: {0}")]
    NoData(String),
    /// The agent has no capture directory configured.
    #[error("no capture directory is configured on this agent")]
    NoCaptureDir,
    /// This agent's OS has no packet capture of Outpost's own, and no directory is configured.
    #[error(
        "capture is unsupported on {0}: this agent cannot capture packets (configure [daemon] capture_dir to serve pcap jobs from another capture tool's files)"
    )]
    CaptureUnsupported(&'static str),
    /// The result would be too large.
    #[error("result too large: {0}")]
    TooLarge(String),
    /// The action is disabled on this agent.
    #[error("{0} is disabled on this agent")]
    Disabled(&'static str),
    /// The job ran past its time limit.
    #[error("the job exceeded its time limit of {} s", .0.as_secs())]
    TimedOut(Duration),
    /// The path is inside a directory this agent never hands out.
    #[error("{0} is inside the agent's own data directory; refused")]
    Protected(String),
    /// The target process is gone or its pid now belongs to another process.
    #[error("process check failed: {0}")]
    ProcessMismatch(String),
    /// I/O failure.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A capture file could not be read.
    #[error(transparent)]
    Capture(#[from] pcapio::PcapIoError),
}

impl JobError {
    /// True when retrying cannot help (the server should fail the job at once).
    pub fn is_permanent(&self) -> bool {
        !matches!(self, JobError::Io { .. } | JobError::Capture(_))
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> JobError {
    let context = context.into();
    move |source| JobError::Io { context, source }
}

impl From<OpenError> for JobError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Io { path, source } => JobError::Io {
                context: format!("cannot open {path}"),
                source,
            },
            other => JobError::InvalidParameters(other.to_string()),
        }
    }
}

/// When a job must be done by.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Deadline {
    fn new(limit: Duration) -> Self {
        Deadline {
            at: Instant::now() + limit,
            limit,
        }
    }
    fn passed(&self) -> bool {
        Instant::now() >= self.at
    }
    fn check(&self) -> Result<(), JobError> {
        if self.passed() {
            Err(JobError::TimedOut(self.limit))
        } else {
            Ok(())
        }
    }
}

/// Runs `job` on this machine.
pub fn execute(job: &Job, ctx: &ExecContext) -> Result<JobOutput, JobError> {
    let deadline = Deadline::new(ctx.time_limit);
    match job.kind.as_str() {
        "pcap" => pcap(job, ctx, deadline),
        "file.hash" => file_hash(job, ctx, deadline),
        "file.get" => file_get(job, ctx, deadline),
        "process.list" => process_list(ctx),
        "process.kill" => process_kill(job, ctx),
        "agent.config" => agent_config(ctx),
        other => Err(JobError::UnsupportedKind(other.to_string())),
    }
}

fn json_output(v: &Value, summary: String) -> JobOutput {
    JobOutput {
        data: ResultData::Bytes(serde_json::to_vec_pretty(v).unwrap_or_default()),
        file_extension: "json".into(),
        summary,
    }
}

fn param_str<'a>(job: &'a Job, name: &str) -> Result<&'a str, JobError> {
    job.filter
        .parameters
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            JobError::InvalidParameters(format!("parameters.{name} (string) is required"))
        })
}

fn param_u64(job: &Job, name: &str) -> Result<u64, JobError> {
    match job.filter.parameters.get(name) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        JobError::InvalidParameters(format!("parameters.{name} (unsigned integer) is required"))
    })
}

/// Capture files under `dir`, sorted by name.
fn capture_files(dir: &Path) -> Result<Vec<(PathBuf, SystemTime)>, JobError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(io_err(format!("cannot list {}", d.display())))?;
        for e in rd.flatten() {
            // Hidden files are no capture data: Outpost's capture creates each file under a
            // hidden temporary name and renames it once its header is complete.
            if e.file_name().as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if meta.is_file() && meta.len() > 0 {
                out.push((e.path(), meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn fmt_ts(d: Duration) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(d.as_secs()).unwrap_or(0), d.subsec_nanos())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Length of a pcap file header and of a record header.
const PCAP_HEADER: u64 = 24;
const RECORD_HEADER: u64 = 16;

/// A nanosecond pcap file header (native byte order, as [`pcapio::write_pcap`] writes).
fn pcap_header(linktype: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_3c4du32.to_ne_bytes());
    h[4..6].copy_from_slice(&2u16.to_ne_bytes());
    h[6..8].copy_from_slice(&4u16.to_ne_bytes());
    h[16..20].copy_from_slice(&262_144u32.to_ne_bytes());
    h[20..24].copy_from_slice(&linktype.to_ne_bytes());
    h
}

fn write_record(w: &mut impl Write, f: &Frame) -> std::io::Result<()> {
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(
        &u32::try_from(f.ts.as_secs())
            .unwrap_or(u32::MAX)
            .to_ne_bytes(),
    );
    h[4..8].copy_from_slice(&f.ts.subsec_nanos().to_ne_bytes());
    h[8..12].copy_from_slice(
        &u32::try_from(f.data.len())
            .unwrap_or(u32::MAX)
            .to_ne_bytes(),
    );
    h[12..16].copy_from_slice(&f.orig_len.to_ne_bytes());
    w.write_all(&h)?;
    w.write_all(&f.data)
}

fn scratch_file(ctx: &ExecContext) -> Result<std::fs::File, JobError> {
    let dir = ctx.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    tempfile::tempfile_in(&dir).map_err(io_err(format!(
        "cannot create a temporary file in {}",
        dir.display()
    )))
}

/// Rewrites the records of `spool` (a pcap file written in read order) sorted by time into a
/// new temporary file. Memory: 16 bytes per packet (time and offset), never the packets.
fn sort_spool(
    ctx: &ExecContext,
    spool: &mut std::fs::File,
    deadline: Deadline,
) -> Result<std::fs::File, JobError> {
    let ioe = || io_err("cannot sort the pcap result");
    spool.seek(SeekFrom::Start(0)).map_err(ioe())?;
    let mut r = std::io::BufReader::with_capacity(1 << 16, &mut *spool);
    let mut header = [0u8; 24];
    r.read_exact(&mut header).map_err(ioe())?;
    let mut index: Vec<(u64, u64)> = Vec::new();
    let mut off = PCAP_HEADER;
    let mut rec = [0u8; 16];
    loop {
        match r.read_exact(&mut rec) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(ioe()(e)),
        }
        let word = |i: usize| u32::from_ne_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
        let ts = u64::from(word(0)) * 1_000_000_000 + u64::from(word(4));
        let len = u64::from(word(8));
        index.push((ts, off));
        std::io::copy(&mut (&mut r).take(len), &mut std::io::sink()).map_err(ioe())?;
        off += RECORD_HEADER + len;
    }
    drop(r);
    deadline.check()?;
    index.sort_unstable();
    let out = scratch_file(ctx)?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    w.write_all(&header).map_err(ioe())?;
    let mut buf = Vec::new();
    for (i, (_, at)) in index.iter().enumerate() {
        if i % 4096 == 0 {
            deadline.check()?;
        }
        spool.seek(SeekFrom::Start(*at)).map_err(ioe())?;
        spool.read_exact(&mut rec).map_err(ioe())?;
        let len = u32::from_ne_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
        buf.resize(len, 0);
        spool.read_exact(&mut buf).map_err(ioe())?;
        w.write_all(&rec).map_err(ioe())?;
        w.write_all(&buf).map_err(ioe())?;
    }
    w.into_inner().map_err(|e| ioe()(e.into_error()))
}

fn pcap(job: &Job, ctx: &ExecContext, deadline: Deadline) -> Result<JobOutput, JobError> {
    let dir = ctx
        .capture_dir
        .as_deref()
        .ok_or(if outpost_platform::PACKET_CAPTURE {
            JobError::NoCaptureDir
        } else {
            JobError::CaptureUnsupported(outpost_platform::OS)
        })?;
    let (Some(begin), Some(end)) = (job.filter.begin_time, job.filter.end_time) else {
        return Err(JobError::InvalidParameters(
            "pcap jobs need beginTime and endTime".into(),
        ));
    };
    if end < begin {
        return Err(JobError::InvalidParameters(
            "endTime is before beginTime".into(),
        ));
    }
    let m = FlowMatcher::new(&job.filter).map_err(JobError::InvalidParameters)?;
    let (Some(wb), Some(we)) = (m.begin, m.end) else {
        return Err(JobError::InvalidParameters(
            "pcap jobs need beginTime and endTime".into(),
        ));
    };
    let files = capture_files(dir)?;
    let mut covered: Option<(Duration, Duration)> = None;
    // Matching packets go straight to an unnamed temporary file, in the order they are read;
    // the header's link type is filled in at the end.
    let spool = scratch_file(ctx)?;
    let mut out = BufWriter::with_capacity(1 << 16, spool);
    out.write_all(&pcap_header(1))
        .map_err(io_err("cannot write the pcap result"))?;
    let mut n: usize = 0;
    let mut size: u64 = PCAP_HEADER;
    let mut last_ts: Option<Duration> = None;
    let mut in_order = true;
    let mut write_error: Option<std::io::Error> = None;
    let mut timed_out = false;
    let mut truncated = false;
    let mut linktype: Option<u32> = None;
    let mut mixed = false;
    let mut unreadable = Vec::new();
    for (path, mtime) in &files {
        deadline.check()?;
        // A file last written before the window holds nothing in it; still note its range so
        // the "outside the stored data" answer can say what is stored.
        let mtime = mtime
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let skip_matching = mtime < wb;
        let mut first: Option<Duration> = None;
        let mut last: Option<Duration> = None;
        let mut seen: u64 = 0;
        let res = pcapio::read_capture_file(path, |f| {
            seen += 1;
            if seen.is_multiple_of(4096) && deadline.passed() {
                timed_out = true;
                return ControlFlow::Break(());
            }
            if first.is_none() {
                first = Some(f.ts);
                if skip_matching {
                    last = Some(mtime);
                    return ControlFlow::Break(());
                }
            }
            last = Some(f.ts);
            if !truncated && m.matches(&f) {
                match linktype {
                    None => linktype = Some(f.linktype),
                    Some(l) if l != f.linktype => {
                        mixed = true;
                        return ControlFlow::Continue(());
                    }
                    Some(_) => {}
                }
                let rec = RECORD_HEADER + f.data.len() as u64;
                if size + rec > ctx.max_pcap_bytes {
                    truncated = true;
                } else {
                    if let Err(e) = write_record(&mut out, &f) {
                        write_error = Some(e);
                        return ControlFlow::Break(());
                    }
                    size += rec;
                    n += 1;
                    if last_ts.is_some_and(|t| f.ts < t) {
                        in_order = false;
                    }
                    last_ts = Some(f.ts);
                }
            }
            ControlFlow::Continue(())
        });
        if let Some(e) = write_error.take() {
            return Err(io_err("cannot write the pcap result")(e));
        }
        if timed_out {
            return Err(JobError::TimedOut(deadline.limit));
        }
        if let Err(e) = res {
            unreadable.push(e.to_string());
            continue;
        }
        if let (Some(a), Some(b)) = (first, last) {
            covered = Some(match covered {
                None => (a, b),
                Some((x, y)) => (x.min(a), y.max(b)),
            });
        }
    }
    let Some((have_from, have_to)) = covered else {
        return Err(JobError::NoData(format!(
            "no capture data is stored in {}{}",
            dir.display(),
            if unreadable.is_empty() {
                String::new()
            } else {
                format!(" ({} unreadable files)", unreadable.len())
            }
        )));
    };
    if we < have_from || wb > have_to {
        return Err(JobError::NoData(format!(
            "window {} .. {} is outside the stored data {} .. {}",
            fmt_ts(wb),
            fmt_ts(we),
            fmt_ts(have_from),
            fmt_ts(have_to)
        )));
    }
    let ioe = || io_err("cannot write the pcap result");
    let mut spool = out.into_inner().map_err(|e| ioe()(e.into_error()))?;
    spool.seek(SeekFrom::Start(20)).map_err(ioe())?;
    spool
        .write_all(&linktype.unwrap_or(1).to_ne_bytes())
        .map_err(ioe())?;
    let file = if in_order {
        spool
    } else {
        sort_spool(ctx, &mut spool, deadline)?
    };
    let mut summary = format!("{n} packets");
    if truncated {
        summary.push_str(&format!(", cut at the {} byte cap", ctx.max_pcap_bytes));
    }
    if mixed {
        summary.push_str(", packets of other link types left out");
    }
    if !unreadable.is_empty() {
        summary.push_str(&format!(
            ", {} unreadable capture files skipped",
            unreadable.len()
        ));
    }
    Ok(JobOutput {
        data: ResultData::File { file, len: size },
        file_extension: "pcap".into(),
        summary,
    })
}

/// Reads `f` in chunks into `sink`, at most `cap + 1` bytes, checking the deadline.
fn read_capped(
    f: std::fs::File,
    cap: u64,
    path: &str,
    deadline: Deadline,
    mut sink: impl FnMut(&[u8]),
) -> Result<u64, JobError> {
    let mut r = f.take(cap.saturating_add(1));
    let mut buf = vec![0u8; 64 * 1024];
    let mut n: u64 = 0;
    loop {
        deadline.check()?;
        let k = match r.read(&mut buf) {
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(format!("cannot read {path}"))(e)),
        };
        if k == 0 {
            break;
        }
        n += k as u64;
        sink(&buf[..k]);
    }
    Ok(n)
}

fn file_hash(job: &Job, ctx: &ExecContext, deadline: Deadline) -> Result<JobOutput, JobError> {
    let path = param_str(job, "path")?;
    let opened = open_regular(Path::new(path), Links::Refuse)?;
    let meta = opened.meta;
    if meta.len() > ctx.max_file_hash_bytes {
        return Err(JobError::TooLarge(format!(
            "{path} has {} bytes (cap {})",
            meta.len(),
            ctx.max_file_hash_bytes
        )));
    }
    let mut h = Sha256::new();
    let n = read_capped(opened.file, ctx.max_file_hash_bytes, path, deadline, |b| {
        h.update(b)
    })?;
    if n > ctx.max_file_hash_bytes {
        return Err(JobError::TooLarge(format!(
            "{path} grew past the cap while hashing"
        )));
    }
    let digest = hex::encode(h.finalize());
    Ok(json_output(
        &json!({ "path": path, "size": n, "sha256": digest }),
        format!("sha256 {digest}"),
    ))
}

/// True when `p` is inside one of `dirs` (both compared with symbolic links resolved).
fn is_protected(p: &Path, dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| {
        let d = d.canonicalize().unwrap_or_else(|_| d.clone());
        p.starts_with(&d)
    })
}

fn file_get(job: &Job, ctx: &ExecContext, deadline: Deadline) -> Result<JobOutput, JobError> {
    let path = param_str(job, "path")?;
    // Checked on the path with every link resolved, and again on where the opened file really
    // is (Linux), so neither a link nor a rename in between reaches the data directory.
    if let Ok(real) = std::fs::canonicalize(path)
        && is_protected(&real, &ctx.protected_dirs)
    {
        return Err(JobError::Protected(path.to_string()));
    }
    let opened = open_regular(Path::new(path), Links::Refuse)?;
    if let Some(real) = &opened.real_path
        && is_protected(real, &ctx.protected_dirs)
    {
        return Err(JobError::Protected(path.to_string()));
    }
    let meta = opened.meta;
    let cap = ctx.max_file_get_bytes;
    if meta.len() > cap {
        return Err(JobError::TooLarge(format!(
            "{path} has {} bytes (cap {cap})",
            meta.len()
        )));
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    read_capped(opened.file, cap, path, deadline, |b| {
        data.extend_from_slice(b)
    })?;
    if data.len() as u64 > cap {
        return Err(JobError::TooLarge(format!(
            "{path} grew past the cap of {cap} bytes"
        )));
    }
    let summary = format!(
        "{} bytes, sha256 {}",
        data.len(),
        hex::encode(Sha256::digest(&data))
    );
    Ok(JobOutput {
        data: ResultData::Bytes(data),
        file_extension: "bin".into(),
        summary,
    })
}

fn process_list(ctx: &ExecContext) -> Result<JobOutput, JobError> {
    let procs: Vec<Value> = outpost_platform::processes::list(&ctx.proc_root)
        .map_err(process_err)?
        .into_iter()
        .map(|p| {
            json!({
                "pid": p.pid, "ppid": p.ppid, "name": p.name, "state": p.state,
                "startTime": p.start_time, "uid": p.uid, "exe": p.exe, "cmdline": p.cmdline,
            })
        })
        .collect();
    let n = procs.len();
    Ok(json_output(
        &json!({ "processes": procs }),
        format!("{n} processes"),
    ))
}

fn process_err(e: outpost_platform::processes::ProcessError) -> JobError {
    use outpost_platform::processes::ProcessError;
    match e {
        ProcessError::Mismatch(m) => JobError::ProcessMismatch(m),
        ProcessError::Io { context, source } => JobError::Io { context, source },
    }
}

fn process_kill(job: &Job, ctx: &ExecContext) -> Result<JobOutput, JobError> {
    use outpost_platform::processes::{self, Signal};
    if !ctx.allow_kill {
        return Err(JobError::Disabled("process.kill"));
    }
    let pid = u32::try_from(param_u64(job, "pid")?)
        .ok()
        .filter(|p| *p > 1)
        .ok_or_else(|| JobError::InvalidParameters("pid must be > 1".into()))?;
    if pid == std::process::id() {
        return Err(JobError::InvalidParameters(
            "refusing to kill the agent itself".into(),
        ));
    }
    let expected_start = param_u64(job, "startTime")?;
    let signal = match job
        .filter
        .parameters
        .get("signal")
        .and_then(Value::as_str)
        .unwrap_or("KILL")
    {
        "KILL" | "SIGKILL" => Signal::Kill,
        "TERM" | "SIGTERM" => Signal::Term,
        other => {
            return Err(JobError::InvalidParameters(format!(
                "unsupported signal {other:?} (KILL or TERM)"
            )));
        }
    };
    // The platform pins the process, checks its start time, then signals through the pin.
    let killed =
        processes::kill(&ctx.proc_root, pid, expected_start, signal).map_err(process_err)?;
    let (comm, start, signal) = (killed.name, killed.start_time, signal.number());
    Ok(json_output(
        &json!({ "pid": pid, "name": comm, "startTime": start, "signal": signal, "sent": true }),
        format!("signal {signal} sent to pid {pid} ({comm})"),
    ))
}

/// Replaces values of keys that look secret.
fn redact(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let lk = k.to_ascii_lowercase();
                    let secret = ["key", "token", "secret", "password", "passwd", "credential"]
                        .iter()
                        .any(|s| lk.contains(s));
                    (
                        k.clone(),
                        if secret && !v.is_null() {
                            Value::String("<redacted>".into())
                        } else {
                            redact(v)
                        },
                    )
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn agent_config(ctx: &ExecContext) -> Result<JobOutput, JobError> {
    Ok(json_output(
        &redact(&ctx.agent_config),
        "effective agent configuration (secrets redacted)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(kind: &str, params: Value) -> Job {
        let mut filter = crate::model::Filter::default();
        if let Value::Object(m) = params {
            filter.parameters = m;
        }
        Job {
            id: 1,
            tenant_id: "t".into(),
            device_id: "d".into(),
            kind: kind.into(),
            filter,
            owner: "o".into(),
            status: crate::model::JobStatus::Running,
            attempts: 1,
            max_attempts: 3,
            fail_count: 0,
            failure: None,
            lease_id: None,
            lease_expires_at: None,
            not_before: None,
            expires_at: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            completed_at: None,
            failed_at: None,
            file_extension: "bin".into(),
            sensor: false,
            result_size: None,
            result_sha256: None,
        }
    }

    #[test]
    fn file_hash_and_get_with_caps() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello").unwrap();
        let ctx = ExecContext {
            max_file_get_bytes: 4,
            ..ExecContext::default()
        };
        let out = execute(&job("file.hash", json!({"path": p})), &ctx).unwrap();
        let v: Value = serde_json::from_slice(&out.data.into_vec().unwrap()).unwrap();
        assert_eq!(
            v["sha256"],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(matches!(
            execute(&job("file.get", json!({"path": p})), &ctx),
            Err(JobError::TooLarge(_))
        ));
        let ctx = ExecContext::default();
        assert_eq!(
            execute(&job("file.get", json!({"path": p})), &ctx)
                .unwrap()
                .data
                .into_vec()
                .unwrap(),
            b"hello"
        );
        assert!(matches!(
            execute(&job("file.get", json!({})), &ctx),
            Err(JobError::InvalidParameters(_))
        ));
        assert!(matches!(
            execute(&job("nope", json!({})), &ctx),
            Err(JobError::UnsupportedKind(_))
        ));
    }

    #[test]
    fn process_list_includes_self() {
        let out = execute(&job("process.list", json!({})), &ExecContext::default()).unwrap();
        let v: Value = serde_json::from_slice(&out.data.into_vec().unwrap()).unwrap();
        let me = std::process::id() as u64;
        assert!(
            v["processes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["pid"].as_u64() == Some(me))
        );
    }

    #[test]
    #[cfg(unix)]
    fn process_kill_checks_start_time() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let start = outpost_platform::processes::start_time(Path::new("/proc"), pid).unwrap();
        let ctx = ExecContext {
            allow_kill: true,
            ..ExecContext::default()
        };
        // Wrong start time (a "reused" pid): refused, process still alive.
        let r = execute(
            &job("process.kill", json!({"pid": pid, "startTime": start + 1})),
            &ctx,
        );
        assert!(matches!(r, Err(JobError::ProcessMismatch(_))), "{r:?}");
        assert!(child.try_wait().unwrap().is_none());
        // Disabled agent: refused.
        let r = execute(
            &job("process.kill", json!({"pid": pid, "startTime": start})),
            &ExecContext::default(),
        );
        assert!(matches!(r, Err(JobError::Disabled(_))));
        // Right start time: killed.
        execute(
            &job("process.kill", json!({"pid": pid, "startTime": start})),
            &ctx,
        )
        .unwrap();
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    }

    #[test]
    fn agent_config_redacts() {
        let ctx = ExecContext {
            agent_config: json!({"server": "http://x", "api_key": "s3cret", "nested": {"Token": "t"}}),
            ..ExecContext::default()
        };
        let out = execute(&job("agent.config", json!({})), &ctx).unwrap();
        let s = String::from_utf8(out.data.into_vec().unwrap()).unwrap();
        assert!(!s.contains("s3cret") && !s.contains("\"t\""));
        assert!(s.contains("http://x"));
    }

    #[test]
    fn pcap_refuses_outside_window_and_without_dir() {
        let ctx = ExecContext::default();
        let r = execute(&job("pcap", json!({})), &ctx);
        if outpost_platform::PACKET_CAPTURE {
            assert!(matches!(r, Err(JobError::NoCaptureDir)), "{r:?}");
        } else {
            // Windows: a clear, permanent error naming the OS, not a hang or a crash.
            let e = r.unwrap_err();
            assert!(e.is_permanent());
            assert!(
                e.to_string()
                    .starts_with("capture is unsupported on windows"),
                "{e}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let b = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(1, 2);
        let mut data = Vec::new();
        b.write(&mut data, b"x").unwrap();
        let frame = Frame {
            ts: Duration::from_secs(1_000_000),
            linktype: 1,
            orig_len: data.len() as u32,
            data,
        };
        std::fs::write(
            dir.path().join("a.pcap"),
            pcapio::write_pcap(1, &[frame]).unwrap(),
        )
        .unwrap();
        let ctx = ExecContext {
            capture_dir: Some(dir.path().into()),
            ..ExecContext::default()
        };
        let mut j = job("pcap", json!({}));
        j.filter.begin_time = chrono::DateTime::from_timestamp(2_000_000, 0);
        j.filter.end_time = chrono::DateTime::from_timestamp(2_000_100, 0);
        let r = execute(&j, &ctx);
        assert!(
            matches!(&r, Err(JobError::NoData(m)) if m.contains("outside the stored data")),
            "{r:?}"
        );
        j.filter.begin_time = chrono::DateTime::from_timestamp(999_990, 0);
        j.filter.end_time = chrono::DateTime::from_timestamp(1_000_010, 0);
        let out = execute(&j, &ctx).unwrap();
        assert_eq!(
            pcapio::read_capture_bytes(&out.data.into_vec().unwrap())
                .unwrap()
                .len(),
            1
        );
    }

    /// Runs `f` on a thread; `None` when it has not returned after 5 s (it blocked).
    fn within_5s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(5)).ok()
    }

    /// A `file.hash`/`file.get` job on a FIFO (a real `mkfifo`, no writer) used
    /// to block the job runner forever in `open`; it is refused at once, as are a symbolic
    /// link and a device.
    #[cfg(unix)]
    #[test]
    fn file_jobs_refuse_fifo_symlink_and_device_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        crate::fsopen::tests::mkfifo(&fifo);
        for kind in ["file.hash", "file.get"] {
            let j = job(kind, json!({"path": fifo}));
            let r = within_5s(move || execute(&j, &ExecContext::default()).map(|_| ()))
                .unwrap_or_else(|| panic!("{kind} on a FIFO blocked"));
            assert!(
                matches!(&r, Err(JobError::InvalidParameters(m)) if m.contains("FIFO")),
                "{kind}: {r:?}"
            );
            assert!(r.unwrap_err().is_permanent());
        }
        let target = dir.path().join("t");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let r = execute(
            &job("file.get", json!({"path": link})),
            &ExecContext::default(),
        );
        assert!(
            matches!(&r, Err(JobError::InvalidParameters(m)) if m.contains("symbolic link")),
            "{r:?}"
        );
        let r = execute(
            &job("file.hash", json!({"path": "/dev/zero"})),
            &ExecContext::default(),
        );
        assert!(
            matches!(&r, Err(JobError::InvalidParameters(m)) if m.contains("character device")),
            "{r:?}"
        );
    }

    /// `file.get` refuses the agent's own data directory (its `agent.toml` holds
    /// the device token), also through a link in a parent directory.
    #[cfg(unix)]
    #[test]
    fn file_get_refuses_the_agents_data_directory() {
        let data = tempfile::tempdir().unwrap();
        std::fs::write(data.path().join("agent.toml"), b"device_token = \"opd_x\"").unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let via = elsewhere.path().join("via");
        std::os::unix::fs::symlink(data.path(), &via).unwrap();
        let ctx = ExecContext {
            protected_dirs: vec![data.path().to_path_buf()],
            ..ExecContext::default()
        };
        for p in [data.path().join("agent.toml"), via.join("agent.toml")] {
            let r = execute(&job("file.get", json!({"path": p})), &ctx);
            assert!(matches!(&r, Err(JobError::Protected(_))), "{p:?}: {r:?}");
        }
        // Other files are still served.
        let ok = elsewhere.path().join("ok");
        std::fs::write(&ok, b"fine").unwrap();
        let out = execute(&job("file.get", json!({"path": ok})), &ctx).unwrap();
        assert_eq!(out.data.into_vec().unwrap(), b"fine");
    }

    /// Every job has a time limit: an executor past it stops reading and the job fails.
    #[test]
    fn file_hash_stops_at_the_time_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![1u8; 1 << 20]).unwrap();
        let ctx = ExecContext {
            time_limit: Duration::ZERO,
            ..ExecContext::default()
        };
        let r = execute(&job("file.hash", json!({"path": p})), &ctx);
        assert!(matches!(r, Err(JobError::TimedOut(_))), "{r:?}");
        assert!(r.unwrap_err().is_permanent());
    }

    /// Captures read out of time order (two files overlapping) come out sorted, through the
    /// on-disk spool.
    #[test]
    fn pcap_result_is_sorted_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let frame = |secs: u64| {
            let b = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                .udp(1, 2);
            let mut data = Vec::new();
            b.write(&mut data, &secs.to_be_bytes()).unwrap();
            Frame {
                ts: Duration::from_secs(secs),
                linktype: 1,
                orig_len: data.len() as u32,
                data,
            }
        };
        let a: Vec<Frame> = [1_000_000, 1_000_002, 1_000_004].map(frame).to_vec();
        let b: Vec<Frame> = [1_000_001, 1_000_003].map(frame).to_vec();
        std::fs::write(
            dir.path().join("a.pcap"),
            pcapio::write_pcap(1, &a).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.pcap"),
            pcapio::write_pcap(1, &b).unwrap(),
        )
        .unwrap();
        let ctx = ExecContext {
            capture_dir: Some(dir.path().into()),
            scratch_dir: Some(dir.path().join(".scratch")),
            ..ExecContext::default()
        };
        let mut j = job("pcap", json!({}));
        j.filter.begin_time = chrono::DateTime::from_timestamp(999_990, 0);
        j.filter.end_time = chrono::DateTime::from_timestamp(1_000_010, 0);
        let out = execute(&j, &ctx).unwrap();
        assert!(matches!(out.data, ResultData::File { .. }));
        let len = out.data.len();
        let bytes = out.data.into_vec().unwrap();
        assert_eq!(bytes.len() as u64, len);
        let ts: Vec<u64> = pcapio::read_capture_bytes(&bytes)
            .unwrap()
            .iter()
            .map(|f| f.ts.as_secs())
            .collect();
        assert_eq!(ts, [1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_000_004]);
        // The same bytes as the in-memory writer produces for the sorted frames.
        let mut all = a.clone();
        all.extend(b.clone());
        all.sort_by_key(|f| f.ts);
        assert_eq!(bytes, pcapio::write_pcap(1, &all).unwrap());
    }
}
