//! What `outpost agent install` does on Windows, as data and pure decisions: the service's and
//! the scheduled task's command lines, the run-once interval, and the WFP audit policy's
//! save/restore rule (`install-state.json`). Compiled and unit-tested on every platform;
//! `windows.rs` carries it out with the Win32 APIs.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The Windows service's name (`sc query OutpostAgent`).
pub const SERVICE_NAME: &str = "OutpostAgent";
/// Its display name in services.msc.
pub const SERVICE_DISPLAY_NAME: &str = "Outpost Agent";
/// The scheduled task of the run-once mode (folder `\Outpost` of Task Scheduler).
pub const TASK_NAME: &str = r"Outpost\AgentRunOnce";
/// The file in the data directory that remembers what install changed, for uninstall.
pub const STATE_FILE: &str = "install-state.json";
/// schtasks.exe's `/TR` limit (characters).
const TASK_RUN_MAX: usize = 261;

/// The audit subcategory "Filtering Platform Connection" (events 5156/5157).
pub const WFP_CONNECTION_GUID: &str = "{0CCE9226-69AE-11D9-BED3-505054503030}";
pub const WFP_CONNECTION_NAME: &str = "Filtering Platform Connection";

/// `--run-once-every`: whole minutes from 1 to 1439 (schtasks' `/SC MINUTE /MO` range; the
/// Linux timer accepts the same so one RMM policy means the same on both). `5m`, `15min`,
/// `300s`, `1h`, a bare number is minutes.
pub fn parse_interval(s: &str) -> Result<u32> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("--run-once-every {s:?}: expected e.g. 5m, 15min, 1h"))?;
    let secs = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "m" | "min" | "mins" | "minute" | "minutes" => n.saturating_mul(60),
        "s" | "sec" | "secs" | "second" | "seconds" => n,
        "h" | "hour" | "hours" => n.saturating_mul(3600),
        u => bail!("--run-once-every {s:?}: unknown unit {u:?} (use s, m or h)"),
    };
    if secs % 60 != 0 {
        bail!(
            "--run-once-every {s:?}: the interval must be whole minutes (Task Scheduler and the \
             timer run at most once a minute)"
        );
    }
    let min = secs / 60;
    if !(1..=1439).contains(&min) {
        bail!("--run-once-every {s:?}: the interval must be 1 minute to 23 h 59 min");
    }
    Ok(min as u32)
}

/// The service's launch arguments after the executable (`outpost agent service`).
pub fn service_args(data_dir: &Path) -> Vec<String> {
    vec![
        "agent".into(),
        "service".into(),
        "--data-dir".into(),
        data_dir.display().to_string(),
    ]
}

/// What the service runs a self-update's build on trial with (`outpost agent run` on the same
/// data directory: `agent service` only runs when the SCM starts it).
pub fn trial_args(data_dir: &Path) -> Vec<String> {
    let mut a = service_args(data_dir);
    a[1] = "run".into();
    a
}

/// The detached helper the service starts to be started again with the installed binary
/// (after a self-update or an `agent.restart` job): `outpost agent service-restart`.
pub fn service_restart_args(data_dir: &Path, after_pid: u32) -> Vec<String> {
    let mut a = service_args(data_dir);
    a[1] = "service-restart".into();
    a.extend(["--after-pid".into(), after_pid.to_string()]);
    a
}

/// The `schtasks.exe` arguments that register the run-once task: every `minutes`, as SYSTEM,
/// replacing a task of the same name. `/TR` is one argument; the caller's process spawning
/// quotes it (Rust's `Command` escapes the inner quotes as `\"`, which schtasks parses back).
pub fn schtasks_create_args(exe: &Path, data_dir: &Path, minutes: u32) -> Result<Vec<String>> {
    let run = format!(
        "\"{}\" agent run-once --data-dir \"{}\"",
        exe.display(),
        data_dir.display()
    );
    if run.chars().count() > TASK_RUN_MAX {
        bail!(
            "the task's command line is {} characters, over schtasks' {TASK_RUN_MAX}: {run}",
            run.chars().count()
        );
    }
    Ok([
        "/Create",
        "/SC",
        "MINUTE",
        "/MO",
        &minutes.to_string(),
        "/RU",
        "SYSTEM",
        "/RL",
        "HIGHEST",
        "/TN",
        TASK_NAME,
        "/TR",
        &run,
        "/F",
    ]
    .map(String::from)
    .to_vec())
}

/// One audit subcategory's setting (what `auditpol /get` shows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSetting {
    pub success: bool,
    pub failure: bool,
}

/// AUDIT_POLICY_INFORMATION.AuditingInformation bits (ntsecapi.h).
const POLICY_AUDIT_EVENT_SUCCESS: u32 = 1;
const POLICY_AUDIT_EVENT_FAILURE: u32 = 2;
const POLICY_AUDIT_EVENT_NONE: u32 = 4;

impl AuditSetting {
    pub const BOTH: AuditSetting = AuditSetting {
        success: true,
        failure: true,
    };

