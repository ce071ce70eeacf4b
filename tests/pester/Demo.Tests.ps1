# The README's first command ends in build/Demo.ps1: a loopback download, its rate, a 1 MiB/s
# limit, the limited rate, the limit removed. This runs that script as the README does (a fresh
# pwsh, the built module) and holds its figures to the limit tests' bounds, so it cannot rot.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    Disable-Wirefisher -ErrorAction SilentlyContinue # the demo starts from a host with nothing loaded
    function Get-DemoMean([string[]] $Lines, [string] $Phase) {
        # "  limited    mean     1.00 MiB/s (first second left out)"
        $pattern = "^\s+$Phase\s+mean\s+([\d.,]+) MiB/s"
        $line = $Lines | Where-Object { $_ -match $pattern } | Select-Object -Last 1
        if (-not $line -or $line -notmatch $pattern) { return $null }
        [double]::Parse($Matches[1].Replace(',', ''), [cultureinfo]::InvariantCulture)
    }
}

Describe 'build/Demo.ps1 (the README''s demo)' -Tag Kernel {
    BeforeAll {
        $script:out = @(& dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -File "$PSScriptRoot/../../build/Demo.ps1" 2>&1 | ForEach-Object { "$_" })
        $script:code = $LASTEXITCODE
        $script:text = $out -join "`n"
    }

    It 'runs to its end' {
        $code | Should -Be 0 -Because $text
        $out | Should -Contain 'Demo finished.' -Because $text
    }

    It 'shows the limited download at 1 MiB/s (mean within 3 %)' {
        $limited = Get-DemoMean $out 'limited'
        $limited | Should -Not -BeNullOrEmpty -Because $text
        $limited | Should -BeGreaterOrEqual 0.97 -Because $text
        $limited | Should -BeLessOrEqual 1.03 -Because $text
    }

    It 'shows it free again after Remove-WfLimit, and leaves Wirefisher disabled' {
        Get-DemoMean $out 'recovered' | Should -BeGreaterThan 4 -Because "four times the old limit at least: $text"
        (Get-WfStatus).Enabled | Should -BeFalse
    }
}
