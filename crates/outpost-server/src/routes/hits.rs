//! `POST /api/v1/hits` (agents) and `GET /api/v1/hits` (analysts).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthDevice, AuthUser};
use crate::metrics::{ResultLabel, metrics};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use outpost_core::HitPayload;
use outpost_core::api::{HitRecord, HitsAccepted, Page};
use outpost_core::auth::Principal;
use outpost_store::HitFilter;
use serde::Deserialize;

/// Limits on one upload, beyond the body size limit.
pub const MAX_HITS_PER_BATCH: usize = 10_000;
pub const MAX_SAMPLES_PER_HIT: usize = 50;

fn validate(p: &HitPayload) -> Result<(), ApiError> {
    if p.batch_id.is_empty() || p.batch_id.len() > 128 {
        return Err(ApiError::invalid("batch_id must be 1-128 characters"));
    }
    if p.hits.len() > MAX_HITS_PER_BATCH {
        return Err(ApiError::invalid(format!(
            "a batch holds at most {MAX_HITS_PER_BATCH} hits"
        )));
    }
    for (i, h) in p.hits.iter().enumerate() {
        if h.first_seen_utc > h.last_seen_utc {
            return Err(ApiError::invalid(format!(
                "hits[{i}]: first_seen_utc is after last_seen_utc"
            )));
        }
        if h.hit_count == 0 {
            return Err(ApiError::invalid(format!(
                "hits[{i}]: hit_count must be at least 1"
            )));
        }
        if h.process_name.len() > 1024 || h.exe_path.as_ref().is_some_and(|e| e.len() > 4096) {
            return Err(ApiError::invalid(format!(
                "hits[{i}]: process_name or exe_path too long"
            )));
        }
        if h.sample_events.len() > MAX_SAMPLES_PER_HIT {
            return Err(ApiError::invalid(format!(
                "hits[{i}]: at most {MAX_SAMPLES_PER_HIT} sample_events"
            )));
        }
        if let Some(s) = &h.sha256
            && (s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(ApiError::invalid(format!(
                "hits[{i}]: sha256 must be 64 hex characters"
            )));
        }
    }
    Ok(())
}

pub async fn upload(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    ApiJson(payload): ApiJson<HitPayload>,
) -> Result<Json<HitsAccepted>, ApiError> {
    let m = metrics();
    if payload.device_id != dev.device_id || payload.tenant_id != dev.tenant_id {
        m.batches
            .get_or_create(&ResultLabel { result: "rejected" })
            .inc();
        return Err(ApiError::forbidden(
            "the payload's tenant_id/device_id do not match the device token",
        ));
    }
    if let Err(e) = validate(&payload) {
        m.batches
            .get_or_create(&ResultLabel { result: "rejected" })
            .inc();
        return Err(e);
    }
    let outcome = state.store.insert_hits(&dev, &payload).await?;
    state
        .store
        .touch_device(
            &dev.device_id,
            Some(&payload.agent_version),
            Some(&payload.hotlist_version),
        )
        .await?;
    if outcome.duplicate {
        m.batches
            .get_or_create(&ResultLabel {
                result: "duplicate",
            })
            .inc();
        tracing::info!(device_id = %dev.device_id, batch_id = %payload.batch_id, "duplicate batch ignored");
    } else {
        m.batches
            .get_or_create(&ResultLabel { result: "stored" })
            .inc();
        m.hits_stored.inc_by(outcome.stored);
        tracing::info!(device_id = %dev.device_id, batch_id = %payload.batch_id, hits = outcome.stored, "hits stored");
    }
    Ok(Json(HitsAccepted {
        batch_id: payload.batch_id,
        stored: outcome.stored,
        duplicate: outcome.duplicate,
    }))
}

/// Query string of `GET /api/v1/hits`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitQuery {
    pub tenant: Option<String>,
    pub device: Option<String>,
    pub remote_ip: Option<String>,
    pub process: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// The tenant a query may read: staff may ask for any (or all), a customer only their own.
pub fn scope_tenant(
    who: &Principal,
    requested: Option<String>,
) -> Result<Option<String>, ApiError> {
    if who.is_staff() {
        return Ok(requested);
    }
    let own = who
        .tenant_id
        .clone()
        .ok_or_else(|| ApiError::forbidden("this key is not bound to a tenant"))?;
    match requested {
        Some(t) if t != own => Err(ApiError::forbidden("not allowed to read another tenant")),
        _ => Ok(Some(own)),
    }
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<HitQuery>,
) -> Result<Json<Page<HitRecord>>, ApiError> {
    // Normalized, so `::ffff:1.2.3.4`-style spellings find what the agent stored.
    let remote_ip = q
        .remote_ip
        .map(|ip| {
            ip.parse::<std::net::IpAddr>()
                .map(|i| i.to_string())
                .map_err(|_| {
                    ApiError::bad_request(format!("remote_ip {ip:?} is not an IP address"))
                })
        })
        .transpose()?;
    let filter = HitFilter {
        tenant_id: scope_tenant(&who, q.tenant)?,
        device_id: q.device,
        remote_ip,
        process_name: q.process,
        since: q.since,
        until: q.until,
    };
    let page = state
        .store
        .list_hits(&filter, q.cursor.as_deref(), q.limit.unwrap_or(100))
        .await?;
    Ok(Json(page))
}
