# Get-WfFlowRate and Watch-WfFlowRate against real traffic: a flow paced at
# 4 MiB/s between two local processes, its rates compared with what its
# receiver measured.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
}

AfterAll { Disable-Wirefisher -ErrorAction SilentlyContinue }

Describe 'Get-WfFlowRate when monitoring is off' -Tag Kernel {
    It 'says so and how to turn it on, and changes nothing' {
        Disable-Wirefisher
        $err = { Get-WfFlowRate } | Should -Throw -ErrorId 'GetWfFlowRateNotEnabled,Wirefisher.Commands.GetWfFlowRateCommand' -PassThru
        $err.Exception.Message | Should -Match 'Enable-Wirefisher'
        (Get-WfStatus).Enabled | Should -BeFalse
    }
}

Describe 'Rates of a paced flow' -Tag Kernel {
    It '<_> flow at 4 MiB/s: Instant, Average and Smoothed within 5 % of what the receiver measured' -ForEach 'tcp', 'udp' {
        Enable-Wirefisher
        # the sender connects, is limited to 4 MiB/s, and only then starts: every byte is paced
        $pair = Start-WfTrafficPair -Proto $_ -Pattern flood -DelayStartMs 3000
        try {
            Set-WfLimit -Pid $pair.Sender.Pid -Rate 4MB -Direction Egress
            $ticks = Get-WfReceiverTicks $pair -Count 11
            $measured = (($ticks | Select-Object -Skip 1 | ForEach-Object { $_.bytes / $_.dt }) | Measure-Object -Average).Average

            $all = Get-WfFlowRate
            $f = Get-WfFlowRate -Pid $pair.Receiver.Pid -Direction Ingress
            $f | Should -HaveCount 1
            Write-Host ("    $_ receiver measured {0:N0} B/s; Instant {1:N0} Average {2:N0} Smoothed {3:N0} Peak {4:N0}" -f $measured, $f.Instant, $f.Average, $f.Smoothed, $f.Peak)
            foreach ($rate in $f.Instant, $f.Average, $f.Smoothed) {
                $rate / $measured | Should -BeGreaterOrEqual 0.95
                $rate / $measured | Should -BeLessOrEqual 1.05
            }
            $f.Peak | Should -BeGreaterOrEqual $f.Instant
            $f.ProcessName | Should -Be 'dotnet'
            $f.Bytes | Should -BeGreaterThan (30MB)

            # the sender's egress is seen too, and nothing of this flow is unattributed
            (Get-WfFlowRate -Pid $pair.Sender.Pid -Direction Egress).Bytes | Should -BeGreaterOrEqual $f.Bytes
            $all | Where-Object Pid -eq 0 | Where-Object Bytes -gt 1MB | Should -BeNullOrEmpty

            # per connection, with its addresses and ports
            $c = Get-WfFlowRate -By Connection -Pid $pair.Receiver.Pid | Where-Object Direction -eq Ingress
            $c | Should -Not -BeNullOrEmpty
            $c[0].Protocol | Should -Be $_.ToUpper()
            $c[0].LocalPort | Should -Be $pair.Port
            $c[0].LocalAddress | Should -Be '127.0.0.1'

            # per rule: how the limit is doing
            $r = Get-WfFlowRate -By Rule | Where-Object Pid -eq $pair.Sender.Pid
            $r.Name | Should -Not -BeNullOrEmpty
            $r.Rate | Should -Be 4MB
            $r.Smoothed / 4MB | Should -BeGreaterOrEqual 0.95
        } finally {
            Stop-WfTrafficPair $pair
            Remove-WfLimit -Pid $pair.Sender.Pid -ErrorAction SilentlyContinue
        }
    }

    It 'a closed connection and an exited process leave the view' {
        $pair = Start-WfTrafficPair -Proto tcp -Pattern flood
        Start-Sleep -Seconds 2
        Get-WfFlowRate -Pid $pair.Receiver.Pid | Should -Not -BeNullOrEmpty
        Stop-WfTrafficPair $pair
        Start-Sleep -Seconds 1
        Get-WfFlowRate -Pid $pair.Receiver.Pid, $pair.Sender.Pid | Should -BeNullOrEmpty
        Get-WfFlowRate -By Connection -Pid $pair.Receiver.Pid, $pair.Sender.Pid | Should -BeNullOrEmpty
    }
}

