//! The IP hotlist: a read-only set of IPv4/IPv6 addresses and CIDRs with optional scores.

use crate::error::IntelError;
use crate::indicator::{Indicator, IndicatorValue};
use crate::ranges::{Entry, Label, RangeTable};
use chrono::{DateTime, TimeZone, Utc};
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// How many malformed lines a [`ParseReport`] quotes (all are counted).
pub const MAX_REPORTED_MALFORMED: usize = 10;

/// What a lookup found: the most specific listed network containing the address and its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HotlistEntry {
    /// The listed network (`1.2.3.4/32` for a single address).
    pub net: IpNet,
    /// Feed-specific score (IPsum: number of blocklists listing the address), if the feed has one.
    pub score: Option<u32>,
}

impl HotlistEntry {
    /// The hit-payload form of the match: the entry as written (`1.2.3.4` for a single address,
    /// else the CIDR), the list's source and the score.
    pub fn to_intel_match(&self, source: &str) -> outpost_core::IntelMatch {
        let indicator = if self.net.prefix_len() == self.net.max_prefix_len() {
            self.net.addr().to_string()
        } else {
            self.net.to_string()
        };
        outpost_core::IntelMatch {
            indicator,
            source: Some(source.to_string()),
            score: self.score,
            kind: Some("ip".into()),
            ..Default::default()
        }
    }
}

/// Options for [`Hotlist::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Drop scored entries (IPsum counts) below this score. Entries without a score are kept.
    pub min_score: Option<u32>,
    /// Fail on the first malformed line instead of skipping and reporting it.
    pub strict: bool,
}

/// Which line format a list turned out to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// No entries.
    Empty,
    /// One address or CIDR a line.
    Plain,
    /// IPsum: address, whitespace, count.
    Ipsum,
    /// Some lines with a count, some without.
    Mixed,
}

/// A line that was skipped because it could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedLine {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// What [`Hotlist::parse`] did with each line: nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseReport {
    /// Name of the list.
    pub source: String,
    /// Detected line format.
    pub format: ListFormat,
    /// Lines read (including comments and blank lines).
    pub lines: usize,
    /// Lines that held an entry and were accepted.
    pub accepted: usize,
    /// Accepted IPv4 entries.
    pub ipv4: usize,
    /// Accepted IPv6 entries.
    pub ipv6: usize,
    /// Accepted lines naming a network already listed (the higher score is kept).
    pub duplicates: usize,
    /// Distinct networks in the resulting hotlist.
    pub entries: usize,
    /// Well-formed entries dropped because their score is below `min_score`.
    pub below_min_score: usize,
    /// Lines skipped as malformed.
    pub malformed: usize,
    /// The first [`MAX_REPORTED_MALFORMED`] malformed lines.
    pub first_malformed: Vec<MalformedLine>,
}

/// A compact, immutable IP hotlist. Lookups are allocation-free binary searches over sorted
/// disjoint ranges and return the most specific listed network. `Send + Sync`; share it with
/// an `Arc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hotlist {
    table: RangeTable,
    version: String,
    source: String,
}

/// Parses one list line: `Ok(None)` for blank and comment lines, `Ok(Some((net, score)))` for an
/// address or CIDR optionally followed by whitespace and a count. `#` starts a comment anywhere.
pub fn parse_list_line(line: &str) -> Result<Option<(IpNet, Option<u32>)>, String> {
    let line = match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    };
    let mut tokens = line.split_whitespace();
    let Some(first) = tokens.next() else {
        return Ok(None);
    };
    let net = parse_net(first)?;
    let score = match tokens.next() {
        None => None,
        Some(t) => Some(
            t.parse::<u32>()
                .map_err(|_| format!("count {:?} is not a non-negative integer", short(t)))?,
        ),
    };
    if let Some(extra) = tokens.next() {
        return Err(format!(
            "unexpected text {:?} after the entry",
            short(extra)
        ));
    }
    Ok(Some((net, score)))
}

/// Parses an address (as a host network) or a CIDR; host bits of a CIDR are cleared.
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    if s.contains('/') {
        s.parse::<IpNet>()
            .map(|n| n.trunc())
            .map_err(|_| format!("{:?} is not an IP network", short(s)))
    } else {
        s.parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| format!("{:?} is not an IP address", short(s)))
    }
}

/// At most 64 characters of untrusted text for messages.
fn short(s: &str) -> String {
    s.chars().take(64).collect()
}

fn bundle_hotlist(b: crate::bundle::Bundle) -> Result<Hotlist, IntelError> {
    if b.info().filter_mode {
        return Err(IntelError::Bundle(crate::bundle::BundleError::WrongFormat(
            "filter-mode bundle: its host addresses are only in a filter; use Bundle::check_ip"
                .into(),
        )));
    }
    Ok(b.into_hotlist())
}

