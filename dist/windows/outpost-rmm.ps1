# outpost-rmm.ps1: the Outpost agent under an RMM (Syncro, NinjaOne, Datto, ...).
#
# Run it every 5 minutes as SYSTEM. Each run:
#   1. puts outpost.exe in place (download or copy, SHA-256 verified; only when it changed),
#   2. enrolls this machine once (skipped when the data directory is already enrolled),
#   3. runs `outpost.exe agent run-once` (correlate, upload hits; a failed upload stays in the
#      spool for the next run), unless the OutpostAgent service runs the agent,
# and appends what it did to C:\ProgramData\Outpost\logs\outpost-rmm.log for the RMM to collect.
#
# Settings: RMM script variables (Syncro puts them at the top of the script as $Name = value),
# environment variables, or arguments (-ServerUrl https://... -EnrollKey ope_...):
#   ServerUrl     OUTPOST_SERVER        server URL, e.g. https://outpost.example:8470 (enrollment)
#   EnrollKey     OUTPOST_ENROLL_KEY    the tenant's enrollment key (enrollment; never logged)
#   ExeSource     OUTPOST_EXE_SOURCE    https:// URL or local/UNC path of outpost.exe (optional:
#                                       without it the installed outpost.exe is used)
#   ExeSha256     OUTPOST_EXE_SHA256    its SHA-256 (required with ExeSource; with no source it
#                                       checks the installed outpost.exe)
#   OsLogs        OUTPOST_OS_LOGS       1 (default): read the Security and Sysmon channels; 0: no
#   Mode          OUTPOST_MODE          run-once (default), or service: `outpost.exe agent
#                                       install` once (the OutpostAgent service) instead
#
# Exit codes:
#   0   done
#   10  bad settings, or not elevated (run as SYSTEM or an administrator)
#   20  outpost.exe could not be downloaded, copied or put in place
#   21  SHA-256 mismatch: outpost.exe refused (the installed one, if any, is left as it was)
#   30  enrollment failed
#   40  run-once failed (the message is in the log; the spool is kept for the next run)
#   50  `agent install` (Mode service) failed
#
# Written for Windows PowerShell 5.1 (ASCII only, no PowerShell 7 syntax). No param() block:
# an RMM that prepends variable assignments would make it a syntax error.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Get-Setting([string]$Name, [string]$EnvName, [string]$Default) {
    # An argument "-Name value" wins, then an RMM script variable, then the environment.
    for ($i = 0; $i -lt $script:Argv.Count - 1; $i++) {
        if ($script:Argv[$i] -ieq ('-' + $Name)) { return [string]$script:Argv[$i + 1] }
    }
    $v = Get-Variable -Name $Name -Scope Script -ValueOnly -ErrorAction SilentlyContinue
    if ($v -ne $null -and [string]$v -ne '') { return [string]$v }
    $e = [Environment]::GetEnvironmentVariable($EnvName)
    if ($e -ne $null -and $e -ne '') { return $e }
    return $Default
}
$script:Argv = @($args)

$ProgramFiles = [Environment]::GetFolderPath('ProgramFiles')
$ProgramData = [Environment]::GetFolderPath('CommonApplicationData')
$InstallDir = Join-Path $ProgramFiles 'Outpost'
$Exe = Join-Path $InstallDir 'outpost.exe'
$DataDir = Join-Path $ProgramData 'Outpost'
$LogDir = Join-Path $DataDir 'logs'
$Log = Join-Path $LogDir 'outpost-rmm.log'
$MaxLogBytes = 5MB

$ServerUrl = Get-Setting 'ServerUrl' 'OUTPOST_SERVER' ''
$EnrollKey = Get-Setting 'EnrollKey' 'OUTPOST_ENROLL_KEY' ''
$ExeSource = Get-Setting 'ExeSource' 'OUTPOST_EXE_SOURCE' ''
$ExeSha256 = (Get-Setting 'ExeSha256' 'OUTPOST_EXE_SHA256' '').Trim().ToUpperInvariant()
$OsLogs = Get-Setting 'OsLogs' 'OUTPOST_OS_LOGS' '1'
$Mode = (Get-Setting 'Mode' 'OUTPOST_MODE' 'run-once').ToLowerInvariant()

