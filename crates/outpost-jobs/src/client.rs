//! The agent's small blocking client for `/api/v1/agent/jobs…`, and a helper that runs one
//! claimed job end to end.

use std::time::Duration;

use crate::exec::{ExecContext, JobError, execute};
use crate::model::{ClaimedJob, Job, JobStatus, StatusReport};

/// Client errors.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Transport failure.
    #[error("HTTP request failed: {0}")]
    Http(#[from] ureq::Error),
    /// The server answered with an error.
    #[error("server answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Its error body (truncated).
        body: String,
    },
}

/// A blocking client bound to one server and one device token.
#[derive(Clone)]
pub struct AgentClient {
    base: String,
    auth: String,
    http: ureq::Agent,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn check(
    mut resp: ureq::http::Response<ureq::Body>,
) -> Result<ureq::http::Response<ureq::Body>, ClientError> {
    let status = resp.status().as_u16();
    if status >= 400 {
        let body = resp
            .body_mut()
            .with_config()
            .limit(4096)
            .read_to_string()
            .unwrap_or_default();
        return Err(ClientError::Status { status, body });
    }
    Ok(resp)
}

impl AgentClient {
    /// A client for `server_url` (e.g. `http://127.0.0.1:8080`) sending
    /// `Authorization: Bearer <token>`. `request_timeout` bounds uploads and reports; long
    /// polls get their wait time on top.
    pub fn new(server_url: &str, token: &str, request_timeout: Duration) -> Self {
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(request_timeout + Duration::from_secs(65)))
            .build()
            .into();
        AgentClient {
            base: server_url.trim_end_matches('/').to_string(),
            auth: format!("Bearer {token}"),
            http,
        }
    }

    /// Long-polls for the next job (`wait` ≤ the server's maximum). `None` when none came.
    pub fn next_job(&self, wait: Duration) -> Result<Option<ClaimedJob>, ClientError> {
        let resp = self
            .http
            .get(format!("{}/api/v1/agent/jobs/next", self.base))
            .header("Authorization", &self.auth)
            .query("wait", wait.as_secs().to_string())
            .call()?;
        let mut resp = check(resp)?;
        if resp.status().as_u16() == 204 {
            return Ok(None);
        }
        Ok(Some(resp.body_mut().read_json::<ClaimedJob>()?))
    }

    /// Reports a status (`running` renews the lease).
    pub fn report(&self, id: i64, report: &StatusReport) -> Result<Job, ClientError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/agent/jobs/{id}", self.base))
            .header("Authorization", &self.auth)
            .send_json(report)?;
        Ok(check(resp)?.body_mut().read_json::<Job>()?)
    }

    /// Uploads the result bytes (before reporting `completed`).
    pub fn upload(
        &self,
        id: i64,
        lease_id: &str,
        ext: &str,
        data: &[u8],
    ) -> Result<Job, ClientError> {
        let resp = self
            .http
            .put(format!("{}/api/v1/agent/jobs/{id}/result", self.base))
            .header("Authorization", &self.auth)
            .query("lease_id", lease_id)
            .query("ext", ext)
            .content_type("application/octet-stream")
            .send(data)?;
        Ok(check(resp)?.body_mut().read_json::<Job>()?)
    }

    /// Claims one job (waiting up to `wait`), runs it with [`execute`] and reports the
    /// outcome. Returns the job as the server last saw it, or `None` when no job came.
    pub fn run_once(&self, wait: Duration, ctx: &ExecContext) -> Result<Option<Job>, ClientError> {
        let Some(claimed) = self.next_job(wait)? else {
            return Ok(None);
        };
        let id = claimed.job.id;
        let lease = claimed.lease_id.clone();
        self.report(
            id,
            &StatusReport {
                lease_id: lease.clone(),
                status: JobStatus::Running,
                failure: None,
                permanent: false,
            },
        )?;
        let done = match execute(&claimed.job, ctx) {
            Ok(out) => {
                self.upload(id, &lease, &out.file_extension, &out.data)?;
                self.report(
                    id,
                    &StatusReport {
                        lease_id: lease,
                        status: JobStatus::Completed,
                        failure: None,
                        permanent: false,
                    },
                )?
            }
            Err(e) => self.report(id, &failure_report(&lease, &e))?,
        };
        Ok(Some(done))
    }
}

fn failure_report(lease: &str, e: &JobError) -> StatusReport {
    StatusReport {
        lease_id: lease.to_string(),
        status: JobStatus::Failed,
        failure: Some(e.to_string()),
        permanent: e.is_permanent(),
    }
}
