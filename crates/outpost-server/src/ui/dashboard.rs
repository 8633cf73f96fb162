//! The dashboard: open hits by severity, top talkers, states.

use super::common::{Opt, nonempty};
use super::view::{self, Nav, state_label, url};
use super::{UiError, UiUser, render};
use crate::AppState;
use crate::services::scope_tenant;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;

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
