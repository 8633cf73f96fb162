//! Alerts from telemetry (`/api/v1/alerts…`, with the lifecycle of hits) and STIX sightings
//! (`/api/v1/sightings`). Staff see every tenant in full; a customer sees their own tenant's,
//! simplified, and may only acknowledge.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::routes::hits::{history_for, parse_state};
use crate::routes::{AsSeen, one_as_seen, page_as_seen, state_changed};
use crate::services::Via;
use crate::services::scope_tenant;
use crate::services::triage::Change;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use outpost_core::api::{
    AlertRecord, CustomerAlert, HitHistoryEntry, HitStateChange, Page, SightingRecord,
};
use outpost_core::auth::Principal;
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

/// One alert as the caller may see it.
pub type AlertView = AsSeen<Box<AlertRecord>, CustomerAlert>;

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

/// Loads an alert the caller may see; another tenant's alert is "not found".
async fn visible(state: &AppState, who: &Principal, id: i64) -> Result<AlertRecord, ApiError> {
    Ok(state.triage().visible_alert(who, id).await?)
}

pub async fn get(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<AlertView>, ApiError> {
    let a = visible(&state, &who, id).await?;
    Ok(Json(one_as_seen(&who, a)))
}

/// Changes an alert's state (see [`crate::services::triage`]).
pub async fn set_state(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<HitStateChange>,
) -> Result<Response, ApiError> {
    let r = state
        .triage()
        .set_alert_state(&who, id, Change::of(&req, Via::Api))
        .await?;
    Ok(state_changed::<_, CustomerAlert>(
        &who,
        "alert",
        id,
        req.expected_version,
        r,
        |a| &a.triage,
    ))
}

pub async fn history(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Page<HitHistoryEntry>>, ApiError> {
    visible(&state, &who, id).await?;
    let items = state.store.alert_history(id).await?;
    Ok(Json(history_for(&who, items)))
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
