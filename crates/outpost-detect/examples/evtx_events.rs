//! Prints the normalized Outpost events of EVTX / audit files as JSON lines (one per event),
//! as `outpost-oslog` produces them. Used to inspect samples when writing Sigma fixtures and to
//! build benchmark corpora: `cargo run -p outpost-detect --example evtx_events FILE...`.

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: evtx_events FILE...");
        std::process::exit(2);
    }
    let opts = outpost_oslog::IngestOptions::default();
    for f in files {
        let mut sink = |e: outpost_core::Event| -> Result<(), outpost_oslog::SinkError> {
            match serde_json::to_string(&e) {
                Ok(s) => println!("{s}"),
                Err(err) => eprintln!("{f}: {err}"),
            }
            Ok(())
        };
        if let Err(e) = outpost_oslog::ingest_file(std::path::Path::new(&f), &opts, &mut sink) {
            eprintln!("{f}: {e}");
        }
    }
}