    /// From what `AuditQuerySystemPolicy` returns.
    pub fn from_query_bits(bits: u32) -> Self {
        AuditSetting {
            success: bits & POLICY_AUDIT_EVENT_SUCCESS != 0,
            failure: bits & POLICY_AUDIT_EVENT_FAILURE != 0,
        }
    }

    /// For `AuditSetSystemPolicy`. "No auditing" is POLICY_AUDIT_EVENT_NONE: 0 would mean
    /// "unchanged" and leave success/failure set.
    pub fn to_set_bits(self) -> u32 {
        match (self.success, self.failure) {
            (false, false) => POLICY_AUDIT_EVENT_NONE,
            (s, f) => {
                (if s { POLICY_AUDIT_EVENT_SUCCESS } else { 0 })
                    | (if f { POLICY_AUDIT_EVENT_FAILURE } else { 0 })
            }
        }
    }

    pub fn union(self, o: AuditSetting) -> AuditSetting {
        AuditSetting {
            success: self.success || o.success,
            failure: self.failure || o.failure,
        }
    }

    /// Whether going from `self` to `to` switches off a kind that is on; `windows.rs` then
    /// clears the subcategory (NONE) before setting `to`.
    pub fn clears_some_of(self, to: AuditSetting) -> bool {
        (self.success && !to.success) || (self.failure && !to.failure)
    }
}

impl std::fmt::Display for AuditSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match (self.success, self.failure) {
            (true, true) => "success and failure",
            (true, false) => "success",
            (false, true) => "failure",
            (false, false) => "no auditing",
        })
    }
}

/// What install did to one audit subcategory: the setting it found and the one it left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditChange {
    pub subcategory: String,
    pub name: String,
    pub before: AuditSetting,
    pub after: AuditSetting,
}

/// `install-state.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallState {
    /// "service" or "task".
    #[serde(default)]
    pub mode: Option<String>,
    /// Set when install found the WFP subcategory (whether or not it had to change it).
    #[serde(default)]
    pub audit_policy: Option<AuditChange>,
}

impl InstallState {
    pub fn load(data_dir: &Path) -> Result<Option<InstallState>> {
        let p = data_dir.join(STATE_FILE);
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{} is not valid: {e}", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("reading {}: {e}", p.display())),
        }
    }

    pub fn save(&self, data_dir: &Path) -> Result<()> {
        let p = data_dir.join(STATE_FILE);
        let tmp = data_dir.join(format!(".{STATE_FILE}.tmp"));
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        std::fs::write(&tmp, &bytes)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &p).map_err(|e| anyhow::anyhow!("writing {}: {e}", p.display()))?;
        Ok(())
    }
}

/// Install: the setting to leave (`current` plus success and failure) and the record to keep.
/// A reinstall keeps the first install's `before`: the agent's own earlier change is not what
/// the machine had, and uninstall must restore the machine's.
pub fn audit_on_install(previous: Option<&AuditChange>, current: AuditSetting) -> AuditChange {
    let after = current.union(AuditSetting::BOTH);
    let before = match previous {
        Some(p) if p.subcategory == WFP_CONNECTION_GUID && current == p.after => p.before,
        _ => current,
    };
    AuditChange {
        subcategory: WFP_CONNECTION_GUID.into(),
        name: WFP_CONNECTION_NAME.into(),
        before,
        after,
    }
}

/// What uninstall does with the audit policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditRestore {
    /// Set it back to this (what install found).
    Restore(AuditSetting),
    /// Install changed nothing (it was already on), or it is already back: nothing to do.
    Nothing,
    /// Someone changed it since install (a GPO, a technician): left as it is.
    ChangedSince(AuditSetting),
}

pub fn audit_on_uninstall(rec: &AuditChange, current: AuditSetting) -> AuditRestore {
    if current == rec.before {
        AuditRestore::Nothing
    } else if current == rec.after {
        AuditRestore::Restore(rec.before)
    } else {
        AuditRestore::ChangedSince(current)
    }
}