function Write-Log([string]$Message) {
    $line = '{0} {1}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $Message
    try { Add-Content -LiteralPath $Log -Value $line -Encoding UTF8 } catch { }
    Write-Host $line
}

function Exit-With([int]$Code, [string]$Message) {
    if ($Code -eq 0) { Write-Log ('done: ' + $Message) } else { Write-Log ('FAILED (exit ' + $Code + '): ' + $Message) }
    exit $Code
}

# Runs outpost.exe with the arguments, logs its output, returns its exit code. Native stderr
# must not become a terminating error under 'Stop'.
function Invoke-Outpost([string[]]$ArgList) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        & $Exe @ArgList 2>&1 | ForEach-Object { Write-Log ('  outpost: ' + $_.ToString()) }
        return [int]$LASTEXITCODE
    } finally {
        $ErrorActionPreference = $saved
    }
}

function Get-Sha256([string]$Path) {
    return (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToUpperInvariant()
}

# --- the log (kept under 5 MB: one old file) ---
try {
    New-Item -ItemType Directory -Force -Path $LogDir | Out-Null
    if ((Test-Path -LiteralPath $Log) -and ((Get-Item -LiteralPath $Log).Length -gt $MaxLogBytes)) {
        Move-Item -Force -LiteralPath $Log -Destination ($Log + '.1')
    }
} catch {
    Write-Host ('cannot write the log ' + $Log + ': ' + $_.Exception.Message)
    exit 10
}
Write-Log ('outpost-rmm.ps1 on ' + $env:COMPUTERNAME + ', mode ' + $Mode)

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Exit-With 10 'not elevated: run this script as SYSTEM (the RMM default) or as an administrator'
}
if ($Mode -ne 'run-once' -and $Mode -ne 'service') {
    Exit-With 10 ('Mode must be run-once or service, not ' + $Mode)
}
if ($ExeSha256 -ne '' -and $ExeSha256 -notmatch '^[0-9A-F]{64}$') {
    Exit-With 10 'ExeSha256 must be 64 hex digits'
}

