//! Intel (staff): the signing key, the global intel and its feeds, each tenant's bundle.

use super::view::{Nav, opt_time};
use super::{UiError, UiStaff, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

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
