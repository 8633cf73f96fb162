//! Full-telemetry streaming (`[upload] full_telemetry = true`): every buffered event, not
//! just hits, goes to the server (`POST /api/v1/events`), which scores it and forwards it to
//! its outputs.
//!
//! The buffer is the queue: a second position in `state.json` (`telemetry_position`) says how
//! far the stream got, and it advances only after the server acknowledged a batch, so a
//! crash or an unreachable server loses nothing (the next pass resends from there). A batch's
//! id is its place in the buffer (`{file}@{offset}`), so a resent batch carries the same id
//! and the server gives its events the same record ids. While the stream lags, pruning treats
//! the unsent part as unprocessed: it is kept up to `max_unprocessed_hours` and counted when
//! dropped.

use crate::buffer::{self, Pending};
use crate::state::{Position, State};
use crate::upload::{Client, UploadError};
use crate::{AgentError, io_err};
use outpost_core::Event;
use outpost_core::api::EventBatch;
use std::io::BufRead;
use std::path::Path;

/// What one streaming pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StreamReport {
    pub batches_sent: u64,
    pub events_sent: u64,
    /// Lines that were not valid events (skipped, counted in `malformed_lines`).
    pub malformed: u64,
    /// Batches the server refused for good (their events are skipped and counted).
    pub rejected_events: u64,
    /// Why the pass stopped early (server unreachable, credentials refused).
    pub last_error: Option<String>,
}

/// Where streaming starts: its own position; never run, the start of the buffer. (`run-once`
/// sets it to where correlation stood before its first streaming run, so turning streaming
/// on does not resend the whole retained buffer.)
fn start_position(state: &State) -> Option<Position> {
    Some(state.telemetry_position.clone().unwrap_or_default())
}

/// Largest telemetry batch, in bytes of JSON (the server's default body limit is 8 MiB).
pub const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;

/// Sends the buffered events after `state.telemetry_position` in batches of `batch_events`
/// (and at most [`MAX_BATCH_BYTES`]), advancing (and saving) the position after each
/// acknowledged batch. Events with over-long fields are cut first (marked, counted in
/// `fields_truncated`); a batch the server refuses as a whole is split and its halves sent
/// again, down to single events, so one bad event never costs the others.
pub fn stream(
    data_dir: &Path,
    client: &Client,
    token: &str,
    state: &mut State,
    batch_events: usize,
) -> Result<StreamReport, AgentError> {
    let mut report = StreamReport::default();
    let start = start_position(state);
    let pending: Pending = buffer::pending(data_dir, start.as_ref())?;
    let batch_events = batch_events.clamp(1, 5_000);
    for seg in &pending.segments {
        if seg.end <= seg.start {
            continue;
        }
        let mut r = seg.reader()?;
        let mut offset = seg.start;
        let mut batch_start = offset;
        let mut events: Vec<Event> = Vec::with_capacity(batch_events);
        let mut batch_bytes = 0usize;
        // Bytes, not `String`: a line that is not UTF-8 is a malformed line, not an error.
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = r.read_until(b'\n', &mut line).map_err(io_err(&seg.path))?;
            // Only complete lines: a line being written is sent by a later pass.
            let complete = n > 0 && line.last() == Some(&b'\n');
            if complete {
                offset += n as u64;
                match serde_json::from_slice::<Event>(&line) {
                    Ok(mut e) => {
                        let cut = outpost_core::bound::bound_event_sized(&mut e, n);
                        state.counters.fields_truncated += cut;
                        batch_bytes += if cut > 0 {
                            serde_json::to_vec(&e).map(|b| b.len()).unwrap_or(n)
                        } else {
                            n
                        };
                        events.push(e);
                    }
                    Err(_) => {
                        report.malformed += 1;
                        state.counters.malformed_lines += 1;
                    }
                }
            }
            let full = events.len() >= batch_events || batch_bytes >= MAX_BATCH_BYTES;
            if (full || !complete) && offset > batch_start {
                let batch_id = format!("{}@{batch_start}", seg.name);
                let batch = std::mem::take(&mut events);
                batch_bytes = 0;
                if let Err(e) = send_split(client, token, batch_id, batch, state, &mut report) {
                    state.counters.telemetry_failures += 1;
                    report.last_error = Some(e.to_string());
                    state.save(data_dir)?;
                    return Ok(report);
                }
                state.telemetry_position = Some(Position {
                    file: seg.name.clone(),
                    offset,
                });
                state.save(data_dir)?;
                batch_start = offset;
            }
            if !complete {
                break;
            }
        }
    }
    Ok(report)
}

/// Sends `events` as batch `batch_id`; a batch the server refuses for good is split in
/// halves (ids `{batch_id}.a` / `.b`, the same on every retry) and each half sent again, so
/// only an event refused on its own is skipped (and counted). `Err`: transient or auth
/// failure (the caller stops and resends the whole batch later).
fn send_split(
    client: &Client,
    token: &str,
    batch_id: String,
    events: Vec<Event>,
    state: &mut State,
    report: &mut StreamReport,
) -> Result<(), UploadError> {
    if events.is_empty() {
        return Ok(());
    }
    let batch = EventBatch { batch_id, events };
    match client.upload_events(token, &batch) {
        Ok(_) => {
            report.batches_sent += 1;
            report.events_sent += batch.events.len() as u64;
            state.counters.telemetry_events_sent += batch.events.len() as u64;
            Ok(())
        }
        Err(e @ UploadError::Rejected { .. }) if batch.events.len() > 1 => {
            tracing::warn!(batch_id = %batch.batch_id, events = batch.events.len(), error = %e, "server refused a telemetry batch; sending it again in halves");
            state.counters.batches_split += 1;
            let EventBatch {
                batch_id,
                mut events,
            } = batch;
            let second = events.split_off(events.len() / 2);
            send_split(
                client,
                token,
                format!("{batch_id}.a"),
                events,
                state,
                report,
            )?;
            send_split(
                client,
                token,
                format!("{batch_id}.b"),
                second,
                state,
                report,
            )
        }
        Err(e @ UploadError::Rejected { .. }) => {
            // One event the server refuses on its own: resending cannot help. Skip it, count
            // it, say so.
            tracing::error!(batch_id = %batch.batch_id, error = %e, "server refused a telemetry event; it is skipped");
            report.rejected_events += 1;
            state.counters.telemetry_events_rejected += 1;
            Ok(())
        }
        Err(e) => Err(e),
    }
}
