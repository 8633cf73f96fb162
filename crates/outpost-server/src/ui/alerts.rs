//! Alerts from telemetry (`/ui/alerts`).

use super::common::tenant_names;
use super::view::{Nav, enc, state_label, time};
use super::{UiError, UiUser, render};
use crate::AppState;
use crate::services::scope_tenant;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use outpost_core::api::TriageState;
use std::collections::HashMap;

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
    /// Attack model steps its STIX sightings belong to: (href, label).
    attack: Vec<(String, String)>,
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
    for st in [TriageState::New, TriageState::Acknowledged] {
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
    // The STIX indicators of the alerts (a `stix` finding's rule is the indicator id), per
    // tenant, and the model steps they indicate.
    let mut stix: HashMap<String, Vec<String>> = HashMap::new();
    for a in &items {
        stix.entry(a.tenant_id.clone()).or_default().extend(
            a.indicators
                .iter()
                .filter(|i| i.engine == "stix")
                .map(|i| i.rule_name.clone()),
        );
    }
    let mut links = HashMap::new();
    for (t, ids) in stix.into_iter().filter(|(_, ids)| !ids.is_empty()) {
        links.insert(
            t.clone(),
            super::attack_models::step_links(&state, &t, None, &ids).await?,
        );
    }
    let rows = items
        .into_iter()
        .map(|a| AlertRow {
            attack: a
                .indicators
                .iter()
                .filter(|i| i.engine == "stix")
                .flat_map(|i| {
                    links
                        .get(&a.tenant_id)
                        .and_then(|l| l.get(&i.rule_name))
                        .cloned()
                        .unwrap_or_default()
                })
                .map(|(href, label)| (format!("{href}?device={}", enc(&a.device_id)), label))
                .collect(),
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
