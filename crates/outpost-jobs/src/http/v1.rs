//! Outpost's own job API (`/api/v1/jobs…`, `/api/v1/agent/jobs…`, `/joblookup`), authorized
//! with the [`Principal`] the server's auth middleware puts into the request extensions.
//!
//! Rules: staff (admin, technician) see and manage every tenant's jobs; customers only their
//! tenant's; devices only the jobs addressed to themselves, and only devices claim and report.
//! A job the caller may not see answers 404, never 403, so ids of other tenants don't leak.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json};
use outpost_core::api::Page;
use outpost_core::auth::{Principal, Role};

use super::{
    Actor, ApiError, JobsState, QueryMap, RouteTable, parse_id, parse_json, query_map,
    result_response,
};
use crate::model::{Job, JobStatus, NewJob, StatusReport};
use crate::store::{AuditQuery, AuditRecord, ListQuery};

/// Outpost's job routes. Mount at the server root *behind* the auth middleware that inserts
/// `Extension<Principal>`; without it every route answers 401.
pub fn v1_router(state: JobsState) -> Router {
    v1_table().router.with_state(state)
}

/// Every (method, path) [`v1_router`] mounts: the server's OpenAPI and authorization-matrix
/// tests cover them from this table.
pub fn v1_routes() -> Vec<(&'static str, &'static str)> {
    v1_table().table
}

fn v1_table() -> RouteTable {
    RouteTable::default()
        .add("/api/v1/jobs", &["GET", "POST"], get(list).post(create))
        .add("/api/v1/jobs/audit", &["GET"], get(audit_log))
        .add(
            "/api/v1/jobs/{id}",
            &["GET", "DELETE"],
            get(show).delete(remove),
        )
        .add("/api/v1/jobs/{id}/result", &["GET"], get(download))
        .add("/api/v1/agent/jobs/next", &["GET"], get(next))
        .add("/api/v1/agent/jobs/{id}", &["POST"], post(report))
        .add("/api/v1/agent/jobs/{id}/result", &["PUT"], put(upload))
        .add(
            "/joblookup",
            &["GET", "POST"],
            get(super::lookup::joblookup_preview).post(super::lookup::joblookup_create),
        )
}

type MaybePrincipal = Option<Extension<Principal>>;

pub(super) fn principal(p: MaybePrincipal) -> Result<Principal, ApiError> {
    p.map(|e| e.0)
        .ok_or_else(|| ApiError::unauthorized("authentication required"))
}

pub(super) fn actor(p: &Principal) -> Actor {
    let role = match p.role {
        Role::Admin => "admin",
        Role::Technician => "technician",
        Role::Customer => "customer",
        Role::Device => "device",
    };
    Actor {
        role: role.into(),
        subject: p.subject.clone(),
        tenant: match p.role {
            Role::Customer | Role::Device => p.tenant_id.clone(),
            Role::Admin | Role::Technician => None,
        },
    }
}

/// The lease token is the agent's secret; only the device itself sees it.
fn hide_lease(p: &Principal, mut job: Job) -> Job {
    if p.role != Role::Device {
        job.lease_id = None;
    }
    job
}

/// May `p` see `job`?
pub(crate) fn visible(p: &Principal, job: &Job) -> bool {
    match p.role {
        Role::Admin | Role::Technician => true,
        Role::Customer => p.can_access_tenant(&job.tenant_id),
        // A device reaches only device jobs addressed to itself, never a Sensoroni node's
        // job that happens to carry its id.
        Role::Device => {
            p.can_access_tenant(&job.tenant_id) && p.subject == job.device_id && !job.sensor
        }
    }
}

fn path_id(id: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    let id = id.map_err(|e| ApiError::bad_request(e.to_string()))?;
    parse_id("job id", Some(&id.0))
}

/// Loads a job the principal may see (404 otherwise, audited as denied).
async fn load_visible(
    st: &JobsState,
    p: &Principal,
    id: i64,
    action: &str,
) -> Result<Job, ApiError> {
    match st.store().get(id).await? {
        Some(j) if visible(p, &j) => Ok(j),
        other => {
            let tenant = other.as_ref().map(|j| j.tenant_id.clone());
            st.audit(
                &actor(p),
                action,
                tenant.as_deref(),
                Some(id),
                "denied",
                None,
            )
            .await;
            Err(ApiError::not_found("job not found"))
        }
    }
}

