//! Elasticsearch / OpenSearch `_bulk` sink.
//!
//! * NDJSON `_bulk` request, gzip-compressed, with `filter_path` to keep responses small.
//! * Documents carry `_id` = record id, so a redelivered batch overwrites (daily indices,
//!   `index` action) or answers 409 (data streams, `create` action, counted as delivered).
//! * Per-item retry: items answered 429/5xx are re-sent alone (up to `item_retries` times
//!   inside one attempt); items rejected with another 4xx go to the dead-letter file.
//! * An index template (`PUT _index_template/{name}`) is installed before the first batch.

use crate::config::{ElasticsearchConfig, Format};
use crate::error::{OutputError, SinkError};
use crate::sinks::{DeadLetter, Encoded, Sink, retryable_status, send, send_again};
use chrono::format::{Item, StrftimeItems};
use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration;

pub(crate) struct EsSink {
    cfg: ElasticsearchConfig,
    format: Format,
    client: reqwest::Client,
    base: String,
    dead: DeadLetter,
    template_done: bool,
}

impl EsSink {
    pub(crate) fn new(
        cfg: ElasticsearchConfig,
        format: Format,
        dead: DeadLetter,
    ) -> Result<Self, OutputError> {
        if StrftimeItems::new(&cfg.index).any(|i| matches!(i, Item::Error)) {
            return Err(OutputError::Config(format!(
                "elasticsearch index {:?} has an invalid %-specifier",
                cfg.index
            )));
        }
        let client = crate::sinks::http_client(cfg.timeout_secs)?;
        let base = cfg.url.trim_end_matches('/').to_string();
        reqwest::Url::parse(&base)
            .map_err(|e| OutputError::Config(format!("elasticsearch url: {e}")))?;
        Ok(EsSink {
            cfg,
            format,
            client,
            base,
            dead,
            template_done: false,
        })
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(k) = &self.cfg.api_key {
            rb.header("Authorization", format!("ApiKey {}", k.expose()))
        } else if let Some(u) = &self.cfg.username {
            rb.basic_auth(u, self.cfg.password.as_ref().map(|p| p.expose()))
        } else {
            rb
        }
    }

    fn is_create(&self) -> bool {
        self.cfg.create_only || self.cfg.data_stream.is_some()
    }

    /// The index pattern the template covers.
    pub(crate) fn pattern(&self) -> String {
        if let Some(ds) = &self.cfg.data_stream {
            return ds.clone();
        }
        let idx = &self.cfg.index;
        let cut = idx.find(['{', '%']).unwrap_or(idx.len());
        format!("{}*", &idx[..cut])
    }

    fn index_for(&self, e: &Encoded) -> String {
        if let Some(ds) = &self.cfg.data_stream {
            return ds.clone();
        }
        let expanded = crate::sinks::expand(&self.cfg.index, &e.record);
        let items: Vec<Item<'_>> = StrftimeItems::new(&expanded).collect();
        if items.iter().any(|i| matches!(i, Item::Error)) {
            // Placeholder values contained a stray `%`; use the template without dates.
            return expanded.to_lowercase();
        }
        e.record
            .time
            .format_with_items(items.iter())
            .to_string()
            .to_lowercase()
    }

    fn template_body(&self) -> Value {
        let mut properties = json!({
            "@timestamp": {"type": "date"},
        });
        let props = match self.format {
            Format::Ecs => json!({
                "event": {"properties": {"id": {"type": "keyword"}, "kind": {"type": "keyword"},
                    "dataset": {"type": "keyword"}, "risk_score": {"type": "float"}}},
                "organization": {"properties": {"id": {"type": "keyword"}}},
                "host": {"properties": {"id": {"type": "keyword"}, "name": {"type": "keyword"}}},
                "source": {"properties": {"ip": {"type": "ip"}, "port": {"type": "long"}}},
                "destination": {"properties": {"ip": {"type": "ip"}, "port": {"type": "long"}}},
                "process": {"properties": {"name": {"type": "keyword"}, "pid": {"type": "long"},
                    "executable": {"type": "keyword"},
                    "hash": {"properties": {"sha256": {"type": "keyword"}}}}},
            }),
            _ => json!({
                "id": {"type": "keyword"},
                "kind": {"type": "keyword"},
                "tenant_id": {"type": "keyword"},
                "device_id": {"type": "keyword"},
                "risk_score": {"type": "long"},
                "host": {"properties": {"name": {"type": "keyword"}}},
                "event": {"properties": {
                    "remote_ip": {"type": "ip"},
                    "remote_port": {"type": "long"},
                    "process_name": {"type": "keyword"},
                    "sha256": {"type": "keyword"},
                    "tenant_id": {"type": "keyword"},
                    "device_id": {"type": "keyword"},
                }},
            }),
        };
        if let (Some(p), Some(extra)) = (properties.as_object_mut(), props.as_object()) {
            for (k, v) in extra {
                p.insert(k.clone(), v.clone());
            }
        }
        let mut body = json!({
            "index_patterns": [self.pattern()],
            "priority": 200,
            "template": {
                "mappings": {"dynamic": true, "properties": properties},
            },
            "_meta": {"managed_by": "outpost"},
        });
        if self.cfg.data_stream.is_some()
            && let Some(o) = body.as_object_mut()
        {
            o.insert("data_stream".into(), json!({}));
        }
        body
    }

