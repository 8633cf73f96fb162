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

use crate::field::{Field, kind_bit};
use crate::matcher::{CmpOp, Matcher, Node, StrKind, StrMatch, compile_regex, parse_cidr};
use crate::rules::{CompiledRule, Unsupported};
use outpost_core::EventKind;
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::path::Path;

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
    let title = doc
        .get("title")
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    let id = doc
        .get("id")
        .and_then(J::as_str)
        .map(String::from)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            if title.is_empty() {
                "?".into()
            } else {
                title.clone()
            }
        });
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
    if title.is_empty() {
        return Err(un("missing `title`".into()));
    }
    if doc.get("status").and_then(J::as_str) == Some("deprecated") && !opts.load_deprecated {
        return Err(un("status is deprecated".into()));
    }
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

fn compile_detection(v: &J, src: &Src) -> Result<Node, String> {
    match v {
        J::Object(m) => compile_map(m, src),
        J::Array(a) => {
            if a.is_empty() {
                return Err("empty list".into());
            }
            if a.iter().all(|x| x.is_object()) {
                let mut alts = Vec::new();
                for x in a {
                    if let J::Object(m) = x {
                        alts.push(compile_map(m, src)?);
                    }
                }
                Ok(Node::Or(alts))
            } else if a.iter().all(|x| !x.is_object() && !x.is_array()) {
                field_values(&[Field::AnyString], &[], a, true)
            } else {
                Err("a list must hold only maps or only keywords".into())
            }
        }
        J::String(_) | J::Number(_) => {
            field_values(&[Field::AnyString], &[], std::slice::from_ref(v), true)
        }
        _ => Err("a detection must be a map, a list of maps or a list of keywords".into()),
    }
}

