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

/// Sends the buffered events after `state.telemetry_position` in batches of `batch_events`,
/// advancing (and saving) the position after each acknowledged batch.
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
        let mut line = String::new();
        loop {
            line.clear();
            let n = r.read_line(&mut line).map_err(io_err(&seg.path))?;
            // Only complete lines: a line being written is sent by a later pass.
            let complete = n > 0 && line.ends_with('\n');
            if complete {
                offset += n as u64;
                match serde_json::from_str::<Event>(line.trim_end()) {
                    Ok(e) => events.push(e),
                    Err(_) => {
                        report.malformed += 1;
                        state.counters.malformed_lines += 1;
                    }
                }
            }
            let full = events.len() >= batch_events;
            if (full || !complete) && offset > batch_start {
                let batch = EventBatch {
                    batch_id: format!("{}@{batch_start}", seg.name),
                    events: std::mem::take(&mut events),
                };
                match client.upload_events(token, &batch) {
                    Ok(_) => {
                        report.batches_sent += 1;
                        report.events_sent += batch.events.len() as u64;
                        state.counters.telemetry_events_sent += batch.events.len() as u64;
                    }
                    Err(e @ UploadError::Rejected { .. }) => {
                        // Resending cannot help: skip it, count it, say so.
                        tracing::error!(batch_id = %batch.batch_id, error = %e, "server refused a telemetry batch; its events are skipped");
                        report.rejected_events += batch.events.len() as u64;
                        state.counters.telemetry_events_rejected += batch.events.len() as u64;
                    }
                    Err(e) => {
                        state.counters.telemetry_failures += 1;
                        report.last_error = Some(e.to_string());
                        state.save(data_dir)?;
                        return Ok(report);
                    }
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
