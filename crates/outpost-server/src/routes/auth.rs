//! UI login: `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`.
//!
//! A login answers the session token in the body and as an `HttpOnly; SameSite=Strict`
//! cookie. Unknown users cost the same argon2 verification as known ones, and attempts are
//! rate-limited per client address.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser, ClientIp, SESSION_COOKIE, presented_token};
use crate::metrics::{ResultLabel, metrics};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use outpost_core::api::{LoginRequest, LoginResponse, User};
use outpost_core::auth::Principal;

/// The `Set-Cookie` value of a UI session (also used by the login form of the web UI).
pub(crate) fn session_cookie_header(
    state: &AppState,
    value: &str,
    max_age_s: i64,
) -> Option<HeaderValue> {
    let secure = if state.config.tls.is_some() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .ok()
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let peer = peer.unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    state.limits.check_login(peer)?;
    let failed = || {
        metrics()
            .logins
            .get_or_create(&ResultLabel { result: "failed" })
            .inc();
        ApiError::unauthorized("wrong username or password")
    };
    if req.username.len() > 100 || req.password.len() > crate::password::MAX_PASSWORD_LEN {
        return Err(failed());
    }
    let creds = state.store.user_credentials(&req.username).await?;
    let phc = creds
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| crate::password::dummy_hash().to_string());
    let ok = crate::password::verify(req.password, phc).await?;
    let Some(creds) = creds.filter(|_| ok) else {
        tracing::info!(username = %req.username, client = %peer, "login failed");
        return Err(failed());
    };
    let ttl = std::time::Duration::from_secs(u64::from(state.config.session_hours.max(1)) * 3600);
    let (token, expires_at) = state.store.create_session(&creds.user.id, ttl).await?;
    metrics()
        .logins
        .get_or_create(&ResultLabel { result: "ok" })
        .inc();
    tracing::info!(username = %creds.user.username, role = ?creds.user.role, "login");
    let mut resp = Json(LoginResponse {
        token: token.clone(),
        expires_at,
        user: creds.user,
    })
    .into_response();
    if let Some(c) = session_cookie_header(
        &state,
        &token,
        i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
    ) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    AuthUser(_who): AuthUser,
) -> Result<Response, ApiError> {
    if let Some(t) = presented_token(&headers).filter(|t| t.starts_with("ops_")) {
        state.store.delete_session(t).await?;
    }
    let mut resp = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Some(c) = session_cookie_header(&state, "", 0) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// Who the caller is.
#[derive(Debug, serde::Serialize)]
pub struct Me {
    #[serde(flatten)]
    pub principal: Principal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

pub async fn me(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
) -> Result<Json<Me>, ApiError> {
    let user = match who.subject.strip_prefix("user:") {
        Some(name) => state.store.user_credentials(name).await?.map(|c| c.user),
        None => None,
    };
    Ok(Json(Me {
        principal: who,
        user,
    }))
}
