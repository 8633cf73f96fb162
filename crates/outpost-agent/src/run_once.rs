//! `outpost agent run-once`: one pass of the endpoint pipeline (collect, correlate, upload), then exit.

use crate::AgentError;
use crate::buffer::{self, PruneReport};
use crate::config::AgentConfig;
use crate::correlate::{self, Group, ScanStats};
use crate::enrich::{self, HashCache};
use crate::state::State;
use crate::upload::{Client, FlushReport, Spool};
use chrono::{DateTime, Utc};
use outpost_core::{Hit, HitPayload};
use outpost_intel::Hotlist;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The time the run considers "now" (tests pin it).
    pub now: DateTime<Utc>,
    /// Correlate whatever is pending, ignoring the processing window.
    pub force: bool,
    /// Use this hotlist instead of the configured one (and instead of the intel bundle).
    pub hotlist: Option<PathBuf>,
    /// With a pinned intel key: fetch the tenant's bundle from the server before correlating
    /// (the daemon leaves this to its check-in thread).
    pub fetch_intel: bool,
    /// Read new records of the configured OS-log sources (EVTX files, audit logs, Windows
    /// channels) before correlating. The daemon turns it off while it is over its own CPU or
    /// memory cap: the records stay in their logs and are read later, nothing is lost.
    pub poll_os_logs: bool,
    /// Pace the hashing of executables for hash indicators by waiting (a run-once). The
    /// daemon, whose pass holds up its event consumer, never waits: a pass hashes at most a
    /// second's budget and counts the rest as `hashes_skipped_budget` (it hashed most
    /// executables as they started).
    pub hash_wait: bool,
    /// The client of the server to call (bundle fetch, confirmations, uploads): the daemon's
    /// one client, kept between passes. `None`: the run makes its own.
    pub client: Option<Client>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            now: Utc::now(),
            force: false,
            hotlist: None,
            fetch_intel: true,
            hash_wait: true,
            poll_os_logs: true,
            client: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Whether the processing window was reached (or forced).
    pub correlated: bool,
    /// Why the run did or did not correlate.
    pub reason: String,
    pub hotlist_version: Option<String>,
    /// The intel bundle cache's state, when a key is pinned.
    pub intel: Option<outpost_core::api::IntelStatus>,
    /// Matches the server was asked to confirm, and how many it did not.
    pub confirm_asked: usize,
    pub confirm_refuted: usize,
    pub scan: ScanStats,
    pub hits: usize,
    pub hashes_computed: u64,
    pub batches_spooled: usize,
    /// Full-telemetry streaming, when enabled.
    pub telemetry: Option<crate::telemetry::StreamReport>,
    pub batches_dropped: u64,
    pub flush: FlushReport,
    pub pruned: PruneReport,
    /// What the OS-log sources delivered, when any are configured.
    pub sources: Option<outpost_oslog::IngestStats>,
    /// The digests the intel's hash indicators need (`None`: it holds none), so the daemon
    /// knows whether to hash executables as they start.
    pub want_hashes: Option<crate::enrich::Want>,
}

/// Runs the pipeline once over `data_dir`, holding the data directory's lock (see
/// [`crate::lock`]): refused at once while a daemon, another run or an ingest uses it.
pub fn run_once(data_dir: &Path, opts: &RunOptions) -> Result<RunReport, AgentError> {
    let _lock = crate::lock::lock_data_dir(data_dir)?;
    repair_buffer(data_dir)?;
    run_once_locked(data_dir, opts)
}

/// Cuts torn buffer tails back (see [`buffer::repair_torn_tails`]) and counts them in
/// `state.json`. Only for a process that holds the lock and has no buffer writer open yet.
pub fn repair_buffer(data_dir: &Path) -> Result<buffer::TornReport, AgentError> {
    let torn = buffer::repair_torn_tails(data_dir)?;
    if torn.files > 0 {
        let mut state = State::load(data_dir)?;
        state.counters.torn_tails_repaired += torn.files;
        state.counters.torn_bytes_removed += torn.bytes;
        state.save(data_dir)?;
    }
    Ok(torn)
}

