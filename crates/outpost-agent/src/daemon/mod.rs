//! `outpost agent run`: the resident agent. Live collectors feed the same hourly buffer that
//! `run-once` reads; a correlation pass runs every `correlate_interval_secs` through the same
//! code as `run-once` (so hits upload as they happen, through the same durable spool); a
//! second thread long-polls the server for jobs and runs them; a third checks in every
//! `checkin_interval_secs` with the counters, and when the server sends a new configuration
//! the pipeline restarts with it (see [`crate::checkin`]).
//!
//! Files, one per worker: this one starts and stops the pipeline (`run`, `run_pipeline`) and
//! writes its status; `drain.rs` is the main loop's consumer (channel → governor → exec
//! hashing → buffer); `correlation.rs` the correlation pass; `checkin.rs` the check-in thread
//! (intel bundle refresh, check-in, new configuration, self-update); `jobs.rs` the job thread
//! and the `agent.*` control jobs.

mod checkin;
mod correlation;
mod drain;
mod jobs;

pub use jobs::{exec_context, spawn_job_runner};

use crate::buffer::BufferWriter;
use crate::config::AgentConfig;
use crate::governor::Governor;
use crate::indicators::ExecHasher;
use crate::{AgentError, DataDir, state};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counters of the daemon's own pipeline (the sensors count their own drops).
#[derive(Debug, Default, serde::Serialize)]
pub struct DaemonCounters {
    pub events_buffered: u64,
    pub buffer_write_errors: u64,
    pub correlation_passes: u64,
    pub correlation_failures: u64,
    pub jobs_run: u64,
    pub job_poll_errors: u64,
    pub checkins: u64,
    pub checkin_errors: u64,
    pub config_reloads: u64,
    /// Intel bundles fetched, verified and installed.
    pub intel_bundles_installed: u64,
    /// Bundle fetches that failed or offered a bundle that was refused (the last good one
    /// stays in use).
    pub intel_refresh_failures: u64,
    /// Whether `[capture]` was enabled but the capture could not start (see the log).
    pub capture_start_failed: bool,
    /// Events dropped because the agent was over its CPU cap (`[daemon] max_cpu_percent`).
    pub events_shed_cpu: u64,
    /// Events dropped because the agent was over its memory cap (`[daemon] max_rss_mib`).
    pub events_shed_memory: u64,
    /// Correlation passes that left the OS-log sources (EVTX, audit logs, Windows channels)
    /// unread because the agent was over its CPU or memory cap; their records are read by a
    /// later pass (cursors do not move), so this delays them and drops nothing.
    pub os_log_polls_deferred: u64,
    /// Executables hashed as they started, deferred to the correlation pass
    /// (byte budget spent), skipped (too large, gone).
    pub exec_hashing: crate::indicators::ExecHashCounters,
    /// After a self-update or an `agent.restart` job: the binary to re-execute.
    #[serde(skip)]
    pub exec: Option<std::path::PathBuf>,
    /// After an `agent.uninstall` job: uninstall (`true`: purge the data directory too).
    #[serde(skip)]
    pub uninstall: Option<bool>,
    /// Collection stopped by an `agent.stop_collecting` job (check-ins and jobs go on).
    pub collecting_stopped: bool,
}

/// In the data directory while collection is stopped by an `agent.stop_collecting` job.
pub const COLLECTING_STOPPED: &str = DataDir::COLLECTING_STOPPED;

/// What an `agent.*` control job asked the daemon to do once its pipeline stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Restart,
    Reload,
    Uninstall { purge: bool },
}

static CONTROL: std::sync::Mutex<Option<Control>> = std::sync::Mutex::new(None);

/// A release staged by the check-in thread, waiting for the pipeline to stop.
static STAGED: std::sync::Mutex<Option<crate::update::Staged>> = std::sync::Mutex::new(None);
/// Set by a build on trial once it checked in healthy: the daemon stops.
static TRIAL_DONE: AtomicBool = AtomicBool::new(false);

