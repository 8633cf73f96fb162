//! Falco's JSON alert output (`json_output: true`, the file/stdout/HTTP output, or
//! Falcosidekick forwarding the same objects to Kafka/NATS) → Outpost's normalized [`Event`].
//!
//! A Falco alert is already a detection; it becomes a `log` event (channel `falco`, provider
//! the rule) whose fields are the alert's `output_fields` (values as text; `null`s left out)
//! plus `rule`, `priority`, `source`, `tags` and `output`, so Outpost's rules can score it by
//! rule, priority or any field. What the fields say about the process (`proc.*`), the file
//! (`fd.name`), the connection (`fd.sip`/`fd.dip`…), the container (`container.*`) and the
//! pod (`k8s.ns.name`, `k8s.pod.name` → labels `k8s.namespace`, `k8s.pod`) fills the event's
//! sections as well, so process, network and STIX patterns apply to it too. The node is the
//! alert's `hostname` (newer Falco), else `evt.hostname`.
//!
//! The time is `output_fields."evt.time"` — nanoseconds since the epoch, above 2^53, read as
//! a 64-bit integer (a float would lose the last digits) — else the RFC 3339 `time`.
//! Falco's own metrics snapshots (rule `Falco internal: metrics snapshot`) are not events:
//! [`MapError::NotAnEvent`].

use super::{MapError, Mapped, get_str, get_u32, parse_time};
use chrono::{DateTime, Utc};
use outpost_core::event::{
    ContainerInfo, FileAction, FileInfo, LogRecord, NetworkInfo, ParentInfo, ProcessInfo,
};
use outpost_core::{Direction, Event, EventKind, Protocol};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Maps one alert. `received` is the event time when the alert has none.
pub fn map(record: &[u8], received: DateTime<Utc>) -> Result<Mapped, MapError> {
    let v: Value = serde_json::from_slice(record).map_err(|e| MapError::Json(e.to_string()))?;
    map_value(&v, received)
}

/// `evt.time` (nanoseconds, an integer) as a time.
fn evt_time(f: &Map<String, Value>) -> Option<DateTime<Utc>> {
    let ns = f.get("evt.time")?.as_u64()?;
    let ns = i64::try_from(ns).ok()?;
    Some(DateTime::from_timestamp_nanos(ns))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(a.iter().filter_map(text).collect::<Vec<_>>().join(",")),
        other => Some(other.to_string()),
    }
}

