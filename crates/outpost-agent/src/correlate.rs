//! Local correlation: match buffered events against the intel and group matches by
//! `(indicator, process_name)` — remote addresses against the hotlist (grouped by
//! `(remote_ip, process_name)` as the seed did), and, when the bundle carries them, executable
//! hashes and process names/paths against exec events, queried names against `dns` events,
//! and connections against the addresses a listed domain was answered with.
//!
//! This is the agent's hot path (a run may scan an hour of a busy host's events). A line is
//! parsed in full only when it matches: for every other line the remote address is read
//! straight from the bytes after the key `"remote_ip":"`, which the buffer writer always emits
//! in that compact form. Lines that mention `remote_ip` in another form (a hand-written or
//! pretty-printed buffer) take the slow path and are parsed, so the result never depends on
//! formatting. Input is read in bounded chunks, so memory stays flat whatever the buffer size.

use crate::buffer::Pending;
use crate::{AgentError, io_err};
use chrono::{DateTime, Utc};
use memchr::memmem;
use outpost_core::EventKind;
use outpost_core::{Direction, Event, IntelMatch, Protocol};
#[cfg(test)]
use outpost_intel::IntelSet;
use outpost_intel::bundle::IpFilter;
use outpost_intel::{Hotlist, IndicatorKind, IndicatorLookup};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::net::IpAddr;

const KEY: &[u8] = br#""remote_ip":""#;
/// Read size of each worker.
const CHUNK: usize = 1024 * 1024;
/// Pending data is split among workers in parts of at least this many bytes.
const PARALLEL_MIN: u64 = 4 * 1024 * 1024;
/// Lines whose hotlist lookups are made together (see [`Correlator::lines`]).
const BATCH: usize = 64;
/// Malformed lines are counted; only the first few are logged.
const MAX_WARNINGS: u64 = 10;

/// What a group is about: a remote address (address indicators), or the value of the
/// indicator of another kind that matched (a domain, hash, process name or path).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Ip(IpAddr),
    Indicator { kind: IndicatorKind, value: String },
}

/// A listed domain's answer, remembered so that a later connection to the address is a hit of
/// that domain (see [`Correlator::with_answers`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    /// The queried name.
    pub domain: String,
    /// The domain indicator it matched.
    pub intel: IntelMatch,
    /// When the answer was seen; connections from then until `until` are attributed.
    pub seen: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Remembered answers by address.
pub type Answers = HashMap<IpAddr, Answer>;

/// An exec event of an executable the scan could not match by hash because the event carries
/// none: the caller hashes the file (see `crate::enrich`) and matches the digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Unhashed {
    pub exe: String,
    pub process_name: String,
    pub pid: Option<u32>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u64,
    pub samples: Vec<Event>,
}

/// Distinct executables a scan keeps for hashing; beyond, they are counted
/// ([`ScanStats::unhashed_dropped`]).
pub const MAX_UNHASHED: usize = 4096;
/// Remembered answers at most (the oldest go first).
pub const MAX_ANSWERS: usize = 10_000;

/// What a scan matches against.
#[derive(Clone, Copy)]
pub struct Intel<'h> {
    pub hotlist: &'h Hotlist,
    /// A filter-mode bundle's probabilistic filter of host addresses.
    pub filter: Option<&'h IpFilter>,
    /// Indicators of the other kinds (a bundle's domains, hashes and processes).
    pub iocs: Option<&'h dyn IndicatorLookup>,
    /// Answers for listed domains remembered from earlier runs.
    pub answers: Option<&'h Answers>,
    /// How long a listed domain's answer attributes connections to its addresses.
    pub answer_memory: chrono::Duration,
}

impl<'h> Intel<'h> {
    /// Addresses only (a plain hotlist).
    pub fn ips(hotlist: &'h Hotlist, filter: Option<&'h IpFilter>) -> Self {
        Intel {
            hotlist,
            filter,
            iocs: None,
            answers: None,
            answer_memory: chrono::Duration::hours(1),
        }
    }
}

/// Which indicator kinds of [`Intel::iocs`] are present (decides which lines are parsed).
#[derive(Debug, Clone, Copy, Default)]
struct Kinds {
    process: bool,
    hash: bool,
    domain: bool,
}

impl Kinds {
    fn of(set: Option<&dyn IndicatorLookup>) -> Kinds {
        let mut k = Kinds::default();
        for (kind, _) in set.map(|s| s.kind_counts()).unwrap_or_default() {
            match kind {
                IndicatorKind::ProcessName | IndicatorKind::ProcessPath => k.process = true,
                IndicatorKind::Sha256 | IndicatorKind::Sha1 | IndicatorKind::Md5 => k.hash = true,
                IndicatorKind::Domain | IndicatorKind::DomainSuffix => k.domain = true,
                _ => {}
            }
        }
        k
    }

    fn exec(self) -> bool {
        self.process || self.hash
    }
}

/// What a line without a remote address is to the intel's other kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// Nothing to match.
    No,
    /// An exec event while the intel holds process or hash indicators.
    Exec,
    /// A DNS event while the intel holds domains.
    Dns,
    /// Unusual formatting: decide on the parsed event.
    Parse,
}

/// Reading a few fields of a buffer line in place, exactly or not at all: every function
/// answers `None` when the line is not laid out as the buffer writer lays it out, or a value
/// holds an escape other than `\\` and `\/`, and the caller then parses the line.
mod fast {
    use memchr::memmem;
    use std::borrow::Cow;

    /// The string value after the only occurrence of `key` (which ends with its opening
    /// quote): `Some(None)` when `key` does not occur, `None` when it occurs more than once or
    /// the value cannot be read exactly.
    pub(super) fn only_str<'a>(line: &'a [u8], key: &[u8]) -> Option<Option<Cow<'a, str>>> {
        let Some(at) = memmem::find(line, key) else {
            return Some(None);
        };
        let rest = &line[at + key.len()..];
        if memmem::find(rest, key).is_some() {
            return None;
        }
        str_value(rest).map(|(v, _)| Some(v))
    }

    /// A JSON string's value from just after its opening quote, and the bytes after its
    /// closing quote.
    pub(super) fn str_value(s: &[u8]) -> Option<(Cow<'_, str>, &[u8])> {
        let mut i = 0;
        let mut owned: Option<Vec<u8>> = None;
        let mut from = 0;
        while i < s.len() {
            match s[i] {
                b'"' => {
                    let v = match owned {
                        None => Cow::Borrowed(std::str::from_utf8(&s[..i]).ok()?),
                        Some(mut o) => {
                            o.extend_from_slice(&s[from..i]);
                            Cow::Owned(String::from_utf8(o).ok()?)
                        }
                    };
                    return Some((v, &s[i + 1..]));
                }
                b'\\' => {
                    let c = *s.get(i + 1)?;
                    if c != b'\\' && c != b'/' {
                        return None;
                    }
                    let o = owned.get_or_insert_with(Vec::new);
                    o.extend_from_slice(&s[from..i]);
                    o.push(c);
                    i += 2;
                    from = i;
                }
                // A raw control character is invalid JSON: the parser says so.
                c if c < 0x20 => return None,
                _ => i += 1,
            }
        }
        None
    }

    /// Fields of an exec event that [`super::Correlator::exec`] reads.
    #[derive(Debug, Default)]
    pub(super) struct ExecFields<'a> {
        pub name: Option<Cow<'a, str>>,
        pub exe: Option<Cow<'a, str>>,
        pub sha256: Option<Cow<'a, str>>,
        pub sha1: Option<Cow<'a, str>>,
        pub md5: Option<Cow<'a, str>>,
    }

    /// `"process":{"pid":N,"name":"…","exe":"…"` (the writer's field order) and the
    /// process's `"hashes":{["sha256":"…"][,"sha1":"…"][,"md5":"…"]` followed by `}` or
    /// `,"other"`; each of the two keys must occur once in the line (`"hashes"` at most once).
    pub(super) fn exec_fields(line: &[u8]) -> Option<ExecFields<'_>> {
        const PROCESS: &[u8] = b"\"process\":{\"pid\":";
        const HASHES: &[u8] = b"\"hashes\":{";
        let at = memmem::find(line, PROCESS)?;
        let mut rest = &line[at + PROCESS.len()..];
        if memmem::find(rest, PROCESS).is_some() || memmem::find(line, b"\"process\"") != Some(at) {
            return None;
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &rest[digits..];
        // Both right after the pid, as the writer puts them; without either, another layout
        // could hold it further on: parse.
        let (name, rest) = str_value(rest.strip_prefix(b",\"name\":\"")?)?;
        let (exe, _) = str_value(rest.strip_prefix(b",\"exe\":\"")?)?;
        let mut f = ExecFields {
            name: Some(name),
            exe: Some(exe),
            ..ExecFields::default()
        };
        if let Some(at) = memmem::find(line, HASHES) {
            let mut h = &line[at + HASHES.len()..];
            if memmem::find(h, HASHES).is_some() || memmem::find(line, b"\"hashes\"") != Some(at) {
                return None;
            }
            let mut first = true;
            for (key, slot) in [
                (&b"\"sha256\":\""[..], &mut f.sha256),
                (&b"\"sha1\":\""[..], &mut f.sha1),
                (&b"\"md5\":\""[..], &mut f.md5),
            ] {
                let after = if first { Some(h) } else { h.strip_prefix(b",") };
                if let Some(r) = after.and_then(|a| a.strip_prefix(key)) {
                    let (v, r) = str_value(r)?;
                    *slot = Some(v);
                    h = r;
                    first = false;
                }
            }
            if !(h.starts_with(b"}")
                || h.starts_with(b",\"other\":")
                || (first && h.starts_with(b"\"other\":")))
            {
                return None;
            }
        } else if memmem::find(line, b"\"hashes\"").is_some() {
            return None;
        }
        Some(f)
    }
}

