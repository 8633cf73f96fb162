//! Threatsensor views: the Sensoroni sensors that check in through the
//! compatible API (`POST /api/node`), listed beside the devices; the PCAP job form for a
//! device or a sensor; the packet view of a finished PCAP job.
//!
//! The packet view reads the stored result frame by frame and stops after
//! [`MAX_SCAN_FRAMES`]; it keeps at most [`MAX_FLOWS`] flows and [`PACKETS_PER_FLOW`] packets
//! of each (headers and the first [`PREVIEW_BYTES`] bytes), so a page costs the same for a
//! 1 MB and a 1 GB capture.

use super::view::{Nav, enc, opt_time, time};
use super::{UiError, UiUser, redirect, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use outpost_core::auth::Principal;
use serde::Deserialize;
use std::collections::HashMap;

/// Frames read at most for one packet page.
pub const MAX_SCAN_FRAMES: usize = 20_000;
/// Flows kept at most (later flows are counted, not listed).
pub const MAX_FLOWS: usize = 200;
/// Packets shown per flow.
pub const PACKETS_PER_FLOW: usize = 5;
/// Bytes of each packet shown (hex).
pub const PREVIEW_BYTES: usize = 64;
/// A sensor is online when it checked in this recently.
const ONLINE_SECS: i64 = 300;

/// One Sensoroni sensor on the devices page.
pub struct SensorRow {
    pub id: String,
    pub description: String,
    pub role: String,
    pub version: String,
    pub address: String,
    pub last_checkin: String,
    pub online: bool,
    pub jobs_pending: usize,
    pub jobs_completed: usize,
    pub jobs_total: usize,
    pub newest_job_href: String,
    pub new_job_href: String,
}

/// The sensors the viewer may see (staff: all; a customer only when the compatible API's
/// tenant is theirs), with their jobs.
pub(super) async fn sensor_rows(
    state: &AppState,
    who: &Principal,
) -> Result<Vec<SensorRow>, UiError> {
    let Some(j) = &state.jobs else {
        return Ok(Vec::new());
    };
    let tenant = j.config().compat.tenant_id.clone();
    if !who.can_access_tenant(&tenant) {
        return Ok(Vec::new());
    }
    let err = |e: outpost_jobs::StoreError| {
        tracing::warn!(error = %e, "cannot read sensors");
        UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "cannot read sensors").with_nav(who)
    };
    let nodes = j.store().list_nodes(&tenant).await.map_err(err)?;
    let now = Utc::now();
    let mut rows = Vec::with_capacity(nodes.len().min(500));
    for n in nodes.into_iter().take(500) {
        let jobs = j
            .store()
            .list(&outpost_jobs::ListQuery {
                tenant_id: Some(tenant.clone()),
                device_id: Some(n.id.clone()),
                sensor: Some(true),
                limit: Some(100),
                ..Default::default()
            })
            .await
            .map_err(err)?;
        let count = |s: outpost_jobs::JobStatus| jobs.iter().filter(|j| j.status == s).count();
        rows.push(SensorRow {
            online: n
                .update_time
                .is_some_and(|t| (now - t).num_seconds() < ONLINE_SECS),
            last_checkin: opt_time(&n.update_time),
            jobs_pending: count(outpost_jobs::JobStatus::Pending)
                + count(outpost_jobs::JobStatus::Assigned)
                + count(outpost_jobs::JobStatus::Running),
            jobs_completed: count(outpost_jobs::JobStatus::Completed),
            jobs_total: jobs.len(),
            newest_job_href: jobs
                .first()
                .map(|j| format!("/ui/jobs/{}", j.id))
                .unwrap_or_default(),
            new_job_href: format!("/ui/jobs/new?sensor={}", enc(&n.id)),
            description: n.description,
            role: n.role,
            version: n.version,
            address: n.address,
            id: n.id,
        });
    }
    Ok(rows)
}

// ---------------------------------------------------------------- the PCAP job form

#[derive(Deserialize)]
pub struct NewJobQuery {
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    sensor: Option<String>,
}

#[derive(Template)]
#[template(path = "job_new.html")]
struct NewJobPage {
    nav: Option<Nav>,
    target_kind: &'static str,
    target_id: String,
    target_label: String,
    begin: String,
    end: String,
}

