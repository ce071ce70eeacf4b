# Every kind of rule limits real traffic: by process name (a process started
# after the rule), executable (one bucket each with -PerProcess), user, cgroup
# (a child cgroup made after the rule), network device, and address/protocol/port
# (IPv4 on loopback, IPv6 ULA on a veth pair; a rule set on a connection that
# already exists; one unconnected UDP socket sending to two ports, counted
# datagram by datagram). Mean over 8 s within 3 % of the rate. Every test cleans up
# its namespaces, cgroups, users and programs, also when it fails.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher

    function Assert-Held($Pair, [double] $Rate, [string] $What) {
        $m = Measure-WfLimitAccuracy $Pair -Rate $Rate -Seconds 8
        Write-Host "    ${What}: $($m.Text)"
        $m.MeanRatio | Should -BeGreaterOrEqual 0.97 -Because $m.Text
        $m.MeanRatio | Should -BeLessOrEqual 1.03 -Because $m.Text
        $m
    }
}

AfterAll { Disable-Wirefisher -ErrorAction SilentlyContinue }

Describe 'Rules by process' -Tag Kernel {
    BeforeAll { $script:exe = New-WfNamedTraffic }
    AfterAll { Remove-WfNamedTraffic $script:exe }
    AfterEach { Get-WfLimit | Remove-WfLimit }

    It 'a -ProcessName rule holds a process started after it' {
        $name = Split-Path $exe -Leaf
        Set-WfLimit -ProcessName $name -Rate 1MB -Direction Ingress
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -ReceiverExe $exe
        try {
            (Get-Process -Id $pair.Receiver.Pid).ProcessName | Should -Be $name
            Assert-Held $pair 1MB "name $name"
            (Get-WfLimit -Kind ProcessName).PassedBytes | Should -BeGreaterThan 0
        } finally { Stop-WfTrafficPair $pair }
    }

    It 'a wildcard -ProcessName rule matches in the kernel' {
        $pattern = (Split-Path $exe -Leaf).Substring(0, 4).ToUpper() + '*'
        Set-WfLimit -ProcessName $pattern -Rate 1MB -Direction Ingress
        $pair = Start-WfTrafficPair -Proto udp -Scale 2 -ReceiverExe $exe
        try { Assert-Held $pair 1MB "pattern $pattern" } finally { Stop-WfTrafficPair $pair }
    }

    It 'a pattern with ? and an inner * matches in the kernel; one that differs in its last letter does not' {
        # the kernel's glob (wf_glob_owner): the stricter rule must not match, or it would win
        $name = Split-Path $exe -Leaf # wft<digits>
        $yes = 'W?T*' + $name[-1]
        $no = 'w?t*' + [char]([int]$name[-1] + 1)
        Set-WfLimit -ProcessName $yes -Rate 1MB -Direction Ingress
        Set-WfLimit -ProcessName $no -Rate 256KB -Direction Ingress
        $pair = Start-WfTrafficPair -Proto udp -Scale 2 -ReceiverExe $exe
        try { Assert-Held $pair 1MB "pattern $yes, not $no" } finally { Stop-WfTrafficPair $pair }
    }

    It 'a -ProcessName rule holds a child that a matching process starts under another name' {
        $parent = New-WfNamedTraffic -Shell
        try {
            Set-WfLimit -ProcessName (Split-Path $parent -Leaf) -Rate 1MB -Direction Ingress
            $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -ReceiverParent $parent
            try {
                (Get-Process -Id $pair.Receiver.Pid).ProcessName | Should -Be 'dotnet'
                Assert-Held $pair 1MB 'child of a matching process'
            } finally { Stop-WfTrafficPair $pair }
        } finally { Remove-WfNamedTraffic $parent }
    }

    It '-Path -PerProcess gives each process of the executable its own bucket' {
        Set-WfLimit -Path $exe -Rate 1MB -Direction Ingress -PerProcess
        $a = Start-WfTrafficPair -Proto tcp -Scale 2 -ReceiverExe $exe
        $b = Start-WfTrafficPair -Proto tcp -Scale 2 -ReceiverExe $exe
        try {
            Assert-Held $a 1MB 'path, first process'
            Assert-Held $b 1MB 'path, second process'
            (Get-WfLimit -Kind Path).PerProcess | Should -BeTrue
        } finally { Stop-WfTrafficPair $a; Stop-WfTrafficPair $b }
    }
}

