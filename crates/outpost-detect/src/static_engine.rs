//! The static engine: risky processes, IOC matches, file integrity on watched paths, and
//! black/white lists per field.
//!
//! Risky processes match the executable's exact basename (`dig`) or exact full path
//! (`/usr/bin/dig`), never a substring (so `sh` does not match `/usr/bin/shred`).

use crate::field::{Field, Value};
use crate::indicator::{Finding, Scored};
use crate::matcher::{Matcher, Node, StrKind, StrMatch, compile_regex, parse_cidr};
use ipnet::IpNet;
use outpost_core::event::basename;
use outpost_core::{Event, EventKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

/// A threat-intel match returned by an [`IocLookup`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IocMatch {
    /// Feed or list name.
    pub source: String,
    /// What the indicator is (e.g. "C2 server", "listed on 5 blocklists").
    pub description: String,
    /// Score to use instead of the engine's default IOC score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i32>,
    /// The indicator as listed (`203.0.113.0/24`, `evil.example`, a hash), when the lookup
    /// knows it; it becomes the indicator's `extra_info` (else the source does), so a caller
    /// can tell two engines' matches of the same indicator apart from different ones.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub indicator: String,
}

/// Looks up indicators of compromise. `outpost-intel`'s hotlists implement this; the engine
/// only needs these three questions answered.
pub trait IocLookup: Send + Sync {
    /// Is this address listed?
    fn ip(&self, ip: IpAddr) -> Option<IocMatch>;
    /// Is this file hash (hex, any case; MD5, SHA-1 or SHA-256) listed?
    fn hash(&self, hash: &str) -> Option<IocMatch>;
    /// Is this domain (or a parent domain) listed?
    fn domain(&self, domain: &str) -> Option<IocMatch>;
    /// Is this process listed, by its executable path or its name (case-insensitive)?
    fn process(&self, _name: &str, _path: Option<&str>) -> Option<IocMatch> {
        None
    }
}

/// A simple in-memory [`IocLookup`] (tests, small deployments).
#[derive(Debug, Default, Clone)]
pub struct MemoryIoc {
    ips: HashMap<IpAddr, IocMatch>,
    nets: Vec<(IpNet, IocMatch)>,
    hashes: HashMap<String, IocMatch>,
    domains: HashMap<String, IocMatch>,
}

impl MemoryIoc {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an address.
    pub fn add_ip(&mut self, ip: IpAddr, m: IocMatch) {
        self.ips.insert(ip, m);
    }

    /// Adds a network.
    pub fn add_net(&mut self, net: IpNet, m: IocMatch) {
        self.nets.push((net, m));
    }

    /// Adds a hash (stored lower-case).
    pub fn add_hash(&mut self, hash: &str, m: IocMatch) {
        self.hashes.insert(hash.trim().to_ascii_lowercase(), m);
    }

    /// Adds a domain (matches it and its subdomains).
    pub fn add_domain(&mut self, domain: &str, m: IocMatch) {
        self.domains
            .insert(domain.trim().trim_end_matches('.').to_ascii_lowercase(), m);
    }
}

impl IocLookup for MemoryIoc {
    fn ip(&self, ip: IpAddr) -> Option<IocMatch> {
        self.ips.get(&ip).cloned().or_else(|| {
            self.nets
                .iter()
                .find(|(n, _)| n.contains(&ip))
                .map(|(_, m)| m.clone())
        })
    }

    fn hash(&self, hash: &str) -> Option<IocMatch> {
        let mut buf = [0u8; 128];
        let h = hash.trim().as_bytes();
        if h.len() > buf.len() {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(h) {
            *d = s.to_ascii_lowercase();
        }
        let key = std::str::from_utf8(&buf[..h.len()]).ok()?;
        self.hashes.get(key).cloned()
    }

    fn domain(&self, domain: &str) -> Option<IocMatch> {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut rest = d.as_str();
        loop {
            if let Some(m) = self.domains.get(rest) {
                return Some(m.clone());
            }
            match rest.split_once('.') {
                Some((_, tail)) if !tail.is_empty() => rest = tail,
                _ => return None,
            }
        }
    }
}

/// One risky process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RiskyProcess {
    /// Exact basename (`dig`) or exact full path (`/usr/bin/dig`, `C:\x\y.exe`).
    pub name: String,
    /// What it is often used for ("exfiltration / callbacks").
    pub reason: String,
    /// Indicator score.
    pub score: i32,
}

