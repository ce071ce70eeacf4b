using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_rate (bpf/wirefisher.h): the original's four rates of one flow.</summary>
[CField("wf_rate"), StructLayout(LayoutKind.Sequential)]
public struct WfRate
{
    [CField("first_ns")] public ulong FirstNs;
    [CField("win_start_ns")] public ulong WinStartNs;
    [CField("win_base")] public ulong WinBase;
    [CField("windows")] public ulong Windows;
    [CField("bytes")] public ulong Bytes;
    [CField("packets")] public ulong Packets;
    [CField("dropped_bytes")] public ulong DroppedBytes;
    [CField("dropped_packets")] public ulong DroppedPackets;
    [CField("instant")] public ulong Instant;
    [CField("peak")] public ulong Peak;
    [CField("smoothed")] public ulong Smoothed;
}
