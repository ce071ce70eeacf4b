#!/usr/bin/env pwsh
# Wirefisher's front door. Run from the repository root:
#   dotnet tool restore && dotnet pwsh ./build.ps1 -Task Build|Test|Demo|Bench|Install|Uninstall|Clean   (Bench: -Quick for a smoke run)
# Build output goes to out/ (the module to out/Wirefisher); helper scripts live in build/.
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Install', 'Uninstall', 'Clean')] [string]$Task = 'Build',
    [string]$Configuration = 'Release',
    [string[]]$TestPath,
    [switch]$SkipXunit,
    [switch]$Quick,  # -Task Bench: short smoke runs, results to out/bench/results (bench/RESULTS.md untouched)
    # -Task Install/Uninstall: the module directory; by default PowerShell's AllUsers one on Linux
    [string]$Destination = '/usr/local/share/powershell/Modules',
    [switch]$NoBuild   # -Task Install: install out/Wirefisher as it is, without building it first
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$PSStyle.OutputRendering = 'PlainText'   # plain logs, like the children (NO_COLOR below)

$Root          = $PSScriptRoot
$ModuleOut     = Join-Path $Root 'out/Wirefisher'
$ToolsOut      = Join-Path $Root 'out/tools'
$ResultsDir    = Join-Path $Root 'out/test-results'
$Packages      = Join-Path $Root '.packages'
$PesterVersion = '5.7.1'   # keep in step with build/tools.csproj
# iptables, ethtool and iputils-ping build the tests' remote-like download path (tests/pester/WfRemotePath.psm1)
$AptPackages   = 'clang', 'llvm', 'libbpf-dev', 'bpftool', 'iproute2', 'iperf3', 'trickle', 'iptables', 'ethtool', 'iputils-ping', 'gcc', 'prometheus', 'prometheus-node-exporter', 'openssh-server'
$BtfFile       = '/sys/kernel/btf/vmlinux'
$BpfFs         = '/sys/fs/bpf'

# -TestPath is relative to where the caller stands; resolve it before moving to the root.
if ($TestPath) { $TestPath = @($TestPath | ForEach-Object { (Resolve-Path $_).Path }) }

# Every child (dotnet, pwsh, tests) sees these.
$env:NO_COLOR = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:WIREFISHER_MODULE  = Join-Path $ModuleOut 'Wirefisher.psd1'
$env:WIREFISHER_TRAFFIC = Join-Path $ToolsOut 'WfTraffic/WfTraffic.dll'
$env:WIREFISHER_DELAY   = Join-Path $ToolsOut 'wfdelay'

function Invoke-Native([string]$What, [string]$Exe, [string[]]$ArgList) {
    # Runs one external command, streams its output to the console, throws on a non-zero exit code.
    Write-Host "> $Exe $($ArgList -join ' ')"
    & $Exe @ArgList | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "$What failed: '$Exe' exited with code $LASTEXITCODE." }
}

function Invoke-FreshPwsh([string]$What, [string]$Script, [string[]]$ArgList) {
    # A new process for anything that imports the built module: .NET cannot unload a loaded DLL.
    Invoke-Native $What 'dotnet' (@('pwsh', '-NoProfile', '-NonInteractive', '-File', $Script) + $ArgList)
}

function Test-IsRoot { (& id -u) -eq '0' }
function Test-BpfFsMounted { & mountpoint -q $BpfFs 2>$null; $LASTEXITCODE -eq 0 }
function Write-Step([string]$Text) { Write-Host "==> $Text" }

