//! Shared helpers of the integration tests.
#![allow(dead_code)]

use outpost_core::api::HitRecord;
use outpost_core::{Hit, Protocol};
use outpost_outputs::{OutputConfig, OutputManager, OutputRecord};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The value of `name`, or `None` after printing a skip message.
/// Fails instead under `OUTPOST_REQUIRE_SERVICES=1` (see `outpost-testkit`).
pub fn env_or_skip(name: &str, test: &str) -> Option<String> {
    let v = outpost_testkit::service(name);
    if v.is_none() {
        eprintln!("SKIPPED {test}");
    }
    v
}

/// A stored hit as the server would publish it.
pub fn hit(i: u64, tenant: &str) -> HitRecord {
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or_default()
        + chrono::Duration::seconds(i as i64);
    HitRecord {
        id: i as i64,
        tenant_id: tenant.to_string(),
        device_id: format!("dev-{}", i % 5),
        hostname: format!("host-{}", i % 5),
        batch_id: format!("b-{i}"),
        received_at: t,
        agent_version: "1.0.0".into(),
        hotlist_version: "2026-11-23".into(),
        hit: Hit {
            remote_ip: Some(format!("203.0.113.{}", i % 250).parse().unwrap()),
            remote_port: Some(443),
            protocol: Protocol::Tcp,
            process_name: format!("proc{}.exe", i % 7),
            pid: Some(1000 + i as u32),
            exe_path: Some(format!("C:\\bin\\proc{}.exe", i % 7)),
            sha256: Some(format!("{:064x}", i % 7)),
            first_seen_utc: t,
            last_seen_utc: t,
            hit_count: 1,
            sample_events: vec![],
            direction: None,
            intel: None,
            domain: None,
        },
        triage: Default::default(),
        score: Default::default(),
    }
}

/// The output record of [`hit`].
pub fn record(i: u64, tenant: &str) -> OutputRecord {
    OutputRecord::from_hit(&hit(i, tenant)).unwrap()
}

/// A unique suffix for keys, topics and indices.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) % 1_000_000_000
    )
}

/// Starts a manager with one output.
pub fn start(cfg: OutputConfig, dir: &Path) -> OutputManager {
    let mut reg = prometheus_client::registry::Registry::default();
    OutputManager::start(vec![cfg], dir, &mut reg).unwrap()
}

/// A TCP proxy in front of a real server, so a test can take "the server" away (listener and
/// every connection dropped at once) and bring it back on the same port.
pub struct Proxy {
    pub addr: SocketAddr,
    target: String,
    state: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let p = Proxy {
            addr,
            target: target.to_string(),
            state: Arc::new(Mutex::new(Vec::new())),
        };
        p.serve(listener);
        p
    }
}

impl Restartable for Proxy {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target.clone();
        let state = self.state.clone();
        let h = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
                state.lock().unwrap().push(conn);
            }
        });
        self.state.lock().unwrap().push(h);
    }

    fn stop(&self) {
        for h in self.state.lock().unwrap().drain(..) {
            h.abort();
        }
    }
}

/// A test server that can be taken away (listener and every connection dropped at once, like a
/// crashed server) and brought back on the same port.
#[allow(async_fn_in_trait)]
pub trait Restartable {
    fn addr(&self) -> SocketAddr;

    /// Accepts on `l` (in a task that [`Restartable::stop`] aborts).
    fn serve(&self, l: TcpListener);

    /// Drops the listener and every connection.
    fn stop(&self);

    /// Listens again on the same port.
    async fn restart(&self) {
        for _ in 0..100 {
            if let Ok(l) = TcpListener::bind(self.addr()).await {
                self.serve(l);
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cannot rebind {}", self.addr());
    }
}

/// [`publish_with_outage`] of 3,000 records while `server` is taken away and brought back.
pub async fn publish_through_outage(
    cfg: OutputConfig,
    server: &impl Restartable,
) -> Vec<OutputRecord> {
    publish_with_outage(
        cfg,
        3000,
        async || server.stop(),
        async || server.restart().await,
    )
    .await
}

/// An output with batches of 100 and fast retries, for the outage scenarios.
pub fn outage_cfg(name: &str, sink: outpost_outputs::SinkConfig) -> OutputConfig {
    let mut cfg = OutputConfig::new(name, sink);
    cfg.batch_size = 100;
    fast_retry(&mut cfg);
    cfg
}

/// The standard outage scenario on a fresh manager with the one output `cfg` (in a temporary
/// data directory, shut down at the end): publish `n` records of tenant `t1`; after the first
/// third has started flowing, `stop` the server; publish the next third while it is down and
/// wait until the worker has failed at least once; `restart`; publish the rest; wait for the
/// queue to drain. Returns the published records.
pub async fn publish_with_outage(
    cfg: OutputConfig,
    n: u64,
    stop: impl AsyncFnOnce(),
    restart: impl AsyncFnOnce(),
) -> Vec<OutputRecord> {
    let data = tempfile::tempdir().unwrap();
    let output = cfg.name.clone();
    let mgr = start(cfg, data.path());
    let all = outage(&mgr, &output, "t1", n, stop, restart).await;
    mgr.shutdown().await;
    all
}

async fn outage(
    mgr: &OutputManager,
    output: &str,
    tenant: &str,
    n: u64,
    stop: impl AsyncFnOnce(),
    restart: impl AsyncFnOnce(),
) -> Vec<OutputRecord> {
    let mut all = Vec::new();
    let third = n / 3;
    for i in 0..third {
        let r = record(i, tenant);
        assert_eq!(mgr.publish(&r), 1);
        all.push(r);
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // Let some records through so the outage hits mid-stream.
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop().await;
    for i in third..2 * third {
        let r = record(i, tenant);
        assert_eq!(mgr.publish(&r), 1);
        all.push(r);
    }
    let before = retried(mgr, output);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while retried(mgr, output) == before && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        retried(mgr, output) > before,
        "the worker never noticed the outage"
    );
    assert!(
        mgr.queue_depth(output).unwrap() > 0,
        "records should wait during the outage"
    );
    restart().await;
    for i in 2 * third..n {
        let r = record(i, tenant);
        assert_eq!(mgr.publish(&r), 1);
        all.push(r);
    }
    assert!(
        mgr.drain(Duration::from_secs(60)).await,
        "queue did not drain after the server came back: {:?}",
        mgr.status()
    );
    all
}

pub fn retried(mgr: &OutputManager, output: &str) -> u64 {
    mgr.status()
        .into_iter()
        .find(|s| s.name == output)
        .map(|s| s.retried)
        .unwrap_or(0)
}

/// Asserts every published id is in `got` (duplicates allowed: at-least-once).
pub fn assert_all_delivered(published: &[OutputRecord], got: &std::collections::HashSet<String>) {
    let missing: Vec<&str> = published
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !got.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} records lost: {:?}",
        missing.len(),
        published.len(),
        &missing[..missing.len().min(20)]
    );
}

/// [`assert_all_delivered`] of the `received` records (ids `got`), then a summary line of
/// `test`: records published, received, and received more than once (at-least-once redelivery).
pub fn assert_all_delivered_counting(
    test: &str,
    published: &[OutputRecord],
    got: &std::collections::HashSet<String>,
    received: usize,
) {
    assert_all_delivered(published, got);
    eprintln!(
        "{test}: {} published, {received} received (duplicates from redelivery: {})",
        published.len(),
        received - got.len()
    );
}

/// Fast retries for tests.
pub fn fast_retry(cfg: &mut OutputConfig) {
    cfg.retry.initial_backoff_ms = 50;
    cfg.retry.max_backoff_ms = 500;
}
