using System;
using Wirefisher.Native.Abi;

namespace Wirefisher.Engine;

/// <summary>The four rates of a flow as they stand at a moment.</summary>
public readonly record struct RateView(ulong Instant, ulong Average, ulong Peak, ulong Smoothed);

/// <summary>
/// The original's rate arithmetic. <see cref="Add"/> is the kernel's per-packet
/// update (wf_rate_add in bpf/lib/wf_account.h) written again in C# so that it
/// can be checked with a synthetic clock; <see cref="View"/> is what user space
/// adds when it reads a flow: the average up to now, and the decay of a flow
/// that went quiet (each whole idle second closes a window with no bytes, by
/// the same formula, instead of freezing the last instant rate).
/// </summary>
public static class FlowRateMath
{
    public const ulong WindowNs = 1_000_000_000;

    /// <summary>One packet of len bytes at now (ns). Mirrors the kernel.</summary>
    public static void Add(ref WfRate r, ulong now, uint len)
    {
        if (r.FirstNs == 0) { r.FirstNs = now; r.WinStartNs = now; }
        r.Pending += (ulong)len << AbiConst.PendingShift | 1;
        ulong dt = now - r.WinStartNs;
        if (dt >= WindowNs)
            Close(ref r, r.WindowBytes * 1_000_000 / (dt / 1000), now);
    }

    /// <summary>Closes the open window with its instant rate: its count moves into the totals.</summary>
    private static void Close(ref WfRate r, ulong instant, ulong now)
    {
        r.Bytes = r.TotalBytes;
        r.Packets = r.TotalPackets;
        r.Pending = 0;
        r.Smoothed = r.Windows > 0 ? r.Smoothed - (r.Smoothed >> 3) + (instant >> 3) : instant;
        r.Peak = Math.Max(r.Peak, instant);
        r.Instant = instant;
        r.Windows += 2; // the kernel counts each window twice (odd while one closes)
        r.WinStartNs = now;
    }

    /// <summary>The rates at now (ns, CLOCK_MONOTONIC), the kernel's record left as it is.</summary>
    public static RateView View(WfRate r, ulong now)
    {
        if (r.FirstNs == 0 || now < r.WinStartNs)
            return new RateView(r.Instant, 0, r.Peak, r.Smoothed);
        ulong idle = (now - r.WinStartNs) / WindowNs; // whole seconds since the open window began
        if (idle > 0)
        {
            // the open window holds what came since its start: it closes one second in...
            Close(ref r, r.WindowBytes, r.WinStartNs + WindowNs);
            // ...and every further quiet second closes an empty one (bounded: smoothed is 0 or stuck below 8 long before)
            for (ulong i = 1; i < Math.Min(idle, 1000UL); i++)
                Close(ref r, 0, r.WinStartNs + WindowNs);
        }
        double span = now - r.FirstNs;
        ulong average = span > 0 ? (ulong)(r.TotalBytes * 1e9 / span) : 0;
        return new RateView(r.Instant, average, r.Peak, r.Smoothed);
    }
}
