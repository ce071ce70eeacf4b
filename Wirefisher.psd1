@{
    RootModule           = 'Wirefisher.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6b0f1f7e-3c55-4b43-9a2e-0f3f6f1d8a41'
    Author               = 'Wirefisher developers'
    Description          = 'Watch and limit network traffic on Linux with eBPF: per process, from PowerShell.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('Wirefisher.Format.ps1xml')
    CmdletsToExport      = @(
        'Set-WfLimit', 'Get-WfLimit', 'Remove-WfLimit',
        'Get-WfFlowRate', 'Watch-WfFlowRate',
        'Enable-Wirefisher', 'Disable-Wirefisher', 'Get-WfStatus',
        'Set-WfCongestionControl', 'Get-WfCongestionControl', 'Remove-WfCongestionControl',
        'Import-WfConfig', 'Export-WfConfig', 'Export-WfMetrics', 'Start-WfMetricsServer', 'Stop-WfMetricsServer', 'Show-WfFlowRate'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{ PSData = @{ Tags = @('eBPF', 'Linux', 'Network', 'RateLimit', 'QoS') } }
}
