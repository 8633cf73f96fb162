//! `outpost agent run`: the resident agent. Live collectors feed the same hourly buffer that
//! `run-once` reads; a correlation pass runs every `correlate_interval_secs` through the same
//! code as `run-once` (so hits upload as they happen, through the same durable spool); a
//! second thread long-polls the server for jobs and runs them; a third checks in every
//! `checkin_interval_secs` with the counters, and when the server sends a new configuration
//! the pipeline restarts with it (see [`crate::checkin`]).

use crate::buffer::BufferWriter;
use crate::config::AgentConfig;
use crate::governor::Verdict;
use crate::run_once::{RunOptions, run_once_locked};
use crate::{AgentError, state};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the daemon's consumer pauses after draining a batch of events (see the loop in
/// `run_pipeline`): about 10 wakeups a second, like the sensors' own readers, instead of one
/// per sensor burst or event.
const DRAIN_PAUSE: Duration = outpost_sensors::READ_PAUSE;

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
    /// Executables hashed as they started (issue 21.1), deferred to the correlation pass
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
pub const COLLECTING_STOPPED: &str = "collecting-stopped";

/// What an `agent.*` control job asked the daemon to do once its pipeline stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Restart,
    Reload,
    Uninstall { purge: bool },
}

static CONTROL: std::sync::Mutex<Option<Control>> = std::sync::Mutex::new(None);

