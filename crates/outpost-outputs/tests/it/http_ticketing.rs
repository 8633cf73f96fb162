//! Webhook output and the Syncro / Slack / Teams ticketers against HTTP servers running in the
//! test (axum), which implement the documented endpoints, record every call, and are stopped
//! mid-stream.

use crate::common;

use axum::extract::{Path as AxPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use common::*;
use outpost_outputs::config::WebhookConfig;
use outpost_outputs::ticket::chat::ChatConfig;
use outpost_outputs::ticket::syncro::{SyncroAuth, SyncroConfig};
use outpost_outputs::{
    OutputConfig, OutputManager, OutputRecord, Secret, SinkConfig, webhook_signature,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// An axum app that can be stopped (task aborted: listener and connections dropped) and
/// started again on the same port.
struct Server {
    addr: SocketAddr,
    app: Router,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Server {
    async fn start(app: Router) -> Server {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let s = Server {
            addr,
            app,
            task: Mutex::new(None),
        };
        s.serve(l);
        s
    }
}

impl Restartable for Server {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(&self, l: tokio::net::TcpListener) {
        let app = self.app.clone();
        *self.task.lock().unwrap() = Some(tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        }));
    }

    fn stop(&self) {
        if let Some(t) = self.task.lock().unwrap().take() {
            t.abort();
        }
    }
}

/// Publishes `recs` to `mgr` across an outage of `srv`: those before `down` while it is up, the
/// `down` ones while it is stopped (then waits `outage`, after which each of the outputs
/// `noticed_by` must have retried), the rest once it is back; then waits for the queues to
/// drain.
async fn publish_across_outage(
    mgr: &OutputManager,
    srv: &Server,
    recs: &[OutputRecord],
    down: std::ops::Range<usize>,
    outage: Duration,
    noticed_by: &[&str],
) {
    for r in &recs[..down.start] {
        mgr.publish(r);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    srv.stop();
    for r in &recs[down.clone()] {
        mgr.publish(r);
    }
    tokio::time::sleep(outage).await;
    for output in noticed_by {
        assert!(retried(mgr, output) > 0, "outage not noticed by {output}");
    }
    srv.restart().await;
    for r in &recs[down.end..] {
        mgr.publish(r);
    }
    assert!(
        mgr.drain(Duration::from_secs(60)).await,
        "{:?}",
        mgr.status()
    );
}

// ---------------------------------------------------------------- webhook

#[derive(Clone, Default)]
struct HookState {
    ids: Arc<Mutex<Vec<String>>>,
    bad_signatures: Arc<Mutex<u32>>,
}

async fn hook(
    State(st): State<HookState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let ts: i64 = headers
        .get("x-outpost-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let sig = headers
        .get("x-outpost-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sig != webhook_signature(b"s3cret", ts, &body)
        || (chrono::Utc::now().timestamp() - ts).abs() > 300
    {
        *st.bad_signatures.lock().unwrap() += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let docs: Vec<Value> = serde_json::from_slice(&body).unwrap();
    let mut ids = st.ids.lock().unwrap();
    for d in docs {
        ids.push(d["id"].as_str().unwrap().to_string());
    }
    StatusCode::NO_CONTENT
}

/// A webhook receiver in the test: `/hook` checks the signature and records the ids (in the
/// returned state), `/reject` answers 400.
async fn hook_server() -> (HookState, Server) {
    let st = HookState::default();
    let srv = Server::start(
        Router::new()
            .route("/hook", post(hook))
            .route("/reject", post(|| async { StatusCode::BAD_REQUEST }))
            .with_state(st.clone()),
    )
    .await;
    (st, srv)
}

#[tokio::test]
async fn webhook_hmac_with_outage() {
    let (st, srv) = hook_server().await;
    let cfg = outage_cfg(
        "hook",
        SinkConfig::Webhook(WebhookConfig {
            url: format!("http://{}/hook", srv.addr),
            secret: Some(Secret("s3cret".into())),
            headers: BTreeMap::from([("X-Extra".to_string(), "1".to_string())]),
            dead_letter: None,
            timeout_secs: 2,
        }),
    );
    let published = publish_through_outage(cfg, &srv).await;
    let got: HashSet<String> = st.ids.lock().unwrap().iter().cloned().collect();
    assert_all_delivered(&published, &got);
    assert_eq!(*st.bad_signatures.lock().unwrap(), 0);
}

#[tokio::test]
async fn webhook_wrong_secret_is_retried_not_lost_and_400_dead_letters() {
    let (st, srv) = hook_server().await;
    let data = tempfile::tempdir().unwrap();
    let mk = |name: &str, path: &str, secret: &str| {
        let mut c = OutputConfig::new(
            name,
            SinkConfig::Webhook(WebhookConfig {
                url: format!("http://{}{path}", srv.addr),
                secret: Some(Secret(secret.into())),
                headers: BTreeMap::new(),
                dead_letter: None,
                timeout_secs: 2,
            }),
        );
        fast_retry(&mut c);
        c
    };
    let mut reg = prometheus_client::registry::Registry::default();
    let mgr = outpost_outputs::OutputManager::start(
        vec![mk("wrong", "/hook", "nope"), mk("rej", "/reject", "s3cret")],
        data.path(),
        &mut reg,
    )
    .unwrap();
    mgr.publish(&record(1, "t1"));
    assert!(mgr.drain_output("rej", Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // 401 keeps the record queued (misconfiguration must not lose data).
    assert_eq!(mgr.queue_depth("wrong"), Some(1));
    let st2 = mgr.status();
    mgr.shutdown().await;
    assert!(*st.bad_signatures.lock().unwrap() >= 1);
    let rej = st2.iter().find(|s| s.name == "rej").unwrap();
    assert_eq!(rej.dead_lettered, 1);
    let dl = std::fs::read_to_string(data.path().join("outputs/rej/dead-letter.jsonl")).unwrap();
    assert!(dl.contains("hit-1") && dl.contains("HTTP 400"));
}

// ---------------------------------------------------------------- Syncro

#[derive(Debug, Clone)]
struct Ticket {
    customer_id: i64,
    asset_id: Option<i64>,
    subject: String,
    problem_type: String,
    tags: Vec<String>,
    comments: Vec<String>,
}

#[derive(Clone, Default)]
struct SyncroState {
    tickets: Arc<Mutex<BTreeMap<u64, Ticket>>>,
    calls: Arc<Mutex<Vec<Instant>>>,
    unauthorized: Arc<Mutex<u32>>,
}

fn authorized(h: &HeaderMap, st: &SyncroState) -> bool {
    let ok = h.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer tok-123");
    if !ok {
        *st.unauthorized.lock().unwrap() += 1;
    }
    ok
}

async fn create_ticket(
    State(st): State<SyncroState>,
    h: HeaderMap,
    Json(b): Json<Value>,
) -> (StatusCode, Json<Value>) {
    st.calls.lock().unwrap().push(Instant::now());
    if !authorized(&h, &st) {
        return (StatusCode::UNAUTHORIZED, Json(json!({})));
    }
    let (Some(customer_id), Some(subject)) = (b["customer_id"].as_i64(), b["subject"].as_str())
    else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"errors": ["customer_id and subject required"]})),
        );
    };
    let mut t = st.tickets.lock().unwrap();
    let id = 1000 + t.len() as u64;
    t.insert(
        id,
        Ticket {
            customer_id,
            asset_id: b["asset_id"].as_i64(),
            subject: subject.to_string(),
            problem_type: b["problem_type"].as_str().unwrap_or("").to_string(),
            tags: b["tag_list"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            comments: vec![],
        },
    );
    (
        StatusCode::OK,
        Json(json!({"ticket": {"id": id, "number": id, "subject": subject}})),
    )
}

async fn comment(
    State(st): State<SyncroState>,
    h: HeaderMap,
    AxPath(id): AxPath<u64>,
    Json(b): Json<Value>,
) -> (StatusCode, Json<Value>) {
    st.calls.lock().unwrap().push(Instant::now());
    if !authorized(&h, &st) {
        return (StatusCode::UNAUTHORIZED, Json(json!({})));
    }
    let Some(body) = b["body"].as_str() else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"errors": ["body required"]})),
        );
    };
    let mut t = st.tickets.lock().unwrap();
    match t.get_mut(&id) {
        Some(ticket) => {
            ticket.comments.push(body.to_string());
            (
                StatusCode::OK,
                Json(json!({"comment": {"id": 1, "body": body}})),
            )
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))),
    }
}

