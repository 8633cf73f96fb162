//! [`OutputManager`]: one disk queue and one delivery worker per configured output.

use crate::config::{Format, OutputConfig, SinkConfig};
use crate::error::OutputError;
use crate::format::{SyslogHeader, encode};
use crate::metrics::{Metrics, OutputMetrics};
use crate::queue::{DiskQueue, QueueLimits, QueuedRecord};
use crate::record::OutputRecord;
use crate::sinks::{Backoff, DeadLetter, Encoded, Sink};
use crate::ticket::chat::{ChatKind, ChatTicketer};
use crate::ticket::syncro::SyncroTicketer;
use crate::ticket::{DedupStore, TicketSink};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// How long [`OutputManager::shutdown`] lets in-flight deliveries finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Maximum payload bytes read from the queue for one attempt.
const BATCH_BYTES: usize = 8 * 1024 * 1024;

struct Output {
    name: String,
    type_name: &'static str,
    filter: crate::config::Filter,
    queue: Arc<DiskQueue>,
    notify: Arc<Notify>,
    metrics: OutputMetrics,
}

/// A snapshot of one output's state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutputStatus {
    /// Output name.
    pub name: String,
    /// Sink type (`elasticsearch`, …).
    #[serde(rename = "type")]
    pub type_name: &'static str,
    /// Records queued and not yet delivered.
    pub queue_depth: u64,
    /// Bytes on disk.
    pub queue_bytes: u64,
    /// Delivered records since start.
    pub sent: u64,
    /// Records in failed attempts since start.
    pub retried: u64,
    /// Records dropped since start.
    pub dropped: u64,
    /// Records dead-lettered since start.
    pub dead_lettered: u64,
}

/// The outputs of a server: call [`publish`](Self::publish) for every hit, alert, event or
/// audit entry; each output whose filter matches gets the record in its own disk queue and
/// delivers it at-least-once in the background.
pub struct OutputManager {
    outputs: Vec<Output>,
    shutdown_tx: watch::Sender<bool>,
    /// Worker tasks; taken by [`OutputManager::shutdown`].
    tasks: std::sync::Mutex<Vec<(String, JoinHandle<()>)>>,
    /// The exclusive lock on `{data_dir}/outputs/` (see [`LOCK_FILE`]); released by
    /// [`OutputManager::shutdown`] once the workers have stopped, or when the manager is dropped.
    lock: std::sync::Mutex<Option<outpost_platform::lock::DirLock>>,
}

/// The lock file under `{data_dir}/outputs/`: one process at a time delivers (and deletes from)
/// the queues there.
pub const LOCK_FILE: &str = "outputs.lock";

/// Takes the outputs directory's lock, or refuses with [`OutputError::Locked`].
fn lock_outputs_dir(dir: &Path) -> Result<outpost_platform::lock::DirLock, OutputError> {
    use outpost_platform::lock::{LockError, lock_file};
    let lock = lock_file(&dir.join(LOCK_FILE)).map_err(|e| match e {
        LockError::Held { path, holder } => OutputError::Locked { path, holder },
        LockError::Io { path, source } => OutputError::io(path, source),
    })?;
    if let Some(e) = &lock.pid_error {
        tracing::warn!(path = %lock.path.display(), error = %e, "could not record the pid in the lock file");
    }
    Ok(lock)
}

