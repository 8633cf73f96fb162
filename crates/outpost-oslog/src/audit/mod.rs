//! Linux audit logs (`/var/log/audit/audit.log` and its rotations).
//!
//! Lines are grouped into events by their `msg=audit(TIME:SERIAL)` stamp (auditd writes the
//! records of one event on consecutive lines: e.g. `SYSCALL`, `EXECVE`, `CWD`, `PATH`…,
//! `PROCTITLE`). Each group becomes one [`Event`]:
//!
//! * a group with an `EXECVE` record → `process_exec` (argv hex-decoded, `cwd`, ids, `exe`);
//! * a `connect` / `accept` / `accept4` syscall with an AF_INET/AF_INET6 `SOCKADDR` →
//!   `network` (outbound for connect, inbound for accept; the sockaddr is the peer);
//! * anything else → `log`.
//!
//! Every event carries the whole group as its [`LogRecord`] (channel `audit`, event id = the
//! primary record type's number, record id = serial). Field names in the log record: the
//! primary record's fields as written (`syscall`, `exe`, `key`, enriched `UID`…), the other
//! records' fields prefixed by their type (`CWD.cwd`, `EXECVE.a1`, `PATH.0.name`,
//! `SOCKADDR.saddr`, `PROCTITLE.proctitle`), untrusted strings hex-decoded.

pub mod parse;

use crate::error::{OsLogError, SinkError};
use crate::ingest::{IngestOptions, IngestStats, Progress};
use chrono::{DateTime, TimeZone, Utc};
use outpost_core::{
    Direction, Event, EventKind, LogRecord, NetworkAction, NetworkInfo, ProcessInfo, Protocol,
};
use parse::{AuditRecord, SockAddr, decode_field_value, decode_proctitle, decode_sockaddr};
use std::collections::BTreeMap;
use std::io::BufRead;

/// Protocol used for audited connects: the syscall does not say whether the socket is TCP or
/// UDP, so the IANA "reserved" number 255 (`proto-255`) marks it as unknown.
pub const UNKNOWN_PROTOCOL: Protocol = Protocol::Other(255);

/// The records of one audit event (same time stamp and serial, consecutive lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditGroup {
    /// Event time in milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// Event serial.
    pub serial: u64,
    /// The records in file order.
    pub records: Vec<AuditRecord>,
}

impl AuditGroup {
    /// The (time, serial) key that orders events.
    pub fn key(&self) -> (i64, u64) {
        (self.ts_ms, self.serial)
    }

    fn first(&self, t: &str) -> Option<&AuditRecord> {
        self.records.iter().find(|r| r.record_type == t)
    }

    /// Whether the event is known to be complete (its last record is `PROCTITLE` or `EOE`, or it
    /// is a user-space message, which is always a single record).
    pub fn is_complete(&self) -> bool {
        match self.records.last() {
            None => false,
            Some(r) => {
                matches!(r.record_type.as_str(), "PROCTITLE" | "EOE")
                    || (self.records.len() == 1
                        && parse::record_type_number(&r.record_type).is_some_and(|n| {
                            (1100..1300).contains(&n) || (2100..3000).contains(&n)
                        }))
            }
        }
    }
}

/// Syscall name of a SYSCALL record: the enriched `SYSCALL=` when present, else the number for
/// the two common architectures.
fn syscall_name(r: &AuditRecord) -> Option<String> {
    if let Some(n) = r.enriched("SYSCALL") {
        return Some(n.to_string());
    }
    let num: u32 = r.get("syscall")?.parse().ok()?;
    let name = match (r.get("arch")?, num) {
        ("c000003e", 42) | ("c00000b7", 203) => "connect",
        ("c000003e", 43) | ("c00000b7", 202) => "accept",
        ("c000003e", 288) | ("c00000b7", 242) => "accept4",
        ("c000003e", 59) | ("c00000b7", 221) => "execve",
        ("c000003e", 322) | ("c00000b7", 281) => "execveat",
        _ => return None,
    };
    Some(name.to_string())
}

