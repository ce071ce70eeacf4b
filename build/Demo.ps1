# The Wirefisher demo: a TCP download on loopback, limited to 1 MiB/s and then set free again.
# `./build.ps1 -Task Demo` builds first and then runs this in a fresh `dotnet pwsh`. Needs root.
# Takes about 20 s: 4 s unlimited, 6 s limited, 4 s recovered, plus start-up.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$PSStyle.OutputRendering = 'PlainText'

$root    = Split-Path -Parent $PSScriptRoot
$module  = $env:WIREFISHER_MODULE ?? (Join-Path $root 'out/Wirefisher/Wirefisher.psd1')
$traffic = $env:WIREFISHER_TRAFFIC ?? (Join-Path $root 'out/tools/WfTraffic/WfTraffic.dll')
$port    = '5599'

function Get-Field($Object, [string]$Name) { $Object.PSObject.Properties[$Name]?.Value }

function Start-Traffic([string]$Name, [string[]]$ArgList) {
    # The tool prints one JSON object a line: {"event":"ready","pid":N,...}, then a "tick" each second
    # with the bytes received in the last dt seconds.
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($traffic)
    foreach ($a in $ArgList) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true   # stderr stays on our console
    $psi.RedirectStandardInput = $true    # the tool exits when this pipe closes, even if we are killed
    Write-Host "> dotnet $traffic $($ArgList -join ' ')"
    $p = [System.Diagnostics.Process]::Start($psi)
    [pscustomobject]@{ Name = $Name; Process = $p; Pending = $p.StandardOutput.ReadLineAsync() }
}

function Receive-TrafficEvent($Tool) {
    # Never blocks: returns the events printed since the last call (stdout is read asynchronously).
    while ($Tool.Pending.IsCompleted) {
        $line = $Tool.Pending.Result
        if ($null -eq $line) { return }   # end of output; Pending stays completed
        $Tool.Pending = $Tool.Process.StandardOutput.ReadLineAsync()
        $evt = $null
        if ($line.TrimStart().StartsWith('{')) { try { $evt = $line | ConvertFrom-Json } catch { } }
        if ($evt) { $evt } else { Write-Host "  [$($Tool.Name)] $line" }
    }
}

function Assert-Running($Tool) {
    if ($Tool.Process.HasExited) { throw "The traffic $($Tool.Name) process exited early with code $($Tool.Process.ExitCode)." }
}

function Wait-Ready($Tool, [int]$TimeoutSeconds = 20) {
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([datetime]::UtcNow -lt $deadline) {
        foreach ($e in Receive-TrafficEvent $Tool) { if ((Get-Field $e 'event') -eq 'ready') { return $e } }
        Assert-Running $Tool
        Start-Sleep -Milliseconds 50
    }
    throw "The traffic $($Tool.Name) process did not report ready within $TimeoutSeconds s."
}

function Format-Rate([double]$BytesPerSecond) { '{0,8:N2} MiB/s' -f ($BytesPerSecond / 1MB) }

function Show-Rate([string]$Label, [int]$Seconds) {
    # Prints the receiver's rate at each tick for $Seconds, then the mean without the first tick
    # (it straddles the change that started this phase).
    Write-Host "--- $Label, $Seconds s ---"
    $rates = [System.Collections.Generic.List[double]]::new()
    $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
    while ([datetime]::UtcNow -lt $deadline) {
        foreach ($e in Receive-TrafficEvent $script:recv) {
            if ((Get-Field $e 'event') -ne 'tick') { continue }
            $dt = [double]((Get-Field $e 'dt') ?? 1)
            $rates.Add([double](Get-Field $e 'bytes') / [math]::Max($dt, 0.001))
            Write-Host "  $($Label.PadRight(10)) $(Format-Rate $rates[-1])"
        }
        $null = Receive-TrafficEvent $script:send   # drain the sender so its pipe never fills
        Assert-Running $script:recv
        Assert-Running $script:send
        Start-Sleep -Milliseconds 100
    }
    if ($rates.Count -gt 1) {
        $mean = ($rates | Select-Object -Skip 1 | Measure-Object -Average).Average
        Write-Host "  $($Label.PadRight(10)) mean $(Format-Rate $mean) (first second left out)"
    }
}

function Invoke-Step([scriptblock]$Step, [string]$Note) {
    # Runs a command and says how long it took. The receiver's seconds that ended meanwhile are
    # dropped: they belong to the phase before (Set-WfLimit enables Wirefisher first, which can
    # take seconds on a busy machine, and they would show as unlimited seconds of the limit).
    $w = [System.Diagnostics.Stopwatch]::StartNew()
    & $Step
    Write-Host "  (took $([int]$w.Elapsed.TotalMilliseconds) ms$(if ($Note) { "; $Note" }))"
    $null = Receive-TrafficEvent $script:recv
}

Import-Module $module -Force
$script:recv = $null
$script:send = $null
$receiverPid = $null
$limitSet = $false
try {
    $script:recv = Start-Traffic 'receiver' @('recv', '--proto', 'tcp', '--bind', '127.0.0.1', '--port', $port)
    $receiverPid = (Get-Field (Wait-Ready $script:recv) 'pid') ?? $script:recv.Process.Id
    $script:send = Start-Traffic 'sender' @('send', '--proto', 'tcp', '--to', '127.0.0.1', '--port', $port, '--pattern', 'seed', '--scale', '4')
    $null = Wait-Ready $script:send
    Write-Host "Receiver pid $receiverPid, sender pid $($script:send.Process.Id)"

    Show-Rate 'unlimited' 4

    Write-Host "> Set-WfLimit -Pid $receiverPid -Rate 1MB -Direction Ingress"
    $note = if (-not (Get-WfStatus).Enabled) { 'it enabled Wirefisher first' }
    Invoke-Step { Set-WfLimit -Pid $receiverPid -Rate 1MB -Direction Ingress } $note
    $limitSet = $true
    Show-Rate 'limited' 6

    Write-Host '> Get-WfLimit | Format-Table'
    Get-WfLimit | Format-Table -AutoSize | Out-Host
    Write-Host "> Get-WfFlowRate -Pid $receiverPid"
    Get-WfFlowRate -Pid $receiverPid | Format-Table -AutoSize | Out-Host

    Write-Host "> Remove-WfLimit -Pid $receiverPid"
    Invoke-Step { Remove-WfLimit -Pid $receiverPid }
    $limitSet = $false
    Show-Rate 'recovered' 4

    Write-Host '> Disable-Wirefisher'
    Disable-Wirefisher
    Write-Host 'Demo finished.'
} finally {
    if ($limitSet) {
        # The demo broke while the limit was in force: do not leave a limit on a dead pid behind.
        try { Remove-WfLimit -Pid $receiverPid } catch { Write-Warning "Could not remove the demo's limit: $($_.Exception.Message)" }
    }
    foreach ($tool in $script:send, $script:recv) {
        if (-not $tool) { continue }
        try { $tool.Process.StandardInput.Close() } catch { }   # asks the tool to stop
        if (-not $tool.Process.WaitForExit(2000)) { $tool.Process.Kill($true); $null = $tool.Process.WaitForExit(5000) }
    }
}
