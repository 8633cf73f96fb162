//! The daemon's own limits (`[daemon] max_cpu_percent`, `max_rss_mib`): a safety cap, far
//! above what the agent needs (under 1 % of a core and ~13 MiB at 1,000 events/s), for a host
//! where something makes the collectors flood it.
//!
//! Once a second the daemon's consumer reports the process's CPU time and RSS. When the CPU
//! used over the last [`WINDOW`] exceeds the cap, or the RSS does, the consumer sheds: it
//! drops the events it drains (each counted, by reason, in the daemon's counters reported at
//! check-in) instead of buffering them, which costs almost nothing, until a window ends under
//! the cap again. The sensors keep running, so processes and connections stay attributed and
//! shedding ends as soon as the load does. Over the memory cap the allocator is also trimmed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The span over which CPU use is averaged (a correlation pass's burst of a second or two
/// must not trip the cap on its own).
pub const WINDOW: Duration = Duration::from_secs(10);

/// Why the consumer sheds events right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Under every cap: buffer events.
    Normal,
    /// The CPU cap was exceeded over the last window.
    ShedCpu,
    /// The RSS cap is exceeded.
    ShedMemory,
}

/// Tracks the process's usage against the caps.
#[derive(Debug)]
pub struct Governor {
    /// Percent of one core; 0 = no cap.
    max_cpu_percent: f64,
    /// KiB; 0 = no cap.
    max_rss_kib: u64,
    /// (when, process CPU time in ms) samples of the last window.
    samples: VecDeque<(Instant, u64)>,
    verdict: Verdict,
}

impl Governor {
    pub fn new(max_cpu_percent: f64, max_rss_mib: u64) -> Self {
        Governor {
            max_cpu_percent: max_cpu_percent.max(0.0),
            max_rss_kib: max_rss_mib.saturating_mul(1024),
            samples: VecDeque::new(),
            verdict: Verdict::Normal,
        }
    }

    /// The current verdict (what the last [`Governor::observe`] decided).
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Takes one sample: the process's total CPU time in ms and its RSS in KiB (either may be
    /// unknown, e.g. without /proc); returns the new verdict.
    pub fn observe(&mut self, now: Instant, cpu_ms: Option<u64>, rss_kib: Option<u64>) -> Verdict {
        let mut verdict = Verdict::Normal;
        if let Some(cpu) = cpu_ms {
            self.samples.push_back((now, cpu));
            while self
                .samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > WINDOW)
            {
                self.samples.pop_front();
            }
            if self.max_cpu_percent > 0.0
                && let (Some(&(t0, c0)), Some(&(t1, c1))) =
                    (self.samples.front(), self.samples.back())
            {
                let span = t1.duration_since(t0).as_secs_f64();
                // At least a second of history before judging.
                if span >= 1.0 {
                    let percent = c1.saturating_sub(c0) as f64 / 10.0 / span;
                    if percent > self.max_cpu_percent {
                        verdict = Verdict::ShedCpu;
                    }
                }
            }
        }
        if self.max_rss_kib > 0 && rss_kib.is_some_and(|r| r > self.max_rss_kib) {
            verdict = Verdict::ShedMemory;
        }
        self.verdict = verdict;
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, s: f64) -> Instant {
        t0 + Duration::from_secs_f64(s)
    }

    #[test]
    fn sheds_only_while_the_window_average_is_over_the_cap() {
        let t0 = Instant::now();
        let mut g = Governor::new(5.0, 0);
        // 1 % of a core for 10 s: under the cap.
        for i in 0..=10 {
            assert_eq!(
                g.observe(at(t0, i as f64), Some(i * 10), None),
                Verdict::Normal
            );
        }
        // A 300 ms burst (a correlation pass) in one second: the 10 s average is 3.9 %.
        assert_eq!(g.observe(at(t0, 11.0), Some(400), None), Verdict::Normal);
        // Then 50 % of a core: over the cap within two seconds.
        assert_eq!(g.observe(at(t0, 12.0), Some(900), None), Verdict::ShedCpu);
        assert_eq!(g.verdict(), Verdict::ShedCpu);
        // Idle again: shedding stops once the burst has left the window.
        let mut cpu = 900;
        let mut last = Verdict::ShedCpu;
        for i in 13..=25 {
            cpu += 1;
            last = g.observe(at(t0, i as f64), Some(cpu), None);
        }
        assert_eq!(last, Verdict::Normal);
    }

    #[test]
    fn a_single_sample_or_no_cap_never_sheds() {
        let t0 = Instant::now();
        let mut g = Governor::new(1.0, 0);
        assert_eq!(g.observe(t0, Some(0), None), Verdict::Normal);
        assert_eq!(
            g.observe(at(t0, 0.5), Some(400), None),
            Verdict::Normal,
            "under 1 s of history"
        );
        let mut off = Governor::new(0.0, 0);
        assert_eq!(off.observe(t0, Some(0), Some(u64::MAX)), Verdict::Normal);
        assert_eq!(
            off.observe(at(t0, 2.0), Some(2000), Some(u64::MAX)),
            Verdict::Normal
        );
    }

    #[test]
    fn memory_over_the_cap_sheds_and_unknown_usage_does_not() {
        let t0 = Instant::now();
        let mut g = Governor::new(0.0, 64);
        assert_eq!(g.observe(t0, None, Some(64 * 1024)), Verdict::Normal);
        assert_eq!(
            g.observe(t0, None, Some(64 * 1024 + 1)),
            Verdict::ShedMemory
        );
        assert_eq!(g.observe(t0, None, None), Verdict::Normal);
    }
}
