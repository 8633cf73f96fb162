//! The UI's page and action handlers.

use super::view::{self, HitRow, Nav, enc, opt_time, state_label, time, url};
use super::{UiError, UiStaff, UiUser, redirect, render};
use crate::AppState;
use crate::extract::{ClientIp, session_cookie};
use crate::routes::hits::scope_tenant;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use outpost_core::api::{CustomerHit, HitRecord, HitState, NewSuppression};
use outpost_core::auth::Principal;
use outpost_store::ui_queries::HitSort;
use outpost_store::{HitFilter, StateChange};
use serde::Deserialize;
use std::collections::HashMap;

// ---------------------------------------------------------------- login / logout

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    nav: Option<Nav>,
    error: &'a str,
    username: &'a str,
    /// Username and password form shown (`[auth] local_login`).
    local_login: bool,
    /// OpenID Providers: (name, label).
    providers: Vec<(String, String)>,
}

/// The login page with a message (also for refused OIDC sign-ins).
pub(crate) fn login_page_with(state: &AppState, status: StatusCode, error: &str) -> Response {
    let page = LoginPage {
        nav: None,
        error,
        username: "",
        local_login: state.config.auth.local_login,
        providers: crate::oidc::buttons(&state.oidc),
    };
    match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(e) => UiError::from(e).into_response(),
    }
}

pub async fn root(headers: HeaderMap) -> Response {
    let to = if session_cookie(&headers).is_some() {
        "/ui/dashboard"
    } else {
        "/login"
    };
    redirect(to, false)
}

pub async fn login_page(State(state): State<AppState>) -> Response {
    login_page_with(&state, StatusCode::OK, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Verifies like `POST /api/v1/auth/login` (same rate limit, same constant-cost check of
/// unknown users) and sets the same session cookie.
pub async fn login_submit(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, UiError> {
    let axum::Form(form) = form.map_err(|e| UiError::bad_request(e.body_text()))?;
    let peer = peer.unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let failed = |state_msg: &str, username: &str| -> Result<Response, UiError> {
        crate::metrics::metrics()
            .logins
            .get_or_create(&crate::metrics::ResultLabel { result: "failed" })
            .inc();
        let html = LoginPage {
            nav: None,
            error: state_msg,
            username,
            local_login: state.config.auth.local_login,
            providers: crate::oidc::buttons(&state.oidc),
        }
        .render()?;
        Ok((StatusCode::UNAUTHORIZED, axum::response::Html(html)).into_response())
    };
    if !state.config.auth.local_login {
        return Err(UiError::from(crate::routes::auth::local_login_off()));
    }
    if let Err(e) = state.limits.check_login(peer) {
        return Err(UiError::from(e));
    }
    if form.username.is_empty()
        || form.username.len() > 100
        || form.password.len() > crate::password::MAX_PASSWORD_LEN
    {
        return failed("Wrong username or password.", "");
    }
    // Users of an OpenID Provider have no password: treated as unknown.
    let creds = state
        .store
        .user_credentials(&form.username)
        .await?
        .filter(|c| c.password_hash != outpost_store::OIDC_PASSWORD_HASH);
    let phc = creds
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| crate::password::dummy_hash().to_string());
    let ok = crate::password::verify(form.password, phc)
        .await
        .map_err(crate::error::ApiError::from)?;
    let Some(creds) = creds.filter(|_| ok) else {
        tracing::info!(username = %form.username, client = %peer, "UI login failed");
        return failed("Wrong username or password.", &form.username);
    };
    let ttl = std::time::Duration::from_secs(u64::from(state.config.session_hours.max(1)) * 3600);
    let (token, _) = state.store.create_session(&creds.user.id, ttl).await?;
    crate::metrics::metrics()
        .logins
        .get_or_create(&crate::metrics::ResultLabel { result: "ok" })
        .inc();
    tracing::info!(username = %creds.user.username, role = ?creds.user.role, "UI login");
    let mut resp = redirect("/ui/dashboard", false);
    if let Some(c) = crate::routes::auth::session_cookie_header(
        &state,
        &token,
        i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
    ) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// Ends the session of the cookie (if any) and clears the cookie. Needs no CSRF header: a
/// forged logout can only sign the user out, and the cookie is `SameSite=Strict` anyway.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let mut to = "/login".to_string();
    if let Some(t) = session_cookie(&headers).filter(|t| t.starts_with("ops_")) {
        // A user of an OpenID Provider with an `end_session_endpoint` is signed out there
        // too (RP-initiated logout), and comes back to our login page.
        if let Some(u) = state.store.session_user(t).await?
            && let Some(p) = state.store.user_oidc_provider(&u.id).await?
            && let Some(base) = state.config.public_url.as_deref()
            && let Some(url) = state
                .oidc
                .logout_url(
                    &p,
                    &format!("{}/login", base.trim_end_matches('/')),
                    state.store.session_id_token(t).await?.as_deref(),
                )
                .await
        {
            to = url;
        }
        state.store.delete_session(t).await?;
    }
    let mut resp = redirect(&to, headers.contains_key("hx-request"));
    if let Some(c) = crate::routes::auth::session_cookie_header(&state, "", 0) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}

// ---------------------------------------------------------------- helpers

/// Empty form fields are absent filters.
fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// `datetime-local` (`YYYY-MM-DDTHH:MM[:SS]`, taken as UTC) or RFC 3339.
fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, UiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc());
        }
    }
    Err(UiError::bad_request(format!(
        "{field}: {s:?} is not a date and time (YYYY-MM-DDTHH:MM, UTC)"
    )))
}

