//! Settings (staff): tenants, users, keys.

use super::common::tenant_name;
use super::view::{Nav, time};
use super::{UiError, UiStaff, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use std::collections::HashMap;

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
            .map(|id| tenant_name(&names, id))
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