/// Matches of one `(indicator, process_name)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub subject: Subject,
    /// The remote address (address hits, and connections to a listed domain's answer).
    pub remote_ip: Option<IpAddr>,
    /// The queried name (DNS hits) or the name the address was answered for.
    pub domain: Option<String>,
    /// The executable's SHA-256 when the match knew it (hash hits, hashed exec events).
    pub sha256: Option<String>,
    pub process_name: String,
    pub remote_port: Option<u16>,
    pub protocol: Protocol,
    pub pid: Option<u32>,
    pub exe_path: Option<String>,
    pub direction: Direction,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u64,
    pub samples: Vec<Event>,
    pub intel: IntelMatch,
    /// Matched only the bundle's probabilistic filter (filter mode): the server must confirm
    /// it before it becomes a hit.
    pub unconfirmed: bool,
    /// Time of the event `remote_port`/`pid` were taken from (the earliest).
    first_ts: DateTime<Utc>,
}

/// Counters of one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub lines: u64,
    pub matched: u64,
    pub malformed: u64,
    pub bytes: u64,
    /// Events whose address is listed only by entries that have expired (not matched).
    pub expired: u64,
    /// Exec events matched by process name/path or hash, and DNS queries of listed domains.
    pub matched_iocs: u64,
    /// Executables not kept for hashing because [`MAX_UNHASHED`] were already pending.
    pub unhashed_dropped: u64,
}

/// The result of scanning the pending buffer.
#[derive(Debug, Default)]
pub struct Scan {
    pub groups: Vec<Group>,
    pub stats: ScanStats,
    /// Where the scan stopped: the end of the last complete line of the last segment.
    pub end: Option<crate::state::Position>,
    /// Exec events to hash and match (the bundle holds hash indicators, the events no hash).
    pub unhashed: Vec<Unhashed>,
    /// Answers for listed domains seen in this scan (to remember for later runs).
    pub answers: Answers,
}

/// Groups matches as lines are fed in.
pub struct Correlator<'h> {
    hotlist: &'h Hotlist,
    filter: Option<&'h IpFilter>,
    iocs: Option<&'h dyn IndicatorLookup>,
    kinds: Kinds,
    /// Answers known before the scan: connections to them match.
    known: Option<&'h Answers>,
    answer_memory: chrono::Duration,
    /// Answers for listed domains seen by this correlator (not matched by it: see
    /// `scan_intel`, which matches them in a second pass over the same input).
    seen_answers: Answers,
    unhashed: HashMap<(String, String), Unhashed>,
    samples_per_hit: usize,
    groups: HashMap<(Subject, String), Group>,
    stats: ScanStats,
    finder: memmem::Finder<'static>,
    /// Matching time: hotlist entries that have expired by then do not match.
    now: DateTime<Utc>,
}

impl<'h> Correlator<'h> {
    pub fn new(hotlist: &'h Hotlist, samples_per_hit: usize) -> Self {
        Self::with_filter(hotlist, None, samples_per_hit)
    }

    /// A correlator that also matches addresses the filter may contain (a filter-mode
    /// bundle's host addresses); such groups are marked [`Group::unconfirmed`].
    pub fn with_filter(
        hotlist: &'h Hotlist,
        filter: Option<&'h IpFilter>,
        samples_per_hit: usize,
    ) -> Self {
        Correlator {
            hotlist,
            filter,
            iocs: None,
            kinds: Kinds::default(),
            known: None,
            answer_memory: chrono::Duration::hours(1),
            seen_answers: HashMap::new(),
            unhashed: HashMap::new(),
            samples_per_hit,
            groups: HashMap::new(),
            stats: ScanStats::default(),
            finder: memmem::Finder::new(KEY),
            now: Utc::now(),
        }
    }

    /// A correlator for everything `intel` holds.
    pub fn for_intel(intel: &Intel<'h>, samples_per_hit: usize) -> Self {
        let mut c = Self::with_filter(intel.hotlist, intel.filter, samples_per_hit);
        c.iocs = intel.iocs;
        c.kinds = Kinds::of(intel.iocs);
        c.known = intel.answers.filter(|a| !a.is_empty());
        c.answer_memory = intel.answer_memory;
        c
    }

    /// Matches as of `now` instead of the time the correlator was made.
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// Feeds one line (without its newline).
    pub fn line(&mut self, line: &[u8]) {
        let line = trim_ascii(line);
        if line.is_empty() {
            return;
        }
        let mut keys = self.finder.find_iter(line);
        let first = keys.next();
        let again = first.is_some() && keys.next().is_some();
        self.classified(line, first, again);
    }

    /// Decides on one non-empty, trimmed line, given where the first compact key is in it and
    /// whether it occurs again.
    #[inline]
    fn classified(&mut self, line: &[u8], first: Option<usize>, again: bool) {
        self.stats.lines += 1;
        match first {
            Some(at) if !again => {
                let rest = &line[at + KEY.len()..];
                match memchr::memchr(b'"', rest).and_then(|end| parse_ip(&rest[..end])) {
                    Some(ip) if !self.candidate(ip) => {}
                    // A hit, or a value we could not read cheaply: decide on the parsed event.
                    _ => self.parse_and_match(line),
                }
            }
            // Repeated key: the slow, exact path.
            Some(_) => self.parse_and_match(line),
            // Unusual formatting: the slow, exact path.
            None if memmem::find(line, b"remote_ip").is_some() => self.parse_and_match(line),
            None => match self.wants(line) {
                Wanted::No => {}
                // Most exec and DNS lines match nothing: decided on their fields read in
                // place, parsed only when they may match (or cannot be read cheaply).
                Wanted::Exec if !self.exec_may_match(line) => {}
                Wanted::Dns if !self.dns_may_match(line) => {}
                Wanted::Exec | Wanted::Dns | Wanted::Parse => self.parse_and_match(line),
            },
        }
    }

    /// Whether an exec line (as the buffer writer lays it out) may match: what
    /// [`Correlator::exec`] would do with the parsed event, decided on its process name and
    /// path and its hashes read in place. `true` whenever that reading is not exact (escaped
    /// strings, another layout).
    fn exec_may_match(&self, line: &[u8]) -> bool {
        let Some(set) = self.iocs else { return false };
        let Some(f) = fast::exec_fields(line) else {
            return true;
        };
        let exe = f.exe.as_deref().filter(|e| !e.is_empty());
        let exe_name = exe.map(outpost_core::event::basename).unwrap_or("");
        let name = match f.name.as_deref() {
            Some(n) if !n.is_empty() => n,
            _ => exe.map(outpost_core::event::basename).unwrap_or("unknown"),
        };
        if self.kinds.process
            && (set.process_at(exe_name, exe, self.now).is_some()
                || set.process_at(name, None, self.now).is_some())
        {
            return true;
        }
        if self.kinds.hash {
            let listed = [&f.sha256, &f.sha1, &f.md5]
                .into_iter()
                .flatten()
                .any(|h| set.hash_at(h, self.now).is_some());
            // Listed, or not hashed yet (kept to hash): the parsed event is needed.
            return listed
                || (f.sha256.is_none()
                    && exe.is_some_and(|e| std::path::Path::new(e).is_absolute()));
        }
        false
    }

    /// Whether a DNS line may match: its queried name read in place is a listed domain (what
    /// [`Correlator::dns`] looks up). `true` whenever that reading is not exact.
    fn dns_may_match(&self, line: &[u8]) -> bool {
        let Some(set) = self.iocs else { return false };
        match fast::only_str(line, b"\"query\":\"") {
            Some(Some(q)) => set.domain_at(&q, self.now).is_some(),
            _ => true,
        }
    }