/// [`map`] on parsed JSON.
pub fn map_value(v: &Value, received: DateTime<Utc>) -> Result<Mapped, MapError> {
    let obj = v.as_object().ok_or(MapError::NotObject)?;
    let rule = get_str(obj, "rule").ok_or(MapError::Missing("rule"))?;
    let empty = Map::new();
    let f = match obj.get("output_fields") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err(MapError::Invalid("output_fields")),
    };
    if rule.starts_with("Falco internal") {
        return Err(MapError::NotAnEvent(rule));
    }
    let ts = match evt_time(f) {
        Some(t) => t,
        None => match obj.get("time").and_then(Value::as_str) {
            Some(t) => parse_time(t).ok_or(MapError::Invalid("time"))?,
            None => received,
        },
    };
    let node = get_str(obj, "hostname")
        .or_else(|| get_str(f, "evt.hostname"))
        .filter(|s| !s.is_empty());
    let mut e = Event::new(ts, EventKind::Log, "falco");
    let s = |k: &str| {
        f.get(k)
            .and_then(text)
            .filter(|s| !s.is_empty() && s != "<NA>")
    };

    // The process.
    let exe = s("proc.exepath").or_else(|| s("proc.exe"));
    let name = s("proc.name");
    if exe.is_some() || name.is_some() || f.contains_key("proc.pid") {
        let cmd = s("proc.cmdline");
        let pname = s("proc.pname");
        let ppid = get_u32(f, "proc.ppid");
        let parent = (pname.is_some() || ppid.is_some()).then(|| ParentInfo {
            pid: ppid.unwrap_or(0),
            name: pname,
            exe: s("proc.pexepath"),
            command_line: s("proc.pcmdline"),
        });
        let args = cmd
            .as_deref()
            .map(|c| c.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        e.process = Some(Arc::new(ProcessInfo {
            pid: get_u32(f, "proc.pid").unwrap_or(0),
            name,
            exe,
            args,
            command_line: cmd,
            cwd: s("proc.cwd"),
            ppid,
            parent,
            uid: get_u32(f, "user.uid"),
            user: s("user.name"),
            tty: s("proc.tty").filter(|t| t != "0"),
            ..Default::default()
        }));
    }
    // The connection, else the file.
    let sip = s("fd.sip").and_then(|x| x.parse().ok());
    let dip = s("fd.rip")
        .or_else(|| s("fd.dip"))
        .and_then(|x| x.parse().ok());
    if sip.is_some() || dip.is_some() {
        let protocol = match s("fd.l4proto").as_deref() {
            Some("udp") => Protocol::Udp,
            _ => Protocol::Tcp,
        };
        e.network = Some(NetworkInfo {
            direction: Direction::Outbound,
            protocol,
            local_ip: sip,
            local_port: get_u32(f, "fd.sport").and_then(|p| u16::try_from(p).ok()),
            remote_ip: dip,
            remote_port: get_u32(f, "fd.rport")
                .or_else(|| get_u32(f, "fd.dport"))
                .and_then(|p| u16::try_from(p).ok()),
            ..Default::default()
        });
    } else if let Some(path) = s("fd.name").filter(|p| p.starts_with('/')) {
        let write = s("evt.arg.flags")
            .is_some_and(|fl| fl.contains("O_WRONLY") || fl.contains("O_RDWR"))
            || rule.to_ascii_lowercase().contains("write");
        let action = if write {
            FileAction::Write
        } else {
            FileAction::Access
        };
        e.file = Some(FileInfo::new(action, path));
    }
    // The container and the pod.
    if let Some(id) = s("container.id").filter(|id| id != "host") {
        let image = match (s("container.image.repository"), s("container.image.tag")) {
            (Some(r), Some(t)) => Some(format!("{r}:{t}")),
            (Some(r), None) => Some(r),
            _ => s("container.image"),
        };
        e.container = Some(ContainerInfo {
            id,
            runtime: s("container.type").unwrap_or_else(|| "unknown".into()),
            name: s("container.name"),
            image,
        });
    }
    for (key, label) in [
        ("k8s.ns.name", "k8s.namespace"),
        ("k8s.pod.name", "k8s.pod"),
    ] {
        if let Some(v) = s(key) {
            e.labels.insert(label.into(), v);
        }
    }
    if let Some(n) = &node {
        e.labels.insert("k8s.node".into(), n.clone());
    }
    // The alert itself, for rules and analysts.
    let mut fields: BTreeMap<String, String> = f
        .iter()
        .filter_map(|(k, v)| text(v).map(|t| (k.clone(), t)))
        .collect();
    fields.insert("rule".into(), rule.clone());
    for k in ["priority", "source", "output"] {
        if let Some(v) = get_str(obj, k) {
            fields.insert(k.into(), v);
        }
    }
    if let Some(t) = obj.get("tags").and_then(text) {
        fields.insert("tags".into(), t);
    }
    e.labels.insert("falco.rule".into(), rule.clone());
    if let Some(p) = get_str(obj, "priority") {
        e.labels.insert("falco.priority".into(), p);
    }
    e.log = Some(LogRecord {
        channel: "falco".into(),
        provider: Some(rule),
        event_id: None,
        record_id: None,
        computer: node.clone(),
        fields,
    });
    Ok(Mapped { event: e, node })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// An alert with a rule and arbitrary output fields maps; `evt.time` of any u64 that
        /// fits an i64 is read exactly.
        #[test]
        fn alerts_with_arbitrary_fields_map(fields in crate::inputs::arb::json(), ns in 0u64..=(i64::MAX as u64)) {
            let mut fields = match fields { Value::Object(o) => o, _ => Map::new() };
            fields.insert("evt.time".into(), Value::from(ns));
            let v = serde_json::json!({"rule": "r", "priority": "Warning", "output_fields": fields});
            let m = map_value(&v, Utc::now()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(m.event.ts.timestamp_nanos_opt(), Some(ns as i64));
        }
    }

    /// `evt.time` above 2^53 keeps its last digits (a float would not).
    #[test]
    fn evt_time_is_read_as_an_integer() {
        let line = br#"{"rule":"r","output_fields":{"evt.time":1746622234502309868},"time":"2025-05-07T12:50:34Z"}"#;
        let m = map(line, Utc::now()).unwrap();
        assert_eq!(
            m.event.ts.timestamp_nanos_opt(),
            Some(1_746_622_234_502_309_868)
        );
    }
}
