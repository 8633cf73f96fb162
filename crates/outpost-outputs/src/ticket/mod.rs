//! Ticketing: turning hits and alerts into PSA tickets or chat messages.
//!
//! [`Ticketer`] is the interface a PSA (Syncro here; ConnectWise, HaloPSA later) or a chat
//! webhook (Slack, Teams) implements. Ticketers run as outputs: records reach them through the
//! same at-least-once disk queue, and [`TicketSink`] adds what every ticketer needs:
//!
//! * **Deduplication** by `(tenant_id, device_id, remote_ip, process_name, sha256)` within a
//!   sliding window (`dedup_window_secs`, measured from the key's last occurrence): the first
//!   occurrence calls [`Ticketer::open`], repeats call [`Ticketer::repeat`] (Syncro: a comment
//!   on the open ticket).
//! * **Persistence** of that state in `{data_dir}/outputs/{name}/dedup.json`, together with the
//!   ids of records already handled, so a redelivered batch neither opens a second ticket nor
//!   repeats a comment.
//! * Records a ticketer refuses for good (no customer mapping, HTTP 4xx) are dead-lettered.

pub mod chat;
pub mod syncro;

use crate::error::SinkError;
use crate::record::{OutputRecord, RecordKind};
use crate::sinks::{DeadLetter, Encoded, Sink};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// Errors of a ticketer call.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// Network failure or timeout; retried.
    #[error("transport: {0}")]
    Transport(String),
    /// The service answered with a retryable error (429, 5xx, 401/403 while misconfigured).
    #[error("server: {0}")]
    Retryable(String),
    /// The service refused this alert for good (or it cannot be mapped); dead-lettered.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The referenced ticket no longer exists; a new one is opened.
    #[error("ticket {0} not found")]
    TicketGone(String),
}

/// What a ticketer needs to know about a hit or alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TicketAlert {
    /// Output record id (`hit-42`).
    pub record_id: String,
    /// `hit` or `alert`.
    pub kind: RecordKind,
    /// Tenant.
    pub tenant_id: String,
    /// Device.
    pub device_id: String,
    /// Host name of the device.
    pub hostname: String,
    /// Remote address of the connection, if any.
    pub remote_ip: Option<String>,
    /// Remote port.
    pub remote_port: Option<u64>,
    /// Process name.
    pub process_name: Option<String>,
    /// Executable path.
    pub exe_path: Option<String>,
    /// SHA-256 of the executable.
    pub sha256: Option<String>,
    /// Matched intel entry (`1.2.3.0/24`, `evil.example`, a hash) and its source.
    pub indicator: Option<String>,
    /// Its kind (`ip`, `domain`, `domain_suffix`, `sha256`, `sha1`, `md5`, `process_name`,
    /// `process_path`); `None` for hits of agents that predate the other kinds (addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator_kind: Option<String>,
    /// The queried domain of a DNS hit, or the one a connection's address was answered for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Intel source name.
    pub intel_source: Option<String>,
    /// Number of matching events in the hit.
    pub hit_count: Option<u64>,
    /// Risk score.
    pub risk_score: i64,
    /// Event time.
    pub time: DateTime<Utc>,
    /// Path of the hit or alert in the web UI (`/ui/hits/42`), appended to `public_url`.
    pub ui_path: String,
    /// A detection rule's ticket summary (its `ticket` action), which becomes the title.
    pub ticket_summary: Option<String>,
}

