//! The shared data model of Outpost.
//!
//! Everything that crosses a crate or process boundary is defined here: the normalized [`Event`]
//! that every collector and log reader produces, the [`HitPayload`] an agent uploads (exactly the
//! original hit format plus a batch id), the API wire types, and the small value types
//! (protocols, directions, ids) they are made of.
//!
//! This crate does no I/O and depends on nothing heavier than serde, so the slim agent, the
//! server and every library crate can share it.

pub mod api;
pub mod auth;
pub mod bound;
pub mod event;
pub mod finding;
pub mod hit;
pub mod net;
pub mod sighting;

pub use bound::{TRUNCATED_LABEL, TRUNCATED_MARKER, bound_event, bound_hit};
pub use event::{
    ContainerInfo, DnsInfo, Event, EventKind, FileAction, FileInfo, Hashes, LogRecord,
    NetworkAction, NetworkInfo, ParentInfo, ProcessInfo,
};
pub use finding::Finding;
pub use hit::{Hit, HitPayload, IntelMatch};
pub use net::{Direction, Protocol};

/// The crate's version: what [`version`] answers unless the binary set another.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

static BUILD_VERSION: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// The version of this build of Outpost, reported by agents as `agent_version` and compared by
/// self-update: [`VERSION`], or what the binary set with [`set_version`] (the `outpost` binary
/// sets `OUTPOST_VERSION_OVERRIDE` when it was given at build time: packagers' build numbers;
/// the self-update tests build two agents that differ only in it). It is read in the binary's
/// crate alone, so such a second build recompiles that crate and nothing else.
pub fn version() -> &'static str {
    BUILD_VERSION.get().copied().unwrap_or(VERSION)
}

/// Sets what [`version`] answers (once, at the start of `main`; later calls are ignored).
pub fn set_version(v: &'static str) {
    let _ = BUILD_VERSION.set(v);
}

#[cfg(test)]
mod layering {
    use std::path::Path;

    fn section<'a>(toml: &'a str, name: &str) -> &'a str {
        toml.split(&format!("\n[{name}]\n"))
            .nth(1)
            .map(|s| s.split("\n[").next().unwrap_or(s))
            .unwrap_or("")
    }

    /// The core crate has no I/O and light dependencies only, and no library crate depends
    /// on the binary or on the server (ARCHITECTURE.md, Invariants).
    #[test]
    fn core_has_no_io_and_libraries_do_not_depend_on_the_server() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let toml = std::fs::read_to_string(here.join("Cargo.toml")).unwrap();
        let allowed = ["schemars", "serde", "serde_json", "chrono", "thiserror"];
        for line in section(&toml, "dependencies").lines() {
            let name = line.split(['.', ' ', '=']).next().unwrap_or("").trim();
            assert!(
                name.is_empty() || name.starts_with('#') || allowed.contains(&name),
                "outpost-core depends on {name}: the core crate has no I/O and light dependencies only"
            );
        }
        for entry in std::fs::read_dir(here.join("src")).unwrap().flatten() {
            let src = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for io in [
                "std::fs",
                "std::net::Tcp",
                "std::process",
                "tokio",
                "std::io::stdin",
            ] {
                let code: String = src
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                let code = code.split("#[cfg(test)]").next().unwrap_or("");
                assert!(
                    !code.contains(io),
                    "{} uses {io}: the core crate does no I/O",
                    entry.path().display()
                );
            }
        }
        let crates = here.parent().unwrap();
        for entry in std::fs::read_dir(crates).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "outpost" || name == "outpost-server" {
                continue;
            }
            let Ok(toml) = std::fs::read_to_string(entry.path().join("Cargo.toml")) else {
                continue;
            };
            for line in section(&toml, "dependencies").lines() {
                let dep = line.split(['.', ' ', '=']).next().unwrap_or("").trim();
                assert!(
                    dep != "outpost" && dep != "outpost-server",
                    "{name} depends on {dep}: libraries never depend on the binary or the server"
                );
            }
        }
    }
}
