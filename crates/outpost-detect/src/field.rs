//! Event field paths, resolved without allocation.
//!
//! A rule names an event field by its JSON path (`process.exe`, `network.remote_ip`,
//! `log.fields.CommandLine`, `labels.k8s_namespace`). Paths are parsed once into a [`Field`] at
//! rule load; resolving a [`Field`] on an [`Event`] returns a borrowed [`Value`].

use outpost_core::event::{FileAction, NetworkAction};
use outpost_core::{Direction, Event, Protocol};
use std::net::IpAddr;

/// A parsed event field path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// `kind`
    Kind,
    /// `source`
    Source,
    /// `process.pid`
    ProcPid,
    /// `process.name` (falls back to the basename of `process.exe`)
    ProcName,
    /// `process.exe`
    ProcExe,
    /// `process.args` (a list: any element may match)
    ProcArgs,
    /// `process.command_line` (falls back to nothing; Linux sources fill it)
    ProcCommandLine,
    /// `process.cwd`
    ProcCwd,
    /// `process.ppid` (or `process.parent.pid`)
    ProcPpid,
    /// `process.parent.name`
    ParentName,
    /// `process.parent.exe`
    ParentExe,
    /// `process.parent.command_line`
    ParentCommandLine,
    /// `process.uid`
    ProcUid,
    /// `process.euid`
    ProcEuid,
    /// `process.gid`
    ProcGid,
    /// `process.user`
    ProcUser,
    /// `process.setuid`
    ProcSetuid,
    /// `process.tty`
    ProcTty,
    /// `process.exit_code`
    ProcExitCode,
    /// `process.entity_id`
    ProcEntityId,
    /// `process.hashes.sha256`
    ProcSha256,
    /// `process.hashes.sha1`
    ProcSha1,
    /// `process.hashes.md5`
    ProcMd5,
    /// `process.hashes.<OTHER>`
    ProcHashOther(String),
    /// `network.direction`
    NetDirection,
    /// `network.protocol`
    NetProtocol,
    /// `network.local_ip`
    NetLocalIp,
    /// `network.local_port`
    NetLocalPort,
    /// `network.remote_ip`
    NetRemoteIp,
    /// `network.remote_port`
    NetRemotePort,
    /// `network.action`
    NetAction,
    /// `network.remote_hostname`
    NetRemoteHostname,
    /// `network.community_id`
    NetCommunityId,
    /// `network.initiated`: a derived boolean, true for outbound connections (Sigma `Initiated`).
    NetInitiated,
    /// `file.action`
    FileAction,
    /// `file.path`
    FilePath,
    /// `file.host_path`
    FileHostPath,
    /// `file.old_path`
    FileOldPath,
    /// `file.sha256_before`
    FileSha256Before,
    /// `file.sha256_after`
    FileSha256After,
    /// `file.size`
    FileSize,
    /// `file.mode`
    FileMode,
    /// `file.uid`
    FileUid,
    /// `file.gid`
    FileGid,
    /// `container.id`
    ContainerId,
    /// `container.runtime`
    ContainerRuntime,
    /// `container.name`
    ContainerName,
    /// `container.image`
    ContainerImage,
    /// `dns.query`
    DnsQuery,
    /// `dns.qtype`
    DnsQtype,
    /// `dns.rcode`
    DnsRcode,
    /// `log.channel`
    LogChannel,
    /// `log.provider`
    LogProvider,
    /// `log.event_id`
    LogEventId,
    /// `log.record_id`
    LogRecordId,
    /// `log.computer`
    LogComputer,
    /// `log.fields.<Name>`
    LogField(String),
    /// `labels.<key>`
    Label(String),
    /// Every string value of the event (Sigma keyword search).
    AnyString,
}

/// A borrowed field value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A string.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// An IP address.
    Ip(IpAddr),
    /// A boolean.
    Bool(bool),
    /// A list of strings (`process.args`).
    List(&'a [String]),
}

