//! Matching one parsed event: connections against the hotlist, the filter and remembered
//! answers; exec events against process and hash indicators; DNS queries against domains —
//! and grouping the matches (merged across the scan's workers).

use super::{Answer, Correlator, Group, MAX_UNHASHED, Subject, Unhashed};
use chrono::{DateTime, Utc};
use outpost_core::event::basename;
use outpost_core::{Direction, Event, EventKind, IntelMatch, Protocol};
use outpost_intel::{Indicator, IndicatorKind, IndicatorLookup};
use std::net::IpAddr;

/// See [`Correlator::exec_match`].
#[derive(Debug, Default)]
pub(super) struct ExecMatch {
    /// The process indicator the name or path matched.
    pub process: Option<Indicator>,
    /// The hash indicator one of the hashes matched.
    pub hash: Option<Indicator>,
    /// No hash matched and there is no SHA-256 while the executable's path is absolute: the
    /// file is to be hashed.
    pub unhashed: bool,
}

impl ExecMatch {
    /// Whether the event needs parsing: something matched, or its executable is to be hashed.
    pub fn any(&self) -> bool {
        self.process.is_some() || self.hash.is_some() || self.unhashed
    }
}

impl<'h> Correlator<'h> {
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

    /// What an exec event's process name and path and its executable's hashes are to the
    /// intel's process and hash indicators. The one decision for both readings of an exec
    /// line: [`Correlator::exec`] on the parsed event, and the correlator's in-place test of
    /// whether a line must be parsed at all (`exec_may_match`), so the two cannot disagree.
    /// `name` and `exe` are the process record's fields as written, `hashes` its SHA-256,
    /// SHA-1 and MD5.
    pub(super) fn exec_match(
        &self,
        set: &dyn IndicatorLookup,
        name: Option<&str>,
        exe: Option<&str>,
        hashes: [Option<&str>; 3],
    ) -> ExecMatch {
        let path = exe.filter(|e| !e.is_empty());
        // What `Event::process_name` says: the name, else the executable's.
        let name = match name {
            Some(n) if !n.is_empty() => n,
            _ => exe.map(basename).unwrap_or("unknown"),
        };
        let mut m = ExecMatch::default();
        if self.kinds.process {
            // The executable's own name first: `comm` is cut at 15 bytes on Linux.
            let exe_name = path.map(basename).unwrap_or("");
            m.process = set
                .process_at(exe_name, path, self.now)
                .or_else(|| set.process_at(name, None, self.now));
        }
        if self.kinds.hash {
            m.hash = hashes
                .into_iter()
                .flatten()
                .find_map(|h| set.hash_at(h, self.now));
            // Not hashed yet: kept for the caller to hash the file.
            m.unhashed = m.hash.is_none()
                && hashes[0].is_none()
                && path.is_some_and(|e| std::path::Path::new(e).is_absolute());
        }
        m
    }

    /// An exec event: its process name and path, and its executable's hashes.
    fn exec(&mut self, ev: Event) {
        let Some(set) = self.iocs else { return };
        let Some(p) = ev.process.as_deref() else {
            return;
        };
        let h = &p.hashes;
        let m = self.exec_match(
            set,
            p.name.as_deref(),
            p.exe.as_deref(),
            [h.sha256.as_deref(), h.sha1.as_deref(), h.md5.as_deref()],
        );
        let name = ev.process_name().unwrap_or("unknown").to_string();
        let sha = h.sha256.clone();
        for ind in [m.process, m.hash].into_iter().flatten() {
            let subject = Subject::Indicator {
                kind: ind.value.kind(),
                value: ind.value.to_string(),
            };
            let m = clean(ind.to_intel_match());
            self.add(subject, &ev, name.clone(), m, None, None, sha.clone());
        }
        if m.unhashed
            && let Some(exe) = p.exe.clone()
        {
            self.unhashed_event(exe, name, ev);
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
    pub(super) fn absorb(&mut self, g: Group, samples_per_hit: usize) {
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