/// [`run_once`] for a process that already holds the lock (the daemon's passes).
pub fn run_once_locked(data_dir: &Path, opts: &RunOptions) -> Result<RunReport, AgentError> {
    let cfg = AgentConfig::load(data_dir)?;
    let id = cfg.identity()?;
    let client = match &opts.client {
        Some(c) => c.clone(),
        None => Client::new(&id.server_url, Duration::from_secs(cfg.upload.timeout_secs)),
    };
    let run = Run {
        data_dir,
        cfg: &cfg,
        id: &id,
        opts,
        client: &client,
    };
    let mut state = State::load(data_dir)?;
    let spool = Spool::open(data_dir)?;
    spool.recover(data_dir, &mut state)?;
    // New OS-log records join the buffer first, so this run can correlate them.
    let mut report = RunReport {
        sources: run.poll_os_logs()?,
        ..RunReport::default()
    };
    // Streaming turned on: it starts where correlation stands now (before this run reads on).
    if cfg.upload.full_telemetry && state.telemetry_position.is_none() {
        state.telemetry_position = Some(state.position.clone().unwrap_or_default());
    }
    let pending = buffer::pending(data_dir, state.position.as_ref())?;
    let oldest = buffer::first_pending_event(&pending)?.map(|e| e.ts);
    let (due, reason) = processing_window(&cfg, opts, pending.bytes(), oldest);
    report.reason = reason;
    report.correlated = due;
    if due {
        match intel_source(data_dir, &cfg, &id, opts, &client)? {
            Ok((source, intel_status)) => {
                report.intel = intel_status;
                run.correlate(&source, &pending, &spool, &mut state, &mut report)?;
            }
            Err(why) => {
                report.correlated = false;
                report.reason = why;
            }
        }
    }

    report.batches_dropped = spool.enforce_cap(cfg.upload.max_spool_bytes)?;
    state.counters.batches_dropped_spool_full += report.batches_dropped;
    run.upload(&spool, &mut state, &mut report)?;
    run.prune(&mut state, &mut report)?;
    state.counters.runs += 1;
    state.last_run_utc = Some(opts.now);
    state.save(data_dir)?;
    Ok(report)
}

/// Whether the processing window is reached, and why (or why not): something is pending
/// and the run is forced, or the pending bytes passed the threshold, or the oldest pending
/// event is old enough.
fn processing_window(
    cfg: &AgentConfig,
    opts: &RunOptions,
    pending_bytes: u64,
    oldest: Option<DateTime<Utc>>,
) -> (bool, String) {
    let min_age = chrono::Duration::minutes(cfg.window.min_age_minutes as i64);
    if pending_bytes == 0 {
        (false, "buffer has no unprocessed events".to_string())
    } else if opts.force {
        (true, "forced (--now)".to_string())
    } else if pending_bytes >= cfg.window.max_buffer_bytes {
        (
            true,
            format!(
                "{pending_bytes} unprocessed bytes reached the {} byte threshold",
                cfg.window.max_buffer_bytes
            ),
        )
    } else {
        match oldest {
            Some(t) if opts.now - t >= min_age => (
                true,
                format!(
                    "oldest unprocessed event is {} min old",
                    (opts.now - t).num_minutes()
                ),
            ),
            Some(t) => (
                false,
                format!(
                    "oldest unprocessed event is {} min old (< {} min) and {pending_bytes} bytes are buffered",
                    (opts.now - t).num_minutes(),
                    cfg.window.min_age_minutes
                ),
            ),
            // Only unparseable lines pending: process them so they are counted and passed.
            None => (true, "pending lines hold no readable event".to_string()),
        }
    }
}

/// What every step of one run reads.
struct Run<'a> {
    data_dir: &'a Path,
    cfg: &'a AgentConfig,
    id: &'a crate::config::Identity,
    opts: &'a RunOptions,
    client: &'a Client,
}

