using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_name_rule (bpf/wirefisher.h): a process-name pattern with wildcards.</summary>
[CField("wf_name_rule"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfNameRule
{
    [CField("rule")] public uint Rule;
    [CField("dir")] public uint Dir;
    [CField("pattern")] public fixed byte Pattern[AbiConst.CommLen];

    public void SetPattern(string s) { fixed (byte* p = Pattern) AbiConst.WriteString(p, AbiConst.CommLen, s); }
}
