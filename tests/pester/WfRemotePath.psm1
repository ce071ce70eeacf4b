using module ./WfTestHelpers.psm1
# A download path that looks remote to Wirefisher: sender -> router -> receiver in
# three network namespaces, the router NATing both ways, so that no socket of this
# host has the receiver's 5-tuple reversed and the sender cannot be paced from
# here. Optionally a delay line (tests/tools/WfDelay) between router and receiver
# gives the path an internet-like RTT, since the kernel has no netem.

$script:Root = Join-Path $PSScriptRoot '../..'

function Invoke-WfNative {
    # Runs a native command and throws with its output if it fails. A plain function
    # (no param block), so that "-n" and the like reach the command, not PowerShell.
    $File, $Arguments = $args
    $out = & $File @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed ($LASTEXITCODE): $($out -join "`n")" }
}

function Get-WfDelayTool {
    # The build puts it in out/tools; until then (or from a bare checkout) compile it here.
    $exe = $env:WIREFISHER_DELAY ?? (Join-Path $script:Root 'out/tools/wfdelay')
    if (-not (Test-Path $exe)) {
        $null = New-Item -ItemType Directory -Force (Split-Path $exe)
        Invoke-WfNative gcc -O2 -Wall -o $exe (Join-Path $script:Root 'tests/tools/WfDelay/wfdelay.c')
    }
    (Resolve-Path $exe).Path
}

function Get-WfPingRtt {
    # Per-packet RTTs in ms of a ping from a namespace; lost packets are left out.
    param([string] $Netns, [string] $Address, [int] $Count, [double] $Interval = 0.1, [int] $WaitSeconds = 1)
    $out = ip netns exec $Netns ping -n -c $Count -i $Interval -W $WaitSeconds $Address 2>$null
    @($out | Select-String 'time=([\d.]+) ms' | ForEach-Object { [double]$_.Matches[0].Groups[1].Value })
}

