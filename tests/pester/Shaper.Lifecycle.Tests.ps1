# The ingress shaper's footprint: what Set-WfLimit adds to a namespace (Wirefisher's own
# ifb device, an htb class per rule, a tcx link per device), that Remove-WfLimit and
# Disable-Wirefisher take all of it away again, and that the admin's qdiscs stay as they were.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher -ErrorAction SilentlyContinue
    $script:veth = New-WfVethPair
    $script:dev = (ip -n $veth.B -o link show | Select-String -Pattern '\d+: (\S+?)@' | ForEach-Object { $_.Matches[0].Groups[1].Value } | Select-Object -First 1)
    # the admin's own qdisc on the device a download arrives through
    tc -n $veth.B qdisc add dev $dev clsact
    $script:adminQdiscs = (tc -n $veth.B qdisc show dev $dev) -join "`n"

    function Get-WfIfb { param($Netns) (ip -n $Netns -d link show wf-ifb 2>$null) -join "`n" }
    function Get-WfClasses { param($Netns) @(tc -n $Netns class show dev wf-ifb 2>$null | Where-Object { $_ -match '^class htb 1:(\w+) root' } | ForEach-Object { $Matches[1] }) }
    function Get-WfIfbStab {
        # the header bytes the ifb's root qdisc adds to each packet (negative: takes off), or nothing without a size table
        param($Netns)
        $stab = (tc -n $Netns -d -j qdisc show dev wf-ifb root | ConvertFrom-Json).PSObject.Properties['stab']
        if ($stab) { $stab.Value.overhead }
    }
    function Get-WfShapeLinks { @(Get-ChildItem /sys/fs/bpf/wirefisher -Filter 'shape-*' -ErrorAction SilentlyContinue) }
    function Start-WfReceiver {
        $r = Start-WfTrafficProcess -Netns $veth.B -Arguments @('recv', '--proto', 'tcp', '--bind', '0.0.0.0', '--port', (Get-WfTestPort), '--no-stdin-watch')
        $r.Pid = (Wait-WfTrafficReady $r).pid
        $r
    }
}

AfterAll {
    Disable-Wirefisher -ErrorAction SilentlyContinue
    if ($script:veth) { Remove-WfVethPair $script:veth }
}

