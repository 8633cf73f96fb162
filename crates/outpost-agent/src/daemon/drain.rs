//! The main loop's consumer: events from the sensors' channel, taken in batches, checked
//! against the agent's own CPU and memory caps (`crate::governor`: over a cap they are
//! dropped and counted), their executables hashed as they start, and appended to the buffer.

use super::Pipeline;
use crate::governor::Verdict;
use outpost_core::Event;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

impl Pipeline<'_> {
    /// The agent's own RSS and CPU against its caps (once a second); logs each change of
    /// verdict, and hands memory back while over the memory cap.
    pub(super) fn govern(&mut self) {
        let (rss_kib, cpu_ms) = outpost_platform::self_usage();
        let before = self.governor.verdict();
        let now = self.governor.observe(Instant::now(), cpu_ms, rss_kib);
        if now != before {
            match now {
                Verdict::Normal => tracing::info!(
                    shed_cpu = self.counters.events_shed_cpu,
                    shed_memory = self.counters.events_shed_memory,
                    "back under the agent's own limits: buffering events again"
                ),
                Verdict::ShedCpu => tracing::warn!(
                    max_cpu_percent = self.cfg.daemon.max_cpu_percent,
                    "over the agent's CPU cap: dropping events (counted) until under it"
                ),
                Verdict::ShedMemory => tracing::warn!(
                    rss_kib,
                    max_rss_mib = self.cfg.daemon.max_rss_mib,
                    "over the agent's memory cap: dropping events (counted) until under it"
                ),
            }
        }
        if now == Verdict::ShedMemory {
            outpost_platform::trim_allocator();
        }
    }

    /// Events are taken in batches: what is queued is drained without waiting, and then the
    /// loop pauses until the sensors' next read tick (`outpost_sensors::pause`: about
    /// `READ_PAUSE`, ending when the sensor threads wake too, so that the wakeups share their
    /// cost) so that the next wakeup finds a batch again (the sensors hand over their events
    /// in bursts; the channel holds `queue_capacity` events, far more than arrive during the
    /// pause at any rate the sensors sustain). Only when nothing was queued does it block for
    /// the first event (up to 500 ms): under load the sensors' batches of a tick are taken on
    /// the next one, without a wakeup of their own.
    pub(super) fn drain(&mut self, rx: &Receiver<Event>, queue_capacity: usize) {
        let mut n = self.take_queued(rx, queue_capacity);
        if n == 0 {
            match rx.recv_timeout(Duration::from_millis(500)) {
                Ok(ev) => {
                    self.take(ev);
                    n = 1 + self.take_queued(rx, queue_capacity);
                }
                Err(RecvTimeoutError::Timeout) => return,
                // No sensor is sending (none runs on this platform, or all have stopped): the
                // daemon goes on with its passes (OS logs, correlation, uploads) and its jobs.
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(500));
                    return;
                }
            }
        }
        // No pause when a quarter of the channel was waiting: keep up instead.
        if n < queue_capacity / 4 {
            outpost_sensors::pause();
        }
    }

    /// Takes what is queued, at most `limit` events, without waiting; returns how many.
    fn take_queued(&mut self, rx: &Receiver<Event>, limit: usize) -> usize {
        let mut n = 0;
        for ev in rx.try_iter().take(limit) {
            self.take(ev);
            n += 1;
        }
        n
    }

    /// What the sensors left in the channel when they stopped: buffered whatever the caps.
    pub(super) fn drain_rest(&mut self, rx: &Receiver<Event>) {
        for mut ev in rx.try_iter() {
            self.hasher.hash(&mut ev);
            self.buffer_event(ev);
        }
    }

    /// One event, under the governor's verdict.
    fn take(&mut self, mut ev: Event) {
        match self.governor.verdict() {
            Verdict::Normal => {
                self.hasher.hash(&mut ev);
                self.buffer_event(ev)
            }
            Verdict::ShedCpu => self.counters.events_shed_cpu += 1,
            Verdict::ShedMemory => self.counters.events_shed_memory += 1,
        }
    }

    fn buffer_event(&mut self, ev: Event) {
        match self.writer.append(&ev) {
            Ok(()) => self.counters.events_buffered += 1,
            Err(e) => {
                self.counters.buffer_write_errors += 1;
                tracing::error!(error = %e, "cannot write to the buffer; event dropped");
            }
        }
    }
}
