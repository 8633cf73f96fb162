//! A Sigma compiler onto the rules engine.
//!
//! A SigmaHQ-format rule (`title`, `id`, `logsource`, `detection`, `level`, `tags`) is compiled
//! into the same [`CompiledRule`] as a native rule: the logsource becomes a constraint on the
//! event (kind, channel, event id), every Sigma field is mapped to one or more Outpost event
//! fields, and the condition expression is parsed into a boolean tree.
//!
//! Supported: selections as maps or lists of maps, keyword lists, `null` values, wildcards `*`
//! and `?` (with `\` escapes), modifiers `contains`, `startswith`, `endswith`, `all`, `re`
//! (with `i`, `m`, `s`), `cidr`, `base64`, `base64offset`, `wide`/`utf16le`/`utf16be`/`utf16`
//! (with base64), `windash`, `cased`, `exists`, `gt`, `gte`, `lt`, `lte`, `fieldref` (another
//! field of the same event; with `contains`/`startswith`/`endswith`), `expand` (`%name%`
//! placeholders from [`SigmaOptions::placeholders`]; a rule with a placeholder that has no
//! values is not loaded, with the reason); conditions with
//! `and`, `or`, `not`, parentheses, `1 of X*`, `all of X*`, `1 of them`, `all of them`.
//!
//! Field mapping:
//! - Windows (`product: windows`): every field is read from `log.fields.<Name>` (EVTX EventData
//!   by name); `EventID`, `Channel`, `Provider_Name`, `Computer` map to the log header. For
//!   `process_creation`, `Image`/`ParentImage`/`CommandLine` fall back to the Security 4688
//!   names and the normalized process section. Categories map to Sysmon/Security event ids.
//! - Linux (`product: linux`): `process_creation`, `network_connection`, `file_event` map to the
//!   normalized sections (`Image` → `process.exe`, `DestinationIp` → `network.remote_ip`,
//!   `TargetFilename` → `file.path`, …).
//!
//! Correlation rules (`correlation:` documents) are parsed by [`crate::correlation`].
//! Anything else (aggregations, other products, unmapped Linux fields,
//! `N of` with N > 1 …) is returned as [`Unsupported`] with the reason.

mod condition;
mod detection;
#[cfg(test)]
mod tests;
mod values;

use crate::field::{Field, kind_bit};
use crate::matcher::{CmpOp, Matcher, Node, StrKind, StrMatch, compile_regex, parse_cidr};
use crate::rules::{CompiledRule, Unsupported};
use condition::*;
pub use detection::*;
use outpost_core::EventKind;
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::path::Path;
use values::*;

/// The Sysmon channel name.
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

/// Options of the Sigma compiler.
#[derive(Debug, Clone)]
pub struct SigmaOptions {
    /// Indicator score per Sigma level (`informational`, `low`, `medium`, `high`, `critical`).
    pub level_scores: BTreeMap<String, i32>,
    /// Score for rules without a level.
    pub default_score: i32,
    /// Load rules with `status: deprecated` (default false: they are reported as unsupported).
    pub load_deprecated: bool,
    /// Values of `%name%` placeholders for the `expand` modifier (name without the `%`). A
    /// rule using a placeholder that has no values here is reported as not loaded.
    pub placeholders: BTreeMap<String, Vec<String>>,
}

