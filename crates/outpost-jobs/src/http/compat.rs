//! The Sensoroni/Threatsensor-compatible API (`/api/node`, `/api/job/`, `/api/jobs/`,
//! `/api/stream`, `/api/packets`, `/api/grid`, `/api/info`) with static-key auth.
//!
//! Differences from Sensoroni, on purpose: a check-in with no job answers `204 No Content`
//! (not `null`); a job handed out at check-in is leased, so two agents with the same node id
//! never both run it, and a lost agent's job is retried with backoff up to a limit; the
//! anonymous CIDR works for IPv6 peers.
//!
//! What the static key (or an anonymous peer) reaches: only *sensor* jobs ([`Job::sensor`]:
//! created through this API, or by `/joblookup` for a name that is no enrolled device) of
//! the compatible API's tenant, of a kind in [`super::CompatConfig::allowed_kinds`] — for
//! reads as for writes. Jobs of Outpost devices, even in the same tenant, are "not found".
//! A node id that is an enrolled device's id is refused. A result upload and a completion or
//! failure report need the job's current lease: the job must be claimed (`POST /api/node`)
//! and its lease unexpired, and a `leaseId` presented (the check-in answer carries it) must
//! be that lease.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json};

use super::{
    Actor, ApiError, JobsState, JsonBody, QueryMap, RouteTable, parse_id, query_map,
    result_response,
};
use crate::model::{Job, JobStatus, Node, SensoroniJob, sensoroni_status};
use crate::pcapio;
use crate::store::ListQuery;

/// The Sensoroni-compatible routes. Mount at the server root; it authenticates by itself
/// (static key / anonymous CIDR) and needs the peer address, so serve with
/// `into_make_service_with_connect_info::<SocketAddr>()` for the anonymous CIDR to work.
pub fn compat_router(state: JobsState) -> Router {
    compat_table()
        .router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            static_key_auth,
        ))
        .with_state(state)
}

/// Every (method, path) [`compat_router`] mounts: the server's authorization-matrix test
/// covers them from this table.
pub fn compat_routes() -> Vec<(&'static str, &'static str)> {
    compat_table().table
}

fn compat_table() -> RouteTable {
    let job = || get(get_job).post(create_job).put(update_job);
    RouteTable::default()
        .add("/api/node", &["POST"], post(checkin))
        .add("/api/job/", &["GET", "POST", "PUT"], job())
        .add("/api/job", &["GET", "POST", "PUT"], job())
        .add("/api/job/{id}", &["DELETE"], delete(delete_job))
        .add("/api/jobs/", &["GET"], get(list_jobs))
        .add("/api/jobs", &["GET"], get(list_jobs))
        .add("/api/stream", &["GET", "POST"], get(download).post(upload))
        .add("/api/packets", &["GET"], get(packets))
        .add("/api/grid", &["GET"], get(grid))
        .add("/api/info", &["GET"], get(info))
}

/// The last space-separated token of the Authorization header, so both `<key>` and
/// `Bearer <key>` work (as in Sensoroni).
fn presented_key(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .split_whitespace()
        .last()
}

async fn static_key_auth(State(st): State<JobsState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let actor = if presented_key(&req).is_some_and(|k| st.key_matches(k)) {
        Some(Actor {
            role: "sensoroni-key".into(),
            subject: "agent".into(),
            tenant: None,
        })
    } else {
        peer.filter(|ip| st.anonymous_allowed(*ip)).map(|ip| Actor {
            role: "anonymous".into(),
            subject: format!("anonymous@{}", ip.to_canonical()),
            tenant: None,
        })
    };
    match actor {
        Some(a) => {
            req.extensions_mut().insert(a);
            next.run(req).await
        }
        None => {
            let who = Actor {
                role: "unauthenticated".into(),
                subject: peer.map_or_else(|| "unknown".into(), |p| p.to_canonical().to_string()),
                tenant: None,
            };
            let path = req.uri().path().to_string();
            st.audit(
                &who,
                "compat.auth",
                Some(&st.config().compat.tenant_id),
                None,
                "denied",
                Some(path),
            )
            .await;
            ApiError::unauthorized("authentication required").into_response()
        }
    }
}

fn tenant(st: &JobsState) -> &str {
    &st.config().compat.tenant_id
}

