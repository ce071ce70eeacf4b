# Downloads from a sender this host cannot pace: the sender sits behind a NAT router
# namespace (tests/pester/WfRemotePath.psm1), so no local socket matches the receiver's
# tuple, as with a host on the internet. The receiver's ingress limit must hold by
# queueing (the ifb + htb shaper and the receive-window clamp), not by dropping.
# Bounds (issue 7): mean within 2 % of the rate, no second after the first off by more
# than 10 %, sender retransmissions under 1 % of its segments while it is measured.
# A connection that was open and fast before its limit has megabytes in flight when the
# limit comes: that passes unqueued (it was sent before the sender could know, see
# lib/wf_shape.h, wf_onset_pass), and from then on its ACKs advertise only its share
# (wf_shape_out). Its retransmissions are counted from 4 s after the limit.

BeforeDiscovery {
    $script:tcpCases = @(
        @{ Rate = 1MB; Conns = 1; Family = 'IPv4'; When = 'connected'; RetransBound = 0.01; WorstBound = 0.10; MeanBound = 0.02 }
        @{ Rate = 10MB; Conns = 1; Family = 'IPv4'; When = 'connected'; RetransBound = 0.01; WorstBound = 0.10; MeanBound = 0.02 }
        # four connections' old windows (megabytes each) no longer overflow the queue once the limit is in
        # force: their ACKs advertise each one's share (wf_shape_out); before that, 0.4-2.3 % were lost after 4 s
        @{ Rate = 1MB; Conns = 4; Family = 'IPv4'; When = 'connected'; RetransBound = 0.01; WorstBound = 0.10; MeanBound = 0.02 }
        @{ Rate = 1MB; Conns = 1; Family = 'IPv6'; When = 'connected'; RetransBound = 0.01; WorstBound = 0.10; MeanBound = 0.02 }
        @{ Rate = 1MB; Conns = 1; Family = 'IPv4'; When = 'first'; RetransBound = 0.01; WorstBound = 0.10; MeanBound = 0.02 }
        @{ Rate = 1MB; Conns = 4; Family = 'IPv4'; When = 'first'; RetransBound = 0.01; WorstBound = 0.10; MeanBound = 0.02 }
        @{ Rate = 10MB; Conns = 1; Family = 'IPv6'; When = 'first'; RetransBound = 0.01; WorstBound = 0.10; MeanBound = 0.02 }
    )
}

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Import-Module "$PSScriptRoot/WfRemotePath.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher -ErrorAction SilentlyContinue

    function Measure-WfRemoteDownload {
        # A limited download over $Path; returns the accuracy, the sender's retransmits and segments
        # over the measured seconds, and the rule as Get-WfLimit saw it at the end.
        # -When before: the rule -RuleName exists already (a cgroup rule for -ReceiverCgroup, say), and the
        # measurement waits until the shaper is on in the receiver's namespace, at most -ShaperWaitSeconds
        param($Path, [double] $Rate, [int] $Conns = 1, [string] $Family = 'IPv4', [string] $When = 'connected',
            [string] $Proto = 'tcp', [int] $Seconds = 8, [string] $ReceiverCgroup, [string] $RuleName, [int] $ShaperWaitSeconds = 5,
            [ValidateSet('seed', 'flood')] [string] $Pattern = 'seed')
        $net = @{
            Address = if ($Family -eq 'IPv6') { $Path.ReceiverAddress6 } else { $Path.ReceiverAddress }
            Bind = if ($Family -eq 'IPv6') { '::' } else { '0.0.0.0' }
            ReceiverNetns = $Path.ReceiverNetns; SenderNetns = $Path.SenderNetns
        }
        $limit = { param($p) Set-WfLimit -Pid $p -Rate $Rate -Direction Ingress }.GetNewClosure()
        if ($When -eq 'first') { $net.OnReceiverReady = $limit }
        if ($ReceiverCgroup) { $net.ReceiverCgroup = $ReceiverCgroup }
        $shape = if ($Pattern -eq 'flood') { @{ Pattern = 'flood' } } else { @{ Scale = [math]::Max(1, $Rate / 1MB * 2) } }
        $pair = Start-WfTrafficPair -Proto $Proto -Conns $Conns @shape @net
        try {
            $shaperAfter = $null
            if ($When -eq 'before') {
                $w = [Diagnostics.Stopwatch]::StartNew()
                while (-not (ip -n $Path.ReceiverNetns link show wf-ifb 2>$null) -and $w.Elapsed.TotalSeconds -lt $ShaperWaitSeconds) { Start-Sleep -Milliseconds 100 }
                $shaperAfter = if (ip -n $Path.ReceiverNetns link show wf-ifb 2>$null) { $w.Elapsed.TotalSeconds }
            }
            $cStart = Get-WfNetnsCounter -Netns $Path.SenderNetns -Name TcpRetransSegs, TcpOutSegs
            $outstanding = 0
            if ($When -eq 'connected') {
                Start-Sleep -Seconds 1
                # what the senders had sent and not had acknowledged as the limit came: in flight, or queued on the path
                $outstanding = Get-WfUnacknowledged -Netns $Path.SenderNetns
                & $limit $pair.Receiver.Pid
            }
            # as in Limit.Accuracy.Tests.ps1: the second under way and one more settle first
            $start = (Get-WfLastTickIndex $pair) + 2
            # an open connection's retransmissions are counted from its limit's fifth second on
            $waited = 0
            if ($When -eq 'connected') { $null = Get-WfReceiverTicks $pair -Count 3 -After $start; $waited = 4 }
            $c0 = Get-WfNetnsCounter -Netns $Path.SenderNetns -Name TcpRetransSegs, TcpOutSegs
            $ruleAtStart = if ($RuleName) { Get-WfLimit -Name $RuleName } else { Get-WfLimit -Pid $pair.Receiver.Pid }
            $ticks = Get-WfReceiverTicks $pair -Count $Seconds -After $start
            $c1 = Get-WfNetnsCounter -Netns $Path.SenderNetns -Name TcpRetransSegs, TcpOutSegs
            $ratios = @($ticks | ForEach-Object { $_.bytes / $_.dt / $Rate })
            $mean = ($ratios | Measure-Object -Average).Average
            $m = [pscustomobject]@{
                MeanRatio = $mean
                WorstAfterFirst = ($ratios | Select-Object -Skip 1 | ForEach-Object { [math]::Abs($_ - 1) } | Measure-Object -Maximum).Maximum
                Text = ('mean {0:N3}, seconds {1}' -f $mean, (($ratios | ForEach-Object { $_.ToString('N2') }) -join ' '))
            }
            $transition = $c0.TcpRetransSegs - $cStart.TcpRetransSegs
            $rule = if ($RuleName) { Get-WfLimit -Name $RuleName } else { Get-WfLimit -Pid $pair.Receiver.Pid }
            # what went through the shaper (it goes with the last limit): segments (a qdisc counts each of a
            # super-packet's) and packets (the ifb counts each once)
            $queue = @(ip netns exec $Path.ReceiverNetns tc -s -j qdisc show dev wf-ifb 2>$null | ConvertFrom-Json | Where-Object { $_.PSObject.Properties['root'] -and $_.root })
            $ifb = @(ip -n $Path.ReceiverNetns -j -s link show wf-ifb 2>$null | ConvertFrom-Json)
            $global:LASTEXITCODE = 0
            $retrans = $c1.TcpRetransSegs - $c0.TcpRetransSegs
            $segs = [math]::Max(1, $c1.TcpOutSegs - $c0.TcpOutSegs)
            [pscustomobject]@{
                Accuracy = $m; Retrans = $retrans; Segments = $segs; Rule = $rule; RuleAtStart = $ruleAtStart; ShaperAfter = $shaperAfter
                Outstanding = $outstanding; RetransBefore = $transition
                QueueSegments = $(if ($queue) { [long]$queue[0].packets } else { 0 }); QueuePackets = $(if ($ifb) { [long]$ifb[0].stats64.tx.packets } else { 0 })
                Text = "$($m.Text); worst $($m.WorstAfterFirst.ToString('P1')); retrans $retrans / $segs (before: $transition, measured from $waited s); $($rule.Mechanism), dropped $($rule.DroppedPackets)" +
                    $(if ($outstanding) { "; unacknowledged at the limit $([math]::Round($outstanding / 1KB)) KiB" })
            }
        } finally {
            if ($When -ne 'before') { Remove-WfLimit -Pid $pair.Receiver.Pid -ErrorAction SilentlyContinue }
            Stop-WfTrafficPair $pair
        }
    }
}

