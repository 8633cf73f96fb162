//! Shared helpers of the binary's end-to-end tests: a real `outpost server` process on a free
//! port, the CLI, and reading hits back through the API.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_outpost");

pub struct Server {
    pub child: outpost_testkit::KillOnDrop,
    pub url: String,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server configuration file `dir/server.toml` with one file output `name` writing to
/// `path`, for the record kinds `kinds` (all when empty).
pub fn file_output_config(dir: &Path, name: &str, path: &Path, kinds: &[&str]) -> PathBuf {
    let cfg = dir.join("server.toml");
    let mut text = format!(
        "[[outputs]]\nname = {name:?}\ntype = \"file\"\npath = {:?}\n",
        path.display().to_string()
    );
    if !kinds.is_empty() {
        text.push_str(&format!("filter = {{ kinds = {kinds:?} }}\n"));
    }
    std::fs::write(&cfg, text).unwrap();
    cfg
}

/// `outpost agent enroll` of the agent at `agent` with the server at `url`, enrollment key
/// `key`, as `hostname`, with the global intel in the hotlist file `hotlist` when given.
pub fn enroll_agent(agent: &Path, url: &str, key: &str, hostname: &str, hotlist: Option<&Path>) {
    let dir = agent.to_str().unwrap();
    let mut args = vec!["agent", "enroll", "--data-dir", dir, "--server", url];
    args.extend(["--key", key, "--hostname", hostname]);
    if let Some(h) = hotlist {
        args.extend(["--hotlist", h.to_str().unwrap()]);
    }
    outpost(&args);
}

/// `outpost agent run-once --json` on the agent at `agent` (with `--now`: without waiting
/// for the correlation window): its report.
pub fn run_once(agent: &Path, now: bool) -> Value {
    let dir = agent.to_str().unwrap();
    let mut args = vec!["agent", "run-once", "--data-dir", dir, "--json"];
    if now {
        args.push("--now");
    }
    let out = outpost(&args);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("run-once: {e}: {out}"))
}

pub fn outpost(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("OUTPOST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "outpost {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn start_server(data: &Path, max_body: usize) -> Server {
    start_server_with(data, &[("OUTPOST_MAX_BODY_BYTES", &max_body.to_string())])
}

/// Starts `outpost server` on a free port with extra environment; waits until healthy.
pub fn start_server_with(data: &Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.args(["server", "--data-dir", data.to_str().unwrap()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("OUTPOST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server = Server {
        child: outpost_testkit::KillOnDrop(cmd.spawn().unwrap()),
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..400 {
        if ureq::get(format!("{}/healthz", server.url)).call().is_ok() {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("server did not become healthy");
}

/// Creates tenant `acme` with the admin CLI; answers (its enrollment key, an admin key).
pub fn acme_tenant(data: &Path) -> (String, String) {
    (tenant(data, "acme"), admin_key(data))
}

/// `outpost tenant create` of the tenant `name` in the server data directory `data`: an
/// enrollment key for it.
pub fn tenant(data: &Path, name: &str) -> String {
    let d = data.to_str().unwrap();
    outpost(&["tenant", "create", "--data-dir", d, "--name", name]);
    let mut args = vec!["key", "create", "--data-dir", d, "--kind", "enrollment"];
    args.extend(["--tenant", name]);
    outpost(&args).trim().to_string()
}

/// An admin API key of the server data directory `data`.
pub fn admin_key(data: &Path) -> String {
    let d = data.to_str().unwrap();
    let admin = outpost(&["key", "create", "--data-dir", d, "--kind", "admin"]);
    admin.trim().to_string()
}

pub fn get_json(url: &str, key: &str) -> Value {
    let mut r = ureq::get(url)
        .header("Authorization", &format!("Bearer {key}"))
        .call()
        .unwrap();
    r.body_mut().read_json().unwrap()
}

pub fn all_hits(server: &Server, admin: &str) -> Vec<Value> {
    hits_in_pages(&server.url, admin, 2)
}

/// POSTs raw bytes as JSON with a bearer token; answers (status, JSON body or null).
pub fn post_raw(url: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
    try_post(url, token, &body).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// Like [`post_raw`], but a transport error (server gone) is returned instead of panicking.
pub fn try_post(url: &str, token: &str, body: &[u8]) -> Result<(u16, Value), ureq::Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let mut r = agent
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body)?;
    let status = r.status().as_u16();
    let v = r.body_mut().read_json::<Value>().unwrap_or(Value::Null);
    Ok((status, v))
}

/// Enrolls a device through the API; answers (tenant_id, device_id, device_token).
pub fn enroll(server: &Server, enrollment_key: &str, hostname: &str) -> (String, String, String) {
    let body = serde_json::json!({"enrollment_key": enrollment_key, "hostname": hostname});
    let (s, v) = post_raw(
        &format!("{}/api/v1/enroll", server.url),
        "",
        serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(s, 200, "enroll: {v}");
    let get = |k: &str| v[k].as_str().unwrap().to_string();
    (get("tenant_id"), get("device_id"), get("device_token"))
}

/// Every hit the server stores, read with the largest page size.
pub fn all_hits_fast(url: &str, admin: &str) -> Vec<Value> {
    hits_in_pages(url, admin, 1000)
}

/// Every hit the server at `url` stores, read in pages of `limit`.
fn hits_in_pages(url: &str, admin: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut u = format!("{url}/api/v1/hits?limit={limit}");
        if let Some(c) = &cursor {
            u.push_str(&format!("&cursor={c}"));
        }
        let page = get_json(&u, admin);
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    out
}