/// One watched path for file integrity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WatchedPath {
    /// A file, or a directory (everything below it).
    pub path: String,
    /// Indicator score.
    pub score: i32,
    /// Paths (prefixes) below `path` to ignore.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A black- or whitelist entry on one field. Any listed value matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ListEntry {
    /// Event field path (`process.name`, `network.remote_ip`, `file.sha256_after`, …).
    pub field: String,
    /// Exact values.
    #[serde(default)]
    pub values: Vec<String>,
    /// Regular expressions.
    #[serde(default)]
    pub regex: Vec<String>,
    /// Networks (for IP fields).
    #[serde(default)]
    pub cidr: Vec<String>,
    /// Score (blacklist only).
    #[serde(default)]
    pub score: i32,
    /// Description for the indicator.
    #[serde(default)]
    pub description: String,
}

/// Static engine configuration (serde: YAML or JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StaticConfig {
    /// Risky processes.
    #[serde(default = "default_risky")]
    pub risky_processes: Vec<RiskyProcess>,
    /// Watched paths.
    #[serde(default = "default_watched")]
    pub watched_paths: Vec<WatchedPath>,
    /// Blacklist: a match adds an indicator.
    #[serde(default)]
    pub blacklist: Vec<ListEntry>,
    /// Whitelist: a match skips every later engine.
    #[serde(default)]
    pub whitelist: Vec<ListEntry>,
    /// Score of an IOC match whose lookup gave none.
    #[serde(default = "default_ioc_score")]
    pub ioc_score: i32,
}

fn default_ioc_score() -> i32 {
    80
}

fn rp(name: &str, reason: &str, score: i32) -> RiskyProcess {
    RiskyProcess {
        name: name.into(),
        reason: reason.into(),
        score,
    }
}

/// The default risky-process list (the original list, matched exactly).
pub fn default_risky() -> Vec<RiskyProcess> {
    vec![
        rp("curl", "fetching remote resources", 50),
        rp("wget", "fetching remote resources", 50),
        rp("nc", "reverse shells", 70),
        rp("netcat", "reverse shells", 70),
        rp("ncat", "reverse shells", 70),
        rp("socat", "reverse shells", 70),
        rp("bash", "reverse shells and code execution", 70),
        rp("sh", "code execution", 70),
        rp("dash", "code execution", 70),
        rp("perl", "code execution", 70),
        rp("python", "code execution", 70),
        rp("python3", "code execution", 70),
        rp("ruby", "code execution", 70),
        rp("node", "code execution", 70),
        rp("sudo", "escalating privileges", 30),
        rp("vim", "shell escapes and editing files", 40),
        rp("vi", "shell escapes and editing files", 40),
        rp("emacs", "shell escapes and editing files", 40),
        rp("nano", "editing files", 40),
        rp("gcc", "compiling exploits", 70),
        rp("dig", "exfiltration and callbacks", 70),
        rp("nslookup", "exfiltration and callbacks", 70),
    ]
}

fn wp(path: &str, score: i32) -> WatchedPath {
    WatchedPath {
        path: path.into(),
        score,
        exclude: Vec::new(),
    }
}

/// The default watched paths.
pub fn default_watched() -> Vec<WatchedPath> {
    vec![
        wp("/etc/passwd", 90),
        wp("/etc/shadow", 90),
        wp("/etc/sudoers", 90),
        wp("/etc/sudoers.d", 80),
        wp("/root/.ssh", 80),
        wp("/etc/ssh/sshd_config", 70),
        wp("/etc/crontab", 70),
        wp("/etc/cron.d", 70),
        wp("/etc/ld.so.preload", 90),
        wp("/bin", 60),
        wp("/sbin", 60),
        wp("/usr/bin", 60),
        wp("/usr/sbin", 60),
    ]
}

impl Default for StaticConfig {
    fn default() -> Self {
        StaticConfig {
            risky_processes: default_risky(),
            watched_paths: default_watched(),
            blacklist: Vec::new(),
            whitelist: Vec::new(),
            ioc_score: default_ioc_score(),
        }
    }
}

/// Errors in the static configuration.
#[derive(Debug, thiserror::Error)]
pub enum StaticConfigError {
    /// A list entry is invalid.
    #[error("{list}[{index}] (field '{field}'): {message}")]
    Entry {
        /// `blacklist` or `whitelist`.
        list: &'static str,
        /// Entry index.
        index: usize,
        /// The entry's field path.
        field: String,
        /// What is wrong.
        message: String,
    },
}

struct CompiledList {
    node: Node,
    entry: ListEntry,
}

/// The compiled static engine.
pub struct StaticEngine {
    by_name: HashMap<String, usize>,
    by_path: HashMap<String, usize>,
    risky: Vec<RiskyProcess>,
    watched: Vec<WatchedPath>,
    black: Vec<CompiledList>,
    white: Vec<CompiledList>,
    ioc: Option<std::sync::Arc<dyn IocLookup>>,
    ioc_score: i32,
}