fn s(v: &serde_json::Value, k: &str) -> Option<String> {
    match v.get(k)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl TicketAlert {
    /// Extracts the fields from a `hit` record (body = `HitRecord`) or an `alert` record
    /// (body with the same field names at the top level or under `hit`; `hit_id` links the
    /// alert to its hit).
    pub fn from_record(r: &OutputRecord) -> TicketAlert {
        let b = match r.body.get("hit") {
            Some(h) if h.is_object() && r.kind == RecordKind::Alert => h,
            _ => &r.body,
        };
        let ui_path = match r.kind {
            RecordKind::Hit => match s(&r.body, "id") {
                Some(id) => format!("/ui/hits/{id}"),
                None => format!("/ui/hits/{}", r.id.trim_start_matches("hit-")),
            },
            _ => match (s(&r.body, "hit_id"), &r.device_id) {
                (Some(id), _) => format!("/ui/hits/{id}"),
                // An alert on a streamed event: the device it happened on.
                (None, Some(d)) => format!("/ui/devices/{d}"),
                (None, None) => format!(
                    "/ui/alerts/{}",
                    s(&r.body, "id")
                        .unwrap_or_else(|| r.id.trim_start_matches("alert-").to_string())
                ),
            },
        };
        let intel = b.get("intel");
        TicketAlert {
            record_id: r.id.clone(),
            kind: r.kind,
            tenant_id: r.tenant_id.clone(),
            device_id: r
                .device_id
                .clone()
                .or_else(|| s(b, "device_id"))
                .unwrap_or_default(),
            hostname: r
                .hostname
                .clone()
                .or_else(|| s(b, "hostname"))
                .unwrap_or_default(),
            remote_ip: s(b, "remote_ip"),
            remote_port: b.get("remote_port").and_then(serde_json::Value::as_u64),
            process_name: s(b, "process_name"),
            exe_path: s(b, "exe_path"),
            sha256: s(b, "sha256"),
            indicator: intel.and_then(|i| s(i, "indicator")),
            indicator_kind: intel.and_then(|i| s(i, "kind")),
            domain: s(b, "domain"),
            intel_source: intel.and_then(|i| s(i, "source")),
            hit_count: b.get("hit_count").and_then(serde_json::Value::as_u64),
            risk_score: r.risk_score,
            time: r.time,
            ui_path,
            ticket_summary: s(&r.body, "ticket_summary").filter(|t| !t.is_empty()),
        }
    }

    /// The deduplication key: SHA-256 of (tenant, device, remote_ip, process_name, sha256);
    /// a hit without an address (domain, hash, process) takes its indicator's place.
    pub fn dedup_key(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            Some(self.tenant_id.as_str()),
            Some(self.device_id.as_str()),
            self.remote_ip.as_deref().or(self.indicator.as_deref()),
            self.process_name.as_deref(),
            self.sha256.as_deref(),
        ] {
            h.update(part.unwrap_or("").as_bytes());
            h.update([0u8]);
        }
        hex::encode(h.finalize())
    }

    /// The full link to the UI.
    pub fn link(&self, public_url: &str) -> String {
        format!("{}{}", public_url.trim_end_matches('/'), self.ui_path)
    }

    /// One-line title, e.g. `Suspicious connection: bad.exe → 1.2.3.4 on HOST`.
    pub fn title(&self) -> String {
        let host = if self.hostname.is_empty() {
            &self.device_id
        } else {
            &self.hostname
        };
        if let Some(t) = &self.ticket_summary {
            return format!("{t} on {host}");
        }
        let process = self.process_name.as_deref().unwrap_or("unknown process");
        let indicator = self.indicator.as_deref().unwrap_or("?");
        if self.kind == RecordKind::Alert {
            return format!(
                "Alert: {process} → {} on {host}",
                self.remote_ip.as_deref().unwrap_or("?")
            );
        }
        match self.indicator_kind.as_deref() {
            Some("domain" | "domain_suffix") => match &self.remote_ip {
                Some(ip) => format!(
                    "Connection to a listed domain: {process} → {ip} ({}) on {host}",
                    self.domain.as_deref().unwrap_or(indicator)
                ),
                None => format!(
                    "Listed domain looked up: {process} → {} on {host}",
                    self.domain.as_deref().unwrap_or(indicator)
                ),
            },
            Some("sha256" | "sha1" | "md5") => {
                format!("Listed executable ran: {process} ({indicator}) on {host}")
            }
            Some("process_name" | "process_path") => {
                format!("Listed process ran: {process} ({indicator}) on {host}")
            }
            _ => format!(
                "Suspicious connection: {process} → {} on {host}",
                self.remote_ip.as_deref().unwrap_or("?")
            ),
        }
    }

    /// A plain-text description (several lines) including the link.
    pub fn description(&self, public_url: &str) -> String {
        let mut d = String::new();
        let mut line = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                d.push_str(k);
                d.push_str(": ");
                d.push_str(&v);
                d.push('\n');
            }
        };
        line("Time (UTC)", Some(self.time.to_rfc3339()));
        line("Tenant", Some(self.tenant_id.clone()));
        line(
            "Device",
            Some(format!("{} ({})", self.hostname, self.device_id)),
        );
        line("Process", self.process_name.clone());
        line("Executable", self.exe_path.clone());
        line("SHA-256", self.sha256.clone());
        line(
            "Remote",
            self.remote_ip.as_ref().map(|ip| match self.remote_port {
                Some(p) => format!("{ip}:{p}"),
                None => ip.clone(),
            }),
        );
        line("Domain", self.domain.clone());
        line(
            "Indicator",
            self.indicator.as_ref().map(|i| {
                // Addresses as always; other kinds named.
                let i = match self.indicator_kind.as_deref() {
                    None | Some("ip") => i.clone(),
                    Some(kind) => format!("{kind} {i}"),
                };
                match &self.intel_source {
                    Some(src) => format!("{i} ({src})"),
                    None => i,
                }
            }),
        );
        line("Matching events", self.hit_count.map(|c| c.to_string()));
        line("Risk score", Some(self.risk_score.to_string()));
        line("Details", Some(self.link(public_url)));
        d
    }
}