Describe 'Per-process counters in the kernel (wf_procs slots)' -Tag Kernel {
    BeforeAll {
        function Get-SlottedTgid {
            # the tgids that hold a slot: the keys of wf_pslots
            @(bpftool -j map dump pinned /sys/fs/bpf/wirefisher/wf_pslots | ConvertFrom-Json | ForEach-Object { [int]$_.formatted.key.tgid })
        }
        function Get-ProcessBucketKey {
            # the (rule, tgid) keys of the per-process buckets: wf_pstate
            @(bpftool -j map dump pinned /sys/fs/bpf/wirefisher/wf_pstate | ConvertFrom-Json | ForEach-Object { $_.formatted.key })
        }
    }

    It 'each process counts in its own slot, and an exited one frees it' {
        Enable-Wirefisher
        $a = Start-WfTrafficPair -Proto udp -Pattern flood
        $b = Start-WfTrafficPair -Proto tcp -Pattern flood
        try {
            Start-Sleep -Seconds 2
            $slotted = Get-SlottedTgid
            foreach ($p in $a.Sender, $a.Receiver, $b.Sender, $b.Receiver) { $slotted | Should -Contain $p.Pid }
            # no slot is shared: the TCP sender sent what its receiver got (loopback loses nothing),
            # and the UDP sender received nothing to speak of
            $te = (Get-WfFlowRate -Pid $b.Sender.Pid -Direction Egress).Bytes
            $tb = (Get-WfFlowRate -Pid $b.Receiver.Pid -Direction Ingress).Bytes
            (Get-WfFlowRate -Pid $a.Receiver.Pid -Direction Ingress).Bytes | Should -BeGreaterThan 1MB
            $tb | Should -BeGreaterThan 1MB
            $te / $tb | Should -BeGreaterOrEqual 0.9
            $te / $tb | Should -BeLessOrEqual 1.1
            Get-WfFlowRate -Pid $a.Sender.Pid -Direction Ingress | Where-Object Bytes -gt 1MB | Should -BeNullOrEmpty

            Stop-WfTrafficPair $a
            Start-Sleep -Seconds 1
            $slotted = Get-SlottedTgid
            $slotted | Should -Not -Contain $a.Sender.Pid
            $slotted | Should -Not -Contain $a.Receiver.Pid
            $slotted | Should -Contain $b.Receiver.Pid
            # the survivor goes on counting in its slot
            $before = (Get-WfFlowRate -Pid $b.Receiver.Pid -Direction Ingress).Bytes
            Start-Sleep -Seconds 1
            (Get-WfFlowRate -Pid $b.Receiver.Pid -Direction Ingress).Bytes | Should -BeGreaterThan ($before + 1MB)
        } finally {
            Stop-WfTrafficPair $a
            Stop-WfTrafficPair $b
        }
    }

    It 'data a process left queued when it ended makes it no slot or bucket again' {
        # bash opens the socket (its owner) and head writes into it until the unread receive buffer
        # and the send buffer are full; both are killed, the receiver then reads, and the orphaned
        # socket sends the rest after its owner's exit freed its slot and per-process bucket
        # (wf_proc_exit). Nothing would free a slot or bucket made for it again.
        Enable-Wirefisher
        $rule = Set-WfLimit -ProcessName bash -PerProcess -Rate 1GB -Direction Egress -Name wforphan -PassThru
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $client = $null
        $bash = $null
        try {
            $port = $listener.LocalEndpoint.Port
            $bash = Start-Process bash -ArgumentList "-c `"exec 3<>/dev/tcp/127.0.0.1/$port; head -c 20000000 /dev/zero >&3`"" -PassThru
            $client = $listener.AcceptTcpClient()
            Start-Sleep -Milliseconds 700
            Get-SlottedTgid | Should -Contain $bash.Id
            Get-ProcessBucketKey | Where-Object { $_.rule -eq $rule.Id -and $_.tgid -eq $bash.Id } | Should -Not -BeNullOrEmpty
            $head = pgrep -P $bash.Id
            kill -9 $bash.Id $head
            $bash.WaitForExit(5000) | Should -BeTrue
            Start-Sleep -Milliseconds 300
            $stream = $client.GetStream()
            $buf = [byte[]]::new(65536)
            $got = 0
            while (($n = $stream.Read($buf, 0, $buf.Length)) -gt 0) { $got += $n }
            $got | Should -BeGreaterThan 1MB # what was still queued: the orphan sent it
            Start-Sleep -Milliseconds 300
            Get-SlottedTgid | Should -Not -Contain $bash.Id
            Get-ProcessBucketKey | Where-Object { $_.tgid -eq $bash.Id } | Should -BeNullOrEmpty
        } finally {
            if ($client) { $client.Close() }
            $listener.Stop()
            if ($bash -and -not $bash.HasExited) { kill -9 $bash.Id }
            Remove-WfLimit -Name wforphan -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Sockets whose owner became known after their first packet' -Tag Kernel {
    # A socket's rates keep a copy of their owner (wf_sockstat in lib/wf_account.h), copied again
    # whenever a socket is given another owner; these fail if a copy is left stale.
    BeforeAll {
        function Get-Bytes([int] $ProcessId, [string] $Direction) {
            # a loop, not Measure-Object: with no row for the process (no unattributed traffic at all,
            # PID 0) that gives no object, and .Sum of it throws under strict mode
            $sum = [long]0
            foreach ($f in Get-WfFlowRate -Direction $Direction) { if ($f.Pid -eq $ProcessId) { $sum += $f.Bytes } }
            $sum
        }
    }

    It 'a flow that ran before Enable-Wirefisher counts for its receiver, not as unattributed' {
        Disable-Wirefisher
        $pair = Start-WfTrafficPair -Proto tcp -Pattern flood
        try {
            Start-Sleep -Seconds 1
            Enable-Wirefisher
            Start-Sleep -Seconds 1
            $r0 = Get-Bytes $pair.Receiver.Pid Ingress; $u0 = Get-Bytes 0 Ingress
            Start-Sleep -Seconds 1
            $r = (Get-Bytes $pair.Receiver.Pid Ingress) - $r0; $u = (Get-Bytes 0 Ingress) - $u0
            Write-Host ("    in one second: receiver {0:N0} B, unattributed {1:N0} B" -f $r, $u)
            $r | Should -BeGreaterThan 10MB
            $u | Should -BeLessThan ($r / 100)
        } finally {
            Stop-WfTrafficPair $pair
        }
    }

    It 'a socket a shell made counts for the child that writes to it once a -Pid rule claims it' {
        Enable-Wirefisher
        $port = Get-WfTestPort
        $recv = Start-WfTrafficProcess -Arguments @('recv', '--proto', 'tcp', '--bind', '127.0.0.1', '--port', $port, '--no-stdin-watch')
        $sh = $null
        try {
            $recv.Pid = (Wait-WfTrafficReady $recv).pid
            # bash makes the socket (so it owns it); cat, its child, writes to it
            $sh = Start-Process bash -ArgumentList '-c', "`"exec 3<>/dev/tcp/127.0.0.1/$port && cat /dev/zero >&3`"" -PassThru
            $cat = 0
            for ($i = 0; $i -lt 50 -and -not $cat; $i++) { Start-Sleep -Milliseconds 100; $cat = [int](pgrep -P $sh.Id cat | Select-Object -First 1) }
            $cat | Should -Not -Be 0
            Start-Sleep -Seconds 1
            Get-Bytes $sh.Id Egress | Should -BeGreaterThan 1MB
            Set-WfLimit -Pid $cat -Rate 8MB -Direction Egress
            Start-Sleep -Milliseconds 500
            $c0 = Get-Bytes $cat Egress; $b0 = Get-Bytes $sh.Id Egress
            Start-Sleep -Seconds 2
            $c = (Get-Bytes $cat Egress) - $c0; $b = (Get-Bytes $sh.Id Egress) - $b0
            Write-Host ("    in two seconds after the claim: cat {0:N0} B, bash {1:N0} B" -f $c, $b)
            $c | Should -BeGreaterThan 12MB
            $c | Should -BeLessThan 20MB # held by the limit: the claimed socket is the one limited
            $b | Should -BeLessThan 64KB
        } finally {
            if ($cat) { Remove-WfLimit -Pid $cat -ErrorAction SilentlyContinue }
            if ($sh) { pkill -KILL -P $sh.Id 2>$null; kill -KILL $sh.Id 2>$null }
            Stop-WfTrafficPair ([pscustomobject]@{ Receiver = $recv })
        }
    }
}

