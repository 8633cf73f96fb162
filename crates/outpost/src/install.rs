//! `outpost agent install|uninstall` and `outpost server install|uninstall`: put this binary,
//! its service definition and its data directory in place, and take them away again.
//!
//! The platform-neutral part is here (the arguments, [`Role`], the entry points); each
//! operating system has its own module (`install/linux.rs`: systemd units from `dist/systemd/`;
//! `install/windows.rs`: the `OutpostAgent` service or the `Outpost\AgentRunOnce` scheduled task,
//! and the WFP audit policy, whose decisions are in the platform-neutral, tested `install/plan.rs`).
//! Another platform adds its module and a `#[cfg]` arm in [`install`] and [`uninstall`].

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[cfg(target_os = "linux")]
mod linux;
#[cfg_attr(not(windows), allow(dead_code))]
pub mod plan;
#[cfg(windows)]
pub mod windows;

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
    /// services are neither enabled nor started (Windows: `DIR\Program Files\Outpost` and
    /// `DIR\ProgramData\Outpost`; no service, task or audit policy).
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// Put the files in place and enable the service, but do not start it.
    #[arg(long)]
    pub no_start: bool,
    /// Agent: the scheduled mode (`agent run-once` every 5 minutes from a systemd timer)
    /// instead of the resident daemon; the same as `--run-once-every 5m`.
    #[arg(long)]
    pub timer: bool,
    /// Agent: the scheduled mode at this interval (whole minutes, 1m to 23h59m: `5m`, `15m`,
    /// `1h`): a Windows scheduled task (`Outpost\AgentRunOnce`, as SYSTEM) or, on Linux, the
    /// systemd timer with this `OnUnitActiveSec`.
    #[arg(long, value_name = "INTERVAL", conflicts_with = "timer")]
    pub run_once_every: Option<String>,
    /// Windows: leave the audit policy alone (by default install turns on the
    /// "Filtering Platform Connection" subcategory, success and failure, for events 5156/5157,
    /// and uninstall puts back what it found).
    #[arg(long)]
    pub no_audit_policy: bool,
}

impl InstallArgs {
    /// The run-once mode's interval in minutes, or `None` for the resident daemon.
    #[cfg_attr(not(any(windows, target_os = "linux")), allow(dead_code))]
    pub fn run_once_minutes(&self) -> Result<Option<u32>> {
        match (&self.run_once_every, self.timer) {
            (Some(s), _) => plan::parse_interval(s).map(Some),
            (None, true) => Ok(Some(5)),
            (None, false) => Ok(None),
        }
    }
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
    /// The agent uninstalling itself (an `agent.uninstall` job): its own unit is stopped
    /// without waiting for it (`systemctl --no-block`), since the caller is that unit.
    #[arg(skip)]
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub no_block: bool,
}

/// Installs `role` on this machine (or under `args.root`).
pub fn install(role: Role, args: &InstallArgs) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        linux::install(role, args)
    }
    #[cfg(windows)]
    {
        windows::install(role, args)
    }
    #[cfg(not(any(target_os = "linux", windows)))]
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
    #[cfg(windows)]
    {
        windows::uninstall(role, args)
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = args;
        anyhow::bail!(
            "`outpost {} uninstall` is not available on this platform yet",
            role.name()
        )
    }
}
