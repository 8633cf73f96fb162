//! What the integration tests share: the world builder (`world`), one request helper over the
//! in-process router, and the OpenID Provider.
#![allow(dead_code)]

pub mod world;
pub use world::World;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use outpost_core::api::HitRecord;
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON, or as a JSON string when it is not JSON (HTML pages, metrics).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `ETag` header.
    pub fn etag(&self) -> Option<String> {
        let v = self.headers.get("etag")?;
        v.to_str().ok().map(str::to_string)
    }

    /// The status and the body as JSON (`json`).
    pub fn sv(&self) -> (StatusCode, Value) {
        (self.status, self.json())
    }

    /// The status and the body as text.
    pub fn st(&self) -> (StatusCode, String) {
        (self.status, self.text())
    }

    /// The status and the body.
    pub fn sb(self) -> (StatusCode, Vec<u8>) {
        (self.status, self.body)
    }

    /// The status, the body as JSON and the headers.
    pub fn parts(self) -> (StatusCode, Value, HeaderMap) {
        (self.status, self.json(), self.headers)
    }
}

/// One request with an optional bearer token and an optional JSON body.
pub async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let body = body.map(|b| b.to_string().into_bytes());
    request(app, method, uri, token, &[], body).await
}

/// Sends one request to `app` as a client on 127.0.0.1 would: an optional bearer token,
/// extra headers, and a JSON body when `body` is given.
pub async fn request(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET uri` as a browser signed in with the session `session` (its cookie).
pub async fn page(app: &axum::Router, uri: &str, session: &str) -> Reply {
    let cookie = format!("outpost_session={session}");
    request(app, "GET", uri, None, &[("cookie", &cookie)], None).await
}

/// The values under `key` of the objects of the array `v`, each read by `read`
/// (`Value::as_str`, `Value::as_i64`, …), which must succeed.
pub fn fields<'a, T>(v: &'a Value, key: &str, read: impl Fn(&'a Value) -> Option<T>) -> Vec<T> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|o| read(&o[key]).unwrap_or_else(|| panic!("no {key} of that type in {o}")))
        .collect()
}

/// The start of a server configuration (TOML): data in `data`, no rate limits, rules read
/// from `rules`, and more `[detect]` settings in `detect` (lines).
pub fn detect_toml(data: &Path, rules: &Path, detect: &str) -> String {
    format!(
        "data_dir = {:?}\nrate_limit_per_s = 0\n[detect]\nrules_dir = {:?}\n{detect}\n",
        data.display().to_string(),
        rules.display().to_string()
    )
}

/// A file output `name` writing to `path` the records of `kinds` (all when empty), in
/// batches of `batch` (TOML).
pub fn file_output_toml(name: &str, path: &Path, kinds: &[&str], batch: u32) -> String {
    let filter = if kinds.is_empty() {
        String::new()
    } else {
        format!("filter = {{ kinds = {kinds:?} }}\n")
    };
    format!(
        "[[outputs]]\nname = {name:?}\ntype = \"file\"\npath = {:?}\n{filter}batch_size = {batch}\n",
        path.display().to_string()
    )
}

/// The sum of the samples of `/metrics` whose line starts with `prefix` (a metric name with
/// labels, or a name and a space), and the whole text for messages.
pub async fn metric_sum(app: &axum::Router, prefix: &str) -> (f64, String) {
    let text = call(app, "GET", "/metrics", None, None).await.text();
    let sum = text
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    (sum, text)
}

/// `POST /api/v1/auth/login` with `username` and `password`.
pub async fn login(app: &axum::Router, username: &str, password: &str) -> Reply {
    let body = serde_json::json!({"username": username, "password": password});
    call(app, "POST", "/api/v1/auth/login", None, Some(body)).await
}

/// The hits of tenant `tenant_id` (at most 10).
pub async fn tenant_hits(store: &outpost_store::Store, tenant_id: &str) -> Vec<HitRecord> {
    let filter = outpost_store::HitFilter {
        tenant_id: Some(tenant_id.to_string()),
        ..Default::default()
    };
    store.list_hits(&filter, None, 10).await.unwrap().items
}

/// A process start of `name` (pid `pid`) now, as an agent reports it.
pub fn exec_event(pid: u32, name: &str) -> outpost_core::Event {
    let kind = outpost_core::EventKind::ProcessExec;
    let mut e = outpost_core::Event::new(chrono::Utc::now(), kind, "test");
    e.process = Some(std::sync::Arc::new(outpost_core::ProcessInfo {
        pid,
        name: Some(name.into()),
        ..Default::default()
    }));
    e
}

/// The databases a test runs on: SQLite (`dir/shared.db`, which replicas may share), and a
/// fresh schema named after `prefix` on the test PostgreSQL when there is one (absent, it is a
/// skip, or a failure under `OUTPOST_REQUIRE_SERVICES=1`, by the testkit's rule). With each
/// store, the URL that reaches its database (none for SQLite).
pub async fn stores(
    dir: &std::path::Path,
    prefix: &str,
) -> Vec<(&'static str, outpost_store::Store, Option<String>)> {
    use outpost_store::Store;
    let s = Store::open_sqlite_file(&dir.join("shared.db"))
        .await
        .unwrap();
    s.migrate().await.unwrap();
    let mut v = vec![("sqlite", s, None)];
    if let Some(url) = outpost_testkit::pg_schema(prefix).await {
        let s = Store::connect(&url).await.unwrap();
        s.migrate().await.unwrap();
        v.push(("postgres", s, Some(url)));
    }
    v
}

/// The real OpenID Provider of the tests (`tests/ui/oidc-provider.mjs`, npm `oidc-provider`)
/// as a child process on 127.0.0.1. It exits when this handle is dropped (its standard
/// input closes, and it is killed).
pub struct OidcProvider {
    _child: outpost_testkit::KillOnDrop,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl OidcProvider {
    /// Starts the provider with the given redirect URIs. `None` — a skip, or a failure under
    /// `OUTPOST_REQUIRE_HOST=1` (`scripts/test.sh` installs node and the npm package) — when
    /// node or the package is missing or the provider does not come up.
    pub fn start(redirect_uris: &[&str], post_logout: &[&str]) -> Option<OidcProvider> {
        use std::io::BufRead;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
        let hint = "run `npm ci` in crates/outpost-server/tests/ui (scripts/test.sh does)";
        if !outpost_testkit::tools(&["node"], "apt-get install nodejs npm") {
            return None;
        }
        if !outpost_testkit::host(
            dir.join("node_modules/oidc-provider/package.json")
                .is_file(),
            &format!("the npm package oidc-provider is not installed ({hint})"),
        ) {
            return None;
        }
        let secret = "outpost-test-secret-5b2e".to_string();
        let mut cmd = std::process::Command::new("node");
        cmd.arg(dir.join("oidc-provider.mjs"))
            .args([
                "--port",
                "0",
                "--client-id",
                "outpost",
                "--client-secret",
                &secret,
            ])
            .current_dir(&dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        for u in redirect_uris {
            cmd.args(["--redirect-uri", u]);
        }
        for u in post_logout {
            cmd.args(["--post-logout-redirect-uri", u]);
        }
        // Killed when dropped: on every early return below, and with the provider.
        let mut child = match cmd.spawn() {
            Ok(c) => outpost_testkit::KillOnDrop(c),
            Err(e) => {
                outpost_testkit::host(false, &format!("cannot start node: {e}"));
                return None;
            }
        };
        let stdout = child.stdout.take()?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(j) = line.strip_prefix("OIDC_READY ") {
                    let _ = tx.send(j.to_string());
                }
            }
        });
        let ready = rx.recv_timeout(std::time::Duration::from_secs(30));
        let Ok(ready) = ready else {
            outpost_testkit::host(false, "the OpenID Provider did not start within 30 s");
            return None;
        };
        let v: Value = serde_json::from_str(&ready).ok()?;
        Some(OidcProvider {
            _child: child,
            issuer: v["issuer"].as_str()?.to_string(),
            client_id: "outpost".into(),
            client_secret: secret,
        })
    }

    /// `POST {issuer}/test/...` (the provider's test controls).
    pub async fn control(&self, path_and_query: &str, body: Option<Value>) -> Value {
        let c = reqwest::Client::new();
        let mut r = c.post(format!("{}{path_and_query}", self.issuer));
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = r.send().await.unwrap();
        assert!(
            resp.status().is_success(),
            "{path_and_query}: {}",
            resp.status()
        );
        serde_json::from_str(&resp.text().await.unwrap()).unwrap()
    }

    /// A JWT with `claims`, signed with the provider's current key (or a key it does not
    /// publish).
    pub async fn sign(&self, claims: Value, foreign: bool) -> String {
        self.control(
            "/test/sign",
            Some(serde_json::json!({"claims": claims, "foreign": foreign})),
        )
        .await["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Plays the browser at the provider: follows `authorize_url` through the provider's
    /// login (user `user`, password `{user}-pw`) and consent until the provider redirects to
    /// `redirect_prefix`; returns that URL (with `code`, `state`, `iss`).
    pub async fn browse_to_callback(
        &self,
        authorize_url: &str,
        user: &str,
        redirect_prefix: &str,
    ) -> String {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut jar: std::collections::BTreeMap<String, String> = Default::default();
        let mut url = authorize_url.to_string();
        let mut form: Option<String> = None;
        for _ in 0..20 {
            if url.starts_with(redirect_prefix) {
                return url;
            }
            let cookie = jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let req = match form.take() {
                Some(f) => c
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(f),
                None => c.get(&url),
            };
            let resp = req.header("cookie", cookie).send().await.unwrap();
            for v in resp.headers().get_all("set-cookie") {
                let v = v.to_str().unwrap();
                let kv = v.split(';').next().unwrap();
                if let Some((k, val)) = kv.split_once('=') {
                    if v.to_ascii_lowercase().contains("max-age=0") || val.is_empty() {
                        jar.remove(k);
                    } else {
                        jar.insert(k.to_string(), val.to_string());
                    }
                }
            }
            let status = resp.status();
            if status.is_redirection() {
                let loc = resp.headers()["location"].to_str().unwrap().to_string();
                url = if loc.starts_with("http") {
                    loc
                } else {
                    format!("{}{loc}", self.issuer)
                };
                continue;
            }
            let body = resp.text().await.unwrap();
            assert!(status.is_success(), "{url}: {status} {body}");
            // The login form: post the user's credentials to its action.
            let action = body
                .split("action=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_else(|| panic!("no form at {url}: {body}"));
            url = format!("{}{action}", self.issuer);
            form = Some(format!("login={user}&password={user}-pw"));
        }
        panic!("the provider did not redirect back within 20 steps (at {url})");
    }
}

/// A small attack model: an intrusion set named `name` that uses one attack pattern, which
/// an indicator (a `kubectl` command line) indicates; `n` makes the ids unique.
pub fn attack_bundle(name: &str, n: u8) -> Value {
    model_bundle(
        &format!("7e57a77a-0000-4000-8000-0000000{n:03}"),
        name,
        (&format!("step of {name}"), None),
        (
            &format!("indicator of {name}"),
            &format!("[process:command_line = 'kubectl get secrets -n ns{n}']"),
        ),
    )
}

/// An attack model as a STIX bundle: the intrusion set `set` uses the attack pattern `step`
/// (name, MITRE ATT&CK id if any), which the indicator `indicator` (name, STIX pattern)
/// indicates. Object `k` of type `ty` has the id `{ty}--{ids}{k:02}`: the bundle 0, the
/// intrusion set 1, the attack pattern 2, the indicator 3, the relationships 4 and 5.
pub fn model_bundle(
    ids: &str,
    set: &str,
    step: (&str, Option<&str>),
    indicator: (&str, &str),
) -> Value {
    let id = |ty: &str, k: u8| format!("{ty}--{ids}{k:02}");
    let mut pattern = serde_json::json!({"type": "attack-pattern", "spec_version": "2.1", "id": id("attack-pattern", 2), "name": step.0});
    if let Some(mitre) = step.1 {
        pattern["external_references"] =
            serde_json::json!([{"source_name": "mitre-attack", "external_id": mitre}]);
    }
    serde_json::json!({"type": "bundle", "id": id("bundle", 0), "objects": [
        {"type": "intrusion-set", "spec_version": "2.1", "id": id("intrusion-set", 1), "name": set},
        pattern,
        {"type": "indicator", "spec_version": "2.1", "id": id("indicator", 3), "name": indicator.0,
         "pattern_type": "stix", "pattern": indicator.1, "valid_from": "2020-01-01T00:00:00Z"},
        {"type": "relationship", "spec_version": "2.1", "id": id("relationship", 4), "relationship_type": "uses",
         "source_ref": id("intrusion-set", 1), "target_ref": id("attack-pattern", 2)},
        {"type": "relationship", "spec_version": "2.1", "id": id("relationship", 5), "relationship_type": "indicates",
         "source_ref": id("indicator", 3), "target_ref": id("attack-pattern", 2)}
    ]})
}
