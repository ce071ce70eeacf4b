# Checks the help of the built module: en-US/Wirefisher.dll-Help.xml (MAML, written by hand) and
# en-US/about_Wirefisher.help.txt, as build.ps1 copies them into out/Wirefisher.
# Needs no root: Get-Help and Get-Command only read metadata and files.
# Safe under Set-StrictMode -Version Latest (build/Invoke-Tests.ps1 sets it): a help object lacks a property
# where the MAML has no such element, so the tests read help through Get-HelpValue.

BeforeDiscovery {
    # The -ForEach data must exist at discovery time, so the module is imported here as well.
    $modulePath = if ($env:WIREFISHER_MODULE) { $env:WIREFISHER_MODULE } else {
        Join-Path $PSScriptRoot '../../out/Wirefisher/Wirefisher.psd1' }
    Import-Module $modulePath -ErrorAction Stop

    $common = [System.Management.Automation.PSCmdlet]::CommonParameters +
        [System.Management.Automation.PSCmdlet]::OptionalCommonParameters   # WhatIf, Confirm, UseTransaction
    $commands = @(Get-Command -Module Wirefisher)
    $cmdletCases = @($commands | ForEach-Object { @{ Name = $_.Name } })
    $parameterCases = @(foreach ($c in $commands) {
            foreach ($p in $c.Parameters.Keys) {
                if ($p -notin $common) { @{ Command = $c.Name; Parameter = $p } }
            }
        })
}

BeforeAll {
    $script:ModulePath = if ($env:WIREFISHER_MODULE) { $env:WIREFISHER_MODULE } else {
        Join-Path $PSScriptRoot '../../out/Wirefisher/Wirefisher.psd1' }
    Import-Module $script:ModulePath -ErrorAction Stop

    function Get-HelpValue {
        # Follows a dotted path of properties through help objects, enumerating arrays;
        # gives nothing where a property is missing.
        param($InputObject, [string] $Path)
        $values = @($InputObject)
        foreach ($name in $Path.Split('.')) {
            $values = @(foreach ($v in $values) {
                    if ($null -ne $v -and $v.PSObject.Properties[$name]) { $v.PSObject.Properties[$name].Value }
                })
        }
        $values | Where-Object { $null -ne $_ }
    }

    function Get-HelpText {
        # The text of a MAML description (an array of paragraphs with a Text property), joined.
        param($InputObject, [string] $Path)
        (@(Get-HelpValue $InputObject "$Path.Text") -join "`n").Trim()
    }
}

