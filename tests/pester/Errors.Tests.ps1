# Every bad input stops the command with a fitting category and a message that
# says what to do, and nothing is half-applied.

BeforeAll {
    Import-Module $env:WIREFISHER_MODULE -Force
    Import-Module "$PSScriptRoot/WfTestHelpers.psm1" -Force
    Assert-WfKernelTestable
    function Invoke-Isolated([string] $Prefix, [string] $Script) {
        # a pwsh in changed circumstances (another user namespace, another mount namespace)
        $cmd = "Import-Module '$env:WIREFISHER_MODULE'; try { $Script; 'no error' } catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category.ToString(); `$_.Exception.Message }"
        $out = & bash -c "$Prefix dotnet '$PSHOME/pwsh.dll' -NoProfile -NonInteractive -Command `"`$0`"" $cmd 2>&1
        @($out | ForEach-Object { "$_" })
    }
}

AfterAll { Disable-Wirefisher -ErrorAction SilentlyContinue }

Describe 'Set-WfLimit rejects bad input' -Tag Kernel {
    It 'rate <_> is InvalidArgument' -ForEach @(0, -1, 'fast', '12 parsecs', 1000) {
        { Set-WfLimit -Pid $PID -Rate $_ } | Should -Throw -ErrorId 'SetWfLimitInvalidArgument,Wirefisher.Commands.SetWfLimitCommand'
        try { Set-WfLimit -Pid $PID -Rate $_ } catch { $_.CategoryInfo.Category | Should -Be 'InvalidArgument'; $_.Exception.Message | Should -Match 'rate' }
    }

    It 'time scale <_> is InvalidArgument' -ForEach @(0, '0s', 'soon', '2h') {
        { Set-WfLimit -Pid $PID -Rate 1MB -TimeScale $_ } | Should -Throw -ErrorId 'SetWfLimitInvalidArgument,Wirefisher.Commands.SetWfLimitCommand'
    }

    It 'a PID that does not exist is ObjectNotFound' {
        $err = { Set-WfLimit -Pid 4194304 -Rate 1MB } | Should -Throw -ErrorId 'SetWfLimitProcessNotFound,Wirefisher.Commands.SetWfLimitCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Message | Should -Match 'Get-Process'
    }

    It 'applies nothing when one of several PIDs does not exist' {
        Disable-Wirefisher
        { Set-WfLimit -Pid $PID, 4194304 -Rate 1MB } | Should -Throw -ErrorId 'SetWfLimitProcessNotFound,Wirefisher.Commands.SetWfLimitCommand'
        (Get-WfStatus).Enabled | Should -BeFalse -Because 'not even the programs were loaded'
        Enable-Wirefisher
        { Set-WfLimit -Pid $PID, 4194304 -Rate 1MB } | Should -Throw
        Get-WfLimit -Pid $PID | Should -BeNullOrEmpty
    }

    It 'Remove-WfLimit of an unknown name is ObjectNotFound' {
        { Remove-WfLimit -Name 'no-such-limit' } | Should -Throw -ErrorId 'RemoveWfLimitNotFound,Wirefisher.Commands.RemoveWfLimitCommand'
    }
}

Describe 'Environment errors' -Tag Kernel {
    It 'not root is PermissionDenied' {
        # a new user namespace: this process is no longer uid 0 and has no capability outside it
        $out = Invoke-Isolated 'unshare --user' "Set-WfLimit -Pid `$PID -Rate 1MB"
        $out[0] | Should -Be 'SetWfLimitNotRoot,Wirefisher.Commands.SetWfLimitCommand'
        $out[1] | Should -Be 'PermissionDenied'
        $out[2] | Should -Match 'root'
    }

    It 'a kernel without BTF is NotImplemented, naming it' {
        # a private mount namespace in which /sys/kernel/btf is empty
        $out = Invoke-Isolated 'unshare --mount --propagation private sh -c ''mount -t tmpfs none /sys/kernel/btf && exec "$@"'' sh' "Disable-Wirefisher; Enable-Wirefisher"
        $out[0] | Should -Be 'EnableWirefisherUnsupportedBTF,Wirefisher.Commands.EnableWirefisherCommand'
        $out[1] | Should -Be 'NotImplemented'
        $out[2] | Should -Match 'BTF'
    }
}
