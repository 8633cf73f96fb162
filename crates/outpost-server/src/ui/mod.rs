//! The web UI: server-rendered askama templates with a little htmx, served by the server
//! itself with its assets embedded in the binary.
//!
//! Pages authorize exactly like the JSON API: they use [`AuthUser`] (API key or session
//! cookie) and scope tenants with [`crate::services::scope_tenant`]; technicians and
//! admins see every tenant and full records, customers their own tenant through
//! [`outpost_core::api::CustomerHit`]. An unauthenticated page request is redirected to
//! `/login`. Changes are `POST`s sent by htmx (which adds `HX-Request`, satisfying the API's
//! CSRF rule for cookie-authenticated requests).

mod alerts;
mod attack_models;
mod common;
mod dashboard;
mod devices;
mod fleet;
mod hits;
mod intel;
mod jobs;
mod live;
mod login;
mod sensors;
mod settings;
mod view;

pub(crate) use login::login_page_with;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::AuthUser;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use outpost_core::auth::{Principal, Role};

/// The UI's routes, mounted at `/`, `/login`, `/logout`, `/ui/...` and `/assets/...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(login::root))
        .route("/login", get(login::login_page).post(login::login_submit))
        .route("/logout", post(login::logout))
        .route("/ui", get(login::root))
        .route("/ui/dashboard", get(dashboard::dashboard))
        .route("/ui/hits", get(hits::hits))
        .route("/ui/hits/{id}", get(hits::hit_detail))
        .route("/ui/hits/{id}/state", post(hits::hit_state))
        .route("/ui/hits/{id}/suppress", post(hits::hit_suppress))
        .route("/ui/hits/{id}/ticket", post(hits::hit_ticket))
        .route("/ui/alerts", get(alerts::alerts))
        .route("/ui/attack-models", get(attack_models::attack_models))
        .route("/ui/attack-models/{id}", get(attack_models::attack_model))
        .route("/ui/devices", get(devices::devices))
        .route("/ui/devices/{id}", get(devices::device_detail))
        .route("/ui/jobs", get(jobs::jobs))
        .route(
            "/ui/jobs/new",
            get(sensors::new_job_form).post(sensors::new_job_submit),
        )
        .route("/ui/jobs/{id}", get(jobs::job_detail))
        .route("/ui/jobs/{id}/packets", get(sensors::packets))
        .route("/ui/settings", get(settings::settings))
        .route("/ui/intel", get(intel::intel))
        .route("/ui/fleet", get(fleet::fleet))
        .route("/ui/events", get(live::events))
        .route("/assets/htmx.min.js", get(htmx_js))
        .route("/assets/app.css", get(app_css))
        .route("/assets/app.js", get(app_js))
}

const HTMX_JS: &[u8] = include_bytes!("../../assets/htmx.min.js");
const APP_CSS: &str = include_str!("../../assets/app.css");
const APP_JS: &str = include_str!("../../assets/app.js");

fn asset(body: &'static [u8], mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn htmx_js() -> Response {
    asset(HTMX_JS, "text/javascript; charset=utf-8")
}
async fn app_css() -> Response {
    asset(APP_CSS.as_bytes(), "text/css; charset=utf-8")
}
async fn app_js() -> Response {
    asset(APP_JS.as_bytes(), "text/javascript; charset=utf-8")
}

/// Errors of UI handlers: rendered as an HTML page (or an htmx fragment).
#[derive(Debug)]
pub struct UiError {
    status: StatusCode,
    message: String,
    nav: Option<view::Nav>,
}

impl UiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        UiError {
            status,
            message: message.into(),
            nav: None,
        }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    fn with_nav(mut self, who: &Principal) -> Self {
        self.nav = Some(view::Nav::of(who, ""));
        self
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        UiError::new(e.status, e.message)
    }
}

impl From<crate::services::ServiceError> for UiError {
    fn from(e: crate::services::ServiceError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<outpost_store::StoreError> for UiError {
    fn from(e: outpost_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<askama::Error> for UiError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template rendering failed");
        UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed")
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<view::Nav>,
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            nav: self.nav,
            status: self.status.as_u16(),
            reason: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// Renders a page.
fn render(t: &impl Template) -> Result<Response, UiError> {
    Ok(Html(t.render()?).into_response())
}

fn is_htmx(parts: &Parts) -> bool {
    parts.headers.contains_key("hx-request")
}

/// Redirects to `to`, as htmx expects it for htmx requests (`HX-Redirect`), else with 303.
fn redirect(to: &str, htmx: bool) -> Response {
    let Ok(loc) = HeaderValue::from_str(to) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if htmx {
        let mut r = StatusCode::NO_CONTENT.into_response();
        r.headers_mut().insert("hx-redirect", loc);
        r
    } else {
        let mut r = StatusCode::SEE_OTHER.into_response();
        r.headers_mut().insert(header::LOCATION, loc);
        r
    }
}

/// A signed-in user of a page: the API's [`AuthUser`]; without valid credentials the
/// browser is sent to `/login`.
pub struct UiUser(pub Principal);

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match AuthUser::from_request_parts(parts, state).await {
            Ok(AuthUser(p)) if p.role == Role::Device => {
                Err(UiError::forbidden("devices have no UI").into_response())
            }
            Ok(AuthUser(p)) => Ok(UiUser(p)),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                Err(redirect("/login", is_htmx(parts)))
            }
            Err(e) => Err(UiError::from(e).into_response()),
        }
    }
}

/// A technician or admin (staff pages and actions).
pub struct UiStaff(pub Principal);

impl FromRequestParts<AppState> for UiStaff {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let UiUser(p) = UiUser::from_request_parts(parts, state).await?;
        if !p.is_staff() {
            return Err(
                UiError::forbidden("only technicians and admins may see this")
                    .with_nav(&p)
                    .into_response(),
            );
        }
        Ok(UiStaff(p))
    }
}
