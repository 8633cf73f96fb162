//! Parsing of single Linux audit log lines and of their encoded values.
//!
//! Record format (as written by auditd, `log_format = RAW` or `ENRICHED`):
//!
//! ```text
//! [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): key=value key="value" …[\x1dKEY="interpreted" …]
//! ```
//!
//! * Values in double quotes are plain strings. Untrusted strings (command line arguments,
//!   `proctitle`, path names, `comm`, `exe`, `cwd`, `key`) that contain a space, a quote, a
//!   control character or non-ASCII bytes are written **unquoted as upper-case hex** instead.
//! * User-space records carry a nested `msg='key=value …'` part.
//! * In the `ENRICHED` format, the raw fields are followed by a `0x1d` (group separator) byte
//!   and the interpreted fields in upper case (`UID="root"`, `SYSCALL=execve`,
//!   `SADDR={ saddr_fam=inet laddr=127.0.0.1 lport=9 }`).
//! * Long `EXECVE` arguments are split as `aN_len=TOTAL aN[0]=HEX aN[1]=HEX …`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One `key=value` pair of an audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditField {
    /// Field name as written (`pid`, `a0`, `a1[0]`, `UID`, …).
    pub name: String,
    /// Value without its quotes, not decoded.
    pub value: String,
    /// Whether the value was written in double or single quotes (then it is never hex).
    pub quoted: bool,
}

/// One line of an audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Record type name (`SYSCALL`, `EXECVE`, `UNKNOWN[1334]`, …).
    pub record_type: String,
    /// Event time in milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// Event serial number (shared by all records of one event).
    pub serial: u64,
    /// `node=` prefix, when auditd writes node names.
    pub node: Option<String>,
    /// Raw fields in order (including the fields nested in `msg='…'`).
    pub fields: Vec<AuditField>,
    /// Interpreted fields of the `ENRICHED` format (after the `0x1d` separator).
    pub enriched: Vec<AuditField>,
}

impl AuditRecord {
    /// The raw value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }

    /// The first field called `name`, with its quoting.
    pub fn field(&self, name: &str) -> Option<&AuditField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The interpreted (enriched) value of `name` (`UID`, `SYSCALL`, …).
    pub fn enriched(&self, name: &str) -> Option<&str> {
        self.enriched
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }

    /// The value of an untrusted-string field, hex-decoded when it was written as hex.
    pub fn get_decoded(&self, name: &str) -> Option<String> {
        self.field(name).map(decode_field_value)
    }
}

/// Why a line is not an audit record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditParseError {
    /// No `type=` field.
    #[error("no type= field")]
    NoType,
    /// No `msg=audit(…):` header.
    #[error("no msg=audit(SECONDS.MILLIS:SERIAL): header")]
    NoHeader,
    /// The header's time or serial is not a number.
    #[error("bad time or serial in msg=audit({0})")]
    BadHeader(String),
}

/// Parses one audit log line (without its trailing newline).
pub fn parse_line(line: &str) -> Result<AuditRecord, AuditParseError> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (raw, enriched_part) = match line.split_once('\x1d') {
        Some((r, e)) => (r, Some(e)),
        None => (line, None),
    };
    let type_pos = find_key(raw, "type=").ok_or(AuditParseError::NoType)?;
    let node = find_key(&raw[..type_pos], "node=").map(|p| {
        raw[p + 5..type_pos]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string()
    });
    let after_type = &raw[type_pos + 5..];
    let type_end = after_type
        .find(char::is_whitespace)
        .unwrap_or(after_type.len());
    let record_type = after_type[..type_end].to_string();
    if record_type.is_empty() {
        return Err(AuditParseError::NoType);
    }
    let rest = &after_type[type_end..];
    let hdr = rest.find("msg=audit(").ok_or(AuditParseError::NoHeader)?;
    let hdr_body = &rest[hdr + "msg=audit(".len()..];
    let close = hdr_body.find(')').ok_or(AuditParseError::NoHeader)?;
    let stamp = &hdr_body[..close];
    let (ts_ms, serial) =
        parse_stamp(stamp).ok_or_else(|| AuditParseError::BadHeader(stamp.to_string()))?;
    let mut body = &hdr_body[close + 1..];
    body = body.strip_prefix(':').unwrap_or(body);
    let mut fields = Vec::new();
    tokenize(body, &mut fields, 0);
    let mut enriched = Vec::new();
    if let Some(e) = enriched_part {
        tokenize(e, &mut enriched, 0);
    }
    Ok(AuditRecord {
        record_type,
        ts_ms,
        serial,
        node,
        fields,
        enriched,
    })
}