fn kind_allowed(st: &JobsState, kind: &str) -> bool {
    st.config().compat.allowed_kinds.iter().any(|k| k == kind)
}

/// A sensor job of the compat tenant of an allowed kind, or 404 (audited as denied).
async fn load(st: &JobsState, actor: &Actor, id: i64, action: &str) -> Result<Job, ApiError> {
    match st.store().get(id).await? {
        Some(j) if j.tenant_id == tenant(st) && j.sensor && kind_allowed(st, &j.kind) => Ok(j),
        other => {
            st.audit(
                actor,
                action,
                other.as_ref().map(|j| j.tenant_id.as_str()),
                Some(id),
                "denied",
                None,
            )
            .await;
            Err(ApiError::not_found("job not found"))
        }
    }
}

/// Refuses a node id that is an enrolled Outpost device's id (audited).
async fn refuse_device_id(
    st: &JobsState,
    actor: &Actor,
    action: &str,
    node: &str,
) -> Result<(), ApiError> {
    if st.is_device(node).await? {
        return Err(denied(
            st,
            actor,
            action,
            "node id is an enrolled device id".into(),
            "this node id is an enrolled Outpost device's id; Sensoroni nodes need their own ids"
                .into(),
        )
        .await);
    }
    Ok(())
}

/// The job's current lease, if `presented` (when given) is it: the job must be assigned or
/// running with an unexpired lease. Otherwise 409 (audited as rejected).
async fn current_lease(
    st: &JobsState,
    actor: &Actor,
    action: &str,
    job: &Job,
    presented: Option<&str>,
) -> Result<String, ApiError> {
    let leased = matches!(job.status, JobStatus::Assigned | JobStatus::Running)
        && job.lease_expires_at.is_some_and(|t| t > chrono::Utc::now());
    let ok = match (&job.lease_id, presented) {
        (Some(l), Some(p)) if leased => {
            bool::from(subtle::ConstantTimeEq::ct_eq(l.as_bytes(), p.as_bytes())).then(|| l.clone())
        }
        (Some(l), None) if leased => Some(l.clone()),
        _ => None,
    };
    match ok {
        Some(l) => Ok(l),
        None => {
            st.audit(
                actor,
                action,
                Some(tenant(st)),
                Some(job.id),
                "rejected",
                Some("no current lease".into()),
            )
            .await;
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "lease_lost",
                format!(
                    "job {} is not leased to this sensor: it must be claimed through POST /api/node \
                     (and a leaseId given must be the current one)",
                    job.id
                ),
            ))
        }
    }
}

async fn checkin(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    JsonBody(node): JsonBody<Node>,
) -> Result<Response, ApiError> {
    super::validate_ident("node id", &node.id)?;
    refuse_device_id(&st, &actor, "job.claim", &node.id).await?;
    st.store().upsert_node(tenant(&st), &node).await?;
    match st.store().claim_for(tenant(&st), &node.id, true).await? {
        Some(c) => {
            st.audit(
                &actor,
                "job.claim",
                Some(tenant(&st)),
                Some(c.job.id),
                "ok",
                Some(format!("node={}", node.id)),
            )
            .await;
            let mut job = SensoroniJob::from_job(&c.job);
            job.lease_id = Some(c.lease_id);
            Ok(Json(job).into_response())
        }
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

async fn get_job(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Json<SensoroniJob>, ApiError> {
    let q = query_map(q)?;
    let id = parse_id("jobId", q.get("jobId"))?;
    let job = load(&st, &actor, id, "job.read").await?;
    st.audit(&actor, "job.read", Some(tenant(&st)), Some(id), "ok", None)
        .await;
    Ok(Json(SensoroniJob::from_job(&job)))
}

async fn create_job(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    JsonBody(req): JsonBody<SensoroniJob>,
) -> Result<Response, ApiError> {
    let kind = if req.kind.is_empty() {
        "pcap"
    } else {
        req.kind.as_str()
    };
    if !kind_allowed(&st, kind) {
        return Err(deny_kind(&st, &actor, "job.create", kind).await);
    }
    let filter = req.filter.clone().unwrap_or_default();
    super::validate_ident("node id", req.target())?;
    refuse_device_id(&st, &actor, "job.create", req.target()).await?;
    let job = st
        .create_job_for(&actor, tenant(&st), req.target(), kind, &filter, None, true)
        .await?;
    Ok((StatusCode::CREATED, Json(SensoroniJob::from_job(&job))).into_response())
}

async fn update_job(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    JsonBody(req): JsonBody<SensoroniJob>,
) -> Result<Json<SensoroniJob>, ApiError> {
    let job = load(&st, &actor, req.id, "job.update").await?;
    if matches!(job.status, JobStatus::Completed | JobStatus::Deleted) {
        st.audit(
            &actor,
            "job.update",
            Some(tenant(&st)),
            Some(job.id),
            "conflict",
            None,
        )
        .await;
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "job {} is {} and cannot be updated",
                job.id,
                job.status.as_str()
            ),
        ));
    }
    let updated = match req.status {
        sensoroni_status::COMPLETED => {
            let lease =
                current_lease(&st, &actor, "job.update", &job, req.lease_id.as_deref()).await?;
            st.store().complete(job.id, Some(&lease)).await?
        }
        sensoroni_status::INCOMPLETE => {
            let lease =
                current_lease(&st, &actor, "job.update", &job, req.lease_id.as_deref()).await?;
            let why = if req.failure.is_empty() {
                "agent reported failure"
            } else {
                req.failure.as_str()
            };
            st.store().fail(job.id, Some(&lease), why, false).await?
        }
        sensoroni_status::PENDING => job,
        other => {
            return Err(ApiError::bad_request(format!(
                "status {other} cannot be set with PUT (use DELETE /api/job/{{id}} to delete)"
            )));
        }
    };
    st.audit(
        &actor,
        "job.update",
        Some(tenant(&st)),
        Some(updated.id),
        "ok",
        Some(format!("status={}", updated.status.as_str())),
    )
    .await;
    st.notify();
    Ok(Json(SensoroniJob::from_job(&updated)))
}

