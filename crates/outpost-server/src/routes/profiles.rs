//! Learned behaviour profiles (`/api/v1/profiles…`) and learn mode (`/api/v1/detect/learn…`).
//! Everyone may read their tenants' profiles and learn status; only staff reset profiles,
//! switch learn mode and apply its proposals.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthStaff, AuthUser};
use crate::routes::whole_page;
use crate::services::scope_tenant;
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use outpost_core::api::{
    LearnApply, LearnModeChange, LearnStatus, Page, ProfileRecord, ProfileReset, Suppression,
};
use serde::{Deserialize, Serialize};

/// Query string of `GET /api/v1/profiles`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileQuery {
    pub tenant: Option<String>,
    /// `learning` or `profiled`.
    pub status: Option<String>,
    /// One subject (`image:…` or `exe:…`): the page holds that profile only.
    pub subject: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// The tenant a query may read, given by id or name (a name that names no tenant stays as
/// given, so a customer gets the same refusal for another tenant's name as for a wrong id).
async fn scoped(
    state: &AppState,
    who: &outpost_core::auth::Principal,
    requested: Option<String>,
) -> Result<Option<String>, ApiError> {
    let requested = match requested {
        Some(t) => match state.store.find_tenant(&t).await {
            Ok(found) => Some(found.id),
            Err(outpost_store::StoreError::NotFound(_)) => Some(t),
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok(scope_tenant(who, requested)?)
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<ProfileQuery>,
) -> Result<Json<Page<ProfileRecord>>, ApiError> {
    let tenant = scoped(&state, &who, q.tenant).await?;
    if let Some(subject) = q.subject {
        let t = tenant.ok_or_else(|| ApiError::bad_request("subject needs tenant"))?;
        let items = match state.store.get_profile(&t, &subject).await {
            Ok(p) => vec![p],
            Err(outpost_store::StoreError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        return Ok(Json(whole_page(items)));
    }
    Ok(Json(
        state
            .store
            .list_profiles(
                tenant.as_deref(),
                q.status.as_deref(),
                q.cursor.as_deref(),
                q.limit.unwrap_or(100),
            )
            .await?,
    ))
}

/// What a reset did.
#[derive(Debug, Serialize)]
pub struct ResetDone {
    pub tenant_id: String,
    pub reset: u64,
}

/// Forgets one profile (or all of a tenant's); every replica drops what it learned.
pub async fn reset(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(req): ApiJson<ProfileReset>,
) -> Result<Json<ResetDone>, ApiError> {
    let tenant = state.store.find_tenant(&req.tenant_id).await?.id;
    let n = state
        .store
        .reset_profiles(&tenant, req.subject.as_deref())
        .await?;
    if req.subject.is_some() && n == 0 {
        return Err(ApiError::not_found("no such profile"));
    }
    if let Some(p) = state.scoring.profiles()
        && let Err(e) = p.sync(&state.store).await
    {
        tracing::warn!(error = %e, "profiles reset; this replica picks it up at its next sync");
    }
    state.forward.audit(
        &who,
        "profile.reset",
        Some(&tenant),
        req.subject.as_deref().unwrap_or("*"),
        Some(format!("{n} profiles")),
    );
    Ok(Json(ResetDone {
        tenant_id: tenant,
        reset: n,
    }))
}

/// Query string of `GET /api/v1/detect/learn`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnQuery {
    pub tenant: String,
}

async fn learn_status(state: &AppState, tenant: &str) -> Result<LearnStatus, ApiError> {
    let until = state.store.learn_until(tenant).await?;
    Ok(LearnStatus {
        tenant_id: tenant.to_string(),
        learning: until.is_some(),
        learn_until: until,
        proposals: state.store.learn_proposals(tenant).await?,
    })
}

/// A tenant's learn mode and its whitelist proposals.
pub async fn learn(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(q): ApiQuery<LearnQuery>,
) -> Result<Json<LearnStatus>, ApiError> {
    let t = scoped(&state, &who, Some(q.tenant))
        .await?
        .ok_or_else(|| ApiError::bad_request("tenant is required"))?;
    state.store.find_tenant(&t).await?;
    Ok(Json(learn_status(&state, &t).await?))
}

/// Most hours learn mode may be switched on for at once.
const MAX_LEARN_HOURS: u32 = 24 * 90;

/// Switches a tenant's learn mode on (for `hours`, default a week) or off.
pub async fn set_learn(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(req): ApiJson<LearnModeChange>,
) -> Result<Json<LearnStatus>, ApiError> {
    let t = state.store.find_tenant(&req.tenant_id).await?.id;
    let until = if req.on {
        let h = req.hours.unwrap_or(168);
        if h == 0 || h > MAX_LEARN_HOURS {
            return Err(ApiError::invalid(format!(
                "hours must be 1-{MAX_LEARN_HOURS}"
            )));
        }
        Some(Utc::now() + chrono::Duration::hours(i64::from(h)))
    } else {
        None
    };
    state.store.set_learn_mode(&t, until, &who.subject).await?;
    state.scoring.scorer().policy().set_learning(&t, until);
    state.forward.audit(
        &who,
        if req.on { "learn.on" } else { "learn.off" },
        Some(&t),
        &t,
        until.map(|u| format!("until {u}")),
    );
    Ok(Json(learn_status(&state, &t).await?))
}

/// Turns learn mode's proposals into suppression rules.
pub async fn apply_learn(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(req): ApiJson<LearnApply>,
) -> Result<Json<Page<Suppression>>, ApiError> {
    let t = state.store.find_tenant(&req.tenant_id).await?.id;
    let items = state
        .store
        .apply_learn_proposals(&t, req.only.as_deref(), &who.subject)
        .await?;
    for s in &items {
        state.forward.audit(
            &who,
            "suppression.create",
            Some(&t),
            &s.id,
            Some("learn mode".into()),
        );
    }
    Ok(Json(whole_page(items)))
}
