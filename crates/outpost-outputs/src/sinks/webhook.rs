//! Webhook: HTTP POST of a JSON array of documents, signed with HMAC-SHA256.
//!
//! Headers: `Content-Type: application/json`, `X-Outpost-Timestamp: <unix seconds>`,
//! `X-Outpost-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>` (when a secret
//! is configured) and `X-Outpost-Idempotency-Key: <hex SHA-256 of the record ids>` so a receiver
//! can drop a redelivered batch. 2xx = delivered; 408/429/5xx, 401/403/404 and transport errors
//! are retried; any other 4xx dead-letters the batch.

use crate::config::{Format, WebhookConfig};
use crate::error::{OutputError, SinkError};
use crate::sinks::{DeadLetter, Encoded, Sink, send, send_again};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub(crate) struct WebhookSink {
    cfg: WebhookConfig,
    format: Format,
    client: reqwest::Client,
    dead: DeadLetter,
}

/// `sha256=<hex>` signature of `"{timestamp}.{body}"`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl WebhookSink {
    pub(crate) fn new(
        cfg: WebhookConfig,
        format: Format,
        dead: DeadLetter,
    ) -> Result<Self, OutputError> {
        reqwest::Url::parse(&cfg.url)
            .map_err(|e| OutputError::Config(format!("webhook url: {e}")))?;
        let client = crate::sinks::http_client(cfg.timeout_secs)?;
        Ok(WebhookSink {
            cfg,
            format,
            client,
            dead,
        })
    }

    fn body(&self, batch: &[Encoded]) -> Vec<u8> {
        let mut b = Vec::with_capacity(batch.iter().map(|e| e.doc.len() + 4).sum::<usize>() + 2);
        b.push(b'[');
        for (i, e) in batch.iter().enumerate() {
            if i > 0 {
                b.push(b',');
            }
            match self.format {
                Format::Json | Format::Ecs => b.extend_from_slice(&e.doc),
                Format::Rfc5424 => {
                    let s = String::from_utf8_lossy(&e.doc);
                    b.extend_from_slice(
                        serde_json::Value::String(s.into_owned())
                            .to_string()
                            .as_bytes(),
                    );
                }
            }
        }
        b.push(b']');
        b
    }
}

impl Sink for WebhookSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        let body = self.body(batch);
        let ts = chrono::Utc::now().timestamp();
        let mut h = Sha256::new();
        for e in batch {
            h.update(e.record.id.as_bytes());
            h.update(b"\n");
        }
        let mut rb = self
            .client
            .post(&self.cfg.url)
            .header("Content-Type", "application/json")
            .header("X-Outpost-Timestamp", ts.to_string())
            .header("X-Outpost-Idempotency-Key", hex::encode(h.finalize()));
        if let Some(secret) = &self.cfg.secret {
            rb = rb.header(
                "X-Outpost-Signature",
                signature(secret.expose().as_bytes(), ts, &body),
            );
        }
        for (k, v) in &self.cfg.headers {
            rb = rb.header(k, v);
        }
        let resp = send(rb.body(body), "webhook").await?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        if send_again(status) {
            return Err(SinkError::Server(format!("webhook: HTTP {status}")));
        }
        let reason = format!("webhook HTTP {status}");
        let dead: Vec<_> = batch.iter().map(|e| (&e.record, reason.clone())).collect();
        self.dead.write(&dead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_known_hmac() {
        // HMAC-SHA256("key", "1.{}") computed independently with Python's hmac module.
        let s = signature(b"key", 1, b"{}");
        assert_eq!(
            s,
            "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_ne!(s, signature(b"other", 1, b"{}"));
        assert_ne!(s, signature(b"key", 2, b"{}"));
    }
}
