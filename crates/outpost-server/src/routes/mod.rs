pub mod admin;
pub mod alerts;
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

use axum::Json;
use axum::response::{IntoResponse, Response};
use outpost_core::api::{Page, Triage};
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

/// The answer to a state change: the record as the caller may see it, or the 409 of a stale
/// `expected_version` (`what` names the record, `triage` finds its lifecycle).
pub(crate) fn state_changed<F, C>(
    who: &Principal,
    what: &str,
    id: i64,
    expected: Option<i64>,
    r: StateChange<F>,
    triage: impl Fn(&F) -> &Triage,
) -> Response
where
    C: for<'a> From<&'a F> + serde::Serialize,
    F: serde::Serialize,
{
    match r {
        StateChange::Changed(x) => Json(one_as_seen::<F, C>(who, *x)).into_response(),
        StateChange::Conflict(x) => {
            hits::state_conflict(what, id, triage(&x), expected).into_response()
        }
    }
}
