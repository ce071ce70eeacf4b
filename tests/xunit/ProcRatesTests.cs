using System.Collections.Generic;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Maps;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>
/// How a process's rates are read without a lock (<see cref="ProcRates.TryRead"/>): a copy
/// counts only between two copies whose windows counts are the same and even, so one made
/// while the kernel closed a window (count odd, totals a window short or over) is copied again.
/// The copies here are what the kernel's order of steps in wf_rate_add_shared can give.
/// </summary>
public class ProcRatesTests
{
    /// <summary>A record whose inbound rates have these windows count and closed bytes.</summary>
    private static WfProc Rec(ulong windowsIn, ulong bytesIn, ulong windowsOut = 0) =>
        new() { Tgid = 7, Used = 1, F = new WfFlowStat { In = new WfRate { Windows = windowsIn, Bytes = bytesIn }, Out = new WfRate { Windows = windowsOut } } };

    /// <summary>Hands out the copies in turn; null once they run out (the record went).</summary>
    private static System.Func<WfProc?> Copies(params WfProc[] copies)
    {
        var queue = new Queue<WfProc>(copies);
        return () => queue.Count > 0 ? queue.Dequeue() : null;
    }

    [Fact]
    public void TakesACopyBetweenTwoEqualEvenCounts()
    {
        Assert.True(ProcRates.TryRead(Copies(Rec(4, 100), Rec(4, 100), Rec(4, 100)), out WfProc v));
        Assert.Equal(100UL, v.F.In.Bytes);
        Assert.Equal(2UL, v.F.In.ClosedWindows);
    }

    [Fact]
    public void CopiesAgainWhenAWindowClosedMeanwhile()
    {
        // the middle copy read pending after the exchange and bytes before the add: a window short (0 bytes);
        // the copy after it saw the close ended (6): that middle is not taken, the next one is
        Assert.True(ProcRates.TryRead(Copies(Rec(4, 100), Rec(4, 100 - 100), Rec(6, 250), Rec(6, 250), Rec(6, 250)), out WfProc v));
        Assert.Equal(250UL, v.F.In.Bytes);
    }

    [Fact]
    public void CopiesAgainWhileACloseIsUnderWay()
    {
        // before and after both odd and equal: the same close, still under way; then a copy between 5 and 6 (the
        // close ended meanwhile) is not taken either, and the third try is
        Assert.True(ProcRates.TryRead(Copies(Rec(5, 100), Rec(5, 0), Rec(5, 100), Rec(6, 250), Rec(6, 250), Rec(6, 250), Rec(6, 250)), out WfProc v));
        Assert.Equal(250UL, v.F.In.Bytes);
    }

    [Fact]
    public void WatchesBothDirections()
    {
        // inbound settled, outbound closed a window between the copies
        Assert.True(ProcRates.TryRead(Copies(Rec(4, 100, 2), Rec(4, 100, 3), Rec(4, 100, 4), Rec(4, 101, 4), Rec(4, 101, 4)), out WfProc v));
        Assert.Equal(101UL, v.F.In.Bytes);
    }

    [Fact]
    public void GivesTheLastCopyAfterThreeTriesThatEachMetAClose()
    {
        // a record closing a window at every look (not seen in practice: a close takes nanoseconds, once a second)
        Assert.True(ProcRates.TryRead(Copies(Rec(1, 0), Rec(1, 1), Rec(3, 0), Rec(3, 2), Rec(5, 0), Rec(5, 3), Rec(7, 0)), out WfProc v));
        Assert.Equal(3UL, v.F.In.Bytes);
    }

    [Fact]
    public void ARecordThatGoesIsNotFound()
    {
        Assert.False(ProcRates.TryRead(Copies(), out _));
        Assert.False(ProcRates.TryRead(Copies(Rec(4, 100), Rec(4, 100)), out _));
    }
}