function Install-Prerequisites {
    Write-Step 'Prerequisites'
    if (-not (Get-Command dpkg-query -ErrorAction Ignore)) {
        Write-Warning 'dpkg-query not found (not Debian?): not checking packages; clang and bpftool must be on PATH.'
        return
    }
    $missing = @($AptPackages | Where-Object { (& dpkg-query -W -f='${Status}' $_ 2>$null) -ne 'install ok installed' })
    $isRoot = Test-IsRoot
    if ($missing.Count -gt 0) {
        if (-not $isRoot) { throw "Missing Debian packages: $($missing -join ', '). Run build.ps1 as root to install them (or: apt-get install $($missing -join ' '))." }
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native 'apt-get update' 'apt-get' @('update', '-q')
        Invoke-Native 'apt-get install' 'apt-get' (@('install', '-y', '-q') + $missing)
    }
    if (-not (Test-BpfFsMounted)) {
        if ($isRoot) {
            New-Item -ItemType Directory -Force -Path $BpfFs | Out-Null
            Invoke-Native 'Mounting bpffs' 'mount' @('-t', 'bpf', 'bpf', $BpfFs)
        } else {
            Write-Warning "bpffs is not mounted at $BpfFs and only root can mount it; Wirefisher cannot pin its state without it."
        }
    }
}

function Get-BpfArch {
    switch (& uname -m) {
        'x86_64'  { 'x86' }
        'aarch64' { 'arm64' }
        default   { throw "Unsupported machine '$_' for -D__TARGET_ARCH_ (known: x86_64, aarch64)." }
    }
}

function Build-Bpf {
    Write-Step 'eBPF objects'
    $header = Join-Path $Root 'bpf/vmlinux.h'
    if (-not (Test-Path $header) -or (Get-Item $header).LastWriteTimeUtc -lt (Get-Item $BtfFile).LastWriteTimeUtc) {
        if (-not (Test-Path $BtfFile)) { throw "$BtfFile is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF), so vmlinux.h cannot be generated." }
        $bpftool = (Get-Command bpftool -ErrorAction Ignore)?.Source ?? '/usr/sbin/bpftool'
        Write-Host "> $bpftool btf dump file $BtfFile format c > bpf/vmlinux.h"
        & $bpftool btf dump file $BtfFile format c > "$header.tmp"
        if ($LASTEXITCODE -ne 0) { Remove-Item "$header.tmp" -ErrorAction Ignore; throw "bpftool btf dump failed with code $LASTEXITCODE." }
        Move-Item -Force "$header.tmp" $header
    }
    $arch = Get-BpfArch
    New-Item -ItemType Directory -Force -Path $ModuleOut | Out-Null
    foreach ($src in Get-ChildItem (Join-Path $Root 'bpf') -Filter '*.bpf.c') {
        $obj = Join-Path $ModuleOut ($src.Name -replace '\.c$', '.o')
        # -mcpu=v3: BPF atomics (compare-and-swap, exchange) for the lock-free counters (bpf/lib/wf_account.h)
        Invoke-Native "Compiling $($src.Name)" 'clang' @('-g', '-O2', '-target', 'bpf', '-mcpu=v3', "-D__TARGET_ARCH_$arch",
            '-Wall', '-I', (Join-Path $Root 'bpf'), '-c', $src.FullName, '-o', $obj)
    }
}

function Get-ModuleVersion {
    # the one source of the version: ModuleVersion in Wirefisher.psd1, stamped into the assemblies too
    (Import-PowerShellDataFile (Join-Path $Root 'Wirefisher.psd1')).ModuleVersion
}

function Build-Module {
    Write-Step "Module ($Configuration)"
    Invoke-Native 'dotnet publish (module)' 'dotnet' @('publish', (Join-Path $Root 'Wirefisher.PowerShell/Wirefisher.PowerShell.csproj'),
        '-c', $Configuration, '-o', $ModuleOut, "-p:Version=$(Get-ModuleVersion)")
    $manifest = Join-Path $Root 'Wirefisher.psd1'
    foreach ($file in @($manifest) + @(Get-ChildItem $Root -Filter '*.ps1xml' | ForEach-Object FullName)) {
        if (Test-Path $file) { Copy-Item $file $ModuleOut -Force }
    }
    $help = Join-Path $Root 'en-US'
    if (Test-Path $help) {
        Remove-Item (Join-Path $ModuleOut 'en-US') -Recurse -Force -ErrorAction Ignore
        Copy-Item $help $ModuleOut -Recurse -Force
    }
    if (Test-Path $manifest) {
        $m = Test-ModuleManifest (Join-Path $ModuleOut 'Wirefisher.psd1')
        Write-Host "Manifest OK: $($m.Name) $($m.Version)"
    } else {
        Write-Warning 'Wirefisher.psd1 does not exist yet: out/Wirefisher has no manifest.'
    }
}

