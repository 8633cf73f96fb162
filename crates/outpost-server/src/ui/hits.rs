//! Hits: the list (`/ui/hits`), one hit with its history and related hits, and the
//! analyst's actions on it (state, suppression, ticket) through [`crate::services::triage`].

use super::common::{
    Field, Opt, field, nonempty, notice, parse_time, rows, tenant_name, tenant_names,
};
use super::view::{self, HitRow, Nav, enc, opt_time, state_label, time, url};
use super::{UiError, UiStaff, UiUser, redirect, render};
use crate::AppState;
use crate::services::ServiceError;
use crate::services::Via;
use crate::services::scope_tenant;
use crate::services::triage::{Change, SuppressScope, Ticketed, history_as_seen};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use outpost_core::api::{CustomerHit, HitRecord, TriageState};
use outpost_core::auth::Principal;
use outpost_store::ui_queries::HitSort;
use outpost_store::{HitFilter, StateChange};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct HitsQuery {
    tenant: Option<String>,
    device: Option<String>,
    ip: Option<String>,
    process: Option<String>,
    state: Option<String>,
    since: Option<String>,
    until: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
    min_score: Option<String>,
    alerts: Option<String>,
}

#[derive(Template)]
#[template(path = "hits.html")]
struct HitsPage {
    nav: Option<Nav>,
    staff: bool,
    tenants: Vec<Opt>,
    devices: Vec<Opt>,
    states: Vec<Opt>,
    sorts: Vec<Opt>,
    limits: Vec<Opt>,
    ip: String,
    process: String,
    since: String,
    until: String,
    min_score: String,
    alerts_only: bool,
    rows: Vec<HitRow>,
    next_href: String,
    first_href: String,
    paged: bool,
    live_since: i64,
}

/// The hit list's filter, parsed from the form (empty fields are absent filters).
struct HitsForm {
    /// The tenant the caller may and did choose (customers: their own).
    tenant: Option<String>,
    device: Option<String>,
    /// Normalized, so `::ffff:1.2.3.4`-style spellings find what the agent stored.
    ip: Option<String>,
    process: Option<String>,
    state: Option<TriageState>,
    since: Option<chrono::DateTime<Utc>>,
    until: Option<chrono::DateTime<Utc>>,
    sort: HitSort,
    limit: u32,
    min_score: Option<i64>,
    alerts_only: bool,
    cursor: Option<String>,
}

impl HitsForm {
    /// Parses the query; a bad value is a 400 naming it.
    fn parse(who: &Principal, q: &HitsQuery) -> Result<HitsForm, UiError> {
        let tenant = scope_tenant(who, nonempty(&q.tenant))?;
        let ip = nonempty(&q.ip)
            .map(|ip| {
                ip.parse::<std::net::IpAddr>()
                    .map(|i| i.to_string())
                    .map_err(|_| UiError::bad_request(format!("{ip:?} is not an IP address")))
            })
            .transpose()?;
        let state = nonempty(&q.state)
            .map(|s| {
                TriageState::parse(&s)
                    .ok_or_else(|| UiError::bad_request(format!("unknown state {s:?}")))
            })
            .transpose()?;
        let since = nonempty(&q.since)
            .map(|s| parse_time("since", &s))
            .transpose()?;
        let until = nonempty(&q.until)
            .map(|s| parse_time("until", &s))
            .transpose()?;
        let sort = match nonempty(&q.sort) {
            None => HitSort::Newest,
            Some(s) => HitSort::parse(&s)
                .ok_or_else(|| UiError::bad_request(format!("unknown sort {s:?}")))?,
        };
        let limit: u32 = nonempty(&q.limit)
            .and_then(|l| l.parse().ok())
            .unwrap_or(50)
            .clamp(10, 200);
        let min_score = nonempty(&q.min_score)
            .map(|s| {
                s.trim().parse::<i64>().map_err(|_| {
                    UiError::bad_request(format!("minimum risk {s:?} is not a number"))
                })
            })
            .transpose()?;
        Ok(HitsForm {
            tenant,
            device: nonempty(&q.device),
            ip,
            process: nonempty(&q.process),
            state,
            since,
            until,
            sort,
            limit,
            min_score,
            alerts_only: nonempty(&q.alerts).is_some(),
            cursor: nonempty(&q.cursor),
        })
    }

