//! Normalization of Windows event records into [`Event`]s.
//!
//! | record | kind | notes |
//! |---|---|---|
//! | Security 5156 / 5157 (WFP connection permitted / blocked) | `network` | `Source*` = local side, `Dest*` = remote side; `%%14592` inbound, `%%14593` outbound; application path drive-mapped when known; filter / layer ids in `labels` (`wfp.*`) |
//! | Security 4688 (process creation) | `process_exec` | hex `NewProcessId` / `ProcessId`; user from `Target*` (v2) or `Subject*` |
//! | Sysmon 1 (process create) | `process_exec` | `Hashes` parsed; parent from `Parent*` |
//! | Sysmon 3 (network connection) | `network` | `Initiated=true` → outbound; `Source*` = local, `Destination*` = remote |
//! | Sysmon 22 (DNS query) | `dns` | `QueryName`; `QueryStatus` (a Win32 code) → rcode; `QueryResults` → addresses and CNAME targets; process from `Image`, `ProcessId`, `ProcessGuid` |
//! | DNS-Client/Operational 3008 (query completed) | `dns` | the same fields and `QueryType`; process id from `System/Execution` (no image path) |
//! | anything else | `log` | |
//!
//! Every event carries the record's [`LogRecord`](outpost_core::LogRecord) (all EventData fields).

use crate::evtx::{RawEvtxRecord, log_record, parse_number};
use crate::ingest::IngestOptions;
use outpost_core::{
    Direction, Event, EventKind, Hashes, NetworkAction, NetworkInfo, ParentInfo, ProcessInfo,
    Protocol, event::basename,
};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Provider of the Security log's audit events.
pub const SECURITY_PROVIDER: &str = "Microsoft-Windows-Security-Auditing";
/// Provider of Sysmon events.
pub const SYSMON_PROVIDER: &str = "Microsoft-Windows-Sysmon";

/// Provider of the DNS-Client channel (`Microsoft-Windows-DNS-Client/Operational`).
pub const DNS_CLIENT_PROVIDER: &str = "Microsoft-Windows-DNS-Client";
/// The field a DNS-Client record's `System/Execution/@ProcessID` is kept in (it has no
/// EventData field for the querying process).
pub const EXECUTION_PID: &str = "Execution.ProcessID";

/// Source name put in [`Event::source`] for EVTX records.
pub const SOURCE: &str = "evtx";

/// Normalizes one EVTX record (fails only when its JSON is not an object).
pub fn normalize(raw: &RawEvtxRecord, opts: &IngestOptions) -> Result<Event, serde_json::Error> {
    let (log, ts) = log_record(raw)?;
    Ok(normalize_log(log, ts, opts))
}

/// Normalizes a Windows event already turned into a [`LogRecord`](outpost_core::LogRecord)
/// (e.g. read from another source than an EVTX file).
pub fn normalize_log(
    log: outpost_core::LogRecord,
    ts: chrono::DateTime<chrono::Utc>,
    opts: &IngestOptions,
) -> Event {
    let provider = log.provider.as_deref().unwrap_or("");
    let is_security = provider.eq_ignore_ascii_case(SECURITY_PROVIDER)
        || (provider.is_empty() && log.channel.eq_ignore_ascii_case("Security"));
    let is_sysmon = provider.eq_ignore_ascii_case(SYSMON_PROVIDER)
        || log
            .channel
            .eq_ignore_ascii_case("Microsoft-Windows-Sysmon/Operational");
    let is_dns_client = provider.eq_ignore_ascii_case(DNS_CLIENT_PROVIDER);
    let f = &log.fields;
    let mut event = match (is_security, is_sysmon, log.event_id) {
        (true, _, Some(id @ (5156 | 5157))) => wfp_connection(f, id == 5157, opts, ts),
        (true, _, Some(4688)) => security_4688(f, ts),
        (_, true, Some(1)) => sysmon_process_create(f, ts),
        (_, true, Some(3)) => sysmon_network(f, ts),
        (_, true, Some(22)) => dns_query(f, ts, "ProcessId"),
        // 3008 (query completed) is the one record per query; 3006 (query called) and 3020
        // (a server's response) come with it and stay `log` events.
        _ if is_dns_client && log.event_id == Some(3008) => dns_query(f, ts, EXECUTION_PID),
        _ => None,
    }
    .unwrap_or_else(|| Event::new(ts, EventKind::Log, SOURCE));
    event.log = Some(log);
    event
}

