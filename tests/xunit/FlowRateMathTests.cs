using System;
using Wirefisher.Engine;
using Wirefisher.Native.Abi;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>
/// The rate arithmetic against the original's integer formula, on a synthetic
/// clock: instant = window bytes / window length; a window closes at the first
/// packet at least 1 s after the last close; peak = max instant;
/// smoothed = (s - (s >> 3)) + (instant >> 3), the first window taking instant.
/// </summary>
public class FlowRateMathTests
{
    private const ulong Ms = 1_000_000, S = 1_000_000_000;

    /// <summary>Packets of len bytes every gap ns from start (exclusive of end).</summary>
    private static WfRate Run(ulong start, ulong end, ulong gap, uint len, WfRate r = default)
    {
        for (ulong t = start; t < end; t += gap) FlowRateMath.Add(ref r, t, len);
        return r;
    }

    [Fact]
    public void FirstWindowTakesTheInstantRate()
    {
        // 1000 B every 10 ms from t=1 s: the window opened at 1 s closes with the packet at 2 s (101 packets)
        WfRate r = Run(1 * S, 2 * S + 1, 10 * Ms, 1000);
        Assert.Equal(1UL, r.ClosedWindows);
        Assert.Equal(101_000UL, r.Instant);   // 101 packets in exactly 1 s
        Assert.Equal(r.Instant, r.Smoothed);
        Assert.Equal(r.Instant, r.Peak);
    }

    [Fact]
    public void LaterWindowsSmoothBySevenEighths()
    {
        WfRate r = Run(1 * S, 2 * S + 1, 10 * Ms, 1000);          // window 1: 101000 B/s
        r = Run(2 * S + 10 * Ms, 3 * S + 1, 10 * Ms, 2000, r);   // window 2: 100 packets of 2000 B in 1 s
        ulong s1 = 101_000, i2 = 200_000;
        Assert.Equal(2UL, r.ClosedWindows);
        Assert.Equal(i2, r.Instant);
        Assert.Equal((s1 - (s1 >> 3)) + (i2 >> 3), r.Smoothed);
        Assert.Equal(i2, r.Peak);
    }

    [Fact]
    public void AWindowLongerThanASecondDividesByItsLength()
    {
        WfRate r = default;
        FlowRateMath.Add(ref r, 10 * S, 500);
        FlowRateMath.Add(ref r, 10 * S + 1500 * Ms, 1000); // closes a 1.5 s window holding 1500 B
        Assert.Equal(1000UL, r.Instant);
    }

    [Fact]
    public void AQuietFlowDecaysInsteadOfFreezing()
    {
        WfRate r = Run(1 * S, 2 * S + 1, 10 * Ms, 1000); // closed at 2 s, smoothed 101000
        FlowRateMath.Add(ref r, 2 * S + 10 * Ms, 800);   // then one packet, and silence
        RateView v = FlowRateMath.View(r, 6 * S + 500 * Ms);
        // 4 whole quiet seconds since the window opened at 2 s: the first closes holding 800 B, three more empty
        ulong s = 101_000;
        s = (s - (s >> 3)) + (800 >> 3);
        for (int i = 0; i < 3; i++) s -= s >> 3;
        Assert.Equal(0UL, v.Instant);
        Assert.Equal(s, v.Smoothed);
        Assert.Equal(101_000UL, v.Peak);
        Assert.Equal((ulong)(101_800 * 1e9 / (5.5 * S)), v.Average);
    }

    [Fact]
    public void ViewLeavesABusyFlowAsTheKernelHasIt()
    {
        WfRate r = Run(1 * S, 2 * S + 1, 10 * Ms, 1000);
        RateView v = FlowRateMath.View(r, 2 * S + 500 * Ms);
        Assert.Equal(r.Instant, v.Instant);
        Assert.Equal(r.Smoothed, v.Smoothed);
    }

    [Fact]
    public void NoOverflowAt100GbitPerSecond()
    {
        // 12.5 GB in one 1 s window, in 64 KiB packets: the instant rate must come out right
        WfRate r = default;
        const uint len = 65536;
        ulong packets = 12_500_000_000UL / len;
        for (ulong i = 0; i <= packets; i++) FlowRateMath.Add(ref r, 5 * S + i * S / packets, len);
        Assert.Equal(1UL, r.ClosedWindows);
        Assert.InRange((double)r.Instant, 12.4e9, 12.6e9);
        Assert.Equal((packets + 1) * len, r.TotalBytes);
    }

    [Fact]
    public void TheOpenWindowCountsInTheTotals()
    {
        // bytes and packets of the open window share one word (one atomic add a packet in the kernel)
        WfRate r = Run(1 * S, 2 * S + 1, 10 * Ms, 1000);          // 101 packets, closed at 2 s
        r = Run(2 * S + 10 * Ms, 2 * S + 500 * Ms, 10 * Ms, 65535, r); // 49 more in the open window
        Assert.Equal(1UL, r.ClosedWindows);
        Assert.Equal(101_000UL, r.Bytes);
        Assert.Equal(101UL, r.Packets);
        Assert.Equal(49UL * 65535, r.WindowBytes);
        Assert.Equal(101_000UL + 49UL * 65535, r.TotalBytes);
        Assert.Equal(150UL, r.TotalPackets);
        // a window as large as the word holds (2^36 - 1 bytes, 2^28 - 1 packets) keeps both exact
        var full = new WfRate { Pending = (((1UL << 36) - 1) << AbiConst.PendingShift) | ((1UL << AbiConst.PendingShift) - 1) };
        Assert.Equal((1UL << 36) - 1, full.TotalBytes);
        Assert.Equal((1UL << AbiConst.PendingShift) - 1, full.TotalPackets);
    }
}