function Build-TestTools {
    Write-Step 'Test tools'
    $traffic = Join-Path $Root 'tests/tools/WfTraffic/WfTraffic.csproj'
    if (Test-Path $traffic) {
        Invoke-Native 'dotnet publish (WfTraffic)' 'dotnet' @('publish', $traffic, '-c', $Configuration, '-o', (Join-Path $ToolsOut 'WfTraffic'))
    } else {
        Write-Warning 'tests/tools/WfTraffic does not exist yet: not built.'
    }
    # the delay line of the remote-like path: no netem on this kernel (tests/tools/WfDelay)
    New-Item -ItemType Directory -Force -Path $ToolsOut | Out-Null
    Invoke-Native 'Compiling wfdelay' 'gcc' @('-O2', '-Wall', '-o', (Join-Path $ToolsOut 'wfdelay'), (Join-Path $Root 'tests/tools/WfDelay/wfdelay.c'))
    if (-not (Test-Path (Join-Path $Packages "pester/$PesterVersion/tools/Pester.psd1"))) {
        Invoke-Native 'Restoring Pester' 'dotnet' @('restore', (Join-Path $Root 'build/tools.csproj'), '--packages', $Packages)
    }
}

function Build-All {
    # A fresh module folder each time, so nothing stale (a renamed DLL, an old .bpf.o) is shipped or tested.
    Remove-Item $ModuleOut -Recurse -Force -ErrorAction Ignore
    Build-Bpf
    Build-Module
    Build-TestTools
}

function Write-EnvironmentSummary {
    $cg2 = (Get-Content /proc/self/mountinfo | Where-Object { $_ -match ' - cgroup2 ' } | Select-Object -First 1)?.Split(' ')[4]
    Write-Host ("Environment: kernel $(& uname -r) ($(& uname -m)), root: $(if (Test-IsRoot) {'yes'} else {'no'}), " +
        "bpffs: $(if (Test-BpfFsMounted) {"mounted at $BpfFs"} else {'NOT mounted'}), cgroup2: $($cg2 ?? 'none'), " +
        "BTF: $(if (Test-Path $BtfFile) {'yes'} else {'no'}), pwsh $($PSVersionTable.PSVersion)")
}

function Invoke-Xunit {
    $project = Get-ChildItem (Join-Path $Root 'tests/xunit') -Filter '*.csproj' -ErrorAction Ignore | Select-Object -First 1
    if ($SkipXunit -or -not $project) {
        Write-Step "xunit: skipped ($(if ($SkipXunit) {'-SkipXunit'} else {'no project in tests/xunit'}))"
        return $null
    }
    Write-Step 'xunit'
    $trx = Join-Path $ResultsDir 'xunit.trx'
    Remove-Item $trx -ErrorAction Ignore
    & dotnet test $project.FullName -c $Configuration --logger 'trx;LogFileName=xunit.trx' --logger 'console;verbosity=normal' `
        --results-directory $ResultsDir | Out-Host
    $rc = $LASTEXITCODE
    if (-not (Test-Path $trx)) { throw "dotnet test exited with code $rc and wrote no results (build error?)." }
    $run = ([xml](Get-Content -Raw $trx)).TestRun
    $c = $run.ResultSummary.Counters
    $failures = @($run.Results.UnitTestResult | Where-Object { $_ -and $_.outcome -ne 'Passed' -and $_.outcome -ne 'NotExecuted' } |
        ForEach-Object { "$($_.testName): $("$($_.Output.ErrorInfo.Message)" -split "`n" | Select-Object -First 1)" })
    $r = [pscustomobject]@{ Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Skipped = [int]$c.total - [int]$c.executed; Failures = $failures }
    if ($rc -ne 0 -and $r.Failed -eq 0) { throw "dotnet test exited with code $rc although no test failed." }
    Write-Host "xunit: $($r.Passed) passed, $($r.Failed) failed, $($r.Skipped) skipped"
    $r
}