fn get<'a>(f: &'a BTreeMap<String, String>, k: &str) -> Option<&'a str> {
    // Values are returned as written (command lines keep their spacing); blank and "-"
    // (Windows' "no value") count as absent.
    f.get(k)
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty() && s.trim() != "-")
}

fn pid(f: &BTreeMap<String, String>, k: &str) -> Option<u32> {
    get(f, k)
        .and_then(parse_number)
        .and_then(|n| u32::try_from(n).ok())
}

fn ip(f: &BTreeMap<String, String>, k: &str) -> Option<IpAddr> {
    get(f, k).and_then(|s| {
        // Sysmon / WFP may write IPv6 with a zone (`fe80::1%12`).
        let s = s.trim();
        let s = s.split('%').next().unwrap_or(s);
        s.parse().ok()
    })
}

fn port(f: &BTreeMap<String, String>, k: &str) -> Option<u16> {
    get(f, k).and_then(|s| s.trim().parse().ok())
}

/// `%%14592` / `%%14593` (or their rendered names) → direction.
pub fn wfp_direction(s: &str) -> Direction {
    match s.trim() {
        "%%14592" => Direction::Inbound,
        "%%14593" => Direction::Outbound,
        other if other.eq_ignore_ascii_case("inbound") => Direction::Inbound,
        other if other.eq_ignore_ascii_case("outbound") => Direction::Outbound,
        _ => Direction::Unknown,
    }
}

/// `%%14610` / `%%14611` → layer name (raw value kept otherwise).
pub fn wfp_layer_name(s: &str) -> &str {
    match s.trim() {
        "%%14610" => "Receive/Accept",
        "%%14611" => "Connect",
        other => other,
    }
}

/// Security 5156 (permitted) / 5157 (blocked).
fn wfp_connection(
    f: &BTreeMap<String, String>,
    blocked: bool,
    opts: &IngestOptions,
    ts: chrono::DateTime<chrono::Utc>,
) -> Option<Event> {
    let mut e = Event::new(ts, EventKind::Network, SOURCE);
    let app = get(f, "Application").map(|a| opts.drive_map.map_path(a));
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: pid(f, "ProcessID").or_else(|| pid(f, "ProcessId"))?,
        name: app.as_deref().map(|a| basename(a).to_string()),
        exe: app,
        ..Default::default()
    }));
    let protocol = get(f, "Protocol")
        .and_then(|p| p.trim().parse::<u8>().ok())
        .map(Protocol::from_number)
        .unwrap_or(Protocol::Other(255));
    e.network = Some(NetworkInfo {
        direction: get(f, "Direction").map_or(Direction::Unknown, wfp_direction),
        protocol,
        local_ip: ip(f, "SourceAddress"),
        local_port: port(f, "SourcePort"),
        remote_ip: ip(f, "DestAddress"),
        remote_port: port(f, "DestPort"),
        action: if blocked {
            NetworkAction::Blocked
        } else {
            NetworkAction::Allowed
        },
        ..Default::default()
    });
    for (field, label) in [
        ("FilterRTID", "wfp.filter_rtid"),
        ("LayerRTID", "wfp.layer_rtid"),
    ] {
        if let Some(v) = get(f, field) {
            e.labels.insert(label.into(), v.to_string());
        }
    }
    if let Some(v) = get(f, "LayerName") {
        e.labels
            .insert("wfp.layer_name".into(), wfp_layer_name(v).to_string());
    }
    Some(e)
}

