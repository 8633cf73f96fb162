//! Signing in and out of the web UI.

use super::view::Nav;
use super::{UiError, redirect};
use crate::AppState;
use crate::extract::{ClientIp, session_cookie};
use crate::services::{ServiceError, Via, login};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    nav: Option<Nav>,
    error: &'a str,
    username: &'a str,
    /// Username and password form shown (`[auth] local_login`).
    local_login: bool,
    /// OpenID Providers: (name, label).
    providers: Vec<(String, String)>,
}

/// The login page with a message (also for refused OIDC sign-ins).
pub(crate) fn login_page_with(state: &AppState, status: StatusCode, error: &str) -> Response {
    login_form(state, status, error, "")
}

/// The login page with a message and the username typed.
fn login_form(state: &AppState, status: StatusCode, error: &str, username: &str) -> Response {
    let page = LoginPage {
        nav: None,
        error,
        username,
        local_login: state.config.auth.local_login,
        providers: crate::oidc::buttons(&state.oidc),
    };
    match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(e) => UiError::from(e).into_response(),
    }
}

pub async fn root(headers: HeaderMap) -> Response {
    let to = if session_cookie(&headers).is_some() {
        "/ui/dashboard"
    } else {
        "/login"
    };
    redirect(to, false)
}

pub async fn login_page(State(state): State<AppState>) -> Response {
    login_page_with(&state, StatusCode::OK, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Signs in through the same service as `POST /api/v1/auth/login` (see
/// [`crate::services::login`]) and sets the same session cookie; wrong credentials show the
/// form again (401).
pub async fn login_submit(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, UiError> {
    let axum::Form(form) = form.map_err(|e| UiError::bad_request(e.body_text()))?;
    // A username that could not be one is not shown again.
    let typed = if login::plausible(&form.username, &form.password) {
        form.username.as_str()
    } else {
        ""
    };
    let session = match state
        .login()
        .password(peer, &form.username, form.password, Via::Ui)
        .await
    {
        Ok(s) => s,
        Err(ServiceError::Unauthorized(_)) => {
            return Ok(login_form(
                &state,
                StatusCode::UNAUTHORIZED,
                "Wrong username or password.",
                typed,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut resp = redirect("/ui/dashboard", false);
    crate::routes::auth::set_session_cookie(&state, &mut resp, &session);
    Ok(resp)
}

/// Ends the session of the cookie (if any) and clears the cookie. Needs no CSRF header: a
/// forged logout can only sign the user out, and the cookie is `SameSite=Strict` anyway.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let mut to = "/login".to_string();
    if let Some(t) = session_cookie(&headers).filter(|t| t.starts_with("ops_")) {
        // A user of an OpenID Provider with an `end_session_endpoint` is signed out there
        // too (RP-initiated logout), and comes back to our login page.
        if let Some(u) = state.store.session_user(t).await?
            && let Some(p) = state.store.user_oidc_provider(&u.id).await?
            && let Some(base) = state.config.public_url.as_deref()
            && let Some(url) = state
                .oidc
                .logout_url(
                    &p,
                    &format!("{}/login", base.trim_end_matches('/')),
                    state.store.session_id_token(t).await?.as_deref(),
                )
                .await
        {
            to = url;
        }
        state.store.delete_session(t).await?;
    }
    let mut resp = redirect(&to, headers.contains_key("hx-request"));
    if let Some(c) = crate::routes::auth::session_cookie_header(&state, "", 0) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}
