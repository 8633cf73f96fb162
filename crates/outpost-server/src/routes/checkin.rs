//! `POST /api/v1/checkin`: an agent reports liveness, counters and versions, and learns
//! whether jobs or a new configuration wait for it. With `wait_s` the answer is held
//! (long-poll) until one of those is there or the wait ends, so a job created for an online
//! agent reaches it within a second.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{AgentJson, AuthDevice};
use axum::Json;
use axum::extract::State;
use outpost_core::api::{CheckinRequest, CheckinResponse};
use outpost_store::{CheckinUpdate, DeviceReport};
use std::time::Duration;

/// Longest long-poll.
pub const MAX_WAIT_S: u32 = 60;
/// Largest accepted `counters` object, serialized.
pub const MAX_COUNTERS_BYTES: usize = 64 * 1024;
/// How often a held check-in re-reads the database even without a local notification.
const RECHECK: Duration = Duration::from_secs(5);

fn validate(r: &CheckinRequest) -> Result<(), ApiError> {
    for (name, v) in [
        ("agent_version", &r.agent_version),
        ("hostname", &r.hostname),
        ("os", &r.os),
        ("hotlist_version", &r.hotlist_version),
        ("config_version", &r.config_version),
    ] {
        if v.as_ref().is_some_and(|s| s.len() > 256) {
            return Err(ApiError::invalid(format!(
                "{name} is longer than 256 bytes"
            )));
        }
    }
    if let Some(c) = &r.counters {
        if !c.is_object() {
            return Err(ApiError::invalid("counters must be a JSON object"));
        }
        let n = serde_json::to_vec(c).map(|v| v.len()).unwrap_or(usize::MAX);
        if n > MAX_COUNTERS_BYTES {
            return Err(ApiError::invalid(format!(
                "counters are {n} bytes; at most {MAX_COUNTERS_BYTES}"
            )));
        }
    }
    if let Some(i) = &r.intel {
        if i.version.as_ref().is_some_and(|s| s.len() > 1024) {
            return Err(ApiError::invalid("intel.version is longer than 1024 bytes"));
        }
        if i.last_error.as_ref().is_some_and(|s| s.len() > 4096) {
            return Err(ApiError::invalid(
                "intel.last_error is longer than 4096 bytes",
            ));
        }
    }
    if r.wait_s.is_some_and(|w| w > MAX_WAIT_S) {
        return Err(ApiError::invalid(format!("wait_s is at most {MAX_WAIT_S}")));
    }
    Ok(())
}

pub async fn checkin(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    AgentJson(req): AgentJson<CheckinRequest>,
) -> Result<Json<CheckinResponse>, ApiError> {
    validate(&req)?;
    let m = crate::metrics::metrics();
    m.checkins.inc();
    let report = DeviceReport::of_checkin(&CheckinUpdate {
        agent_version: req.agent_version.as_deref(),
        hotlist_version: req.hotlist_version.as_deref(),
        config_version: req.config_version.as_deref(),
        os: req.os.as_deref(),
        counters: req.counters.as_ref(),
        interval_s: req.interval_s,
        intel: req.intel.as_ref(),
    })?;
    // Liveness and counters are written behind (see `reports`); what the device is owed is
    // read from where staff write it.
    state.report_device(&dev.device_id, report).await?;
    if let Some(u) = &req.update {
        crate::routes::releases::record_report(&state, &dev.device_id, u).await?;
    }
    let update = crate::routes::releases::offer_for(&state, &dev, req.os.as_deref()).await?;
    let (want_version, config) = state.store.device_config(&dev.device_id).await?;
    let next_checkin_s = state.config.checkin_interval_s.max(1);
    let differs = |v: &Option<String>| v.is_some() && *v != req.config_version;
    let wait = Duration::from_secs(u64::from(req.wait_s.unwrap_or(0)));
    let deadline = tokio::time::Instant::now() + wait;
    let mut jobs_rx = state.jobs.as_ref().map(|j| j.subscribe());
    let mut cfg_rx = state.changes.subscribe();
    let mut closing_rx = state.closing.subscribe();
    let mut want_version = want_version;
    let mut config = config;
    let _held = (!wait.is_zero()).then(HeldGauge::new);
    loop {
        if let Some(rx) = jobs_rx.as_mut() {
            rx.borrow_and_update();
        }
        cfg_rx.borrow_and_update();
        let jobs_pending = match &state.jobs {
            Some(j) => j
                .pending_count(&dev.tenant_id, &dev.device_id)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "cannot count pending jobs");
                    ApiError::internal()
                })?,
            None => 0,
        };
        let now = tokio::time::Instant::now();
        // At shutdown a held check-in answers now rather than holding the shutdown up.
        let closing = *closing_rx.borrow_and_update();
        if jobs_pending > 0 || differs(&want_version) || now >= deadline || closing {
            let config = if differs(&want_version) {
                config.take()
            } else {
                None
            };
            return Ok(Json(CheckinResponse {
                server_time: chrono::Utc::now(),
                jobs_pending,
                config_version: want_version,
                config,
                next_checkin_s,
                update: update.clone(),
            }));
        }
        let nap = (deadline - now).min(RECHECK);
        let jobs_changed = async {
            match jobs_rx.as_mut() {
                Some(rx) => {
                    let _ = rx.changed().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            _ = jobs_changed => {}
            _ = cfg_rx.changed() => {}
            _ = closing_rx.changed() => {}
        }
        // The configuration may have changed: read it again.
        let v = state.store.device_config_version(&dev.device_id).await?;
        if v != want_version {
            let (v2, c2) = state.store.device_config(&dev.device_id).await?;
            want_version = v2;
            config = c2;
        }
    }
}

/// Counts a held check-in in `outpost_checkins_waiting` while it lives.
struct HeldGauge;

impl HeldGauge {
    fn new() -> Self {
        crate::metrics::metrics().checkins_waiting.inc();
        HeldGauge
    }
}

impl Drop for HeldGauge {
    fn drop(&mut self) {
        crate::metrics::metrics().checkins_waiting.dec();
    }
}
