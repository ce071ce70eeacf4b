using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_dev_key (bpf/wirefisher.h): a shaped device, by namespace and index.</summary>
[CField("wf_dev_key"), StructLayout(LayoutKind.Sequential)]
public struct WfDevKey
{
    [CField("netns")] public ulong Netns;
    [CField("ifindex")] public uint Ifindex;
    [CField("pad")] public uint Pad;

    public WfDevKey(ulong netns, uint ifindex) { Netns = netns; Ifindex = ifindex; Pad = 0; }
}
