# The seed's own test, automated: a receiver and a sender with the seed's traffic
# (random sizes and gaps, bursts, a pace that changes every second), connected
# before the limit is set; the limit is judged by what the receiver receives.
# Mean over 10 s within 3 % of the rate; no second after the first off by more than 15 %.

BeforeDiscovery {
    $script:cases = foreach ($where in 'loopback', 'veth') {
        foreach ($rate in 1MB, 10MB) {
            @{ Where = $where; Proto = 'tcp'; Direction = 'Ingress'; Rate = $rate; Conns = 1 }
            @{ Where = $where; Proto = 'tcp'; Direction = 'Egress'; Rate = $rate; Conns = 1 }
            @{ Where = $where; Proto = 'udp'; Direction = 'Ingress'; Rate = $rate; Conns = 1 }
            @{ Where = $where; Proto = 'udp'; Direction = 'Egress'; Rate = $rate; Conns = 1 }
        }
        @{ Where = $where; Proto = 'tcp'; Direction = 'Ingress'; Rate = 1MB; Conns = 4 }
        @{ Where = $where; Proto = 'tcp'; Direction = 'Egress'; Rate = 1MB; Conns = 4 }
    }
}

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/WfRemotePath.psm1" -Force
    Assert-WfKernelTestable
    $script:veth = New-WfVethPair
}

AfterAll {
    if ($script:veth) { Remove-WfVethPair $script:veth }
    Disable-Wirefisher -ErrorAction SilentlyContinue
}

Describe 'A limit holds its rate' -Tag Kernel {
    It '<Where> <Proto> <Direction> <Conns>x at <Rate> B/s' -ForEach $cases {
        # the TCP egress case limits a sender whose sockets came from accept()
        $listens = $Direction -eq 'Egress' -and $Proto -eq 'tcp'
        $net = if ($Where -eq 'veth') {
            @{ Address = if ($listens) { $veth.AddressA } else { $veth.AddressB }; ReceiverNetns = $veth.B; SenderNetns = $veth.A }
        } else { @{ Address = '127.0.0.1' } }
        $pair = Start-WfTrafficPair -Proto $Proto -Conns $Conns -Scale ([math]::Max(1, $Rate / 1MB * 2)) -SenderListens:$listens @net
        try {
            Start-Sleep -Seconds 1
            $target = if ($Direction -eq 'Ingress') { $pair.Receiver.Pid } else { $pair.Sender.Pid }
            Set-WfLimit -Pid $target -Rate $Rate -Direction $Direction
            $m = Measure-WfLimitAccuracy $pair -Rate $Rate -Seconds 10
            Write-Host "    $Where $Proto $Direction x$Conns $($Rate / 1MB) MiB/s: $($m.Text)"
            $m.MeanRatio | Should -BeGreaterOrEqual 0.97 -Because $m.Text
            $m.MeanRatio | Should -BeLessOrEqual 1.03 -Because $m.Text
            $m.WorstAfterFirst | Should -BeLessOrEqual 0.15 -Because $m.Text
        } finally {
            Remove-WfLimit -Pid $target -ErrorAction SilentlyContinue
            Stop-WfTrafficPair $pair
        }
    }
}

Describe 'A limit set before the connection exists' -Tag Kernel {
    It '<_> TCP ingress: connections made after the limit are held to it too' -ForEach 'loopback', 'veth' {
        $net = if ($_ -eq 'veth') { @{ Address = $veth.AddressB; ReceiverNetns = $veth.B; SenderNetns = $veth.A } } else { @{ Address = '127.0.0.1' } }
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 1MB -Direction Ingress } @net
        try {
            $m = Measure-WfLimitAccuracy $pair -Rate 1MB -Seconds 10
            Write-Host "    $_ limit first: $($m.Text)"
            $m.MeanRatio | Should -BeGreaterOrEqual 0.97 -Because $m.Text
            $m.MeanRatio | Should -BeLessOrEqual 1.03 -Because $m.Text
            $m.WorstAfterFirst | Should -BeLessOrEqual 0.15 -Because $m.Text
        } finally {
            Remove-WfLimit -Pid $pair.Receiver.Pid -ErrorAction SilentlyContinue
            Stop-WfTrafficPair $pair
        }
    }
}