Describe 'The ingress shaper' -Tag Kernel {
    BeforeAll {
        $script:r1 = Start-WfReceiver
        $script:r2 = Start-WfReceiver
    }
    AfterAll {
        foreach ($r in $r1, $r2) { if ($r -and -not $r.Process.HasExited) { kill $r.Pid } }
    }

    It 'an ingress limit makes an ifb of its own, a class for the rule and tcx links on the device' {
        Set-WfLimit -Pid $r1.Pid -Rate 1MB -Direction Ingress
        Get-WfIfb $veth.B | Should -Match 'alias wirefisher ingress shaper'
        @(Get-WfClasses $veth.B).Count | Should -Be 1
        # the device's two tcx links: ingress (the queue) and egress (the window its ACKs advertise)
        @(Get-WfShapeLinks).Name | Sort-Object | Should -Be @((Get-WfShapeLinks).Name | Where-Object { $_ -notlike '*-out' } | ForEach-Object { $_; "$_-out" } | Sort-Object)
        @(Get-WfShapeLinks).Count | Should -Be 2
        ((Get-WfStatus).IngressShapers -join "`n") | Should -Match ([regex]::Escape($dev))
        (Get-WfLimit -Pid $r1.Pid).Mechanism.HasFlag([Wirefisher.LimitMechanism]::Shaped) | Should -BeTrue
    }

    It 'the ifb counts payload: its root takes the largest headers off each packet, each leaf adds back its own difference' {
        # a size table (tc-stab) and htb's per-class overhead: htb counted whole frames before, and small segments then got 0.885 of the rate
        Get-WfIfb $veth.B | Should -Match 'alias wirefisher ingress shaper, stab -86'
        (Get-WfIfbStab $veth.B) | Should -Be -86
        $overheads = @(tc -n $veth.B -d class show dev wf-ifb | Where-Object { $_ -notmatch ' root ' } | ForEach-Object { if ($_ -match ' overhead (\d+)') { [int]$Matches[1] } else { 0 } })
        ($overheads | Sort-Object) -join ',' | Should -Be '0,12,20,32' -Because ((tc -n $veth.B -d class show dev wf-ifb) -join "`n")
    }

    It 'an ifb of an earlier version (whole frames counted) is made anew with the size table' {
        # what a shaper made before 2026-12-04 looks like: the old alias, a root without a size table
        ip -n $veth.B link set wf-ifb alias 'wirefisher ingress shaper'
        tc -n $veth.B qdisc del dev wf-ifb root
        tc -n $veth.B qdisc add dev wf-ifb root handle 1: htb
        (Get-WfIfbStab $veth.B) | Should -BeNullOrEmpty
        Set-WfLimit -Pid $r1.Pid -Rate 2MB -Direction Ingress
        Get-WfIfb $veth.B | Should -Match 'alias wirefisher ingress shaper, stab -86'
        (Get-WfIfbStab $veth.B) | Should -Be -86
        @(Get-WfClasses $veth.B).Count | Should -Be 1
        @(Get-WfShapeLinks).Count | Should -Be 2
        (Get-WfLimit -Pid $r1.Pid).Mechanism.HasFlag([Wirefisher.LimitMechanism]::Shaped) | Should -BeTrue
    }

    It 'an egress limit or -NoShaping adds no class' {
        Set-WfLimit -Pid $r2.Pid -Rate 1MB -Direction Egress
        Set-WfLimit -Pid $r2.Pid -Rate 2MB -Direction Ingress -NoShaping
        @(Get-WfClasses $veth.B).Count | Should -Be 1
        (Get-WfLimit -Pid $r2.Pid -Direction Ingress).Mechanism.HasFlag([Wirefisher.LimitMechanism]::Shaped) | Should -BeFalse
    }

    It 'a rule that applies to no process of a namespace adds no class there' {
        # each namespace gets classes only for its own rules: 9,000 user rules without processes took 97 s of tc before
        $before = @(Get-WfClasses $veth.B).Count
        Set-WfLimit -User 4000123, 4000124 -Rate 1MB -Direction Ingress
        try {
            @(Get-WfClasses $veth.B).Count | Should -Be $before
        } finally {
            Remove-WfLimit -Name user-4000123, user-4000124 -ErrorAction SilentlyContinue
        }
    }

    It 'a class holds 5 ms of its rate as burst, not the one frame tc gives by default' {
        # tc's default is one frame: each late timer then costs tokens (a 10 MiB/s download held 0.81 in CI)
        Set-WfLimit -Pid $r2.Pid -Rate 10MB -Direction Ingress
        try {
            $class = @(tc -n $veth.B -d class show dev wf-ifb | Where-Object { $_ -match 'parent 1: ' -or $_ -match ' root ' } |
                Where-Object { $_ -match 'rate 8[3-9]\d{3}Kbit|rate 8[3-9]\.\d+Mbit|rate 8[3-9]Mbit' })
            $class.Count | Should -Be 1 -Because ((tc -n $veth.B -d class show dev wf-ifb) -join "`n")
            $class[0] -match 'burst (\d+(?:\.\d+)?)(b|Kb|Mb)/' | Should -BeTrue -Because $class[0]
            $bytes = [double]$Matches[1] * @{ b = 1; Kb = 1KB; Mb = 1MB }[$Matches[2]]
            # tc keeps the burst as time at its clock's resolution: 52,428 bytes come back as 52,407
            $bytes | Should -BeGreaterOrEqual (0.99 * 0.005 * 10MB) -Because $class[0]
        } finally {
            Remove-WfLimit -Pid $r2.Pid -Direction Ingress
        }
    }

    It 'each shaped rule has its own class, and Remove-WfLimit takes only its own' {
        Set-WfLimit -Pid $r2.Pid -Rate 2MB -Direction Ingress   # now shaped too
        @(Get-WfClasses $veth.B).Count | Should -Be 2
        Remove-WfLimit -Pid $r2.Pid
        @(Get-WfClasses $veth.B).Count | Should -Be 1
        Get-WfIfb $veth.B | Should -Not -BeNullOrEmpty
    }

    It 'the last shaped rule gone, the namespace is as it was' {
        Remove-WfLimit -Pid $r1.Pid
        Get-WfIfb $veth.B | Should -BeNullOrEmpty
        @(Get-WfShapeLinks).Count | Should -Be 0
        ((tc -n $veth.B qdisc show dev $dev) -join "`n") | Should -Be $adminQdiscs
    }

    It 'Disable-Wirefisher removes every ifb, class and tcx link it made, and ends the shaper watcher' {
        Set-WfLimit -Pid $r1.Pid -Rate 1MB -Direction Ingress
        Get-WfIfb $veth.B | Should -Not -BeNullOrEmpty
        # the watcher is a process of its own (one that was about to end as this rule came may
        # end, and the rule command start the next)
        $watcher = $null
        try {
            for ($i = 0; $i -lt 100 -and -not $watcher; $i++) {
                $w = (Get-WfStatus).ShaperWatcherPid
                if ($w -and (Get-Content "/proc/$w/cmdline" -Raw -ErrorAction Ignore) -match 'shaper-watch') { $watcher = $w } else { Start-Sleep -Milliseconds 100 }
            }
            $watcher | Should -Not -BeNullOrEmpty -Because 'a shaped rule starts the watcher, dotnet running Wirefisher.dll shaper-watch where dotnet is (this pwsh runs on it)'
        } finally { Disable-Wirefisher }
        Test-Path "/proc/$watcher" | Should -BeFalse -Because 'Disable-Wirefisher leaves no process behind'
        (Get-WfStatus).ShaperWatcherPid | Should -BeNullOrEmpty
        Get-WfIfb $veth.B | Should -BeNullOrEmpty
        (bpftool -j link show | ConvertFrom-Json | Where-Object { $_.type -eq 'tcx' -or $_.type -eq 11 }) | Should -BeNullOrEmpty
        ((tc -n $veth.B qdisc show dev $dev) -join "`n") | Should -Be $adminQdiscs
    }

    It 'ingress limits set one after another start one shaper watcher, not one each' {
        # a watcher at SCHED_IDLE may take seconds to start on a busy host (a pwsh one did); the rule
        # commands in that time must see it coming (ShaperWatch.IsStarting), not start their own
        Disable-Wirefisher
        Enable-Wirefisher
        $sleepers = @(1..5 | ForEach-Object { Start-Process sleep -ArgumentList 600 -PassThru })
        try {
            foreach ($p in $sleepers) { Set-WfLimit -Pid $p.Id -Rate 1MB -Direction Ingress | Out-Null }
            @(pgrep -f 'Wirefisher\.dll shaper-watch|ShaperWatch\]::Run') | Should -HaveCount 1
        } finally {
            $sleepers | ForEach-Object { Remove-WfLimit -Pid $_.Id -ErrorAction SilentlyContinue; $_.Kill() }
        }
    }

    It 'a device named wf-ifb that Wirefisher did not make is refused, and left alone' {
        ip -n $veth.B link add wf-ifb type veth peer name wf-ifb-peer
        try {
            { Set-WfLimit -Pid $r1.Pid -Rate 1MB -Direction Ingress -ErrorAction Stop } | Should -Throw -ExpectedMessage '*did not make it*'
            Get-WfLimit -Pid $r1.Pid -ErrorAction SilentlyContinue | Should -BeNullOrEmpty -Because 'nothing is half-applied'
            Get-WfIfb $veth.B | Should -Match 'veth'
        } finally {
            ip -n $veth.B link del wf-ifb
        }
    }
}

