//! Cilium Tetragon's JSON export (`tetra getevents -o json`, the export file, or the same
//! lines produced to Kafka/NATS) → Outpost's normalized [`Event`].
//!
//! One JSON object per record, whose single event key names the type:
//! * `process_exec` → `process_exec`, `process_exit` → `process_exit` (with `status` as the
//!   exit code);
//! * `process_kprobe`, `process_tracepoint`, `process_lsm`, `process_uprobe` → by their
//!   arguments: a `sock_arg` (tcp_connect, tcp_sendmsg…) is a `network` event, a `file_arg`
//!   or `path_arg` a `file` event (write, truncate, … → `write`; other hooks → `access`),
//!   anything else a `log` event (channel `tetragon`, provider the hook) whose fields are the
//!   arguments. The hook, policy and action are labels (`tetragon.*`) in every case.
//!
//! The process (`binary`, `arguments`, `cwd`, `uid`, `exec_id`, parent) fills
//! [`ProcessInfo`]; the pod fills [`ContainerInfo`] (id without its `containerd://` scheme,
//! runtime, name, image) and the labels `k8s.namespace`, `k8s.pod`, `k8s.workload`,
//! `k8s.pod_label.<name>`; `node_name` becomes `k8s.node` and the record's node. Types
//! Tetragon does not export (e.g. the older `process_connect`) are
//! [`MapError::UnknownType`].

use super::{MapError, Mapped, get_str, get_u32, labels_from, parse_time};
use chrono::{DateTime, Utc};
use outpost_core::event::{
    ContainerInfo, FileAction, FileInfo, LogRecord, NetworkInfo, ParentInfo, ProcessInfo,
};
use outpost_core::{Direction, Event, EventKind, Protocol};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The event types this mapper knows.
pub const TYPES: &[&str] = &[
    "process_exec",
    "process_exit",
    "process_kprobe",
    "process_tracepoint",
    "process_lsm",
    "process_uprobe",
];

/// Maps one exported line. `received` is the event time when the record has none (the
/// broker's timestamp).
pub fn map(record: &[u8], received: DateTime<Utc>) -> Result<Mapped, MapError> {
    let v: Value = serde_json::from_slice(record).map_err(|e| MapError::Json(e.to_string()))?;
    map_value(&v, received)
}

/// [`map`] on parsed JSON.
pub fn map_value(v: &Value, received: DateTime<Utc>) -> Result<Mapped, MapError> {
    let obj = v.as_object().ok_or(MapError::NotObject)?;
    let (ty, body) = obj
        .iter()
        .find(|(k, v)| k.starts_with("process_") && v.is_object())
        .ok_or(MapError::Missing(
            "an event key (process_exec, process_kprobe, …)",
        ))?;
    if !TYPES.contains(&ty.as_str()) {
        return Err(MapError::UnknownType(ty.clone()));
    }
    let body = body.as_object().ok_or(MapError::NotObject)?;
    let proc_obj = body
        .get("process")
        .and_then(Value::as_object)
        .ok_or(MapError::Missing("process"))?;
    let node = get_str(obj, "node_name");
    let ts = match obj.get("time").and_then(Value::as_str) {
        Some(t) => parse_time(t).ok_or(MapError::Invalid("time"))?,
        None => received,
    };
    let (process, container, mut labels) = process_of(proc_obj, body.get("parent"));
    let kind = match ty.as_str() {
        "process_exec" => EventKind::ProcessExec,
        "process_exit" => EventKind::ProcessExit,
        _ => EventKind::Log,
    };
    let mut e = Event::new(ts, kind, "tetragon");
    let mut process = process;
    if ty == "process_exit" {
        process.exit_code = body
            .get("status")
            .and_then(Value::as_i64)
            .and_then(|s| i32::try_from(s).ok());
    }
    labels.insert("tetragon.type".into(), ty.clone());
    for (key, label) in [
        ("function_name", "tetragon.function_name"),
        ("policy_name", "tetragon.policy_name"),
        ("action", "tetragon.action"),
        ("event", "tetragon.event"),
        ("subsys", "tetragon.subsys"),
    ] {
        if let Some(s) = get_str(body, key) {
            labels.insert(label.into(), s);
        }
    }
    if let Some(n) = &node {
        labels.insert("k8s.node".into(), n.clone());
    }
    if kind == EventKind::Log {
        hook_event(&mut e, body, &labels);
    }
    e.process = Some(Arc::new(process));
    e.container = container;
    e.labels.extend(labels);
    Ok(Mapped { event: e, node })
}

