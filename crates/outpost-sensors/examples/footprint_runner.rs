//! Footprint benchmark runner: every sensor running, each connection's remote IP looked up in
//! an IP hotlist (IPsum format: `IP<TAB>count`, `#` comments), until `--duration` seconds pass.
//! Prints one JSON summary (counters, hits, events seen for the workload) on stdout.
//!
//! `footprint_runner --hotlist FILE [--duration SECS] [--watch-port PORT] [--watch-exe PATH]
//!  [--state-dir DIR] [--consumer daemon|batch]`
//!
//! The consumer does what the agent daemon (`outpost-agent/src/daemon.rs`) does with every
//! event: `--consumer daemon` (the default) takes them in batches like the daemon's loop (block
//! for one, drain the rest, pause `READ_PAUSE`, 100 ms) and appends each as a JSON line to an
//! hourly buffer file through a 64 KiB `BufWriter` (like `BufferWriter::append`); the remote IP of every
//! connection is looked up in the hotlist (what the correlation pass does with the buffer).
//! `--consumer previous` is the daemon's loop before (one `recv_timeout` per event, the file
//! name formatted per event); `--consumer batch` drains the channel every 50 ms.
use outpost_core::{Direction, EventKind};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

/// Sorted IPv4 and IPv6 address lists: 4 or 16 bytes per entry, binary search.
struct Hotlist {
    v4: Vec<u32>,
    v6: Vec<u128>,
}

impl Hotlist {
    fn load(path: &str) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let ip = line.split_ascii_whitespace().next().unwrap_or("");
            match ip.parse::<IpAddr>() {
                Ok(IpAddr::V4(a)) => v4.push(u32::from(a)),
                Ok(IpAddr::V6(a)) => v6.push(u128::from(a)),
                Err(_) => {}
            }
        }
        v4.sort_unstable();
        v4.dedup();
        v4.shrink_to_fit();
        v6.sort_unstable();
        v6.dedup();
        v6.shrink_to_fit();
        Ok(Hotlist { v4, v6 })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.binary_search(&u32::from(a)).is_ok(),
            IpAddr::V6(a) => self.v6.binary_search(&u128::from(a)).is_ok(),
        }
    }

    fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }
}

/// The agent's hourly JSONL buffer, written the way `outpost-agent`'s `BufferWriter` does: lines
/// by `EventEncoder`, the file name formatted only when the UTC hour changes
/// (`--consumer previous`: serde_json and the file name for every event, as the daemon did
/// before).
struct Buffer {
    dir: std::path::PathBuf,
    /// (hours since the epoch, file name, writer)
    current: Option<(i64, String, std::io::BufWriter<std::fs::File>)>,
    line: Vec<u8>,
    bytes: u64,
    errors: u64,
    /// The daemon's previous way (`--consumer previous`): serde_json per event, the file name
    /// formatted per event.
    previous: bool,
    encoder: outpost_sensors::EventEncoder,
}

impl Buffer {
    fn append(&mut self, ev: &outpost_core::Event) {
        use std::io::Write;
        self.line.clear();
        let encoded = if self.previous {
            serde_json::to_writer(&mut self.line, ev)
        } else {
            self.encoder.encode(ev, &mut self.line)
        };
        if encoded.is_err() {
            self.errors += 1;
            return;
        }
        self.line.push(b'\n');
        let now = chrono::Utc::now();
        let hour = now.timestamp().div_euclid(3600);
        let stale = match &self.current {
            None => true,
            Some((_, n, _)) if self.previous => {
                *n != now.format("events_%Y%m%d_%H.jsonl").to_string()
            }
            Some((h, _, _)) => *h != hour,
        };
        if stale {
            self.flush();
            self.current = None;
            let name = now.format("events_%Y%m%d_%H.jsonl").to_string();
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(&name))
            {
                Ok(f) => {
                    self.current =
                        Some((hour, name, std::io::BufWriter::with_capacity(64 * 1024, f)))
                }
                Err(_) => {
                    self.errors += 1;
                    return;
                }
            }
        }
        if let Some((_, _, w)) = self.current.as_mut() {
            match w.write_all(&self.line) {
                Ok(()) => self.bytes += self.line.len() as u64,
                Err(_) => self.errors += 1,
            }
        }
    }

    fn flush(&mut self) {
        use std::io::Write;
        if let Some((_, _, w)) = self.current.as_mut()
            && w.flush().is_err()
        {
            self.errors += 1;
        }
    }
}

/// How the consumer takes events from the channel.
#[derive(Clone, Copy, PartialEq)]
enum Consumer {
    /// The daemon's loop (`outpost-agent/src/daemon.rs`): block for one event, drain what is
    /// queued, pause to the next read tick (`outpost_sensors::pause`, ~100 ms) unless a quarter
    /// of the channel was waiting.
    Daemon,
    /// The daemon's loop before: one `recv_timeout` per event.
    Previous,
    /// Drain every 50 ms.
    Batch,
}