fn ts_of(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn parse_u32(r: &AuditRecord, name: &str) -> Option<u32> {
    r.get(name)?.parse().ok()
}

/// Builds the group's [`LogRecord`] (see the module docs for the field names).
pub fn group_log_record(g: &AuditGroup) -> LogRecord {
    let primary_idx = g
        .records
        .iter()
        .position(|r| r.record_type == "SYSCALL")
        .unwrap_or(0);
    let mut fields = BTreeMap::new();
    let mut type_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &g.records {
        *type_counts.entry(r.record_type.as_str()).or_default() += 1;
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, r) in g.records.iter().enumerate() {
        let prefix = if i == primary_idx {
            String::new()
        } else {
            let n = seen.entry(r.record_type.as_str()).or_default();
            let p = if type_counts.get(r.record_type.as_str()).copied() == Some(1) {
                format!("{}.", r.record_type)
            } else {
                format!("{}.{}.", r.record_type, n)
            };
            *n += 1;
            p
        };
        for f in r.fields.iter().chain(r.enriched.iter()) {
            let value = if f.name == "proctitle" {
                decode_proctitle(f).join(" ")
            } else {
                decode_field_value(f)
            };
            fields.entry(format!("{prefix}{}", f.name)).or_insert(value);
        }
    }
    let types: Vec<&str> = g.records.iter().map(|r| r.record_type.as_str()).collect();
    fields.insert("type".to_string(), types.join(","));
    let primary = g.records.get(primary_idx);
    LogRecord {
        channel: "audit".to_string(),
        provider: Some("auditd".to_string()),
        event_id: primary.and_then(|r| parse::record_type_number(&r.record_type)),
        record_id: Some(g.serial),
        computer: primary.and_then(|r| r.node.clone()),
        fields,
    }
}

/// EXECVE arguments, joining split long arguments (`aN[i]`) and several EXECVE records.
fn execve_args(g: &AuditGroup) -> Vec<String> {
    let mut parts: BTreeMap<(u32, u32), String> = BTreeMap::new();
    for r in g.records.iter().filter(|r| r.record_type == "EXECVE") {
        for f in &r.fields {
            let Some(rest) = f.name.strip_prefix('a') else {
                continue;
            };
            let (idx, sub) = match rest.split_once('[') {
                Some((i, s)) => (i, s.strip_suffix(']').and_then(|s| s.parse::<u32>().ok())),
                None => (rest, Some(0)),
            };
            let (Ok(idx), Some(sub)) = (idx.parse::<u32>(), sub) else {
                continue;
            };
            parts
                .entry((idx, sub))
                .or_insert_with(|| decode_field_value(f));
        }
    }
    let mut args: Vec<String> = Vec::new();
    let mut cur: Option<u32> = None;
    for ((idx, _), s) in parts {
        if cur == Some(idx) {
            if let Some(last) = args.last_mut() {
                last.push_str(&s);
            }
        } else {
            args.push(s);
            cur = Some(idx);
        }
    }
    args
}

fn process_from_syscall(g: &AuditGroup, sc: &AuditRecord) -> ProcessInfo {
    let uid = parse_u32(sc, "uid");
    let euid = parse_u32(sc, "euid");
    let tty = sc.get("tty").filter(|t| *t != "(none)").map(str::to_string);
    let mut p = ProcessInfo {
        pid: parse_u32(sc, "pid").unwrap_or(0),
        name: sc.get_decoded("comm").filter(|s| s != "(null)"),
        exe: sc.get_decoded("exe").filter(|s| s != "(null)"),
        ppid: parse_u32(sc, "ppid"),
        uid,
        euid,
        gid: parse_u32(sc, "gid"),
        user: sc.enriched("UID").map(str::to_string),
        setuid: matches!((uid, euid), (Some(u), Some(e)) if u != e),
        tty,
        cwd: g.first("CWD").and_then(|c| c.get_decoded("cwd")),
        ..Default::default()
    };
    if let Some(pt) = g.first("PROCTITLE").and_then(|r| r.field("proctitle")) {
        let args = decode_proctitle(pt);
        if !args.is_empty() {
            p.command_line = Some(args.join(" "));
        }
    }
    p
}

/// Normalizes one group into an [`Event`] (see the module docs).
pub fn normalize_group(g: &AuditGroup) -> Event {
    let log = group_log_record(g);
    let ts = ts_of(g.ts_ms);
    let syscall = g.first("SYSCALL");
    let name = syscall.and_then(syscall_name);
    let mut ev = None;
    if let Some(sc) = syscall {
        let success = sc.get("success") == Some("yes");
        if g.first("EXECVE").is_some() {
            let mut e = Event::new(ts, EventKind::ProcessExec, "auditd_log");
            let mut p = process_from_syscall(g, sc);
            let args = execve_args(g);
            if !args.is_empty() {
                p.command_line = Some(args.join(" "));
                p.args = args;
            }
            e.process = Some(std::sync::Arc::new(p));
            ev = Some(e);
        } else if let Some(n @ ("connect" | "accept" | "accept4")) = name.as_deref()
            && let Some(SockAddr::Ip(ip, port)) = g
                .first("SOCKADDR")
                .and_then(|s| s.get("saddr"))
                .and_then(decode_sockaddr)
        {
            let mut e = Event::new(ts, EventKind::Network, "auditd_log");
            e.process = Some(std::sync::Arc::new(process_from_syscall(g, sc)));
            e.network = Some(NetworkInfo {
                direction: if n == "connect" {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                },
                protocol: UNKNOWN_PROTOCOL,
                remote_ip: Some(ip),
                remote_port: Some(port),
                action: if success {
                    NetworkAction::Allowed
                } else {
                    NetworkAction::Attempted
                },
                ..Default::default()
            });
            if let Some(exit) = sc.get("exit") {
                e.labels.insert("audit.exit".into(), exit.to_string());
            }
            ev = Some(e);
        }
        if let Some(e) = ev.as_mut()
            && let Some(k) = sc.get_decoded("key").filter(|k| k != "(null)")
        {
            e.labels.insert("audit.key".into(), k);
        }
    }
    let mut e = ev.unwrap_or_else(|| Event::new(ts, EventKind::Log, "auditd_log"));
    e.log = Some(log);
    e
}

/// Where a read of an audit stream stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AuditStop {
    /// Byte offset up to which every record has been delivered (the start of a held-back,
    /// possibly incomplete last event, or the end of the last complete line).
    pub offset: u64,
    /// Key of the last event delivered.
    pub last_key: Option<(i64, u64)>,
}