    fn filter(&self) -> HitFilter {
        HitFilter {
            tenant_id: self.tenant.clone(),
            device_id: self.device.clone(),
            remote_ip: self.ip.clone(),
            process_name: self.process.clone(),
            since: self.since,
            until: self.until,
            state: self.state,
            sha256: None,
            min_risk_score: self.min_score,
            alert: self.alerts_only.then_some(true),
        }
    }
}

/// The `<select>` options of the hit list's filter form.
struct HitsOptions {
    tenants: Vec<Opt>,
    devices: Vec<Opt>,
    states: Vec<Opt>,
    sorts: Vec<Opt>,
    limits: Vec<Opt>,
}

impl HitsOptions {
    fn of(
        who: &Principal,
        f: &HitsForm,
        names: &HashMap<String, String>,
        devices: &[outpost_core::api::Device],
    ) -> HitsOptions {
        let mut tenants = Vec::new();
        if who.is_staff() {
            tenants.push(Opt {
                value: String::new(),
                label: "All tenants".into(),
                selected: f.tenant.is_none(),
            });
            let mut v: Vec<(&String, &String)> = names.iter().collect();
            v.sort_by(|a, b| a.1.cmp(b.1));
            tenants.extend(v.into_iter().map(|(id, name)| Opt {
                value: id.clone(),
                label: name.clone(),
                selected: f.tenant.as_deref() == Some(id.as_str()),
            }));
        }
        let dev_sel = f.device.as_deref().unwrap_or_default();
        let mut device_opts = vec![Opt {
            value: String::new(),
            label: "All devices".into(),
            selected: dev_sel.is_empty(),
        }];
        device_opts.extend(devices.iter().map(|d| Opt {
            value: d.id.clone(),
            label: d.hostname.clone(),
            selected: d.id == dev_sel,
        }));
        let mut states = vec![Opt {
            value: String::new(),
            label: "Any state".into(),
            selected: f.state.is_none(),
        }];
        states.extend(TriageState::ALL.iter().map(|s| Opt {
            value: s.as_str().into(),
            label: state_label(*s).into(),
            selected: f.state == Some(*s),
        }));
        let sorts = HitSort::ALL
            .iter()
            .map(|s| Opt {
                value: s.as_str().into(),
                label: s.label().into(),
                selected: *s == f.sort,
            })
            .collect();
        let limits = [25u32, 50, 100, 200]
            .iter()
            .map(|l| Opt {
                value: l.to_string(),
                label: l.to_string(),
                selected: *l == f.limit,
            })
            .collect();
        HitsOptions {
            tenants,
            devices: device_opts,
            states,
            sorts,
            limits,
        }
    }
}

/// The form's values as they go back into the page and its links.
struct HitsEcho {
    ip: String,
    process: String,
    since: String,
    until: String,
    min_score: String,
    first_href: String,
    next_href: String,
}

impl HitsEcho {
    fn of(who: &Principal, f: &HitsForm, q: &HitsQuery, next_cursor: Option<&str>) -> HitsEcho {
        let tq = if who.is_staff() {
            f.tenant.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let dev = f.device.clone().unwrap_or_default();
        let ip = f.ip.clone().unwrap_or_default();
        let process = f.process.clone().unwrap_or_default();
        let stq = f.state.map(|s| s.as_str()).unwrap_or_default();
        let since = nonempty(&q.since).unwrap_or_default();
        let until = nonempty(&q.until).unwrap_or_default();
        let limq = f.limit.to_string();
        let min_score = f.min_score.map(|m| m.to_string()).unwrap_or_default();
        let alq = if f.alerts_only { "1" } else { "" };
        let base: Vec<(&str, &str)> = vec![
            ("min_score", &min_score),
            ("alerts", alq),
            ("tenant", &tq),
            ("device", &dev),
            ("ip", &ip),
            ("process", &process),
            ("state", stq),
            ("since", &since),
            ("until", &until),
            ("sort", f.sort.as_str()),
            ("limit", &limq),
        ];
        let first_href = url("/ui/hits", &base);
        let next_href = match next_cursor {
            Some(c) => {
                let mut v = base.clone();
                v.push(("cursor", c));
                url("/ui/hits", &v)
            }
            None => String::new(),
        };
        HitsEcho {
            ip,
            process,
            since,
            until,
            min_score,
            first_href,
            next_href,
        }
    }
}

/// The hit list: the filter form, a page of hits, the links to the first and next pages.
pub async fn hits(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Query(q): Query<HitsQuery>,
) -> Result<Response, UiError> {
    let f = HitsForm::parse(&who, &q).map_err(|e| e.with_nav(&who))?;
    let page = state
        .store
        .ui_list_hits(&f.filter(), f.sort, f.cursor.as_deref(), f.limit)
        .await
        .map_err(|e| UiError::from(e).with_nav(&who))?;
    let names = if who.is_staff() {
        tenant_names(&state).await?
    } else {
        HashMap::new()
    };
    state.fresh_devices().await;
    let devices = state.store.list_devices(f.tenant.as_deref()).await?;
    let options = HitsOptions::of(&who, &f, &names, &devices);
    let echo = HitsEcho::of(&who, &f, &q, page.next_cursor.as_deref());
    let live_since = state.store.ui_latest_hit_id(f.tenant.as_deref()).await?;
    render(&HitsPage {
        nav: Some(Nav::of(&who, "hits")),
        staff: who.is_staff(),
        tenants: options.tenants,
        devices: options.devices,
        states: options.states,
        sorts: options.sorts,
        limits: options.limits,
        ip: echo.ip,
        process: echo.process,
        since: echo.since,
        until: echo.until,
        min_score: echo.min_score,
        alerts_only: f.alerts_only,
        rows: rows(&who, &page.items, &names),
        next_href: echo.next_href,
        first_href: echo.first_href,
        paged: f.cursor.is_some(),
        live_since,
    })
}

// ---------------------------------------------------------------- one hit

pub struct HistoryRow {
    pub at: String,
    pub actor: String,
    pub from: &'static str,
    pub to: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "hit.html")]
