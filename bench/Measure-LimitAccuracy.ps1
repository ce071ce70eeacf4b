<#
.SYNOPSIS
How exactly a limit holds its rate (issue 9, section 1, local senders): TCP egress, TCP
ingress and UDP egress across a veth pair between this host and a namespace this script
makes, at 1, 10 and 100 MiB/s. Rows: Wirefisher by process (-Pid), by port and by
interface (-Interface, egress only), tc tbf on the sending device (for TCP ingress the
namespace's end of the pair, where the sender is; burst as Wirefisher's bucket: rate / 8,
at least 128 KiB), trickle (TCP egress; iperf3 under trickle, since trickle does not hold
the dotnet traffic tool) and no limit. No trickle row for ingress: trickle -d held neither
iperf3 -R (it stops with "select failed: Invalid argument") nor a Python receiver (1.4 GB/s
at -d 1024) here.

Traffic: the repo's WfTraffic, seed pattern (gaps scaled with the rate) at 1 and 10 MiB/s,
flood at 100 MiB/s (the seed pattern cannot offer 100 MiB/s on a 2-CPU VM) and in the
unlimited rows. The limit is set on the running connection; the second under way and one
more are skipped, then $Seconds whole seconds of the receiver are measured: mean / target,
the worst second after the first (the ratio furthest from 1), the standard deviation of
the per-second ratios, the sender namespace's TcpRetransSegs (nstat) over the run. Each end of
the pair hands a flow to one CPU (Set-WfFlowSteering), as a NIC does: a plain veth delivers a
flow's packets out of order when its sender moves between CPUs, and the spurious
retransmissions that follow (0-249 a row at 100 MiB/s, tbf's and Wirefisher's alike) would
hide what the limiter itself costs TCP.
Wirefisher stays enabled (monitoring) for every row. Downloads from a sender this host
cannot pace are bench/Measure-RemoteIngress.ps1's.

Writes bench/results/accuracy.json (out/bench/results with -Quick). No timing is asserted.

