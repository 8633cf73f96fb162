//! Indicators of every kind and [`IntelSet`], which answers lookups for all of them.

use crate::error::IntelError;
use crate::hotlist::{Hotlist, HotlistEntry, parse_net};
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use outpost_core::IntelMatch;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::OnceLock;

/// The kinds of indicator an [`IntelSet`] holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// An IPv4/IPv6 address or CIDR.
    Ip,
    /// A domain name, matched exactly.
    Domain,
    /// A domain and all its subdomains.
    DomainSuffix,
    /// SHA-256 of a file.
    Sha256,
    /// SHA-1 of a file.
    Sha1,
    /// MD5 of a file.
    Md5,
    /// A process (executable) name, matched case-insensitively.
    ProcessName,
    /// A full executable path, matched case-insensitively.
    ProcessPath,
}

impl IndicatorKind {
    /// All kinds.
    pub const ALL: [IndicatorKind; 8] = [
        IndicatorKind::Ip,
        IndicatorKind::Domain,
        IndicatorKind::DomainSuffix,
        IndicatorKind::Sha256,
        IndicatorKind::Sha1,
        IndicatorKind::Md5,
        IndicatorKind::ProcessName,
        IndicatorKind::ProcessPath,
    ];

    /// The kind's name as used in CSV mappings and on the command line (`ip`, `domain`,
    /// `domain_suffix`, `sha256`, `sha1`, `md5`, `process_name`, `process_path`).
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "ip",
            IndicatorKind::Domain => "domain",
            IndicatorKind::DomainSuffix => "domain_suffix",
            IndicatorKind::Sha256 => "sha256",
            IndicatorKind::Sha1 => "sha1",
            IndicatorKind::Md5 => "md5",
            IndicatorKind::ProcessName => "process_name",
            IndicatorKind::ProcessPath => "process_path",
        }
    }

    /// Parses a kind name (see [`IndicatorKind::as_str`]; `-` and `_` are interchangeable,
    /// case-insensitive; also accepts `ipv4`, `ipv6`, `cidr`, `sha-256`, `sha-1`, `hash`-less forms).
    pub fn parse(s: &str) -> Option<IndicatorKind> {
        let k = s.trim().to_ascii_lowercase().replace('-', "_");
        Some(match k.as_str() {
            "ip" | "ipv4" | "ipv6" | "cidr" | "ip_address" | "ipaddr" => IndicatorKind::Ip,
            "domain" | "domain_name" | "hostname" | "fqdn" => IndicatorKind::Domain,
            "domain_suffix" | "suffix" => IndicatorKind::DomainSuffix,
            "sha256" | "sha_256" => IndicatorKind::Sha256,
            "sha1" | "sha_1" => IndicatorKind::Sha1,
            "md5" => IndicatorKind::Md5,
            "process_name" | "process" | "image_name" => IndicatorKind::ProcessName,
            "process_path" | "path" | "exe_path" | "image_path" => IndicatorKind::ProcessPath,
            _ => return None,
        })
    }
}

impl fmt::Display for IndicatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileHash {
    /// SHA-256.
    Sha256([u8; 32]),
    /// SHA-1.
    Sha1([u8; 20]),
    /// MD5.
    Md5([u8; 16]),
}

impl FileHash {
    /// Parses a hex digest; the algorithm is chosen by length (64, 40 or 32 hex digits).
    pub fn parse_hex(s: &str) -> Result<FileHash, String> {
        let s = s.trim();
        let bad = || format!("{:?} is not a SHA-256, SHA-1 or MD5 hex digest", short(s));
        let bytes = hex::decode(s).map_err(|_| bad())?;
        match bytes.len() {
            32 => bytes.try_into().map(FileHash::Sha256).map_err(|_| bad()),
            20 => bytes.try_into().map(FileHash::Sha1).map_err(|_| bad()),
            16 => bytes.try_into().map(FileHash::Md5).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            FileHash::Sha256(b) => b,
            FileHash::Sha1(b) => b,
            FileHash::Md5(b) => b,
        }
    }

    /// The hash's indicator kind.
    pub fn kind(&self) -> IndicatorKind {
        match self {
            FileHash::Sha256(_) => IndicatorKind::Sha256,
            FileHash::Sha1(_) => IndicatorKind::Sha1,
            FileHash::Md5(_) => IndicatorKind::Md5,
        }
    }
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

/// The value of an indicator, normalized for matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndicatorValue {
    /// An address (host network) or CIDR.
    Net(IpNet),
    /// A domain, lower-case, without a trailing dot; `suffix` also matches subdomains.
    Domain {
        /// The domain name.
        name: String,
        /// Whether subdomains match too.
        suffix: bool,
    },
    /// A file hash.
    Hash(FileHash),
    /// A process name, lower-case.
    ProcessName(String),
    /// An executable path, lower-case.
    ProcessPath(String),
}

