//! Fleet: agent versions per tenant, outdated agents and the rollouts' progress.

use super::common::{tenant_name, tenant_names};
use super::view::{Nav, time};
use super::{UiError, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

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
///.
pub async fn fleet(
    State(state): State<AppState>,
    UiUser(who): UiUser,
) -> Result<Response, UiError> {
    let f = crate::routes::releases::fleet_versions(&state, &who)
        .await
        .map_err(|e| UiError::from(e).with_nav(&who))?;
    let names = tenant_names(&state).await?;
    let name = |t: &str| tenant_name(&names, t);
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
                devices: counts(&r.devices, " "),
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
                versions: counts(&t.versions, " × "),
            })
            .collect(),
        rollouts,
    })
}

/// `name{sep}count` of each entry of `m`, comma-separated.
fn counts(m: &std::collections::BTreeMap<String, u64>, sep: &str) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}{sep}{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
