<#
.SYNOPSIS
Limits a download from a sender this host cannot pace (sender -> NAT router -> receiver,
tests/pester/WfRemotePath.psm1), side by side: ifb+htb, Wirefisher, Wirefisher's drop
bucket, and no limit. Each path without and with a delay line (RTT >= 2 x DelayMs).
Prints one line per row: mean / target, worst second after the first, stddev of the
per-second ratios, the sender's retransmits / segments, the median ping RTT under load.

.EXAMPLE
dotnet pwsh bench/Measure-RemoteIngress.ps1
dotnet pwsh -c './bench/Measure-RemoteIngress.ps1 -Rows ifb+htb, unlimited -Rate 1MB -DelayMs 10'
#>
param(
    [double[]] $Rate = @(1MB, 10MB),
    [int[]] $DelayMs = @(0, 10),
    [int] $Seconds = 10,
    # the sender's TCP congestion control (e.g. cubic); default: the host's
    [string] $CongestionControl,
    [ValidateSet('ifb+htb', 'wirefisher', 'drop-bucket', 'unlimited')]
    [string[]] $Rows = @('ifb+htb', 'wirefisher', 'drop-bucket', 'unlimited')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot
Import-Module "$root/tests/pester/WfTestHelpers.psm1"
Import-Module "$root/tests/pester/WfRemotePath.psm1"
Assert-WfKernelTestable
# ifb+htb and unlimited need no eBPF: leave the module (and its pinned state) alone for them
$usesModule = [bool]($Rows | Where-Object { $_ -in 'wirefisher', 'drop-bucket' })
if ($usesModule) { Import-Module ($env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1") }
$outDir = $env:WIREFISHER_BENCH_OUT ?? "$root/out/bench"

function Set-IfbHtb {
    # The classic tc recipe: ingress redirected to an ifb, shaped there by htb at the rate in wire bits.
    param($Path, [double] $Rate)
    $ns = $Path.ReceiverNetns; $dev = $Path.ReceiverDevice
    $bits = [long]($Rate * 8 * 1514 / 1448)
    $limit = [long]($Rate * 0.1)
    $cmds = @(
        "ip -n $ns link add wfifb0 type ifb", "ip -n $ns link set wfifb0 up",
        "tc -n $ns qdisc add dev $dev handle ffff: ingress",
        "tc -n $ns filter add dev $dev parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev wfifb0",
        "tc -n $ns qdisc add dev wfifb0 root handle 1: htb default 10",
        "tc -n $ns class add dev wfifb0 parent 1: classid 1:10 htb rate ${bits}bit ceil ${bits}bit",
        "tc -n $ns qdisc add dev wfifb0 parent 1:10 handle 10: bfifo limit $limit")
    foreach ($c in $cmds) {
        $a = -split $c
        $out = & $a[0] $a[1..($a.Count - 1)] 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$c failed: $out" }
    }
}

function Remove-IfbHtb {
    param($Path)
    tc -n $Path.ReceiverNetns qdisc del dev $Path.ReceiverDevice handle ffff: ingress 2>$null
    ip -n $Path.ReceiverNetns link del wfifb0 2>$null
    $global:LASTEXITCODE = 0
}

function Get-StdDev {
    param([double[]] $Values)
    $m = ($Values | Measure-Object -Average).Average
    [math]::Sqrt((($Values | ForEach-Object { ($_ - $m) * ($_ - $m) }) | Measure-Object -Sum).Sum / $Values.Count)
}

$results = [Collections.Generic.List[object]]::new()
"remote-like ingress, TCP, seed pattern, receiver connected before the limit, $Seconds s per row"
try {
    foreach ($dl in $DelayMs) {
        $path = $null
        try {
            $path = New-WfRemotePath -DelayMs $dl -CongestionControl $CongestionControl
            $idle = Measure-WfPathLatency -Path $path -Count 10
            'path delay {0} ms: idle RTT {1:N2} ms, sender TCP {2}' -f $dl, $idle, $path.CongestionControl
            foreach ($r in $Rate) { foreach ($row in $Rows) {
                $label = '{0,-11} {1,3} ms {2,4:N0} MiB/s' -f $row, $dl, ($r / 1MB)
                if ($row -eq 'drop-bucket' -and -not (Get-Command Set-WfLimit).Parameters.ContainsKey('NoShaping')) {
                    "${label}: skipped (Set-WfLimit has no -NoShaping)"
                    $results.Add([pscustomobject]@{ Row = $row; DelayMs = $dl; Rate = $r; Skipped = $true })
                    continue
                }
                $pair = Start-WfTrafficPair -Proto tcp -Scale ([math]::Max(1, $r / 1MB * 2)) -Address $path.ReceiverAddress `
                    -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns
                $limited = $false
                try {
                    Start-Sleep -Seconds 2
                    $free = (Get-WfReceiverTicks $pair -Count 1 -After (Get-WfLastTickIndex $pair)).bytes
                    $before = Get-WfNetnsCounter -Netns $path.SenderNetns
                    $limited = $true
                    switch ($row) {
                        'ifb+htb' { Set-IfbHtb $path $r }
                        'wirefisher' { Set-WfLimit -Pid $pair.Receiver.Pid -Rate $r -Direction Ingress }
                        'drop-bucket' { Set-WfLimit -Pid $pair.Receiver.Pid -Rate $r -Direction Ingress -NoShaping }
                        'unlimited' { $limited = $false }
                    }
                    $m = Measure-WfLimitAccuracy $pair -Rate $r -Seconds $Seconds
                    $after = Get-WfNetnsCounter -Netns $path.SenderNetns
                    # the flow still runs under the limit: what a queue in front of the receiver adds
                    $rtt = Measure-WfPathLatency -Path $path -Count 20
                    $retrans = $after.TcpRetransSegs - $before.TcpRetransSegs
                    $segs = $after.TcpOutSegs - $before.TcpOutSegs
                    $sd = Get-StdDev $m.Ratios
                    '{0}: mean {1:N3} ({2:N2} MiB/s), worst {3:P1}, sd {4:N3}; retrans {5}/{6}; RTT {7:N2} ms; free {8:N1} MiB/s' -f `
                        $label, $m.MeanRatio, ($m.Mean / 1MB), $m.WorstAfterFirst, $sd, $retrans, $segs, $rtt, ($free / 1MB)
                    $results.Add([pscustomobject]@{
                        Row = $row; DelayMs = $dl; Rate = $r; Skipped = $false; IdleRttMs = $idle; CongestionControl = $path.CongestionControl; FreeBytesPerSecond = $free
                        Mean = $m.Mean; MeanRatio = $m.MeanRatio; Ratios = $m.Ratios; WorstAfterFirst = $m.WorstAfterFirst
                        StdDev = $sd; Retrans = $retrans; OutSegs = $segs; RttMs = $rtt
                    })
                } finally {
                    if ($limited) {
                        if ($row -eq 'ifb+htb') { Remove-IfbHtb $path } else { Remove-WfLimit -Pid $pair.Receiver.Pid -ErrorAction Continue }
                    }
                    Stop-WfTrafficPair $pair
                }
            } }
        } finally { Remove-WfRemotePath $path }
    }
} finally {
    if ($usesModule) { Disable-Wirefisher }
    $null = New-Item -ItemType Directory -Force $outDir
    ConvertTo-Json -Depth 4 -InputObject @($results) | Set-Content (Join-Path $outDir 'remote-ingress.json')
    "results: $(Join-Path $outDir 'remote-ingress.json'); rerun: dotnet pwsh bench/Measure-RemoteIngress.ps1"
}