fn short(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Normalizes and checks a domain name: lower-case, no trailing dot, labels of letters,
/// digits, `-` and `_`, at most 253 characters.
pub fn normalize_domain(s: &str) -> Result<String, String> {
    let d = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(d)
    } else {
        Err(format!("{:?} is not a domain name", short(s)))
    }
}

impl IndicatorValue {
    /// Parses a value of the given kind. Domain suffixes may be written `*.example.com` or
    /// `.example.com`.
    pub fn parse(kind: IndicatorKind, s: &str) -> Result<IndicatorValue, String> {
        let s = s.trim();
        match kind {
            IndicatorKind::Ip => parse_net(s).map(IndicatorValue::Net),
            IndicatorKind::Domain => Ok(IndicatorValue::Domain {
                name: normalize_domain(s)?,
                suffix: false,
            }),
            IndicatorKind::DomainSuffix => {
                let bare = s
                    .strip_prefix("*.")
                    .or_else(|| s.strip_prefix('.'))
                    .unwrap_or(s);
                Ok(IndicatorValue::Domain {
                    name: normalize_domain(bare)?,
                    suffix: true,
                })
            }
            IndicatorKind::Sha256 | IndicatorKind::Sha1 | IndicatorKind::Md5 => {
                let h = FileHash::parse_hex(s)?;
                if h.kind() != kind {
                    return Err(format!("{:?} is not a {kind} digest", short(s)));
                }
                Ok(IndicatorValue::Hash(h))
            }
            IndicatorKind::ProcessName | IndicatorKind::ProcessPath => {
                if s.is_empty() || s.len() > 4096 || s.chars().any(char::is_control) {
                    return Err(format!("{:?} is not a process name or path", short(s)));
                }
                let v = s.to_lowercase();
                Ok(if kind == IndicatorKind::ProcessName {
                    IndicatorValue::ProcessName(v)
                } else {
                    IndicatorValue::ProcessPath(v)
                })
            }
        }
    }

    /// Guesses the kind of a bare value: an address or CIDR, a hex digest (by length), a
    /// `*.`-prefixed domain suffix, a domain, a path (contains `/` or `\`), else a process name.
    pub fn guess(s: &str) -> Result<IndicatorValue, String> {
        let s = s.trim();
        if let Ok(n) = parse_net(s) {
            return Ok(IndicatorValue::Net(n));
        }
        if let Ok(h) = FileHash::parse_hex(s) {
            return Ok(IndicatorValue::Hash(h));
        }
        if s.starts_with("*.") {
            return IndicatorValue::parse(IndicatorKind::DomainSuffix, s);
        }
        if s.contains('/') || s.contains('\\') {
            return IndicatorValue::parse(IndicatorKind::ProcessPath, s);
        }
        let lower = s.to_ascii_lowercase();
        let exe_like = [".exe", ".dll", ".bin", ".sh", ".ps1", ".bat", ".scr"]
            .iter()
            .any(|e| lower.ends_with(e));
        if s.contains('.') && !exe_like && normalize_domain(s).is_ok() {
            return IndicatorValue::parse(IndicatorKind::Domain, s);
        }
        IndicatorValue::parse(IndicatorKind::ProcessName, s)
    }

    /// The value's kind.
    pub fn kind(&self) -> IndicatorKind {
        match self {
            IndicatorValue::Net(_) => IndicatorKind::Ip,
            IndicatorValue::Domain { suffix: false, .. } => IndicatorKind::Domain,
            IndicatorValue::Domain { suffix: true, .. } => IndicatorKind::DomainSuffix,
            IndicatorValue::Hash(h) => h.kind(),
            IndicatorValue::ProcessName(_) => IndicatorKind::ProcessName,
            IndicatorValue::ProcessPath(_) => IndicatorKind::ProcessPath,
        }
    }
}

impl fmt::Display for IndicatorValue {
    /// Addresses print without `/32` (`/128`), suffixes with a leading `*.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndicatorValue::Net(n) if n.prefix_len() == n.max_prefix_len() => {
                write!(f, "{}", n.addr())
            }
            IndicatorValue::Net(n) => write!(f, "{n}"),
            IndicatorValue::Domain { name, suffix: true } => write!(f, "*.{name}"),
            IndicatorValue::Domain { name, .. } => f.write_str(name),
            IndicatorValue::Hash(h) => write!(f, "{h}"),
            IndicatorValue::ProcessName(s) | IndicatorValue::ProcessPath(s) => f.write_str(s),
        }
    }
}