struct HitPage {
    nav: Option<Nav>,
    staff: bool,
    id: i64,
    title: String,
    state: &'static str,
    state_class: &'static str,
    version: i64,
    fields: Vec<Field>,
    intel: Vec<Field>,
    samples: Vec<String>,
    history: Vec<HistoryRow>,
    rows: Vec<HitRow>,
    can_ack: bool,
    can_fp: bool,
    can_suppress: bool,
    jobs_enabled: bool,
    pcap_json: String,
    risk: i64,
    alert: bool,
    indicators: Vec<IndicatorRow>,
    /// Names of the ticketing outputs (empty: no ticket action).
    ticketing: String,
}

/// One indicator of a hit's score.
struct IndicatorRow {
    engine: String,
    rule: String,
    kind: String,
    description: String,
    detail: String,
    score: i32,
}

/// Loads a hit the caller may see; another tenant's hit is "not found" (as in the API).
async fn visible_hit(state: &AppState, who: &Principal, id: i64) -> Result<HitRecord, UiError> {
    state
        .triage()
        .visible(who, id)
        .await
        .map_err(|e| triage_error(who, e))
}

/// A refusal of the triage service as a page: "not found" keeps the navigation.
fn triage_error(who: &Principal, e: ServiceError) -> UiError {
    match e {
        ServiceError::NotFound(m) => UiError::new(StatusCode::NOT_FOUND, m).with_nav(who),
        e => e.into(),
    }
}

/// The detail list of a hit for staff: everything, with its intel match and sample events.
fn staff_fields(
    h: &HitRecord,
    names: &HashMap<String, String>,
) -> (Vec<Field>, Vec<Field>, Vec<String>) {
    let x = &h.hit;
    let dash = || "—".to_string();
    let mut fields = vec![
        field("Hit id", h.id.to_string()),
        field("Tenant", tenant_name(names, &h.tenant_id)),
        Field {
            label: "Device",
            value: format!("{} ({})", h.hostname, h.device_id),
            href: device_href(h),
        },
        field("Kind", x.kind().to_string()),
    ];
    if let Some(ip) = x.remote_ip {
        fields.push(field("Remote IP", ip.to_string()));
    }
    if let Some(d) = &x.domain {
        fields.push(field("Domain", d.clone()));
    }
    if let Some(i) = x.intel.as_ref().filter(|_| x.kind() != "ip") {
        fields.push(field("Indicator", i.indicator.clone()));
    }
    fields.extend([
        field(
            "Remote port",
            x.remote_port.map(|p| p.to_string()).unwrap_or_else(dash),
        ),
        field("Protocol", x.protocol.to_string()),
        field(
            "Direction",
            x.direction
                .map(|d| d.as_str().to_string())
                .unwrap_or_else(dash),
        ),
        field("Process", x.process_name.clone()),
        field("PID", x.pid.map(|p| p.to_string()).unwrap_or_else(dash)),
        field("Executable", x.exe_path.clone().unwrap_or_else(dash)),
        field("SHA-256", x.sha256.clone().unwrap_or_else(dash)),
        field("First seen", time(&x.first_seen_utc)),
        field("Last seen", time(&x.last_seen_utc)),
        field("Events", x.hit_count.to_string()),
        field("Received", time(&h.received_at)),
        field("Batch id", h.batch_id.clone()),
        field("Agent version", h.agent_version.clone()),
        field("Hotlist version", h.hotlist_version.clone()),
        field("State changed", opt_time(&h.triage.state_changed_at)),
        field(
            "Changed by",
            h.triage.state_changed_by.clone().unwrap_or_else(dash),
        ),
        field(
            "Suppression rule",
            h.triage.suppression_id.clone().unwrap_or_else(dash),
        ),
        field("Version", h.triage.version.to_string()),
    ]);
    let intel = match &x.intel {
        Some(i) => vec![
            field("Indicator", i.indicator.clone()),
            field("Source", i.source.clone().unwrap_or_else(dash)),
            field("Score", i.score.map(|s| s.to_string()).unwrap_or_else(dash)),
        ],
        None => Vec::new(),
    };
    let samples = x.sample_events.iter().map(view::pretty).collect();
    (fields, intel, samples)
}

