//! Local correlation: match buffered events' remote addresses against the hotlist and group
//! matches by `(remote_ip, process_name)`.
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
use outpost_core::{Direction, Event, IntelMatch, Protocol};
use outpost_intel::Hotlist;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::net::IpAddr;

const KEY: &[u8] = br#""remote_ip":""#;
const CHUNK: usize = 8 * 1024 * 1024;
/// Chunks at least this large are scanned by two threads.
const PARALLEL_MIN: usize = 1024 * 1024;
/// Malformed lines are counted; only the first few are logged.
const MAX_WARNINGS: u64 = 10;

/// Matches of one `(remote_ip, process_name)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub remote_ip: IpAddr,
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
}

/// The result of scanning the pending buffer.
#[derive(Debug, Default)]
pub struct Scan {
    pub groups: Vec<Group>,
    pub stats: ScanStats,
    /// Where the scan stopped: the end of the last complete line of the last segment.
    pub end: Option<crate::state::Position>,
}

/// Groups matches as lines are fed in.
pub struct Correlator<'h> {
    hotlist: &'h Hotlist,
    samples_per_hit: usize,
    groups: HashMap<(IpAddr, String), Group>,
    stats: ScanStats,
    finder: memmem::Finder<'static>,
}

impl<'h> Correlator<'h> {
    pub fn new(hotlist: &'h Hotlist, samples_per_hit: usize) -> Self {
        Correlator {
            hotlist,
            samples_per_hit,
            groups: HashMap::new(),
            stats: ScanStats::default(),
            finder: memmem::Finder::new(KEY),
        }
    }

    /// Feeds one line (without its newline).
    pub fn line(&mut self, line: &[u8]) {
        let line = trim_ascii(line);
        if line.is_empty() {
            return;
        }
        self.stats.lines += 1;
        match self.finder.find(line) {
            Some(at) if self.finder.find(&line[at + KEY.len()..]).is_none() => {
                let rest = &line[at + KEY.len()..];
                let ip = memchr::memchr(b'"', rest)
                    .and_then(|end| std::str::from_utf8(&rest[..end]).ok())
                    .and_then(|s| s.parse::<IpAddr>().ok());
                match ip {
                    Some(ip) if !self.hotlist.contains(ip) => {}
                    // A hit, or a value we could not read cheaply: decide on the parsed event.
                    _ => self.parse_and_match(line),
                }
            }
            // Unusual formatting or repeated key: the slow, exact path.
            _ if memmem::find(line, b"remote_ip").is_some() => self.parse_and_match(line),
            _ => {}
        }
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
        let Some(net) = ev.network.as_ref() else {
            return;
        };
        let Some(ip) = net.remote_ip else { return };
        let Some(entry) = self.hotlist.lookup(ip) else {
            return;
        };
        self.stats.matched += 1;
        let name = ev.process_name().unwrap_or("unknown").to_string();
        let key = (ip, name);
        let ts = ev.ts;
        let samples = self.samples_per_hit;
        let g = self.groups.entry(key.clone()).or_insert_with(|| Group {
            remote_ip: ip,
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
            intel: IntelMatch {
                indicator: entry.net.to_string(),
                source: Some(self.hotlist.source().to_string()).filter(|s| !s.is_empty()),
                score: entry.score,
            },
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
        g.first_seen = g.first_seen.min(ts);
        g.last_seen = g.last_seen.max(ts);
        if g.exe_path.is_none() {
            g.exe_path = ev
                .process
                .as_ref()
                .and_then(|p| p.exe.clone())
                .filter(|e| !e.is_empty());
        }
        if g.samples.len() < samples {
            g.samples.push(ev);
        }
    }

    /// Adds everything `other` saw (it scanned a disjoint part of the input).
    pub fn merge(&mut self, other: Correlator<'_>) {
        self.stats.lines += other.stats.lines;
        self.stats.matched += other.stats.matched;
        self.stats.malformed += other.stats.malformed;
        self.stats.bytes += other.stats.bytes;
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

    /// Feeds every line of `data`, which holds complete lines only.
    fn lines(&mut self, data: &[u8]) {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', data) {
            self.line(&data[start..nl]);
            start = nl + 1;
        }
        if start < data.len() {
            self.line(&data[start..]);
        }
    }

    /// The groups, ordered by first sighting (then address and process), and the counters.
    pub fn finish(self) -> (Vec<Group>, ScanStats) {
        let mut groups: Vec<Group> = self.groups.into_values().collect();
        groups.sort_by(|a, b| {
            (a.first_seen, a.remote_ip, &a.process_name).cmp(&(
                b.first_seen,
                b.remote_ip,
                &b.process_name,
            ))
        });
        (groups, self.stats)
    }
}

impl Group {
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
        let room = samples_per_hit.saturating_sub(self.samples.len());
        self.samples.extend(g.samples.into_iter().take(room));
    }
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

/// Scans all pending buffer data in bounded chunks. Only complete lines are consumed; the
/// returned position is the end of the last complete line.
pub fn scan(
    pending: &Pending,
    hotlist: &Hotlist,
    samples_per_hit: usize,
) -> Result<Scan, AgentError> {
    let mut c = Correlator::new(hotlist, samples_per_hit);
    let mut c2 = Correlator::new(hotlist, samples_per_hit);
    let mut end = None;
    let mut buf = vec![0u8; CHUNK];
    for seg in &pending.segments {
        let mut consumed = seg.start;
        if seg.end > seg.start {
            let mut f = std::fs::File::open(&seg.path).map_err(io_err(&seg.path))?;
            f.seek(SeekFrom::Start(seg.start))
                .map_err(io_err(&seg.path))?;
            let mut remaining = seg.end - seg.start;
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
                let complete = &data[..line_start];
                // Two halves of the chunk, split at a line boundary, scanned in parallel.
                let split = if complete.len() >= PARALLEL_MIN {
                    memchr::memchr(b'\n', &complete[complete.len() / 2..])
                        .map(|i| complete.len() / 2 + i + 1)
                } else {
                    None
                };
                match split {
                    Some(at) => std::thread::scope(|sc| {
                        sc.spawn(|| c2.lines(&complete[at..]));
                        c.lines(&complete[..at]);
                    }),
                    None => c.lines(complete),
                }
                consumed += line_start as u64;
                c.stats.bytes += line_start as u64;
                let tail = data.len() - line_start;
                buf.copy_within(line_start..line_start + tail, 0);
                carry = tail;
            }
        }
        end = Some(crate::state::Position {
            file: seg.name.clone(),
            offset: consumed,
        });
    }
    c.merge(c2);
    let (groups, stats) = c.finish();
    Ok(Scan { groups, stats, end })
}