/// The `auditpol` command a technician runs to set `s` by hand (in warnings).
pub fn auditpol_command(s: AuditSetting) -> String {
    let en = |b: bool| if b { "enable" } else { "disable" };
    format!(
        "auditpol /set /subcategory:\"{WFP_CONNECTION_NAME}\" /success:{} /failure:{}",
        en(s.success),
        en(s.failure)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const NONE: AuditSetting = AuditSetting {
        success: false,
        failure: false,
    };
    const S: AuditSetting = AuditSetting {
        success: true,
        failure: false,
    };
    const F: AuditSetting = AuditSetting {
        success: false,
        failure: true,
    };

    #[test]
    fn intervals_are_whole_minutes_schtasks_accepts() {
        assert_eq!(parse_interval("5m").unwrap(), 5);
        assert_eq!(parse_interval("5").unwrap(), 5);
        assert_eq!(parse_interval("15min").unwrap(), 15);
        assert_eq!(parse_interval("300s").unwrap(), 5);
        assert_eq!(parse_interval("1h").unwrap(), 60);
        assert_eq!(parse_interval("1439m").unwrap(), 1439);
        for bad in [
            "0m",
            "90s",
            "24h",
            "1440",
            "5x",
            "",
            "m",
            "-5m",
            "99999999999999999999h",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad:?} must be refused");
        }
    }

    /// The service's trial and restart helper run the same binary on the same data directory
    /// (the trial as a console daemon: `agent service` needs the SCM).
    #[test]
    fn trial_and_restart_helper_take_the_services_data_directory() {
        let d = Path::new(r"C:\ProgramData\Outpost");
        assert_eq!(
            service_args(d),
            ["agent", "service", "--data-dir", r"C:\ProgramData\Outpost"]
        );
        assert_eq!(
            trial_args(d),
            ["agent", "run", "--data-dir", r"C:\ProgramData\Outpost"]
        );
        assert_eq!(
            service_restart_args(d, 4242),
            [
                "agent",
                "service-restart",
                "--data-dir",
                r"C:\ProgramData\Outpost",
                "--after-pid",
                "4242"
            ]
        );
    }

    #[test]
    fn task_command_line_quotes_paths_with_spaces() {
        let args = schtasks_create_args(
            &PathBuf::from(r"C:\Program Files\Outpost\outpost.exe"),
            &PathBuf::from(r"C:\ProgramData\Outpost"),
            5,
        )
        .unwrap();
        assert_eq!(
            args,
            [
                "/Create",
                "/SC",
                "MINUTE",
                "/MO",
                "5",
                "/RU",
                "SYSTEM",
                "/RL",
                "HIGHEST",
                "/TN",
                r"Outpost\AgentRunOnce",
                "/TR",
                r#""C:\Program Files\Outpost\outpost.exe" agent run-once --data-dir "C:\ProgramData\Outpost""#,
                "/F"
            ]
        );
        let long = PathBuf::from(format!(r"C:\{}\outpost.exe", "x".repeat(250)));
        assert!(schtasks_create_args(&long, &PathBuf::from(r"C:\d"), 5).is_err());
    }

    #[test]
    fn audit_bits_round_trip_and_none_is_explicit() {
        for (bits, s) in [(0, NONE), (1, S), (2, F), (3, AuditSetting::BOTH)] {
            assert_eq!(AuditSetting::from_query_bits(bits), s);
        }
        // 0 would be POLICY_AUDIT_EVENT_UNCHANGED: restoring "no auditing" must send NONE.
        assert_eq!(NONE.to_set_bits(), 4);
        assert_eq!(S.to_set_bits(), 1);
        assert_eq!(F.to_set_bits(), 2);
        assert_eq!(AuditSetting::BOTH.to_set_bits(), 3);
        assert!(AuditSetting::BOTH.clears_some_of(S));
        assert!(!S.clears_some_of(AuditSetting::BOTH));
        assert_eq!(AuditSetting::BOTH.to_string(), "success and failure");
        assert_eq!(NONE.to_string(), "no auditing");
    }

    #[test]
    fn install_then_uninstall_restores_what_was_found() {
        for found in [NONE, S, F, AuditSetting::BOTH] {
            let rec = audit_on_install(None, found);
            assert_eq!(rec.before, found);
            assert_eq!(rec.after, AuditSetting::BOTH);
            let want = if found == AuditSetting::BOTH {
                AuditRestore::Nothing
            } else {
                AuditRestore::Restore(found)
            };
            assert_eq!(audit_on_uninstall(&rec, rec.after), want, "found {found}");
        }
    }

    #[test]
    fn reinstall_keeps_the_first_installs_before() {
        let first = audit_on_install(None, S);
        // The second install finds the agent's own "success and failure".
        let second = audit_on_install(Some(&first), AuditSetting::BOTH);
        assert_eq!(second.before, S);
        assert_eq!(
            audit_on_uninstall(&second, AuditSetting::BOTH),
            AuditRestore::Restore(S)
        );
        // But if someone changed it between the installs, that is what the machine has now.
        let other = audit_on_install(Some(&first), F);
        assert_eq!(other.before, F);
    }

    #[test]
    fn a_later_change_by_someone_else_is_left_alone() {
        let rec = audit_on_install(None, NONE);
        assert_eq!(audit_on_uninstall(&rec, F), AuditRestore::ChangedSince(F));
        assert_eq!(audit_on_uninstall(&rec, NONE), AuditRestore::Nothing);
    }

    #[test]
    fn state_file_round_trips() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(InstallState::load(d.path()).unwrap(), None);
        let st = InstallState {
            mode: Some("service".into()),
            audit_policy: Some(audit_on_install(None, S)),
        };
        st.save(d.path()).unwrap();
        assert_eq!(InstallState::load(d.path()).unwrap(), Some(st));
        std::fs::write(d.path().join(STATE_FILE), b"{not json").unwrap();
        assert!(InstallState::load(d.path()).is_err());
    }

    #[test]
    fn auditpol_hint_names_the_subcategory() {
        assert_eq!(
            auditpol_command(S),
            "auditpol /set /subcategory:\"Filtering Platform Connection\" /success:enable /failure:disable"
        );
    }
}
