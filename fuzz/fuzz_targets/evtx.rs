//! EVTX files (`outpost_oslog::ingest_file`, the reader behind `outpost ingest` and the
//! agent's EVTX sources): file header, chunks, BinXML records and the normalization of 5156/
//! 5157, Sysmon 1/3 and 4688 records into events. The reader takes a path, so each input is
//! written to one scratch file (in /dev/shm when there is one) first.
use outpost_oslog::{IngestOptions, SinkError, ingest_file};

fn main() {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("outpost-fuzz-evtx-{}.evtx", std::process::id()));
    let opts = IngestOptions::default();
    afl::fuzz!(|data: &[u8]| {
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let mut n = 0u64;
        let _ = ingest_file(&path, &opts, &mut |_e| {
            n += 1;
            Ok::<(), SinkError>(())
        });
    });
    let _ = std::fs::remove_file(&path);
}