/// One indicator with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// What to match.
    pub value: IndicatorValue,
    /// The feed or list it came from.
    pub source: String,
    /// Further feeds that listed the same value (after merging).
    pub also_in: Vec<String>,
    /// Feed-specific score (IPsum: number of blocklists).
    pub score: Option<u32>,
    /// Confidence 0–100 (STIX `confidence`).
    pub confidence: Option<u8>,
    /// When the feed first saw it.
    pub first_seen: Option<DateTime<Utc>>,
    /// When the feed last saw it.
    pub last_seen: Option<DateTime<Utc>>,
    /// After this instant the indicator is no longer used.
    pub expires: Option<DateTime<Utc>>,
    /// Free-form labels (malware family, category…).
    pub tags: Vec<String>,
}

impl Indicator {
    /// An indicator with only a value and a source.
    pub fn new(value: IndicatorValue, source: impl Into<String>) -> Indicator {
        Indicator {
            value,
            source: source.into(),
            also_in: Vec::new(),
            score: None,
            confidence: None,
            first_seen: None,
            last_seen: None,
            expires: None,
            tags: Vec::new(),
        }
    }

    /// Sets the score.
    pub fn with_score(mut self, score: Option<u32>) -> Indicator {
        self.score = score;
        self
    }

    /// Sets the expiry.
    pub fn with_expiry(mut self, expires: Option<DateTime<Utc>>) -> Indicator {
        self.expires = expires;
        self
    }

    /// Whether the indicator has expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }

    /// The score a bundle carries: the feed score, or else the confidence.
    pub fn effective_score(&self) -> Option<u32> {
        self.score.or(self.confidence.map(u32::from))
    }

    /// The hit-payload form of this indicator: value (a single address without `/32`), kind,
    /// source, score (feed score, else confidence), confidence, tags, first/last seen, expiry.
    pub fn to_intel_match(&self) -> IntelMatch {
        IntelMatch {
            indicator: self.value.to_string(),
            source: Some(self.source.clone()),
            score: self.effective_score(),
            kind: Some(self.value.kind().as_str().to_string()),
            confidence: self.confidence,
            tags: self.tags.clone(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            expires: self.expires,
        }
    }

    /// Folds another indicator for the same value into this one: highest score and confidence,
    /// earliest first-seen, latest last-seen and expiry (no expiry wins), union of tags and sources.
    fn merge(&mut self, other: Indicator) {
        self.score = self.score.max(other.score);
        self.confidence = self.confidence.max(other.confidence);
        self.first_seen = match (self.first_seen, other.first_seen) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_seen = self.last_seen.max(other.last_seen);
        self.expires = match (self.expires, other.expires) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        for t in other.tags {
            if !self.tags.contains(&t) {
                self.tags.push(t);
            }
        }
        for s in std::iter::once(other.source).chain(other.also_in) {
            if s != self.source && !self.also_in.contains(&s) {
                self.also_in.push(s);
            }
        }
    }
}

/// An indicator whose STIX pattern is more than a list of simple comparisons; it is kept for the
/// pattern engine (`outpost-stix`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternIndicator {
    /// STIX id (`indicator--…`).
    pub id: String,
    /// STIX name, if any.
    pub name: Option<String>,
    /// The STIX pattern text.
    pub pattern: String,
    /// The feed it came from.
    pub source: String,
    /// Confidence 0–100.
    pub confidence: Option<u8>,
    /// `valid_from`.
    pub valid_from: Option<DateTime<Utc>>,
    /// `valid_until`.
    pub valid_until: Option<DateTime<Utc>>,
    /// STIX labels.
    pub labels: Vec<String>,
}

/// The JSON form of an indicator (one line of an intel file, see [`IntelSet::to_json_lines`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorRecord {
    /// Kind name.
    pub kind: IndicatorKind,
    /// Value as text.
    pub value: String,
    /// Source feed.
    pub source: String,
    /// Further sources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
    /// Score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    /// Confidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// First seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    /// Last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl From<&Indicator> for IndicatorRecord {
    fn from(i: &Indicator) -> Self {
        IndicatorRecord {
            kind: i.value.kind(),
            value: i.value.to_string(),
            source: i.source.clone(),
            also_in: i.also_in.clone(),
            score: i.score,
            confidence: i.confidence,
            first_seen: i.first_seen,
            last_seen: i.last_seen,
            expires: i.expires,
            tags: i.tags.clone(),
        }
    }
}