/// Every field path a rule may name (for documentation and error messages).
pub const KNOWN_FIELDS: &[&str] = &[
    "kind",
    "source",
    "process.pid",
    "process.name",
    "process.exe",
    "process.args",
    "process.command_line",
    "process.cwd",
    "process.ppid",
    "process.parent.pid",
    "process.parent.name",
    "process.parent.exe",
    "process.parent.command_line",
    "process.uid",
    "process.euid",
    "process.gid",
    "process.user",
    "process.setuid",
    "process.tty",
    "process.exit_code",
    "process.entity_id",
    "process.hashes.sha256",
    "process.hashes.sha1",
    "process.hashes.md5",
    "process.hashes.<NAME>",
    "network.direction",
    "network.protocol",
    "network.local_ip",
    "network.local_port",
    "network.remote_ip",
    "network.remote_port",
    "network.action",
    "network.remote_hostname",
    "network.community_id",
    "network.initiated",
    "file.action",
    "file.path",
    "file.host_path",
    "file.old_path",
    "file.sha256_before",
    "file.sha256_after",
    "file.size",
    "file.mode",
    "file.uid",
    "file.gid",
    "container.id",
    "container.runtime",
    "container.name",
    "container.image",
    "dns.query",
    "dns.qtype",
    "dns.rcode",
    "log.channel",
    "log.provider",
    "log.event_id",
    "log.record_id",
    "log.computer",
    "log.fields.<Name>",
    "labels.<key>",
];

impl Field {
    /// Parses a field path; `None` for a path that names no event field.
    pub fn parse(path: &str) -> Option<Field> {
        let f = match path {
            "kind" => Field::Kind,
            "source" => Field::Source,
            "process.pid" => Field::ProcPid,
            "process.name" => Field::ProcName,
            "process.exe" => Field::ProcExe,
            "process.args" => Field::ProcArgs,
            "process.command_line" => Field::ProcCommandLine,
            "process.cwd" => Field::ProcCwd,
            "process.ppid" | "process.parent.pid" => Field::ProcPpid,
            "process.parent.name" => Field::ParentName,
            "process.parent.exe" => Field::ParentExe,
            "process.parent.command_line" => Field::ParentCommandLine,
            "process.uid" => Field::ProcUid,
            "process.euid" => Field::ProcEuid,
            "process.gid" => Field::ProcGid,
            "process.user" => Field::ProcUser,
            "process.setuid" => Field::ProcSetuid,
            "process.tty" => Field::ProcTty,
            "process.exit_code" => Field::ProcExitCode,
            "process.entity_id" => Field::ProcEntityId,
            "process.hashes.sha256" => Field::ProcSha256,
            "process.hashes.sha1" => Field::ProcSha1,
            "process.hashes.md5" => Field::ProcMd5,
            "network.direction" => Field::NetDirection,
            "network.protocol" => Field::NetProtocol,
            "network.local_ip" => Field::NetLocalIp,
            "network.local_port" => Field::NetLocalPort,
            "network.remote_ip" => Field::NetRemoteIp,
            "network.remote_port" => Field::NetRemotePort,
            "network.action" => Field::NetAction,
            "network.remote_hostname" => Field::NetRemoteHostname,
            "network.community_id" => Field::NetCommunityId,
            "network.initiated" => Field::NetInitiated,
            "file.action" => Field::FileAction,
            "file.path" => Field::FilePath,
            "file.host_path" => Field::FileHostPath,
            "file.old_path" => Field::FileOldPath,
            "file.sha256_before" => Field::FileSha256Before,
            "file.sha256_after" => Field::FileSha256After,
            "file.size" => Field::FileSize,
            "file.mode" => Field::FileMode,
            "file.uid" => Field::FileUid,
            "file.gid" => Field::FileGid,
            "container.id" => Field::ContainerId,
            "container.runtime" => Field::ContainerRuntime,
            "container.name" => Field::ContainerName,
            "container.image" => Field::ContainerImage,
            "dns.query" => Field::DnsQuery,
            "dns.qtype" => Field::DnsQtype,
            "dns.rcode" => Field::DnsRcode,
            "log.channel" => Field::LogChannel,
            "log.provider" => Field::LogProvider,
            "log.event_id" => Field::LogEventId,
            "log.record_id" => Field::LogRecordId,
            "log.computer" => Field::LogComputer,
            other => {
                if let Some(name) = other.strip_prefix("log.fields.") {
                    if name.is_empty() {
                        return None;
                    }
                    Field::LogField(name.to_string())
                } else if let Some(key) = other.strip_prefix("labels.") {
                    if key.is_empty() {
                        return None;
                    }
                    Field::Label(key.to_string())
                } else if let Some(alg) = other.strip_prefix("process.hashes.") {
                    if alg.is_empty() {
                        return None;
                    }
                    Field::ProcHashOther(alg.to_ascii_uppercase())
                } else {
                    return None;
                }
            }
        };
        Some(f)
    }

