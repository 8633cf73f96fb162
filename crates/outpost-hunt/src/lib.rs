//! `outpost hunt`: Sigma and Outpost rules over log files, offline.
//!
//! 1. [`load_rules`]: every rule file under the `--rules` directories is compiled on its own by
//!    `outpost-detect` (Sigma and native YAML rules); what cannot be loaded is listed with the
//!    reason ([`NotLoaded`]), never silently dropped, and never stops the hunt.
//! 2. [`collect_inputs`]: the paths, directories walked recursively; [`input::sniff`] detects
//!    each file's format from its content (EVTX, auditd, Outpost JSON lines).
//! 3. [`hunt`]: files are read in parallel (one worker per core, largest files first), every
//!    event goes through the rule set's index (kind, event id, anchor literals) so only candidate
//!    rules are evaluated, and each match becomes a [`Detection`]. Detections come back sorted
//!    as a timeline.
//! 4. [`output`]: a table, JSON lines or CSV.
//!
//! A large EVTX file is hunted by every worker at once as interleaved parts of its chunks
//! (`outpost_oslog::read_evtx_part`) and merged back per file. Matches of rules that feed Sigma
//! correlation rules run through the correlations in timeline order after all files. A broken
//! file, an unsupported Sigma rule, a counting rule or a duplicate id is a [`NotLoaded`] with its
//! reason.

#![warn(missing_docs)]

pub mod input;
pub mod output;
pub mod rules;

pub use input::{Format, InputFile, PathProblem, collect_inputs};
pub use outpost_detect::SigmaOptions;
pub use outpost_detect::sigma::parse_placeholders;
pub use rules::{
    LoadedRules, NotLoaded, RuleFilter, RulesError, correlation_level, load_rules, rule_level,
};

use chrono::{DateTime, Utc};
use outpost_core::Event;
use outpost_detect::{CorrelationState, RuleSet};
use outpost_oslog::{EvtxPart, IngestOptions};

/// EVTX layout: file header and chunk sizes.
const EVTX_HEADER: u64 = 4096;
const EVTX_CHUNK: u64 = 65536;
/// A large EVTX file is read in parts when each part gets at least this many chunks.
const MIN_CHUNKS_PER_PART: u64 = 4;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A Sigma level, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `informational`
    Informational,
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    /// Parses a level name (`info` is accepted for `informational`).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// One rule matching one event.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The file the event came from, as given or found.
    pub file: String,
    /// The event (shared by all the detections of one event).
    pub event: Arc<Event>,
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Rule level.
    pub level: Level,
    /// Rule tags (ATT&CK and others).
    pub tags: Vec<String>,
    /// The fields that made the rule match, with the event's values (Sigma names for EVTX
    /// fields; the logsource's channel and event id are left out, they have their own columns).
    /// For a correlation: its group-by fields and their values.
    pub matched: Vec<(String, String)>,
    /// For a Sigma correlation rule: what fired it (the event is the match that completed it).
    pub correlation: Option<CorrelationInfo>,
}

/// What made a correlation rule fire.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationInfo {
    /// `event_count`, `value_count`, `temporal`, `temporal_ordered`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The count the condition held on (matches, distinct values or rules).
    pub count: u64,
    /// Time of the first match of the window.
    pub first: DateTime<Utc>,
    /// The matches (file, record id, rule id), oldest first (at most 64).
    pub events: Vec<CorrelatedEvent>,
}

/// One match that made a correlation fire.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelatedEvent {
    /// File.
    pub file: String,
    /// Record id.
    pub record_id: Option<u64>,
    /// Event time.
    pub time: DateTime<Utc>,
    /// The referred rule that matched.
    pub rule_id: String,
}

impl Detection {
    /// The event time.
    pub fn time(&self) -> DateTime<Utc> {
        self.event.ts
    }

    /// The log record id (EVTX record id, audit serial), if any.
    pub fn record_id(&self) -> Option<u64> {
        self.event.log.as_ref().and_then(|l| l.record_id)
    }

    /// The computer (log header), else the `host` label.
    pub fn computer(&self) -> &str {
        self.event
            .log
            .as_ref()
            .and_then(|l| l.computer.as_deref())
            .or_else(|| self.event.labels.get("host").map(String::as_str))
            .unwrap_or("")
    }

    /// The channel, if the event came from a log.
    pub fn channel(&self) -> &str {
        self.event
            .log
            .as_ref()
            .map(|l| l.channel.as_str())
            .unwrap_or("")
    }

    /// The event id, if any.
    pub fn event_id(&self) -> Option<u32> {
        self.event.log.as_ref().and_then(|l| l.event_id)
    }

