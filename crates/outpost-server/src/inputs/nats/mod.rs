//! NATS source of `[[inputs]]`, with the client the NATS output uses (async-nats).
//!
//! * `jetstream = true`: a durable pull consumer (`durable`, default the input's name) on
//!   `stream` (created capturing `subject` when missing), filtered to `subject`, with
//!   explicit acks. A fetched batch is acked message by message only after it was scored,
//!   stored and queued (see [`super`]); what was not acked when the server stopped is
//!   delivered again after `ack_wait_secs`. Alerts of a redelivered record are stored once
//!   (their key is the stream sequence).
//! * otherwise a core subscription to `subject` (optionally in `queue_group`, to share the
//!   subject among replicas): no acknowledgements, so at most once — what is published
//!   while the server is down or disconnected is lost. Use JetStream for at least once.

use super::{Processor, RawRecord, back_off};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// `type = "nats"`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatsInputConfig {
    /// Server URL(s), comma separated (`nats://127.0.0.1:4222`).
    pub url: String,
    /// Subject to read (wildcards allowed).
    pub subject: String,
    /// Read through a JetStream durable consumer (at least once) instead of a core
    /// subscription (at most once).
    #[serde(default)]
    pub jetstream: bool,
    /// With `jetstream`: the stream (created capturing `subject` when missing).
    #[serde(default)]
    pub stream: Option<String>,
    /// With `jetstream`: the durable consumer's name (default: the input's name).
    #[serde(default)]
    pub durable: Option<String>,
    /// With `jetstream`: how long a delivered, unacknowledged message waits before it is
    /// delivered again.
    #[serde(default = "default_ack_wait")]
    pub ack_wait_secs: u64,
    /// Core subscription: a queue group (replicas in one group share the messages).
    #[serde(default)]
    pub queue_group: Option<String>,
    /// Credentials: user token.
    #[serde(default)]
    pub token: Option<outpost_outputs::config::Secret>,
}

fn default_ack_wait() -> u64 {
    60
}

/// Runs the input until `stop` turns true, reconnecting on errors.
pub async fn run(cfg: NatsInputConfig, p: Arc<Processor>, mut stop: watch::Receiver<bool>) {
    let mut failures = 0u32;
    loop {
        if *stop.borrow() {
            return;
        }
        let r = if cfg.jetstream {
            jetstream(&cfg, &p, &mut stop).await
        } else {
            core(&cfg, &p, &mut stop).await
        };
        match r {
            Ok(()) => return,
            Err(e) => {
                let what = "nats input failed; reconnecting";
                if !back_off(p.name(), what, &e, &mut failures, &mut stop).await {
                    return;
                }
            }
        }
    }
}

async fn connect(cfg: &NatsInputConfig) -> Result<async_nats::Client, String> {
    let opts = match &cfg.token {
        Some(t) => async_nats::ConnectOptions::with_token(t.expose().to_string()),
        None => async_nats::ConnectOptions::new(),
    }
    .connection_timeout(Duration::from_secs(10));
    tokio::time::timeout(Duration::from_secs(15), opts.connect(cfg.url.as_str()))
        .await
        .map_err(|_| "nats connect timed out".to_string())?
        .map_err(|e| format!("nats connect: {e}"))
}

fn from_nanos(n: i128) -> DateTime<Utc> {
    i64::try_from(n)
        .map(DateTime::from_timestamp_nanos)
        .unwrap_or_else(|_| Utc::now())
}

async fn jetstream(
    cfg: &NatsInputConfig,
    p: &Arc<Processor>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    use async_nats::jetstream::{self, consumer};
    let client = connect(cfg).await?;
    let js = jetstream::new(client);
    let stream_name = cfg
        .stream
        .clone()
        .ok_or("jetstream needs `stream`".to_string())?;
    let stream = js
        .get_or_create_stream(jetstream::stream::Config {
            name: stream_name.clone(),
            subjects: vec![cfg.subject.clone()],
            ..Default::default()
        })
        .await
        .map_err(|e| format!("stream {stream_name}: {e}"))?;
    let durable = cfg.durable.clone().unwrap_or_else(|| p.name().to_string());
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            &durable,
            consumer::pull::Config {
                durable_name: Some(durable.clone()),
                filter_subject: cfg.subject.clone(),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(cfg.ack_wait_secs.max(1)),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("consumer {durable}: {e}"))?;
    tracing::info!(input = %p.name(), stream = %stream_name, durable = %durable, "nats jetstream input started");
    let key = format!("js:{stream_name}");
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let mut batch = consumer
            .fetch()
            .max_messages(p.batch_size())
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .map_err(|e| format!("fetch: {e}"))?;
        let mut msgs = Vec::new();
        let mut records = Vec::new();
        while let Some(m) = batch.next().await {
            let m = m.map_err(|e| format!("fetch: {e}"))?;
            let (seq, ts) = match m.info() {
                Ok(i) => (
                    i64::try_from(i.stream_sequence).unwrap_or(i64::MAX),
                    from_nanos(i.published.unix_timestamp_nanos()),
                ),
                Err(e) => return Err(format!("message info: {e}")),
            };
            records.push(RawRecord {
                position: seq,
                payload: m.payload.to_vec(),
                received: ts,
            });
            msgs.push(m);
        }
        if records.is_empty() {
            continue;
        }
        if let Err(e) = p.process(&key, &records).await {
            // Not acked: JetStream delivers the messages again after ack_wait.
            return Err(format!("batch not processed (delivered again later): {e}"));
        }
        for m in &msgs {
            m.ack().await.map_err(|e| format!("ack: {e}"))?;
        }
    }
}

async fn core(
    cfg: &NatsInputConfig,
    p: &Arc<Processor>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let client = connect(cfg).await?;
    let mut sub = match &cfg.queue_group {
        Some(q) => client
            .queue_subscribe(cfg.subject.clone(), q.clone())
            .await
            .map_err(|e| format!("subscribe: {e}"))?,
        None => client
            .subscribe(cfg.subject.clone())
            .await
            .map_err(|e| format!("subscribe: {e}"))?,
    };
    tracing::info!(input = %p.name(), subject = %cfg.subject, "nats core input started (at most once)");
    // Core messages have no sequence: positions count from this subscription's start.
    let key = format!("core:{}:{}", cfg.subject, Utc::now().timestamp_millis());
    let mut position = 0i64;
    loop {
        let first = tokio::select! {
            m = sub.next() => m,
            _ = stop.changed() => return Ok(()),
        };
        let Some(first) = first else {
            return Err("subscription closed".into());
        };
        let mut records = vec![RawRecord {
            position,
            payload: first.payload.to_vec(),
            received: Utc::now(),
        }];
        position += 1;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(100);
        while records.len() < p.batch_size() {
            match tokio::time::timeout_at(deadline, sub.next()).await {
                Ok(Some(m)) => {
                    records.push(RawRecord {
                        position,
                        payload: m.payload.to_vec(),
                        received: Utc::now(),
                    });
                    position += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
        // No acknowledgement to withhold: retry the batch until it is processed.
        let mut failures = 0u32;
        while let Err(e) = p.process(&key, &records).await {
            let what = "input batch not processed; retrying it";
            if !back_off(p.name(), what, &e, &mut failures, stop).await {
                return Ok(());
            }
        }
    }
}
