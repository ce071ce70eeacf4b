# Issue 11: build.ps1 -Task Install lays the module out as Install-Module would, so that
# Import-Module Wirefisher works from any directory with its version; -Task Uninstall takes it out.
# Installs into a directory of the test's own (-Destination), never into the host's module path.

Describe 'build.ps1 -Task Install' {
    BeforeAll {
        $script:root = (Resolve-Path "$PSScriptRoot/../..").Path
        $script:dest = Join-Path ([IO.Path]::GetTempPath()) "wf-modules-$PID"
        $script:version = (Import-PowerShellDataFile "$root/Wirefisher.psd1").ModuleVersion
        $script:pwshArgs = @("$PSHOME/pwsh.dll", '-NoProfile', '-NonInteractive', '-Command')
        $script:dotnet = (Get-Process -Id $PID).Path
        & $dotnet "$PSHOME/pwsh.dll" -NoProfile -File "$root/build.ps1" -Task Install -NoBuild -Destination $dest | Out-Null
        $LASTEXITCODE | Should -Be 0
    }
    AfterAll {
        Remove-Item -Recurse -Force $dest -ErrorAction SilentlyContinue
    }

    It 'puts the module in Destination/Wirefisher/<version>' {
        Test-Path "$dest/Wirefisher/$version/Wirefisher.psd1" | Should -BeTrue
        Test-Path "$dest/Wirefisher/$version/wirefisher.bpf.o" | Should -BeTrue
        Test-Path "$dest/Wirefisher/$version/en-US/about_Wirefisher.help.txt" | Should -BeTrue
    }

    It 'imports by name from another directory, with one version everywhere' {
        Push-Location /tmp
        $saved = $env:PSModulePath
        try {
            $env:PSModulePath = $dest
            $out = @(& $dotnet @pwshArgs 'Get-Module -ListAvailable Wirefisher | ForEach-Object { "listed " + $_.Version }; Import-Module Wirefisher; $m = Get-Module Wirefisher; "loaded " + $m.Version; "from " + $m.ModuleBase; "assembly " + [Wirefisher.RateRule].Assembly.GetName().Version.ToString(3); (Get-Command -Module Wirefisher).Count')
        } finally {
            $env:PSModulePath = $saved
            Pop-Location
        }
        $out | Should -Contain "listed $version"
        $out | Should -Contain "loaded $version"
        $out | Should -Contain "from $dest/Wirefisher/$version"
        $out | Should -Contain "assembly $version"
        [int]$out[-1] | Should -Be @((Import-PowerShellDataFile "$root/Wirefisher.psd1").CmdletsToExport).Count
    }

    It '-Task Uninstall takes it out' {
        & $dotnet "$PSHOME/pwsh.dll" -NoProfile -File "$root/build.ps1" -Task Uninstall -Destination $dest | Out-Null
        $LASTEXITCODE | Should -Be 0
        Test-Path "$dest/Wirefisher" | Should -BeFalse
    }
}
