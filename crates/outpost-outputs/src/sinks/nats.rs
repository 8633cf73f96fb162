//! NATS: core publish (delivery confirmed with a flush round trip) or JetStream publish with
//! acks. JetStream messages carry `Nats-Msg-Id: <record id>` so the server drops duplicates of
//! a redelivered batch within the stream's duplicate window.

use crate::config::NatsConfig;
use crate::error::{OutputError, SinkError};
use crate::sinks::{Encoded, Sink};
use async_nats::jetstream;
use std::time::Duration;

pub(crate) struct NatsSink {
    cfg: NatsConfig,
    client: Option<async_nats::Client>,
    js: Option<jetstream::Context>,
    timeout: Duration,
}

impl NatsSink {
    pub(crate) fn new(cfg: NatsConfig) -> Result<Self, OutputError> {
        if cfg.subject.is_empty() {
            return Err(OutputError::Config("nats subject is empty".into()));
        }
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        Ok(NatsSink {
            cfg,
            client: None,
            js: None,
            timeout,
        })
    }

    fn stream_subjects(&self) -> Vec<String> {
        if !self.cfg.stream_subjects.is_empty() {
            return self.cfg.stream_subjects.clone();
        }
        let mut s = String::new();
        let mut in_ph = false;
        for c in self.cfg.subject.chars() {
            match c {
                '{' => {
                    in_ph = true;
                    s.push('*');
                }
                '}' => in_ph = false,
                _ if in_ph => {}
                _ => s.push(c),
            }
        }
        vec![s]
    }

    async fn connect(&mut self) -> Result<(), SinkError> {
        if self.client.is_some() {
            return Ok(());
        }
        let opts = match &self.cfg.token {
            Some(t) => async_nats::ConnectOptions::with_token(t.expose().to_string()),
            None => async_nats::ConnectOptions::new(),
        }
        .connection_timeout(self.timeout)
        .request_timeout(Some(self.timeout));
        let client = tokio::time::timeout(self.timeout, opts.connect(self.cfg.url.as_str()))
            .await
            .map_err(|_| SinkError::Transport("nats connect timed out".into()))?
            .map_err(|e| SinkError::Transport(format!("nats connect: {e}")))?;
        if self.cfg.jetstream {
            let js = jetstream::new(client.clone());
            if let Some(name) = &self.cfg.stream {
                let cfg = jetstream::stream::Config {
                    name: name.clone(),
                    subjects: self.stream_subjects(),
                    ..Default::default()
                };
                tokio::time::timeout(self.timeout, js.get_or_create_stream(cfg))
                    .await
                    .map_err(|_| SinkError::Transport("jetstream stream lookup timed out".into()))?
                    .map_err(|e| SinkError::Server(format!("jetstream stream {name}: {e}")))?;
            }
            self.js = Some(js);
        }
        self.client = Some(client);
        Ok(())
    }

    async fn publish(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        self.connect().await?;
        if let Some(js) = &self.js {
            let mut acks = Vec::with_capacity(batch.len());
            for e in batch {
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", e.record.id.as_str());
                let subject = crate::sinks::expand(&self.cfg.subject, &e.record);
                let ack = js
                    .publish_with_headers(subject, headers, e.doc.clone().into())
                    .await
                    .map_err(|e| SinkError::Transport(format!("jetstream publish: {e}")))?;
                acks.push(ack);
            }
            for ack in acks {
                tokio::time::timeout(self.timeout, ack)
                    .await
                    .map_err(|_| SinkError::Transport("jetstream ack timed out".into()))?
                    .map_err(|e| SinkError::Server(format!("jetstream ack: {e}")))?;
            }
            return Ok(());
        }
        let Some(client) = &self.client else {
            return Err(SinkError::Transport("nats not connected".into()));
        };
        for e in batch {
            let subject = crate::sinks::expand(&self.cfg.subject, &e.record);
            client
                .publish(subject, e.doc.clone().into())
                .await
                .map_err(|e| SinkError::Transport(format!("nats publish: {e}")))?;
        }
        tokio::time::timeout(self.timeout, client.flush())
            .await
            .map_err(|_| SinkError::Transport("nats flush timed out".into()))?
            .map_err(|e| SinkError::Transport(format!("nats flush: {e}")))
    }
}

impl Sink for NatsSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        // On failure the client keeps reconnecting in the background; the batch is retried.
        self.publish(batch).await
    }

    async fn close(&mut self) {
        if let Some(c) = &self.client {
            let _ = tokio::time::timeout(self.timeout, c.flush()).await;
        }
    }
}
