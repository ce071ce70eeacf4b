# Runs the Pester tests against the built module. build.ps1 starts this in a fresh `dotnet pwsh`
# (a loaded Wirefisher.dll cannot be unloaded), after `-Task Build` has filled out/ and .packages/.
#   dotnet pwsh build/Invoke-Tests.ps1 -ResultFile out/test-results/pester-counts.json [test paths...]
# Writes the counts as one JSON line to -ResultFile and exits 0 once Pester has run (failed tests
# included); a non-zero exit means the run itself broke.
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string]$ResultFile,
    [string]$PesterVersion = '5.7.1',
    [Parameter(ValueFromRemainingArguments)] [string[]]$Path
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$PSStyle.OutputRendering = 'PlainText'

$root = Split-Path -Parent $PSScriptRoot
$pester = Join-Path $root ".packages/pester/$PesterVersion/tools/Pester.psd1"
if (-not (Test-Path $pester)) { throw "Pester $PesterVersion is not in .packages ($pester): run ./build.ps1 -Task Build first." }

# The tests import the module from here, never from the source tree.
$env:WIREFISHER_MODULE  = Join-Path $root 'out/Wirefisher/Wirefisher.psd1'
$env:WIREFISHER_TRAFFIC = Join-Path $root 'out/tools/WfTraffic/WfTraffic.dll'
$resultsDir = Join-Path $root 'out/test-results'
New-Item -ItemType Directory -Force -Path $resultsDir | Out-Null

Import-Module $pester
$config = New-PesterConfiguration
$config.Run.Path = [string[]]$(if ($Path) { $Path } else { Join-Path $root 'tests/pester' })
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.RenderMode = 'Plaintext'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $resultsDir 'pester.xml'

$r = Invoke-Pester -Configuration $config

# A failing BeforeAll already fails the tests under it; a failing AfterAll fails none. Count a failed
# block only when no test under it failed, so that every broken thing counts once.
function Get-TestsUnder($Block) { $Block.Tests; foreach ($b in $Block.Blocks) { Get-TestsUnder $b } }
$blocksWithoutFailedTest = @($r.FailedBlocks | Where-Object { -not @(Get-TestsUnder $_ | Where-Object Result -eq 'Failed') }).Count

# What failed, by name and first error line: build.ps1 prints it again just above the totals, where
# a CI log cut to its tail still shows it.
function Get-FirstErrorLine($Item) { @($Item.ErrorRecord | ForEach-Object { "$($_.Exception.Message)" -split "`n" | Select-Object -First 1 }) -join ' | ' }
$failures = @(
    foreach ($t in $r.Failed) { "$($t.ExpandedPath): $(Get-FirstErrorLine $t)" }
    foreach ($b in $r.FailedBlocks) { "block $($b.ExpandedPath): $(Get-FirstErrorLine $b)" }
    foreach ($c in $r.FailedContainers) { "file $($c.Item): $(Get-FirstErrorLine $c)" }
)

[ordered]@{
    result           = "$($r.Result)"
    total            = $r.TotalCount
    passed           = $r.PassedCount
    failed           = $r.FailedCount
    skipped          = $r.SkippedCount
    notRun           = $r.NotRunCount
    failedBlocks     = $r.FailedBlocksCount
    failedBlocksOnly = $blocksWithoutFailedTest
    failedContainers = $r.FailedContainersCount   # files that could not be loaded: none of their tests ran
    failures         = $failures
} | ConvertTo-Json -Compress | Set-Content -Path $ResultFile -Encoding utf8NoBOM
exit 0
