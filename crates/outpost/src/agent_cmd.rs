//! `outpost agent …`

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use outpost_agent::config::AgentConfig;
use outpost_agent::run_once::{RunOptions, run_once};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Enroll this machine with a server, using its tenant's enrollment key.
    Enroll(EnrollArgs),
    /// Correlate buffered events once, upload hits, prune the buffer, and exit.
    RunOnce(RunOnceArgs),
    /// Import OS logs (EVTX files, audit logs) into the buffer, for the next run to correlate.
    Ingest(IngestArgs),
    /// Run as a daemon: live collectors, correlation every minute, uploads, jobs.
    Run(RunArgs),
    /// Run only Outpost's rolling packet capture (`[capture]` of agent.toml, `enabled` not
    /// needed) until SIGINT/SIGTERM; prints the counters as JSON when it stops.
    Capture(CaptureArgs),
    /// Install this binary as the agent service (Linux: systemd unit, /usr/local/bin/outpost,
    /// /var/lib/outpost-agent; Windows: the OutpostAgent service, C:\Program Files\Outpost,
    /// C:\ProgramData\Outpost, WFP auditing on); `--run-once-every 5m` (or `--timer`) for the
    /// scheduled run-once mode (systemd timer; Windows scheduled task).
    Install(crate::install::InstallArgs),
    /// Stop and remove the agent service and the binary; `--purge` also deletes the data.
    Uninstall(crate::install::UninstallArgs),
    /// The Windows service's entry point, started by the Service Control Manager (`agent
    /// install` registers it): runs the daemon of `agent run` until the SCM stops it; logs to
    /// DATA_DIR\logs\agent-service.log.
    #[cfg(windows)]
    #[command(hide = true)]
    Service(RunArgs),
    /// Started detached by the Windows service after a self-update or an `agent.restart` job:
    /// waits until the service has stopped (and its process `--after-pid` has exited), then asks
    /// the SCM to start it again, now with the installed (new) outpost.exe. Logs to
    /// DATA_DIR\logs\agent-service-restart.log.
    #[cfg(windows)]
    #[command(hide = true)]
    ServiceRestart(ServiceRestartArgs),
}

#[cfg(windows)]
#[derive(Args)]
pub struct ServiceRestartArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// The stopping service's process: started again once it has exited.
    #[arg(long)]
    pub after_pid: Option<u32>,
}

#[derive(Args)]
pub struct CaptureArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// Capture on this interface instead of `[capture] interface`.
    #[arg(long)]
    pub interface: Option<String>,
    /// Write into this directory instead of `[capture] dir`.
    #[arg(long)]
    pub capture_dir: Option<PathBuf>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub seconds: Option<u64>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub dir: DataDir,
}

#[derive(Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// `.evtx` files or audit logs (format detected from the content).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Map a device path to a drive for WFP application paths, e.g. `\device\harddiskvolume3=C:`.
    #[arg(long = "drive", value_name = "DEVICE=DRIVE")]
    pub drives: Vec<String>,
    /// Print the import statistics as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct DataDir {
    /// The agent's data directory (config, state, buffer, cache, spool).
    #[arg(long, env = "OUTPOST_AGENT_DIR", default_value = default_agent_dir())]
    pub data_dir: PathBuf,
}

pub(crate) fn default_agent_dir() -> &'static str {
    if cfg!(windows) {
        r"C:\ProgramData\Outpost"
    } else {
        "/var/lib/outpost-agent"
    }
}

#[derive(Args)]
pub struct EnrollArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// Server URL, e.g. http://127.0.0.1:8470
    #[arg(long, env = "OUTPOST_SERVER", value_parser = outpost_core::api::server_url)]
    pub server: String,
    /// The tenant's enrollment key.
    #[arg(long, env = "OUTPOST_ENROLL_KEY", hide_env_values = true)]
    pub key: String,
    /// Name to enroll under (default: this machine's hostname).
    #[arg(long)]
    pub hostname: Option<String>,
    /// A local hotlist to correlate against instead of the server's intel bundles (plain/CIDR
    /// list, IPsum, or signed bundle); the server's signing key is then not pinned.
    #[arg(long)]
    pub hotlist: Option<PathBuf>,
    /// Read this host's OS logs on every run: `/var/log/audit/audit.log` (with its
    /// rotations) on Linux, the Security and Sysmon channels on Windows. Leave it off where the
    /// daemon's live collectors already see the same events.
    #[arg(long)]
    pub os_logs: bool,
    /// Pin this intel signing key (64 hex digits, from `outpost key intel-public`) instead of
    /// trusting the one the server sends at enrollment; enrollment fails if they differ.
    #[arg(long)]
    pub intel_key: Option<String>,
    /// Pin this release signing key (64 hex digits, `outpost release keygen`) for self-update
    /// instead of trusting the one the server offers at enrollment.
    #[arg(long)]
    pub release_key: Option<String>,
    /// Do nothing when this data directory is already enrolled (agent.toml has a device id):
    /// for a container's init step or a provisioning script that runs on every start.
    #[arg(long)]
    pub if_absent: bool,
}

