//! The sensors outside Linux: no collector runs (each says why in the capabilities), so a
//! daemon on Windows still runs its correlation passes, check-ins and jobs, and reads the
//! event log channels of `[sources]` instead.

use crate::counters::{Counters, ProcStats};
use crate::{Capabilities, SensorConfig, SensorCounters, SensorError};
use outpost_core::Event;
use std::sync::mpsc::SyncSender;

/// The (empty) set of running sensors.
pub struct Sensors {
    caps: Capabilities,
    counters: Counters,
    /// The daemon's event channel, held open until [`Sensors::stop`] as the Linux collectors
    /// hold theirs: a channel whose every sender is gone tells the daemon's loop that the
    /// collectors ended, and it stopped at once (the Windows service exited right after start).
    _tx: SyncSender<Event>,
}

impl Sensors {
    /// All zero: nothing runs.
    pub fn counters(&self) -> SensorCounters {
        self.counters.snapshot(ProcStats::default())
    }

    /// Every collector, not running, with the reason.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Nothing runs; the event channel is closed.
    pub fn stop(self) {}
}

/// Validates the configuration and reports every collector as not running on this OS.
pub fn start(config: SensorConfig, tx: SyncSender<Event>) -> Result<Sensors, SensorError> {
    config.validate()?;
    let mut caps = Capabilities::default();
    let note = format!(
        "live collectors are Linux-only; on {} the agent reads the event log channels of [sources] windows_channels",
        std::env::consts::OS
    );
    for name in [
        "processes",
        "process_inventory",
        "connections",
        "socket_inventory",
        "files",
        "file_access",
        "containers",
        "dns",
    ] {
        caps.collectors.insert(
            name.to_string(),
            crate::CollectorStatus {
                running: false,
                mechanism: "none".into(),
                note: Some(note.clone()),
            },
        );
    }
    Ok(Sensors {
        caps,
        counters: Counters::default(),
        _tx: tx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{RecvTimeoutError, sync_channel};
    use std::time::Duration;

    #[test]
    fn the_event_channel_stays_open_until_stop() {
        // Regression: the sender was dropped at start, so the daemon's first receive saw
        // "disconnected" and the daemon (the Windows service) stopped on its own.
        let (tx, rx) = sync_channel(16);
        let s = start(SensorConfig::default(), tx).unwrap();
        assert!(s.capabilities().collectors.values().all(|c| !c.running));
        let r = rx.recv_timeout(Duration::from_millis(50));
        assert!(matches!(r, Err(RecvTimeoutError::Timeout)), "{:?}", r.err());
        s.stop();
        let r = rx.recv_timeout(Duration::from_millis(50));
        assert!(
            matches!(r, Err(RecvTimeoutError::Disconnected)),
            "{:?}",
            r.err()
        );
    }
}