fn user(f: &BTreeMap<String, String>, domain: &str, name: &str) -> Option<String> {
    let n = get(f, name)?;
    Some(match get(f, domain) {
        Some(d) => format!("{d}\\{n}"),
        None => n.to_string(),
    })
}

/// Security 4688 (a new process has been created).
fn security_4688(f: &BTreeMap<String, String>, ts: chrono::DateTime<chrono::Utc>) -> Option<Event> {
    let mut e = Event::new(ts, EventKind::ProcessExec, SOURCE);
    let exe = get(f, "NewProcessName").map(str::to_string);
    let ppid = pid(f, "ProcessId");
    let parent_exe = get(f, "ParentProcessName").map(str::to_string);
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: pid(f, "NewProcessId")?,
        name: exe.as_deref().map(|x| basename(x).to_string()),
        exe,
        command_line: get(f, "CommandLine").map(str::to_string),
        ppid,
        parent: ppid.map(|p| ParentInfo {
            pid: p,
            name: parent_exe.as_deref().map(|x| basename(x).to_string()),
            exe: parent_exe.clone(),
            command_line: None,
        }),
        user: user(f, "TargetDomainName", "TargetUserName")
            .or_else(|| user(f, "SubjectDomainName", "SubjectUserName")),
        ..Default::default()
    }));
    for (field, label) in [
        ("TokenElevationType", "windows.token_elevation_type"),
        ("MandatoryLabel", "windows.mandatory_label"),
    ] {
        if let Some(v) = get(f, field) {
            e.labels.insert(label.into(), v.to_string());
        }
    }
    Some(e)
}

/// Parses Sysmon `Hashes` (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`); values lower-cased.
pub fn parse_hashes(s: &str) -> Hashes {
    let mut h = Hashes::default();
    for part in s.split(',') {
        let Some((alg, val)) = part.split_once('=') else {
            continue;
        };
        let alg = alg.trim().to_ascii_uppercase();
        let val = val.trim().to_ascii_lowercase();
        if val.is_empty() {
            continue;
        }
        match alg.as_str() {
            "SHA256" => h.sha256 = Some(val),
            "SHA1" => h.sha1 = Some(val),
            "MD5" => h.md5 = Some(val),
            "" => {}
            _ => {
                h.other.insert(alg, val);
            }
        }
    }
    h
}

/// Sysmon event 1 (process create).
fn sysmon_process_create(
    f: &BTreeMap<String, String>,
    ts: chrono::DateTime<chrono::Utc>,
) -> Option<Event> {
    let mut e = Event::new(ts, EventKind::ProcessExec, SOURCE);
    let exe = get(f, "Image").map(str::to_string);
    let ppid = pid(f, "ParentProcessId");
    let parent_exe = get(f, "ParentImage").map(str::to_string);
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: pid(f, "ProcessId")?,
        name: exe.as_deref().map(|x| basename(x).to_string()),
        exe,
        command_line: get(f, "CommandLine").map(str::to_string),
        cwd: get(f, "CurrentDirectory").map(str::to_string),
        ppid,
        parent: ppid.map(|p| ParentInfo {
            pid: p,
            name: parent_exe.as_deref().map(|x| basename(x).to_string()),
            exe: parent_exe.clone(),
            command_line: get(f, "ParentCommandLine").map(str::to_string),
        }),
        user: get(f, "User").map(str::to_string),
        hashes: get(f, "Hashes").map(parse_hashes).unwrap_or_default(),
        entity_id: get(f, "ProcessGuid").map(str::to_string),
        ..Default::default()
    }));
    for (field, label) in [
        ("ParentProcessGuid", "sysmon.parent_process_guid"),
        ("IntegrityLevel", "sysmon.integrity_level"),
        ("LogonId", "sysmon.logon_id"),
    ] {
        if let Some(v) = get(f, field) {
            e.labels.insert(label.into(), v.to_string());
        }
    }
    Some(e)
}

