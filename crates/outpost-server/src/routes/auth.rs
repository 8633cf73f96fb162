//! UI login: `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`.
//!
//! A login answers the session token in the body and as an `HttpOnly; SameSite=Strict`
//! cookie. Unknown users cost the same argon2 verification as known ones, and attempts are
//! rate-limited per client address.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser, ClientIp, SESSION_COOKIE, presented_token};
use crate::metrics::{ResultLabel, metrics};
use crate::services::Via;
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

/// Sets the cookie of a new session on `resp` (the API's and the UI's login).
pub(crate) fn set_session_cookie(
    state: &AppState,
    resp: &mut Response,
    session: &crate::services::login::Session,
) {
    let max_age = i64::try_from(session.ttl.as_secs()).unwrap_or(i64::MAX);
    if let Some(c) = session_cookie_header(state, &session.token, max_age) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
}

/// Signs a local user in (see [`crate::services::login`]).
pub async fn login(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = state
        .login()
        .password(peer, &req.username, req.password, Via::Api)
        .await?;
    let mut resp = Json(LoginResponse {
        token: session.token.clone(),
        expires_at: session.expires_at,
        user: session.user.clone(),
    })
    .into_response();
    set_session_cookie(&state, &mut resp, &session);
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

/// `GET /api/v1/auth/providers`: how one may sign in (for the login page and clients).
#[derive(Debug, serde::Serialize)]
pub struct Providers {
    pub local_login: bool,
    pub providers: Vec<ProviderInfo>,
}

#[derive(Debug, serde::Serialize)]
pub struct ProviderInfo {
    pub name: String,
    pub display_name: String,
    /// Where a browser starts the sign-in.
    pub login_url: String,
}

pub async fn providers(State(state): State<AppState>) -> Json<Providers> {
    Json(Providers {
        local_login: state.config.auth.local_login,
        providers: crate::oidc::buttons(&state.oidc)
            .into_iter()
            .map(|(name, display_name)| ProviderInfo {
                login_url: format!("/api/v1/auth/oidc/{name}/login"),
                name,
                display_name,
            })
            .collect(),
    })
}

fn oidc_failed(e: &crate::oidc::OidcError) {
    metrics()
        .oidc_logins
        .get_or_create(&ResultLabel { result: e.metric() })
        .inc();
    metrics()
        .logins
        .get_or_create(&ResultLabel { result: "failed" })
        .inc();
}

/// `GET /api/v1/auth/oidc/{name}/login`: sends the browser to the provider (303) with a
/// new state, nonce and PKCE challenge; the state cookie binds the login to this browser.
/// Counts against the login rate limit of the client address.
pub async fn oidc_login(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let p = state
        .oidc
        .provider(&name)
        .map_err(|e| ApiError::not_found(e.to_string()))?;
    let peer = peer.unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    state.limits.check_login(peer)?;
    let started = match state.oidc.start(p).await {
        Ok(s) => s,
        Err(e) => {
            oidc_failed(&e);
            tracing::warn!(provider = %name, error = %e, "OIDC login could not start");
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "provider_unavailable",
                e.to_string(),
            ));
        }
    };
    state
        .store
        .oidc_login_begin(&started.state, &started.pending, crate::oidc::LOGIN_TTL)
        .await?;
    let mut resp = axum::http::StatusCode::SEE_OTHER.into_response();
    let loc = HeaderValue::from_str(&started.authorize_url).map_err(|_| ApiError::internal())?;
    resp.headers_mut().insert(header::LOCATION, loc);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(c) = HeaderValue::from_str(&crate::oidc::state_cookie(
        &started.state,
        crate::oidc::LOGIN_TTL.as_secs(),
        state.config.tls.is_some(),
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}

#[derive(Debug, serde::Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    iss: Option<String>,
}

