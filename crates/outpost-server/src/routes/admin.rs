//! Settings: tenants, users and keys.
//!
//! Admins manage everything. Technicians manage what serves customers: customer users,
//! enrollment keys and customer keys; they cannot create staff accounts or staff keys.
//! Customers manage nothing here and see only their own tenant.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, AuthAdmin, AuthStaff, AuthUser};
use crate::routes::{TenantQuery, whole_page};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use outpost_core::api::{NewKey, NewTenant, NewUser, Page, Tenant, User};
use outpost_core::auth::{Principal, Role};
use outpost_store::{ApiKeyInfo, KeyKind};
use serde::Serialize;

pub async fn list_tenants(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
) -> Result<Json<Page<Tenant>>, ApiError> {
    let mut items = state.store.list_tenants().await?;
    if !who.is_staff() {
        items.retain(|t| who.tenant_id.as_deref() == Some(t.id.as_str()));
    }
    Ok(Json(whole_page(items)))
}

pub async fn create_tenant(
    State(state): State<AppState>,
    AuthAdmin(who): AuthAdmin,
    ApiJson(req): ApiJson<NewTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    let t = state.store.create_tenant(&req.name).await?;
    state
        .forward
        .audit(&who, "tenant.create", Some(&t.id), &t.name, None);
    Ok((StatusCode::CREATED, Json(t)))
}

/// Which users `who` may manage.
fn may_manage_user(who: &Principal, role: Role) -> bool {
    match who.role {
        Role::Admin => true,
        Role::Technician => role == Role::Customer,
        _ => false,
    }
}

pub async fn list_users(
    State(state): State<AppState>,
    AuthStaff(_who): AuthStaff,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    let items = state.store.list_users(q.tenant.as_deref()).await?;
    Ok(Json(whole_page(items)))
}

pub async fn create_user(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    if req.role == Role::Device {
        return Err(ApiError::invalid(
            "a user's role is admin, technician or customer",
        ));
    }
    if !may_manage_user(&who, req.role) {
        return Err(ApiError::forbidden(
            "technicians may only create customer users",
        ));
    }
    let phc = crate::password::hash(req.password).await?;
    let u = state
        .store
        .create_user(&req.username, &phc, req.role, req.tenant_id.as_deref())
        .await?;
    state.forward.audit(
        &who,
        "user.create",
        u.tenant_id.as_deref(),
        &u.username,
        Some(format!("role {:?}", u.role)),
    );
    Ok((StatusCode::CREATED, Json(u)))
}

pub async fn disable_user(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let u = state.store.get_user(&id).await?;
    if !may_manage_user(&who, u.role) {
        return Err(ApiError::forbidden(
            "technicians may only disable customer users",
        ));
    }
    if who.subject == format!("user:{}", u.username) {
        return Err(ApiError::invalid("you cannot disable yourself"));
    }
    state.store.disable_user(&id).await?;
    state.forward.audit(
        &who,
        "user.disable",
        u.tenant_id.as_deref(),
        &u.username,
        None,
    );
    Ok(StatusCode::NO_CONTENT)
}

/// A key as created: its secret is shown this once.
#[derive(Debug, Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKeyInfo,
    pub secret: String,
}

fn may_manage_key(who: &Principal, kind: KeyKind) -> bool {
    match who.role {
        Role::Admin => true,
        Role::Technician => matches!(kind, KeyKind::Enrollment | KeyKind::Customer),
        _ => false,
    }
}

pub async fn list_keys(
    State(state): State<AppState>,
    AuthStaff(_who): AuthStaff,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> Result<Json<Page<ApiKeyInfo>>, ApiError> {
    let items = state.store.list_keys(q.tenant.as_deref()).await?;
    Ok(Json(whole_page(items)))
}

pub async fn create_key(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiJson(req): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let kind = KeyKind::parse(&req.kind).ok_or_else(|| {
        ApiError::invalid("kind must be enrollment, admin, technician or customer")
    })?;
    if !may_manage_key(&who, kind) {
        return Err(ApiError::forbidden(
            "technicians may only create enrollment and customer keys",
        ));
    }
    if req.name.len() > 200 {
        return Err(ApiError::invalid("name is longer than 200 bytes"));
    }
    let tenant = match &req.tenant_id {
        Some(t) => Some(state.store.find_tenant(t).await?.id),
        None => None,
    };
    let (key, secret) = state
        .store
        .create_key(kind, tenant.as_deref(), &req.name)
        .await?;
    state.forward.audit(
        &who,
        "key.create",
        key.tenant_id.as_deref(),
        &key.id,
        Some(format!("kind {}", key.kind)),
    );
    Ok((StatusCode::CREATED, Json(CreatedKey { key, secret })))
}

pub async fn revoke_key(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let k = state.store.get_key(&id).await?;
    let kind = KeyKind::parse(k.kind).ok_or_else(ApiError::internal)?;
    if !may_manage_key(&who, kind) {
        return Err(ApiError::forbidden(
            "technicians may only revoke enrollment and customer keys",
        ));
    }
    state.store.revoke_key(&id).await?;
    state.forward.audit(&who, "key.revoke", None, &id, None);
    Ok(StatusCode::NO_CONTENT)
}

/// Rotation: a new key of the same kind, tenant and name; the old one is revoked.
pub async fn rotate_key(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let k = state.store.get_key(&id).await?;
    if k.revoked {
        return Err(ApiError::not_found(format!("active key {id:?} not found")));
    }
    let kind = KeyKind::parse(k.kind).ok_or_else(ApiError::internal)?;
    if !may_manage_key(&who, kind) {
        return Err(ApiError::forbidden(
            "technicians may only rotate enrollment and customer keys",
        ));
    }
    let (key, secret) = state
        .store
        .create_key(kind, k.tenant_id.as_deref(), &k.name)
        .await?;
    state.store.revoke_key(&id).await?;
    state.forward.audit(
        &who,
        "key.rotate",
        key.tenant_id.as_deref(),
        &key.id,
        Some(format!("replaces {id}")),
    );
    Ok((StatusCode::CREATED, Json(CreatedKey { key, secret })))
}