impl std::fmt::Debug for OutputManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputManager")
            .field(
                "outputs",
                &self.outputs.iter().map(|o| &o.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

struct WorkerCtx {
    name: String,
    format: Format,
    syslog: SyslogHeader,
    batch_size: usize,
    retry: crate::config::RetryConfig,
    queue: Arc<DiskQueue>,
    notify: Arc<Notify>,
    metrics: OutputMetrics,
    shutdown: watch::Receiver<bool>,
}

impl OutputManager {
    /// Opens every output's queue under `{data_dir}/outputs/{name}/` (records left from a
    /// previous run are delivered first), registers the metrics in `registry` and starts one
    /// worker task per output. Must be called inside a Tokio runtime. Fails on an invalid
    /// configuration, an unusable data directory or one whose outputs another process holds
    /// ([`OutputError::Locked`]: each manager locks `{data_dir}/outputs/`); unreachable targets
    /// are not an error (their records wait in the queue).
    pub fn start(
        configs: Vec<OutputConfig>,
        data_dir: &Path,
        registry: &mut prometheus_client::registry::Registry,
    ) -> Result<OutputManager, OutputError> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| {
            OutputError::Manager("OutputManager::start needs a Tokio runtime".into())
        })?;
        let mut seen = HashSet::new();
        for c in &configs {
            if !valid_name(&c.name) {
                return Err(OutputError::Config(format!(
                    "output name {:?} must be 1-64 characters of [A-Za-z0-9_-]",
                    c.name
                )));
            }
            if !seen.insert(c.name.clone()) {
                return Err(OutputError::Config(format!(
                    "duplicate output name {:?}",
                    c.name
                )));
            }
            if c.batch_size == 0 {
                return Err(OutputError::Config(format!(
                    "output {:?}: batch_size is 0",
                    c.name
                )));
            }
        }
        let lock = lock_outputs_dir(&data_dir.join("outputs"))?;
        let metrics = Metrics::register(registry);
        let (shutdown_tx, _) = watch::channel(false);
        let mut outputs = Vec::new();
        let mut workers = Vec::new();
        for c in configs {
            let dir = data_dir.join("outputs").join(&c.name);
            let queue = Arc::new(DiskQueue::open(
                &dir.join("queue"),
                QueueLimits::from(&c.queue),
            )?);
            let m = metrics.for_output(&c.name);
            m.queue_depth.set(queue.depth() as i64);
            m.queue_bytes.set(queue.bytes() as i64);
            if queue.dropped() > 0 {
                m.dropped.inc_by(queue.dropped());
            }
            let notify = Arc::new(Notify::new());
            let syslog = match &c.sink {
                SinkConfig::Syslog(s) => SyslogHeader {
                    facility: s.facility,
                    app_name: s.app_name.clone(),
                    hostname: s
                        .hostname
                        .clone()
                        .unwrap_or_else(crate::format::local_hostname),
                },
                _ => SyslogHeader::default(),
            };
            let ctx = WorkerCtx {
                name: c.name.clone(),
                format: c.effective_format(),
                syslog,
                batch_size: c.batch_size,
                retry: c.retry.clone(),
                queue: queue.clone(),
                notify: notify.clone(),
                metrics: m.clone(),
                shutdown: shutdown_tx.subscribe(),
            };
            // Build the sink now so configuration errors surface from `start`.
            let dead = DeadLetter::new(dir.join("dead-letter.jsonl"), &c.name, m.clone());
            let worker = build_worker(&c, ctx, dead, &dir)?;
            workers.push((c.name.clone(), worker));
            outputs.push(Output {
                name: c.name.clone(),
                type_name: c.sink.type_name(),
                filter: c.filter.clone(),
                queue,
                notify,
                metrics: m,
            });
        }
        let tasks = workers
            .into_iter()
            .map(|(name, fut)| (name, rt.spawn(fut)))
            .collect();
        let tasks = std::sync::Mutex::new(tasks);
        Ok(OutputManager {
            outputs,
            shutdown_tx,
            tasks,
            lock: std::sync::Mutex::new(Some(lock)),
        })
    }

    /// Queues `record` on every output whose filter matches and returns how many did. Never
    /// waits for a target: the record is appended to each queue file (a few microseconds) and
    /// this returns. A record that cannot be queued (disk full, record too large) is counted
    /// in `outpost_output_dropped_total` and logged.
    pub fn publish(&self, record: &OutputRecord) -> usize {
        self.publish_where(record, |_| true)
    }

    /// [`publish`](Self::publish) to the matching outputs whose sink type (`syncro`,
    /// `elasticsearch`, …) `only` accepts, e.g. only the ticketing outputs.
    pub fn publish_where(&self, record: &OutputRecord, only: impl Fn(&str) -> bool) -> usize {
        let mut queued = 0;
        let mut payload: Option<Vec<u8>> = None;
        for o in &self.outputs {
            if !only(o.type_name) || !o.filter.matches(record) {
                continue;
            }
            let bytes = match &payload {
                Some(p) => p,
                None => match serde_json::to_vec(record) {
                    Ok(p) => payload.insert(p),
                    Err(e) => {
                        tracing::error!(error = %e, id = %record.id, "cannot serialize output record");
                        return 0;
                    }
                },
            };
            match o.queue.append(bytes) {
                Ok(dropped) => {
                    if dropped > 0 {
                        o.metrics.dropped.inc_by(dropped);
                        tracing::warn!(output = %o.name, dropped, "output queue full; dropped oldest records");
                    }
                    queued += 1;
                    o.notify.notify_one();
                }
                Err(e) => {
                    o.metrics.dropped.inc();
                    tracing::error!(output = %o.name, error = %e, "cannot queue record");
                }
            }
            o.metrics.queue_depth.set(o.queue.depth() as i64);
            o.metrics.queue_bytes.set(o.queue.bytes() as i64);
        }
        queued
    }

    /// Convenience: [`publish`](Self::publish) a stored hit.
    pub fn publish_hit(&self, hit: &outpost_core::api::HitRecord) -> usize {
        match OutputRecord::from_hit(hit) {
            Ok(r) => self.publish(&r),
            Err(e) => {
                tracing::error!(error = %e, "cannot convert hit for outputs");
                0
            }
        }
    }

    /// Names and types of the outputs, in configuration order.
    pub fn outputs(&self) -> Vec<(String, &'static str)> {
        self.outputs
            .iter()
            .map(|o| (o.name.clone(), o.type_name))
            .collect()
    }

    /// The state of every output.
    pub fn status(&self) -> Vec<OutputStatus> {
        self.outputs
            .iter()
            .map(|o| OutputStatus {
                name: o.name.clone(),
                type_name: o.type_name,
                queue_depth: o.queue.depth(),
                queue_bytes: o.queue.bytes(),
                sent: o.metrics.sent.get(),
                retried: o.metrics.retried.get(),
                dropped: o.metrics.dropped.get(),
                dead_lettered: o.metrics.dead_lettered.get(),
            })
            .collect()
    }

    /// Records of output `name` not yet delivered.
    pub fn queue_depth(&self, name: &str) -> Option<u64> {
        self.outputs
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.queue.depth())
    }

    /// Waits until every queue is empty or `timeout` passes; returns whether all drained.
    pub async fn drain(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.outputs.iter().all(|o| o.queue.depth() == 0) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until output `name`'s queue is empty or `timeout` passes.
    pub async fn drain_output(&self, name: &str, timeout: Duration) -> bool {
        let Some(o) = self.outputs.iter().find(|o| o.name == name) else {
            return false;
        };
        let deadline = tokio::time::Instant::now() + timeout;
        while o.queue.depth() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Stops the workers: in-flight attempts get [`SHUTDOWN_GRACE`] to finish, then are
    /// abandoned. Undelivered records stay queued for the next start, and the outputs
    /// directory's lock is released for it. Later calls do nothing; records published after it
    /// stay queued for the next start.
    pub async fn shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
        for o in &self.outputs {
            o.notify.notify_one();
        }
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE + Duration::from_secs(1);
        let tasks = match self.tasks.lock() {
            Ok(mut t) => std::mem::take(&mut *t),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for (name, mut t) in tasks {
            match tokio::time::timeout_at(deadline, &mut t).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(output = %name, error = %e, "output worker failed"),
                Err(_) => {
                    tracing::warn!(output = %name, "output worker did not stop in time; aborted");
                    t.abort();
                    // Wait for the cancellation: the queue must be untouched once unlocked.
                    let _ = t.await;
                }
            }
        }
        let lock = match self.lock.lock() {
            Ok(mut l) => l.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        drop(lock);
    }
}

type WorkerFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn build_worker(
    c: &OutputConfig,
    ctx: WorkerCtx,
    dead: DeadLetter,
    dir: &Path,
) -> Result<WorkerFuture, OutputError> {
    use crate::sinks::{
        elasticsearch, file, host_of, kafka, nats, stream, syslog, tls_client_config, webhook,
    };
    let dl = |p: &Option<PathBuf>| match p {
        Some(p) => DeadLetter::new(p.clone(), &c.name, ctx.metrics.clone()),
        None => dead.clone(),
    };
    Ok(match &c.sink {
        SinkConfig::Elasticsearch(e) => {
            let d = dl(&e.dead_letter);
            Box::pin(run_worker(
                elasticsearch::EsSink::new(e.clone(), ctx.format, d)?,
                ctx,
            ))
        }
        SinkConfig::Kafka(k) => Box::pin(run_worker(kafka::KafkaSink::new(k.clone())?, ctx)),
        SinkConfig::Redis(r) => Box::pin(run_worker(
            crate::sinks::redis::RedisSink::new(r.clone())?,
            ctx,
        )),
        SinkConfig::Nats(n) => Box::pin(run_worker(nats::NatsSink::new(n.clone())?, ctx)),
        SinkConfig::Logstash(l) => {
            let tls = match &l.tls {
                Some(t) => Some((
                    tls_client_config(t.ca_file.as_deref())?,
                    t.server_name
                        .clone()
                        .unwrap_or_else(|| host_of(&l.address).to_string()),
                )),
                None => None,
            };
            let s = stream::StreamSink::new(
                l.address.clone(),
                tls,
                stream::Framing::Newline,
                Duration::from_secs(l.timeout_secs.max(1)),
                Duration::from_millis(l.confirm_window_ms),
            )?;
            Box::pin(run_worker(s, ctx))
        }
        SinkConfig::Syslog(s) => Box::pin(run_worker(syslog::SyslogSink::new(s)?, ctx)),
        SinkConfig::File(f) => Box::pin(run_worker(file::FileSink::new(f.clone()), ctx)),
        SinkConfig::Stdout => Box::pin(run_worker(file::StdoutSink, ctx)),
        SinkConfig::Webhook(w) => {
            let d = dl(&w.dead_letter);
            Box::pin(run_worker(
                webhook::WebhookSink::new(w.clone(), ctx.format, d)?,
                ctx,
            ))
        }
        SinkConfig::Syncro(s) => {
            let store = DedupStore::open(
                dir.join("dedup.json"),
                Duration::from_secs(s.dedup_window_secs),
            )?;
            let t = SyncroTicketer::new(s.clone())?;
            Box::pin(run_worker(TicketSink::new(t, store, dead), ctx))
        }
        SinkConfig::Slack(s) | SinkConfig::Teams(s) => {
            let kind = if matches!(c.sink, SinkConfig::Slack(_)) {
                ChatKind::Slack
            } else {
                ChatKind::Teams
            };
            let store = DedupStore::open(
                dir.join("dedup.json"),
                Duration::from_secs(s.dedup_window_secs),
            )?;
            let t = ChatTicketer::new(kind, s.clone())?;
            Box::pin(run_worker(TicketSink::new(t, store, dead), ctx))
        }
    })
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// Sleeps `d` unless shutdown is requested; returns false on shutdown.
async fn sleep_or_shutdown(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = shutdown.changed() => !*shutdown.borrow(),
    }
}

fn decode(ctx: &WorkerCtx, raw: Vec<QueuedRecord>) -> Vec<Encoded> {
    let mut out = Vec::with_capacity(raw.len());
    for q in raw {
        match serde_json::from_slice::<OutputRecord>(&q.payload) {
            Ok(record) => {
                let doc = encode(ctx.format, &record, &ctx.syslog);
                out.push(Encoded { record, doc });
            }
            Err(e) => {
                ctx.metrics.dropped.inc();
                tracing::error!(output = %ctx.name, seq = q.seq, error = %e, "undecodable queued record dropped");
            }
        }
    }
    out
}

async fn run_worker<S: Sink>(mut sink: S, mut ctx: WorkerCtx) {
    let mut backoff = Backoff::new(&ctx.retry);
    'outer: loop {
        if *ctx.shutdown.borrow() {
            break;
        }
        let raw = match ctx.queue.read_batch(ctx.batch_size, BATCH_BYTES) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(output = %ctx.name, error = %e, "reading the output queue failed");
                ctx.queue.rewind();
                if !sleep_or_shutdown(backoff.next_delay(), &mut ctx.shutdown).await {
                    break;
                }
                continue;
            }
        };
        let Some(last) = raw.last() else {
            ctx.metrics.lag_seconds.set(0.0);
            ctx.metrics.queue_depth.set(ctx.queue.depth() as i64);
            ctx.metrics.queue_bytes.set(ctx.queue.bytes() as i64);
            tokio::select! {
                _ = ctx.notify.notified() => {}
                _ = ctx.shutdown.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        };
        let ack_to = last.seq + 1;
        let oldest = raw[0].appended_at_ms;
        let batch = decode(&ctx, raw);
        loop {
            ctx.metrics
                .lag_seconds
                .set(now_ms().saturating_sub(oldest) as f64 / 1000.0);
            if batch.is_empty() {
                break;
            }
            let result = if *ctx.shutdown.borrow() {
                match tokio::time::timeout(SHUTDOWN_GRACE, sink.send(&batch)).await {
                    Ok(r) => r,
                    Err(_) => break 'outer,
                }
            } else {
                let mut shutdown = ctx.shutdown.clone();
                let send = sink.send(&batch);
                tokio::pin!(send);
                tokio::select! {
                    r = &mut send => r,
                    _ = shutdown.changed() => {
                        match tokio::time::timeout(SHUTDOWN_GRACE, &mut send).await {
                            Ok(r) => r,
                            Err(_) => break 'outer,
                        }
                    }
                }
            };
            match result {
                Ok(()) => {
                    ctx.metrics.sent.inc_by(batch.len() as u64);
                    backoff.reset();
                    break;
                }
                Err(e) => {
                    ctx.metrics.retried.inc_by(batch.len() as u64);
                    let delay = backoff.next_delay();
                    tracing::warn!(
                        output = %ctx.name,
                        records = batch.len(),
                        error = %e,
                        retry_in_ms = delay.as_millis() as u64,
                        "output delivery failed"
                    );
                    if !sleep_or_shutdown(delay, &mut ctx.shutdown).await {
                        break 'outer;
                    }
                }
            }
        }
        if let Err(e) = ctx.queue.ack(ack_to) {
            tracing::error!(output = %ctx.name, error = %e, "acknowledging delivered records failed");
        }
        ctx.metrics.queue_depth.set(ctx.queue.depth() as i64);
        ctx.metrics.queue_bytes.set(ctx.queue.bytes() as i64);
    }
    sink.close().await;
    tracing::debug!(output = %ctx.name, "output worker stopped");
}