# --- 1. outpost.exe ---
if ($ExeSource -ne '') {
    if ($ExeSha256 -eq '') { Exit-With 10 'ExeSource needs ExeSha256 (outpost.exe is verified before it is used)' }
    if ((Test-Path -LiteralPath $Exe) -and ((Get-Sha256 $Exe) -eq $ExeSha256)) {
        Write-Log ('outpost.exe is current (' + $ExeSha256 + ')')
    } else {
        $tmp = Join-Path $DataDir 'outpost.exe.download'
        try {
            New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
            if ($ExeSource -match '^https?://') {
                if ($ExeSource -match '^http://') { Write-Log 'warning: ExeSource is plain http; the SHA-256 check is what protects it' }
                # Windows PowerShell 5.1 may default to TLS 1.0/1.1.
                [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
                Write-Log ('downloading ' + $ExeSource)
                Invoke-WebRequest -Uri $ExeSource -OutFile $tmp -UseBasicParsing
            } else {
                Write-Log ('copying ' + $ExeSource)
                Copy-Item -Force -LiteralPath $ExeSource -Destination $tmp
            }
        } catch {
            Remove-Item -Force -LiteralPath $tmp -ErrorAction SilentlyContinue
            Exit-With 20 ('cannot get outpost.exe from ' + $ExeSource + ': ' + $_.Exception.Message)
        }
        $got = Get-Sha256 $tmp
        if ($got -ne $ExeSha256) {
            Remove-Item -Force -LiteralPath $tmp -ErrorAction SilentlyContinue
            Exit-With 21 ('SHA-256 mismatch: expected ' + $ExeSha256 + ', got ' + $got + ' from ' + $ExeSource + '; outpost.exe refused')
        }
        # The service holds outpost.exe open: stop it for the swap, start it again after.
        $svc = Get-Service -Name 'OutpostAgent' -ErrorAction SilentlyContinue
        $restart = ($svc -ne $null -and $svc.Status -eq 'Running')
        try {
            if ($restart) { Stop-Service -Name 'OutpostAgent'; Write-Log 'service OutpostAgent stopped for the update' }
            Move-Item -Force -LiteralPath $tmp -Destination $Exe
            Write-Log ('outpost.exe installed: ' + $Exe + ' (' + $got + ')')
        } catch {
            Remove-Item -Force -LiteralPath $tmp -ErrorAction SilentlyContinue
            Exit-With 20 ('cannot put outpost.exe in place: ' + $_.Exception.Message)
        } finally {
            if ($restart) { Start-Service -Name 'OutpostAgent' -ErrorAction SilentlyContinue }
        }
    }
} elseif (-not (Test-Path -LiteralPath $Exe)) {
    Exit-With 20 ('no ' + $Exe + ': set ExeSource (URL or path) and ExeSha256')
} elseif ($ExeSha256 -ne '') {
    $got = Get-Sha256 $Exe
    if ($got -ne $ExeSha256) { Exit-With 21 ('SHA-256 mismatch: the installed outpost.exe is ' + $got + ', expected ' + $ExeSha256) }
}

# --- 2. enrollment, once ---
$toml = Join-Path $DataDir 'agent.toml'
$enrolled = (Test-Path -LiteralPath $toml) -and (Select-String -LiteralPath $toml -Pattern '^\s*device_id\s*=\s*"[^"]+"' -Quiet)
if ($enrolled) {
    Write-Log 'already enrolled'
} else {
    if ($ServerUrl -eq '' -or $EnrollKey -eq '') { Exit-With 10 'not enrolled yet: set ServerUrl and EnrollKey' }
    # agent.toml will hold the device token: SYSTEM and Administrators only (as `agent install`
    # sets it), before it is written.
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    & icacls.exe $DataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' /grant:r '*S-1-5-32-544:(OI)(CI)F' 2>&1 | Out-Null
    $icaclsCode = $LASTEXITCODE
    $ErrorActionPreference = $saved
    if ($icaclsCode -ne 0) { Write-Log ('warning: cannot restrict ' + $DataDir + ' to SYSTEM and Administrators (icacls exit ' + $icaclsCode + ')') }
    $enrollArgs = @('agent', 'enroll', '--if-absent', '--data-dir', $DataDir, '--server', $ServerUrl)
    if ($OsLogs -ne '0') { $enrollArgs += '--os-logs' }
    # The key goes through the environment (clap's OUTPOST_ENROLL_KEY), not the command line.
    $env:OUTPOST_ENROLL_KEY = $EnrollKey
    Write-Log ('enrolling with ' + $ServerUrl)
    $code = Invoke-Outpost $enrollArgs
    Remove-Item Env:\OUTPOST_ENROLL_KEY -ErrorAction SilentlyContinue
    if ($code -ne 0) { Exit-With 30 ('enrollment failed (outpost.exe exit ' + $code + ')') }
}

# --- 3. run once, or the service ---
$svc = Get-Service -Name 'OutpostAgent' -ErrorAction SilentlyContinue
if ($Mode -eq 'service') {
    if ($svc -eq $null) {
        $code = Invoke-Outpost @('agent', 'install')
        if ($code -ne 0) { Exit-With 50 ('agent install failed (outpost.exe exit ' + $code + ')') }
    } elseif ($svc.Status -ne 'Running') {
        try { Start-Service -Name 'OutpostAgent' } catch { Exit-With 50 ('cannot start OutpostAgent: ' + $_.Exception.Message) }
    }
    Exit-With 0 'service OutpostAgent installed and running'
}
if ($svc -ne $null -and $svc.Status -eq 'Running') {
    Exit-With 0 'the OutpostAgent service runs the agent: no run-once'
}
$code = Invoke-Outpost @('agent', 'run-once', '--data-dir', $DataDir)
if ($code -ne 0) { Exit-With 40 ('run-once failed (outpost.exe exit ' + $code + '); the spool is kept for the next run') }
Exit-With 0 'run-once'
