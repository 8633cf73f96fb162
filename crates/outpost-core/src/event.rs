//! The normalized event: one shape for every source.
//!
//! A process exec seen by the netlink proc connector, a Sysmon event 1 read from an EVTX file and
//! an auditd EXECVE record all become the same [`Event`] with `kind = process_exec` and a
//! [`ProcessInfo`] section; a Windows Filtering Platform 5156 record, a Sysmon event 3 and an
//! audited `connect()` all become `kind = network` with a [`NetworkInfo`] section. Rules, the
//! correlator and the outputs therefore never care where an event came from.
//!
//! The layout is ECS-like: a small header (`ts`, `kind`, `source`) plus optional sections. The
//! JSON field names are the rule field paths (`process.exe`, `network.remote_ip`, …), and they
//! are also the lines of the agent's hourly buffer files, so they are stable API.

use crate::net::{Direction, Protocol};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// What happened. Serialized in snake_case (`"process_exec"`, `"network"`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A process was started (exec, Sysmon 1, Security 4688, auditd EXECVE).
    ProcessExec,
    /// A process forked (Linux only).
    ProcessFork,
    /// A process exited.
    ProcessExit,
    /// A process alive when the agent started (inventory, not a new exec).
    ProcessInventory,
    /// A connection or flow (connect, accept, UDP flow, WFP 5156/5157, Sysmon 3).
    Network,
    /// An existing socket found at start-up (sock_diag inventory).
    NetworkInventory,
    /// A file-integrity or file-access event.
    File,
    /// A container's first process appeared.
    ContainerStart,
    /// A container's last process exited.
    ContainerStop,
    /// A DNS lookup: the query, and its answer when one was seen (packet tap of port 53,
    /// Sysmon 22, the Windows DNS-Client channel).
    Dns,
    /// Any other OS-log record, kept with all its fields for rules.
    Log,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 11] = [
        EventKind::ProcessExec,
        EventKind::ProcessFork,
        EventKind::ProcessExit,
        EventKind::ProcessInventory,
        EventKind::Network,
        EventKind::NetworkInventory,
        EventKind::File,
        EventKind::ContainerStart,
        EventKind::ContainerStop,
        EventKind::Dns,
        EventKind::Log,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ProcessExec => "process_exec",
            EventKind::ProcessFork => "process_fork",
            EventKind::ProcessExit => "process_exit",
            EventKind::ProcessInventory => "process_inventory",
            EventKind::Network => "network",
            EventKind::NetworkInventory => "network_inventory",
            EventKind::File => "file",
            EventKind::ContainerStart => "container_start",
            EventKind::ContainerStop => "container_stop",
            EventKind::Dns => "dns",
            EventKind::Log => "log",
        }
    }
}

/// One normalized event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// When the event happened (UTC), as reported by its source.
    pub ts: DateTime<Utc>,
    /// What happened (see the kinds below).
    pub kind: EventKind,
    /// Which collector or reader produced it: `proc_connector`, `audit`, `ebpf`, `sock_diag`,
    /// `inotify`, `fanotify`, `procfs`, `evtx`, `auditd_log`, `ingest`, …
    // (The doc comment above is the event reference's text.) Borrowed when it is a constant
    // (a collector's name: building an event allocates nothing for it), owned when read from
    // elsewhere.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub source: Cow<'static, str>,
    /// Shared, not copied: a collector attributes many events to one process record (every
    /// connection of a process carries the same `Arc`), so building an event costs no
    /// allocation for it. Change one event's copy with `Arc::make_mut`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Arc<ProcessInfo>>,
    /// The connection or flow (`network`, `network_inventory` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkInfo>,
    /// The file (`file` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileInfo>,
    /// The container the event happened in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    /// The lookup (`dns` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsInfo>,
    /// The original OS-log record, for events read from logs (kept for rules and for analysts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogRecord>,
    /// Source-specific extras that have no section of their own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Event {
    /// An event with only its header set; fill the sections you need.
    pub fn new(ts: DateTime<Utc>, kind: EventKind, source: impl Into<Cow<'static, str>>) -> Self {
        Event {
            ts,
            kind,
            source: source.into(),
            process: None,
            network: None,
            file: None,
            container: None,
            dns: None,
            log: None,
            labels: BTreeMap::new(),
        }
    }

    /// The remote address of a network event, if any.
    pub fn remote_ip(&self) -> Option<IpAddr> {
        self.network.as_ref().and_then(|n| n.remote_ip)
    }

    /// The process name, falling back to the basename of the executable path.
    pub fn process_name(&self) -> Option<&str> {
        let p = self.process.as_ref()?;
        match p.name.as_deref() {
            Some(n) if !n.is_empty() => Some(n),
            _ => p.exe.as_deref().map(basename),
        }
    }
}