function New-WfRemotePath {
    <#
    Namespaces S (sender), R (router), C (receiver); with -DelayMs, D between R and C,
    where wfdelay bridges R's and C's veths and holds each frame DelayMs each way.
    The router masquerades towards both sides: when the sender connects, the receiver
    sees RouterAddress as its peer; when the receiver connects, the sender sees the router.
    #>
    param(
        [ValidateLength(1, 11)] [string] $Prefix = "wfr$(Get-Random -Maximum 9999)",
        [ValidateRange(0, 5000)] [int] $DelayMs = 0,
        # the sender's (and receiver's) TCP congestion control; default: the host's (new namespaces inherit it)
        [string] $CongestionControl,
        # the receiving leg keeps its offloads and the receiver's device aggregates (GRO), as a NIC does:
        # the receiver gets super-packets of many segments; not with a delay line, which cannot carry them
        [switch] $SuperPackets,
        # each veth end hands a flow's packets to one CPU (Set-WfFlowSteering), as a NIC's receive queues do
        [switch] $SteerFlows
    )
    if ($SuperPackets -and $DelayMs -gt 0) { throw 'New-WfRemotePath: -SuperPackets cannot pass a delay line (it forwards MTU-sized frames)' }
    $s = "$Prefix-s"; $r = "$Prefix-r"; $c = "$Prefix-c"; $d = if ($DelayMs -gt 0) { "$Prefix-d" }
    $path = [pscustomobject]@{
        SenderNetns = $s; RouterNetns = $r; ReceiverNetns = $c; DelayNetns = $d
        ReceiverDevice = "$Prefix-cr"; RouterDevice = "$Prefix-rc"
        SenderAddress = '10.212.1.2'; SenderAddress6 = 'fd00:212:1::2'
        ReceiverAddress = '10.212.2.2'; ReceiverAddress6 = 'fd00:212:2::2'
        RouterAddress = '10.212.2.1'; RouterAddress6 = 'fd00:212:2::1'
        DelayMs = $DelayMs; CongestionControl = $null; DelayProcess = $null; DelayLog = $null
        # only what this call made: a clash with someone else's namespace must not remove it
        Namespaces = [Collections.Generic.List[string]]::new()
    }
    try {
        foreach ($n in @($s, $r, $c, $d) | Where-Object { $_ }) {
            Invoke-WfNative ip netns add $n
            $path.Namespaces.Add($n)
            Invoke-WfNative ip -n $n link set lo up
        }
        Invoke-WfNative ip link add "$Prefix-sr" netns $s type veth peer name "$Prefix-rs" netns $r
        if ($d) {
            Invoke-WfNative ip link add "$Prefix-rc" netns $r type veth peer name "$Prefix-dr" netns $d
            Invoke-WfNative ip link add "$Prefix-dc" netns $d type veth peer name "$Prefix-cr" netns $c
        } else {
            Invoke-WfNative ip link add "$Prefix-rc" netns $r type veth peer name "$Prefix-cr" netns $c
        }
        Invoke-WfNative ip -n $s addr add 10.212.1.2/24 dev "$Prefix-sr"
        Invoke-WfNative ip -n $s addr add fd00:212:1::2/64 dev "$Prefix-sr" nodad
        Invoke-WfNative ip -n $r addr add 10.212.1.1/24 dev "$Prefix-rs"
        Invoke-WfNative ip -n $r addr add fd00:212:1::1/64 dev "$Prefix-rs" nodad
        Invoke-WfNative ip -n $r addr add 10.212.2.1/24 dev "$Prefix-rc"
        Invoke-WfNative ip -n $r addr add fd00:212:2::1/64 dev "$Prefix-rc" nodad
        Invoke-WfNative ip -n $c addr add 10.212.2.2/24 dev "$Prefix-cr"
        Invoke-WfNative ip -n $c addr add fd00:212:2::2/64 dev "$Prefix-cr" nodad
        $links = @{ $s = @("$Prefix-sr"); $r = @("$Prefix-rs", "$Prefix-rc"); $c = @("$Prefix-cr") }
        if ($d) { $links[$d] = @("$Prefix-dr", "$Prefix-dc") }
        # The receiving leg carries MTU-sized frames with full checksums, with or without
        # the delay line (which cannot pass super-packets or partial checksums), so both
        # paths hand the receiver the same packets, as a NIC on a 1500-byte link would without GRO
        # (-SuperPackets: with it).
        $rxLeg = @(($r, "$Prefix-rc"), ($c, "$Prefix-cr"))
        if ($d) { $rxLeg += , ($d, "$Prefix-dr"); $rxLeg += , ($d, "$Prefix-dc") }
        if ($SuperPackets) {
            # the router sends what the sender's TSO made whole, and the receiver merges what comes in bursts
            Invoke-WfNative ip netns exec $c ethtool -K "$Prefix-cr" gro on
        } else {
            foreach ($leg in $rxLeg) {
                Invoke-WfNative ip netns exec $leg[0] ethtool -K $leg[1] tso off gso off gro off tx off rx off
            }
        }
        if ($d) {
            # D is a wire: no addresses, no router solicitations of its own
            Invoke-WfNative ip netns exec $d sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        }
        foreach ($n in $links.Keys) { foreach ($l in $links[$n]) { Invoke-WfNative ip -n $n link set $l up } }
        # a route's congctl, because a namespace may not make a restricted algorithm its default
        $cc = if ($CongestionControl) { @('congctl', $CongestionControl) } else { @() }
        Invoke-WfNative ip -n $s route add default via 10.212.1.1 @cc
        Invoke-WfNative ip -n $s -6 route add default via fd00:212:1::1 @cc
        Invoke-WfNative ip -n $c route add default via 10.212.2.1 @cc
        Invoke-WfNative ip -n $c -6 route add default via fd00:212:2::1 @cc
        Invoke-WfNative ip netns exec $r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
        $path.CongestionControl = $CongestionControl ? $CongestionControl : "$(ip netns exec $s sysctl -n net.ipv4.tcp_congestion_control)"
        foreach ($ipt in 'iptables', 'ip6tables') {
            foreach ($out in "$Prefix-rs", "$Prefix-rc") {
                Invoke-WfNative ip netns exec $r $ipt -t nat -A POSTROUTING -o $out -j MASQUERADE
            }
        }
        if ($SteerFlows) { foreach ($n in $links.Keys) { foreach ($l in $links[$n]) { Set-WfFlowSteering -Netns $n -Device $l } } }
        if ($d) {
            $path.DelayLog = [IO.Path]::GetTempFileName()
            Set-WfDelayLine $path $DelayMs
        }
        # Working means a ping crosses the whole path (and through the delay line, shows it).
        $deadline = (Get-Date).AddSeconds(15)
        do {
            $rtt = @(Get-WfPingRtt -Netns $s -Address $path.ReceiverAddress -Count 1 -WaitSeconds 2) +
                @(Get-WfPingRtt -Netns $s -Address $path.ReceiverAddress6 -Count 1 -WaitSeconds 2)
            if ($rtt.Count -eq 2 -and ($rtt | Measure-Object -Minimum).Minimum -ge 2 * $DelayMs) { return $path }
        } while ((Get-Date) -lt $deadline)
        throw "The path does not carry pings with an RTT of at least $(2 * $DelayMs) ms (got: $($rtt -join ', '))."
    } catch {
        Remove-WfRemotePath $path
        throw
    }
}

