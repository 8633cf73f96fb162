//! Live Windows event log channels (`Security`, `Microsoft-Windows-Sysmon/Operational`, any
//! other channel named in `[sources] windows_channels`).
//!
//! On Windows a channel is read with the Event Log API: `EvtQuery` over the channel, positioned
//! just after the [`ChannelCursor`]'s bookmark (`EvtCreateBookmark` + `EvtSeek`), `EvtNext` in
//! batches, `EvtRender(EvtRenderEventXml)` for each record, and [`crate::xml::normalize_xml`] —
//! the same `LogRecord` and normalization as a record of an EVTX file. The bookmark is advanced
//! (`EvtUpdateBookmark`) only after the sink took the record and is returned rendered
//! (`EvtRenderBookmark`) in the new cursor, which the caller saves with the records it stored,
//! so a restart neither loses nor repeats records.
//!
//! When the bookmarked record is gone (the log wrapped, or was cleared), reading resumes after
//! the cursor's `EventRecordID`; if the channel's newest record id is below it (cleared and
//! renumbered), the channel is read from its start. Reading the Security channel needs
//! administrator rights (or `SeSecurityPrivilege`).
//!
//! Tested on Windows APIs under Wine only as far as Wine implements them (see the README's
//! Windows section); the XML → event path is tested on every record of the real EVTX samples
//! (`tests/it/live_xml.rs`). On other systems [`read_channel`] returns [`OsLogError::Windows`].

use crate::error::{OsLogError, SinkError};
use crate::ingest::{IngestOptions, IngestStats};
use crate::sources::ChannelCursor;
use outpost_core::Event;

/// Reads the records of `channel` after `cursor`; returns the cursor after the last record the
/// sink took. Windows only: fails elsewhere.
pub fn read_channel(
    channel: &str,
    cursor: &ChannelCursor,
    opts: &IngestOptions,
    stats: &mut IngestStats,
    sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
) -> Result<ChannelCursor, OsLogError> {
    #[cfg(windows)]
    {
        win::read_channel(channel, cursor, opts, stats, sink)
    }
    #[cfg(not(windows))]
    {
        let _ = (cursor, opts, stats, sink);
        Err(OsLogError::Windows(format!(
            "live channel {channel:?} can only be read on Windows"
        )))
    }
}

#[cfg(windows)]
mod win {
    use super::*;
    use windows_sys::Win32::Foundation::{
        ERROR_INSUFFICIENT_BUFFER, ERROR_NO_MORE_ITEMS, GetLastError,
    };
    use windows_sys::Win32::System::EventLog::{
        EVT_HANDLE, EvtClose, EvtCreateBookmark, EvtNext, EvtQuery, EvtQueryChannelPath,
        EvtQueryForwardDirection, EvtQueryReverseDirection, EvtRender, EvtRenderBookmark,
        EvtRenderEventXml, EvtSeek, EvtSeekRelativeToBookmark, EvtSeekStrict, EvtUpdateBookmark,
    };

    /// Records asked of `EvtNext` at a time.
    const BATCH: usize = 64;

    /// An event log handle, closed on drop.
    struct Handle(EVT_HANDLE);