impl std::fmt::Debug for StaticEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticEngine")
            .field("risky", &self.risky.len())
            .field("watched", &self.watched.len())
            .field("black", &self.black.len())
            .field("white", &self.white.len())
            .field("ioc", &self.ioc.is_some())
            .finish()
    }
}

fn compile_list(
    list: &'static str,
    entries: &[ListEntry],
) -> Result<Vec<CompiledList>, StaticConfigError> {
    let mut out = Vec::new();
    for (index, e) in entries.iter().enumerate() {
        let err = |message: String| StaticConfigError::Entry {
            list,
            index,
            field: e.field.clone(),
            message,
        };
        let field = Field::parse(&e.field).ok_or_else(|| err("unknown event field".into()))?;
        let mut alts = Vec::new();
        if !e.values.is_empty() {
            let m = StrMatch::new(StrKind::Eq, e.values.clone(), false, false)
                .map_err(|x| err(x.to_string()))?;
            alts.push(Node::leaf(vec![field.clone()], Matcher::Str(m)));
        }
        if !e.regex.is_empty() {
            let res = e
                .regex
                .iter()
                .map(|r| compile_regex(r, false, false, false))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|x| err(x.to_string()))?;
            alts.push(Node::leaf(
                vec![field.clone()],
                Matcher::Regex { res, all: false },
            ));
        }
        if !e.cidr.is_empty() {
            let nets = e
                .cidr
                .iter()
                .map(|c| parse_cidr(c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|x| err(x.to_string()))?;
            alts.push(Node::leaf(vec![field.clone()], Matcher::Cidr(nets)));
        }
        if alts.is_empty() {
            return Err(err("no values, regex or cidr given".into()));
        }
        out.push(CompiledList {
            node: Node::Or(alts),
            entry: e.clone(),
        });
    }
    Ok(out)
}

fn path_under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    if root.is_empty() {
        return path.starts_with('/');
    }
    path == root
        || (path.len() > root.len()
            && path.starts_with(root)
            && path.as_bytes()[root.len()] == b'/')
}

impl StaticEngine {
    /// Compiles the configuration; `ioc` is the intel lookup (if any).
    pub fn new(
        cfg: &StaticConfig,
        ioc: Option<std::sync::Arc<dyn IocLookup>>,
    ) -> Result<StaticEngine, StaticConfigError> {
        let mut by_name = HashMap::new();
        let mut by_path = HashMap::new();
        for (i, r) in cfg.risky_processes.iter().enumerate() {
            if r.name.contains('/') || r.name.contains('\\') {
                by_path.entry(r.name.clone()).or_insert(i);
            } else {
                by_name.entry(r.name.clone()).or_insert(i);
            }
        }
        Ok(StaticEngine {
            by_name,
            by_path,
            risky: cfg.risky_processes.clone(),
            watched: cfg.watched_paths.clone(),
            black: compile_list("blacklist", &cfg.blacklist)?,
            white: compile_list("whitelist", &cfg.whitelist)?,
            ioc,
            ioc_score: cfg.ioc_score,
        })
    }

    /// Applies the blacklist, then the whitelist. Returns true when the event is whitelisted
    /// (and not blacklisted): later engines should skip it.
    pub fn lists(&self, e: &Event, out: &mut Scored) -> bool {
        let mut black = false;
        for b in &self.black {
            if b.node.eval(e) {
                black = true;
                out.push(Finding {
                    engine: "static".into(),
                    rule_name: format!("blacklist:{}", b.entry.field),
                    indicator_type: "blacklist".into(),
                    description: if b.entry.description.is_empty() {
                        format!("blacklisted {}", b.entry.field)
                    } else {
                        b.entry.description.clone()
                    },
                    extra_info: field_display(e, &b.entry.field),
                    score: b.entry.score,
                });
            }
        }
        !black && self.white.iter().any(|w| w.node.eval(e))
    }