/// The detail list of a hit for a customer: the simplified view.
fn customer_fields(h: &HitRecord) -> Vec<Field> {
    let c = CustomerHit::from(h);
    vec![
        Field {
            label: "Computer",
            value: c.hostname.clone(),
            href: device_href(h),
        },
        field("Kind", c.kind.clone()),
        field(
            if c.remote_ip.is_some() {
                "Remote address"
            } else {
                "Indicator"
            },
            match c.remote_ip {
                Some(ip) => view::remote(ip, c.remote_port),
                None => c.subject.clone(),
            },
        ),
        field("Program", c.process_name.clone()),
        field("First seen", time(&c.first_seen_utc)),
        field("Last seen", time(&c.last_seen_utc)),
        field("Times seen", c.hit_count.to_string()),
    ]
}

fn device_href(h: &HitRecord) -> String {
    format!("/ui/devices/{}", enc(&h.device_id))
}

/// The state history as the caller may see it (see [`history_as_seen`]).
fn history_rows(
    who: &Principal,
    history: Vec<outpost_core::api::TriageHistoryEntry>,
) -> Vec<HistoryRow> {
    history_as_seen(who, history)
        .into_iter()
        .map(|e| HistoryRow {
            at: time(&e.at),
            actor: e.actor,
            from: state_label(e.from_state),
            to: state_label(e.to_state),
            note: e.note.unwrap_or_default(),
        })
        .collect()
}

/// The `pcap` job a technician may start from the hit: its device, five minutes around it,
/// its remote address.
fn pcap_job(h: &HitRecord) -> String {
    let window = chrono::Duration::minutes(5);
    serde_json::json!({
        "tenant_id": h.tenant_id,
        "device_id": h.device_id,
        "kind": "pcap",
        "filter": {
            "beginTime": (h.hit.first_seen_utc - window).to_rfc3339(),
            "endTime": (h.hit.last_seen_utc + window).to_rfc3339(),
            "srcIp": h.hit.remote_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        }
    })
    .to_string()
}

fn indicator_rows(h: &HitRecord) -> Vec<IndicatorRow> {
    h.score
        .indicators
        .iter()
        .map(|i| IndicatorRow {
            engine: i.engine.clone(),
            rule: i.rule_name.clone(),
            kind: i.indicator_type.clone(),
            description: i.description.clone(),
            detail: i.extra_info.clone(),
            score: i.score,
        })
        .collect()
}

/// One hit: its fields (as the caller may see them), score, history, related hits and the
/// actions the caller may take.
pub async fn hit_detail(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let h = visible_hit(&state, &who, id).await?;
    let (history, related) = tokio::try_join!(
        state.store.triage_history::<HitRecord>(id),
        state.store.related_hits(&h, 50),
    )?;
    let staff = who.is_staff();
    let names = if staff {
        tenant_names(&state).await?
    } else {
        HashMap::new()
    };
    let (fields, intel, samples) = if staff {
        staff_fields(&h, &names)
    } else {
        (customer_fields(&h), Vec::new(), Vec::new())
    };
    let s = h.triage.state;
    render(&HitPage {
        nav: Some(Nav::of(&who, "hits")),
        staff,
        id,
        title: format!("{} → {}", h.hit.process_name, h.hit.subject()),
        state: state_label(s),
        state_class: s.as_str(),
        version: h.triage.version,
        fields,
        intel,
        samples,
        history: history_rows(&who, history),
        rows: rows(&who, &related, &names),
        can_ack: s != TriageState::Acknowledged,
        can_fp: staff && s != TriageState::FalsePositive,
        can_suppress: staff && s != TriageState::Suppressed,
        jobs_enabled: staff && state.jobs.is_some(),
        pcap_json: pcap_job(&h),
        risk: h.score.risk_score,
        alert: h.score.alert,
        indicators: if staff {
            indicator_rows(&h)
        } else {
            Vec::new()
        },
        ticketing: if staff {
            state.forward.ticketing_outputs().join(", ")
        } else {
            String::new()
        },
    })
}