/// Runs until `stop` is set, restarting the pipeline whenever check-in brings a new
/// configuration. Returns the final counters.
pub fn run(data_dir: &Path, stop: Arc<AtomicBool>) -> Result<DaemonCounters, AgentError> {
    // The data directory is the daemon's alone while it runs (see `lock.rs`).
    let mut lock = Some(crate::lock::lock_data_dir(data_dir)?);
    crate::update::recover(data_dir);
    crate::run_once::repair_buffer(data_dir)?;
    outpost_platform::tune_allocator();
    let mut reloads = 0;
    loop {
        let reload = Arc::new(AtomicBool::new(false));
        if lock.is_none() {
            lock = Some(crate::lock::lock_data_dir(data_dir)?);
        }
        let mut c = run_pipeline(data_dir, stop.clone(), reload.clone())?;
        match CONTROL.lock().ok().and_then(|mut c| c.take()) {
            Some(Control::Restart) => {
                c.exec = std::env::current_exe().ok();
                return Ok(c);
            }
            Some(Control::Uninstall { purge }) => {
                c.uninstall = Some(purge);
                return Ok(c);
            }
            Some(Control::Reload) if !stop.load(Ordering::Relaxed) => {
                reloads += 1;
                tracing::info!("restarting the pipeline (control job)");
                continue;
            }
            _ => {}
        }
        let staged = STAGED.lock().ok().and_then(|mut s| s.take());
        if let Some(s) = staged.filter(|_| !stop.load(Ordering::Relaxed)) {
            // The release runs on trial with the data directory: unlock it meanwhile.
            lock = None;
            let health = crate::checkin::effective_config(data_dir)
                .map(|c| crate::update::Health::of(&c.daemon))
                .unwrap_or_else(|_| crate::update::Health::of(&Default::default()));
            if let Some(exe) = crate::update::trial_and_install(data_dir, &s, &health) {
                c.exec = Some(exe);
                return Ok(c);
            }
            continue;
        }
        if stop.load(Ordering::Relaxed)
            || !reload.load(Ordering::Relaxed)
            || TRIAL_DONE.load(Ordering::Relaxed)
        {
            c.config_reloads = reloads;
            return Ok(c);
        }
        reloads += 1;
        tracing::info!("restarting the pipeline with the new configuration");
    }
}