Describe 'Rules by user and cgroup' -Tag Kernel {
    BeforeAll {
        $script:users = foreach ($i in 1, 2) {
            $u = "wft$(Get-Random -Maximum 99999)u$i"
            useradd --system --no-create-home --shell /usr/sbin/nologin $u
            $u
        }
        $mount = (Get-WfStatus).Cgroup2Path
        $script:cg = Join-Path $mount "wft-$(Get-Random -Maximum 99999)"
        New-Item -ItemType Directory $cg | Out-Null
    }
    AfterAll {
        foreach ($u in $users) { pkill -KILL -u $u 2>$null; userdel $u 2>$null }
        Get-ChildItem $cg -Directory -ErrorAction SilentlyContinue | ForEach-Object { rmdir $_.FullName 2>$null }
        if (Test-Path $cg) { rmdir $cg 2>$null }
    }
    AfterEach { Get-WfLimit | Remove-WfLimit }

    It 'a -User rule holds that user''s process and not another user''s' {
        Set-WfLimit -User $users[0] -Rate 1MB -Direction Ingress
        $held = Start-WfTrafficPair -Proto tcp -Scale 2 -ReceiverUser $users[0]
        $free = Start-WfTrafficPair -Proto tcp -Pattern flood -ReceiverUser $users[1]
        try {
            Assert-Held $held 1MB "user $($users[0])"
            $other = Measure-WfLimitAccuracy $free -Rate 1MB -Seconds 3
            $other.MeanRatio | Should -BeGreaterThan 5 -Because "the other user's process is not limited ($($other.Text))"
            (Get-WfLimit -Kind User).Target | Should -Be $users[0]
        } finally { Stop-WfTrafficPair $held; Stop-WfTrafficPair $free }
    }

    It 'a -Cgroup rule holds a process in a child cgroup made after the rule' {
        Set-WfLimit -Cgroup $cg -Rate 1MB -Direction Ingress
        $child = Join-Path $cg 'later'
        New-Item -ItemType Directory $child | Out-Null
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -ReceiverCgroup $child
        try {
            Assert-Held $pair 1MB 'cgroup child made later'
            (Get-WfLimit -Kind Cgroup).Target | Should -Be ('/' + (Split-Path $cg -Leaf))
        } finally { Stop-WfTrafficPair $pair }
    }
}