AfterAll {
    Disable-Wirefisher -ErrorAction SilentlyContinue
}

Describe 'A download from a sender this host cannot pace' -Tag Kernel {
    BeforeAll { $script:path = New-WfRemotePath }
    AfterAll { Remove-WfRemotePath $script:path }

    It 'TCP <Family> <Conns>x at <Rate> B/s, limit set <When>: queued to the rate, hardly a retransmission' -ForEach $tcpCases {
        $r = Measure-WfRemoteDownload -Path $path -Rate $Rate -Conns $Conns -Family $Family -When $When
        Write-Host "    remote $Family x$Conns $($Rate / 1MB) MiB/s, limit set $($When): $($r.Text)"
        $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual (1 - $MeanBound) -Because $r.Text
        $r.Accuracy.MeanRatio | Should -BeLessOrEqual (1 + $MeanBound) -Because $r.Text
        $r.Accuracy.WorstAfterFirst | Should -BeLessOrEqual $WorstBound -Because $r.Text
        $r.Retrans / $r.Segments | Should -BeLessThan $RetransBound -Because $r.Text
        $r.Rule.Mechanism.HasFlag([Wirefisher.LimitMechanism]::Shaped) | Should -BeTrue -Because $r.Text
        $r.Rule.ShapedBytes | Should -BeGreaterThan (0.9 * $r.Rule.PassedBytes) -Because 'the remote sender is neither local nor paced'
        # counters only grow (the queue's drops once counted at its mean packet, which moved down with that mean)
        $r.Rule.DroppedPackets | Should -BeGreaterOrEqual $r.RuleAtStart.DroppedPackets -Because $r.Text
        $r.Rule.DroppedBytes | Should -BeGreaterOrEqual $r.RuleAtStart.DroppedBytes -Because "$($r.Text); dropped bytes $($r.RuleAtStart.DroppedBytes) -> $($r.Rule.DroppedBytes)"
    }

    It 'each connection''s receive window follows its share as the rule gains connections' {
        # the first of four connections is clamped to the whole rate at first; once all four are
        # open each must offer about a quarter of rate x (RTT + 60 ms), lib/wf_shape.h
        $pair = Start-WfTrafficPair -Proto tcp -Conns 4 -Address $path.ReceiverAddress -Bind 0.0.0.0 `
            -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 1MB -Direction Ingress }
        try {
            $null = Get-WfReceiverTicks $pair -Count 2
            $share = 1MB / 4 * 0.060
            $thresh = @(Get-WfTcpInfo $path.ReceiverNetns rcv_ssthresh)
            $thresh.Count | Should -Be 4
            $text = "rcv_ssthresh $($thresh -join ', '); share $share"
            foreach ($t in $thresh) {
                $t | Should -BeLessOrEqual (1.25 * $share + 1448) -Because $text
                $t | Should -BeGreaterOrEqual (0.75 * $share) -Because $text
            }
        } finally {
            Remove-WfLimit -Pid $pair.Receiver.Pid -ErrorAction SilentlyContinue
            Stop-WfTrafficPair $pair
        }
    }

    It 'the senders of connections open before the limit read a window no larger than their share' {
        # TCP never takes back a window it advertised, so the receiver's clamp cannot lower theirs: the
        # ACKs' window is lowered on the way out (wf_shape_out). Without it the senders still had
        # 640-920 KB of window 14 s after a 1 MiB/s limit (2026-12-02)
        $pair = Start-WfTrafficPair -Proto tcp -Conns 4 -Pattern flood -Address $path.ReceiverAddress -Bind 0.0.0.0 `
            -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns
        try {
            $null = Get-WfReceiverTicks $pair -Count 2
            $open = @(Get-WfTcpInfo $path.SenderNetns snd_wnd)
            $open | Should -HaveCount 4
            Set-WfLimit -Pid $pair.Receiver.Pid -Rate 1MB -Direction Ingress
            $null = Get-WfReceiverTicks $pair -Count 2 -After (Get-WfLastTickIndex $pair)
            $share = 1MB / 4 * (0.060 + 0.001) # RTT here: well under 1 ms
            $wnd = @(Get-WfTcpInfo $path.SenderNetns snd_wnd)
            $text = "snd_wnd before the limit $($open -join ', '); after $($wnd -join ', '); share $share"
            Write-Host "    $text"
            $wnd | Should -HaveCount 4
            foreach ($w in $wnd) { $w | Should -BeLessOrEqual (1.25 * $share + 4 * 1448) -Because $text }
            ($open | Measure-Object -Maximum).Maximum | Should -BeGreaterThan (4 * $share) -Because 'an unlimited download opens a larger window first'
        } finally {
            Get-WfLimit | Where-Object Pid -EQ $pair.Receiver.Pid | Remove-WfLimit
            Stop-WfTrafficPair $pair
        }
    }

    It 'a connection open before its limit keeps the buffer autotuning gave it when the limit goes' {
        # its buffer is left alone under the limit, and must be after it (SO_RCVBUF would cap it
        # at 2 x net.core.rmem_max for good)
        $pair = Start-WfTrafficPair -Proto tcp -Pattern flood -Address $path.ReceiverAddress -Bind 0.0.0.0 `
            -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns
        try {
            $cap = 2 * [long](ip netns exec $path.ReceiverNetns cat /proc/sys/net/core/rmem_max)
            # up to 30 s: on a slow day (2026-12-04, fresh clone) autotuning had reached 8.07 MB of the 8.39 after 10
            for ($i = 0; $i -lt 30 -and @(Get-WfTcpInfo $path.ReceiverNetns rb | Where-Object { $_ -gt $cap }).Count -eq 0; $i++) {
                $null = Get-WfReceiverTicks $pair -Count 1 -After (Get-WfLastTickIndex $pair)
            }
            $before = @(Get-WfTcpInfo $path.ReceiverNetns rb)
            $before | Should -HaveCount 1
            $before[0] | Should -BeGreaterThan $cap -Because 'an unlimited download grows its buffer past rmem_max (tcp_rmem)'
            Set-WfLimit -Pid $pair.Receiver.Pid -Rate 1MB -Direction Ingress
            $null = Get-WfReceiverTicks $pair -Count 2 -After (Get-WfLastTickIndex $pair)
            Remove-WfLimit -Pid $pair.Receiver.Pid
            @(Get-WfTcpInfo $path.ReceiverNetns rb)[0] | Should -BeGreaterThan $cap
        } finally {
            Get-WfLimit | Where-Object Pid -EQ $pair.Receiver.Pid | Remove-WfLimit
            Stop-WfTrafficPair $pair
        }
    }

    It 'TCP <Family> in small segments (timestamps: <Timestamps>) gets the rate in payload: the queue counts payload, not headers' -ForEach @(
        @{ Family = 'IPv4'; Timestamps = $true }, @{ Family = 'IPv4'; Timestamps = $false }, @{ Family = 'IPv6'; Timestamps = $true }) {
        # The receiver's routes advertise an MSS of 400, so every segment carries 388 bytes (400 without timestamps).
        # htb counted whole frames before the ifb's size table: headers that the rate allowed for only at full size,
        # which gave IPv4 0.89 of the rate here (and 0.885 to a cubic download limited while open over 20 ms, whose
        # segments averaged 454 bytes); with the table taking IPv4's headers with timestamps off every packet, the
        # other kinds were still off at this size (2026-12-04). Without timestamps: a Windows sender, as in the
        # original's own test.
        $dev = $path.ReceiverDevice
        $ip = if ($Family -eq 'IPv6') { '-6' } else { '-4' }
        $routes = @(ip -n $path.ReceiverNetns $ip route show dev $dev | Where-Object { $_ -notmatch '^(fe80|multicast|ff00)' })
        $routes | Should -Not -BeNullOrEmpty
        $tsWas = ip netns exec $path.SenderNetns sysctl -n net.ipv4.tcp_timestamps
        try {
            foreach ($route in $routes) { ip -n $path.ReceiverNetns $ip route replace @(-split $route) dev $dev advmss 400 }
            # the receiver's peer is the router (it masquerades): its route must carry the MSS
            $peer = if ($Family -eq 'IPv6') { $path.RouterAddress6 } else { $path.RouterAddress }
            (ip -n $path.ReceiverNetns route get $peer) -join ' ' | Should -Match 'advmss 400'
            ip netns exec $path.SenderNetns sysctl -qw "net.ipv4.tcp_timestamps=$(if ($Timestamps) { 1 } else { 0 })"
            $r = Measure-WfRemoteDownload -Path $path -Rate 1MB -Family $Family -When first -Seconds 6
            Write-Host "    remote $Family small segments, timestamps $($Timestamps), 1 MiB/s: $($r.Text)"
            $r.Segments | Should -BeGreaterThan (6 * 1MB / 400) -Because "the segments are small: $($r.Text)"
            $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual 0.98 -Because $r.Text
            $r.Accuracy.MeanRatio | Should -BeLessOrEqual 1.02 -Because $r.Text
            $r.Rule.Mechanism.HasFlag([Wirefisher.LimitMechanism]::Shaped) | Should -BeTrue -Because $r.Text
        } finally {
            ip netns exec $path.SenderNetns sysctl -qw "net.ipv4.tcp_timestamps=$tsWas"
            foreach ($route in $routes) { ip -n $path.ReceiverNetns $ip route replace @(-split $route) dev $dev }
        }
    }

    It 'UDP keeps its exact bucket: mean within 1 %' {
        $r = Measure-WfRemoteDownload -Path $path -Rate 1MB -Proto udp
        Write-Host "    remote UDP 1 MiB/s: $($r.Text)"
        $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual 0.99 -Because $r.Text
        $r.Accuracy.MeanRatio | Should -BeLessOrEqual 1.01 -Because $r.Text
        $r.Rule.Mechanism | Should -Be ([Wirefisher.LimitMechanism]::Policed) -Because 'UDP is never queued'
    }

    It 'an unlimited process behind the same shaper is not slowed (nothing of it is redirected)' {
        $limited = Start-WfTrafficPair -Proto tcp -Address $path.ReceiverAddress -Bind 0.0.0.0 -Pattern flood `
            -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 1MB -Direction Ingress }
        $free = Start-WfTrafficPair -Proto tcp -Address $path.ReceiverAddress -Bind 0.0.0.0 -Pattern flood `
            -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns
        try {
            $ticks = Get-WfReceiverTicks $free -Count 3 -After ((Get-WfLastTickIndex $free) + 1)
            $best = ($ticks | ForEach-Object { $_.bytes / $_.dt } | Measure-Object -Maximum).Maximum
            $best | Should -BeGreaterOrEqual (10 * 1MB)
            (Measure-WfLimitAccuracy $limited -Rate 1MB -Seconds 3).MeanRatio | Should -BeLessOrEqual 1.02
        } finally {
            Remove-WfLimit -Pid $limited.Receiver.Pid -ErrorAction SilentlyContinue
            Stop-WfTrafficPair $limited; Stop-WfTrafficPair $free
        }
    }
}

Describe 'A receiver whose device hands it super-packets (GRO and TSO, as a NIC does)' -Tag Kernel {
    # The other paths turn offloads off so that every packet is one segment. A NIC merges what comes
    # in a burst (GRO), and the shaper's queue then holds packets of many segments with one set of
    # headers: the ifb's size table must count each as its payload, as it does a single segment.
    BeforeAll { $script:path = New-WfRemotePath -SuperPackets }
    AfterAll { Remove-WfRemotePath $script:path }

    It 'TCP at <Rate> B/s, limit set <When>: queued to the rate, each super-packet counted as its payload' -ForEach @(
        @{ Rate = 1MB; When = 'connected' }, @{ Rate = 10MB; When = 'first' }) {
        $r = Measure-WfRemoteDownload -Path $path -Rate $Rate -When $When
        $text = "$($r.Text); the queue took $($r.QueueSegments) segments in $($r.QueuePackets) packets"
        Write-Host "    remote, super-packets, $($Rate / 1MB) MiB/s, limit set $($When): $text"
        $r.QueueSegments / [math]::Max(1, $r.QueuePackets) | Should -BeGreaterThan 2 -Because "the receiver was to get super-packets ($text)"
        $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual 0.98 -Because $text
        $r.Accuracy.MeanRatio | Should -BeLessOrEqual 1.02 -Because $text
        $r.Accuracy.WorstAfterFirst | Should -BeLessOrEqual 0.10 -Because $text
        $r.Retrans / $r.Segments | Should -BeLessThan 0.01 -Because $text
    }
}

Describe 'A long path (delay line, RTT of at least 20 ms)' -Tag Kernel {
    BeforeAll { $script:path = New-WfRemotePath -DelayMs 10 }
    AfterAll { Remove-WfRemotePath $script:path }

    # Connections open before the limit have more unacknowledged over this path than the queue holds
    # when the limit comes (four flooding: 5-14 MB, 2026-12-04). Until that data passed unqueued
    # (wf_onset_pass) the queue dropped what it could not hold, and the senders refilled those holes at
    # the rate: 10-15 s of retransmissions at 1 MiB/s. One connection has BBR's ProbeRTT second
    # (0.84-0.91, see README), so only four are asserted. bench/Measure-RemoteIngress.ps1 has the
    # one-connection figures.
    It 'TCP <Conns>x at 1 MiB/s over 20 ms, limit set <When>, holds the same bounds' -ForEach @(
        @{ Conns = 1; When = 'first' }, @{ Conns = 4; When = 'first' }) {
        $r = Measure-WfRemoteDownload -Path $path -Rate 1MB -Conns $Conns -When $When
        Write-Host "    remote, 20 ms RTT, x$Conns 1 MiB/s, limit set $($When): $($r.Text)"
        $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual 0.98 -Because $r.Text
        $r.Accuracy.MeanRatio | Should -BeLessOrEqual 1.02 -Because $r.Text
        $r.Accuracy.WorstAfterFirst | Should -BeLessOrEqual 0.10 -Because $r.Text
        $r.Retrans / $r.Segments | Should -BeLessThan 0.01 -Because $r.Text
    }

    It 'TCP 4x at 1 MiB/s over 20 ms, limit set while connected: what was in flight passes, then the same bounds' {
        # What the queue dropped of the data in flight at the limit was refilled in small segments; counted as
        # whole frames they held 0.84-0.92 of the rate (2026-12-03), as payload 0.988-1.016 (2026-12-04), with
        # 12 retransmissions a segment unacknowledged at the limit (50,383 for 5.96 MB), 1.7-2.6 once the ACKs'
        # right edge moved a quarter of the share at a time (wf_ack_window). With that data let through
        # unqueued (wf_onset_pass): 1.000, every second within 0.1 %, 0.0 retransmissions a segment (2026-12-04)
        $r = Measure-WfRemoteDownload -Path $path -Rate 1MB -Conns 4 -When connected
        $perSegment = ($r.RetransBefore + $r.Retrans) / [math]::Max(1, $r.Outstanding / 1448)
        $text = "$($r.Text); $($perSegment.ToString('N2')) retransmissions a segment unacknowledged at the limit"
        Write-Host "    remote, 20 ms RTT, x4 1 MiB/s, limit set connected: $text"
        $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual 0.98 -Because $text
        $r.Accuracy.MeanRatio | Should -BeLessOrEqual 1.02 -Because $text
        $r.Accuracy.WorstAfterFirst | Should -BeLessOrEqual 0.10 -Because $text
        $r.Outstanding | Should -BeGreaterThan 1MB -Because "the senders were to have more in flight than the queue holds ($text)"
        $r.Retrans / $r.Segments | Should -BeLessThan 0.01 -Because $text
        $perSegment | Should -BeLessThan 0.5 -Because $text
    }

    It 'TCP 4x at 10 MiB/s over 20 ms, limit set while flooding: what was in flight passes, hardly a retransmission' {
        # four flooding connections had 10.6 MB unacknowledged when the limit came; their retransmissions
        # stopped 2 s later, then 0 a second for 10 s; with that data let through unqueued (wf_onset_pass),
        # none after the limit (2026-12-04). The sender is cubic here: four BBR
        # connections started together go into ProbeRTT together, 10 s on (one second 0.81 in the first run)
        $route = "$(ip -n $path.SenderNetns route show default)".Trim() -split '\s+'
        try {
            ip -n $path.SenderNetns route change @route congctl cubic
            $r = Measure-WfRemoteDownload -Path $path -Rate 10MB -Conns 4 -When connected -Pattern flood
        } finally { ip -n $path.SenderNetns route change @route }
        Write-Host "    remote, 20 ms RTT, x4 10 MiB/s, limit set while flooding: $($r.Text)"
        $r.Outstanding | Should -BeGreaterThan 1MB -Because "the senders were to have more in flight than the queue holds ($($r.Text))"
        $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual 0.98 -Because $r.Text
        $r.Accuracy.MeanRatio | Should -BeLessOrEqual 1.02 -Because $r.Text
        $r.Accuracy.WorstAfterFirst | Should -BeLessOrEqual 0.10 -Because $r.Text
        $r.Retrans / $r.Segments | Should -BeLessThan 0.01 -Because $r.Text
    }

    It 'a fast download made after its limit reaches the rate where net.core.rmem_max is the distributions'' default' {
        # 30 MiB/s over 20 ms needs a window of about 2.4 MB (rate x (RTT + 60 ms)). A receive buffer that
        # Wirefisher sets itself (SO_RCVBUF) is capped at rmem_max: 212992, the kernel's default, allowed
        # a window of ~260 KB, and this download ran at 0.41 of its rate (2026-12-04). This machine has 4 MiB.
        $sysctl = '/proc/sys/net/core/rmem_max' # Set-Content does not write to it: it only looks done
        $was = [IO.File]::ReadAllText($sysctl).Trim()
        $pair = $null
        try {
            [IO.File]::WriteAllText($sysctl, '212992')
            [IO.File]::ReadAllText($sysctl).Trim() | Should -Be '212992'
            $pair = Start-WfTrafficPair -Proto tcp -Pattern flood -Address $path.ReceiverAddress -Bind 0.0.0.0 `
                -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 30MB -Direction Ingress }
            $m = Measure-WfLimitAccuracy $pair -Rate 30MB -Seconds 5
            Write-Host "    remote, 20 ms RTT, 30 MiB/s, limit set first, rmem_max 212992: $($m.Text)"
            # the median second: BBR's ProbeRTT may take one second in ten down by ~20 % (README)
            $median = @($m.Ratios | Sort-Object)[2]
            $median | Should -BeGreaterOrEqual 0.97 -Because $m.Text
            $m.MeanRatio | Should -BeLessOrEqual 1.02 -Because $m.Text
        } finally {
            [IO.File]::WriteAllText($sysctl, $was)
            if ($pair) { Remove-WfLimit -Pid $pair.Receiver.Pid -ErrorAction SilentlyContinue; Stop-WfTrafficPair $pair }
        }
    }
}