/// One run of the pipeline with the configuration as it is now, until `stop` (or `reload`)
/// is set.
fn run_pipeline(
    data_dir: &Path,
    stop: Arc<AtomicBool>,
    reload: Arc<AtomicBool>,
) -> Result<DaemonCounters, AgentError> {
    let cfg = pipeline_config(data_dir)?;
    // `stop` ends the daemon; `reload` (or `stop`) ends this pipeline run.
    let halt = Arc::new(AtomicBool::new(false));
    let id = cfg.identity()?;
    // `agent.stop_collecting`: every collector off until `agent.resume`.
    let collecting_stopped = DataDir::new(data_dir).collecting_stopped().exists();
    let queue_capacity = cfg.daemon.queue_capacity.max(16);
    let (tx, rx) = std::sync::mpsc::sync_channel(queue_capacity);
    let sensors = start_sensors(&cfg, data_dir, collecting_stopped, tx)?;
    let (capture, capture_start_failed) = start_capture(&cfg, collecting_stopped);

    let tallies = Tallies::default();
    // A build on trial (self-update) runs no jobs: it only has to prove it checks in.
    let job_thread = if cfg.daemon.jobs && !crate::update::on_trial() {
        Some(
            spawn_job_runner(
                &cfg,
                &id,
                data_dir,
                halt.clone(),
                tallies.jobs_run.clone(),
                tallies.job_errors.clone(),
            )
            .map_err(|e| AgentError::Io {
                path: "job thread".into(),
                source: e,
            })?,
        )
    } else {
        None
    };
    // One client of the server for the check-ins, bundle fetches, confirmations and uploads
    // of this pipeline run (clones share its connections and TLS context).
    let client =
        crate::api::Client::new(&id.server_url, Duration::from_secs(cfg.upload.timeout_secs));
    // Check-in thread: reads the snapshot the main loop keeps fresh.
    let snapshot = Arc::new(Mutex::new(serde_json::Value::Null));
    let checkin_thread =
        checkin::spawn(&cfg, data_dir, &halt, &reload, &snapshot, &tallies, &client)?;

    let counters = DaemonCounters {
        capture_start_failed,
        collecting_stopped,
        ..DaemonCounters::default()
    };
    let mut p = Pipeline::new(&cfg, data_dir, counters, client)?;
    let mut next_snapshot = Instant::now();
    let interval = Duration::from_secs(cfg.daemon.correlate_interval_secs.max(1));
    let mut next_pass = Instant::now() + interval;
    let mut next_govern = Instant::now();
    while !stop.load(Ordering::Relaxed) && !halt.load(Ordering::Relaxed) {
        if Instant::now() >= next_govern {
            next_govern = Instant::now() + Duration::from_secs(1);
            p.govern();
        }
        p.drain(&rx, queue_capacity);
        if Instant::now() >= next_pass {
            p.pass();
            write_status(data_dir, &sensors, &p.counters, capture.as_ref());
            next_pass = Instant::now() + interval;
        }
        if Instant::now() >= next_snapshot {
            tallies.read_into(&mut p.counters);
            let capture_counters = capture.as_ref().map(|c| c.counters());
            if let Some(c) = &capture_counters {
                write_capture_metrics(data_dir, c);
            }
            let v = checkin_counters(
                data_dir,
                &sensors,
                &p.counters,
                p.last_hotlist.as_deref(),
                capture_counters.as_ref(),
            );
            if let Ok(mut s) = snapshot.lock() {
                *s = v;
            }
            next_snapshot = Instant::now() + Duration::from_secs(5);
        }
    }
    // The last status before the sensors go: their final counters stay readable.
    write_status(data_dir, &sensors, &p.counters, capture.as_ref());
    halt.store(true, Ordering::Relaxed);
    // The check-in thread waits parked between check-ins: it sees the halt now.
    if let Some(t) = &checkin_thread {
        t.thread().unpark();
    }
    sensors.stop();
    if let Some(c) = capture {
        stop_capture(c, data_dir);
    }
    p.drain_rest(&rx);
    p.pass();
    if let Some(t) = job_thread {
        let _ = t.join();
    }
    if let Some(t) = checkin_thread {
        let _ = t.join();
    }
    let mut counters = p.counters;
    tallies.read_into(&mut counters);
    Ok(counters)
}

/// The effective configuration (`agent.toml` with the server's overlay), or `agent.toml` alone
/// when the overlay does not apply.
fn pipeline_config(data_dir: &Path) -> Result<AgentConfig, AgentError> {
    match crate::checkin::effective_config(data_dir) {
        Ok(c) => Ok(c),
        Err(e) => {
            tracing::error!(error = %e, "the server configuration does not apply; running with agent.toml alone");
            AgentConfig::load(data_dir)
        }
    }
}

/// Starts the live collectors (all off while collection is stopped by a control job) and logs
/// which run.
fn start_sensors(
    cfg: &AgentConfig,
    data_dir: &Path,
    collecting_stopped: bool,
    tx: std::sync::mpsc::SyncSender<outpost_core::Event>,
) -> Result<outpost_sensors::Sensors, AgentError> {
    let mut sensor_cfg = cfg.sensors.clone();
    if sensor_cfg.state_dir.is_none() {
        sensor_cfg.state_dir = Some(DataDir::new(data_dir).sensors());
    }
    if collecting_stopped {
        tracing::warn!(
            "collection stopped by a control job: no sensors, no capture (check-ins and jobs go on)"
        );
        sensor_cfg.processes.enabled = false;
        sensor_cfg.network.enabled = false;
        sensor_cfg.files.enabled = false;
        sensor_cfg.containers.enabled = false;
        sensor_cfg.dns = false;
    }
    let sensors = outpost_sensors::start(sensor_cfg, tx).map_err(|e| AgentError::Invalid {
        path: "sensors".into(),
        message: e.to_string(),
    })?;
    for (name, c) in &sensors.capabilities().collectors {
        if c.running {
            tracing::info!(collector = %name, mechanism = %c.mechanism, "collector running");
        } else {
            tracing::warn!(collector = %name, note = ?c.note, "collector not running");
        }
    }
    Ok(sensors)
}

