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
    It 'rate <_> is InvalidArgument' -ForEach @(0, -1, 'fast', '12 parsecs', 1000, 1e30, [double]::NaN, [double]::PositiveInfinity, [ulong]::MaxValue, '2T') {
        { Set-WfLimit -Pid $PID -Rate $_ } | Should -Throw -ErrorId 'SetWfLimitInvalidRate,Wirefisher.Commands.SetWfLimitCommand'
        try { Set-WfLimit -Pid $PID -Rate $_ } catch { $_.CategoryInfo.Category | Should -Be 'InvalidArgument'; $_.Exception.Message | Should -Match 'rate' }
    }

    It 'time scale <_> is InvalidArgument' -ForEach @(0, '0s', 'soon', '2h', 1e30, [double]::NaN, '300000000h') {
        { Set-WfLimit -Pid $PID -Rate 1MB -TimeScale $_ } | Should -Throw -ErrorId 'SetWfLimitInvalidTimeScale,Wirefisher.Commands.SetWfLimitCommand'
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
        Get-WfLimit -Pid $PID -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'Remove-WfLimit of an unknown name is ObjectNotFound' {
        { Remove-WfLimit -Name 'no-such-limit' } | Should -Throw -ErrorId 'RemoveWfLimitNotFound,Wirefisher.Commands.RemoveWfLimitCommand'
    }
}