impl TryFrom<IndicatorRecord> for Indicator {
    type Error = String;
    fn try_from(r: IndicatorRecord) -> Result<Self, String> {
        Ok(Indicator {
            value: IndicatorValue::parse(r.kind, &r.value)?,
            source: r.source,
            also_in: r.also_in,
            score: r.score,
            confidence: r.confidence,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            expires: r.expires,
            tags: r.tags,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum IntelLine {
    Pattern(PatternIndicator),
    Indicator(IndicatorRecord),
}

#[derive(Debug)]
struct IpIndex {
    hotlist: Hotlist,
    by_net: HashMap<IpNet, usize>,
}

/// A set of indicators of all kinds with lookups for each, plus pattern indicators.
///
/// Inserting an indicator whose value is already present merges the two (see
/// [`IntelSet::insert`]). IP lookups use a [`Hotlist`] built on first use after a change.
#[derive(Debug, Default)]
pub struct IntelSet {
    indicators: Vec<Indicator>,
    by_value: HashMap<IndicatorValue, usize>,
    /// Exact domains and suffixes: name → (exact index, suffix index).
    domains: HashMap<String, (Option<usize>, Option<usize>)>,
    patterns: Vec<PatternIndicator>,
    ip_index: OnceLock<IpIndex>,
}

impl Clone for IntelSet {
    fn clone(&self) -> Self {
        IntelSet {
            indicators: self.indicators.clone(),
            by_value: self.by_value.clone(),
            domains: self.domains.clone(),
            patterns: self.patterns.clone(),
            ip_index: OnceLock::new(),
        }
    }
}

impl IntelSet {
    /// An empty set.
    pub fn new() -> IntelSet {
        IntelSet::default()
    }

    /// Adds an indicator, merging it into an existing one with the same value.
    pub fn insert(&mut self, ind: Indicator) {
        if let Some(&i) = self.by_value.get(&ind.value) {
            self.indicators[i].merge(ind);
            return;
        }
        let i = self.indicators.len();
        self.by_value.insert(ind.value.clone(), i);
        if let IndicatorValue::Domain { name, suffix } = &ind.value {
            let slot = self.domains.entry(name.clone()).or_default();
            if *suffix {
                slot.1 = Some(i);
            } else {
                slot.0 = Some(i);
            }
        }
        if matches!(ind.value, IndicatorValue::Net(_)) {
            self.ip_index = OnceLock::new();
        }
        self.indicators.push(ind);
    }

    /// Adds every indicator and pattern indicator of another set.
    pub fn extend(&mut self, other: IntelSet) {
        for ind in other.indicators {
            self.insert(ind);
        }
        self.patterns.extend(other.patterns);
    }

    /// Adds a pattern indicator.
    pub fn insert_pattern(&mut self, p: PatternIndicator) {
        self.patterns.push(p);
    }

    /// All indicators, in insertion order.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Indicators that need the pattern engine.
    pub fn pattern_indicators(&self) -> &[PatternIndicator] {
        &self.patterns
    }

    /// Number of indicators (pattern indicators not included).
    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    /// Whether the set holds no indicators and no pattern indicators.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty() && self.patterns.is_empty()
    }

    /// Number of indicators per kind.
    pub fn counts(&self) -> Vec<(IndicatorKind, usize)> {
        IndicatorKind::ALL
            .iter()
            .map(|&k| {
                (
                    k,
                    self.indicators
                        .iter()
                        .filter(|i| i.value.kind() == k)
                        .count(),
                )
            })
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Keeps only the indicators for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Indicator) -> bool) {
        let old = std::mem::take(&mut self.indicators);
        let patterns = std::mem::take(&mut self.patterns);
        *self = IntelSet::new();
        self.patterns = patterns;
        for ind in old {
            if keep(&ind) {
                self.insert(ind);
            }
        }
    }

    /// Drops expired indicators and pattern indicators past `valid_until`.
    pub fn prune_expired(&mut self, now: DateTime<Utc>) {
        self.retain(|i| !i.is_expired(now));
        self.patterns
            .retain(|p| p.valid_until.is_none_or(|u| u > now));
    }

    fn ip_index(&self) -> &IpIndex {
        self.ip_index.get_or_init(|| {
            let mut by_net = HashMap::new();
            let mut nets = Vec::new();
            for (i, ind) in self.indicators.iter().enumerate() {
                if let IndicatorValue::Net(n) = ind.value {
                    by_net.insert(n, i);
                    nets.push((n, ind.effective_score()));
                }
            }
            // Building from distinct nets with at most 2^24 distinct scores cannot fail unless
            // the scores are that diverse; fall back to an empty list rather than panic.
            let hotlist = Hotlist::from_entries(nets, "intel-set", "intel-set")
                .unwrap_or_else(|_| Hotlist::empty("intel-set"));
            IpIndex { hotlist, by_net }
        })
    }

    /// A hotlist of all IP indicators (score: feed score or confidence).
    pub fn hotlist(&self, version: &str, source: &str) -> Result<Hotlist, IntelError> {
        Hotlist::from_entries(
            self.indicators.iter().filter_map(|i| match i.value {
                IndicatorValue::Net(n) => Some((n, i.effective_score())),
                _ => None,
            }),
            version,
            source,
        )
    }

    /// The most specific IP indicator containing `ip`.
    pub fn lookup_ip(&self, ip: IpAddr) -> Option<&Indicator> {
        let idx = self.ip_index();
        let HotlistEntry { net, .. } = idx.hotlist.lookup(ip)?;
        idx.by_net.get(&net).map(|&i| &self.indicators[i])
    }

    /// The indicator matching a domain: an exact entry, else the longest matching suffix entry.
    pub fn lookup_domain(&self, domain: &str) -> Option<&Indicator> {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Some(&(Some(i), _)) = self.domains.get(&d) {
            return Some(&self.indicators[i]);
        }
        let mut rest = d.as_str();
        loop {
            if let Some(&(_, Some(i))) = self.domains.get(rest) {
                return Some(&self.indicators[i]);
            }
            match rest.find('.') {
                Some(p) => rest = &rest[p + 1..],
                None => return None,
            }
        }
    }

    /// The indicator for a file hash given as hex (SHA-256, SHA-1 or MD5 by length).
    pub fn lookup_hash(&self, hex_digest: &str) -> Option<&Indicator> {
        let h = FileHash::parse_hex(hex_digest).ok()?;
        self.get(&IndicatorValue::Hash(h))
    }

    /// The indicator for a process: its path, else its name (case-insensitive). The name is
    /// taken from the path when `name` is empty.
    pub fn lookup_process(&self, name: &str, path: Option<&str>) -> Option<&Indicator> {
        self.lookup_process_where(name, path, |_| true)
    }

    /// [`IntelSet::lookup_process`] among the indicators `usable` accepts: a refused path
    /// entry gives way to a name entry.
    fn lookup_process_where(
        &self,
        name: &str,
        path: Option<&str>,
        usable: impl Fn(&Indicator) -> bool,
    ) -> Option<&Indicator> {
        if let Some(p) = path
            && !p.is_empty()
            && let Some(i) = self.get(&IndicatorValue::ProcessPath(p.to_lowercase()))
            && usable(i)
        {
            return Some(i);
        }
        let name = if name.is_empty() {
            path.and_then(|p| p.rsplit(['/', '\\']).next())
                .unwrap_or("")
        } else {
            name
        };
        if name.is_empty() {
            return None;
        }
        self.get(&IndicatorValue::ProcessName(name.to_lowercase()))
            .filter(|i| usable(i))
    }

    /// [`IntelSet::lookup_ip`] at `now`: `None` when the matching indicator has expired.
    pub fn lookup_ip_at(&self, ip: IpAddr, now: DateTime<Utc>) -> Option<&Indicator> {
        self.lookup_ip(ip).filter(|i| !i.is_expired(now))
    }

    /// [`IntelSet::lookup_domain`] at `now`: expired indicators do not match (an exact entry
    /// that expired gives way to a live suffix entry).
    pub fn lookup_domain_at(&self, domain: &str, now: DateTime<Utc>) -> Option<&Indicator> {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Some(&(Some(i), _)) = self.domains.get(&d)
            && !self.indicators[i].is_expired(now)
        {
            return Some(&self.indicators[i]);
        }
        let mut rest = d.as_str();
        loop {
            if let Some(&(_, Some(i))) = self.domains.get(rest)
                && !self.indicators[i].is_expired(now)
            {
                return Some(&self.indicators[i]);
            }
            match rest.find('.') {
                Some(p) => rest = &rest[p + 1..],
                None => return None,
            }
        }
    }

    /// [`IntelSet::lookup_hash`] at `now`: `None` when the indicator has expired.
    pub fn lookup_hash_at(&self, hex_digest: &str, now: DateTime<Utc>) -> Option<&Indicator> {
        self.lookup_hash(hex_digest).filter(|i| !i.is_expired(now))
    }

    /// [`IntelSet::lookup_process`] at `now`: an expired path entry gives way to a live name
    /// entry; `None` when nothing live matches.
    pub fn lookup_process_at(
        &self,
        name: &str,
        path: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<&Indicator> {
        self.lookup_process_where(name, path, |i| !i.is_expired(now))
    }

    /// The indicator with exactly this value.
    pub fn get(&self, value: &IndicatorValue) -> Option<&Indicator> {
        self.by_value.get(value).map(|&i| &self.indicators[i])
    }

    /// The set as JSON Lines: one [`IndicatorRecord`] or [`PatternIndicator`] a line.
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for i in &self.indicators {
            if let Ok(l) = serde_json::to_string(&IntelLine::Indicator(i.into())) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        for p in &self.patterns {
            if let Ok(l) = serde_json::to_string(&IntelLine::Pattern(p.clone())) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        out
    }

    /// Reads [`IntelSet::to_json_lines`] output; blank lines are skipped, a bad line is an error.
    pub fn from_json_lines(text: &str, source: &str) -> Result<IntelSet, IntelError> {
        let mut set = IntelSet::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let err = |reason: String| IntelError::Parse {
                source_name: source.to_string(),
                line: n + 1,
                reason,
            };
            match serde_json::from_str::<IntelLine>(line).map_err(|e| err(e.to_string()))? {
                IntelLine::Indicator(r) => set.insert(Indicator::try_from(r).map_err(err)?),
                IntelLine::Pattern(p) => set.insert_pattern(p),
            }
        }
        Ok(set)
    }

    /// Subtracts allowlisted networks from the IP indicators: indicators inside an allowlisted
    /// network are dropped, and CIDRs that partly overlap one are split into the CIDRs that
    /// remain. Returns how many indicators were removed or split.
    pub fn subtract_allowlist(&mut self, allow: &[IpNet]) -> usize {
        if allow.is_empty() {
            return 0;
        }
        let old = std::mem::take(&mut self.indicators);
        let patterns = std::mem::take(&mut self.patterns);
        *self = IntelSet::new();
        self.patterns = patterns;
        let index = AllowIndex::new(allow);
        let mut changed = 0;
        for ind in old {
            let IndicatorValue::Net(n) = ind.value else {
                self.insert(ind);
                continue;
            };
            // Fast paths: most indicators touch no allowlisted range at all.
            let rest = match index.overlap(n) {
                Overlap::None => vec![n],
                Overlap::Covered => Vec::new(),
                Overlap::Partial => subtract_net(n, allow),
            };
            if rest.len() != 1 || rest[0] != n {
                changed += 1;
            }
            for r in rest {
                let mut piece = ind.clone();
                piece.value = IndicatorValue::Net(r);
                self.insert(piece);
            }
        }
        changed
    }
}

/// Sorted, merged address ranges of an allowlist (both families as `u128`, IPv4 tagged by a
/// separate vector) for quick overlap tests.
struct AllowIndex {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

enum Overlap {
    None,
    Covered,
    Partial,
}

fn net_range(n: IpNet) -> (bool, u128, u128) {
    let e = crate::ranges::Entry::from_net(n, None);
    (matches!(n, IpNet::V6(_)), e.start, e.end)
}

impl AllowIndex {
    fn new(allow: &[IpNet]) -> AllowIndex {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for &a in allow {
            let (is6, s, e) = net_range(a);
            if is6 {
                v6.push((s, e))
            } else {
                v4.push((s, e))
            }
        }
        let merge = |mut v: Vec<(u128, u128)>| {
            v.sort_unstable();
            let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
            for (s, e) in v {
                match out.last_mut() {
                    Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                    _ => out.push((s, e)),
                }
            }
            out
        };
        AllowIndex {
            v4: merge(v4),
            v6: merge(v6),
        }
    }

    fn overlap(&self, n: IpNet) -> Overlap {
        let (is6, s, e) = net_range(n);
        let ranges = if is6 { &self.v6 } else { &self.v4 };
        // The last merged range starting at or before `e` is the only candidate that can
        // cover `[s, e]`; any range overlapping it starts at or before `e`.
        let k = ranges.partition_point(|r| r.0 <= e);
        let Some(&(rs, re)) = k.checked_sub(1).and_then(|i| ranges.get(i)) else {
            return Overlap::None;
        };
        if re < s {
            Overlap::None
        } else if rs <= s && re >= e {
            Overlap::Covered
        } else {
            Overlap::Partial
        }
    }
}

/// `net` minus every network in `allow`, as a list of CIDRs.
pub fn subtract_net(net: IpNet, allow: &[IpNet]) -> Vec<IpNet> {
    let mut out = Vec::new();
    let mut work = vec![net];
    while let Some(n) = work.pop() {
        if allow
            .iter()
            .any(|a| a.contains(&n.network()) && a.prefix_len() <= n.prefix_len())
        {
            continue;
        }
        let overlaps = allow
            .iter()
            .any(|a| n.contains(&a.network()) && a.prefix_len() > n.prefix_len());
        if !overlaps {
            out.push(n);
            continue;
        }
        if let Ok(mut halves) = n.subnets(n.prefix_len() + 1) {
            let (Some(a), Some(b)) = (halves.next(), halves.next()) else {
                continue;
            };
            work.push(b);
            work.push(a);
        }
    }
    out
}

/// Networks never worth alerting on: unspecified, private (RFC 1918), CGNAT, loopback,
/// link-local, multicast, reserved and broadcast; IPv6 unspecified, loopback, unique-local,
/// link-local and multicast.
pub fn private_ranges() -> Vec<IpNet> {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn ind(kind: IndicatorKind, v: &str, src: &str) -> Indicator {
        Indicator::new(IndicatorValue::parse(kind, v).unwrap(), src)
    }

    #[test]
    fn lookups_for_every_kind() {
        let mut s = IntelSet::new();
        s.insert(ind(IndicatorKind::Ip, "198.51.100.0/24", "a").with_score(Some(3)));
        s.insert(ind(IndicatorKind::Ip, "198.51.100.7", "b"));
        s.insert(ind(IndicatorKind::Ip, "2001:db8::/48", "a"));
        s.insert(ind(IndicatorKind::Domain, "Evil.Example.", "a"));
        s.insert(ind(IndicatorKind::DomainSuffix, "*.bad.test", "a"));
        let sha = "a".repeat(64);
        s.insert(ind(IndicatorKind::Sha256, &sha, "a"));
        s.insert(ind(IndicatorKind::Md5, &"b".repeat(32), "a"));
        s.insert(ind(IndicatorKind::ProcessName, "Mimikatz.exe", "a"));
        s.insert(ind(IndicatorKind::ProcessPath, "C:\\Temp\\x.exe", "a"));
        let ip = |x: &str| x.parse::<IpAddr>().unwrap();
        assert_eq!(s.lookup_ip(ip("198.51.100.7")).unwrap().source, "b");
        assert_eq!(s.lookup_ip(ip("198.51.100.8")).unwrap().score, Some(3));
        assert!(s.lookup_ip(ip("198.51.101.1")).is_none());
        assert!(s.lookup_ip(ip("2001:db8::5")).is_some());
        assert!(s.lookup_domain("evil.example").is_some());
        assert!(s.lookup_domain("www.evil.example").is_none());
        assert!(s.lookup_domain("bad.test").is_some());
        assert!(s.lookup_domain("x.y.BAD.test.").is_some());
        assert!(s.lookup_domain("notbad.test").is_none());
        assert!(s.lookup_hash(&sha.to_uppercase()).is_some());
        assert!(s.lookup_hash(&"b".repeat(32)).is_some());
        assert!(s.lookup_hash(&"b".repeat(40)).is_none());
        assert!(s.lookup_process("MIMIKATZ.EXE", None).is_some());
        assert!(s.lookup_process("", Some("/tmp/mimikatz.exe")).is_some());
        assert!(s.lookup_process("x.exe", Some("c:\\temp\\X.exe")).is_some());
        assert!(s.lookup_process("y.exe", Some("c:\\temp\\y.exe")).is_none());
        assert_eq!(s.len(), 9);
        let m = s.lookup_ip(ip("198.51.100.9")).unwrap().to_intel_match();
        assert_eq!(m.indicator, "198.51.100.0/24");
        assert_eq!(m.score, Some(3));
        assert_eq!(
            s.lookup_ip(ip("198.51.100.7"))
                .unwrap()
                .to_intel_match()
                .indicator,
            "198.51.100.7"
        );
    }

    #[test]
    fn merging_keeps_best_of_both() {
        let mut s = IntelSet::new();
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let t1: DateTime<Utc> = "2026-02-01T00:00:00Z".parse().unwrap();
        let mut a = ind(IndicatorKind::Ip, "1.2.3.4", "a").with_score(Some(2));
        a.first_seen = Some(t1);
        a.tags = vec!["x".into()];
        let mut b = ind(IndicatorKind::Ip, "1.2.3.4", "b").with_score(Some(5));
        b.first_seen = Some(t0);
        b.tags = vec!["y".into(), "x".into()];
        b.expires = Some(t1);
        s.insert(a);
        s.insert(b);
        assert_eq!(s.len(), 1);
        let i = &s.indicators()[0];
        assert_eq!(i.score, Some(5));
        assert_eq!(i.first_seen, Some(t0));
        assert_eq!(i.tags, vec!["x".to_string(), "y".to_string()]);
        assert_eq!(i.also_in, vec!["b".to_string()]);
        assert_eq!(i.expires, None, "one source without expiry keeps it alive");
    }

    #[test]
    fn expiry_is_pruned() {
        let now: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        let mut s = IntelSet::new();
        s.insert(ind(IndicatorKind::Ip, "1.2.3.4", "a").with_expiry(Some(now)));
        s.insert(
            ind(IndicatorKind::Ip, "1.2.3.5", "a")
                .with_expiry(Some(now + chrono::Duration::days(1))),
        );
        s.prune_expired(now);
        assert_eq!(s.len(), 1);
        assert!(s.lookup_ip("1.2.3.4".parse().unwrap()).is_none());
        assert!(s.lookup_ip("1.2.3.5".parse().unwrap()).is_some());
    }

    #[test]
    fn allowlist_subtraction_splits_cidrs() {
        let mut s = IntelSet::new();
        s.insert(ind(IndicatorKind::Ip, "10.1.2.3", "a"));
        s.insert(ind(IndicatorKind::Ip, "8.0.0.0/7", "a"));
        s.insert(ind(IndicatorKind::Ip, "203.0.113.9", "a"));
        s.insert(ind(IndicatorKind::Domain, "x.test", "a"));
        let mut allow = private_ranges();
        allow.push("8.8.8.0/24".parse().unwrap());
        let changed = s.subtract_allowlist(&allow);
        assert_eq!(changed, 2);
        let ip = |x: &str| x.parse::<IpAddr>().unwrap();
        assert!(s.lookup_ip(ip("10.1.2.3")).is_none());
        assert!(s.lookup_ip(ip("8.8.8.8")).is_none());
        assert!(s.lookup_ip(ip("8.8.9.1")).is_some());
        assert!(s.lookup_ip(ip("9.255.255.255")).is_some());
        assert!(s.lookup_ip(ip("8.8.7.255")).is_some());
        assert!(s.lookup_ip(ip("203.0.113.9")).is_some());
        assert!(s.lookup_domain("x.test").is_some());
        // 8.0.0.0/7 minus 8.8.8.0/24 = 17 CIDRs.
        assert_eq!(s.counts()[0], (IndicatorKind::Ip, 1 + 17));
    }

    #[test]
    fn json_lines_round_trip() {
        let mut s = IntelSet::new();
        let mut i = ind(IndicatorKind::Ip, "1.2.3.0/24", "a").with_score(Some(4));
        i.tags = vec!["x".into()];
        i.expires = Some("2027-01-01T00:00:00Z".parse().unwrap());
        s.insert(i);
        s.insert(ind(IndicatorKind::DomainSuffix, "*.bad.test", "b"));
        s.insert(ind(IndicatorKind::ProcessPath, "/tmp/x", "b"));
        s.insert_pattern(PatternIndicator {
            id: "indicator--1".into(),
            name: None,
            pattern: "[a:b = 1]".into(),
            source: "s".into(),
            confidence: Some(3),
            valid_from: None,
            valid_until: None,
            labels: vec![],
        });
        let text = s.to_json_lines();
        let back = IntelSet::from_json_lines(&text, "f").unwrap();
        assert_eq!(back.indicators(), s.indicators());
        assert_eq!(back.pattern_indicators(), s.pattern_indicators());
        assert!(
            IntelSet::from_json_lines("{\"kind\":\"ip\",\"value\":\"x\",\"source\":\"a\"}", "f")
                .is_err()
        );
    }

    fn arb_net() -> impl Strategy<Value = IpNet> {
        (0u32..256, 20u8..=32).prop_map(|(x, plen)| {
            IpNet::V4(
                ipnet::Ipv4Net::new((0x0a00_0000u32 | (x << 4)).into(), plen)
                    .unwrap()
                    .trunc(),
            )
        })
    }

    proptest::proptest! {
        /// Subtraction keeps exactly the addresses of the net outside every allowlisted net,
        /// with or without the fast paths.
        #[test]
        fn subtraction_is_exact(
            net in arb_net(),
            allow in proptest::collection::vec(arb_net(), 0..6),
            probes in proptest::collection::vec(0u32..0x1000, 1..40),
        ) {
            let mut s = IntelSet::new();
            s.insert(Indicator::new(IndicatorValue::Net(net), "a"));
            s.subtract_allowlist(&allow);
            let pieces = subtract_net(net, &allow);
            for p in probes {
                let a = IpAddr::V4((0x0a00_0000u32 | p).into());
                let want = net.contains(&a) && !allow.iter().any(|x| x.contains(&a));
                proptest::prop_assert_eq!(s.lookup_ip(a).is_some(), want, "{}", a);
                proptest::prop_assert_eq!(pieces.iter().any(|x| x.contains(&a)), want, "{}", a);
            }
        }
    }

    #[test]
    fn guessing_kinds() {
        let g = |s: &str| IndicatorValue::guess(s).unwrap().kind();
        assert_eq!(g("1.2.3.4"), IndicatorKind::Ip);
        assert_eq!(g("2001:db8::/32"), IndicatorKind::Ip);
        assert_eq!(g(&"0".repeat(40)), IndicatorKind::Sha1);
        assert_eq!(g("*.evil.test"), IndicatorKind::DomainSuffix);
        assert_eq!(g("evil.test"), IndicatorKind::Domain);
        assert_eq!(g("bad.exe"), IndicatorKind::ProcessName);
        assert_eq!(g("/usr/bin/nc"), IndicatorKind::ProcessPath);
        assert!(IndicatorValue::parse(IndicatorKind::Sha256, &"0".repeat(40)).is_err());
        assert!(IndicatorValue::parse(IndicatorKind::Domain, "a..b").is_err());
    }
}
