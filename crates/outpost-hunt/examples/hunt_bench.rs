//! Benchmark of the hunt path: `hunt_bench RULES_DIR|- DIR THREADS [REPEAT]` loads the rules
//! (`-`: none, parse and normalize only), hunts every file under DIR REPEAT times with THREADS
//! workers (0: one per core) and prints records, detections, wall and CPU time, records per
//! wall second and per CPU second. CPU time is the process's (Linux `/proc/self/stat`).

use outpost_hunt::{
    HuntOptions, Progress, RuleFilter, SigmaOptions, collect_inputs, hunt, load_rules,
};
use std::path::PathBuf;

fn cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the command name's closing parenthesis; utime and stime are 14 and 15.
    let Some(rest) = s.rsplit_once(')').map(|x| x.1) else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (t(11) + t(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: hunt_bench RULES_DIR|- DIR THREADS [REPEAT]");
        std::process::exit(2);
    }
    let rules_dirs: Vec<PathBuf> = if args[1] == "-" {
        Vec::new()
    } else {
        vec![PathBuf::from(&args[1])]
    };
    let threads: usize = args[3].parse().unwrap_or(0);
    let repeat: usize = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(1);
    let (c0, t0) = (cpu_seconds(), std::time::Instant::now());
    let rules = match load_rules(
        &rules_dirs,
        &SigmaOptions::default(),
        &RuleFilter::default(),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let load_s = t0.elapsed().as_secs_f64();
    let load_cpu = cpu_seconds() - c0;
    let (files, _) = collect_inputs(&[PathBuf::from(&args[2])]);
    let opts = HuntOptions {
        threads,
        ..Default::default()
    };
    let (c1, t1) = (cpu_seconds(), std::time::Instant::now());
    let mut records = 0;
    let mut detections = 0;
    let mut used = 0;
    for _ in 0..repeat {
        let r = hunt(&files, &rules.set, &opts, &Progress::default());
        records += r.stats.records;
        detections += r.detections.len();
        used = r.stats.threads;
    }
    let wall = t1.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c1;
    println!(
        "reader=outpost-hunt rules={} files={} threads={used} repeat={repeat} records={records} detections={detections} \
         rules_load_s={load_s:.2} rules_load_cpu_s={load_cpu:.2} wall_s={wall:.2} cpu_s={cpu:.2} \
         records_per_s={:.0} records_per_cpu_s={:.0}",
        rules.set.len(),
        files.len(),
        records as f64 / wall,
        records as f64 / cpu
    );
}