/// "Open a ticket": sends the hit as an alert to the ticketing outputs (staff only).
pub async fn hit_ticket(
    State(state): State<AppState>,
    UiStaff(who): UiStaff,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    match state
        .triage()
        .ticket_hit(&who, id)
        .await
        .map_err(|e| triage_error(&who, e))?
    {
        Ticketed::NoTicketingOutput => notice(
            "error",
            "No ticketing output (Syncro, Slack or Teams) is configured in [[outputs]].",
        ),
        Ticketed::NotTaken => notice(
            "error",
            "No ticketing output takes alerts for this tenant (check the outputs' filters).",
        ),
        Ticketed::Sent(names) => notice(
            "ok",
            &format!(
                "Sent to {} — a ticket is opened, or the open one for this connection gets a comment.",
                names.join(", ")
            ),
        ),
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    state: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

/// Changes a hit's state through the same service as `POST /api/v1/hits/{id}/state` (see
/// [`crate::services::triage`]).
pub async fn hit_state(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<i64>,
    form: Result<axum::Form<StateForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, UiError> {
    let axum::Form(form) = form.map_err(|e| UiError::bad_request(e.body_text()))?;
    let Some(target) = TriageState::parse(&form.state) else {
        return notice("error", "Unknown state.");
    };
    let note = nonempty(&form.note);
    if note.as_ref().is_some_and(|n| n.len() > 2000) {
        return notice("error", "The note is too long (at most 2000 characters).");
    }
    let change = Change {
        state: target,
        note: note.as_deref(),
        expected_version: form.expected_version,
        via: Via::Ui,
    };
    match state
        .triage()
        .set_state::<HitRecord>(&who, id, change)
        .await
        .map_err(|e| triage_error(&who, e))?
    {
        StateChange::Changed(_) => Ok(redirect(&format!("/ui/hits/{id}"), true)),
        StateChange::Conflict(h) => notice(
            "error",
            &format!(
                "Someone changed this hit meanwhile (it is now {}). Reload the page and try again.",
                state_label(h.triage.state)
            ),
        ),
    }
}

#[derive(Deserialize)]
pub struct SuppressForm {
    #[serde(default)]
    reason: Option<String>,
    /// `ip` (the remote IP on every device of the tenant), `ip_device` (on this device) or
    /// `ip_process` (the remote IP with this process name).
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    days: Option<String>,
}

/// Creates a suppression rule from the hit and marks the hit suppressed (staff only; see
/// [`crate::services::triage`]).
pub async fn hit_suppress(
    State(state): State<AppState>,
    UiStaff(who): UiStaff,
    Path(id): Path<i64>,
    form: Result<axum::Form<SuppressForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, UiError> {
    let axum::Form(form) = form.map_err(|e| UiError::bad_request(e.body_text()))?;
    // The hit first: another tenant's hit is "not found" whatever the form says.
    visible_hit(&state, &who, id).await?;
    let reason = nonempty(&form.reason);
    if reason.as_ref().is_some_and(|r| r.len() > 2000) {
        return notice("error", "The reason is too long (at most 2000 characters).");
    }
    let days: i64 = match nonempty(&form.days) {
        None => 0,
        Some(d) => match d.parse::<i64>() {
            Ok(n) if (0..=3650).contains(&n) => n,
            _ => return notice("error", "Days must be a number from 0 (forever) to 3650."),
        },
    };
    let expires_at = (days > 0).then(|| Utc::now() + chrono::Duration::days(days));
    state
        .triage()
        .suppress_hit(
            &who,
            id,
            SuppressScope::parse(form.scope.as_deref()),
            reason,
            expires_at,
        )
        .await
        .map_err(|e| triage_error(&who, e))?;
    Ok(redirect(&format!("/ui/hits/{id}"), true))
}