impl Run<'_> {
    /// New records of the configured OS-log sources into the buffer (unless the daemon is
    /// over its caps); `None` when no source is configured or polling is off.
    fn poll_os_logs(&self) -> Result<Option<outpost_oslog::IngestStats>, AgentError> {
        let src = &self.cfg.sources;
        let has_sources =
            !(src.evtx.is_empty() && src.audit_logs.is_empty() && src.windows_channels.is_empty());
        if has_sources && self.opts.poll_os_logs {
            return Ok(Some(crate::ingest::poll_sources(self.data_dir, src)?));
        }
        Ok(None)
    }

    /// The due run's work: scan the pending buffer against `source`, hash and match exec
    /// events for hash indicators, confirm what must be confirmed, enrich and bound the hits,
    /// and spool them in batches together with the advanced position.
    fn correlate(
        &self,
        source: &Source,
        pending: &buffer::Pending,
        spool: &Spool,
        state: &mut State,
        report: &mut RunReport,
    ) -> Result<(), AgentError> {
        let (cfg, opts) = (self.cfg, self.opts);
        let t = std::time::Instant::now();
        let (hotlist, filter, stale) = match source {
            Source::Plain(h) => (&**h, None, false),
            Source::Bundle(b, stale) => (b.hotlist(), b.filter(), *stale),
        };
        let version = match source {
            Source::Plain(h) => h.version().to_string(),
            Source::Bundle(b, _) => b.version().to_string(),
        };
        report.hotlist_version = Some(version.clone());
        // A bundle's domains, hashes and processes match too (a plain hotlist has addresses
        // only); listed domains' answers from earlier runs attribute connections.
        let bundle_iocs = match source {
            Source::Bundle(b, _) => Some(b.iocs()),
            Source::Plain(_) => None,
        };
        let iocs = bundle_iocs
            .as_ref()
            .filter(|i| !i.is_empty())
            .map(|i| i as &dyn outpost_intel::IndicatorLookup);
        report.want_hashes = iocs.and_then(crate::indicators::hash_kinds);
        let known = crate::indicators::load_answers(self.data_dir, opts.now)?;
        let intel = correlate::Intel {
            hotlist,
            filter,
            iocs,
            answers: Some(&known),
            answer_memory: chrono::Duration::seconds(
                i64::try_from(cfg.matching.dns_answer_memory_secs).unwrap_or(i64::MAX / 1000),
            ),
        };
        let mut scan = correlate::scan_intel(pending, &intel, cfg.upload.samples_per_hit)?;
        tracing::debug!(
            ms = ms(t),
            bytes = scan.stats.bytes,
            groups = scan.groups.len(),
            "buffer scanned"
        );
        let mut groups = std::mem::take(&mut scan.groups);
        let mut cache = HashCache::load(self.data_dir)?;
        // Exec events without a hash while the bundle holds hash indicators: hash their
        // executables (cached, paced) and match the digests.
        if let Some(set) = iocs
            && !scan.unhashed.is_empty()
        {
            self.hash_unhashed(set, &mut scan, &mut groups, &mut cache, state);
        }
        let answers = std::mem::take(&mut scan.answers);
        crate::indicators::save_answers(self.data_dir, known, answers, opts.now)?;
        self.confirm(&mut groups, stale, &version, state, report)?;
        let t = std::time::Instant::now();
        let mut hits: Vec<Hit> = groups.into_iter().map(|g| to_hit(g, &mut cache)).collect();
        let bounded = bound_hits(&mut hits, cfg.upload.max_batch_bytes);
        state.counters.fields_truncated += bounded.fields_truncated;
        state.counters.samples_dropped_oversize += bounded.samples_dropped;
        cache.save()?;
        tracing::debug!(ms = ms(t), hashed = cache.computed, "hits enriched");
        let t = std::time::Instant::now();
        report.hashes_computed = cache.computed;
        report.hits = hits.len();
        let payloads = self.payloads(hits, bounded.sizes, &version);
        // The position advances together with the spooled hits (one commit, see
        // `Spool::put_committed`): a crash never loses them nor spools them twice.
        if let Some(end) = scan.end {
            state.position = Some(end);
        }
        let c = &mut state.counters;
        c.events_scanned += scan.stats.lines;
        c.events_matched += scan.stats.matched;
        c.malformed_lines += scan.stats.malformed;
        c.matches_expired += scan.stats.expired;
        c.events_matched_iocs += scan.stats.matched_iocs;
        c.executables_unhashed_dropped += scan.stats.unhashed_dropped;
        report.scan = scan.stats;
        spool.put_committed(&payloads, self.data_dir, state)?;
        report.batches_spooled += payloads.len();
        tracing::debug!(ms = ms(t), batches = report.batches_spooled, "hits spooled");
        Ok(())
    }

    /// Hashes the executables of exec events that carried no hash (cached, paced) and adds
    /// the groups whose digest is listed.
    fn hash_unhashed(
        &self,
        set: &dyn outpost_intel::IndicatorLookup,
        scan: &mut correlate::Scan,
        groups: &mut Vec<Group>,
        cache: &mut HashCache,
        state: &mut State,
    ) {
        let t = std::time::Instant::now();
        let unhashed = std::mem::take(&mut scan.unhashed);
        let (more, hs) = crate::indicators::match_unhashed(
            unhashed,
            set,
            cache,
            &self.cfg.matching,
            self.opts.now,
            self.opts.hash_wait,
        );
        tracing::debug!(
            ms = ms(t),
            hashed = hs.hashed,
            cached = hs.cached,
            matched = more.len(),
            "executables hashed for hash indicators"
        );
        scan.stats.matched_iocs += more.iter().map(|g| g.count).sum::<u64>();
        groups.extend(more);
        let c = &mut state.counters;
        c.executables_hashed += hs.hashed;
        c.hashes_skipped_large += hs.skipped_large;
        c.hashes_skipped_budget += hs.skipped_budget;
        c.hashes_unreadable += hs.unreadable;
    }

    /// A stale bundle's matches, and a filter's, become hits only once the server confirms
    /// them; if it cannot be asked, nothing advances (the error is returned, the failure
    /// counted) and the next run asks again. Only address matches are confirmed (the server's
    /// confirmation answers for addresses).
    fn confirm(
        &self,
        groups: &mut Vec<Group>,
        stale: bool,
        version: &str,
        state: &mut State,
        report: &mut RunReport,
    ) -> Result<(), AgentError> {
        let ask: Vec<std::net::IpAddr> = groups
            .iter()
            .filter(|g| stale || g.unconfirmed)
            .filter_map(|g| match g.subject {
                correlate::Subject::Ip(ip) => Some(ip),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if ask.is_empty() {
            return Ok(());
        }
        let answers =
            match crate::intel::confirm(self.client, &self.id.device_token, &ask, Some(version)) {
                Ok(a) => a,
                Err(e) => {
                    state.counters.confirm_failures += 1;
                    state.save(self.data_dir)?;
                    return Err(e);
                }
            };
        let before = groups.len();
        groups.retain_mut(|g| {
            let correlate::Subject::Ip(ip) = g.subject else {
                return true;
            };
            if !(stale || g.unconfirmed) {
                return true;
            }
            match answers.get(&ip) {
                Some(Some(m)) => {
                    g.intel = m.clone();
                    g.unconfirmed = false;
                    true
                }
                _ => false,
            }
        });
        report.confirm_asked = ask.len();
        report.confirm_refuted = before - groups.len();
        state.counters.matches_refuted += report.confirm_refuted as u64;
        tracing::info!(
            asked = ask.len(),
            refuted = report.confirm_refuted,
            stale,
            "matches confirmed with the server"
        );
        Ok(())
    }

    /// The hits in batches, each with a fresh id: as few as `max_hits_per_batch` allows, of
    /// equal size (they are sent in parallel, so a small last batch would only add a round
    /// trip at the end), and bounded by bytes too (`max_batch_bytes`, `sizes` being each hit's),
    /// so hits with large samples never push other hits' batch over the server's body limit.
    fn payloads(&self, hits: Vec<Hit>, sizes: Vec<usize>, version: &str) -> Vec<HitPayload> {
        let (cfg, id) = (self.cfg, self.id);
        let per_batch = balanced_batch(hits.len(), cfg.upload.max_hits_per_batch);
        let mut payloads = Vec::with_capacity(hits.len().div_ceil(per_batch));
        let mut hits = hits.into_iter().zip(sizes).peekable();
        while hits.peek().is_some() {
            let mut batch = Vec::new();
            let mut bytes = 0usize;
            while let Some((_, size)) = hits.peek() {
                if !batch.is_empty()
                    && (batch.len() >= per_batch || bytes + size > cfg.upload.max_batch_bytes)
                {
                    break;
                }
                bytes += size;
                if let Some((h, _)) = hits.next() {
                    batch.push(h);
                }
            }
            payloads.push(HitPayload {
                batch_id: uuid::Uuid::new_v4().to_string(),
                tenant_id: id.tenant_id.clone(),
                device_id: id.device_id.clone(),
                hostname: id.hostname.clone(),
                agent_version: outpost_core::version().to_string(),
                hotlist_version: version.to_string(),
                hits: batch,
            });
        }
        payloads
    }

    /// Sends the spooled batches, then (full telemetry) streams the buffer's events.
    fn upload(
        &self,
        spool: &Spool,
        state: &mut State,
        report: &mut RunReport,
    ) -> Result<(), AgentError> {
        let (cfg, id, client) = (self.cfg, self.id, self.client);
        let t = std::time::Instant::now();
        report.flush = spool.flush(client, &id.device_token)?;
        tracing::debug!(
            ms = ms(t),
            sent = report.flush.batches_sent,
            "spool flushed"
        );
        let c = &mut state.counters;
        c.batches_uploaded += report.flush.batches_sent;
        c.batches_split += report.flush.split;
        c.samples_dropped_oversize += report.flush.samples_dropped;
        c.hits_uploaded += report.flush.hits_stored;
        if report.flush.pending > 0 {
            c.upload_failures += 1;
        }
        if cfg.upload.full_telemetry {
            let t = std::time::Instant::now();
            let r = crate::telemetry::stream(
                self.data_dir,
                client,
                &id.device_token,
                state,
                cfg.upload.telemetry_batch_events,
            )?;
            tracing::debug!(
                ms = ms(t),
                batches = r.batches_sent,
                events = r.events_sent,
                "telemetry streamed"
            );
            if let Some(e) = &r.last_error {
                tracing::warn!(error = %e, "telemetry pending: the server is unreachable");
            }
            report.telemetry = Some(r);
        }
        Ok(())
    }

    /// Removes buffer files that are processed and past retention (or unprocessed for too
    /// long, counted). With streaming on, what was not streamed yet counts as unprocessed too.
    fn prune(&self, state: &mut State, report: &mut RunReport) -> Result<(), AgentError> {
        let cfg = self.cfg;
        let keep_from = match (&state.position, &state.telemetry_position) {
            (Some(p), Some(t)) if cfg.upload.full_telemetry => Some(p.clone().min(t.clone())),
            (p, _) => p.clone(),
        };
        report.pruned = buffer::prune(
            self.data_dir,
            keep_from.as_ref(),
            self.opts.now,
            chrono::Duration::minutes(cfg.window.retention_minutes as i64),
            chrono::Duration::hours(cfg.window.max_unprocessed_hours as i64),
        )?;
        state.counters.events_dropped_unprocessed += report.pruned.unprocessed_events_dropped;
        Ok(())
    }
}

/// What a run matches against.
enum Source {
    /// A local hotlist (no intel key pinned, or `--hotlist`).
    Plain(Box<Hotlist>),
    /// The verified tenant bundle, and whether it is stale (expired).
    Bundle(std::sync::Arc<outpost_intel::Bundle>, bool),
}

/// The intel a due run matches against: `--hotlist`, else the verified bundle when a key is
/// pinned (fetched first when `opts.fetch_intel`), else the configured hotlist. `Ok(Err(why))`
/// when a key is pinned but no good bundle has arrived yet (the run then does not correlate).
#[allow(clippy::type_complexity)]
fn intel_source(
    data_dir: &Path,
    cfg: &AgentConfig,
    id: &crate::config::Identity,
    opts: &RunOptions,
    client: &Client,
) -> Result<Result<(Source, Option<outpost_core::api::IntelStatus>), String>, AgentError> {
    if let Some(p) = &opts.hotlist {
        return Ok(Ok((
            Source::Plain(Box::new(load_hotlist(data_dir, p)?)),
            None,
        )));
    }
    if let Some(mut cache) = crate::intel::open_cache(data_dir, cfg, opts.now)? {
        if opts.fetch_intel {
            // Failures are logged and kept in the cache's status; the last good bundle stays.
            let _ = crate::intel::refresh_with(&mut cache, client, &id.device_token, opts.now);
        }
        let status = crate::intel::status_report(&cache, opts.now);
        return Ok(match cache.current() {
            Some(b) => {
                let stale = cache.is_stale(opts.now);
                if stale {
                    tracing::warn!(version = %b.version(), "the intel bundle has expired; matches are confirmed with the server");
                }
                Ok((Source::Bundle(b, stale), Some(status)))
            }
            None => Err(format!(
                "no verified intel bundle yet{}",
                status
                    .last_error
                    .map(|e| format!(" (last error: {e})"))
                    .unwrap_or_default()
            )),
        });
    }
    let path = cfg.hotlist.clone().ok_or_else(|| AgentError::Invalid {
        path: crate::DataDir::new(data_dir).config().display().to_string(),
        message: "no intel: enroll with a server that publishes intel (intel_public_key), set `hotlist = \"PATH\"` or pass --hotlist PATH".into(),
    })?;
    let t = std::time::Instant::now();
    let hotlist = load_hotlist(data_dir, &path)?;
    tracing::debug!(ms = ms(t), entries = hotlist.len(), "hotlist loaded");
    Ok(Ok((Source::Plain(Box::new(hotlist)), None)))
}

/// `cache/hotlist.compiled`: the configured hotlist's lookup table, so a run (every minute in
/// the daemon) does not re-parse a 120k-line text feed. Keyed by the list's path, size, mtime
/// and inode (like the hash cache); any mismatch or damage rebuilds it from the list.
pub const HOTLIST_CACHE: &str = crate::DataDir::HOTLIST_CACHE;

/// Loads the hotlist at `path` through the compiled cache in `data_dir/cache`.
pub fn load_hotlist(data_dir: &Path, path: &Path) -> Result<Hotlist, AgentError> {
    let cache = crate::DataDir::new(data_dir).hotlist_cache();
    // The stamp is taken before the list is read: a list replaced meanwhile gets a new stamp,
    // so the next run rebuilds.
    let key = match std::fs::metadata(path) {
        Ok(m) => {
            let s = enrich::stamp(&m);
            format!(
                "{}\0{}\0{}\0{}",
                path.display(),
                s.size,
                s.mtime_ns,
                s.inode
            )
        }
        // Let the loader report the error with its usual message.
        Err(_) => return Ok(Hotlist::from_path(path)?),
    };
    if let Ok(bytes) = std::fs::read(&cache) {
        match split_cache(&bytes) {
            Some((k, body)) if k == key.as_bytes() => match Hotlist::from_compiled(body) {
                Ok(h) => return Ok(h),
                Err(e) => {
                    tracing::warn!(path = %cache.display(), error = %e, "hotlist cache unreadable; rebuilding")
                }
            },
            _ => {}
        }
    }
    let hotlist = Hotlist::from_path(path)?;
    let mut out = Vec::new();
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&hotlist.to_compiled());
    // A cache is disposable: failing to write it only costs the next run a parse.
    let written = cache
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .map_err(crate::io_err(&cache))
        .and_then(|()| crate::state::write_atomic(&cache, &out, false));
    if let Err(e) = written {
        tracing::warn!(error = %e, "could not write the hotlist cache");
    }
    Ok(hotlist)
}