    /// The field's path as written in rules.
    pub fn path(&self) -> String {
        match self {
            Field::LogField(n) => format!("log.fields.{n}"),
            Field::Label(k) => format!("labels.{k}"),
            Field::ProcHashOther(a) => format!("process.hashes.{a}"),
            Field::AnyString => "*".to_string(),
            other => KNOWN_FIELDS
                .iter()
                .find(|p| Field::parse(p).as_ref() == Some(other))
                .map(|s| s.to_string())
                .unwrap_or_default(),
        }
    }

    /// Resolves the field on an event.
    pub fn get<'a>(&self, e: &'a Event) -> Option<Value<'a>> {
        let p = || e.process.as_ref();
        let n = || e.network.as_ref();
        let f = || e.file.as_ref();
        let c = || e.container.as_ref();
        let l = || e.log.as_ref();
        let s = |o: &'a Option<String>| o.as_deref().map(Value::Str);
        match self {
            Field::Kind => Some(Value::Str(e.kind.as_str())),
            Field::Source => Some(Value::Str(&e.source)),
            Field::ProcPid => p().map(|p| Value::Int(p.pid as i64)),
            Field::ProcName => e.process_name().map(Value::Str),
            Field::ProcExe => p().and_then(|p| s(&p.exe)),
            Field::ProcArgs => p().and_then(|p| {
                if p.args.is_empty() {
                    None
                } else {
                    Some(Value::List(&p.args))
                }
            }),
            Field::ProcCommandLine => p().and_then(|p| s(&p.command_line)),
            Field::ProcCwd => p().and_then(|p| s(&p.cwd)),
            Field::ProcPpid => p().and_then(|p| {
                p.ppid
                    .or(p.parent.as_ref().map(|x| x.pid))
                    .map(|v| Value::Int(v as i64))
            }),
            Field::ParentName => p().and_then(|p| {
                let par = p.parent.as_ref()?;
                match par.name.as_deref() {
                    Some(n) if !n.is_empty() => Some(Value::Str(n)),
                    _ => par
                        .exe
                        .as_deref()
                        .map(|x| Value::Str(outpost_core::event::basename(x))),
                }
            }),
            Field::ParentExe => p().and_then(|p| p.parent.as_ref().and_then(|x| s(&x.exe))),
            Field::ParentCommandLine => {
                p().and_then(|p| p.parent.as_ref().and_then(|x| s(&x.command_line)))
            }
            Field::ProcUid => p().and_then(|p| p.uid.map(|v| Value::Int(v as i64))),
            Field::ProcEuid => p().and_then(|p| p.euid.map(|v| Value::Int(v as i64))),
            Field::ProcGid => p().and_then(|p| p.gid.map(|v| Value::Int(v as i64))),
            Field::ProcUser => p().and_then(|p| s(&p.user)),
            Field::ProcSetuid => p().map(|p| Value::Bool(p.setuid)),
            Field::ProcTty => p().and_then(|p| s(&p.tty)),
            Field::ProcExitCode => p().and_then(|p| p.exit_code.map(|v| Value::Int(v as i64))),
            Field::ProcEntityId => p().and_then(|p| s(&p.entity_id)),
            Field::ProcSha256 => p().and_then(|p| s(&p.hashes.sha256)),
            Field::ProcSha1 => p().and_then(|p| s(&p.hashes.sha1)),
            Field::ProcMd5 => p().and_then(|p| s(&p.hashes.md5)),
            Field::ProcHashOther(a) => {
                p().and_then(|p| p.hashes.other.get(a).map(|v| Value::Str(v)))
            }
            Field::NetDirection => n().map(|n| {
                Value::Str(match n.direction {
                    Direction::Outbound => "outbound",
                    Direction::Inbound => "inbound",
                    Direction::Unknown => "unknown",
                })
            }),
            Field::NetProtocol => n().map(|n| match n.protocol {
                Protocol::Tcp => Value::Str("tcp"),
                Protocol::Udp => Value::Str("udp"),
                Protocol::Icmp => Value::Str("icmp"),
                Protocol::Icmpv6 => Value::Str("icmpv6"),
                Protocol::Other(x) => Value::Int(x as i64),
            }),
            Field::NetLocalIp => n().and_then(|n| n.local_ip.map(Value::Ip)),
            Field::NetLocalPort => n().and_then(|n| n.local_port.map(|v| Value::Int(v as i64))),
            Field::NetRemoteIp => n().and_then(|n| n.remote_ip.map(Value::Ip)),
            Field::NetRemotePort => n().and_then(|n| n.remote_port.map(|v| Value::Int(v as i64))),
            Field::NetAction => n().map(|n| {
                Value::Str(match n.action {
                    NetworkAction::Allowed => "allowed",
                    NetworkAction::Blocked => "blocked",
                    NetworkAction::Attempted => "attempted",
                })
            }),
            Field::NetRemoteHostname => n().and_then(|n| s(&n.remote_hostname)),
            Field::NetCommunityId => n().and_then(|n| s(&n.community_id)),
            Field::NetInitiated => n().map(|n| Value::Bool(n.direction == Direction::Outbound)),
            Field::FileAction => f().map(|f| Value::Str(file_action_str(f.action))),
            Field::FilePath => f().map(|f| Value::Str(&f.path)),
            Field::FileHostPath => f().and_then(|f| s(&f.host_path)),
            Field::FileOldPath => f().and_then(|f| s(&f.old_path)),
            Field::FileSha256Before => f().and_then(|f| s(&f.sha256_before)),
            Field::FileSha256After => f().and_then(|f| s(&f.sha256_after)),
            Field::FileSize => {
                f().and_then(|f| f.size.and_then(|v| i64::try_from(v).ok()).map(Value::Int))
            }
            Field::FileMode => f().and_then(|f| f.mode.map(|v| Value::Int(v as i64))),
            Field::FileUid => f().and_then(|f| f.uid.map(|v| Value::Int(v as i64))),
            Field::FileGid => f().and_then(|f| f.gid.map(|v| Value::Int(v as i64))),
            Field::ContainerId => c().map(|c| Value::Str(&c.id)),
            Field::ContainerRuntime => c().map(|c| Value::Str(&c.runtime)),
            Field::ContainerName => c().and_then(|c| s(&c.name)),
            Field::ContainerImage => c().and_then(|c| s(&c.image)),
            Field::DnsQuery => e.dns.as_ref().map(|d| Value::Str(&d.query)),
            Field::DnsQtype => e.dns.as_ref().and_then(|d| s(&d.qtype)),
            Field::DnsRcode => e.dns.as_ref().and_then(|d| s(&d.rcode)),
            Field::LogChannel => l().map(|l| Value::Str(&l.channel)),
            Field::LogProvider => l().and_then(|l| s(&l.provider)),
            Field::LogEventId => l().and_then(|l| l.event_id.map(|v| Value::Int(v as i64))),
            Field::LogRecordId => l().and_then(|l| {
                l.record_id
                    .and_then(|v| i64::try_from(v).ok())
                    .map(Value::Int)
            }),
            Field::LogComputer => l().and_then(|l| s(&l.computer)),
            Field::LogField(name) => l().and_then(|l| l.fields.get(name).map(|v| Value::Str(v))),
            Field::Label(k) => e.labels.get(k).map(|v| Value::Str(v)),
            // Keyword search is handled by the matcher (it iterates over all strings).
            Field::AnyString => None,
        }
    }
}

