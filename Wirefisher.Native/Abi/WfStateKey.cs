using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_state_key (bpf/wirefisher.h): a rule's bucket (tgid 0) or one process's bucket of it.</summary>
[CField("wf_state_key"), StructLayout(LayoutKind.Sequential)]
public record struct WfStateKey
{
    [CField("rule")] public uint Rule;
    [CField("tgid")] public uint Tgid;

    public WfStateKey(uint rule, uint tgid = 0) { Rule = rule; Tgid = tgid; }
}