/// `sha256:` and the first 16 hex digits of the SHA-256 of `bytes`.
pub fn content_version(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("sha256:{}", &hex::encode(digest)[..16])
}

/// The error of a table from `source` that could not be built.
fn table_error(source: &str, e: impl std::fmt::Display) -> IntelError {
    IntelError::Table {
        source_name: source.to_string(),
        reason: e.to_string(),
    }
}

impl Hotlist {
    /// Loads a hotlist file, detecting its format: a signed binary bundle (by its magic), or a
    /// text list (plain or IPsum, per line) parsed with default options (malformed lines
    /// skipped). The source name is the path (a bundle's recorded source for bundles).
    ///
    /// A bundle's structure and payload digest are checked but its signature is not: load
    /// bundles received from the network through [`crate::bundle::verify`] or
    /// [`crate::bundle::BundleCache`] (whose installed file, [`crate::bundle::BundleCache::current_path`],
    /// was verified before it was written), or use [`Hotlist::from_bundle_path`].
    /// Filter-mode bundles are refused here (they need [`crate::bundle::Bundle::check_ip`]).
    pub fn from_path(path: &Path) -> Result<Hotlist, IntelError> {
        Self::from_path_with(path, &ParseOptions::default()).map(|(h, _)| h)
    }

    /// Like [`Hotlist::from_path`] with parse options; the report is `None` for bundles.
    pub fn from_path_with(
        path: &Path,
        opts: &ParseOptions,
    ) -> Result<(Hotlist, Option<ParseReport>), IntelError> {
        let bytes = std::fs::read(path).map_err(|source| IntelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.display().to_string();
        if crate::bundle::looks_like_bundle(&bytes) {
            let b = crate::bundle::decode_unauthenticated(&bytes)?;
            return Ok((bundle_hotlist(b)?, None));
        }
        let text = std::str::from_utf8(&bytes).map_err(|e| IntelError::NotUtf8 {
            source_name: name.clone(),
            line: bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1,
        })?;
        let (h, r) = Hotlist::parse(text, &name, opts)?;
        Ok((h, Some(r)))
    }

    /// Parses a plain list (one address or CIDR a line) or an IPsum feed (address and count a
    /// line); `#` comments and blank lines are ignored. Malformed lines are skipped and reported,
    /// or fail the parse when `opts.strict`.
    pub fn parse(
        text: &str,
        source: &str,
        opts: &ParseOptions,
    ) -> Result<(Hotlist, ParseReport), IntelError> {
        let text_body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut report = ParseReport {
            source: source.to_string(),
            format: ListFormat::Empty,
            lines: 0,
            accepted: 0,
            ipv4: 0,
            ipv6: 0,
            duplicates: 0,
            entries: 0,
            below_min_score: 0,
            malformed: 0,
            first_malformed: Vec::new(),
        };
        let (mut with_score, mut without_score) = (0usize, 0usize);
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, line) in text_body.lines().enumerate() {
            report.lines += 1;
            match parse_list_line(line) {
                Ok(None) => {}
                Ok(Some((net, score))) => {
                    if score.is_some() {
                        with_score += 1;
                    } else {
                        without_score += 1;
                    }
                    if let (Some(min), Some(s)) = (opts.min_score, score)
                        && s < min
                    {
                        report.below_min_score += 1;
                        continue;
                    }
                    report.accepted += 1;
                    match net {
                        IpNet::V4(_) => {
                            report.ipv4 += 1;
                            v4.push(Entry::from_net(net, score));
                        }
                        IpNet::V6(_) => {
                            report.ipv6 += 1;
                            v6.push(Entry::from_net(net, score));
                        }
                    }
                }
                Err(reason) => {
                    if opts.strict {
                        return Err(IntelError::Parse {
                            source_name: source.to_string(),
                            line: i + 1,
                            reason,
                        });
                    }
                    report.malformed += 1;
                    if report.first_malformed.len() < MAX_REPORTED_MALFORMED {
                        report.first_malformed.push(MalformedLine {
                            line: i + 1,
                            reason,
                        });
                    }
                }
            }
        }
        report.format = match (with_score > 0, without_score > 0) {
            (false, false) => ListFormat::Empty,
            (true, false) => ListFormat::Ipsum,
            (false, true) => ListFormat::Plain,
            (true, true) => ListFormat::Mixed,
        };
        let table = RangeTable::build(v4, v6).map_err(|e| table_error(source, e))?;
        report.entries = table.entries();
        report.duplicates = report.accepted - report.entries;
        let hotlist = Hotlist {
            table,
            version: content_version(text.as_bytes()),
            source: source.to_string(),
        };
        Ok((hotlist, report))
    }

