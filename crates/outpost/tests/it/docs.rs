//! The user guide's reference pages (`docs/guide/src/reference/`) are generated
//! from the code, and these tests fail when a committed page differs from what the code says
//! now. Each failure prints the command that rewrites the pages:
//!
//!     OUTPOST_BLESS=1 cargo nextest run --locked -p outpost --test it docs::
//!
//! config.md, cli.md, api.md and events.md come from the hidden `outpost reference KIND`;
//! metrics.md from the `# HELP`/`# TYPE` lines of a real server's `/metrics`.

use crate::common;

use common::{BIN, start_server_with};
use std::path::PathBuf;
use std::process::Command;

const REGENERATE: &str = "OUTPOST_BLESS=1 cargo nextest run --locked -p outpost --test it docs::";

fn page(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/guide/src/reference")
        .join(name)
}

/// Compares `fresh` with the committed page; with `OUTPOST_BLESS=1` writes it instead.
fn check(name: &str, fresh: &str) {
    let path = page(name);
    if std::env::var("OUTPOST_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, fresh).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "docs/guide/src/reference/{name} is out of date with the code (first difference at \
             line {}: committed {:?}, generated {:?}).\nRegenerate it with:\n    {REGENERATE}",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end>"),
            fresh.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

fn generate(args: &[&str]) -> String {
    common::outpost(&[&["reference"], args].concat())
}

/// Every key of `outpost.toml` and `agent.toml`; an undocumented field fails the generator.
#[test]
fn config_reference_is_current() {
    check("config.md", &generate(&["config"]));
}

#[test]
fn cli_reference_is_current() {
    check("cli.md", &generate(&["cli"]));
}

#[test]
fn api_reference_is_current() {
    check("api.md", &generate(&["api"]));
}

/// The examples come from the real EVTX samples through the agent's normalizer.
#[test]
fn event_reference_is_current() {
    let Some(samples) = outpost_testkit::shared("data/evtx/attack-samples") else {
        return;
    };
    check(
        "events.md",
        &generate(&["events", "--samples", samples.to_str().unwrap()]),
    );
}

/// The metrics a started server registers (name, type, help), as a table.
#[test]
fn metrics_reference_is_current() {
    let dir = tempfile::tempdir().unwrap();
    // With one output, so that the outputs' metrics (registered per configured output) show.
    let out = dir.path().join("records.jsonl");
    let cfg = common::file_output_config(dir.path(), "doc", &out, &[]);
    let server = start_server_with(
        &dir.path().join("data"),
        &[("OUTPOST_CONFIG", cfg.to_str().unwrap())],
    );
    let text = ureq::get(format!("{}/metrics", server.url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    // Every registered metric is listed, samples or not (`outpost-server` metrics.rs
    // `every_registered_metric_is_listed_before_its_first_sample`), so the text is complete.
    let metrics = help_and_types(&text);
    assert!(metrics.len() > 10, "too few metrics: {text}");
    // The agent's capture counters, which the daemon writes to `capture.prom`.
    let capture = help_and_types(&outpost_sensors::CaptureCounters::default().prometheus_text());
    assert!(!capture.is_empty());
    let mut md = format!(
        "<!-- Generated from the metrics a running `outpost server` registers, do not edit: run\n     \
         {REGENERATE} -->\n\n# Metrics reference\n\n\
         ## Server\n\n\
         Every Prometheus metric of the server's `GET /metrics` (OpenMetrics text; no credentials \
         needed, so keep the port away from the Internet or scrape through a proxy). Counters \
         are exposed with a `_total` suffix. The `outpost_output_*` metrics exist once \
         `[[outputs]]` are configured, labelled by the output's name.\n\n"
    );
    table(&mut md, &metrics);
    md.push_str(
        "\n## Agent\n\nThe agent has no metrics endpoint: its counters (events, drops, uploads, \
         sheds) travel with each check-in and show on the device's page and in \
         `GET /api/v1/devices`. Its own packet capture (`[capture]`) writes these to \
         `capture.prom` in its data directory, for node_exporter's textfile collector:\n\n",
    );
    table(&mut md, &capture);
    check("metrics.md", &md);
}

/// `# HELP` and `# TYPE` lines of a Prometheus text: name → (type, help).
fn help_and_types(text: &str) -> std::collections::BTreeMap<String, (String, String)> {
    let mut metrics: std::collections::BTreeMap<String, (String, String)> = Default::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            metrics.entry(name.to_string()).or_default().1 = help.to_string();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').unwrap_or((rest, ""));
            metrics.entry(name.to_string()).or_default().0 = ty.to_string();
        }
    }
    metrics
}

fn table(md: &mut String, metrics: &std::collections::BTreeMap<String, (String, String)>) {
    md.push_str("| Metric | Type | Description |\n| --- | --- | --- |\n");
    for (name, (ty, help)) in metrics {
        md.push_str(&format!(
            "| `{name}` | {ty} | {} |\n",
            help.replace('|', "\\|")
        ));
    }
}

// ---------------------------------------------------------------------------------------
// Messages a newcomer can act on. Each runs the real binary and reads its stderr.

/// Runs `outpost ARGS` expecting failure; answers its stderr.
fn fails(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("OUTPOST_LOG", "warn")
        .env_remove("OUTPOST_SERVER")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "outpost {args:?} succeeded: {err}");
    err
}

