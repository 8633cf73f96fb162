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

/// The JSON body of an agent's request (enroll, check-in, hits, events): like [`ApiJson`]
/// (same content-type, size and error handling; bad types of known fields are rejected), but
/// fields this server does not know are accepted — an agent one version ahead may send them —
/// and counted (`outpost_unknown_fields{body}`) and logged at debug.
pub struct AgentJson<T>(pub T);

impl<T: outpost_core::api::WireFields, S: Send + Sync> FromRequest<S> for AgentJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            })
            .unwrap_or(false);
        if !json_type {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        r.status(),
                        "payload_too_large",
                        "request body is larger than the server accepts",
                    )
                } else {
                    ApiError::bad_request(r.body_text())
                }
            })?;
        // The plain parser first: agents' bodies are almost always valid, and it is much
        // faster than axum's, which tracks the path of every value to name it in an error.
        // Only a body it refuses is parsed again by axum's for that message.
        let v = match serde_json::from_slice::<T>(&bytes) {
            Ok(v) => v,
            Err(_) => axum::Json::<T>::from_bytes(&bytes)?.0,
        };
        let unknown = T::unknown_fields(&bytes);
        if !unknown.is_empty() {
            crate::metrics::unknown_fields(T::WIRE_NAME, unknown.len() as u64);
            tracing::debug!(body = T::WIRE_NAME, fields = ?unknown, "request has fields this server does not know (a newer agent?); ignored");
        }
        Ok(AgentJson(v))
    }
}

/// Name of the UI session cookie.
pub const SESSION_COOKIE: &str = "outpost_session";

/// Where a credential came from: cookies are sent by browsers on their own, so requests
/// that change something must also prove they come from our pages (CSRF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Header,
    Cookie,
}

/// The bearer token of a request (`Authorization: Bearer <token>`).
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    bearer_of(&parts.headers)
}

fn bearer_of(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let h = headers
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

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE, 256)
}

/// The value of the cookie `name`, if the request carries one that is not empty and at most
/// `max_len` bytes long.
pub fn cookie<'a>(
    headers: &'a axum::http::HeaderMap,
    name: &str,
    max_len: usize,
) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= max_len)
}

/// The credential of a request: the bearer token, else the session cookie.
fn credential(parts: &Parts) -> Result<(&str, Source), ApiError> {
    credential_of(&parts.headers)
}

/// The credential presented in `headers` (see [`credential`]).
pub(crate) fn presented_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    credential_of(headers).ok().map(|(t, _)| t)
}

fn credential_of(headers: &axum::http::HeaderMap) -> Result<(&str, Source), ApiError> {
    match bearer_of(headers) {
        Ok(t) => Ok((t, Source::Header)),
        Err(e) => match session_cookie(headers) {
            Some(c) if !headers.contains_key(axum::http::header::AUTHORIZATION) => {
                Ok((c, Source::Cookie))
            }
            _ => Err(e),
        },
    }
}

/// Cookie-authenticated requests that change state must carry a header a cross-site form
/// or image cannot set (htmx sends `HX-Request`; scripts may send `X-Requested-With`).
fn check_csrf(parts: &Parts, source: Source) -> Result<(), ApiError> {
    let safe = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if source == Source::Cookie
        && !safe
        && !parts.headers.contains_key("hx-request")
        && !parts.headers.contains_key("x-requested-with")
    {
        return Err(ApiError::forbidden(
            "a cookie-authenticated change needs the HX-Request or X-Requested-With header",
        ));
    }
    Ok(())
}

/// Turns a presented secret into a principal: API keys, UI sessions and (when
/// `allow_device`) device tokens. `Ok(None)` when the secret is unknown or revoked.
async fn resolve(
    state: &AppState,
    token: &str,
    allow_device: bool,
) -> Result<Option<Principal>, ApiError> {
    if token.starts_with("ops_") {
        return Ok(state.store.session_user(token).await?.map(|u| Principal {
            role: u.role,
            subject: format!("user:{}", u.username),
            tenant_id: u.tenant_id,
        }));
    }
    if token.starts_with("opd_") {
        if !allow_device {
            return Ok(None);
        }
        return Ok(state
            .store
            .device_by_token(token)
            .await?
            .map(|d| Principal {
                role: Role::Device,
                subject: d.device_id,
                tenant_id: Some(d.tenant_id),
            }));
    }
    let Some(key) = state.store.resolve_key(token).await? else {
        return Ok(None);
    };
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
    Ok(Some(Principal {
        role,
        subject: key.id,
        tenant_id: if role == Role::Customer {
            key.tenant_id
        } else {
            None
        },
    }))
}

/// An enrolled device, authenticated by its device token.
pub struct AuthDevice(pub DeviceAuth);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        match state.store.device_by_token(token).await? {
            Some(d) => {
                state.limits.check(&d.device_id)?;
                Ok(AuthDevice(d))
            }
            None => Err(ApiError::unauthorized("unknown or revoked device token")),
        }
    }
}

/// A user or integration authenticated by an API key or a UI session (not a device, not an
/// enrollment key).
pub struct AuthUser(pub Principal);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, source) = credential(parts)?;
        let p = resolve(state, token, false)
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown, expired or revoked credentials"))?;
        check_csrf(parts, source)?;
        state.limits.check(&p.subject)?;
        Ok(AuthUser(p))
    }
}

