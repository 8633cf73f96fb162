pub mod admin;
pub mod alerts;
pub mod attack_models;
pub mod auth;
pub mod checkin;
pub mod detect;
pub mod devices;
pub mod enroll;
pub mod events;
pub mod hits;
pub mod intel;
pub mod profiles;
pub mod releases;
pub mod suppressions;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser};
use crate::services::Via;
use crate::services::triage::{Change, Lifecycle};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use outpost_core::api::{HitStateChange, Page, Triage, TriageHistoryEntry};
use outpost_core::auth::Principal;
use outpost_store::StateChange;

/// A record or a page as the caller may see it: in full for staff, the customer view (`C`,
/// made from the full record) otherwise.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum AsSeen<F, C> {
    Full(F),
    Customer(C),
}

/// One record as `who` may see it.
pub fn one_as_seen<F, C>(who: &Principal, r: F) -> AsSeen<Box<F>, C>
where
    C: for<'a> From<&'a F>,
{
    if who.is_staff() {
        AsSeen::Full(Box::new(r))
    } else {
        AsSeen::Customer(C::from(&r))
    }
}

/// A page of records as `who` may see them.
pub fn page_as_seen<F, C>(who: &Principal, page: Page<F>) -> AsSeen<Page<F>, Page<C>>
where
    C: for<'a> From<&'a F>,
{
    if who.is_staff() {
        AsSeen::Full(page)
    } else {
        AsSeen::Customer(Page {
            items: page.items.iter().map(C::from).collect(),
            next_cursor: page.next_cursor,
        })
    }
}

/// `GET …/{id}` of a record with a triage lifecycle (hits, alerts): as the caller may see it;
/// another tenant's is "not found".
pub async fn triaged_get<T: Lifecycle + 'static>(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<AsSeen<Box<T>, T::Customer>>, ApiError> {
    let r: T = state.triage().visible(&who, id).await?;
    Ok(Json(one_as_seen(&who, r)))
}

/// `POST …/{id}/state`: changes the state (see [`crate::services::triage`]); a stale
/// `expected_version` is a 409 naming the version the record is at.
pub async fn triaged_set_state<T: Lifecycle + 'static>(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<HitStateChange>,
) -> Result<Response, ApiError> {
    let change = Change::of(&req, Via::Api);
    Ok(
        match state.triage().set_state::<T>(&who, id, change).await? {
            StateChange::Changed(x) => {
                Json(one_as_seen::<T, T::Customer>(&who, *x)).into_response()
            }
            StateChange::Conflict(x) => {
                state_conflict(T::WHAT, id, x.triage(), req.expected_version).into_response()
            }
        },
    )
}

/// The query string of the lists that take only a tenant (id or name).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantQuery {
    pub tenant: Option<String>,
}

/// A page that holds every item (no next cursor).
pub(crate) fn whole_page<T>(items: Vec<T>) -> Page<T> {
    Page {
        items,
        next_cursor: None,
    }
}

/// `GET …/{id}/history`: the state history as the caller may see it.
pub async fn triaged_history<T: Lifecycle + 'static>(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Page<TriageHistoryEntry>>, ApiError> {
    Ok(Json(whole_page(
        state.triage().history::<T>(&who, id).await?,
    )))
}

/// The 409 of a state change whose `expected_version` is stale.
fn state_conflict(what: &str, id: i64, now: &Triage, expected: Option<i64>) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!(
            "{what} {id} is at version {} (state {}), not {}",
            now.version,
            now.state,
            expected.unwrap_or_default()
        ),
    )
}
