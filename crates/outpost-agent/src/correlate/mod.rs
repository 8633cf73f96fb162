//! Local correlation: match buffered events against the intel and group matches by
//! `(indicator, process_name)` — remote addresses against the hotlist (grouped by
//! `(remote_ip, process_name)`, as hits have always been grouped), and, when the bundle carries them, executable
//! hashes and process names/paths against exec events, queried names against `dns` events,
//! and connections against the addresses a listed domain was answered with.
//!
//! This is the agent's hot path (a run may scan an hour of a busy host's events). A line is
//! parsed in full only when it matches: for every other line the remote address is read
//! straight from the bytes after the key `"remote_ip":"`, which the buffer writer always emits
//! in that compact form. Lines that mention `remote_ip` in another form (a hand-written or
//! pretty-printed buffer) take the slow path and are parsed, so the result never depends on
//! formatting. Input is read in bounded chunks, so memory stays flat whatever the buffer size.
//! The line format and its in-place readers are `outpost_sensors::line`, beside the encoder
//! that writes it (their contract is tested there).
//!
//! Files: this one feeds lines and decides which to parse (`Correlator::line`, the batched
//! `lines`); `matching.rs` matches a parsed event and groups it; `scan.rs` splits the pending
//! buffer among workers and merges their correlators; `tests.rs` holds the reference-model
//! property tests.

use chrono::{DateTime, Utc};
use memchr::memmem;
use outpost_core::{Direction, Event, IntelMatch, Protocol};
use outpost_intel::bundle::IpFilter;
use outpost_intel::{Hotlist, IndicatorKind, IndicatorLookup};
use outpost_sensors::line::{
    self as buffer_line, KindAt, REMOTE_IP_KEY as KEY, remote_ip_after_key, trim_ascii,
};
use std::collections::HashMap;
use std::net::IpAddr;

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
                match remote_ip_after_key(&line[at + KEY.len()..]) {
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

    /// Whether an exec line (as the buffer writer lays it out) may match: the decision of
    /// [`Correlator::exec`] ([`Correlator::exec_match`]) on its process name and path and its
    /// hashes read in place. `true` whenever that reading is not exact (escaped strings,
    /// another layout).
    fn exec_may_match(&self, line: &[u8]) -> bool {
        let Some(set) = self.iocs else { return false };
        let Some(f) = buffer_line::exec_fields(line) else {
            return true;
        };
        let hashes = [f.sha256.as_deref(), f.sha1.as_deref(), f.md5.as_deref()];
        self.exec_match(set, f.name.as_deref(), f.exe.as_deref(), hashes)
            .any()
    }

    /// Whether a DNS line may match: its queried name read in place is a listed domain (what
    /// [`Correlator::dns`] looks up). `true` whenever that reading is not exact.
    fn dns_may_match(&self, line: &[u8]) -> bool {
        let Some(set) = self.iocs else { return false };
        match buffer_line::dns_query(line) {
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
        let kind = match buffer_line::kind_at(line) {
            KindAt::Head(kind) => kind,
            // Unusual formatting: decide on the parsed event.
            KindAt::Elsewhere => return Wanted::Parse,
            KindAt::Absent => return Wanted::No,
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
        match buffer_line::parse(line) {
            Ok(ev) => self.event(ev),
            Err(e) => {
                self.stats.malformed += 1;
                if self.stats.malformed <= MAX_WARNINGS {
                    tracing::warn!(error = %e, line = %String::from_utf8_lossy(&line[..line.len().min(200)]), "skipping malformed buffer line");
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
                    let ip = remote_ip_after_key(&data[at + KEY.len()..end]);
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

mod matching;
mod scan;

pub use scan::{MAX_THREADS, scan, scan_filtered, scan_intel};

#[cfg(test)]
mod tests;