/// The tenant a new job belongs to, given who asks.
pub(super) fn target_tenant(p: &Principal, requested: Option<&str>) -> Result<String, ApiError> {
    match p.role {
        Role::Admin | Role::Technician => requested
            .map(str::to_string)
            .ok_or_else(|| ApiError::bad_request("tenant_id is required for staff")),
        Role::Customer => {
            let own = p
                .tenant_id
                .clone()
                .ok_or_else(|| ApiError::forbidden("no tenant bound"))?;
            match requested {
                Some(t) if t != own => {
                    Err(ApiError::forbidden("cannot create jobs in another tenant"))
                }
                _ => Ok(own),
            }
        }
        Role::Device => Err(ApiError::forbidden("devices cannot create jobs")),
    }
}

async fn create(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    body: Result<bytes::Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let p = principal(p)?;
    let a = actor(&p);
    let req: NewJob = parse_json(body)?;
    let tenant = match target_tenant(&p, req.tenant_id.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            st.audit(
                &a,
                "job.create",
                req.tenant_id.as_deref(),
                None,
                "denied",
                Some(e.message.clone()),
            )
            .await;
            return Err(e);
        }
    };
    if !st.config().policy.allows(p.role, &tenant, &req.kind) {
        st.audit(
            &a,
            "job.create",
            Some(&tenant),
            None,
            "denied",
            Some(format!("kind={}", req.kind)),
        )
        .await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "kind_not_allowed",
            format!(
                "job kind {:?} is not allowed for this role/tenant",
                req.kind
            ),
        ));
    }
    let job = st
        .create_job_for(
            &a,
            &tenant,
            &req.device_id,
            &req.kind,
            &req.filter,
            req.max_attempts,
            false,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(job)).into_response())
}

async fn list(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Json<Page<Job>>, ApiError> {
    let p = principal(p)?;
    let q = query_map(q)?;
    let mut lq = ListQuery {
        tenant_id: q.get("tenant_id").cloned(),
        device_id: q.get("device_id").cloned(),
        kind: q.get("kind").cloned(),
        status: match q.get("status") {
            Some(s) => {
                Some(JobStatus::parse(s).ok_or_else(|| ApiError::bad_request("unknown status"))?)
            }
            None => None,
        },
        include_deleted: q.get("include_deleted").is_some_and(|v| v == "true"),
        before_id: match q.get("cursor") {
            Some(c) => Some(parse_id("cursor", Some(c))?),
            None => None,
        },
        limit: match q.get("limit") {
            Some(l) => Some(parse_id("limit", Some(l))?.min(1000)),
            None => None,
        },
        sensor: None,
    };
    match p.role {
        Role::Admin | Role::Technician => {}
        Role::Customer | Role::Device => {
            let Some(own) = p.tenant_id.clone() else {
                return Ok(Json(Page {
                    items: vec![],
                    next_cursor: None,
                }));
            };
            if lq.tenant_id.as_ref().is_some_and(|t| *t != own) {
                return Ok(Json(Page {
                    items: vec![],
                    next_cursor: None,
                }));
            }
            lq.tenant_id = Some(own);
            if p.role == Role::Device {
                if lq.device_id.as_ref().is_some_and(|d| *d != p.subject) {
                    return Ok(Json(Page {
                        items: vec![],
                        next_cursor: None,
                    }));
                }
                lq.device_id = Some(p.subject.clone());
                lq.sensor = Some(false);
            }
        }
    }
    let limit = lq.limit.unwrap_or(100).clamp(1, 1000);
    let items = st.store().list(&lq).await?;
    let next_cursor = if items.len() as i64 == limit {
        items.last().map(|j| j.id.to_string())
    } else {
        None
    };
    st.audit(
        &actor(&p),
        "job.list",
        lq.tenant_id.as_deref(),
        None,
        "ok",
        None,
    )
    .await;
    Ok(Json(Page {
        items: items.into_iter().map(|j| hide_lease(&p, j)).collect(),
        next_cursor,
    }))
}

fn parse_time(what: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| ApiError::bad_request(format!("{what} must be RFC 3339")))
}

