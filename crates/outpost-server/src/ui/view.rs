//! View models and formatting helpers of the UI (plain strings and numbers, so templates
//! stay simple; askama escapes every value).

use chrono::{DateTime, Utc};
use outpost_core::api::{CustomerHit, HitRecord, TriageState};
use outpost_core::auth::{Principal, Role};
use outpost_store::ui_queries::TimeBucket;

/// The navigation bar: who is signed in and which page is current.
#[derive(Debug, Clone)]
pub struct Nav {
    pub user: String,
    pub role: &'static str,
    pub staff: bool,
    pub current: &'static str,
}

impl Nav {
    pub fn of(who: &Principal, current: &'static str) -> Nav {
        Nav {
            user: who
                .subject
                .strip_prefix("user:")
                .unwrap_or("API key")
                .to_string(),
            role: match who.role {
                Role::Admin => "admin",
                Role::Technician => "technician",
                Role::Customer => "customer",
                Role::Device => "device",
            },
            staff: who.is_staff(),
            current,
        }
    }

    /// `aria-current` value for a nav link.
    pub fn cur(&self, page: &str) -> &'static str {
        if self.current == page {
            "page"
        } else {
            "false"
        }
    }
}

pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub fn opt_time(t: &Option<DateTime<Utc>>) -> String {
    t.as_ref().map(time).unwrap_or_else(|| "—".to_string())
}

pub fn state_label(s: TriageState) -> &'static str {
    match s {
        TriageState::New => "New",
        TriageState::Acknowledged => "Acknowledged",
        TriageState::Suppressed => "Suppressed",
        TriageState::FalsePositive => "False positive",
    }
}

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Builds `path?k=v&…` from the non-empty pairs.
pub fn url(path: &str, pairs: &[(&str, &str)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// One row of a hit table, for either audience.
#[derive(Debug, Clone)]
pub struct HitRow {
    pub id: i64,
    pub href: String,
    pub tenant: String,
    pub device_href: String,
    pub hostname: String,
    /// Indicator kind (`ip`, `domain`, `sha256`, `process_name`, …).
    pub kind: String,
    /// What matched: the remote address (with port), domain, hash or process.
    pub remote: String,
    pub process: String,
    pub last_seen: String,
    pub count: u64,
    pub state: &'static str,
    pub state_class: &'static str,
    /// Technicians only (empty for customers).
    pub intel: String,
    /// The server's risk score.
    pub risk: i64,
    /// The hit is an alert.
    pub alert: bool,
}

impl HitRow {
    pub fn full(h: &HitRecord, tenant_name: String) -> HitRow {
        let intel = h
            .hit
            .intel
            .as_ref()
            .map(|i| match &i.source {
                Some(s) => format!("{} ({s})", i.indicator),
                None => i.indicator.clone(),
            })
            .unwrap_or_default();
        HitRow {
            id: h.id,
            href: format!("/ui/hits/{}", h.id),
            tenant: tenant_name,
            device_href: format!("/ui/devices/{}", enc(&h.device_id)),
            hostname: h.hostname.clone(),
            kind: h.hit.kind().to_string(),
            remote: subject(&h.hit),
            process: h.hit.process_name.clone(),
            last_seen: time(&h.hit.last_seen_utc),
            count: h.hit.hit_count,
            state: state_label(h.triage.state),
            state_class: h.triage.state.as_str(),
            intel,
            risk: h.score.risk_score,
            alert: h.score.alert,
        }
    }

    pub fn customer(h: &CustomerHit) -> HitRow {
        HitRow {
            id: h.id,
            href: format!("/ui/hits/{}", h.id),
            tenant: String::new(),
            device_href: format!("/ui/devices/{}", enc(&h.device_id)),
            hostname: h.hostname.clone(),
            kind: h.kind.clone(),
            remote: match h.remote_ip {
                Some(ip) => remote(ip, h.remote_port),
                None => h.subject.clone(),
            },
            process: h.process_name.clone(),
            last_seen: time(&h.last_seen_utc),
            count: h.hit_count,
            state: state_label(h.state),
            state_class: h.state.as_str(),
            intel: String::new(),
            risk: h.risk_score,
            alert: h.alert,
        }
    }
}

/// What a hit is about, as the hit list shows it: the remote address and port (with the
/// domain it was answered for), else the domain, hash or process that matched.
pub fn subject(h: &outpost_core::Hit) -> String {
    match (h.remote_ip, &h.domain) {
        (Some(ip), Some(d)) => format!("{} ({d})", remote(ip, h.remote_port)),
        (Some(ip), None) => remote(ip, h.remote_port),
        (None, _) => h.subject(),
    }
}

pub fn remote(ip: std::net::IpAddr, port: Option<u16>) -> String {
    match (ip, port) {
        (std::net::IpAddr::V6(v6), Some(p)) => format!("[{v6}]:{p}"),
        (ip, Some(p)) => format!("{ip}:{p}"),
        (ip, None) => ip.to_string(),
    }
}

/// A bar of the hits-over-time chart (SVG user units).
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub title: String,
}

/// The chart: bars plus axis labels.
#[derive(Debug, Clone)]
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub max: i64,
    pub total: i64,
    pub start_label: String,
    pub end_label: String,
    pub summary: String,
}