/// What [`Ticketer::repeat`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepeatOutcome {
    /// The existing ticket was updated (comment added).
    Updated,
    /// Nothing to do for repeats (chat webhooks).
    Suppressed,
}

/// A PSA or chat integration.
pub trait Ticketer: Send + Sync + 'static {
    /// Short name for logs (`syncro`, `slack`, …).
    fn name(&self) -> &'static str;

    /// First occurrence of a dedup key within the window. Returns the external reference
    /// (ticket id) if the target has one.
    fn open(
        &self,
        alert: &TicketAlert,
    ) -> impl Future<Output = Result<Option<String>, TicketError>> + Send;

    /// Called after a crash between [`open`](Self::open) and the initial details being
    /// recorded; default: nothing more to do.
    fn complete_open(
        &self,
        _reference: &str,
        _alert: &TicketAlert,
    ) -> impl Future<Output = Result<(), TicketError>> + Send {
        async { Ok(()) }
    }

    /// A repeat of an open key: `occurrences` counts this one.
    fn repeat(
        &self,
        reference: Option<&str>,
        alert: &TicketAlert,
        occurrences: u64,
    ) -> impl Future<Output = Result<RepeatOutcome, TicketError>> + Send;
}

/// One deduplication entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DedupEntry {
    /// External reference (ticket id), if any.
    pub reference: Option<String>,
    /// Whether the ticket received its details (two-step ticketers such as Syncro).
    #[serde(default = "yes")]
    pub complete: bool,
    /// Record that opened the ticket.
    pub opened_by: String,
    /// First occurrence.
    pub first_seen: DateTime<Utc>,
    /// Last occurrence.
    pub last_seen: DateTime<Utc>,
    /// Occurrences so far.
    pub count: u64,
}

fn yes() -> bool {
    true
}

/// Persisted dedup state.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DedupState {
    /// By dedup key.
    pub entries: BTreeMap<String, DedupEntry>,
    /// Record ids already handled, with the time they were handled.
    pub handled: BTreeMap<String, DateTime<Utc>>,
}