Describe 'Set-WfLimit rejects bad targets, applying nothing' -Tag Kernel {
    BeforeAll {
        $script:thread = (Get-Process -Id $PID).Threads.Id | Where-Object { $_ -ne $PID } | Select-Object -First 1
        $script:cjk = [string]::new([char]0x754C, 40)
    }
    AfterEach { Get-WfLimit | Should -BeNullOrEmpty -Because 'nothing is half-applied' }

    It '<Why> is <Category> (<Id>)' -ForEach @(
        @{ Why = 'an invalid address'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Match = 'address'; Call = { Set-WfLimit -RemoteAddress 10.0.0.256 -Rate 1MB } }
        @{ Why = 'a bad prefix length'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Match = 'prefix'; Call = { Set-WfLimit -LocalAddress fd00::/129 -Rate 1MB } }
        @{ Why = 'addresses of two families'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Match = 'famil'; Call = { Set-WfLimit -LocalAddress 10.0.0.1 -RemoteAddress fd00::1 -Rate 1MB } }
        @{ Why = 'a port out of range'; Id = 'InvalidPort'; Category = 'InvalidArgument'; Match = '65535'; Call = { Set-WfLimit -RemotePort 70000 -Rate 1MB } }
        @{ Why = 'a reversed port range'; Id = 'InvalidPort'; Category = 'InvalidArgument'; Match = 'range'; Call = { Set-WfLimit -LocalPort '9000-8000' -Rate 1MB } }
        @{ Why = 'an unknown protocol'; Id = 'InvalidProtocol'; Category = 'InvalidArgument'; Match = 'TCP, UDP'; Call = { Set-WfLimit -Protocol SCTPX -Rate 1MB } }
        @{ Why = 'an unknown user'; Id = 'UserNotFound'; Category = 'ObjectNotFound'; Match = 'user'; Call = { Set-WfLimit -User wf-no-such-user -Rate 1MB } }
        @{ Why = 'an unknown cgroup'; Id = 'CgroupNotFound'; Category = 'ObjectNotFound'; Match = 'cgroup'; Call = { Set-WfLimit -Cgroup /wf-no-such-cgroup -Rate 1MB } }
        @{ Why = 'an unknown interface'; Id = 'InterfaceNotFound'; Category = 'ObjectNotFound'; Match = 'ip link'; Call = { Set-WfLimit -Interface wfnosuch0 -Rate 1MB } }
        @{ Why = 'an executable that does not exist'; Id = 'PathNotFound'; Category = 'ObjectNotFound'; Match = 'path'; Call = { Set-WfLimit -Path /usr/bin/wf-no-such-program -Rate 1MB } }
        @{ Why = 'no matcher'; Id = 'NoMatcher'; Category = 'InvalidArgument'; Match = '-Protocol'; Call = { Set-WfLimit -Rate 1MB } }
        @{ Why = 'a rate with -WatchOnly'; Id = 'WatchOnlyWithRate'; Category = 'InvalidArgument'; Match = 'no -Rate'; Call = { Set-WfLimit -RemotePort 9090 -WatchOnly -Rate 1MB } }
        @{ Why = 'no rate and no -WatchOnly'; Id = 'MissingRate'; Category = 'InvalidArgument'; Match = '-WatchOnly'; Call = { Set-WfLimit -RemotePort 9090 } }
        @{ Why = 'a thread ID'; Id = 'ThreadId'; Category = 'InvalidArgument'; Match = "-Pid $PID"; Call = { Set-WfLimit -Pid $thread -Rate 1MB } }
        @{ Why = 'a kernel thread'; Id = 'KernelThread'; Category = 'InvalidArgument'; Match = 'kernel thread'; Call = { Set-WfLimit -Pid 2 -Rate 1MB } }
        @{ Why = 'a name with a wildcard'; Id = 'InvalidName'; Category = 'InvalidArgument'; Match = 'A rule name is'; Call = { Set-WfLimit -Pid $PID -Rate 1MB -Name 'web*' } }
        @{ Why = 'a name with a control character'; Id = 'InvalidName'; Category = 'InvalidArgument'; Match = 'A rule name is'; Call = { Set-WfLimit -Pid $PID -Rate 1MB -Name "a`tb" } }
        @{ Why = 'a name of spaces'; Id = 'InvalidName'; Category = 'InvalidArgument'; Match = 'A rule name is'; Call = { Set-WfLimit -Pid $PID -Rate 1MB -Name '   ' } }
        @{ Why = 'a name over 63 bytes'; Id = 'InvalidName'; Category = 'InvalidArgument'; Match = '63'; Call = { Set-WfLimit -Pid $PID -Rate 1MB -Name $cjk } }
    ) {
        $err = $Call | Should -Throw -ErrorId "SetWfLimit$Id,Wirefisher.Commands.SetWfLimitCommand" -PassThru
        $err.CategoryInfo.Category | Should -Be $Category
        $err.Exception.Message | Should -Match ([regex]::Escape($Match))
    }

    It 'a rule past what the kernel holds is LimitsExceeded (TooManyRules), and the rules before it stay as they were' {
        # -PerProcess rules have the smallest limit (WF_PER_PROCESS_MAX, 16); bench/Measure-ControlPlane.ps1 reaches every limit
        Set-WfLimit -ProcessName (1..16 | ForEach-Object { "wf-pp-$_" }) -Rate 1MB -Direction Egress -PerProcess
        try {
            $err = { Set-WfLimit -ProcessName wf-pp-17, wf-pp-18 -Rate 1MB -Direction Egress -PerProcess } |
                Should -Throw -ErrorId 'SetWfLimitTooManyRules,Wirefisher.Commands.SetWfLimitCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'LimitsExceeded'
            $err.Exception.Message | Should -Match 'holds 16\. Remove'
            @(Get-WfLimit).Count | Should -Be 16
            @(Get-WfLimit | Where-Object Target -in 'wf-pp-17', 'wf-pp-18').Count | Should -Be 0 -Because 'neither of the two was applied'
        } finally { Get-WfLimit | Remove-WfLimit }
    }

    It 'a name another rule of the direction has is ResourceExists, and the first rule stays as it was' {
        Set-WfLimit -Pid $PID -Rate 1MB -Name taken -Direction Egress
        try {
            $err = { Set-WfLimit -ProcessName wf-other -Rate 2MB -Name taken -Direction Egress } |
                Should -Throw -ErrorId 'SetWfLimitNameTaken,Wirefisher.Commands.SetWfLimitCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'ResourceExists'
            $err.Exception.Message | Should -Match "Remove-WfLimit -Name 'taken'"
            (Get-WfLimit -Name taken).Kind | Should -Be 'Process'
            (Get-WfLimit -Name taken).Rate | Should -Be 1MB
        } finally { Remove-WfLimit -Name taken }
    }

    It 'a name a congestion-control rule has says which command removes that rule' {
        # Remove-WfLimit does not list congestion-control rules, so it could not remove this one
        Set-WfCongestionControl -Pid $PID -Algorithm cubic -Name cctaken
        try {
            $err = { Set-WfLimit -ProcessName wf-other -Rate 2MB -Name cctaken -Direction Egress } |
                Should -Throw -ErrorId 'SetWfLimitNameTaken,Wirefisher.Commands.SetWfLimitCommand' -PassThru
            $err.Exception.Message | Should -Match "congestion-control rule is named 'cctaken'.*Remove-WfCongestionControl -Name 'cctaken'"
            $err = { Set-WfCongestionControl -Pid $PID, 1 -Algorithm cubic -Name ccboth } |
                Should -Throw -ErrorId 'SetWfCongestionControlNameTaken,Wirefisher.Commands.SetWfCongestionControlCommand' -PassThru
            $err.Exception.Message | Should -Match "Two egress rules of this command would both be named 'ccboth'"
        } finally { Remove-WfCongestionControl -Name cctaken -ErrorAction SilentlyContinue }
    }
}