/// The snake_case name of a file action.
pub fn file_action_str(a: FileAction) -> &'static str {
    match a {
        FileAction::Create => "create",
        FileAction::Write => "write",
        FileAction::Delete => "delete",
        FileAction::Rename => "rename",
        FileAction::Chmod => "chmod",
        FileAction::Chown => "chown",
        FileAction::Access => "access",
    }
}

/// Calls `f` on every string value of the event, stopping early when it returns true.
/// Returns whether `f` returned true for some value.
pub fn any_string(e: &Event, mut f: impl FnMut(&str) -> bool) -> bool {
    if let Some(p) = &e.process {
        for v in [&p.name, &p.exe, &p.command_line, &p.cwd, &p.user]
            .into_iter()
            .flatten()
        {
            if f(v) {
                return true;
            }
        }
        if p.args.iter().any(|a| f(a)) {
            return true;
        }
        if let Some(par) = &p.parent {
            for v in [&par.name, &par.exe, &par.command_line]
                .into_iter()
                .flatten()
            {
                if f(v) {
                    return true;
                }
            }
        }
    }
    if let Some(n) = &e.network
        && let Some(h) = &n.remote_hostname
        && f(h)
    {
        return true;
    }
    if let Some(fi) = &e.file {
        if f(&fi.path) {
            return true;
        }
        if let Some(o) = &fi.old_path
            && f(o)
        {
            return true;
        }
    }
    if let Some(c) = &e.container {
        for v in [&c.name, &c.image].into_iter().flatten() {
            if f(v) {
                return true;
            }
        }
    }
    if let Some(d) = &e.dns
        && (f(&d.query) || d.answers.iter().any(|a| f(a)))
    {
        return true;
    }
    if let Some(l) = &e.log
        && l.fields.values().any(|v| f(v))
    {
        return true;
    }
    e.labels.values().any(|v| f(v))
}

