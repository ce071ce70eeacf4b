<#
.SYNOPSIS
What monitoring costs a busy host (issue 9, sections 2 and 3). Unlimited throughput
over a veth pair between two network namespaces this script makes, and over loopback:
TCP with 1 and 4 streams (iperf3, client and server pinned to two CPUs, median of 5 rounds)
and 64-byte UDP packets per second received, with Wirefisher disabled, with two empty
cgroup_skb programs in its place (the floor: what the hook costs before any work,
bench/bpf/wf_empty.bpf.c), enabled with monitoring only, and enabled with 1,000 rules of mixed
kinds none of which match; every other round runs the modes in reverse order and each ratio is
taken within its round, so that drift cancels. Then the programs' own cost per run
(kernel.bpf_stats_enabled: run_time_ns / run_cnt) under 64-byte UDP on the veth pair with monitoring alone and with 1, 100 and 10,000 rules (1,000 in a quick run),
with the empty programs attached beside Wirefisher's as the floor of the same runs; and under
TCP (1 and 4 streams) and 64-byte UDP over veth, monitoring only, what share of the CPUs' busy time
(/proc/stat) the packet programs took, which one run measures where throughput drifts. Last, the
programs' own cost without bpf_stats, whose clock reads cost more than the work they time:
BPF_PROG_TEST_RUN (bpftool prog run) of each program on one 64-byte UDP packet, with each number
of rules above and in the alternating rounds of 1,000 rules against none (and against 1,000 with a UDP
port rule each way, which make every packet of the load read its addresses and ports).

Writes bench/results/monitoring.json (out/bench/results with -Quick), which
build/Write-BenchResults.ps1 turns into tables of bench/RESULTS.md. No timing is asserted.

