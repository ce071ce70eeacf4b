<#
.SYNOPSIS
Measures how exactly Set-WfLimit holds a rate: the seed's traffic, the receiver's
bytes per second, on loopback and across a veth pair, for each case in the matrix.
Prints one line per case (mean / target, per-second ratios, TCP retransmits).

.EXAMPLE
dotnet pwsh bench/Measure-LimitAccuracy.ps1
dotnet pwsh bench/Measure-LimitAccuracy.ps1 -Where veth -Proto tcp -Direction Egress -Rate 1MB
#>
param(
    [ValidateSet('loopback', 'veth')] [string[]] $Where = @('loopback', 'veth'),
    [ValidateSet('tcp', 'udp')] [string[]] $Proto = @('tcp', 'udp'),
    [ValidateSet('Ingress', 'Egress')] [string[]] $Direction = @('Ingress', 'Egress'),
    [double[]] $Rate = @(1MB, 10MB),
    [int] $Conns = 1,
    [int] $Seconds = 10
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
Import-Module ($env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1")
Import-Module "$root/tests/pester/WfTestHelpers.psm1"
Assert-WfKernelTestable

function Get-Retrans { [long]((nstat -az TcpRetransSegs 2>$null | Select-String TcpRetransSegs) -split '\s+')[1] }

$veth = if ($Where -contains 'veth') { New-WfVethPair }
try {
    foreach ($w in $Where) { foreach ($p in $Proto) { foreach ($d in $Direction) { foreach ($r in $Rate) {
        $net = if ($w -eq 'veth') { @{ Address = $veth.AddressB; ReceiverNetns = $veth.B; SenderNetns = $veth.A } } else { @{ Address = '127.0.0.1' } }
        # offer well above the limit in every second: scale the seed's gaps with the rate
        $pair = Start-WfTrafficPair -Proto $p -Conns $Conns -Scale ([math]::Max(1, $r / 1MB * 2)) @net
        try {
            Start-Sleep -Seconds 2
            $free = (Get-WfReceiverTicks $pair -Count 1 -After (Get-WfLastTickIndex $pair)).bytes
            $target = if ($d -eq 'Ingress') { $pair.Receiver.Pid } else { $pair.Sender.Pid }
            $before = Get-Retrans
            Set-WfLimit -Pid $target -Rate $r -Direction $d
            $m = Measure-WfLimitAccuracy $pair -Rate $r -Seconds $Seconds
            $retrans = (Get-Retrans) - $before
            Remove-WfLimit -Pid $target
            $after = (Get-WfReceiverTicks $pair -Count 2 -After (Get-WfLastTickIndex $pair))[1].bytes
            '{0,-8} {1} {2,-7} {3,5:N0} MiB/s x{4}: {5}; worst {6:P1}; retrans {7}; free {8:N1} -> after {9:N1} MiB/s' -f $w, $p, $d, ($r / 1MB), $Conns, $m.Text, $m.WorstAfterFirst, $retrans, ($free / 1MB), ($after / 1MB)
        } finally { Stop-WfTrafficPair $pair }
    } } } }
} finally {
    if ($veth) { Remove-WfVethPair $veth }
    Disable-Wirefisher
}