pub const CHART_W: u32 = 720;
pub const CHART_H: u32 = 180;

/// Lays out `buckets` (sparse, of `bucket_ms` each) over `[start_ms, start_ms + n*bucket_ms)`.
pub fn chart(buckets: &[TimeBucket], start_ms: i64, bucket_ms: i64, n: usize) -> Chart {
    let mut counts = vec![0i64; n];
    for b in buckets {
        let i = (b.start_ms - start_ms).div_euclid(bucket_ms.max(1));
        if let Ok(i) = usize::try_from(i)
            && let Some(c) = counts.get_mut(i)
        {
            *c += b.hits;
        } else if b.start_ms >= start_ms - bucket_ms
            && let Some(c) = counts.first_mut()
        {
            // The partial bucket at the window's start.
            *c += b.hits;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    let total: i64 = counts.iter().sum();
    let plot_h = f64::from(CHART_H - 20);
    let slot = f64::from(CHART_W) / n.max(1) as f64;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let h = if max > 0 {
                (c as f64 / max as f64) * plot_h
            } else {
                0.0
            };
            let t0 = chrono::DateTime::from_timestamp_millis(start_ms + i as i64 * bucket_ms)
                .unwrap_or_default();
            Bar {
                x: (i as f64 * slot + 1.0).round(),
                y: (plot_h - h).round(),
                w: (slot - 2.0).max(1.0).round(),
                h: h.round(),
                title: format!("{}: {c} hits", t0.format("%Y-%m-%d %H:%M UTC")),
            }
        })
        .collect();
    let label = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    Chart {
        width: CHART_W,
        height: CHART_H,
        bars,
        max,
        total,
        start_label: label(start_ms),
        end_label: label(start_ms + n as i64 * bucket_ms),
        summary: format!("{total} hits in {n} intervals; busiest interval {max} hits",),
    }
}

/// Pretty JSON for a `<pre>` block.
pub fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| "(unprintable)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_encoded() {
        assert_eq!(
            url(
                "/ui/hits",
                &[("ip", "1.2.3.4"), ("process", "a b&c"), ("x", "")]
            ),
            "/ui/hits?ip=1.2.3.4&process=a%20b%26c"
        );
    }

    #[test]
    fn chart_places_buckets() {
        let b = vec![
            TimeBucket {
                start_ms: 0,
                hits: 2,
            },
            TimeBucket {
                start_ms: 2000,
                hits: 4,
            },
        ];
        let c = chart(&b, 0, 1000, 4);
        assert_eq!(c.total, 6);
        assert_eq!(c.max, 4);
        assert_eq!(c.bars.len(), 4);
        assert!(c.bars[2].h > c.bars[0].h);
        assert_eq!(c.bars[1].h, 0.0);
    }
}
