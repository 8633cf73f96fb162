//! `POST /api/v1/hits` (agents) and `GET /api/v1/hits` (analysts).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{AgentJson, ApiJson, ApiQuery, AuthDevice, AuthUser};
use crate::metrics::{ResultLabel, metrics};
use axum::Json;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use outpost_core::HitPayload;
use outpost_core::api::{
    Correlation, CustomerHit, HitHistoryEntry, HitRecord, HitState, HitStateChange, HitsAccepted,
    Page,
};
use outpost_core::auth::{Principal, Role};
use outpost_store::HitFilter;
use outpost_store::StateChange;
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

/// Bounds what the server keeps of each hit rather than refusing the batch (one process's
/// data must not cost another process's hit): `outpost_core::bound_hit`, the same rule the
/// agent applies. Answers the number of fields cut.
pub fn bound_payload(p: &mut HitPayload) -> u64 {
    p.hits.iter_mut().map(outpost_core::bound_hit).sum()
}

pub async fn upload(
    State(state): State<AppState>,
    AuthDevice(dev): AuthDevice,
    AgentJson(mut payload): AgentJson<HitPayload>,
) -> Result<Json<HitsAccepted>, ApiError> {
    let m = metrics();
    // The stored hostname is the device's, as enrolled: the payload's is only the agent's
    // word, and /joblookup and analysts find hosts by it.
    if payload.hostname != dev.hostname {
        tracing::info!(device_id = %dev.device_id, enrolled = %dev.hostname, reported = %payload.hostname,
            "hit batch names another hostname than the device's; storing the enrolled one");
        m.hostname_mismatches.inc();
        payload.hostname.clone_from(&dev.hostname);
    }
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
    // Scoring is CPU work on untrusted events: off the async workers.
    let threshold = state.ingest.threshold(&dev.tenant_id);
    let iocs = crate::intel::tenant_iocs(&state, &dev.tenant_id).await;
    let tenant_id = dev.tenant_id.clone();
    let (payload, scores, sightings) = {
        let ingest = state.ingest.clone();
        let dev_auth = dev.clone();
        let mut payload = payload;
        tokio::task::spawn_blocking(move || {
            let cut = bound_payload(&mut payload);
            if cut > 0 {
                crate::metrics::metrics()
                    .fields_truncated
                    .get_or_create(&crate::metrics::BodyLabel { body: "hits" })
                    .inc_by(cut);
            }
            let iocs = iocs
                .as_ref()
                .map(|i| i as &dyn outpost_detect::static_engine::IocLookup);
            let batch = format!("hits:{}", payload.batch_id);
            let upload = crate::ingest::upload(&dev_auth, &batch);
            let (scores, sightings) = ingest.scorer().score_hits(
                &tenant_id,
                &payload.hits,
                threshold,
                iocs,
                Some(upload),
            );
            (payload, scores, sightings)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "scoring task failed");
            ApiError::internal()
        })?
    };
    let outcome = state.store.insert_hits(&dev, &payload, &scores).await?;
    if !sightings.is_empty() {
        // STIX matches on the sample events; keyed by their place in the batch, so a retried
        // batch stores none twice.
        let stored = state
            .store
            .insert_alerts(&dev, &format!("hits:{}", payload.batch_id), &[], &sightings)
            .await
            .inspect_err(|e| crate::ingest::sightings_refused(sightings.len(), e))?;
        m.sightings.inc_by(stored.sightings);
    }
    // Forward before answering: the agent retries until it gets a 2xx, and a retried batch
    // is forwarded again (see `ingest`), so nothing stored is missed by the outputs.
    if state.ingest.outputs().is_some() && (outcome.stored > 0 || outcome.duplicate) {
        let stored = state
            .store
            .hits_of_batch(&dev.device_id, &payload.batch_id)
            .await?;
        let queued = state.ingest.publish(&stored);
        m.output_records_queued.inc_by(queued as u64);
        tracing::debug!(batch_id = %payload.batch_id, hits = stored.len(), queued, "hits queued for the outputs");
    }
    let alerts = scores.iter().filter(|s| s.alert).count() as u64;
    if alerts > 0 && !outcome.duplicate {
        m.alerts.inc_by(alerts);
    }
    state
        .report_device(
            &dev.device_id,
            outpost_store::DeviceReport::of_upload(
                Some(&payload.agent_version),
                Some(&payload.hotlist_version),
            ),
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
        m.hits_suppressed.inc_by(outcome.suppressed);
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
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum HitsPage {
    Full(Page<HitRecord>),
    Customer(Page<CustomerHit>),
}

/// One hit as the caller may see it.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum HitView {
    Full(Box<HitRecord>),
    Customer(CustomerHit),
}

