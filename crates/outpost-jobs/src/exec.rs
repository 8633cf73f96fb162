//! Agent-side job executors: what an Outpost agent does with a claimed job.
//!
//! [`execute`] dispatches on the job kind:
//! * `pcap` — the packets of the filter's flow and window, cut from the rolling capture
//!   directory (pcap/pcapng files written by tcpdump, dumpcap or Outpost's own capture,
//!   `outpost_sensors::capture`; hidden files are ignored), as a pcap file;
//! * `file.hash` — SHA-256 and size of `parameters.path`;
//! * `file.get` — the bytes of `parameters.path`, refused above a size cap;
//! * `process.list` — the processes (`outpost_platform::processes`: `/proc` on Linux, a
//!   Toolhelp snapshot on Windows);
//! * `process.kill` — signal `parameters.pid`, but only if its start time still equals
//!   `parameters.startTime` (as `process.list` reports it: clock ticks since boot on Linux,
//!   the creation time on Windows), so a reused pid is never hit; the check and the signal go
//!   through a pidfd (a process handle on Windows), so the pid cannot be reused in between;
//! * `agent.config` — the agent's effective configuration with secrets redacted.

use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

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
        }
    }
}

/// A finished job's result.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutput {
    /// The result bytes uploaded to the server.
    pub data: Vec<u8>,
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

/// Runs `job` on this machine.
pub fn execute(job: &Job, ctx: &ExecContext) -> Result<JobOutput, JobError> {
    match job.kind.as_str() {
        "pcap" => pcap(job, ctx),
        "file.hash" => file_hash(job, ctx),
        "file.get" => file_get(job, ctx),
        "process.list" => process_list(ctx),
        "process.kill" => process_kill(job, ctx),
        "agent.config" => agent_config(ctx),
        other => Err(JobError::UnsupportedKind(other.to_string())),
    }
}

fn json_output(v: &Value, summary: String) -> JobOutput {
    JobOutput {
        data: serde_json::to_vec_pretty(v).unwrap_or_default(),
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

fn pcap(job: &Job, ctx: &ExecContext) -> Result<JobOutput, JobError> {
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
    let mut matched: Vec<Frame> = Vec::new();
    let mut size: u64 = 24;
    let mut truncated = false;
    let mut linktype: Option<u32> = None;
    let mut mixed = false;
    let mut unreadable = Vec::new();
    for (path, mtime) in &files {
        // A file last written before the window holds nothing in it; still note its range so
        // the "outside the stored data" answer can say what is stored.
        let mtime = mtime
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let skip_matching = mtime < wb;
        let mut first: Option<Duration> = None;
        let mut last: Option<Duration> = None;
        let res = pcapio::read_capture_file(path, |f| {
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
                let rec = 16 + f.data.len() as u64;
                if size + rec > ctx.max_pcap_bytes {
                    truncated = true;
                } else {
                    size += rec;
                    matched.push(f);
                }
            }
            ControlFlow::Continue(())
        });
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
    matched.sort_by_key(|f| f.ts);
    let n = matched.len();
    let data = pcapio::write_pcap(linktype.unwrap_or(1), &matched)?;
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
        data,
        file_extension: "pcap".into(),
        summary,
    })
}

fn file_hash(job: &Job, ctx: &ExecContext) -> Result<JobOutput, JobError> {
    let path = param_str(job, "path")?;
    let f = std::fs::File::open(path).map_err(io_err(format!("cannot open {path}")))?;
    let meta = f
        .metadata()
        .map_err(io_err(format!("cannot stat {path}")))?;
    if !meta.is_file() {
        return Err(JobError::InvalidParameters(format!(
            "{path} is not a regular file"
        )));
    }
    if meta.len() > ctx.max_file_hash_bytes {
        return Err(JobError::TooLarge(format!(
            "{path} has {} bytes (cap {})",
            meta.len(),
            ctx.max_file_hash_bytes
        )));
    }
    let mut h = Sha256::new();
    let mut r = std::io::BufReader::new(f.take(ctx.max_file_hash_bytes + 1));
    let mut buf = vec![0u8; 64 * 1024];
    let mut n: u64 = 0;
    loop {
        let k = r
            .read(&mut buf)
            .map_err(io_err(format!("cannot read {path}")))?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
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

fn file_get(job: &Job, ctx: &ExecContext) -> Result<JobOutput, JobError> {
    let path = param_str(job, "path")?;
    let f = std::fs::File::open(path).map_err(io_err(format!("cannot open {path}")))?;
    let meta = f
        .metadata()
        .map_err(io_err(format!("cannot stat {path}")))?;
    if !meta.is_file() {
        return Err(JobError::InvalidParameters(format!(
            "{path} is not a regular file"
        )));
    }
    let cap = ctx.max_file_get_bytes;
    if meta.len() > cap {
        return Err(JobError::TooLarge(format!(
            "{path} has {} bytes (cap {cap})",
            meta.len()
        )));
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.take(cap + 1)
        .read_to_end(&mut data)
        .map_err(io_err(format!("cannot read {path}")))?;
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
        data,
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
        let v: Value = serde_json::from_slice(&out.data).unwrap();
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
                .data,
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
        let v: Value = serde_json::from_slice(&out.data).unwrap();
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
        let s = String::from_utf8(out.data).unwrap();
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
        assert_eq!(pcapio::read_capture_bytes(&out.data).unwrap().len(), 1);
    }
}