/// `GET /api/v1/jobs/audit`: the job audit trail, newest first. Filters `tenant_id`,
/// `job_id`, `device_id`, `since`, `until` (RFC 3339, `until` exclusive); `limit` (≤ 1000,
/// default 100) and `cursor` (from `next_cursor`). Staff read every tenant's records;
/// customers their tenant's, without records of other tenants' principals (who may have
/// tried to reach the tenant's jobs); devices none.
async fn audit_log(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Json<Page<AuditRecord>>, ApiError> {
    let p = principal(p)?;
    let q = query_map(q)?;
    let opt = |k: &str| q.get(k).filter(|v| !v.is_empty());
    let mut aq = AuditQuery {
        tenant_id: opt("tenant_id").cloned(),
        own_actors_only: false,
        job_id: opt("job_id")
            .map(|v| parse_id("job_id", Some(v)))
            .transpose()?,
        device_id: opt("device_id").cloned(),
        since: opt("since").map(|v| parse_time("since", v)).transpose()?,
        until: opt("until").map(|v| parse_time("until", v)).transpose()?,
        before_id: opt("cursor")
            .map(|v| parse_id("cursor", Some(v)))
            .transpose()?,
        limit: Some(
            opt("limit")
                .map(|v| parse_id("limit", Some(v)))
                .transpose()?
                .unwrap_or(100)
                .min(1000),
        ),
    };
    let empty = || {
        Json(Page {
            items: vec![],
            next_cursor: None,
        })
    };
    match p.role {
        Role::Admin | Role::Technician => {}
        Role::Customer => {
            let Some(own) = p.tenant_id.clone() else {
                return Ok(empty());
            };
            if aq.tenant_id.as_ref().is_some_and(|t| *t != own) {
                return Ok(empty());
            }
            aq.tenant_id = Some(own);
            aq.own_actors_only = true;
        }
        Role::Device => {
            return Err(ApiError::forbidden(
                "devices cannot read the job audit trail",
            ));
        }
    }
    let limit = aq.limit.unwrap_or(100);
    let items = st.store().query_audit(&aq).await?;
    let next_cursor = if items.len() as i64 == limit {
        items.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(Json(Page { items, next_cursor }))
}

async fn show(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Job>, ApiError> {
    let p = principal(p)?;
    let id = path_id(id)?;
    let job = load_visible(&st, &p, id, "job.read").await?;
    st.audit(
        &actor(&p),
        "job.read",
        Some(&job.tenant_id),
        Some(id),
        "ok",
        None,
    )
    .await;
    Ok(Json(hide_lease(&p, job)))
}

async fn remove(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Job>, ApiError> {
    let p = principal(p)?;
    let id = path_id(id)?;
    let job = load_visible(&st, &p, id, "job.delete").await?;
    if p.role == Role::Device {
        st.audit(
            &actor(&p),
            "job.delete",
            Some(&job.tenant_id),
            Some(id),
            "denied",
            None,
        )
        .await;
        return Err(ApiError::forbidden("devices cannot delete jobs"));
    }
    let mut before = st.store().delete(id).await?;
    before.status = JobStatus::Deleted;
    st.audit(
        &actor(&p),
        "job.delete",
        Some(&before.tenant_id),
        Some(id),
        "ok",
        None,
    )
    .await;
    st.notify();
    Ok(Json(hide_lease(&p, before)))
}

async fn download(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = principal(p)?;
    let id = path_id(id)?;
    let job = load_visible(&st, &p, id, "job.result.download").await?;
    let resp = result_response(&st, &job, None).await?;
    st.audit(
        &actor(&p),
        "job.result.download",
        Some(&job.tenant_id),
        Some(id),
        "ok",
        None,
    )
    .await;
    Ok(resp)
}

/// The device principal's (tenant, device id), or 403.
fn device_of(p: &Principal) -> Result<(String, String), ApiError> {
    match (p.role, &p.tenant_id) {
        (Role::Device, Some(t)) => Ok((t.clone(), p.subject.clone())),
        (Role::Device, None) => Err(ApiError::forbidden("device is not bound to a tenant")),
        _ => Err(ApiError::forbidden("only devices claim and report jobs")),
    }
}

async fn next(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = principal(p)?;
    let q = query_map(q)?;
    let (tenant, device) = match device_of(&p) {
        Ok(v) => v,
        Err(e) => {
            st.audit(
                &actor(&p),
                "job.claim",
                p.tenant_id.as_deref(),
                None,
                "denied",
                None,
            )
            .await;
            return Err(e);
        }
    };
    let wait = match q.get("wait") {
        Some(w) => Duration::from_secs(
            w.parse::<u64>()
                .map_err(|_| ApiError::bad_request("wait must be seconds (integer)"))?,
        ),
        None => Duration::from_secs(25),
    };
    match st.claim_wait(&tenant, &device, wait).await? {
        Some(c) => {
            st.audit(
                &actor(&p),
                "job.claim",
                Some(&tenant),
                Some(c.job.id),
                "ok",
                None,
            )
            .await;
            Ok(Json(c).into_response())
        }
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

async fn report(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    id: Result<Path<String>, PathRejection>,
    body: Result<bytes::Bytes, BytesRejection>,
) -> Result<Json<Job>, ApiError> {
    let p = principal(p)?;
    device_of(&p)?;
    let id = path_id(id)?;
    let r: StatusReport = parse_json(body)?;
    let job = load_visible(&st, &p, id, "job.report").await?;
    let updated = match r.status {
        JobStatus::Running => st.store().mark_running(id, &r.lease_id).await,
        JobStatus::Completed => st.store().complete(id, Some(&r.lease_id)).await,
        JobStatus::Failed => {
            let why = r.failure.as_deref().unwrap_or("agent reported failure");
            st.store()
                .fail(id, Some(&r.lease_id), why, r.permanent)
                .await
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "agents may report running, completed or failed, not {}",
                other.as_str()
            )));
        }
    };
    let outcome = if updated.is_ok() { "ok" } else { "rejected" };
    st.audit(
        &actor(&p),
        "job.report",
        Some(&job.tenant_id),
        Some(id),
        outcome,
        Some(format!("status={}", r.status.as_str())),
    )
    .await;
    let updated = updated?;
    st.notify();
    Ok(Json(updated))
}

async fn upload(
    State(st): State<JobsState>,
    p: MaybePrincipal,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<QueryMap>, QueryRejection>,
    body: Body,
) -> Result<Json<Job>, ApiError> {
    let p = principal(p)?;
    device_of(&p)?;
    let id = path_id(id)?;
    let q = query_map(q)?;
    let job = load_visible(&st, &p, id, "job.result.upload").await?;
    let lease = q
        .get("lease_id")
        .ok_or_else(|| ApiError::bad_request("missing lease_id"))?;
    if !matches!(job.status, JobStatus::Assigned | JobStatus::Running)
        || job.lease_id.as_deref() != Some(lease.as_str())
    {
        st.audit(
            &actor(&p),
            "job.result.upload",
            Some(&job.tenant_id),
            Some(id),
            "rejected",
            None,
        )
        .await;
        return Err(crate::store::StoreError::LeaseLost.into());
    }
    let stored = store_upload(
        &st,
        &actor(&p),
        &job.tenant_id,
        &job,
        Some(lease.as_str()),
        &q,
        body,
    )
    .await?;
    Ok(Json(stored))
}

/// Stores the result uploaded for `job` (with the extension the query names, else the job's),
/// audits the upload (under `audit_tenant`), and when the result went over the server's cap
/// fails the job at once ([`fail_too_large`]).
pub(crate) async fn store_upload(
    st: &JobsState,
    who: &Actor,
    audit_tenant: &str,
    job: &Job,
    lease: Option<&str>,
    q: &QueryMap,
    body: Body,
) -> Result<Job, crate::store::StoreError> {
    let ext = q
        .get("ext")
        .map(String::as_str)
        .unwrap_or(&job.file_extension)
        .to_string();
    let stored = st
        .store()
        .store_result(job.id, &ext, body.into_data_stream())
        .await;
    let outcome = if stored.is_ok() { "ok" } else { "error" };
    st.audit(
        who,
        "job.result.upload",
        Some(audit_tenant),
        Some(job.id),
        outcome,
        None,
    )
    .await;
    if let Err(crate::store::StoreError::TooLarge { cap }) = &stored {
        // Retrying cannot make the result smaller: the job fails now, saying why, instead of
        // waiting for its lease to run out and being handed out again.
        fail_too_large(st, who, job, lease, *cap).await;
    }
    stored
}

/// Fails `job` permanently because its result went over the server's cap (`max_result_bytes`).
pub(crate) async fn fail_too_large(
    st: &JobsState,
    who: &Actor,
    job: &Job,
    lease: Option<&str>,
    cap: u64,
) {
    let why = format!(
        "the result exceeds the server's cap of {cap} bytes (max_result_bytes); narrow the job"
    );
    let r = st.store().fail(job.id, lease, &why, true).await;
    let outcome = if r.is_ok() { "ok" } else { "rejected" };
    st.audit(
        who,
        "job.fail",
        Some(&job.tenant_id),
        Some(job.id),
        outcome,
        Some(why),
    )
    .await;
    if r.is_ok() {
        crate::metrics::metrics().results_too_large.inc();
        st.notify();
    }
}
