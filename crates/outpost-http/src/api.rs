//! [`ApiClient`]: the one client of the Outpost API on the agent side. Every endpoint the
//! agent calls — enrollment, hit and event uploads, check-in, intel confirmation
//! (`outpost-agent`), the job long-poll, status reports and result uploads (`outpost-jobs`) —
//! goes through it, so the base URL, the device token, TLS ([`crate::config_builder`]), the
//! timeout and the reading of the server's answers are written once.
//!
//! Answers are mapped to [`ApiError`] in one place: a 2xx body that does not decode is
//! [`ApiError::InvalidResponse`], any other status is [`ApiError::Status`] with the server's
//! JSON error shape (`{"error":{"code":…,"message":…}}`, `outpost_core::api::ErrorBody`)
//! parsed once (`http_error` and the start of the body when it is not that shape), and a
//! request that did not get an answer is [`ApiError::Unreachable`]. Retrying is the caller's
//! policy; [`ApiError::is_transient`] says which failures a retry can cure.

use outpost_core::api::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Longest error body read from an answer.
const MAX_ERROR_BODY: u64 = 4096;
/// Characters of a body that is not the server's error shape kept in the message.
const MAX_ERROR_TEXT: usize = 300;

/// Why a call to the API failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No answer: the server is unreachable, the connection failed or timed out, TLS failed.
    #[error("{0}")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error("{status} {code}: {message}")]
    Status {
        status: u16,
        /// The error body's code (`http_error` when the body is not the server's shape).
        code: String,
        /// Its message (the start of the body when it is not the server's shape).
        message: String,
    },
    /// A success status whose body is not what the endpoint returns.
    #[error("unreadable answer: {0}")]
    InvalidResponse(String),
}

impl ApiError {
    /// Whether a later retry may succeed: no answer, a timeout or throttling status (408,
    /// 429), a server error (5xx), an unreadable answer.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Unreachable(_) | ApiError::InvalidResponse(_) => true,
            ApiError::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
        }
    }

    /// Whether the server refused the credentials (401, 403).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            ApiError::Status {
                status: 401 | 403,
                ..
            }
        )
    }

    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<ureq::Error> for ApiError {
    fn from(e: ureq::Error) -> ApiError {
        ApiError::Unreachable(e.to_string())
    }
}

/// The retry policy of the agent's repeated calls (the job long-poll): after a failure wait
/// [`Backoff::failed`]'s answer — `initial`, doubled after each further failure up to `max` —
/// and start over at `initial` after a success. Calls made on a schedule (check-in, uploads
/// of the spool) retry on their next interval instead.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// How long to wait after this failure.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// A call succeeded: the next failure waits `initial` again.
    pub fn succeeded(&mut self) {
        self.next = self.initial;
    }
}

/// A blocking client of one Outpost server, optionally with a device token.
#[derive(Clone)]
pub struct ApiClient {
    http: ureq::Agent,
    base: String,
    /// Sent with every request (the device token's `Authorization`).
    headers: Vec<(String, String)>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// How an [`ApiClient`] is made.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Bounds each request as a whole (connection, sending, the answer).
    pub timeout: Duration,
    /// The `User-Agent` header (`None`: ureq's own).
    pub user_agent: Option<String>,
}

impl ApiClient {
    /// A client of `server_url` (e.g. `https://outpost.example:8443`; a trailing `/` is
    /// ignored) that identifies as `outpost-agent/<version>`.
    pub fn new(server_url: &str, timeout: Duration) -> ApiClient {
        Self::with_options(
            server_url,
            &ClientOptions {
                timeout,
                user_agent: Some(format!("outpost-agent/{}", outpost_core::version())),
            },
        )
    }

    pub fn with_options(server_url: &str, options: &ClientOptions) -> ApiClient {
        let mut b = crate::config_builder().timeout_global(Some(options.timeout));
        if let Some(ua) = &options.user_agent {
            b = b.user_agent(ua);
        }
        ApiClient {
            http: b.build().into(),
            base: server_url.trim_end_matches('/').to_string(),
            headers: Vec::new(),
        }
    }

    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn with_token(self, token: &str) -> ApiClient {
        self.with_header("Authorization", &format!("Bearer {token}"))
    }

