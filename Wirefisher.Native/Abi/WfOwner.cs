using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_owner (bpf/wirefisher.h): who owns a socket.</summary>
[CField("wf_owner"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfOwner
{
    [CField("tgid")] public uint Tgid;
    [CField("flags")] public uint Flags;
    [CField("start_ns")] public ulong StartNs;
    [CField("cgroup_id")] public ulong CgroupId;
    [CField("comm")] public fixed byte Comm[AbiConst.CommLen];
    [CField("uid")] public uint Uid;
    [CField("clamp_rule")] public uint ClampRule;
    [CField("exe_ino")] public ulong ExeIno;
    [CField("exe_dev")] public ulong ExeDev;
    [CField("name_hash")] public ulong NameHash;
    [CField("up")] public WfAncestors Up;
}
