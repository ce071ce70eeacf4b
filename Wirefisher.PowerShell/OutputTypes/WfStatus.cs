namespace Wirefisher;

/// <summary>What Wirefisher has in the kernel, and where (Get-WfStatus).</summary>
public sealed class WfStatus
{
    public bool Enabled { get; internal set; }
    public string KernelRelease { get; internal set; } = "";
    public string LibbpfVersion { get; internal set; } = "";
    public string BpfFsPath { get; internal set; } = "";
    public bool BpfFsMounted { get; internal set; }
    public string PinDirectory { get; internal set; } = "";
    public string? Cgroup2Path { get; internal set; }
    /// <summary>The attached hooks, as "program@where".</summary>
    public string[] AttachedHooks { get; internal set; } = System.Array.Empty<string>();
    /// <summary>Limits and watch-only rules (Get-WfLimit).</summary>
    public int RuleCount { get; internal set; }
    /// <summary>Congestion-control rules (Get-WfCongestionControl).</summary>
    public int CongestionRuleCount { get; internal set; }
    /// <summary>The systemd unit that imports a rule file at boot (Export-WfConfig -Boot), or null when none is installed.</summary>
    public string? BootUnit { get; internal set; }
    /// <summary>
    /// The ingress shapers Wirefisher owns, one per network namespace:
    /// "net:[INODE] wf-ifb, N rule classes, shaping DEV, DEV".
    /// </summary>
    public string[] IngressShapers { get; internal set; } = System.Array.Empty<string>();
    /// <summary>The PID of the shaper watcher, which shapes namespaces and devices that appear after a rule; null when none runs.</summary>
    public int? ShaperWatcherPid { get; internal set; }
    public bool IsRoot { get; internal set; }
    /// <summary>What an interrupted Enable-Wirefisher left pinned (empty when none); Enable-Wirefisher completes it, Disable-Wirefisher clears it.</summary>
    public string[] Leftovers { get; internal set; } = System.Array.Empty<string>();
}