function Invoke-PesterTests {
    if (-not $TestPath -and -not (Get-ChildItem (Join-Path $Root 'tests/pester') -Filter '*.Tests.ps1' -Recurse -ErrorAction Ignore)) {
        Write-Step 'Pester: skipped (no *.Tests.ps1 in tests/pester)'
        return $null
    }
    Write-Step 'Pester'
    $countsFile = Join-Path $ResultsDir 'pester-counts.json'
    Remove-Item $countsFile -ErrorAction Ignore
    Invoke-FreshPwsh 'Pester run' (Join-Path $Root 'build/Invoke-Tests.ps1') (@('-ResultFile', $countsFile, '-PesterVersion', $PesterVersion) + @($TestPath | Where-Object { $_ }))
    $c = Get-Content -Raw $countsFile | ConvertFrom-Json
    # A test file that cannot be loaded, or a failing AfterAll, fails no test and would otherwise go unseen.
    [pscustomobject]@{ Passed = $c.passed; Failed = $c.failed + $c.failedContainers + $c.failedBlocksOnly; Skipped = $c.skipped; Failures = @($c.failures) }
}

function Invoke-TestTask {
    # Always ends with the totals line; build or runner errors count as failures. Returns the exit code.
    $results = [System.Collections.Generic.List[object]]::new()
    $errors = [System.Collections.Generic.List[string]]::new()
    $step = { param($Name, $Block) try { & $Block } catch { $errors.Add("$Name : $($_.Exception.Message)"); Write-Host "ERROR ($Name): $($_.Exception.Message)" } }
    & $step 'prerequisites' { Install-Prerequisites }
    Write-EnvironmentSummary
    if ($errors.Count -eq 0) { & $step 'build' { Build-All } }
    if ($errors.Count -eq 0) {
        New-Item -ItemType Directory -Force -Path $ResultsDir | Out-Null
        & $step 'xunit' { $r = Invoke-Xunit; if ($r) { $results.Add($r) } }
        & $step 'pester' { $r = Invoke-PesterTests; if ($r) { $results.Add($r) } }
    }
    $passed = 0; $failed = $errors.Count; $skipped = 0
    foreach ($r in $results) {
        $passed += $r.Passed; $failed += $r.Failed; $skipped += $r.Skipped
        foreach ($f in $r.Failures) { Write-Host "Failed: $f" }
    }
    foreach ($e in $errors) { Write-Host "Counted as a failure: $e" }
    if ($passed + $failed -eq 0) { Write-Host 'No test ran: that is a failure too.' }
    if ($skipped -gt 0) { Write-Host "$skipped skipped" }
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { 1 } else { 0 }
}

