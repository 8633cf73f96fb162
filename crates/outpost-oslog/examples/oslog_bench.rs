//! Benchmark: EVTX records parsed and normalized per second over every `.evtx` file under a
//! directory. `cargo run --release --example oslog_bench -- DIR [normalize|render] [REPEAT]`
//!
//! The whole directory is read REPEAT times (default 5). Rates are given per wall-clock second
//! and per CPU second of this process (from `/proc/self/schedstat`, Linux), since the latter
//! stays meaningful on a loaded machine.
//!
//! * `normalize` (default): [`outpost_oslog::ingest_file`] — parse, render, build the
//!   `LogRecord` and the normalized `Event` of every record.
//! * `render`: the `evtx` crate alone rendering every record to JSON (no normalization), for
//!   comparison.
//! * `value`: `render` plus parsing the JSON into a `serde_json::Value` (the first step of
//!   normalization), to see where the time goes.

use std::convert::Infallible;
use std::path::Path;
use std::time::Instant;

use outpost_oslog::evtx_files as files;

/// CPU time of this process in nanoseconds (first field of `/proc/self/schedstat`).
fn cpu_ns() -> Option<u64> {
    outpost_testkit::schedstat_cpu_ns("/proc/self/schedstat")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: oslog_bench DIR [normalize|render|value] [REPEAT]");
        std::process::exit(2);
    };
    let mode = args.next().unwrap_or_else(|| "normalize".into());
    let repeat: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let files = files(Path::new(&dir));
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let start = Instant::now();
    let cpu0 = cpu_ns();
    let mut records = 0u64;
    let mut malformed = 0u64;
    let mut failed = 0u64;
    let mut by_kind = std::collections::BTreeMap::<String, u64>::new();
    for f in std::iter::repeat_n(&files, repeat as usize).flatten() {
        match mode.as_str() {
            "render" | "value" => {
                let to_value = mode == "value";
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
                            if to_value {
                                let v = serde_json::from_str::<serde_json::Value>(&r.data);
                                std::hint::black_box(&v);
                            }
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
    let cpu = match (cpu0, cpu_ns()) {
        (Some(a), Some(b)) => format!(
            " cpu_seconds={:.3} records_per_cpu_sec={:.0}",
            (b - a) as f64 / 1e9,
            records as f64 / ((b - a) as f64 / 1e9)
        ),
        _ => String::new(),
    };
    println!(
        "mode={mode} files={} repeat={repeat} bytes_per_pass={bytes} records={records} malformed={malformed} failed_files={failed} wall_seconds={secs:.3} records_per_wall_sec={:.0}{cpu}",
        files.len(),
        records as f64 / secs
    );
    if !by_kind.is_empty() {
        println!("events by kind: {by_kind:?}");
    }
}