fn compile_map(m: &serde_json::Map<String, J>, src: &Src) -> Result<Node, String> {
    if m.is_empty() {
        return Err("empty selection".into());
    }
    let mut parts = Vec::new();
    for (key, val) in m {
        let mut it = key.split('|');
        let fname = it.next().unwrap_or("");
        let mods: Vec<&str> = it.collect();
        let mut mods: Vec<&str> = mods;
        let fields = map_field(src, fname)?;
        let mut vals: Vec<J> = match val {
            J::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        if vals.is_empty() {
            return Err(format!("field '{fname}': empty value list"));
        }
        if let Some(i) = mods.iter().position(|m| *m == "expand") {
            mods.remove(i);
            vals = expand_placeholders(&vals, src.placeholders)
                .map_err(|e| format!("field '{key}': {e}"))?;
        }
        if let Some(i) = mods.iter().position(|m| *m == "fieldref") {
            mods.remove(i);
            parts.push(
                fieldref(src, &fields, &mods, &vals).map_err(|e| format!("field '{key}': {e}"))?,
            );
            continue;
        }
        let keyword = fname.is_empty();
        parts.push(
            field_values(&fields, &mods, &vals, keyword)
                .map_err(|e| format!("field '{key}': {e}"))?,
        );
    }
    Ok(Node::And(parts))
}

/// Parses a placeholder file for [`SigmaOptions::placeholders`]: a YAML map from placeholder
/// name (with or without the `%`) to a value or a list of values.
///
/// ```yaml
/// known_cdcs: [dc01.corp.example, 10.0.0.10]
/// admin_hosts: jump01
/// ```
pub fn parse_placeholders(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let docs = serde_saphyr::from_multiple::<J>(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for d in docs {
        let J::Object(m) = d else {
            if d.is_null() {
                continue;
            }
            return Err("expected a map from placeholder names to values".into());
        };
        for (k, v) in m {
            let vals: Vec<String> = match v {
                J::Array(a) => a
                    .iter()
                    .map(|x| match x {
                        J::String(s) => Ok(s.clone()),
                        J::Number(n) => Ok(n.to_string()),
                        J::Bool(b) => Ok(b.to_string()),
                        _ => Err(format!("placeholder '{k}': values must be scalars")),
                    })
                    .collect::<Result<_, _>>()?,
                J::String(s) => vec![s],
                J::Number(n) => vec![n.to_string()],
                J::Bool(b) => vec![b.to_string()],
                _ => return Err(format!("placeholder '{k}': expected a value or a list")),
            };
            out.insert(k.trim_matches('%').to_string(), vals);
        }
    }
    Ok(out)
}

/// Values with `%name%` placeholders replaced by every value of the placeholder (Sigma
/// `expand`); an unknown placeholder is an error naming it.
fn expand_placeholders(
    vals: &[J],
    placeholders: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<Vec<J>, String> {
    let mut out: Vec<J> = Vec::new();
    for v in vals {
        let J::String(s) = v else {
            out.push(v.clone());
            continue;
        };
        // Split into literal parts and placeholder names.
        let mut acc: Vec<String> = vec![String::new()];
        let mut rest = s.as_str();
        while let Some(a) = rest.find('%') {
            let Some(b) = rest[a + 1..].find('%') else {
                break;
            };
            let name = &rest[a + 1..a + 1 + b];
            let lit = &rest[..a];
            for x in acc.iter_mut() {
                x.push_str(lit);
            }
            let Some(values) = placeholders.and_then(|p| p.get(name)) else {
                return Err(format!(
                    "placeholder '%{name}%' has no values (`expand` needs them: outpost hunt --placeholders FILE)"
                ));
            };
            if values.is_empty() {
                return Err(format!("placeholder '%{name}%' has an empty value list"));
            }
            let mut next = Vec::with_capacity(acc.len() * values.len());
            for x in &acc {
                for val in values {
                    next.push(format!("{x}{val}"));
                }
            }
            if next.len() > MAX_VALUES {
                return Err(format!(
                    "placeholders expand to more than {MAX_VALUES} values"
                ));
            }
            acc = next;
            rest = &rest[a + b + 2..];
        }
        for x in acc {
            out.push(J::String(x + rest));
        }
    }
    Ok(out)
}

/// `Field|fieldref: Other` (with `contains`, `startswith`, `endswith`, `cased`): the field's
/// value compared with another field of the same event; several names are any-of (all-of with
/// `all`).
fn fieldref(src: &Src, fields: &[Field], mods: &[&str], vals: &[J]) -> Result<Node, String> {
    let mut kind = StrKind::Eq;
    let (mut all, mut cased) = (false, false);
    for m in mods {
        match *m {
            "contains" => kind = StrKind::Contains,
            "startswith" => kind = StrKind::StartsWith,
            "endswith" => kind = StrKind::EndsWith,
            "all" => all = true,
            "cased" => cased = true,
            other => {
                return Err(format!(
                    "modifier '{other}' together with fieldref is not supported"
                ));
            }
        }
    }
    if fields.contains(&Field::AnyString) {
        return Err("fieldref needs a field name".into());
    }
    let mut alts = Vec::new();
    for v in vals {
        let J::String(name) = v else {
            return Err("fieldref values must be field names".into());
        };
        let other = map_field(src, name)?;
        alts.push(Node::leaf(
            fields.to_vec(),
            Matcher::FieldRef {
                other,
                kind,
                ci: !cased,
            },
        ));
    }
    Ok(if all { Node::And(alts) } else { Node::Or(alts) })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Star,
    Q,
}

fn wildcard_tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    out.push(Tok::Lit(n));
                    chars.next();
                }
                _ => out.push(Tok::Lit('\\')),
            },
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::Q),
            c => out.push(Tok::Lit(c)),
        }
    }
    out
}

enum Pat {
    Str(StrKind, String),
    Regex(String),
}