/// What [`bound_hits`] did.
struct Bounded {
    /// Each hit's size in bytes of JSON, after bounding.
    sizes: Vec<usize>,
    fields_truncated: u64,
    samples_dropped: u64,
}

/// Bounds every hit so that no process's data can make a batch too large: the sample
/// events' long fields are cut (marked, see `outpost_core::bound`), over-long names cut, and
/// a hit still larger than `max_bytes` keeps only as many samples as fit.
fn bound_hits(hits: &mut [Hit], max_bytes: usize) -> Bounded {
    let mut b = Bounded {
        sizes: Vec::with_capacity(hits.len()),
        fields_truncated: 0,
        samples_dropped: 0,
    };
    for h in hits.iter_mut() {
        b.fields_truncated += outpost_core::bound_hit(h);
        let mut size = serde_json::to_vec(&*h).map(|v| v.len()).unwrap_or(0);
        while size > max_bytes && !h.sample_events.is_empty() {
            h.sample_events.pop();
            b.samples_dropped += 1;
            size = serde_json::to_vec(&*h).map(|v| v.len()).unwrap_or(0);
        }
        b.sizes.push(size);
    }
    b
}

/// Hits per batch when `n` hits go in batches of at most `max`: the fewest batches, equally
/// filled (1,200 hits at most 500 each: 3 × 400, not 500 + 500 + 200).
fn balanced_batch(n: usize, max: usize) -> usize {
    let max = max.max(1);
    let batches = n.div_ceil(max).max(1);
    n.div_ceil(batches).max(1)
}