Describe 'Wirefisher help' {
    It 'the module exports the cmdlets its manifest names' {
        $exported = @(Get-Command -Module Wirefisher | ForEach-Object Name | Sort-Object)
        $exported.Count | Should -BeGreaterThan 0
        $exported | Should -Be @((Import-PowerShellDataFile $script:ModulePath).CmdletsToExport | Sort-Object)
    }

    Context '<Name>' -ForEach $cmdletCases {
        BeforeAll {
            $cmd = Get-Command $Name
            $help = Get-Help $Name -Full
        }

        It 'has a synopsis that is not the generated syntax' {
            $synopsis = "$(Get-HelpValue $help 'Synopsis')".Trim()
            $synopsis | Should -Not -BeNullOrEmpty
            $synopsis | Should -Not -Be ((Get-Command $Name -Syntax) | Out-String).Trim()
            # Without MAML, Get-Help makes the synopsis from the syntax: "Name [-Param ...]".
            $synopsis | Should -Not -Match "^$([regex]::Escape($Name))(\s|$)"
        }

        It 'has a description' {
            Get-HelpText $help 'description' | Should -Not -BeNullOrEmpty
        }

        It 'has an example that runs the cmdlet' {
            $examples = @(Get-HelpValue (Get-Help $Name -Examples) 'examples.example')
            $examples.Count | Should -BeGreaterThan 0
            foreach ($e in $examples) {
                "$(Get-HelpValue $e 'code')".Trim() | Should -Not -BeNullOrEmpty -Because "every example of $Name needs code"
            }
            $running = @($examples | Where-Object { "$(Get-HelpValue $_ 'code')" -match [regex]::Escape($Name) })
            $running.Count | Should -BeGreaterThan 0 -Because "an example of $Name should run it"
        }

        It 'has one syntax block per parameter set' {
            @(Get-HelpValue $help 'syntax.syntaxItem').Count | Should -Be @($cmd.ParameterSets).Count
        }

        It 'documents no parameter the cmdlet lacks' {
            foreach ($p in @(Get-HelpValue $help 'parameters.parameter.name')) {
                $cmd.Parameters.Keys | Should -Contain $p -Because "the help of $Name documents -$p"
            }
        }

        It 'names the output types of the cmdlet' {
            $documented = @(Get-HelpValue $help 'returnValues.returnValue.type.name')
            foreach ($t in @($cmd.OutputType.Name | Where-Object { $_ -ne 'System.Void' })) {
                $documented | Should -Contain $t
            }
        }
    }

    Context '<Command> -<Parameter>' -ForEach $parameterCases {
        BeforeAll {
            $meta = (Get-Command $Command).Parameters[$Parameter]
        }

        It 'is described in the help' {
            $p = Get-Help $Command -Parameter $Parameter -ErrorAction Stop
            Get-HelpText $p 'description' | Should -Not -BeNullOrEmpty
        }

        It 'has the type, aliases, position, mandatory flag and pipeline input of the cmdlet' {
            $p = Get-Help $Command -Parameter $Parameter -ErrorAction Stop
            $sets = @($meta.ParameterSets.Values)

            "$(Get-HelpValue $p 'type.name')" | Should -Be $meta.ParameterType.ToString()

            $aliases = @("$(Get-HelpValue $p 'aliases')" -split ',\s*' | Where-Object { $_ -and $_ -ne 'none' })
            ($aliases | Sort-Object) -join ',' | Should -Be (@($meta.Aliases | Sort-Object) -join ',')

            $positions = @($sets.Position | Where-Object { $_ -ge 0 } | Sort-Object -Unique)
            $position = if ($positions.Count) { "$($positions[0])" } else { 'named' }
            "$(Get-HelpValue $p 'position')" | Should -Be $position

            "$(Get-HelpValue $p 'required')" | Should -Be "$($sets.IsMandatory -contains $true)".ToLowerInvariant()

            $byValue = $sets.ValueFromPipeline -contains $true
            $byName = $sets.ValueFromPipelineByPropertyName -contains $true
            $pipelineInput = "$(Get-HelpValue $p 'pipelineInput')"
            $pipelineInput -like 'True*' | Should -Be ($byValue -or $byName)
            $pipelineInput -match 'ByValue' | Should -Be $byValue
            $pipelineInput -match 'ByPropertyName' | Should -Be $byName
        }
    }

    Context 'about_Wirefisher' {
        BeforeAll {
            $about = Get-Help about_Wirefisher -ErrorAction Stop
        }

        It 'is found as a help file, not by a search of the cmdlet help' {
            "$(Get-HelpValue $about 'Category')" | Should -Be 'HelpFile'
            "$(Get-HelpValue $about 'Name')" | Should -Be 'about_Wirefisher'
            "$(Get-HelpValue $about 'Synopsis')".Trim() | Should -Not -BeNullOrEmpty
        }

        It 'has the standard sections and names every cmdlet' {
            $text = $about | Out-String
            foreach ($section in 'TOPIC', 'SHORT DESCRIPTION', 'LONG DESCRIPTION', 'SEE ALSO') {
                $text | Should -Match "(?m)^$section\s*$"
            }
            foreach ($c in Get-Command -Module Wirefisher) { $text | Should -Match ([regex]::Escape($c.Name)) }
        }
    }

    Context 'about_Wirefisher_Fleet' {
        It 'is a help file with the standard sections, and shows remoting and Prometheus' {
            $about = Get-Help about_Wirefisher_Fleet -ErrorAction Stop
            "$(Get-HelpValue $about 'Category')" | Should -Be 'HelpFile'
            $text = $about | Out-String
            foreach ($section in 'TOPIC', 'SHORT DESCRIPTION', 'LONG DESCRIPTION', 'SEE ALSO') {
                $text | Should -Match "(?m)^$section\s*$"
            }
            $text | Should -Match 'Invoke-Command -HostName'
            $text | Should -Match 'Subsystem powershell'
            foreach ($c in 'Export-WfMetrics', 'Start-WfMetricsServer', 'Stop-WfMetricsServer') { $text | Should -Match $c }
        }
    }
}
