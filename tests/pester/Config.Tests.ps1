# Rule files and the congestion-control switch, end to end: the original's
# config.yaml imports and its rules hold; Export-WfConfig, Disable-Wirefisher,
# Import-WfConfig gives back the same rules; a broken file changes nothing;
# the boot unit's command imports the file; TCP connections that a
# congestion-control rule matches use its algorithm (ss -ti), others keep the default.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) "wfcfg-$(Get-Random -Maximum 99999)"
    New-Item -ItemType Directory $dir | Out-Null
    # a cgroup for the rules that need one
    $script:cg = Join-Path (Get-WfStatus).Cgroup2Path "wfcfg-$(Get-Random -Maximum 9999)"
    New-Item -ItemType Directory $cg | Out-Null

    # the congestion-control algorithm ss shows for the established connections to or from a port
    function Get-WfConnectionCc([int] $Port, [string] $Side = 'dport') {
        $out = ss -tinH state established "( $Side = :$Port )" 2>$null
        @($out | Select-String -Pattern '^\s+(\w+) ' | ForEach-Object { $_.Matches[0].Groups[1].Value }) | Sort-Object -Unique
    }
    function Get-WfRuleView { Get-WfLimit | Sort-Object Name, Direction | ForEach-Object { "$($_.Name)|$($_.Kind)|$($_.Target)|$($_.Direction)|$($_.Rate)|$($_.TimeScale)|$($_.WatchOnly)|$($_.PerProcess)" } }
    function Assert-ConfigHeld($Pair, [string] $What) {
        # the rule a config file made holds this pair to its 1 MiB/s
        $m = Measure-WfLimitAccuracy $Pair -Rate 1MB -Seconds 6
        Write-Host "    config ${What}: $($m.Text)"
        $m.MeanRatio | Should -BeGreaterOrEqual 0.97
        $m.MeanRatio | Should -BeLessOrEqual 1.03
    }
    function Get-WfCcView { Get-WfCongestionControl | Sort-Object Name | ForEach-Object { "$($_.Name)|$($_.Kind)|$($_.Target)|$($_.Algorithm)" } }
}

AfterAll {
    Disable-Wirefisher -ErrorAction SilentlyContinue
    Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
    if (Test-Path $cg) { rmdir $cg }
}

Describe 'The original config.yaml' -Tag Kernel {
    AfterAll { Disable-Wirefisher }

    It 'imports as it is (every module, with this host''s PID, cgroup and device) and its rules hold' {
        $port = Get-WfTestPort
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2
        try {
            $dev = (ip -o link show | Select-String -Pattern '\d+: (lo)\b').Matches[0].Groups[1].Value
            $file = Join-Path $dir 'config.yaml'
            @"
process_module:
  process_rule:
    target_pid: $($pair.Receiver.Pid)
    rate_bps: 1M
    gress: ingress        # or egress
    time_scale: 1s

cgroup_module:
  cgroup_rule:
    target_cgroup: "$cg"
    rate_bps: 100M
    gress: ingress
    time_scale: 1s

eth_module:
  eth_rule:
    target_if: $dev
    rate_bps: 1G
    gress: egress
    time_scale: 1s

ip_pro_port_module:
  ip_pro_port_rule:
    only_watch: disable   # enable: record 5-tuples, do not limit
    src_ip: 0             # 0 = any
    src_port: 9090
    dst_ip: 127.0.0.1
    dst_port: $port
    protocol: TCP
    rate_bps: 1M
    time_scale: 500ms
    gress: ingress
    src_ip_enable: disable
    src_port_enable: disable
    dst_ip_enable: enable
    dst_port_enable: enable
    protocol_enable: enable

tcp_switch_module:
  tcp_switch_rule:
    ip: 192.168.200.5
    port: 0
    remote: true          # match the remote end (false: the local end)
    congestion: cubic

kafka:
  brokers: "localhost:9092"
  topic: "wirefisher.flow"
"@ | Set-Content $file
            Import-WfConfig -Path $file -WarningVariable warn -WarningAction SilentlyContinue
            "$warn" | Should -Match 'Kafka'
            (Get-WfLimit | Group-Object Kind | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Count)" }) -join ' ' |
                Should -Be 'Cgroup=1 Interface=1 Process=1 Tuple=1'
            (Get-WfLimit -Kind Tuple).Target | Should -Be "TCP local 127.0.0.1 port $port"
            (Get-WfLimit -Kind Tuple).TimeScale | Should -Be ([timespan]::FromMilliseconds(500)) -Because '500ms is half a second (the original made it 0)'
            (Get-WfCongestionControl).Algorithm | Should -Be 'cubic'
            Assert-ConfigHeld $pair process_rule
        } finally { Stop-WfTrafficPair $pair }
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -Port $port
        try {
            Assert-ConfigHeld $pair ip_pro_port_rule
        } finally { Stop-WfTrafficPair $pair }
    }
}

