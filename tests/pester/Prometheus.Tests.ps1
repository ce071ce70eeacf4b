# Issue 12: a real Prometheus (Debian's package, started here on 127.0.0.1 with a store of its
# own) scrapes Start-WfMetricsServer's /metrics and node_exporter's textfile collector fed by
# Export-WfMetrics -Path, while a UDP flow is limited to 2 MiB/s; its rate() must agree with the receiver.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher -ErrorAction SilentlyContinue

    function Invoke-WfPromQuery {
        # One instant query against the test's Prometheus; the first result's value, or $null.
        param([string] $Query)
        $r = Invoke-RestMethod "http://127.0.0.1:$($script:promPort)/api/v1/query?query=$([uri]::EscapeDataString($Query))"
        if ($r.status -ne 'success' -or @($r.data.result).Count -eq 0) { return $null }
        [double]::Parse(@($r.data.result)[0].value[1], [cultureinfo]::InvariantCulture)
    }
}

AfterAll {
    Disable-Wirefisher -ErrorAction SilentlyContinue
}

Describe 'Prometheus scrapes Wirefisher' -Tag Kernel {
    BeforeAll {
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) "wf-prom-$PID"
        $null = New-Item -ItemType Directory -Force "$dir/textfile", "$dir/tsdb"
        $script:wfPort = Get-WfTestPort -Count 3
        $script:nodePort = $wfPort + 1
        $script:promPort = $wfPort + 2
        Set-Content "$dir/prometheus.yml" @"
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: wirefisher
    static_configs: [{ targets: ['127.0.0.1:$wfPort'] }]
  - job_name: node
    static_configs: [{ targets: ['127.0.0.1:$nodePort'] }]
"@
        Enable-Wirefisher
        $script:endpoint = Start-WfMetricsServer -Port $wfPort
        Export-WfMetrics -Path "$dir/textfile/wirefisher.prom"
        $script:node = Start-Process prometheus-node-exporter -PassThru -RedirectStandardError "$dir/node.log" -ArgumentList @(
            "--web.listen-address=127.0.0.1:$nodePort", '--collector.disable-defaults', '--collector.textfile',
            "--collector.textfile.directory=$dir/textfile")
        $script:prom = Start-Process prometheus -PassThru -RedirectStandardError "$dir/prometheus.log" -ArgumentList @(
            "--config.file=$dir/prometheus.yml", "--storage.tsdb.path=$dir/tsdb", "--web.listen-address=127.0.0.1:$promPort")
        $deadline = (Get-Date).AddSeconds(30)
        do {
            Start-Sleep -Milliseconds 500
            $ready = try { (Invoke-WebRequest "http://127.0.0.1:$promPort/-/ready" -TimeoutSec 2).StatusCode -eq 200 } catch { $false }
        } until ($ready -or (Get-Date) -gt $deadline)
        $ready | Should -BeTrue -Because (Get-Content -Raw "$dir/prometheus.log" -ErrorAction SilentlyContinue)
        # UDP: the bucket drops what is over the rate, so the dropped counter has something to count
        $script:pair = Start-WfTrafficPair -Proto udp -Scale 4 -OnReceiverReady { param($p) Set-WfLimit -Pid $p -Rate 2MB -Direction Ingress -Name prom-in }
        # 18 s of the limited flow; the textfile is rewritten four times a second (node_exporter gives
        # its samples the scrape's time, so a file a second old would skew rate() by up to 1 s in 12)
        $k = Get-WfLastTickIndex $pair
        $until = (Get-Date).AddSeconds(18)
        while ((Get-Date) -lt $until) {
            Export-WfMetrics -Path "$dir/textfile/wirefisher.prom"
            Start-Sleep -Milliseconds 250
        }
        $ticks = @(Read-WfTrafficLines $pair.Receiver 'tick' | Where-Object { $_.k -gt $k + 5 })
        $script:received = ($ticks | Measure-Object -Property bytes -Sum).Sum / ($ticks | Measure-Object -Property dt -Sum).Sum
    }
    AfterAll {
        if ($pair) { Remove-WfLimit -Name prom-in -ErrorAction SilentlyContinue; Stop-WfTrafficPair $pair }
        foreach ($p in $prom, $node) { if ($p -and -not $p.HasExited) { $p.Kill(); $p.WaitForExit() } }
        Stop-WfMetricsServer -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
    }

    It 'rate() of the rule''s passed bytes from <Job> is within 5 % of what the receiver measured' -ForEach @(
        @{ Job = 'wirefisher' }, @{ Job = 'node' }
    ) {
        $rate = Invoke-WfPromQuery "rate(wirefisher_rule_passed_bytes_total{job=`"$Job`",rule=`"prom-in`"}[12s])"
        $text = "Prometheus $([math]::Round($rate)) B/s, receiver $([math]::Round($received)) B/s"
        Write-Host "    $($Job): $text"
        $rate | Should -Not -BeNullOrEmpty -Because 'Prometheus must have scraped the series'
        $rate / $received | Should -BeGreaterOrEqual 0.95 -Because $text
        $rate / $received | Should -BeLessOrEqual 1.05 -Because $text
    }

    It 'the rule''s dropped-bytes counter grew and never went down (no resets in 30 s)' {
        Invoke-WfPromQuery "increase(wirefisher_rule_dropped_bytes_total{job=`"wirefisher`",rule=`"prom-in`"}[8s])" | Should -BeGreaterThan 0
        Invoke-WfPromQuery "resets(wirefisher_rule_dropped_bytes_total{job=`"wirefisher`",rule=`"prom-in`"}[30s])" | Should -Be 0
        Invoke-WfPromQuery "count_over_time(wirefisher_rule_dropped_bytes_total{job=`"wirefisher`",rule=`"prom-in`"}[30s])" | Should -BeGreaterThan 5
    }

    It 'Stop-WfMetricsServer closes the endpoint' {
        Stop-WfMetricsServer -Port $wfPort
        { Invoke-WebRequest $endpoint.Url -TimeoutSec 2 } | Should -Throw
        { Stop-WfMetricsServer -Port $wfPort } | Should -Throw -ErrorId 'StopWfMetricsServerNotFound,Wirefisher.Commands.StopWfMetricsServerCommand'
    }
}