Describe 'A slow paced sender sends small super-packets' -Tag Kernel {
    # On a path under 0.5 ms TCP sends 64 KiB super-packets whatever its pacing rate, at 1 MiB/s
    # one every 62 ms: a second then holds 16 or 17 and reads 0.994 or 1.056. Wirefisher clamps a
    # slow paced socket's congestion window to 10 ms of its rate (bpf/lib/wf_pace.h).
    It 'veth TCP <Direction> at 1 MiB/s, <Cc> sender: every second within 3 %, and the window free after Remove-WfLimit' -ForEach @(
        @{ Direction = 'Egress'; Cc = 'bbr' }, @{ Direction = 'Egress'; Cc = 'cubic' }, @{ Direction = 'Ingress'; Cc = 'cubic' }
    ) {
        # cubic keeps the window it had before the limit (it never fills it when paced): congestion
        # notifications bring it down; Ingress: the sender is paced as the sending end of the receiver's limit
        $oldCc = ip netns exec $veth.A sysctl -n net.ipv4.tcp_congestion_control
        ip netns exec $veth.A sysctl -qw "net.ipv4.tcp_congestion_control=$Cc"
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -Address $veth.AddressB -ReceiverNetns $veth.B -SenderNetns $veth.A
        $target = if ($Direction -eq 'Ingress') { $pair.Receiver.Pid } else { $pair.Sender.Pid }
        $removed = $false
        try {
            Start-Sleep -Seconds 1
            Set-WfLimit -Pid $target -Rate 1MB -Direction $Direction
            $m = Measure-WfLimitAccuracy $pair -Rate 1MB -Seconds 10
            Write-Host "    veth paced 1 MiB/s, $Direction, $($Cc): $($m.Text)"
            $m.MeanRatio | Should -BeGreaterOrEqual 0.99 -Because $m.Text
            $m.MeanRatio | Should -BeLessOrEqual 1.01 -Because $m.Text
            ($m.Ratios | ForEach-Object { [math]::Abs($_ - 1) } | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 0.03 -Because $m.Text
            $limited = @(Get-WfTcpInfo -Netns $veth.A -Field cwnd)
            $limited.Count | Should -Be 1
            Remove-WfLimit -Pid $target
            $removed = $true
            # the seed's pattern sends 2 MiB/s: an unclamped window grows past the clamp within a second
            Start-Sleep -Seconds 2
            $free = @(Get-WfTcpInfo -Netns $veth.A -Field cwnd)
            $free[0] | Should -BeGreaterThan $limited[0] -Because "cwnd $($limited[0]) limited, $($free[0]) after Remove-WfLimit"
        } finally {
            if (-not $removed) { Remove-WfLimit -Pid $target -ErrorAction SilentlyContinue }
            Stop-WfTrafficPair $pair
            ip netns exec $veth.A sysctl -qw "net.ipv4.tcp_congestion_control=$oldCc"
        }
    }

    It 'the clamped window follows the RTT: a path that grows from 2 to 30 ms still carries 1 MiB/s' {
        # cubic: BBR keeps the 2 ms as its minimum RTT for 10 s after the path grows, and its window
        # then carried 0.67-0.77 of the rate for two seconds with or without the clamp (2026-12-05)
        $path = New-WfRemotePath -DelayMs 1 -CongestionControl cubic
        $pair = $null
        try {
            $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -Address $path.ReceiverAddress -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns
            Start-Sleep -Seconds 1
            Set-WfLimit -Pid $pair.Sender.Pid -Rate 1MB -Direction Egress
            $before = Measure-WfLimitAccuracy $pair -Rate 1MB -Seconds 3
            # the same delay line again, now holding each frame 15 ms: a window clamped for 2 ms
            # (10 ms of the rate, 8 segments) would carry a third of the rate over 30 ms (0.36 with the
            # clamp held where it was: measured)
            Set-WfDelayLine $path 15
            $after = Measure-WfLimitAccuracy $pair -Rate 1MB -Seconds 5 -Settle 2
            $rtt = Measure-WfPathLatency $path -Count 3
            Write-Host "    RTT 2 -> $rtt ms: before $($before.Text); after $($after.Text)"
            $rtt | Should -BeGreaterOrEqual 30
            $after.MeanRatio | Should -BeGreaterOrEqual 0.97 -Because $after.Text
            $after.MeanRatio | Should -BeLessOrEqual 1.03 -Because $after.Text
        } finally {
            if ($pair) {
                Remove-WfLimit -Pid $pair.Sender.Pid -ErrorAction SilentlyContinue
                Stop-WfTrafficPair $pair
            }
            Remove-WfRemotePath $path
        }
    }
}

Describe 'Removing a limit frees the flow' -Tag Kernel {
    It '<_> TCP runs at least 20x the old limit after Remove-WfLimit' -ForEach 'Ingress', 'Egress' {
        # the limit comes before the flood does, so no unlimited backlog sits in the socket buffers
        $direction = $_
        $pair = if ($direction -eq 'Ingress') {
            Start-WfTrafficPair -Proto tcp -Pattern flood -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 1MB -Direction Ingress }
        } else {
            Start-WfTrafficPair -Proto tcp -Pattern flood -DelayStartMs 3000
        }
        try {
            $target = if ($direction -eq 'Ingress') { $pair.Receiver.Pid } else { $pair.Sender.Pid }
            if ($direction -eq 'Egress') { Set-WfLimit -Pid $target -Rate 1MB -Direction Egress }
            $limited = Measure-WfLimitAccuracy $pair -Rate 1MB -Seconds 3
            Write-Host "    $direction limited: $($limited.Text)"
            # a paced sender may run one bucketful (1/8 s of the rate at the default time scale) over the
            # rate (README, the token bucket): up to 4.2 % of these 3 s. One second of 1.12 made 1.039
            # (a full run, 2026-12-04); the build before that day showed seconds of 1.07-1.09 here too.
            $limited.MeanRatio | Should -BeLessOrEqual (1 + 0.125 / 3 + 0.01) -Because $limited.Text
            Remove-WfLimit -Pid $target
            $after = Get-WfReceiverTicks $pair -Count 3 -After ((Get-WfLastTickIndex $pair) + 1)
            $best = ($after | ForEach-Object { $_.bytes / $_.dt } | Measure-Object -Maximum).Maximum
            $best | Should -BeGreaterOrEqual (20 * 1MB)
        } finally {
            Stop-WfTrafficPair $pair
        }
    }
}