Describe 'The original config.yaml, cgroup and eth modules' -Tag Kernel {
    BeforeAll {
        $script:hv = New-WfHostVeth -Net 213 -Prefix "wfc$(Get-Random -Maximum 9999)"
    }
    AfterAll {
        Disable-Wirefisher
        Remove-WfHostVeth $hv
    }

    It 'its cgroup_rule and eth_rule really limit' {
        $file = Join-Path $dir 'config2.yaml'
        @"
cgroup_module:
  cgroup_rule:
    target_cgroup: "$cg"
    rate_bps: 1M
    gress: ingress
    time_scale: 1s

eth_module:
  eth_rule:
    target_if: $($hv.Device)
    rate_bps: 1M
    gress: ingress
    time_scale: 1s
"@ | Set-Content $file
        Import-WfConfig -Path $file
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -ReceiverCgroup $cg
        try {
            Assert-ConfigHeld $pair cgroup_rule
        } finally { Stop-WfTrafficPair $pair }
        $pair = Start-WfTrafficPair -Proto tcp -Scale 2 -Address $hv.HostAddress -SenderNetns $hv.Netns
        try {
            Assert-ConfigHeld $pair eth_rule
        } finally { Stop-WfTrafficPair $pair }
    }
}

Describe 'Wirefisher''s own form' -Tag Kernel {
    AfterAll {
        Disable-Wirefisher
        Remove-Item /etc/systemd/system/wirefisher.service -ErrorAction SilentlyContinue
    }

    It 'round-trips a mixed set of rules: Export, Disable, Import gives the same rules' {
        Set-WfLimit -Pid $PID -Rate 3MB -Direction Egress -TimeScale 500ms
        Set-WfLimit -ProcessName 'wfcfg*' -Rate 2MB -Direction Ingress
        Set-WfLimit -User 61001 -Rate 5MB -Direction Egress -PerProcess
        Set-WfLimit -Cgroup $cg -Rate 100MB
        Set-WfLimit -Interface lo -Rate 1GB -Direction Egress
        Set-WfLimit -Protocol TCP -RemotePort 443 -Rate 5MB -Direction Ingress -Name https-in
        Set-WfLimit -Protocol UDP -RemoteAddress 10.9.0.0/16, 10.10.0.1 -RemotePort 53 -Rate 64KB -Direction Egress
        Set-WfLimit -LocalAddress 'fd00::/8' -LocalPort 8000-8100 -Rate 10MB -Direction Ingress -NoShaping
        Set-WfLimit -RemoteAddress 'fd00:211::2' -Protocol TCP -Rate 7MB -Direction Egress
        Set-WfLimit -Protocol TCP -RemotePort 9090 -WatchOnly -Name watch-9090
        Set-WfCongestionControl -LocalPort 8080 -Algorithm cubic -Name cc-8080
        Set-WfCongestionControl -ProcessName rsync -Algorithm reno
        $rules = Get-WfRuleView
        $cc = Get-WfCcView
        $rules.Count | Should -BeGreaterOrEqual 12
        $file = Join-Path $dir 'rules.yaml'
        Export-WfConfig -Path $file
        Disable-Wirefisher
        Import-WfConfig -Path $file
        Get-WfRuleView | Should -Be $rules
        Get-WfCcView | Should -Be $cc
    }

    It 'imports the same file again without changing anything' {
        $file = Join-Path $dir 'rules.yaml'
        $before = Get-WfLimit | Sort-Object Id | ForEach-Object { "$($_.Id) $($_.Created.Ticks)" }
        Import-WfConfig -Path $file
        Get-WfLimit | Sort-Object Id | ForEach-Object { "$($_.Id) $($_.Created.Ticks)" } | Should -Be $before
        Get-Content $file | Import-WfConfig   # the same from the pipeline
        Get-WfLimit | Sort-Object Id | ForEach-Object { "$($_.Id) $($_.Created.Ticks)" } | Should -Be $before
        Get-Item $file | Import-WfConfig      # the file itself, bound to -Path by its FullName
        Get-WfLimit | Sort-Object Id | ForEach-Object { "$($_.Id) $($_.Created.Ticks)" } | Should -Be $before
    }

    It 'makes the rules in force those of the file: a rule the file lacks goes, -WhatIf changes nothing' {
        $file = Join-Path $dir 'two.yaml'
        "rules:`n  - Name: only-one`n    Protocol: TCP`n    LocalPort: 7000`n    Rate: 1MB`n    Direction: Ingress" | Set-Content $file
        Import-WfConfig -Path $file -WhatIf
        @(Get-WfLimit).Count | Should -BeGreaterOrEqual 12
        Import-WfConfig -Path $file
        (Get-WfLimit).Name | Should -Be 'only-one'
        Get-WfCongestionControl | Should -BeNullOrEmpty
    }

    It 'refuses <Why> and applies nothing' -ForEach @(
        @{ Why = 'a YAML syntax error, naming the line'; Text = "rules:`n  - Name: x`n    Rate: 1MB: 2MB`n"; Match = ':3:' }
        @{ Why = 'an unknown interface'; Text = "rules:`n  - Name: ok`n    LocalPort: 7001`n    Rate: 1MB`n  - Name: bad`n    Interface: wfnosuch0`n    Rate: 1MB"; Match = 'wfnosuch0' }
        @{ Why = 'two rules of one name'; Text = "rules:`n  - Name: dup`n    LocalPort: 7002`n    Rate: 1MB`n    Direction: Ingress`n  - Name: dup`n    LocalPort: 7003`n    Rate: 1MB`n    Direction: Ingress"; Match = 'dup' }
        @{ Why = 'an unknown congestion-control algorithm'; Text = "congestionControl:`n  - LocalPort: 8080`n    Algorithm: wfnosuchcc"; Match = 'cubic' }
    ) {
        $before = Get-WfRuleView
        $file = Join-Path $dir 'broken.yaml'
        $Text | Set-Content $file
        $err = { Import-WfConfig -Path $file } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match ([regex]::Escape($Match))
        Get-WfRuleView | Should -Be $before
    }

    It '-Boot writes a unit whose command imports the file after Disable-Wirefisher' {
        Set-WfLimit -Protocol TCP -LocalPort 7100 -Rate 2MB -Direction Ingress -Name boot-rule
        $file = Join-Path $dir 'boot/rules.yaml'
        New-Item -ItemType Directory -Force /etc/systemd/system | Out-Null
        Export-WfConfig -Path $file -Boot
        (Get-WfStatus).BootUnit | Should -Be '/etc/systemd/system/wirefisher.service'
        $unit = Get-Content /etc/systemd/system/wirefisher.service
        $unit | Should -Contain 'Type=oneshot'
        $exec = ($unit | Where-Object { $_ -like 'ExecStart=*' }).Substring('ExecStart='.Length)
        Disable-Wirefisher
        bash -c $exec
        $LASTEXITCODE | Should -Be 0
        (Get-WfLimit -Name boot-rule).Rate | Should -Be 2MB
    }
}

