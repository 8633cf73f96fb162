//! Runs every sensor and prints each event as one JSON line (stdout); capabilities and the final
//! counters go to stderr. `sensors_dump [SECONDS] [CONFIG.json]`
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let config = match args.next() {
        Some(p) => match std::fs::read_to_string(&p).map(|s| serde_json::from_str(&s)) {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return eprintln!("bad config {p}: {e}"),
            Err(e) => return eprintln!("cannot read {p}: {e}"),
        },
        None => outpost_sensors::SensorConfig::default(),
    };
    let (tx, rx) = sync_channel(8192);
    let sensors = match outpost_sensors::start(config, tx) {
        Ok(s) => s,
        Err(e) => return eprintln!("{e}"),
    };
    eprintln!(
        "{}",
        serde_json::to_string_pretty(sensors.capabilities()).unwrap_or_default()
    );
    let end = Instant::now() + Duration::from_secs(secs);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if let Ok(ev) = rx.recv_timeout(left) {
            println!("{}", serde_json::to_string(&ev).unwrap_or_default());
        }
    }
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&sensors.counters()).unwrap_or_default()
    );
    sensors.stop();
}
