//! Threat intel: `GET /api/v1/intel/bundle` (a device's signed tenant bundle, with ETag),
//! `POST /api/v1/intel/confirm` (a device with a stale or filter-mode bundle asks whether
//! addresses are listed in its tenant's full intel), `GET /api/v1/intel/key` (the signing key agents pin), and the staff-managed tenant
//! indicators and allowlist (`/api/v1/intel/indicators`, `/api/v1/intel/allowlist`).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthDevice, AuthStaff};
use crate::intel::IntelService;
use crate::routes::{TenantQuery, whole_page};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use outpost_core::api::{
    AllowlistEntry, IntelKey, NewAllowlistEntry, NewTenantIndicator, Page, TenantIndicator,
};
use outpost_intel::distribute::{ConfirmRequest, ConfirmResponse};
use outpost_intel::{IndicatorKind, IndicatorValue};
use std::sync::Arc;

/// Response header naming the bundle's version.
pub const VERSION_HEADER: &str = "x-outpost-bundle-version";

fn service(state: &AppState) -> Result<&Arc<IntelService>, ApiError> {
    state.intel.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "intel_unavailable",
            "this server does not publish intel",
        )
    })
}

fn build_error(e: crate::intel::IntelServiceError) -> ApiError {
    tracing::error!(error = %e, "cannot build the tenant's intel bundle");
    ApiError::internal()
}

pub async fn bundle(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let svc = service(&state)?;
    let b = svc
        .tenant_bundle(&state.store, &dev.tenant_id)
        .await
        .map_err(build_error)?;
    let m = crate::metrics::metrics();
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if inm.is_some_and(|v| outpost_intel::distribute::etag_matches(v, &b.etag)) {
        crate::metrics::count(&m.intel_bundle_requests, "not_modified", 1);
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, b.etag.clone()),
                (header::CACHE_CONTROL, "no-cache".to_string()),
            ],
        )
            .into_response());
    }
    crate::metrics::count(&m.intel_bundle_requests, "sent", 1);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::ETAG, b.etag.clone()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
            (
                header::HeaderName::from_static(VERSION_HEADER),
                b.version.clone(),
            ),
        ],
        b.bytes.clone(),
    )
        .into_response())
}

/// Most addresses one confirmation request may ask about.
pub const MAX_CONFIRM_IPS: usize = 10_000;

pub async fn confirm(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> Result<Json<ConfirmResponse>, ApiError> {
    if req.ips.len() > MAX_CONFIRM_IPS {
        return Err(ApiError::invalid(format!(
            "{} addresses; at most {MAX_CONFIRM_IPS} per request",
            req.ips.len()
        )));
    }
    let svc = service(&state)?;
    let b = svc
        .tenant_bundle(&state.store, &dev.tenant_id)
        .await
        .map_err(build_error)?;
    let answer = outpost_intel::distribute::confirm_batch(&b.merged, &req);
    let listed = answer.results.iter().filter(|r| r.intel.is_some()).count() as u64;
    let m = crate::metrics::metrics();
    crate::metrics::count(&m.intel_confirmations, "listed", listed);
    crate::metrics::count(
        &m.intel_confirmations,
        "not_listed",
        answer.results.len() as u64 - listed,
    );
    tracing::debug!(device_id = %dev.device_id, asked = answer.results.len(), listed, agent_bundle = ?req.bundle_version, "hits confirmed");
    Ok(Json(answer))
}

pub async fn key(
    State(state): State<AppState>,
    AuthStaff(_): AuthStaff,
) -> Result<Json<IntelKey>, ApiError> {
    let svc = service(&state)?;
    Ok(Json(IntelKey {
        public_key: svc.public_key(),
        key_id: svc.key_id(),
    }))
}

async fn tenant_filter(state: &AppState, q: Option<String>) -> Result<Option<String>, ApiError> {
    match q {
        Some(t) => Ok(Some(state.store.find_tenant(&t).await?.id)),
        None => Ok(None),
    }
}

pub async fn list_indicators(
    State(state): State<AppState>,
    AuthStaff(_): AuthStaff,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> Result<Json<Page<TenantIndicator>>, ApiError> {
    let tenant = tenant_filter(&state, q.tenant).await?;
    let items = state
        .store
        .list_tenant_indicators(tenant.as_deref())
        .await?;
    Ok(Json(whole_page(items)))
}

pub async fn create_indicator(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(mut req): ApiJson<NewTenantIndicator>,
) -> Result<(StatusCode, Json<TenantIndicator>), ApiError> {
    req.tenant_id = state.store.find_tenant(&req.tenant_id).await?.id;
    let kind = IndicatorKind::parse(&req.kind).ok_or_else(|| {
        ApiError::invalid(format!(
            "unknown indicator kind {:?} (ip, domain, domain_suffix, sha256, sha1, md5, process_name, process_path)",
            req.kind
        ))
    })?;
    let value = IndicatorValue::parse(kind, &req.value).map_err(ApiError::invalid)?;
    if req.source.as_ref().is_some_and(|s| s.len() > 200) {
        return Err(ApiError::invalid("source is longer than 200 bytes"));
    }
    req.kind = value.kind().as_str().to_string();
    req.value = value.to_string();
    let ind = state
        .store
        .create_tenant_indicator(&req, &who.subject)
        .await?;
    state.forward.audit(
        &who,
        "intel.indicator.create",
        Some(&ind.tenant_id),
        &ind.id,
        Some(format!("{} {}", ind.kind, ind.value)),
    );
    Ok((StatusCode::CREATED, Json(ind)))
}

pub async fn delete_indicator(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_tenant_indicator(&id).await?;
    state
        .forward
        .audit(&who, "intel.indicator.delete", None, &id, None);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_allowlist(
    State(state): State<AppState>,
    AuthStaff(_): AuthStaff,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> Result<Json<Page<AllowlistEntry>>, ApiError> {
    let tenant = tenant_filter(&state, q.tenant).await?;
    let items = state.store.list_allowlist(tenant.as_deref()).await?;
    Ok(Json(whole_page(items)))
}

pub async fn create_allowlist(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(mut req): ApiJson<NewAllowlistEntry>,
) -> Result<(StatusCode, Json<AllowlistEntry>), ApiError> {
    req.tenant_id = state.store.find_tenant(&req.tenant_id).await?.id;
    let net = outpost_intel::hotlist::parse_net(&req.network).map_err(ApiError::invalid)?;
    if req.reason.as_ref().is_some_and(|s| s.len() > 4000) {
        return Err(ApiError::invalid("reason is longer than 4000 bytes"));
    }
    req.network = IndicatorValue::Net(net.trunc()).to_string();
    let e = state
        .store
        .create_allowlist_entry(&req, &who.subject)
        .await?;
    state.forward.audit(
        &who,
        "intel.allowlist.create",
        Some(&e.tenant_id),
        &e.id,
        Some(e.network.clone()),
    );
    Ok((StatusCode::CREATED, Json(e)))
}

pub async fn delete_allowlist(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_allowlist_entry(&id).await?;
    state
        .forward
        .audit(&who, "intel.allowlist.delete", None, &id, None);
    Ok(StatusCode::NO_CONTENT)
}