/// Sysmon event 3 (network connection detected).
fn sysmon_network(
    f: &BTreeMap<String, String>,
    ts: chrono::DateTime<chrono::Utc>,
) -> Option<Event> {
    let mut e = Event::new(ts, EventKind::Network, SOURCE);
    let exe = get(f, "Image").map(str::to_string);
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: pid(f, "ProcessId")?,
        name: exe.as_deref().map(|x| basename(x).to_string()),
        exe,
        user: get(f, "User").map(str::to_string),
        entity_id: get(f, "ProcessGuid").map(str::to_string),
        ..Default::default()
    }));
    let direction = match get(f, "Initiated")
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("true") => Direction::Outbound,
        Some("false") => Direction::Inbound,
        _ => Direction::Unknown,
    };
    let protocol = get(f, "Protocol")
        .and_then(|p| p.trim().parse::<Protocol>().ok())
        .unwrap_or(Protocol::Other(255));
    e.network = Some(NetworkInfo {
        direction,
        protocol,
        local_ip: ip(f, "SourceIp"),
        local_port: port(f, "SourcePort"),
        remote_ip: ip(f, "DestinationIp"),
        remote_port: port(f, "DestinationPort"),
        remote_hostname: get(f, "DestinationHostname").map(str::to_string),
        action: NetworkAction::Allowed,
        ..Default::default()
    });
    Some(e)
}

