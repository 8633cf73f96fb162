//! Alerts from telemetry (`/api/v1/alerts…`, with the lifecycle of hits) and STIX sightings
//! (`/api/v1/sightings`). Staff see every tenant in full; a customer sees their own tenant's,
//! simplified, and may only acknowledge. `/alerts/{id}`, its state and history are the
//! generic triage routes of [`crate::routes`] (`triaged_*`).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, AuthUser};
use crate::routes::hits::parse_state;
use crate::routes::{AsSeen, page_as_seen};
use crate::services::scope_tenant;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use outpost_core::api::{AlertRecord, CustomerAlert, Page, SightingRecord};
use outpost_store::{AlertFilter, SightingFilter};
use serde::Deserialize;

/// Query string of `GET /api/v1/alerts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    pub tenant: Option<String>,
    pub device: Option<String>,
    pub state: Option<String>,
    pub min_score: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// `true`: only alerts raised in learn mode; `false`: only real ones.
    pub learned: Option<bool>,
    /// Only alerts with an indicator of this rule.
    pub rule: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// A page of alerts as the caller may see them.
pub type AlertsPage = AsSeen<Page<AlertRecord>, Page<CustomerAlert>>;

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Result<Json<AlertsPage>, ApiError> {
    let filter = AlertFilter {
        tenant_id: scope_tenant(&who, q.tenant)?,
        device_id: q.device,
        state: parse_state(q.state)?,
        min_risk_score: q.min_score,
        since: q.since,
        until: q.until,
        learned: q.learned,
        rule_name: q.rule,
    };
    let page = state
        .store
        .list_alerts(&filter, q.cursor.as_deref(), q.limit.unwrap_or(100))
        .await?;
    Ok(Json(page_as_seen(&who, page)))
}

/// Query string of `GET /api/v1/sightings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SightingQuery {
    pub tenant: Option<String>,
    pub device: Option<String>,
    /// STIX id of the indicator.
    pub indicator: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// STIX sightings (the sighting object, its observed-data and the attack model).
pub async fn sightings(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<SightingQuery>,
) -> Result<Json<Page<SightingRecord>>, ApiError> {
    let filter = SightingFilter {
        tenant_id: scope_tenant(&who, q.tenant)?,
        device_id: q.device,
        indicator_id: q.indicator,
    };
    Ok(Json(
        state
            .store
            .list_sightings(&filter, q.cursor.as_deref(), q.limit.unwrap_or(100))
            .await?,
    ))
}