    /// Sends `name: value` with every request.
    pub fn with_header(mut self, name: &str, value: &str) -> ApiClient {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The absolute URL of an API path (`/api/v1/…`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn post(&self, path: &str) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let mut r = self.http.post(self.url(path));
        for (k, v) in &self.headers {
            r = r.header(k, v);
        }
        r
    }

    /// `POST path` with `body` as JSON; the answer decoded as `T`.
    pub fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let resp = self.post(path).send_json(body)?;
        read_json(resp)
    }

    /// `POST path` with an already serialized JSON body (sent as it is).
    pub fn post_json_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        json: &[u8],
    ) -> Result<T, ApiError> {
        let resp = self
            .post(path)
            .header("Content-Type", "application/json")
            .send(json)?;
        read_json(resp)
    }

    /// `GET path?query`: `None` for `204 No Content`, else the answer decoded as `T`.
    pub fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<T>, ApiError> {
        let mut r = self.http.get(self.url(path));
        for (k, v) in &self.headers {
            r = r.header(k, v);
        }
        for (k, v) in query {
            r = r.query(*k, *v);
        }
        let resp = check(r.call()?)?;
        if resp.status().as_u16() == 204 {
            return Ok(None);
        }
        decode(resp).map(Some)
    }

    /// `GET path`: the first `limit` bytes of a success answer's body (a caller that must
    /// refuse a longer body asks for one byte more than it accepts).
    pub fn get_bytes(&self, path: &str, limit: u64) -> Result<Vec<u8>, ApiError> {
        Ok(self
            .get_if_none_match(path, None, limit)?
            .unwrap_or_default())
    }

    /// `GET path` with `If-None-Match: etag` when given: `None` for `304 Not Modified`, else
    /// the first `limit` bytes of the body.
    pub fn get_if_none_match(
        &self,
        path: &str,
        etag: Option<&str>,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, ApiError> {
        let mut r = self.http.get(self.url(path));
        for (k, v) in &self.headers {
            r = r.header(k, v);
        }
        if let Some(e) = etag {
            r = r.header("If-None-Match", e);
        }
        let resp = r.call()?;
        if resp.status().as_u16() == 304 {
            return Ok(None);
        }
        let mut resp = check(resp)?;
        let mut out = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                resp.body_mut().with_config().limit(u64::MAX).reader(),
                limit,
            ),
            &mut out,
        )
        .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        Ok(Some(out))
    }

    /// `PUT path?query` with `body` as `application/octet-stream` (bytes, or a reader such as
    /// a file, streamed); the answer decoded as `T`.
    pub fn put_octets<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: impl ureq::AsSendBody,
    ) -> Result<T, ApiError> {
        let mut r = self.http.put(self.url(path));
        for (k, v) in &self.headers {
            r = r.header(k, v);
        }
        for (k, v) in query {
            r = r.query(*k, *v);
        }
        let resp = r.content_type("application/octet-stream").send(body)?;
        read_json(resp)
    }
}

/// A success answer decoded as `T`, or the error the answer stands for.
fn read_json<T: DeserializeOwned>(resp: ureq::http::Response<ureq::Body>) -> Result<T, ApiError> {
    decode(check(resp)?)
}

fn decode<T: DeserializeOwned>(mut resp: ureq::http::Response<ureq::Body>) -> Result<T, ApiError> {
    resp.body_mut()
        .read_json::<T>()
        .map_err(|e| ApiError::InvalidResponse(e.to_string()))
}

/// The answer when its status is a success, else [`ApiError::Status`] with the server's
/// error body parsed.
fn check(
    mut resp: ureq::http::Response<ureq::Body>,
) -> Result<ureq::http::Response<ureq::Body>, ApiError> {
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_ERROR_BODY)
        .read_to_string()
        .unwrap_or_default();
    Err(status_error(status, &body))
}

/// The error of an answer with `status` and `body` (see [`ApiError::Status`]).
pub fn status_error(status: u16, body: &str) -> ApiError {
    let (code, message) = match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => (e.error.code, e.error.message),
        Err(_) => (
            "http_error".to_string(),
            body.chars().take(MAX_ERROR_TEXT).collect(),
        ),
    };
    ApiError::Status {
        status,
        code,
        message,
    }
}

#[cfg(test)]
mod tests;