#[derive(Args)]
pub struct RunOnceArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// Correlate now, whatever the processing window says.
    #[arg(long)]
    pub now: bool,
    /// Use this hotlist instead of the configured one.
    #[arg(long)]
    pub hotlist: Option<PathBuf>,
    /// Print the run report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: AgentCommand) -> Result<ExitCode> {
    match cmd {
        AgentCommand::Enroll(a) => enroll(a).map(|_| ExitCode::SUCCESS),
        AgentCommand::RunOnce(a) => run_once_cmd(a),
        AgentCommand::Ingest(a) => ingest(a),
        AgentCommand::Run(a) => daemon(a),
        AgentCommand::Capture(a) => capture(a),
        AgentCommand::Install(a) => {
            crate::install::install(crate::install::Role::Agent, &a).map(|()| ExitCode::SUCCESS)
        }
        AgentCommand::Uninstall(a) => {
            crate::install::uninstall(crate::install::Role::Agent, &a).map(|()| ExitCode::SUCCESS)
        }
        #[cfg(windows)]
        AgentCommand::Service(a) => {
            crate::install::windows::run_service(a.dir.data_dir).map(|()| ExitCode::SUCCESS)
        }
        #[cfg(windows)]
        AgentCommand::ServiceRestart(a) => {
            crate::install::windows::restart_service(a.after_pid).map(|()| ExitCode::SUCCESS)
        }
    }
}

fn capture(a: CaptureArgs) -> Result<ExitCode> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut cfg = AgentConfig::load(&a.dir.data_dir)?.capture;
    if let Some(i) = a.interface {
        cfg.interface = i;
    }
    if let Some(d) = a.capture_dir {
        cfg.dir = Some(d);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_flag(sig, stop.clone())?;
    }
    let cap = outpost_sensors::capture::start(&cfg).context("cannot start the capture")?;
    eprintln!(
        "capturing on {} into {}",
        cfg.interface,
        cap.dir().display()
    );
    let until = a
        .seconds
        .map(|s| std::time::Instant::now() + Duration::from_secs(s));
    while !stop.load(Ordering::Relaxed) && until.is_none_or(|u| std::time::Instant::now() < u) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let counters = cap.stop().context("capture failed")?;
    println!("{}", serde_json::to_string(&counters)?);
    Ok(ExitCode::SUCCESS)
}

/// Creates the data directory if needed and checks that files can be written in it, with a
/// message saying which directory and how to choose another.
/// An enrollment failure as something to act on.
fn enroll_error(server: &str, e: outpost_agent::enroll::EnrollError) -> anyhow::Error {
    use outpost_agent::enroll::EnrollError;
    use outpost_agent::upload::UploadError;
    match e {
        EnrollError::NotWritable { dir, source } => anyhow::anyhow!(
            "the agent's data directory {dir} is not writable ({source}): run as a user who may \
             write there (root for the default), or choose another directory with \
             --data-dir or OUTPOST_AGENT_DIR"
        ),
        EnrollError::Server(UploadError::Auth { status, .. }) => anyhow::anyhow!(
            "the server at {server} refused the enrollment key ({status}): check that you \
             copied the whole key (ope_…) and that it was not revoked; create one with \
             `outpost key create --kind enrollment --tenant NAME` on the server, or on the \
             UI's Keys page"
        ),
        EnrollError::Server(UploadError::Transient(m)) => anyhow::anyhow!(
            "cannot reach the Outpost server at {server} ({m}): is it running (`outpost server` \
             or `outpost up`), and are the address and port right? `curl {server}/healthz` \
             answers `ok` when they are"
        ),
        EnrollError::Server(other) => anyhow::anyhow!("enrolling with {server}: {other}"),
        other => anyhow::Error::new(other),
    }
}

