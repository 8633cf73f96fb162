//! The readers' common pause: every paced reader (the eBPF ring buffer, the proc connector,
//! the DNS tap, the daemon's consumer) sleeps until the next *tick*, a multiple of
//! [`READ_PAUSE`](crate::READ_PAUSE) on the monotonic clock, instead of `READ_PAUSE` from
//! wherever it happens to be. The pauses keep their length, but the threads wake together.
//!
//! Why: on a virtual machine most of a wakeup's cost is bringing an idle CPU back (measured on
//! the development VM, `docs/benchmarks/footprint.md`: ~25–45 µs of the woken thread's CPU
//! time for a lone wakeup, ~11 µs each when four threads wake at the same instant). Four
//! readers waking ten times a second at unrelated phases paid the full price forty times a
//! second; on one tick they share it.

use std::time::Duration;

/// The pause between two reads: `READ_PAUSE`.
const PERIOD: Duration = crate::READ_PAUSE;

/// Nanoseconds of the monotonic clock (`CLOCK_MONOTONIC`, the clock `Instant` reads).
#[cfg(target_os = "linux")]
fn now_ns() -> u128 {
    // SAFETY: all-zero is a valid timespec.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is writable; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    u128::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u128::try_from(ts.tv_nsec).unwrap_or(0)
}

/// The next tick after `now` (nanoseconds) that is at least half a period away, so that a
/// pause is never much shorter than half of `READ_PAUSE` (a read that ends just before a tick
/// waits for the one after).
fn next_tick(now: u128) -> u128 {
    let period = PERIOD.as_nanos().max(1);
    let next = (now / period + 1) * period;
    if next - now < period / 2 {
        next + period
    } else {
        next
    }
}

/// How long until the next tick (see the module documentation): the timeout of a reader that
/// waits for data or the tick, whichever comes first.
#[cfg(target_os = "linux")]
pub fn until_tick() -> Duration {
    let now = now_ns();
    Duration::from_nanos(u64::try_from(next_tick(now) - now).unwrap_or(u64::MAX))
}

/// `ns` nanoseconds as a `timespec`, for a time on the monotonic clock (seconds since boot) or
/// a wait of at most a few periods: it fits every platform's field types, which are converted
/// into as declared (musl deprecates naming them).
#[cfg(target_os = "linux")]
pub(crate) fn timespec(ns: u128) -> libc::timespec {
    // SAFETY: all-zero is a valid timespec.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    ts.tv_sec = (ns / 1_000_000_000) as _;
    ts.tv_nsec = (ns % 1_000_000_000) as _;
    ts
}

/// Sleeps until the next tick (at least half of `READ_PAUSE`, at most one and a half).
#[cfg(target_os = "linux")]
pub fn pause() {
    let ts = timespec(next_tick(now_ns()));
    loop {
        // SAFETY: `ts` is a valid timespec; the remaining time is not asked for (absolute).
        let r = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            )
        };
        if r != libc::EINTR {
            break;
        }
    }
}

/// Elsewhere a plain pause of `READ_PAUSE`.
#[cfg(not(target_os = "linux"))]
pub fn pause() {
    std::thread::sleep(PERIOD);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_multiples_of_the_period_at_least_half_a_period_away() {
        let p = PERIOD.as_nanos();
        for now in [
            0,
            1,
            p / 2 - 1,
            p / 2,
            p / 2 + 1,
            p - 1,
            p,
            7 * p + 3,
            7 * p + p * 3 / 4,
        ] {
            let t = next_tick(now);
            assert_eq!(t % p, 0, "{now}");
            assert!(t - now >= p / 2 && t - now <= p * 3 / 2, "{now} -> {t}");
        }
        assert_eq!(next_tick(0), p);
        assert_eq!(next_tick(p - 1), 2 * p);
        assert_eq!(next_tick(p / 2), p);
    }

    /// Threads that pause wake on the same tick: a pause ends within a few milliseconds of a
    /// multiple of the period, whenever it started.
    #[cfg(target_os = "linux")]
    #[test]
    fn pauses_end_on_ticks() {
        let p = PERIOD.as_nanos();
        let mut late = Vec::new();
        for i in 0..5u64 {
            std::thread::sleep(Duration::from_millis(13 * i));
            let before = now_ns();
            pause();
            let after = now_ns();
            assert!(after - before >= p / 2, "paused only {} ns", after - before);
            late.push(after % p);
        }
        // Scheduling delays aside, every pause ended just after a tick (a busy machine may
        // delay one; the median is what the alignment promises).
        late.sort_unstable();
        assert!(
            late[2] < 5_000_000,
            "pauses ended {late:?} ns after their ticks"
        );
        assert!(until_tick() <= PERIOD * 3 / 2);
    }
}