fn ms(t: std::time::Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn split_cache(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let key = bytes.get(4..4usize.checked_add(n)?)?;
    Some((key, &bytes[4 + n..]))
}

fn to_hit(g: Group, cache: &mut HashCache) -> Hit {
    let exe_path = g
        .exe_path
        .clone()
        .or_else(|| enrich::resolve_exe(g.pid, &g.process_name));
    // A source's own hash of the executable (Sysmon's `Hashes`) is used as it is; otherwise the
    // file is hashed here. Paths recorded on another OS (a Windows path in an imported log) are
    // not hashed.
    let reported = g.sha256.clone().or_else(|| {
        g.samples.iter().find_map(|e| {
            e.process
                .as_ref()
                .and_then(|p| p.hashes.sha256.clone())
                .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        })
    });
    let sha256 = reported.or_else(|| {
        exe_path
            .as_deref()
            .filter(|p| Path::new(p).is_absolute())
            .and_then(|p| cache.sha256(Path::new(p)))
    });
    Hit {
        remote_ip: g.remote_ip,
        remote_port: g.remote_port,
        protocol: g.protocol,
        process_name: g.process_name,
        pid: g.pid,
        exe_path,
        sha256,
        first_seen_utc: g.first_seen,
        last_seen_utc: g.last_seen,
        hit_count: g.count,
        sample_events: g.samples,
        direction: g.remote_ip.map(|_| g.direction),
        intel: Some(g.intel),
        domain: g.domain,
    }
}

#[cfg(test)]
mod tests {
    use super::balanced_batch;

    /// A hit whose events carry the source's own SHA-256 of the executable (Sysmon)
    /// uploads that hash without hashing a file (the path is not even on this machine); without
    /// one, the file is hashed as before.
    #[test]
    fn a_sources_own_hash_is_used_and_files_are_hashed_otherwise() {
        use outpost_core::{Event, EventKind, NetworkInfo, ProcessInfo};
        let d = tempfile::tempdir().unwrap();
        let exe = d.path().join("tool.bin");
        std::fs::write(&exe, b"not a real program").unwrap();
        let sysmon_hash = "ab".repeat(32);
        let event = |name: &str, exe: String, sha256: Option<String>, ip: &str| {
            let mut e = Event::new(chrono::Utc::now(), EventKind::Network, "test");
            let mut p = ProcessInfo {
                pid: 4242,
                name: Some(name.into()),
                exe: Some(exe),
                ..Default::default()
            };
            p.hashes.sha256 = sha256;
            e.process = Some(std::sync::Arc::new(p));
            e.network = Some(NetworkInfo {
                remote_ip: Some(ip.parse().unwrap()),
                remote_port: Some(443),
                ..Default::default()
            });
            e
        };
        let mut w = crate::buffer::BufferWriter::open(d.path()).unwrap();
        w.append(&event(
            "sysmon.exe",
            r"C:\\Tools\\sysmon.exe".into(),
            Some(sysmon_hash.clone()),
            "203.0.113.7",
        ))
        .unwrap();
        w.append(&event(
            "tool.bin",
            exe.display().to_string(),
            None,
            "203.0.113.8",
        ))
        .unwrap();
        w.flush().unwrap();
        let list = d.path().join("hot.txt");
        std::fs::write(&list, "203.0.113.7\n203.0.113.8\n").unwrap();
        let hotlist = outpost_intel::Hotlist::from_path(&list).unwrap();
        let pending = crate::buffer::pending(d.path(), None).unwrap();
        let scan = crate::correlate::scan(&pending, &hotlist, 5).unwrap();
        let mut cache = crate::enrich::HashCache::load(d.path()).unwrap();
        let hits: Vec<_> = scan
            .groups
            .into_iter()
            .map(|g| super::to_hit(g, &mut cache))
            .collect();
        let by = |n: &str| hits.iter().find(|h| h.process_name == n).unwrap();
        assert_eq!(
            by("sysmon.exe").sha256.as_deref(),
            Some(sysmon_hash.as_str())
        );
        assert_eq!(
            by("tool.bin").sha256,
            Some(crate::enrich::hash_file(&exe).unwrap())
        );
    }

    #[test]
    fn batches_are_as_few_as_the_cap_allows_and_equally_filled() {
        assert_eq!(balanced_batch(1200, 500), 400);
        assert_eq!(balanced_batch(1000, 500), 500);
        assert_eq!(balanced_batch(1001, 500), 334);
        assert_eq!(balanced_batch(7, 500), 7);
        assert_eq!(balanced_batch(0, 500), 1);
        assert_eq!(balanced_batch(5, 0), 1);
        for n in 1..2000 {
            let size = balanced_batch(n, 500);
            assert!(size <= 500);
            assert_eq!(n.div_ceil(size), n.div_ceil(500), "{n} hits");
        }
    }
}
