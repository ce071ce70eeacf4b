using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_rule_key (bpf/wirefisher.h).</summary>
[CField("wf_rule_key"), StructLayout(LayoutKind.Sequential)]
public struct WfRuleKey
{
    [CField("kind")] public uint Kind;
    [CField("dir")] public uint Dir;
    [CField("id")] public ulong Id;

    public WfRuleKey(uint kind, uint dir, ulong id) { Kind = kind; Dir = dir; Id = id; }
}