.EXAMPLE
dotnet pwsh bench/Measure-LimitAccuracy.ps1            # about 9 minutes
dotnet pwsh bench/Measure-LimitAccuracy.ps1 -Quick     # 10 MiB/s, 2 s, a few rows
#>
param([double[]] $Rate = @(1MB, 10MB, 100MB), [int] $Seconds = 10, [switch] $Quick)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot
Import-Module ($env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1")
Import-Module "$root/tests/pester/WfTestHelpers.psm1"
Assert-WfKernelTestable
if ($Quick -or $env:WIREFISHER_BENCH_QUICK) { $Quick = $true; $Seconds = 2; $Rate = @(10MB) }
$outDir = if ($Quick) { Join-Path ($env:WIREFISHER_BENCH_OUT ?? "$root/out/bench") 'results' } else { "$root/bench/results" }

# traffic kind -> limiters; a quick run keeps a few
$kinds = [ordered]@{
    'TCP egress'  = @('wirefisher -Pid', 'wirefisher -RemotePort', 'wirefisher -Interface', 'tc tbf', 'trickle (iperf3)')
    'TCP ingress' = @('wirefisher -Pid', 'wirefisher -LocalPort', 'tc tbf')
    'UDP egress'  = @('wirefisher -Pid', 'wirefisher -RemotePort', 'wirefisher -Interface', 'tc tbf')
}
if ($Quick) {
    $kinds = [ordered]@{
        'TCP egress' = @('wirefisher -Pid', 'wirefisher -Interface', 'tc tbf', 'trickle (iperf3)')
        'TCP ingress' = @('wirefisher -Pid', 'tc tbf'); 'UDP egress' = @('wirefisher -RemotePort', 'tc tbf')
    }
}

function Get-Retrans([string] $Netns) {
    # -s: leave nstat's shared history file alone
    $out = if ($Netns) { ip netns exec $Netns nstat -asz TcpRetransSegs } else { nstat -asz TcpRetransSegs }
    [long]((-split ($out | Select-String TcpRetransSegs))[1])
}

function Get-Summary([double[]] $Ratios) {
    # the worst second is the one furthest from 1 after the first measured one
    $mean = ($Ratios | Measure-Object -Average).Average
    $worst = $Ratios | Select-Object -Skip 1 | Sort-Object { [math]::Abs($_ - 1) } | Select-Object -Last 1
    $sd = [math]::Sqrt((($Ratios | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / $Ratios.Count)
    @{ mean = [math]::Round($mean, 4); worst = [math]::Round($worst, 4); sd = [math]::Round($sd, 4) }
}

function Set-Tbf([double] $R, [string] $Proto, [bool] $Flood, [bool] $Ingress) {
    # tbf counts frames: its rate is the target in wire bytes (TCP: full segments; UDP: 42 B of
    # headers on the seed's mean datagram of 732 B, or on 1472 B floods). On the sending device:
    # this host's end of the pair for egress, the namespace's for ingress
    $payload = if ($Proto -eq 'tcp') { 1448 } elseif ($Flood) { 1472 } else { 732 }
    $wireBits = [long]($R * 8 * ($payload + $(if ($Proto -eq 'tcp') { 66 } else { 42 })) / $payload)
    $burst = [long][math]::Max($R / 8, 128KB)
    Invoke-SenderQdisc $Ingress 'add' @('tbf', 'rate', "${wireBits}bit", 'burst', $burst, 'limit', [long]($burst + $R / 10))
    if ($LASTEXITCODE -ne 0) { throw 'tc qdisc add tbf failed' }
}

function Remove-Tbf([bool] $Ingress) {
    Invoke-SenderQdisc $Ingress 'del' @() 2>$null
    $global:LASTEXITCODE = 0
}

function Invoke-SenderQdisc([bool] $Ingress, [string] $Verb, [string[]] $Qdisc) {
    # tc qdisc <verb> on the root of the sending device: this host's end of the pair for egress, the namespace's
    # for ingress (New-WfHostVeth names them <prefix>-h and <prefix>-p)
    $tcArgs = @('qdisc', $Verb, 'dev', $(if ($Ingress) { $v.Device -replace '-h$', '-p' } else { $v.Device }), 'root') + $Qdisc
    if ($Ingress) { ip netns exec $v.Netns tc @tcArgs } else { tc @tcArgs }
}

function Measure-Pair([string] $Kind, [string] $Limiter, [double] $R) {
    $proto = $Kind.Split(' ')[0].ToLower(); $ingress = $Kind -like '*ingress'
    $flood = $Limiter -eq 'unlimited' -or $R -ge 100MB
    $net = if ($ingress) { @{ Address = $v.HostAddress; SenderNetns = $v.Netns } } else { @{ Address = $v.NsAddress; ReceiverNetns = $v.Netns } }
    $pattern = if ($flood) { @{ Pattern = 'flood' } } else { @{ Scale = [math]::Max(1, $R / 1MB * 2) } }
    $senderNs = if ($ingress) { $v.Netns } else { $null }
    $pair = Start-WfTrafficPair -Proto $proto @net @pattern
    $limited = $null
    try {
        Start-Sleep -Seconds 1
        $before = Get-Retrans $senderNs
        $dir = if ($ingress) { 'Ingress' } else { 'Egress' }
        $wf = @{ Rate = $R; Direction = $dir; Name = 'wfacc' }
        switch ($Limiter) {
            'wirefisher -Pid' { Set-WfLimit -Pid $(if ($ingress) { $pair.Receiver.Pid } else { $pair.Sender.Pid }) @wf }
            'wirefisher -RemotePort' { Set-WfLimit -Protocol $proto -RemotePort $pair.Port @wf }
            'wirefisher -LocalPort' { Set-WfLimit -Protocol $proto -LocalPort $pair.Port @wf }
            'wirefisher -Interface' { Set-WfLimit -Interface $v.Device @wf }
            'tc tbf' { Set-Tbf $R $proto $flood $ingress }
        }
        $limited = $Limiter
        $m = Measure-WfLimitAccuracy $pair -Rate $R -Seconds $Seconds
        [pscustomobject]@{ Ratios = $m.Ratios; Retrans = (Get-Retrans $senderNs) - $before }
    } finally {
        if ($limited -like 'wirefisher*') { Remove-WfLimit -Name wfacc }
        if ($limited -eq 'tc tbf') { Remove-Tbf $ingress }
        Stop-WfTrafficPair $pair
    }
}

function Measure-Trickle([double] $R) {
    # iperf3 (TCP, flat out) under trickle -s -u KiB/s; the server's per-second intervals
    $port = Get-WfTestPort
    $log = [IO.Path]::GetTempFileName()
    $srv = Start-Process ip -ArgumentList @('netns', 'exec', $v.Netns, 'iperf3', '-s', '-1', '-p', $port, '-J') -RedirectStandardOutput $log -PassThru
    try {
        Start-Sleep -Milliseconds 500
        $before = Get-Retrans
        $null = trickle -s -u ([long]($R / 1KB)) iperf3 -c $v.NsAddress -p $port -t ($Seconds + 3) -J
        $retrans = (Get-Retrans) - $before
        if (-not $srv.WaitForExit(10000)) { throw 'iperf3 -s did not end' }
        $j = Get-Content $log -Raw | ConvertFrom-Json
        $ratios = @($j.intervals | Select-Object -Skip 3 -First $Seconds | ForEach-Object { $_.sum.bytes / $_.sum.seconds / $R })
        if ($ratios.Count -lt $Seconds) { throw "iperf3 under trickle: $($ratios.Count) intervals ($($j.PSObject.Properties['error']?.Value))" }
        [pscustomobject]@{ Ratios = $ratios; Retrans = $retrans }
    } finally {
        if (-not $srv.HasExited) { $srv.Kill() }
        Remove-Item $log -ErrorAction SilentlyContinue
    }
}

$sections = [Collections.Generic.List[object]]::new()
$started = Get-Date
$v = $null
try {
    $v = New-WfHostVeth -Net 219 -Prefix "wfacc$(Get-Random -Maximum 999)" -SteerFlows
    Enable-Wirefisher | Out-Null
    foreach ($kind in $kinds.Keys) {
        $rows = [Collections.Generic.List[object]]::new()
        $u = Measure-Pair $kind 'unlimited' 1MB
        $s = Get-Summary $u.Ratios
        $rows.Add([ordered]@{ limiter = 'unlimited (flood)'; rate_mib = 'none'; mean_mib = [math]::Round($s.mean, 1); mean = '-'; worst = '-'; sd = '-'; retrans = $u.Retrans })
        '{0,-11} {1,-24} {2,8:N1} MiB/s, retrans {3}' -f $kind, 'unlimited (flood)', $s.mean, $u.Retrans
        foreach ($r in $Rate) {
            foreach ($lim in $kinds[$kind]) {
                $m = if ($lim -like 'trickle*') { Measure-Trickle $r } else { Measure-Pair $kind $lim $r }
                $s = Get-Summary $m.Ratios
                $rows.Add([ordered]@{ limiter = $lim; rate_mib = $r / 1MB; mean_mib = [math]::Round($s.mean * $r / 1MB, 3); mean = $s.mean; worst = $s.worst; sd = $s.sd; retrans = $m.Retrans })
                '{0,-11} {1,-24} {2,4:N0} MiB/s: mean {3:N4}, worst {4:N4}, sd {5:N4}, retrans {6}' -f $kind, $lim, ($r / 1MB), $s.mean, $s.worst, $s.sd, $m.Retrans
            }
        }
        $wfRows = @($rows | Where-Object { $_.limiter -like 'wirefisher*' })
        $worstMean = $wfRows | Sort-Object { [math]::Abs($_.mean - 1) } | Select-Object -Last 1
        $worstSec = $wfRows | Sort-Object { [math]::Abs($_.worst - 1) } | Select-Object -Last 1
        $targets = @(
            '{0}: Wirefisher mean within 1 % of the target at {1} MiB/s (worst: {2:N4}, {3} at {4} MiB/s)' -f `
                $(if ([math]::Abs($worstMean.mean - 1) -le 0.01) { 'met' } else { 'missed' }), (($Rate | ForEach-Object { $_ / 1MB }) -join ', '), $worstMean.mean, $worstMean.limiter, $worstMean.rate_mib
            '{0}: Wirefisher worst second within 5 % (worst: {1:N4}, {2} at {3} MiB/s)' -f `
                $(if ([math]::Abs($worstSec.worst - 1) -le 0.05) { 'met' } else { 'missed' }), $worstSec.worst, $worstSec.limiter, $worstSec.rate_mib
        )
        if ($kind -eq 'TCP egress') {
            $cmp = foreach ($r in $Rate) {
                $w = $rows | Where-Object { $_.limiter -eq 'wirefisher -Pid' -and $_.rate_mib -eq $r / 1MB }
                $t = $rows | Where-Object { $_.limiter -eq 'tc tbf' -and $_.rate_mib -eq $r / 1MB }
                [pscustomobject]@{ Rate = $r / 1MB; Wf = $w.retrans; Tbf = $t.retrans; Ok = $w.retrans -lt $t.retrans -or ($w.retrans -eq 0 -and $t.retrans -eq 0) }
            }
            $targets += '{0}: TCP egress, Wirefisher -Pid with fewer retransmissions than tbf at the same rate, or none where tbf has none ({1})' -f `
                $(if (@($cmp | Where-Object { -not $_.Ok }).Count -eq 0) { 'met' } else { 'missed' }), (($cmp | ForEach-Object { "$($_.Rate) MiB/s: $($_.Wf) vs $($_.Tbf)" }) -join '; ')
        }
        $sections.Add([ordered]@{
            title = "1. Accuracy: $kind, local sender over veth, receiver goodput / target, $Seconds s per row"
            columns = @('limiter', 'rate_mib', 'mean_mib', 'mean', 'worst', 'sd', 'retrans')
            rows = @($rows)
            targets = $targets
        })
        $targets
    }
} finally {
    try { Remove-WfLimit -Name wfacc } catch { }
    Disable-Wirefisher -ErrorAction SilentlyContinue | Out-Null
    if ($v) { Remove-Tbf $false; Remove-Tbf $true; Remove-WfHostVeth $v }
    $global:LASTEXITCODE = 0
}

$result = [ordered]@{
    name = 'accuracy'; date = (Get-Date -Format 'yyyy-MM-dd'); kernel = (uname -r); cpus = [Environment]::ProcessorCount
    quick = [bool]$Quick; seconds = $Seconds; run_seconds = [math]::Round(((Get-Date) - $started).TotalSeconds)
    command = 'dotnet pwsh bench/Measure-LimitAccuracy.ps1' + $(if ($Quick) { ' -Quick' } else { '' })
    sections = @($sections)
}
New-Item -ItemType Directory -Force $outDir | Out-Null
$file = Join-Path $outDir 'accuracy.json'
$result | ConvertTo-Json -Depth 6 | Set-Content $file
"written: $file"
"command: $($result.command)"
