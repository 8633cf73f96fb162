//! The agent's calls of the Outpost API: every endpoint it uses, through one
//! [`outpost_http::ApiClient`] (base URL, device token, TLS, timeout, and one error type,
//! [`ApiError`], that reads the server's error body once). The job runner's calls go through
//! the same client (`outpost_jobs::AgentClient`). Retrying is each caller's policy: the spool
//! keeps a batch until it is acknowledged, check-ins and confirmations are asked again on the
//! next interval or run.

use outpost_core::HitPayload;
use outpost_core::api::{
    CheckinRequest, CheckinResponse, EnrollRequest, EnrollResponse, EventBatch, EventsAccepted,
    HitsAccepted,
};
pub use outpost_http::{ApiClient, ApiError};
use outpost_intel::distribute::{ConfirmRequest, ConfirmResponse};
use std::time::Duration;

/// Why an upload did not go through (an [`ApiError`] as the spool acts on it).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Network or server trouble; retry later.
    #[error("server unreachable or failing: {0}")]
    Transient(String),
    /// The server refused our credentials; retrying will not help until re-enrollment.
    #[error("server refused the device credentials ({status} {code}): {message}")]
    Auth {
        status: u16,
        code: String,
        message: String,
    },
    /// The server refused the batch itself.
    #[error("server rejected the batch ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
}

impl From<ApiError> for UploadError {
    fn from(e: ApiError) -> UploadError {
        let transient = e.is_transient();
        let auth = e.is_auth();
        match e {
            ApiError::Status {
                status,
                code,
                message,
            } if !transient => {
                if auth {
                    UploadError::Auth {
                        status,
                        code,
                        message,
                    }
                } else {
                    UploadError::Rejected {
                        status,
                        code,
                        message,
                    }
                }
            }
            e => UploadError::Transient(e.to_string()),
        }
    }
}

/// The agent's client of one server. Clones share one connection pool and one TLS context:
/// the daemon makes one when its pipeline starts and hands clones to the check-in thread and
/// the correlation passes (check-ins, bundle fetches, confirmations, uploads), so a call every
/// minute reuses a kept-alive connection instead of building a client, a TLS context and a
/// connection each time.
#[derive(Clone, Debug)]
pub struct Client {
    api: ApiClient,
}

impl Client {
    pub fn new(server_url: &str, timeout: Duration) -> Client {
        Client {
            api: ApiClient::new(server_url, timeout),
        }
    }

    /// The absolute URL of an API path.
    pub fn url(&self, path: &str) -> String {
        self.api.url(path)
    }

    /// The client with the device token's `Authorization` (a clone: same pool).
    pub fn device(&self, token: &str) -> ApiClient {
        self.api.clone().with_token(token)
    }

    /// `POST /api/v1/enroll`.
    pub fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, UploadError> {
        Ok(self.api.post_json("/api/v1/enroll", req)?)
    }

    /// `POST /api/v1/hits` with an already serialized [`HitPayload`] (a spooled batch is sent
    /// as the bytes that were made durable, without a decode/encode round trip).
    pub fn upload_hits_json(&self, token: &str, json: &[u8]) -> Result<HitsAccepted, UploadError> {
        Ok(self.device(token).post_json_bytes("/api/v1/hits", json)?)
    }

    /// `POST /api/v1/events` (full telemetry).
    pub fn upload_events(
        &self,
        token: &str,
        batch: &EventBatch,
    ) -> Result<EventsAccepted, UploadError> {
        Ok(self.device(token).post_json("/api/v1/events", batch)?)
    }

    /// `POST /api/v1/hits`.
    pub fn upload_hits(
        &self,
        token: &str,
        payload: &HitPayload,
    ) -> Result<HitsAccepted, UploadError> {
        Ok(self.device(token).post_json("/api/v1/hits", payload)?)
    }

    /// `POST /api/v1/checkin`.
    pub fn checkin(&self, token: &str, req: &CheckinRequest) -> Result<CheckinResponse, ApiError> {
        self.device(token).post_json("/api/v1/checkin", req)
    }

    /// `POST /api/v1/intel/confirm`.
    pub fn confirm(&self, token: &str, req: &ConfirmRequest) -> Result<ConfirmResponse, ApiError> {
        self.device(token).post_json("/api/v1/intel/confirm", req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> ApiError {
        outpost_http::status_error(status, r#"{"error":{"code":"c","message":"m"}}"#)
    }

    /// The spool's three outcomes from the one API error: credentials refused (kept, not
    /// split), the batch refused (split), anything a retry can cure (kept, sent again).
    #[test]
    fn api_errors_map_to_the_spools_outcomes() {
        for s in [401, 403] {
            assert!(
                matches!(UploadError::from(status(s)), UploadError::Auth { status, .. } if status == s)
            );
        }
        for s in [400, 404, 409, 413, 422] {
            assert!(
                matches!(UploadError::from(status(s)), UploadError::Rejected { status, .. } if status == s)
            );
        }
        for s in [408, 429, 500, 502, 503] {
            match UploadError::from(status(s)) {
                UploadError::Transient(m) => assert_eq!(m, format!("{s} c: m")),
                other => panic!("{s}: {other:?}"),
            }
        }
        assert!(matches!(
            UploadError::from(ApiError::Unreachable("connection refused".into())),
            UploadError::Transient(m) if m == "connection refused"
        ));
        assert!(matches!(
            UploadError::from(ApiError::InvalidResponse("eof".into())),
            UploadError::Transient(_)
        ));
    }
}