Describe 'A container started after its limit: its namespace and devices appear later' -Tag Kernel {
    # No Set- or Remove-WfLimit runs after the namespaces are made: the shaper watcher
    # (Wirefisher.PowerShell/Engine/ShaperWatch.cs) must find them by itself.
    BeforeAll {
        $script:cg = Join-Path (Get-WfStatus).Cgroup2Path "wf-late-$(Get-Random -Maximum 99999)"
        New-Item -ItemType Directory $cg | Out-Null
        Set-WfLimit -Cgroup $cg -Rate 1MB -Direction Ingress -Name wf-late
        $script:path = New-WfRemotePath
        # The container comes once the watcher runs, as it would seconds after its limit: the watcher
        # that Set-WfLimit starts takes about 50 ms to start (a pwsh one 0.5-1 s), and a namespace that
        # appears before that is policed until then (first seconds 0.60-0.84 in runs that raced a pwsh
        # watcher). The kernel wakes a running watcher as the container's receiver listens (bpf/lib/wf_wake.h).
        $w = [Diagnostics.Stopwatch]::StartNew()
        while (-not (Get-WfStatus).ShaperWatcherPid -and $w.Elapsed.TotalSeconds -lt 15) { Start-Sleep -Milliseconds 100 }
    }
    AfterAll {
        # the cgroup goes even when Wirefisher could not be enabled (Remove-WfLimit then throws)
        try { Remove-WfLimit -Name wf-late -ErrorAction SilentlyContinue }
        finally {
            Remove-WfRemotePath $script:path
            if (Test-Path $cg) { rmdir $cg 2>$null }
        }
    }

    It 'a receiver that starts in a new namespace is shaped within seconds and holds the same bounds' {
        $r = Measure-WfRemoteDownload -Path $path -Rate 1MB -When before -ReceiverCgroup $cg -RuleName wf-late
        Write-Host "    remote, container started later, 1 MiB/s: shaper on after $($r.ShaperAfter) s; $($r.Text)"
        $r.ShaperAfter | Should -Not -BeNullOrEmpty -Because 'the watcher puts the shaper into a namespace that appears after the rule'
        $r.Accuracy.MeanRatio | Should -BeGreaterOrEqual 0.98 -Because $r.Text
        $r.Accuracy.MeanRatio | Should -BeLessOrEqual 1.02 -Because $r.Text
        $r.Accuracy.WorstAfterFirst | Should -BeLessOrEqual 0.10 -Because $r.Text
        $r.Retrans / $r.Segments | Should -BeLessThan 0.01 -Because $r.Text
        $r.Rule.Mechanism.HasFlag([Wirefisher.LimitMechanism]::Shaped) | Should -BeTrue -Because $r.Text
        # measured from the start: the kernel woke the watcher as the receiver listened, and the shaper
        # came 7-19 ms later, before or just after the first data (0 drops in 9 runs alone, 11 in a
        # full run); the watcher's once-a-second look alone came after 73-173 drops, and one run in
        # four then missed these bounds (mean 0.947). How many drops is a matter of timing: not asserted.
    }

    It 'a device that appears later in a shaped namespace gets the shaper''s tcx link' {
        $pair = Start-WfTrafficPair -Proto tcp -Address $path.ReceiverAddress -Bind 0.0.0.0 -ReceiverCgroup $cg `
            -ReceiverNetns $path.ReceiverNetns -SenderNetns $path.SenderNetns
        try {
            $ns = (Get-Item "/proc/$($pair.Receiver.Pid)/ns/net").LinkTarget -replace '\D'
            # a device's ingress link (the queue) is shape-NS-IFINDEX, its egress link (the ACKs' window) shape-NS-IFINDEX-out
            $links = { @(Get-ChildItem /sys/fs/bpf/wirefisher -Filter "shape-$ns-*" | Where-Object Name -notlike '*-out').Count }
            $outLinks = { @(Get-ChildItem /sys/fs/bpf/wirefisher -Filter "shape-$ns-*-out").Count }
            $w = [Diagnostics.Stopwatch]::StartNew()
            while ((& $links) -lt 1 -and $w.Elapsed.TotalSeconds -lt 5) { Start-Sleep -Milliseconds 100 }
            $before = & $links
            $before | Should -BeGreaterOrEqual 1
            ip -n $path.ReceiverNetns link add wf-late-a type veth peer name wf-late-b
            ip -n $path.ReceiverNetns link set wf-late-a up; ip -n $path.ReceiverNetns link set wf-late-b up
            $w.Restart()
            while (((& $links) -lt $before + 2 -or (& $outLinks) -lt $before + 2) -and $w.Elapsed.TotalSeconds -lt 5) { Start-Sleep -Milliseconds 100 }
            & $links | Should -Be ($before + 2) -Because 'both new devices are non-loopback devices of the namespace'
            & $outLinks | Should -Be ($before + 2) -Because 'each shaped device has its egress link too'
            Write-Host "    a device made later got its link after $([math]::Round($w.Elapsed.TotalSeconds, 1)) s"
        } finally {
            ip -n $path.ReceiverNetns link del wf-late-a 2>$null
            Stop-WfTrafficPair $pair
        }
    }
}
