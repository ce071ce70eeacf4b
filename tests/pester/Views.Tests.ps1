# Every default table view fits an 80-column terminal with whole headers and
# unclipped values in the common case (rule names up to 16 characters, rates up to
# hundreds of MiB/s or GiB/s). Objects are made as the cmdlets make them
# (their setters are internal, so through reflection); nothing touches the kernel.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    $PSStyle.OutputRendering = 'PlainText'

    function New-WfObject([string] $Type, [hashtable] $Values) {
        $t = [Wirefisher.RateRule].Assembly.GetType($Type, $true)
        $o = [Activator]::CreateInstance($t)
        foreach ($k in $Values.Keys) {
            $p = $t.GetProperty($k)
            $p.SetValue($o, [Management.Automation.LanguagePrimitives]::ConvertTo($Values[$k], $p.PropertyType))
        }
        $o
    }

    function Get-WfView($Objects) { @(($Objects | Format-Table | Out-String -Width 80) -split "`n" | Where-Object { $_.Trim() }) }
}

Describe 'Default views at 80 columns' {
    It '<Type> fits with whole headers and values' -ForEach @(
        @{ Type = 'Wirefisher.RateRule'; Headers = 'Name', 'Kind', 'Target', 'Dir', 'Rate', 'Dropped'; Values = @(
            @{ Name = 'backup-nightly-rs'.Substring(0, 16); Kind = 'ProcessName'; Target = 'PID 4261 (firefox)'; Direction = 'Ingress'; Rate = 1000MB; DroppedBytes = 123456789; State = 'Active' }
            @{ Name = 'https-in'; Kind = 'Tuple'; Target = 'TCP remote port 443'.Substring(0, 18); Direction = 'Egress'; Rate = 0; WatchOnly = $true }) }
        @{ Type = 'Wirefisher.FlowRate'; Headers = 'Pid', 'ProcessName', 'Dir', 'Instant', 'Average', 'Peak', 'Smoothed'; Values = @(
            @{ Pid = 4194303; ProcessName = 'firefox-esr'; Direction = 'Ingress'; Instant = 999.99MB; Average = 12.5GB; Peak = 1000MB; Smoothed = 123.45MB }) }
        @{ Type = 'Wirefisher.ConnectionFlowRate'; Headers = 'Pid', 'Proto', 'Local', 'Remote', 'Dir', 'Smoothed'; Values = @(
            @{ Pid = 4194303; Protocol = 'TCP'; LocalAddress = '192.168.100.200'; LocalPort = 65535; RemoteAddress = '10.200.100.250'; RemotePort = 44321; Direction = 'Egress'; Smoothed = 999.99MB }) }
        @{ Type = 'Wirefisher.RuleFlowRate'; Headers = 'Name', 'Dir', 'Limit', 'Instant', 'Smoothed', 'Dropped'; Values = @(
            @{ Name = 'dotnet-4194303'; Direction = 'Ingress'; Rate = 100MB; Instant = 99.99MB; Smoothed = 100MB; DroppedBytes = 1.5GB }) }
        @{ Type = 'Wirefisher.CgroupFlowRate'; Headers = 'Cgroup', 'Dir', 'Instant', 'Smoothed', 'Bytes'; Values = @(
            @{ Cgroup = '/system.slice/nginx.serv'; Direction = 'Egress'; Instant = 11.6MB; Smoothed = 999.99MB; Bytes = 1.82GB }) }
        @{ Type = 'Wirefisher.InterfaceFlowRate'; Headers = 'Interface', 'Dir', 'Conns', 'Instant', 'Smoothed', 'Bytes'; Values = @(
            @{ Interface = 'enp0s31f6'; Direction = 'Ingress'; Connections = 12345; Instant = 11.6MB; Smoothed = 999.99MB; Bytes = 1.82GB }) }
        @{ Type = 'Wirefisher.CongestionRule'; Headers = 'Name', 'Kind', 'Target', 'Algorithm'; Values = @(
            @{ Name = 'cc-tuple-TCP-local-port'; Kind = 'Tuple'; Target = 'TCP local port 8080'; Algorithm = 'cubic' }) }
    ) {
        $objects = foreach ($v in $Values) { New-WfObject $Type $v }
        $lines = Get-WfView $objects
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 -Because "'$_' must fit 80 columns" }
        $header = $lines[0] -split '\s+' | Where-Object { $_ }
        $header | Should -Be $Headers -Because 'every header is whole'
        ($lines | Select-Object -Skip 2) -join "`n" | Should -Not -Match '…' -Because "no value is clipped:`n$($lines -join "`n")"

        # as it comes back from another host over remoting: the same table
        $remote = foreach ($o in $objects) { [Management.Automation.PSSerializer]::Deserialize([Management.Automation.PSSerializer]::Serialize($o)) }
        $remote[0].PSObject.TypeNames[0] | Should -Be "Deserialized.$Type"
        Get-WfView $remote | Should -Be $lines
    }
}
