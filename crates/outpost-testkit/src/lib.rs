//! Helpers for Outpost's integration tests (a dev-dependency only).
//!
//! Tests that need the shared real data (`../shared`) or a real service (PostgreSQL, Redis,
//! an OpenSearch-API server…) skip with a message when it is absent, so `cargo test` works
//! on a bare checkout. A skip must never hide in CI: `scripts/test.sh` sets
//! `OUTPOST_REQUIRE_SHARED=1` (and `OUTPOST_REQUIRE_SERVICES=1` when it started the
//! services), which turns each of these skips into a test failure.

#[cfg(feature = "proptest")]
pub mod json;
pub mod migrations;
pub mod net;

use std::path::{Path, PathBuf};

/// Set to `1` to make a missing shared data directory fail the tests that need it.
pub const REQUIRE_SHARED: &str = "OUTPOST_REQUIRE_SHARED";
/// Set to `1` to make a missing service variable fail the tests that need it.
pub const REQUIRE_SERVICES: &str = "OUTPOST_REQUIRE_SERVICES";
/// Set to `1` to make a missing host capability fail the tests that need it: root, an IPv6
/// loopback, a kernel interface (eBPF, audit, cgroups), a system tool or account.
/// `scripts/test.sh` runs as root on a machine that has them all.
pub const REQUIRE_HOST: &str = "OUTPOST_REQUIRE_HOST";

/// Whether `var` is set to `1`.
pub fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// Reports a skip on stderr, or panics when `require_var` (one of [`REQUIRE_SHARED`],
/// [`REQUIRE_SERVICES`]) is set to `1`.
pub fn skip_or_fail(require_var: &str, what: &str) {
    if required(require_var) {
        panic!("{what}, and {require_var}=1 forbids skipping this test");
    }
    eprintln!("SKIPPED: {what}");
}

/// The shared data directory: `$OUTPOST_SHARED_DIR`, else `<workspace>/../shared`.
pub fn shared_root() -> PathBuf {
    match std::env::var_os("OUTPOST_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The EVTX sample of Security 5156 records of an RDP tunnel (a shared-data path for
/// [`shared`]): the agent and end-to-end tests read its connections.
pub const RDP_TUNNEL_5156: &str =
    "data/evtx/attack-samples/Command_and_Control/DE_RDP_Tunnel_5156.evtx";

/// `<shared>/<rel>` if it exists; otherwise a skip (`None`), or a failure under
/// `OUTPOST_REQUIRE_SHARED=1`.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = shared_root().join(rel);
    if p.exists() {
        Some(p)
    } else {
        skip_or_fail(
            REQUIRE_SHARED,
            &format!(
                "shared data {} not found (set OUTPOST_SHARED_DIR to the shared directory)",
                p.display()
            ),
        );
        None
    }
}

/// The value of the service variable `name` (e.g. `OUTPOST_TEST_PG_URL`); otherwise a skip
/// (`None`), or a failure under `OUTPOST_REQUIRE_SERVICES=1`.
pub fn service(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            skip_or_fail(
                REQUIRE_SERVICES,
                &format!(
                    "{name} is not set (run `bash scripts/services.sh start` and \
                     `eval \"$(bash scripts/services.sh env)\"`)"
                ),
            );
            None
        }
    }
}

/// A child process that is killed (and reaped) when dropped, so that a test's server or
/// helper never outlives the test, even one that panics.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for KillOnDrop {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

/// The JSON values of a JSON-lines file, one a line; none when it cannot be read (not written
/// yet). A line that is not JSON fails the test.
pub fn json_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

/// A fresh schema named `{prefix}_{random}` on the test PostgreSQL (`OUTPOST_TEST_PG_URL`),
/// so that a test's tables meet no other test's: the URL that reaches it (its `search_path`
/// set). Otherwise, like [`service`], a skip (`None`) or a failure under
/// `OUTPOST_REQUIRE_SERVICES=1`.
pub async fn pg_schema(prefix: &str) -> Option<String> {
    let url = service("OUTPOST_TEST_PG_URL")?;
    let schema = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&url)
        .await
        .expect("connect to OUTPOST_TEST_PG_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("create the test schema");
    admin.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

/// `ok`, and when it is false a skip reporting `what`, or a failure under
/// `OUTPOST_REQUIRE_HOST=1`. For host capabilities a test checks itself, e.g.
/// `if !outpost_testkit::host(caps_have_ebpf, "no eBPF sensor in this kernel") { return; }`.
pub fn host(ok: bool, what: &str) -> bool {
    if !ok {
        skip_or_fail(REQUIRE_HOST, what);
    }
    ok
}

/// CPU time in nanoseconds from a `schedstat` file (its first field):
/// `/proc/self/schedstat` for this process, `/proc/thread-self/schedstat` for the calling
/// thread. `None` where it cannot be read.
pub fn schedstat_cpu_ns(path: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Whether this process runs with effective uid 0 (read from `/proc/self/status`; false
/// where there is no procfs).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                // Real, effective, saved, filesystem: the effective one decides.
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// True when running as root; otherwise a skip naming `test`, or a failure under
/// `OUTPOST_REQUIRE_HOST=1`.
pub fn root(test: &str) -> bool {
    host(is_root(), &format!("{test} needs root"))
}

/// True when the IPv6 loopback `[::1]` can be bound; otherwise a skip or a failure under
/// `OUTPOST_REQUIRE_HOST=1`.
pub fn ipv6_loopback(test: &str) -> bool {
    host(
        std::net::TcpListener::bind("[::1]:0").is_ok(),
        &format!("{test} needs an IPv6 loopback ([::1])"),
    )
}

/// True when every program in `names` is on `PATH`; otherwise a skip or a failure under
/// `OUTPOST_REQUIRE_HOST=1` naming the missing ones and `hint` (how to install them).
pub fn tools(names: &[&str], hint: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !std::env::split_paths(&path).any(|d| d.join(n).is_file()))
        .collect();
    host(
        missing.is_empty(),
        &format!("{} not found on PATH ({hint})", missing.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_shared_data_is_found_and_absent_data_is_none_or_fails() {
        // The crate's own manifest always exists relative to the shared root's parent.
        let root = shared_root();
        assert!(root.ends_with("shared"), "{}", root.display());
        if !required(REQUIRE_SHARED) {
            assert_eq!(shared("no/such/file/anywhere.bin"), None);
        } else {
            let r = std::panic::catch_unwind(|| shared("no/such/file/anywhere.bin"));
            assert!(r.is_err(), "a required skip must fail");
        }
    }

    #[test]
    fn an_absent_host_capability_skips_or_fails() {
        assert!(host(true, "never reported"));
        assert!(tools(&["sh"], "always there"));
        if required(REQUIRE_HOST) {
            assert!(std::panic::catch_unwind(|| host(false, "absent")).is_err());
            assert!(
                std::panic::catch_unwind(|| tools(&["surely-no-such-tool-here"], "x")).is_err()
            );
        } else {
            assert!(!host(false, "absent"));
            assert!(!tools(&["surely-no-such-tool-here"], "x"));
        }
    }

    #[test]
    fn unset_service_is_none_or_fails() {
        let name = "OUTPOST_TEST_SURELY_NOT_SET_ANYWHERE";
        if required(REQUIRE_SERVICES) {
            assert!(std::panic::catch_unwind(|| service(name)).is_err());
        } else {
            assert_eq!(service(name), None);
        }
    }
}
