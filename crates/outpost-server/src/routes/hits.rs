//! `POST /api/v1/hits` (agents), `GET /api/v1/hits`, related hits and correlations
//! (analysts). `/hits/{id}`, its state and history are the generic triage routes of
//! [`crate::routes`] (`triaged_*`).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{AgentJson, ApiQuery, AuthDevice, AuthUser};
use crate::routes::{AsSeen, page_as_seen, whole_page};
use crate::services::scope_tenant;
use axum::Json;
use axum::extract::Path;
use axum::extract::State;
use chrono::{DateTime, Utc};
use outpost_core::HitPayload;
use outpost_core::api::{Correlation, CustomerHit, HitRecord, HitsAccepted, Page, TriageState};
use outpost_core::auth::Principal;
use outpost_store::HitFilter;
use serde::Deserialize;

/// Accepts a device's hit batch (see [`crate::services::accept`]).
pub async fn upload(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    AgentJson(payload): AgentJson<HitPayload>,
) -> Result<Json<HitsAccepted>, ApiError> {
    Ok(Json(state.acceptance().hits(&dev, payload).await?))
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
    pub state: Option<String>,
    pub sha256: Option<String>,
    /// Only hits whose risk score is at least this.
    pub min_score: Option<i64>,
    /// `true`: only alerts; `false`: only non-alerts.
    pub alert: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// A page of hits as the caller may see them: full records for staff, the simplified
/// customer view otherwise.
pub type HitsPage = AsSeen<Page<HitRecord>, Page<CustomerHit>>;

/// A `state` query parameter.
pub(crate) fn parse_state(s: Option<String>) -> Result<Option<TriageState>, ApiError> {
    s.map(|s| {
        TriageState::parse(&s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "state {s:?} is not one of new, acknowledged, suppressed, false_positive"
            ))
        })
    })
    .transpose()
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<HitQuery>,
) -> Result<Json<HitsPage>, ApiError> {
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
        state: parse_state(q.state)?,
        sha256: q.sha256.map(|s| s.to_ascii_lowercase()),
        min_risk_score: q.min_score,
        alert: q.alert,
    };
    let page = state
        .store
        .list_hits(&filter, q.cursor.as_deref(), q.limit.unwrap_or(100))
        .await?;
    Ok(Json(page_as_seen(&who, page)))
}

/// Loads a hit the caller may see; another tenant's hit is "not found".
async fn visible_hit(state: &AppState, who: &Principal, id: i64) -> Result<HitRecord, ApiError> {
    Ok(state.triage().visible(who, id).await?)
}

/// The same remote IP or executable hash on other devices of the hit's tenant.
pub async fn related(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<HitsPage>, ApiError> {
    let h = visible_hit(&state, &who, id).await?;
    let items = state.store.related_hits(&h, 200).await?;
    Ok(Json(page_as_seen(&who, whole_page(items))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationQuery {
    pub tenant: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub min_devices: Option<u32>,
    pub limit: Option<u32>,
}

/// Remote IPs and hashes seen on several devices of a tenant.
pub async fn correlations(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<CorrelationQuery>,
) -> Result<Json<Page<Correlation>>, ApiError> {
    let tenant = scope_tenant(&who, q.tenant)?;
    let items = state
        .store
        .correlations(
            tenant.as_deref(),
            q.since,
            q.min_devices.unwrap_or(2),
            q.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(whole_page(items)))
}
