//! Talking to the server, and the on-disk spool of hit batches.
//!
//! A batch is written to `spool/` before the run's read position advances and is deleted only
//! after the server acknowledged it (stored, or recognised as a duplicate). A crash or an
//! unreachable server therefore never loses a hit, and a retry resends the same batch id, which
//! the server stores once. A batch the server rejects as invalid (4xx other than auth and
//! throttling) will never succeed: it moves to `spool/rejected/` and is counted, not deleted.

use crate::state::write_atomic;
use crate::{AgentError, io_err};
use outpost_core::HitPayload;
use outpost_core::api::{EnrollRequest, EnrollResponse, ErrorBody, HitsAccepted};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why an upload did not go through.
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

/// A blocking HTTP client for the Outpost API.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub fn new(server_url: &str, timeout: Duration) -> Client {
        let agent: ureq::Agent = outpost_http::config_builder()
            .timeout_global(Some(timeout))
            .user_agent(format!("outpost-agent/{}", outpost_core::VERSION))
            .build()
            .into();
        Client {
            agent,
            base: server_url.trim_end_matches('/').to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `POST /api/v1/enroll`.
    pub fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, UploadError> {
        let resp = self
            .agent
            .post(self.url("/api/v1/enroll"))
            .send_json(req)
            .map_err(|e| UploadError::Transient(e.to_string()))?;
        read_response(resp)
    }

    /// `POST /api/v1/hits` with an already serialized [`HitPayload`] (a spooled batch is sent
    /// as the bytes that were made durable, without a decode/encode round trip).
    pub fn upload_hits_json(&self, token: &str, json: &[u8]) -> Result<HitsAccepted, UploadError> {
        let resp = self
            .agent
            .post(self.url("/api/v1/hits"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(json)
            .map_err(|e| UploadError::Transient(e.to_string()))?;
        read_response(resp)
    }

    /// `POST /api/v1/events` (full telemetry).
    pub fn upload_events(
        &self,
        token: &str,
        batch: &outpost_core::api::EventBatch,
    ) -> Result<outpost_core::api::EventsAccepted, UploadError> {
        let resp = self
            .agent
            .post(self.url("/api/v1/events"))
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(batch)
            .map_err(|e| UploadError::Transient(e.to_string()))?;
        read_response(resp)
    }

    /// `POST /api/v1/hits`.
    pub fn upload_hits(
        &self,
        token: &str,
        payload: &HitPayload,
    ) -> Result<HitsAccepted, UploadError> {
        let resp = self
            .agent
            .post(self.url("/api/v1/hits"))
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(payload)
            .map_err(|e| UploadError::Transient(e.to_string()))?;
        read_response(resp)
    }
}

fn read_response<T: serde::de::DeserializeOwned>(
    mut resp: ureq::http::Response<ureq::Body>,
) -> Result<T, UploadError> {
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return resp
            .body_mut()
            .read_json::<T>()
            .map_err(|e| UploadError::Transient(format!("unreadable response: {e}")));
    }
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    let (code, message) = match serde_json::from_str::<ErrorBody>(&body) {
        Ok(e) => (e.error.code, e.error.message),
        Err(_) => ("http_error".to_string(), body.chars().take(300).collect()),
    };
    match status {
        401 | 403 => Err(UploadError::Auth {
            status,
            code,
            message,
        }),
        408 | 429 | 500..=599 => Err(UploadError::Transient(format!(
            "{status} {code}: {message}"
        ))),
        _ => Err(UploadError::Rejected {
            status,
            code,
            message,
        }),
    }
}

/// Batches [`Spool::flush`] sends at the same time.
pub const PARALLEL_UPLOADS: usize = 4;

/// What happened to one spooled batch in [`Spool::flush`].
enum Sent {
    Unreadable(String),
    Answer(Result<HitsAccepted, UploadError>),
}

/// The spool directory of unacknowledged batches.
pub struct Spool {
    dir: PathBuf,
}

/// What [`Spool::flush`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FlushReport {
    pub batches_sent: u64,
    pub hits_stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Batches still waiting (server unreachable or credentials refused).
    pub pending: u64,
    pub last_error: Option<String>,
}

impl Spool {
    pub fn open(data_dir: &Path) -> Result<Spool, AgentError> {
        let dir = data_dir.join("spool");
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(Spool { dir })
    }

