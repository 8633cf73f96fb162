//! `outpost release …`: the release signing key (kept by staff, never by the server),
//! signing and uploading agent builds, rollouts.

use anyhow::{Context, Result, bail};
use outpost_intel::release::{ReleaseStatement, sha256_hex, sign};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the server is and how to authenticate (a staff API key).
#[derive(Debug, Clone, clap::Args)]
pub struct Conn {
    /// Server base URL.
    #[arg(long, env = "OUTPOST_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Staff API key (admin or technician).
    #[arg(long, env = "OUTPOST_API_KEY", hide_env_values = true)]
    pub api_key: String,
}

/// A release's platform and version.
#[derive(Debug, Clone, clap::Args)]
pub struct Platform {
    /// `linux` or `windows`.
    #[arg(long)]
    pub os: String,
    /// `x86_64` or `aarch64`.
    #[arg(long)]
    pub arch: String,
    /// The version the build reports (`outpost --version`).
    #[arg(long)]
    pub version: String,
}

#[derive(Debug, clap::Subcommand)]
pub enum ReleaseCommand {
    /// Create a release signing key: the secret seed goes to FILE (mode 0600), the public key
    /// (for `[releases] public_key`) is printed. Keep FILE off the server.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the release key's signature of FILE for this platform and version.
    Sign {
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        platform: Platform,
        file: PathBuf,
    },
    /// Sign FILE with the release key and upload it (`POST /api/v1/releases`).
    Upload {
        #[command(flatten)]
        conn: Conn,
        /// The release signing key (secret seed, from `outpost release keygen`).
        #[arg(long, env = "OUTPOST_RELEASE_KEY_FILE")]
        key: PathBuf,
        #[command(flatten)]
        platform: Platform,
        file: PathBuf,
    },
    /// List uploaded releases.
    List {
        #[command(flatten)]
        conn: Conn,
    },
    /// Start a rollout of a release.
    Rollout {
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        release: String,
        /// Only this tenant's devices (all tenants: admins only).
        #[arg(long)]
        tenant: Option<String>,
        /// Canary device (repeatable): the first stage.
        #[arg(long)]
        canary: Vec<String>,
        /// Stage as a percentage of the devices (repeatable, increasing, the last 100).
        #[arg(long = "percent")]
        percents: Vec<u32>,
        /// Seconds a stage's devices must be healthy before the next stage.
        #[arg(long)]
        healthy_secs: Option<u64>,
        /// Pause after this many failed devices.
        #[arg(long)]
        failure_threshold: Option<u64>,
        /// Install even on devices running a newer version.
        #[arg(long)]
        rollback: bool,
    },
    /// List rollouts and their progress.
    Rollouts {
        #[command(flatten)]
        conn: Conn,
    },
    /// Pause, resume or abort a rollout.
    State {
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        rollout: String,
        /// `pause`, `resume` or `abort`.
        #[arg(long)]
        action: String,
    },
}

fn agent() -> ureq::Agent {
    outpost_http::config_builder().build().into()
}

fn url(conn: &Conn, path: &str) -> String {
    format!("{}/api/v1{path}", conn.server.trim_end_matches('/'))
}

fn auth(conn: &Conn) -> String {
    format!("Bearer {}", conn.api_key)
}

/// GET `path` of the API and print the answer.
fn get(conn: &Conn, path: &str) -> Result<ExitCode> {
    let resp = agent()
        .get(&url(conn, path))
        .header("Authorization", &auth(conn))
        .call()?;
    print(&answer(resp)?)
}

/// POST `body` as JSON to `path` of the API and print the answer.
fn post_json(conn: &Conn, path: &str, body: &impl serde::Serialize) -> Result<ExitCode> {
    let resp = agent()
        .post(&url(conn, path))
        .header("Authorization", &auth(conn))
        .send_json(body)?;
    print(&answer(resp)?)
}

fn answer(mut resp: ureq::http::Response<ureq::Body>) -> Result<serde_json::Value> {
    let status = resp.status();
    let body = resp
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_string()
        .unwrap_or_default();
    if status.as_u16() >= 400 {
        let msg = serde_json::from_str::<outpost_core::api::ErrorBody>(&body)
            .map(|e| format!("{}: {}", e.error.code, e.error.message))
            .unwrap_or(body);
        bail!("server answered {status}: {msg}");
    }
    serde_json::from_str(&body).context("unreadable answer")
}

fn load_key(path: &PathBuf) -> Result<outpost_intel::SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the release key {}", path.display()))?;
    outpost_intel::distribute::signing_key_from_hex(&text)
        .with_context(|| format!("release key {}", path.display()))
}

/// The release `file` and its signature with the release key in the file `key`.
fn signed_file(key: &PathBuf, p: &Platform, file: &PathBuf) -> Result<(Vec<u8>, String)> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let key = load_key(key)?;
    let sha = sha256_hex(&bytes);
    let sig = sign(
        &key,
        &ReleaseStatement {
            os: &p.os,
            arch: &p.arch,
            version: &p.version,
            size: bytes.len() as u64,
            sha256: &sha,
        },
    );
    Ok((bytes, sig))
}

fn print(v: &serde_json::Value) -> Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(ExitCode::SUCCESS)
}

pub fn run(c: ReleaseCommand) -> Result<ExitCode> {
    match c {
        ReleaseCommand::Keygen { out } => {
            let key = outpost_intel::distribute::generate_signing_key();
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            let mut f = o
                .open(&out)
                .with_context(|| format!("creating {} (it must not exist)", out.display()))?;
            std::io::Write::write_all(
                &mut f,
                format!("{}\n", outpost_intel::distribute::signing_key_to_hex(&key)).as_bytes(),
            )?;
            f.sync_all()?;
            println!(
                "{}",
                outpost_intel::distribute::verifying_key_to_hex(&key.verifying_key())
            );
            Ok(ExitCode::SUCCESS)
        }
        ReleaseCommand::Sign {
            key,
            platform,
            file,
        } => {
            let (_, sig) = signed_file(&key, &platform, &file)?;
            println!("{sig}");
            Ok(ExitCode::SUCCESS)
        }
        ReleaseCommand::Upload {
            conn,
            key,
            platform,
            file,
        } => {
            let (bytes, sig) = signed_file(&key, &platform, &file)?;
            let resp = agent()
                .post(&url(&conn, "/releases"))
                .query("os", &platform.os)
                .query("arch", &platform.arch)
                .query("version", &platform.version)
                .query("signature", &sig)
                .header("Authorization", &auth(&conn))
                .header("Content-Type", "application/octet-stream")
                .send(&bytes[..])
                .context("uploading the release")?;
            print(&answer(resp)?)
        }
        ReleaseCommand::List { conn } => get(&conn, "/releases"),
        ReleaseCommand::Rollout {
            conn,
            release,
            tenant,
            canary,
            percents,
            healthy_secs,
            failure_threshold,
            rollback,
        } => {
            let body = outpost_core::api::NewRollout {
                release_id: release,
                tenant_id: tenant,
                canary,
                percents,
                healthy_secs,
                failure_threshold,
                rollback,
            };
            post_json(&conn, "/rollouts", &body)
        }
        ReleaseCommand::Rollouts { conn } => get(&conn, "/rollouts"),
        ReleaseCommand::State {
            conn,
            rollout,
            action,
        } => post_json(
            &conn,
            &format!("/rollouts/{rollout}/state"),
            &serde_json::json!({ "action": action }),
        ),
    }
}