Describe 'A very high ingress rate' -Tag Kernel {
    It 'is shaped with its queue held to 256 MiB (bfifo counts in 32 bits)' {
        $r = Start-WfReceiver
        try {
            Set-WfLimit -Pid $r.Pid -Rate 100GB -Direction Ingress
            @(Get-WfClasses $veth.B).Count | Should -Be 1
            (tc -n $veth.B qdisc show dev wf-ifb) -join "`n" | Should -Match 'bfifo .*limit 256Mb'
        } finally {
            Remove-WfLimit -Pid $r.Pid -ErrorAction SilentlyContinue
            kill $r.Pid
        }
    }
}

Describe 'wf_peers keeps only open connections' -Tag Kernel {
    It '100,000 short connections of an ingress-limited process leave no entries behind' {
        Set-WfLimit -Pid $PID -Rate 100MB -Direction Ingress
        try {
            $null = Invoke-WfShortConnections -Count 100000
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start()
            $open = [Net.Sockets.TcpClient]::new()
            $open.Connect([Net.IPAddress]::Loopback, $listener.LocalEndpoint.Port)
            $held = $listener.AcceptTcpClient()
            $entries = @(bpftool -j map dump pinned /sys/fs/bpf/wirefisher/wf_peers | ConvertFrom-Json)
            $entries.Count | Should -BeLessOrEqual 10 -Because 'a closed connection takes its entry with it'
            $entries.Count | Should -BeGreaterOrEqual 1 -Because 'the open connection is listed, so its sender is paced'
            $open.Dispose(); $held.Dispose(); $listener.Stop()
        } finally {
            Remove-WfLimit -Pid $PID -ErrorAction SilentlyContinue
        }
    }
}
