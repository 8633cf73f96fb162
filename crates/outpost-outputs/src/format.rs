//! Document formats: native JSON (Outpost's own shape), Elastic Common Schema, RFC 5424.

use crate::config::Format;
use crate::record::{OutputRecord, RecordKind};
use chrono::SecondsFormat;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// ECS version the [`Format::Ecs`] documents declare.
pub const ECS_VERSION: &str = "8.11.0";

/// Syslog header settings used by [`Format::Rfc5424`].
#[derive(Debug, Clone)]
pub struct SyslogHeader {
    /// Facility (0–23).
    pub facility: u8,
    /// APP-NAME.
    pub app_name: String,
    /// HOSTNAME used when the record has none.
    pub hostname: String,
}

impl Default for SyslogHeader {
    fn default() -> Self {
        SyslogHeader {
            facility: 4,
            app_name: "outpost".into(),
            hostname: local_hostname(),
        }
    }
}

/// This machine's host name (from `/proc/sys/kernel/hostname` or `$HOSTNAME`), or `-`.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "-".into())
}

/// Encodes one record (no trailing newline or framing).
pub fn encode(format: Format, r: &OutputRecord, syslog: &SyslogHeader) -> Vec<u8> {
    match format {
        Format::Json => native_json(r).to_string().into_bytes(),
        Format::Ecs => ecs_json(r).to_string().into_bytes(),
        Format::Rfc5424 => rfc5424(r, syslog).into_bytes(),
    }
}

/// The native document: `@timestamp` (event time), `event` (the body), `indicators`,
/// `risk_score`, plus routing fields.
pub fn native_json(r: &OutputRecord) -> Value {
    let mut m = Map::new();
    m.insert(
        "@timestamp".into(),
        Value::String(r.time.to_rfc3339_opts(SecondsFormat::Millis, true)),
    );
    m.insert("id".into(), Value::String(r.id.clone()));
    m.insert("kind".into(), Value::String(r.kind.as_str().into()));
    m.insert("tenant_id".into(), Value::String(r.tenant_id.clone()));
    if let Some(d) = &r.device_id {
        m.insert("device_id".into(), Value::String(d.clone()));
    }
    if let Some(h) = &r.hostname {
        m.insert("host".into(), json!({ "name": h }));
    }
    m.insert("event".into(), r.body.clone());
    m.insert(
        "indicators".into(),
        serde_json::to_value(&r.indicators).unwrap_or(Value::Array(Vec::new())),
    );
    m.insert("risk_score".into(), Value::from(r.risk_score));
    Value::Object(m)
}

