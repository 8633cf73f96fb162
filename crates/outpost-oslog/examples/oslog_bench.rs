//! Benchmark: EVTX records parsed and normalized per second over every `.evtx` file under a
//! directory. `cargo run --release --example oslog_bench -- DIR [normalize|render]`
//!
//! * `normalize` (default): [`outpost_oslog::ingest_file`] — parse, render, build the
//!   `LogRecord` and the normalized `Event` of every record.
//! * `render`: the `evtx` crate alone rendering every record to JSON (no normalization), for
//!   comparison.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: oslog_bench DIR [normalize|render]");
        std::process::exit(2);
    };
    let mode = args.next().unwrap_or_else(|| "normalize".into());
    let files = files(Path::new(&dir));
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let start = Instant::now();
    let mut records = 0u64;
    let mut malformed = 0u64;
    let mut failed = 0u64;
    let mut by_kind = std::collections::BTreeMap::<String, u64>::new();
    for f in &files {
        match mode.as_str() {
            "render" => {
                let mut p = match evtx::EvtxParser::from_path(f) {
                    Ok(p) => p.with_configuration(evtx::ParserSettings::new().num_threads(1)),
                    Err(_) => {
                        failed += 1;
                        continue;
                    }
                };
                for r in p.records_json() {
                    match r {
                        Ok(r) => {
                            std::hint::black_box(&r.data);
                            records += 1;
                        }
                        Err(_) => malformed += 1,
                    }
                }
            }
            _ => {
                let res = outpost_oslog::ingest_file(
                    f,
                    &outpost_oslog::IngestOptions::default(),
                    &mut |e| {
                        std::hint::black_box(&e);
                        Ok::<(), Infallible>(())
                    },
                );
                match res {
                    Ok(s) => {
                        records += s.records_read;
                        malformed += s.malformed;
                        for (k, v) in s.events {
                            *by_kind.entry(k).or_default() += v;
                        }
                    }
                    Err(_) => failed += 1,
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "mode={mode} files={} bytes={bytes} records={records} malformed={malformed} failed_files={failed} seconds={secs:.3} records_per_sec={:.0}",
        files.len(),
        records as f64 / secs
    );
    if !by_kind.is_empty() {
        println!("events by kind: {by_kind:?}");
    }
}
