//! What the integration tests share: one request helper over the in-process router.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
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

/// The real OpenID Provider of the tests (`tests/ui/oidc-provider.mjs`, npm `oidc-provider`)
/// as a child process on 127.0.0.1. It exits when this handle is dropped (its standard
/// input closes, and it is killed).
pub struct OidcProvider {
    child: std::process::Child,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        let mut child = match cmd.spawn() {
            Ok(c) => c,
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
            let _ = child.kill();
            outpost_testkit::host(false, "the OpenID Provider did not start within 30 s");
            return None;
        };
        let v: Value = serde_json::from_str(&ready).ok()?;
        Some(OidcProvider {
            child,
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
    let id = |ty: &str, k: u8| format!("{ty}--7e57a77a-0000-4000-8000-0000000{n:03}{k:02}");
    serde_json::json!({"type": "bundle", "id": id("bundle", 0), "objects": [
        {"type": "intrusion-set", "spec_version": "2.1", "id": id("intrusion-set", 1), "name": name},
        {"type": "attack-pattern", "spec_version": "2.1", "id": id("attack-pattern", 2), "name": format!("step of {name}")},
        {"type": "indicator", "spec_version": "2.1", "id": id("indicator", 3), "name": format!("indicator of {name}"),
         "pattern_type": "stix", "pattern": format!("[process:command_line = 'kubectl get secrets -n ns{n}']"),
         "valid_from": "2020-01-01T00:00:00Z"},
        {"type": "relationship", "spec_version": "2.1", "id": id("relationship", 4), "relationship_type": "uses",
         "source_ref": id("intrusion-set", 1), "target_ref": id("attack-pattern", 2)},
        {"type": "relationship", "spec_version": "2.1", "id": id("relationship", 5), "relationship_type": "indicates",
         "source_ref": id("indicator", 3), "target_ref": id("attack-pattern", 2)}
    ]})
}