impl Default for SigmaOptions {
    fn default() -> Self {
        SigmaOptions {
            level_scores: BTreeMap::from([
                ("informational".into(), 10),
                ("low".into(), 30),
                ("medium".into(), 50),
                ("high".into(), 70),
                ("critical".into(), 90),
            ]),
            default_score: 50,
            load_deprecated: false,
            placeholders: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Windows,
    Linux,
}

struct Src<'a> {
    platform: Platform,
    category: Option<&'a str>,
    placeholders: Option<&'a BTreeMap<String, Vec<String>>>,
}

/// Compiles one Sigma rule document.
pub fn compile(doc: &J, file: &Path, opts: &SigmaOptions) -> Result<CompiledRule, Unsupported> {
    let fname = file.display().to_string();
    let (title, id) = doc_title_id(doc);
    let un = |reason: String| Unsupported {
        file: fname.clone(),
        rule_id: id.clone(),
        reason,
    };
    if doc.get("correlation").is_some() {
        return Err(un(
            "Sigma correlation rules are not supported (use a native rule with `count`)".into(),
        ));
    }
    check_title_status(doc, &title, opts).map_err(un)?;
    let Some(ls) = doc.get("logsource").and_then(J::as_object) else {
        return Err(un("missing or invalid `logsource`".into()));
    };
    let lget = |k: &str| ls.get(k).and_then(J::as_str);
    let (product, category, service) = (lget("product"), lget("category"), lget("service"));
    let platform = match product {
        Some("windows") => Platform::Windows,
        Some("linux") => Platform::Linux,
        Some(p) => {
            return Err(un(format!(
                "logsource product '{p}' has no Outpost mapping"
            )));
        }
        None => {
            return Err(un(
                "logsource without product: cannot choose a field mapping".into(),
            ));
        }
    };
    let (src_node, kinds) = match logsource_constraint(platform, category, service) {
        Ok(x) => x,
        Err(r) => return Err(un(r)),
    };
    let Some(det) = doc.get("detection").and_then(J::as_object) else {
        return Err(un("missing or invalid `detection`".into()));
    };
    let src = Src {
        platform,
        category,
        placeholders: Some(&opts.placeholders),
    };
    let mut idents: BTreeMap<&str, Node> = BTreeMap::new();
    for (k, v) in det {
        if k == "condition" || k == "timeframe" {
            continue;
        }
        let n = compile_detection(v, &src).map_err(|r| un(format!("detection '{k}': {r}")))?;
        idents.insert(k.as_str(), n);
    }
    if det.get("timeframe").is_some() {
        return Err(un(
            "`timeframe` needs aggregation, which is not supported".into()
        ));
    }
    let conds: Vec<&str> = match det.get("condition") {
        Some(J::String(s)) => vec![s.as_str()],
        Some(J::Array(a)) => a.iter().filter_map(J::as_str).collect(),
        _ => return Err(un("missing `detection.condition`".into())),
    };
    if conds.is_empty() {
        return Err(un("empty `detection.condition`".into()));
    }
    let mut alts = Vec::new();
    for c in conds {
        alts.push(parse_condition(c, &idents).map_err(|r| un(format!("condition {c:?}: {r}")))?);
    }
    let cond = Node::And(vec![src_node, Node::Or(alts)]).simplify();
    let level = doc.get("level").and_then(J::as_str).unwrap_or("");
    let score = opts
        .level_scores
        .get(level)
        .copied()
        .unwrap_or(opts.default_score);
    let tags = doc_tags(doc);
    let description = doc_description(doc);
    Ok(CompiledRule {
        id: id.clone(),
        name: title.clone(),
        engine: "sigma",
        description: if description.is_empty() {
            title
        } else {
            description
        },
        indicator_type: "sigma".into(),
        score,
        actions: Vec::new(),
        kinds,
        cond,
        count: None,
        file: file.to_path_buf(),
        tags,
        level: (!level.is_empty()).then(|| level.to_string()),
        sigma_name: doc.get("name").and_then(J::as_str).map(String::from),
        logsource: product.map(|p| (p.to_string(), category.map(String::from))),
    })
}

fn eq_leaf(f: Field, vals: &[&str], ci: bool) -> Node {
    match StrMatch::new(
        StrKind::Eq,
        vals.iter().map(|s| s.to_string()).collect(),
        ci,
        false,
    ) {
        Ok(m) => Node::leaf(vec![f], Matcher::Str(m)),
        Err(_) => Node::False,
    }
}

fn channel_eids(channel: &str, eids: &[u32]) -> Node {
    let ids: Vec<String> = eids.iter().map(|e| e.to_string()).collect();
    let idr: Vec<&str> = ids.iter().map(String::as_str).collect();
    Node::And(vec![
        eq_leaf(Field::LogEventId, &idr, false),
        eq_leaf(Field::LogChannel, &[channel], true),
    ])
}

/// Windows services → channel names.
fn service_channel(s: &str) -> Option<&'static str> {
    Some(match s {
        "security" => "Security",
        "system" => "System",
        "application" => "Application",
        "sysmon" => SYSMON_CHANNEL,
        "powershell" => "Microsoft-Windows-PowerShell/Operational",
        "powershell-classic" => "Windows PowerShell",
        "taskscheduler" => "Microsoft-Windows-TaskScheduler/Operational",
        "windefend" => "Microsoft-Windows-Windows Defender/Operational",
        "bits-client" => "Microsoft-Windows-Bits-Client/Operational",
        "wmi" => "Microsoft-Windows-WMI-Activity/Operational",
        "terminalservices-localsessionmanager" => {
            "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
        }
        "codeintegrity-operational" => "Microsoft-Windows-CodeIntegrity/Operational",
        "dns-server" => "DNS Server",
        "firewall-as" => "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
        "msexchange-management" => "MSExchange Management",
        "printservice-admin" => "Microsoft-Windows-PrintService/Admin",
        "printservice-operational" => "Microsoft-Windows-PrintService/Operational",
        "smbclient-security" => "Microsoft-Windows-SmbClient/Security",
        "applocker" => "Microsoft-Windows-AppLocker/EXE and DLL",
        "ntlm" => "Microsoft-Windows-NTLM/Operational",
        "driver-framework" => "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
        "openssh" => "OpenSSH/Operational",
        _ => return None,
    })
}

