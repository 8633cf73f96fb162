//! Attack models (`/ui/attack-models`, `/ui/attack-models/{id}`): the list, and one model
//! drawn as a graph — intrusion sets, then the steps in their order, edges for the
//! relationships followed — in inline SVG generated here (no script), each step coloured by
//! whether and when it was sighted, filterable per tenant (staff) and device. Sightings are
//! scoped as in the API ([`crate::services::attack_models`]): a customer sees their tenant's.
//! [`step_links`] gives the alert and device pages their links to the models.

use super::common::{tenant_name, tenant_names};
use super::view::{Nav, enc, time};
use super::{UiError, UiUser, render};
use crate::AppState;
use crate::services::attack_models as svc;
use crate::services::scope_tenant;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use outpost_core::sighting::{AttackModelView, StepView};
use serde::Deserialize;
use std::collections::HashMap;

const NODE_W: i64 = 200;
const NODE_H: i64 = 64;
const COL_GAP: i64 = 70;
const ROW_GAP: i64 = 24;
const MARGIN: i64 = 16;

/// How recently a step was sighted: its colour and legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sighted {
    Never,
    /// Within the last 24 hours.
    Day,
    /// Within the last 7 days.
    Week,
    Earlier,
}

impl Sighted {
    pub(crate) fn of(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Sighted {
        match last {
            None => Sighted::Never,
            Some(t) if now - t <= chrono::Duration::hours(24) => Sighted::Day,
            Some(t) if now - t <= chrono::Duration::days(7) => Sighted::Week,
            Some(_) => Sighted::Earlier,
        }
    }
    pub(crate) fn fill(self) -> &'static str {
        match self {
            Sighted::Never => "#e5e7eb",
            Sighted::Day => "#fca5a5",
            Sighted::Week => "#fdba74",
            Sighted::Earlier => "#fde68a",
        }
    }
    pub(crate) fn class(self) -> &'static str {
        match self {
            Sighted::Never => "unsighted",
            Sighted::Day => "sighted sighted-day",
            Sighted::Week => "sighted sighted-week",
            Sighted::Earlier => "sighted sighted-earlier",
        }
    }
    fn legend(self) -> &'static str {
        match self {
            Sighted::Never => "not sighted",
            Sighted::Day => "sighted in the last 24 hours",
            Sighted::Week => "sighted in the last 7 days",
            Sighted::Earlier => "sighted earlier",
        }
    }
}

struct Node {
    x: i64,
    y: i64,
    fill: &'static str,
    class: &'static str,
    testid: String,
    title: String,
    line1: String,
    line2: String,
}

struct EdgeLine {
    x1: i64,
    y1: i64,
    x2: i64,
    y2: i64,
    label: String,
}

struct SightingRow {
    order: u32,
    step: String,
    tenant: String,
    hostname: String,
    device_href: String,
    first: String,
    last: String,
    count: i64,
}