/// [`DedupState`] stored in a JSON file (replaced atomically on each change).
pub struct DedupStore {
    path: PathBuf,
    window: chrono::Duration,
    /// The state.
    pub state: DedupState,
}

impl DedupStore {
    /// Loads (or starts) the state at `path`.
    pub fn open(path: PathBuf, window: Duration) -> Result<Self, crate::error::OutputError> {
        let state = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "dedup state unreadable; starting empty");
                DedupState::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DedupState::default(),
            Err(e) => return Err(crate::error::OutputError::io(&path, e)),
        };
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(1));
        Ok(DedupStore {
            path,
            window,
            state,
        })
    }

    /// Writes the state, after forgetting entries and handled ids older than the window.
    pub fn save(&mut self) -> std::io::Result<()> {
        let cutoff = Utc::now() - self.window;
        self.state.entries.retain(|_, e| e.last_seen >= cutoff);
        self.state.handled.retain(|_, t| *t >= cutoff);
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let data = serde_json::to_vec(&self.state).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, &self.path)
    }

    /// The live entry for `key` (last occurrence within the window), if any.
    pub fn live(&self, key: &str, now: DateTime<Utc>) -> Option<&DedupEntry> {
        self.state
            .entries
            .get(key)
            .filter(|e| now - e.last_seen <= self.window)
    }
}

/// Drives a [`Ticketer`] from the output queue.
pub(crate) struct TicketSink<T: Ticketer> {
    ticketer: T,
    store: DedupStore,
    dead: DeadLetter,
}

impl<T: Ticketer> TicketSink<T> {
    pub(crate) fn new(ticketer: T, store: DedupStore, dead: DeadLetter) -> Self {
        TicketSink {
            ticketer,
            store,
            dead,
        }
    }

