//! Windows: `C:\Program Files\Outpost\outpost.exe`, the data directory
//! `C:\ProgramData\Outpost`, and either the `OutpostAgent` service (automatic start, restart on
//! failure; its entry point is [`run_service`], the hidden `outpost agent service`) or the
//! `Outpost\AgentRunOnce` scheduled task (`--run-once-every`, through schtasks.exe); and the WFP
//! audit policy (advapi32's `AuditQuerySystemPolicy`/`AuditSetSystemPolicy`), saved in
//! `install-state.json` and restored by uninstall. The decisions are in `plan.rs` (tested on
//! every platform); this file carries them out.

use super::plan::{self, AuditSetting, InstallState};
use super::{InstallArgs, Role, UninstallArgs};
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use windows_service::service::{
    Service, ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};

const EXE: &str = "outpost.exe";
/// ERROR_SERVICE_DOES_NOT_EXIST, ERROR_SERVICE_NOT_ACTIVE, ERROR_ACCESS_DENIED.
const SERVICE_DOES_NOT_EXIST: i32 = 1060;
const SERVICE_NOT_ACTIVE: i32 = 1062;
const ACCESS_DENIED: i32 = 5;
const ELEVATE: &str = "run it from an elevated prompt (Run as administrator) or as SYSTEM";

fn is_live(root: &Path) -> bool {
    root == Path::new("/") || root == Path::new("\\")
}

/// (directory of outpost.exe, data directory) for `root`.
fn paths(root: &Path) -> (PathBuf, PathBuf) {
    if is_live(root) {
        let pf = std::env::var_os("ProgramFiles")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\Program Files"));
        (
            pf.join("Outpost"),
            PathBuf::from(crate::agent_cmd::default_agent_dir()),
        )
    } else {
        (
            root.join("Program Files").join("Outpost"),
            root.join("ProgramData").join("Outpost"),
        )
    }
}

/// The crate's error with its Win32 cause (its Display alone says "IO error in winapi call").
fn ws_err(e: &windows_service::Error) -> String {
    match e {
        windows_service::Error::Winapi(io) => format!("{e}: {io}"),
        _ => e.to_string(),
    }
}

fn winapi_code(e: &windows_service::Error) -> Option<i32> {
    match e {
        windows_service::Error::Winapi(io) => io.raw_os_error(),
        _ => None,
    }
}

/// Adds the elevation hint to access-denied errors.
fn scm_err(what: &str, e: windows_service::Error) -> anyhow::Error {
    if winapi_code(&e) == Some(ACCESS_DENIED) {
        anyhow::anyhow!("{what}: access denied: {ELEVATE}")
    } else {
        anyhow::Error::new(e).context(what.to_string())
    }
}

fn manager(create: bool) -> Result<ServiceManager> {
    let mut access = ServiceManagerAccess::CONNECT;
    if create {
        access |= ServiceManagerAccess::CREATE_SERVICE;
    }
    ServiceManager::local_computer(None::<&str>, access)
        .map_err(|e| scm_err("opening the Service Control Manager", e))
}

const SERVICE_ACCESS: ServiceAccess = ServiceAccess::QUERY_STATUS
    .union(ServiceAccess::QUERY_CONFIG)
    .union(ServiceAccess::CHANGE_CONFIG)
    .union(ServiceAccess::START)
    .union(ServiceAccess::STOP)
    .union(ServiceAccess::DELETE);

/// The installed service, if there is one.
fn open_service(mgr: &ServiceManager) -> Result<Option<Service>> {
    match mgr.open_service(plan::SERVICE_NAME, SERVICE_ACCESS) {
        Ok(s) => Ok(Some(s)),
        Err(e) if winapi_code(&e) == Some(SERVICE_DOES_NOT_EXIST) => Ok(None),
        Err(e) => Err(scm_err(
            &format!("opening service {}", plan::SERVICE_NAME),
            e,
        )),
    }
}

/// Stops `svc` and waits until the SCM says Stopped (the daemon finishes its last pass).
fn stop_and_wait(svc: &Service) -> Result<bool> {
    let st = svc
        .query_status()
        .map_err(|e| scm_err("querying the service", e))?;
    if st.current_state == ServiceState::Stopped {
        return Ok(false);
    }
    if st.current_state != ServiceState::StopPending
        && let Err(e) = svc.stop()
        && winapi_code(&e) != Some(SERVICE_NOT_ACTIVE)
    {
        return Err(scm_err("stopping the service", e));
    }
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
        if svc
            .query_status()
            .map_err(|e| scm_err("querying the service", e))?
            .current_state
            == ServiceState::Stopped
        {
            return Ok(true);
        }
    }
    bail!("service {} did not stop within 60 s", plan::SERVICE_NAME)
}