.EXAMPLE
dotnet pwsh bench/Measure-Monitoring.ps1            # about 17 minutes
dotnet pwsh bench/Measure-Monitoring.ps1 -Quick     # 1 s runs, once: a smoke run
#>
param([int] $Seconds = 5, [int] $Runs = 3, [int] $OverheadRounds = 5, [switch] $Quick)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot
Import-Module ($env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1")
if ($Quick -or $env:WIREFISHER_BENCH_QUICK) { $Quick = $true; $Seconds = 1; $Runs = 1; $OverheadRounds = 1 }
$outDir = if ($Quick) { Join-Path ($env:WIREFISHER_BENCH_OUT ?? "$root/out/bench") 'results' } else { "$root/bench/results" }

$tag = Get-Random -Minimum 1000 -Maximum 9999
$nsA = "wfba$tag"; $nsB = "wfbb$tag"
$addrB = '10.203.0.2'
$port = Get-Random -Minimum 21000 -Maximum 27000 # below the ephemeral range, so that no connect() holds it
$cg = $null

function New-BenchVeth {
    ip netns add $nsA; ip netns add $nsB
    ip link add "wfb$tag-a" netns $nsA type veth peer name "wfb$tag-b" netns $nsB
    ip -n $nsA addr add 10.203.0.1/24 dev "wfb$tag-a"; ip -n $nsB addr add "$addrB/24" dev "wfb$tag-b"
    foreach ($n in $nsA, $nsB) { ip -n $n link set lo up }
    ip -n $nsA link set "wfb$tag-a" up; ip -n $nsB link set "wfb$tag-b" up
}

function Invoke-Iperf([string] $Path, [string[]] $ClientArgs) {
    # one iperf3 run on a path ('veth' or 'loopback'); returns its JSON. A port that turns out
    # to be taken (the server cannot listen) moves the run to the next one, twice at most.
    foreach ($try in 1..3) {
        $r = Invoke-IperfOnce $Path $ClientArgs
        if (-not $r.PSObject.Properties['error']) { return $r }
        Write-Host "iperf3 on port $($script:port): $($r.error); trying port $($script:port + 1)"
        $script:port++
    }
    throw "iperf3 failed three times on $Path`: $($r.error)"
}

function Invoke-IperfOnce([string] $Path, [string[]] $ClientArgs) {
    $ns = if ($Path -eq 'veth') { @('ip', 'netns', 'exec', $nsB) } else { @() }
    $cns = if ($Path -eq 'veth') { @('ip', 'netns', 'exec', $nsA) } else { @() }
    $target = if ($Path -eq 'veth') { $addrB } else { '127.0.0.1' }
    $srvCmd = @($ns) + @('iperf3', '-s', '-1', '-p', "$port")
    $srv = [Diagnostics.ProcessStartInfo]::new($srvCmd[0])
    foreach ($a in $srvCmd | Select-Object -Skip 1) { $srv.ArgumentList.Add($a) }
    $srv.RedirectStandardOutput = $true
    $server = [Diagnostics.Process]::Start($srv)
    try {
        Start-Sleep -Milliseconds 400
        $cmd = @($cns) + @('iperf3', '-c', $target, '-p', $port, '-t', $Seconds, '-J') + $pin + $ClientArgs
        $busy0 = Get-BusyNs
        $json = & $cmd[0] @($cmd | Select-Object -Skip 1) | Out-String
        $script:lastBusyNs = (Get-BusyNs) - $busy0
        $json | ConvertFrom-Json
    } finally {
        if (-not $server.WaitForExit(3000)) { $server.Kill() }
    }
}

# The client on CPU 0, the server on CPU 1 (iperf3 -A): unpinned, the scheduler moved them between runs and
# 64-byte UDP over veth read 621-770 kpkt/s in six runs of one setup; pinned 641-688 (2026-12-05)
$pin = if ([Environment]::ProcessorCount -ge 2) { @('-A', '0,1') } else { @() }
$clkTck = [double](getconf CLK_TCK)
function Get-BusyNs {
    # the CPUs' busy time so far, in ns (/proc/stat: user, nice, system, irq, softirq; not idle, iowait or steal)
    $f = @(((Get-Content /proc/stat -TotalCount 1) -split '\s+') | Select-Object -Skip 1 | ForEach-Object { [double]$_ })
    ($f[0] + $f[1] + $f[2] + $f[5] + $f[6]) * 1e9 / $clkTck
}

function Measure-Load([string] $Path, [string] $Load) {
    switch ($Load) {
        'tcp1' { (Invoke-Iperf $Path @()).end.sum_received.bits_per_second / 1e9 }
        'tcp4' { (Invoke-Iperf $Path @('-P', '4')).end.sum_received.bits_per_second / 1e9 }
        'udp64' {
            $s = (Invoke-Iperf $Path @('-u', '-b', '0', '-l', '64')).end.sum
            ($s.packets - $s.lost_packets) / $s.seconds / 1e3
        }
    }
}

# The anchor: two cgroup_skb programs that only pass (bench/bpf/wf_empty.bpf.c), at the cgroup v2
# root as Wirefisher's are; what they cost, any cgroup_skb program costs before it does any work.
$emptyPins = "/sys/fs/bpf/wfbench-empty-$tag"
$cgroupRoot = (Get-WfStatus).Cgroup2Path
function Add-EmptyPrograms {
    $obj = Join-Path ([IO.Path]::GetTempPath()) "wf_empty-$tag.bpf.o"
    if (-not (Test-Path $obj)) {
        clang -O2 -target bpf -I "$root/bpf" -c "$root/bench/bpf/wf_empty.bpf.c" -o $obj
        if ($LASTEXITCODE -ne 0) { throw 'clang could not compile bench/bpf/wf_empty.bpf.c (run build.ps1 first: it makes bpf/vmlinux.h)' }
    }
    bpftool prog loadall $obj $emptyPins
    if ($LASTEXITCODE -ne 0) { throw "bpftool prog loadall $obj failed" }
    foreach ($hook in 'ingress', 'egress') {
        bpftool cgroup attach $cgroupRoot $hook pinned "$emptyPins/wf_empty_$(if ($hook -eq 'ingress') { 'in' } else { 'out' })" multi
        if ($LASTEXITCODE -ne 0) { throw "bpftool cgroup attach $cgroupRoot $hook failed" }
    }
}
function Remove-EmptyPrograms {
    if (-not (Test-Path $emptyPins)) { return }
    bpftool cgroup detach $cgroupRoot ingress pinned "$emptyPins/wf_empty_in" 2>$null
    bpftool cgroup detach $cgroupRoot egress pinned "$emptyPins/wf_empty_out" 2>$null
    Remove-Item -Recurse -Force $emptyPins
    $global:LASTEXITCODE = 0
}

function Set-Mode([string] $Mode) {
    Remove-EmptyPrograms
    Disable-Wirefisher | Out-Null
    if ($Mode -eq 'empty') { Add-EmptyPrograms }
    if ($Mode -in 'monitoring', 'rules1000', 'rules1000udp') { Enable-Wirefisher | Out-Null }
    if ($Mode -like 'rules1000*') {
        Add-UnmatchedRules 1000   # its ingress rules start the shaper watcher (see Wait-Quiet)
    }
    if ($Mode -eq 'rules1000udp') {
        # a UDP port rule each way: now every UDP packet reads its addresses and ports and compares them with
        # the flow its socket's remembered match was found for (by_flow, bpf/lib/wf_match.h); they match nothing
        foreach ($dir in 'Ingress', 'Egress') { Set-WfLimit -Protocol UDP -RemotePort 20001 -Rate 10MB -Direction $dir }
    }
    Wait-Quiet
}

function Wait-Quiet {
    # Waits (10 s at most) until the machine is idle: under 5 % of the CPUs busy in half a second
    # (/proc/stat), so that what a change set going does not run with the next measurement: .NET
    # compiling this process's hot methods again in the background (tiered compilation: 4 % of the
    # sending CPU right after Enable-Wirefisher, perf record, 2026-12-05), and the shaper watcher
    # that the first ingress rule starts, a pwsh that takes a CPU-second or two to start.
    foreach ($i in 1..20) {
        $b0 = Get-BusyNs
        Start-Sleep -Milliseconds 500
        if ((Get-BusyNs) - $b0 -lt 0.05 * 0.5e9 * [Environment]::ProcessorCount) { return }
    }
    Write-Host "    the machine stayed busy for 10 s (over 5 % of its CPUs); measuring anyway"
}

function Add-UnmatchedRules([int] $Count) {
    # rules of every kind, none of which matches the measured traffic (its ports, users and processes)
    $ports = [math]::Min(1000, [math]::Ceiling($Count / 2))
    if ($Count -eq 0) { return }
    if ($Count -eq 1) { Set-WfLimit -Protocol TCP -RemotePort 20001 -Rate 10MB -Direction Ingress; return }
    1..$ports | ForEach-Object { [pscustomobject]@{ Protocol = 'TCP'; RemotePort = 20000 + $_ } } | Set-WfLimit -Rate 10MB -Direction Ingress
    $rest = $Count - $ports
    if ($rest -ge 200) {
        Set-WfLimit -ProcessName (1..100 | ForEach-Object { "wfnone$_" }) -Rate 10MB -Direction Egress
        Set-WfLimit -ProcessName (1..40 | ForEach-Object { "wfp$_*" }) -Rate 10MB -Direction Ingress
        if (-not $script:cg) {
            $script:cg = Join-Path (Get-WfStatus).Cgroup2Path "wfbench-$tag"
            New-Item -ItemType Directory $script:cg | Out-Null
        }
        Set-WfLimit -Cgroup $script:cg -Rate 10MB -Direction Ingress
        $rest -= 141
    }
    if ($rest -gt 0) { Set-WfLimit -User (1..$rest | ForEach-Object { 100000 + $_ }) -Rate 10MB -Direction Ingress }
}

function Get-ProgStats {
    # bpftool leaves a counter out while it is 0
    bpftool -j prog show | ConvertFrom-Json | Where-Object { $_.name -in 'wf_ingress', 'wf_egress', 'wf_empty_in', 'wf_empty_out' } | ForEach-Object {
        [pscustomobject]@{ Name = $_.name; Cnt = [double]($_.PSObject.Properties['run_cnt']?.Value ?? 0); Ns = [double]($_.PSObject.Properties['run_time_ns']?.Value ?? 0) }
    }
}

function Measure-ProgramRuns([string] $Load) {
    # Runs a load over veth with bpf_stats on: what it reached, and each program's run time and runs over it
    sysctl -qw kernel.bpf_stats_enabled=1
    try {
        $before = @(Get-ProgStats)
        $value = Measure-Load 'veth' $Load
        $after = @(Get-ProgStats)
    } finally { sysctl -qw kernel.bpf_stats_enabled=0 }
    $d = @{}
    foreach ($a in $after) { $b = $before | Where-Object Name -eq $a.Name; $d[$a.Name] = [pscustomobject]@{ Ns = $a.Ns - $b.Ns; Cnt = $a.Cnt - $b.Cnt } }
    [pscustomobject]@{ Value = $value; Programs = $d }
}

function Measure-PacketCost {
    $p = (Measure-ProgramRuns 'udp64').Programs
    $cost = @{}
    foreach ($name in $p.Keys) { $cost[$name] = $p[$name].Ns / [math]::Max(1, $p[$name].Cnt) }
    $cost
}

# The programs' own cost, without bpf_stats: BPF_PROG_TEST_RUN (bpftool prog run) of each program on one
# 64-byte UDP packet, repeated in the kernel. bpf_stats' clock reads cost more than the work they time
# (the empty program's test run: about 10 ns a run without them, 70-90 ns with them, 2026-12-05), and
# the run time they report carries part of them; a test run carries only its loop's few ns, as the empty
# program's row shows. It runs on the kernel's test socket (no owner: its packets count for tgid 0) with
# warm caches on one CPU, so it is the least a packet costs, not what it costs under load (above).
$testPacket = Join-Path ([IO.Path]::GetTempPath()) "wf_udp64-$tag.bin"
$testRepeat = if ($Quick) { 200000 } else { 1000000 }
$testRounds = if ($Quick) { 3 } else { 15 }
function New-TestPacket {
    # Ethernet (the test run takes it off again for cgroup_skb), IPv4 10.0.0.1 -> 10.0.0.2, UDP 40000 -> 5201, 64 bytes
    $ip = [byte[]](0x45, 0, 0, 92, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2)
    $udp = [byte[]](0x9c, 0x40, 0x14, 0x51, 0, 72, 0, 0) + [byte[]]::new(64)
    [IO.File]::WriteAllBytes($testPacket, [byte[]](@(2) * 6 + @(4) * 6 + @(8, 0)) + $ip + $udp)
}
function Get-TestRunNs([string[]] $Program) {
    $out = bpftool prog run @Program data_in $testPacket repeat $testRepeat 2>&1
    $ns = ($out | Select-String 'duration \(average\): (\d+)ns').Matches
    if ($LASTEXITCODE -ne 0 -or -not $ns) { throw "bpftool prog run $Program failed: $out" }
    [double]$ns[0].Groups[1].Value
}
function Measure-TestRun {
    # the lowest of the rounds' averages per program (this machine's noise only ever adds), the
    # empty programs in the same rounds; returns what Get-CostRow takes
    $pins = (Get-WfStatus).PinDirectory
    $programs = [ordered]@{
        wf_ingress = 'id', "$((bpftool -j link show pinned "$pins/wf_ingress" | ConvertFrom-Json).prog_id)"
        wf_egress = 'id', "$((bpftool -j link show pinned "$pins/wf_egress" | ConvertFrom-Json).prog_id)"
        wf_empty_in = 'pinned', "$emptyPins/wf_empty_in"; wf_empty_out = 'pinned', "$emptyPins/wf_empty_out"
    }
    $best = @{}
    foreach ($round in 1..$testRounds) {
        foreach ($name in $programs.Keys) { $best[$name] = [math]::Min($best[$name] ?? [double]::MaxValue, (Get-TestRunNs $programs[$name])) }
    }
    $best
}
function Measure-StatsCost {
    # what bpf_stats adds to a run of the empty program: its test run with kernel.bpf_stats_enabled=1 and without
    $lowest = { (1..$testRounds | ForEach-Object { Get-TestRunNs 'pinned', "$emptyPins/wf_empty_in" } | Measure-Object -Minimum).Minimum }
    sysctl -qw kernel.bpf_stats_enabled=1
    try { $with = & $lowest } finally { sysctl -qw kernel.bpf_stats_enabled=0 }
    [pscustomobject]@{ With = $with; Without = & $lowest }
}

function Measure-ProgramShare([string] $Load) {
    # What share of the CPUs' busy time Wirefisher's packet programs took under a load over veth
    # (bpf_stats), the empty programs beside them: their direct cost, measured within one run, where
    # TCP's throughput drifts too much from run to run to show it (cache effects are not in it)
    $r = Measure-ProgramRuns $Load
    $d = $r.Programs
    $wfNs = $d.wf_ingress.Ns + $d.wf_egress.Ns; $wfCnt = $d.wf_ingress.Cnt + $d.wf_egress.Cnt
    [pscustomobject]@{
        Throughput = $r.Value; WfNsPerRun = $wfNs / [math]::Max(1, $wfCnt); WfRunsPerSecond = $wfCnt / $Seconds
        WfShare = 100 * $wfNs / $script:lastBusyNs; EmptyShare = 100 * ($d.wf_empty_in.Ns + $d.wf_empty_out.Ns) / $script:lastBusyNs
    }
}

function Get-CostRow([int] $Rules, [object[]] $Costs) {
    # one row of run time per run: the medians over Measure-PacketCost's results, rounded to the ns
    $med = { param($name) [math]::Round((Get-Median @($Costs | ForEach-Object { $_[$name] })), 0) }
    [ordered]@{ rules = $Rules; wf_ingress_ns = & $med 'wf_ingress'; wf_egress_ns = & $med 'wf_egress'; empty_in_ns = & $med 'wf_empty_in'; empty_out_ns = & $med 'wf_empty_out' }
}

function Get-Median([double[]] $x) { $s = @($x | Sort-Object); if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
$modes = 'disabled', 'empty', 'monitoring', 'rules1000'
$loads = [ordered]@{ tcp1 = 'TCP 1 stream, Gbit/s'; tcp4 = 'TCP 4 streams, Gbit/s'; udp64 = 'UDP 64 B, kpkt/s received' }
$samples = @{}
$testRows = [Collections.Generic.List[object]]::new()
try {
    New-BenchVeth
    New-TestPacket
    # every other round in reverse order, so that a drift through a round cancels instead of always
    # favouring the mode measured first; each round's ratios to disabled are taken within the round
    foreach ($run in 1..$OverheadRounds) {
        $order = if ($run % 2) { $modes } else { $modes[($modes.Count - 1)..0] }
        foreach ($mode in $order) {
            Set-Mode $mode
            foreach ($path in 'veth', 'loopback') {
                foreach ($load in $loads.Keys) {
                    $key = "$path|$load|$mode"
                    if (-not $samples[$key]) { $samples[$key] = [Collections.Generic.List[double]]::new() }
                    $samples[$key].Add((Measure-Load $path $load))
                }
            }
        }
    }
    # a quick run stops at 1,000: one Set-WfLimit of 9,000 users takes about 100 s (see the closing note of issue 9).
    # The empty programs run beside Wirefisher's in the same runs: this machine's cost of any program drifts
    # (63-74 ns for the empty one on one day, 42 ns the day before), so each row has its own floor.
    # 0 rules is monitoring alone, the count-only path (wf_count_only); a rule makes packets match.
    $costRows = foreach ($n in 0, 1, 100, $(if ($Quick) { 1000 } else { 10000 })) {
        Set-Mode 'monitoring'
        Add-UnmatchedRules $n
        Add-EmptyPrograms
        $count = @(Get-WfLimit).Count
        Wait-Quiet
        Get-CostRow $count @(1..$Runs | ForEach-Object { Measure-PacketCost })
        $testRows.Add((Get-CostRow $count @(Measure-TestRun)))
    }
    $statsCost = Measure-StatsCost
    Set-Mode 'monitoring'
    Add-EmptyPrograms
    $shareRows = foreach ($load in 'tcp1', 'tcp4', 'udp64') {
        $m = @(1..$Runs | ForEach-Object { Measure-ProgramShare $load })
        $med = { param($name, $digits) [math]::Round((Get-Median @($m | ForEach-Object { $_.$name })), $digits) }
        [ordered]@{
            load = $loads[$load]; throughput = & $med 'Throughput' 2; wf_runs_per_s = & $med 'WfRunsPerSecond' 0
            wf_ns_per_run = & $med 'WfNsPerRun' 0; wf_busy_pct = & $med 'WfShare' 3; empty_busy_pct = & $med 'EmptyShare' 3
        }
    }
    # issue 9's goal for rules, 1,000 of mixed kinds that match nothing against none, in rounds that
    # alternate, so that the machine's drift over the minutes the rows above take cancels (the row of
    # 1 rule above read 1.12x, 1.32x and 1.87x of the row of none in three runs, measured minutes apart)
    # each round's bpf_stats costs and test runs, of monitoring alone (0), of 1,000 rules, and of those
    # with a UDP port rule each way (1002: the load's and the test packet's protocol named, see Set-Mode)
    $versusModes = 'monitoring', 'rules1000', 'rules1000udp'
    $rounds = foreach ($run in 1..$Runs) {
        foreach ($mode in $versusModes) {
            Set-Mode $mode
            Add-EmptyPrograms
            Wait-Quiet
            [pscustomobject]@{ Mode = $mode; Rules = @(Get-WfLimit).Count; Stats = Measure-PacketCost; Test = Measure-TestRun }
        }
    }
    $versusRows = foreach ($mode in $versusModes) {
        $r = @($rounds | Where-Object Mode -eq $mode); Get-CostRow $r[0].Rules @($r | ForEach-Object Stats)
    }
    $versusTestRows = foreach ($mode in $versusModes) {
        $r = @($rounds | Where-Object Mode -eq $mode); Get-CostRow $r[0].Rules @($r | ForEach-Object Test)
    }
} finally {
    Remove-EmptyPrograms
    Disable-Wirefisher -ErrorAction SilentlyContinue | Out-Null
    if ($cg -and (Test-Path $cg)) { rmdir $cg 2>$null }
    ip netns del $nsA 2>$null; ip netns del $nsB 2>$null
    Remove-Item $testPacket -ErrorAction SilentlyContinue
}

# A ratio is the median of the rounds' ratios, each taken within its round (paired), so that
# the drift between rounds does not enter it; each round's ratio of monitoring is kept, unrounded, for the
# verdicts ($monitoringRounds, by path and load) and, rounded, in the row.
$monitoringRounds = @{}
function Get-RoundRatios([string] $Key, [string] $Mode, [string] $To) {
    $a = $samples["$Key|$Mode"]; $b = $samples["$Key|$To"]
    @(0..($a.Count - 1) | ForEach-Object { $a[$_] / $b[$_] })
}
$overheadRows = foreach ($path in 'veth', 'loopback') {
    foreach ($load in $loads.Keys) {
        $key = "$path|$load"
        $m = @{}; foreach ($mode in $modes) { $m[$mode] = Get-Median $samples["$key|$mode"] }
        $r = @{}; foreach ($mode in 'empty', 'monitoring', 'rules1000') { $r[$mode] = Get-RoundRatios $key $mode 'disabled' }
        $work = Get-RoundRatios $key 'monitoring' 'empty'
        $monitoringRounds["$path $($loads[$load])"] = $r.monitoring
        [ordered]@{
            path = $path; load = $loads[$load]
            disabled = [math]::Round($m.disabled, 2); empty = [math]::Round($m.empty, 2); monitoring = [math]::Round($m.monitoring, 2); rules1000 = [math]::Round($m.rules1000, 2)
            empty_ratio = [math]::Round((Get-Median $r.empty), 3); monitoring_ratio = [math]::Round((Get-Median $r.monitoring), 3); rules1000_ratio = [math]::Round((Get-Median $r.rules1000), 3)
            monitoring_vs_empty = [math]::Round((Get-Median $work), 3)
            monitoring_rounds = (@($r.monitoring | Sort-Object | ForEach-Object { $_.ToString('0.000', [cultureinfo]::InvariantCulture) }) -join ' ')
        }
    }
}

# which of issue 9's overhead targets this run met. A row meets its goal when every round's ratio
# does, and misses it when every round's misses; else it is inconclusive: one round here moves by
# 5-13 %, more than the 2-3 % the goals are about, and the medians of two runs of five rounds each
# differed by 5 % (veth UDP, 0.949 and 1.002, 2026-12-05). Until then a row whose empty programs
# came out more than 3 % off disabled was left out as drift; pinned and paired, they showed a real
# cost of their own (the hook's), so each verdict says what they and monitoring against them reached.
function Get-Verdict([bool] $Met, [string] $Text) { "$(if ($Met) { 'met' } else { 'missed' }): $Text" }
function Get-OverheadVerdict([string] $Like, [double] $Min, [string] $Text) {
    $rows = @($overheadRows | Where-Object { "$($_.path) $($_.load)" -like $Like })
    $state = { param($row) $x = @($monitoringRounds["$($row.path) $($row.load)"]); $below = @($x | Where-Object { $_ -lt $Min }).Count
        if ($x.Count -lt 3) { 'inconclusive (fewer than 3 rounds)' } elseif ($below -eq 0) { 'met' } elseif ($below -eq $x.Count) { 'missed' } else { "inconclusive ($below of $($x.Count) rounds below)" } }
    $worst = ($rows | Sort-Object { $_.monitoring_ratio } | Select-Object -First 1)
    $states = @($rows | ForEach-Object { & $state $_ })
    $verdict = if ($states -contains 'missed') { 'missed' } elseif (@($states | Where-Object { $_ -like 'inconclusive*' }).Count) { 'inconclusive' } else { 'met' }
    $each = @(for ($i = 0; $i -lt $rows.Count; $i++) { '{0} {1}: {2:N3}, {3}' -f $rows[$i].path, $rows[$i].load, $rows[$i].monitoring_ratio, $states[$i] }) -join '; '
    "{0}: {1} (worst median: {2:N3}, {3} {4}, rounds {5}; the empty programs there {6:N3}, monitoring against them {7:N3}. Each row: {8})" -f $verdict, $Text, $worst.monitoring_ratio, $worst.path, $worst.load, $worst.monitoring_rounds, $worst.empty_ratio, $worst.monitoring_vs_empty, $each
}
# issue 9's per-packet goal is monitoring's, with no limit (the row of 0 rules); rule growth is 1 rule against the most
$monRow = $costRows[0]; $oneRow = $costRows[1]
# the worse of a row's two programs, as it is or (-Net) above its empty program
function Get-Worst($Row, [switch] $Net) {
    $in = $Row.wf_ingress_ns - $(if ($Net) { $Row.empty_in_ns } else { 0 })
    $out = $Row.wf_egress_ns - $(if ($Net) { $Row.empty_out_ns } else { 0 })
    [math]::Max($in, $out)
}
$worstNs = Get-Worst $monRow
$worstNet = Get-Worst $monRow -Net
$worstRulesNs = ($costRows | Select-Object -Skip 1 | ForEach-Object { $_.wf_ingress_ns; $_.wf_egress_ns } | Measure-Object -Maximum).Maximum
# how much more a run costs in row $To than in row $From, the worse of the two programs: each cost
# taken relative to its row's empty program, or (-Raw) as it is
function Get-Growth($From, $To, [switch] $Raw) {
    $g = foreach ($p in @('wf_ingress_ns', 'empty_in_ns'), @('wf_egress_ns', 'empty_out_ns')) {
        $floorTo = if ($Raw) { 1 } else { [math]::Max(1, $To[$p[1]]) }
        $floorFrom = if ($Raw) { 1 } else { [math]::Max(1, $From[$p[1]]) }
        ($To[$p[0]] / $floorTo) / [math]::Max(0.001, $From[$p[0]] / $floorFrom)
    }
    ($g | Measure-Object -Maximum).Maximum
}
$scale = Get-Growth $oneRow $costRows[-1]
$rawScale = Get-Growth $oneRow $costRows[-1] -Raw
$overheadVerdict = @(
    Get-OverheadVerdict '*UDP*' 0.97 '64-byte UDP with monitoring >= 0.97 of disabled'
    Get-OverheadVerdict '*TCP*' 0.98 'TCP with monitoring >= 0.98 of disabled'
    Get-OverheadVerdict 'veth*' 0.97 'monitoring costs under 3 % of unlimited veth throughput'
)
$costVerdict = @(
    Get-Verdict ($worstNs -lt 100) ('monitoring: each packet program under 100 ns per run (worst: {0} ns; {1} ns above the empty program beside it; with rules up to {2} ns)' -f $worstNs, $worstNet, $worstRulesNs)
    Get-Verdict ($worstNs -lt 50) ('under 50 ns per run, the aim (worst: {0} ns)' -f $worstNs)
    Get-Verdict ($scale -le 1.2) ('{0} rules within 1.2x of {1}, each against the empty program of its own runs (worst: {2:N2}x; {3:N2}x without that)' -f $costRows[-1].rules, $oneRow.rules, $scale, $rawScale)
)
$noneScale = Get-Growth $versusRows[0] $versusRows[1]
$noneRawScale = Get-Growth $versusRows[0] $versusRows[1] -Raw
$noneTestScale = Get-Growth $versusTestRows[0] $versusTestRows[1]
$versusVerdict = @(
    Get-Verdict ($noneScale -le 1.2) ('1000 rules of mixed kinds that match nothing within 1.2x of none, monitoring alone, each against the empty program of its own runs (worst: {0:N2}x; {1:N2}x without that)' -f $noneScale, $noneRawScale)
    Get-Verdict ($noneTestScale -le 1.2) ('1000 rules of mixed kinds within 1.2x of none in test runs (section below) of the same rounds (worst: {0:N2}x against the empty program; {1:N2}x without that; none {2}/{3} ns, 1000 rules {4}/{5} ns, empty {6}/{7} ns)' -f $noneTestScale, (Get-Growth $versusTestRows[0] $versusTestRows[1] -Raw), $versusTestRows[0].wf_ingress_ns, $versusTestRows[0].wf_egress_ns, $versusTestRows[1].wf_ingress_ns, $versusTestRows[1].wf_egress_ns, $versusTestRows[1].empty_in_ns, $versusTestRows[1].empty_out_ns)
    ('measured: with a UDP port rule each way as well (1002 rules; every packet of the load reads its addresses and ports and compares them), against none in the same rounds: {0:N2}x against the empty program ({1:N2}x without that); test runs {2:N2}x ({3:N2}x without that; {4}/{5} ns, empty {6}/{7} ns)' -f (Get-Growth $versusRows[0] $versusRows[2]), (Get-Growth $versusRows[0] $versusRows[2] -Raw), (Get-Growth $versusTestRows[0] $versusTestRows[2]), (Get-Growth $versusTestRows[0] $versusTestRows[2] -Raw), $versusTestRows[2].wf_ingress_ns, $versusTestRows[2].wf_egress_ns, $versusTestRows[2].empty_in_ns, $versusTestRows[2].empty_out_ns)
)
# the same goals on the test runs, without bpf_stats: monitoring alone (row 0), the most rules against 1
# (1,000 against none: in the alternating rounds, above)
$testMon = $testRows[0]
$testWorst = Get-Worst $testMon
$testScale = Get-Growth $testRows[1] $testRows[-1]
$testNet = Get-Worst $testMon -Net
$testVerdict = @(
    Get-Verdict ($testWorst -lt 50) ('monitoring, test runs: each packet program under 50 ns per run (worst: {0} ns; {1} ns above the empty program)' -f $testWorst, $testNet)
    Get-Verdict ($testScale -le 1.2) ('{0} rules within 1.2x of {1}, test runs (worst: {2:N2}x against the empty program; {3:N2}x without that)' -f $testRows[-1].rules, $testRows[1].rules, $testScale, (Get-Growth $testRows[1] $testRows[-1] -Raw))
    'measured: bpf_stats itself, the empty program''s test run: {0} ns a run with kernel.bpf_stats_enabled=1, {1} ns without' -f $statsCost.With, $statsCost.Without
)
$worstShare = $shareRows | Where-Object load -like 'TCP*' | Sort-Object { $_.wf_busy_pct } | Select-Object -Last 1
$udpShare = $shareRows | Where-Object load -like 'UDP*'
$shareNote = @(
    ('measured: under TCP over veth Wirefisher''s packet programs took at most {0} % of the CPUs'' busy time ({1}; the empty programs {2} %, mostly bpf_stats'' clock: {3:N2} % above them), against the 2 % that TCP''s goal of 0.98 allows' -f $worstShare.wf_busy_pct, $worstShare.load, $worstShare.empty_busy_pct, ($worstShare.wf_busy_pct - $worstShare.empty_busy_pct))
    ('measured: under 64-byte UDP over veth they took {0} % (the empty programs {1} %: {2:N2} % above them), against the 3 % that UDP''s goal of 0.97 allows' -f $udpShare.wf_busy_pct, $udpShare.empty_busy_pct, ($udpShare.wf_busy_pct - $udpShare.empty_busy_pct))
)

$result = [ordered]@{
    name = 'monitoring'; date = (Get-Date -Format 'yyyy-MM-dd'); kernel = (uname -r); cpus = [Environment]::ProcessorCount
    quick = [bool]$Quick; seconds = $Seconds; runs = $Runs; overhead_rounds = $OverheadRounds
    command = 'dotnet pwsh bench/Measure-Monitoring.ps1' + $(if ($Quick) { ' -Quick' } else { '' })
    sections = @(
        [ordered]@{
            title = "2. Overhead: unlimited throughput, median of $OverheadRounds rounds, every other round in reverse order, iperf3 client and server pinned to CPUs 0 and 1; ratios to disabled are the medians of each round's own (empty: two cgroup_skb programs that only pass, the hook's floor; monitoring_vs_empty: monitoring against them, Wirefisher's work above that floor; monitoring_rounds: each round's ratio of monitoring to disabled, sorted; a goal is met or missed only when every round says so)"
            columns = 'path', 'load', 'disabled', 'empty', 'monitoring', 'rules1000', 'empty_ratio', 'monitoring_ratio', 'rules1000_ratio', 'monitoring_vs_empty', 'monitoring_rounds'
            rows = @($overheadRows)
            targets = $overheadVerdict
        }
        [ordered]@{
            title = '3. Per-packet cost: run_time_ns / run_cnt under 64-byte UDP on veth, median of the runs, with the empty programs attached beside Wirefisher''s (their cost is the floor of the same runs)'
            columns = 'rules', 'wf_ingress_ns', 'wf_egress_ns', 'empty_in_ns', 'empty_out_ns'
            rows = @($costRows)
            targets = $costVerdict
        }
        [ordered]@{
            title = '3. Per-packet cost under TCP and UDP on veth, monitoring only: the packet programs'' share of the CPUs'' busy time (bpf_stats run_time_ns / /proc/stat), median of the runs, the empty programs beside them'
            columns = 'load', 'throughput', 'wf_runs_per_s', 'wf_ns_per_run', 'wf_busy_pct', 'empty_busy_pct'
            rows = @($shareRows)
            targets = $shareNote
        }
        [ordered]@{
            title = '3. Per-packet cost, monitoring alone against 1,000 rules of mixed kinds that match nothing, and against those with a UDP port rule each way (1002): run_time_ns / run_cnt under 64-byte UDP on veth, rounds alternating, median of the runs, the empty programs beside them'
            columns = 'rules', 'wf_ingress_ns', 'wf_egress_ns', 'empty_in_ns', 'empty_out_ns'
            rows = @($versusRows)
            targets = $versusVerdict
        }
        [ordered]@{
            title = "3. Per-packet cost without bpf_stats: BPF_PROG_TEST_RUN of each program on one 64-byte UDP packet (bpftool prog run, $testRepeat repeats, the lowest of $testRounds rounds), the empty programs in the same rounds; warm caches, one CPU: the least a packet costs"
            columns = 'rules', 'wf_ingress_ns', 'wf_egress_ns', 'empty_in_ns', 'empty_out_ns'
            rows = @($testRows)
            targets = $testVerdict
        }
    )
}
New-Item -ItemType Directory -Force $outDir | Out-Null
$file = Join-Path $outDir 'monitoring.json'
$result | ConvertTo-Json -Depth 6 | Set-Content $file
foreach ($r in $overheadRows) { '{0,-8} {1,-26} disabled {2,8} empty {3,8} ({4:N3}) monitoring {5,8} ({6:N3}, rounds {9}, {10:N3} of empty) 1000 rules {7,8} ({8:N3})' -f $r.path, $r.load, $r.disabled, $r.empty, $r.empty_ratio, $r.monitoring, $r.monitoring_ratio, $r.rules1000, $r.rules1000_ratio, $r.monitoring_rounds, $r.monitoring_vs_empty }
foreach ($r in $costRows) { '{0,6} rules: wf_ingress {1} ns, wf_egress {2} ns per run (empty beside them: {3} ns, {4} ns)' -f $r.rules, $r.wf_ingress_ns, $r.wf_egress_ns, $r.empty_in_ns, $r.empty_out_ns }
foreach ($r in $versusRows) { '{0,6} rules, rounds alternating: wf_ingress {1} ns, wf_egress {2} ns per run (empty beside them: {3} ns, {4} ns)' -f $r.rules, $r.wf_ingress_ns, $r.wf_egress_ns, $r.empty_in_ns, $r.empty_out_ns }
foreach ($r in $testRows) { '{0,6} rules, test runs: wf_ingress {1} ns, wf_egress {2} ns per run (empty: {3} ns, {4} ns)' -f $r.rules, $r.wf_ingress_ns, $r.wf_egress_ns, $r.empty_in_ns, $r.empty_out_ns }
foreach ($r in $shareRows) { '{0,-26} {1,8}: Wirefisher''s programs {2} runs/s at {3} ns, {4} % of busy CPU time (empty {5} %)' -f $r.load, $r.throughput, $r.wf_runs_per_s, $r.wf_ns_per_run, $r.wf_busy_pct, $r.empty_busy_pct }
$overheadVerdict + $costVerdict + $shareNote + $versusVerdict + $testVerdict
"written: $file"
"command: $($result.command)"