/// The last component of a Unix or Windows path (`C:\x\bad.exe` → `bad.exe`).
pub fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// File hashes as reported by a source (Sysmon `Hashes`) or computed by the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hashes {
    /// SHA-256, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// SHA-1, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// MD5, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// Other algorithms a source reported (e.g. Sysmon `IMPHASH`), by upper-case name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, String>,
}

impl Hashes {
    pub fn is_empty(&self) -> bool {
        self.sha256.is_none() && self.sha1.is_none() && self.md5.is_none() && self.other.is_empty()
    }
}

/// The process an event belongs to (the acting process).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Short name (`comm` on Linux, image basename on Windows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Full executable path (Linux `/proc/PID/exe`, Windows image or WFP application path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// Argument vector, when the source gives one (Linux).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Command line as one string (Windows sources; on Linux the args joined by spaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Parent process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppid: Option<u32>,
    /// What is known of the parent process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentInfo>,
    /// Real user id (Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Effective user id (Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub euid: Option<u32>,
    /// Real group id (Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// User name (Windows `DOMAIN\user`, Linux name resolved from uid when known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// True when the effective uid differs from the real uid (setuid execution).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub setuid: bool,
    /// When the process started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    /// Controlling terminal (Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<String>,
    /// Exit code (`process_exit` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Hashes of the executable, from the source or computed by the agent.
    #[serde(default, skip_serializing_if = "Hashes::is_empty")]
    pub hashes: Hashes,
    /// Windows process GUID (Sysmon) or another source-specific stable id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

/// What is known of the parent process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParentInfo {
    /// Parent process id.
    pub pid: u32,
    /// Parent's short name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Parent's executable path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// Parent's command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
}

/// Whether the connection was let through.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum NetworkAction {
    /// Allowed / established / observed (WFP 5156, connect, accept).
    #[default]
    Allowed,
    /// Blocked by the host firewall (WFP 5157).
    Blocked,
    /// Attempted; result unknown or failed.
    Attempted,
}

/// A connection or flow. `local_*` is the monitored host's side, `remote_*` the peer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NetworkInfo {
    /// `outbound`, `inbound` or `unknown`.
    #[serde(default)]
    pub direction: Direction,
    /// Transport protocol.
    pub protocol: Protocol,
    /// This host's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_ip: Option<IpAddr>,
    /// This host's port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_port: Option<u16>,
    /// The peer's address (what address indicators match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<IpAddr>,
    /// The peer's port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_port: Option<u16>,
    /// Whether the connection was allowed, blocked or only attempted.
    #[serde(default)]
    pub action: NetworkAction,
    /// Remote host name when the source reports one (Sysmon `DestinationHostname`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_hostname: Option<String>,
    /// Community ID flow hash, when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
}

/// A DNS lookup. One event per query: a sensor that sees the answer too (within a few
/// seconds) fills `rcode` and `answers`; a query nobody answered keeps them empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DnsInfo {
    /// The queried name: lower case, without the trailing dot.
    pub query: String,
    /// Query type (`A`, `AAAA`, `CNAME`, `TXT`, …; `TYPE99` for types without a name, see
    /// [`DnsInfo::type_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qtype: Option<String>,
    /// Response code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, …) when an answer was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// Answer data as text: addresses (A/AAAA) and names (CNAME), in answer order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// The server asked, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<IpAddr>,
}

impl DnsInfo {
    /// The addresses among the answers.
    pub fn answer_ips(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.answers.iter().filter_map(|a| a.parse().ok())
    }

    /// The text of a query type number (`1` → `A`, `28` → `AAAA`, `99` → `TYPE99`), shared
    /// by the Linux packet decoder and the Windows readers so both name types alike.
    pub fn type_name(t: u16) -> String {
        let s = match t {
            1 => "A",
            2 => "NS",
            5 => "CNAME",
            6 => "SOA",
            12 => "PTR",
            15 => "MX",
            16 => "TXT",
            28 => "AAAA",
            33 => "SRV",
            35 => "NAPTR",
            43 => "DS",
            48 => "DNSKEY",
            64 => "SVCB",
            65 => "HTTPS",
            255 => "ANY",
            _ => return format!("TYPE{t}"),
        };
        s.to_string()
    }

