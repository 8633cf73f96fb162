//! The daemon's correlation pass: every `correlate_interval_secs` (and once when the pipeline
//! stops), the buffer is flushed and the same code as `run-once` correlates, spools and
//! uploads (`crate::run_once::run_once_locked`); OS-log sources wait while the agent is over
//! its own caps.

use super::Pipeline;
use crate::governor::Verdict;
use crate::run_once::{RunOptions, run_once_locked};

impl Pipeline<'_> {
    pub(super) fn pass(&mut self) {
        let verdict = self.governor.verdict();
        if let Err(e) = self.writer.flush() {
            tracing::error!(error = %e, "buffer flush failed");
        }
        self.counters.correlation_passes += 1;
        // Over a cap, the OS logs wait in place (on Windows they are the agent's main source,
        // so this is where its caps bite).
        let poll_os_logs = verdict == Verdict::Normal;
        if !poll_os_logs {
            self.counters.os_log_polls_deferred += 1;
            tracing::warn!(
                ?verdict,
                "over the agent's own limits: OS logs left for a later pass"
            );
        }
        let options = RunOptions {
            force: true,
            // The check-in thread fetches the bundle; without check-ins, each pass does.
            fetch_intel: !self.checkins_enabled,
            poll_os_logs,
            // The pass holds up the event consumer: no waiting for the hashing budget.
            hash_wait: false,
            client: Some(self.client.clone()),
            ..RunOptions::default()
        };
        match run_once_locked(self.data_dir, &options) {
            Ok(r) => {
                let correlated = r.correlated && r.hotlist_version.is_some();
                if correlated {
                    self.hasher.set_want(r.want_hashes);
                }
                if r.hotlist_version.is_some() {
                    self.last_hotlist = r.hotlist_version.clone();
                }
                if r.hits > 0 || r.flush.batches_sent > 0 {
                    tracing::info!(
                        hits = r.hits,
                        sent = r.flush.batches_sent,
                        pending = r.flush.pending,
                        "correlation pass"
                    )
                } else if !correlated && r.flush.pending > 0 {
                    tracing::warn!(pending = r.flush.pending, error = ?r.flush.last_error, "upload pending")
                }
            }
            Err(e) => {
                self.counters.correlation_failures += 1;
                tracing::warn!(error = %e, "correlation pass failed");
            }
        }
        // The pass's hotlist, read buffers and groups are freed now; hand the pages back so
        // the daemon's steady RSS is its sensors', not the last pass's peak.
        outpost_platform::trim_allocator();
        self.counters.exec_hashing = self.hasher.counters.clone();
    }
}