    /// Builds a hotlist from networks and scores (duplicates keep the higher score).
    pub fn from_entries(
        entries: impl IntoIterator<Item = (IpNet, Option<u32>)>,
        version: &str,
        source: &str,
    ) -> Result<Hotlist, IntelError> {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for (net, score) in entries {
            match net {
                IpNet::V4(_) => v4.push(Entry::from_net(net, score)),
                IpNet::V6(_) => v6.push(Entry::from_net(net, score)),
            }
        }
        let table = RangeTable::build(v4, v6).map_err(|e| table_error(source, e))?;
        Ok(Hotlist {
            table,
            version: version.to_string(),
            source: source.to_string(),
        })
    }

    /// Loads a bundle file verified against the pinned key at `now` (expired bundles are
    /// refused). Filter-mode bundles are refused (use [`crate::bundle::Bundle::check_ip`]).
    pub fn from_bundle_path(
        path: &Path,
        key: &ed25519_dalek::VerifyingKey,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Hotlist, IntelError> {
        let bytes = std::fs::read(path).map_err(|source| IntelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        bundle_hotlist(crate::bundle::verify(&bytes, key, now)?)
    }

    /// Builds a hotlist from the IP indicators among `indicators` (others are ignored), keeping
    /// each entry's provenance — source (when it differs from `source`), score, confidence,
    /// first/last seen, expiry and tags — in a side table indexed from the range entries, with
    /// sources and tags interned. Lookups cost the same as without provenance;
    /// [`Hotlist::indicator`] describes a match. Duplicates of a network keep the higher score.
    pub fn from_indicators<'a>(
        indicators: impl IntoIterator<Item = &'a Indicator>,
        version: &str,
        source: &str,
    ) -> Result<Hotlist, IntelError> {
        let mut strings: Vec<String> = Vec::new();
        let mut interned: HashMap<String, u32> = HashMap::new();
        let mut intern = |s: &str| -> u32 {
            if let Some(&i) = interned.get(s) {
                return i;
            }
            let i = strings.len() as u32;
            strings.push(s.to_string());
            interned.insert(s.to_string(), i);
            i
        };
        let mut labels: Vec<Label> = Vec::new();
        let mut label_ids: HashMap<Label, u32> = HashMap::new();
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for ind in indicators {
            let IndicatorValue::Net(net) = ind.value else {
                continue;
            };
            let score = ind.effective_score();
            let label = Label {
                score,
                source: (ind.source != source).then(|| intern(&ind.source)),
                confidence: ind.confidence,
                first_seen: ind.first_seen.map(|t| t.timestamp()),
                last_seen: ind.last_seen.map(|t| t.timestamp()),
                expires: ind.expires.map(|t| t.timestamp()),
                tags: ind.tags.iter().map(|t| intern(t)).collect(),
            };
            let id = *label_ids.entry(label.clone()).or_insert_with(|| {
                labels.push(label);
                (labels.len() - 1) as u32
            });
            let e = Entry::labelled(net, score, id);
            match net {
                IpNet::V4(_) => v4.push(e),
                IpNet::V6(_) => v6.push(e),
            }
        }
        let table = RangeTable::build_labelled(v4, v6, &labels, strings)
            .map_err(|e| table_error(source, e))?;
        Ok(Hotlist {
            table,
            version: version.to_string(),
            source: source.to_string(),
        })
    }

    /// The indicator behind the most specific listed network containing `ip`: kind `ip`, the
    /// network, and its source, score, confidence, first/last seen, expiry and tags (as far as
    /// the list recorded them; a plain list gives the list's source and the score). Allocates;
    /// meant for describing a hit after [`Hotlist::contains`] or [`Hotlist::lookup`] found it.
    pub fn indicator(&self, ip: IpAddr) -> Option<Indicator> {
        let (net, meta) = self.table.lookup_meta(ip)?;
        let score = self.table.score(meta);
        let time = |t: Option<i64>| t.and_then(|t| Utc.timestamp_opt(t, 0).single());
        let mut ind =
            Indicator::new(IndicatorValue::Net(net), self.source.clone()).with_score(score);
        if let Some(l) = self.table.label(meta) {
            if let Some(s) = l.source.and_then(|i| self.table.string(i)) {
                ind.source = s.to_string();
            }
            ind.confidence = l.confidence;
            ind.first_seen = time(l.first_seen);
            ind.last_seen = time(l.last_seen);
            ind.expires = time(l.expires);
            ind.tags = l
                .tags
                .iter()
                .filter_map(|&t| self.table.string(t).map(str::to_string))
                .collect();
        }
        Some(ind)
    }

    /// [`Hotlist::indicator`], unless that indicator has expired at `now`: an expired entry
    /// never matches. (A wider listed network it shadows is not consulted: it matches again
    /// once a list is built without the expired entry, as the server does for every bundle.)
    pub fn indicator_at(&self, ip: IpAddr, now: DateTime<Utc>) -> Option<Indicator> {
        self.indicator(ip).filter(|i| !i.is_expired(now))
    }

    /// The earliest expiry of any entry, if entries carry expiries.
    pub fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.table
            .next_expiry()
            .and_then(|t| Utc.timestamp_opt(t, 0).single())
    }

