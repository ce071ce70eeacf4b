using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_rate (bpf/wirefisher.h): the original's four rates of one flow.</summary>
[CField("wf_rate"), StructLayout(LayoutKind.Sequential)]
public struct WfRate
{
    [CField("first_ns")] public ulong FirstNs;
    [CField("win_start_ns")] public ulong WinStartNs;
    /// <summary>The open window's bytes and packets, not yet in <see cref="Bytes"/> and <see cref="Packets"/>: bytes &lt;&lt; <see cref="AbiConst.PendingShift"/> | packets.</summary>
    [CField("pending")] public ulong Pending;
    /// <summary>2 x the windows closed so far, odd while one closes: a sequence count (see <see cref="Maps.ProcRates"/>).</summary>
    [CField("windows")] public ulong Windows;
    [CField("bytes")] public ulong Bytes;
    [CField("packets")] public ulong Packets;
    [CField("dropped_bytes")] public ulong DroppedBytes;
    [CField("dropped_packets")] public ulong DroppedPackets;
    [CField("instant")] public ulong Instant;
    [CField("peak")] public ulong Peak;
    [CField("smoothed")] public ulong Smoothed;

    /// <summary>The open window's bytes (in <see cref="Pending"/>).</summary>
    public readonly ulong WindowBytes => Pending >> AbiConst.PendingShift;

    /// <summary>All bytes that passed: the closed windows' and the open one's.</summary>
    public readonly ulong TotalBytes => Bytes + WindowBytes;

    /// <summary>All packets that passed: the closed windows' and the open one's.</summary>
    public readonly ulong TotalPackets => Packets + (Pending & ((1UL << AbiConst.PendingShift) - 1));

    /// <summary>How many windows have closed.</summary>
    public readonly ulong ClosedWindows => Windows / 2;
}
