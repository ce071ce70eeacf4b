using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_flowstat (bpf/wirefisher.h): rates of a socket or of a process.</summary>
[CField("wf_flowstat"), StructLayout(LayoutKind.Sequential)]
public struct WfFlowStat
{
    [CField("in")] public WfRate In;
    [CField("out")] public WfRate Out;
}

/// <summary>Mirror of struct wf_proc_key (bpf/wirefisher.h).</summary>
[CField("wf_proc_key"), StructLayout(LayoutKind.Sequential)]
public struct WfProcKey
{
    [CField("tgid")] public uint Tgid;
    [CField("pad")] public uint Pad;
}

/// <summary>Mirror of struct wf_proc (bpf/wirefisher.h): a process's rates in its wf_procs slot.</summary>
[CField("wf_proc"), StructLayout(LayoutKind.Sequential)]
public struct WfProc
{
    [CField("tgid")] public uint Tgid;
    [CField("used")] public uint Used;
    [CField("f")] public WfFlowStat F;
}