/// Turns a wildcard value into a plain comparison or an anchored regex.
fn wildcard_pattern(toks: &[Tok]) -> Pat {
    let lead = toks.first() == Some(&Tok::Star);
    let trail = toks.len() > 1 && toks.last() == Some(&Tok::Star);
    let inner = &toks[usize::from(lead)..toks.len() - usize::from(trail)];
    if inner.iter().all(|t| matches!(t, Tok::Lit(_))) {
        let s: String = inner
            .iter()
            .filter_map(|t| if let Tok::Lit(c) = t { Some(*c) } else { None })
            .collect();
        let kind = match (lead, trail) {
            (true, true) => StrKind::Contains,
            (true, false) => StrKind::EndsWith,
            (false, true) => StrKind::StartsWith,
            (false, false) => StrKind::Eq,
        };
        if toks.len() == 1 && lead {
            // A lone `*`: anything (but the field must exist).
            return Pat::Regex("^(?s:.*)$".into());
        }
        return Pat::Str(kind, s);
    }
    let mut re = String::from("^");
    for t in toks {
        match t {
            Tok::Star => re.push_str("(?s:.*)"),
            Tok::Q => re.push_str("(?s:.)"),
            Tok::Lit(c) => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Pat::Regex(re)
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for ch in bytes.chunks(3) {
        let b = [ch[0], *ch.get(1).unwrap_or(&0), *ch.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let idx = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, x) in idx.iter().enumerate() {
            if i <= ch.len() {
                out.push(T[*x as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three base64 encodings of `v` at offsets 0, 1, 2 of a stream, trimmed to the characters
/// that depend only on `v`.
fn b64_offsets(v: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..3usize {
        let mut buf = vec![b' '; i];
        buf.extend_from_slice(v);
        let enc = b64(&buf);
        let start = [0usize, 2, 3][i];
        let end_trim = [0usize, 3, 2][(v.len() + i) % 3];
        if enc.len() >= start + end_trim && enc.len() - end_trim > start {
            out.push(enc[start..enc.len() - end_trim].to_string());
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Enc {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf16Bom,
}

fn encode(s: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => s.as_bytes().to_vec(),
        Enc::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Enc::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Enc::Utf16Bom => {
            let mut v = vec![0xFF, 0xFE];
            v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            v
        }
    }
}

const MAX_VALUES: usize = 10_000;

fn field_values(
    fields: &[Field],
    mods: &[&str],
    vals: &[J],
    keyword: bool,
) -> Result<Node, String> {
    let mut kind: Option<StrKind> = None;
    let (mut all, mut re, mut cidr, mut b64m, mut b64off, mut windash, mut cased, mut exists) =
        (false, false, false, false, false, false, false, false);
    let mut re_flags = (false, false, false);
    let mut cmp: Option<CmpOp> = None;
    let mut enc = Enc::Utf8;
    for m in mods {
        match *m {
            "contains" => kind = Some(StrKind::Contains),
            "startswith" => kind = Some(StrKind::StartsWith),
            "endswith" => kind = Some(StrKind::EndsWith),
            "all" => all = true,
            "re" => re = true,
            "i" => re_flags.0 = true,
            "m" => re_flags.1 = true,
            "s" => re_flags.2 = true,
            "cidr" => cidr = true,
            "base64" => b64m = true,
            "base64offset" => b64off = true,
            "windash" => windash = true,
            "cased" => cased = true,
            "exists" => exists = true,
            "wide" | "utf16le" => enc = Enc::Utf16Le,
            "utf16be" => enc = Enc::Utf16Be,
            "utf16" => enc = Enc::Utf16Bom,
            "gt" => cmp = Some(CmpOp::Gt),
            "gte" => cmp = Some(CmpOp::Gte),
            "lt" => cmp = Some(CmpOp::Lt),
            "lte" => cmp = Some(CmpOp::Lte),
            other => return Err(format!("modifier '{other}' is not supported")),
        }
    }
    if enc != Enc::Utf8 && !(b64m || b64off) {
        return Err(
            "utf16/wide modifiers are only supported together with base64/base64offset".into(),
        );
    }
    if keyword && (cidr || cmp.is_some() || exists) {
        return Err("keyword searches support only string modifiers".into());
    }
    if vals.len() > MAX_VALUES {
        return Err(format!("more than {MAX_VALUES} values"));
    }
    if exists {
        let [J::Bool(b)] = vals else {
            return Err("`exists` needs a single true/false value".into());
        };
        return Ok(Node::leaf(fields.to_vec(), Matcher::Exists(*b)));
    }
    if let Some(op) = cmp {
        let mut alts = Vec::new();
        for v in vals {
            let n = match v {
                J::Number(n) => n.as_f64(),
                J::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .ok_or("comparison modifiers need numbers")?;
            alts.push(Node::leaf(fields.to_vec(), Matcher::Cmp(op, n)));
        }
        return Ok(Node::Or(alts));
    }
    // Scalars → strings; null → missing/empty.
    let mut strs: Vec<String> = Vec::new();
    let mut null = false;
    for v in vals {
        match v {
            J::Null => null = true,
            J::String(s) => strs.push(s.clone()),
            J::Number(n) => strs.push(n.to_string()),
            J::Bool(b) => strs.push(b.to_string()),
            _ => return Err("values must be scalars".into()),
        }
    }
    let mut alts: Vec<Node> = Vec::new();
    if null {
        alts.push(Node::leaf(fields.to_vec(), Matcher::Null));
    }
    if strs.is_empty() {
        return Ok(Node::Or(alts));
    }
    if cidr {
        let nets = strs
            .iter()
            .map(|s| parse_cidr(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        if all {
            alts.extend(
                nets.into_iter()
                    .map(|n| Node::leaf(fields.to_vec(), Matcher::Cidr(vec![n]))),
            );
            return Ok(Node::And(alts));
        }
        alts.push(Node::leaf(fields.to_vec(), Matcher::Cidr(nets)));
        return Ok(Node::Or(alts));
    }
    if re {
        let mut res = Vec::new();
        for s in &strs {
            res.push(
                compile_regex(s, re_flags.0, re_flags.1, re_flags.2).map_err(|e| e.to_string())?,
            );
        }
        alts.push(Node::leaf(fields.to_vec(), Matcher::Regex { res, all }));
        return Ok(Node::Or(alts));
    }
    if windash {
        let mut out = Vec::new();
        for s in &strs {
            for d in ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'] {
                let v: String = s.chars().map(|c| if c == '-' { d } else { c }).collect();
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        if all {
            return Err("windash together with all is not supported".into());
        }
        strs = out;
    }
    if b64m || b64off {
        // Encoded values are matched literally (wildcards are not meaningful after encoding).
        let mut enc_vals: Vec<Vec<String>> = Vec::new();
        for s in &strs {
            let bytes = encode(s, enc);
            enc_vals.push(if b64off {
                b64_offsets(&bytes)
            } else {
                vec![b64(&bytes)]
            });
        }
        let k = kind.unwrap_or(StrKind::Eq);
        if b64off && k != StrKind::Contains {
            return Err("base64offset needs contains".into());
        }
        let mk = |ps: Vec<String>| -> Result<Node, String> {
            Ok(Node::leaf(
                fields.to_vec(),
                Matcher::Str(StrMatch::new(k, ps, false, false).map_err(|e| e.to_string())?),
            ))
        };
        if all {
            for ps in enc_vals {
                alts.push(mk(ps)?);
            }
            return Ok(Node::And(alts));
        }
        alts.push(mk(enc_vals.into_iter().flatten().collect())?);
        return Ok(Node::Or(alts));
    }
    // Plain strings with wildcards; keywords are substring searches.
    let ci = !cased;
    let mut groups: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    let mut regexes = Vec::new();
    let mut each = Vec::new();
    for s in &strs {
        let mut toks = Vec::new();
        let base_kind = kind.or(if keyword {
            Some(StrKind::Contains)
        } else {
            None
        });
        if matches!(base_kind, Some(StrKind::Contains | StrKind::EndsWith)) {
            toks.push(Tok::Star);
        }
        toks.extend(wildcard_tokens(s));
        if matches!(base_kind, Some(StrKind::Contains | StrKind::StartsWith)) {
            toks.push(Tok::Star);
        }
        // Collapse consecutive stars.
        toks.dedup_by(|a, b| *a == Tok::Star && *b == Tok::Star);
        let pat = wildcard_pattern(&toks);
        if all {
            each.push(pat);
            continue;
        }
        match pat {
            Pat::Str(k, p) => groups.entry(k as u8).or_default().push(p),
            Pat::Regex(r) => regexes.push(r),
        }
    }
    let to_kind = |k: u8| match k {
        x if x == StrKind::Contains as u8 => StrKind::Contains,
        x if x == StrKind::StartsWith as u8 => StrKind::StartsWith,
        x if x == StrKind::EndsWith as u8 => StrKind::EndsWith,
        _ => StrKind::Eq,
    };
    let build = |pat: Pat| -> Result<Node, String> {
        Ok(match pat {
            Pat::Str(k, p) => Node::leaf(
                fields.to_vec(),
                Matcher::Str(StrMatch::new(k, vec![p], ci, false).map_err(|e| e.to_string())?),
            ),
            Pat::Regex(r) => Node::leaf(
                fields.to_vec(),
                Matcher::Regex {
                    res: vec![compile_regex(&r, ci, false, false).map_err(|e| e.to_string())?],
                    all: false,
                },
            ),
        })
    };
    if all {
        let mut conj = Vec::new();
        for p in each {
            conj.push(build(p)?);
        }
        alts.push(Node::And(conj));
        return Ok(Node::Or(alts));
    }
    for (k, ps) in groups {
        alts.push(Node::leaf(
            fields.to_vec(),
            Matcher::Str(StrMatch::new(to_kind(k), ps, ci, false).map_err(|e| e.to_string())?),
        ));
    }
    if !regexes.is_empty() {
        let mut res = Vec::new();
        for r in regexes {
            res.push(compile_regex(&r, ci, false, false).map_err(|e| e.to_string())?);
        }
        alts.push(Node::leaf(
            fields.to_vec(),
            Matcher::Regex { res, all: false },
        ));
    }
    Ok(Node::Or(alts))
}

// ---- condition expressions ----

#[derive(Debug, Clone, PartialEq)]
enum CTok<'a> {
    And,
    Or,
    Not,
    LParen,
    RParen,
    Of(Quant),
    Ident(&'a str),
    Pipe,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Quant {
    One,
    All,
}

fn tokenize(s: &str) -> Result<Vec<CTok<'_>>, String> {
    let mut out = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    // Split on whitespace, keeping parentheses and pipes as separate tokens.
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' || c == '|' {
            if let Some(st) = start.take() {
                words.push(&s[st..i]);
            }
            if !c.is_whitespace() {
                words.push(&s[i..i + c.len_utf8()]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        words.push(&s[st..]);
    }
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let lw = w.to_ascii_lowercase();
        let t = match lw.as_str() {
            "and" => CTok::And,
            "or" => CTok::Or,
            "not" => CTok::Not,
            "(" => CTok::LParen,
            ")" => CTok::RParen,
            "|" => CTok::Pipe,
            "1" | "all" | "any"
                if words
                    .get(i + 1)
                    .is_some_and(|n| n.eq_ignore_ascii_case("of")) =>
            {
                i += 1;
                CTok::Of(if lw == "all" { Quant::All } else { Quant::One })
            }
            n if n.parse::<u32>().is_ok()
                && words
                    .get(i + 1)
                    .is_some_and(|x| x.eq_ignore_ascii_case("of")) =>
            {
                return Err(format!(
                    "'{w} of' is not supported (only '1 of' and 'all of')"
                ));
            }
            _ => CTok::Ident(w),
        };
        out.push(t);
        i += 1;
    }
    Ok(out)
}

struct CParser<'a, 'b> {
    toks: Vec<CTok<'a>>,
    pos: usize,
    idents: &'b BTreeMap<&'b str, Node>,
    depth: usize,
}

fn glob_match(pat: &str, s: &str) -> bool {
    // Only `*` is special in identifier patterns.
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == s;
    }
    let mut rest = s;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else if let Some(pos) = rest.find(p) {
            rest = &rest[pos + p.len()..];
        } else {
            return false;
        }
    }
    true
}

impl<'a> CParser<'a, '_> {
    fn peek(&self) -> Option<CTok<'a>> {
        self.toks.get(self.pos).cloned()
    }

    fn or(&mut self) -> Result<Node, String> {
        let mut alts = vec![self.and()?];
        while self.peek() == Some(CTok::Or) {
            self.pos += 1;
            alts.push(self.and()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::False)
        } else {
            Node::Or(alts)
        })
    }

    fn and(&mut self) -> Result<Node, String> {
        let mut parts = vec![self.not()?];
        while self.peek() == Some(CTok::And) {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Node::False)
        } else {
            Node::And(parts)
        })
    }

    fn not(&mut self) -> Result<Node, String> {
        if self.peek() == Some(CTok::Not) {
            self.pos += 1;
            self.depth += 1;
            if self.depth > 64 {
                return Err("condition nested too deeply".into());
            }
            let n = self.not()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(n)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, String> {
        let t = self.peek().ok_or("unexpected end of condition")?;
        self.pos += 1;
        match t {
            CTok::LParen => {
                self.depth += 1;
                if self.depth > 64 {
                    return Err("condition nested too deeply".into());
                }
                let n = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(CTok::RParen) {
                    return Err("missing ')'".into());
                }
                self.pos += 1;
                Ok(n)
            }
            CTok::Of(q) => {
                let Some(CTok::Ident(p)) = self.peek() else {
                    return Err("'of' needs an identifier pattern or 'them'".into());
                };
                self.pos += 1;
                let sel: Vec<Node> = self
                    .idents
                    .iter()
                    .filter(|(k, _)| {
                        if p == "them" {
                            !k.starts_with('_')
                        } else {
                            glob_match(p, k)
                        }
                    })
                    .map(|(_, n)| n.clone())
                    .collect();
                if sel.is_empty() {
                    return Err(format!("no detection identifier matches '{p}'"));
                }
                Ok(if q == Quant::All {
                    Node::And(sel)
                } else {
                    Node::Or(sel)
                })
            }
            CTok::Ident(name) => self
                .idents
                .get(name)
                .cloned()
                .ok_or_else(|| format!("unknown detection identifier '{name}'")),
            CTok::Pipe => Err("aggregation expressions ('| count() ...') are not supported".into()),
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

fn parse_condition(s: &str, idents: &BTreeMap<&str, Node>) -> Result<Node, String> {
    let toks = tokenize(s)?;
    if toks.contains(&CTok::Pipe) {
        return Err("aggregation expressions ('| count() ...') are not supported".into());
    }
    let mut p = CParser {
        toks,
        pos: 0,
        idents,
        depth: 0,
    };
    let n = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected token {:?}", p.toks[p.pos]));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_offsets() {
        assert_eq!(b64(b"hello"), "aGVsbG8=");
        assert_eq!(b64(b"hi!"), "aGkh");
        assert_eq!(b64(b""), "");
        // Every offset variant must be a substring of the encoding of the value at that offset.
        let v = b"Invoke-Mimikatz";
        let offs = b64_offsets(v);
        assert_eq!(offs.len(), 3);
        for (i, o) in offs.iter().enumerate() {
            let mut buf = b"XY".to_vec();
            buf.truncate(i);
            buf.extend_from_slice(v);
            buf.extend_from_slice(b"tail");
            assert!(
                b64(&buf).contains(o.as_str()),
                "offset {i}: {o} not in {}",
                b64(&buf)
            );
        }
    }

    #[test]
    fn wildcards() {
        match wildcard_pattern(&wildcard_tokens("*\\rundll32.exe")) {
            Pat::Str(StrKind::EndsWith, s) => assert_eq!(s, "\\rundll32.exe"),
            _ => panic!(),
        }
        match wildcard_pattern(&wildcard_tokens("a*b")) {
            Pat::Regex(r) => assert_eq!(r, "^a(?s:.*)b$"),
            _ => panic!(),
        }
        match wildcard_pattern(&wildcard_tokens("lit\\*eral")) {
            Pat::Str(StrKind::Eq, s) => assert_eq!(s, "lit*eral"),
            _ => panic!(),
        }
        assert!(glob_match("sel*", "selection"));
        assert!(glob_match("*_ps", "filter_ps"));
        assert!(!glob_match("sel*", "filter"));
    }

    fn sysmon1(fields: &[(&str, &str)]) -> outpost_core::Event {
        let mut e = outpost_core::Event::new(chrono::Utc::now(), EventKind::Log, "evtx");
        e.log = Some(outpost_core::event::LogRecord {
            channel: SYSMON_CHANNEL.into(),
            event_id: Some(1),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        });
        e
    }

    const FIELDREF: &str = r#"
title: Process spawned under another user
id: fr-1
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\cmd.exe'
    filter_same_user:
        User|fieldref: ParentUser
    condition: selection and not filter_same_user
---
title: Image under its parent's directory
id: fr-2
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|fieldref|startswith: CurrentDirectory
    condition: selection
"#;

    #[test]
    fn fieldref_compares_two_fields_of_the_event() {
        let set = crate::RuleSet::from_yaml(FIELDREF, Path::new("t.yml"), &SigmaOptions::default())
            .unwrap();
        assert!(set.unsupported().is_empty(), "{:?}", set.unsupported());
        let ids = |f: &[(&str, &str)]| -> Vec<String> {
            set.matching_ids(&sysmon1(f))
                .into_iter()
                .map(String::from)
                .collect()
        };
        let img = ("Image", "C:\\Windows\\System32\\cmd.exe");
        // Same user (ignoring case): filtered out; another user: fires.
        assert!(ids(&[img, ("User", "CORP\\bob"), ("ParentUser", "corp\\BOB")]).is_empty());
        assert_eq!(
            ids(&[
                img,
                ("User", "CORP\\bob"),
                ("ParentUser", "NT AUTHORITY\\SYSTEM")
            ]),
            ["fr-1"]
        );
        // The parent's user missing: the `not` filter passes (Sigma: a filter on a missing field).
        assert_eq!(ids(&[img, ("User", "CORP\\bob")]), ["fr-1"]);
        assert_eq!(
            ids(&[
                ("Image", "C:\\Tools\\x.exe"),
                ("CurrentDirectory", "c:\\tools\\")
            ]),
            ["fr-2"]
        );
        assert!(
            ids(&[
                ("Image", "C:\\Tools\\x.exe"),
                ("CurrentDirectory", "C:\\Temp\\")
            ])
            .is_empty()
        );
    }

    #[test]
    fn expand_uses_placeholder_values_or_says_which_is_missing() {
        let y = r#"
title: Not from a known DC
id: ex-1
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4886
    filter:
        Attributes|contains|expand: '%known_cdcs%'
    condition: selection and not filter
"#;
        let set =
            crate::RuleSet::from_yaml(y, Path::new("t.yml"), &SigmaOptions::default()).unwrap();
        assert_eq!(set.len(), 0);
        assert!(
            set.unsupported()[0]
                .reason
                .contains("placeholder '%known_cdcs%' has no values"),
            "{:?}",
            set.unsupported()
        );
        let opts = SigmaOptions {
            placeholders: parse_placeholders("'%known_cdcs%': [dc01.corp, 10.0.0.10]\n").unwrap(),
            ..Default::default()
        };
        let set = crate::RuleSet::from_yaml(y, Path::new("t.yml"), &opts).unwrap();
        assert!(set.unsupported().is_empty(), "{:?}", set.unsupported());
        let ev = |attrs: &str| {
            let mut e = outpost_core::Event::new(chrono::Utc::now(), EventKind::Log, "evtx");
            e.log = Some(outpost_core::event::LogRecord {
                channel: "Security".into(),
                event_id: Some(4886),
                fields: [("Attributes".to_string(), attrs.to_string())].into(),
                ..Default::default()
            });
            e
        };
        assert!(set.matching_ids(&ev("ccm:DC01.corp")).is_empty());
        assert!(set.matching_ids(&ev("san:ip=10.0.0.10")).is_empty());
        assert_eq!(set.matching_ids(&ev("ccm:evil.example")), ["ex-1"]);
        // Placeholders inside a value, several values each.
        let p: BTreeMap<String, Vec<String>> = [
            ("a".into(), vec!["1".into(), "2".into()]),
            ("b".into(), vec!["x".into()]),
        ]
        .into();
        let got = expand_placeholders(&[J::String("pre%a%-%b%post".into())], Some(&p)).unwrap();
        assert_eq!(
            got,
            [
                J::String("pre1-xpost".into()),
                J::String("pre2-xpost".into())
            ]
        );
        assert!(expand_placeholders(&[J::String("%c%".into())], Some(&p)).is_err());
    }

    #[test]
    fn condition_precedence() {
        let mut id = BTreeMap::new();
        id.insert("a", Node::True);
        id.insert("b", Node::False);
        id.insert("c", Node::True);
        let e = outpost_core::Event::new(chrono::Utc::now(), EventKind::Log, "t");
        // not binds tighter than and, and tighter than or.
        assert!(parse_condition("a or b and not c", &id).unwrap().eval(&e));
        assert!(!parse_condition("(a or b) and not c", &id).unwrap().eval(&e));
        assert!(parse_condition("1 of them", &id).unwrap().eval(&e));
        assert!(!parse_condition("all of them", &id).unwrap().eval(&e));
        assert!(parse_condition("a | count() > 5", &id).is_err());
        assert!(parse_condition("2 of them", &id).is_err());
        assert!(parse_condition("a and", &id).is_err());
        assert!(parse_condition("zzz", &id).is_err());
        assert!(parse_condition(&"(".repeat(500), &id).is_err());
    }
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
