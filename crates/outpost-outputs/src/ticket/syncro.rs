//! Syncro (SyncroMSP) tickets through its REST API (`https://<subdomain>.syncromsp.com/api/v1`).
//!
//! * New dedup key → `POST /tickets` (`customer_id`, `subject`, `problem_type` = category,
//!   `status`, `asset_id`, `tag_list`) then `POST /tickets/{id}/comment` with the details and
//!   the link to the hit (`{public_url}/ui/hits/{id}`).
//! * Repeat → `POST /tickets/{id}/comment` ("seen again, N occurrences"); a 404 opens a new
//!   ticket.
//! * Every request waits for a slot of a rate limiter (`requests_per_minute`, default 180 —
//!   Syncro's documented per-IP limit); a 429 is retried after the worker's backoff.
//! * Tenants map to customers (`customers`, else `default_customer_id`) and devices to assets
//!   (`assets`, optional). An unmapped tenant is dead-lettered.
//! * The API token goes in `Authorization: Bearer` (default) or the `api_key` query parameter,
//!   and is never logged.

use crate::config::Secret;
use crate::error::OutputError;
use crate::ticket::{RateLimiter, RepeatOutcome, TicketAlert, TicketError, Ticketer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How the API token is sent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SyncroAuth {
    /// `Authorization: Bearer <token>`.
    #[default]
    Bearer,
    /// `?api_key=<token>`.
    Query,
}

/// Syncro output settings.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyncroConfig {
    /// API base, e.g. `https://acme.syncromsp.com/api/v1`.
    pub base_url: String,
    /// API token.
    pub api_key: Secret,
    /// Token placement.
    #[serde(default)]
    pub auth: SyncroAuth,
    /// Outpost's public URL for links (`https://outpost.example`).
    pub public_url: String,
    /// Ticket category (`problem_type`).
    #[serde(default = "default_problem_type")]
    pub problem_type: String,
    /// Ticket tags.
    #[serde(default = "default_tags")]
    pub tags: Vec<String>,
    /// Status of a new ticket.
    #[serde(default = "default_status")]
    pub status: String,
    /// Tenant id → Syncro customer id.
    #[serde(default)]
    pub customers: BTreeMap<String, i64>,
    /// Customer for tenants not in `customers`.
    #[serde(default)]
    pub default_customer_id: Option<i64>,
    /// Device id → Syncro asset id.
    #[serde(default)]
    pub assets: BTreeMap<String, i64>,
    /// Dedup window in seconds (from the last occurrence).
    #[serde(default = "default_window")]
    pub dedup_window_secs: u64,
    /// Request budget.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    /// Post comments as hidden (internal) notes.
    #[serde(default)]
    pub hidden_comments: bool,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_problem_type() -> String {
    "Security".into()
}
fn default_tags() -> Vec<String> {
    vec!["Security".into(), "ThreatHunter".into()]
}
fn default_status() -> String {
    "New".into()
}
pub(crate) fn default_window() -> u64 {
    86_400
}
fn default_rpm() -> u32 {
    180
}
fn default_timeout() -> u64 {
    30
}

/// The Syncro ticketer.
pub struct SyncroTicketer {
    cfg: SyncroConfig,
    base: String,
    client: reqwest::Client,
    limiter: RateLimiter,
}

impl SyncroTicketer {
    /// Validates the config and builds the HTTP client.
    pub fn new(cfg: SyncroConfig) -> Result<Self, OutputError> {
        let base = cfg.base_url.trim_end_matches('/').to_string();
        reqwest::Url::parse(&base)
            .map_err(|e| OutputError::Config(format!("syncro base_url: {e}")))?;
        let client = crate::sinks::http_client(cfg.timeout_secs)?;
        let limiter = RateLimiter::new(cfg.requests_per_minute);
        Ok(SyncroTicketer {
            cfg,
            base,
            client,
            limiter,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Result<Value, TicketError> {
        self.limiter.acquire().await;
        let mut url = reqwest::Url::parse(&format!("{}{}", self.base, path))
            .map_err(|e| TicketError::Rejected(format!("syncro url for {path}: {e}")))?;
        if self.cfg.auth == SyncroAuth::Query {
            url.query_pairs_mut()
                .append_pair("api_key", self.cfg.api_key.expose());
        }
        let mut rb = self.client.request(method, url).json(&body);
        if self.cfg.auth == SyncroAuth::Bearer {
            rb = rb.bearer_auth(self.cfg.api_key.expose());
        }
        let resp = rb
            .send()
            .await
            // reqwest errors can include the URL, which holds the token in query mode.
            .map_err(|e| TicketError::Transport(format!("syncro {path}: {}", e.without_url())))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            200..=299 => Ok(serde_json::from_str(&text).unwrap_or(Value::Null)),
            404 => Err(TicketError::TicketGone(path.to_string())),
            408 | 429 | 500..=599 | 401 | 403 => Err(TicketError::Retryable(format!(
                "syncro {path}: HTTP {status}"
            ))),
            _ => Err(TicketError::Rejected(format!(
                "syncro {path}: HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            ))),
        }
    }

    fn customer(&self, tenant: &str) -> Option<i64> {
        self.cfg
            .customers
            .get(tenant)
            .copied()
            .or(self.cfg.default_customer_id)
    }

    async fn comment(&self, ticket: &str, subject: &str, body: String) -> Result<(), TicketError> {
        self.call(
            reqwest::Method::POST,
            &format!("/tickets/{ticket}/comment"),
            json!({
                "subject": subject,
                "body": body,
                "hidden": self.cfg.hidden_comments,
                "do_not_email": true,
            }),
        )
        .await
        .map(|_| ())
        .map_err(|e| match e {
            TicketError::TicketGone(_) => TicketError::TicketGone(ticket.to_string()),
            e => e,
        })
    }
}

impl Ticketer for SyncroTicketer {
    fn name(&self) -> &'static str {
        "syncro"
    }

    async fn open(&self, alert: &TicketAlert) -> Result<Option<String>, TicketError> {
        let Some(customer) = self.customer(&alert.tenant_id) else {
            return Err(TicketError::Rejected(format!(
                "no Syncro customer mapped for tenant {}",
                alert.tenant_id
            )));
        };
        let mut body = json!({
            "customer_id": customer,
            "subject": alert.title(),
            "problem_type": self.cfg.problem_type,
            "status": self.cfg.status,
            "tag_list": self.cfg.tags,
        });
        if let (Some(asset), Some(o)) =
            (self.cfg.assets.get(&alert.device_id), body.as_object_mut())
        {
            o.insert("asset_id".into(), json!(asset));
        }
        let v = match self.call(reqwest::Method::POST, "/tickets", body).await {
            Err(TicketError::TicketGone(p)) => {
                return Err(TicketError::Retryable(format!("syncro {p}: HTTP 404")));
            }
            r => r?,
        };
        let id = v
            .get("ticket")
            .and_then(|t| t.get("id"))
            .and_then(|id| match id {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .ok_or_else(|| {
                TicketError::Retryable("syncro: create ticket answer has no ticket.id".into())
            })?;
        tracing::info!(ticket = %id, tenant = %alert.tenant_id, device = %alert.device_id, "opened Syncro ticket");
        Ok(Some(id))
    }

    async fn complete_open(&self, reference: &str, alert: &TicketAlert) -> Result<(), TicketError> {
        self.comment(
            reference,
            "Outpost detection",
            alert.description(&self.cfg.public_url),
        )
        .await
    }

    async fn repeat(
        &self,
        reference: Option<&str>,
        alert: &TicketAlert,
        occurrences: u64,
    ) -> Result<RepeatOutcome, TicketError> {
        let Some(reference) = reference else {
            return Ok(RepeatOutcome::Suppressed);
        };
        let body = format!(
            "Seen again ({occurrences} occurrences so far).\n{}",
            alert.description(&self.cfg.public_url)
        );
        self.comment(reference, "Outpost detection (repeat)", body)
            .await?;
        Ok(RepeatOutcome::Updated)
    }
}