/// Enrolls and writes `agent.toml` (`outpost_agent::enroll`); returns the saved configuration.
pub fn enroll(a: EnrollArgs) -> Result<AgentConfig> {
    use outpost_agent::enroll::{EnrollOptions, Enrolled};
    let server = a.server.clone();
    let dir = a.dir.data_dir;
    let outcome = outpost_agent::enroll::enroll(
        &dir,
        EnrollOptions {
            server: a.server,
            key: a.key,
            hostname: a.hostname,
            hotlist: a.hotlist,
            os_logs: a.os_logs,
            intel_key: a.intel_key,
            release_key: a.release_key,
            if_absent: a.if_absent,
        },
    )
    .map_err(|e| enroll_error(&server, e))?;
    let (cfg, device_id, os_logs_found) = match outcome {
        Enrolled::Already(cfg) => {
            let id = cfg.device_id.clone().unwrap_or_default();
            println!("already enrolled as device {id} ({})", dir.display());
            return Ok(cfg);
        }
        Enrolled::New {
            config,
            device_id,
            os_logs_found,
        } => (config, device_id, os_logs_found),
    };
    if !os_logs_found {
        eprintln!(
            "warning: --os-logs: no OS log found on this host (is auditd installed and running?)"
        );
    }
    match &cfg.intel_public_key {
        Some(k) => eprintln!("intel: the server's signed bundles, key {k} pinned"),
        None => eprintln!("intel: local hotlist only (no intel key pinned)"),
    }
    eprintln!(
        "enrolled as device {device_id} (config in {})",
        outpost_agent::DataDir::new(&dir).config().display()
    );
    Ok(cfg)
}

