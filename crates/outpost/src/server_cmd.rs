//! `outpost server`, `outpost up`, `outpost tenant …`, `outpost key …`

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use outpost_agent::config::AgentConfig;
use outpost_server::config::ServerConfig;
use outpost_store::{KeyKind, Store};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ServerArgs {
    /// TOML configuration file (environment variables OUTPOST_* override it).
    #[arg(long, short, env = "OUTPOST_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory of the embedded database (overrides the config file).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Listen address (overrides the config file).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    #[command(subcommand)]
    pub action: Option<ServerAction>,
}

#[derive(Subcommand)]
pub enum ServerAction {
    /// Install this binary as the server service (Linux: systemd unit outpost-server.service,
    /// /usr/local/bin/outpost, /etc/outpost/server.toml).
    Install(crate::install::InstallArgs),
    /// Stop and remove the server service and the binary; `--purge` also deletes the data.
    Uninstall(crate::install::UninstallArgs),
}

#[derive(Args)]
pub struct DbArgs {
    /// Server data directory holding the embedded database.
    #[arg(long, env = "OUTPOST_DATA_DIR", default_value = "outpost-data")]
    pub data_dir: PathBuf,
    /// `postgres://…` to manage a PostgreSQL-backed server instead.
    #[arg(long, env = "OUTPOST_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl DbArgs {
    async fn open(&self) -> Result<Store> {
        let cfg = ServerConfig {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            ..ServerConfig::default()
        };
        outpost_server::open_store(&cfg)
            .await
            .context("opening the server database")
    }
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The tenant's name (unique).
        #[arg(long)]
        name: String,
    },
    /// List tenants.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KeyKindArg {
    Enrollment,
    Admin,
    Technician,
    Customer,
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create a key; its secret is printed once and cannot be shown again.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, value_enum)]
        kind: KeyKindArg,
        /// Tenant id or name (enrollment and customer keys).
        #[arg(long)]
        tenant: Option<String>,
        /// A label for the key.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Print the public key of the server's intel signing key (what agents pin as
    /// `intel_public_key`); generates the key in the data directory if there is none yet.
    IntelPublic {
        /// The server's TOML configuration file (for `[intel] signing_key_file`).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Server data directory (overrides the config file).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Technician,
    Customer,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a UI user. The password is read from standard input (one line), or generated
    /// and printed when standard input is a terminal or empty.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Tenant id or name (customers).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List users.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable a user and end their sessions.
    Disable {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
    },
    /// Set a user's password (read from standard input) and end their sessions.
    Passwd {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
    },
}

/// A password from standard input, or a generated one (printed) when there is none.
fn read_password() -> Result<(String, bool)> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if !line.is_empty() {
            return Ok((line, false));
        }
    }
    Ok((outpost_server::random_token()[..24].to_string(), true))
}

/// The active (not disabled) user `username`.
async fn active_user(store: &Store, username: &str) -> Result<outpost_store::UserCredentials> {
    store
        .user_credentials(username)
        .await?
        .with_context(|| format!("no active user {username:?}"))
}