fn service_info(exe: &Path, data: &Path) -> ServiceInfo {
    ServiceInfo {
        name: OsString::from(plan::SERVICE_NAME),
        display_name: OsString::from(plan::SERVICE_DISPLAY_NAME),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: exe.to_path_buf(),
        launch_arguments: plan::service_args(data)
            .into_iter()
            .map(OsString::from)
            .collect(),
        dependencies: vec![],
        account_name: None, // LocalSystem: the Security log and every process need it
        account_password: None,
    }
}

fn register_service(exe: &Path, data: &Path) -> Result<Service> {
    let mgr = manager(true)?;
    let info = service_info(exe, data);
    let svc = match open_service(&mgr)? {
        Some(s) => {
            s.change_config(&info)
                .map_err(|e| scm_err("updating the service's configuration", e))?;
            println!("service:  {} updated", plan::SERVICE_NAME);
            s
        }
        None => {
            let s = mgr
                .create_service(&info, SERVICE_ACCESS)
                .map_err(|e| scm_err("creating the service", e))?;
            println!(
                "service:  {} created (automatic start, LocalSystem)",
                plan::SERVICE_NAME
            );
            s
        }
    };
    if let Err(e) = svc.set_description(
        "Outpost host threat detection: reads the Security/Sysmon logs, uploads hits, runs jobs.",
    ) {
        eprintln!(
            "warning: cannot set the service's description: {}",
            ws_err(&e)
        );
    }
    // Recovery: restart after 10 s, 30 s, then every 60 s; the count resets after a day
    // without failure. Also when the daemon exits with an error (not only on a crash).
    let restart = |s| ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(s),
    };
    let wanted = vec![restart(10), restart(30), restart(60)];
    let actions = ServiceFailureActions {
        reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(86_400)),
        reboot_msg: None,
        command: None,
        actions: Some(wanted.clone()),
    };
    // Read back from the SCM: what it will do, not what was asked.
    match svc
        .update_failure_actions(actions)
        .and_then(|()| svc.get_failure_actions())
    {
        Ok(got) if got.actions.as_ref() == Some(&wanted) => println!(
            "recovery: restart after {} (reset after {}; read back from the SCM)",
            got.actions
                .iter()
                .flatten()
                .map(|a| format!("{} s", a.delay.as_secs()))
                .collect::<Vec<_>>()
                .join(", "),
            match got.reset_period {
                ServiceFailureResetPeriod::Never => "never".to_string(),
                ServiceFailureResetPeriod::After(d) => format!("{} s", d.as_secs()),
            }
        ),
        Ok(got) => eprintln!(
            "warning: the SCM reports other recovery actions than were set: {:?}",
            got.actions
        ),
        Err(e) => eprintln!(
            "warning: cannot set the service's recovery actions ({}); set them with: \
             sc failure {} reset= 86400 actions= restart/10000/restart/30000/restart/60000",
            ws_err(&e),
            plan::SERVICE_NAME
        ),
    }
    // Recovery also when the daemon exits with an error, not only when it crashes.
    if let Err(e) = svc.set_failure_actions_on_non_crash_failures(true) {
        eprintln!(
            "warning: cannot enable recovery on non-crash failures ({}); set it with: \
             sc failureflag {} 1",
            ws_err(&e),
            plan::SERVICE_NAME
        );
    }
    Ok(svc)
}

/// Removes the service if there is one (stopped first). Returns whether it existed.
fn remove_service() -> Result<bool> {
    let mgr = manager(false)?;
    let Some(svc) = open_service(&mgr)? else {
        return Ok(false);
    };
    if stop_and_wait(&svc)? {
        println!("service:  {} stopped", plan::SERVICE_NAME);
    }
    svc.delete()
        .map_err(|e| scm_err("deleting the service", e))?;
    println!("removed:  service {}", plan::SERVICE_NAME);
    Ok(true)
}

fn schtasks(args: &[String]) -> Result<std::process::Output> {
    Command::new("schtasks.exe")
        .args(args)
        .output()
        .context("running schtasks.exe")
}

