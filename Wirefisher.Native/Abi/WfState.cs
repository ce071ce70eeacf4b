using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_state (bpf/wirefisher.h): bucket and counters, written by the kernel.</summary>
[CField("wf_state"), StructLayout(LayoutKind.Sequential)]
public struct WfState
{
    [CField("lock")] public uint Lock;
    [CField("tat_frac")] public uint TatFrac;
    [CField("tat_ns")] public ulong TatNs;
    [CField("passed_bytes")] public ulong PassedBytes;
    [CField("passed_packets")] public ulong PassedPackets;
    [CField("dropped_bytes")] public ulong DroppedBytes;
    [CField("dropped_packets")] public ulong DroppedPackets;
}
