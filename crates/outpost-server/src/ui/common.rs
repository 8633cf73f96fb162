//! Helpers shared by the UI's pages: form values, tenant names, hit rows, detail fields,
//! notices.

use super::view::HitRow;
use super::{UiError, render};
use crate::AppState;
use askama::Template;
use axum::response::Response;
use chrono::{DateTime, NaiveDateTime, Utc};
use outpost_core::api::{CustomerHit, HitRecord};
use outpost_core::auth::Principal;
use std::collections::HashMap;

/// Empty form fields are absent filters.
pub(super) fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// `datetime-local` (`YYYY-MM-DDTHH:MM[:SS]`, taken as UTC) or RFC 3339.
pub(super) fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, UiError> {
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
pub(super) async fn tenant_names(state: &AppState) -> Result<HashMap<String, String>, UiError> {
    Ok(state
        .store
        .list_tenants()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

/// The name of tenant `id` in `names` (see [`tenant_names`]), or the id itself.
pub(super) fn tenant_name(names: &HashMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_string())
}

/// Table rows of `hits` as `who` may see them.
pub(super) fn rows(
    who: &Principal,
    hits: &[HitRecord],
    names: &HashMap<String, String>,
) -> Vec<HitRow> {
    hits.iter()
        .map(|h| {
            if who.is_staff() {
                HitRow::full(h, tenant_name(names, &h.tenant_id))
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

/// A labelled value of a detail list.
pub struct Field {
    pub label: &'static str,
    pub value: String,
    pub href: String,
}

pub(super) fn field(label: &'static str, value: impl Into<String>) -> Field {
    Field {
        label,
        value: value.into(),
        href: String::new(),
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct Notice<'a> {
    kind: &'a str,
    message: &'a str,
}

pub(super) fn notice(kind: &str, message: &str) -> Result<Response, UiError> {
    render(&Notice { kind, message })
}