/// Task Scheduler keeps each task as a file under %SystemRoot%\System32\Tasks (readable by
/// Administrators and SYSTEM); `schtasks /Query`'s exit code is not reliable everywhere
/// (Wine's answers 0 for any name).
fn task_exists() -> bool {
    let root = std::env::var_os("SystemRoot")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\Windows"));
    root.join("System32")
        .join("Tasks")
        .join(plan::TASK_NAME)
        .exists()
}

fn remove_task() -> Result<bool> {
    if !task_exists() {
        return Ok(false);
    }
    let o = schtasks(&[
        "/Delete".into(),
        "/TN".into(),
        plan::TASK_NAME.into(),
        "/F".into(),
    ])?;
    if !o.status.success() {
        bail!(
            "schtasks /Delete /TN {} failed: {}",
            plan::TASK_NAME,
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    println!("removed:  scheduled task {}", plan::TASK_NAME);
    Ok(true)
}

fn create_task(exe: &Path, data: &Path, minutes: u32, start: bool) -> Result<()> {
    let args = plan::schtasks_create_args(exe, data, minutes)?;
    let o = schtasks(&args)?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        let out = String::from_utf8_lossy(&o.stdout);
        bail!(
            "schtasks {} failed ({}): {} {}{}",
            args.join(" "),
            o.status,
            err.trim(),
            out.trim(),
            if outpost_platform::is_privileged() {
                String::new()
            } else {
                format!("; {ELEVATE}")
            }
        );
    }
    println!(
        "task:     {} runs `agent run-once` every {minutes} min as SYSTEM",
        plan::TASK_NAME
    );
    if start {
        let o = schtasks(&["/Run".into(), "/TN".into(), plan::TASK_NAME.into()])?;
        if o.status.success() {
            println!("task:     started once now");
        } else {
            eprintln!(
                "warning: schtasks /Run failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
    }
    Ok(())
}

/// Copies this executable to `bin` unless it is that file.
fn copy_self(bin: &Path) -> Result<()> {
    let me = std::env::current_exe().context("finding this executable")?;
    let same = std::fs::canonicalize(bin)
        .ok()
        .zip(std::fs::canonicalize(&me).ok())
        .is_some_and(|(a, b)| a == b);
    if same {
        return Ok(());
    }
    let dir = bin
        .parent()
        .with_context(|| format!("{} has no parent directory", bin.display()))?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating {}: {ELEVATE}", dir.display()))?;
    let tmp = dir.join(".outpost.exe.install");
    std::fs::copy(&me, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
    std::fs::rename(&tmp, bin).with_context(|| {
        format!(
            "moving {} into place (is an old outpost.exe still running?)",
            bin.display()
        )
    })?;
    Ok(())
}

/// The data directory: SYSTEM and Administrators only, inherited by what is created in it
/// (agent.toml holds the device token). A protected DACL from SDDL through
/// `SetNamedSecurityInfoW` (icacls.exe would do the same; Wine's hangs).
fn restrict_acl(data: &Path) -> Result<()> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Foundation::{GetLastError, LocalFree};
    use windows_sys::Win32::Security::Authorization::{
        ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1, SE_FILE_OBJECT,
        SetNamedSecurityInfoW,
    };
    use windows_sys::Win32::Security::{
        ACL, DACL_SECURITY_INFORMATION, GetSecurityDescriptorDacl,
        PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    };
    const SDDL: &str = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)\0";
    let sddl: Vec<u16> = SDDL.encode_utf16().collect();
    let path: Vec<u16> = data.as_os_str().encode_wide().chain([0]).collect();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: NUL-terminated SDDL; `sd` receives a LocalAlloc'd descriptor freed below.
    if unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            std::ptr::null_mut(),
        )
    } == 0
    {
        bail!(
            "parsing the data directory's ACL: {}",
            std::io::Error::from_raw_os_error(unsafe { GetLastError() } as i32)
        );
    }
    let mut present = 0;
    let mut defaulted = 0;
    let mut dacl: *mut ACL = std::ptr::null_mut();
    // SAFETY: `sd` is a valid descriptor; the DACL points into it.
    let r =
        if unsafe { GetSecurityDescriptorDacl(sd, &mut present, &mut dacl, &mut defaulted) } == 0 {
            Err(std::io::Error::last_os_error())
        } else {
            // SAFETY: NUL-terminated path, DACL from the descriptor alive until LocalFree.
            let e = unsafe {
                SetNamedSecurityInfoW(
                    path.as_ptr(),
                    SE_FILE_OBJECT,
                    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    dacl,
                    std::ptr::null(),
                )
            };
            if e == 0 {
                Ok(())
            } else {
                Err(std::io::Error::from_raw_os_error(e as i32))
            }
        };
    // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
    unsafe { LocalFree(sd) };
    r.with_context(|| {
        format!(
            "restricting {} to SYSTEM and Administrators",
            data.display()
        )
    })
}