fn syncro_app(st: SyncroState) -> Router {
    Router::new()
        .route("/api/v1/tickets", post(create_ticket))
        .route("/api/v1/tickets/{id}/comment", post(comment))
        .with_state(st)
}

fn syncro_cfg(addr: SocketAddr, rpm: u32, window: u64) -> OutputConfig {
    let mut cfg = OutputConfig::new(
        "syncro",
        SinkConfig::Syncro(SyncroConfig {
            base_url: format!("http://{addr}/api/v1"),
            api_key: Secret("tok-123".into()),
            auth: SyncroAuth::Bearer,
            public_url: "https://outpost.example".into(),
            problem_type: "Security".into(),
            tags: vec!["Security".into(), "ThreatHunter".into()],
            status: "New".into(),
            customers: BTreeMap::from([("t1".to_string(), 77)]),
            default_customer_id: None,
            assets: BTreeMap::from([("dev-1".to_string(), 501)]),
            dedup_window_secs: window,
            requests_per_minute: rpm,
            hidden_comments: true,
            timeout_secs: 2,
        }),
    );
    cfg.batch_size = 10;
    fast_retry(&mut cfg);
    cfg
}

/// Hits with ten distinct dedup keys (key = i % 10).
fn syncro_records(n: u64) -> Vec<outpost_outputs::OutputRecord> {
    // Ten distinct dedup keys, each seen n/10 times.
    (0..n)
        .map(|i| {
            let mut r = record(i, "t1");
            let k = i % 10;
            r.device_id = Some(format!("dev-{}", k % 3));
            r.body["device_id"] = json!(format!("dev-{}", k % 3));
            r.body["remote_ip"] = json!(format!("198.51.100.{k}"));
            r.body["process_name"] = json!(format!("evil{k}.exe"));
            r.body["sha256"] = json!(format!("{k:064x}"));
            r
        })
        .collect()
}