/// Position of `key` at the start of the string or after whitespace.
fn find_key(s: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = s[from..].find(key) {
        let at = from + p;
        if at == 0 || s[..at].ends_with(char::is_whitespace) {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

/// `1795456851.229:9` → (milliseconds, serial).
fn parse_stamp(stamp: &str) -> Option<(i64, u64)> {
    let (time, serial) = stamp.split_once(':')?;
    let serial = serial.trim().parse::<u64>().ok()?;
    let (secs, frac) = time.split_once('.').unwrap_or((time, "0"));
    let secs = secs.trim().parse::<i64>().ok()?;
    // Milliseconds are written with three digits; tolerate other lengths.
    let frac_digits: String = frac.chars().take(3).collect();
    if !frac_digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut ms = if frac_digits.is_empty() {
        0
    } else {
        frac_digits.parse::<i64>().ok()?
    };
    for _ in frac_digits.len()..3 {
        ms *= 10;
    }
    Some((secs.checked_mul(1000)?.checked_add(ms)?, serial))
}

/// Splits `key=value` pairs; descends once into `msg='…'`.
fn tokenize(s: &str, out: &mut Vec<AuditField>, depth: u8) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let key_start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            // A bare word (no '='): not a field, skip it.
            continue;
        }
        let name = &s[key_start..i];
        i += 1; // '='
        if i >= b.len() {
            out.push(AuditField {
                name: name.to_string(),
                value: String::new(),
                quoted: false,
            });
            break;
        }
        let (value, quoted, next) = match b[i] {
            q @ (b'"' | b'\'') => {
                let start = i + 1;
                let end = s[start..]
                    .find(q as char)
                    .map(|p| start + p)
                    .unwrap_or(b.len());
                (&s[start..end], true, (end + 1).min(b.len()))
            }
            b'{' => {
                let start = i;
                let end = s[start..]
                    .find('}')
                    .map(|p| start + p + 1)
                    .unwrap_or(b.len());
                (&s[start..end], false, end)
            }
            _ => {
                let start = i;
                let end = s[start..]
                    .find(|c: char| c.is_ascii_whitespace())
                    .map(|p| start + p)
                    .unwrap_or(b.len());
                (&s[start..end], false, end)
            }
        };
        if name == "msg" && quoted && depth == 0 {
            // User-space records nest their own fields in msg='…'.
            tokenize(value, out, depth + 1);
        } else {
            out.push(AuditField {
                name: name.to_string(),
                value: value.to_string(),
                quoted,
            });
        }
        i = next;
    }
}

/// Decodes an upper- or lower-case hex string; `None` unless it has an even length and only hex
/// digits.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    hex::decode(s).ok()
}

/// Whether a field holds an untrusted string that auditd hex-encodes when needed.
pub fn is_encoded_field(name: &str) -> bool {
    matches!(
        name,
        "proctitle"
            | "name"
            | "cwd"
            | "comm"
            | "exe"
            | "cmd"
            | "key"
            | "path"
            | "data"
            | "old-chardev"
            | "new-chardev"
            | "new_name"
            | "old_name"
    ) || is_arg_field(name)
}

/// `a0`, `a12`, `a3[1]` (EXECVE arguments); not `a0_len`.
fn is_arg_field(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('a') else {
        return false;
    };
    let (idx, sub) = match rest.split_once('[') {
        Some((i, s)) => (i, Some(s)),
        None => (rest, None),
    };
    if idx.is_empty() || !idx.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    match sub {
        None => true,
        Some(s) => s
            .strip_suffix(']')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())),
    }
}

/// The text of a field: quoted values as written, unquoted hex of an untrusted-string field
/// decoded (bytes that are not UTF-8 are replaced by U+FFFD).
pub fn decode_field_value(f: &AuditField) -> String {
    if !f.quoted
        && is_encoded_field(&f.name)
        && let Some(bytes) = decode_hex(&f.value)
    {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    f.value.clone()
}

/// Decodes a `proctitle` value into its argument vector (NUL-separated in the hex form).
pub fn decode_proctitle(f: &AuditField) -> Vec<String> {
    if !f.quoted
        && let Some(bytes) = decode_hex(&f.value)
    {
        let mut args: Vec<String> = bytes
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        while args.last().is_some_and(|a| a.is_empty()) {
            args.pop();
        }
        return args;
    }
    // Quoted: a single argument without NULs.
    vec![f.value.clone()]
}

/// A decoded `SOCKADDR` `saddr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddr {
    /// AF_INET / AF_INET6 address and port.
    Ip(IpAddr, u16),
    /// AF_UNIX path (abstract names start with `@`).
    Unix(String),
    /// Another family, by number.
    Other(u16),
}