fn run_once_cmd(a: RunOnceArgs) -> Result<ExitCode> {
    let opts = RunOptions {
        force: a.now,
        hotlist: a.hotlist,
        ..RunOptions::default()
    };
    let r = run_once(&a.dir.data_dir, &opts).context("agent run failed")?;
    if a.json {
        let v = serde_json::json!({
            "correlated": r.correlated,
            "reason": r.reason,
            "hotlist_version": r.hotlist_version,
            "lines_scanned": r.scan.lines,
            "events_matched": r.scan.matched,
            "malformed_lines": r.scan.malformed,
            "hits": r.hits,
            "hashes_computed": r.hashes_computed,
            "batches_spooled": r.batches_spooled,
            "batches_dropped": r.batches_dropped,
            "batches_sent": r.flush.batches_sent,
            "hits_stored": r.flush.hits_stored,
            "duplicates": r.flush.duplicates,
            "rejected": r.flush.rejected,
            "pending": r.flush.pending,
            "last_error": r.flush.last_error,
            "files_pruned": r.pruned.files_deleted,
            "unprocessed_events_dropped": r.pruned.unprocessed_events_dropped,
            "os_logs": r.sources,
        });
        println!("{v}");
    } else {
        eprintln!(
            "{}; scanned {} lines, {} matched, {} hits in {} batches; sent {} batches ({} hits stored); {} pending",
            r.reason,
            r.scan.lines,
            r.scan.matched,
            r.hits,
            r.batches_spooled,
            r.flush.batches_sent,
            r.flush.hits_stored,
            r.flush.pending
        );
    }
    if r.flush.pending > 0 {
        bail!(
            "upload incomplete: {} batch(es) kept in the spool for the next run ({})",
            r.flush.pending,
            r.flush.last_error.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Log reading options with the `--drive DEVICE=DRIVE` mappings `drives`.
pub(crate) fn ingest_options(drives: &[String]) -> Result<outpost_oslog::IngestOptions> {
    let mut opts = outpost_oslog::IngestOptions::default();
    for d in drives {
        let (dev, drive) = d
            .split_once('=')
            .with_context(|| format!("--drive {d:?}: expected DEVICE=DRIVE"))?;
        opts.drive_map.insert(dev, drive);
    }
    Ok(opts)
}

fn ingest(a: IngestArgs) -> Result<ExitCode> {
    use std::io::{IsTerminal, Write};
    let opts = ingest_options(&a.drives)?;
    let tty = std::io::stderr().is_terminal();
    let mut last = std::time::Instant::now();
    let stats =
        outpost_agent::ingest::ingest_files(&a.dir.data_dir, &a.files, &opts, &mut |path, p| {
            if tty && (last.elapsed() > Duration::from_millis(200) || p.bytes_done == p.bytes_total)
            {
                last = std::time::Instant::now();
                eprint!(
                    "\r{}",
                    progress_line(path, p.bytes_done, p.bytes_total, p.records)
                );
                let _ = std::io::stderr().flush();
            }
        })
        .context("ingest failed")?;
    if tty {
        eprintln!();
    }
    if a.json {
        println!("{}", serde_json::to_string(&stats)?);
    } else {
        eprintln!(
            "read {} records from {} file(s): {} events buffered, {} malformed records skipped",
            stats.records_read,
            stats.files,
            stats.events_total(),
            stats.malformed
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of the ingest progress bar. `done` may pass `total` when a file grows while it
/// is read (a live audit log): the bar is clamped at 100 %.
fn progress_line(path: &std::path::Path, done: u64, total: u64, records: u64) -> String {
    const WIDTH: usize = 20;
    let pct = done
        .saturating_mul(100)
        .checked_div(total)
        .unwrap_or(100)
        .min(100);
    let filled = (pct as usize * WIDTH) / 100;
    let name = path.display().to_string();
    let tail: String = {
        let chars: Vec<char> = name.chars().collect();
        chars[chars.len().saturating_sub(40)..].iter().collect()
    };
    format!(
        "{tail:<40} [{}{}] {pct:>3}% {records} records",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled)
    )
}

fn daemon(a: RunArgs) -> Result<ExitCode> {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_flag(sig, stop.clone())?;
    }
    if !outpost_platform::is_privileged() {
        eprintln!(
            "note: not running as root: live collectors fall back to what an unprivileged process can see (see daemon-status.json)"
        );
    }
    let counters =
        outpost_agent::daemon::run(&a.dir.data_dir, stop.clone()).context("agent daemon failed")?;
    eprintln!("agent stopped: {}", serde_json::to_string(&counters)?);
    if let Some(purge) = counters.uninstall {
        return self_uninstall(&a.dir.data_dir, purge);
    }
    if let Some(exe) = counters.exec {
        return relaunch(&exe);
    }
    Ok(ExitCode::SUCCESS)
}

/// After a self-update (the new build, verified and healthy on trial, installed) or an
/// `agent.restart` job: `exe` with this process's arguments.
fn relaunch_command(exe: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1))
        .env_remove(outpost_agent::update::TRIAL_ENV);
    cmd
}

/// Unix: re-executes `exe` in this process (same pid, arguments and data directory).
#[cfg(unix)]
fn relaunch(exe: &std::path::Path) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let e = relaunch_command(exe).exec();
    anyhow::bail!("cannot re-execute {}: {e}", exe.display())
}

/// Windows has no exec: `exe` is started with the same arguments (in this console) and this
/// process exits, leaving the data directory to it.
#[cfg(not(unix))]
fn relaunch(exe: &std::path::Path) -> Result<ExitCode> {
    let child = relaunch_command(exe)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    eprintln!(
        "agent restarted: {} runs as pid {} with the same arguments",
        exe.display(),
        child.id()
    );
    Ok(ExitCode::SUCCESS)
}

/// An `agent.uninstall` job: the service units and the binary are removed when this is the
/// installed agent (`outpost agent install`); with `purge`, the data directory too. A binary
/// run from elsewhere only stops (and purges).
fn self_uninstall(data_dir: &std::path::Path, purge: bool) -> Result<ExitCode> {
    let exe = std::env::current_exe().ok();
    let installed = std::path::Path::new("/usr/local/bin/outpost");
    if exe.as_deref() == Some(installed) || cfg!(windows) {
        crate::install::uninstall(
            crate::install::Role::Agent,
            &crate::install::UninstallArgs {
                root: "/".into(),
                purge,
                no_block: true,
            },
        )?;
    }
    if purge && data_dir.exists() {
        std::fs::remove_dir_all(data_dir)
            .with_context(|| format!("removing {}", data_dir.display()))?;
        eprintln!("removed:  {}", data_dir.display());
    }
    eprintln!("agent uninstalled by a control job");
    Ok(ExitCode::SUCCESS)
}

/// Sets `flag` when signal `sig` arrives (async-signal-safe: the handler only stores a bool).
fn signal_flag(sig: i32, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Result<()> {
    signal_hook::flag::register(sig, flag)
        .with_context(|| format!("cannot handle signal {sig}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::progress_line;
    use std::path::Path;

    #[test]
    fn progress_line_is_clamped_when_a_file_grows_while_read() {
        // Regression: a live audit.log read past the size taken at open made the bar's
        // padding underflow and panic.
        let l = progress_line(Path::new("/var/log/audit/audit.log"), 150, 100, 7);
        assert!(l.contains("100%"), "{l}");
        assert!(l.contains(&"#".repeat(20)), "{l}");
        let half = progress_line(Path::new("a.evtx"), 50, 100, 1);
        assert!(
            half.contains(" 50%")
                && half.contains(&format!("[{}{}]", "#".repeat(10), " ".repeat(10))),
            "{half}"
        );
        // Empty files and huge counters neither divide by zero nor overflow.
        assert!(progress_line(Path::new("e"), 0, 0, 0).contains("100%"));
        assert!(progress_line(Path::new("e"), u64::MAX, u64::MAX, 0).contains("%"));
        // Long paths keep their last 40 characters (multi-byte safe).
        let long = format!("/{}/é.evtx", "x".repeat(100));
        assert!(progress_line(Path::new(&long), 1, 2, 0).starts_with(&long[long.len() - 41..]));
    }
}