Describe 'Import-WfConfig -Path that cannot be read' -Tag Kernel {
    # after 'Wirefisher''s own form', whose AfterAll disabled Wirefisher: a failed import enables nothing
    It 'a missing <What> is ObjectNotFound (FileNotFound), naming the path and Get-Content | Import-WfConfig' -ForEach @(
        @{ What = 'file'; Rel = 'nosuch.yaml' }
        @{ What = 'folder'; Rel = 'nosuchdir/rules.yaml' }
    ) {
        $file = Join-Path $dir $Rel
        $err = { Import-WfConfig -Path $file } | Should -Throw -ErrorId 'ImportWfConfigFileNotFound,Wirefisher.Commands.ImportWfConfigCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.TargetObject | Should -Be $file
        $err.Exception.Message | Should -Match ([regex]::Escape($file))
        $err.Exception.Message | Should -Match 'Get-Content .* \| Import-WfConfig'
        (Get-WfStatus).Enabled | Should -BeFalse
    }

    It 'a folder is InvalidArgument (FileReadFailed), not PermissionDenied' {
        $err = { Import-WfConfig -Path $dir } | Should -Throw -ErrorId 'ImportWfConfigFileReadFailed,Wirefisher.Commands.ImportWfConfigCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'is a folder'
    }

    It 'a file that is there but cannot be read is <Category> (FileReadFailed), not FileNotFound' -ForEach @(
        @{ File = '/proc/sys/vm/compact_memory'; Category = 'PermissionDenied' }   # mode 0200: even root may not read it
        @{ File = '/proc/self/mem'; Category = 'ReadError' }                       # reading offset 0 is EIO
    ) {
        $err = { Import-WfConfig -Path $File } | Should -Throw -ErrorId 'ImportWfConfigFileReadFailed,Wirefisher.Commands.ImportWfConfigCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be $Category
        $err.Exception.Message | Should -Match ([regex]::Escape($File))
    }
}

