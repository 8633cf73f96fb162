//! Hotlist benchmark: load time, resident memory and lookups per second of a signed Outpost
//! bundle, a Rust `HashSet<IpAddr>` and (for reference) the parsed text hotlist.
//!
//! Driven by `bench/intel/run.py`, which also measures the seed's approach (gzipped JSON
//! array into a Python set) and prints the comparison. Each measurement runs in a fresh
//! process so resident-memory deltas are not polluted by earlier allocations.
//!
//! ```text
//! intel_bench prepare <ipsum.txt> <outdir>          # writes ipsum.bundle and ipsum.pub
//! intel_bench bundle  <ipsum.bundle> <ipsum.pub> <ipsum.txt>
//! intel_bench hashset <ipsum.txt>
//! intel_bench text    <ipsum.txt>
//! intel_bench iocs    <ipsum.txt> <N>               # IPsum + N SHA-256 + N domains (issue 21.6)
//! ```
//! Each measurement prints one JSON object.

use outpost_intel::bundle::{BundleSpec, build_bundle, verify};
use outpost_intel::distribute::verifying_key_from_hex;
use outpost_intel::feed::{FeedFormat, FeedOptions, parse_feed};
use outpost_intel::{Hotlist, ParseOptions, SigningKey};
use std::collections::HashSet;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

/// Distinct probe addresses; each lookup round walks all of them.
const PROBES: usize = 1_000_000;
/// Lookup rounds (total lookups = PROBES × ROUNDS).
const ROUNDS: usize = 20;
/// Timed loads for the median.
const LOADS: usize = 21;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = |i: usize| -> Res<&str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i}; see the header of intel_bench.rs").into())
    };
    match a(0)? {
        "prepare" => prepare(Path::new(a(1)?), Path::new(a(2)?)),
        "bundle" => bench_bundle(Path::new(a(1)?), Path::new(a(2)?), Path::new(a(3)?)),
        "hashset" => bench_hashset(Path::new(a(1)?)),
        "text" => bench_text(Path::new(a(1)?)),
        "iocs" => bench_iocs(Path::new(a(1)?), a(2)?.parse()?),
        other => Err(format!("unknown mode {other}").into()),
    }
}

/// Resident set size of this process in KiB (Linux `/proc/self/status`).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn ipsum_addrs(path: &Path) -> Res<Vec<IpAddr>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|s| s.parse().ok())
        .collect())
}

/// Half listed addresses, half uniformly random IPv4 (xorshift, fixed seed).
fn probes(listed: &[IpAddr]) -> Vec<IpAddr> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..PROBES)
        .map(|i| {
            let r = next();
            if i % 2 == 0 && !listed.is_empty() {
                listed[(r % listed.len() as u64) as usize]
            } else {
                IpAddr::V4(Ipv4Addr::from(r as u32))
            }
        })
        .collect()
}

/// CPU time consumed by this thread. On a shared, oversubscribed machine wall-clock time
/// includes time spent waiting for a core; CPU time is what one dedicated core would need.
fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall and CPU time of one call.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (w, c) = (Instant::now(), cpu_now());
    let r = f();
    (r, w.elapsed(), cpu_now() - c)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Lookups per wall-clock second and per CPU second of `f` over the probes, and the hit
/// count of one round.
fn lookups_per_sec(probes: &[IpAddr], f: impl Fn(IpAddr) -> bool) -> (f64, f64, usize) {
    let hits = probes.iter().filter(|&&p| f(p)).count();
    let ((), wall, cpu) = timed(|| {
        let mut n = 0usize;
        for _ in 0..ROUNDS {
            for &p in probes {
                n += usize::from(f(black_box(p)));
            }
        }
        black_box(n);
    });
    let total = (probes.len() * ROUNDS) as f64;
    (total / wall.as_secs_f64(), total / cpu.as_secs_f64(), hits)
}