fn put(m: &mut Map<String, Value>, path: &[&str], v: Value) {
    if v.is_null() {
        return;
    }
    let mut cur = m;
    for (i, p) in path.iter().enumerate() {
        if i + 1 == path.len() {
            cur.insert((*p).to_string(), v);
            return;
        }
        let e = cur
            .entry((*p).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !e.is_object() {
            *e = Value::Object(Map::new());
        }
        let Value::Object(next) = e else { return };
        cur = next;
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let mut cur = v;
    for p in path {
        match cur.get(*p) {
            Some(n) => cur = n,
            None => return &Value::Null,
        }
    }
    cur
}

/// An Elastic Common Schema document.
pub fn ecs_json(r: &OutputRecord) -> Value {
    let mut m = Map::new();
    ecs_event(&mut m, r);
    let b = &r.body;
    ecs_process(&mut m, b);
    let remote_ip = ecs_network(&mut m, b);
    let intel = get(b, &["intel"]);
    if intel.is_object() {
        ecs_threat(&mut m, b, intel, remote_ip);
    }
    if let Some(f) = b.get("file").filter(|f| f.is_object()) {
        put(&mut m, &["file", "path"], get(f, &["path"]).clone());
        put(
            &mut m,
            &["file", "hash", "sha256"],
            get(f, &["sha256_after"]).clone(),
        );
        put(&mut m, &["event", "action"], get(f, &["action"]).clone());
    }
    if let Some(first) = r.indicators.first() {
        put(&mut m, &["rule", "name"], json!(first.rule_name));
        put(&mut m, &["rule", "description"], json!(first.description));
    }
    put(
        &mut m,
        &["outpost", "indicators"],
        serde_json::to_value(&r.indicators).unwrap_or(Value::Null),
    );
    put(&mut m, &["outpost", r.kind.as_str()], r.body.clone());
    Value::Object(m)
}

/// The record's own fields: time, ECS version, `event.*`, tenant and host.
fn ecs_event(m: &mut Map<String, Value>, r: &OutputRecord) {
    put(
        m,
        &["@timestamp"],
        Value::String(r.time.to_rfc3339_opts(SecondsFormat::Millis, true)),
    );
    put(m, &["ecs", "version"], json!(ECS_VERSION));
    put(m, &["event", "id"], json!(r.id));
    put(m, &["event", "module"], json!("outpost"));
    put(
        m,
        &["event", "dataset"],
        json!(format!("outpost.{}", r.kind.as_str())),
    );
    put(
        m,
        &["event", "created"],
        json!(chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)),
    );
    let ecs_kind = match r.kind {
        RecordKind::Hit | RecordKind::Alert => "alert",
        RecordKind::Event | RecordKind::Audit => "event",
    };
    put(m, &["event", "kind"], json!(ecs_kind));
    put(m, &["event", "risk_score"], json!(r.risk_score));
    put(m, &["organization", "id"], json!(r.tenant_id));
    if let Some(d) = &r.device_id {
        put(m, &["host", "id"], json!(d));
    }
    if let Some(h) = &r.hostname {
        put(m, &["host", "name"], json!(h));
    }
}

/// A hit's flat field `flat`, else `section`'s field at `path` (an Event's nested form).
fn flat_or<'a>(b: &'a Value, flat: &str, section: &'a Value, path: &[&str]) -> &'a Value {
    let v = get(b, &[flat]);
    if v.is_null() { get(section, path) } else { v }
}

/// `process.*` and `user.name`: a hit has them flat, an Event under `process`.
fn ecs_process(m: &mut Map<String, Value>, b: &Value) {
    let p = if b.get("process").is_some_and(Value::is_object) {
        get(b, &["process"])
    } else {
        &Value::Null
    };
    let name = flat_or(b, "process_name", p, &["name"]);
    put(m, &["process", "name"], name.clone());
    put(
        m,
        &["process", "pid"],
        flat_or(b, "pid", p, &["pid"]).clone(),
    );
    let exe = flat_or(b, "exe_path", p, &["exe"]);
    put(m, &["process", "executable"], exe.clone());
    put(m, &["process", "args"], get(p, &["args"]).clone());
    put(
        m,
        &["process", "command_line"],
        get(p, &["command_line"]).clone(),
    );
    put(m, &["process", "parent", "pid"], get(p, &["ppid"]).clone());
    put(m, &["user", "name"], get(p, &["user"]).clone());
    let sha = flat_or(b, "sha256", p, &["hashes", "sha256"]);
    put(m, &["process", "hash", "sha256"], sha.clone());
}

/// `source`/`destination` and `network.*` from a hit's fields or `Event.network`; the remote
/// address (null when there is none).
fn ecs_network(m: &mut Map<String, Value>, b: &Value) -> Value {
    let n = get(b, &["network"]);
    let remote_ip = flat_or(b, "remote_ip", n, &["remote_ip"]).clone();
    let direction = flat_or(b, "direction", n, &["direction"])
        .as_str()
        .unwrap_or("outbound")
        .to_string();
    if !remote_ip.is_null() {
        let (remote, local) = if direction == "inbound" {
            ("source", "destination")
        } else {
            ("destination", "source")
        };
        put(m, &[remote, "ip"], remote_ip.clone());
        let remote_port = flat_or(b, "remote_port", n, &["remote_port"]);
        put(m, &[remote, "port"], remote_port.clone());
        put(m, &[local, "ip"], get(n, &["local_ip"]).clone());
        put(m, &[local, "port"], get(n, &["local_port"]).clone());
        let proto = flat_or(b, "protocol", n, &["protocol"]);
        put(m, &["network", "transport"], proto.clone());
        put(m, &["network", "direction"], json!(direction));
    }
    remote_ip
}

/// `threat.*` of the matched indicator (the hit's `intel`), typed by its kind (hits of
/// agents that predate the other kinds have no kind: `ip`).
fn ecs_threat(m: &mut Map<String, Value>, b: &Value, intel: &Value, remote_ip: Value) {
    let kind = get(intel, &["kind"]).as_str().unwrap_or("ip").to_string();
    let value = get(intel, &["indicator"]).clone();
    match kind.as_str() {
        "domain" | "domain_suffix" => {
            put(m, &["threat", "indicator", "type"], json!("domain-name"));
            let domain = get(b, &["domain"]).clone();
            put(m, &["threat", "indicator", "url", "domain"], domain.clone());
            put(m, &["dns", "question", "name"], domain);
            if !remote_ip.is_null() {
                put(m, &["threat", "indicator", "ip"], remote_ip);
            }
        }
        "sha256" | "sha1" | "md5" => {
            put(m, &["threat", "indicator", "type"], json!("file"));
            put(
                m,
                &["threat", "indicator", "file", "hash", kind.as_str()],
                value.clone(),
            );
        }
        "process_name" | "process_path" => {
            put(m, &["threat", "indicator", "type"], json!("process"));
        }
        _ => {
            let v6 = remote_ip.as_str().is_some_and(|ip| ip.contains(':'));
            put(
                m,
                &["threat", "indicator", "type"],
                json!(if v6 { "ipv6-addr" } else { "ipv4-addr" }),
            );
            put(m, &["threat", "indicator", "ip"], remote_ip);
        }
    }
    put(m, &["threat", "indicator", "description"], value.clone());
    put(
        m,
        &["threat", "indicator", "provider"],
        get(intel, &["source"]).clone(),
    );
    put(
        m,
        &["threat", "enrichments"],
        json!([{ "matched": { "atomic": value } }]),
    );
}

/// Syslog severity for a record: critical (2) for risk ≥ 80, warning (4) for other hits and
/// alerts, notice (5) for audit, informational (6) for events.
pub fn severity(r: &OutputRecord) -> u8 {
    match r.kind {
        RecordKind::Hit | RecordKind::Alert if r.risk_score >= 80 => 2,
        RecordKind::Hit | RecordKind::Alert => 4,
        RecordKind::Audit => 5,
        RecordKind::Event => 6,
    }
}

/// An RFC 5424 header field: printable US-ASCII only, at most `max` characters, `-` if empty.
fn header_field(s: &str, max: usize) -> String {
    let v: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if v.is_empty() { "-".into() } else { v }
}

fn sd_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// One RFC 5424 message (no framing): `<PRI>1 TIMESTAMP HOST APP - KIND [outpost@32473 …] JSON`.
pub fn rfc5424(r: &OutputRecord, h: &SyslogHeader) -> String {
    let pri = u16::from(h.facility.min(23)) * 8 + u16::from(severity(r));
    let host = header_field(r.hostname.as_deref().unwrap_or(&h.hostname), 255);
    let mut s = String::with_capacity(512);
    let _ = write!(
        s,
        "<{pri}>1 {} {} {} - {} [outpost@32473 id=\"",
        r.time.to_rfc3339_opts(SecondsFormat::Micros, true),
        host,
        header_field(&h.app_name, 48),
        header_field(r.kind.as_str(), 32),
    );
    sd_escape(&r.id, &mut s);
    s.push_str("\" tenant=\"");
    sd_escape(&r.tenant_id, &mut s);
    if let Some(d) = &r.device_id {
        s.push_str("\" device=\"");
        sd_escape(d, &mut s);
    }
    let _ = write!(s, "\" risk=\"{}\"] ", r.risk_score);
    s.push_str(&native_json(r).to_string());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rec() -> OutputRecord {
        let mut r = OutputRecord::new(
            "hit-7",
            RecordKind::Hit,
            "acme",
            chrono::Utc
                .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
                .single()
                .unwrap_or_default(),
            json!({"remote_ip": "1.2.3.4", "remote_port": 443, "protocol": "tcp",
                   "process_name": "bad.exe", "pid": 10, "sha256": "ab", "intel": {"indicator": "1.2.3.0/24"}}),
        );
        r.device_id = Some("dev-1".into());
        r.hostname = Some("host one".into());
        r.risk_score = 90;
        r
    }

    /// Hits of other indicator kinds map to their ECS indicator type.
    #[test]
    fn ecs_names_the_indicator_kind() {
        let mut r = rec();
        r.body = json!({"process_name": "curl", "domain": "x.bad.example",
            "intel": {"indicator": "*.bad.example", "kind": "domain_suffix"}});
        let v = ecs_json(&r);
        assert_eq!(v["threat"]["indicator"]["type"], "domain-name");
        assert_eq!(v["dns"]["question"]["name"], "x.bad.example");
        assert!(v.get("destination").is_none(), "{v}");
        r.body = json!({"process_name": "x", "sha256": "ab",
            "intel": {"indicator": "ab", "kind": "sha256"}});
        let v = ecs_json(&r);
        assert_eq!(v["threat"]["indicator"]["type"], "file");
        assert_eq!(v["threat"]["indicator"]["file"]["hash"]["sha256"], "ab");
        let v = ecs_json(&rec());
        assert_eq!(v["threat"]["indicator"]["type"], "ipv4-addr");
        assert_eq!(v["threat"]["indicator"]["ip"], "1.2.3.4");
    }

    #[test]
    fn native_has_threatseer_fields() {
        let v = native_json(&rec());
        assert_eq!(v["@timestamp"], "2026-01-02T03:04:05.000Z");
        assert_eq!(v["event"]["process_name"], "bad.exe");
        assert_eq!(v["risk_score"], 90);
        assert!(v["indicators"].is_array());
    }

    #[test]
    fn ecs_maps_network_and_process() {
        let v = ecs_json(&rec());
        assert_eq!(v["destination"]["ip"], "1.2.3.4");
        assert_eq!(v["destination"]["port"], 443);
        assert_eq!(v["process"]["name"], "bad.exe");
        assert_eq!(v["process"]["hash"]["sha256"], "ab");
        assert_eq!(v["event"]["kind"], "alert");
        assert_eq!(v["organization"]["id"], "acme");
        assert_eq!(v["threat"]["indicator"]["description"], "1.2.3.0/24");
    }

    #[test]
    fn rfc5424_header_and_escaping() {
        let mut r = rec();
        r.tenant_id = "a\"b]c\\".into();
        let s = rfc5424(
            &r,
            &SyslogHeader {
                facility: 4,
                app_name: "outpost".into(),
                hostname: "h".into(),
            },
        );
        // PRI = 4*8 + 2 (critical), hostname spaces removed.
        assert!(s.starts_with("<34>1 2026-01-02T03:04:05.000000Z hostone outpost - hit [outpost@32473 id=\"hit-7\" tenant=\"a\\\"b\\]c\\\\\" device=\"dev-1\" risk=\"90\"] {"), "{s}");
        let json_part = &s[s.find("] {").map(|i| i + 2).unwrap_or(0)..];
        let v: Value = serde_json::from_str(json_part).unwrap_or(Value::Null);
        assert_eq!(v["id"], "hit-7");
    }
}