Describe 'What Import-WfConfig binds from the pipeline' -Tag Kernel {
    # each case stops at the file (FileNotFound) or the parser (InvalidFile), whose error names what was bound
    BeforeAll {
        $script:broken = Join-Path $dir 'bind-broken.yaml'
        "rules:`n  - Name: x`n    Rate: 1MB: 2MB" | Set-Content $broken
    }

    It 'a file (<What>) binds to -Path, by its FullName or PSPath' -ForEach @(
        @{ What = 'Get-Item'; Item = { Get-Item $broken }; Named = { $broken } }
        @{ What = 'a FileInfo of a missing file'; Item = { [IO.FileInfo](Join-Path $dir 'bind-nosuch.yaml') }; Named = { Join-Path $dir 'bind-nosuch.yaml' } }
        @{ What = 'an object with only a PSPath'; Item = { [pscustomobject]@{ PSPath = "Microsoft.PowerShell.Core\FileSystem::$(Join-Path $dir 'bind-nosuch.yaml')" } }; Named = { Join-Path $dir 'bind-nosuch.yaml' } }
    ) {
        $err = { & $Item | Import-WfConfig } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ImportWfConfig*File*'
        $err.TargetObject | Should -Be (& $Named)
    }

    It 'text (<What>) binds to -InputObject, even Get-Content''s lines, which carry a PSPath' -ForEach @(
        @{ What = 'Get-Content'; Text = { Get-Content $broken } }
        @{ What = 'Get-Content -Raw'; Text = { Get-Content $broken -Raw } }
        @{ What = 'a string'; Text = { "rules:`n  - Name: x`n    Rate: 1MB: 2MB" } }
    ) {
        $err = { & $Text | Import-WfConfig } | Should -Throw -ErrorId 'ImportWfConfigInvalidFile,Wirefisher.Commands.ImportWfConfigCommand' -PassThru
        $err.Exception.Message | Should -BeLike '(pipeline):3:*'
    }

    It 'two files piped in are InvalidArgument (TooManyFiles): the second would only replace the first' {
        Copy-Item $broken (Join-Path $dir 'bind-broken2.yaml')
        $err = { Get-ChildItem $dir -Filter 'bind-broken*.yaml' | Import-WfConfig } | Should -Throw -ErrorId 'ImportWfConfigTooManyFiles,Wirefisher.Commands.ImportWfConfigCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'an empty pipeline is InvalidArgument (NoInput), not an empty file' {
        $err = { Get-ChildItem $dir -Filter 'bind-nosuch*.yaml' | Import-WfConfig } | Should -Throw -ErrorId 'ImportWfConfigNoInput,Wirefisher.Commands.ImportWfConfigCommand' -PassThru
        $err.Exception.Message | Should -Match 'Get-Item'
    }
}