Describe 'Rules by device and by address, protocol and port' -Tag Kernel {
    BeforeAll {
        $script:hv = New-WfHostVeth -Net 212 -Prefix "wfi$(Get-Random -Maximum 9999)"
        $script:veth = New-WfVethPair
    }
    AfterAll {
        Remove-WfHostVeth $hv
        if ($veth) { Remove-WfVethPair $veth }
    }
    AfterEach { Get-WfLimit | Remove-WfLimit }

    It 'an -Interface rule holds <_> TCP through the device' -ForEach 'Ingress', 'Egress' {
        Set-WfLimit -Interface $hv.Device -Rate 1MB -Direction $_
        $pair = if ($_ -eq 'Ingress') {
            Start-WfTrafficPair -Proto tcp -Scale 2 -Address $hv.HostAddress -SenderNetns $hv.Netns
        } else {
            Start-WfTrafficPair -Proto tcp -Scale 2 -Address $hv.NsAddress -ReceiverNetns $hv.Netns
        }
        try {
            Assert-Held $pair 1MB "interface $_"
            # the traffic of the sockets routed through the device, by device
            $dev = Get-WfFlowRate -By Interface -Direction $_ | Where-Object Interface -eq $hv.Device
            if ($_ -eq 'Ingress') {
                $dev.Connections | Should -BeGreaterOrEqual 1
                $dev.Average / 1MB | Should -BeGreaterOrEqual 0.8 -Because "its sockets got about 1 MiB/s ($($dev.Average) B/s)"
                $dev.Average / 1MB | Should -BeLessOrEqual 1.25 -Because "its sockets got about 1 MiB/s ($($dev.Average) B/s)"
            }
        } finally { Stop-WfTrafficPair $pair }
    }

    It 'a -LocalPort rule holds a TCP connection that existed before it' {
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2
        try {
            Start-Sleep -Seconds 1
            Set-WfLimit -Protocol TCP -LocalPort $pair.Port -Rate 1MB -Direction Ingress -Name port-in
            Assert-Held $pair 1MB "TCP local port $($pair.Port), connected first"
            (Get-WfLimit -Name port-in).Target | Should -Be "TCP local port $($pair.Port)"
        } finally { Stop-WfTrafficPair $pair }
    }

    It 'a UDP -RemotePort rule holds egress' {
        $pair = Start-WfTrafficPair -Proto udp -Scale 2
        try {
            Set-WfLimit -Protocol UDP -RemoteAddress 127.0.0.0/8 -RemotePort $pair.Port -Rate 1MB -Direction Egress
            Assert-Held $pair 1MB 'UDP remote port, egress'
        } finally { Stop-WfTrafficPair $pair }
    }

    # One unconnected UDP socket sending to two ports in turn. A socket remembers one match per
    # direction; where an address/port rule names the flow's protocol it is compared with every
    # packet's addresses and ports, where none does it holds for any (by_flow, bpf/lib/wf_match.h).
    It 'one unconnected UDP socket: a UDP -RemotePort rule counts what it sends to that port, not to another' {
        $p1 = Get-WfTestPort -Count 2; $p2 = $p1 + 1
        Set-WfLimit -Protocol UDP -RemotePort $p1 -WatchOnly -Name udp-p1 -Direction Egress
        Send-WfTestDatagrams $p1, $p2 -Each 100 -Size 100
        $r = Get-WfLimit -Name udp-p1
        $r.PassedPackets | Should -Be 100 -Because 'every datagram to the port, and none to the other'
        $r.PassedBytes | Should -Be 10000
    }

    It 'one unconnected UDP socket: a TCP port rule leaves its datagrams alone, a -Pid rule counts all of them' {
        $p1 = Get-WfTestPort -Count 2; $p2 = $p1 + 1
        Set-WfLimit -Protocol TCP -RemotePort $p1 -WatchOnly -Name tcp-p1 -Direction Egress
        Set-WfLimit -Pid $PID -WatchOnly -Name me -Direction Egress
        Send-WfTestDatagrams $p1, $p2 -Each 100 -Size 100
        (Get-WfLimit -Name tcp-p1).PassedPackets | Should -Be 0
        (Get-WfLimit -Name me).PassedBytes | Should -BeGreaterOrEqual 20000 -Because 'both ports'' datagrams are this process''s'
    }

    It 'UDP port rules count IPv6 datagrams behind a destination-options header, both ways, by their payload' {
        # the header sits between IPv6 and UDP (IPV6_DSTOPTS, 59 at IPPROTO_IPV6, 41: one PadN option,
        # 8 bytes); a parser that reads only the fixed header's next header sees protocol 60, not UDP
        $rx = [System.Net.Sockets.Socket]::new('InterNetworkV6', 'Dgram', 'Udp')
        $tx = [System.Net.Sockets.Socket]::new('InterNetworkV6', 'Dgram', 'Udp')
        try {
            $rx.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::IPv6Loopback, 0))
            $port = $rx.LocalEndPoint.Port
            Set-WfLimit -Protocol UDP -RemotePort $port -WatchOnly -Name ext-out -Direction Egress
            Set-WfLimit -Protocol UDP -LocalPort $port -WatchOnly -Name ext-in -Direction Ingress
            $tx.SetRawSocketOption(41, 59, [byte[]](0, 0, 1, 4, 0, 0, 0, 0))
            $tx.Connect([System.Net.IPEndPoint]::new([System.Net.IPAddress]::IPv6Loopback, $port))
            $buf = [byte[]]::new(1000)
            foreach ($i in 1..50) { [void]$tx.Send($buf) }
            Start-Sleep -Milliseconds 300
            foreach ($name in 'ext-out', 'ext-in') {
                $r = Get-WfLimit -Name $name
                $r.PassedPackets | Should -Be 50 -Because "$name sees every datagram"
                $r.PassedBytes | Should -Be 50000 -Because "$name counts the UDP payload, not the headers"
            }
        } finally {
            $tx.Dispose()
            $rx.Dispose()
        }
    }

    It 'a -LocalAddress rule holds IPv6 between ULA addresses' {
        Set-WfLimit -LocalAddress 'fd00:211::/64' -Protocol TCP -Rate 1MB -Direction Ingress
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -Address $veth.Address6B -ReceiverNetns $veth.B -SenderNetns $veth.A
        try { Assert-Held $pair 1MB 'IPv6 ULA local prefix' } finally { Stop-WfTrafficPair $pair }
    }
}