    async fn handle(&mut self, r: &OutputRecord) -> Result<(), SinkError> {
        if self.store.state.handled.contains_key(&r.id) {
            return Ok(());
        }
        let alert = TicketAlert::from_record(r);
        let key = alert.dedup_key();
        // A ticket deleted on the other side makes us start over (at most twice).
        for _ in 0..3 {
            let now = Utc::now();
            let result = match self.store.live(&key, now).cloned() {
                Some(entry) if !entry.complete && entry.opened_by == r.id => {
                    // A previous attempt opened the ticket but did not finish; finish it.
                    let reference = entry.reference.clone().unwrap_or_default();
                    match self.ticketer.complete_open(&reference, &alert).await {
                        Ok(()) => {
                            if let Some(e) = self.store.state.entries.get_mut(&key) {
                                e.complete = true;
                            }
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                }
                Some(entry) => {
                    let count = entry.count + 1;
                    match self
                        .ticketer
                        .repeat(entry.reference.as_deref(), &alert, count)
                        .await
                    {
                        Ok(_) => {
                            if let Some(e) = self.store.state.entries.get_mut(&key) {
                                e.count = count;
                                e.last_seen = now;
                            }
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                }
                None => self.open(&key, &alert, r, now).await,
            };
            if let Err(TicketError::TicketGone(id)) = &result {
                tracing::info!(ticketer = self.ticketer.name(), ticket = %id, "ticket is gone; opening a new one");
                self.store.state.entries.remove(&key);
                self.store.save()?;
                continue;
            }
            return self.finish(r, result, now);
        }
        Err(SinkError::Server("tickets keep disappearing".into()))
    }

    fn finish(
        &mut self,
        r: &OutputRecord,
        result: Result<(), TicketError>,
        now: DateTime<Utc>,
    ) -> Result<(), SinkError> {
        match result {
            Ok(()) => {}
            Err(TicketError::Rejected(why)) => {
                self.dead.write(&[(r, why)])?;
            }
            Err(TicketError::TicketGone(id)) => {
                self.store.save()?;
                return Err(SinkError::Server(format!("ticket {id} vanished")));
            }
            Err(TicketError::Transport(e)) => {
                self.store.save()?;
                return Err(SinkError::Transport(e));
            }
            Err(TicketError::Retryable(e)) => {
                self.store.save()?;
                return Err(SinkError::Server(e));
            }
        }
        self.store.state.handled.insert(r.id.clone(), now);
        self.store.save()?;
        Ok(())
    }

    async fn open(
        &mut self,
        key: &str,
        alert: &TicketAlert,
        r: &OutputRecord,
        now: DateTime<Utc>,
    ) -> Result<(), TicketError> {
        let reference = self.ticketer.open(alert).await?;
        self.store.state.entries.insert(
            key.to_string(),
            DedupEntry {
                reference: reference.clone(),
                complete: false,
                opened_by: r.id.clone(),
                first_seen: now,
                last_seen: now,
                count: 1,
            },
        );
        // Persist the reference before the second step so a crash cannot open a duplicate.
        self.store
            .save()
            .map_err(|e| TicketError::Retryable(format!("saving dedup state: {e}")))?;
        if let Some(reference) = &reference {
            self.ticketer.complete_open(reference, alert).await?;
        }
        if let Some(e) = self.store.state.entries.get_mut(key) {
            e.complete = true;
        }
        Ok(())
    }
}

impl<T: Ticketer> Sink for TicketSink<T> {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        for e in batch {
            if !matches!(e.record.kind, RecordKind::Hit | RecordKind::Alert) {
                continue;
            }
            self.handle(&e.record).await?;
        }
        Ok(())
    }
}

/// A simple request spacer: at most `per_minute` requests per minute, evenly spaced.
pub(crate) struct RateLimiter {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl RateLimiter {
    pub(crate) fn new(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        RateLimiter {
            interval: Duration::from_secs(60) / per_minute,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for the next slot.
    pub(crate) async fn acquire(&self) {
        let mut next = self.next.lock().await;
        let now = tokio::time::Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = (*next).max(now) + self.interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(body: serde_json::Value) -> TicketAlert {
        let mut r = OutputRecord::new("hit-1", RecordKind::Hit, "acme", Utc::now(), body);
        r.device_id = Some("d1".into());
        r.hostname = Some("pc-7".into());
        TicketAlert::from_record(&r)
    }

    /// Tickets of hits of other indicator kinds say what matched, and hits
    /// without an address are deduplicated by their indicator.
    #[test]
    fn tickets_name_the_kind_and_deduplicate_by_indicator() {
        let ip = alert(
            serde_json::json!({"remote_ip": "1.2.3.4", "process_name": "bad.exe",
            "intel": {"indicator": "1.2.3.0/24"}}),
        );
        assert_eq!(
            ip.title(),
            "Suspicious connection: bad.exe → 1.2.3.4 on pc-7"
        );
        let dns = |d: &str| {
            alert(serde_json::json!({"process_name": "curl", "domain": d,
                "intel": {"indicator": "*.bad.example", "kind": "domain_suffix", "source": "r"}}))
        };
        let a = dns("x.bad.example");
        assert_eq!(
            a.title(),
            "Listed domain looked up: curl → x.bad.example on pc-7"
        );
        assert!(
            a.description("https://o")
                .contains("Indicator: domain_suffix *.bad.example (r)")
        );
        assert_eq!(
            a.dedup_key(),
            dns("y.bad.example").dedup_key(),
            "same indicator and process"
        );
        let hash = |h: &str| {
            alert(serde_json::json!({"process_name": "x.exe", "sha256": h,
                "intel": {"indicator": h, "kind": "sha256"}}))
        };
        assert_eq!(
            hash("aa").title(),
            "Listed executable ran: x.exe (aa) on pc-7"
        );
        assert_ne!(hash("aa").dedup_key(), hash("bb").dedup_key());
        assert_ne!(a.dedup_key(), hash("aa").dedup_key());
    }
}