/// A target the viewer may create a job for: (tenant, label, sensor?).
async fn resolve_target(
    state: &AppState,
    who: &Principal,
    device: Option<&str>,
    sensor: Option<&str>,
) -> Result<(String, String, bool), UiError> {
    let Some(j) = &state.jobs else {
        return Err(UiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the job subsystem is not running on this server",
        )
        .with_nav(who));
    };
    match (
        device.filter(|s| !s.is_empty()),
        sensor.filter(|s| !s.is_empty()),
    ) {
        (Some(id), None) => {
            let d = crate::routes::devices::visible_device(state, who, id)
                .await
                .map_err(|e| UiError::from(e).with_nav(who))?;
            Ok((d.tenant_id, d.hostname, false))
        }
        (None, Some(id)) => {
            let tenant = j.config().compat.tenant_id.clone();
            let known = who.can_access_tenant(&tenant)
                && j.store()
                    .list_nodes(&tenant)
                    .await
                    .map_err(|e| {
                        tracing::warn!(error = %e, "cannot read sensors");
                        UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "cannot read sensors")
                    })?
                    .iter()
                    .any(|n| n.id == id);
            if !known {
                return Err(UiError::new(
                    StatusCode::NOT_FOUND,
                    format!("sensor {id:?} not found"),
                )
                .with_nav(who));
            }
            Ok((tenant, id.to_string(), true))
        }
        _ => Err(UiError::bad_request("name one device or one sensor").with_nav(who)),
    }
}

/// `GET /ui/jobs/new?device=ID` or `?sensor=ID`: the PCAP job form (the last hour by
/// default).
pub async fn new_job_form(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Query(q): Query<NewJobQuery>,
) -> Result<Response, UiError> {
    let (_, label, sensor) =
        resolve_target(&state, &who, q.device.as_deref(), q.sensor.as_deref()).await?;
    let now = Utc::now();
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    render(&NewJobPage {
        nav: Some(Nav::of(&who, if sensor { "devices" } else { "jobs" })),
        target_kind: if sensor { "sensor" } else { "device" },
        target_id: if sensor {
            label.clone()
        } else {
            q.device.clone().unwrap_or_default()
        },
        target_label: label,
        begin: fmt(now - chrono::Duration::hours(1)),
        end: fmt(now),
    })
}

#[derive(Deserialize)]
pub struct NewJobForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    sensor: String,
    #[serde(default)]
    src_ip: String,
    #[serde(default)]
    src_port: String,
    #[serde(default)]
    dst_ip: String,
    #[serde(default)]
    dst_port: String,
    #[serde(default)]
    protocol: String,
    #[serde(default)]
    begin: String,
    #[serde(default)]
    end: String,
}

fn form_error(message: &str) -> Response {
    let html = format!(
        "<p class=\"notice notice-error\" role=\"alert\" data-testid=\"job-form-error\">{}</p>",
        escape(message)
    );
    // 200: htmx swaps it into the form's result area.
    axum::response::Html(html).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A time of the form: RFC 3339, or the browser's `datetime-local` (taken as UTC).
fn parse_form_time(field: &str, s: &str) -> Result<Option<DateTime<Utc>>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Some(t.and_utc()));
        }
    }
    Err(format!("{field}: not a time (YYYY-MM-DDTHH:MM, UTC)"))
}

fn parse_port(field: &str, s: &str) -> Result<Option<u16>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<u16>()
        .map(Some)
        .map_err(|_| format!("{field}: a port is 0-65535"))
}

/// The form's filter, checked like the API's (`Filter::validate`).
fn form_filter(f: &NewJobForm) -> Result<outpost_jobs::Filter, String> {
    let ip = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = outpost_jobs::Filter {
        src_ip: ip(&f.src_ip),
        src_port: parse_port("Source port", &f.src_port)?,
        dst_ip: ip(&f.dst_ip),
        dst_port: parse_port("Destination port", &f.dst_port)?,
        protocol: Some(f.protocol.trim().to_string()).filter(|s| !s.is_empty() && s != "any"),
        begin_time: parse_form_time("Begin", &f.begin)?,
        end_time: parse_form_time("End", &f.end)?,
        ..Default::default()
    };
    if filter.src_ip.is_none() && filter.dst_ip.is_none() {
        return Err("give at least one IP address of the flow".into());
    }
    if filter.begin_time.is_none() || filter.end_time.is_none() {
        return Err("give the time window (begin and end)".into());
    }
    filter.validate()?;
    Ok(filter)
}

