<#
.SYNOPSIS
How long provisioning many limits takes: N processes limited in one pipeline, listed, and removed.

.EXAMPLE
dotnet pwsh bench/Measure-Provisioning.ps1 -Count 200
#>
param([int] $Count = 200)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
Import-Module ($env:WIREFISHER_MODULE ?? "$root/out/Wirefisher/Wirefisher.psd1")
$procs = 1..$Count | ForEach-Object { Start-Process sleep -ArgumentList 600 -PassThru }
try {
    Enable-Wirefisher
    $t = Measure-Command { $procs | Set-WfLimit -Rate 1MB }
    $l = Measure-Command { $rules = Get-WfLimit }
    $r = Measure-Command { $procs | Remove-WfLimit }
    '{0} processes: Set-WfLimit {1:N2} s ({2} rules), Get-WfLimit {3:N2} s, Remove-WfLimit {4:N2} s' -f $Count, $t.TotalSeconds, $rules.Count, $l.TotalSeconds, $r.TotalSeconds
} finally {
    $procs | ForEach-Object { $_.Kill() }
    Disable-Wirefisher
}
