//! Prints the records of an EVTX file as JSON (one per line), as parsed by the `evtx` crate.
//! Used to inspect real files when writing tests: `cargo run --example evtx_dump_json FILE [N]`.

use evtx::{EvtxParser, ParserSettings};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: evtx_dump_json FILE [MAX]");
        std::process::exit(2);
    };
    let max: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let mut parser = match EvtxParser::from_path(&path) {
        Ok(p) => p.with_configuration(ParserSettings::new().num_threads(1)),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    for r in parser.records_json_value().take(max) {
        match r {
            Ok(r) => println!("{} {}", r.event_record_id, r.data),
            Err(e) => eprintln!("error: {e}"),
        }
    }
}