fn logsource_constraint(
    platform: Platform,
    category: Option<&str>,
    service: Option<&str>,
) -> Result<(Node, u16), String> {
    match platform {
        Platform::Windows => {
            let mut parts = Vec::new();
            if let Some(c) = category {
                let n = match c {
                    "process_creation" => Node::Or(vec![
                        channel_eids(SYSMON_CHANNEL, &[1]),
                        channel_eids("Security", &[4688]),
                    ]),
                    "network_connection" => channel_eids(SYSMON_CHANNEL, &[3]),
                    "process_termination" => channel_eids(SYSMON_CHANNEL, &[5]),
                    "driver_load" => channel_eids(SYSMON_CHANNEL, &[6]),
                    "image_load" => channel_eids(SYSMON_CHANNEL, &[7]),
                    "create_remote_thread" => channel_eids(SYSMON_CHANNEL, &[8]),
                    "raw_access_thread" => channel_eids(SYSMON_CHANNEL, &[9]),
                    "process_access" => channel_eids(SYSMON_CHANNEL, &[10]),
                    "file_event" => channel_eids(SYSMON_CHANNEL, &[11]),
                    "registry_add" | "registry_delete" => channel_eids(SYSMON_CHANNEL, &[12]),
                    "registry_set" => channel_eids(SYSMON_CHANNEL, &[13]),
                    "registry_rename" => channel_eids(SYSMON_CHANNEL, &[14]),
                    "registry_event" => channel_eids(SYSMON_CHANNEL, &[12, 13, 14]),
                    "create_stream_hash" => channel_eids(SYSMON_CHANNEL, &[15]),
                    "pipe_created" => channel_eids(SYSMON_CHANNEL, &[17, 18]),
                    "wmi_event" => channel_eids(SYSMON_CHANNEL, &[19, 20, 21]),
                    "dns_query" => channel_eids(SYSMON_CHANNEL, &[22]),
                    "file_delete" => channel_eids(SYSMON_CHANNEL, &[23, 26]),
                    "clipboard_capture" => channel_eids(SYSMON_CHANNEL, &[24]),
                    "process_tampering" => channel_eids(SYSMON_CHANNEL, &[25]),
                    "sysmon_error" => channel_eids(SYSMON_CHANNEL, &[255]),
                    "ps_script" => {
                        channel_eids("Microsoft-Windows-PowerShell/Operational", &[4104])
                    }
                    "ps_module" => {
                        channel_eids("Microsoft-Windows-PowerShell/Operational", &[4103])
                    }
                    "ps_classic_start" => channel_eids("Windows PowerShell", &[400]),
                    "ps_classic_provider_start" => channel_eids("Windows PowerShell", &[600]),
                    other => {
                        return Err(format!(
                            "Windows logsource category '{other}' has no event mapping"
                        ));
                    }
                };
                parts.push(n);
            }
            if let Some(s) = service {
                let Some(ch) = service_channel(s) else {
                    return Err(format!(
                        "Windows logsource service '{s}' has no channel mapping"
                    ));
                };
                parts.push(eq_leaf(Field::LogChannel, &[ch], true));
            }
            if parts.is_empty() {
                return Err("Windows logsource needs a category or a service".into());
            }
            Ok((Node::And(parts), u16::MAX))
        }
        Platform::Linux => {
            if let Some(s) = service {
                return Err(format!(
                    "Linux logsource service '{s}' has no Outpost mapping"
                ));
            }
            let kind = match category {
                Some("process_creation") => EventKind::ProcessExec,
                Some("network_connection") => EventKind::Network,
                Some("file_event") => EventKind::File,
                Some(other) => {
                    return Err(format!(
                        "Linux logsource category '{other}' has no Outpost mapping"
                    ));
                }
                None => return Err("Linux logsource needs a category".into()),
            };
            // Linux rules never apply to events read from Windows logs.
            let not_evtx = Node::Not(Box::new(eq_leaf(Field::Source, &["evtx"], false)));
            Ok((
                Node::And(vec![
                    eq_leaf(Field::Kind, &[kind.as_str()], false),
                    not_evtx,
                ]),
                kind_bit(kind),
            ))
        }
    }
}

