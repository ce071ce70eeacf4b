<#
.SYNOPSIS
Does the per-packet cost grow with the number of rules? The programs' run time per
packet (kernel.bpf_stats_enabled: run_time_ns / run_cnt of wf_ingress and wf_egress)
for one loopback TCP flow (iperf3, 5 s) that one rule matches, with that rule alone
and with 999 more rules of every kind that it does not match (address/port matchers,
names, name patterns, users, a cgroup, an unused veth device); then the same with UDP.
The goal: 1,000 rules within 1.3x of one rule.

.EXAMPLE
dotnet pwsh bench/Measure-RuleScaling.ps1
#>
param([int] $Seconds = 5, [int] $Runs = 3)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot
Import-Module ($env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1")

$port = Get-Random -Minimum 10000 -Maximum 12000
$cg = Join-Path (Get-WfStatus).Cgroup2Path "wfbench-$(Get-Random -Maximum 9999)"
$dummy = "wfbench$(Get-Random -Maximum 999)"

# bpftool leaves the counters out while they are 0
function Get-Stat($Prog, [string] $Name) { if ($Prog -and $Prog.PSObject.Properties[$Name]) { [double]$Prog.$Name } else { 0 } }

function Measure-Cost([string] $Proto) {
    # programs' cost per run while iperf3 runs; the rule is far above what the flow does, so nothing is dropped
    $server = Start-Process iperf3 -ArgumentList '-s', '-p', $port -PassThru -RedirectStandardOutput /dev/null
    try {
        Start-Sleep -Milliseconds 300
        $runs = foreach ($i in 1..$Runs) {
            sysctl -qw kernel.bpf_stats_enabled=1
            $before = @(bpftool -j prog show | ConvertFrom-Json | Where-Object { $_.name -in 'wf_ingress', 'wf_egress' })
            $udp = if ($Proto -eq 'udp') { @('-u', '-b', '2G', '-l', '1400') } else { @() }
            $null = iperf3 -c 127.0.0.1 -p $port -t $Seconds @udp -J
            $after = @(bpftool -j prog show | ConvertFrom-Json | Where-Object { $_.name -in 'wf_ingress', 'wf_egress' })
            sysctl -qw kernel.bpf_stats_enabled=0
            foreach ($a in $after) {
                $b = $before | Where-Object id -eq $a.id
                $cnt = (Get-Stat $a run_cnt) - (Get-Stat $b run_cnt)
                [pscustomobject]@{ Name = $a.name; Ns = ((Get-Stat $a run_time_ns) - (Get-Stat $b run_time_ns)) / [math]::Max(1, $cnt); Runs = $cnt }
            }
        }
        $runs | Group-Object Name | ForEach-Object {
            [pscustomobject]@{ Name = $_.Name; Ns = ($_.Group.Ns | Measure-Object -Average).Average; Runs = ($_.Group.Runs | Measure-Object -Sum).Sum }
        }
    } finally { $server.Kill(); $server.WaitForExit() }
}

function Add-OtherRules {
    # 999 rules of every kind, none of which matches the measured flow
    New-Item -ItemType Directory $cg | Out-Null
    1..600 | ForEach-Object { [pscustomobject]@{ Protocol = 'TCP'; RemotePort = 20000 + $_ } } | Set-WfLimit -Rate 10MB -Direction Ingress
    1..150 | ForEach-Object { [pscustomobject]@{ RemoteAddress = "10.77.$_.0/24" } } | Set-WfLimit -Rate 10MB -Direction Egress
    Set-WfLimit -ProcessName (1..150 | ForEach-Object { "wfnone$_" }) -Rate 10MB -Direction Egress
    Set-WfLimit -ProcessName (1..40 | ForEach-Object { "wfp$_*" }) -Rate 10MB -Direction Ingress
    Set-WfLimit -User (1..57 | ForEach-Object { 61000 + $_ }) -Rate 10MB -Direction Ingress
    Set-WfLimit -Cgroup $cg -Rate 10MB -Direction Ingress
    ip link add $dummy type veth peer name "$dummy-p" # this kernel has no dummy devices
    Set-WfLimit -Interface $dummy -Rate 10MB -Direction Ingress
}

$results = [ordered]@{}
try {
    Disable-Wirefisher
    foreach ($proto in 'tcp', 'udp') {
        $protoName = $proto.ToUpper()
        Set-WfLimit -Protocol $protoName -LocalPort $port -Rate 100GB -Direction Ingress -Name bench-flow-in
        Set-WfLimit -Protocol $protoName -RemotePort $port -Rate 100GB -Direction Egress -Name bench-flow-out
        $one = Measure-Cost $proto
        Add-OtherRules
        $count = @(Get-WfLimit).Count
        $many = Measure-Cost $proto
        foreach ($p in $one) {
            $m = $many | Where-Object Name -eq $p.Name
            $results["$proto $($p.Name)"] = [ordered]@{ OneRuleNs = $p.Ns; ManyRulesNs = $m.Ns; Rules = $count; Ratio = $m.Ns / $p.Ns }
            '{0} {1,-10}: 2 rules {2,6:N0} ns per run, {3} rules {4,6:N0} ns per run: {5:N2}x (goal <= 1.3x)' -f $protoName, $p.Name, $p.Ns, $count, $m.Ns, ($m.Ns / $p.Ns)
        }
        Get-WfLimit | Remove-WfLimit
        if (Test-Path $cg) { rmdir $cg }
        ip link del $dummy
    }
} finally {
    Get-WfLimit -ErrorAction SilentlyContinue | Remove-WfLimit -ErrorAction SilentlyContinue
    if (Test-Path $cg) { rmdir $cg 2>$null }
    ip link del $dummy 2>$null
    Disable-Wirefisher
}
if ($env:WIREFISHER_BENCH_OUT) {
    New-Item -ItemType Directory -Force $env:WIREFISHER_BENCH_OUT | Out-Null
    $results | ConvertTo-Json | Set-Content (Join-Path $env:WIREFISHER_BENCH_OUT 'rule-scaling.json')
}
'command: dotnet pwsh bench/Measure-RuleScaling.ps1'
