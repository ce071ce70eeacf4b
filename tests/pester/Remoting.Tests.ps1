# Issue 12: the cmdlets over PowerShell remoting (SSH), as an admin reaches another host. A real
# sshd, started here on 127.0.0.1 with a port, host key and client key of its own, runs this pwsh
# as its powershell subsystem; the "other host" is this one, so the test can check the kernel.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher -ErrorAction SilentlyContinue
    $PSStyle.OutputRendering = 'PlainText'
}

AfterAll {
    Disable-Wirefisher -ErrorAction SilentlyContinue
}

Describe 'Wirefisher over SSH remoting' -Tag Kernel {
    BeforeAll {
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) "wf-ssh-$PID"
        $null = New-Item -ItemType Directory -Force $dir, /run/sshd
        ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
        ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
        Copy-Item "$dir/id_ed25519.pub" "$dir/authorized_keys"
        $port = Get-WfTestPort
        $dotnet = (Get-Process -Id $PID).Path   # pwsh runs as a dotnet tool: dotnet pwsh.dll
        Set-Content "$dir/sshd_config" @"
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem powershell $dotnet $PSHOME/pwsh.dll -sshs -NoLogo -NoProfile
"@
        $script:sshd = Start-Process /usr/sbin/sshd -PassThru -ArgumentList @('-D', '-f', "$dir/sshd_config", '-E', "$dir/sshd.log")
        $deadline = (Get-Date).AddSeconds(15)
        do {
            Start-Sleep -Milliseconds 300
            $s = try { New-PSSession -HostName 127.0.0.1 -Port $port -UserName root -KeyFilePath "$dir/id_ed25519" `
                    -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' } -ErrorAction Stop } catch { $null }
        } until ($s -or (Get-Date) -gt $deadline)
        $s | Should -Not -BeNullOrEmpty -Because (Get-Content -Raw "$dir/sshd.log" -ErrorAction SilentlyContinue)
        $script:session = $s
        Invoke-Command -Session $session { Import-Module $using:env:WIREFISHER_MODULE; Enable-Wirefisher }
        $script:target = Start-Process sleep -ArgumentList 600 -PassThru
    }
    AfterAll {
        if ($target) { $target.Kill() }
        if ($session) { Remove-PSSession $session }
        if ($sshd -and -not $sshd.HasExited) { $sshd.Kill(); $sshd.WaitForExit() }
        Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
    }

    It 'sets, lists and removes a limit there; the rules come back with their numbers and their view' {
        $rule = Invoke-Command -Session $session { Set-WfLimit -Pid $using:target.Id -Rate 1MB -Direction Egress -Name ssh-rule -PassThru }
        $rule.PSObject.TypeNames[0] | Should -Be 'Deserialized.Wirefisher.RateRule'
        $rule.PSComputerName | Should -Be '127.0.0.1'
        $rule.Rate | Should -BeOfType [ulong]
        $rule.Rate | Should -Be 1MB
        $local = Get-WfLimit -Name ssh-rule
        $local.Pid | Should -Be $target.Id -Because 'the rule is in the kernel of the host the command ran on'
        $view = @(($rule | Format-Table | Out-String -Width 80) -split "`n" | Where-Object { $_.Trim() })
        $view[0] -split '\s+' | Where-Object { $_ } | Should -Be @('Name', 'Kind', 'Target', 'Dir', 'Rate', 'Dropped')
        $view[2] | Should -Match '^ssh-rule\s+Process\s+PID \d+ \(sleep\)\s+Egress\s+1 MiB/s\s+0 B$'
        @(Invoke-Command -Session $session { Get-WfLimit -Name ssh-rule }).Count | Should -Be 1
        Invoke-Command -Session $session { Remove-WfLimit -Name ssh-rule }
        Get-WfLimit -Name ssh-rule -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'streams Watch-WfFlowRate -Count 3: snapshots arrive as they are taken' {
        $pair = Start-WfTrafficPair -Proto tcp
        try {
            $null = Get-WfReceiverTicks $pair -Count 1
            $arrived = @(Invoke-Command -Session $session { Watch-WfFlowRate -Count 3 -Interval 1 -Pid $using:pair.Receiver.Pid } |
                    ForEach-Object { [pscustomobject]@{ Stamp = $_.Timestamp; At = [datetime]::Now; Type = $_.PSObject.TypeNames[0]; Smoothed = $_.Smoothed } })
            @($arrived.Stamp | Sort-Object -Unique).Count | Should -Be 3
            $arrived[0].Type | Should -Be 'Deserialized.Wirefisher.FlowRate'
            $arrived[-1].Smoothed | Should -BeOfType [ulong]
            ($arrived[-1].At - $arrived[0].At).TotalSeconds | Should -BeGreaterThan 1.5 -Because 'the first snapshot came before the last was taken'
        } finally {
            Stop-WfTrafficPair $pair
        }
    }

    It 'an error there keeps its id and category here' {
        Invoke-Command -Session $session { Set-WfLimit -Pid 4194304 -Rate 1MB } -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SetWfLimitProcessNotFound,Wirefisher.Commands.SetWfLimitCommand*'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