/// Decodes a `saddr=` hex value (a raw `struct sockaddr`, family in host byte order; audit
/// logs written on little-endian machines, which is every platform auditd ships on in practice).
pub fn decode_sockaddr(hex_value: &str) -> Option<SockAddr> {
    let b = decode_hex(hex_value)?;
    if b.len() < 2 {
        return None;
    }
    let family = u16::from_le_bytes([b[0], b[1]]);
    match family {
        2 => {
            if b.len() < 8 {
                return None;
            }
            let port = u16::from_be_bytes([b[2], b[3]]);
            let ip = Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            Some(SockAddr::Ip(IpAddr::V4(ip), port))
        }
        10 => {
            if b.len() < 24 {
                return None;
            }
            let port = u16::from_be_bytes([b[2], b[3]]);
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[8..24]);
            let ip = Ipv6Addr::from(a);
            // Report IPv4-mapped addresses (::ffff:a.b.c.d) as IPv4.
            let ip = match ip.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(ip),
            };
            Some(SockAddr::Ip(ip, port))
        }
        1 => {
            let path = &b[2..];
            let s = if path.first() == Some(&0) {
                // Abstract socket: leading NUL, name up to the next NUL.
                let name = path[1..].split(|c| *c == 0).next().unwrap_or(&[]);
                format!("@{}", String::from_utf8_lossy(name))
            } else {
                let name = path.split(|c| *c == 0).next().unwrap_or(&[]);
                String::from_utf8_lossy(name).into_owned()
            };
            Some(SockAddr::Unix(s))
        }
        other => Some(SockAddr::Other(other)),
    }
}