fn main() {
    let mut hotlist = None;
    let mut duration = 60u64;
    let mut watch_port = 0u16;
    let mut watch_exe = String::from("/usr/bin/true");
    let mut state_dir: Option<std::path::PathBuf> = None;
    let mut consumer = Consumer::Daemon;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_default();
        match a.as_str() {
            "--hotlist" => hotlist = Some(v),
            "--duration" => duration = v.parse().unwrap_or(60),
            "--watch-port" => watch_port = v.parse().unwrap_or(0),
            "--watch-exe" => watch_exe = v,
            "--state-dir" => state_dir = Some(std::path::PathBuf::from(v)),
            "--consumer" => {
                consumer = match v.as_str() {
                    "daemon" => Consumer::Daemon,
                    "previous" => Consumer::Previous,
                    "batch" => Consumer::Batch,
                    _ => return eprintln!("--consumer daemon|previous|batch"),
                }
            }
            _ => return eprintln!("unknown argument {a}"),
        }
    }
    // The allocator tuning of the agent daemon (`daemon::run` does the same).
    outpost_platform::tune_allocator();
    let Some(hotlist) = hotlist else {
        return eprintln!("--hotlist FILE is required");
    };
    let hot = match Hotlist::load(&hotlist) {
        Ok(h) => h,
        Err(e) => return eprintln!("cannot load {hotlist}: {e}"),
    };
    let buffer_dir = state_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join("buffer");
    if let Err(e) = std::fs::create_dir_all(&buffer_dir) {
        return eprintln!("cannot create {}: {e}", buffer_dir.display());
    }
    let mut buffer = Buffer {
        dir: buffer_dir,
        current: None,
        line: Vec::with_capacity(1024),
        bytes: 0,
        errors: 0,
        previous: consumer == Consumer::Previous,
        encoder: outpost_sensors::EventEncoder::new(),
    };
    let config = outpost_sensors::SensorConfig {
        state_dir,
        ..Default::default()
    };
    // A bounded std channel preallocates its slots: 2048 events is ~2 MiB (16384 would be ~16 MiB).
    const QUEUE: usize = 2048;
    let (tx, rx) = sync_channel(QUEUE);
    let sensors = match outpost_sensors::start(config, tx) {
        Ok(s) => s,
        Err(e) => return eprintln!("{e}"),
    };
    eprintln!(
        "runner ready: pid {} hotlist {} entries; {}",
        std::process::id(),
        hot.len(),
        serde_json::to_string(sensors.capabilities()).unwrap_or_default()
    );
    let end = Instant::now() + Duration::from_secs(duration);
    let mut hits = 0u64;
    let mut lookups = 0u64;
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let (mut watched_out, mut watched_in, mut watched_attr, mut watched_exec) =
        (0u64, 0u64, 0u64, 0u64);
    let mut watched_in_attr = 0u64;
    let mut batch = Vec::with_capacity(2048);
    while Instant::now() < end {
        let mut pause = false;
        if consumer == Consumer::Batch {
            std::thread::sleep(Duration::from_millis(50));
            batch.extend(rx.try_iter());
        } else {
            match rx.recv_timeout(Duration::from_millis(500)) {
                Ok(ev) => {
                    batch.push(ev);
                    if consumer == Consumer::Daemon {
                        batch.extend(rx.try_iter().take(QUEUE));
                        pause = batch.len() < QUEUE / 4;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for ev in batch.drain(..) {
            buffer.append(&ev);
            *by_kind.entry(ev.kind.as_str()).or_default() += 1;
            if let Some(n) = &ev.network {
                if let Some(ip) = n.remote_ip {
                    lookups += 1;
                    if hot.contains(ip) {
                        hits += 1;
                    }
                }
                if watch_port != 0 && ev.kind == EventKind::Network {
                    if n.direction == Direction::Outbound && n.remote_port == Some(watch_port) {
                        watched_out += 1;
                        if ev.process.as_ref().is_some_and(|p| p.exe.is_some()) {
                            watched_attr += 1;
                        }
                    } else if n.direction == Direction::Inbound && n.local_port == Some(watch_port)
                    {
                        watched_in += 1;
                        if ev.process.as_ref().is_some_and(|p| p.exe.is_some()) {
                            watched_in_attr += 1;
                        }
                    }
                }
            }
            if ev.kind == EventKind::ProcessExec
                && ev.process.as_ref().and_then(|p| p.exe.as_deref()) == Some(watch_exe.as_str())
            {
                watched_exec += 1;
            }
        }
        if pause {
            outpost_sensors::pause();
        }
    }
    buffer.flush();
    let counters = sensors.counters();
    sensors.stop();
    let summary = serde_json::json!({
        "hotlist_entries": hot.len(),
        "lookups": lookups,
        "hotlist_hits": hits,
        "events_by_kind": by_kind,
        "watched_outbound": watched_out,
        "watched_outbound_attributed": watched_attr,
        "watched_inbound": watched_in,
        "watched_inbound_attributed": watched_in_attr,
        "watched_exec": watched_exec,
        "counters": counters,
        "consumer": match consumer {
            Consumer::Daemon => "daemon",
            Consumer::Previous => "previous",
            Consumer::Batch => "batch",
        },
        "buffer_bytes": buffer.bytes,
        "buffer_write_errors": buffer.errors,
    });
    println!("{summary}");
}