/// `POST /ui/jobs/new` (htmx): creates the PCAP job through the job subsystem's own checks
/// (`JobsState::create_for_user`) and sends the browser to its page.
pub async fn new_job_submit(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    form: Result<axum::Form<NewJobForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, UiError> {
    let axum::Form(f) = form.map_err(|e| UiError::bad_request(e.body_text()))?;
    let (tenant, _, sensor) =
        match resolve_target(&state, &who, Some(&f.device), Some(&f.sensor)).await {
            Ok(t) => t,
            Err(e) => return Ok(form_error(&e.message)),
        };
    let filter = match form_filter(&f) {
        Ok(x) => x,
        Err(m) => return Ok(form_error(&m)),
    };
    let Some(j) = &state.jobs else {
        return Ok(form_error(
            "the job subsystem is not running on this server",
        ));
    };
    let target = if sensor { &f.sensor } else { &f.device };
    match j
        .create_for_user(&who, &tenant, target, "pcap", &filter, sensor)
        .await
    {
        Ok(job) => Ok(redirect(&format!("/ui/jobs/{}", job.id), true)),
        Err(e) => Ok(form_error(&e.message)),
    }
}

// ---------------------------------------------------------------- the packet view

/// One decoded packet of the view.
pub struct PacketRow {
    pub number: usize,
    pub time: String,
    pub kind: String,
    pub src: String,
    pub dst: String,
    pub length: u32,
    pub flags: String,
    pub seq_ack: String,
    pub macs: String,
    pub preview: String,
}

/// A flow (addresses and ports, either direction) of the view.
pub struct FlowRow {
    pub proto: String,
    pub a: String,
    pub b: String,
    pub packets: u64,
    pub bytes: u64,
    pub first: String,
    pub last: String,
    pub sample: Vec<PacketRow>,
}

struct Scan {
    flows: Vec<FlowRow>,
    frames: usize,
    bytes: u64,
    other_flows_packets: u64,
    truncated: bool,
}

fn endpoint(ip: &str, port: u16) -> String {
    if ip.is_empty() {
        "—".into()
    } else if port == 0 {
        ip.to_string()
    } else if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

fn scan(path: &std::path::Path) -> Result<Scan, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut index: HashMap<(String, String, String), usize> = HashMap::new();
    let mut flows: Vec<FlowRow> = Vec::new();
    let mut frames = 0usize;
    let mut bytes = 0u64;
    let mut other = 0u64;
    let mut truncated = false;
    outpost_jobs::pcapio::visit_capture_stream(std::io::BufReader::new(file), "result", |f| {
        if frames >= MAX_SCAN_FRAMES {
            truncated = true;
            return std::ops::ControlFlow::Break(());
        }
        frames += 1;
        bytes += u64::from(f.orig_len);
        let mut p = outpost_jobs::pcapio::packet_json(frames, &f);
        p.payload.clear();
        let a = endpoint(&p.src_ip, p.src_port);
        let b = endpoint(&p.dst_ip, p.dst_port);
        // Either direction is one flow.
        let key = if a <= b {
            (p.kind.clone(), a.clone(), b.clone())
        } else {
            (p.kind.clone(), b.clone(), a.clone())
        };
        let slot = match index.get(&key) {
            Some(i) => Some(*i),
            None if flows.len() < MAX_FLOWS => {
                flows.push(FlowRow {
                    proto: key.0.clone(),
                    a: key.1.clone(),
                    b: key.2.clone(),
                    packets: 0,
                    bytes: 0,
                    first: p.timestamp.clone(),
                    last: String::new(),
                    sample: Vec::new(),
                });
                index.insert(key, flows.len() - 1);
                Some(flows.len() - 1)
            }
            None => None,
        };
        let Some(i) = slot else {
            other += 1;
            return std::ops::ControlFlow::Continue(());
        };
        let row = &mut flows[i];
        row.packets += 1;
        row.bytes += u64::from(f.orig_len);
        row.last = p.timestamp.clone();
        if row.sample.len() < PACKETS_PER_FLOW {
            let preview: String = f
                .data
                .iter()
                .take(PREVIEW_BYTES)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ");
            row.sample.push(PacketRow {
                number: p.number,
                time: p.timestamp.clone(),
                kind: p.kind.clone(),
                src: a,
                dst: b,
                length: p.length,
                flags: p.flags.join(" "),
                seq_ack: if p.kind == "TCP" {
                    format!("seq {} ack {} win {}", p.sequence, p.acknowledge, p.window)
                } else {
                    String::new()
                },
                macs: if p.src_mac.is_empty() {
                    String::new()
                } else {
                    format!("{} → {}", p.src_mac, p.dst_mac)
                },
                preview,
            });
        }
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    flows.sort_by_key(|f| std::cmp::Reverse(f.packets));
    Ok(Scan {
        flows,
        frames,
        bytes,
        other_flows_packets: other,
        truncated,
    })
}

#[derive(Template)]
#[template(path = "packets.html")]
struct PacketsPage {
    nav: Option<Nav>,
    id: i64,
    target: String,
    filter: String,
    created: String,
    result_size: i64,
    download_href: String,
    flows: Vec<FlowRow>,
    frames: usize,
    bytes: u64,
    other_flows_packets: u64,
    truncated: bool,
    max_scan: usize,
    max_flows: usize,
}

/// `GET /ui/jobs/{id}/packets`: the flows and first packets of a finished PCAP job.
pub async fn packets(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let Some(j) = &state.jobs else {
        return Err(UiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the job subsystem is not running on this server",
        )
        .with_nav(&who));
    };
    let not_found =
        || UiError::new(StatusCode::NOT_FOUND, format!("job {id} not found")).with_nav(&who);
    let job = match j.store().get(id).await {
        Ok(Some(job)) if who.can_access_tenant(&job.tenant_id) => job,
        Ok(_) => return Err(not_found()),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read jobs");
            return Err(
                UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "cannot read jobs").with_nav(&who),
            );
        }
    };
    if job.kind != "pcap" {
        return Err(UiError::bad_request(format!(
            "job {id} is a {} job, not a PCAP job",
            job.kind
        ))
        .with_nav(&who));
    }
    let Some(size) = job.result_size else {
        return Err(UiError::new(
            StatusCode::NOT_FOUND,
            format!("job {id} has no result yet ({})", job.status.as_str()),
        )
        .with_nav(&who));
    };
    let path = j.store().result_path(id);
    let s = tokio::task::spawn_blocking(move || scan(&path))
        .await
        .map_err(|_| UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "packet decoding failed"))?
        .map_err(|e| {
            tracing::warn!(job = id, error = %e, "cannot read a PCAP result");
            UiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the result is not a readable capture: {e}"),
            )
            .with_nav(&who)
        })?;
    let f = &job.filter;
    let filter = format!(
        "{}{} ↔ {}, {} – {}",
        f.protocol
            .as_deref()
            .map(|p| format!("{} ", p.to_ascii_uppercase()))
            .unwrap_or_default(),
        endpoint(
            f.src_ip.as_deref().unwrap_or("any"),
            f.src_port.unwrap_or(0)
        ),
        endpoint(
            f.dst_ip.as_deref().unwrap_or("any"),
            f.dst_port.unwrap_or(0)
        ),
        opt_time(&f.begin_time),
        opt_time(&f.end_time)
    );
    render(&PacketsPage {
        nav: Some(Nav::of(&who, "jobs")),
        id,
        target: job.device_id.clone(),
        filter,
        created: time(&job.created_at),
        result_size: size,
        download_href: format!("/api/v1/jobs/{id}/result"),
        flows: s.flows,
        frames: s.frames,
        bytes: s.bytes,
        other_flows_packets: s.other_flows_packets,
        truncated: s.truncated,
        max_scan: MAX_SCAN_FRAMES,
        max_flows: MAX_FLOWS,
    })
}