/// The request's user (see [`AuthUser`]) when `allowed` holds for them, else 403 `refusal`.
async fn user_who(
    parts: &mut Parts,
    state: &AppState,
    allowed: impl Fn(&Principal) -> bool,
    refusal: &'static str,
) -> Result<Principal, ApiError> {
    let AuthUser(p) = AuthUser::from_request_parts(parts, state).await?;
    if allowed(&p) {
        Ok(p)
    } else {
        Err(ApiError::forbidden(refusal))
    }
}

/// A staff principal (admin or technician).
pub struct AuthStaff(pub Principal);

impl FromRequestParts<AppState> for AuthStaff {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let refusal = "only technicians and admins may do this";
        Ok(AuthStaff(
            user_who(parts, state, Principal::is_staff, refusal).await?,
        ))
    }
}

/// An admin principal.
pub struct AuthAdmin(pub Principal);

impl FromRequestParts<AppState> for AuthAdmin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let is_admin = |p: &Principal| p.role == Role::Admin;
        Ok(AuthAdmin(
            user_who(parts, state, is_admin, "only admins may do this").await?,
        ))
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

/// Middleware for routers contributed by other crates (the job API): resolves the
/// credential — an API key, a UI session or a device token — into a [`Principal`] request
/// extension. It does not reject unknown credentials: those routers answer 401 themselves
/// when no principal is present. CSRF and rate limits apply as on our own routes.
pub async fn insert_principal(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (mut parts, body) = req.into_parts();
    if let Ok((token, source)) = credential(&parts) {
        match resolve(&state, token, true).await {
            Ok(Some(p)) => {
                if let Err(e) =
                    check_csrf(&parts, source).and_then(|_| state.limits.check(&p.subject))
                {
                    return e.into_response_value();
                }
                parts.extensions.insert(p);
            }
            Ok(None) => {}
            // An enrollment key: not a principal of the job API.
            Err(e) if e.code == "forbidden" => {}
            Err(e) => return e.into_response_value(),
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The client's address when the connection is known (always, when served by
/// [`crate::serve_on`]; absent for in-process requests in tests).
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The client's address as far as rate limits and logs are concerned: the connection's peer,
/// or — only when the peer is one of the configured `trusted_proxies` — the right-most
/// address of `X-Forwarded-For` that is not itself a trusted proxy. A header from anyone else
/// is ignored, so a client cannot pick its own rate-limit key.
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> Option<std::net::IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    for v in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(v) = v.to_str() else {
            return Some(client);
        };
        for part in v.split(',').rev() {
            let part = part.trim();
            // `[v6]:port` and `v4:port` spellings are accepted too.
            let ip = part
                .parse::<std::net::IpAddr>()
                .ok()
                .or_else(|| part.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()));
            let Some(ip) = ip.map(|i| i.to_canonical()) else {
                return Some(client);
            };
            client = ip;
            if !is_trusted(&ip) {
                return Some(ip);
            }
        }
    }
    Some(client)
}

/// [`client_ip`] as an extractor, with the server's `trusted_proxies`.
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<crate::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod client_ip_tests {
    use super::client_ip;
    use axum::http::HeaderMap;

    fn h(xff: &[&str]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for v in xff {
            m.append("x-forwarded-for", v.parse().unwrap());
        }
        m
    }

    /// `X-Forwarded-For` is honoured only from a configured proxy, and then the
    /// right-most untrusted address is the client (a client-written left part is ignored).
    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = |s: &str| Some(s.parse().unwrap());
        let ip = |s: &str| Some(s.parse::<std::net::IpAddr>().unwrap());
        // Not from a proxy: the header is the client's own claim and is ignored.
        assert_eq!(
            client_ip(peer("192.0.2.7"), &h(&["1.2.3.4"]), &trusted),
            ip("192.0.2.7")
        );
        // Without trusted proxies nothing is believed.
        assert_eq!(
            client_ip(peer("10.0.0.1"), &h(&["1.2.3.4"]), &[]),
            ip("10.0.0.1")
        );
        // From the proxy: the address it appended.
        assert_eq!(
            client_ip(peer("10.0.0.1"), &h(&["1.2.3.4"]), &trusted),
            ip("1.2.3.4")
        );
        // A spoofed left part and a chain of proxies: right-most untrusted wins.
        assert_eq!(
            client_ip(
                peer("10.0.0.1"),
                &h(&["6.6.6.6, 198.51.100.9, 10.1.1.1"]),
                &trusted
            ),
            ip("198.51.100.9")
        );
        assert_eq!(
            client_ip(peer("10.0.0.1"), &h(&["6.6.6.6", "198.51.100.9"]), &trusted),
            ip("198.51.100.9")
        );
        // Garbage stops the walk at the last good hop; IPv6 and ports are understood.
        assert_eq!(
            client_ip(peer("10.0.0.1"), &h(&["nonsense"]), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(peer("10.0.0.1"), &h(&["[2001:db8::1]:4711"]), &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip(peer("::ffff:10.0.0.1"), &h(&["1.2.3.4"]), &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(client_ip(None, &h(&["1.2.3.4"]), &trusted), None);
    }
}