    /// ATT&CK tags only (`attack.*`).
    pub fn attack_tags(&self) -> Vec<&str> {
        self.tags
            .iter()
            .map(String::as_str)
            .filter(|t| t.starts_with("attack."))
            .collect()
    }

    fn sort_key(&self) -> (DateTime<Utc>, &str, Option<u64>, &str) {
        (self.time(), &self.file, self.record_id(), &self.rule_id)
    }
}

/// Options of a hunt over files.
#[derive(Debug, Clone, Default)]
pub struct HuntOptions {
    /// Only events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events at or before this time.
    pub to: Option<DateTime<Utc>>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Reader options (WFP drive map).
    pub ingest: IngestOptions,
    /// Per rule of the set: are its matches shown as detections? `None`: every rule but
    /// those a correlation refers to without `generate: true` ([`LoadedRules::emit`]).
    pub emit: Option<Vec<bool>>,
}

/// A file that was not read.
#[derive(Debug, Clone, Serialize)]
pub struct FileProblem {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Counters of a hunt, for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HuntStats {
    /// Files read, by format.
    pub files_read: BTreeMap<String, u64>,
    /// Files found by walking a directory whose content is not a log this hunt reads.
    pub files_skipped: Vec<String>,
    /// Files that could not be read (or, named on the command line, are not a log).
    pub files_failed: Vec<FileProblem>,
    /// Records read.
    pub records: u64,
    /// Events evaluated (after `--from/--to`).
    pub events: u64,
    /// Events outside `--from/--to`.
    pub events_out_of_range: u64,
    /// Malformed records skipped.
    pub malformed: u64,
    /// Detections per level.
    pub detections: BTreeMap<Level, u64>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Large EVTX files read by several threads at once (in parts of their chunks).
    pub files_split: u64,
    /// Correlation groups dropped to stay within the memory bound (a correlation may have
    /// missed).
    pub correlation_evictions: u64,
}

impl HuntStats {
    /// Files read in all formats.
    pub fn files_read_total(&self) -> u64 {
        self.files_read.values().sum()
    }

