//! The server's service layer: what the JSON API (`routes/`), the web UI (`ui/`) and the
//! `[[inputs]]` (`inputs/`) do once they know who is asking, in one place each.
//!
//! | service | what it owns |
//! |---|---|
//! | [`accept`] | accepting a device's hit batch or telemetry batch: bound, score, store, forward, rule actions, tickets, metrics |
//! | [`attack_models`] | attack models: upload (staff), listing and one model with its steps' sightings per device (scoped like intel), the STIX engine's reload with the stored models, the `[detect] stix_dir` files' models |
//! | [`triage`] | hit and alert state changes (the "customers may only acknowledge" rule), suppressions and escalations, with their audit and metrics |
//! | [`login`] | password sign-in (local users): the checks, the constant-cost verification, the session |
//! | [`forward`] | the `[[outputs]]`: forwarding hits, events and alerts, rule actions, tickets, the audit trail |
//!
//! [`scope_tenant`] is the one rule of which tenant a reader may see.
//!
//! Services take the parts of [`crate::AppState`] they need and plain values; their
//! signatures carry no axum types. They answer a [`ServiceError`], which a route turns into
//! its JSON [`ApiError`] and a page into its HTML error, with the same status and message.

pub mod accept;
pub mod attack_models;
pub mod forward;
pub mod login;
pub mod triage;

use crate::error::ApiError;
use outpost_store::StoreError;

/// Where a request came from (named in audit entries and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Api,
    Ui,
}

impl Via {
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Via::Api => "",
            Via::Ui => " (UI)",
        }
    }
}

/// Why a service refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing the caller may see has this id (404).
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but its content is refused (422).
    #[error("{0}")]
    Invalid(String),
    /// Wrong credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// A refusal of a guard shared with the HTTP layer (the login rate limit: 429 with the
    /// wait), passed on as it is.
    #[error("{}", .0.message)]
    Refused(ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
    /// A failure that is the server's (logged where it happened; 500).
    #[error("{0}")]
    Internal(String),
}

/// The tenant a query may read: staff may ask for any (or all), a customer only their own
/// (the API and the UI read through this one rule).
pub fn scope_tenant(
    who: &outpost_core::auth::Principal,
    requested: Option<String>,
) -> Result<Option<String>, ServiceError> {
    if who.is_staff() {
        return Ok(requested);
    }
    let own = who
        .tenant_id
        .clone()
        .ok_or_else(|| ServiceError::Forbidden("this key is not bound to a tenant".into()))?;
    match requested {
        Some(t) if t != own => Err(ServiceError::Forbidden(
            "not allowed to read another tenant".into(),
        )),
        _ => Ok(Some(own)),
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::NotFound(m) => ApiError::not_found(m),
            ServiceError::Invalid(m) => ApiError::invalid(m),
            ServiceError::Unauthorized(m) => ApiError::unauthorized(m),
            ServiceError::Refused(e) => e,
            ServiceError::Store(e) => e.into(),
            ServiceError::Password(e) => e.into(),
            ServiceError::Internal(_) => ApiError::internal(),
        }
    }
}