    /// Whether a line without a remote address must be parsed: an exec event while the intel
    /// holds process or hash indicators, a DNS event while it holds domains. The buffer writer
    /// puts `"kind"` right after `"ts"`, so only the line's head is searched; any other form is
    /// looked for in the whole line (the result never depends on formatting).
    #[inline]
    fn wants(&self, line: &[u8]) -> Wanted {
        if !(self.kinds.exec() || self.kinds.domain) {
            return Wanted::No;
        }
        let head = &line[..line.len().min(72)];
        let kind = match memmem::find(head, b"\"kind\":\"") {
            Some(at) => &head[at + 8..],
            None => match memmem::find(line, b"\"kind\"") {
                // Unusual formatting: decide on the parsed event.
                Some(_) => return Wanted::Parse,
                None => return Wanted::No,
            },
        };
        if self.kinds.exec()
            && (kind.starts_with(b"process_exec\"") || kind.starts_with(b"process_inventory\""))
        {
            Wanted::Exec
        } else if self.kinds.domain && kind.starts_with(b"dns\"") {
            Wanted::Dns
        } else if !kind.contains(&b'"') {
            // The head was cut inside the kind: decide on the parsed event.
            Wanted::Parse
        } else {
            Wanted::No
        }
    }

    /// Whether `ip` may be listed: in the exact ranges, or (filter mode) in the filter, or a
    /// remembered answer of a listed domain.
    #[inline]
    fn candidate(&self, ip: IpAddr) -> bool {
        self.hotlist.contains(ip)
            || self.filter.is_some_and(|f| f.may_contain(ip))
            || self.known.is_some_and(|a| a.contains_key(&ip))
    }

    fn parse_and_match(&mut self, line: &[u8]) {
        match serde_json::from_slice::<Event>(line) {
            Ok(ev) => self.event(ev),
            Err(e) => {
                self.stats.malformed += 1;
                if self.stats.malformed <= MAX_WARNINGS {
                    tracing::warn!(error = %e, line = %String::from_utf8_lossy(&line[..line.len().min(200)]), "skipping malformed buffer line");
                }
            }
        }
    }

    /// Matches one parsed event.
    pub fn event(&mut self, ev: Event) {
        match ev.kind {
            EventKind::ProcessExec | EventKind::ProcessInventory if self.kinds.exec() => {
                self.exec(ev)
            }
            EventKind::Dns if self.kinds.domain => self.dns(ev),
            _ => self.connection(ev),
        }
    }

    /// An exec event: its process name and path, and its executable's hashes.
    fn exec(&mut self, ev: Event) {
        let Some(set) = self.iocs else { return };
        let Some(p) = ev.process.as_deref() else {
            return;
        };
        let exe = p.exe.as_deref().filter(|e| !e.is_empty());
        // The executable's own name first: `comm` is cut at 15 bytes on Linux.
        let exe_name = exe.map(outpost_core::event::basename).unwrap_or("");
        let name = ev.process_name().unwrap_or("unknown").to_string();
        if self.kinds.process {
            let hit = set
                .process_at(exe_name, exe, self.now)
                .or_else(|| set.process_at(&name, None, self.now));
            if let Some(ind) = hit {
                let subject = Subject::Indicator {
                    kind: ind.value.kind(),
                    value: ind.value.to_string(),
                };
                let m = clean(ind.to_intel_match());
                let sha = p.hashes.sha256.clone();
                self.add(subject, &ev, name.clone(), m, None, None, sha);
            }
        }
        if self.kinds.hash {
            let hashes = &p.hashes;
            let listed = [&hashes.sha256, &hashes.sha1, &hashes.md5]
                .into_iter()
                .flatten()
                .find_map(|h| set.hash_at(h, self.now));
            if let Some(ind) = listed {
                let subject = Subject::Indicator {
                    kind: ind.value.kind(),
                    value: ind.value.to_string(),
                };
                let m = clean(ind.to_intel_match());
                let sha = hashes.sha256.clone();
                self.add(subject, &ev, name, m, None, None, sha);
            } else if hashes.sha256.is_none()
                && let Some(exe) = exe.filter(|e| std::path::Path::new(e).is_absolute())
            {
                self.unhashed_event(exe.to_string(), name, ev);
            }
        }
    }

