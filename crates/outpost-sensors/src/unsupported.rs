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

    /// Nothing to stop.
    pub fn stop(self) {}
}

/// Validates the configuration and reports every collector as not running on this OS.
pub fn start(config: SensorConfig, _tx: SyncSender<Event>) -> Result<Sensors, SensorError> {
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
    })
}
