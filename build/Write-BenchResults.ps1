# Turns the benchmarks' JSON results (bench/results/*.json, each with a sections list) into
# bench/RESULTS.md: a table per section, with the date, kernel and CPU count of its run and
# which of its targets were met. build.ps1 -Task Bench runs it after the benchmarks.
#   dotnet pwsh build/Write-BenchResults.ps1 [-ResultsDir bench/results] [-OutFile bench/RESULTS.md]
[CmdletBinding()]
param(
    [string]$ResultsDir = (Join-Path (Split-Path $PSScriptRoot) 'bench/results'),
    [string]$OutFile = (Join-Path (Split-Path $PSScriptRoot) 'bench/RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$md = [System.Text.StringBuilder]::new()
$null = $md.AppendLine('# Benchmark results').AppendLine()
$null = $md.AppendLine('Made by `build/Write-BenchResults.ps1` from `bench/results/*.json`; `dotnet pwsh ./build.ps1 -Task Bench` runs the benchmarks and makes it anew. Each section says the run it comes from. Timings drift between runs; compare rows of one run.').AppendLine()
$files = @(Get-ChildItem $ResultsDir -Filter '*.json' -ErrorAction Ignore | Sort-Object Name)
if ($files.Count -eq 0) { $null = $md.AppendLine('No results yet.') }
foreach ($f in $files) {
    $r = Get-Content $f.FullName -Raw | ConvertFrom-Json
    if (-not $r.PSObject.Properties['sections']) { continue }
    $null = $md.AppendLine("## $($r.name)").AppendLine()
    $null = $md.AppendLine("Run on $($r.date), kernel $($r.kernel), $($r.cpus) CPUs$(if ($r.quick) { ', quick run (not for comparison)' }): ``$($r.command)``").AppendLine()
    foreach ($s in $r.sections) {
        $null = $md.AppendLine("### $($s.title)").AppendLine()
        $null = $md.AppendLine('| ' + ($s.columns -join ' | ') + ' |')
        $null = $md.AppendLine('|' + (($s.columns | ForEach-Object { '---' }) -join '|') + '|')
        foreach ($row in $s.rows) {
            $cells = foreach ($c in $s.columns) { $v = $row.$c; if ($v -is [double]) { $v.ToString('0.###', [cultureinfo]::InvariantCulture) } else { "$v" } }
            $null = $md.AppendLine('| ' + ($cells -join ' | ') + ' |')
        }
        $null = $md.AppendLine()
        foreach ($t in @($s.targets)) { $null = $md.AppendLine("- $t") }
        $null = $md.AppendLine()
    }
}
Set-Content -Path $OutFile -Value $md.ToString().TrimEnd() -Encoding utf8NoBOM
"written: $OutFile"
