//! Jobs: the list and one job with its audit trail.

use super::common::{Field, field, tenant_name, tenant_names};
use super::view::{self, Nav, enc, opt_time, time};
use super::{UiError, UiUser, render};
use crate::AppState;
use crate::services::scope_tenant;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use outpost_core::auth::Principal;
use std::collections::HashMap;

pub struct JobRow {
    pub id: i64,
    pub href: String,
    pub kind: String,
    pub device: String,
    pub device_href: String,
    pub status: String,
    pub owner: String,
    pub created: String,
    pub failure: String,
    pub result_href: String,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    nav: Option<Nav>,
    staff: bool,
    enabled: bool,
    rows: Vec<JobRow>,
    /// Job change marker (Unix ms) for live updates.
    live_jobs: i64,
}

pub async fn jobs(State(state): State<AppState>, UiUser(who): UiUser) -> Result<Response, UiError> {
    let tenant = scope_tenant(&who, None).map_err(|e| UiError::from(e).with_nav(&who))?;
    let staff = who.is_staff();
    let mut rows = Vec::new();
    let mut live_jobs = 0;
    if let Some(j) = &state.jobs {
        // Read before the list: a change in between makes the page refresh once more.
        live_jobs = j
            .store()
            .last_change(tenant.as_deref())
            .await
            .map_err(|e| job_store_error(&who, e))?;
        let list = j
            .store()
            .list(&outpost_jobs::ListQuery {
                tenant_id: tenant.clone(),
                limit: Some(100),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "cannot list jobs");
                UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "cannot list jobs").with_nav(&who)
            })?;
        let hosts: HashMap<String, String> = state
            .store
            .list_devices(tenant.as_deref())
            .await?
            .into_iter()
            .map(|d| (d.id, d.hostname))
            .collect();
        rows = list
            .into_iter()
            .map(|job| job_row(job, &hosts, staff))
            .collect();
    }
    render(&JobsPage {
        nav: Some(Nav::of(&who, "jobs")),
        staff,
        enabled: state.jobs.is_some(),
        rows,
        live_jobs,
    })
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    nav: Option<Nav>,
    id: i64,
    kind: String,
    status: String,
    fields: Vec<Field>,
    filter: String,
    failure: String,
    result_href: String,
    /// The packet view of a finished PCAP job.
    packets_href: String,
    audit: Vec<AuditRow>,
    /// Job change marker (Unix ms) for live updates.
    live_jobs: i64,
}

fn job_not_found(who: &Principal, id: i64) -> UiError {
    UiError::new(StatusCode::NOT_FOUND, format!("job {id} not found")).with_nav(who)
}

pub(super) fn job_store_error(who: &Principal, e: outpost_jobs::StoreError) -> UiError {
    tracing::warn!(error = %e, "cannot read jobs");
    UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "cannot read jobs").with_nav(who)
}

