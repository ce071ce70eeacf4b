# Issue 11: Show-WfFlowRate, the live top view, in a real 80x24 terminal (tmux), and its plain
# form when the output is redirected.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher -ErrorAction SilentlyContinue
    Enable-Wirefisher
    $script:dotnet = (Get-Process -Id $PID).Path
    $script:import = "Import-Module '$env:WIREFISHER_MODULE'"
}

AfterAll {
    Disable-Wirefisher -ErrorAction SilentlyContinue
}

Describe 'Show-WfFlowRate' -Tag Kernel {
    BeforeAll {
        $script:pair = Start-WfTrafficPair -Proto tcp -Scale 2 -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 1MB -Direction Ingress -Name top-in }
        $null = Get-WfReceiverTicks $pair -Count 2
    }
    AfterAll {
        Remove-WfLimit -Name top-in -ErrorAction SilentlyContinue
        Stop-WfTrafficPair $pair
    }

    It 'redraws in place in an 80x24 tmux, with the flows, their limit and the totals; q quits' {
        $session = "wf-top-$PID"
        $cmd = "$dotnet $PSHOME/pwsh.dll -NoProfile -Command `"$import; Show-WfFlowRate -Top 5`""
        tmux new-session -d -s $session -x 80 -y 24 $cmd
        try {
            Start-Sleep -Seconds 4
            $screen1 = @(tmux capture-pane -p -t $session)
            Start-Sleep -Seconds 2
            $screen2 = @(tmux capture-pane -p -t $session)
            $text = $screen2 -join "`n"
            $screen2 | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
            $screen2[0] | Should -Match '^Wirefisher  \d\d:\d\d:\d\d  \d+ flows by Process, 1 limits in force   q quits' -Because $text
            $screen2[2] | Should -Match '^\s+PID PROCESS\s+DIR\s+INSTANT\s+AVERAGE\s+PEAK\s+SMOOTHED\s+LIMIT$' -Because $text
            $row = @($screen2 | Where-Object { $_ -match "^\s*$($pair.Receiver.Pid) " })
            $row | Should -HaveCount 1 -Because $text
            $row[0] | Should -Match '\sIn\s.*\s1\.0 MiB/s$' -Because "the receiver's limit is shown: $text"
            @($screen2 | Where-Object { $_ -match '^\s+total\s+(In|Out)\s' }) | Should -HaveCount 2 -Because $text
            $screen1[0] | Should -Not -Be $screen2[0] -Because 'the clock in the title moved: the screen is redrawn'
            @($screen2 | Where-Object { $_ -match '^Wirefisher  ' }) | Should -HaveCount 1 -Because 'redrawn in place, not scrolled'
            tmux send-keys -t $session q
            $deadline = (Get-Date).AddSeconds(5)
            do { Start-Sleep -Milliseconds 200; tmux has-session -t $session 2>$null } while ($LASTEXITCODE -eq 0 -and (Get-Date) -lt $deadline)
            $LASTEXITCODE | Should -Not -Be 0 -Because 'q ends the view (and its tmux session)'
        } finally {
            tmux kill-session -t $session 2>$null
        }
    }

    It 'writes plain screens, one after another, when the output is redirected' {
        $out = @(& $dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command "$import; Show-WfFlowRate -Top 3 -Count 2 -Interval 300ms")
        ($out -join "`n") | Should -Not -Match "`e" -Because 'no escape sequences in a file'
        @($out | Where-Object { $_ -match '^Wirefisher  ' }) | Should -HaveCount 2
        $out | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }

    It 'shows the flows of every process piped in, not only the last one''s' {
        $pids = @($pair.Receiver.Pid, $pair.Sender.Pid | Sort-Object)
        $out = @(& $dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command "$import; Get-Process -Id $($pids -join ',') | Show-WfFlowRate -Top 10 -Count 1")
        $shown = @($out | Where-Object { $_ -match '^\s*\d+ \S' } | ForEach-Object { [int]($_ -replace '^\s*(\d+) .*$', '$1') } | Sort-Object -Unique)
        $shown | Should -Be $pids -Because ($out -join "`n")
    }

    It 'refuses -By <_> (InvalidArgument), naming what to use instead' -ForEach @('Cgroup', 'Interface') {
        $err = { Show-WfFlowRate -By $_ -Count 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ShowWfFlowRateInvalidGrouping,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'Watch-WfFlowRate'
    }
}