/// Reads audit lines from `reader` (positioned at `start`), delivering grouped events.
///
/// With `final_read` the last event is delivered even if it may be incomplete (one-shot
/// ingestion, or a rotated file that no longer grows); otherwise it is held back and the
/// returned offset points at its first line so the next poll reads it whole. A trailing line
/// without newline is never consumed unless `final_read`. Groups whose key is not after
/// `after` are skipped (used when a rotated file's position is unknown).
/// How many events may be open (still receiving records) at once while reading.
const MAX_OPEN_EVENTS: usize = 16;

/// An event still being read, with the offsets of its first and newest line.
struct OpenGroup {
    group: AuditGroup,
    first_line: u64,
    last_line: u64,
    /// Ended by its last record (`EOE`, or a one-record user-space message).
    closed: bool,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn read_audit_stream<R: BufRead>(
    mut reader: R,
    start: u64,
    total: u64,
    final_read: bool,
    after: Option<(i64, u64)>,
    _opts: &IngestOptions,
    stats: &mut IngestStats,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<AuditStop, OsLogError> {
    let mut pos = start;
    // Events whose records may still come, oldest first, each with the offset of its first
    // line. The kernel writes one event's records together, but records of events from
    // different CPUs can interleave, so a few events stay open at once (auparse does the same).
    let mut open: std::collections::VecDeque<OpenGroup> = std::collections::VecDeque::new();
    // Offset of the newest line that belongs to an event already delivered.
    let mut delivered_upto: Option<u64> = None;
    let mut last_key = None;
    let mut buf = Vec::with_capacity(1024);
    let mut line_no: u64 = 0;
    let mut emit = |g: OpenGroup,
                    stats: &mut IngestStats,
                    last_key: &mut Option<(i64, u64)>,
                    delivered_upto: &mut Option<u64>|
     -> Result<(), OsLogError> {
        *delivered_upto = (*delivered_upto).max(Some(g.last_line));
        let g = g.group;
        if let Some(a) = after
            && g.key() <= a
        {
            stats.skipped_seen += 1;
            return Ok(());
        }
        *last_key = Some(g.key());
        let e = normalize_group(&g);
        stats.count_event(e.kind);
        sink(e).map_err(OsLogError::Sink)
    };
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| OsLogError::io("<audit stream>", e))?;
        if n == 0 {
            break;
        }
        let complete_line = buf.last() == Some(&b'\n');
        if !complete_line && !final_read {
            // A line still being written: leave it for the next poll.
            break;
        }
        let line_start = pos;
        pos += n as u64;
        line_no += 1;
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        stats.records_read += 1;
        let rec = match parse::parse_line(text) {
            Ok(r) => r,
            Err(err) => {
                stats.malformed += 1;
                tracing::warn!(offset = line_start, line = line_no, %err, "skipping malformed audit line");
                continue;
            }
        };
        let key = (rec.ts_ms, rec.serial);
        let idx = match open.iter().position(|g| g.group.key() == key) {
            Some(i) => {
                open[i].group.records.push(rec);
                open[i].last_line = line_start;
                i
            }
            None => {
                if open.len() >= MAX_OPEN_EVENTS
                    && let Some(oldest) = open.pop_front()
                {
                    emit(oldest, stats, &mut last_key, &mut delivered_upto)?;
                }
                open.push_back(OpenGroup {
                    group: AuditGroup {
                        ts_ms: key.0,
                        serial: key.1,
                        records: vec![rec],
                    },
                    first_line: line_start,
                    last_line: line_start,
                    closed: false,
                });
                open.len() - 1
            }
        };
        // An end-of-event record, or a user-space message (always one record), closes it.
        let g = &open[idx].group;
        let closed = g.records.last().is_some_and(|r| r.record_type == "EOE")
            || (g.records.len() == 1 && g.is_complete() && g.records[0].record_type != "PROCTITLE");
        open[idx].closed = closed;
        // Events are delivered in the order they began.
        while open.front().is_some_and(|g| g.closed)
            && let Some(g) = open.pop_front()
        {
            emit(g, stats, &mut last_key, &mut delivered_upto)?;
        }
        if line_no.is_multiple_of(4096) {
            progress(Progress {
                bytes_done: pos,
                bytes_total: total,
                records: stats.records_read,
            });
        }
    }
    let mut offset = pos;
    // Incomplete events at the end of a growing file are held back so the next poll reads them
    // whole — unless lines of delivered events follow them (interleaved), which a re-read would
    // deliver twice: those are delivered now, as they are.
    let hold_from = if final_read {
        None
    } else {
        open.iter()
            .filter(|g| !g.group.is_complete())
            .map(|g| g.first_line)
            .min()
    };
    let later_lines = open
        .iter()
        .filter(|g| g.group.is_complete())
        .map(|g| g.last_line)
        .chain(delivered_upto)
        .max();
    let hold_from = hold_from.filter(|h| later_lines.is_none_or(|l| l < *h));
    for g in open {
        match hold_from {
            Some(h) if g.first_line >= h => {
                // Held back: its lines are read again (and counted then) by the next poll.
                stats.records_read = stats
                    .records_read
                    .saturating_sub(g.group.records.len() as u64);
            }
            _ => emit(g, stats, &mut last_key, &mut delivered_upto)?,
        }
    }
    if let Some(h) = hold_from {
        offset = h;
    }
    progress(Progress {
        bytes_done: pos,
        bytes_total: total,
        records: stats.records_read,
    });
    Ok(AuditStop { offset, last_key })
}