/// Outpost's own packet capture, and whether it failed to start: a failure is logged and
/// reported, never fatal (the rest of the agent works without it).
fn start_capture(
    cfg: &AgentConfig,
    collecting_stopped: bool,
) -> (Option<outpost_sensors::Capture>, bool) {
    if !cfg.capture.enabled || collecting_stopped {
        return (None, false);
    }
    match outpost_sensors::capture::start(&cfg.capture) {
        Ok(c) => (Some(c), false),
        Err(e) => {
            tracing::error!(error = %e, "packet capture not running");
            (None, true)
        }
    }
}

fn stop_capture(capture: outpost_sensors::Capture, data_dir: &Path) {
    match capture.stop() {
        Ok(c) => {
            write_capture_metrics(data_dir, &c);
            tracing::info!(
                packets = c.packets,
                dropped = c.dropped_total,
                "packet capture stopped"
            );
        }
        Err(e) => tracing::error!(error = %e, "packet capture ended with an error"),
    }
}

/// Counters the job and check-in threads keep, read into [`DaemonCounters`] by the loop.
#[derive(Clone, Default)]
struct Tallies {
    jobs_run: Arc<AtomicU64>,
    job_errors: Arc<AtomicU64>,
    checkins: Arc<AtomicU64>,
    checkin_errors: Arc<AtomicU64>,
    intel_installed: Arc<AtomicU64>,
    intel_failures: Arc<AtomicU64>,
}

impl Tallies {
    fn read_into(&self, c: &mut DaemonCounters) {
        c.checkins = self.checkins.load(Ordering::Relaxed);
        c.checkin_errors = self.checkin_errors.load(Ordering::Relaxed);
        c.jobs_run = self.jobs_run.load(Ordering::Relaxed);
        c.job_poll_errors = self.job_errors.load(Ordering::Relaxed);
        c.intel_bundles_installed = self.intel_installed.load(Ordering::Relaxed);
        c.intel_refresh_failures = self.intel_failures.load(Ordering::Relaxed);
    }
}

/// The main loop's state: what `drain.rs` and `correlation.rs` work on.
struct Pipeline<'a> {
    cfg: &'a AgentConfig,
    data_dir: &'a Path,
    writer: BufferWriter,
    counters: DaemonCounters,
    /// The intel version of the last pass (reported at check-in).
    last_hotlist: Option<String>,
    governor: Governor,
    /// Executables are hashed as they start while the intel holds hash indicators; which
    /// digests is known from the installed bundle now and from every pass after.
    hasher: ExecHasher,
    /// Whether the check-in thread runs (it fetches the bundle then, not each pass).
    checkins_enabled: bool,
    /// The pipeline's client of the server (see `run_pipeline`).
    client: crate::api::Client,
}

impl<'a> Pipeline<'a> {
    fn new(
        cfg: &'a AgentConfig,
        data_dir: &'a Path,
        counters: DaemonCounters,
        client: crate::api::Client,
    ) -> Result<Self, AgentError> {
        let writer = BufferWriter::open(data_dir)?;
        let governor = Governor::new(cfg.daemon.max_cpu_percent, cfg.daemon.max_rss_mib);
        let mut hasher = ExecHasher::new(&cfg.matching);
        if let Ok(Some(cache)) = crate::intel::open_cache(data_dir, cfg, chrono::Utc::now())
            && let Some(b) = cache.current()
        {
            hasher.set_want(crate::indicators::hash_kinds(&b.iocs()));
        }
        Ok(Pipeline {
            cfg,
            data_dir,
            writer,
            counters,
            last_hotlist: None,
            governor,
            hasher,
            checkins_enabled: cfg.daemon.checkin_interval_secs > 0,
            client,
        })
    }
}

