//! The daemon's check-in worker: a thread that, every `checkin_interval_secs`, refreshes the
//! intel bundle, checks in with the counters the pipeline's loop keeps fresh, and acts on the
//! answer (a new configuration or a staged release restarts the pipeline; a build on trial
//! stops once it checked in healthy).

use super::{STAGED, TRIAL_DONE, Tallies};
use crate::config::AgentConfig;
use crate::{AgentError, checkin, intel, update};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the check-in thread needs, moved into it.
struct Worker {
    dir: PathBuf,
    cfg: AgentConfig,
    url: String,
    /// The daemon's client (shared with the correlation passes).
    client: crate::api::Client,
    token: String,
    every: Duration,
    halt: Arc<AtomicBool>,
    reload: Arc<AtomicBool>,
    snapshot: Arc<Mutex<serde_json::Value>>,
    tallies: Tallies,
}

/// Starts the check-in thread (none when `checkin_interval_secs` is 0). It runs until `halt`
/// is set, and sets `halt` and `reload` itself when the pipeline must restart.
pub(super) fn spawn(
    cfg: &AgentConfig,
    data_dir: &Path,
    halt: &Arc<AtomicBool>,
    reload: &Arc<AtomicBool>,
    snapshot: &Arc<Mutex<serde_json::Value>>,
    tallies: &Tallies,
    client: &crate::api::Client,
) -> Result<Option<std::thread::JoinHandle<()>>, AgentError> {
    if cfg.daemon.checkin_interval_secs == 0 {
        return Ok(None);
    }
    let id = cfg.identity()?;
    let w = Worker {
        dir: data_dir.to_path_buf(),
        cfg: cfg.clone(),
        url: id.server_url.clone(),
        client: client.clone(),
        token: id.device_token.clone(),
        every: Duration::from_secs(cfg.daemon.checkin_interval_secs.max(5)),
        halt: halt.clone(),
        reload: reload.clone(),
        snapshot: snapshot.clone(),
        tallies: tallies.clone(),
    };
    std::thread::Builder::new()
        .name("outpost-checkin".into())
        .spawn(move || w.run())
        .map(Some)
        .map_err(|e| AgentError::Io {
            path: "check-in thread".into(),
            source: e,
        })
}

impl Worker {
    fn run(self) {
        let mut next = Instant::now();
        while !self.halt.load(Ordering::Relaxed) {
            let now = Instant::now();
            if now < next {
                // Until the next check-in: the pipeline unparks this thread when it stops
                // (`run_pipeline`); a halt set elsewhere is seen within a second.
                std::thread::park_timeout((next - now).min(Duration::from_secs(1)));
                continue;
            }
            next = Instant::now() + self.every;
            self.tick();
        }
    }

    /// One check-in: the bundle first, then the check-in with the latest snapshot.
    fn tick(&self) {
        let counters = self.snapshot.lock().map(|v| v.clone()).unwrap_or_default();
        let mut hotlist = counters
            .get("hotlist_version")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let intel = self.refresh_intel();
        if let Some(v) = intel.as_ref().and_then(|s| s.version.clone()) {
            hotlist = Some(v);
        }
        let counters = if counters.is_object() {
            counters
        } else {
            serde_json::json!({})
        };
        let report = checkin::Report {
            counters,
            interval: self.every,
            hotlist_version: hotlist,
            intel,
        };
        let result = checkin::checkin_with(&self.dir, &self.client, &self.token, report);
        if let Ok(r) = &result {
            self.after_checkin(r);
        }
        match result {
            Ok(checkin::CheckinOutcome::NewConfig(_)) => {
                self.tallies.checkins.fetch_add(1, Ordering::Relaxed);
                self.restart_pipeline();
            }
            Ok(_) => {
                self.tallies.checkins.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.tallies.checkin_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "check-in failed");
            }
        }
    }

    /// The bundle cache: fetched before every check-in, its state reported. Opened for the
    /// check-in only and not decoded: a decoded bundle with many hashes and domains is
    /// megabytes, which the daemon should not hold between passes (each pass loads its own),
    /// and the check-in matches nothing.
    fn refresh_intel(&self) -> Option<outpost_core::api::IntelStatus> {
        let mut cache = match intel::open_cache_header(&self.dir, &self.cfg, chrono::Utc::now()) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot open the intel bundle cache");
                None
            }
        };
        let c = cache.as_mut()?;
        let now = chrono::Utc::now();
        match intel::refresh_with(c, &self.client, &self.token, now) {
            Ok(outpost_intel::bundle::InstallOutcome::Installed { .. }) => {
                self.tallies.intel_installed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(_) => {
                self.tallies.intel_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
        Some(intel::status_report(c, now))
    }

    /// A build on trial: this check-in was the health proof, the daemon stops. Otherwise a
    /// release the server offers is considered, and once staged the pipeline stops for it.
    fn after_checkin(&self, r: &checkin::CheckinOutcome) {
        if update::on_trial() {
            update::trial_checked_in(&self.dir);
            TRIAL_DONE.store(true, Ordering::Relaxed);
            self.restart_pipeline();
        } else if let Some(offer) = &r.response().update
            && let Some(s) = update::consider(
                &self.dir,
                self.cfg.release_public_key.as_deref(),
                &self.url,
                &self.token,
                offer,
            )
        {
            if let Ok(mut slot) = STAGED.lock() {
                *slot = Some(s);
            }
            self.restart_pipeline();
        }
    }

    fn restart_pipeline(&self) {
        self.reload.store(true, Ordering::Relaxed);
        self.halt.store(true, Ordering::Relaxed);
    }
}