    async fn install_template(&mut self) -> Result<(), SinkError> {
        let url = format!("{}/_index_template/{}", self.base, self.cfg.template_name);
        let resp = send(
            self.auth(self.client.put(&url)).json(&self.template_body()),
            "index template",
        )
        .await?;
        let status = resp.status().as_u16();
        if retryable_status(status) {
            return Err(SinkError::Server(format!("index template: HTTP {status}")));
        }
        if !(200..300).contains(&status) {
            let text = resp.text().await.unwrap_or_default();
            tracing::warn!(status, body = %truncate(&text, 500), "index template rejected; continuing without it");
        }
        self.template_done = true;
        Ok(())
    }

    fn bulk_body(&self, batch: &[Encoded], pending: &[usize]) -> Result<Vec<u8>, SinkError> {
        let op = if self.is_create() { "create" } else { "index" };
        let mut nd = Vec::with_capacity(pending.iter().map(|&i| batch[i].doc.len() + 100).sum());
        for &i in pending {
            let e = &batch[i];
            let mut action = serde_json::Map::new();
            action.insert(
                op.to_string(),
                json!({"_index": self.index_for(e), "_id": e.record.id}),
            );
            let action = Value::Object(action);
            nd.extend_from_slice(action.to_string().as_bytes());
            nd.push(b'\n');
            nd.extend_from_slice(&e.doc);
            nd.push(b'\n');
        }
        if !self.cfg.gzip {
            return Ok(nd);
        }
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(nd.len() / 4),
            flate2::Compression::fast(),
        );
        enc.write_all(&nd)?;
        Ok(enc.finish()?)
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

impl Sink for EsSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        if self.cfg.install_template && !self.template_done {
            self.install_template().await?;
        }
        let is_create = self.is_create();
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let url = format!(
            "{}/_bulk?filter_path=errors,items.*.status,items.*.error",
            self.base
        );
        for round in 0..=self.cfg.item_retries {
            if round > 0 {
                tokio::time::sleep(Duration::from_millis(100u64 << round.min(6))).await;
            }
            let body = self.bulk_body(batch, &pending)?;
            let mut rb = self
                .auth(self.client.post(&url))
                .header("Content-Type", "application/x-ndjson");
            if self.cfg.gzip {
                rb = rb.header("Content-Encoding", "gzip");
            }
            let resp = send(rb.body(body), "_bulk").await?;
            let status = resp.status().as_u16();
            let text = resp
                .text()
                .await
                .map_err(|e| SinkError::Transport(format!("_bulk response: {e}")))?;
            if send_again(status) {
                return Err(SinkError::Server(format!(
                    "_bulk: HTTP {status}: {}",
                    truncate(&text, 300)
                )));
            }
            if !(200..300).contains(&status) {
                // The whole request was refused (400 malformed, 413 too large): these
                // documents will never be accepted as they are.
                let reason = format!("_bulk HTTP {status}: {}", truncate(&text, 300));
                let dead: Vec<_> = pending
                    .iter()
                    .map(|&i| (&batch[i].record, reason.clone()))
                    .collect();
                self.dead.write(&dead)?;
                return Ok(());
            }
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| SinkError::Server(format!("_bulk response is not JSON: {e}")))?;
            if v.get("errors").and_then(Value::as_bool) == Some(false) {
                return Ok(());
            }
            let items = v.get("items").and_then(Value::as_array);
            let Some(items) = items.filter(|it| it.len() == pending.len()) else {
                return Err(SinkError::Server(
                    "_bulk response has errors but no matching items".into(),
                ));
            };
            let mut retry = Vec::new();
            let mut dead = Vec::new();
            for (&i, item) in pending.iter().zip(items) {
                let inner = item.as_object().and_then(|o| o.values().next());
                let st = inner
                    .and_then(|x| x.get("status"))
                    .and_then(Value::as_u64)
                    .unwrap_or(500) as u16;
                if (200..300).contains(&st) || (is_create && st == 409) {
                    continue;
                }
                if retryable_status(st) {
                    retry.push(i);
                } else {
                    let err = inner
                        .and_then(|x| x.get("error"))
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    dead.push((
                        &batch[i].record,
                        format!("status {st}: {}", truncate(&err, 500)),
                    ));
                }
            }
            self.dead.write(&dead)?;
            if retry.is_empty() {
                return Ok(());
            }
            tracing::debug!(items = retry.len(), round, "retrying _bulk items");
            pending = retry;
        }
        Err(SinkError::Server(format!(
            "{} _bulk items still failing after {} retries",
            pending.len(),
            self.cfg.item_retries
        )))
    }
}