async fn delete_job(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SensoroniJob>, ApiError> {
    let id = id.map_err(|e| ApiError::bad_request(e.to_string()))?;
    let id = parse_id("job id", Some(&id.0))?;
    let job = load(&st, &actor, id, "job.delete").await?;
    let mut before = st.store().delete(job.id).await?;
    before.status = JobStatus::Deleted;
    st.audit(
        &actor,
        "job.delete",
        Some(tenant(&st)),
        Some(id),
        "ok",
        None,
    )
    .await;
    Ok(Json(SensoroniJob::from_job(&before)))
}

/// True when every key of `want` is in `have` with a matching value (recursively for
/// objects), as Sensoroni's `/api/jobs/?parameters=` filter.
fn contains(have: &serde_json::Value, want: &serde_json::Value) -> bool {
    match (have, want) {
        (serde_json::Value::Object(h), serde_json::Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| h.get(k).is_some_and(|hv| contains(hv, wv))),
        (h, w) => h == w,
    }
}

async fn list_jobs(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Json<Vec<SensoroniJob>>, ApiError> {
    let q = query_map(q)?;
    let kind = q
        .get("kind")
        .filter(|k| !k.is_empty())
        .cloned()
        .unwrap_or_else(|| "pcap".into());
    if !kind_allowed(&st, &kind) {
        return Err(deny_kind(&st, &actor, "job.list", &kind).await);
    }
    let want: Option<serde_json::Value> = match q.get("parameters").filter(|p| !p.is_empty()) {
        Some(p) => Some(
            serde_json::from_str(p)
                .map_err(|e| ApiError::bad_request(format!("parameters is not JSON: {e}")))?,
        ),
        None => None,
    };
    let jobs = st
        .store()
        .list(&ListQuery {
            tenant_id: Some(tenant(&st).to_string()),
            kind: Some(kind),
            sensor: Some(true),
            limit: Some(1000),
            ..ListQuery::default()
        })
        .await?;
    let out = jobs
        .iter()
        .filter(|j| {
            want.as_ref().is_none_or(|w| {
                contains(&serde_json::Value::Object(j.filter.parameters.clone()), w)
            })
        })
        .map(SensoroniJob::from_job)
        .collect();
    st.audit(&actor, "job.list", Some(tenant(&st)), None, "ok", None)
        .await;
    Ok(Json(out))
}

async fn upload(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    q: Result<Query<QueryMap>, QueryRejection>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let q = query_map(q)?;
    let id = parse_id("jobId", q.get("jobId"))?;
    let job = load(&st, &actor, id, "job.result.upload").await?;
    if job.status.is_terminal() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "job {id} is {}; results can no longer be uploaded",
                job.status.as_str()
            ),
        ));
    }
    current_lease(
        &st,
        &actor,
        "job.result.upload",
        &job,
        q.get("leaseId").map(String::as_str),
    )
    .await?;
    super::v1::store_upload(
        &st,
        &actor,
        tenant(&st),
        &job,
        job.lease_id.as_deref(),
        &q,
        body,
    )
    .await?;
    Ok(StatusCode::OK)
}