    /// All detections.
    pub fn detections_total(&self) -> u64 {
        self.detections.values().sum()
    }
}

/// Live progress of a hunt (read by a progress bar from another thread).
#[derive(Debug, Default)]
pub struct Progress {
    /// Files finished.
    pub files_done: AtomicUsize,
    /// Bytes of finished files plus bytes read so far of open ones.
    pub bytes_done: AtomicU64,
    /// Total bytes of the listed files.
    pub bytes_total: AtomicU64,
    /// Records read so far.
    pub records: AtomicU64,
    /// Detections so far.
    pub detections: AtomicU64,
}

/// The outcome of [`hunt`].
#[derive(Debug)]
pub struct HuntResult {
    /// Every detection, sorted by event time, file, record id, rule id.
    pub detections: Vec<Detection>,
    /// Counters.
    pub stats: HuntStats,
}

/// A match of a rule that feeds correlations, kept for the correlation pass.
struct CorrInput {
    file: Arc<str>,
    event: Arc<Event>,
    rule: usize,
}

struct FileOutcome {
    format: Option<Format>,
    read: input::ReadStats,
    out_of_range: u64,
    detections: Vec<Detection>,
    corr: Vec<CorrInput>,
    /// Work items merged into this outcome (parts of a split file).
    parts: u64,
    error: Option<String>,
    skipped: bool,
}

/// A matched field's display name: the Sigma name for log fields (`log.fields.CommandLine` →
/// `CommandLine`, `log.provider` → `Provider_Name`), the Outpost path otherwise.
fn sigma_name(path: String) -> String {
    if let Some(n) = path.strip_prefix("log.fields.") {
        return n.to_string();
    }
    match path.as_str() {
        "log.provider" => "Provider_Name".into(),
        "log.computer" => "Computer".into(),
        "log.record_id" => "EventRecordID".into(),
        _ => path,
    }
}

/// Evaluates the rules on every event of one file.
fn hunt_file(
    f: &InputFile,
    part: Option<EvtxPart>,
    rules: &RuleSet,
    levels: &[Level],
    emit: &[bool],
    opts: &HuntOptions,
    progress: &Progress,
) -> FileOutcome {
    let mut out = FileOutcome {
        format: None,
        read: input::ReadStats::default(),
        out_of_range: 0,
        detections: Vec::new(),
        corr: Vec::new(),
        parts: 1,
        error: None,
        skipped: false,
    };
    let format = match input::sniff(&f.path) {
        Ok(Some(fm)) => fm,
        Ok(None) => {
            if f.explicit {
                out.error = Some(
                    "not a log file Outpost can read (EVTX, auditd, Outpost JSON lines)".into(),
                );
            } else {
                out.skipped = true;
            }
            return out;
        }
        Err(e) => {
            out.error = Some(format!("cannot read: {e}"));
            return out;
        }
    };
    out.format = Some(format);
    let file = f.path.display().to_string();
    let file_arc: Arc<str> = Arc::from(file.as_str());
    let corrs = rules.correlations();
    let mut last_bytes = 0u64;
    let mut records_seen = 0u64;
    let mut sink = |e: Event| {
        records_seen += 1;
        if opts.from.is_some_and(|t| e.ts < t) || opts.to.is_some_and(|t| e.ts > t) {
            out.out_of_range += 1;
            return;
        }
        let mut hits: Vec<(usize, &outpost_detect::CompiledRule)> = Vec::new();
        rules.for_each_match(&e, |i, r| hits.push((i, r)));
        if hits.is_empty() {
            return;
        }
        let ev = Arc::new(e);
        for (i, r) in hits {
            if corrs.feeds(i) {
                out.corr.push(CorrInput {
                    file: file_arc.clone(),
                    event: ev.clone(),
                    rule: i,
                });
            }
            if !emit.get(i).copied().unwrap_or(true) {
                continue;
            }
            let level = levels.get(i).copied().unwrap_or_else(|| rule_level(r));
            let matched = r
                .cond
                .matched_fields(&ev)
                .into_iter()
                .filter(|(k, _)| k != "log.channel" && k != "log.event_id")
                .map(|(k, v)| (sigma_name(k), v))
                .collect();
            out.detections.push(Detection {
                file: file.clone(),
                event: ev.clone(),
                rule_id: r.id.clone(),
                title: r.name.clone(),
                level,
                tags: r.tags.clone(),
                matched,
                correlation: None,
            });
            progress.detections.fetch_add(1, Ordering::Relaxed);
        }
    };
    // A part of a split file accounts for its share of the file's bytes.
    let (share, parts) = match part {
        Some(p) if p.count > 1 => (f.size / p.count, p.count),
        _ => (f.size, 1),
    };
    let mut on_progress = |b: u64| {
        let b = (b / parts).min(share);
        if b > last_bytes {
            progress
                .bytes_done
                .fetch_add(b - last_bytes, Ordering::Relaxed);
            last_bytes = b;
        }
    };
    let res = input::read_events_part(
        &f.path,
        format,
        part,
        &opts.ingest,
        &mut on_progress,
        &mut sink,
    );
    progress.records.fetch_add(records_seen, Ordering::Relaxed);
    if share > last_bytes {
        progress
            .bytes_done
            .fetch_add(share - last_bytes, Ordering::Relaxed);
    }
    match res {
        Ok(st) => out.read = st,
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

/// Runs the rules over the files, in parallel, and returns the detections as a timeline.
/// A file that cannot be read is recorded in [`HuntStats::files_failed`] and the hunt goes on.
pub fn hunt(
    files: &[InputFile],
    rules: &RuleSet,
    opts: &HuntOptions,
    progress: &Progress,
) -> HuntResult {
    let start = std::time::Instant::now();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    }
    .max(1);
    let levels: Vec<Level> = rules.rules().iter().map(rule_level).collect();
    let emit: Vec<bool> = match &opts.emit {
        Some(v) => v.clone(),
        None => (0..rules.len())
            .map(|i| !rules.correlations().is_quiet(i))
            .collect(),
    };
    // Work items: whole files, and large EVTX files cut into interleaved parts of their
    // chunks (one per thread) so one big file uses every core.
    let mut items: Vec<(usize, Option<EvtxPart>)> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let chunks = f.size.saturating_sub(EVTX_HEADER) / EVTX_CHUNK;
        let parts = (threads as u64).min(chunks / MIN_CHUNKS_PER_PART);
        if threads > 1 && parts > 1 && matches!(input::sniff(&f.path), Ok(Some(Format::Evtx))) {
            for k in 0..parts {
                items.push((
                    i,
                    Some(EvtxPart {
                        index: k,
                        count: parts,
                    }),
                ));
            }
        } else {
            items.push((i, None));
        }
    }
    let threads = threads.clamp(1, items.len().max(1));
    // Largest first (a part counts as its share), so the last item to start is a small one.
    let weight = |&(i, p): &(usize, Option<EvtxPart>)| {
        files
            .get(i)
            .map_or(0, |f| f.size / p.map_or(1, |p| p.count.max(1)))
    };
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| weight(&items[b]).cmp(&weight(&items[a])).then(a.cmp(&b)));
    progress
        .bytes_total
        .store(files.iter().map(|f| f.size).sum(), Ordering::Relaxed);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, FileOutcome)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&it) = order.get(k) else { break };
                    let Some(&(i, part)) = items.get(it) else {
                        break;
                    };
                    let Some(f) = files.get(i) else { break };
                    let o = hunt_file(f, part, rules, &levels, &emit, opts, progress);
                    if part.is_none_or(|p| p.index == 0) {
                        progress.files_done.fetch_add(1, Ordering::Relaxed);
                    }
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((it, o));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(it, _)| *it);
    // Parts of one file back together.
    let mut merged: Vec<(usize, FileOutcome)> = Vec::with_capacity(files.len());
    for (it, o) in results {
        let Some(&(i, part)) = items.get(it) else {
            continue;
        };
        match merged.last_mut() {
            Some((j, m)) if *j == i && part.is_some_and(|p| p.index > 0) => {
                m.read.records += o.read.records;
                m.read.events += o.read.events;
                m.read.malformed += o.read.malformed;
                m.out_of_range += o.out_of_range;
                m.detections.extend(o.detections);
                m.corr.extend(o.corr);
                if m.error.is_none() {
                    m.error = o.error;
                }
                m.parts += 1;
            }
            _ => merged.push((i, o)),
        }
    }
    let mut stats = HuntStats {
        threads,
        ..Default::default()
    };
    let mut detections = Vec::new();
    let mut corr_inputs = Vec::new();
    for (i, o) in merged {
        if o.parts > 1 {
            stats.files_split += 1;
        }
        let path = files
            .get(i)
            .map(|f| f.path.display().to_string())
            .unwrap_or_default();
        if o.skipped {
            stats.files_skipped.push(path);
            continue;
        }
        if let Some(fm) = o.format
            && (o.error.is_none() || o.read.records > 0)
        {
            *stats.files_read.entry(fm.as_str().to_string()).or_default() += 1;
        }
        if let Some(reason) = o.error {
            stats.files_failed.push(FileProblem { path, reason });
        }
        stats.records += o.read.records;
        stats.events += o.read.events.saturating_sub(o.out_of_range);
        stats.events_out_of_range += o.out_of_range;
        stats.malformed += o.read.malformed;
        for d in &o.detections {
            *stats.detections.entry(d.level).or_default() += 1;
        }
        detections.extend(o.detections);
        corr_inputs.extend(o.corr);
    }
    if !corr_inputs.is_empty() {
        let (found, evicted) = correlate(rules, corr_inputs);
        stats.correlation_evictions = evicted;
        for d in &found {
            *stats.detections.entry(d.level).or_default() += 1;
            progress.detections.fetch_add(1, Ordering::Relaxed);
        }
        detections.extend(found);
    }
    detections.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    stats.seconds = start.elapsed().as_secs_f64();
    HuntResult { detections, stats }
}

