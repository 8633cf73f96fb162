//! Linux: the systemd units of `dist/systemd/` (compiled in), the binary at
//! `/usr/local/bin/outpost`, the data directory; `systemctl` when systemd runs.

use super::{InstallArgs, Role, UninstallArgs};
use anyhow::{Context, Result, bail};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = "usr/local/bin/outpost";
const UNIT_DIR: &str = "etc/systemd/system";
const AGENT_DATA: &str = "var/lib/outpost-agent";
const SERVER_DATA: &[&str] = &["var/lib/outpost", "var/lib/private/outpost"];
const SERVER_ETC: &str = "etc/outpost";

/// A systemd unit of `dist/systemd`: its file name and contents.
macro_rules! unit {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../../dist/systemd/", $name)),
        )
    };
}

const AGENT_SERVICE: (&str, &str) = unit!("outpost-agent.service");
const AGENT_RUN_ONCE: (&str, &str) = unit!("outpost-agent-run-once.service");
const AGENT_TIMER: (&str, &str) = unit!("outpost-agent-run-once.timer");
const SERVER_SERVICE: (&str, &str) = unit!("outpost-server.service");

/// The server configuration written at install when /etc/outpost/server.toml is absent.
const SERVER_TOML: &str = "# Written by `outpost server install`; see the README's Configuration (server).\n\
data_dir = \"/var/lib/outpost\"\n\
listen = \"127.0.0.1:8470\"\n";

/// Every unit a role may have installed (both agent modes), for uninstall.
fn all_units(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Agent => &[AGENT_SERVICE, AGENT_RUN_ONCE, AGENT_TIMER],
        Role::Server => &[SERVER_SERVICE],
    }
}

