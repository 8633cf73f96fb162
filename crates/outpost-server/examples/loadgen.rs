//! Load generator for `outpost server`: simulated agents that check in on their interval and
//! upload hits, with the latency of every request recorded.
//!
//! ```text
//! cargo run --release -p outpost-server --example loadgen -- \
//!     --url http://127.0.0.1:8470 --enrollment-key ope_… \
//!     --agents 50000 --interval-s 60 --hits-per-s 2000 --batch 10 --duration-s 60
//! ```
//!
//! The agents are enrolled first (through `POST /api/v1/enroll`, cached in `--cache` so a
//! second run reuses them). Then each agent checks in once per interval, at its own offset
//! (so check-ins are spread evenly: 50,000 agents every 60 s is 833 check-ins/s), while
//! uploads of `--batch` hits each keep `--hits-per-s` hits per second (open loop: a slow
//! server does not slow the offered load, it queues up — the latencies show it). Prints one
//! JSON line: achieved rates, p50/p99/max latency per kind, errors.

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

struct Args {
    url: String,
    enrollment_key: String,
    agents: usize,
    interval_s: u64,
    hits_per_s: u64,
    batch: usize,
    duration_s: u64,
    cache: Option<std::path::PathBuf>,
    concurrency: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        url: "http://127.0.0.1:8470".into(),
        enrollment_key: String::new(),
        agents: 1000,
        interval_s: 60,
        hits_per_s: 100,
        batch: 10,
        duration_s: 30,
        cache: None,
        concurrency: 512,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{k} needs a value"));
        let num = |s: String| s.parse::<u64>().map_err(|e| format!("{k}: {e}"));
        match k.as_str() {
            "--url" => a.url = v()?,
            "--enrollment-key" => a.enrollment_key = v()?,
            "--agents" => a.agents = num(v()?)? as usize,
            "--interval-s" => a.interval_s = num(v()?)?.max(1),
            "--hits-per-s" => a.hits_per_s = num(v()?)?,
            "--batch" => a.batch = (num(v()?)? as usize).max(1),
            "--duration-s" => a.duration_s = num(v()?)?.max(1),
            "--cache" => a.cache = Some(v()?.into()),
            "--concurrency" => a.concurrency = (num(v()?)? as usize).max(1),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.enrollment_key.is_empty() {
        return Err("--enrollment-key is required".into());
    }
    Ok(a)
}

#[derive(Clone)]
struct Agent {
    tenant: String,
    device: String,
    token: String,
}

/// Latencies in microseconds, by kind.
#[derive(Default)]
struct Samples {
    checkin: Vec<u32>,
    upload: Vec<u32>,
}

/// Which latencies a request's belong to.
#[derive(Clone, Copy)]
enum Kind {
    Checkin,
    Upload,
}

/// What every request shares: the client, the server's URL, the latencies, the error count and
/// the bound on requests in flight.
#[derive(Clone)]
struct Load {
    client: reqwest::Client,
    url: String,
    samples: Arc<Mutex<Samples>>,
    errors: Arc<AtomicU64>,
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl Load {
    /// Sends the request `next(n)` makes at `start` and then every `every` (open loop: late
    /// ticks are caught up) until `end`, each in a task of its own; waits for them all and
    /// returns how many were offered.
    async fn run(
        self,
        start: tokio::time::Instant,
        end: tokio::time::Instant,
        every: Duration,
        mut next: impl FnMut(u64) -> (reqwest::RequestBuilder, Kind),
    ) -> u64 {
        let mut tick = tokio::time::interval_at(start, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut n = 0u64;
        let mut handles = Vec::new();
        while tokio::time::Instant::now() < end {
            tick.tick().await;
            let (req, kind) = next(n);
            n += 1;
            handles.push(tokio::spawn(self.clone().send(req, kind)));
        }
        for h in handles {
            let _ = h.await;
        }
        n
    }

    /// Sends `req` once a slot is free; its latency counts as `kind`'s when it succeeds, else
    /// it counts as an error.
    async fn send(self, req: reqwest::RequestBuilder, kind: Kind) {
        let Ok(_p) = self.in_flight.acquire().await else {
            return;
        };
        let t = Instant::now();
        let r = req.send().await;
        if matches!(&r, Ok(r) if r.status().is_success()) {
            let mut s = self.samples.lock().await;
            let v = match kind {
                Kind::Checkin => &mut s.checkin,
                Kind::Upload => &mut s.upload,
            };
            v.push(t.elapsed().as_micros() as u32);
        } else {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn pct(v: &mut [u32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    f64::from(v[i]) / 1000.0
}

async fn enroll_all(c: &reqwest::Client, a: &Args) -> Result<Vec<Agent>, String> {
    if let Some(p) = &a.cache
        && let Ok(text) = std::fs::read_to_string(p)
    {
        let v: Vec<Vec<String>> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if v.len() >= a.agents {
            return Ok(v
                .into_iter()
                .take(a.agents)
                .map(|x| Agent {
                    tenant: x[0].clone(),
                    device: x[1].clone(),
                    token: x[2].clone(),
                })
                .collect());
        }
    }
    let t0 = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = Vec::with_capacity(a.agents);
    for i in 0..a.agents {
        let (c, url, key, sem) = (
            c.clone(),
            a.url.clone(),
            a.enrollment_key.clone(),
            sem.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire().await.map_err(|e| e.to_string())?;
            let r = c
                .post(format!("{url}/api/v1/enroll"))
                .json(&json!({"enrollment_key": key, "hostname": format!("sim-{i:06}"), "os": "linux"}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !r.status().is_success() {
                return Err(format!("enroll {i}: {}", r.status()));
            }
            let v: Value = r.json().await.map_err(|e| e.to_string())?;
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            Ok::<_, String>(Agent {
                tenant: s("tenant_id"),
                device: s("device_id"),
                token: s("device_token"),
            })
        }));
    }
    let mut out = Vec::with_capacity(a.agents);
    for t in tasks {
        out.push(t.await.map_err(|e| e.to_string())??);
    }
    eprintln!(
        "enrolled {} agents in {:.1} s",
        out.len(),
        t0.elapsed().as_secs_f64()
    );
    if let Some(p) = &a.cache {
        let v: Vec<[&str; 3]> = out
            .iter()
            .map(|x| [x.tenant.as_str(), x.device.as_str(), x.token.as_str()])
            .collect();
        std::fs::write(p, serde_json::to_string(&v).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn hits_body(ag: &Agent, seq: u64, n: usize) -> Vec<u8> {
    let now = chrono::Utc::now().to_rfc3339();
    let hits: Vec<Value> = (0..n)
        .map(|h| {
            json!({"remote_ip": format!("198.51.{}.{}", (seq % 250) as u8, h % 250), "remote_port": 443,
                   "protocol": "tcp", "process_name": "curl", "pid": 4242, "exe_path": "/usr/bin/curl",
                   "sha256": null, "first_seen_utc": now, "last_seen_utc": now, "hit_count": 1,
                   "sample_events": []})
        })
        .collect();
    serde_json::to_vec(
        &json!({"batch_id": format!("load-{seq}"), "tenant_id": ag.tenant,
        "device_id": ag.device, "hostname": "sim", "agent_version": "load", "hotlist_version": "v1",
        "hits": hits}),
    )
    .unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let a = args()?;
    let c = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let agents = Arc::new(enroll_all(&c, &a).await?);
    let load = Load {
        client: c,
        url: a.url.clone(),
        samples: Arc::new(Mutex::new(Samples::default())),
        errors: Arc::new(AtomicU64::new(0)),
        in_flight: Arc::new(tokio::sync::Semaphore::new(a.concurrency)),
    };
    let start = tokio::time::Instant::now();
    let end = start + Duration::from_secs(a.duration_s);

    // Check-ins: agent i at offset i/agents of the interval, then every interval.
    let checkin_every = Duration::from_secs_f64(a.interval_s as f64 / a.agents as f64);
    let ci = {
        let (load, agents, interval) = (load.clone(), agents.clone(), a.interval_s);
        tokio::spawn(load.clone().run(start, end, checkin_every, move |i| {
            let ag = &agents[i as usize % agents.len()];
            let req = load
                .client
                .post(format!("{}/api/v1/checkin", load.url))
                .bearer_auth(&ag.token)
                .json(&json!({"agent_version": "load", "hotlist_version": "v1", "interval_s": interval,
                              "counters": {"events": {"network": 10}, "dropped": 0}}));
            (req, Kind::Checkin)
        }))
    };
    // Uploads: hits_per_s / batch requests per second from agents in turn.
    let up = {
        let (load, sender, agents, batch) = (load.clone(), load.clone(), agents.clone(), a.batch);
        let per_s = (a.hits_per_s as f64 / batch as f64).max(0.0);
        tokio::spawn(async move {
            if per_s == 0.0 {
                return 0u64;
            }
            let every = Duration::from_secs_f64(1.0 / per_s);
            let next = move |seq: u64| {
                let ag = &agents[(seq as usize * 7919) % agents.len()];
                let req = load
                    .client
                    .post(format!("{}/api/v1/hits", load.url))
                    .bearer_auth(&ag.token)
                    .header("content-type", "application/json")
                    .body(hits_body(ag, seq, batch));
                (req, Kind::Upload)
            };
            sender.run(start, end, every, next).await
        })
    };
    let checkins_sent = ci.await.map_err(|e| e.to_string())?;
    let batches_sent = up.await.map_err(|e| e.to_string())?;
    let wall = start.elapsed().as_secs_f64();
    let mut s = load.samples.lock().await;
    let (nc, nu) = (s.checkin.len(), s.upload.len());
    let out = json!({
        "agents": a.agents, "interval_s": a.interval_s, "duration_s": a.duration_s, "wall_s": wall,
        "checkins_offered": checkins_sent, "checkins_ok": nc, "checkins_per_s": nc as f64 / wall,
        "checkin_p50_ms": pct(&mut s.checkin, 0.50), "checkin_p99_ms": pct(&mut s.checkin, 0.99),
        "checkin_max_ms": pct(&mut s.checkin, 1.0),
        "batches_offered": batches_sent, "batches_ok": nu, "hits_per_s": (nu * a.batch) as f64 / wall,
        "upload_p50_ms": pct(&mut s.upload, 0.50), "upload_p99_ms": pct(&mut s.upload, 0.99),
        "upload_max_ms": pct(&mut s.upload, 1.0),
        "errors": load.errors.load(Ordering::Relaxed),
    });
    println!("{out}");
    Ok(())
}
