//! `outpost agent install|uninstall` and `outpost server install|uninstall`: put this binary,
//! its service definition and its data directory in place, and take them away again.
//!
//! The platform-neutral part is here (the arguments, [`Role`], the entry points); each
//! operating system has its own module (`install/linux.rs`: systemd units from `dist/systemd/`).
//! Another platform adds its module and a `#[cfg]` arm in [`install`] and [`uninstall`].

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[cfg(target_os = "linux")]
mod linux;

/// What is being installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The resident agent (`outpost agent run`), or the scheduled one (`--timer`).
    Agent,
    /// The server (`outpost server --config /etc/outpost/server.toml`); only the full binary
    /// (feature `server`) installs it.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    Server,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Server => "server",
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct InstallArgs {
    /// Install under this directory instead of `/` (for packaging and tests): files only,
    /// services are neither enabled nor started.
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// Put the files in place and enable the service, but do not start it.
    #[arg(long)]
    pub no_start: bool,
    /// Agent: the scheduled mode (`agent run-once` every 5 minutes from a systemd timer)
    /// instead of the resident daemon.
    #[arg(long)]
    pub timer: bool,
}

#[derive(Args, Debug, Clone)]
pub struct UninstallArgs {
    /// Uninstall from under this directory instead of `/` (see `install --root`).
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// Also delete the data directory (the agent's buffer, spool and enrollment; the server's
    /// database) and, for the server, /etc/outpost. Without it they stay.
    #[arg(long)]
    pub purge: bool,
}

/// Installs `role` on this machine (or under `args.root`).
pub fn install(role: Role, args: &InstallArgs) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        linux::install(role, args)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = args;
        anyhow::bail!(
            "`outpost {} install` is not available on this platform yet",
            role.name()
        )
    }
}

/// Removes what [`install`] put in place.
pub fn uninstall(role: Role, args: &UninstallArgs) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        linux::uninstall(role, args)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = args;
        anyhow::bail!(
            "`outpost {} uninstall` is not available on this platform yet",
            role.name()
        )
    }
}