Describe 'Rules together' -Tag Kernel {
    AfterEach { Get-WfLimit | Remove-WfLimit }

    It 'two rules on one flow hold the stricter rate, and the looser counts none of the refused bytes' {
        $pair = Start-WfTrafficPair -Proto udp -Scale 4
        try {
            # the strict rule first: alone, the loose one would drop the sender's bursts above 3 MiB/s itself
            Set-WfLimit -Protocol UDP -LocalPort $pair.Port -Rate 1MB -Direction Ingress -Name strict
            Set-WfLimit -Pid $pair.Receiver.Pid -Rate 3MB -Direction Ingress -Name loose
            # a new bucket starts empty, so each rule may refuse a little on its own at first: count from then on
            Start-Sleep -Seconds 1
            $before = Get-WfLimit -Name loose, strict   # one read of both
            Assert-Held $pair 1MB 'process 3 MiB/s + port 1 MiB/s'
            $after = Get-WfLimit -Name loose, strict
            function Delta($name, $field) { ($after | Where-Object Name -eq $name).$field - ($before | Where-Object Name -eq $name).$field }
            Delta strict DroppedBytes | Should -BeGreaterThan 0 -Because 'the sender sends more than 1 MiB/s'
            Delta loose DroppedBytes | Should -Be 0 -Because 'what the strict rule refused takes nothing from the loose one'
            $passedLoose = Delta loose PassedBytes
            $passedStrict = Delta strict PassedBytes
            [math]::Abs($passedLoose - $passedStrict) | Should -BeLessOrEqual (64KB) -Because "both counted the same passed packets ($passedLoose and $passedStrict B)"
        } finally { Stop-WfTrafficPair $pair }
    }

    It 'a -WatchOnly rule counts what the receiver got and changes nothing' {
        $port = Get-WfTestPort
        Set-WfLimit -Protocol TCP -LocalPort $port -WatchOnly -Name watch -Direction Ingress
        $pair = Start-WfTrafficPair -Proto tcp -Pattern flood -Port $port
        try {
            $m = Measure-WfLimitAccuracy $pair -Rate 1MB -Seconds 4
            $m.MeanRatio | Should -BeGreaterThan 5 -Because "nothing is limited ($($m.Text))"
            kill -TERM $pair.Sender.Pid
            Start-Sleep -Seconds 3 # the receiver reads what is left and ticks its total
            $got = (Read-WfTrafficLines $pair.Receiver 'tick' | Select-Object -Last 1).total
        } finally { Stop-WfTrafficPair $pair }
        $w = Get-WfLimit -Name watch
        Write-Host "    watch-only: counted $($w.PassedBytes) B, the receiver got $got B"
        $w.WatchOnly | Should -BeTrue
        $w.DroppedPackets | Should -Be 0
        $w.PassedBytes / $got | Should -BeGreaterOrEqual 0.99
        $w.PassedBytes / $got | Should -BeLessOrEqual 1.01
    }

    It '1,000 rules of mixed kinds load, list and go' {
        $tuples = 1..600 | ForEach-Object { [pscustomobject]@{ Protocol = 'TCP'; RemotePort = 40000 + $_ } }
        $tuples | Set-WfLimit -Rate 1MB -Direction Ingress
        Set-WfLimit -ProcessName (1..250 | ForEach-Object { "wfnone$_" }) -Rate 2MB -Direction Egress
        Set-WfLimit -User (1..100 | ForEach-Object { 60000 + $_ }) -Rate 3MB -Direction Ingress
        Set-WfLimit -ProcessName (1..50 | ForEach-Object { "wfp$_*" }) -Rate 4MB -Direction Ingress
        $all = Get-WfLimit
        $all.Count | Should -Be 1000
        ($all | Group-Object Kind | ForEach-Object { "$($_.Name)=$($_.Count)" }) -join ' ' | Should -Be 'Tuple=600 ProcessName=300 User=100'
        @($all.Name | Sort-Object -Unique).Count | Should -Be 1000 -Because 'every rule has its own name'
        (Get-WfLimit -Kind Tuple | Select-Object -First 1).Target | Should -Match '^TCP remote port 4\d{4}$'
        $all | Remove-WfLimit
        Get-WfLimit | Should -BeNullOrEmpty
    }

    It 'a target given twice in one call is one rule' {
        Set-WfLimit -Pid $PID, $PID -Rate 1MB -Direction Egress
        @(Get-WfLimit -Pid $PID).Count | Should -Be 1
    }

    It 'setting the same target again changes the rule in place and keeps its counters' {
        $pair = Start-WfTrafficPair -Proto udp -Scale 2
        try {
            Set-WfLimit -Protocol UDP -LocalPort $pair.Port -Rate 1MB -Direction Ingress
            Start-Sleep -Seconds 2
            $before = Get-WfLimit -Kind Tuple
            Set-WfLimit -Protocol UDP -LocalPort $pair.Port -Rate 512KB -Direction Ingress
            $after = Get-WfLimit -Kind Tuple
            @($after).Count | Should -Be 1
            $after.Id | Should -Be $before.Id
            $after.Name | Should -Be $before.Name
            $after.Rate | Should -Be 512KB
            $after.PassedBytes | Should -BeGreaterOrEqual $before.PassedBytes
        } finally { Stop-WfTrafficPair $pair }
    }
}