/// Bit of an event kind in a kind mask.
pub fn kind_bit(k: outpost_core::EventKind) -> u16 {
    1u16 << kind_index(k)
}

/// Index (0..11) of an event kind.
pub fn kind_index(k: outpost_core::EventKind) -> usize {
    use outpost_core::EventKind as K;
    match k {
        K::ProcessExec => 0,
        K::ProcessFork => 1,
        K::ProcessExit => 2,
        K::ProcessInventory => 3,
        K::Network => 4,
        K::NetworkInventory => 5,
        K::File => 6,
        K::ContainerStart => 7,
        K::ContainerStop => 8,
        K::Log => 9,
        K::Dns => 10,
    }
}

/// Number of event kinds.
pub const KIND_COUNT: usize = outpost_core::EventKind::ALL.len();

/// Parses a snake_case event kind name.
pub fn parse_kind(s: &str) -> Option<outpost_core::EventKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// Formats an integer into a stack buffer and returns it as a string slice.
pub(crate) fn fmt_i64(v: i64, buf: &mut [u8; 24]) -> &str {
    let mut i = buf.len();
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("")
}

/// Formats an IP address into a stack buffer.
pub(crate) fn fmt_ip(ip: IpAddr, buf: &mut [u8; 48]) -> &str {
    use std::io::Write;
    let len = {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        if write!(cur, "{ip}").is_err() {
            return "";
        }
        cur.position() as usize
    };
    std::str::from_utf8(&buf[..len]).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_field_parses_and_round_trips() {
        for p in KNOWN_FIELDS {
            let p = p
                .replace("<Name>", "Image")
                .replace("<key>", "env")
                .replace("<NAME>", "IMPHASH");
            let f = Field::parse(&p).unwrap_or_else(|| panic!("{p}"));
            if p != "process.parent.pid" {
                assert_eq!(f.path(), p);
            }
        }
        assert_eq!(Field::parse("process.exee"), None);
        assert_eq!(Field::parse("log.fields."), None);
    }

    #[test]
    fn int_and_ip_formatting() {
        let mut b = [0u8; 24];
        assert_eq!(fmt_i64(0, &mut b), "0");
        assert_eq!(fmt_i64(-3389, &mut b), "-3389");
        assert_eq!(fmt_i64(i64::MIN, &mut b), "-9223372036854775808");
        let mut b = [0u8; 48];
        assert_eq!(fmt_ip("10.1.2.3".parse().unwrap(), &mut b), "10.1.2.3");
        assert_eq!(fmt_ip("::1".parse().unwrap(), &mut b), "::1");
    }
}