function Invoke-Bench {
    $benches = @(Get-ChildItem (Join-Path $Root 'bench') -Filter '*.ps1' -ErrorAction Ignore | Sort-Object Name)
    if ($benches.Count -eq 0) { Write-Step 'Bench: no bench/*.ps1 yet (see bench/README.md)'; return }
    $env:WIREFISHER_BENCH_OUT = Join-Path $Root 'out/bench'
    # -Quick: only the benchmarks that know a quick run (they say WIREFISHER_BENCH_QUICK), each shortened
    if ($Quick) { $env:WIREFISHER_BENCH_QUICK = '1'; $benches = @($benches | Where-Object { (Get-Content $_.FullName -Raw) -match 'WIREFISHER_BENCH_QUICK' }) }
    New-Item -ItemType Directory -Force -Path $env:WIREFISHER_BENCH_OUT | Out-Null
    $failed = foreach ($b in $benches) {
        Write-Step "Bench $($b.Name)"
        try { Invoke-FreshPwsh "Bench $($b.Name)" $b.FullName @() } catch { Write-Host "ERROR: $($_.Exception.Message)"; $b.Name }
    }
    $results = if ($Quick) { Join-Path $env:WIREFISHER_BENCH_OUT 'results' } else { Join-Path $Root 'bench/results' }
    $md = if ($Quick) { Join-Path $env:WIREFISHER_BENCH_OUT 'RESULTS.md' } else { Join-Path $Root 'bench/RESULTS.md' }
    Invoke-FreshPwsh 'Writing RESULTS.md' (Join-Path $Root 'build/Write-BenchResults.ps1') @('-ResultsDir', $results, '-OutFile', $md)
    if ($failed) { throw "Benchmarks failed: $($failed -join ', ')" }
}

function Invoke-Clean {
    Write-Step 'Clean'
    $projects = Get-ChildItem $Root -Filter '*.csproj' -Recurse -File |
        Where-Object { $_.FullName -notmatch '/(out|\.packages|\.git)/' }
    $targets = @('out', '.packages', 'bpf/vmlinux.h' | ForEach-Object { Join-Path $Root $_ }) +
        @($projects | ForEach-Object { Join-Path $_.DirectoryName 'bin'; Join-Path $_.DirectoryName 'obj'; Join-Path $_.DirectoryName 'TestResults' }) +
        @(Get-ChildItem (Join-Path $Root 'bpf') -Filter '*.bpf.o' -Recurse -File -ErrorAction Ignore | ForEach-Object FullName)
    foreach ($t in $targets) {
        if (Test-Path $t) { Write-Host "removing $t"; Remove-Item $t -Recurse -Force }
    }
}

function Install-WfModule {
    # Destination/Wirefisher/<version>, as Install-Module lays it out: Import-Module Wirefisher then
    # works from any directory, and Get-Module -ListAvailable shows the version
    $target = Join-Path $Destination "Wirefisher/$(Get-ModuleVersion)"
    if (-not (Test-Path (Join-Path $ModuleOut 'Wirefisher.psd1'))) { throw "$ModuleOut has no module: build it first (-Task Build, or -Task Install without -NoBuild)." }
    Write-Step "Install to $target"
    if (Test-Path $target) { Remove-Item $target -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Copy-Item (Join-Path $ModuleOut '*') $target -Recurse -Force
    Write-Host "Installed Wirefisher $(Get-ModuleVersion): Import-Module Wirefisher (libbpf1 must be installed where it runs)"
}

function Uninstall-WfModule {
    $dir = Join-Path $Destination 'Wirefisher'
    if (Test-Path $dir) { Write-Host "removing $dir"; Remove-Item $dir -Recurse -Force }
    else { Write-Host "$dir does not exist: nothing to remove" }
}

Push-Location $Root
try {
    switch ($Task) {
        'Clean' { Invoke-Clean }
        'Build' { Install-Prerequisites; Build-All }
        'Test'  { $code = Invoke-TestTask; exit $code }
        'Demo'  {
            Install-Prerequisites; Build-All
            if (-not (Test-Path $env:WIREFISHER_TRAFFIC)) { throw 'The demo needs tests/tools/WfTraffic, which does not exist yet.' }
            Invoke-FreshPwsh 'Demo' (Join-Path $Root 'build/Demo.ps1') @()
        }
        'Bench' { Install-Prerequisites; Build-All; Invoke-Bench }
        'Install' { if (-not $NoBuild) { Install-Prerequisites; Build-All }; Install-WfModule }
        'Uninstall' { Uninstall-WfModule }
    }
} catch {
    [Console]::Error.WriteLine("build.ps1 -Task $Task failed: $($_.Exception.Message)")
    exit 1
} finally {
    Pop-Location
}
