using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>
/// What htb counts of a packet in the ingress shaper: the ifb's root takes the
/// largest headers off (Shaper.HeaderBase, a size table) and each leaf adds back
/// what its kind's headers are smaller (Shaper.LeafOverhead), so that a leaf at
/// the rule's rate passes exactly the rate in payload, whatever the segments' size.
/// </summary>
public class ShaperTests
{
    // as the kernel's qdisc_calculate_pkt_len and htb do it: the size table's length (at least 1), then the class's overhead
    private static int Counted(int frame, int kind, bool ether) =>
        System.Math.Max(1, frame - Shaper.HeaderBase(ether)) + Shaper.LeafOverhead(kind);

    [Theory]
    [InlineData(0, 1460)] // IPv4, TCP without options (Windows senders): 1500 - 20 - 20
    [InlineData(1, 1448)] // IPv4 with timestamps (Linux senders)
    [InlineData(2, 1440)] // IPv6
    [InlineData(3, 1428)] // IPv6 with timestamps
    public void FullSizeSegmentsAreCountedAsTheirPayload(int kind, int payload)
    {
        Assert.Equal(1514, payload + AbiConst.ShapeOverhead[kind]); // a full 1500-byte frame
        Assert.Equal(payload, Counted(1514, kind, ether: true));
    }

    [Theory]
    [InlineData(40)]
    [InlineData(388)]    // segments as small as a cubic download's refill after its limit (2026-12-04)
    [InlineData(65160)]  // a GRO packet of 45 segments: one set of headers
    public void EveryKindIsCountedAsItsPayloadAtAnySize(int payload)
    {
        for (int kind = 0; kind < AbiConst.ShapeOverhead.Length; kind++)
        {
            Assert.Equal(payload, Counted(payload + AbiConst.ShapeOverhead[kind], kind, ether: true));
            Assert.Equal(payload, Counted(payload + AbiConst.ShapeOverhead[kind] - 14, kind, ether: false));
        }
    }

    [Fact]
    public void TheRootTakesOffTheLargestHeadersAndLeavesAddBackNoMoreThanTheDifference()
    {
        Assert.Equal(14 + 40 + 32, Shaper.HeaderBase(ether: true));  // IPv6 with timestamps, with Ethernet
        Assert.Equal(40 + 32, Shaper.HeaderBase(ether: false));      // a tun or wireguard device: the IP packet
        Assert.Equal(new[] { 32, 20, 12, 0 }, Enumerable.Range(0, 4).Select(Shaper.LeafOverhead));
    }
}
