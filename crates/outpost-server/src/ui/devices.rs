//! Devices: the list (with the Sensoroni sensors) and one device with its jobs.

use super::common::{Field, field, rows, tenant_name, tenant_names};
use super::jobs::{JobRow, job_row, job_store_error};
use super::view::{self, HitRow, Nav, enc, opt_time, time, url};
use super::{UiError, UiUser, render};
use crate::AppState;
use crate::services::scope_tenant;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use outpost_core::auth::Principal;
use outpost_store::HitFilter;
use outpost_store::ui_queries::HitSort;
use std::collections::HashMap;

pub struct DeviceRow {
    pub href: String,
    pub hostname: String,
    pub tenant: String,
    pub os: String,
    pub agent: String,
    pub last_seen: String,
    pub online: bool,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    nav: Option<Nav>,
    staff: bool,
    rows: Vec<DeviceRow>,
    /// Sensoroni sensors (`super::sensors`).
    sensors: Vec<super::sensors::SensorRow>,
}

pub async fn devices(
    State(state): State<AppState>,
    UiUser(who): UiUser,
) -> Result<Response, UiError> {
    let tenant = scope_tenant(&who, None).map_err(|e| UiError::from(e).with_nav(&who))?;
    state.fresh_devices().await;
    let list = state.store.list_devices(tenant.as_deref()).await?;
    let names = if who.is_staff() {
        tenant_names(&state).await?
    } else {
        HashMap::new()
    };
    let rows = list
        .into_iter()
        .map(|d| DeviceRow {
            href: format!("/ui/devices/{}", enc(&d.id)),
            tenant: names.get(&d.tenant_id).cloned().unwrap_or_default(),
            hostname: d.hostname,
            os: d.os.unwrap_or_default(),
            agent: d.agent_version.unwrap_or_default(),
            last_seen: opt_time(&d.last_seen_at),
            online: d.online,
        })
        .collect();
    render(&DevicesPage {
        nav: Some(Nav::of(&who, "devices")),
        staff: who.is_staff(),
        rows,
        sensors: super::sensors::sensor_rows(&state, &who).await?,
    })
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    nav: Option<Nav>,
    staff: bool,
    hostname: String,
    online: bool,
    fields: Vec<Field>,
    counters: String,
    rows: Vec<HitRow>,
    hits_href: String,
    /// Technicians: the newest sample events of the device's recent hits.
    events: Vec<String>,
    jobs_enabled: bool,
    jobs: Vec<JobRow>,
    /// The PCAP job form for this device (`super::sensors`).
    new_pcap_href: String,
    /// Self-update history: (when, version, outcome, reason).
    updates: Vec<(String, String, String, String)>,
    /// The newest STIX sightings.
    sightings: Vec<SightingRow>,
}