Describe 'Watch-WfFlowRate' -Tag Kernel {
    It 'writes -Count snapshots, each object of a snapshot with the same Timestamp' {
        $pair = Start-WfTrafficPair -Proto udp -Pattern flood
        try {
            $rows = Watch-WfFlowRate -Count 3 -Interval 500ms -Pid $pair.Receiver.Pid, $pair.Sender.Pid
            $stamps = @($rows | Group-Object Timestamp)
            $stamps | Should -HaveCount 3
            foreach ($g in $stamps) { $g.Count | Should -Be 2 }   # receiver ingress, sender egress
        } finally { Stop-WfTrafficPair $pair }
    }

    It 'on the screen, puts a blank line and the time between snapshots; piped on, only objects' {
        $dotnet = (Get-Process -Id $PID).Path
        $import = "Import-Module '$env:WIREFISHER_MODULE'; `$PSStyle.OutputRendering = 'PlainText'"
        $screen = @(& $dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command "$import; Watch-WfFlowRate -Count 2 -Interval 300ms")
        @($screen | Where-Object { $_ -match '^-- snapshot [12] of 2 at \d\d:\d\d:\d\d --$' }) | Should -HaveCount 2 -Because ($screen -join "`n")
        $i = [array]::IndexOf($screen, @($screen -match '^-- snapshot 2 of 2')[0])
        $screen[$i - 1] | Should -BeNullOrEmpty -Because 'a blank line comes before the second'
        $piped = @(& $dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command "$import; Watch-WfFlowRate -Count 2 -Interval 300ms | Measure-Object | ForEach-Object Count")
        $piped | Should -HaveCount 1 -Because "only the count comes out: $($piped -join ' | ')"
    }

    It 'rejects the interval <_> before the first snapshot' -ForEach @('soon', '10ms', [timespan]::MaxValue, [double]::NaN, '300000000h') {
        $script:out = $null
        { $script:out = Watch-WfFlowRate -Count 2 -Interval $_ } | Should -Throw -ErrorId 'WatchWfFlowRateInvalidInterval,Wirefisher.Commands.WatchWfFlowRateCommand'
        $script:out | Should -BeNullOrEmpty
    }
}