Describe 'Lookups and patterns' -Tag Kernel {
    BeforeAll { Enable-Wirefisher | Out-Null }

    It 'Get-WfLimit -Pid of a process without a rule is ObjectNotFound, as -Name is' {
        Get-WfLimit -Pid 4194303 -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -Be 'GetWfLimitNotFound,Wirefisher.Commands.GetWfLimitCommand'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It '<Command> with the pattern [ is InvalidArgument (InvalidPattern)' -ForEach @(
        @{ Command = 'Get-WfLimit -Name'; Id = 'GetWfLimitInvalidPattern'; Call = { Get-WfLimit -Name '[' } }
        @{ Command = 'Remove-WfLimit -Name'; Id = 'RemoveWfLimitInvalidPattern'; Call = { Remove-WfLimit -Name '[' } }
        @{ Command = 'Get-WfFlowRate -ProcessName'; Id = 'GetWfFlowRateInvalidPattern'; Call = { Get-WfFlowRate -ProcessName '[' } }
        @{ Command = 'Get-WfFlowRate -Rule'; Id = 'GetWfFlowRateInvalidPattern'; Call = { Get-WfFlowRate -By Rule -Rule 'a[' } }
    ) {
        $err = $Call | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'wildcard pattern'
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

    It 'Export-WfMetrics not as root is PermissionDenied too (it reads the pinned state)' {
        $out = Invoke-Isolated 'unshare --user' 'Export-WfMetrics'
        $out[0] | Should -Be 'ExportWfMetricsNotRoot,Wirefisher.Commands.ExportWfMetricsCommand'
        $out[1] | Should -Be 'PermissionDenied'
    }

    It 'state pinned by another version of the module is InvalidData (StaleState), read by nothing, and Disable-Wirefisher clears it' {
        # limits outlive the shell, so a module of another version may find a map whose entries are not its structs' size
        Enable-Wirefisher
        $pin = Join-Path (Get-WfStatus).PinDirectory 'wf_pslots'
        Remove-Item $pin
        bpftool map create $pin type hash key 8 value 8 entries 16 name wf_pslots # this module's values have 4 bytes
        $LASTEXITCODE | Should -Be 0
        $err = { Get-WfFlowRate } | Should -Throw -ErrorId 'GetWfFlowRateStaleState,Wirefisher.Commands.GetWfFlowRateCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match 'wf_pslots has 8/8-byte keys/values, this module.s have 8/4'
        $err.Exception.Message | Should -Match 'Disable-Wirefisher'
        $err = { Enable-Wirefisher } | Should -Throw -ErrorId 'EnableWirefisherStaleState,Wirefisher.Commands.EnableWirefisherCommand' -PassThru -Because 'it is enabled, but not with this version'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        Disable-Wirefisher
        Enable-Wirefisher
        { Get-WfFlowRate } | Should -Not -Throw -Because 'the state is this version''s again'
    }

    It 'state of entries of the same size but another meaning (WF_ABI) is StaleState too, and so is state from before wf_abi' {
        # wf_rate kept its size when win_base became pending (WF_ABI 2): the sizes alone would let such state be read
        Enable-Wirefisher
        $pin = Join-Path (Get-WfStatus).PinDirectory 'wf_abi'
        bpftool map update pinned $pin key 0 0 0 0 value 1 0 0 0
        $LASTEXITCODE | Should -Be 0
        $err = { Get-WfFlowRate } | Should -Throw -ErrorId 'GetWfFlowRateStaleState,Wirefisher.Commands.GetWfFlowRateCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match "its structs are of version 1 \(wf_abi; 0: older than 2\), this module.s of $([Wirefisher.Native.Abi.AbiConst]::Abi)"
        $err = { Enable-Wirefisher } | Should -Throw -ErrorId 'EnableWirefisherStaleState,Wirefisher.Commands.EnableWirefisherCommand' -PassThru -Because 'it is enabled, but not with this version'
        $err.Exception.Message | Should -Match 'Disable-Wirefisher'
        Remove-Item $pin # as a version before wf_abi left it
        { Get-WfLimit } | Should -Throw -ErrorId 'GetWfLimitStaleState,Wirefisher.Commands.GetWfLimitCommand'
        Disable-Wirefisher
        Enable-Wirefisher
        { Get-WfFlowRate } | Should -Not -Throw -Because 'the state is this version''s again'
    }

    It 'a kernel without BTF is NotImplemented, naming it' {
        # a private mount namespace in which /sys/kernel/btf is empty
        $out = Invoke-Isolated 'unshare --mount --propagation private sh -c ''mount -t tmpfs none /sys/kernel/btf && exec "$@"'' sh' "Disable-Wirefisher; Enable-Wirefisher"
        $out[0] | Should -Be 'EnableWirefisherUnsupportedBTF,Wirefisher.Commands.EnableWirefisherCommand'
        $out[1] | Should -Be 'NotImplemented'
        $out[2] | Should -Match 'BTF'
    }
}