    fn unhashed_event(&mut self, exe: String, name: String, ev: Event) {
        let key = (exe, name);
        let n = self.unhashed.len();
        let samples = self.samples_per_hit;
        let u = match self.unhashed.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(_) if n >= MAX_UNHASHED => {
                self.stats.unhashed_dropped += 1;
                return;
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                let (exe, name) = v.key().clone();
                v.insert(Unhashed {
                    exe,
                    process_name: name,
                    pid: ev.process.as_ref().map(|p| p.pid),
                    first_seen: ev.ts,
                    last_seen: ev.ts,
                    count: 0,
                    samples: Vec::new(),
                })
            }
        };
        u.count += 1;
        if ev.ts < u.first_seen {
            u.first_seen = ev.ts;
            u.pid = ev.process.as_ref().map(|p| p.pid);
        }
        u.last_seen = u.last_seen.max(ev.ts);
        if u.samples.len() < samples {
            u.samples.push(ev);
        }
    }

    /// A DNS event: its queried name; a listed name's answers are remembered.
    fn dns(&mut self, ev: Event) {
        let (Some(set), Some(d)) = (self.iocs, ev.dns.as_ref()) else {
            return;
        };
        let Some(ind) = set.domain_at(&d.query, self.now) else {
            return;
        };
        let m = clean(ind.to_intel_match());
        let subject = Subject::Indicator {
            kind: ind.value.kind(),
            value: ind.value.to_string(),
        };
        // As the sensors write it (lower case, no trailing dot), whatever the source did.
        let query = d.query.trim().trim_end_matches('.').to_ascii_lowercase();
        for ip in d.answer_ips() {
            let a = Answer {
                domain: query.clone(),
                intel: m.clone(),
                seen: ev.ts,
                until: ev.ts + self.answer_memory,
            };
            match self.seen_answers.get(&ip) {
                Some(old) if old.seen <= a.seen => {}
                _ => {
                    self.seen_answers.insert(ip, a);
                }
            }
        }
        let name = ev.process_name().unwrap_or("unknown").to_string();
        self.add(subject, &ev, name, m, None, Some(query), None);
    }

    /// A connection to a remembered answer of a listed domain.
    fn answered(&mut self, ev: &Event, ip: IpAddr) -> bool {
        let Some(a) = self.known.and_then(|k| k.get(&ip)) else {
            return false;
        };
        // A connection made before the lookup (clocks of two sensors: a second's slack) or
        // after the memory ran out is not the domain's.
        if ev.ts + chrono::Duration::seconds(1) < a.seen || ev.ts > a.until {
            return false;
        }
        let subject = match &a.intel.kind {
            Some(k) => Subject::Indicator {
                kind: IndicatorKind::parse(k).unwrap_or(IndicatorKind::Domain),
                value: a.intel.indicator.clone(),
            },
            None => Subject::Indicator {
                kind: IndicatorKind::Domain,
                value: a.intel.indicator.clone(),
            },
        };
        let (m, domain) = (a.intel.clone(), a.domain.clone());
        let name = ev.process_name().unwrap_or("unknown").to_string();
        self.add(subject, ev, name, m, Some(ip), Some(domain), None);
        true
    }

    /// Counts `ev` into the group of `(subject, name)`.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        subject: Subject,
        ev: &Event,
        name: String,
        intel: IntelMatch,
        remote_ip: Option<IpAddr>,
        domain: Option<String>,
        sha256: Option<String>,
    ) {
        self.stats.matched_iocs += 1;
        let ts = ev.ts;
        let net = ev.network.as_ref();
        let samples = self.samples_per_hit;
        let g = self
            .groups
            .entry((subject.clone(), name.clone()))
            .or_insert_with(|| Group {
                subject,
                remote_ip,
                domain: domain.clone(),
                sha256: None,
                process_name: name,
                remote_port: net.and_then(|n| n.remote_port),
                protocol: net.map(|n| n.protocol).unwrap_or_default(),
                pid: ev.process.as_ref().map(|p| p.pid),
                exe_path: None,
                direction: net.map(|n| n.direction).unwrap_or_default(),
                first_seen: ts,
                last_seen: ts,
                count: 0,
                samples: Vec::new(),
                intel,
                unconfirmed: false,
                first_ts: ts,
            });
        g.count += 1;
        if ts < g.first_ts {
            g.first_ts = ts;
            g.pid = ev.process.as_ref().map(|p| p.pid);
        }
        if g.remote_ip.is_none() && remote_ip.is_some() {
            (g.remote_ip, g.remote_port) = (remote_ip, net.and_then(|n| n.remote_port));
            if let Some(n) = net {
                (g.protocol, g.direction) = (n.protocol, n.direction);
            }
        }
        if g.domain.is_none() {
            g.domain = domain;
        }
        if g.sha256.is_none() {
            g.sha256 = sha256;
        }
        if g.seen(ts, ev, samples) {
            g.samples.push(ev.clone());
        }
    }

    /// A connection event: its remote address.
    fn connection(&mut self, ev: Event) {
        let Some(net) = ev.network.as_ref() else {
            return;
        };
        let Some(ip) = net.remote_ip else { return };
        // The matching indicator with its provenance (kind, value, source, score, tags, first
        // and last seen, expiry); an entry that has expired does not match.
        let (intel, unconfirmed) = match self.hotlist.indicator_at(ip, self.now) {
            Some(ind) => {
                let mut m = ind.to_intel_match();
                // Keep the network form (`1.2.3.4/32`) hits have always carried.
                if let outpost_intel::IndicatorValue::Net(n) = ind.value {
                    m.indicator = n.to_string();
                }
                m.source = m.source.filter(|s| !s.is_empty());
                (m, false)
            }
            None if self.hotlist.contains(ip) => {
                if !self.answered(&ev, ip) {
                    self.stats.expired += 1;
                }
                return;
            }
            None if self.filter.is_some_and(|f| f.may_contain(ip)) => (
                IntelMatch {
                    indicator: ip.to_string(),
                    source: Some("filter".to_string()),
                    kind: Some("ip".to_string()),
                    ..Default::default()
                },
                true,
            ),
            None => {
                self.answered(&ev, ip);
                return;
            }
        };
        self.stats.matched += 1;
        let name = ev.process_name().unwrap_or("unknown").to_string();
        let key = (Subject::Ip(ip), name);
        let ts = ev.ts;
        let samples = self.samples_per_hit;
        let g = self.groups.entry(key.clone()).or_insert_with(|| Group {
            subject: key.0.clone(),
            remote_ip: Some(ip),
            domain: None,
            sha256: None,
            process_name: key.1.clone(),
            remote_port: net.remote_port,
            protocol: net.protocol,
            pid: ev.process.as_ref().map(|p| p.pid),
            exe_path: None,
            direction: net.direction,
            first_seen: ts,
            last_seen: ts,
            count: 0,
            samples: Vec::new(),
            intel,
            unconfirmed,
            first_ts: ts,
        });
        g.count += 1;
        if ts < g.first_ts {
            g.first_ts = ts;
            g.remote_port = net.remote_port;
            g.protocol = net.protocol;
            g.pid = ev.process.as_ref().map(|p| p.pid);
            g.direction = net.direction;
        }
        if g.seen(ts, &ev, samples) {
            g.samples.push(ev);
        }
    }

    /// Adds everything `other` saw (it scanned a disjoint part of the input).
    pub fn merge(&mut self, other: Correlator<'_>) {
        self.stats.lines += other.stats.lines;
        self.stats.matched += other.stats.matched;
        self.stats.malformed += other.stats.malformed;
        self.stats.bytes += other.stats.bytes;
        self.stats.expired += other.stats.expired;
        self.stats.matched_iocs += other.stats.matched_iocs;
        self.stats.unhashed_dropped += other.stats.unhashed_dropped;
        for (ip, a) in other.seen_answers {
            match self.seen_answers.get(&ip) {
                Some(old) if old.seen <= a.seen => {}
                _ => {
                    self.seen_answers.insert(ip, a);
                }
            }
        }
        for (k, u) in other.unhashed {
            let n = self.unhashed.len();
            match self.unhashed.entry(k) {
                std::collections::hash_map::Entry::Vacant(_) if n >= MAX_UNHASHED => {
                    self.stats.unhashed_dropped += 1;
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(u);
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let mine = o.get_mut();
                    mine.count += u.count;
                    if u.first_seen < mine.first_seen {
                        mine.first_seen = u.first_seen;
                        mine.pid = u.pid;
                    }
                    mine.last_seen = mine.last_seen.max(u.last_seen);
                    let room = self.samples_per_hit.saturating_sub(mine.samples.len());
                    mine.samples.extend(u.samples.into_iter().take(room));
                }
            }
        }
        for (k, g) in other.groups {
            match self.groups.entry(k) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(g);
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    o.get_mut().absorb(g, self.samples_per_hit)
                }
            }
        }
    }

    /// Feeds every line of `data`. Equivalent to calling [`Correlator::line`] for each line,
    /// but faster: the key is searched once over the whole chunk rather than line by line, and
    /// hotlist lookups are made in batches of [`BATCH`] independent probes, so the processor
    /// overlaps their cache misses (the lookup table is larger than the caches, and probing
    /// one random address after another was a third of the scan's time). Lines are still
    /// decided, and matches grouped, in buffer order.
    fn lines(&mut self, data: &[u8]) {
        let finder = self.finder.clone();
        let mut keys = finder.find_iter(data).peekable();
        // (line start, line end, address to probe or `None` for "parse it").
        let mut batch: Vec<(usize, usize, Option<IpAddr>)> = Vec::with_capacity(BATCH);
        let mut start = 0;
        let mut feed = |c: &mut Self, start: usize, end: usize| {
            // Occurrences of the key lie within one line (it holds no newline).
            let mut first = None;
            let mut again = false;
            while let Some(&k) = keys.peek() {
                if k >= end {
                    break;
                }
                keys.next();
                if first.is_none() {
                    first = Some(k);
                } else {
                    again = true;
                }
            }
            let line = trim_ascii(&data[start..end]);
            if line.is_empty() {
                return;
            }
            let end = start + line.len();
            c.stats.lines += 1;
            // The same decision as `classified`, with the lookup deferred.
            match first {
                Some(at) if !again => {
                    // The key ends in a quote, so trimming never cuts into it.
                    let rest = &data[at + KEY.len()..end];
                    let ip = memchr::memchr(b'"', rest).and_then(|q| parse_ip(&rest[..q]));
                    batch.push((start, end, ip));
                }
                Some(_) => batch.push((start, end, None)),
                None if memmem::find(line, b"remote_ip").is_some() => {
                    batch.push((start, end, None))
                }
                None => match c.wants(line) {
                    Wanted::No => {}
                    Wanted::Exec if !c.exec_may_match(line) => {}
                    Wanted::Dns if !c.dns_may_match(line) => {}
                    Wanted::Exec | Wanted::Dns | Wanted::Parse => batch.push((start, end, None)),
                },
            }
            if batch.len() == BATCH {
                c.decide(data, &mut batch);
            }
        };
        for nl in memchr::memchr_iter(b'\n', data) {
            feed(self, start, nl);
            start = nl + 1;
        }
        if start < data.len() {
            feed(self, start, data.len());
        }
        self.decide(data, &mut batch);
    }

    /// Probes the batch's addresses, then parses (in order) the lines that matched or could
    /// not be read cheaply.
    fn decide(&mut self, data: &[u8], batch: &mut Vec<(usize, usize, Option<IpAddr>)>) {
        let mut parse = [false; BATCH];
        for (p, (_, _, ip)) in parse.iter_mut().zip(batch.iter()) {
            *p = ip.is_none_or(|ip| self.candidate(ip));
        }
        for (&p, &(s, e, _)) in parse.iter().zip(batch.iter()) {
            if p {
                self.parse_and_match(&data[s..e]);
            }
        }
        batch.clear();
    }

    /// The groups, ordered by first sighting (then subject and process), and the counters.
    pub fn finish(self) -> (Vec<Group>, ScanStats) {
        let (groups, stats, _, _) = self.finish_all();
        (groups, stats)
    }

    /// [`Correlator::finish`] with the exec events left to hash and the answers seen.
    pub fn finish_all(self) -> (Vec<Group>, ScanStats, Vec<Unhashed>, Answers) {
        let mut groups: Vec<Group> = self.groups.into_values().collect();
        groups.sort_by(|a, b| {
            (a.first_seen, &a.subject, &a.process_name).cmp(&(
                b.first_seen,
                &b.subject,
                &b.process_name,
            ))
        });
        let mut unhashed: Vec<Unhashed> = self.unhashed.into_values().collect();
        unhashed.sort_by(|a, b| {
            (a.first_seen, &a.exe, &a.process_name).cmp(&(b.first_seen, &b.exe, &b.process_name))
        });
        (groups, self.stats, unhashed, self.seen_answers)
    }
}

impl Group {
    /// Counts in the time span and executable of an event of the group; whether it has room
    /// for the event as a sample.
    #[inline]
    fn seen(&mut self, ts: DateTime<Utc>, ev: &Event, samples: usize) -> bool {
        self.first_seen = self.first_seen.min(ts);
        self.last_seen = self.last_seen.max(ts);
        if self.exe_path.is_none() {
            self.exe_path = ev
                .process
                .as_ref()
                .and_then(|p| p.exe.clone())
                .filter(|e| !e.is_empty());
        }
        self.samples.len() < samples
    }

    /// The group of exec events of one executable whose hash matched an indicator after the
    /// scan (see `crate::indicators::match_unhashed`).
    pub fn from_unhashed(
        u: Unhashed,
        subject: Subject,
        intel: IntelMatch,
        sha256: String,
    ) -> Group {
        Group {
            subject,
            remote_ip: None,
            domain: None,
            sha256: Some(sha256),
            process_name: u.process_name,
            remote_port: None,
            protocol: Protocol::default(),
            pid: u.pid,
            exe_path: Some(u.exe),
            direction: Direction::default(),
            first_seen: u.first_seen,
            last_seen: u.last_seen,
            count: u.count,
            samples: u.samples,
            intel,
            unconfirmed: false,
            first_ts: u.first_seen,
        }
    }