/// What the agent reports at check-in: the sensors' counters (events by kind, drops, queue
/// depths), the pipeline's, the run-once counters of `state.json`, and its own RSS and CPU.
fn checkin_counters(
    data_dir: &Path,
    sensors: &outpost_sensors::Sensors,
    counters: &DaemonCounters,
    hotlist_version: Option<&str>,
    capture: Option<&outpost_sensors::CaptureCounters>,
) -> serde_json::Value {
    let (rss_kib, cpu_ms) = outpost_platform::self_usage();
    let runs = state::State::load(data_dir).map(|s| s.counters).ok();
    serde_json::json!({
        "sensors": sensors.counters(),
        "pipeline": counters,
        "correlation": runs,
        "rss_kib": rss_kib,
        "cpu_ms": cpu_ms,
        "hotlist_version": hotlist_version,
        "capture": capture,
    })
}

/// `capture.prom`: the capture's counters in the Prometheus text format, for node_exporter's
/// textfile collector (written atomically next to `daemon-status.json`).
fn write_capture_metrics(data_dir: &Path, c: &outpost_sensors::CaptureCounters) {
    if let Err(e) = state::write_atomic(
        &DataDir::new(data_dir).capture_metrics(),
        c.prometheus_text().as_bytes(),
        false,
    ) {
        tracing::warn!(error = %e, "cannot write capture.prom");
    }
}

