//! Footprint benchmark runner: every sensor running, each connection's remote IP looked up in
//! an IP hotlist (IPsum format: `IP<TAB>count`, `#` comments), until `--duration` seconds pass.
//! Prints one JSON summary (counters, hits, events seen for the workload) on stdout.
//!
//! `footprint_runner --hotlist FILE [--duration SECS] [--watch-port PORT] [--watch-exe PATH]
//!  [--state-dir DIR] [--consumer daemon|batch]`
//!
//! The consumer does what the agent daemon (`outpost-agent/src/daemon.rs`) does with every
//! event: `--consumer daemon` (the default) receives them one at a time with `recv_timeout` and
//! appends each as a JSON line to an hourly buffer file through a 64 KiB `BufWriter` (like
//! `BufferWriter::append`); the remote IP of every connection is looked up in the hotlist (what
//! the correlation pass does with the buffer). `--consumer batch` drains the channel every 50 ms
//! instead (what a batching daemon would pay).
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

/// The agent's hourly JSONL buffer, written the way `outpost-agent`'s `BufferWriter` does.
struct Buffer {
    dir: std::path::PathBuf,
    current: Option<(String, std::io::BufWriter<std::fs::File>)>,
    line: Vec<u8>,
    bytes: u64,
    errors: u64,
}

impl Buffer {
    fn append(&mut self, ev: &outpost_core::Event) {
        use std::io::Write;
        self.line.clear();
        if serde_json::to_writer(&mut self.line, ev).is_err() {
            self.errors += 1;
            return;
        }
        self.line.push(b'\n');
        let name = chrono::Utc::now()
            .format("events_%Y%m%d_%H.jsonl")
            .to_string();
        if self.current.as_ref().is_none_or(|(n, _)| *n != name) {
            self.flush();
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(&name))
            {
                Ok(f) => {
                    self.current = Some((name, std::io::BufWriter::with_capacity(64 * 1024, f)))
                }
                Err(_) => {
                    self.errors += 1;
                    return;
                }
            }
        }
        if let Some((_, w)) = self.current.as_mut() {
            match w.write_all(&self.line) {
                Ok(()) => self.bytes += self.line.len() as u64,
                Err(_) => self.errors += 1,
            }
        }
    }

    fn flush(&mut self) {
        use std::io::Write;
        if let Some((_, w)) = self.current.as_mut()
            && w.flush().is_err()
        {
            self.errors += 1;
        }
    }
}

fn main() {
    let mut hotlist = None;
    let mut duration = 60u64;
    let mut watch_port = 0u16;
    let mut watch_exe = String::from("/usr/bin/true");
    let mut state_dir: Option<std::path::PathBuf> = None;
    let mut batch_consumer = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_default();
        match a.as_str() {
            "--hotlist" => hotlist = Some(v),
            "--duration" => duration = v.parse().unwrap_or(60),
            "--watch-port" => watch_port = v.parse().unwrap_or(0),
            "--watch-exe" => watch_exe = v,
            "--state-dir" => state_dir = Some(std::path::PathBuf::from(v)),
            "--consumer" => batch_consumer = v == "batch",
            _ => return eprintln!("unknown argument {a}"),
        }
    }
    // Two malloc arenas instead of one per thread: less fragmentation across the sensor threads
    // (the slim agent should do the same at start-up).
    // SAFETY: mallopt only changes allocator tuning; it is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
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
    };
    let config = outpost_sensors::SensorConfig {
        state_dir,
        ..Default::default()
    };
    // A bounded std channel preallocates its slots: 2048 events is ~2 MiB (16384 would be ~16 MiB).
    let (tx, rx) = sync_channel(2048);
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
        if batch_consumer {
            std::thread::sleep(Duration::from_millis(50));
            batch.extend(rx.try_iter());
        } else {
            // The daemon's loop: one event per recv_timeout.
            match rx.recv_timeout(Duration::from_millis(500)) {
                Ok(ev) => batch.push(ev),
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
        "consumer": if batch_consumer { "batch" } else { "daemon" },
        "buffer_bytes": buffer.bytes,
        "buffer_write_errors": buffer.errors,
    });
    println!("{summary}");
}