/// Bound on correlation groups in a hunt (all correlations together).
const HUNT_MAX_GROUPS: usize = 1_000_000;

/// Runs the correlation rules over the matches of the rules they refer to, in timeline order
/// (event time, file, record id, rule), as one stream: the same result whatever the number of
/// threads or the order files were read in.
fn correlate(rules: &RuleSet, mut inputs: Vec<CorrInput>) -> (Vec<Detection>, u64) {
    inputs.sort_by(|a, b| {
        let rec = |x: &CorrInput| x.event.log.as_ref().and_then(|l| l.record_id);
        (a.event.ts, &*a.file, rec(a), a.rule).cmp(&(b.event.ts, &*b.file, rec(b), b.rule))
    });
    let corrs = rules.correlations();
    let state = CorrelationState::new(HUNT_MAX_GROUPS);
    let mut out = Vec::new();
    let mut fired = |c: &outpost_detect::correlation::Correlation,
                     h: outpost_detect::correlation::CorrelationHit| {
        let Some(last) = inputs.get(h.last as usize) else {
            return;
        };
        let events = h
            .tokens
            .iter()
            .filter_map(|&t| inputs.get(t as usize))
            .map(|x| CorrelatedEvent {
                file: x.file.to_string(),
                record_id: x.event.log.as_ref().and_then(|l| l.record_id),
                time: x.event.ts,
                rule_id: rules
                    .rules()
                    .get(x.rule)
                    .map(|r| r.id.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let first = DateTime::<Utc>::from_timestamp_millis(h.first_ms).unwrap_or(last.event.ts);
        out.push(Detection {
            file: last.file.to_string(),
            event: last.event.clone(),
            rule_id: c.def.id.clone(),
            title: c.def.title.clone(),
            level: correlation_level(&c.def),
            tags: c.def.tags.clone(),
            matched: h.group.clone(),
            correlation: Some(CorrelationInfo {
                kind: c.def.kind.as_str(),
                count: h.count,
                first,
                events,
            }),
        });
    };
    for (k, x) in inputs.iter().enumerate() {
        corrs.on_match(&state, "", x.rule, &x.event, k as u64, &mut fired);
    }
    corrs.flush(&state, &mut fired);
    (out, state.evictions())
}