/// One job with everything about it, and its audit trail. Another tenant's job is "not
/// found" (as in the API); customers' audit trail leaves out other tenants' principals.
pub async fn job_detail(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let Some(jobs) = &state.jobs else {
        return Err(UiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the job subsystem is not running on this server",
        )
        .with_nav(&who));
    };
    // The viewer's change marker, read before the job (see `jobs`).
    let scope = scope_tenant(&who, None).map_err(|e| UiError::from(e).with_nav(&who))?;
    let live_jobs = jobs
        .store()
        .last_change(scope.as_deref())
        .await
        .map_err(|e| job_store_error(&who, e))?;
    let job = match jobs.store().get(id).await {
        Ok(Some(j)) if who.can_access_tenant(&j.tenant_id) => j,
        Ok(_) => return Err(job_not_found(&who, id)),
        Err(e) => return Err(job_store_error(&who, e)),
    };
    let staff = who.is_staff();
    let audit = jobs
        .store()
        .query_audit(&outpost_jobs::AuditQuery {
            job_id: Some(job.id),
            tenant_id: (!staff).then(|| job.tenant_id.clone()),
            own_actors_only: !staff,
            limit: Some(200),
            ..Default::default()
        })
        .await
        .map_err(|e| job_store_error(&who, e))?;
    // The device: an enrolled Outpost device of the job's tenant, else a sensor name.
    state.fresh_devices().await;
    let device = match state.store.get_device(&job.device_id).await {
        Ok(d) if d.tenant_id == job.tenant_id => Some(d),
        Ok(_) | Err(outpost_store::StoreError::NotFound(_)) => None,
        Err(e) => return Err(UiError::from(e).with_nav(&who)),
    };
    let mut fields = vec![field("Job id", job.id.to_string())];
    if staff {
        let names = tenant_names(&state).await?;
        fields.push(field("Tenant", tenant_name(&names, &job.tenant_id)));
    }
    fields.push(match &device {
        Some(d) => Field {
            label: "Device",
            value: format!("{} ({})", d.hostname, d.id),
            href: format!("/ui/devices/{}", enc(&d.id)),
        },
        None => field("Sensor", job.device_id.clone()),
    });
    fields.push(field("Owner", job.owner.clone()));
    fields.push(field(
        "Attempts",
        format!(
            "{} of {} ({} failed)",
            job.attempts, job.max_attempts, job.fail_count
        ),
    ));
    fields.push(field("Lease expires", opt_time(&job.lease_expires_at)));
    fields.push(field("Created", time(&job.created_at)));
    fields.push(field("Updated", time(&job.updated_at)));
    fields.push(field(
        "Not before (retry backoff)",
        opt_time(&job.not_before),
    ));
    fields.push(field("Expires if unclaimed", opt_time(&job.expires_at)));
    fields.push(field("Completed", opt_time(&job.completed_at)));
    fields.push(field("Last failure at", opt_time(&job.failed_at)));
    if let Some(size) = job.result_size {
        fields.push(field(
            "Result",
            format!(
                "{size} bytes, .{}, sha256 {}",
                job.file_extension,
                job.result_sha256.as_deref().unwrap_or("—")
            ),
        ));
    }
    let audit = audit
        .into_iter()
        .map(|r| AuditRow {
            at: time(&r.entry.at),
            actor: format!("{} ({})", r.entry.actor, r.entry.actor_role),
            action: r.entry.action,
            outcome: r.entry.outcome,
            detail: r.entry.detail.unwrap_or_default(),
        })
        .collect();
    render(&JobPage {
        nav: Some(Nav::of(&who, "jobs")),
        id: job.id,
        kind: job.kind.clone(),
        status: job.status.as_str().to_string(),
        fields,
        filter: view::pretty(&job.filter),
        failure: job.failure.clone().unwrap_or_default(),
        result_href: if job.result_size.is_some() {
            format!("/api/v1/jobs/{}/result", job.id)
        } else {
            String::new()
        },
        packets_href: if job.result_size.is_some() && job.kind == "pcap" {
            format!("/ui/jobs/{}/packets", job.id)
        } else {
            String::new()
        },
        audit,
        live_jobs,
    })
}

/// The table row of a job (`hosts`: device id → hostname).
pub(super) fn job_row(
    job: outpost_jobs::Job,
    hosts: &HashMap<String, String>,
    staff: bool,
) -> JobRow {
    JobRow {
        id: job.id,
        href: format!("/ui/jobs/{}", job.id),
        device: hosts
            .get(&job.device_id)
            .cloned()
            .unwrap_or_else(|| job.device_id.clone()),
        // A Sensoroni sensor has no device page: its row in the devices page's sensor list.
        device_href: if job.sensor {
            "/ui/devices#sensors-h".to_string()
        } else {
            format!("/ui/devices/{}", enc(&job.device_id))
        },
        status: job.status.as_str().to_string(),
        owner: if staff { job.owner } else { String::new() },
        created: time(&job.created_at),
        failure: job.failure.unwrap_or_default(),
        result_href: if job.result_size.is_some() {
            format!("/api/v1/jobs/{}/result", job.id)
        } else {
            String::new()
        },
        kind: job.kind,
    }
}
