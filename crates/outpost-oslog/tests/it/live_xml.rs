//! The live-channel path (`EvtRender` XML → [`outpost_oslog::xml`]) against the EVTX file path,
//! on every record of every real EVTX sample: the `evtx` crate renders each record both as XML
//! (the shape `EvtRender(EvtRenderEventXml)` returns on Windows) and as JSON (what the file
//! reader normalizes), and the two must give equal events.

use crate::common;

use chrono::{DateTime, Utc};
use evtx::{EvtxParser, ParserSettings};
use outpost_oslog::IngestOptions;
use outpost_oslog::evtx::RawEvtxRecord;

fn chrono_of(t: evtx::Timestamp) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(t.as_microsecond())
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// The `evtx` crate's XML writer replaces characters that XML 1.0 cannot carry (C0 controls
/// other than tab, CR, LF) with `_`; its JSON keeps them. Windows' own renderer escapes them, so
/// this difference is the test renderer's, not the live path's: apply it to the file side.
fn xml_safe(e: &mut outpost_core::Event) {
    if let Some(log) = e.log.as_mut() {
        for v in log.fields.values_mut() {
            if v.chars()
                .any(|c| c < ' ' && !matches!(c, '\t' | '\r' | '\n'))
            {
                *v = v
                    .chars()
                    .map(|c| {
                        if c < ' ' && !matches!(c, '\t' | '\r' | '\n') {
                            '_'
                        } else {
                            c
                        }
                    })
                    .collect();
            }
        }
    }
}

#[test]
fn every_sample_record_normalizes_the_same_from_xml_as_from_the_file() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let files = common::evtx_files(&dir);
    let mut opts = IngestOptions::default();
    opts.drive_map.insert(r"\Device\HarddiskVolume1", "C:");
    opts.drive_map.insert(r"\Device\HarddiskVolume2", "D:");
    let (mut records, mut mismatches, mut kinds) =
        (0usize, 0usize, std::collections::BTreeMap::new());
    for path in &files {
        let settings = ParserSettings::new();
        let mut p = EvtxParser::from_path(path)
            .unwrap()
            .with_configuration(settings.clone());
        let xml: Vec<_> = p.records().filter_map(Result::ok).collect();
        let mut p = EvtxParser::from_path(path)
            .unwrap()
            .with_configuration(settings);
        let json: Vec<_> = p.records_json().filter_map(Result::ok).collect();
        assert_eq!(xml.len(), json.len(), "{}", path.display());
        for (x, j) in xml.iter().zip(&json) {
            assert_eq!(x.event_record_id, j.event_record_id);
            let written = chrono_of(j.timestamp);
            let raw = RawEvtxRecord {
                record_id: j.event_record_id,
                written,
                json: j.data.as_bytes().to_vec(),
            };
            let mut from_file = outpost_oslog::windows::normalize(&raw, &opts).unwrap();
            xml_safe(&mut from_file);
            let from_xml = outpost_oslog::xml::normalize_xml(&x.data, written, &opts)
                .unwrap_or_else(|e| {
                    panic!(
                        "{} record {}: {e}\n{}",
                        path.display(),
                        x.event_record_id,
                        x.data
                    )
                });
            if from_file != from_xml {
                mismatches += 1;
                if mismatches <= 3 {
                    eprintln!(
                        "{} record {}:\nfile {from_file:?}\nXML  {from_xml:?}\nXML text {}",
                        path.display(),
                        x.event_record_id,
                        x.data
                    );
                }
            }
            records += 1;
            *kinds
                .entry(format!("{:?}", from_file.kind))
                .or_insert(0usize) += 1;
        }
    }
    eprintln!(
        "{} files, {records} records compared: {kinds:?}",
        files.len()
    );
    assert_eq!(mismatches, 0, "{mismatches} of {records} records differ");
    if !files.is_empty() {
        assert!(records > 1000, "only {records} records");
        assert!(kinds.contains_key("Network") && kinds.contains_key("ProcessExec"));
    }
}