    /// Folds in the same key's group from another part of the input.
    fn absorb(&mut self, g: Group, samples_per_hit: usize) {
        self.count += g.count;
        if g.first_ts < self.first_ts {
            self.first_ts = g.first_ts;
            self.remote_port = g.remote_port;
            self.protocol = g.protocol;
            self.pid = g.pid;
            self.direction = g.direction;
        }
        self.first_seen = self.first_seen.min(g.first_seen);
        self.last_seen = self.last_seen.max(g.last_seen);
        if self.exe_path.is_none() {
            self.exe_path = g.exe_path;
        }
        if self.remote_ip.is_none() {
            self.remote_ip = g.remote_ip;
        }
        if self.domain.is_none() {
            self.domain = g.domain;
        }
        if self.sha256.is_none() {
            self.sha256 = g.sha256;
        }
        let room = samples_per_hit.saturating_sub(self.samples.len());
        self.samples.extend(g.samples.into_iter().take(room));
    }
}

/// An indicator's match as hits carry it (an empty source is none).
fn clean(mut m: IntelMatch) -> IntelMatch {
    m.source = m.source.filter(|s| !s.is_empty());
    m
}

/// The address in `s`: dotted-quad IPv4 read directly, anything else through the standard
/// parser (which also decides on every dotted quad the fast path declines, such as octets with
/// leading zeros, so the result is always exactly `str::parse::<IpAddr>`'s).
#[inline]
fn parse_ip(s: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_v4(s) {
        return Some(IpAddr::V4(v4));
    }
    std::str::from_utf8(s).ok()?.parse::<IpAddr>().ok()
}

/// Four decimal octets `0`–`255` without leading zeros, separated by dots; `None` otherwise.
#[inline]
fn parse_v4(s: &[u8]) -> Option<std::net::Ipv4Addr> {
    if s.len() < 7 || s.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, o) in octets.iter_mut().enumerate() {
        if n > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let begin = i;
        let mut v: u32 = 0;
        while let Some(&d) = s.get(i) {
            if !d.is_ascii_digit() || i - begin == 3 {
                break;
            }
            v = v * 10 + u32::from(d - b'0');
            i += 1;
        }
        let len = i - begin;
        if len == 0 || (len > 1 && s[begin] == b'0') || v > 255 {
            return None;
        }
        *o = v as u8;
    }
    (i == s.len()).then_some(std::net::Ipv4Addr::from(octets))
}

fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// One contiguous byte range of one buffer file, for one worker.
#[derive(Debug, Clone)]
struct Range {
    seg: usize,
    start: u64,
    end: u64,
}

/// Scans all pending buffer data in bounded chunks. Only complete lines are consumed; the
/// returned position is the end of the last complete line.
///
/// Large inputs are split at line boundaries into one contiguous part per available core (at
/// most [`MAX_THREADS`]); each worker reads and scans its part with its own buffer, so reading
/// (the kernel's copy) is parallel too. Parts are merged in file order, so a group's samples
/// are its first matching events in buffer order whatever the number of workers.
pub fn scan(
    pending: &Pending,
    hotlist: &Hotlist,
    samples_per_hit: usize,
) -> Result<Scan, AgentError> {
    scan_filtered(pending, hotlist, None, samples_per_hit)
}

/// [`scan`] that also matches the addresses `filter` may contain (a filter-mode bundle).
pub fn scan_filtered(
    pending: &Pending,
    hotlist: &Hotlist,
    filter: Option<&IpFilter>,
    samples_per_hit: usize,
) -> Result<Scan, AgentError> {
    scan_intel(pending, &Intel::ips(hotlist, filter), samples_per_hit)
}

/// [`scan`] against everything `intel` holds: addresses, and the indicators of other kinds.
///
/// Answers for listed domains found in this scan attribute later connections of this same
/// input too: when there are any, a second pass over the input matches connections to those
/// addresses only (rare: it takes a listed domain being resolved). Answers remembered from
/// earlier runs are matched in the first pass.
pub fn scan_intel(
    pending: &Pending,
    intel: &Intel<'_>,
    samples_per_hit: usize,
) -> Result<Scan, AgentError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_THREADS);
    scan_intel_with(
        pending,
        intel,
        samples_per_hit,
        threads,
        PARALLEL_MIN,
        CHUNK,
    )
}

/// Workers of one scan, at most.
pub const MAX_THREADS: usize = 8;

#[cfg(test)]
fn scan_with(
    pending: &Pending,
    hotlist: &Hotlist,
    filter: Option<&IpFilter>,
    samples_per_hit: usize,
    threads: usize,
    min_part: u64,
    chunk: usize,
) -> Result<Scan, AgentError> {
    let intel = Intel::ips(hotlist, filter);
    scan_intel_with(pending, &intel, samples_per_hit, threads, min_part, chunk)
}

fn scan_intel_with(
    pending: &Pending,
    intel: &Intel<'_>,
    samples_per_hit: usize,
    threads: usize,
    min_part: u64,
    chunk: usize,
) -> Result<Scan, AgentError> {
    let (c, end) = scan_parts(pending, intel, samples_per_hit, threads, min_part, chunk)?;
    let (mut groups, mut stats, unhashed, answers) = c.finish_all();
    // New answers: connections to them anywhere in this input (after the lookup) are the
    // domain's. Only the answers are matched in this pass.
    let fresh: Answers = answers
        .iter()
        .filter(|(ip, a)| intel.answers.and_then(|k| k.get(ip)) != Some(*a))
        .map(|(ip, a)| (*ip, a.clone()))
        .collect();
    if !fresh.is_empty() {
        let empty = Hotlist::empty("answers");
        let only = Intel {
            hotlist: &empty,
            filter: None,
            iocs: None,
            answers: Some(&fresh),
            answer_memory: intel.answer_memory,
        };
        let (c2, _) = scan_parts(pending, &only, samples_per_hit, threads, min_part, chunk)?;
        let (more, s2, _, _) = c2.finish_all();
        stats.matched_iocs += s2.matched_iocs;
        let mut by_key: HashMap<(Subject, String), Group> = groups
            .into_iter()
            .map(|g| ((g.subject.clone(), g.process_name.clone()), g))
            .collect();
        for g in more {
            match by_key.entry((g.subject.clone(), g.process_name.clone())) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(g);
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    o.get_mut().absorb(g, samples_per_hit)
                }
            }
        }
        groups = by_key.into_values().collect();
        groups.sort_by(|a, b| {
            (a.first_seen, &a.subject, &a.process_name).cmp(&(
                b.first_seen,
                &b.subject,
                &b.process_name,
            ))
        });
    }
    Ok(Scan {
        groups,
        stats,
        end,
        unhashed,
        answers,
    })
}

/// Reads `pending` in parts (one per worker) and merges their correlators in file order.
fn scan_parts<'h>(
    pending: &Pending,
    intel: &Intel<'h>,
    samples_per_hit: usize,
    threads: usize,
    min_part: u64,
    chunk: usize,
) -> Result<(Correlator<'h>, Option<crate::state::Position>), AgentError> {
    let total = pending.bytes();
    let parts = split(pending, total, threads.max(1), min_part)?;
    let results: Vec<Result<PartResult<'h>, AgentError>> = if parts.len() <= 1 {
        parts
            .iter()
            .map(|p| scan_part(pending, p, intel, samples_per_hit, chunk))
            .collect()
    } else {
        std::thread::scope(|sc| {
            let handles: Vec<_> = parts
                .iter()
                .map(|p| sc.spawn(|| scan_part(pending, p, intel, samples_per_hit, chunk)))
                .collect();
            handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(r) => r,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    };
    let mut c = Correlator::for_intel(intel, samples_per_hit);
    // Where reading stopped in each segment (the end of its last complete line).
    let mut consumed: Vec<u64> = pending.segments.iter().map(|s| s.start).collect();
    for r in results {
        let (part, ends) = r?;
        c.merge(part);
        for (seg, at) in ends {
            consumed[seg] = consumed[seg].max(at);
        }
    }
    let end = pending
        .segments
        .iter()
        .zip(&consumed)
        .next_back()
        .map(|(seg, &offset)| crate::state::Position {
            file: seg.name.clone(),
            offset,
        });
    Ok((c, end))
}

/// Splits the pending data into at most `threads` parts of about equal size, each at least
/// `min_part` bytes, cut just after a newline (so every line belongs to exactly one part).
fn split(
    pending: &Pending,
    total: u64,
    threads: usize,
    min_part: u64,
) -> Result<Vec<Vec<Range>>, AgentError> {
    let n = (total / min_part.max(1)).clamp(1, threads as u64);
    let target = total.div_ceil(n).max(1);
    let mut parts: Vec<Vec<Range>> = vec![Vec::new()];
    let mut filled = 0u64;
    for (i, seg) in pending.segments.iter().enumerate() {
        let mut at = seg.start;
        while at < seg.end {
            if filled >= target && (parts.len() as u64) < n {
                parts.push(Vec::new());
                filled = 0;
            }
            let room = target - filled;
            let cut = if parts.len() as u64 >= n || at.saturating_add(room) >= seg.end {
                seg.end
            } else {
                // Just after the first newline at or after the byte that fills the part.
                next_line_start(&seg.path, at + room - 1, seg.end)?
            };
            if let Some(p) = parts.last_mut() {
                p.push(Range {
                    seg: i,
                    start: at,
                    end: cut,
                });
            }
            filled += cut - at;
            if cut < seg.end {
                // Cut inside the file: the rest goes to the next part.
                filled = filled.max(target);
            }
            at = cut;
        }
    }
    parts.retain(|p| !p.is_empty());
    Ok(parts)
}

/// The offset just after the first `\n` at or after `from` in the file (`end` if none before).
fn next_line_start(path: &std::path::Path, from: u64, end: u64) -> Result<u64, AgentError> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    f.seek(SeekFrom::Start(from)).map_err(io_err(path))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = from;
    while at < end {
        let want = ((end - at) as usize).min(buf.len());
        let n = f.read(&mut buf[..want]).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(at + i as u64 + 1);
        }
        at += n as u64;
    }
    Ok(end)
}