/// The number of a record type name (`SYSCALL` → 1300), for [`LogRecord::event_id`]
/// (`outpost_core::LogRecord`). `UNKNOWN[1334]` gives 1334.
pub fn record_type_number(t: &str) -> Option<u32> {
    if let Some(n) = t.strip_prefix("UNKNOWN[").and_then(|r| r.strip_suffix(']')) {
        return n.parse().ok();
    }
    let n = match t {
        "LOGIN" => 1006,
        "USER_AUTH" => 1100,
        "USER_ACCT" => 1101,
        "USER_MGMT" => 1102,
        "CRED_ACQ" => 1103,
        "CRED_DISP" => 1104,
        "USER_START" => 1105,
        "USER_END" => 1106,
        "USER_AVC" => 1107,
        "USER_CHAUTHTOK" => 1108,
        "USER_ERR" => 1109,
        "CRED_REFR" => 1110,
        "USYS_CONFIG" => 1111,
        "USER_LOGIN" => 1112,
        "USER_LOGOUT" => 1113,
        "ADD_USER" => 1114,
        "DEL_USER" => 1115,
        "ADD_GROUP" => 1116,
        "DEL_GROUP" => 1117,
        "USER_CMD" => 1123,
        "SERVICE_START" => 1130,
        "SERVICE_STOP" => 1131,
        "DAEMON_START" => 1200,
        "DAEMON_END" => 1201,
        "DAEMON_ABORT" => 1202,
        "DAEMON_CONFIG" => 1203,
        "DAEMON_ROTATE" => 1204,
        "DAEMON_RESUME" => 1205,
        "SYSCALL" => 1300,
        "PATH" => 1302,
        "IPC" => 1303,
        "SOCKETCALL" => 1304,
        "CONFIG_CHANGE" => 1305,
        "SOCKADDR" => 1306,
        "CWD" => 1307,
        "EXECVE" => 1309,
        "MMAP" => 1323,
        "NETFILTER_PKT" => 1324,
        "NETFILTER_CFG" => 1325,
        "SECCOMP" => 1326,
        "PROCTITLE" => 1327,
        "FEATURE_CHANGE" => 1328,
        "KERN_MODULE" => 1330,
        "BPF" => 1334,
        "EOE" => 1320,
        "AVC" => 1400,
        "ANOM_PROMISCUOUS" => 1700,
        "ANOM_ABEND" => 1701,
        _ => return None,
    };
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_fields_and_enrichment() {
        let l = "type=SYSCALL msg=audit(1795456851.229:9): arch=c000003e syscall=59 success=yes comm=\"echo\" exe=\"/usr/bin/echo\" key=\"outpost_exec\"\x1dARCH=x86_64 SYSCALL=execve UID=\"audittest\"";
        let r = parse_line(l).unwrap();
        assert_eq!(r.record_type, "SYSCALL");
        assert_eq!(r.ts_ms, 1_795_456_851_229);
        assert_eq!(r.serial, 9);
        assert_eq!(r.get("syscall"), Some("59"));
        assert_eq!(r.get("comm"), Some("echo"));
        assert!(r.field("comm").unwrap().quoted);
        assert_eq!(r.enriched("SYSCALL"), Some("execve"));
        assert_eq!(r.enriched("UID"), Some("audittest"));
    }

    #[test]
    fn nested_msg_and_node() {
        let l = "node=web1 type=USER_START msg=audit(1.5:28): pid=8861 uid=0 msg='op=PAM:session_open acct=\"audittest\" exe=\"/usr/sbin/runuser\" res=success'";
        let r = parse_line(l).unwrap();
        assert_eq!(r.node.as_deref(), Some("web1"));
        assert_eq!(r.ts_ms, 1500);
        assert_eq!(r.get("op"), Some("PAM:session_open"));
        assert_eq!(r.get("acct"), Some("audittest"));
        assert_eq!(r.get("res"), Some("success"));
    }

    #[test]
    fn rejects_non_audit_lines() {
        assert_eq!(parse_line("hello"), Err(AuditParseError::NoType));
        assert_eq!(parse_line("type=X foo=bar"), Err(AuditParseError::NoHeader));
        assert!(matches!(
            parse_line("type=X msg=audit(abc:1): x=1"),
            Err(AuditParseError::BadHeader(_))
        ));
    }

    #[test]
    fn hex_arguments_are_decoded_only_when_unquoted() {
        let r = parse_line(
            "type=EXECVE msg=audit(1.0:1): argc=3 a0=\"/bin/echo\" a1=68656C6C6F20776F726C64 a2=\"414243\"",
        )
        .unwrap();
        assert_eq!(r.get_decoded("a0").unwrap(), "/bin/echo");
        assert_eq!(r.get_decoded("a1").unwrap(), "hello world");
        assert_eq!(r.get_decoded("a2").unwrap(), "414243");
        // argc is not an untrusted string field
        assert_eq!(r.get_decoded("argc").unwrap(), "3");
        assert!(is_arg_field("a3[12]"));
        assert!(!is_arg_field("a3_len"));
        assert!(!is_arg_field("arch"));
    }

    #[test]
    fn proctitle_splits_on_nul() {
        let f = AuditField {
            name: "proctitle".into(),
            value: "2F62696E2F6563686F0068656C6C6F20776F726C64007769746820737061636573".into(),
            quoted: false,
        };
        assert_eq!(
            decode_proctitle(&f),
            vec!["/bin/echo", "hello world", "with spaces"]
        );
    }

    #[test]
    fn sockaddr_families() {
        assert_eq!(
            decode_sockaddr("020000097F0000010000000000000000"),
            Some(SockAddr::Ip("127.0.0.1".parse().unwrap(), 9))
        );
        assert_eq!(
            decode_sockaddr("0A0020FB000000000000000000000000000000000000000100000000"),
            Some(SockAddr::Ip("::1".parse().unwrap(), 8443))
        );
        assert_eq!(
            decode_sockaddr("0A0001BB0000000000000000000000000000FFFFC000024D00000000"),
            Some(SockAddr::Ip("192.0.2.77".parse().unwrap(), 443))
        );
        assert_eq!(
            decode_sockaddr("01002F7661722F72756E2F6E7363642F736F636B65740000E062"),
            Some(SockAddr::Unix("/var/run/nscd/socket".into()))
        );
        assert_eq!(
            decode_sockaddr("100000000000000000000000"),
            Some(SockAddr::Other(16))
        );
        assert_eq!(decode_sockaddr("0200"), None);
        assert_eq!(decode_sockaddr("zz"), None);
    }
}
