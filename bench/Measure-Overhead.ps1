<#
.SYNOPSIS
What monitoring every socket costs: unlimited loopback TCP throughput (iperf3, 3 runs
of 5 s each way) with Wirefisher disabled and enabled with no limit, and the
programs' own cost per run (kernel.bpf_stats_enabled: run_time_ns / run_cnt).
Then 100,000 short-lived connections in a row, and whether monitoring still works.

.EXAMPLE
dotnet pwsh bench/Measure-Overhead.ps1
#>
param([int] $Runs = 3, [int] $Seconds = 5, [int] $ShortConnections = 100000)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
Import-Module ($env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1")
Import-Module "$root/tests/pester/WfTestHelpers.psm1"

function Measure-Iperf {
    $port = Get-WfTestPort
    $server = Start-Process iperf3 -ArgumentList '-s', '-p', $port -PassThru -RedirectStandardOutput /dev/null
    try {
        Start-Sleep -Milliseconds 300
        $rates = foreach ($i in 1..$Runs) {
            $j = iperf3 -c 127.0.0.1 -p $port -t $Seconds -J | ConvertFrom-Json
            $j.end.sum_received.bits_per_second
        }
        ($rates | Measure-Object -Average).Average
    } finally { $server.Kill() }
}

Disable-Wirefisher
$off = Measure-Iperf
Enable-Wirefisher
sysctl -qw kernel.bpf_stats_enabled=1
try {
    $on = Measure-Iperf
    $stats = bpftool -j prog show | ConvertFrom-Json | Where-Object { $_.name -like 'wf_*' -and $_.run_cnt -gt 0 }
} finally { sysctl -qw kernel.bpf_stats_enabled=0 }
'loopback TCP, no limit: disabled {0:N2} Gbit/s, enabled {1:N2} Gbit/s: {2:P1} of disabled' -f ($off / 1e9), ($on / 1e9), ($on / $off)
foreach ($p in $stats) { '  {0,-16} {1,12:N0} runs  {2,8:N0} ns per run' -f $p.name, $p.run_cnt, ($p.run_time_ns / $p.run_cnt) }

# short-lived connections: the per-socket state goes with each socket, the map never fills
$elapsed = Invoke-WfShortConnections -Count $ShortConnections
$mine = Get-WfFlowRate -Pid $PID
$conns = @(Get-WfFlowRate -By Connection -Pid $PID).Count
'{0:N0} short connections in {1:N1} s; this process then: {2} in {3:N0} B, {4} out {5:N0} B; {6} connections still listed' -f $ShortConnections, $elapsed.TotalSeconds,
    ($mine | Where-Object Direction -eq Ingress).Packets, ($mine | Where-Object Direction -eq Ingress).Bytes,
    ($mine | Where-Object Direction -eq Egress).Packets, ($mine | Where-Object Direction -eq Egress).Bytes, $conns

# Watch-WfFlowRate does not drift: snapshot k is due at start + k x interval
$watch = [Diagnostics.Stopwatch]::StartNew()
$null = Watch-WfFlowRate -Count 30 -Interval 1s
'Watch-WfFlowRate -Count 30 -Interval 1s took {0:N3} s (29 intervals after the first snapshot)' -f $watch.Elapsed.TotalSeconds
Disable-Wirefisher
