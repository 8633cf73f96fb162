//! The sinks: one per output type, all driven by the same delivery worker
//! ([`crate::manager`]). A sink's `send` either delivers the whole batch (records the target
//! rejects for good are dead-lettered by the sink and count as delivered) or fails, in which
//! case the worker retries the same batch after a backoff.

pub(crate) mod elasticsearch;
pub(crate) mod file;
pub(crate) mod kafka;
pub(crate) mod nats;
pub(crate) mod redis;
pub(crate) mod stream;
pub(crate) mod syslog;
pub(crate) mod webhook;

use crate::error::SinkError;
use crate::record::OutputRecord;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One queued record, decoded and formatted for the output.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    /// The record.
    pub record: OutputRecord,
    /// The formatted document (no framing).
    pub doc: Vec<u8>,
}

/// The delivery interface every sink implements.
pub(crate) trait Sink: Send + 'static {
    /// Delivers a non-empty batch. `Ok` means every record was delivered or dead-lettered.
    fn send<'a>(
        &'a mut self,
        batch: &'a [Encoded],
    ) -> impl Future<Output = Result<(), SinkError>> + Send + 'a;

    /// Flushes and closes connections at shutdown.
    fn close(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Appends rejected records to a JSON-lines dead-letter file.
#[derive(Debug, Clone)]
pub(crate) struct DeadLetter {
    path: PathBuf,
    output: String,
    metrics: crate::metrics::OutputMetrics,
}

impl DeadLetter {
    pub(crate) fn new(path: PathBuf, output: &str, metrics: crate::metrics::OutputMetrics) -> Self {
        DeadLetter {
            path,
            output: output.to_string(),
            metrics,
        }
    }

    /// Writes one line per record: `{"time", "output", "reason", "record"}`.
    pub(crate) fn write(&self, records: &[(&OutputRecord, String)]) -> Result<(), SinkError> {
        if records.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut buf = Vec::new();
        for (r, reason) in records {
            let line = serde_json::json!({
                "time": chrono::Utc::now().to_rfc3339(),
                "output": self.output,
                "reason": reason,
                "record": r,
            });
            buf.extend_from_slice(line.to_string().as_bytes());
            buf.push(b'\n');
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(&buf)?;
        f.sync_data()?;
        self.metrics.dead_lettered.inc_by(records.len() as u64);
        tracing::warn!(
            output = %self.output,
            count = records.len(),
            file = %self.path.display(),
            "records rejected by the target were dead-lettered"
        );
        Ok(())
    }
}

/// Builds a rustls client configuration (aws-lc-rs provider, the one reqwest uses) trusting
/// the CAs in `ca_file` or the Mozilla roots.
pub(crate) fn tls_client_config(
    ca_file: Option<&Path>,
) -> Result<Arc<tokio_rustls::rustls::ClientConfig>, crate::error::OutputError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
                crate::error::OutputError::Config(format!("CA file {}: {e}", path.display()))
            })?;
            for c in certs {
                let c = c.map_err(|e| {
                    crate::error::OutputError::Config(format!("CA file {}: {e}", path.display()))
                })?;
                roots.add(c).map_err(|e| {
                    crate::error::OutputError::Config(format!("CA file {}: {e}", path.display()))
                })?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::error::OutputError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Reconnects are rare; a full handshake each time avoids resumption corner cases.
    cfg.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(cfg))
}

/// Exponential backoff with ±25 % jitter.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial_ms: u64,
    max_ms: u64,
    attempt: u32,
    seed: u64,
}

impl Backoff {
    pub(crate) fn new(cfg: &crate::config::RetryConfig) -> Self {
        let seed = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(1) as u64 | 1;
        Backoff {
            initial_ms: cfg.initial_backoff_ms.max(1),
            max_ms: cfg.max_backoff_ms.max(cfg.initial_backoff_ms.max(1)),
            attempt: 0,
            seed,
        }
    }

    /// The next delay.
    pub(crate) fn next_delay(&mut self) -> std::time::Duration {
        let exp = self
            .initial_ms
            .saturating_mul(1u64 << self.attempt.min(20))
            .min(self.max_ms);
        self.attempt = self.attempt.saturating_add(1);
        // xorshift64 for jitter
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let quarter = exp / 4;
        let jitter = if quarter == 0 {
            0
        } else {
            self.seed % (2 * quarter + 1)
        };
        std::time::Duration::from_millis(exp - quarter + jitter)
    }

    /// Back to the initial delay.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Splits `host:port` into the host part (for TLS server names).
pub(crate) fn host_of(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[')
        && let Some(end) = rest.find(']')
    {
        return &rest[..end];
    }
    address.rsplit_once(':').map(|(h, _)| h).unwrap_or(address)
}

/// Builds a reqwest client with a timeout.
pub(crate) fn http_client(timeout_secs: u64) -> Result<reqwest::Client, crate::error::OutputError> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(timeout_secs.max(1)))
        .connect_timeout(std::time::Duration::from_secs(timeout_secs.clamp(1, 10)))
        .build()
        .map_err(|e| crate::error::OutputError::Config(format!("HTTP client: {e}")))
}

/// Whether an HTTP status should be retried (429 and 5xx, plus 408).
pub(crate) fn retryable_status(s: u16) -> bool {
    s == 408 || s == 429 || s >= 500
}

/// Whether a batch the target answered with `status` is kept to be sent again: a status to
/// retry, or a refusal a configuration change may lift (401, 403, 404), rather than one of
/// the records themselves.
pub(crate) fn send_again(status: u16) -> bool {
    retryable_status(status) || matches!(status, 401 | 403 | 404)
}

/// Sends the request `rb` of a sink; a failure to send is a transport error naming `what`.
pub(crate) async fn send(
    rb: reqwest::RequestBuilder,
    what: &str,
) -> Result<reqwest::Response, SinkError> {
    rb.send()
        .await
        .map_err(|e| SinkError::Transport(format!("{what}: {e}")))
}

/// Replaces `{tenant_id}`, `{kind}` and `{device_id}` in a template.
pub(crate) fn expand(template: &str, r: &OutputRecord) -> String {
    if !template.contains('{') {
        return template.to_string();
    }
    template
        .replace("{tenant_id}", &r.tenant_id)
        .replace("{kind}", r.kind.as_str())
        .replace("{device_id}", r.device_id.as_deref().unwrap_or("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let mut b = Backoff::new(&crate::config::RetryConfig {
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
        });
        let d0 = b.next_delay().as_millis();
        assert!((75..=125).contains(&d0), "{d0}");
        for _ in 0..10 {
            let d = b.next_delay().as_millis();
            assert!(d <= 1250, "{d}");
        }
        b.reset();
        assert!(b.next_delay().as_millis() <= 125);
    }

    #[test]
    fn host_parsing() {
        assert_eq!(host_of("example.com:514"), "example.com");
        assert_eq!(host_of("[::1]:514"), "::1");
    }
}