    /// Durably stores a batch for upload.
    pub fn put(&self, payload: &HitPayload) -> Result<PathBuf, AgentError> {
        let name = format!(
            "{}_{}.json",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
            payload.batch_id
        );
        let path = self.dir.join(name);
        let bytes = serde_json::to_vec(payload).map_err(|e| AgentError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        write_atomic(&path, &bytes, false)?;
        Ok(path)
    }

    /// Durably stores several batches, serialized and written (each with its own fsync) in
    /// parallel; their file names keep the given order. Returns once all are durable.
    pub fn put_all(&self, payloads: &[HitPayload]) -> Result<Vec<PathBuf>, AgentError> {
        let now = chrono::Utc::now();
        let named: Vec<(PathBuf, &HitPayload)> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let t = now + chrono::Duration::microseconds(i as i64);
                let name = format!("{}_{}.json", t.format("%Y%m%dT%H%M%S%.6f"), p.batch_id);
                (self.dir.join(name), p)
            })
            .collect();
        let write = |(path, payload): &(PathBuf, &HitPayload)| -> Result<PathBuf, AgentError> {
            let bytes = serde_json::to_vec(payload).map_err(|e| AgentError::Invalid {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            write_atomic(path, &bytes, false)?;
            Ok(path.clone())
        };
        if named.len() <= 1 {
            return named.iter().map(write).collect();
        }
        std::thread::scope(|sc| {
            let handles: Vec<_> = named.iter().map(|n| sc.spawn(move || write(n))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }

    /// Spooled batch files, oldest first.
    pub fn files(&self) -> Result<Vec<PathBuf>, AgentError> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(io_err(&self.dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        Ok(v)
    }

    /// Drops the oldest batches while the spool is larger than `max_bytes`; returns how many.
    pub fn enforce_cap(&self, max_bytes: u64) -> Result<u64, AgentError> {
        let files = self.files()?;
        let mut sizes: Vec<(PathBuf, u64)> = files
            .into_iter()
            .map(|p| {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                (p, len)
            })
            .collect();
        let mut total: u64 = sizes.iter().map(|(_, l)| l).sum();
        let mut dropped = 0;
        for (p, len) in sizes.drain(..) {
            if total <= max_bytes {
                break;
            }
            tracing::error!(file = %p.display(), "spool full: dropping the oldest unsent hit batch");
            std::fs::remove_file(&p).map_err(io_err(&p))?;
            total -= len;
            dropped += 1;
        }
        Ok(dropped)
    }

    /// Sends every spooled batch, oldest first, up to [`PARALLEL_UPLOADS`] at a time (each
    /// batch is its own request and its own transaction on the server, so their order does not
    /// matter). Stops after the first round with a transient or auth failure (the rest waits
    /// for the next run).
    pub fn flush(&self, client: &Client, token: &str) -> Result<FlushReport, AgentError> {
        let mut r = FlushReport::default();
        let files = self.files()?;
        let total = files.len() as u64;
        let mut done = 0u64;
        for round in files.chunks(PARALLEL_UPLOADS) {
            let send = |path: &PathBuf| -> Result<Sent, AgentError> {
                let bytes = std::fs::read(path).map_err(io_err(path))?;
                // A syntax check only (no allocation); the server validates the content and
                // rejects a batch that is JSON but not a valid payload.
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                    return Ok(Sent::Unreadable(e.to_string()));
                }
                Ok(Sent::Answer(client.upload_hits_json(token, &bytes)))
            };
            let results: Vec<Result<Sent, AgentError>> = if round.len() == 1 {
                round.iter().map(send).collect()
            } else {
                std::thread::scope(|sc| {
                    let handles: Vec<_> = round
                        .iter()
                        .map(|path| sc.spawn(move || send(path)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                        .collect()
                })
            };
            let mut failed = 0u64;
            for (path, res) in round.iter().zip(results) {
                match res? {
                    Sent::Unreadable(e) => {
                        tracing::error!(file = %path.display(), error = %e, "unreadable spooled batch moved aside");
                        self.move_rejected(path)?;
                        r.rejected += 1;
                        done += 1;
                    }
                    Sent::Answer(Ok(acc)) => {
                        r.batches_sent += 1;
                        r.hits_stored += acc.stored;
                        if acc.duplicate {
                            r.duplicates += 1;
                        }
                        std::fs::remove_file(path).map_err(io_err(path))?;
                        done += 1;
                    }
                    Sent::Answer(Err(rejected @ UploadError::Rejected { .. })) => {
                        let e = rejected.to_string();
                        tracing::error!(file = %path.display(), error = %e, "server rejected a hit batch; kept in spool/rejected");
                        self.move_rejected(path)?;
                        r.rejected += 1;
                        r.last_error = Some(e);
                        done += 1;
                    }
                    Sent::Answer(Err(e)) => {
                        failed += 1;
                        r.last_error = Some(e.to_string());
                    }
                }
            }
            if failed > 0 {
                r.pending = total - done;
                break;
            }
        }
        Ok(r)
    }

    fn move_rejected(&self, path: &Path) -> Result<(), AgentError> {
        let dir = self.dir.join("rejected");
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let target = dir.join(path.file_name().unwrap_or_default());
        std::fs::rename(path, &target).map_err(io_err(path))
    }
}