/// Tenant id → name (staff pages show names).
async fn tenant_names(state: &AppState) -> Result<HashMap<String, String>, UiError> {
    Ok(state
        .store
        .list_tenants()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

/// Table rows of `hits` as `who` may see them.
fn rows(who: &Principal, hits: &[HitRecord], names: &HashMap<String, String>) -> Vec<HitRow> {
    hits.iter()
        .map(|h| {
            if who.is_staff() {
                let name = names
                    .get(&h.tenant_id)
                    .cloned()
                    .unwrap_or_else(|| h.tenant_id.clone());
                HitRow::full(h, name)
            } else {
                HitRow::customer(&CustomerHit::from(h))
            }
        })
        .collect()
}

/// An `<option>` of a `<select>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

// ---------------------------------------------------------------- dashboard

#[derive(Deserialize)]
pub struct DashQuery {
    tenant: Option<String>,
    range: Option<String>,
}

pub struct TopRow {
    pub value: String,
    pub href: String,
    pub hits: i64,
    pub events: i64,
}

pub struct StateRow {
    pub label: &'static str,
    pub class: &'static str,
    pub href: String,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Option<Nav>,
    tenants: Vec<Opt>,
    ranges: Vec<Opt>,
    range_label: &'static str,
    chart: view::Chart,
    top_ips: Vec<TopRow>,
    top_procs: Vec<TopRow>,
    online: usize,
    offline: usize,
    states: Vec<StateRow>,
    severity: Vec<SeverityRow>,
    live_since: i64,
}

pub async fn dashboard(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Query(q): Query<DashQuery>,
) -> Result<Response, UiError> {
    let tenant =
        scope_tenant(&who, nonempty(&q.tenant)).map_err(|e| UiError::from(e).with_nav(&who))?;
    let t = tenant.as_deref();
    let (range, label, bucket_ms, n): (&str, &'static str, i64, usize) =
        match q.range.as_deref().unwrap_or("24h") {
            "7d" => ("7d", "last 7 days", 6 * 3_600_000, 28),
            "30d" => ("30d", "last 30 days", 86_400_000, 30),
            _ => ("24h", "last 24 hours", 3_600_000, 24),
        };
    let now = Utc::now().timestamp_millis();
    let start_ms = (now.div_euclid(bucket_ms) + 1 - n as i64) * bucket_ms;
    let since = DateTime::from_timestamp_millis(start_ms).unwrap_or_default();
    state.fresh_devices().await;
    let store = &state.store;
    let (buckets, ips, procs, states, devices, severity) = tokio::try_join!(
        store.ui_hits_over_time(t, since, bucket_ms, n),
        store.ui_top_remote_ips(t, since, 10),
        store.ui_top_processes(t, since, 10),
        store.ui_state_counts(t),
        store.list_devices(t),
        store.ui_open_by_severity(t),
    )?;
    let tenants = if who.is_staff() {
        let mut v = vec![Opt {
            value: String::new(),
            label: "All tenants".into(),
            selected: tenant.is_none(),
        }];
        v.extend(store.list_tenants().await?.into_iter().map(|x| Opt {
            selected: tenant.as_deref() == Some(x.id.as_str()),
            value: x.id,
            label: x.name,
        }));
        v
    } else {
        Vec::new()
    };
    let tq = tenant.clone().unwrap_or_default();
    let tq = if who.is_staff() { tq } else { String::new() };
    let since_s = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let top = |v: Vec<outpost_store::ui_queries::TopValue>, key: &str| -> Vec<TopRow> {
        v.into_iter()
            .map(|x| TopRow {
                href: url(
                    "/ui/hits",
                    &[("tenant", &tq), (key, &x.value), ("since", &since_s)],
                ),
                value: x.value,
                hits: x.hits,
                events: x.events,
            })
            .collect()
    };
    let top_ips = top(ips, "ip");
    let top_procs = top(procs, "process");
    let online = devices.iter().filter(|d| d.online).count();
    let page = DashboardPage {
        nav: Some(Nav::of(&who, "dashboard")),
        tenants,
        ranges: [
            ("24h", "Last 24 hours"),
            ("7d", "Last 7 days"),
            ("30d", "Last 30 days"),
        ]
        .into_iter()
        .map(|(v, l)| Opt {
            value: v.into(),
            label: l.into(),
            selected: v == range,
        })
        .collect(),
        range_label: label,
        chart: view::chart(&buckets, start_ms, bucket_ms, n),
        top_ips,
        top_procs,
        online,
        offline: devices.len() - online,
        states: states
            .into_iter()
            .map(|(s, c)| StateRow {
                label: state_label(s),
                class: s.as_str(),
                href: url("/ui/hits", &[("tenant", &tq), ("state", s.as_str())]),
                count: c,
            })
            .collect(),
        severity: severity
            .into_iter()
            .map(|(b, c)| {
                let min = if b.min == i64::MIN {
                    String::new()
                } else {
                    b.min.to_string()
                };
                SeverityRow {
                    name: b.name,
                    range: if b.max == i64::MAX {
                        format!("risk ≥ {}", b.min)
                    } else if b.min == i64::MIN {
                        format!("risk < {}", b.max)
                    } else {
                        format!("risk {}–{}", b.min, b.max - 1)
                    },
                    href: url(
                        "/ui/hits",
                        &[
                            ("tenant", &tq),
                            ("state", "new"),
                            ("min_score", &min),
                            ("sort", "score"),
                        ],
                    ),
                    count: c,
                }
            })
            .collect(),
        live_since: store.ui_latest_hit_id(t).await?,
    };
    render(&page)
}

/// One band of "open hits by severity".
struct SeverityRow {
    name: &'static str,
    range: String,
    href: String,
    count: i64,
}

// ---------------------------------------------------------------- hit list

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

pub async fn hits(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Query(q): Query<HitsQuery>,
) -> Result<Response, UiError> {
    let nav_err = |e: UiError| e.with_nav(&who);
    let tenant = scope_tenant(&who, nonempty(&q.tenant)).map_err(|e| nav_err(e.into()))?;
    let ip = nonempty(&q.ip)
        .map(|ip| {
            ip.parse::<std::net::IpAddr>()
                .map(|i| i.to_string())
                .map_err(|_| UiError::bad_request(format!("{ip:?} is not an IP address")))
        })
        .transpose()
        .map_err(nav_err)?;
    let st = nonempty(&q.state)
        .map(|s| {
            HitState::parse(&s).ok_or_else(|| UiError::bad_request(format!("unknown state {s:?}")))
        })
        .transpose()
        .map_err(nav_err)?;
    let since = nonempty(&q.since)
        .map(|s| parse_time("since", &s))
        .transpose()
        .map_err(nav_err)?;
    let until = nonempty(&q.until)
        .map(|s| parse_time("until", &s))
        .transpose()
        .map_err(nav_err)?;
    let sort = match nonempty(&q.sort) {
        None => HitSort::Newest,
        Some(s) => HitSort::parse(&s)
            .ok_or_else(|| UiError::bad_request(format!("unknown sort {s:?}")))
            .map_err(nav_err)?,
    };
    let limit: u32 = nonempty(&q.limit)
        .and_then(|l| l.parse().ok())
        .unwrap_or(50)
        .clamp(10, 200);
    let min_score = nonempty(&q.min_score)
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| UiError::bad_request(format!("minimum risk {s:?} is not a number")))
        })
        .transpose()
        .map_err(nav_err)?;
    let alerts_only = nonempty(&q.alerts).is_some();
    let filter = HitFilter {
        tenant_id: tenant.clone(),
        device_id: nonempty(&q.device),
        remote_ip: ip.clone(),
        process_name: nonempty(&q.process),
        since,
        until,
        state: st,
        sha256: None,
        min_risk_score: min_score,
        alert: alerts_only.then_some(true),
    };
    let cursor = nonempty(&q.cursor);
    let page = state
        .store
        .ui_list_hits(&filter, sort, cursor.as_deref(), limit)
        .await
        .map_err(|e| nav_err(e.into()))?;
    let names = if who.is_staff() {
        tenant_names(&state).await?
    } else {
        HashMap::new()
    };
    state.fresh_devices().await;
    let devices = state.store.list_devices(tenant.as_deref()).await?;
    let mut tenants = Vec::new();
    if who.is_staff() {
        tenants.push(Opt {
            value: String::new(),
            label: "All tenants".into(),
            selected: tenant.is_none(),
        });
        let mut v: Vec<(&String, &String)> = names.iter().collect();
        v.sort_by(|a, b| a.1.cmp(b.1));
        tenants.extend(v.into_iter().map(|(id, name)| Opt {
            value: id.clone(),
            label: name.clone(),
            selected: tenant.as_deref() == Some(id.as_str()),
        }));
    }
    let dev_sel = filter.device_id.clone().unwrap_or_default();
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
        selected: st.is_none(),
    }];
    states.extend(HitState::ALL.iter().map(|s| Opt {
        value: s.as_str().into(),
        label: state_label(*s).into(),
        selected: st == Some(*s),
    }));
    let sorts = HitSort::ALL
        .iter()
        .map(|s| Opt {
            value: s.as_str().into(),
            label: s.label().into(),
            selected: *s == sort,
        })
        .collect();
    let limits = [25u32, 50, 100, 200]
        .iter()
        .map(|l| Opt {
            value: l.to_string(),
            label: l.to_string(),
            selected: *l == limit,
        })
        .collect();
    let tq = if who.is_staff() {
        tenant.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let ipq = ip.unwrap_or_default();
    let procq = filter.process_name.clone().unwrap_or_default();
    let stq = st.map(|s| s.as_str()).unwrap_or_default();
    let sinceq = nonempty(&q.since).unwrap_or_default();
    let untilq = nonempty(&q.until).unwrap_or_default();
    let limq = limit.to_string();
    let minq = min_score.map(|m| m.to_string()).unwrap_or_default();
    let alq = if alerts_only { "1" } else { "" };
    let base: Vec<(&str, &str)> = vec![
        ("min_score", &minq),
        ("alerts", alq),
        ("tenant", &tq),
        ("device", &dev_sel),
        ("ip", &ipq),
        ("process", &procq),
        ("state", stq),
        ("since", &sinceq),
        ("until", &untilq),
        ("sort", sort.as_str()),
        ("limit", &limq),
    ];
    let first_href = url("/ui/hits", &base);
    let next_href = match &page.next_cursor {
        Some(c) => {
            let mut v = base.clone();
            v.push(("cursor", c));
            url("/ui/hits", &v)
        }
        None => String::new(),
    };
    let live_since = state.store.ui_latest_hit_id(tenant.as_deref()).await?;
    render(&HitsPage {
        nav: Some(Nav::of(&who, "hits")),
        staff: who.is_staff(),
        tenants,
        devices: device_opts,
        states,
        sorts,
        limits,
        ip: ipq.clone(),
        process: procq.clone(),
        since: sinceq.clone(),
        until: untilq.clone(),
        min_score: minq.clone(),
        alerts_only,
        rows: rows(&who, &page.items, &names),
        next_href,
        first_href,
        paged: cursor.is_some(),
        live_since,
    })
}