/// `daemon-status.json`: collector capabilities and counters, for operators and check-in.
fn write_status(
    data_dir: &Path,
    sensors: &outpost_sensors::Sensors,
    counters: &DaemonCounters,
    capture: Option<&outpost_sensors::Capture>,
) {
    let (rss_kib, cpu_ms) = outpost_platform::self_usage();
    let v = serde_json::json!({
        "time": chrono::Utc::now(),
        "rss_kib": rss_kib,
        "cpu_ms": cpu_ms,
        "capabilities": sensors.capabilities(),
        "sensors": sensors.counters(),
        "pipeline": counters,
        "capture": capture.map(|c| c.counters()),
    });
    if let Ok(bytes) = serde_json::to_vec_pretty(&v)
        && let Err(e) = state::write_atomic(&DataDir::new(data_dir).daemon_status(), &bytes, false)
    {
        tracing::warn!(error = %e, "cannot write daemon-status.json");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_section_parses_and_its_dir_serves_pcap_jobs() {
        let cfg: AgentConfig = toml::from_str(
            "[capture]\nenabled = true\ninterface = \"lo\"\ndir = \"/var/cap2\"\nsnaplen = 128\n\
             file_size_mb = 2\nmax_total_mb = 10\nrotate_seconds = 0\nring_mb = 4\n",
        )
        .unwrap();
        assert_eq!(cfg.capture.snaplen, 128);
        assert!(cfg.capture.validate().is_ok());
        let l = cfg.capture.limits();
        assert_eq!(
            (l.file_size, l.max_total, l.rotate_after),
            (2 << 20, 10 << 20, None)
        );
        let capture_dir =
            |c: &AgentConfig| exec_context(c, Path::new("/var/lib/outpost-test")).capture_dir;
        assert_eq!(capture_dir(&cfg), Some("/var/cap2".into()));
        // [daemon] capture_dir wins; a disabled capture's dir is not used.
        let mut c2 = cfg.clone();
        c2.daemon.capture_dir = Some("/var/tcpdump".into());
        assert_eq!(capture_dir(&c2), Some("/var/tcpdump".into()));
        let mut c3 = cfg.clone();
        c3.capture.enabled = false;
        assert_eq!(capture_dir(&c3), None);
        // Unknown keys and inconsistent limits are refused.
        assert!(toml::from_str::<AgentConfig>("[capture]\nsize = 1\n").is_err());
        let mut bad = cfg.capture.clone();
        bad.max_total_mb = 1;
        assert!(bad.validate().is_err());
        // The server cannot switch capture on.
        let overlay = serde_json::json!({"capture": {"enabled": true, "interface": "eth0"}});
        let e = crate::checkin::apply_overlay(&AgentConfig::default(), &overlay).unwrap_err();
        assert!(e.contains("\"capture\""), "{e}");
    }

    #[test]
    fn exec_context_carries_the_config_without_the_token_and_the_caps() {
        let mut cfg: AgentConfig = toml::from_str(
            "server_url = \"http://srv:8470\"\ndevice_token = \"opd_supersecret\"\n\
             [daemon]\nallow_kill = true\nmax_pcap_bytes = 1000\nmax_file_get_bytes = 2000\n\
             max_file_hash_bytes = 3000\ncapture_dir = \"/var/cap\"\n",
        )
        .unwrap();
        cfg.device_id = Some("dev-1".into());
        let ctx = exec_context(&cfg, Path::new("/var/lib/outpost-test"));
        assert_eq!(
            (
                ctx.max_pcap_bytes,
                ctx.max_file_get_bytes,
                ctx.max_file_hash_bytes
            ),
            (1000, 2000, 3000)
        );
        assert!(ctx.allow_kill);
        assert_eq!(ctx.capture_dir.as_deref(), Some(Path::new("/var/cap")));
        assert_eq!(ctx.agent_config["server_url"], "http://srv:8470");
        assert_eq!(ctx.agent_config["device_id"], "dev-1");
        assert_eq!(ctx.agent_config["daemon"]["max_pcap_bytes"], 1000);
        assert!(!ctx.agent_config.to_string().contains("supersecret"));
        // What an agent.config job returns.
        let job: outpost_jobs::Job = serde_json::from_value(serde_json::json!({
            "id": 1, "tenant_id": "t", "device_id": "dev-1", "kind": "agent.config",
            "filter": {}, "owner": "o", "status": "running", "attempts": 1, "max_attempts": 3,
            "fail_count": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "file_extension": "json"
        }))
        .unwrap();
        let out = outpost_jobs::execute(&job, &ctx).unwrap();
        let data = out.data.into_vec().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&data).unwrap();
        assert_eq!(v["server_url"], "http://srv:8470");
        assert_eq!(v["daemon"]["max_file_get_bytes"], 2000);
        assert!(!String::from_utf8_lossy(&data).contains("supersecret"));
    }

    #[test]
    fn caps_apply_to_file_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big");
        std::fs::write(&f, vec![7u8; 5000]).unwrap();
        let mut cfg = AgentConfig::default();
        cfg.daemon.max_file_get_bytes = 4096;
        cfg.daemon.max_file_hash_bytes = 4096;
        let ctx = exec_context(&cfg, Path::new("/var/lib/outpost-test"));
        for kind in ["file.get", "file.hash"] {
            let job: outpost_jobs::Job = serde_json::from_value(serde_json::json!({
                "id": 1, "tenant_id": "t", "device_id": "d", "kind": kind,
                "filter": {"parameters": {"path": f.to_str().unwrap()}}, "owner": "o",
                "status": "running", "attempts": 1, "max_attempts": 3, "fail_count": 0,
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                "file_extension": "bin"
            }))
            .unwrap();
            assert!(
                matches!(
                    outpost_jobs::execute(&job, &ctx),
                    Err(outpost_jobs::JobError::TooLarge(_))
                ),
                "{kind}"
            );
        }
        cfg.daemon.max_file_get_bytes = 8192;
        assert!(exec_context(&cfg, Path::new("/var/lib/outpost-test")).max_file_get_bytes == 8192);
    }
}