/// `outpost agent enroll` of the agent at `data` with `server` and `key`, which must fail:
/// its standard error.
fn enroll_fails(data: &std::path::Path, server: &str, key: &str) -> String {
    let data = data.to_str().unwrap();
    fails(&[
        "agent",
        "enroll",
        "--data-dir",
        data,
        "--server",
        server,
        "--key",
        key,
    ])
}

/// `--server 127.0.0.1:8470` said "server unreachable or failing: http: invalid format".
#[test]
fn server_url_without_scheme_shows_the_corrected_url() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        &[
            "agent",
            "enroll",
            "--data-dir",
            d,
            "--server",
            "127.0.0.1:8470",
            "--key",
            "ope_x",
        ][..],
        &[
            "job",
            "list",
            "--server",
            "127.0.0.1:8470",
            "--api-key",
            "opa_x",
        ][..],
    ] {
        let err = fails(args);
        assert!(
            err.contains("needs http:// or https://") && err.contains("use http://127.0.0.1:8470"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("invalid format"), "{err}");
    }
}

/// A busy port said "Address already in use (os error 98): Address already in use (os error
/// 98)"; now once, with what to do.
#[test]
fn busy_port_is_said_once_with_what_to_do() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["server", "up"] {
        let data = dir.path().join(cmd);
        let err = fails(&[cmd, "--listen", &addr, "--data-dir", data.to_str().unwrap()]);
        assert_eq!(
            err.matches("Address already in use").count(),
            1,
            "outpost {cmd}: {err}"
        );
        assert!(
            err.contains(&format!("cannot listen on {addr}")) && err.contains("--listen"),
            "outpost {cmd}: {err}"
        );
    }
}

/// A misspelt key in `outpost.toml`: the file, the key and the known keys, each said once.
#[test]
fn bad_config_key_names_file_and_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("outpost.toml");
    std::fs::write(&cfg, "listn = \"127.0.0.1:9000\"\n").unwrap();
    let err = fails(&["server", "--config", cfg.to_str().unwrap()]);
    assert!(
        err.contains("outpost.toml") && err.contains("listn"),
        "{err}"
    );
    assert_eq!(err.matches("unknown field").count(), 1, "{err}");
    // A config file that does not exist: its path, once.
    let missing = dir.path().join("nope.toml");
    let err = fails(&["server", "--config", missing.to_str().unwrap()]);
    assert!(err.contains("nope.toml"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

/// Enrolling against a port where no server runs: says to start one and how to check.
#[test]
fn enroll_without_a_server_says_to_start_one() {
    let port = common::free_port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let err = enroll_fails(dir.path(), &url, "ope_x");
    assert!(
        err.contains(&format!("cannot reach the Outpost server at {url}"))
            && err.contains("outpost server")
            && err.contains("/healthz"),
        "{err}"
    );
}

/// A wrong enrollment key: says which key is meant and where a valid one comes from.
#[test]
fn wrong_enrollment_key_says_where_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server_with(&dir.path().join("server"), &[]);
    let err = enroll_fails(
        &dir.path().join("agent"),
        &server.url,
        "ope_0000000000000000",
    );
    assert!(
        err.contains("refused the enrollment key")
            && err.contains("outpost key create --kind enrollment"),
        "{err}"
    );
}

/// A data directory the agent cannot write (here: below a regular file).
#[test]
fn unwritable_data_dir_names_it_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let data = file.join("agent");
    let err = enroll_fails(&data, "http://127.0.0.1:9", "ope_x");
    assert!(
        err.contains(&format!(
            "data directory {} is not writable",
            data.display()
        )) && err.contains("--data-dir"),
        "{err}"
    );
}

/// Importing EVTX printed the `evtx` crate's "Setting num_threads has no effect…" warning.
#[test]
fn evtx_import_prints_no_num_threads_warning() {
    let Some(f) = outpost_testkit::shared(outpost_testkit::RDP_TUNNEL_5156) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "agent",
            "ingest",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .arg(&f)
        .env_remove("OUTPOST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // Nor the chunk-by-chunk "Initializing string cache" of its info level.
    assert!(
        !err.contains("num_threads") && !err.contains("evtx::"),
        "{err}"
    );
    // And a missing file is named once.
    let err = fails(&[
        "agent",
        "ingest",
        "--data-dir",
        dir.path().to_str().unwrap(),
        dir.path().join("missing.evtx").to_str().unwrap(),
    ]);
    assert!(err.contains("missing.evtx"), "{err}");
    assert_eq!(
        err.to_lowercase().matches("no such file").count(),
        1,
        "{err}"
    );
}