    /// Risky processes, IOCs and file integrity.
    pub fn eval_into(&self, e: &Event, out: &mut Scored) {
        if matches!(e.kind, EventKind::ProcessExec)
            && let Some(r) = self.risky_match(e)
        {
            let base = r.name.rsplit(['/', '\\']).next().unwrap_or(&r.name);
            out.push(Finding {
                engine: "static".into(),
                rule_name: r.name.clone(),
                indicator_type: "risky_process".into(),
                description: format!("{base} is a risky process often used for {}", r.reason),
                extra_info: e
                    .process
                    .as_ref()
                    .and_then(|p| p.exe.clone())
                    .unwrap_or_default(),
                score: r.score,
            });
        }
        if let Some(ioc) = &self.ioc {
            self.eval_iocs(ioc.as_ref(), e, out);
        }
        if let Some(f) = &e.file {
            for w in &self.watched {
                let hit =
                    |p: &str| path_under(p, &w.path) && !w.exclude.iter().any(|x| path_under(p, x));
                if hit(&f.path) || f.old_path.as_deref().is_some_and(hit) {
                    let mut extra = String::new();
                    if let (Some(a), Some(b)) = (&f.sha256_before, &f.sha256_after) {
                        extra = format!("sha256 {a} -> {b}");
                    }
                    out.push(Finding {
                        engine: "static".into(),
                        rule_name: w.path.clone(),
                        indicator_type: "file_integrity".into(),
                        description: format!(
                            "{} of {} (watched path {})",
                            crate::field::file_action_str(f.action),
                            f.path,
                            w.path
                        ),
                        extra_info: extra,
                        score: w.score,
                    });
                    break;
                }
            }
        }
    }

    fn risky_match(&self, e: &Event) -> Option<&RiskyProcess> {
        let p = e.process.as_ref()?;
        if let Some(exe) = p.exe.as_deref() {
            if let Some(&i) = self.by_path.get(exe) {
                return self.risky.get(i);
            }
            if let Some(&i) = self.by_name.get(basename(exe)) {
                return self.risky.get(i);
            }
            return None;
        }
        let n = p.name.as_deref()?;
        self.by_name.get(n).and_then(|&i| self.risky.get(i))
    }

    /// The IOC matches of `e` against `ioc`: its remote address and host name, its process's
    /// hashes (and, for exec events, its name and path), a file's new hash, a DNS query's name
    /// (the event's own or a Windows log record's `QueryName`).
    pub fn eval_iocs(&self, ioc: &dyn IocLookup, e: &Event, out: &mut Scored) {
        let mut push = |kind: &str, value: &str, m: IocMatch| {
            out.push(Finding {
                engine: "static".into(),
                rule_name: format!("ioc:{}", m.source),
                indicator_type: "ioc".into(),
                description: format!("{kind} {value} is a known indicator: {}", m.description),
                extra_info: if m.indicator.is_empty() {
                    m.source.clone()
                } else {
                    m.indicator.clone()
                },
                score: m.score.unwrap_or(self.ioc_score),
            });
        };
        if let Some(d) = &e.dns
            && let Some(m) = ioc.domain(&d.query)
        {
            push("domain", &d.query, m);
        }
        if matches!(e.kind, EventKind::ProcessExec | EventKind::ProcessInventory)
            && let Some(p) = &e.process
        {
            let exe = p.exe.as_deref().filter(|x| !x.is_empty());
            let name = exe.map(basename).or(p.name.as_deref()).unwrap_or("");
            if let Some(m) = ioc
                .process(name, exe)
                .or_else(|| p.name.as_deref().and_then(|n| ioc.process(n, None)))
            {
                push("process", exe.unwrap_or(name), m);
            }
        }
        if let Some(n) = &e.network {
            if let Some(ip) = n.remote_ip
                && let Some(m) = ioc.ip(ip)
            {
                push("address", &ip.to_string(), m);
            }
            if let Some(h) = &n.remote_hostname
                && let Some(m) = ioc.domain(h)
            {
                push("domain", h, m);
            }
        }
        if let Some(p) = &e.process {
            for h in [&p.hashes.sha256, &p.hashes.sha1, &p.hashes.md5]
                .into_iter()
                .flatten()
            {
                if let Some(m) = ioc.hash(h) {
                    push("hash", h, m);
                    break;
                }
            }
        }
        if let Some(f) = &e.file
            && let Some(h) = &f.sha256_after
            && let Some(m) = ioc.hash(h)
        {
            push("hash", h, m);
        }
        if let Some(l) = &e.log
            && let Some(q) = l.fields.get("QueryName")
            && let Some(m) = ioc.domain(q)
        {
            push("domain", q, m);
        }
    }
}

