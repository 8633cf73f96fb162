//! The scan of the pending buffer: split at line boundaries into one part per worker, each
//! read in bounded chunks and fed to its own [`Correlator`], merged in file order.

use super::{Answers, CHUNK, Correlator, Group, Intel, PARALLEL_MIN, Scan, Subject};
use crate::buffer::Pending;
use crate::{AgentError, io_err};
use outpost_intel::Hotlist;
use outpost_intel::bundle::IpFilter;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

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
pub(super) fn scan_with(
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

pub(super) fn scan_intel_with(
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