fn enrolled(data: &Path) -> bool {
    outpost_agent::config::AgentConfig::load(data).is_ok_and(|c| c.device_id.is_some())
}

pub fn install(role: Role, args: &InstallArgs) -> Result<()> {
    if role == Role::Server {
        bail!(
            "`outpost {} install`: the server runs on Linux only; on Windows install the agent",
            role.name()
        );
    }
    let every = args.run_once_minutes()?;
    let live = is_live(&args.root);
    let (bin_dir, data) = paths(&args.root);
    let bin = bin_dir.join(EXE);

    // A running service holds outpost.exe open: stop it before replacing the file.
    let mut was_running = false;
    if live && let Some(svc) = open_service(&manager(false)?)? {
        was_running = stop_and_wait(&svc)?;
        if was_running {
            println!("service:  {} stopped for the update", plan::SERVICE_NAME);
        }
    }
    copy_self(&bin)?;
    println!("binary:   {}", bin.display());
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    if live && let Err(e) = restrict_acl(&data) {
        eprintln!("warning: {e:#}");
    }
    println!("data:     {}", data.display());
    if !live {
        println!(
            "service:  not registered (installed under {})",
            args.root.display()
        );
        return Ok(());
    }

    let mut state = InstallState::load(&data)?.unwrap_or_default();
    let is_enrolled = enrolled(&data);
    match every {
        None => {
            remove_task()?;
            let svc = register_service(&bin, &data)?;
            state.mode = Some("service".into());
            if args.no_start {
                println!(
                    "service:  not started (--no-start): sc start {}",
                    plan::SERVICE_NAME
                );
            } else if !is_enrolled {
                println!(
                    "service:  not started: enroll first, then: sc start {}",
                    plan::SERVICE_NAME
                );
            } else {
                svc.start::<&str>(&[])
                    .map_err(|e| scm_err("starting the service", e))?;
                println!("service:  {} started", plan::SERVICE_NAME);
            }
        }
        Some(min) => {
            // The task first: if it cannot be made, the service (if any) runs on as before.
            if let Err(e) = create_task(&bin, &data, min, !args.no_start && is_enrolled) {
                if was_running
                    && let Some(svc) = open_service(&manager(false)?)?
                    && svc.start::<&str>(&[]).is_ok()
                {
                    eprintln!("service:  {} started again", plan::SERVICE_NAME);
                }
                return Err(e);
            }
            remove_service()?;
            state.mode = Some("task".into());
        }
    }

    if args.no_audit_policy {
        println!("audit:    left alone (--no-audit-policy)");
    } else {
        match audit::enable(state.audit_policy.as_ref()) {
            Ok(rec) => state.audit_policy = Some(rec),
            Err(e) => eprintln!(
                "warning: the audit policy is unchanged: {e:#}. Without it the Security log has \
                 no 5156/5157 events for the agent to read; set it by hand: {}",
                plan::auditpol_command(AuditSetting::BOTH)
            ),
        }
    }
    state
        .save(&data)
        .context("saving what install changed (uninstall needs it)")?;
    if !is_enrolled {
        println!(
            "note:     not enrolled yet: outpost agent enroll --server URL --key ope_… --os-logs"
        );
    }
    Ok(())
}

