//! Chat webhooks: Slack (incoming webhook, `{"text", "blocks"}`) and Microsoft Teams
//! (incoming webhook / Workflows, an Adaptive Card). The first occurrence of a dedup key posts
//! a message with a link to the hit; repeats post only when `notify_repeats` is set.

use crate::config::Secret;
use crate::error::OutputError;
use crate::ticket::{RepeatOutcome, TicketAlert, TicketError, Ticketer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Slack or Teams output settings.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatConfig {
    /// The webhook URL (a secret: it authorizes posting).
    pub webhook_url: Secret,
    /// Outpost's public URL for links.
    pub public_url: String,
    /// Dedup window in seconds.
    #[serde(default = "crate::ticket::syncro::default_window")]
    pub dedup_window_secs: u64,
    /// Also post repeats.
    #[serde(default)]
    pub notify_repeats: bool,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    30
}

/// Which chat flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// Slack.
    Slack,
    /// Microsoft Teams.
    Teams,
}

/// Slack/Teams ticketer.
pub struct ChatTicketer {
    kind: ChatKind,
    cfg: ChatConfig,
    client: reqwest::Client,
}

impl ChatTicketer {
    /// Builds the ticketer.
    pub fn new(kind: ChatKind, cfg: ChatConfig) -> Result<Self, OutputError> {
        reqwest::Url::parse(cfg.webhook_url.expose())
            .map_err(|e| OutputError::Config(format!("chat webhook_url: {e}")))?;
        let client = crate::sinks::http_client(cfg.timeout_secs)?;
        Ok(ChatTicketer { kind, cfg, client })
    }

    /// The JSON payload for an alert.
    pub fn payload(&self, alert: &TicketAlert, repeat: Option<u64>) -> Value {
        let title = match repeat {
            Some(n) => format!("{} (seen {n} times)", alert.title()),
            None => alert.title(),
        };
        let link = alert.link(&self.cfg.public_url);
        let desc = alert.description(&self.cfg.public_url);
        match self.kind {
            ChatKind::Slack => json!({
                "text": format!("{title}\n{link}"),
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": title.chars().take(150).collect::<String>()}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": format!("```{desc}```")}},
                    {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open in Outpost"}, "url": link}]},
                ],
            }),
            ChatKind::Teams => {
                let facts: Vec<Value> = desc
                    .lines()
                    .filter_map(|l| l.split_once(": "))
                    .map(|(k, v)| json!({"title": k, "value": v}))
                    .collect();
                json!({
                    "type": "message",
                    "attachments": [{
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "content": {
                            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard",
                            "version": "1.4",
                            "body": [
                                {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": true},
                                {"type": "FactSet", "facts": facts},
                            ],
                            "actions": [{"type": "Action.OpenUrl", "title": "Open in Outpost", "url": link}],
                        },
                    }],
                })
            }
        }
    }

    async fn post(&self, body: Value) -> Result<(), TicketError> {
        let resp = self
            .client
            .post(self.cfg.webhook_url.expose())
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                TicketError::Transport(format!("{} webhook: {}", self.name(), e.without_url()))
            })?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 | 401 | 403 | 404 => Err(TicketError::Retryable(format!(
                "{} webhook: HTTP {status}",
                self.name()
            ))),
            _ => Err(TicketError::Rejected(format!(
                "{} webhook: HTTP {status}",
                self.name()
            ))),
        }
    }
}

impl Ticketer for ChatTicketer {
    fn name(&self) -> &'static str {
        match self.kind {
            ChatKind::Slack => "slack",
            ChatKind::Teams => "teams",
        }
    }

    async fn open(&self, alert: &TicketAlert) -> Result<Option<String>, TicketError> {
        self.post(self.payload(alert, None)).await?;
        Ok(None)
    }

    async fn repeat(
        &self,
        _reference: Option<&str>,
        alert: &TicketAlert,
        occurrences: u64,
    ) -> Result<RepeatOutcome, TicketError> {
        if !self.cfg.notify_repeats {
            return Ok(RepeatOutcome::Suppressed);
        }
        self.post(self.payload(alert, Some(occurrences))).await?;
        Ok(RepeatOutcome::Updated)
    }
}