    /// An empty hotlist.
    pub fn empty(source: &str) -> Hotlist {
        Hotlist {
            table: RangeTable::empty(),
            version: content_version(b""),
            source: source.to_string(),
        }
    }

    pub(crate) fn from_table(table: RangeTable, version: String, source: String) -> Hotlist {
        Hotlist {
            table,
            version,
            source,
        }
    }

    pub(crate) fn table(&self) -> &RangeTable {
        &self.table
    }

    /// The most specific listed network containing `ip`, with its score. IPv4-mapped IPv6
    /// addresses (`::ffff:a.b.c.d`) are looked up as IPv4. Does not allocate.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Option<HotlistEntry> {
        self.table
            .lookup(ip)
            .map(|(net, score)| HotlistEntry { net, score })
    }

    /// Whether any listed network contains `ip`.
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.table.contains(ip)
    }

    /// The list version: `sha256:<16 hex>` of a text list's content, or a bundle's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Name of the list (the path or feed name it was loaded from).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of distinct listed networks.
    pub fn len(&self) -> usize {
        self.table.entries()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.table.entries() == 0
    }

    /// Number of disjoint ranges the lookup table holds (≥ distinct networks when CIDRs nest).
    pub fn ranges(&self) -> usize {
        self.table.segments()
    }

    /// Heap memory held by the lookup table, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes() + self.version.capacity() + self.source.capacity()
    }

    /// The compiled form of the list: its lookup table, version and source as flat
    /// little-endian arrays with a checksum, for a local cache that loads much faster than
    /// re-parsing a text feed (see [`Hotlist::from_compiled`]). Not a distribution format: it is
    /// neither signed nor stable across versions of this crate (use a bundle for that).
    pub fn to_compiled(&self) -> Vec<u8> {
        let raw = self.table.raw();
        let mut out = Vec::with_capacity(
            64 + self.version.len()
                + self.source.len()
                + raw.palette.len() * 5
                + raw.v4_starts.len() * 12
                + raw.v6_starts.len() * 36,
        );
        out.extend_from_slice(&COMPILED_MAGIC);
        for s in [&self.version, &self.source] {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(&raw.entries.to_le_bytes());
        raw.encode_palette(&mut out);
        raw.encode_v4(&mut out);
        raw.encode_v6(&mut out);
        for part in [
            crate::ranges::encode_strings(&raw.strings),
            crate::ranges::encode_labels(&raw.labels),
        ] {
            out.extend_from_slice(&(part.len() as u64).to_le_bytes());
            out.extend_from_slice(&part);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Loads [`Hotlist::to_compiled`] output. The checksum and the table's structure (sorted,
    /// disjoint, valid prefixes and score indices) are checked, so a truncated or damaged file
    /// is refused rather than giving wrong answers; the content is trusted as much as the
    /// directory it was cached in.
    pub fn from_compiled(bytes: &[u8]) -> Result<Hotlist, IntelError> {
        let bad = |reason: &str| IntelError::Table {
            source_name: "compiled hotlist".into(),
            reason: reason.to_string(),
        };
        let body_len = bytes
            .len()
            .checked_sub(8)
            .ok_or_else(|| bad("file too short"))?;
        let (body, sum) = bytes.split_at(body_len);
        let mut sum_bytes = [0u8; 8];
        sum_bytes.copy_from_slice(sum);
        if !body.starts_with(&COMPILED_MAGIC) {
            return Err(bad(
                "not a compiled hotlist (or written by another version)",
            ));
        }
        if checksum(body) != u64::from_le_bytes(sum_bytes) {
            return Err(bad("checksum mismatch"));
        }
        let mut r = Cursor {
            buf: body,
            pos: COMPILED_MAGIC.len(),
        };
        let truncated = || bad("truncated");
        let string = |r: &mut Cursor<'_>| -> Result<String, IntelError> {
            let n = r.u32().ok_or_else(truncated)? as usize;
            let b = r.take(n).ok_or_else(truncated)?;
            String::from_utf8(b.to_vec()).map_err(|_| bad("string is not UTF-8"))
        };
        let version = string(&mut r)?;
        let source = string(&mut r)?;
        let mut raw = crate::ranges::RawTable {
            entries: r.u64().ok_or_else(truncated)?,
            ..Default::default()
        };
        let n = r.u32().ok_or_else(truncated)? as usize;
        let pal = r
            .take(n.checked_mul(5).ok_or_else(truncated)?)
            .ok_or_else(truncated)?;
        raw.palette = pal
            .chunks_exact(5)
            .map(|c| (c[0] != 0).then_some(u32::from_le_bytes([c[1], c[2], c[3], c[4]])))
            .collect();
        let n4 = usize::try_from(r.u64().ok_or_else(truncated)?).map_err(|_| truncated())?;
        let u32s = |r: &mut Cursor<'_>, n: usize| -> Result<Vec<u32>, IntelError> {
            let b = r
                .take(n.checked_mul(4).ok_or_else(truncated)?)
                .ok_or_else(truncated)?;
            Ok(b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect())
        };
        raw.v4_starts = u32s(&mut r, n4)?;
        raw.v4_ends = u32s(&mut r, n4)?;
        raw.v4_meta = u32s(&mut r, n4)?;
        let n6 = usize::try_from(r.u64().ok_or_else(truncated)?).map_err(|_| truncated())?;
        let u128s = |r: &mut Cursor<'_>| -> Result<Vec<u128>, IntelError> {
            let b = r
                .take(n6.checked_mul(16).ok_or_else(truncated)?)
                .ok_or_else(truncated)?;
            Ok(b.chunks_exact(16)
                .map(|c| {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(c);
                    u128::from_le_bytes(a)
                })
                .collect())
        };
        raw.v6_starts = u128s(&mut r)?;
        raw.v6_ends = u128s(&mut r)?;
        raw.v6_meta = u32s(&mut r, n6)?;
        fn part<'b>(r: &mut Cursor<'b>) -> Option<&'b [u8]> {
            let n = usize::try_from(r.u64()?).ok()?;
            r.take(n)
        }
        raw.strings = crate::ranges::decode_strings(part(&mut r).ok_or_else(truncated)?)
            .map_err(|e| bad(&format!("strings: {e}")))?;
        raw.labels = crate::ranges::decode_labels(part(&mut r).ok_or_else(truncated)?)
            .map_err(|e| bad(&format!("labels: {e}")))?;
        for (l, s) in raw.labels.iter_mut().zip(&raw.palette) {
            l.score = *s;
        }
        if r.pos != body.len() {
            return Err(bad("trailing bytes"));
        }
        let table = RangeTable::from_raw(raw).map_err(|e| bad(&e.to_string()))?;
        Ok(Hotlist {
            table,
            version,
            source,
        })
    }
}

