# Helpers shared by the end-to-end tests and the benchmarks: real traffic
# between two local processes (tests/tools/WfTraffic), on loopback or across a
# veth pair between two network namespaces the test makes and removes.

$script:Traffic = if ($env:WIREFISHER_TRAFFIC) { $env:WIREFISHER_TRAFFIC } else {
    Join-Path $PSScriptRoot '../../out/tools/WfTraffic/WfTraffic.dll' }

function Assert-WfKernelTestable {
    # End-to-end tests need root and BPF: where either is missing they fail, never skip.
    if ((id -u) -ne '0') { throw 'The end-to-end tests need root (they load eBPF programs).' }
    if (-not (Test-Path /sys/kernel/btf/vmlinux)) { throw 'The kernel has no BTF: the end-to-end tests need BPF.' }
    if (-not (Test-Path $script:Traffic)) { throw "The traffic tool is missing: $script:Traffic (run ./build.ps1 first)." }
}

function Get-WfTestPort {
    # A port for a test's listener, free now in this namespace, below the ephemeral range
    # (net.ipv4.ip_local_port_range, 32768-60999 here), which connect() takes its ports from:
    # there, ports that 100,000 short connections of one test left in TIME_WAIT made the next
    # test's listener fail with AddressAlreadyInUse. -Count: the first of that many free ports
    # in a row (a test that needs neighbours).
    param([int] $Count = 1)
    $high = [int]((Get-Content /proc/sys/net/ipv4/ip_local_port_range) -split '\s+')[0]
    for ($try = 0; $try -lt 100; $try++) {
        $first = Get-Random -Minimum 10000 -Maximum ($high - $Count)
        if (-not @($first..($first + $Count - 1) | Where-Object { -not (Test-WfPortFree $_) })) { return $first }
    }
    throw "No $Count free ports in a row between 10000 and $high."
}

function Send-WfTestDatagrams {
    # Sends -Each datagrams of -Size bytes to each of the ports on 127.0.0.1, the ports in turn, from
    # one unconnected UDP socket of this process (sendto; nobody need listen: loopback drops nothing
    # on the way out, and an unconnected socket is told of no ICMP error)
    param([int[]] $Port, [int] $Each, [int] $Size)
    $s = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
    try {
        $to = $Port | ForEach-Object { [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $_) }
        $buf = [byte[]]::new($Size)
        foreach ($i in 1..$Each) { foreach ($e in $to) { [void]$s.SendTo($buf, $e) } }
    } finally { $s.Dispose() }
}

function Test-WfPortFree {
    param([int] $Port)
    $tcp = [System.Net.Sockets.TcpListener]::new([ipaddress]::IPv6Any, $Port)
    $udp = $null
    try {
        $tcp.Server.DualMode = $true
        $tcp.Start()
        $udp = [System.Net.Sockets.UdpClient]::new([System.Net.Sockets.AddressFamily]::InterNetworkV6)
        $udp.Client.DualMode = $true
        $udp.Client.Bind([System.Net.IPEndPoint]::new([ipaddress]::IPv6Any, $Port))
        $true
    } catch [System.Net.Sockets.SocketException] {
        $false
    } finally {
        $tcp.Stop()
        if ($udp) { $udp.Dispose() }
    }
}

function Start-WfTrafficProcess {
    <# Starts WfTraffic (optionally inside a network namespace, as another program
       (New-WfNamedTraffic), inside a cgroup or as another user); stdout goes to a file. #>
    param([string[]] $Arguments, [string] $Netns, [string] $Exe, [string] $Cgroup, [string] $User, [string] $Parent)
    $log = [IO.Path]::GetTempFileName()
    $argv = if ($Exe) { @($Exe) + $Arguments } else { @('dotnet', $script:Traffic) + $Arguments }
    # a shell of another name (New-WfNamedTraffic -Shell) that starts WfTraffic as its child
    if ($Parent) { $argv = @($Parent, (Join-Path $PSScriptRoot '../tools/wf-fork.sh')) + $argv }
    $run = Join-Path $PSScriptRoot '../tools/wf-run.sh'
    if ($Cgroup -or $User) { chmod a+rw $log }
    if ($User) { $argv = @($run, '-', $User) + $argv }
    if ($Netns) { $argv = @('ip', 'netns', 'exec', $Netns) + $argv }
    # the cgroup is joined outside the namespace: ip netns exec mounts a /sys of its own, without cgroup2
    if ($Cgroup) { $argv = @($run, $Cgroup, '-') + $argv }
    $file = $argv[0]; $argv = $argv[1..($argv.Count - 1)]
    $p = Start-Process -FilePath $file -ArgumentList $argv -RedirectStandardOutput $log -PassThru
    [pscustomobject]@{ Process = $p; Log = $log; Pid = $p.Id }
}