fn view(who: &Principal, h: HitRecord) -> HitView {
    if who.is_staff() {
        HitView::Full(Box::new(h))
    } else {
        HitView::Customer(CustomerHit::from(&h))
    }
}

/// A `state` query parameter.
pub(crate) fn parse_state(s: Option<String>) -> Result<Option<HitState>, ApiError> {
    s.map(|s| {
        HitState::parse(&s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "state {s:?} is not one of new, acknowledged, suppressed, false_positive"
            ))
        })
    })
    .transpose()
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
    Ok(Json(if who.is_staff() {
        HitsPage::Full(page)
    } else {
        HitsPage::Customer(Page {
            items: page.items.iter().map(CustomerHit::from).collect(),
            next_cursor: page.next_cursor,
        })
    }))
}

/// Loads a hit the caller may see; another tenant's hit is "not found".
async fn visible_hit(state: &AppState, who: &Principal, id: i64) -> Result<HitRecord, ApiError> {
    let h = state.store.get_hit(id).await?;
    if !who.can_access_tenant(&h.tenant_id) {
        return Err(ApiError::not_found(format!("hit {id} not found")));
    }
    Ok(h)
}

pub async fn get(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<HitView>, ApiError> {
    let h = visible_hit(&state, &who, id).await?;
    Ok(Json(view(&who, h)))
}

/// Changes a hit's state. Staff may set any state; a customer may only acknowledge hits of
/// their tenant.
pub async fn set_state(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<HitStateChange>,
) -> Result<Response, ApiError> {
    visible_hit(&state, &who, id).await?;
    if !who.is_staff() && req.state != HitState::Acknowledged {
        return Err(ApiError::forbidden("customers may only acknowledge hits"));
    }
    if who.role == Role::Device {
        return Err(ApiError::forbidden("devices cannot triage hits"));
    }
    match state
        .store
        .set_hit_state(
            id,
            req.state,
            &who.subject,
            req.note.as_deref(),
            req.expected_version,
        )
        .await?
    {
        StateChange::Changed(h) => {
            metrics().hit_state_changes.inc();
            state.ingest.audit(
                &who,
                "hit.state",
                Some(&h.tenant_id),
                &id.to_string(),
                Some(format!("to {}", req.state.as_str())),
            );
            Ok(Json(view(&who, *h)).into_response())
        }
        StateChange::Conflict(h) => {
            Ok(state_conflict("hit", id, &h.triage, req.expected_version).into_response())
        }
    }
}

pub async fn history(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Page<HitHistoryEntry>>, ApiError> {
    visible_hit(&state, &who, id).await?;
    let items = state.store.hit_history(id).await?;
    Ok(Json(history_for(&who, items)))
}

/// The 409 of a state change whose `expected_version` is stale.
pub(crate) fn state_conflict(
    what: &str,
    id: i64,
    now: &outpost_core::api::Triage,
    expected: Option<i64>,
) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!(
            "{what} {id} is at version {} (state {}), not {}",
            now.version,
            now.state,
            expected.unwrap_or_default()
        ),
    )
}

/// A state history as the caller may see it: customers see what happened and when, not which
/// key or technician did it.
pub(crate) fn history_for(
    who: &Principal,
    mut items: Vec<HitHistoryEntry>,
) -> Page<HitHistoryEntry> {
    if !who.is_staff() {
        for e in &mut items {
            if !e.actor.starts_with("user:") {
                e.actor = "staff".to_string();
            }
        }
    }
    Page {
        items,
        next_cursor: None,
    }
}

/// The same remote IP or executable hash on other devices of the hit's tenant.
pub async fn related(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<HitsPage>, ApiError> {
    let h = visible_hit(&state, &who, id).await?;
    let items = state.store.related_hits(&h, 200).await?;
    Ok(Json(if who.is_staff() {
        HitsPage::Full(Page {
            items,
            next_cursor: None,
        })
    } else {
        HitsPage::Customer(Page {
            items: items.iter().map(CustomerHit::from).collect(),
            next_cursor: None,
        })
    }))
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
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