/// A Syncro API server in the test (its recorded state) and a manager, in a temporary data
/// directory, with one Syncro output to it at `rpm` requests a minute at most.
async fn syncro(rpm: u32) -> (SyncroState, Server, tempfile::TempDir, OutputManager) {
    let st = SyncroState::default();
    let srv = Server::start(syncro_app(st.clone())).await;
    let data = tempfile::tempdir().unwrap();
    let mgr = start(syncro_cfg(srv.addr, rpm, 3600), data.path());
    (st, srv, data, mgr)
}

#[tokio::test]
async fn syncro_tickets_dedup_comments_links_with_outage() {
    let (st, srv, _data, mgr) = syncro(60_000).await;
    let recs = syncro_records(60);
    let outage = Duration::from_millis(800);
    publish_across_outage(&mgr, &srv, &recs, 20..40, outage, &["syncro"]).await;
    mgr.shutdown().await;

    let tickets = st.tickets.lock().unwrap().clone();
    assert_eq!(*st.unauthorized.lock().unwrap(), 0);
    // One ticket per dedup key (a create whose answer was lost in the outage may duplicate:
    // at-least-once; allow that but nothing less).
    assert!(
        tickets.len() >= 10 && tickets.len() <= 12,
        "{} tickets",
        tickets.len()
    );
    let mut subjects: HashMap<String, u64> = HashMap::new();
    let mut all_text = String::new();
    for t in tickets.values() {
        assert_eq!(t.customer_id, 77);
        assert_eq!(t.problem_type, "Security");
        assert_eq!(
            t.tags,
            vec!["Security".to_string(), "ThreatHunter".to_string()]
        );
        *subjects.entry(t.subject.clone()).or_default() += 1;
        for c in &t.comments {
            all_text.push_str(c);
            all_text.push('\n');
        }
    }
    assert_eq!(subjects.len(), 10);
    assert!(tickets.values().any(|t| t.asset_id == Some(501)));
    // Every hit reached its ticket: the first as the details comment, repeats as comments,
    // each with the link to the hit in the UI.
    for r in &recs {
        let link = format!("https://outpost.example/ui/hits/{}", r.body["id"]);
        assert!(all_text.contains(&link), "no comment links {link}");
    }
    assert!(all_text.contains("Seen again (6 occurrences so far)"));
}