fn field_display(e: &Event, path: &str) -> String {
    match Field::parse(path).and_then(|f| f.get(e)) {
        Some(Value::Str(s)) => s.to_string(),
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::Ip(ip)) => ip.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::List(l)) => l.join(" "),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use outpost_core::{FileAction, FileInfo, NetworkInfo, ProcessInfo};
    use std::sync::Arc;

    fn exec(exe: &str) -> Event {
        let mut e = Event::new(Utc::now(), EventKind::ProcessExec, "test");
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid: 1,
            exe: Some(exe.into()),
            ..Default::default()
        }));
        e
    }

    #[test]
    fn risky_is_exact_not_substring() {
        let s = StaticEngine::new(&StaticConfig::default(), None).unwrap();
        let mut out = Scored::default();
        s.eval_into(&exec("/usr/bin/dig"), &mut out);
        assert_eq!(out.indicators.len(), 1);
        assert_eq!(
            out.indicators[0].description,
            "dig is a risky process often used for exfiltration and callbacks"
        );
        assert_eq!(out.risk_score, 70);
        for benign in ["/usr/bin/shred", "/opt/catalog/bin/app", "/usr/bin/digest"] {
            let mut out = Scored::default();
            s.eval_into(&exec(benign), &mut out);
            assert!(out.indicators.is_empty(), "{benign}");
        }
        let cfg = StaticConfig {
            risky_processes: vec![rp("/opt/x/tool", "testing", 5)],
            ..Default::default()
        };
        let s = StaticEngine::new(&cfg, None).unwrap();
        let mut out = Scored::default();
        s.eval_into(&exec("/opt/x/tool"), &mut out);
        assert_eq!(out.risk_score, 5);
        let mut out = Scored::default();
        s.eval_into(&exec("/usr/bin/tool"), &mut out);
        assert!(out.indicators.is_empty());
    }

    #[test]
    fn iocs_fim_and_lists() {
        let mut ioc = MemoryIoc::new();
        let m = IocMatch {
            source: "ipsum".into(),
            description: "on 5 blocklists".into(),
            score: Some(60),
            indicator: String::new(),
        };
        ioc.add_ip("203.0.113.9".parse().unwrap(), m.clone());
        ioc.add_domain("evil.example", m.clone());
        ioc.add_hash("ABCDEF", m);
        let cfg = StaticConfig {
            blacklist: vec![ListEntry {
                field: "process.name".into(),
                regex: vec!["^xmrig".into()],
                score: 100,
                ..Default::default()
            }],
            whitelist: vec![ListEntry {
                field: "network.remote_ip".into(),
                cidr: vec!["10.0.0.0/8".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let s = StaticEngine::new(&cfg, Some(Arc::new(ioc))).unwrap();
        let mut e = Event::new(Utc::now(), EventKind::Network, "test");
        e.network = Some(NetworkInfo {
            remote_ip: Some("203.0.113.9".parse().unwrap()),
            remote_hostname: Some("c2.EVIL.example.".into()),
            ..Default::default()
        });
        let mut out = Scored::default();
        assert!(!s.lists(&e, &mut out));
        s.eval_into(&e, &mut out);
        assert_eq!(out.indicators.len(), 2);
        assert_eq!(out.risk_score, 120);
        e.network.as_mut().unwrap().remote_ip = Some("10.1.1.1".parse().unwrap());
        assert!(s.lists(&e, &mut Scored::default()), "whitelisted by CIDR");

        let mut x = exec("/tmp/xmrig-6");
        std::sync::Arc::make_mut(x.process.as_mut().unwrap())
            .hashes
            .sha256 = Some("abcdef".into());
        let mut out = Scored::default();
        assert!(!s.lists(&x, &mut out));
        s.eval_into(&x, &mut out);
        let types: Vec<_> = out
            .indicators
            .iter()
            .map(|i| i.indicator_type.as_str())
            .collect();
        assert_eq!(types, ["blacklist", "ioc"]);

        let mut f = Event::new(Utc::now(), EventKind::File, "test");
        f.file = Some(FileInfo::new(FileAction::Write, "/etc/passwd"));
        let mut out = Scored::default();
        s.eval_into(&f, &mut out);
        assert_eq!(out.indicators[0].indicator_type, "file_integrity");
        f.file.as_mut().unwrap().path = "/etc/passwd-".into();
        let mut out = Scored::default();
        s.eval_into(&f, &mut out);
        assert!(
            out.indicators.is_empty(),
            "a sibling file is not under the watched file"
        );
        assert!(path_under("/usr/bin/ls", "/usr/bin/"));
        assert!(!path_under("/usr/binx", "/usr/bin"));
    }

    #[test]
    fn bad_list_entry_names_field() {
        let cfg = StaticConfig {
            blacklist: vec![ListEntry {
                field: "process.nam".into(),
                values: vec!["x".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let err = StaticEngine::new(&cfg, None).unwrap_err().to_string();
        assert!(
            err.contains("blacklist[0]") && err.contains("process.nam"),
            "{err}"
        );
    }
}
