//! Alerts from telemetry (`/api/v1/alerts…`, with the lifecycle of hits) and STIX sightings
//! (`/api/v1/sightings`). Staff see every tenant in full; a customer sees their own tenant's,
//! simplified, and may only acknowledge.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::routes::hits::{history_for, parse_state, scope_tenant, state_conflict};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use outpost_core::api::{
    AlertRecord, CustomerAlert, HitHistoryEntry, HitState, HitStateChange, Page, SightingRecord,
};
use outpost_core::auth::Principal;
use outpost_store::{AlertFilter, AlertStateChange, SightingFilter};
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
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum AlertsPage {
    Full(Page<AlertRecord>),
    Customer(Page<CustomerAlert>),
}

/// One alert as the caller may see it.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum AlertView {
    Full(Box<AlertRecord>),
    Customer(CustomerAlert),
}

fn view(who: &Principal, a: AlertRecord) -> AlertView {
    if who.is_staff() {
        AlertView::Full(Box::new(a))
    } else {
        AlertView::Customer(CustomerAlert::from(&a))
    }
}

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
    Ok(Json(if who.is_staff() {
        AlertsPage::Full(page)
    } else {
        AlertsPage::Customer(Page {
            items: page.items.iter().map(CustomerAlert::from).collect(),
            next_cursor: page.next_cursor,
        })
    }))
}

/// Loads an alert the caller may see; another tenant's alert is "not found".
async fn visible(state: &AppState, who: &Principal, id: i64) -> Result<AlertRecord, ApiError> {
    let a = state.store.get_alert(id).await?;
    if !who.can_access_tenant(&a.tenant_id) {
        return Err(ApiError::not_found(format!("alert {id} not found")));
    }
    Ok(a)
}

pub async fn get(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<AlertView>, ApiError> {
    let a = visible(&state, &who, id).await?;
    Ok(Json(view(&who, a)))
}

/// Changes an alert's state. Staff may set any state; a customer may only acknowledge.
pub async fn set_state(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<HitStateChange>,
) -> Result<Response, ApiError> {
    visible(&state, &who, id).await?;
    if !who.is_staff() && req.state != HitState::Acknowledged {
        return Err(ApiError::forbidden("customers may only acknowledge alerts"));
    }
    match state
        .store
        .set_alert_state(
            id,
            req.state,
            &who.subject,
            req.note.as_deref(),
            req.expected_version,
        )
        .await?
    {
        AlertStateChange::Changed(a) => {
            state.ingest.audit(
                &who,
                "alert.state",
                Some(&a.tenant_id),
                &id.to_string(),
                Some(format!("to {}", req.state.as_str())),
            );
            Ok(Json(view(&who, *a)).into_response())
        }
        AlertStateChange::Conflict(a) => {
            Ok(state_conflict("alert", id, &a.triage, req.expected_version).into_response())
        }
    }
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