    /// The text of a DNS response code (`0` → `NOERROR`, `3` → `NXDOMAIN`, `12` → `RCODE12`).
    pub fn rcode_name(r: u16) -> String {
        let s = match r {
            0 => "NOERROR",
            1 => "FORMERR",
            2 => "SERVFAIL",
            3 => "NXDOMAIN",
            4 => "NOTIMP",
            5 => "REFUSED",
            _ => return format!("RCODE{r}"),
        };
        s.to_string()
    }
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileAction {
    Create,
    /// Closed after writing (content may have changed).
    Write,
    Delete,
    Rename,
    /// Mode bits changed.
    Chmod,
    /// Owner or group changed.
    Chown,
    /// Opened for reading (access monitoring of sensitive files).
    Access,
}

/// A file event. For container files `path` is the path inside the container and `host_path`
/// the path on the host (overlay merged directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileInfo {
    /// What was done to the file.
    pub action: FileAction,
    /// The file's path (inside the container for container files).
    pub path: String,
    /// For container files, the path on the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
    /// The previous path of a renamed file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// SHA-256 before the change (file integrity baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_before: Option<String>,
    /// SHA-256 after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_after: Option<String>,
    /// Size in bytes after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Permission bits after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Owner after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Group after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
}

impl FileInfo {
    /// What was done to which file, with nothing else known yet (no hashes, size, owner).
    pub fn new(action: FileAction, path: impl Into<String>) -> FileInfo {
        FileInfo {
            action,
            path: path.into(),
            host_path: None,
            old_path: None,
            sha256_before: None,
            sha256_after: None,
            size: None,
            mode: None,
            uid: None,
            gid: None,
        }
    }
}

/// The container an event happened in, derived from the process's cgroup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContainerInfo {
    /// Full container id (64 hex characters for docker/containerd/cri-o/podman).
    pub id: String,
    /// `docker`, `containerd`, `cri-o`, `podman`, …
    pub runtime: String,
    /// Container name, when the runtime tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Image name, when the runtime tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// An OS-log record as read (EVTX, auditd), with all its data fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LogRecord {
    /// `Security`, `Microsoft-Windows-Sysmon/Operational`, `audit`, …
    pub channel: String,
    /// The provider (EVTX `System/Provider/@Name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Windows event id, or the audit record type's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u32>,
    /// EVTX record id or audit event serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
    /// The computer name the record carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer: Option<String>,
    /// EventData / audit fields by name, as strings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`EventKind::ALL`] lists every kind of the schema once, and each kind's wire name is
    /// its [`EventKind::as_str`].
    #[test]
    fn all_lists_every_kind_by_its_wire_name() {
        fn wire_names(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        match (k.as_str(), v) {
                            ("const", serde_json::Value::String(s)) => out.push(s.clone()),
                            ("enum", serde_json::Value::Array(a)) => {
                                out.extend(a.iter().filter_map(|s| s.as_str().map(String::from)))
                            }
                            _ => wire_names(v, out),
                        }
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| wire_names(v, out)),
                _ => {}
            }
        }
        let mut schema = Vec::new();
        wire_names(
            &serde_json::to_value(schemars::schema_for!(EventKind)).unwrap(),
            &mut schema,
        );
        schema.sort();
        let mut all: Vec<String> = EventKind::ALL
            .iter()
            .map(|k| {
                assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
                k.as_str().to_string()
            })
            .collect();
        all.sort();
        assert_eq!(all, schema);
    }

    #[test]
    fn network_event_json_is_stable() {
        let mut e = Event::new(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .into(),
            EventKind::Network,
            "evtx",
        );
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid: 1234,
            exe: Some(r"C:\Path\bad.exe".into()),
            ..Default::default()
        }));
        e.network = Some(NetworkInfo {
            direction: Direction::Outbound,
            protocol: Protocol::Tcp,
            remote_ip: Some("1.2.3.4".parse().unwrap()),
            remote_port: Some(443),
            ..Default::default()
        });
        let j = serde_json::to_string(&e).unwrap();
        assert_eq!(
            j,
            r#"{"ts":"2026-01-01T00:00:00Z","kind":"network","source":"evtx","process":{"pid":1234,"exe":"C:\\Path\\bad.exe"},"network":{"direction":"outbound","protocol":"tcp","remote_ip":"1.2.3.4","remote_port":443,"action":"allowed"}}"#
        );
        let back: Event = serde_json::from_str(&j).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.process_name(), Some("bad.exe"));
        assert_eq!(back.remote_ip(), Some("1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn basename_handles_both_separators() {
        assert_eq!(basename("/usr/bin/dig"), "dig");
        assert_eq!(basename(r"C:\Windows\System32\svchost.exe"), "svchost.exe");
        assert_eq!(basename("plain"), "plain");
    }
}
