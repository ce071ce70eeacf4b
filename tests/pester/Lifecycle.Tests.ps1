# Limits live in the kernel, pinned: they outlive the pwsh that set them, another
# pwsh sees and changes them, and Disable-Wirefisher leaves nothing behind.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    function Invoke-OtherPwsh([string] $Script) {
        # a separate pwsh process: nothing of this one's state can leak into it
        $out = & dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command "Import-Module '$env:WIREFISHER_MODULE'; $Script" 2>&1
        if ($LASTEXITCODE -ne 0) { throw "child pwsh failed: $out" }
        $out
    }
}

AfterAll { Disable-Wirefisher -ErrorAction SilentlyContinue }

Describe 'Persistence' -Tag Kernel {
    BeforeAll { $script:pair = Start-WfTrafficPair -Proto tcp -Pattern flood }
    AfterAll { Stop-WfTrafficPair $script:pair }

    It 'a limit set in one pwsh process is read, changed and removed from others' {
        $receiver = $pair.Receiver.Pid
        Invoke-OtherPwsh "Set-WfLimit -Pid $receiver -Rate 2MB -Direction Ingress -Name persist-test" | Out-Null

        $seen = Invoke-OtherPwsh "Get-WfLimit -Name persist-test | ForEach-Object { '{0} {1} {2} {3}' -f `$_.Pid, `$_.Direction, `$_.Rate, `$_.State }"
        $seen | Should -Be "$receiver Ingress $(2MB) Active"
        # and the kernel really holds the flow to it, with nobody holding a file descriptor
        (Measure-WfLimitAccuracy $pair -Rate 2MB -Seconds 3).MeanRatio | Should -BeLessOrEqual 1.03

        Invoke-OtherPwsh "Set-WfLimit -Pid $receiver -Rate 1MB -Direction Ingress" | Out-Null
        $r = Get-WfLimit -Pid $receiver
        $r.Rate | Should -Be 1MB
        $r.Name | Should -Be 'persist-test' -Because 'changing the rate keeps the rule'
        $r.PassedBytes | Should -BeGreaterThan 2MB -Because 'the counters are kept across a change'

        Invoke-OtherPwsh "Remove-WfLimit -Name persist-test" | Out-Null
        Get-WfLimit -Pid $receiver -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Rules follow the process, not the PID' -Tag Kernel {
    It 'shows ProcessExited when the process is gone' {
        $p = Start-Process -FilePath sleep -ArgumentList 30 -PassThru
        try {
            Set-WfLimit -Pid $p.Id -Rate 1MB
            (Get-WfLimit -Pid $p.Id).State | Should -Be @('Active', 'Active')
        } finally { $p.Kill(); $p.WaitForExit() }
        (Get-WfLimit -Pid $p.Id).State | Should -Be @('ProcessExited', 'ProcessExited')
        Remove-WfLimit -Pid $p.Id
    }

    It 'pipes from Get-Process and back into Remove-WfLimit' {
        $p = Start-Process -FilePath sleep -ArgumentList 30 -PassThru
        try {
            $rules = @(Get-Process -Id $p.Id | Set-WfLimit -Rate '512K' -Direction Outbound -PassThru)
            $rules.Count | Should -Be 1
            $rules[0].Direction | Should -Be 'Egress'
            $rules[0].Rate | Should -Be 512KB
            $rules[0].ProcessName | Should -Be 'sleep'
            $rules[0].Burst | Should -BeGreaterThan 0
            Get-WfLimit -Pid $p.Id | Remove-WfLimit
            Get-WfLimit -Pid $p.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        } finally { $p.Kill() }
    }

    It 'supports -WhatIf without changing anything' {
        $before = @(Get-WfLimit).Count
        Set-WfLimit -Pid $PID -Rate 1MB -WhatIf
        @(Get-WfLimit).Count | Should -Be $before
    }
}

Describe 'Get-WfStatus and Disable-Wirefisher' -Tag Kernel {
    It 'reports the attached hooks' {
        Enable-Wirefisher
        $s = Get-WfStatus
        $s.Enabled | Should -BeTrue
        $s.AttachedHooks.Count | Should -Be 4
        $s.Cgroup2Path | Should -Not -BeNullOrEmpty
        (stat -c %a $s.PinDirectory) | Should -Be '700'
    }

    It 'Enable-Wirefisher is idempotent' {
        Enable-Wirefisher
        Enable-Wirefisher
        (Get-WfStatus).Enabled | Should -BeTrue
    }

    It 'leaves no program, link or pin behind' {
        Set-WfLimit -Pid $PID -Rate 1MB
        Disable-Wirefisher
        Test-Path (Get-WfStatus).PinDirectory | Should -BeFalse
        # the kernel frees a detached tracing program after a grace period: give it a few seconds
        $deadline = (Get-Date).AddSeconds(10)
        while ((bpftool prog show | Select-String -Pattern 'name wf_') -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
        (bpftool prog show | Select-String -Pattern 'name wf_') | Should -BeNullOrEmpty
        (bpftool link show | Select-String -Pattern 'wf_') | Should -BeNullOrEmpty
        (Get-WfStatus).Enabled | Should -BeFalse
        Get-WfLimit | Should -BeNullOrEmpty
    }
}

Describe 'An interrupted Enable-Wirefisher' -Tag Kernel {
    AfterAll { Disable-Wirefisher -ErrorAction SilentlyContinue }

    It 'Get-WfStatus names what it left, and the next Enable-Wirefisher completes it' {
        Disable-Wirefisher
        Enable-Wirefisher | Out-Null
        # what a kill between pinning the maps and attaching the programs leaves: maps, no links
        foreach ($p in 'wf_ingress', 'wf_egress', 'wf_sock_create', 'wf_sockops') { Remove-Item "/sys/fs/bpf/wirefisher/$p" }
        $s = Get-WfStatus
        $s.Enabled | Should -BeFalse
        $s.Leftovers | Should -Contain 'wf_rules'
        ($s | Out-String) | Should -Match 'interrupted Enable-Wirefisher'
        Enable-Wirefisher | Out-Null
        (Get-WfStatus).Enabled | Should -BeTrue
        (Get-WfStatus).Leftovers | Should -BeNullOrEmpty
    }

    It 'a Set-WfLimit whose pwsh died half way is rolled back by the next command, and Get-WfStatus names it' {
        Enable-Wirefisher | Out-Null
        $rule = Set-WfLimit -Pid $PID -Rate 1MB -Direction Egress -Name half-done -PassThru
        # what a killed Set leaves: its intent record, its writer gone (no such PID)
        Set-Content "/run/wirefisher/set.99999999.1" "add $($rule.Id)"
        (Get-WfStatus).Leftovers | Should -Match 'set\.99999999\.1 \(a Set-WfLimit that was killed'
        Get-WfLimit -Name half-done -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path /run/wirefisher/set.99999999.1 | Should -BeFalse
        (Get-WfStatus).Leftovers | Should -BeNullOrEmpty
    }

    It 'Set-WfLimit of many PIDs writes its progress, and completes it' {
        Enable-Wirefisher | Out-Null
        $sleepers = @(1..20 | ForEach-Object { Start-Process sleep -ArgumentList 300 -PassThru })
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:WIREFISHER_MODULE'; Set-WfLimit -Pid $($sleepers.Id -join ',') -Rate 1MB -Direction Egress")
            $null = $ps.Invoke()
            $ps.HadErrors | Should -BeFalse -Because "$($ps.Streams.Error)"
            $records = @($ps.Streams.Progress)
            @($records | Where-Object StatusDescription -EQ 'Claiming the sockets of 20 processes').Count | Should -Be 1
            $records[0].Activity | Should -Be 'Set-WfLimit: 20 targets'
            $records[-1].RecordType | Should -Be 'Completed'
        } finally {
            $ps.Dispose()
            Get-WfLimit | Where-Object { $_.Pid -in $sleepers.Id } | Remove-WfLimit
            $sleepers | ForEach-Object { $_.Kill() }
        }
    }

    It 'Disable-Wirefisher with many rules writes its progress, and completes it' {
        Enable-Wirefisher | Out-Null
        1..12 | ForEach-Object { Set-WfLimit -Protocol TCP -LocalPort (20000 + $_) -Rate 1MB -Direction Egress }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:WIREFISHER_MODULE'; Disable-Wirefisher")
            $null = $ps.Invoke()
            $ps.HadErrors | Should -BeFalse -Because "$($ps.Streams.Error)"
            $records = @($ps.Streams.Progress)
            $records[0].Activity | Should -Be 'Disable-Wirefisher: 12 rules'
            @($records.StatusDescription) | Should -Contain 'Detaching the programs and removing the pins'
            $records[-1].RecordType | Should -Be 'Completed'
            (Get-WfStatus).Enabled | Should -BeFalse
        } finally {
            $ps.Dispose()
        }
    }

    It 'a pwsh killed (-9) <_> ms into Set-WfLimit of 40 PIDs leaves all of them limited or none' -ForEach 300, 400, 500, 600, 700, 1000 {
        Enable-Wirefisher | Out-Null
        $sleepers = @(1..40 | ForEach-Object { Start-Process sleep -ArgumentList 300 -PassThru })
        try {
            $pids = $sleepers.Id -join ','
            $psi = [Diagnostics.ProcessStartInfo]::new((Get-Process -Id $PID).Path)
            foreach ($a in "$PSHOME/pwsh.dll", '-NoProfile', '-NonInteractive', '-Command',
                "Import-Module '$env:WIREFISHER_MODULE'; [Console]::Out.WriteLine('go'); [Console]::Out.Flush(); Set-WfLimit -Pid $pids -Rate 1MB -Direction Egress; [Console]::Out.WriteLine('done')") { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardOutput = $true
            $pwsh = [Diagnostics.Process]::Start($psi)
            $pwsh.StandardOutput.ReadLine() | Should -Be 'go'
            Start-Sleep -Milliseconds $_
            $pwsh.Kill()
            $pwsh.WaitForExit(5000) | Out-Null
            $halfWay = @(Get-ChildItem /run/wirefisher -ErrorAction SilentlyContinue | Where-Object Name -Match '^set\.\d+\.\d+$').Count -gt 0
            $limited = @(Get-WfLimit | Where-Object { $_.Pid -in $sleepers.Id })
            Write-Host "    killed after $_ ms: $($limited.Count) of 40 limited$(if ($halfWay) { ' (killed half way: rolled back)' })"
            $limited.Count | Should -BeIn @(0, 40)
            (Get-WfStatus).Leftovers | Should -BeNullOrEmpty
        } finally {
            Get-WfLimit | Where-Object { $_.Pid -in $sleepers.Id } | Remove-WfLimit
            $sleepers | ForEach-Object { $_.Kill() }
        }
    }

    It 'a pwsh killed (-9) <_> ms into Enable-Wirefisher leaves nothing the next one cannot complete' -ForEach 0, 100, 200, 300 {
        Disable-Wirefisher
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in "$PSHOME/pwsh.dll", '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$env:WIREFISHER_MODULE'; [Console]::Out.WriteLine('go'); [Console]::Out.Flush(); Enable-Wirefisher") { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $pwsh = [Diagnostics.Process]::Start($psi)
        $pwsh.StandardOutput.ReadLine() | Should -Be 'go'   # the module is loaded; Enable-Wirefisher starts now
        Start-Sleep -Milliseconds $_
        $pwsh.Kill()   # SIGKILL to the pwsh itself: dotnet runs pwsh.dll in its own process
        $pwsh.WaitForExit(5000) | Out-Null
        Enable-Wirefisher | Out-Null
        (Get-WfStatus).Enabled | Should -BeTrue
        (Get-WfStatus).Leftovers | Should -BeNullOrEmpty
        Set-WfLimit -Pid $PID -Rate 1MB -Direction Egress
        (Get-WfLimit -Pid $PID).Rate | Should -Be 1MB
        Remove-WfLimit -Pid $PID
    }
}