pub async fn device_detail(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let d = crate::routes::devices::visible_device(&state, &who, &id)
        .await
        .map_err(|e| UiError::from(e).with_nav(&who))?;
    let staff = who.is_staff();
    let names = if staff {
        tenant_names(&state).await?
    } else {
        HashMap::new()
    };
    let filter = HitFilter {
        device_id: Some(d.id.clone()),
        tenant_id: Some(d.tenant_id.clone()),
        ..Default::default()
    };
    let recent = state
        .store
        .ui_list_hits(&filter, HitSort::Newest, None, 20)
        .await?;
    let mut fields = vec![
        field("Hostname", d.hostname.clone()),
        field("Status", if d.online { "online" } else { "offline" }),
        field(
            "Operating system",
            d.os.clone().unwrap_or_else(|| "—".into()),
        ),
        field(
            "Agent version",
            d.agent_version.clone().unwrap_or_else(|| "—".into()),
        ),
        field("Enrolled", time(&d.enrolled_at)),
        field("Last upload", opt_time(&d.last_seen_at)),
        field("Last check-in", opt_time(&d.last_checkin_at)),
    ];
    let mut counters = String::new();
    if staff {
        fields.insert(0, field("Device id", d.id.clone()));
        fields.insert(1, field("Tenant", tenant_name(&names, &d.tenant_id)));
        fields.push(field(
            "Hotlist version",
            d.hotlist_version.clone().unwrap_or_else(|| "—".into()),
        ));
        fields.push(field(
            "Config version (reported / wanted)",
            format!(
                "{} / {}",
                d.reported_config_version.as_deref().unwrap_or("—"),
                d.config_version.as_deref().unwrap_or("—")
            ),
        ));
        counters = d.counters.as_ref().map(view::pretty).unwrap_or_default();
    }
    let tq = if staff {
        d.tenant_id.clone()
    } else {
        String::new()
    };
    let updates = state
        .store
        .update_history(&d.id, 20)
        .await?
        .into_iter()
        .map(|u| {
            (
                time(&u.at),
                u.version,
                u.outcome,
                u.reason.unwrap_or_default(),
            )
        })
        .collect();
    let sightings = device_sightings(&state, &d.tenant_id, &d.id).await?;
    render(&DevicePage {
        sightings,
        updates,
        nav: Some(Nav::of(&who, "devices")),
        staff,
        hostname: d.hostname.clone(),
        online: d.online,
        fields,
        counters,
        rows: rows(&who, &recent.items, &names),
        hits_href: url("/ui/hits", &[("tenant", &tq), ("device", &d.id)]),
        events: if staff {
            let mut evs: Vec<&outpost_core::Event> = recent
                .items
                .iter()
                .flat_map(|h| h.hit.sample_events.iter())
                .collect();
            evs.sort_by_key(|e| std::cmp::Reverse(e.ts));
            evs.into_iter().take(10).map(view::pretty).collect()
        } else {
            Vec::new()
        },
        jobs_enabled: state.jobs.is_some(),
        jobs: device_jobs(&state, &who, &d.tenant_id, &d.id, &d.hostname).await?,
        new_pcap_href: format!("/ui/jobs/new?device={}", enc(&d.id)),
    })
}

/// A STIX sighting on the device page: when, the indicator, links (href, label) to the attack
/// model steps it indicates.
type SightingRow = (String, String, Vec<(String, String)>);

/// The newest STIX sightings of one device (the caller may see it), with the attack model
/// steps their indicators indicate.
async fn device_sightings(
    state: &AppState,
    tenant_id: &str,
    device_id: &str,
) -> Result<Vec<SightingRow>, UiError> {
    let filter = outpost_store::SightingFilter {
        tenant_id: Some(tenant_id.to_string()),
        device_id: Some(device_id.to_string()),
        indicator_id: None,
    };
    let page = state.store.list_sightings(&filter, None, 20).await?;
    let ids: Vec<String> = page.items.iter().map(|s| s.indicator_id.clone()).collect();
    let links = super::attack_models::step_links(state, tenant_id, Some(device_id), &ids).await?;
    Ok(page
        .items
        .into_iter()
        .map(|s| {
            let l = links.get(&s.indicator_id).cloned().unwrap_or_default();
            let name = if s.indicator_name.is_empty() {
                s.indicator_id
            } else {
                s.indicator_name
            };
            (time(&s.event_ts), name, l)
        })
        .collect())
}

/// The newest jobs of one device (the caller may see the device).
async fn device_jobs(
    state: &AppState,
    who: &Principal,
    tenant_id: &str,
    device_id: &str,
    hostname: &str,
) -> Result<Vec<JobRow>, UiError> {
    let Some(j) = &state.jobs else {
        return Ok(Vec::new());
    };
    let list = j
        .store()
        .list(&outpost_jobs::ListQuery {
            tenant_id: Some(tenant_id.to_string()),
            device_id: Some(device_id.to_string()),
            limit: Some(20),
            ..Default::default()
        })
        .await
        .map_err(|e| job_store_error(who, e))?;
    let hosts = HashMap::from([(device_id.to_string(), hostname.to_string())]);
    Ok(list
        .into_iter()
        .map(|job| job_row(job, &hosts, who.is_staff()))
        .collect())
}