/// `GET /api/v1/auth/oidc/{name}/callback`: the provider's redirect back. On success a
/// session like a password login's (same cookie) and a page that continues to the
/// dashboard (a same-site navigation, so the `SameSite=Strict` session cookie goes along);
/// otherwise the login page with the reason (`400` state, `403` refused or unmapped, `502`
/// provider unreachable).
pub async fn oidc_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(name): axum::extract::Path<String>,
    q: Result<axum::extract::Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    use axum::http::StatusCode;
    let clear = crate::oidc::state_cookie("", 0, state.config.tls.is_some());
    let fail = |status: StatusCode, e: crate::oidc::OidcError| -> Response {
        oidc_failed(&e);
        tracing::info!(provider = %name, error = %e, "OIDC sign-in refused");
        let mut r = crate::ui::login_page_with(&state, status, &e.to_string());
        if let Ok(c) = HeaderValue::from_str(&clear) {
            r.headers_mut().append(header::SET_COOKIE, c);
        }
        r
    };
    let Ok(axum::extract::Query(q)) = q else {
        return fail(StatusCode::BAD_REQUEST, crate::oidc::OidcError::State);
    };
    let p = match state.oidc.provider(&name) {
        Ok(p) => p.clone(),
        Err(e) => return fail(StatusCode::NOT_FOUND, e),
    };
    // The browser that started the login, and the login it started.
    let Some(st) = q.state.as_deref().filter(|s| s.len() <= 128) else {
        return fail(StatusCode::BAD_REQUEST, crate::oidc::OidcError::State);
    };
    let cookie_ok = crate::oidc::state_from_cookie(&headers).is_some_and(|c| {
        use subtle::ConstantTimeEq;
        c.len() == st.len() && bool::from(c.as_bytes().ct_eq(st.as_bytes()))
    });
    if !cookie_ok {
        return fail(StatusCode::BAD_REQUEST, crate::oidc::OidcError::State);
    }
    let pending = match state.store.oidc_login_take(st).await {
        Ok(Some(p)) if p.provider == name => p,
        Ok(_) => return fail(StatusCode::BAD_REQUEST, crate::oidc::OidcError::State),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the OIDC login in progress");
            return ApiError::from(e).into_response();
        }
    };
    if let Some(err) = q.error {
        let msg = match q.error_description {
            Some(d) => format!("{err}: {d}"),
            None => err,
        };
        let msg: String = msg.chars().take(300).collect();
        return fail(StatusCode::FORBIDDEN, crate::oidc::OidcError::Refused(msg));
    }
    if let Some(iss) = q.iss.as_deref()
        && !state.oidc.issuer_matches(&p, iss).await
    {
        return fail(
            StatusCode::FORBIDDEN,
            crate::oidc::OidcError::Refused(format!(
                "the answer came from another issuer ({iss:?})"
            )),
        );
    }
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return fail(StatusCode::BAD_REQUEST, crate::oidc::OidcError::State);
    };
    let identity = match state.oidc.finish(&p, &code, &pending).await {
        Ok(i) => i,
        Err(e @ crate::oidc::OidcError::Provider(_)) => return fail(StatusCode::BAD_GATEWAY, e),
        Err(e) => return fail(StatusCode::FORBIDDEN, e),
    };
    match complete(&state, &p.config, &identity).await {
        Ok(resp) => resp,
        Err(Completion::Refused(status, e)) => fail(status, e),
        Err(Completion::Api(e)) => e.into_response(),
    }
}

enum Completion {
    Refused(axum::http::StatusCode, crate::oidc::OidcError),
    Api(ApiError),
}

impl From<outpost_store::StoreError> for Completion {
    fn from(e: outpost_store::StoreError) -> Self {
        Completion::Api(e.into())
    }
}

/// Audits `action` on the user `u` (its tenant, its id) by the sign-in `actor`.
fn audit_user(state: &AppState, actor: &Principal, action: &str, u: &User, detail: String) {
    let tenant = u.tenant_id.as_deref();
    state
        .forward
        .audit(actor, action, tenant, &u.id, Some(detail));
}