function Set-WfDelayLine {
    <# Starts the path's delay line holding each frame DelayMs each way; a running one is stopped first, so a
    test can change the RTT under a live connection. Returns once wfdelay says it is ready. #>
    param([Parameter(Mandatory)] $Path, [Parameter(Mandatory)] [int] $DelayMs)
    $prefix = $Path.SenderNetns -replace '-s$'
    Stop-WfDelayLine $Path
    Set-Content $Path.DelayLog ''
    $Path.DelayProcess = Start-Process -FilePath ip -PassThru -RedirectStandardOutput $Path.DelayLog `
        -RedirectStandardError "$($Path.DelayLog).err" `
        -ArgumentList @('netns', 'exec', $Path.DelayNetns, (Get-WfDelayTool), "$prefix-dr", "$prefix-dc", $DelayMs)
    $deadline = (Get-Date).AddSeconds(10)
    while (-not ((Get-Content $Path.DelayLog -ErrorAction SilentlyContinue) -contains 'ready')) {
        if ($Path.DelayProcess.HasExited -or (Get-Date) -gt $deadline) {
            throw "wfdelay did not start: $(Get-Content "$($Path.DelayLog).err" -Raw -ErrorAction SilentlyContinue)"
        }
        Start-Sleep -Milliseconds 50
    }
    $Path.DelayMs = $DelayMs
}

function Stop-WfDelayLine {
    # Never throws.
    param($Path)
    try {
        $p = $Path.DelayProcess
        if ($p -and -not $p.HasExited) {
            kill -TERM $p.Id 2>$null
            if (-not $p.WaitForExit(3000)) { kill -KILL $p.Id 2>$null; $null = $p.WaitForExit(2000) }
        }
    } catch { }
    $global:LASTEXITCODE = 0
}

function Remove-WfRemotePath {
    # Never throws; safe to run twice or on a half-built path.
    param($Path)
    if (-not $Path) { return }
    Stop-WfDelayLine $Path
    # the veths are made inside the namespaces, so they go with them
    foreach ($n in @($Path.Namespaces)) { if ($n -and (Test-Path "/run/netns/$n")) { ip netns del $n 2>$null } }
    foreach ($f in $Path.DelayLog, "$($Path.DelayLog).err") { if ($f) { Remove-Item $f -ErrorAction SilentlyContinue } }
    $global:LASTEXITCODE = 0
}

function Get-WfNetnsCounter {
    <# Absolute nstat counters of a namespace, as a hashtable: take two and subtract. #>
    param([Parameter(Mandatory)] [string] $Netns, [string[]] $Name = @('TcpRetransSegs', 'TcpOutSegs'))
    # -s: the history file is shared by every namespace and user of nstat; leave it alone
    $lines = ip netns exec $Netns nstat -asz @Name 2>$null
    $h = @{}
    foreach ($n in $Name) { $h[$n] = [long]0 }
    foreach ($l in $lines) {
        $f = -split $l
        if ($f.Count -ge 2 -and $h.ContainsKey($f[0])) { $h[$f[0]] = [long]$f[1] }
    }
    $h
}

function Get-WfTcpInfo {
    <#
    One field of ss -im (snd_wnd, rcv_ssthresh, rb of skmem, ...) for each established TCP connection in a
    namespace, as numbers. ss leaves a field out when it is 0 (snd_wnd of a sender that sees a zero window,
    as a flood's receiver that falls behind advertises), so a connection without it counts as 0.
    #>
    param([Parameter(Mandatory)] [string] $Netns, [Parameter(Mandatory)] [string] $Field)
    @(Get-WfTcpDetails $Netns | ForEach-Object { if ($_ -match "\b$($Field):?(\d+)") { [long]$Matches[1] } else { 0L } })
}

function Get-WfTcpDetails {
    <# The ss -im details of each established TCP connection in a namespace, a line each, from one ss call. #>
    param([Parameter(Mandatory)] [string] $Netns)
    # each connection is a line, then its details on a line that starts with a tab
    @(ip netns exec $Netns ss -timH state established 2>$null | Where-Object { $_ -match '^\s' })
}

function Get-WfUnacknowledged {
    <# What the TCP senders of a namespace have sent and not had acknowledged (bytes_sent - bytes_acked of ss -i,
    read in one call: a second call may come after megabytes more were acknowledged). #>
    param([Parameter(Mandatory)] [string] $Netns)
    $sum = 0L
    foreach ($d in Get-WfTcpDetails $Netns) {
        if ($d -match '\bbytes_sent:(\d+)') {
            $sent = [long]$Matches[1]
            $sum += [math]::Max(0L, $sent - $(if ($d -match '\bbytes_acked:(\d+)') { [long]$Matches[1] } else { 0L }))
        }
    }
    $sum
}

function Measure-WfPathLatency {
    <# Median ping RTT (ms) from the sender to the receiver; NaN if no reply came back. #>
    param([Parameter(Mandatory)] $Path, [int] $Count = 10, [double] $Interval = 0.1)
    $rtt = @(Get-WfPingRtt -Netns $Path.SenderNetns -Address $Path.ReceiverAddress -Count $Count -Interval $Interval | Sort-Object)
    if ($rtt.Count -eq 0) { return [double]::NaN }
    $m = [int][math]::Floor($rtt.Count / 2)
    if ($rtt.Count % 2) { $rtt[$m] } else { ($rtt[$m - 1] + $rtt[$m]) / 2 }
}

Export-ModuleMember -Function New-WfRemotePath, Remove-WfRemotePath, Get-WfNetnsCounter, Get-WfTcpInfo, Get-WfUnacknowledged, Measure-WfPathLatency, Set-WfDelayLine