/// First bytes of [`Hotlist::to_compiled`] output; the last byte is the layout version.
const COMPILED_MAGIC: [u8; 8] = *b"OPHLCMP\x02";

/// A fast 64-bit checksum (FNV-style multiply-xor over 8-byte words) against truncation and
/// corruption of a cache file; not a cryptographic digest.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(a)).wrapping_mul(K).rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(K);
    }
    h ^ (h >> 32)
}

/// A bounds-checked reader over a byte slice.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len())?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn hotlist_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Hotlist>();
    }

    #[test]
    fn plain_list_with_comments_and_cidrs() {
        let text = "# comment\n\n1.2.3.4\n10.0.0.0/8 # inline\n2001:db8::/32\n  5.6.7.8  \r\n";
        let (h, r) = Hotlist::parse(text, "t", &ParseOptions::default()).unwrap();
        assert_eq!(r.format, ListFormat::Plain);
        assert_eq!((r.lines, r.accepted, r.entries, r.malformed), (6, 4, 4, 0));
        assert_eq!((r.ipv4, r.ipv6), (3, 1));
        assert_eq!(h.len(), 4);
        assert_eq!(
            h.lookup(ip("1.2.3.4")),
            Some(HotlistEntry {
                net: net("1.2.3.4/32"),
                score: None
            })
        );
        assert!(!h.contains(ip("1.2.3.5")));
        assert_eq!(h.lookup(ip("10.200.1.1")).unwrap().net, net("10.0.0.0/8"));
        assert_eq!(
            h.lookup(ip("2001:db8:1::1")).unwrap().net,
            net("2001:db8::/32")
        );
        assert!(!h.contains(ip("2001:db9::1")));
        assert!(h.contains(ip("5.6.7.8")));
        // IPv4-mapped IPv6 is looked up as IPv4.
        assert!(h.contains(ip("::ffff:1.2.3.4")));
        assert_eq!(h.source(), "t");
        assert!(h.version().starts_with("sha256:"));
        assert_eq!(h.version().len(), "sha256:".len() + 16);
    }

    #[test]
    fn entries_convert_to_intel_matches() {
        let (h, _) =
            Hotlist::parse("1.2.3.4 7\n10.0.0.0/8\n", "feed", &ParseOptions::default()).unwrap();
        let m = h.lookup(ip("1.2.3.4")).unwrap().to_intel_match(h.source());
        assert_eq!(
            (m.indicator.as_str(), m.source.as_deref(), m.score),
            ("1.2.3.4", Some("feed"), Some(7))
        );
        let m = h.lookup(ip("10.1.1.1")).unwrap().to_intel_match("x");
        assert_eq!((m.indicator.as_str(), m.score), ("10.0.0.0/8", None));
    }

    #[test]
    fn ipsum_with_min_score_and_tabs() {
        let text = "# IPsum\n1.1.1.1\t10\n2.2.2.2\t1\n3.3.3.3   3\n";
        let opts = ParseOptions {
            min_score: Some(3),
            strict: false,
        };
        let (h, r) = Hotlist::parse(text, "ipsum", &opts).unwrap();
        assert_eq!(r.format, ListFormat::Ipsum);
        assert_eq!((r.accepted, r.below_min_score), (2, 1));
        assert_eq!(h.lookup(ip("1.1.1.1")).unwrap().score, Some(10));
        assert_eq!(h.lookup(ip("3.3.3.3")).unwrap().score, Some(3));
        assert!(!h.contains(ip("2.2.2.2")));
    }

    #[test]
    fn malformed_lines_are_reported_or_fatal_in_strict_mode() {
        let text = "1.2.3.4\nnot-an-ip\n1.2.3.5 x\n300.1.1.1\n1.2.3.6 1 2\n1.2.3.0/33\n";
        let (h, r) = Hotlist::parse(text, "t", &ParseOptions::default()).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(r.malformed, 5);
        let lines: Vec<usize> = r.first_malformed.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6]);
        let err = Hotlist::parse(
            text,
            "t",
            &ParseOptions {
                min_score: None,
                strict: true,
            },
        )
        .unwrap_err();
        match err {
            IntelError::Parse { line, .. } => assert_eq!(line, 2),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn malformed_report_is_capped_but_counted() {
        let text = "bad\n".repeat(25);
        let (_, r) = Hotlist::parse(&text, "t", &ParseOptions::default()).unwrap();
        assert_eq!(r.malformed, 25);
        assert_eq!(r.first_malformed.len(), MAX_REPORTED_MALFORMED);
    }

    #[test]
    fn most_specific_entry_wins_and_duplicates_keep_max_score() {
        let text = "10.0.0.0/8 1\n10.1.0.0/16 2\n10.1.2.3 3\n10.1.2.3 7\n0.0.0.0/0 0\n";
        let (h, r) = Hotlist::parse(text, "t", &ParseOptions::default()).unwrap();
        assert_eq!((r.accepted, r.entries, r.duplicates), (5, 4, 1));
        let e = |s| h.lookup(ip(s)).unwrap();
        assert_eq!(
            (e("10.1.2.3").net, e("10.1.2.3").score),
            (net("10.1.2.3/32"), Some(7))
        );
        assert_eq!(
            (e("10.1.2.4").net, e("10.1.2.4").score),
            (net("10.1.0.0/16"), Some(2))
        );
        assert_eq!(
            (e("10.2.0.0").net, e("10.2.0.0").score),
            (net("10.0.0.0/8"), Some(1))
        );
        assert_eq!(e("11.0.0.0").net, net("0.0.0.0/0"));
        assert_eq!(e("255.255.255.255").net, net("0.0.0.0/0"));
        assert_eq!(e("0.0.0.0").net, net("0.0.0.0/0"));
    }

    #[test]
    fn whole_v6_space_and_edges() {
        let text = "::/0\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n::\n";
        let (h, _) = Hotlist::parse(text, "t", &ParseOptions::default()).unwrap();
        assert_eq!(h.lookup(ip("::")).unwrap().net, net("::/128"));
        assert_eq!(h.lookup(ip("::1")).unwrap().net, net("::/0"));
        assert_eq!(
            h.lookup(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
                .unwrap()
                .net
                .prefix_len(),
            128
        );
        assert!(!h.contains(ip("1.1.1.1")));
    }

    #[test]
    fn compiled_form_round_trips_and_refuses_damage() {
        let text = "1.2.3.4\t5\n10.0.0.0/8 2\n10.1.2.3 7\n2001:db8::/32\n2001:db8::1 3\n::/0\n";
        let (h, _) = Hotlist::parse(text, "feed.txt", &ParseOptions::default()).unwrap();
        let bytes = h.to_compiled();
        let back = Hotlist::from_compiled(&bytes).unwrap();
        assert_eq!(back, h);
        assert_eq!((back.version(), back.source()), (h.version(), "feed.txt"));
        for probe in [
            "1.2.3.4",
            "10.1.2.3",
            "10.9.9.9",
            "2001:db8::1",
            "2001:db8::2",
            "::2",
            "9.9.9.9",
        ] {
            assert_eq!(back.lookup(ip(probe)), h.lookup(ip(probe)), "{probe}");
        }
        let empty = Hotlist::empty("e");
        assert_eq!(Hotlist::from_compiled(&empty.to_compiled()).unwrap(), empty);
        // Every truncation and every single-byte change is refused, never misread.
        for n in 0..bytes.len() {
            assert!(
                Hotlist::from_compiled(&bytes[..n]).is_err(),
                "truncated to {n}"
            );
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(Hotlist::from_compiled(&b).is_err(), "byte {i} flipped");
        }
        assert!(Hotlist::from_compiled(b"1.2.3.4\n").is_err());
    }

    #[test]
    fn provenance_survives_the_compiled_form() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let mut a = Indicator::new(IndicatorValue::Net(net("10.0.0.0/8")), "feed-a")
            .with_score(Some(3))
            .with_expiry(Some(t("2030-01-01T00:00:00Z")));
        a.tags = vec!["scanner".into()];
        a.first_seen = Some(t("2025-01-01T00:00:00Z"));
        let b = Indicator::new(IndicatorValue::Net(net("10.1.2.3/32")), "list").with_score(Some(9));
        let h = Hotlist::from_indicators([&a, &b], "v", "list").unwrap();
        let back = Hotlist::from_compiled(&h.to_compiled()).unwrap();
        assert_eq!(back, h);
        let i = back.indicator(ip("10.9.9.9")).unwrap();
        assert_eq!((i.source.as_str(), i.score), ("feed-a", Some(3)));
        assert_eq!(
            (i.tags.clone(), i.first_seen),
            (vec!["scanner".to_string()], a.first_seen)
        );
        let i = back.indicator(ip("10.1.2.3")).unwrap();
        assert_eq!(
            (i.source.as_str(), i.score, i.tags.len()),
            ("list", Some(9), 0)
        );
        assert!(
            back.indicator_at(ip("10.9.9.9"), t("2031-01-01T00:00:00Z"))
                .is_none()
        );
        assert!(
            back.indicator_at(ip("10.1.2.3"), t("2031-01-01T00:00:00Z"))
                .is_some()
        );
    }

    #[test]
    fn host_bits_of_cidr_are_cleared() {
        let (h, _) = Hotlist::parse("192.168.1.77/24\n", "t", &ParseOptions::default()).unwrap();
        assert_eq!(
            h.lookup(ip("192.168.1.1")).unwrap().net,
            net("192.168.1.0/24")
        );
    }

    #[test]
    fn from_path_reads_a_file_and_reports_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("list.txt");
        std::fs::write(&p, "1.2.3.4\t5\n").unwrap();
        let h = Hotlist::from_path(&p).unwrap();
        assert_eq!(h.lookup(ip("1.2.3.4")).unwrap().score, Some(5));
        assert_eq!(h.source(), p.display().to_string());
        std::fs::write(&p, b"1.2.3.4\n\xff\xfe\n").unwrap();
        match Hotlist::from_path(&p).unwrap_err() {
            IntelError::NotUtf8 { line, .. } => assert_eq!(line, 2),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            Hotlist::from_path(&dir.path().join("missing")),
            Err(IntelError::Io { .. })
        ));
    }

    #[test]
    fn real_ipsum_feed_if_present() {
        let Some(path) = outpost_testkit::shared("data/feeds/ipsum.txt") else {
            return;
        };
        let (h, r) = Hotlist::from_path_with(&path, &ParseOptions::default()).unwrap();
        let r = r.unwrap();
        assert_eq!(r.format, ListFormat::Ipsum);
        assert_eq!(r.malformed, 0);
        assert_eq!(h.len(), 120_430);
        assert_eq!(h.lookup(ip("77.90.185.20")).unwrap().score, Some(10));
        let (h3, _) = Hotlist::from_path_with(
            &path,
            &ParseOptions {
                min_score: Some(3),
                strict: true,
            },
        )
        .unwrap();
        assert!(h3.len() < h.len());
        assert!(!h3.is_empty());
        assert_eq!(Hotlist::from_compiled(&h.to_compiled()).unwrap(), h);
        // The table is compact: 1.4 MiB of ranges and the ~250 KiB filter and index.
        assert!(
            h.heap_bytes() < 2 * 1024 * 1024,
            "{} bytes, {} ranges",
            h.heap_bytes(),
            h.ranges()
        );
    }

    /// Reference: the longest listed network containing `ip`, and the max score of its duplicates.
    fn naive(list: &[(IpNet, Option<u32>)], ip: IpAddr) -> Option<HotlistEntry> {
        let ip = ip.to_canonical();
        let best = list
            .iter()
            .filter(|(n, _)| n.contains(&ip))
            .map(|(n, _)| n.prefix_len())
            .max()?;
        let mut hit: Option<HotlistEntry> = None;
        for (n, s) in list {
            if n.contains(&ip) && n.prefix_len() == best {
                let s2 = hit.and_then(|h| h.score).max(*s);
                hit = Some(HotlistEntry { net: *n, score: s2 });
            }
        }
        hit
    }

    fn arb_v4_net() -> impl Strategy<Value = IpNet> {
        // A small address space so that networks overlap and nest often.
        (0u32..4096, prop_oneof![Just(32u8), 20u8..=32, 0u8..=32]).prop_map(|(x, plen)| {
            let addr = Ipv4Addr::from(0x0a00_0000u32 | (x << 4) | (x & 0xf));
            IpNet::V4(ipnet::Ipv4Net::new(addr, plen).unwrap().trunc())
        })
    }

    fn arb_v6_net() -> impl Strategy<Value = IpNet> {
        (
            0u128..4096,
            prop_oneof![Just(128u8), 110u8..=128, 0u8..=128],
        )
            .prop_map(|(x, plen)| {
                let addr = Ipv6Addr::from((0x2001_0db8u128 << 96) | (x << 8) | (x & 0xff));
                IpNet::V6(ipnet::Ipv6Net::new(addr, plen).unwrap().trunc())
            })
    }

    fn arb_probe() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            (0u32..0x1_0000).prop_map(|x| IpAddr::V4(Ipv4Addr::from(0x0a00_0000u32 | x))),
            any::<u32>().prop_map(|x| IpAddr::V4(Ipv4Addr::from(x))),
            (0u128..0x1_0000).prop_map(|x| IpAddr::V6(Ipv6Addr::from((0x2001_0db8u128 << 96) | x))),
            any::<u128>().prop_map(|x| IpAddr::V6(Ipv6Addr::from(x))),
        ]
    }

    proptest! {
        #[test]
        fn lookup_agrees_with_linear_scan(
            list in prop::collection::vec(
                (prop_oneof![3 => arb_v4_net(), 1 => arb_v6_net()], prop::option::of(0u32..20)),
                0..60,
            ),
            probes in prop::collection::vec(arb_probe(), 1..40),
        ) {
            let h = Hotlist::from_entries(list.iter().copied(), "v", "t").unwrap();
            let mut distinct: Vec<IpNet> = list.iter().map(|(n, _)| *n).collect();
            distinct.sort();
            distinct.dedup();
            prop_assert_eq!(h.len(), distinct.len());
            // Probe the given addresses and every listed network's first and last address
            // and their neighbours.
            let mut all = probes.clone();
            for (n, _) in &list {
                all.push(n.network());
                all.push(n.broadcast());
                match (n.network(), n.broadcast()) {
                    (IpAddr::V4(a), IpAddr::V4(b)) => {
                        all.push(IpAddr::V4(Ipv4Addr::from(u32::from(a).wrapping_sub(1))));
                        all.push(IpAddr::V4(Ipv4Addr::from(u32::from(b).wrapping_add(1))));
                    }
                    (IpAddr::V6(a), IpAddr::V6(b)) => {
                        all.push(IpAddr::V6(Ipv6Addr::from(u128::from(a).wrapping_sub(1))));
                        all.push(IpAddr::V6(Ipv6Addr::from(u128::from(b).wrapping_add(1))));
                    }
                    _ => {}
                }
            }
            for p in all {
                prop_assert_eq!(h.lookup(p), naive(&list, p), "probe {}", p);
                prop_assert_eq!(h.contains(p), h.lookup(p).is_some(), "probe {}", p);
            }
        }

        #[test]
        fn parse_never_panics(text in "(?s).{0,400}") {
            let _ = Hotlist::parse(&text, "t", &ParseOptions::default());
            let _ = Hotlist::parse(&text, "t", &ParseOptions { min_score: Some(2), strict: true });
        }

        #[test]
        fn parse_never_panics_on_listish_lines(
            lines in prop::collection::vec("[0-9a-f:./# \\t]{0,40}", 0..30)
        ) {
            let text = lines.join("\n");
            if let Ok((h, r)) = Hotlist::parse(&text, "t", &ParseOptions::default()) {
                prop_assert_eq!(r.accepted + r.malformed + r.below_min_score
                    <= r.lines, true);
                prop_assert_eq!(h.len(), r.entries);
            }
        }
    }
}