/// The units to install (name, text), and the one to enable. `every`: the run-once mode's
/// interval in minutes (the shipped timer says 5; another interval rewrites its
/// `OnUnitActiveSec`).
fn units(role: Role, every: Option<u32>) -> Result<(Vec<(&'static str, String)>, &'static str)> {
    Ok(match (role, every) {
        (Role::Agent, None) => (
            vec![(AGENT_SERVICE.0, AGENT_SERVICE.1.to_string())],
            AGENT_SERVICE.0,
        ),
        (Role::Agent, Some(min)) => (
            vec![
                (AGENT_RUN_ONCE.0, AGENT_RUN_ONCE.1.to_string()),
                (AGENT_TIMER.0, timer_text(min)?),
            ],
            AGENT_TIMER.0,
        ),
        (Role::Server, _) => (
            vec![(SERVER_SERVICE.0, SERVER_SERVICE.1.to_string())],
            SERVER_SERVICE.0,
        ),
    })
}

/// The run-once timer firing every `min` minutes.
fn timer_text(min: u32) -> Result<String> {
    const SHIPPED: &str = "OnUnitActiveSec=5min";
    if !AGENT_TIMER.1.contains(SHIPPED) {
        bail!(
            "{} has no `{SHIPPED}` line to set the interval in",
            AGENT_TIMER.0
        );
    }
    if min == 5 {
        return Ok(AGENT_TIMER.1.to_string());
    }
    Ok(AGENT_TIMER
        .1
        .replace(SHIPPED, &format!("OnUnitActiveSec={min}min"))
        .replace("every 5 minutes", &format!("every {min} minutes")))
}

fn other(role: Role) -> Role {
    match role {
        Role::Agent => Role::Server,
        Role::Server => Role::Agent,
    }
}

fn is_live(root: &Path) -> bool {
    root == Path::new("/")
}

/// systemd is the service manager (sd_booted(3): /run/systemd/system exists).
fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

fn systemctl(args: &[&str]) -> Result<()> {
    let status = Command::new("systemctl")
        .args(args)
        .status()
        .with_context(|| format!("running systemctl {}", args.join(" ")))?;
    if !status.success() {
        bail!("systemctl {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Writes `bytes` to `path` with `mode`, through a temporary file renamed into place.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.outpost-install",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut f = fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {:o} {}", mode, tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("moving {} into place", path.display()))?;
    Ok(())
}

fn remove_file(path: &Path, removed: &mut Vec<PathBuf>) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {
            removed.push(path.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}

fn remove_dir(path: &Path, removed: &mut Vec<PathBuf>) -> Result<()> {
    // A symlink (systemd's DynamicUser state directory) is removed as a link.
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if meta.file_type().is_symlink() || meta.is_file() {
        fs::remove_file(path)
    } else {
        fs::remove_dir_all(path)
    }
    .with_context(|| format!("removing {}", path.display()))?;
    removed.push(path.to_path_buf());
    Ok(())
}

pub fn install(role: Role, args: &InstallArgs) -> Result<()> {
    let root = &args.root;
    if role == Role::Server && (args.timer || args.run_once_every.is_some()) {
        bail!("--timer and --run-once-every are for the agent");
    }
    let every = args.run_once_minutes()?;

    // The binary: this very executable, unless it already is the installed one.
    let bin = root.join(BIN);
    let me = std::env::current_exe().context("finding this executable")?;
    let same = fs::canonicalize(&bin)
        .ok()
        .zip(fs::canonicalize(&me).ok())
        .is_some_and(|(a, b)| a == b);
    if !same {
        let bytes = fs::read(&me).with_context(|| format!("reading {}", me.display()))?;
        write_file(&bin, &bytes, 0o755).with_context(|| {
            if is_live(root) {
                "installing a system service needs root (or --root DIR to install into a directory)"
            } else {
                "installing under --root"
            }
        })?;
    }
    println!("binary:   {}", bin.display());

    let (units, enable) = units(role, every)?;
    for (name, text) in &units {
        let path = root.join(UNIT_DIR).join(name);
        write_file(&path, text.as_bytes(), 0o644)?;
        println!("unit:     {}", path.display());
    }
    // The other agent mode's units go: one agent per machine.
    if role == Role::Agent {
        let mut removed = Vec::new();
        for (name, _) in all_units(role) {
            if !units.iter().any(|(n, _)| n == name) {
                if is_live(root) && systemd_running() {
                    let _ = systemctl(&["disable", "--now", *name]);
                }
                remove_file(&root.join(UNIT_DIR).join(name), &mut removed)?;
            }
        }
    }

    match role {
        Role::Agent => {
            // The agent's data directory: kept if it exists (an enrolled agent.toml stays),
            // owner-only either way.
            let data = root.join(AGENT_DATA);
            fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
            fs::set_permissions(&data, fs::Permissions::from_mode(0o700))
                .with_context(|| format!("chmod 700 {}", data.display()))?;
            println!("data:     {}", data.display());
            if !data.join("agent.toml").exists() {
                println!(
                    "note:     not enrolled yet: outpost agent enroll --data-dir /{AGENT_DATA} --server URL --key ope_…"
                );
            }
        }
        Role::Server => {
            // systemd creates /var/lib/outpost (StateDirectory, DynamicUser): nothing to make.
            let cfg = root.join(SERVER_ETC).join("server.toml");
            if cfg.exists() {
                println!("config:   {} (kept)", cfg.display());
            } else {
                write_file(&cfg, SERVER_TOML.as_bytes(), 0o644)?;
                println!("config:   {}", cfg.display());
            }
        }
    }

    if !is_live(root) {
        println!("service:  not enabled (installed under {})", root.display());
    } else if !systemd_running() {
        println!("service:  not enabled: systemd is not running on this machine");
    } else {
        systemctl(&["daemon-reload"])?;
        if args.no_start {
            systemctl(&["enable", enable])?;
            println!("service:  {enable} enabled (not started)");
        } else {
            systemctl(&["enable", "--now", enable])?;
            println!("service:  {enable} enabled and started");
        }
    }
    Ok(())
}

pub fn uninstall(role: Role, args: &UninstallArgs) -> Result<()> {
    let root = &args.root;
    let live = is_live(root) && systemd_running();
    let mut removed = Vec::new();
    for (name, _) in all_units(role) {
        let path = root.join(UNIT_DIR).join(name);
        if live && path.exists() {
            // Stopping may fail for a unit that never ran; removing the file is what counts.
            let cmd: &[&str] = if args.no_block {
                &["disable", "--now", "--no-block", name]
            } else {
                &["disable", "--now", name]
            };
            if let Err(e) = systemctl(cmd) {
                eprintln!("warning: {}", crate::error_text(&e));
            }
        }
        remove_file(&path, &mut removed)?;
    }
    if live {
        systemctl(&["daemon-reload"])?;
    }
    // The binary is shared: it stays while the other role is installed.
    let other_installed = all_units(other(role))
        .iter()
        .any(|(name, _)| root.join(UNIT_DIR).join(name).exists());
    if other_installed {
        println!(
            "kept:     {} (the {} is installed)",
            root.join(BIN).display(),
            other(role).name()
        );
    } else {
        let bin = root.join(BIN);
        remove_file(&bin, &mut removed)?;
        // What a self-update leaves beside it: the rollback copy and a staged release.
        remove_file(&outpost_agent::update::prev_path(&bin), &mut removed)?;
        if let Some(dir) = bin.parent() {
            remove_file(&dir.join(outpost_agent::update::STAGED_NAME), &mut removed)?;
        }
    }
    let data: Vec<PathBuf> = match role {
        Role::Agent => vec![root.join(AGENT_DATA)],
        Role::Server => SERVER_DATA
            .iter()
            .map(|d| root.join(d))
            .chain([root.join(SERVER_ETC)])
            .collect(),
    };
    if args.purge {
        for d in &data {
            remove_dir(d, &mut removed)?;
        }
    } else {
        for d in data.iter().filter(|d| d.exists()) {
            println!("kept:     {} (--purge deletes it)", d.display());
        }
    }
    for p in &removed {
        println!("removed:  {}", p.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-updated agent leaves `outpost.prev` (and, in the middle of an update, the staged
    /// `.outpost.new`) beside the binary: uninstall removes them with it, and keeps all three
    /// while the server's units still use the binary.
    #[test]
    fn uninstall_removes_what_self_update_left_beside_the_binary() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join(BIN);
        let beside = [
            bin.clone(),
            outpost_agent::update::prev_path(&bin),
            bin.with_file_name(outpost_agent::update::STAGED_NAME),
        ];
        fs::create_dir_all(bin.parent().unwrap()).unwrap();
        for f in &beside {
            fs::write(f, b"build").unwrap();
        }
        let unit = root.path().join(UNIT_DIR).join(SERVER_SERVICE.0);
        fs::create_dir_all(unit.parent().unwrap()).unwrap();
        fs::write(&unit, SERVER_SERVICE.1).unwrap();
        let args = UninstallArgs {
            root: root.path().to_path_buf(),
            purge: false,
            no_block: false,
        };
        uninstall(Role::Agent, &args).unwrap();
        assert!(
            beside.iter().all(|f| f.exists()),
            "the server still runs it"
        );
        fs::remove_file(&unit).unwrap();
        uninstall(Role::Agent, &args).unwrap();
        for f in &beside {
            assert!(!f.exists(), "{} left behind", f.display());
        }
    }

    #[test]
    fn units_run_the_installed_binary() {
        for role in [Role::Agent, Role::Server] {
            for (name, text) in all_units(role) {
                if name.ends_with(".service") {
                    assert!(
                        text.contains(&format!("ExecStart=/{BIN} ")),
                        "{name} must run /{BIN}"
                    );
                }
            }
        }
        assert!(AGENT_SERVICE.1.contains(&format!("/{AGENT_DATA}")));
        assert!(SERVER_SERVICE.1.contains("/etc/outpost/server.toml"));
    }

    #[test]
    fn run_once_every_sets_the_timers_interval() {
        // 5 minutes (`--timer`) is the shipped file byte for byte.
        assert_eq!(timer_text(5).unwrap(), AGENT_TIMER.1);
        let t = timer_text(15).unwrap();
        assert!(t.contains("\nOnUnitActiveSec=15min\n"), "{t}");
        assert!(!t.contains("OnUnitActiveSec=5min"), "{t}");
        let (u, enable) = units(Role::Agent, Some(60)).unwrap();
        assert_eq!(enable, AGENT_TIMER.0);
        assert!(
            u.iter()
                .any(|(n, t)| *n == AGENT_TIMER.0 && t.contains("OnUnitActiveSec=60min"))
        );
        assert_eq!(units(Role::Agent, None).unwrap().1, AGENT_SERVICE.0);
    }
}
