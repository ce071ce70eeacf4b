<#
.SYNOPSIS
What the commands cost and how far Wirefisher scales (issue 9, sections 4 and 5).

4. Control plane: median wall time of Import-Module (in a fresh pwsh, timed inside it),
   Enable-Wirefisher (after Disable-Wirefisher), Set-WfLimit -Pid of a fresh process,
   Set-WfLimit of 200 PIDs and of 10,000 rules in one call (provisioning), Get-WfLimit with
   10,000 rules, Remove-WfLimit of them, and Get-WfFlowRate (by process and -By Connection)
   with 10,000 live loopback TCP connections (1,000 rules and connections in a quick run).
5. Scale: for each rule kind with a limit of its own, how many rules were set and what the
   next one got (the error's FullyQualifiedErrorId and message), and whether a connection
   made after the refusal is still counted; then how many TCP connections are counted.

Writes bench/results/controlplane.json (out/bench/results with -Quick), which
build/Write-BenchResults.ps1 turns into tables of bench/RESULTS.md. No timing is asserted.

.EXAMPLE
dotnet pwsh bench/Measure-ControlPlane.ps1            # about 3 minutes
dotnet pwsh bench/Measure-ControlPlane.ps1 -Quick     # a smoke run
#>
param([int] $Runs = 5, [int] $Rules = 10000, [int] $Connections = 10000, [int] $ScaleConnections = 40000, [switch] $Quick)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot
$module = $env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1"
Import-Module $module
if ($Quick -or $env:WIREFISHER_BENCH_QUICK) { $Quick = $true; $Runs = 2; $Rules = 1000; $Connections = 1000; $ScaleConnections = 4000 }
$outDir = if ($Quick) { Join-Path ($env:WIREFISHER_BENCH_OUT ?? "$root/out/bench") 'results' } else { "$root/bench/results" }

$clock = [Diagnostics.Stopwatch]::StartNew()
$tag = Get-Random -Minimum 1000 -Maximum 9999
$port = Get-Random -Minimum 21000 -Maximum 27000 # below the ephemeral range, so that connect() never takes it
$holdScript = Join-Path ([IO.Path]::GetTempPath()) "wf-hold-$tag.ps1"
$holders = [Collections.Generic.List[object]]::new()
$sleepers = [Collections.Generic.List[Diagnostics.Process]]::new()

# A holder: one process with up to 8,000 loopback TCP connections, both ends its own (20,000 open files at most here,
# and root cannot raise that: no CAP_SYS_RESOURCE), one byte sent each way so that each socket has been counted.
Set-Content $holdScript @'
param([int] $Count, [int] $Port)
$ErrorActionPreference = 'Stop'
$keep = [Collections.Generic.List[Net.Sockets.Socket]]::new()
$ep = [Net.IPEndPoint]::new([Net.IPAddress]::Loopback, $Port)
$ls = [Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp'); $ls.Bind($ep); $ls.Listen(4096)
$one = [byte[]]@(1)
for ($i = 0; $i -lt $Count; $i++) {
    $c = [Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp'); $c.Connect($ep); $s = $ls.Accept()
    $null = $c.Send($one); $null = $s.Send($one); $keep.Add($c); $keep.Add($s)
}
"ready $PID"
$null = [Console]::In.ReadToEnd()
'@

function Get-Median([double[]] $x) { $s = @($x | Sort-Object); if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
function Get-Ms([scriptblock] $Block) { $w = [Diagnostics.Stopwatch]::StartNew(); $null = & $Block; $w.Elapsed.TotalMilliseconds }
function New-Row([string] $Operation, [double[]] $Ms) {
    [ordered]@{ operation = $Operation; runs = $Ms.Count; median_ms = [math]::Round((Get-Median $Ms), 1); max_ms = [math]::Round(($Ms | Measure-Object -Maximum).Maximum, 1) }
}

function Start-Holders([int] $Count) {
    # holder processes with $Count connections in all; returns their PIDs
    $started = for ($i = 0; $i * 8000 -lt $Count; $i++) {
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in 'pwsh', '-NoProfile', '-NonInteractive', '-File', $holdScript, '-Count', [math]::Min(8000, $Count - $i * 8000), '-Port', ($script:port++)) { $psi.ArgumentList.Add("$a") }
        $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true
        $p = [Diagnostics.Process]::Start($psi); $script:holders.Add($p); $p
    }
    foreach ($p in $started) {
        $line = $p.StandardOutput.ReadLine()
        if ($line -notmatch '^ready (\d+)$') { throw "a connection holder failed: $line" }
        [int]$Matches[1]
    }
}

function Stop-Holders {
    foreach ($p in $script:holders) { try { $p.StandardInput.Close() } catch { } }
    foreach ($p in $script:holders) { if (-not $p.WaitForExit(10000)) { $p.Kill($true) } }
    $script:holders.Clear()
}

function Get-Sockets([int[]] $Pids) {
    # the holders' sockets that Get-WfFlowRate -By Connection shows
    @(Get-WfFlowRate -By Connection -Pid $Pids | ForEach-Object { "$($_.LocalAddress):$($_.LocalPort)-$($_.RemoteAddress):$($_.RemotePort)" } | Sort-Object -Unique).Count
}

function Test-Monitoring {
    # a new loopback connection of this process: does Get-WfFlowRate see its bytes?
    $ls = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $ls.Start()
    $c = [Net.Sockets.TcpClient]::new(); $c.Connect([Net.IPAddress]::Loopback, $ls.LocalEndpoint.Port); $s = $ls.AcceptSocket()
    try {
        $null = $c.Client.Send([byte[]]::new(20000))
        $got = 0; $buf = [byte[]]::new(65536); while ($got -lt 20000) { $got += $s.Receive($buf) }
        $port = $ls.LocalEndpoint.Port
        $seen = @(Get-WfFlowRate -By Connection -Pid $PID | Where-Object { $_.RemotePort -eq $port -and $_.Direction -eq 'Egress' -and $_.Bytes -ge 20000 })
        $seen.Count -gt 0
    } finally { $c.Dispose(); $s.Dispose(); $ls.Stop() }
}

function Test-Limit([string] $Kind, [int] $Limit, [scriptblock] $Make) {
    # $Limit rules made by & $Make 1 $Limit in one call, then one more (& $Make ($Limit + 1) 1): what did it say?
    Get-WfLimit | Remove-WfLimit
    & $Make 1 $Limit
    $worked = @(Get-WfLimit).Count
    $id = ''; $message = ''
    try { & $Make ($Limit + 1) 1 } catch { $id = $_.FullyQualifiedErrorId; $message = $_.Exception.Message }
    $after = @(Get-WfLimit).Count
    if (-not $id) { $message = "accepted: $after rules" }
    [ordered]@{
        kind = $Kind; kernel_limit = $Limit; worked = $worked; next_rule = $(if ($id) { $id } else { 'no error' }); message = $message
        rules_after = $after; monitoring_after = $(if (Test-Monitoring) { 'yes' } else { 'NO' })
    }
}

$names = { param($From, $N) Set-WfLimit -ProcessName ($From..($From + $N - 1) | ForEach-Object { "wfcp$tag-$_" }) -Rate 1MB -Direction Ingress }
$cpRows = [Collections.Generic.List[object]]::new()
$scaleRows = [Collections.Generic.List[object]]::new()
try {
    # 4. control plane
    $ms = foreach ($i in 1..$Runs) {
        $out = dotnet pwsh -NoProfile -NonInteractive -Command "`$w = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$module'; `$w.Elapsed.TotalMilliseconds"
        [double]($out | Select-Object -Last 1)
    }
    $cpRows.Add((New-Row 'Import-Module (fresh pwsh)' $ms))
    $ms = foreach ($i in 1..$Runs) { Disable-Wirefisher | Out-Null; Get-Ms { Enable-Wirefisher } }
    $cpRows.Add((New-Row 'Enable-Wirefisher (after Disable-Wirefisher)' $ms))
    $setFresh = {
        foreach ($i in 1..$Runs) {
            $p = Start-Process sleep -ArgumentList 600 -PassThru; $sleepers.Add($p)
            Get-Ms { Set-WfLimit -Pid $p.Id -Rate 1MB }
            Remove-WfLimit -Pid $p.Id
        }
    }
    $cpRows.Add((New-Row 'Set-WfLimit -Pid (a fresh process) -Rate 1MB' (& $setFresh)))
    # the same with another ingress limit in place: the shaper is up already, so only a class is added
    $warm = Start-Process sleep -ArgumentList 600 -PassThru; $sleepers.Add($warm)
    Set-WfLimit -Pid $warm.Id -Rate 5MB | Out-Null
    $cpRows.Add((New-Row 'Set-WfLimit -Pid (a fresh process), another limit shaping' (& $setFresh)))
    Remove-WfLimit -Pid $warm.Id
    $procs = 1..200 | ForEach-Object { $p = Start-Process sleep -ArgumentList 600 -PassThru; $sleepers.Add($p); $p }
    $cpRows.Add((New-Row 'Set-WfLimit: 200 processes in one pipeline (400 rules)' (Get-Ms { $procs | Set-WfLimit -Rate 1MB })))
    $cpRows.Add((New-Row 'Remove-WfLimit: those 200 processes in one pipeline' (Get-Ms { $procs | Remove-WfLimit })))
    $cpRows.Add((New-Row "Set-WfLimit: $Rules process-name rules in one call" (Get-Ms { & $names 1 $Rules })))
    $count = @(Get-WfLimit).Count
    if ($count -ne $Rules) { throw "Get-WfLimit lists $count rules, not $Rules" }
    $cpRows.Add((New-Row "Get-WfLimit with $count rules" @(foreach ($i in 1..$Runs) { Get-Ms { Get-WfLimit } })))
    $cpRows.Add((New-Row "Remove-WfLimit: $count rules in one pipeline" (Get-Ms { Get-WfLimit | Remove-WfLimit })))

    $pids = @(Start-Holders $Connections)
    $sockets = Get-Sockets $pids
    if ($sockets -ne 2 * $Connections) { throw "Get-WfFlowRate -By Connection shows $sockets sockets of the $Connections connections, not $(2 * $Connections)" }
    $cpRows.Add((New-Row "Get-WfFlowRate with $Connections TCP connections" @(foreach ($i in 1..$Runs) { Get-Ms { Get-WfFlowRate } })))
    $cpRows.Add((New-Row "Get-WfFlowRate -By Connection with $Connections TCP connections" @(foreach ($i in 1..$Runs) { Get-Ms { Get-WfFlowRate -By Connection } })))
    Stop-Holders

    # 5. scale: each rule kind's own limit (bpf/wirefisher.h, bpf/lib/wf_match.h), the smallest first
    $scaleRows.Add((Test-Limit 'rules with -PerProcess (WF_PER_PROCESS_MAX)' 16 { param($From, $N) Set-WfLimit -ProcessName ($From..($From + $N - 1) | ForEach-Object { "wfcq$tag-$_" }) -Rate 1MB -Direction Ingress -PerProcess }))
    $scaleRows.Add((Test-Limit 'process-name patterns with wildcards (WF_NAMES_MAX)' 64 { param($From, $N) Set-WfLimit -ProcessName ($From..($From + $N - 1) | ForEach-Object { "wfcw$tag-$_*" }) -Rate 1MB -Direction Ingress }))
    $scaleRows.Add((Test-Limit 'address/port rules (WF_TUPLES_MAX)' 2048 { param($From, $N) $From..($From + $N - 1) | ForEach-Object { [pscustomobject]@{ Protocol = 'TCP'; LocalPort = 1 + $_ } } | Set-WfLimit -Rate 1MB -Direction Ingress }))
    if (-not $Quick) { $scaleRows.Add((Test-Limit 'rules of any kind (wf_rules, wf_state: 16384)' 16384 $names)) }
    Get-WfLimit | Remove-WfLimit

    $pids = @(Start-Holders $ScaleConnections)
    $w = [Diagnostics.Stopwatch]::StartNew(); $sockets = Get-Sockets $pids; $ms = $w.Elapsed.TotalMilliseconds
    $scaleRows.Add([ordered]@{
            kind = 'TCP connections (sk_storage: no fixed limit)'; kernel_limit = 'none'; worked = $sockets / 2
            next_rule = 'not reached'; message = "$ScaleConnections opened, $sockets sockets counted; Get-WfFlowRate -By Connection and counting its sockets took $([math]::Round($ms)) ms"
            rules_after = 0; monitoring_after = $(if (Test-Monitoring) { 'yes' } else { 'NO' })
        })
    Stop-Holders
} finally {
    Stop-Holders
    foreach ($p in $sleepers) { if (-not $p.HasExited) { $p.Kill() } }
    Get-WfLimit -ErrorAction SilentlyContinue | Remove-WfLimit -ErrorAction SilentlyContinue
    Disable-Wirefisher -ErrorAction SilentlyContinue | Out-Null
    Remove-Item $holdScript -ErrorAction SilentlyContinue
}

function Get-Verdict([bool] $Met, [string] $Text) { "$(if ($Met) { 'met' } else { 'missed' }): $Text" }
$set = ($cpRows | Where-Object { $_.operation -eq 'Set-WfLimit -Pid (a fresh process) -Rate 1MB' }).median_ms
$setUp = ($cpRows | Where-Object { $_.operation -like 'Set-WfLimit -Pid (a fresh process), another*' }).median_ms
$flow = ($cpRows | Where-Object { $_.operation -like 'Get-WfFlowRate -By Connection*' }).median_ms
$flowP = ($cpRows | Where-Object { $_.operation -like 'Get-WfFlowRate with*' }).median_ms
$cpVerdict = @(
    Get-Verdict ($set -lt 50) "Set-WfLimit -Pid under 50 ms (median: $set ms; $setUp ms with another limit shaping already, where the ingress shaper, two tcx links and an ifb, is not set up again)"
    Get-Verdict ($flow -lt 200) "Get-WfFlowRate over $Connections connections under 200 ms (median -By Connection: $flow ms; by process: $flowP ms)"
)
$refused = @($scaleRows | Where-Object { $_.kernel_limit -ne 'none' })
$conn = $scaleRows | Where-Object { $_.kernel_limit -eq 'none' }
$scaleVerdict = @(
    Get-Verdict (-not ($refused | Where-Object { $_.next_rule -eq 'no error' -or $_.worked -ne $_.kernel_limit })) "each rule kind holds its limit and refuses the next rule with an error ($(($refused | ForEach-Object { "$($_.kernel_limit): $($_.next_rule)" }) -join '; '))"
    Get-Verdict (-not ($scaleRows | Where-Object monitoring_after -ne 'yes')) 'monitoring goes on past every limit (a connection made after the refusal is counted)'
    Get-Verdict ($conn.worked -eq $ScaleConnections) "all $ScaleConnections TCP connections counted by Get-WfFlowRate -By Connection ($($conn.worked))"
)

$result = [ordered]@{
    name = 'controlplane'; date = (Get-Date -Format 'yyyy-MM-dd'); kernel = (uname -r); cpus = [Environment]::ProcessorCount
    quick = [bool]$Quick; runs = $Runs
    command = 'dotnet pwsh bench/Measure-ControlPlane.ps1' + $(if ($Quick) { ' -Quick' } else { '' })
    sections = @(
        [ordered]@{
            title = '4. Control plane: wall time of the commands, ms'
            columns = 'operation', 'runs', 'median_ms', 'max_ms'
            rows = @($cpRows)
            targets = $cpVerdict
        }
        [ordered]@{
            title = '5. Scale: the most rules of each limited kind and TCP connections, and the next one'
            columns = 'kind', 'kernel_limit', 'worked', 'next_rule', 'message', 'monitoring_after'
            rows = @($scaleRows)
            targets = $scaleVerdict
        }
    )
}
New-Item -ItemType Directory -Force $outDir | Out-Null
$file = Join-Path $outDir 'controlplane.json'
$result | ConvertTo-Json -Depth 6 | Set-Content $file
foreach ($r in $cpRows) { '{0,-70} median {1,9} ms, max {2,9} ms ({3} runs)' -f $r.operation, $r.median_ms, $r.max_ms, $r.runs }
foreach ($r in $scaleRows) { '{0}: limit {1}, {2} worked; next: {3} ({4}); monitoring after: {5}' -f $r.kind, $r.kernel_limit, $r.worked, $r.next_rule, $r.message, $r.monitoring_after }
$cpVerdict + $scaleVerdict
"written: $file (the run took $([math]::Round($clock.Elapsed.TotalSeconds)) s)"
"command: $($result.command)"