    impl Drop for Handle {
        fn drop(&mut self) {
            if self.0 != 0 {
                // SAFETY: a handle returned by the Evt* API, closed once.
                unsafe { EvtClose(self.0) };
            }
        }
    }

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(std::iter::once(0)).collect()
    }

    fn api_error(call: &str, channel: &str) -> OsLogError {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(0) {
            // Wine's stubs fail this way; Windows always sets an error code.
            return OsLogError::Windows(format!(
                "{call}({channel}) failed without an error code: this Windows' Event Log API is incomplete (Wine?)"
            ));
        }
        OsLogError::Windows(format!("{call}({channel}) failed: {err}"))
    }

    fn query(channel: &str, xpath: &str, reverse: bool) -> Result<Handle, OsLogError> {
        let channel_w = wide(channel);
        let xpath_w = wide(xpath);
        let dir = if reverse {
            EvtQueryReverseDirection
        } else {
            EvtQueryForwardDirection
        };
        // SAFETY: NUL-terminated UTF-16 strings that outlive the call; session 0 = this computer.
        let h = unsafe {
            EvtQuery(
                0,
                channel_w.as_ptr(),
                xpath_w.as_ptr(),
                EvtQueryChannelPath | dir,
            )
        };
        if h == 0 {
            return Err(api_error("EvtQuery", channel));
        }
        Ok(Handle(h))
    }

    /// The next batch of records of `q` (empty at the end).
    fn next(q: &Handle, channel: &str) -> Result<Vec<Handle>, OsLogError> {
        let mut raw = [0isize; BATCH];
        let mut got = 0u32;
        // SAFETY: `raw` has room for BATCH handles; `got` receives how many were written.
        let ok = unsafe { EvtNext(q.0, BATCH as u32, raw.as_mut_ptr(), 0, 0, &mut got) };
        if ok == 0 {
            // SAFETY: reads this thread's last error code.
            return match unsafe { GetLastError() } {
                ERROR_NO_MORE_ITEMS => Ok(Vec::new()),
                _ => Err(api_error("EvtNext", channel)),
            };
        }
        let got = (got as usize).min(BATCH);
        Ok(raw[..got].iter().map(|&h| Handle(h)).collect())
    }

    /// Renders an event (`EvtRenderEventXml`) or a bookmark (`EvtRenderBookmark`) as a string.
    fn render(h: &Handle, flags: u32, channel: &str) -> Result<String, OsLogError> {
        let mut buf: Vec<u16> = Vec::new();
        loop {
            let mut used = 0u32;
            let mut props = 0u32;
            let size = u32::try_from(buf.len() * 2).unwrap_or(u32::MAX);
            // SAFETY: `buf` holds `size` bytes; `used` receives the bytes needed or written.
            let ok = unsafe {
                EvtRender(
                    0,
                    h.0,
                    flags,
                    size,
                    buf.as_mut_ptr().cast(),
                    &mut used,
                    &mut props,
                )
            };
            if ok != 0 {
                let n = (used as usize / 2).min(buf.len());
                let s = &buf[..n];
                let s = s.strip_suffix(&[0]).unwrap_or(s);
                return Ok(String::from_utf16_lossy(s));
            }
            // SAFETY: reads this thread's last error code.
            if unsafe { GetLastError() } != ERROR_INSUFFICIENT_BUFFER
                || (used as usize) / 2 <= buf.len()
            {
                return Err(api_error("EvtRender", channel));
            }
            buf = vec![0u16; (used as usize).div_ceil(2)];
        }
    }

    /// The `EventRecordID` of the channel's newest record, if it has any.
    fn newest_record_id(channel: &str) -> Result<Option<u64>, OsLogError> {
        let q = query(channel, "*", true)?;
        let Some(ev) = next(&q, channel)?.into_iter().next() else {
            return Ok(None);
        };
        let xml = render(&ev, EvtRenderEventXml, channel)?;
        let (log, _) = crate::xml::log_record_from_xml(&xml, chrono::Utc::now())?;
        Ok(log.record_id)
    }

    pub(super) fn read_channel(
        channel: &str,
        cursor: &ChannelCursor,
        opts: &IngestOptions,
        stats: &mut IngestStats,
        sink: &mut dyn FnMut(Event) -> Result<(), SinkError>,
    ) -> Result<ChannelCursor, OsLogError> {
        // The query first: where the Event Log API is missing (Wine implements `EvtQuery` as a
        // stub that fails, but not `EvtCreateBookmark`), this is the call that fails, cleanly.
        let saved = cursor.bookmark.as_deref().map(wide);
        let q = match (&saved, cursor.last_record_id) {
            (Some(_), _) | (None, 0) => query(channel, "*", false)?,
            (None, last) => after_record_id(channel, last)?,
        };
        // The bookmark to advance: the saved one, or a new one (null XML = no position yet).
        // SAFETY: a NUL-terminated UTF-16 string, or null for a new bookmark.
        let bm = Handle(unsafe {
            EvtCreateBookmark(saved.as_ref().map_or(std::ptr::null(), |w| w.as_ptr()))
        });
        if bm.0 == 0 {
            return Err(api_error("EvtCreateBookmark", channel));
        }
        let q = if saved.is_some() {
            // SAFETY: valid query and bookmark handles; offset 1 = the record after it.
            let ok = unsafe { EvtSeek(q.0, 1, bm.0, 0, EvtSeekRelativeToBookmark | EvtSeekStrict) };
            if ok != 0 {
                q
            } else {
                tracing::info!(%channel, last_record_id = cursor.last_record_id,
                    "bookmarked record is gone (log wrapped or cleared); resuming after its record id");
                after_record_id(channel, cursor.last_record_id)?
            }
        } else {
            q
        };
        let mut next_cursor = cursor.clone();
        let mut delivered = false;
        loop {
            let batch = next(&q, channel)?;
            if batch.is_empty() {
                break;
            }
            for ev in batch {
                match render(&ev, EvtRenderEventXml, channel)
                    .and_then(|xml| crate::xml::normalize_xml(&xml, chrono::Utc::now(), opts))
                {
                    Ok(event) => {
                        stats.records_read += 1;
                        stats.count_event(event.kind);
                        let rid = event.log.as_ref().and_then(|l| l.record_id);
                        sink(event).map_err(OsLogError::Sink)?;
                        if let Some(rid) = rid {
                            next_cursor.last_record_id = rid;
                        }
                    }
                    Err(err) => {
                        stats.malformed += 1;
                        tracing::warn!(%channel, %err, "skipping a channel record that cannot be rendered");
                    }
                }
                // SAFETY: valid bookmark and event handles.
                if unsafe { EvtUpdateBookmark(bm.0, ev.0) } == 0 {
                    return Err(api_error("EvtUpdateBookmark", channel));
                }
                delivered = true;
            }
        }
        if delivered {
            next_cursor.bookmark = Some(render(&bm, EvtRenderBookmark, channel)?);
        }
        Ok(next_cursor)
    }

    /// A query for the records after `last` (the fallback without a usable bookmark); the
    /// whole channel when its newest record id is below `last` (cleared and renumbered).
    fn after_record_id(channel: &str, last: u64) -> Result<Handle, OsLogError> {
        if newest_record_id(channel)?.is_some_and(|newest| newest < last) {
            tracing::info!(%channel, last_record_id = last,
                "channel record ids went backwards (log cleared); reading it from the start");
            return query(channel, "*", false);
        }
        query(channel, &format!("*[System[EventRecordID>{last}]]"), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::Cursors;

    #[test]
    fn channel_cursors_of_older_stores_load_without_a_bookmark() {
        let old = br#"{"evtx": {}, "audit": {}, "channels": {"Security": {"last_record_id": 77}}}"#;
        let c: Cursors = serde_json::from_slice(old).unwrap();
        assert_eq!(
            c.channels["Security"],
            ChannelCursor {
                last_record_id: 77,
                bookmark: None
            }
        );
        let mut c = c;
        c.channels.get_mut("Security").unwrap().bookmark =
            Some("<BookmarkList><Bookmark Channel='Security' RecordId='78' IsCurrent='true'/></BookmarkList>".into());
        let back: Cursors = serde_json::from_slice(&serde_json::to_vec(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    /// Under Wine (the Windows unit-test runner) the Event Log API is only partly implemented:
    /// reading a channel must either work or fail with a clear error, never panic or hang; a
    /// channel that does not exist is an error naming it. On Linux: an error saying Windows only.
    #[test]
    fn reading_a_channel_works_or_fails_clearly() {
        let mut stats = IngestStats::default();
        let mut n = 0usize;
        let r = read_channel(
            "Outpost-No-Such-Channel/Operational",
            &ChannelCursor::default(),
            &IngestOptions::default(),
            &mut stats,
            &mut |_| {
                n += 1;
                Ok(())
            },
        );
        match r {
            Err(OsLogError::Windows(msg)) => {
                assert!(msg.contains("Outpost-No-Such-Channel"), "{msg}")
            }
            other => panic!("a missing channel was read: {other:?}"),
        }
        let r = read_channel(
            "Application",
            &ChannelCursor::default(),
            &IngestOptions::default(),
            &mut stats,
            &mut |_| Ok(()),
        );
        eprintln!("reading Application: {r:?}");
        match r {
            Ok(c) => assert!(c.bookmark.is_some() || stats.records_read == 0),
            Err(OsLogError::Windows(msg)) => assert!(msg.contains("Application"), "{msg}"),
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
}