/// A scanned part: its correlator and, per range, `(segment, end of its complete lines)`.
type PartResult<'h> = (Correlator<'h>, Vec<(usize, u64)>);

/// Reads and scans one part; returns its groups and, per range, where its complete lines end.
fn scan_part<'h>(
    pending: &Pending,
    part: &[Range],
    intel: &Intel<'h>,
    samples_per_hit: usize,
    chunk: usize,
) -> Result<PartResult<'h>, AgentError> {
    let mut c = Correlator::for_intel(intel, samples_per_hit);
    let mut ends = Vec::with_capacity(part.len());
    let mut buf = vec![0u8; chunk.max(1)];
    for r in part {
        let seg = &pending.segments[r.seg];
        let mut consumed = r.start;
        let mut f = std::fs::File::open(&seg.path).map_err(io_err(&seg.path))?;
        f.seek(SeekFrom::Start(r.start))
            .map_err(io_err(&seg.path))?;
        let mut remaining = r.end - r.start;
        let mut carry = 0usize;
        while remaining > 0 {
            if carry == buf.len() {
                // A single line longer than the chunk: grow rather than split it.
                buf.resize(buf.len() * 2, 0);
            }
            let want = ((buf.len() - carry) as u64).min(remaining) as usize;
            let n = f
                .read(&mut buf[carry..carry + want])
                .map_err(io_err(&seg.path))?;
            if n == 0 {
                break;
            }
            remaining -= n as u64;
            let data = &buf[..carry + n];
            let line_start = memchr::memrchr(b'\n', data).map(|i| i + 1).unwrap_or(0);
            c.lines(&data[..line_start]);
            consumed += line_start as u64;
            c.stats.bytes += line_start as u64;
            let tail = data.len() - line_start;
            buf.copy_within(line_start..line_start + tail, 0);
            carry = tail;
        }
        ends.push((r.seg, consumed));
    }
    Ok((c, ends))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::Segment;
    use proptest::prelude::*;

    fn hotlist() -> Hotlist {
        let (h, _) = Hotlist::parse(
            "1.2.3.4 3\n10.0.0.0/8 1\n2001:db8::/32\n",
            "test",
            &Default::default(),
        )
        .unwrap();
        h
    }

    fn event_line(i: usize, ip: &str, proc_: &str) -> String {
        format!(
            r#"{{"ts":"2026-11-23T10:{:02}:{:02}.{:03}Z","kind":"network","source":"t","process":{{"pid":{},"name":"{proc_}","exe":"/usr/bin/{proc_}"}},"network":{{"direction":"outbound","protocol":"tcp","remote_ip":"{ip}","remote_port":{}}}}}"#,
            (i / 60) % 60,
            i % 60,
            i % 1000,
            100 + i % 7,
            1000 + i % 5
        )
    }

    /// A line of one of many shapes: compact hits and misses, pretty-printed, repeated key,
    /// malformed, blank, non-network, unusual addresses.
    fn any_line(kind: u8, i: usize) -> String {
        let ips = [
            "1.2.3.4",
            "10.9.8.7",
            "8.8.8.8",
            "2001:db8::1",
            "::ffff:1.2.3.4",
            "01.2.3.4",
            "1.2.3.4 ",
            "256.1.1.1",
            "",
        ];
        let procs = ["curl", "sshd", ""];
        let ip = ips[i % ips.len()];
        let p = procs[i % procs.len()];
        match kind % 8 {
            0..=2 => event_line(i, ip, p),
            3 => event_line(i, ip, p).replace(r#""remote_ip":""#, r#""remote_ip": ""#),
            4 => format!(
                r#"{{"x":{{"remote_ip":"1.2.3.4"}},"y":{}}}"#,
                event_line(i, ip, p)
            ),
            5 => format!("{{not json remote_ip {i}"),
            6 => "   \r".to_string(),
            _ => format!(
                r#"{{"ts":"2026-11-23T10:00:00Z","kind":"process_exec","source":"t","labels":{{"n":"{i}"}}}}"#
            ),
        }
    }

    /// Issue 5 point 1: a hit from a bundle says which indicator matched (kind, value, source,
    /// score, tags, first/last seen, expiry), and entries that have expired do not match.
    #[test]
    fn hit_names_the_matching_indicator_and_expired_entries_do_not_match() {
        use outpost_intel::bundle::{BundleSpec, build_bundle, verify};
        use outpost_intel::{Indicator, IndicatorValue, IntelSet, SigningKey};
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let mut set = IntelSet::new();
        let mut live = Indicator::new(
            IndicatorValue::Net("203.0.113.0/24".parse().unwrap()),
            "abuse.ch",
        )
        .with_score(Some(8))
        .with_expiry(Some(t("2026-12-01T00:00:00Z")));
        live.tags = vec!["botnet".into(), "emotet".into()];
        live.first_seen = Some(t("2026-10-01T00:00:00Z"));
        live.last_seen = Some(t("2026-11-20T00:00:00Z"));
        set.insert(live);
        set.insert(
            Indicator::new(
                IndicatorValue::Net("198.51.100.9/32".parse().unwrap()),
                "otx",
            )
            .with_score(Some(5))
            .with_expiry(Some(t("2026-11-23T09:00:00Z"))),
        );
        let key = SigningKey::from_bytes(&[7; 32]);
        let spec = BundleSpec {
            version: "v1".into(),
            created: t("2026-11-23T08:00:00Z"),
            ttl: std::time::Duration::from_secs(86_400),
            filter_mode: false,
            source: "tenant-bundle".into(),
        };
        let bytes = build_bundle(&set, &spec, &key).unwrap();
        let b = verify(&bytes, &key.verifying_key(), t("2026-11-23T10:00:00Z")).unwrap();
        let line = |ip: &str| event_line(1, ip, "curl");
        let mut c = Correlator::new(b.hotlist(), 3).at(t("2026-11-23T10:00:00Z"));
        c.line(line("203.0.113.50").as_bytes());
        c.line(line("198.51.100.9").as_bytes());
        let (groups, stats) = c.finish();
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!((stats.matched, stats.expired), (1, 1));
        let m = &groups[0].intel;
        assert_eq!(m.indicator, "203.0.113.0/24");
        assert_eq!(m.kind.as_deref(), Some("ip"));
        assert_eq!((m.source.as_deref(), m.score), (Some("abuse.ch"), Some(8)));
        assert_eq!(m.tags, vec!["botnet", "emotet"]);
        assert_eq!(m.first_seen, Some(t("2026-10-01T00:00:00Z")));
        assert_eq!(m.last_seen, Some(t("2026-11-20T00:00:00Z")));
        assert_eq!(m.expires, Some(t("2026-12-01T00:00:00Z")));
        // Before its expiry the other entry matches too.
        let mut c = Correlator::new(b.hotlist(), 3).at(t("2026-11-23T08:30:00Z"));
        c.line(line("198.51.100.9").as_bytes());
        let (groups, _) = c.finish();
        assert_eq!(groups[0].intel.source.as_deref(), Some("otx"));
        assert_eq!(groups[0].intel.indicator, "198.51.100.9/32");
    }

    /// The reference: every complete line of every segment fed through `Correlator::line`,
    /// one by one, in order.
    fn reference(
        p: &Pending,
        h: &Hotlist,
    ) -> (Vec<Group>, ScanStats, Option<crate::state::Position>) {
        let mut c = Correlator::new(h, 3);
        let mut end = None;
        for seg in &p.segments {
            let data = std::fs::read(&seg.path).unwrap();
            let data = &data[seg.start as usize..seg.end as usize];
            let complete = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
            for line in data[..complete].split(|&b| b == b'\n') {
                c.line(line);
            }
            c.stats.bytes += complete as u64;
            end = Some(crate::state::Position {
                file: seg.name.clone(),
                offset: seg.start + complete as u64,
            });
        }
        let (g, s) = c.finish();
        (g, s, end)
    }

    fn write_pending(dir: &std::path::Path, files: &[(Vec<String>, bool, usize)]) -> Pending {
        let mut segments = Vec::new();
        for (n, (lines, partial_tail, skip)) in files.iter().enumerate() {
            let mut text = String::new();
            for l in lines {
                text.push_str(l);
                text.push('\n');
            }
            if *partial_tail {
                text.push_str(r#"{"ts":"2026-11-23T10:00:00Z","network":{"remote_ip":"1.2.3.4""#);
            }
            let name = format!("events_20261123_{n:02}.jsonl");
            let path = dir.join(&name);
            std::fs::write(&path, &text).unwrap();
            // Start after `skip` complete lines (a previous run's position).
            let start = text
                .match_indices('\n')
                .nth(skip.saturating_sub(1))
                .filter(|_| *skip > 0)
                .map_or(0, |(i, _)| i as u64 + 1);
            segments.push(Segment {
                name,
                path,
                start,
                end: text.len() as u64,
            });
        }
        Pending { segments }
    }

    #[test]
    fn fast_v4_parser_agrees_with_std() {
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.04",
            "1.2.3.400",
            "1111.2.3.4",
            "a.b.c.d",
            "10.0.0.0",
            "1.2.3.-4",
            "+1.2.3.4",
            "",
        ] {
            let std = s.parse::<IpAddr>().ok();
            assert_eq!(parse_ip(s.as_bytes()), std, "{s:?}");
            if let Some(v4) = parse_v4(s.as_bytes()) {
                assert_eq!(Some(IpAddr::V4(v4)), std, "{s:?}");
            }
        }
    }

    #[test]
    fn filter_matches_are_grouped_and_marked_unconfirmed() {
        let d = tempfile::tempdir().unwrap();
        let lines: Vec<String> = (0..300)
            .map(|i| {
                let ip = ["1.2.3.4", "198.51.100.7", "9.9.9.9"][i % 3];
                event_line(i, ip, "curl")
            })
            .collect();
        let p = write_pending(d.path(), &[(lines, false, 0)]);
        let h = hotlist();
        let f = IpFilter::build(["198.51.100.7".parse().unwrap()]).unwrap();
        for threads in [1, 3] {
            let s = scan_with(&p, &h, Some(&f), 3, threads, 1, 512).unwrap();
            assert_eq!(s.stats.matched, 200, "{threads} threads");
            let by_ip: HashMap<String, &Group> = s
                .groups
                .iter()
                .map(|g| (g.remote_ip.unwrap().to_string(), g))
                .collect();
            let exact = by_ip["1.2.3.4"];
            assert!(!exact.unconfirmed);
            assert_eq!(exact.intel.score, Some(3));
            let filtered = by_ip["198.51.100.7"];
            assert!(filtered.unconfirmed);
            assert_eq!(filtered.count, 100);
            assert_eq!(filtered.intel.source.as_deref(), Some("filter"));
            assert!(!by_ip.contains_key("9.9.9.9"));
        }
        // Without the filter only the exact ranges match.
        let s = scan_with(&p, &h, None, 3, 1, 1, 512).unwrap();
        assert_eq!(s.stats.matched, 100);
    }

    #[test]
    fn groups_events_and_samples_in_buffer_order() {
        let d = tempfile::tempdir().unwrap();
        let lines: Vec<String> = (0..400)
            .map(|i| event_line(i, if i % 3 == 0 { "1.2.3.4" } else { "9.9.9.9" }, "curl"))
            .collect();
        let p = write_pending(d.path(), &[(lines, false, 0)]);
        let h = hotlist();
        for threads in [1, 2, 3, 8] {
            let s = scan_with(&p, &h, None, 3, threads, 1, 512).unwrap();
            assert_eq!(s.stats.lines, 400);
            assert_eq!(s.stats.matched, 134);
            assert_eq!(s.groups.len(), 1);
            let g = &s.groups[0];
            assert_eq!(g.count, 134);
            let firsts: Vec<_> = g.samples.iter().map(|e| e.ts).collect();
            let expect: Vec<_> = [0, 3, 6]
                .iter()
                .map(|&i| {
                    serde_json::from_str::<Event>(&event_line(i, "1.2.3.4", "curl"))
                        .unwrap()
                        .ts
                })
                .collect();
            assert_eq!(firsts, expect, "{threads} threads");
            assert_eq!(g.pid, Some(100));
            assert_eq!(g.remote_port, Some(1000));
        }
    }

    proptest! {
        #[test]
        fn fast_v4_parser_never_disagrees_with_std(s in "[0-9.]{0,16}|[0-9.:/a-f +-]{0,18}") {
            let std = s.parse::<IpAddr>().ok();
            if let Some(v4) = parse_v4(s.as_bytes()) {
                prop_assert_eq!(Some(IpAddr::V4(v4)), std);
            }
            prop_assert_eq!(parse_ip(s.as_bytes()), std);
        }

        #[test]
        fn fast_v4_parser_reads_every_canonical_address(a: u32) {
            let ip = std::net::Ipv4Addr::from(a);
            prop_assert_eq!(parse_v4(ip.to_string().as_bytes()), Some(ip));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn parallel_chunked_scan_equals_line_by_line(
            files in prop::collection::vec(
                (prop::collection::vec(any::<u8>(), 0..60), any::<bool>(), 0usize..5),
                1..4,
            ),
            threads in 1usize..5,
            min_part in 1u64..4000,
            chunk in 64usize..3000,
        ) {
            let d = tempfile::tempdir().unwrap();
            let files: Vec<(Vec<String>, bool, usize)> = files
                .into_iter()
                .map(|(kinds, tail, skip)| {
                    let lines = kinds.iter().enumerate().map(|(i, &k)| any_line(k, i * 7 + k as usize)).collect();
                    (lines, tail, skip)
                })
                .collect();
            let p = write_pending(d.path(), &files);
            let h = hotlist();
            let (g, stats, end) = reference(&p, &h);
            let s = scan_with(&p, &h, None, 3, threads, min_part, chunk).unwrap();
            prop_assert_eq!(&s.stats, &stats);
            prop_assert_eq!(&s.end, &end);
            prop_assert_eq!(s.groups, g);
        }
    }

    fn iocs() -> IntelSet {
        use outpost_intel::{Indicator, IndicatorValue};
        let mut set = IntelSet::new();
        for (kind, v) in [
            (IndicatorKind::ProcessName, "evil-tool"),
            (IndicatorKind::ProcessPath, "/opt/x/miner"),
            (IndicatorKind::Sha256, &"ab".repeat(32)),
            (IndicatorKind::Domain, "c2.example"),
            (IndicatorKind::DomainSuffix, "bad.example"),
        ] {
            set.insert(Indicator::new(IndicatorValue::parse(kind, v).unwrap(), "t"));
        }
        set
    }

    /// Lines of every kind the intel of [`iocs`] matches, in increasing time.
    fn ioc_line(k: u8, i: usize) -> String {
        let ts = format!(
            "2026-11-23T10:{:02}:{:02}.{:03}Z",
            (i / 60) % 60,
            i % 60,
            i % 1000
        );
        let exec = |exe: &str, name: &str, hashes: &str| {
            format!(
                r#"{{"ts":"{ts}","kind":"process_exec","source":"t","process":{{"pid":{},"name":"{name}","exe":"{exe}"{hashes}}}}}"#,
                200 + i % 5
            )
        };
        let dns = |q: &str, a: &str, name: &str| {
            format!(
                r#"{{"ts":"{ts}","kind":"dns","source":"t","process":{{"pid":9,"name":"{name}"}},"dns":{{"query":"{q}","answers":["{a}"]}}}}"#
            )
        };
        match k % 10 {
            0 => exec("/usr/bin/evil-tool", "evil-tool", ""),
            1 => exec("/opt/x/miner", "miner", ""),
            2 => exec(
                "C:\\w\\x.exe",
                "x.exe",
                &format!(r#","hashes":{{"sha256":"{}"}}"#, "ab".repeat(32)),
            ),
            3 => exec("/usr/bin/ls", "ls", r#","hashes":{"sha256":"00"}"#),
            4 => dns("c2.example", "198.51.100.1", "app"),
            5 => dns("x.bad.example", "198.51.100.2", "app"),
            6 => dns("good.example", "198.51.100.3", "app"),
            7 => event_line(
                i,
                ["198.51.100.1", "198.51.100.2", "198.51.100.3"][i % 3],
                "curl",
            ),
            8 => event_line(i, "1.2.3.4", "curl"),
            _ => any_line(k, i),
        }
    }

    /// Issue 21: a connection to a listed domain's answer found in the same input is the
    /// domain's (second pass), one to an unlisted name's answer is nothing, and answers from an
    /// earlier run match in the first pass.
    #[test]
    fn connections_to_a_listed_domains_answers_are_its_hits() {
        let d = tempfile::tempdir().unwrap();
        let lines = vec![
            ioc_line(5, 0),
            ioc_line(6, 1),
            event_line(2, "198.51.100.2", "curl"),
            event_line(3, "198.51.100.3", "curl"),
        ];
        let p = write_pending(d.path(), &[(lines, false, 0)]);
        let h = hotlist();
        let set = iocs();
        let mut intel = Intel::ips(&h, None);
        intel.iocs = Some(&set);
        let s = scan_intel_with(&p, &intel, 3, 1, 1, 512).unwrap();
        let kinds: Vec<_> = s
            .groups
            .iter()
            .map(|g| (&g.subject, g.process_name.as_str(), g.remote_ip))
            .collect();
        assert_eq!(s.groups.len(), 2, "{kinds:?}");
        let conn = s.groups.iter().find(|g| g.process_name == "curl").unwrap();
        assert_eq!(conn.remote_ip, Some("198.51.100.2".parse().unwrap()));
        assert_eq!(conn.domain.as_deref(), Some("x.bad.example"));
        assert_eq!(conn.intel.indicator, "*.bad.example");
        assert_eq!(
            s.answers.len(),
            1,
            "only the listed name's answer is remembered"
        );
        // A later run: the remembered answer matches a connection without any lookup in it.
        let d2 = tempfile::tempdir().unwrap();
        let p2 = write_pending(
            d2.path(),
            &[(vec![event_line(9, "198.51.100.2", "wget")], false, 0)],
        );
        let mut later = intel;
        later.answers = Some(&s.answers);
        let s2 = scan_intel_with(&p2, &later, 3, 1, 1, 512).unwrap();
        assert_eq!(s2.groups.len(), 1);
        assert_eq!(s2.groups[0].domain.as_deref(), Some("x.bad.example"));
        // Past its memory the answer attributes nothing.
        later.answer_memory = chrono::Duration::zero();
        let mut old = s.answers.clone();
        for a in old.values_mut() {
            a.until = a.seen;
        }
        later.answers = Some(&old);
        assert!(
            scan_intel_with(&p2, &later, 3, 1, 1, 512)
                .unwrap()
                .groups
                .is_empty()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Issue 21: the parallel, chunked scan of every indicator kind (exec, dns, answered
        /// connections, addresses) finds exactly what one worker reading line by line finds.
        #[test]
        fn parallel_scan_of_every_kind_equals_line_by_line(
            kinds in prop::collection::vec(any::<u8>(), 1..80),
            threads in 2usize..5,
            min_part in 1u64..3000,
            chunk in 64usize..2000,
        ) {
            let d = tempfile::tempdir().unwrap();
            let lines: Vec<String> = kinds.iter().enumerate().map(|(i, &k)| ioc_line(k, i)).collect();
            let p = write_pending(d.path(), &[(lines, false, 0)]);
            let h = hotlist();
            let set = iocs();
            let mut intel = Intel::ips(&h, None);
            intel.iocs = Some(&set);
            let one = scan_intel_with(&p, &intel, 3, 1, u64::MAX, 1 << 20).unwrap();
            let many = scan_intel_with(&p, &intel, 3, threads, min_part, chunk).unwrap();
            prop_assert_eq!(&many.stats, &one.stats);
            prop_assert_eq!(&many.end, &one.end);
            prop_assert_eq!(&many.answers, &one.answers);
            prop_assert_eq!(&many.unhashed, &one.unhashed);
            prop_assert_eq!(many.groups, one.groups);
        }
    }

    /// An exec or DNS event with values chosen to hit and miss [`iocs`], including escapes,
    /// quotes, empty and missing fields, a parent with its own name and path, and hashes in
    /// either case.
    fn fast_path_event(picks: &[u8]) -> Event {
        let pick = |i: usize, from: &[&str]| {
            from[picks[i % picks.len()] as usize % from.len()].to_string()
        };
        let opt = |i: usize, from: &[&str]| {
            let v = picks[i % picks.len()] as usize % (from.len() + 1);
            (v < from.len()).then(|| from[v].to_string())
        };
        let ts: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        let kinds = [
            EventKind::ProcessExec,
            EventKind::ProcessInventory,
            EventKind::Dns,
        ];
        let kind = kinds[picks[0] as usize % kinds.len()];
        let mut ev = Event::new(ts, kind, "t");
        let sha = "ab".repeat(32);
        let sha_upper = "AB".repeat(32);
        let other_sha = "cd".repeat(32);
        let mut p = outpost_core::ProcessInfo {
            pid: 100 + picks[1 % picks.len()] as u32,
            name: opt(
                2,
                &[
                    "evil-tool",
                    "miner",
                    "ls",
                    "x.exe",
                    "",
                    "a\\b",
                    "q\"uote",
                    "ünï",
                    "evil-tool\n",
                ],
            ),
            exe: opt(
                3,
                &[
                    "/usr/bin/evil-tool",
                    "/opt/x/miner",
                    "C:\\w\\x.exe",
                    "rel/bin",
                    "",
                    "/usr/bin/ls",
                    "/p\"q",
                    "/opt/x/miner/",
                ],
            ),
            ..Default::default()
        };
        p.hashes.sha256 = opt(4, &[&sha, &sha_upper, "00", &other_sha]);
        p.hashes.sha1 = opt(5, &["11", &"ef".repeat(20)]);
        p.hashes.md5 = opt(6, &["22"]);
        if picks[7 % picks.len()] % 3 == 0 {
            p.hashes.other.insert("IMPHASH".into(), "33".into());
        }
        if picks[8 % picks.len()] % 2 == 0 {
            p.parent = Some(outpost_core::event::ParentInfo {
                pid: 1,
                name: opt(9, &["evil-tool", "bash"]),
                exe: opt(10, &["/opt/x/miner", "/bin/bash"]),
                command_line: None,
            });
        }
        ev.process = Some(std::sync::Arc::new(p));
        if kind == EventKind::Dns {
            ev.dns = Some(outpost_core::event::DnsInfo {
                query: pick(
                    11,
                    &[
                        "c2.example",
                        "C2.Example.",
                        "x.bad.example",
                        "good.example",
                        "a\\b.example",
                        "q\"x.example",
                        "c2\u{e9}.example",
                    ],
                ),
                answers: vec!["198.51.100.1".into()],
                ..Default::default()
            });
        }
        ev
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// The in-place reading of exec and DNS lines decides exactly as the parsed event:
        /// feeding the line finds the same groups, executables to hash and answers as feeding
        /// the parsed event.
        #[test]
        fn exec_and_dns_lines_read_in_place_decide_as_the_parsed_event(
            picks in prop::collection::vec(any::<u8>(), 12..24),
        ) {
            let ev = fast_path_event(&picks);
            let line = serde_json::to_string(&ev).unwrap();
            let h = hotlist();
            let set = iocs();
            let mut intel = Intel::ips(&h, None);
            intel.iocs = Some(&set);
            let now: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
            let mut fast = Correlator::for_intel(&intel, 3).at(now);
            fast.line(line.as_bytes());
            let mut slow = Correlator::for_intel(&intel, 3).at(now);
            slow.event(serde_json::from_str(&line).unwrap());
            let (g1, _, u1, a1) = fast.finish_all();
            let (g2, _, u2, a2) = slow.finish_all();
            prop_assert_eq!(u1, u2, "{}", line);
            prop_assert_eq!(a1, a2, "{}", line);
            prop_assert_eq!(g1, g2, "{}", line);
        }
    }

    /// The in-place reader takes only the writer's layout and plain or `\\`-escaped strings.
    #[test]
    fn in_place_reading_refuses_what_it_cannot_read_exactly() {
        use super::fast::{exec_fields, only_str};
        let canonical = r#"{"ts":"t","kind":"process_exec","process":{"pid":7,"name":"x","exe":"C:\\a\/b.exe","hashes":{"sha256":"ab","md5":"cd","other":{"I":"1"}}}}"#;
        let f = exec_fields(canonical.as_bytes()).unwrap();
        assert_eq!(f.exe.as_deref(), Some("C:\\a/b.exe"));
        assert_eq!(
            (f.sha256.as_deref(), f.sha1.as_deref(), f.md5.as_deref()),
            (Some("ab"), None, Some("cd"))
        );
        for other in [
            r#"{"process":{"pid": 7,"name":"x","exe":"/x"}}"#,
            r#"{"process":{"pid":7,"exe":"/x","name":"x"}}"#,
            r#"{"process":{"pid":7,"name":"x\u0041","exe":"/x"}}"#,
            r#"{"process":{"pid":7,"name":"x","exe":"/x","hashes":{"md5":"cd","sha256":"ab"}}}"#,
            r#"{"process":{"pid":7,"name":"x","exe":"/x","hashes": {"sha256":"ab"}}}"#,
        ] {
            assert!(exec_fields(other.as_bytes()).is_none(), "{other}");
        }
        assert!(
            only_str(
                br#"{"dns":{"query":"a","x":{"query":"b"}}}"#,
                b"\"query\":\""
            )
            .is_none()
        );
        assert_eq!(only_str(br#"{"dns":{}}"#, b"\"query\":\""), Some(None));
    }
}