/// A hook event (kprobe, tracepoint, LSM, uprobe): network, file or log by its arguments.
fn hook_event(
    e: &mut Event,
    body: &Map<String, Value>,
    labels: &std::collections::BTreeMap<String, String>,
) {
    let hook = get_str(body, "function_name")
        .or_else(|| {
            Some(format!(
                "{}/{}",
                get_str(body, "subsys").unwrap_or_default(),
                get_str(body, "event").unwrap_or_default()
            ))
            .filter(|s| s != "/")
        })
        .unwrap_or_else(|| "unknown".into());
    let args: &[Value] = body
        .get("args")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for a in args {
        let Some(a) = a.as_object() else { continue };
        if let Some(sock) = a.get("sock_arg").and_then(Value::as_object) {
            e.kind = EventKind::Network;
            let protocol = match get_str(sock, "protocol").as_deref() {
                Some("IPPROTO_UDP") => Protocol::Udp,
                _ => Protocol::Tcp,
            };
            e.network = Some(NetworkInfo {
                direction: Direction::Outbound,
                protocol,
                local_ip: get_str(sock, "saddr").and_then(|s| s.parse().ok()),
                local_port: get_u32(sock, "sport").and_then(|p| u16::try_from(p).ok()),
                remote_ip: get_str(sock, "daddr").and_then(|s| s.parse().ok()),
                remote_port: get_u32(sock, "dport").and_then(|p| u16::try_from(p).ok()),
                ..Default::default()
            });
            return;
        }
        let path = a
            .get("file_arg")
            .or_else(|| a.get("path_arg"))
            .and_then(Value::as_object)
            .and_then(|f| get_str(f, "path"));
        if let Some(path) = path {
            let writes = ["write", "truncate", "unlink", "rename", "chmod", "chown"];
            let action = if writes.iter().any(|w| hook.contains(w)) {
                FileAction::Write
            } else {
                FileAction::Access
            };
            e.kind = EventKind::File;
            e.file = Some(FileInfo::new(action, path));
            return;
        }
    }
    // Anything else: a log record with the arguments as fields.
    let mut fields = std::collections::BTreeMap::new();
    for (i, a) in args.iter().enumerate() {
        if let Some(o) = a.as_object() {
            for (k, v) in o {
                if k == "label" {
                    continue;
                }
                fields.insert(format!("arg{i}.{k}"), scalar(v));
            }
        }
    }
    fields.extend(labels.clone());
    e.log = Some(LogRecord {
        channel: "tetragon".into(),
        provider: Some(hook),
        event_id: None,
        record_id: None,
        computer: None,
        fields,
    });
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The process, its container and its Kubernetes labels.
fn process_of(
    p: &Map<String, Value>,
    parent: Option<&Value>,
) -> (
    ProcessInfo,
    Option<ContainerInfo>,
    std::collections::BTreeMap<String, String>,
) {
    let exe = get_str(p, "binary").filter(|s| !s.is_empty());
    let arguments = get_str(p, "arguments").unwrap_or_default();
    let args: Vec<String> = exe
        .iter()
        .cloned()
        .chain(arguments.split_whitespace().map(str::to_string))
        .collect();
    let command_line = exe.as_ref().map(|b| {
        if arguments.is_empty() {
            b.clone()
        } else {
            format!("{b} {arguments}")
        }
    });
    let creds = p.get("process_credentials").and_then(Value::as_object);
    let parent = parent.and_then(Value::as_object).and_then(|pp| {
        let pid = get_u32(pp, "pid")?;
        let exe = get_str(pp, "binary");
        let args = get_str(pp, "arguments").unwrap_or_default();
        Some(ParentInfo {
            pid,
            name: exe
                .as_deref()
                .map(|e| outpost_core::event::basename(e).to_string()),
            command_line: exe
                .as_ref()
                .map(|b| format!("{b} {args}").trim().to_string()),
            exe,
        })
    });
    let process = ProcessInfo {
        pid: get_u32(p, "pid").unwrap_or(0),
        name: exe
            .as_deref()
            .map(|e| outpost_core::event::basename(e).to_string()),
        exe,
        args,
        command_line,
        cwd: get_str(p, "cwd"),
        ppid: parent.as_ref().map(|pp| pp.pid),
        parent,
        uid: get_u32(p, "uid"),
        euid: creds.and_then(|c| get_u32(c, "euid")),
        gid: creds.and_then(|c| get_u32(c, "gid")),
        start_time: get_str(p, "start_time").and_then(|t| parse_time(&t)),
        entity_id: get_str(p, "exec_id"),
        ..Default::default()
    };
    let mut labels = std::collections::BTreeMap::new();
    let mut container = None;
    if let Some(pod) = p.get("pod").and_then(Value::as_object) {
        for (key, label) in [
            ("namespace", "k8s.namespace"),
            ("name", "k8s.pod"),
            ("workload", "k8s.workload"),
            ("workload_kind", "k8s.workload_kind"),
        ] {
            if let Some(s) = get_str(pod, key).filter(|s| !s.is_empty()) {
                labels.insert(label.into(), s);
            }
        }
        if let Some(pl) = pod.get("pod_labels").and_then(Value::as_object) {
            labels.extend(labels_from(pl, "k8s.pod_label."));
        }
        if let Some(c) = pod.get("container").and_then(Value::as_object) {
            let raw = get_str(c, "id").unwrap_or_default();
            let (runtime, id) = match raw.split_once("://") {
                Some((r, id)) => (r.to_string(), id.to_string()),
                None => ("unknown".to_string(), raw),
            };
            let image = c
                .get("image")
                .and_then(Value::as_object)
                .and_then(|i| get_str(i, "name").or_else(|| get_str(i, "id")));
            container = Some(ContainerInfo {
                id,
                runtime,
                name: get_str(c, "name"),
                image,
            });
        }
    }
    (process, container, labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any object under a known event key with a process object maps, and keeps the
        /// type as a label.
        #[test]
        fn known_types_with_a_process_map(ty in prop::sample::select(TYPES), p in crate::inputs::arb::json(), extra in crate::inputs::arb::json()) {
            let process = if p.is_object() { p } else { serde_json::json!({}) };
            let v = serde_json::json!({ ty: { "process": process, "extra": extra } });
            let m = map_value(&v, Utc::now()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(m.event.labels.get("tetragon.type").map(String::as_str), Some(ty));
        }

        /// Arbitrary bytes are rejected as malformed, never a panic.
        #[test]
        fn arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..256)) {
            if let Err(e) = map(&b, Utc::now()) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn unknown_types_are_reported_as_such() {
        let v = serde_json::json!({"process_connect": {"process": {"pid": 1}}});
        assert_eq!(
            map_value(&v, Utc::now()).unwrap_err(),
            MapError::UnknownType("process_connect".into())
        );
    }
}