/// Runs `load` once for the resident-memory delta and then `LOADS` times for the medians.
/// Returns the first result, first (wall, cpu) and median (wall, cpu) times and the RSS delta.
fn measure_load<T>(load: impl Fn() -> Res<T>) -> Res<(T, [f64; 4], u64)> {
    let rss0 = rss_kib();
    let (first, fw, fc) = timed(&load);
    let first = first?;
    let rss1 = rss_kib();
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for _ in 0..LOADS {
        let (r, w, c) = timed(&load);
        black_box(r?);
        walls.push(w);
        cpus.push(c);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok((
        first,
        [ms(fw), ms(fc), ms(median(walls)), ms(median(cpus))],
        rss1.saturating_sub(rss0),
    ))
}

#[allow(clippy::too_many_arguments)]
fn report(
    approach: &str,
    entries: usize,
    file_bytes: u64,
    t: [f64; 4],
    rss_kib: u64,
    heap: Option<usize>,
    lps: (f64, f64, usize),
    probes: usize,
) {
    println!(
        "{{\"approach\":\"{approach}\",\"entries\":{entries},\"file_bytes\":{file_bytes},\"load_first_wall_ms\":{:.3},\"load_first_cpu_ms\":{:.3},\"load_median_wall_ms\":{:.3},\"load_median_cpu_ms\":{:.3},\"rss_delta_kib\":{rss_kib},\"heap_bytes\":{},\"lookups_per_wall_sec\":{:.0},\"lookups_per_cpu_sec\":{:.0},\"hits_per_round\":{},\"probes\":{probes},\"rounds\":{ROUNDS}}}",
        t[0],
        t[1],
        t[2],
        t[3],
        heap.map_or("null".to_string(), |h| h.to_string()),
        lps.0,
        lps.1,
        lps.2
    );
}

/// The IPsum feed parsed as the server does.
fn ipsum_set(
    ipsum: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> Res<(outpost_intel::IntelSet, outpost_intel::feed::FeedReport)> {
    let text = std::fs::read_to_string(ipsum)?;
    Ok(parse_feed(
        &text,
        "ipsum",
        &FeedFormat::Ipsum { min_score: None },
        &FeedOptions::default(),
        now,
    )?)
}

fn prepare(ipsum: &Path, outdir: &Path) -> Res<()> {
    std::fs::create_dir_all(outdir)?;
    let now = chrono::Utc::now();
    let (set, report) = ipsum_set(ipsum, now)?;
    // A fixed benchmark key: the bundle is only used here.
    let key = SigningKey::from_bytes(&[42; 32]);
    let spec = BundleSpec {
        version: format!("ipsum-{}", now.format("%Y%m%dT%H%M%SZ")),
        created: now,
        ttl: Duration::from_secs(86_400),
        filter_mode: false,
        source: "ipsum".into(),
    };
    let bytes = build_bundle(&set, &spec, &key)?;
    std::fs::write(outdir.join("ipsum.bundle"), &bytes)?;
    std::fs::write(
        outdir.join("ipsum.pub"),
        hex::encode(key.verifying_key().as_bytes()),
    )?;
    println!(
        "{{\"prepared\":{},\"indicators\":{},\"bundle_bytes\":{}}}",
        report.accepted,
        set.len(),
        bytes.len()
    );
    Ok(())
}

fn bench_bundle(bundle: &Path, pubkey: &Path, ipsum: &Path) -> Res<()> {
    let key = verifying_key_from_hex(&std::fs::read_to_string(pubkey)?)?;
    let now = chrono::Utc::now();
    // Load = read the file, verify signature, digest and expiry, decode and index.
    let (hot, t, rss) = measure_load(|| -> Res<Hotlist> {
        let bytes = std::fs::read(bundle)?;
        Ok(verify(&bytes, &key, now)?.into_hotlist())
    })?;
    let listed = ipsum_addrs(ipsum)?;
    let pr = probes(&listed);
    let lps = lookups_per_sec(&pr, |ip| hot.contains(ip));
    let size = std::fs::metadata(bundle)?.len();
    report(
        "outpost bundle: contains()",
        hot.len(),
        size,
        t,
        rss,
        Some(hot.heap_bytes()),
        lps,
        pr.len(),
    );
    let lps = lookups_per_sec(&pr, |ip| {
        hot.lookup(ip).is_some_and(|e| e.net.prefix_len() > 0)
    });
    report(
        "outpost bundle: lookup() -> entry",
        hot.len(),
        size,
        t,
        rss,
        Some(hot.heap_bytes()),
        lps,
        pr.len(),
    );
    Ok(())
}

fn bench_hashset(ipsum: &Path) -> Res<()> {
    let (set, t, rss) = measure_load(|| -> Res<HashSet<IpAddr>> {
        let text = std::fs::read_to_string(ipsum)?;
        Ok(text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next())
            .filter_map(|s| s.parse().ok())
            .collect())
    })?;
    let listed = ipsum_addrs(ipsum)?;
    let pr = probes(&listed);
    let lps = lookups_per_sec(&pr, |ip| set.contains(&ip));
    let size = std::fs::metadata(ipsum)?.len();
    report(
        "Rust HashSet<IpAddr> from ipsum.txt",
        set.len(),
        size,
        t,
        rss,
        None,
        lps,
        pr.len(),
    );
    Ok(())
}

fn bench_text(ipsum: &Path) -> Res<()> {
    let (hot, t, rss) = measure_load(|| -> Res<Hotlist> {
        let text = std::fs::read_to_string(ipsum)?;
        Ok(Hotlist::parse(&text, "ipsum", &ParseOptions::default())?.0)
    })?;
    let listed = ipsum_addrs(ipsum)?;
    let pr = probes(&listed);
    let lps = lookups_per_sec(&pr, |ip| hot.contains(ip));
    let size = std::fs::metadata(ipsum)?.len();
    report(
        "outpost Hotlist parsed from ipsum.txt",
        hot.len(),
        size,
        t,
        rss,
        Some(hot.heap_bytes()),
        lps,
        pr.len(),
    );
    Ok(())
}

/// Issue 21.6: a tenant bundle of the IPsum feed plus `n` SHA-256 and `n` domain indicators
/// (synthetic values, half of the domains as suffixes): its size, its load (verify + decode +
/// index every kind, what the agent does per pass) and resident memory, and hash and domain
/// lookups per second.
fn bench_iocs(ipsum: &Path, n: usize) -> Res<()> {
    use outpost_intel::{Indicator, IndicatorKind, IndicatorValue};
    let now = chrono::Utc::now();
    let (mut set, _) = ipsum_set(ipsum, now)?;
    let mut hashes = Vec::with_capacity(n);
    let mut domains = Vec::with_capacity(n);
    for i in 0..n {
        let h = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(i.to_le_bytes()));
        set.insert(Indicator::new(
            IndicatorValue::parse(IndicatorKind::Sha256, &h)?,
            "report",
        ));
        hashes.push(h);
        let d = format!("c2-{i:06}.example{}.test", i % 97);
        let kind = if i % 2 == 0 {
            IndicatorKind::Domain
        } else {
            IndicatorKind::DomainSuffix
        };
        set.insert(Indicator::new(IndicatorValue::parse(kind, &d)?, "report"));
        domains.push(d);
    }
    let key = SigningKey::from_bytes(&[42; 32]);
    let spec = BundleSpec {
        version: "iocs".into(),
        created: now,
        ttl: Duration::from_secs(86_400),
        filter_mode: false,
        source: "bench".into(),
    };
    let (bytes, build_wall, build_cpu) = timed(|| build_bundle(&set, &spec, &key));
    let bytes = bytes?;
    let vk = key.verifying_key();
    let (b, t, rss) =
        measure_load(|| -> Res<outpost_intel::Bundle> { Ok(verify(&bytes, &vk, now)?) })?;
    let iocs = b.iocs();
    use outpost_intel::IndicatorLookup;
    let heap = iocs.compact_heap_bytes() + b.hotlist().heap_bytes();
    // Half listed, half not.
    let hprobe: Vec<String> = (0..200_000)
        .map(|i| {
            if i % 2 == 0 {
                hashes[i % hashes.len().max(1)].clone()
            } else {
                format!("{:064x}", i)
            }
        })
        .collect();
    let dprobe: Vec<String> = (0..200_000)
        .map(|i| {
            if i % 2 == 0 {
                format!("www.{}", domains[i % domains.len().max(1)])
            } else {
                format!("host{i}.example.org")
            }
        })
        .collect();
    let ((), hw, hc) = timed(|| {
        let k = hprobe
            .iter()
            .filter(|h| iocs.hash_at(h, now).is_some())
            .count();
        black_box(k);
    });
    let ((), dw, dc) = timed(|| {
        let k = dprobe
            .iter()
            .filter(|d| iocs.domain_at(d, now).is_some())
            .count();
        black_box(k);
    });
    let _ = (hw, dw);
    println!(
        "{{\"approach\":\"bundle+iocs\",\"ipsum_and_iocs\":{},\"hash_indicators\":{n},\"domain_indicators\":{n},\"bundle_bytes\":{},\"build_wall_ms\":{:.1},\"build_cpu_ms\":{:.1},\"load_first_wall_ms\":{:.1},\"load_first_cpu_ms\":{:.1},\"load_median_wall_ms\":{:.1},\"load_median_cpu_ms\":{:.1},\"rss_delta_kib\":{rss},\"heap_bytes\":{heap},\"hash_lookups_per_cpu_sec\":{:.0},\"domain_lookups_per_cpu_sec\":{:.0}}}",
        set.len(),
        bytes.len(),
        build_wall.as_secs_f64() * 1e3,
        build_cpu.as_secs_f64() * 1e3,
        t[0],
        t[1],
        t[2],
        t[3],
        hprobe.len() as f64 / hc.as_secs_f64(),
        dprobe.len() as f64 / dc.as_secs_f64(),
    );
    Ok(())
}