/// Runs an `agent.*` control job (issue 22): records what the daemon does once the job's
/// result is uploaded, and stops the pipeline.
fn control_job(
    job: &outpost_jobs::Job,
    data_dir: &Path,
    halt: &AtomicBool,
) -> Result<outpost_jobs::exec::JobOutput, outpost_jobs::exec::JobError> {
    let marker = data_dir.join(COLLECTING_STOPPED);
    let io = |e: std::io::Error| outpost_jobs::exec::JobError::Io {
        context: marker.display().to_string(),
        source: e,
    };
    let (ctl, summary) = match job.kind.as_str() {
        "agent.restart" => (Control::Restart, "the agent restarts"),
        "agent.reload" => (Control::Reload, "the agent reloads its configuration"),
        "agent.stop_collecting" => {
            std::fs::write(&marker, b"").map_err(io)?;
            (
                Control::Reload,
                "collection stopped (check-ins and jobs go on)",
            )
        }
        "agent.resume" => {
            match std::fs::remove_file(&marker) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
            (Control::Reload, "collection resumed")
        }
        "agent.uninstall" => {
            let purge = job
                .filter
                .parameters
                .get("purge")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            (
                Control::Uninstall { purge },
                if purge {
                    "the agent uninstalls itself and removes its data directory"
                } else {
                    "the agent uninstalls itself"
                },
            )
        }
        other => return Err(outpost_jobs::exec::JobError::UnsupportedKind(other.into())),
    };
    if let Ok(mut c) = CONTROL.lock() {
        *c = Some(ctl);
    }
    halt.store(true, Ordering::Relaxed);
    tracing::warn!(job = %job.id, kind = %job.kind, "{summary}");
    Ok(outpost_jobs::exec::JobOutput {
        data: outpost_jobs::exec::ResultData::Bytes(
            serde_json::to_vec(&serde_json::json!({"kind": job.kind, "done": summary, "version": outpost_core::VERSION})).unwrap_or_default(),
        ),
        file_extension: "json".into(),
        summary: summary.into(),
    })
}

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
    let cfg = match crate::checkin::effective_config(data_dir) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the server configuration does not apply; running with agent.toml alone");
            AgentConfig::load(data_dir)?
        }
    };
    // `stop` ends the daemon; `reload` (or `stop`) ends this pipeline run.
    let halt = Arc::new(AtomicBool::new(false));
    let id = cfg.identity()?;
    let mut sensor_cfg = cfg.sensors.clone();
    if sensor_cfg.state_dir.is_none() {
        sensor_cfg.state_dir = Some(data_dir.join("sensors"));
    }
    // `agent.stop_collecting`: every collector off until `agent.resume`.
    let collecting_stopped = data_dir.join(COLLECTING_STOPPED).exists();
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
    let queue_capacity = cfg.daemon.queue_capacity.max(16);
    let (tx, rx) = std::sync::mpsc::sync_channel(queue_capacity);
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

    // Outpost's own packet capture: a failure to start is logged and reported, never fatal
    // (the rest of the agent works without it).
    let mut capture_start_failed = false;
    let capture = if cfg.capture.enabled && !collecting_stopped {
        match outpost_sensors::capture::start(&cfg.capture) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(error = %e, "packet capture not running");
                capture_start_failed = true;
                None
            }
        }
    } else {
        None
    };

    let jobs_run = Arc::new(AtomicU64::new(0));
    let job_errors = Arc::new(AtomicU64::new(0));
    // A build on trial (self-update) runs no jobs: it only has to prove it checks in.
    let job_thread = if cfg.daemon.jobs && !crate::update::on_trial() {
        Some(
            spawn_job_runner(
                &cfg,
                &id,
                data_dir,
                halt.clone(),
                jobs_run.clone(),
                job_errors.clone(),
            )
            .map_err(|e| AgentError::Io {
                path: "job thread".into(),
                source: e,
            })?,
        )
    } else {
        None
    };

    // Check-in thread: reads the snapshot the main loop keeps fresh.
    let snapshot = Arc::new(std::sync::Mutex::new(serde_json::Value::Null));
    let checkins = Arc::new(AtomicU64::new(0));
    let checkin_errors = Arc::new(AtomicU64::new(0));
    let intel_installed = Arc::new(AtomicU64::new(0));
    let intel_failures = Arc::new(AtomicU64::new(0));
    let checkin_every = Duration::from_secs(cfg.daemon.checkin_interval_secs.max(5));
    let checkin_thread = if cfg.daemon.checkin_interval_secs > 0 {
        let (halt, reload, snap) = (halt.clone(), reload.clone(), snapshot.clone());
        let (ok, errs) = (checkins.clone(), checkin_errors.clone());
        let (installed, refresh_failed) = (intel_installed.clone(), intel_failures.clone());
        let intel_cfg = cfg.clone();
        let timeout = Duration::from_secs(cfg.upload.timeout_secs);
        let (dir, url, token) = (
            data_dir.to_path_buf(),
            id.server_url.clone(),
            id.device_token.clone(),
        );
        Some(
            std::thread::Builder::new()
                .name("outpost-checkin".into())
                .spawn(move || {
                    let mut next = Instant::now();
                    while !halt.load(Ordering::Relaxed) {
                        if Instant::now() < next {
                            std::thread::sleep(Duration::from_millis(200));
                            continue;
                        }
                        next = Instant::now() + checkin_every;
                        let counters = snap.lock().map(|v| v.clone()).unwrap_or_default();
                        let mut hotlist = counters
                            .get("hotlist_version")
                            .and_then(|v| v.as_str())
                            .map(str::to_string);
                        let mut intel = None;
                        // The bundle cache: fetched before every check-in, its state reported.
                        // Opened for the check-in only and not decoded: a decoded bundle with
                        // many hashes and domains is megabytes, which the daemon should not
                        // hold between passes (each pass loads its own), and the check-in
                        // matches nothing.
                        let mut cache = match crate::intel::open_cache_header(
                            &dir,
                            &intel_cfg,
                            chrono::Utc::now(),
                        ) {
                            Ok(c) => c,
                            Err(e) => {
                                tracing::error!(error = %e, "cannot open the intel bundle cache");
                                None
                            }
                        };
                        if let Some(c) = cache.as_mut() {
                            let now = chrono::Utc::now();
                            match crate::intel::refresh(c, &url, &token, timeout, now) {
                                Ok(outpost_intel::bundle::InstallOutcome::Installed { .. }) => {
                                    installed.fetch_add(1, Ordering::Relaxed);
                                }
                                Ok(_) => {}
                                Err(_) => {
                                    refresh_failed.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            let status = crate::intel::status_report(c, now);
                            if status.version.is_some() {
                                hotlist = status.version.clone();
                            }
                            intel = Some(status);
                        }
                        let counters = if counters.is_object() {
                            counters
                        } else {
                            serde_json::json!({})
                        };
                        let result = crate::checkin::checkin_once(
                            &dir,
                            &url,
                            &token,
                            counters,
                            checkin_every,
                            hotlist,
                            intel,
                        );
                        if let Ok(r) = &result {
                            if crate::update::on_trial() {
                                // A build on trial: this check-in is the health proof.
                                crate::update::trial_checked_in(&dir);
                                TRIAL_DONE.store(true, Ordering::Relaxed);
                                reload.store(true, Ordering::Relaxed);
                                halt.store(true, Ordering::Relaxed);
                            } else if let Some(offer) = &r.response().update
                                && let Some(s) = crate::update::consider(
                                    &dir,
                                    intel_cfg.release_public_key.as_deref(),
                                    &url,
                                    &token,
                                    offer,
                                )
                            {
                                if let Ok(mut slot) = STAGED.lock() {
                                    *slot = Some(s);
                                }
                                reload.store(true, Ordering::Relaxed);
                                halt.store(true, Ordering::Relaxed);
                            }
                        }
                        match result {
                            Ok(crate::checkin::CheckinOutcome::NewConfig(_)) => {
                                ok.fetch_add(1, Ordering::Relaxed);
                                reload.store(true, Ordering::Relaxed);
                                halt.store(true, Ordering::Relaxed);
                            }
                            Ok(_) => {
                                ok.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => {
                                errs.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!(error = %e, "check-in failed");
                            }
                        }
                    }
                })
                .map_err(|e| AgentError::Io {
                    path: "check-in thread".into(),
                    source: e,
                })?,
        )
    } else {
        None
    };

    let checkins_enabled = cfg.daemon.checkin_interval_secs > 0;
    let mut counters = DaemonCounters {
        capture_start_failed,
        collecting_stopped,
        ..DaemonCounters::default()
    };
    let mut writer = BufferWriter::open(data_dir)?;
    let mut last_hotlist: Option<String> = None;
    let mut next_snapshot = Instant::now();
    let interval = Duration::from_secs(cfg.daemon.correlate_interval_secs.max(1));
    let mut next_pass = Instant::now() + interval;
    let mut governor =
        crate::governor::Governor::new(cfg.daemon.max_cpu_percent, cfg.daemon.max_rss_mib);
    let mut next_govern = Instant::now();
    // Executables are hashed as they start while the intel holds hash indicators; which
    // digests is known from the installed bundle now and from every pass after.
    let mut hasher = crate::indicators::ExecHasher::new(&cfg.matching);
    if let Ok(Some(cache)) = crate::intel::open_cache(data_dir, &cfg, chrono::Utc::now())
        && let Some(b) = cache.current()
    {
        hasher.set_want(crate::indicators::hash_kinds(&b.iocs()));
    }
    let pass = |writer: &mut BufferWriter,
                counters: &mut DaemonCounters,
                last_hotlist: &mut Option<String>,
                hasher: &mut crate::indicators::ExecHasher,
                verdict: Verdict| {
        if let Err(e) = writer.flush() {
            tracing::error!(error = %e, "buffer flush failed");
        }
        counters.correlation_passes += 1;
        // Over a cap, the OS logs wait in place (on Windows they are the agent's main source,
        // so this is where its caps bite).
        let poll_os_logs = verdict == Verdict::Normal;
        if !poll_os_logs {
            counters.os_log_polls_deferred += 1;
            tracing::warn!(
                ?verdict,
                "over the agent's own limits: OS logs left for a later pass"
            );
        }
        match run_once_locked(
            data_dir,
            &RunOptions {
                force: true,
                // The check-in thread fetches the bundle; without check-ins, each pass does.
                fetch_intel: !checkins_enabled,
                poll_os_logs,
                // The pass holds up the event consumer: no waiting for the hashing budget.
                hash_wait: false,
                ..RunOptions::default()
            },
        ) {
            Ok(r) if r.correlated && r.hotlist_version.is_some() => {
                hasher.set_want(r.want_hashes);
                if r.hits > 0 || r.flush.batches_sent > 0 {
                    *last_hotlist = r.hotlist_version.clone();
                    tracing::info!(
                        hits = r.hits,
                        sent = r.flush.batches_sent,
                        pending = r.flush.pending,
                        "correlation pass"
                    )
                } else {
                    *last_hotlist = r.hotlist_version.clone();
                }
            }
            Ok(r) if r.hits > 0 || r.flush.batches_sent > 0 => {
                if r.hotlist_version.is_some() {
                    *last_hotlist = r.hotlist_version.clone();
                }
                tracing::info!(
                    hits = r.hits,
                    sent = r.flush.batches_sent,
                    pending = r.flush.pending,
                    "correlation pass"
                )
            }
            Ok(r) if r.flush.pending > 0 => {
                if r.hotlist_version.is_some() {
                    *last_hotlist = r.hotlist_version.clone();
                }
                tracing::warn!(pending = r.flush.pending, error = ?r.flush.last_error, "upload pending")
            }
            Ok(r) => {
                if r.hotlist_version.is_some() {
                    *last_hotlist = r.hotlist_version.clone();
                }
            }
            Err(e) => {
                counters.correlation_failures += 1;
                tracing::warn!(error = %e, "correlation pass failed");
            }
        }
        // The pass's hotlist, read buffers and groups are freed now; hand the pages back so
        // the daemon's steady RSS is its sensors', not the last pass's peak.
        outpost_platform::trim_allocator();
    };
    let buffer_event =
        |writer: &mut BufferWriter, counters: &mut DaemonCounters, ev: outpost_core::Event| {
            match writer.append(&ev) {
                Ok(()) => counters.events_buffered += 1,
                Err(e) => {
                    counters.buffer_write_errors += 1;
                    tracing::error!(error = %e, "cannot write to the buffer; event dropped");
                }
            }
        };
    while !stop.load(Ordering::Relaxed) && !halt.load(Ordering::Relaxed) {
        // Events are taken in batches: the first one blocks, the rest of what is queued is
        // drained without waiting, and then the loop pauses briefly so that the next wakeup
        // finds a batch again (the sensors hand over their events in bursts; the channel holds
        // `queue_capacity` events, far more than arrive during the pause at any rate the
        // sensors sustain).
        if Instant::now() >= next_govern {
            next_govern = Instant::now() + Duration::from_secs(1);
            let (rss_kib, cpu_ms) = outpost_platform::self_usage();
            let before = governor.verdict();
            let now = governor.observe(Instant::now(), cpu_ms, rss_kib);
            if now != before {
                match now {
                    Verdict::Normal => tracing::info!(
                        shed_cpu = counters.events_shed_cpu,
                        shed_memory = counters.events_shed_memory,
                        "back under the agent's own limits: buffering events again"
                    ),
                    Verdict::ShedCpu => tracing::warn!(
                        max_cpu_percent = cfg.daemon.max_cpu_percent,
                        "over the agent's CPU cap: dropping events (counted) until under it"
                    ),
                    Verdict::ShedMemory => tracing::warn!(
                        rss_kib,
                        max_rss_mib = cfg.daemon.max_rss_mib,
                        "over the agent's memory cap: dropping events (counted) until under it"
                    ),
                }
            }
            if now == Verdict::ShedMemory {
                outpost_platform::trim_allocator();
            }
        }
        let take = |counters: &mut DaemonCounters,
                    writer: &mut BufferWriter,
                    hasher: &mut crate::indicators::ExecHasher,
                    mut ev| match governor.verdict() {
            Verdict::Normal => {
                hasher.hash(&mut ev);
                buffer_event(writer, counters, ev)
            }
            Verdict::ShedCpu => counters.events_shed_cpu += 1,
            Verdict::ShedMemory => counters.events_shed_memory += 1,
        };
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(ev) => {
                take(&mut counters, &mut writer, &mut hasher, ev);
                let mut n = 1;
                for ev in rx.try_iter().take(queue_capacity) {
                    take(&mut counters, &mut writer, &mut hasher, ev);
                    n += 1;
                }
                // No pause when a quarter of the channel was waiting: keep up instead.
                if n < queue_capacity / 4 {
                    std::thread::sleep(DRAIN_PAUSE);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            // No sensor is sending (none runs on this platform, or all have stopped): the
            // daemon goes on with its passes (OS logs, correlation, uploads) and its jobs.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        if Instant::now() >= next_pass {
            pass(
                &mut writer,
                &mut counters,
                &mut last_hotlist,
                &mut hasher,
                governor.verdict(),
            );
            counters.exec_hashing = hasher.counters.clone();
            write_status(data_dir, &sensors, &counters, capture.as_ref());
            next_pass = Instant::now() + interval;
        }
        if Instant::now() >= next_snapshot {
            counters.checkins = checkins.load(Ordering::Relaxed);
            counters.checkin_errors = checkin_errors.load(Ordering::Relaxed);
            counters.jobs_run = jobs_run.load(Ordering::Relaxed);
            counters.job_poll_errors = job_errors.load(Ordering::Relaxed);
            counters.intel_bundles_installed = intel_installed.load(Ordering::Relaxed);
            counters.intel_refresh_failures = intel_failures.load(Ordering::Relaxed);
            let capture_counters = capture.as_ref().map(|c| c.counters());
            if let Some(c) = &capture_counters {
                write_capture_metrics(data_dir, c);
            }
            let v = checkin_counters(
                data_dir,
                &sensors,
                &counters,
                last_hotlist.as_deref(),
                capture_counters.as_ref(),
            );
            if let Ok(mut s) = snapshot.lock() {
                *s = v;
            }
            next_snapshot = Instant::now() + Duration::from_secs(5);
        }
    }
    // The last status before the sensors go: their final counters stay readable.
    write_status(data_dir, &sensors, &counters, capture.as_ref());
    halt.store(true, Ordering::Relaxed);
    sensors.stop();
    if let Some(c) = capture {
        match c.stop() {
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
    for mut ev in rx.try_iter() {
        hasher.hash(&mut ev);
        buffer_event(&mut writer, &mut counters, ev);
    }
    pass(
        &mut writer,
        &mut counters,
        &mut last_hotlist,
        &mut hasher,
        governor.verdict(),
    );
    counters.exec_hashing = hasher.counters.clone();
    if let Some(t) = job_thread {
        let _ = t.join();
    }
    if let Some(t) = checkin_thread {
        let _ = t.join();
    }
    counters.jobs_run = jobs_run.load(Ordering::Relaxed);
    counters.job_poll_errors = job_errors.load(Ordering::Relaxed);
    counters.checkins = checkins.load(Ordering::Relaxed);
    counters.checkin_errors = checkin_errors.load(Ordering::Relaxed);
    counters.intel_bundles_installed = intel_installed.load(Ordering::Relaxed);
    counters.intel_refresh_failures = intel_failures.load(Ordering::Relaxed);
    Ok(counters)
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
        &data_dir.join("capture.prom"),
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
        && let Err(e) = state::write_atomic(&data_dir.join("daemon-status.json"), &bytes, false)
    {
        tracing::warn!(error = %e, "cannot write daemon-status.json");
    }
}

/// What job executors may do on this agent, from its effective configuration: the capture
/// directory, `process.kill`, the result caps and time limit of `[daemon]`, and for
/// `agent.config` jobs the configuration itself with the device token replaced (the executor
/// redacts secret-looking keys once more). `file.get` refuses `data_dir` (the device token,
/// the spool); `pcap` results are spooled in `data_dir/tmp` (on disk: a tmpfs `/tmp` would
/// count against the agent's memory).
pub fn exec_context(cfg: &AgentConfig, data_dir: &Path) -> outpost_jobs::ExecContext {
    let mut shown = cfg.clone();
    if shown.device_token.is_some() {
        shown.device_token = Some("<redacted>".into());
    }
    let agent_config = serde_json::to_value(&shown).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot serialize the agent configuration");
        serde_json::Value::Null
    });
    outpost_jobs::ExecContext {
        capture_dir: cfg.daemon.capture_dir.clone().or_else(|| {
            cfg.capture
                .enabled
                .then(|| cfg.capture.dir.clone())
                .flatten()
        }),
        allow_kill: cfg.daemon.allow_kill,
        max_pcap_bytes: cfg.daemon.max_pcap_bytes,
        max_file_get_bytes: cfg.daemon.max_file_get_bytes,
        max_file_hash_bytes: cfg.daemon.max_file_hash_bytes,
        agent_config,
        time_limit: Duration::from_secs(cfg.daemon.max_job_secs.max(1)),
        protected_dirs: vec![data_dir.to_path_buf()],
        scratch_dir: Some(data_dir.join("tmp")),
        ..Default::default()
    }
}

/// The daemon's job thread: long-polls the server for this device's jobs and runs each
/// (the lease is renewed while it runs), until `stop` is set (a poll in flight finishes
/// first, at most ~20 s). Counts finished jobs in `run` and failed polls in `errors`.
pub fn spawn_job_runner(
    cfg: &AgentConfig,
    id: &crate::config::Identity,
    data_dir: &Path,
    stop: Arc<AtomicBool>,
    run: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let ctx = exec_context(cfg, data_dir);
    let dir = data_dir.to_path_buf();
    let client =
        outpost_jobs::AgentClient::new(&id.server_url, &id.device_token, Duration::from_secs(30))
            .with_time_limit(ctx.time_limit);
    std::thread::Builder::new()
        .name("outpost-jobs".into())
        .spawn(move || {
            let mut backoff = Duration::from_secs(1);
            while !stop.load(Ordering::Relaxed) {
                let (ctx, dir, halt) = (ctx.clone(), dir.clone(), stop.clone());
                let ran = client.run_once_with(Duration::from_secs(20), move |job| {
                    if outpost_jobs::model::AGENT_CONTROL_KINDS.contains(&job.kind.as_str()) {
                        control_job(job, &dir, &halt)
                    } else {
                        outpost_jobs::exec::execute(job, &ctx)
                    }
                });
                match ran {
                    Ok(Some(job)) => {
                        run.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(job = %job.id, kind = %job.kind, status = %job.status.as_str(), "job finished");
                        backoff = Duration::from_secs(1);
                    }
                    Ok(None) => backoff = Duration::from_secs(1),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(error = %e, "job poll failed");
                        let until = Instant::now() + backoff;
                        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                            std::thread::sleep(Duration::from_millis(200));
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(60));
                    }
                }
            }
        })
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
        assert_eq!(
            exec_context(&cfg, Path::new("/var/lib/outpost-test"))
                .capture_dir
                .as_deref(),
            Some(Path::new("/var/cap2"))
        );
        // [daemon] capture_dir wins; a disabled capture's dir is not used.
        let mut c2 = cfg.clone();
        c2.daemon.capture_dir = Some("/var/tcpdump".into());
        assert_eq!(
            exec_context(&c2, Path::new("/var/lib/outpost-test"))
                .capture_dir
                .as_deref(),
            Some(Path::new("/var/tcpdump"))
        );
        let mut c3 = cfg.clone();
        c3.capture.enabled = false;
        assert_eq!(
            exec_context(&c3, Path::new("/var/lib/outpost-test")).capture_dir,
            None
        );
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