pub fn uninstall(role: Role, args: &UninstallArgs) -> Result<()> {
    if role == Role::Server {
        bail!(
            "`outpost {} uninstall`: the server runs on Linux only",
            role.name()
        );
    }
    let live = is_live(&args.root);
    let (bin_dir, data) = paths(&args.root);
    let mut failed = Vec::new();
    // install-state.json still holds an audit setting to put back: --purge keeps the data.
    let mut audit_unrestored = false;
    if live {
        remove_service()?;
        if let Err(e) = remove_task() {
            failed.push(format!("{e:#}"));
        }
        match InstallState::load(&data) {
            Ok(Some(mut st)) => {
                if let Some(rec) = st.audit_policy.take() {
                    if let Err(e) = audit::restore(&rec) {
                        failed.push(format!(
                            "the audit policy was not restored: {e:#}; restore it by hand: {}",
                            plan::auditpol_command(rec.before)
                        ));
                        st.audit_policy = Some(rec);
                        audit_unrestored = true;
                    }
                }
                st.mode = None;
                if let Err(e) = st.save(&data) {
                    eprintln!("warning: {e:#}");
                }
            }
            Ok(None) => {}
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    let bin = bin_dir.join(EXE);
    match std::fs::remove_file(&bin) {
        Ok(()) => println!("removed:  {}", bin.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            // Uninstall run from the installed outpost.exe: Windows cannot delete a running
            // executable; it goes at the next reboot.
            if live && delete_at_reboot(&bin) {
                println!(
                    "removed:  {} (at the next reboot: it is running)",
                    bin.display()
                );
            } else {
                failed.push(format!("removing {}: {e}", bin.display()));
            }
        }
    }
    // What a self-update leaves beside outpost.exe: the rollback copy and a staged release.
    for extra in [
        outpost_agent::update::prev_path(&bin),
        bin_dir.join(outpost_agent::update::STAGED_NAME),
    ] {
        match std::fs::remove_file(&extra) {
            Ok(()) => println!("removed:  {}", extra.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) if live && delete_at_reboot(&extra) => {
                println!("removed:  {} (at the next reboot: {e})", extra.display())
            }
            Err(e) => failed.push(format!("removing {}: {e}", extra.display())),
        }
    }
    let _ = std::fs::remove_dir(&bin_dir); // only when empty
    if args.purge && audit_unrestored {
        failed.push(format!(
            "kept {}: its {} records the audit setting to restore",
            data.display(),
            plan::STATE_FILE
        ));
    } else if args.purge {
        match std::fs::remove_dir_all(&data) {
            Ok(()) => println!("removed:  {}", data.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => failed.push(format!("removing {}: {e}", data.display())),
        }
    } else if data.exists() {
        println!("kept:     {} (--purge deletes it)", data.display());
    }
    if !failed.is_empty() {
        bail!("uninstall incomplete:\n  {}", failed.join("\n  "));
    }
    Ok(())
}

fn delete_at_reboot(p: &Path) -> bool {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Storage::FileSystem::{MOVEFILE_DELAY_UNTIL_REBOOT, MoveFileExW};
    let w: Vec<u16> = p.as_os_str().encode_wide().chain([0]).collect();
    // SAFETY: `w` is a NUL-terminated wide string; a null new name means "delete".
    unsafe { MoveFileExW(w.as_ptr(), std::ptr::null(), MOVEFILE_DELAY_UNTIL_REBOOT) != 0 }
}

/// The WFP audit subcategory through advapi32's audit policy API.
mod audit {
    use super::plan::{self, AuditChange, AuditRestore, AuditSetting};
    use anyhow::{Result, anyhow};
    use windows_sys::Win32::Foundation::{
        CloseHandle, ERROR_ACCESS_DENIED, ERROR_CALL_NOT_IMPLEMENTED, ERROR_NOT_ALL_ASSIGNED,
        ERROR_PRIVILEGE_NOT_HELD, GetLastError, HANDLE, LUID,
    };
    use windows_sys::Win32::Security::Authentication::Identity::{
        AUDIT_POLICY_INFORMATION, AuditFree, AuditQuerySystemPolicy, AuditSetSystemPolicy,
    };
    use windows_sys::Win32::Security::{
        AdjustTokenPrivileges, LUID_AND_ATTRIBUTES, LookupPrivilegeValueW, SE_PRIVILEGE_ENABLED,
        TOKEN_ADJUST_PRIVILEGES, TOKEN_PRIVILEGES, TOKEN_QUERY,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
    use windows_sys::core::GUID;

    const WFP_CONNECTION: GUID = GUID::from_u128(0x0cce9226_69ae_11d9_bed3_505054503030);

    fn explain(what: &str, code: u32) -> anyhow::Error {
        let hint = match code {
            ERROR_ACCESS_DENIED | ERROR_PRIVILEGE_NOT_HELD | ERROR_NOT_ALL_ASSIGNED => {
                format!(": {}", super::ELEVATE)
            }
            ERROR_CALL_NOT_IMPLEMENTED => {
                ": this system does not implement the audit policy API (Wine?)".into()
            }
            _ => String::new(),
        };
        anyhow!(
            "{what} failed: {}{hint}",
            std::io::Error::from_raw_os_error(code as i32)
        )
    }

    /// The audit policy calls need SeSecurityPrivilege enabled in this process's token
    /// (Administrators and SYSTEM hold it, disabled).
    fn enable_security_privilege() -> Result<()> {
        let name: Vec<u16> = "SeSecurityPrivilege\0".encode_utf16().collect();
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: pseudo-handle of this process; `token` receives a handle closed below.
        if unsafe {
            OpenProcessToken(
                GetCurrentProcess(),
                TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY,
                &mut token,
            )
        } == 0
        {
            return Err(explain("OpenProcessToken", unsafe { GetLastError() }));
        }
        let mut luid = LUID::default();
        // SAFETY: `name` is NUL-terminated, `luid` a valid out-parameter.
        let r = (|| {
            if unsafe { LookupPrivilegeValueW(std::ptr::null(), name.as_ptr(), &mut luid) } == 0 {
                return Err(explain(
                    "LookupPrivilegeValueW(SeSecurityPrivilege)",
                    unsafe { GetLastError() },
                ));
            }
            let tp = TOKEN_PRIVILEGES {
                PrivilegeCount: 1,
                Privileges: [LUID_AND_ATTRIBUTES {
                    Luid: luid,
                    Attributes: SE_PRIVILEGE_ENABLED,
                }],
            };
            // SAFETY: `tp` is a valid TOKEN_PRIVILEGES; no previous state requested.
            let ok = unsafe {
                AdjustTokenPrivileges(token, 0, &tp, 0, std::ptr::null_mut(), std::ptr::null_mut())
            };
            // It "succeeds" with ERROR_NOT_ALL_ASSIGNED when the token lacks the privilege.
            let err = unsafe { GetLastError() };
            if ok == 0 || err == ERROR_NOT_ALL_ASSIGNED {
                return Err(explain("enabling SeSecurityPrivilege", err));
            }
            Ok(())
        })();
        // SAFETY: `token` was opened above.
        unsafe { CloseHandle(token) };
        r
    }

    pub fn query() -> Result<AuditSetting> {
        let mut p: *mut AUDIT_POLICY_INFORMATION = std::ptr::null_mut();
        // SAFETY: one GUID in, `p` receives an array of one entry that AuditFree releases.
        let ok = unsafe { AuditQuerySystemPolicy(&WFP_CONNECTION, 1, &mut p) };
        if !ok || p.is_null() {
            return Err(explain("AuditQuerySystemPolicy", unsafe { GetLastError() }));
        }
        // SAFETY: `p` points to one AUDIT_POLICY_INFORMATION.
        let bits = unsafe { (*p).AuditingInformation };
        // SAFETY: allocated by AuditQuerySystemPolicy.
        unsafe { AuditFree(p.cast()) };
        Ok(AuditSetting::from_query_bits(bits))
    }

    fn set_bits(bits: u32) -> Result<()> {
        let info = AUDIT_POLICY_INFORMATION {
            AuditSubCategoryGuid: WFP_CONNECTION,
            AuditingInformation: bits,
            ..Default::default()
        };
        // SAFETY: one valid entry.
        if !unsafe { AuditSetSystemPolicy(&info, 1) } {
            return Err(explain("AuditSetSystemPolicy", unsafe { GetLastError() }));
        }
        Ok(())
    }

    /// Sets `to` (clearing first when it switches a kind off) and reads it back.
    fn set(from: AuditSetting, to: AuditSetting) -> Result<()> {
        if from.clears_some_of(to) {
            set_bits(AuditSetting::default().to_set_bits())?;
        }
        if to != AuditSetting::default() {
            set_bits(to.to_set_bits())?;
        }
        let now = query()?;
        if now != to {
            return Err(anyhow!(
                "the audit policy reads back as {now} after setting {to} (a Group Policy \
                 overriding it?)"
            ));
        }
        Ok(())
    }

    pub fn enable(previous: Option<&AuditChange>) -> Result<AuditChange> {
        enable_security_privilege()?;
        let current = query()?;
        let rec = plan::audit_on_install(previous, current);
        if current == rec.after {
            println!(
                "audit:    \"{}\" already audits {current} (unchanged)",
                plan::WFP_CONNECTION_NAME
            );
        } else {
            set(current, rec.after)?;
            println!(
                "audit:    \"{}\": {current} → {} (uninstall restores {})",
                plan::WFP_CONNECTION_NAME,
                rec.after,
                rec.before
            );
        }
        Ok(rec)
    }

    pub fn restore(rec: &AuditChange) -> Result<()> {
        enable_security_privilege()?;
        let current = query()?;
        match plan::audit_on_uninstall(rec, current) {
            AuditRestore::Nothing => println!(
                "audit:    \"{}\" left at {current} (as install found it)",
                rec.name
            ),
            AuditRestore::Restore(to) => {
                set(current, to)?;
                println!("audit:    \"{}\": {current} → {to} (restored)", rec.name);
            }
            AuditRestore::ChangedSince(now) => println!(
                "audit:    \"{}\" left at {now}: changed since install (install set {}, found {})",
                rec.name, rec.after, rec.before
            ),
        }
        Ok(())
    }
}

// ---- the service's entry point: `outpost agent service` (hidden), started by the SCM ----

static SERVICE_DATA_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
static SERVICE_RESULT: std::sync::OnceLock<std::result::Result<(), String>> =
    std::sync::OnceLock::new();

windows_service::define_windows_service!(ffi_service_main, service_main);

/// Connects to the SCM and runs the daemon as the `OutpostAgent` service until the SCM stops
/// it. Fails at once (ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) when not started by the SCM.
pub fn run_service(data_dir: PathBuf) -> Result<()> {
    let _ = SERVICE_DATA_DIR.set(data_dir);
    windows_service::service_dispatcher::start(plan::SERVICE_NAME, ffi_service_main).map_err(
        |e| {
            anyhow::Error::new(e).context(
                "`outpost agent service` is the Windows service's entry point, started by the \
                 Service Control Manager (outpost agent install); use `outpost agent run` in a \
                 console",
            )
        },
    )?;
    match SERVICE_RESULT.get() {
        Some(Err(e)) => bail!("{e}"),
        _ => Ok(()),
    }
}

fn service_main(_args: Vec<OsString>) {
    let r = run_daemon_as_service().map_err(|e| format!("{e:#}"));
    if let Err(e) = &r {
        tracing::error!(error = %e, "the agent service failed");
    }
    let _ = SERVICE_RESULT.set(r);
}

fn status(state: ServiceState, checkpoint: u32, exit: u32) -> ServiceStatus {
    ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Running {
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        },
        exit_code: if exit == 0 {
            ServiceExitCode::Win32(0)
        } else {
            ServiceExitCode::ServiceSpecific(exit)
        },
        checkpoint,
        wait_hint: if matches!(
            state,
            ServiceState::StopPending | ServiceState::StartPending
        ) {
            Duration::from_secs(30)
        } else {
            Duration::default()
        },
        process_id: None,
    }
}

/// After a self-update (the new outpost.exe installed) or an `agent.restart` job: the service
/// must run again, from the installed binary. A detached `outpost agent service-restart` waits
/// for this process to stop and asks the SCM to start the service again (Wine's SCM has no
/// recovery actions, and a stopped service is not restarted by them anyway). Returns the
/// service's exit code: 0, or when the helper cannot start, an error (3) that makes the SCM's
/// recovery actions restart it where it has them.
fn hand_over(exe: &Path, data: &Path) -> u32 {
    use std::os::windows::process::CommandExt;
    use windows_sys::Win32::System::Threading::{
        CREATE_BREAKAWAY_FROM_JOB, CREATE_NEW_PROCESS_GROUP, DETACHED_PROCESS,
    };
    let spawn = |flags| {
        Command::new(exe)
            .args(plan::service_restart_args(data, std::process::id()))
            .env_remove(outpost_agent::update::TRIAL_ENV)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .creation_flags(flags)
            .spawn()
    };
    let detached = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    // Out of the service's job, if it is in one that allows it (else in it: most jobs do not
    // kill their processes when one of them exits).
    match spawn(detached | CREATE_BREAKAWAY_FROM_JOB).or_else(|_| spawn(detached)) {
        Ok(child) => {
            tracing::info!(exe = %exe.display(), helper = child.id(), "the service stops and is started again by `agent service-restart`");
            0
        }
        Err(e) => {
            tracing::error!(exe = %exe.display(), error = %e, "cannot start `agent service-restart`: the service stops with an error for its recovery actions to restart it");
            3
        }
    }
}

/// `outpost agent service-restart` (hidden; started by [`hand_over`]): waits until the service
/// is stopped and the process `after_pid` has exited, then starts the service (retried for a
/// while: the SCM may still be tidying the stopped process up).
pub fn restart_service(after_pid: Option<u32>) -> Result<()> {
    let svc = open_service(&manager(false)?)?
        .with_context(|| format!("service {} is not installed", plan::SERVICE_NAME))?;
    let until = Instant::now() + Duration::from_secs(120);
    while svc
        .query_status()
        .map_err(|e| scm_err("querying the service", e))?
        .current_state
        != ServiceState::Stopped
    {
        if Instant::now() >= until {
            bail!("service {} did not stop within 120 s", plan::SERVICE_NAME);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if let Some(pid) = after_pid {
        wait_exit(pid, Duration::from_secs(60));
    }
    const ALREADY_RUNNING: i32 = 1056;
    let mut tries = 0;
    loop {
        match svc.start::<&str>(&[]) {
            Ok(()) => break,
            Err(e) if winapi_code(&e) == Some(ALREADY_RUNNING) => break,
            Err(e) if tries < 10 => {
                tries += 1;
                tracing::warn!(error = %ws_err(&e), "cannot start the service yet; trying again in 2 s");
                std::thread::sleep(Duration::from_secs(2));
            }
            Err(e) => return Err(scm_err("starting the service again", e)),
        }
    }
    tracing::info!(
        service = plan::SERVICE_NAME,
        "service started again (agent service-restart)"
    );
    Ok(())
}

/// Waits up to `max` for process `pid` to exit (at once when it is gone).
fn wait_exit(pid: u32, max: Duration) {
    use windows_sys::Win32::Foundation::CloseHandle;
    use windows_sys::Win32::System::Threading::{
        OpenProcess, PROCESS_SYNCHRONIZE, WaitForSingleObject,
    };
    // SAFETY: plain call; a null handle means the process is gone (or not ours to see).
    let h = unsafe { OpenProcess(PROCESS_SYNCHRONIZE, 0, pid) };
    if h.is_null() {
        return;
    }
    let ms = u32::try_from(max.as_millis()).unwrap_or(u32::MAX);
    // SAFETY: `h` is a valid process handle, closed once below.
    unsafe {
        WaitForSingleObject(h, ms);
        CloseHandle(h);
    }
}

fn run_daemon_as_service() -> Result<()> {
    let data = SERVICE_DATA_DIR
        .get()
        .cloned()
        .unwrap_or_else(|| PathBuf::from(crate::agent_cmd::default_agent_dir()));
    // The SCM's Stop and Shutdown set the flag `outpost agent run` sets on Ctrl-C/SIGTERM.
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handler = move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            tracing::info!(control = ?control, "the Service Control Manager stops the agent");
            flag.store(true, Ordering::Relaxed);
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let handle = service_control_handler::register(plan::SERVICE_NAME, handler)
        .context("registering the service control handler")?;
    handle
        .set_service_status(status(ServiceState::Running, 0, 0))
        .context("reporting Running")?;
    tracing::info!(data_dir = %data.display(), "agent service running");

    // While the daemon finishes its last pass after a Stop, tell the SCM it is stopping.
    let done = Arc::new(AtomicBool::new(false));
    let reporter = {
        let (stop, done) = (stop.clone(), done.clone());
        std::thread::spawn(move || {
            let mut checkpoint = 0;
            while !done.load(Ordering::Relaxed) {
                if stop.load(Ordering::Relaxed) {
                    checkpoint += 1;
                    let _ =
                        handle.set_service_status(status(ServiceState::StopPending, checkpoint, 0));
                    std::thread::sleep(Duration::from_secs(2));
                } else {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
    };
    // A self-update's build on trial runs as a console daemon on this data directory.
    outpost_agent::update::set_relaunch(
        plan::trial_args(&data)
            .into_iter()
            .map(OsString::from)
            .collect(),
        Some(data.join("logs").join("agent-trial.log")),
    );
    let result = outpost_agent::daemon::run(&data, stop.clone());
    done.store(true, Ordering::Relaxed);
    let _ = reporter.join();
    let exit = match &result {
        Ok(c) => {
            tracing::info!(counters = %serde_json::to_string(c).unwrap_or_default(), "agent service stopped");
            match &c.exec {
                Some(exe) => hand_over(exe, &data),
                None => 0,
            }
        }
        Err(_) => 1,
    };
    handle
        .set_service_status(status(ServiceState::Stopped, 0, exit))
        .context("reporting Stopped")?;
    result.context("agent daemon failed")?;
    Ok(())
}