#[derive(Template)]
#[template(path = "attack_model.html")]
struct ModelPage {
    nav: Option<Nav>,
    staff: bool,
    name: String,
    scope: String,
    warnings: Vec<String>,
    ignored: Vec<String>,
    width: i64,
    height: i64,
    node_w: i64,
    node_h: i64,
    nodes: Vec<Node>,
    edges: Vec<EdgeLine>,
    legend: Vec<(&'static str, &'static str)>,
    steps: Vec<(u32, String, String, &'static str)>,
    rows: Vec<SightingRow>,
    tenants: Vec<(String, String, bool)>,
    devices: Vec<(String, String, bool)>,
    action: String,
}

struct ModelRow {
    href: String,
    name: String,
    scope: String,
    source: String,
    steps: usize,
    updated: String,
}

#[derive(Template)]
#[template(path = "attack_models.html")]
struct ModelsPage {
    nav: Option<Nav>,
    rows: Vec<ModelRow>,
}

#[derive(Debug, Deserialize)]
pub struct ModelFilter {
    pub tenant: Option<String>,
    pub device: Option<String>,
}

/// The attack models the viewer may see.
pub async fn attack_models(
    State(state): State<AppState>,
    UiUser(who): UiUser,
) -> Result<Response, UiError> {
    let models = svc::list(&state, &who, None)
        .await
        .map_err(|e| UiError::from(e).with_nav(&who))?;
    let names = tenant_names(&state).await?;
    let rows = models
        .into_iter()
        .map(|m| ModelRow {
            href: format!("/ui/attack-models/{}", m.id),
            scope: scope_label(m.tenant_id.as_deref(), &names),
            name: m.name,
            source: m.source,
            steps: m.steps,
            updated: time(&m.updated_at),
        })
        .collect();
    render(&ModelsPage {
        nav: Some(Nav::of(&who, "attack-models")),
        rows,
    })
}

fn scope_label(tenant: Option<&str>, names: &HashMap<String, String>) -> String {
    match tenant {
        None => "global".into(),
        Some(t) => tenant_name(names, t),
    }
}

/// One model as a graph, with its steps' sightings.
pub async fn attack_model(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Path(id): Path<i64>,
    Query(f): Query<ModelFilter>,
) -> Result<Response, UiError> {
    let tenant = f.tenant.filter(|t| !t.is_empty());
    let device = f.device.filter(|d| !d.is_empty());
    let view = svc::view(&state, &who, id, tenant.clone(), device.clone())
        .await
        .map_err(|e| UiError::from(e).with_nav(&who))?;
    let staff = who.is_staff();
    let names = tenant_names(&state).await?;
    let visible = scope_tenant(&who, None)?;
    let devices = state
        .store
        .list_devices(visible.as_deref().or(view.model.tenant_id.as_deref()))
        .await?;
    let now = Utc::now();
    let (nodes, edges, width, height) = layout(&view, now);
    let mut rows = Vec::new();
    for s in &view.steps {
        for d in &s.sightings {
            rows.push(SightingRow {
                order: s.step.order,
                step: s.step.name.clone(),
                tenant: names.get(&d.tenant_id).cloned().unwrap_or_default(),
                hostname: d.hostname.clone(),
                device_href: format!("/ui/devices/{}", enc(&d.device_id)),
                first: time(&d.first_seen),
                last: time(&d.last_seen),
                count: d.count,
            });
        }
    }
    let tenants = if staff && view.model.tenant_id.is_none() {
        let mut t: Vec<(String, String, bool)> = names
            .iter()
            .map(|(id, n)| (id.clone(), n.clone(), tenant.as_deref() == Some(id)))
            .collect();
        t.sort_by(|a, b| a.1.cmp(&b.1));
        t
    } else {
        Vec::new()
    };
    render(&ModelPage {
        nav: Some(Nav::of(&who, "attack-models")),
        staff,
        scope: scope_label(view.model.tenant_id.as_deref(), &names),
        name: view.model.name.clone(),
        warnings: view.model.warnings.clone(),
        ignored: view.ignored.clone(),
        width,
        height,
        node_w: NODE_W,
        node_h: NODE_H,
        nodes,
        edges,
        legend: [
            Sighted::Never,
            Sighted::Day,
            Sighted::Week,
            Sighted::Earlier,
        ]
        .into_iter()
        .map(|s| (s.fill(), s.legend()))
        .collect(),
        steps: view
            .steps
            .iter()
            .map(|s| {
                let seen = Sighted::of(s.last_seen(), now);
                (
                    s.step.order,
                    s.step.name.clone(),
                    s.step
                        .indicators
                        .iter()
                        .map(|i| i.name.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                    seen.legend(),
                )
            })
            .collect(),
        rows,
        tenants,
        devices: devices
            .into_iter()
            .map(|d| {
                let sel = device.as_deref() == Some(d.id.as_str());
                (d.id, d.hostname, sel)
            })
            .collect(),
        action: format!("/ui/attack-models/{id}"),
    })
}

/// Positions: intrusion sets in the first column, each step in the column of its order,
/// stacked when several share one. Returns the nodes, edges and the drawing's size.
fn layout(view: &AttackModelView, now: DateTime<Utc>) -> (Vec<Node>, Vec<EdgeLine>, i64, i64) {
    let mut pos: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut per_col: HashMap<i64, i64> = HashMap::new();
    let mut nodes = Vec::new();
    let mut place = |col: i64| {
        let row = per_col.entry(col).or_insert(0);
        let p = (
            MARGIN + col * (NODE_W + COL_GAP),
            MARGIN + *row * (NODE_H + ROW_GAP),
        );
        *row += 1;
        p
    };
    for is in &view.model.intrusion_sets {
        let (x, y) = place(0);
        pos.insert(&is.id, (x, y));
        nodes.push(Node {
            x,
            y,
            fill: "#dbeafe",
            class: "intrusion-set",
            testid: "attack-intrusion-set".into(),
            title: is.name.clone(),
            line1: clip(&is.name),
            line2: "intrusion set".into(),
        });
    }
    for s in &view.steps {
        let (x, y) = place(i64::from(s.step.order.max(1)));
        pos.insert(&s.step.id, (x, y));
        nodes.push(step_node(s, x, y, now));
    }
    let edges = view
        .edges
        .iter()
        .filter_map(|e| {
            let (sx, sy) = *pos.get(e.source.as_str())?;
            let (tx, ty) = *pos.get(e.target.as_str())?;
            // Right side to left side; a backward edge (a cycle) goes from the bottom.
            let (x1, y1, x2, y2) = if tx > sx {
                (sx + NODE_W, sy + NODE_H / 2, tx, ty + NODE_H / 2)
            } else {
                (sx + NODE_W / 2, sy + NODE_H, tx + NODE_W / 2, ty + NODE_H)
            };
            Some(EdgeLine {
                x1,
                y1,
                x2,
                y2,
                label: e.relationship_type.clone(),
            })
        })
        .collect();
    let cols = per_col.keys().max().copied().unwrap_or(0) + 1;
    let rows = per_col.values().max().copied().unwrap_or(1);
    let width = 2 * MARGIN + cols * NODE_W + (cols - 1) * COL_GAP;
    let height = 2 * MARGIN + rows * NODE_H + (rows - 1) * ROW_GAP + NODE_H / 2;
    (nodes, edges, width, height)
}

fn step_node(s: &StepView, x: i64, y: i64, now: DateTime<Utc>) -> Node {
    let last = s.last_seen();
    let seen = Sighted::of(last, now);
    let count: i64 = s.sightings.iter().map(|d| d.count).sum();
    Node {
        x,
        y,
        fill: seen.fill(),
        class: seen.class(),
        testid: format!("attack-step-{}", s.step.order),
        title: format!(
            "{} (step {}): {}",
            s.step.name,
            s.step.order,
            match last {
                Some(t) => format!(
                    "{count} sighting(s) on {} device(s), last {}",
                    s.sightings.len(),
                    time(&t)
                ),
                None => "not sighted".into(),
            }
        ),
        line1: format!("{}. {}", s.step.order, clip(&s.step.name)),
        line2: match last {
            Some(t) => format!("{count}× · last {}", t.format("%m-%d %H:%M")),
            None => "not sighted".into(),
        },
    }
}

/// A name cut to fit a node.
fn clip(s: &str) -> String {
    const MAX: usize = 24;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX - 1).collect();
        t.push('…');
        t
    }
}

/// For the alert and device pages: per indicator id, links to the model steps it indicates
/// (models `tenant` sees): (href, label).
pub(crate) async fn step_links(
    state: &AppState,
    tenant: &str,
    device: Option<&str>,
    indicator_ids: &[String],
) -> Result<HashMap<String, Vec<(String, String)>>, UiError> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut ids = indicator_ids.to_vec();
    ids.sort();
    ids.dedup();
    for s in state.store.indicator_steps(tenant, &ids).await? {
        let href = match device {
            Some(d) => format!("/ui/attack-models/{}?device={}", s.model_id, enc(d)),
            None => format!("/ui/attack-models/{}", s.model_id),
        };
        out.entry(s.indicator_id).or_default().push((
            href,
            format!("{} — step {}: {}", s.model_name, s.step_order, s.step_name),
        ));
    }
    Ok(out)
}