/// Applies the mapping to a verified identity: the user created, updated or disabled, and
/// on success a session.
async fn complete(
    state: &AppState,
    cfg: &crate::config::OidcProviderConfig,
    id: &crate::oidc::Identity,
) -> Result<Response, Completion> {
    use crate::oidc::OidcError;
    use axum::http::StatusCode;
    let username = crate::oidc::username(cfg, id);
    let actor = Principal {
        role: outpost_core::auth::Role::Admin,
        subject: format!("oidc:{}", cfg.name),
        tenant_id: None,
    };
    let Some(mapped) = crate::oidc::map_claims(cfg, &id.claims) else {
        if let Some(u) = state
            .store
            .oidc_disable_user(&cfg.name, &id.subject)
            .await?
        {
            let detail = format!(
                "{} is no longer mapped by the provider's claims",
                u.username
            );
            audit_user(state, &actor, "user.disable", &u, detail);
        }
        return Err(Completion::Refused(
            StatusCode::FORBIDDEN,
            OidcError::Unmapped(format!(
                "Your account ({}) is not mapped to an Outpost role. Ask your administrator to add you to a group that Outpost maps.",
                username.split_once(':').map(|x| x.1).unwrap_or(&username)
            )),
        ));
    };
    let tenant_id = match &mapped.tenant {
        None => None,
        Some(t) => match state.store.find_tenant(t).await {
            Ok(t) => Some(t.id),
            Err(outpost_store::StoreError::NotFound(_)) => {
                return Err(Completion::Refused(
                    StatusCode::FORBIDDEN,
                    OidcError::Unmapped(format!(
                        "Your account is mapped to tenant {t:?}, which does not exist. Ask your administrator."
                    )),
                ));
            }
            Err(e) => return Err(e.into()),
        },
    };
    let outcome = match state
        .store
        .oidc_login_user(
            &cfg.name,
            &id.subject,
            &username,
            mapped.role,
            tenant_id.as_deref(),
        )
        .await
    {
        Ok(o) => o,
        Err(outpost_store::StoreError::Conflict(m)) => {
            return Err(Completion::Refused(
                StatusCode::CONFLICT,
                OidcError::Unmapped(format!("Cannot sign you in: {m}. Ask your administrator.")),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let user = match outcome {
        outpost_store::OidcLogin::Disabled(u) => {
            metrics()
                .oidc_logins
                .get_or_create(&ResultLabel { result: "disabled" })
                .inc();
            tracing::info!(username = %u.username, "OIDC sign-in of a disabled user refused");
            return Err(Completion::Refused(
                StatusCode::FORBIDDEN,
                OidcError::Unmapped(
                    "This account is disabled in Outpost. Ask your administrator.".into(),
                ),
            ));
        }
        outpost_store::OidcLogin::Created(u) => {
            let detail = format!(
                "{} created at first sign-in as {:?} (rule {})",
                u.username, u.role, mapped.rule
            );
            audit_user(state, &actor, "user.create", &u, detail);
            u
        }
        outpost_store::OidcLogin::Updated {
            user,
            scope_changed,
        } => {
            if scope_changed {
                let detail = format!(
                    "{} now {:?} (rule {}); earlier sessions ended",
                    user.username, user.role, mapped.rule
                );
                audit_user(state, &actor, "user.update", &user, detail);
            }
            user
        }
    };
    let ttl = std::time::Duration::from_secs(u64::from(state.config.session_hours.max(1)) * 3600);
    let (token, _) = state.store.create_session(&user.id, ttl).await?;
    state
        .store
        .set_session_id_token(&token, &id.id_token)
        .await?;
    metrics()
        .oidc_logins
        .get_or_create(&ResultLabel { result: "ok" })
        .inc();
    metrics()
        .logins
        .get_or_create(&ResultLabel { result: "ok" })
        .inc();
    tracing::info!(username = %user.username, role = ?user.role, provider = %cfg.name, "OIDC login");
    // A page, not a redirect: the browser arrived here from the provider (cross-site), and a
    // `SameSite=Strict` cookie would not go along a redirect of that navigation.
    let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=/ui/dashboard\"><title>Signed in · Outpost</title></head><body><p>Signed in. <a href=\"/ui/dashboard\">Continue to Outpost</a>.</p></body></html>";
    let mut resp = axum::response::Html(html).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = session_cookie_header(
        state,
        &token,
        i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
    ) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    if let Ok(c) = HeaderValue::from_str(&crate::oidc::state_cookie(
        "",
        0,
        state.config.tls.is_some(),
    )) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}