function Read-WfTrafficLines {
    param($Proc, [string] $Event)
    if (-not (Test-Path $Proc.Log)) { return @() }
    @(Get-Content $Proc.Log -ErrorAction SilentlyContinue | Where-Object { $_ -like '{*' } |
        ForEach-Object { $_ | ConvertFrom-Json } | Where-Object { -not $Event -or $_.event -eq $Event })
}

function Wait-WfTrafficReady {
    param($Proc, [int] $TimeoutSeconds = 20, [string] $Event = 'ready')
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ((Get-Date) -lt $deadline) {
        $r = Read-WfTrafficLines $Proc $Event | Select-Object -First 1
        if ($r) { return $r }
        if ($Proc.Process.HasExited) { break }
        Start-Sleep -Milliseconds 100
    }
    throw "WfTraffic did not get ready: $(Get-Content $Proc.Log -Raw -ErrorAction SilentlyContinue)"
}

function Start-WfTrafficPair {
    <# A receiver and a sender. Returns Receiver, Sender (each with Pid) for the tests. #>
    param(
        [ValidateSet('tcp', 'udp')] [string] $Proto = 'tcp',
        [string] $Address = '127.0.0.1',
        [int] $Port = 0,
        [int] $Conns = 1,
        [ValidateSet('seed', 'flood')] [string] $Pattern = 'seed',
        [double] $Scale = 1,
        [string] $ReceiverNetns,
        [string] $SenderNetns,
        [string] $Bind,
        [int] $DelayStartMs = 0,
        # runs with the receiver's PID once it listens, before the sender connects
        [scriptblock] $OnReceiverReady,
        # the receiver as another program (New-WfNamedTraffic), in a cgroup, as another user
        [string] $ReceiverExe, [string] $ReceiverCgroup, [string] $ReceiverUser, [string] $ReceiverParent,
        # the sender listens and the receiver connects: the sender's sockets come from accept()
        [switch] $SenderListens
    )
    if ($Port -eq 0) { $Port = Get-WfTestPort }
    if (-not $Bind) { $Bind = $Address }
    $sendArgs = @('send', '--proto', $Proto, '--to', $Address, '--port', $Port, '--conns', $Conns, '--pattern', $Pattern,
        '--scale', $Scale, '--delay-start-ms', $DelayStartMs, '--no-stdin-watch')
    if ($SenderListens) {
        # the sender listens, the receiver connects: the sender's sockets come from accept()
        $send = Start-WfTrafficProcess -Netns $SenderNetns -Arguments ($sendArgs + '--listen')
        $null = Wait-WfTrafficReady $send -Event listening
        $recv = Start-WfTrafficProcess -Netns $ReceiverNetns -Arguments @('recv', '--proto', $Proto, '--connect', $Address,
            '--port', $Port, '--conns', $Conns, '--no-stdin-watch')
        $recv.Pid = (Wait-WfTrafficReady $recv).pid
        $send.Pid = (Wait-WfTrafficReady $send).pid
    } else {
        $recv = Start-WfTrafficProcess -Netns $ReceiverNetns -Exe $ReceiverExe -Cgroup $ReceiverCgroup -User $ReceiverUser -Parent $ReceiverParent `
            -Arguments @('recv', '--proto', $Proto, '--bind', $Bind, '--port', $Port, '--no-stdin-watch')
        $recv.Pid = (Wait-WfTrafficReady $recv).pid
        if ($OnReceiverReady) { & $OnReceiverReady $recv.Pid }
        $send = Start-WfTrafficProcess -Netns $SenderNetns -Arguments $sendArgs
        $send.Pid = (Wait-WfTrafficReady $send).pid
    }
    [pscustomobject]@{ Receiver = $recv; Sender = $send; Proto = $Proto; Port = $Port }
}

function Stop-WfTrafficPair {
    param($Pair)
    foreach ($p in @($Pair.Sender, $Pair.Receiver)) {
        if ($p -and -not $p.Process.HasExited) {
            kill -TERM $p.Pid 2>$null
            if (-not $p.Process.WaitForExit(3000)) { kill -KILL $p.Pid 2>$null; $p.Process.WaitForExit(2000) | Out-Null }
        }
        if ($p) { Remove-Item $p.Log -ErrorAction SilentlyContinue }
    }
}

function Get-WfReceiverTicks {
    <# Waits until the receiver has printed $Count ticks that began after $After (its tick index), returns them. #>
    param($Pair, [int] $Count, [int] $After = -1, [int] $TimeoutSeconds = 0)
    if ($TimeoutSeconds -eq 0) { $TimeoutSeconds = $Count + 15 }
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    do {
        $ticks = @(Read-WfTrafficLines $Pair.Receiver 'tick' | Where-Object { $_.k -gt $After })
        if ($ticks.Count -ge $Count) { return $ticks[0..($Count - 1)] }
        Start-Sleep -Milliseconds 200
    } while ((Get-Date) -lt $deadline)
    throw "Only $($ticks.Count) of $Count receiver ticks arrived."
}

function Get-WfLastTickIndex {
    param($Pair)
    $t = Read-WfTrafficLines $Pair.Receiver 'tick' | Select-Object -Last 1
    if ($t) { [int]$t.k } else { -1 }
}

function Measure-WfLimitAccuracy {
    <#
    Ticks after the limit was set: the one under way and $Settle more are skipped (the
    receiving application may still be reading what sat in its socket buffers before the
    limit came: bytes the limit never saw), then $Seconds whole seconds. Returns Mean
    (bytes/s), MeanRatio, the per-second ratios, and WorstAfterFirst (the largest
    |ratio - 1| of the seconds after the first).
    #>
    param($Pair, [double] $Rate, [int] $Seconds = 10, [int] $Settle = 1)
    $start = (Get-WfLastTickIndex $Pair) + 1 + $Settle
    $ticks = Get-WfReceiverTicks $Pair -Count $Seconds -After $start
    $rates = @($ticks | ForEach-Object { $_.bytes / $_.dt })
    $ratios = @($rates | ForEach-Object { $_ / $Rate })
    $mean = ($rates | Measure-Object -Average).Average
    $worst = ($ratios | Select-Object -Skip 1 | ForEach-Object { [math]::Abs($_ - 1) } | Measure-Object -Maximum).Maximum
    [pscustomobject]@{
        Mean = $mean; MeanRatio = $mean / $Rate; Ratios = $ratios; WorstAfterFirst = $worst
        Text = ('mean {0:N3}, seconds {1}' -f ($mean / $Rate), (($ratios | ForEach-Object { $_.ToString('N2') }) -join ' '))
    }
}

function Invoke-WfShortConnections {
    <# $Count short TCP connections on loopback, in this process (100 bytes each way); returns the elapsed time. #>
    param([int] $Count)
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try {
        $port = $listener.LocalEndpoint.Port
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $payload = [byte[]]::new(100)
        for ($i = 0; $i -lt $Count; $i++) {
            $c = [Net.Sockets.TcpClient]::new()
            $c.Connect([Net.IPAddress]::Loopback, $port)
            $s = $listener.AcceptTcpClient()
            $c.GetStream().Write($payload, 0, $payload.Length)
            $null = $s.GetStream().Read($payload, 0, $payload.Length)
            $c.Dispose(); $s.Dispose()
        }
        $watch.Elapsed
    } finally { $listener.Stop() }
}

function New-WfNamedTraffic {
    <# WfTraffic as a program of its own name and file (its apphost, copied): for
       rules by process name and by executable. -Shell: a copy of /bin/sh of that
       name instead (a parent for WfTraffic). Returns the program's path. #>
    param([string] $Name = "wft$(Get-Random -Maximum 99999)", [switch] $Shell)
    $dir = Join-Path ([IO.Path]::GetTempPath()) "wfbin-$Name"
    New-Item -ItemType Directory -Force $dir | Out-Null
    $src = Split-Path $script:Traffic
    foreach ($f in 'WfTraffic.dll', 'WfTraffic.deps.json', 'WfTraffic.runtimeconfig.json') {
        New-Item -ItemType SymbolicLink -Force -Path (Join-Path $dir $f) -Target (Join-Path $src $f) | Out-Null
    }
    Copy-Item $(if ($Shell) { readlink -f /bin/sh } else { Join-Path $src 'WfTraffic' }) (Join-Path $dir $Name)
    chmod -R a+rx $dir
    $env:DOTNET_ROOT = Split-Path (Get-Command dotnet).Source | ForEach-Object { (Get-Item (Join-Path $_ 'dotnet')).ResolvedTarget } | Split-Path
    Join-Path $dir $Name
}

function Remove-WfNamedTraffic {
    param([string] $Exe)
    if ($Exe) { Remove-Item -Recurse -Force (Split-Path $Exe) -ErrorAction SilentlyContinue }
}

function New-WfVethPair {
    <# Two namespaces joined by a veth pair (1500 MTU), private addresses only inside them. #>
    param([string] $Prefix = "wft$(Get-Random -Maximum 9999)")
    $a = "$Prefix-a"; $b = "$Prefix-b"
    ip netns add $a; ip netns add $b
    ip link add "$Prefix-va" type veth peer name "$Prefix-vb"
    ip link set "$Prefix-va" netns $a; ip link set "$Prefix-vb" netns $b
    ip -n $a addr add 10.211.0.1/24 dev "$Prefix-va"; ip -n $b addr add 10.211.0.2/24 dev "$Prefix-vb"
    ip -n $a addr add fd00:211::1/64 dev "$Prefix-va" nodad; ip -n $b addr add fd00:211::2/64 dev "$Prefix-vb" nodad
    foreach ($n in $a, $b) { ip -n $n link set lo up }
    ip -n $a link set "$Prefix-va" up; ip -n $b link set "$Prefix-vb" up
    if ($LASTEXITCODE -ne 0) { Remove-WfVethPair -Pair ([pscustomobject]@{ A = $a; B = $b }); throw 'Could not set up the veth pair.' }
    [pscustomobject]@{ A = $a; B = $b; AddressA = '10.211.0.1'; AddressB = '10.211.0.2'; Address6A = 'fd00:211::1'; Address6B = 'fd00:211::2' }
}

function Remove-WfVethPair {
    param($Pair)
    foreach ($n in $Pair.A, $Pair.B) { if ($n) { ip netns del $n 2>$null } }
}

function Set-WfFlowSteering {
    <#
    Makes a veth end hand each flow it receives to one CPU (RPS over all CPUs, by the flow's hash), as a NIC's
    receive queues do. Without it a veth queues each packet on the backlog of the CPU that sent it, so a flow
    whose sender moves between CPUs arrives out of order (a paced TCP socket sends from its pacing timer as well
    as from its process), and the sender retransmits segments that were never lost: 90 and 135 in 2 of 8 runs of
    a 100 MiB/s flood, all fast retransmits that DSACKs then showed spurious; with steering 0 in 12 (2026-12-05).
    #>
    param([string] $Netns, [Parameter(Mandatory)] [string] $Device)
    # a hex CPU mask, 32 bits between commas as the kernel writes it
    $n = [Environment]::ProcessorCount
    $hex = ('{0:x}' -f ((1 -shl ($n % 4)) - 1)).TrimStart('0') + ('f' * [math]::Floor($n / 4))
    $mask = ($hex.PadLeft([math]::Ceiling($hex.Length / 8) * 8, '0') -split '(?<=\G.{8})' | Where-Object { $_ }) -join ','
    $set = "for q in /sys/class/net/$Device/queues/rx-*; do echo $mask > `$q/rps_cpus || exit 1; done"
    if ($Netns) { ip netns exec $Netns sh -c $set } else { sh -c $set }
    if ($LASTEXITCODE -ne 0) { throw "Could not steer the flows of $Device$(if ($Netns) { " in $Netns" })." }
}

function New-WfHostVeth {
    <# A veth pair between this namespace (10.<Net>.0.1 on Device) and one it makes (10.<Net>.0.2 in Netns);
    -SteerFlows: each end hands a flow to one CPU (Set-WfFlowSteering). #>
    param([Parameter(Mandatory)] [int] $Net, [string] $Prefix = "wfh$(Get-Random -Maximum 9999)", [switch] $SteerFlows)
    $ns = "$Prefix-n"
    ip netns add $ns
    ip link add "$Prefix-h" type veth peer name "$Prefix-p"
    ip link set "$Prefix-p" netns $ns
    ip addr add "10.$Net.0.1/24" dev "$Prefix-h"; ip link set "$Prefix-h" up
    ip -n $ns addr add "10.$Net.0.2/24" dev "$Prefix-p"; ip -n $ns link set "$Prefix-p" up; ip -n $ns link set lo up
    if ($SteerFlows) { Set-WfFlowSteering -Device "$Prefix-h"; Set-WfFlowSteering -Netns $ns -Device "$Prefix-p" }
    [pscustomobject]@{ Netns = $ns; Device = "$Prefix-h"; HostAddress = "10.$Net.0.1"; NsAddress = "10.$Net.0.2" }
}

function Remove-WfHostVeth {
    param($Veth)
    ip link del $Veth.Device 2>$null
    ip netns del $Veth.Netns 2>$null
}

Export-ModuleMember -Function *-Wf*
