//! Request extractors: JSON bodies with the API's error shape, and authentication.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use outpost_core::auth::{Principal, Role};
use outpost_store::{DeviceAuth, KeyKind};
use serde::de::DeserializeOwned;

/// `Json<T>` whose rejections use the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

/// The bearer token of a request (`Authorization: Bearer <token>`).
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let h = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token> header"))?;
    let s = h
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let token = s
        .strip_prefix("Bearer ")
        .or_else(|| s.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be 'Bearer <token>'"))?
        .trim();
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::unauthorized("malformed bearer token"));
    }
    Ok(token)
}

/// An enrolled device, authenticated by its device token.
pub struct AuthDevice(pub DeviceAuth);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        match state.store.device_by_token(token).await? {
            Some(d) => Ok(AuthDevice(d)),
            None => Err(ApiError::unauthorized("unknown or revoked device token")),
        }
    }
}

/// A user or integration authenticated by an API key (not a device, not an enrollment key).
pub struct AuthUser(pub Principal);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let key = state
            .store
            .resolve_key(token)
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
        let role = match KeyKind::parse(key.kind) {
            Some(KeyKind::Admin) => Role::Admin,
            Some(KeyKind::Technician) => Role::Technician,
            Some(KeyKind::Customer) => Role::Customer,
            Some(KeyKind::Enrollment) | None => {
                return Err(ApiError::forbidden(
                    "an enrollment key can only enroll devices",
                ));
            }
        };
        Ok(AuthUser(Principal {
            role,
            subject: key.id,
            tenant_id: key.tenant_id,
        }))
    }
}

/// `Query<T>` whose rejections use the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => Err(ApiError::bad_request(r.body_text())),
        }
    }
}

/// Middleware for routers contributed by other crates (the job API): resolves the bearer
/// token — an API key or a device token — into a [`Principal`] request extension. It does not
/// reject: those routers answer 401 themselves when no principal is present.
pub async fn insert_principal(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (mut parts, body) = req.into_parts();
    let principal = match bearer(&parts) {
        Ok(token) => match state.store.resolve_key(token).await {
            Ok(Some(k)) => match KeyKind::parse(k.kind) {
                Some(KeyKind::Admin) => Some(Principal {
                    role: Role::Admin,
                    subject: k.id,
                    tenant_id: None,
                }),
                Some(KeyKind::Technician) => Some(Principal {
                    role: Role::Technician,
                    subject: k.id,
                    tenant_id: None,
                }),
                Some(KeyKind::Customer) => Some(Principal {
                    role: Role::Customer,
                    subject: k.id,
                    tenant_id: k.tenant_id,
                }),
                _ => None,
            },
            Ok(None) => match state.store.device_by_token(token).await {
                Ok(Some(d)) => Some(Principal {
                    role: Role::Device,
                    subject: d.device_id,
                    tenant_id: Some(d.tenant_id),
                }),
                Ok(None) => None,
                Err(e) => return crate::error::ApiError::from(e).into_response_value(),
            },
            Err(e) => return crate::error::ApiError::from(e).into_response_value(),
        },
        Err(_) => None,
    };
    if let Some(p) = principal {
        parts.extensions.insert(p);
    }
    req = Request::from_parts(parts, body);
    next.run(req).await
}
