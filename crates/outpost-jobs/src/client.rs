//! The agent's small blocking client for `/api/v1/agent/jobs…`, and a helper that runs one
//! claimed job end to end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::exec::{ExecContext, JobError, JobOutput, ResultData, execute};
use crate::model::{ClaimedJob, Job, JobStatus, StatusReport};

/// Client errors: the agent's one API error (`outpost_http::ApiError`: no answer, an error
/// status with the server's error body parsed, an unreadable answer).
pub type ClientError = outpost_http::ApiError;

/// A blocking client bound to one server and one device token (its `Debug` shows no token:
/// `ApiClient`'s redacts it).
#[derive(Clone, Debug)]
pub struct AgentClient {
    api: outpost_http::ApiClient,
    time_limit: Duration,
}

/// Executor threads given up on because they overran their job's time limit (they keep
/// running detached until their blocking call returns).
static ABANDONED: AtomicU64 = AtomicU64::new(0);

/// How many executor threads were abandoned at their time limit since the process started.
pub fn abandoned_executors() -> u64 {
    ABANDONED.load(Ordering::Relaxed)
}

/// How long past the time limit an executor gets to notice it (its own checks) before the
/// client gives up on it: a tenth of the limit, between 100 ms and 5 s.
fn overrun_grace(limit: Duration) -> Duration {
    (limit / 10).clamp(Duration::from_millis(100), Duration::from_secs(5))
}

impl AgentClient {
    /// A client for `server_url` (e.g. `http://127.0.0.1:8080`) sending
    /// `Authorization: Bearer <token>`. `request_timeout` bounds uploads and reports; long
    /// polls get their wait time on top.
    pub fn new(server_url: &str, token: &str, request_timeout: Duration) -> Self {
        let options = outpost_http::ClientOptions {
            timeout: request_timeout + Duration::from_secs(65),
            user_agent: None,
        };
        AgentClient {
            api: outpost_http::ApiClient::with_options(server_url, &options).with_token(token),
            time_limit: crate::exec::DEFAULT_TIME_LIMIT,
        }
    }

    /// Sets the time limit of every job this client runs (see [`AgentClient::run_once_with`]).
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// Long-polls for the next job (`wait` ≤ the server's maximum). `None` when none came.
    pub fn next_job(&self, wait: Duration) -> Result<Option<ClaimedJob>, ClientError> {
        let wait = wait.as_secs().to_string();
        self.api
            .get_json("/api/v1/agent/jobs/next", &[("wait", wait.as_str())])
    }

    /// Reports a status (`running` renews the lease).
    pub fn report(&self, id: i64, report: &StatusReport) -> Result<Job, ClientError> {
        self.api
            .post_json(&format!("/api/v1/agent/jobs/{id}"), report)
    }

    /// Uploads the result bytes (before reporting `completed`).
    pub fn upload(
        &self,
        id: i64,
        lease_id: &str,
        ext: &str,
        data: &[u8],
    ) -> Result<Job, ClientError> {
        self.api.put_octets(
            &format!("/api/v1/agent/jobs/{id}/result"),
            &[("lease_id", lease_id), ("ext", ext)],
            data,
        )
    }

