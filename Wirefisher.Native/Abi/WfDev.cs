using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_dev (bpf/wirefisher.h): where a shaped device's packets are queued.</summary>
[CField("wf_dev"), StructLayout(LayoutKind.Sequential)]
public struct WfDev
{
    [CField("ifb_ifindex")] public uint IfbIfindex;
    [CField("l2_len")] public uint L2Len;
    [CField("mtu")] public uint Mtu;
}
