//! `outpost`: the one binary. Parsing and wiring only; the work lives in the library crates.

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
compile_error!(
    "build `outpost` with a TLS backend: feature `rustls` (the default) or `native-tls`"
);

mod agent_cmd;
#[cfg(feature = "hunt")]
mod hunt_cmd;
mod install;
#[cfg(feature = "server")]
mod reference;
#[cfg(feature = "server")]
mod release_cmd;
#[cfg(feature = "server")]
mod server_cmd;

#[cfg(feature = "server")]
use clap::CommandFactory;
use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// This build's version: `OUTPOST_VERSION_OVERRIDE` when it was set at build time (read here,
/// in the binary's crate only: a build that differs only in it recompiles this crate alone),
/// else the crates' version. Given to `outpost_core::set_version` first thing in `main`.
const VERSION: &str = match option_env!("OUTPOST_VERSION_OVERRIDE") {
    Some(v) => v,
    None => outpost_core::VERSION,
};

#[derive(Parser)]
#[command(name = "outpost", version = VERSION, about = "Host threat detection and security telemetry", long_about = None)]
struct Cli {
    /// Log format: human-readable lines or JSON objects.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "human",
        env = "OUTPOST_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API server.
    #[cfg(feature = "server")]
    Server(server_cmd::ServerArgs),
    /// Run everything on this machine: server on 127.0.0.1, a default tenant, and a local agent.
    #[cfg(feature = "server")]
    Up(server_cmd::UpArgs),
    /// Manage tenants (works on the server's database directly).
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Tenant(server_cmd::TenantCommand),
    /// Manage enrollment and API keys (works on the server's database directly).
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Key(server_cmd::KeyCommand),
    /// Manage UI users (works on the server's database directly).
    #[cfg(feature = "server")]
    #[command(subcommand)]
    User(server_cmd::UserCommand),
    /// Agent commands: enroll, run-once, ingest, run, install.
    #[command(subcommand)]
    Agent(agent_cmd::AgentCommand),
    /// Hunt: run Sigma and Outpost rules over log files (EVTX, auditd, Outpost JSON lines)
    /// offline and print the detections as a timeline.
    #[cfg(feature = "hunt")]
    Hunt(hunt_cmd::HuntArgs),
    /// Threat intel: import feeds, build/sign/verify bundles, look up, match STIX patterns.
    #[command(subcommand)]
    Intel(IntelCommand),
    /// Jobs on the server's queue: create, list, show, download, delete.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Job(outpost_jobs::cli::JobCommand),
    /// Agent releases: signing key, sign and upload builds, rollouts (pause, resume, abort).
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Release(release_cmd::ReleaseCommand),
    /// Print a generated page of the user guide's reference (docs/guide/src/reference).
    #[cfg(feature = "server")]
    #[command(hide = true)]
    Reference(reference::ReferenceArgs),
}

#[derive(Subcommand)]
enum IntelCommand {
    #[command(flatten)]
    Intel(outpost_intel::cli::IntelCommand),
    /// Match a STIX 2.1 pattern against observed data (exit 0 match, 1 no match, 2 error).
    #[cfg(feature = "server")]
    StixMatch(outpost_stix::cli::StixMatchArgs),
}

/// Returns whether the log goes to a file (then nobody sees stderr: errors are logged too).
fn init_logging(format: LogFormat, default_filter: &str, file: Option<std::path::PathBuf>) -> bool {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OUTPOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    // A Windows service has no console: its log goes to a file (see `log_file`).
    if let Some(f) = file.and_then(|p| open_log(&p)) {
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(f));
        match format {
            LogFormat::Human => builder.init(),
            LogFormat::Json => builder.json().init(),
        }
        return true;
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    false
}

/// Opens a log file for appending; over 10 MB it is first moved to `NAME.1` (one old file).
fn open_log(path: &std::path::Path) -> Option<std::fs::File> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).ok()?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > 10 << 20) {
        let mut old = path.as_os_str().to_owned();
        old.push(".1");
        let _ = std::fs::rename(path, old);
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()
}

/// Where a command logs instead of stderr: the Windows service, into its data directory.
fn log_file(cmd: &Command) -> Option<std::path::PathBuf> {
    match cmd {
        #[cfg(windows)]
        Command::Agent(agent_cmd::AgentCommand::Service(a)) => {
            Some(a.dir.data_dir.join("logs").join("agent-service.log"))
        }
        #[cfg(windows)]
        // Its own file: it starts the service while the service starts writing its log, and
        // two processes appending to one file at once can lose a line (Wine emulates append).
        Command::Agent(agent_cmd::AgentCommand::ServiceRestart(a)) => Some(
            a.dir
                .data_dir
                .join("logs")
                .join("agent-service-restart.log"),
        ),
        _ => None,
    }
}

/// An error and its causes on one line, `a: b: c`, each cause once: many library errors
/// already say their cause in their message (`cannot listen on X: Address already in use`)
/// and also return it as their `source()`, which anyhow's `{:#}` would print a second time.
pub(crate) fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn main() -> ExitCode {
    outpost_core::set_version(VERSION);
    let cli = Cli::parse();
    // `hunt` reports what it skipped in its summary; the readers' per-chunk and per-record
    // messages would bury the table (OUTPOST_LOG still overrides).
    #[cfg(feature = "hunt")]
    let default_filter = match cli.command {
        Command::Hunt(_) => "warn,evtx=error,outpost_oslog=error",
        // The `evtx` crate logs every chunk it opens at info ("Initializing string cache").
        _ => "info,evtx=warn",
    };
    #[cfg(not(feature = "hunt"))]
    let default_filter = "info,evtx=warn";
    let logs_to_file = init_logging(cli.log_format, default_filter, log_file(&cli.command));
    let result = match cli.command {
        #[cfg(feature = "server")]
        Command::Server(a) => server_cmd::server(a),
        #[cfg(feature = "server")]
        Command::Up(a) => server_cmd::up(a),
        #[cfg(feature = "server")]
        Command::Tenant(c) => server_cmd::tenant(c),
        #[cfg(feature = "server")]
        Command::Key(c) => server_cmd::key(c),
        #[cfg(feature = "server")]
        Command::User(c) => server_cmd::user(c),
        Command::Agent(c) => agent_cmd::run(c),
        #[cfg(feature = "hunt")]
        Command::Hunt(a) => hunt_cmd::run(a),
        Command::Intel(IntelCommand::Intel(c)) => {
            outpost_intel::cli::run(c).map(|()| ExitCode::SUCCESS)
        }
        #[cfg(feature = "server")]
        Command::Intel(IntelCommand::StixMatch(a)) => outpost_stix::cli::run_stix_match(&a)
            .map(|code| ExitCode::from(u8::try_from(code).unwrap_or(2))),
        #[cfg(feature = "server")]
        Command::Job(c) => outpost_jobs::cli::run(c).map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "server")]
        Command::Release(c) => release_cmd::run(c),
        #[cfg(feature = "server")]
        Command::Reference(a) => reference::run(a, Cli::command()).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if logs_to_file {
                tracing::error!(error = %error_text(&e), "the command failed");
            }
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}