#[tokio::test]
async fn syncro_rate_limit_and_persisted_dedup() {
    // 600/min = one request per 100 ms.
    let (st, srv, data, mgr) = syncro(600).await;
    let recs = syncro_records(10);
    // 10 new keys → 10 creates + 10 detail comments = 20 requests ≥ 1.9 s.
    let t0 = Instant::now();
    for r in &recs {
        mgr.publish(r);
    }
    assert!(mgr.drain(Duration::from_secs(30)).await);
    let took = t0.elapsed();
    mgr.shutdown().await;
    assert!(
        took >= Duration::from_millis(1850),
        "rate limit not applied: {took:?}"
    );
    let calls = st.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 20);
    // The i-th request is sent no earlier than i intervals after the start, so it arrives no
    // earlier either (arrival gaps alone vary with the load of the machine: a request handled
    // late shortens the next gap).
    for (i, at) in calls.iter().enumerate() {
        let since = at.duration_since(t0);
        assert!(
            since >= Duration::from_millis(95) * i as u32,
            "request {i} after {since:?}: faster than one per 100 ms"
        );
    }
    // A restarted manager remembers the open tickets: same keys → comments, no new tickets;
    // the same record ids again → nothing at all.
    let mgr = start(syncro_cfg(srv.addr, 60_000, 3600), data.path());
    for r in &recs {
        mgr.publish(r);
    }
    let mut again = syncro_records(20)[10..].to_vec();
    for r in &mut again {
        r.id = format!("{}-again", r.id);
    }
    for r in &again {
        mgr.publish(r);
    }
    assert!(mgr.drain(Duration::from_secs(30)).await);
    mgr.shutdown().await;
    let tickets = st.tickets.lock().unwrap();
    assert_eq!(tickets.len(), 10);
    let comments: usize = tickets.values().map(|t| t.comments.len()).sum();
    assert_eq!(comments, 20, "10 details + 10 repeats");
    drop(tickets);
    srv.stop();
}

#[tokio::test]
async fn syncro_unmapped_tenant_is_dead_lettered() {
    let (st, _srv, _data, mgr) = syncro(60_000).await;
    mgr.publish(&record(1, "unknown-tenant"));
    assert!(mgr.drain(Duration::from_secs(10)).await);
    let s = mgr.status();
    mgr.shutdown().await;
    assert_eq!(s[0].dead_lettered, 1);
    assert!(st.tickets.lock().unwrap().is_empty());
}

// ---------------------------------------------------------------- Slack / Teams

#[tokio::test]
async fn slack_and_teams_post_once_per_key_with_outage() {
    let got: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let g = got.clone();
    let app = Router::new().route(
        "/{kind}",
        post(move |AxPath(kind): AxPath<String>, Json(b): Json<Value>| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push((kind, b));
                "ok"
            }
        }),
    );
    let srv = Server::start(app).await;
    let data = tempfile::tempdir().unwrap();
    let chat = |path: &str| ChatConfig {
        webhook_url: Secret(format!("http://{}/{path}", srv.addr)),
        public_url: "https://outpost.example".into(),
        dedup_window_secs: 3600,
        notify_repeats: false,
        timeout_secs: 2,
    };
    let mut slack = OutputConfig::new("slack", SinkConfig::Slack(chat("slack")));
    let mut teams = OutputConfig::new("teams", SinkConfig::Teams(chat("teams")));
    fast_retry(&mut slack);
    fast_retry(&mut teams);
    let mut reg = prometheus_client::registry::Registry::default();
    let mgr =
        outpost_outputs::OutputManager::start(vec![slack, teams], data.path(), &mut reg).unwrap();
    let recs = syncro_records(40);
    let outage = Duration::from_millis(600);
    publish_across_outage(&mgr, &srv, &recs, 5..20, outage, &[]).await;
    mgr.shutdown().await;
    let got = got.lock().unwrap();
    let slack: Vec<&Value> = got
        .iter()
        .filter(|(k, _)| k == "slack")
        .map(|(_, v)| v)
        .collect();
    let teams: Vec<&Value> = got
        .iter()
        .filter(|(k, _)| k == "teams")
        .map(|(_, v)| v)
        .collect();
    // 10 keys → 10 messages each (repeats suppressed); none lost in the outage. A post whose
    // answer was lost when the server went away is sent again (at-least-once).
    let titles: HashSet<&str> = slack.iter().map(|v| v["text"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 10, "{slack:?}");
    assert!(slack.len() <= 12 && teams.len() >= 10 && teams.len() <= 12);
    assert!(
        slack[0]["text"]
            .as_str()
            .unwrap()
            .contains("https://outpost.example/ui/hits/")
    );
    let card = &teams[0]["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert!(
        card["actions"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://outpost.example/ui/hits/")
    );
}