pub fn user(c: UserCommand) -> Result<ExitCode> {
    runtime()?.block_on(async move {
        match c {
            UserCommand::Create {
                db,
                username,
                role,
                tenant,
            } => {
                let store = db.open().await?;
                let role = match role {
                    RoleArg::Admin => outpost_core::auth::Role::Admin,
                    RoleArg::Technician => outpost_core::auth::Role::Technician,
                    RoleArg::Customer => outpost_core::auth::Role::Customer,
                };
                let tenant_id = match tenant {
                    Some(t) => Some(store.find_tenant(&t).await?.id),
                    None => None,
                };
                let (password, generated) = read_password()?;
                let phc = outpost_server::password::hash(password.clone()).await?;
                let u = store
                    .create_user(&username, &phc, role, tenant_id.as_deref())
                    .await?;
                eprintln!("created {:?} user {} ({})", u.role, u.username, u.id);
                if generated {
                    println!("{password}");
                }
            }
            UserCommand::List { db } => {
                let store = db.open().await?;
                for u in store.list_users(None).await? {
                    println!(
                        "{}\t{:?}\t{}\t{}{}",
                        u.username,
                        u.role,
                        u.tenant_id.as_deref().unwrap_or("-"),
                        u.created_at.to_rfc3339(),
                        if u.disabled { "\tdisabled" } else { "" }
                    );
                }
            }
            UserCommand::Disable { db, username } => {
                let store = db.open().await?;
                let u = active_user(&store, &username).await?;
                store.disable_user(&u.user.id).await?;
                eprintln!("disabled {username}");
            }
            UserCommand::Passwd { db, username } => {
                let store = db.open().await?;
                let u = active_user(&store, &username).await?;
                let (password, generated) = read_password()?;
                let phc = outpost_server::password::hash(password.clone()).await?;
                store.set_password(&u.user.id, &phc).await?;
                eprintln!("password of {username} changed; their sessions ended");
                if generated {
                    println!("{password}");
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

pub fn server(a: ServerArgs) -> Result<ExitCode> {
    match a.action {
        Some(ServerAction::Install(i)) => {
            return crate::install::install(crate::install::Role::Server, &i)
                .map(|()| ExitCode::SUCCESS);
        }
        Some(ServerAction::Uninstall(u)) => {
            return crate::install::uninstall(crate::install::Role::Server, &u)
                .map(|()| ExitCode::SUCCESS);
        }
        None => {}
    }
    let mut cfg = ServerConfig::load(a.config.as_deref())?;
    if let Some(d) = a.data_dir {
        cfg.data_dir = d;
    }
    if let Some(l) = a.listen {
        cfg.listen = l;
    }
    runtime()?.block_on(outpost_server::serve(cfg, shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn tenant(c: TenantCommand) -> Result<ExitCode> {
    runtime()?.block_on(async {
        match c {
            TenantCommand::Create { db, name } => {
                let t = db.open().await?.create_tenant(&name).await?;
                println!("{}", serde_json::to_string_pretty(&t)?);
            }
            TenantCommand::List { db } => {
                for t in db.open().await?.list_tenants().await? {
                    println!("{}\t{}", t.id, t.name);
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn key(c: KeyCommand) -> Result<ExitCode> {
    let (db, kind, tenant, name) = match c {
        KeyCommand::Create {
            db,
            kind,
            tenant,
            name,
        } => (db, kind, tenant, name),
        KeyCommand::IntelPublic { config, data_dir } => {
            let mut cfg = ServerConfig::load(config.as_deref())?;
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            let key = outpost_server::intel::load_or_create_key(&cfg)?;
            println!("{}", outpost_server::intel::public_key_hex(&key));
            return Ok(ExitCode::SUCCESS);
        }
    };
    let kind = match kind {
        KeyKindArg::Enrollment => KeyKind::Enrollment,
        KeyKindArg::Admin => KeyKind::Admin,
        KeyKindArg::Technician => KeyKind::Technician,
        KeyKindArg::Customer => KeyKind::Customer,
    };
    runtime()?.block_on(async {
        let store = db.open().await?;
        let tenant_id = match tenant {
            Some(t) => Some(store.find_tenant(&t).await?.id),
            None => None,
        };
        let (info, secret) = store.create_key(kind, tenant_id.as_deref(), &name).await?;
        eprintln!(
            "created {} key {} (the secret below is shown only once)",
            info.kind, info.id
        );
        println!("{secret}");
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Args)]
pub struct UpArgs {
    /// Where the server and the local agent keep their data.
    #[arg(long, env = "OUTPOST_DATA_DIR", default_value = "outpost-data")]
    pub data_dir: PathBuf,
    /// Listen address of the server.
    #[arg(long, default_value = "127.0.0.1:8470")]
    pub listen: SocketAddr,
    /// Global intel: a plain IP/CIDR list or IPsum file the server publishes in every tenant's
    /// signed bundle (a signed bundle file is given to the local agent directly instead).
    #[arg(long)]
    pub hotlist: Option<PathBuf>,
    /// Seconds between the local agent's correlation passes.
    #[arg(long, default_value_t = 60)]
    pub interval: u64,
    /// Server configuration file (`[detect]`, `[[outputs]]`, `[intel]`, …), as for
    /// `outpost server`; `--listen` and `--data-dir` win over it.
    #[arg(long, short, env = "OUTPOST_CONFIG")]
    pub config: Option<PathBuf>,
}

pub fn up(a: UpArgs) -> Result<ExitCode> {
    let data_dir = std::path::absolute(&a.data_dir).unwrap_or(a.data_dir.clone());
    let agent_dir = data_dir.join("agent");
    let rt = runtime()?;
    rt.block_on(async move {
        let mut cfg = match &a.config {
            Some(p) => ServerConfig::load(Some(p))?,
            None => ServerConfig::default(),
        };
        cfg.listen = a.listen;
        cfg.data_dir = data_dir.clone();
        // The hotlist given now, else the one an earlier `up` recorded for the local agent.
        let hotlist = match &a.hotlist {
            Some(h) => {
                if !h.exists() {
                    bail!("hotlist {} does not exist", h.display());
                }
                Some(std::path::absolute(h).unwrap_or(h.clone()))
            }
            None => AgentConfig::load(&agent_dir).ok().and_then(|c| c.hotlist),
        };
        let hotlist_is_bundle = hotlist.as_deref().is_some_and(is_bundle_file);
        if let Some(h) = hotlist.as_ref().filter(|_| !hotlist_is_bundle) {
            cfg.intel.hotlists = vec![h.clone()];
        }
        let store = outpost_server::open_store(&cfg).await.context("opening the database")?;
        let outpost_server::single_host::SingleHost {
            tenant,
            admin_key: admin,
            ui_password,
        } = outpost_server::single_host::prepare(&store, &data_dir).await?;
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot listen on {}: {e}{}",
                    a.listen,
                    outpost_server::bind_hint(&e)
                )
            })?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = outpost_server::build_state(cfg, store.clone()).await?;
        let intel_key = state.intel.as_ref().map(|i| i.public_key());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut stop_server = stop_rx.clone();
        let server = tokio::spawn(outpost_server::serve_on(listener, state, async move {
            let _ = stop_server.changed().await;
        }));

        // Enroll the local agent on first start (through the real API).
        let mut agent_cfg = AgentConfig::load(&agent_dir)?;
        if agent_cfg.identity().is_err() {
            let (_, enroll_key) = store.create_key(KeyKind::Enrollment, Some(&tenant.id), "local agent of outpost up").await?;
            let args = crate::agent_cmd::EnrollArgs {
                dir: crate::agent_cmd::DataDir { data_dir: agent_dir.clone() },
                server: url.clone(),
                key: enroll_key,
                hostname: None,
                hotlist: None,
                // The local daemon's live collectors see exec and connect events already.
                os_logs: false,
                intel_key: None,
                release_key: None,
                if_absent: false,
            };
            agent_cfg = tokio::task::spawn_blocking(move || crate::agent_cmd::enroll(args)).await??;
        }
        if agent_cfg.server_url.as_deref() != Some(url.as_str()) {
            agent_cfg.server_url = Some(url.clone());
        }
        if hotlist.is_some() {
            agent_cfg.hotlist = hotlist.clone();
        }
        // The local agent matches the server's signed bundle (global intel from --hotlist),
        // verified with the server's key; a bundle file given as --hotlist is used directly.
        agent_cfg.intel_public_key = if hotlist_is_bundle { None } else { intel_key.clone() };
        agent_cfg.daemon.correlate_interval_secs = a.interval.max(5);
        agent_cfg.save(&agent_dir)?;

        println!("Outpost is up.");
        println!("  server:     {url}");
        println!("  admin key:  {admin}   (saved in {})", data_dir.join("admin.key").display());
        match &ui_password {
            Some(p) => println!("  UI login:   admin / {p}   (saved in {})", data_dir.join("admin.password").display()),
            None => println!("  UI login:   admin (password in {})", data_dir.join("admin.password").display()),
        }
        println!("  tenant:     {} ({})", tenant.name, tenant.id);
        println!("  agent data: {}", agent_dir.display());
        println!("  buffer:     {}  (append events here, or use `outpost agent ingest`)", agent_dir.join("buffer").display());
        match (&agent_cfg.hotlist, &agent_cfg.intel_public_key) {
            (Some(h), Some(_)) => println!("  intel:      {} (global intel, published in signed bundles)", h.display()),
            (Some(h), None) => println!("  hotlist:    {} (signed bundle file, used by the local agent directly)", h.display()),
            (None, _) => println!("  intel:      no global intel — pass --hotlist PATH (e.g. ../shared/data/feeds/ipsum.txt) to correlate"),
        }
        if let Some(k) = &intel_key {
            println!("  intel key:  {k}   (pin it in other agents: outpost agent enroll --intel-key …)");
        }
        println!("  try:        curl -H 'Authorization: Bearer {admin}' {url}/api/v1/hits");
        if !outpost_platform::is_privileged() {
            println!(
                "  note:       not running as root — live process/connection collection needs root \
                 (netlink proc connector, audit); the local agent falls back to what it can see (see agent/daemon-status.json)."
            );
        }

        // The local agent runs in daemon mode: live collectors feed its buffer, correlation
        // runs every `--interval` seconds, hits upload through its spool, jobs are polled.
        let stop_flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let agent_loop = {
            let agent_dir = agent_dir.clone();
            let stop_flag = stop_flag.clone();
            tokio::task::spawn_blocking(move || match outpost_agent::daemon::run(&agent_dir, stop_flag) {
                Ok(c) => tracing::info!(events = c.events_buffered, passes = c.correlation_passes, jobs = c.jobs_run, "local agent stopped"),
                Err(e) => tracing::error!(error = %e, "local agent failed"),
            })
        };
        drop(stop_rx);

        shutdown_signal().await;
        let _ = stop_tx.send(true);
        stop_flag.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = agent_loop.await;
        server.await??;
        Ok(ExitCode::SUCCESS)
    })
}

/// Whether `path` starts like a signed intel bundle.
fn is_bundle_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| outpost_intel::bundle::looks_like_bundle(&head[..n]))
}