Describe 'The congestion-control switch' -Tag Kernel {
    AfterEach { Get-WfCongestionControl | Remove-WfCongestionControl; Get-WfLimit | Remove-WfLimit }

    It 'a connection to a matching port uses the algorithm, one to another port keeps the default' {
        $default = (Get-Content /proc/sys/net/ipv4/tcp_congestion_control).Trim()
        $other = if ($default -eq 'cubic') { 'reno' } else { 'cubic' }
        $p1 = Get-WfTestPort
        $p2 = Get-WfTestPort
        Set-WfCongestionControl -RemotePort $p1 -Algorithm $other
        $a = Start-WfTrafficPair -Proto tcp -Scale 1 -Port $p1
        $b = Start-WfTrafficPair -Proto tcp -Scale 1 -Port $p2
        try {
            Start-Sleep -Seconds 1
            Get-WfConnectionCc $p1 | Should -Be $other
            Get-WfConnectionCc $p2 | Should -Be $default
            (Get-WfStatus).CongestionRuleCount | Should -Be 1
        } finally { Stop-WfTrafficPair $a; Stop-WfTrafficPair $b }
    }

    It 'an open connection is switched when the rule is set, and by process name' {
        $default = (Get-Content /proc/sys/net/ipv4/tcp_congestion_control).Trim()
        $other = if ($default -eq 'cubic') { 'reno' } else { 'cubic' }
        $exe = New-WfNamedTraffic
        $pair = Start-WfTrafficPair -Proto tcp -Scale 1 -ReceiverExe $exe
        try {
            Start-Sleep -Seconds 1
            Get-WfConnectionCc $pair.Port 'sport' | Should -Be $default
            Set-WfCongestionControl -ProcessName (Split-Path $exe -Leaf) -Algorithm $other
            Get-WfConnectionCc $pair.Port 'sport' | Should -Be $other -Because 'the receiver''s open connection was switched'
            Get-WfConnectionCc $pair.Port 'dport' | Should -Be $default -Because 'the sender (dotnet) is not matched'
        } finally { Stop-WfTrafficPair $pair; Remove-WfNamedTraffic $exe }
    }

    It 'an algorithm the kernel lacks is ObjectNotFound, listing those it has' {
        $err = { Set-WfCongestionControl -LocalPort 8080 -Algorithm wfnosuchcc } |
            Should -Throw -ErrorId 'SetWfCongestionControlAlgorithmNotFound,Wirefisher.Commands.SetWfCongestionControlCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Message | Should -Match ((Get-Content /proc/sys/net/ipv4/tcp_available_congestion_control).Split(' ')[0])
        Get-WfCongestionControl | Should -BeNullOrEmpty
    }

    It 'a rule without a target is InvalidArgument (NoMatcher)' {
        { Set-WfCongestionControl -Algorithm reno } |
            Should -Throw -ErrorId 'SetWfCongestionControlNoMatcher,Wirefisher.Commands.SetWfCongestionControlCommand'
        Get-WfCongestionControl | Should -BeNullOrEmpty
    }

    It 'setting a rule again keeps its name' {
        Set-WfCongestionControl -LocalPort 8082 -Algorithm reno -Name mine
        Set-WfCongestionControl -LocalPort 8082 -Algorithm cubic
        (Get-WfCongestionControl).Name | Should -Be 'mine'
        (Get-WfCongestionControl).Algorithm | Should -Be 'cubic'
    }

    It 'Remove-WfCongestionControl -LocalPort takes the rule of that port away' {
        Set-WfCongestionControl -LocalPort 8080 -Algorithm reno
        Set-WfCongestionControl -LocalPort 8081 -Algorithm reno
        Remove-WfCongestionControl -LocalPort 8080
        (Get-WfCongestionControl).Target | Should -Be 'TCP local port 8081'
    }
}