async fn download(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query_map(q)?;
    let id = parse_id("jobId", q.get("jobId"))?;
    if q.get("unwrap").is_some_and(|v| v == "true") {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported",
            "tunnel unwrapping is not supported; download with unwrap=false",
        ));
    }
    let job = load(&st, &actor, id, "job.result.download").await?;
    let resp = result_response(&st, &job, q.get("ext").map(String::as_str)).await?;
    st.audit(
        &actor,
        "job.result.download",
        Some(tenant(&st)),
        Some(id),
        "ok",
        None,
    )
    .await;
    Ok(resp)
}

async fn packets(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Json<Vec<pcapio::PacketJson>>, ApiError> {
    let q = query_map(q)?;
    let id = parse_id("jobId", q.get("jobId"))?;
    let num = |name: &str, default: usize| -> Result<usize, ApiError> {
        match q.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!("{name} must be a non-negative integer"))
            }),
        }
    };
    let max = st.config().max_packet_count;
    let offset = num("offset", 0)?;
    let count = num("count", max)?;
    if count > max {
        return Err(ApiError::bad_request(format!(
            "count must be at most {max}"
        )));
    }
    let job = load(&st, &actor, id, "job.packets").await?;
    if job.result_size.is_none() {
        return Err(ApiError::not_found("the job has no result"));
    }
    // Only the packets asked for are decoded: the result is read frame by frame and reading
    // stops after `offset + count` of them, so a request costs what it returns (plus the
    // skipped frames' headers), not the whole result.
    let path = st.store().result_path(id);
    let out = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        let mut out = Vec::with_capacity(count.min(1024));
        let mut i = 0usize;
        pcapio::visit_capture_stream(std::io::BufReader::new(file), "result", |f| {
            i += 1;
            if out.len() >= count {
                return std::ops::ControlFlow::Break(());
            }
            if i > offset {
                out.push(pcapio::packet_json(i, &f));
            }
            if out.len() >= count {
                return std::ops::ControlFlow::Break(());
            }
            std::ops::ControlFlow::Continue(())
        })
        .map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(out)
    })
    .await
    .map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "packet decoding failed",
        )
    })?
    .map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ApiError::not_found("the job's result file is missing")
        } else {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_capture",
                e.to_string(),
            )
        }
    })?;
    st.audit(
        &actor,
        "job.packets",
        Some(tenant(&st)),
        Some(id),
        "ok",
        None,
    )
    .await;
    Ok(Json(out))
}

async fn grid(State(st): State<JobsState>) -> Result<Json<Vec<Node>>, ApiError> {
    Ok(Json(st.store().list_nodes(tenant(&st)).await?))
}

async fn info(
    State(st): State<JobsState>,
    Extension(actor): Extension<Actor>,
) -> Json<serde_json::Value> {
    let _ = st;
    Json(serde_json::json!({
        "version": outpost_core::version(),
        "license": "Apache-2.0",
        "parameters": {},
        "elasticVersion": "",
        "wazuhVersion": "",
        "userId": actor.subject,
        "timezones": ["UTC"],
    }))
}

/// Audits a refused job kind (`action`: what was attempted) and answers the 403.
async fn deny_kind(st: &JobsState, actor: &Actor, action: &str, kind: &str) -> ApiError {
    denied(
        st,
        actor,
        action,
        format!("kind={kind}"),
        format!("job kind {kind:?} is not allowed on this API"),
    )
    .await
}

/// Audits `action` as denied (`detail`: why) and answers the 403 saying `message`.
async fn denied(
    st: &JobsState,
    actor: &Actor,
    action: &str,
    detail: String,
    message: String,
) -> ApiError {
    st.audit(
        actor,
        action,
        Some(tenant(st)),
        None,
        "denied",
        Some(detail),
    )
    .await;
    ApiError::forbidden(message)
}