/// A DNS name as Windows writes it → the event's form: lower case, no trailing dot.
fn dns_name(s: &str) -> String {
    s.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `QueryResults` (`type:  5 cdn.example;::ffff:192.0.2.1;2001:db8::1;`): the addresses
/// (IPv4-mapped ones as IPv4) and CNAME targets (`type:  5`), in order; other record types
/// are left out.
pub fn dns_results(s: &str) -> Vec<String> {
    s.split(';')
        .filter_map(|item| {
            let item = item.trim();
            if let Some(rest) = item.strip_prefix("type:") {
                let mut it = rest.split_whitespace();
                return (it.next()? == "5").then(|| dns_name(it.next().unwrap_or("")));
            }
            let ip: IpAddr = item.split('%').next()?.parse().ok()?;
            Some(match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
                v4 => v4,
            })
            .map(|ip| ip.to_string())
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// A DNS query's Win32 status → the DNS response code it stands for; `None` when no server
/// answered (timeout, no server, …) or the code is no answer's.
pub fn dns_status_rcode(status: u64) -> Option<&'static str> {
    Some(match status {
        // 9501: DNS_INFO_NO_RECORDS, an answer without records of the type asked.
        0 | 9501 => "NOERROR",
        9001 => "FORMERR",
        9002 => "SERVFAIL",
        9003 => "NXDOMAIN",
        9004 => "NOTIMP",
        9005 => "REFUSED",
        _ => return None,
    })
}

/// Sysmon 22 and DNS-Client 3008: the process id is in `pid_field`.
fn dns_query(
    f: &BTreeMap<String, String>,
    ts: chrono::DateTime<chrono::Utc>,
    pid_field: &str,
) -> Option<Event> {
    let mut e = Event::new(ts, EventKind::Dns, SOURCE);
    let query = dns_name(get(f, "QueryName")?);
    let status = get(f, "QueryStatus").and_then(parse_number);
    if let Some(s) = get(f, "QueryStatus") {
        e.labels.insert("dns.status".into(), s.trim().to_string());
    }
    e.dns = Some(outpost_core::DnsInfo {
        query,
        qtype: get(f, "QueryType")
            .and_then(parse_number)
            .and_then(|t| u16::try_from(t).ok())
            .map(outpost_core::DnsInfo::type_name),
        rcode: status.and_then(dns_status_rcode).map(str::to_string),
        answers: get(f, "QueryResults").map(dns_results).unwrap_or_default(),
        server: None,
    });
    if let Some(pid) = pid(f, pid_field) {
        let exe = get(f, "Image").map(str::to_string);
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid,
            name: exe.as_deref().map(|x| basename(x).to_string()),
            exe,
            user: get(f, "User").map(str::to_string),
            entity_id: get(f, "ProcessGuid").map(str::to_string),
            ..Default::default()
        }));
    }
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    /// A record in the JSON shape the `evtx` crate renders for a real 5156 record
    /// (`DE_RDP_Tunnel_5156.evtx` record 227728), with EventID 5157 (no real 5157 sample is
    /// available) and an `EventID` written with `Qualifiers` as some providers do.
    fn wfp_5157() -> RawEvtxRecord {
        RawEvtxRecord {
            record_id: 7,
            written: DateTime::<Utc>::UNIX_EPOCH,
            json: serde_json::to_vec(&json!({"Event": {
                "System": {
                    "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                    "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 5157},
                    "TimeCreated": {"#attributes": {"SystemTime": "2019-02-13T18:04:01.6321208Z"}},
                    "EventRecordID": 227728,
                    "Channel": "Security",
                    "Computer": "PC01.example.corp"
                },
                "EventData": {
                    "ProcessID": 4, "Application": "\\device\\harddiskvolume1\\x\\srv.exe",
                    "Direction": "%%14592", "SourceAddress": "127.0.0.2", "SourcePort": "3389",
                    "DestAddress": "127.0.0.1", "DestPort": "49271", "Protocol": 6,
                    "FilterRTID": 71234, "LayerName": "%%14610", "LayerRTID": 44,
                    "RemoteUserID": "S-1-0-0", "RemoteMachineID": "S-1-0-0"
                }
            }}))
            .unwrap(),
        }
    }

    #[test]
    fn wfp_5157_is_a_blocked_inbound_connection() {
        let mut opts = IngestOptions::default();
        opts.drive_map.insert(r"\Device\HarddiskVolume1", "D:");
        let e = normalize(&wfp_5157(), &opts).unwrap();
        assert_eq!(e.kind, EventKind::Network);
        let n = e.network.as_ref().unwrap();
        assert_eq!(n.action, NetworkAction::Blocked);
        assert_eq!(n.direction, Direction::Inbound);
        assert_eq!(n.local_port, Some(3389));
        assert_eq!(n.remote_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(n.remote_port, Some(49271));
        let p = e.process.as_ref().unwrap();
        assert_eq!(p.pid, 4);
        assert_eq!(p.exe.as_deref(), Some(r"D:\x\srv.exe"));
        assert_eq!(p.name.as_deref(), Some("srv.exe"));
        assert_eq!(e.labels["wfp.filter_rtid"], "71234");
        assert_eq!(e.labels["wfp.layer_name"], "Receive/Accept");
        let log = e.log.as_ref().unwrap();
        assert_eq!(log.event_id, Some(5157));
        assert_eq!(log.record_id, Some(227728));
        assert_eq!(log.fields["RemoteUserID"], "S-1-0-0");
    }

    #[test]
    fn records_without_required_fields_stay_log_events() {
        let mut r = wfp_5157();
        let mut v: serde_json::Value = serde_json::from_slice(&r.json).unwrap();
        v["Event"]["EventData"]
            .as_object_mut()
            .unwrap()
            .remove("ProcessID");
        r.json = serde_json::to_vec(&v).unwrap();
        let e = normalize(&r, &IngestOptions::default()).unwrap();
        assert_eq!(e.kind, EventKind::Log);
        assert_eq!(e.log.unwrap().fields["Direction"], "%%14592");
        // Not even an Event element: still a log event, with the header record id.
        let mut junk = RawEvtxRecord {
            record_id: 3,
            written: DateTime::<Utc>::UNIX_EPOCH,
            json: br#"{"Other": {"x": 1}}"#.to_vec(),
        };
        let e = normalize(&junk, &IngestOptions::default()).unwrap();
        assert_eq!(e.kind, EventKind::Log);
        assert_eq!(e.log.unwrap().record_id, Some(3));
        // Not an object: an error (the reader counts it as malformed).
        junk.json = b"[1, 2]".to_vec();
        assert!(normalize(&junk, &IngestOptions::default()).is_err());
    }

    #[test]
    fn event_data_flattening() {
        let r = RawEvtxRecord {
            record_id: 1,
            written: DateTime::<Utc>::UNIX_EPOCH,
            json: serde_json::to_vec(&json!({"Event": {
                "System": {"EventID": 7, "Channel": "X"},
                "EventData": {"#attributes": {"Name": "ignored"}, "Data": ["a", 2, null],
                              "Binary": null, "Flag": true, "Nested": {"#text": "t", "#attributes": {}}},
                "UserData": {"Outer": {"Inner": "v", "Data": "dup"}}
            }}))
            .unwrap(),
        };
        let e = normalize(&r, &IngestOptions::default()).unwrap();
        let f = e.log.unwrap().fields;
        assert_eq!(f["Data"], "a");
        assert_eq!(f["Data.1"], "2");
        assert_eq!(f["Data.2"], "");
        assert_eq!(f["Binary"], "");
        assert_eq!(f["Flag"], "true");
        assert_eq!(f["Nested"], "t");
        assert_eq!(f["Inner"], "v");
        // "Data" is taken by EventData: the UserData item is prefixed.
        assert_eq!(f["UserData.Data"], "dup");
        assert!(!f.contains_key("Name"));
    }

    #[test]
    fn hashes_are_split_and_lowercased() {
        let h = parse_hashes("SHA1=AA,MD5=BB,SHA256=CC,IMPHASH=DD");
        assert_eq!(h.sha1.as_deref(), Some("aa"));
        assert_eq!(h.md5.as_deref(), Some("bb"));
        assert_eq!(h.sha256.as_deref(), Some("cc"));
        assert_eq!(h.other.get("IMPHASH").map(String::as_str), Some("dd"));
        assert!(parse_hashes("garbage,,=").is_empty());
    }

    fn record(provider: &str, channel: &str, id: u32, data: serde_json::Value) -> RawEvtxRecord {
        RawEvtxRecord {
            record_id: 1,
            written: DateTime::<Utc>::UNIX_EPOCH,
            json: serde_json::to_vec(&json!({"Event": {
                "System": {
                    "Provider": {"#attributes": {"Name": provider}},
                    "EventID": id,
                    "Execution": {"#attributes": {"ProcessID": 4242, "ThreadID": 7}},
                    "Channel": channel,
                },
                "EventData": data
            }}))
            .unwrap(),
        }
    }

    #[test]
    fn sysmon_22_is_a_dns_event_with_its_process() {
        let r = record(
            SYSMON_PROVIDER,
            "Microsoft-Windows-Sysmon/Operational",
            22,
            json!({"ProcessGuid": "{23f38d93-0000-5f8e-3900-000000000c00}", "ProcessId": 2428,
                   "QueryName": "WWW.Evil-Test.Example.", "QueryStatus": "0",
                   "QueryResults": "type:  5 CDN.evil-test.example;::ffff:192.0.2.55;2001:db8::5;type:  15 mx.example;",
                   "Image": "C:\\Windows\\System32\\curl.exe", "User": "CORP\\bob"}),
        );
        let e = normalize(&r, &IngestOptions::default()).unwrap();
        assert_eq!(e.kind, EventKind::Dns);
        let d = e.dns.as_ref().unwrap();
        assert_eq!(d.query, "www.evil-test.example");
        assert_eq!(d.rcode.as_deref(), Some("NOERROR"));
        assert_eq!(d.qtype, None, "Sysmon 22 has no query type");
        assert_eq!(
            d.answers,
            ["cdn.evil-test.example", "192.0.2.55", "2001:db8::5"]
        );
        let p = e.process.as_ref().unwrap();
        assert_eq!(p.pid, 2428);
        assert_eq!(p.name.as_deref(), Some("curl.exe"));
        assert_eq!(p.user.as_deref(), Some("CORP\\bob"));
        assert_eq!(
            p.entity_id.as_deref(),
            Some("{23f38d93-0000-5f8e-3900-000000000c00}")
        );
        // Without a query name it stays a log event.
        let r = record(SYSMON_PROVIDER, "x", 22, json!({"ProcessId": 1}));
        assert_eq!(
            normalize(&r, &IngestOptions::default()).unwrap().kind,
            EventKind::Log
        );
    }

    #[test]
    fn dns_client_3008_is_a_dns_event_3006_stays_a_log() {
        let ch = "Microsoft-Windows-DNS-Client/Operational";
        let r = record(
            DNS_CLIENT_PROVIDER,
            ch,
            3008,
            json!({"QueryName": "evil-test.example", "QueryType": "28", "QueryOptions": "140737488355328",
                   "QueryStatus": "9003", "QueryResults": ""}),
        );
        let e = normalize(&r, &IngestOptions::default()).unwrap();
        assert_eq!(e.kind, EventKind::Dns);
        let d = e.dns.as_ref().unwrap();
        assert_eq!(d.query, "evil-test.example");
        assert_eq!(d.qtype.as_deref(), Some("AAAA"));
        assert_eq!(d.rcode.as_deref(), Some("NXDOMAIN"));
        assert!(d.answers.is_empty());
        assert_eq!(
            e.process.as_ref().map(|p| p.pid),
            Some(4242),
            "from System/Execution"
        );
        assert_eq!(e.labels["dns.status"], "9003");
        // A timeout: no rcode.
        let r = record(
            DNS_CLIENT_PROVIDER,
            ch,
            3008,
            json!({"QueryName": "x.example", "QueryType": "1", "QueryStatus": "1460"}),
        );
        let e = normalize(&r, &IngestOptions::default()).unwrap();
        assert_eq!(e.dns.as_ref().unwrap().rcode, None);
        let r = record(
            DNS_CLIENT_PROVIDER,
            ch,
            3006,
            json!({"QueryName": "x.example", "QueryType": "1"}),
        );
        assert_eq!(
            normalize(&r, &IngestOptions::default()).unwrap().kind,
            EventKind::Log
        );
        // Only DNS-Client records get the execution pid field.
        let r = record(SYSMON_PROVIDER, "x", 5, json!({"ProcessId": 1}));
        let e = normalize(&r, &IngestOptions::default()).unwrap();
        assert!(!e.log.unwrap().fields.contains_key(EXECUTION_PID));
    }

    #[test]
    fn dns_results_and_status() {
        assert_eq!(dns_results("-"), Vec::<String>::new());
        assert_eq!(
            dns_results("::ffff:10.1.2.3;fe80::1%12;"),
            ["10.1.2.3", "fe80::1"]
        );
        assert_eq!(dns_results("type:  5 A.Example.;type: 5"), ["a.example"]);
        assert_eq!(dns_status_rcode(9002), Some("SERVFAIL"));
        assert_eq!(dns_status_rcode(1460), None);
    }

    #[test]
    fn wfp_codes() {
        assert_eq!(wfp_direction("%%14592"), Direction::Inbound);
        assert_eq!(wfp_direction("%%14593"), Direction::Outbound);
        assert_eq!(wfp_direction("%%1"), Direction::Unknown);
        assert_eq!(wfp_layer_name("%%14611"), "Connect");
        assert_eq!(wfp_layer_name("%%14610"), "Receive/Accept");
    }
}
