//! Live Windows event log channels (`Security`, `Microsoft-Windows-Sysmon/Operational`).
//!
//! On Windows the new records of a channel (`EventRecordID` greater than the cursor) are
//! exported with `EvtExportLog` into a temporary `.evtx` file, which is then read with the same
//! EVTX reader and normalization as any other file. The export renumbers record headers but keeps
//! each record's `System/EventRecordID`, so the cursor is the channel's `EventRecordID`. Reading the Security channel needs administrator rights
//! (or `SeSecurityPrivilege`). Only compile-checked in Outpost's CI, not run.
//!
//! On other systems [`read_channel`] returns [`OsLogError::Windows`].

use crate::error::{OsLogError, SinkError};
use crate::ingest::{IngestOptions, IngestStats};
use outpost_core::Event;

/// Reads the records of `channel` after `last_record_id`; returns the new highest record id.
#[cfg(windows)]
pub fn read_channel(
    channel: &str,
    last_record_id: u64,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<u64, OsLogError> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::System::EventLog::{
        EvtExportLog, EvtExportLogChannelPath, EvtExportLogOverwrite,
    };

    fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
        s.encode_wide().chain(std::iter::once(0)).collect()
    }
    let safe: String = channel
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let target = std::env::temp_dir().join(format!("outpost-{}-{safe}.evtx", std::process::id()));
    let query = format!("*[System[EventRecordID>{last_record_id}]]");
    let channel_w = wide(std::ffi::OsStr::new(channel));
    let target_w = wide(target.as_os_str());
    let query_w = wide(std::ffi::OsStr::new(&query));
    // SAFETY: all pointers are valid NUL-terminated UTF-16 strings that outlive the call;
    // a null session handle means the local computer.
    let ok = unsafe {
        EvtExportLog(
            0,
            channel_w.as_ptr(),
            query_w.as_ptr(),
            target_w.as_ptr(),
            EvtExportLogChannelPath | EvtExportLogOverwrite,
        )
    };
    if ok == 0 {
        let err = std::io::Error::last_os_error();
        return Err(OsLogError::Windows(format!(
            "EvtExportLog({channel}) failed: {err}"
        )));
    }
    // The export renumbers record headers from 1; the query already selected only new
    // records, so read all of it and advance by the original `EventRecordID`.
    let result = crate::evtx::read_evtx_file(&target, 0, opts, stats, &mut |_| {}, sink);
    if let Err(e) = std::fs::remove_file(&target) {
        tracing::warn!(path = %target.display(), err = %e, "cannot remove exported channel file");
    }
    let stop = result?;
    Ok(stop
        .last_event_record_id
        .map_or(last_record_id, |r| r.max(last_record_id)))
}

/// Reads the records of `channel` after `last_record_id` (Windows only; fails elsewhere).
#[cfg(not(windows))]
pub fn read_channel(
    channel: &str,
    _last_record_id: u64,
    _opts: &IngestOptions,
    _stats: &mut IngestStats,
    _sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<u64, OsLogError> {
    Err(OsLogError::Windows(format!(
        "live channel {channel:?} can only be read on Windows"
    )))
}
