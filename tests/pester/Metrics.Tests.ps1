# Export-WfMetrics (issue 12): Prometheus's text format from the pinned kernel state, checked by
# Debian's promtool and against what a limited flow's receiver measured.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher -ErrorAction SilentlyContinue

    function Get-WfMetricValue {
        # The value of one series (name and labels as they appear in the text), or $null.
        param([string] $Text, [string] $Series)
        foreach ($line in $Text -split "`n") {
            if ($line.StartsWith("$Series ")) { return [double]::Parse($line.Substring($Series.Length + 1), [cultureinfo]::InvariantCulture) }
        }
        $null
    }
}

AfterAll {
    Disable-Wirefisher -ErrorAction SilentlyContinue
}

Describe 'Export-WfMetrics' -Tag Kernel {
    BeforeAll {
        Enable-Wirefisher
        $script:pair = Start-WfTrafficPair -Proto tcp -Scale 4 -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 2MB -Direction Ingress -Name metrics-in }
        $null = Get-WfReceiverTicks $pair -Count 2
    }
    AfterAll {
        Remove-WfLimit -Name metrics-in -ErrorAction SilentlyContinue
        Stop-WfTrafficPair $pair
    }

    It 'writes text that promtool check metrics accepts' {
        $text = Export-WfMetrics
        $text | Should -Match '(?m)^wirefisher_rule_passed_bytes_total\{rule="metrics-in",kind="Process",direction="Ingress"\} \d+$'
        $lint = $text | promtool check metrics 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$lint"
        "$lint".Trim() | Should -BeNullOrEmpty
    }

    It 'a limited flow''s passed-bytes counter rises at what its receiver measured (5 %), its dropped counter only grows' {
        $series = 'wirefisher_rule_passed_bytes_total{rule="metrics-in",kind="Process",direction="Ingress"}'
        $dropped = 'wirefisher_rule_dropped_bytes_total{rule="metrics-in",kind="Process",direction="Ingress"}'
        $k = Get-WfLastTickIndex $pair
        $t0 = [datetime]::UtcNow; $m0 = Export-WfMetrics
        $ticks = Get-WfReceiverTicks $pair -Count 6 -After $k
        $t1 = [datetime]::UtcNow; $m1 = Export-WfMetrics
        $counted = ((Get-WfMetricValue $m1 $series) - (Get-WfMetricValue $m0 $series)) / ($t1 - $t0).TotalSeconds
        $received = ($ticks | Measure-Object -Property bytes -Sum).Sum / ($ticks | Measure-Object -Property dt -Sum).Sum
        $text = "counter $([math]::Round($counted)) B/s, receiver $([math]::Round($received)) B/s"
        Write-Host "    metrics: $text"
        $counted / $received | Should -BeGreaterOrEqual 0.95 -Because $text
        $counted / $received | Should -BeLessOrEqual 1.05 -Because $text
        Get-WfMetricValue $m1 $dropped | Should -BeGreaterOrEqual (Get-WfMetricValue $m0 $dropped)
        Get-WfMetricValue $m1 'wirefisher_rule_limit_bytes_per_second{rule="metrics-in",kind="Process",direction="Ingress"}' | Should -Be (2MB)
    }

    It 'shows the receiving process by pid and name, and folds quiet processes into (other)' {
        $p = $pair.Receiver.Pid
        $name = (Get-Process -Id $p).ProcessName
        $text = Export-WfMetrics
        $text | Should -Match ('(?m)^wirefisher_process_bytes_total\{pid="' + $p + '",process="' + [regex]::Escape($name) + '",direction="Ingress"\} \d+$')
        $all = Export-WfMetrics -MinProcessBytes ([ulong]::MaxValue)
        $all | Should -Not -Match "pid=`"$p`""
        $all | Should -Match '(?m)^wirefisher_process_bytes_total\{pid="",process="\(other\)",direction="Ingress"\} \d+$'
    }

    It '-Path replaces the file in one rename, and -WhatIf writes nothing' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) "wf-metrics-$PID"
        try {
            $file = Join-Path $dir 'wirefisher.prom'
            Export-WfMetrics -Path $file -WhatIf
            Test-Path $file | Should -BeFalse
            Export-WfMetrics -Path $file
            Export-WfMetrics -Path $file
            Get-Content -Raw $file | Should -Match '(?m)^wirefisher_enabled 1$'
            @(Get-ChildItem -Force $dir).Name | Should -Be @('wirefisher.prom') -Because 'no temporary file is left'
        } finally {
            Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
        }
    }

    It 'a file that cannot be written stops with ExportWfMetricsWriteFailed' {
        $err = { Export-WfMetrics -Path /proc/wirefisher-nope/wirefisher.prom } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ExportWfMetricsWriteFailed,*'
        $err.Exception.Message | Should -Not -BeNullOrEmpty
    }

    It 'Start-WfMetricsServer serves the same text at /metrics, and 404 elsewhere' {
        $port = Get-WfTestPort
        $e = Start-WfMetricsServer -Port $port
        try {
            $e.Url | Should -Be "http://127.0.0.1:$port/metrics"
            $r = Invoke-WebRequest $e.Url
            $r.Headers['Content-Type'] | Should -Be 'text/plain; version=0.0.4; charset=utf-8'
            "$($r.Content)" | Should -Match '(?m)^wirefisher_rule_info\{rule="metrics-in",'
            { Invoke-WebRequest "http://127.0.0.1:$port/other" } | Should -Throw '*404*'
        } finally {
            $e | Stop-WfMetricsServer
        }
    }

    It 'Start-WfMetricsServer refuses <Case> with <Id> (<Category>)' -ForEach @(
        @{ Case = 'a port in use'; Id = 'StartWfMetricsServerListenFailed'; Category = 'ResourceUnavailable'; Call = { Start-WfMetricsServer -Port $busy } }
        @{ Case = 'a port it serves already'; Id = 'StartWfMetricsServerAlreadyServing'; Category = 'ResourceExists'; Call = { Start-WfMetricsServer -Port $mine } }
        @{ Case = 'an address that is none'; Id = 'StartWfMetricsServerInvalidAddress'; Category = 'InvalidArgument'; Call = { Start-WfMetricsServer -Address 'web1' } }
    ) {
        $busy = Get-WfTestPort -Count 2
        $mine = $busy + 1
        $other = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, $busy)
        $other.Start()
        $null = Start-WfMetricsServer -Port $mine
        try {
            $err = $Call | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
            $err.CategoryInfo.Category | Should -Be $Category
            $err.Exception.Message | Should -Not -BeNullOrEmpty
        } finally {
            $other.Stop()
            Stop-WfMetricsServer -Port $mine
        }
    }

    It 'says wirefisher_enabled 0, and nothing else, when Wirefisher is off' {
        Disable-Wirefisher
        try {
            $text = Export-WfMetrics
            Get-WfMetricValue $text 'wirefisher_enabled' | Should -Be 0
            @($text -split "`n" | Where-Object { $_ -and -not $_.StartsWith('#') }) | Should -HaveCount 1
        } finally {
            Enable-Wirefisher
            Set-WfLimit -Pid $pair.Receiver.Pid -Rate 2MB -Direction Ingress -Name metrics-in
        }
    }
}
