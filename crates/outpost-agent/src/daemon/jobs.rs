//! The daemon's job worker: a thread that long-polls the server for this device's jobs and
//! runs them with `outpost-jobs`' executors, and the `agent.*` control jobs it runs itself.

use super::{CONTROL, Control};
use crate::DataDir;
use crate::config::AgentConfig;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runs an `agent.*` control job: records what the daemon does once the job's
/// result is uploaded, and stops the pipeline.
fn control_job(
    job: &outpost_jobs::Job,
    data_dir: &Path,
    halt: &AtomicBool,
) -> Result<outpost_jobs::exec::JobOutput, outpost_jobs::exec::JobError> {
    let marker = DataDir::new(data_dir).collecting_stopped();
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
            serde_json::to_vec(&serde_json::json!({"kind": job.kind, "done": summary, "version": outpost_core::version()})).unwrap_or_default(),
        ),
        file_extension: "json".into(),
        summary: summary.into(),
    })
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
        scratch_dir: Some(DataDir::new(data_dir).scratch()),
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
            let mut backoff = outpost_http::Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
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
                        backoff.succeeded();
                    }
                    Ok(None) => backoff.succeeded(),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(error = %e, "job poll failed");
                        let until = Instant::now() + backoff.failed();
                        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    }
                }
            }
        })
}
