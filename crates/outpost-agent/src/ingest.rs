//! OS-log sources feeding the buffer: one-shot imports (`outpost agent ingest FILE…`) and the
//! configured sources that `run-once` polls, each from its remembered position.

use crate::buffer::BufferWriter;
use crate::{AgentError, io_err};
use outpost_oslog::{Cursors, IngestOptions, IngestStats, Progress, SourcesConfig};
use std::path::Path;

/// Where the per-source read positions are kept.
pub const CURSORS_FILE: &str = crate::DataDir::OSLOG_CURSORS;

fn oslog_err(e: outpost_oslog::OsLogError) -> AgentError {
    AgentError::Invalid {
        path: "os log".into(),
        message: e.to_string(),
    }
}

/// Appends every record of `paths` (EVTX or audit logs, auto-detected) to the buffer.
/// `progress` is called with the file and its progress.
pub fn ingest_files(
    data_dir: &Path,
    paths: &[std::path::PathBuf],
    opts: &IngestOptions,
    progress: &mut dyn FnMut(&Path, Progress),
) -> Result<IngestStats, AgentError> {
    // Appending while a daemon appends to the same hour file would interleave lines.
    let _lock = crate::lock::lock_data_dir(data_dir)?;
    crate::run_once::repair_buffer(data_dir)?;
    let mut w = BufferWriter::open(data_dir)?;
    let mut total = IngestStats::default();
    for p in paths {
        if !p.exists() {
            return Err(io_err(p)(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file",
            )));
        }
        let mut sink = |ev: outpost_core::Event| w.append(&ev);
        let mut prog = |pr: Progress| progress(p, pr);
        let stats = outpost_oslog::ingest_file_with_progress(p, opts, &mut prog, &mut |ev| {
            sink(ev).map_err(|e| Box::new(e) as outpost_oslog::SinkError)
        })
        .map_err(oslog_err)?;
        total.merge(&stats);
    }
    w.flush()?;
    Ok(total)
}

/// The configured sources with this host's own device → drive mapping added (Windows:
/// `QueryDosDeviceW` for every drive letter) under the configured entries, so WFP application
/// paths of this host's logs become `C:\…` paths the hash cache can open. Configured entries win.
pub fn with_live_drive_map(config: &SourcesConfig) -> SourcesConfig {
    with_drive_map(config, outpost_platform::drive_map())
}

fn with_drive_map(config: &SourcesConfig, live: Vec<(String, String)>) -> SourcesConfig {
    let mut c = config.clone();
    for (device, drive) in live {
        let known = c
            .drive_map
            .0
            .keys()
            .any(|k| k.trim_end_matches('\\').eq_ignore_ascii_case(&device));
        if !known {
            c.drive_map.insert(&device, &drive);
        }
    }
    c
}

/// Reads what is new in the configured sources into the buffer, and saves the positions.
pub fn poll_sources(data_dir: &Path, config: &SourcesConfig) -> Result<IngestStats, AgentError> {
    let cursor_path = crate::DataDir::new(data_dir).oslog_cursors();
    let mut cursors = Cursors::load(&cursor_path).map_err(oslog_err)?;
    let mut w = BufferWriter::open(data_dir)?;
    let config = with_live_drive_map(config);
    let stats = outpost_oslog::poll_sources(&config, &mut cursors, &mut |ev| {
        w.append(&ev)
            .map_err(|e| Box::new(e) as outpost_oslog::SinkError)
    });
    // Events delivered before a failure are in the buffer: flush them and keep their
    // positions, whatever the outcome.
    w.flush()?;
    cursors.save(&cursor_path).map_err(oslog_err)?;
    stats.map_err(oslog_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_drive_map_adds_under_configured_entries() {
        let mut cfg = SourcesConfig::default();
        cfg.drive_map.insert(r"\Device\HarddiskVolume3", "D:");
        let live = vec![
            (r"\device\harddiskvolume3".to_string(), "C:".to_string()),
            (r"\Device\HarddiskVolume4".to_string(), "E:".to_string()),
        ];
        let c = with_drive_map(&cfg, live);
        let m = &c.drive_map;
        assert_eq!(m.map_path(r"\device\harddiskvolume3\x.exe"), r"D:\x.exe");
        assert_eq!(m.map_path(r"\device\harddiskvolume4\y.exe"), r"E:\y.exe");
        // This host's own map (empty on Linux) never removes a configured entry.
        assert_eq!(
            with_live_drive_map(&cfg)
                .drive_map
                .map_path(r"\device\harddiskvolume3\x.exe"),
            r"D:\x.exe"
        );
    }
}