/// The event fields a Sigma field name reads on events matched by `rule` (its logsource's
/// mapping; for native rules the name is an Outpost field path).
pub fn map_field_for(rule: &CompiledRule, name: &str) -> Result<Vec<Field>, String> {
    match &rule.logsource {
        Some((product, category)) => {
            let platform = match product.as_str() {
                "windows" => Platform::Windows,
                "linux" => Platform::Linux,
                other => return Err(format!("logsource product '{other}' has no mapping")),
            };
            let src = Src {
                platform,
                category: category.as_deref(),
                placeholders: None,
            };
            if name.is_empty() {
                return Err("empty field name".into());
            }
            map_field(&src, name)
        }
        None => Field::parse(name)
            .map(|f| vec![f])
            .ok_or_else(|| format!("'{name}' is not an Outpost event field")),
    }
}

fn map_field(src: &Src, name: &str) -> Result<Vec<Field>, String> {
    if name.is_empty() {
        return Ok(vec![Field::AnyString]);
    }
    match src.platform {
        Platform::Windows => {
            let lf = |n: &str| Field::LogField(n.to_string());
            Ok(match name {
                "EventID" => vec![Field::LogEventId],
                "Channel" => vec![Field::LogChannel],
                "Provider_Name" => vec![Field::LogProvider],
                "Computer" => vec![Field::LogComputer],
                "Image" if src.category == Some("process_creation") => {
                    vec![lf("Image"), lf("NewProcessName"), Field::ProcExe]
                }
                "ParentImage" if src.category == Some("process_creation") => {
                    vec![lf("ParentImage"), lf("ParentProcessName"), Field::ParentExe]
                }
                "CommandLine" if src.category == Some("process_creation") => {
                    vec![lf("CommandLine"), Field::ProcCommandLine]
                }
                other => vec![lf(other)],
            })
        }
        Platform::Linux => {
            let cat = src.category.unwrap_or("");
            let common = match name {
                "Image" => Some(Field::ProcExe),
                "User" => Some(Field::ProcUser),
                "ProcessId" => Some(Field::ProcPid),
                "CommandLine" => Some(Field::ProcCommandLine),
                _ => None,
            };
            if let Some(f) = common {
                return Ok(vec![f]);
            }
            let f = match (cat, name) {
                ("process_creation", "ParentImage") => Field::ParentExe,
                ("process_creation", "ParentCommandLine") => Field::ParentCommandLine,
                ("process_creation", "ParentProcessId") => Field::ProcPpid,
                ("process_creation", "CurrentDirectory") => Field::ProcCwd,
                ("process_creation", "LogonId") => Field::ProcUid,
                ("process_creation", "Hashes" | "sha256") => Field::ProcSha256,
                ("network_connection", "DestinationIp") => Field::NetRemoteIp,
                ("network_connection", "DestinationPort") => Field::NetRemotePort,
                ("network_connection", "DestinationHostname") => Field::NetRemoteHostname,
                ("network_connection", "SourceIp") => Field::NetLocalIp,
                ("network_connection", "SourcePort") => Field::NetLocalPort,
                ("network_connection", "Initiated") => Field::NetInitiated,
                ("network_connection", "Protocol") => Field::NetProtocol,
                ("file_event", "TargetFilename") => Field::FilePath,
                _ => {
                    return Err(format!(
                        "field '{name}' has no Linux mapping for category '{cat}'"
                    ));
                }
            };
            Ok(vec![f])
        }
    }
}

/// A Sigma document's `title` (empty when missing) and `id` (else its title, else `?`).
/// What every Sigma document (rule or correlation) must pass first: a `title`, and no
/// deprecated `status` unless deprecated rules are loaded on purpose.
pub(crate) fn check_title_status(doc: &J, title: &str, opts: &SigmaOptions) -> Result<(), String> {
    if title.is_empty() {
        return Err("missing `title`".into());
    }
    if doc.get("status").and_then(J::as_str) == Some("deprecated") && !opts.load_deprecated {
        return Err("status is deprecated".into());
    }
    Ok(())
}

pub(crate) fn doc_title_id(doc: &J) -> (String, String) {
    let title = doc
        .get("title")
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    let id = doc
        .get("id")
        .and_then(J::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .unwrap_or_else(|| {
            if title.is_empty() {
                "?".into()
            } else {
                title.clone()
            }
        });
    (title, id)
}

/// A Sigma document's `tags` (strings only).
pub(crate) fn doc_tags(doc: &J) -> Vec<String> {
    doc.get("tags")
        .and_then(J::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A Sigma document's `description`, trimmed (empty when absent).
pub(crate) fn doc_description(doc: &J) -> String {
    doc.get("description")
        .and_then(J::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}