    /// Uploads a result from memory or streamed from its temporary file.
    pub fn upload_result(
        &self,
        id: i64,
        lease_id: &str,
        ext: &str,
        data: &mut ResultData,
    ) -> Result<Job, ClientError> {
        match data {
            ResultData::Bytes(b) => self.upload(id, lease_id, ext, b),
            ResultData::File { file, .. } => {
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(0)).map_err(|e| {
                    ClientError::Unreachable(format!("cannot read the result: {e}"))
                })?;
                self.api.put_octets(
                    &format!("/api/v1/agent/jobs/{id}/result"),
                    &[("lease_id", lease_id), ("ext", ext)],
                    &*file,
                )
            }
        }
    }

    /// Claims one job (waiting up to `wait`), runs it with [`execute`] and reports the
    /// outcome, renewing the lease while it runs. Returns the job as the server last saw it,
    /// or `None` when no job came.
    pub fn run_once(&self, wait: Duration, ctx: &ExecContext) -> Result<Option<Job>, ClientError> {
        let ctx = ExecContext {
            time_limit: self.time_limit,
            ..ctx.clone()
        };
        self.run_once_with(wait, move |job| execute(job, &ctx))
    }

    /// [`AgentClient::run_once`] with another executor (for instance one that also records
    /// what it ran).
    ///
    /// `exec` runs on its own thread while this one renews the lease (reporting `running`
    /// again) every third of the lease duration the server granted, so a long capture
    /// extraction or hash is not handed to another agent while it is still running; the
    /// renewals stop as soon as `exec` returns.
    ///
    /// Every job has a time limit ([`AgentClient::with_time_limit`]): the executors stop by
    /// themselves when it passes; one that has not returned a few seconds later (stuck in a
    /// system call) is abandoned — its thread is left to finish on its own, counted in
    /// [`abandoned_executors`] — and the job is reported failed, so the runner goes on with
    /// the next job.
    ///
    /// A result the server refuses as too large (413) fails the job at once (permanently),
    /// instead of leaving it to wait for its lease to run out.
    pub fn run_once_with<F>(&self, wait: Duration, exec: F) -> Result<Option<Job>, ClientError>
    where
        F: FnOnce(&Job) -> Result<JobOutput, JobError> + Send + 'static,
    {
        let Some(claimed) = self.next_job(wait)? else {
            return Ok(None);
        };
        let id = claimed.job.id;
        let lease = claimed.lease_id.clone();
        let running = StatusReport::new(lease.clone(), JobStatus::Running);
        let started = self.report(id, &running)?;
        // The lease length as the server counts it (both times are the server's clock).
        let granted = started
            .lease_expires_at
            .unwrap_or(claimed.lease_expires_at)
            .signed_duration_since(started.updated_at)
            .to_std()
            .unwrap_or(Duration::from_secs(30));
        let every = renew_interval(granted);
        let limit = self.time_limit;
        let hard_stop = Instant::now() + limit + overrun_grace(limit);
        let (tx, rx) = std::sync::mpsc::channel();
        let job = claimed.job.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("outpost-job-{id}"))
            .spawn(move || {
                let _ = tx.send(exec(&job));
            });
        let result = match spawned {
            Err(e) => Err(JobError::Io {
                context: "cannot start the job's thread".into(),
                source: e,
            }),
            Ok(_detached) => loop {
                let now = Instant::now();
                if now >= hard_stop {
                    ABANDONED.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(
                        job = id,
                        limit_s = limit.as_secs(),
                        "job overran its time limit; its executor is abandoned"
                    );
                    break Err(JobError::TimedOut(limit));
                }
                match rx.recv_timeout(every.min(hard_stop - now)) {
                    Ok(r) => break r,
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        break Err(JobError::Io {
                            context: "the job's executor ended without a result".into(),
                            source: std::io::Error::other("executor panicked"),
                        });
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if Instant::now() >= hard_stop {
                            continue;
                        }
                        match self.report(id, &running) {
                            Ok(_) => tracing::debug!(job = id, "lease renewed"),
                            Err(ClientError::Status { status: 409, .. }) => {
                                tracing::warn!(job = id, "lease lost while the job runs");
                            }
                            Err(e) => {
                                tracing::warn!(job = id, error = %e, "cannot renew the lease")
                            }
                        }
                    }
                }
            },
        };
        let done = match result {
            Ok(mut out) => {
                match self.upload_result(id, &lease, &out.file_extension, &mut out.data) {
                    Ok(_) => {}
                    Err(ClientError::Status {
                        status: 413,
                        message,
                        ..
                    }) => {
                        let e = JobError::TooLarge(format!(
                            "the server refused the {} byte result: {message}",
                            out.data.len(),
                        ));
                        // The server fails such a job itself; then the lease is gone.
                        return match self.report(id, &failure_report(&lease, &e)) {
                            Ok(j) => Ok(Some(j)),
                            Err(ClientError::Status { status: 409, .. }) => {
                                let mut j = claimed.job.clone();
                                j.status = JobStatus::Failed;
                                j.failure = Some(e.to_string());
                                Ok(Some(j))
                            }
                            Err(e) => Err(e),
                        };
                    }
                    Err(e) => return Err(e),
                }
                self.report(id, &StatusReport::new(lease, JobStatus::Completed))?
            }
            Err(e) => self.report(id, &failure_report(&lease, &e))?,
        };
        Ok(Some(done))
    }
}

/// How often to renew a lease of length `lease`: a third of it, at least 50 ms, at most
/// 10 minutes.
pub fn renew_interval(lease: Duration) -> Duration {
    (lease / 3).clamp(Duration::from_millis(50), Duration::from_secs(600))
}

fn failure_report(lease: &str, e: &JobError) -> StatusReport {
    StatusReport {
        lease_id: lease.to_string(),
        status: JobStatus::Failed,
        failure: Some(e.to_string()),
        permanent: e.is_permanent(),
    }
}