// ---------------------------------------------------------------- hit detail

/// A labelled value of a detail list.
pub struct Field {
    pub label: &'static str,
    pub value: String,
    pub href: String,
}

fn field(label: &'static str, value: impl Into<String>) -> Field {
    Field {
        label,
        value: value.into(),
        href: String::new(),
    }
}

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
    let h = match state.store.get_hit(id).await {
        Ok(h) => h,
        Err(outpost_store::StoreError::NotFound(_)) => {
            return Err(
                UiError::new(StatusCode::NOT_FOUND, format!("hit {id} not found")).with_nav(who),
            );
        }
        Err(e) => return Err(e.into()),
    };
    if !who.can_access_tenant(&h.tenant_id) {
        return Err(
            UiError::new(StatusCode::NOT_FOUND, format!("hit {id} not found")).with_nav(who),
        );
    }
    Ok(h)
}

pub async fn hit_detail(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let h = visible_hit(&state, &who, id).await?;
    let (history, related) = tokio::try_join!(
        state.store.hit_history(id),
        state.store.related_hits(&h, 50),
    )?;
    let staff = who.is_staff();
    let names = if staff {
        tenant_names(&state).await?
    } else {
        HashMap::new()
    };
    let device_href = format!("/ui/devices/{}", enc(&h.device_id));
    let mut fields = Vec::new();
    let mut intel = Vec::new();
    let mut samples = Vec::new();
    if staff {
        let x = &h.hit;
        fields.push(field("Hit id", h.id.to_string()));
        fields.push(field(
            "Tenant",
            names
                .get(&h.tenant_id)
                .cloned()
                .unwrap_or_else(|| h.tenant_id.clone()),
        ));
        fields.push(Field {
            label: "Device",
            value: format!("{} ({})", h.hostname, h.device_id),
            href: device_href.clone(),
        });
        fields.push(field("Kind", x.kind().to_string()));
        if let Some(ip) = x.remote_ip {
            fields.push(field("Remote IP", ip.to_string()));
        }
        if let Some(d) = &x.domain {
            fields.push(field("Domain", d.clone()));
        }
        if let Some(i) = x.intel.as_ref().filter(|_| x.kind() != "ip") {
            fields.push(field("Indicator", i.indicator.clone()));
        }
        fields.push(field(
            "Remote port",
            x.remote_port
                .map(|p| p.to_string())
                .unwrap_or_else(|| "—".into()),
        ));
        fields.push(field("Protocol", x.protocol.to_string()));
        fields.push(field(
            "Direction",
            x.direction
                .map(|d| d.as_str().to_string())
                .unwrap_or_else(|| "—".into()),
        ));
        fields.push(field("Process", x.process_name.clone()));
        fields.push(field(
            "PID",
            x.pid.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
        ));
        fields.push(field(
            "Executable",
            x.exe_path.clone().unwrap_or_else(|| "—".into()),
        ));
        fields.push(field(
            "SHA-256",
            x.sha256.clone().unwrap_or_else(|| "—".into()),
        ));
        fields.push(field("First seen", time(&x.first_seen_utc)));
        fields.push(field("Last seen", time(&x.last_seen_utc)));
        fields.push(field("Events", x.hit_count.to_string()));
        fields.push(field("Received", time(&h.received_at)));
        fields.push(field("Batch id", h.batch_id.clone()));
        fields.push(field("Agent version", h.agent_version.clone()));
        fields.push(field("Hotlist version", h.hotlist_version.clone()));
        fields.push(field("State changed", opt_time(&h.triage.state_changed_at)));
        fields.push(field(
            "Changed by",
            h.triage
                .state_changed_by
                .clone()
                .unwrap_or_else(|| "—".into()),
        ));
        fields.push(field(
            "Suppression rule",
            h.triage
                .suppression_id
                .clone()
                .unwrap_or_else(|| "—".into()),
        ));
        fields.push(field("Version", h.triage.version.to_string()));
        if let Some(i) = &x.intel {
            intel.push(field("Indicator", i.indicator.clone()));
            intel.push(field(
                "Source",
                i.source.clone().unwrap_or_else(|| "—".into()),
            ));
            intel.push(field(
                "Score",
                i.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
            ));
        }
        samples = x.sample_events.iter().map(view::pretty).collect();
    } else {
        let c = CustomerHit::from(&h);
        fields.push(Field {
            label: "Computer",
            value: c.hostname.clone(),
            href: device_href.clone(),
        });
        fields.push(field("Kind", c.kind.clone()));
        fields.push(field(
            if c.remote_ip.is_some() {
                "Remote address"
            } else {
                "Indicator"
            },
            match c.remote_ip {
                Some(ip) => view::remote(ip, c.remote_port),
                None => c.subject.clone(),
            },
        ));
        fields.push(field("Program", c.process_name.clone()));
        fields.push(field("First seen", time(&c.first_seen_utc)));
        fields.push(field("Last seen", time(&c.last_seen_utc)));
        fields.push(field("Times seen", c.hit_count.to_string()));
    }
    let history = history
        .into_iter()
        .map(|e| HistoryRow {
            at: time(&e.at),
            actor: if staff || e.actor.starts_with("user:") {
                e.actor
            } else {
                "staff".to_string()
            },
            from: state_label(e.from_state),
            to: state_label(e.to_state),
            note: e.note.unwrap_or_default(),
        })
        .collect();
    let window = chrono::Duration::minutes(5);
    let pcap = serde_json::json!({
        "tenant_id": h.tenant_id,
        "device_id": h.device_id,
        "kind": "pcap",
        "filter": {
            "beginTime": (h.hit.first_seen_utc - window).to_rfc3339(),
            "endTime": (h.hit.last_seen_utc + window).to_rfc3339(),
            "srcIp": h.hit.remote_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        }
    });
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
        history,
        rows: rows(&who, &related, &names),
        can_ack: s != HitState::Acknowledged,
        can_fp: staff && s != HitState::FalsePositive,
        can_suppress: staff && s != HitState::Suppressed,
        jobs_enabled: staff && state.jobs.is_some(),
        pcap_json: pcap.to_string(),
        risk: h.score.risk_score,
        alert: h.score.alert,
        indicators: if staff {
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
        } else {
            Vec::new()
        },
        ticketing: if staff {
            state.ingest.ticketing_outputs().join(", ")
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
    let h = visible_hit(&state, &who, id).await?;
    let names = state.ingest.ticketing_outputs();
    if names.is_empty() {
        return notice(
            "error",
            "No ticketing output (Syncro, Slack or Teams) is configured in [[outputs]].",
        );
    }
    let queued = state.ingest.ticket(&h, &who.subject);
    state.ingest.audit(
        &who,
        "hit.ticket",
        Some(&h.tenant_id),
        &id.to_string(),
        Some(format!("{queued} ticketing outputs")),
    );
    if queued == 0 {
        return notice(
            "error",
            "No ticketing output takes alerts for this tenant (check the outputs' filters).",
        );
    }
    crate::metrics::metrics()
        .output_records_queued
        .inc_by(queued as u64);
    notice(
        "ok",
        &format!(
            "Sent to {} — a ticket is opened, or the open one for this connection gets a comment.",
            names.join(", ")
        ),
    )
}

#[derive(Deserialize)]
pub struct StateForm {
    state: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct Notice<'a> {
    kind: &'a str,
    message: &'a str,
}

fn notice(kind: &str, message: &str) -> Result<Response, UiError> {
    render(&Notice { kind, message })
}

/// Changes a hit's state as `POST /api/v1/hits/{id}/state` does: staff any state,
/// customers only "acknowledged", with the principal's subject as the actor.
pub async fn hit_state(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<i64>,
    form: Result<axum::Form<StateForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, UiError> {
    let axum::Form(form) = form.map_err(|e| UiError::bad_request(e.body_text()))?;
    visible_hit(&state, &who, id).await?;
    let Some(target) = HitState::parse(&form.state) else {
        return notice("error", "Unknown state.");
    };
    if !who.is_staff() && target != HitState::Acknowledged {
        return Err(UiError::forbidden("customers may only acknowledge hits"));
    }
    let note = nonempty(&form.note);
    if note.as_ref().is_some_and(|n| n.len() > 2000) {
        return notice("error", "The note is too long (at most 2000 characters).");
    }
    match state
        .store
        .set_hit_state(
            id,
            target,
            &who.subject,
            note.as_deref(),
            form.expected_version,
        )
        .await?
    {
        StateChange::Changed(_) => {
            crate::metrics::metrics().hit_state_changes.inc();
            state.ingest.audit(
                &who,
                "hit.state",
                None,
                &id.to_string(),
                Some(format!("to {} (UI)", target.as_str())),
            );
            Ok(redirect(&format!("/ui/hits/{id}"), true))
        }
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

/// Creates a suppression rule from the hit and marks the hit suppressed (staff only).
pub async fn hit_suppress(
    State(state): State<AppState>,
    UiStaff(who): UiStaff,
    Path(id): Path<i64>,
    form: Result<axum::Form<SuppressForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, UiError> {
    let axum::Form(form) = form.map_err(|e| UiError::bad_request(e.body_text()))?;
    let h = visible_hit(&state, &who, id).await?;
    let reason = nonempty(&form.reason);
    if reason.as_ref().is_some_and(|r| r.len() > 2000) {
        return notice("error", "The reason is too long (at most 2000 characters).");
    }
    let scope = form.scope.as_deref().unwrap_or("ip");
    let days: i64 = match nonempty(&form.days) {
        None => 0,
        Some(d) => match d.parse::<i64>() {
            Ok(n) if (0..=3650).contains(&n) => n,
            _ => return notice("error", "Days must be a number from 0 (forever) to 3650."),
        },
    };
    // An address hit is suppressed by its address; a hash hit by the executable's hash; a
    // process or domain hit (no address) by its process name.
    let hash_kind = matches!(h.hit.kind(), "sha256" | "sha1" | "md5");
    let by_hash = h.hit.remote_ip.is_none() && hash_kind && h.hit.sha256.is_some();
    let by_process = scope == "ip_process" || (h.hit.remote_ip.is_none() && !by_hash);
    let rule = NewSuppression {
        tenant_id: h.tenant_id.clone(),
        device_id: (scope == "ip_device").then(|| h.device_id.clone()),
        remote_ip: h.hit.remote_ip.map(|ip| ip.to_string()),
        process_name: by_process.then(|| h.hit.process_name.clone()),
        sha256: if by_hash { h.hit.sha256.clone() } else { None },
        rule_name: None,
        reason: reason.clone(),
        expires_at: (days > 0).then(|| Utc::now() + chrono::Duration::days(days)),
    };
    let s = state.store.create_suppression(&rule, &who.subject).await?;
    state.ingest.audit(
        &who,
        "suppression.create",
        Some(&s.tenant_id),
        &s.id,
        Some(format!("from hit {id} (UI)")),
    );
    let note = format!("suppression rule {}", s.id);
    if let StateChange::Changed(_) = state
        .store
        .set_hit_state(id, HitState::Suppressed, &who.subject, Some(&note), None)
        .await?
    {
        crate::metrics::metrics().hit_state_changes.inc();
    }
    Ok(redirect(&format!("/ui/hits/{id}"), true))
}

// ---------------------------------------------------------------- devices

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

struct AlertRow {
    when: String,
    tenant: String,
    hostname: String,
    device_href: String,
    process: String,
    summary: String,
    rules: String,
    risk: i64,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    nav: Option<Nav>,
    staff: bool,
    rows: Vec<AlertRow>,
}

/// The newest 200 open (new or acknowledged) alerts from telemetry the viewer may see.
pub async fn alerts(
    State(state): State<AppState>,
    UiUser(who): UiUser,
) -> Result<Response, UiError> {
    let tenant = scope_tenant(&who, None).map_err(|e| UiError::from(e).with_nav(&who))?;
    let mut items = Vec::new();
    for st in [HitState::New, HitState::Acknowledged] {
        let filter = outpost_store::AlertFilter {
            tenant_id: tenant.clone(),
            state: Some(st),
            learned: Some(false),
            ..Default::default()
        };
        items.extend(state.store.list_alerts(&filter, None, 200).await?.items);
    }
    items.sort_by_key(|a| std::cmp::Reverse(a.id));
    items.truncate(200);
    let staff = who.is_staff();
    let names = if staff {
        tenant_names(&state).await?
    } else {
        HashMap::new()
    };
    let rows = items
        .into_iter()
        .map(|a| AlertRow {
            when: time(&a.event_ts),
            tenant: names.get(&a.tenant_id).cloned().unwrap_or_default(),
            device_href: format!("/ui/devices/{}", enc(&a.device_id)),
            hostname: a.hostname,
            process: a.process_name.unwrap_or_default(),
            summary: a.summary,
            rules: a.rule_names.join(", "),
            risk: a.risk_score,
            state: state_label(a.triage.state),
        })
        .collect();
    render(&AlertsPage {
        nav: Some(Nav::of(&who, "alerts")),
        staff,
        rows,
    })
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
        fields.insert(
            1,
            field(
                "Tenant",
                names
                    .get(&d.tenant_id)
                    .cloned()
                    .unwrap_or_else(|| d.tenant_id.clone()),
            ),
        );
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
    render(&DevicePage {
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

fn job_row(job: outpost_jobs::Job, hosts: &HashMap<String, String>, staff: bool) -> JobRow {
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

// ---------------------------------------------------------------- jobs

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

fn job_store_error(who: &Principal, e: outpost_jobs::StoreError) -> UiError {
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
        fields.push(field(
            "Tenant",
            names
                .get(&job.tenant_id)
                .cloned()
                .unwrap_or_else(|| job.tenant_id.clone()),
        ));
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

// ---------------------------------------------------------------- settings

pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub created: String,
}

pub struct UserRow {
    pub username: String,
    pub role: String,
    pub tenant: String,
    pub created: String,
    pub disabled: bool,
}

pub struct KeyRow {
    pub kind: &'static str,
    pub name: String,
    pub prefix: String,
    pub tenant: String,
    pub created: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    tenants: Vec<TenantRow>,
    users: Vec<UserRow>,
    keys: Vec<KeyRow>,
}

pub async fn settings(
    State(state): State<AppState>,
    UiStaff(who): UiStaff,
) -> Result<Response, UiError> {
    let (tenants, users, keys) = tokio::try_join!(
        state.store.list_tenants(),
        state.store.list_users(None),
        state.store.list_keys(None),
    )?;
    let names: HashMap<String, String> = tenants
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    let tname = |t: &Option<String>| {
        t.as_ref()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .unwrap_or_else(|| "all".into())
    };
    render(&SettingsPage {
        nav: Some(Nav::of(&who, "settings")),
        users: users
            .into_iter()
            .map(|u| UserRow {
                tenant: tname(&u.tenant_id),
                username: u.username,
                role: format!("{:?}", u.role).to_lowercase(),
                created: time(&u.created_at),
                disabled: u.disabled,
            })
            .collect(),
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                tenant: tname(&k.tenant_id),
                kind: k.kind,
                name: k.name,
                prefix: k.prefix,
                created: time(&k.created_at),
                revoked: k.revoked,
            })
            .collect(),
        tenants: tenants
            .into_iter()
            .map(|t| TenantRow {
                created: time(&t.created_at),
                id: t.id,
                name: t.name,
            })
            .collect(),
    })
}

// ---------------------------------------------------------------- live updates

#[derive(Deserialize)]
pub struct EventsQuery {
    /// Newest hit id the page shows.
    since: Option<i64>,
    /// The job change marker the page was rendered with (job pages).
    jobs: Option<i64>,
}

/// Server-sent events for the caller's scope, polled every 2 s: `event: hits`,
/// `data: {"latest":N,"since":S}` when hits newer than `since` (a hit id) arrive, and
/// `event: jobs`, `data: {"changed":T}` when a job changed after `jobs` (Unix ms).
pub async fn events(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Query(q): Query<EventsQuery>,
) -> Result<Response, UiError> {
    let tenant = scope_tenant(&who, None)?;
    let start = q.since.unwrap_or(0);
    let jobs_start = q.jobs.unwrap_or(0);
    let stream = futures_util::stream::unfold(
        (state, tenant, start, start, jobs_start),
        |(state, tenant, base, last, jobs_last)| async move {
            let (mut last, mut jobs_last) = (last, jobs_last);
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                match state.store.ui_latest_hit_id(tenant.as_deref()).await {
                    Ok(m) if m > last => {
                        let ev = Event::default()
                            .event("hits")
                            .data(format!("{{\"latest\":{m},\"since\":{base}}}"));
                        last = m;
                        return Some((
                            Ok::<_, std::convert::Infallible>(ev),
                            (state, tenant, base, last, jobs_last),
                        ));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(error = %e, "live updates: query failed");
                        return None;
                    }
                }
                if let Some(j) = &state.jobs {
                    match j.store().last_change(tenant.as_deref()).await {
                        Ok(m) if m > jobs_last => {
                            jobs_last = m;
                            let ev = Event::default()
                                .event("jobs")
                                .data(format!("{{\"changed\":{m}}}"));
                            return Some((Ok(ev), (state, tenant, base, last, jobs_last)));
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::debug!(error = %e, "live updates: job query failed");
                            return None;
                        }
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

// ---------------------------------------------------------------- intel

struct FeedRow {
    name: String,
    location: String,
    format: String,
    interval: String,
    fetched: String,
    indicators: String,
    error: String,
}

fn reported<'a>(d: &&'a outpost_core::api::Device) -> Option<&'a outpost_core::api::IntelStatus> {
    d.intel.as_ref()
}

struct TenantIntelRow {
    name: String,
    version: String,
    indicators: usize,
    allowlist: usize,
    devices: usize,
    current: usize,
    behind: usize,
    stale: usize,
    refused: usize,
}

struct FleetTenantRow {
    name: String,
    devices: u64,
    outdated: u64,
    versions: String,
}

struct RolloutRow {
    version: String,
    tenant: String,
    state: String,
    stage: String,
    devices: String,
    failures: u64,
    reason: String,
    created: String,
}

#[derive(Template)]
#[template(path = "fleet.html")]
struct FleetPage {
    nav: Option<Nav>,
    staff: bool,
    latest: Vec<(String, String)>,
    tenants: Vec<FleetTenantRow>,
    rollouts: Vec<RolloutRow>,
}

/// Fleet: agent versions per tenant, outdated agents and (staff) the rollouts' progress
/// (issue 22).
pub async fn fleet(
    State(state): State<AppState>,
    UiUser(who): UiUser,
) -> Result<Response, UiError> {
    let f = crate::routes::releases::fleet_versions(&state, &who)
        .await
        .map_err(|e| UiError::from(e).with_nav(&who))?;
    let names = tenant_names(&state).await?;
    let name = |t: &str| names.get(t).cloned().unwrap_or_else(|| t.to_string());
    let staff = who.is_staff();
    let rollouts = if staff {
        state
            .store
            .list_rollouts(false)
            .await?
            .into_iter()
            .map(|r| RolloutRow {
                failures: ["refused", "failed", "rolled_back"]
                    .iter()
                    .map(|k| r.devices.get(*k).copied().unwrap_or(0))
                    .sum(),
                version: r.version.clone(),
                tenant: r
                    .tenant_id
                    .as_deref()
                    .map(name)
                    .unwrap_or_else(|| "all tenants".into()),
                stage: format!("{} of {}", r.stage + 1, r.stages),
                devices: r
                    .devices
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                reason: r.reason.clone().unwrap_or_default(),
                created: time(&r.created_at),
                state: r.state,
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&FleetPage {
        nav: Some(Nav::of(&who, "fleet")),
        staff,
        latest: f.latest.into_iter().collect(),
        tenants: f
            .tenants
            .into_iter()
            .map(|t| FleetTenantRow {
                name: name(&t.tenant_id),
                devices: t.devices,
                outdated: t.outdated,
                versions: t
                    .versions
                    .iter()
                    .map(|(k, v)| format!("{k} × {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        rollouts,
    })
}

#[derive(Template)]
#[template(path = "intel.html")]
struct IntelPage {
    nav: Option<Nav>,
    enabled: bool,
    key_id: String,
    public_key: String,
    digest: String,
    counts: Vec<(String, usize)>,
    feeds: Vec<FeedRow>,
    tenants: Vec<TenantIntelRow>,
}

/// Intel: the signing key, the global intel and its feeds, and each tenant's bundle version
/// with how many of its agents run it (staff only).
pub async fn intel(
    State(state): State<AppState>,
    UiStaff(who): UiStaff,
) -> Result<Response, UiError> {
    let Some(svc) = state.intel.clone() else {
        return render(&IntelPage {
            nav: Some(Nav::of(&who, "intel")),
            enabled: false,
            key_id: String::new(),
            public_key: String::new(),
            digest: String::new(),
            counts: Vec::new(),
            feeds: Vec::new(),
            tenants: Vec::new(),
        });
    };
    state.fresh_devices().await;
    let (tenants, indicators, allow, devices) = tokio::try_join!(
        state.store.list_tenants(),
        state.store.list_tenant_indicators(None),
        state.store.list_allowlist(None),
        state.store.list_devices(None),
    )?;
    let global = svc.global();
    let mut rows = Vec::with_capacity(tenants.len());
    for t in &tenants {
        let version = match svc.tenant_bundle(&state.store, &t.id).await {
            Ok(b) => b.version.clone(),
            Err(e) => {
                tracing::warn!(tenant = %t.id, error = %e, "cannot build the tenant's bundle for the intel page");
                format!("error: {e}")
            }
        };
        let mine: Vec<_> = devices.iter().filter(|d| d.tenant_id == t.id).collect();
        rows.push(TenantIntelRow {
            name: t.name.clone(),
            indicators: indicators.iter().filter(|i| i.tenant_id == t.id).count(),
            allowlist: allow.iter().filter(|a| a.tenant_id == t.id).count(),
            devices: mine.len(),
            current: mine
                .iter()
                .filter(|d| {
                    reported(d).and_then(|i| i.version.as_deref()) == Some(version.as_str())
                })
                .count(),
            behind: mine
                .iter()
                .filter(|d| {
                    reported(d)
                        .and_then(|i| i.version.as_deref())
                        .is_some_and(|v| v != version)
                })
                .count(),
            stale: mine
                .iter()
                .filter(|d| reported(d).is_some_and(|i| i.stale))
                .count(),
            refused: mine
                .iter()
                .filter(|d| reported(d).is_some_and(|i| i.last_error.is_some()))
                .count(),
            version,
        });
    }
    let feeds = svc
        .feed_summaries()
        .into_iter()
        .map(|f| FeedRow {
            name: f.name,
            location: f.location,
            format: f.format,
            interval: format!("{} s", f.interval_s),
            fetched: opt_time(&f.state.fetched_at),
            indicators: f
                .indicators
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into()),
            error: f.state.last_error.unwrap_or_default(),
        })
        .collect();
    render(&IntelPage {
        nav: Some(Nav::of(&who, "intel")),
        enabled: true,
        key_id: svc.key_id(),
        public_key: svc.public_key(),
        digest: global.digest.clone(),
        counts: global
            .set
            .counts()
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect(),
        feeds,
        tenants: rows,
    })
}
