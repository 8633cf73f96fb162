//! Hits: what an agent uploads when local correlation finds a match.
//!
//! The JSON is the original hit payload format field for field (`tenant_id`, `device_id`,
//! `hostname`, `agent_version`, `hotlist_version`, `hits[]`), plus a `batch_id` that makes an
//! upload idempotent: the server stores a batch once however often it is retried. Optional
//! extension fields (`direction`, `intel`) are skipped when empty so a payload of a client that predates them
//! is still valid.

use crate::event::Event;
use crate::net::{Direction, Protocol};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One upload: a batch of grouped hits from one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HitPayload {
    /// Client-chosen id of this upload (a UUID). Retrying the same batch stores nothing new.
    pub batch_id: String,
    pub tenant_id: String,
    pub device_id: String,
    pub hostname: String,
    pub agent_version: String,
    pub hotlist_version: String,
    pub hits: Vec<Hit>,
}

/// Matches of one `(indicator, process_name)` pair, grouped over a processing window: for an
/// address indicator the indicator is the remote address (as hits were first grouped by
/// `(remote_ip, process_name)`), for the other kinds the matched value (domain, hash,
/// process name or path), named in `intel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hit {
    /// The remote address of a connection hit (always present in hits of agents that predate the other indicator kinds);
    /// absent for hash, process and DNS-query hits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<IpAddr>,
    /// Remote port of the first matching event.
    pub remote_port: Option<u16>,
    /// Transport protocol of the first matching event.
    pub protocol: Protocol,
    /// The process that made the connection (or ran the listed executable).
    pub process_name: String,
    /// Process id of the first matching event.
    pub pid: Option<u32>,
    /// Executable path, resolved best-effort.
    pub exe_path: Option<String>,
    /// SHA-256 of the executable, computed only for hits.
    pub sha256: Option<String>,
    /// The first matching event's time.
    pub first_seen_utc: DateTime<Utc>,
    /// The last matching event's time.
    pub last_seen_utc: DateTime<Utc>,
    /// How many events matched in the window.
    pub hit_count: u64,
    /// A few of the matching events, as buffered.
    #[serde(default)]
    pub sample_events: Vec<Event>,
    /// Direction of the first matching connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The intel entry that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intel: Option<IntelMatch>,
    /// The domain involved: the queried name of a DNS hit, or the name a connection's address
    /// was answered for (a connection to an address resolved from a listed domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl Hit {
    /// The indicator kind of the hit (`ip` for hits that name none: agents that predate the other kinds).
    pub fn kind(&self) -> &str {
        self.intel
            .as_ref()
            .and_then(|i| i.kind.as_deref())
            .unwrap_or("ip")
    }

    /// What the hit is about, for titles and grouping: the remote address, else the matched
    /// indicator value.
    pub fn subject(&self) -> String {
        match (&self.remote_ip, &self.intel, &self.domain) {
            (Some(ip), _, Some(d)) => format!("{ip} ({d})"),
            (Some(ip), _, None) => ip.to_string(),
            (None, _, Some(d)) => d.clone(),
            (None, Some(i), None) => i.indicator.clone(),
            (None, None, None) => String::new(),
        }
    }
}

/// Which indicator a hit matched. Everything but `indicator` is optional, so hits from agents
/// that send only the entry, source and score (and servers that read only those) interoperate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntelMatch {
    /// The matching entry as written in the list (`1.2.3.4` or `1.2.3.0/24`).
    pub indicator: String,
    /// Name of the list or feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Feed-specific score (IPsum: number of blocklists listing the address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    /// Indicator kind (`ip`, `domain`, `domain_suffix`, `sha256`, `sha1`, `md5`,
    /// `process_name`, `process_path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Confidence 0–100 (STIX `confidence`), when the feed gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// Labels of the indicator (malware family, category…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// When the feed first / last saw the indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    /// When the source last saw the indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// When the indicator stops being used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The original format's example payload (plus batch_id) parses unchanged.
    #[test]
    fn seed_payload_parses() {
        let j = r#"{
          "batch_id": "b-1",
          "tenant_id": "t", "device_id": "d", "hostname": "h",
          "agent_version": "1.0", "hotlist_version": "2025-01-01",
          "hits": [{
            "remote_ip": "1.2.3.4", "remote_port": 443, "protocol": "tcp",
            "process_name": "bad.exe", "pid": 1234, "exe_path": "C:\\Path\\bad.exe",
            "sha256": "00", "first_seen_utc": "2025-01-01T00:00:00Z",
            "last_seen_utc": "2025-01-01T00:10:00Z", "hit_count": 42, "sample_events": []
          }]
        }"#;
        let p: HitPayload = serde_json::from_str(j).unwrap();
        assert_eq!(p.hits[0].hit_count, 42);
        assert_eq!(p.hits[0].protocol, Protocol::Tcp);
    }
}
