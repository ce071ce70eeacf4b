using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_ancestor (bpf/wirefisher.h): a process above a socket's owner.</summary>
[CField("wf_ancestor"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfAncestor
{
    [CField("tgid")] public uint Tgid;
    [CField("pad")] public uint Pad;
    [CField("name_hash")] public ulong NameHash;
    [CField("exe_ino")] public ulong ExeIno;
    [CField("exe_dev")] public ulong ExeDev;
    [CField("comm")] public fixed byte Comm[AbiConst.CommLen];
}

/// <summary>wf_owner.up: WF_ANCESTORS of them.</summary>
[InlineArray(AbiConst.Ancestors)]
public struct WfAncestors
{
    private WfAncestor _first;
}
