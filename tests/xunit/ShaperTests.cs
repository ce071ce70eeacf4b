using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>
/// The shaper's leaf rates: a limit counts payload, and the ifb's root counts
/// each packet less one set of headers (Shaper.HeaderBase), so htb counts
/// payload and the headers of one kind beyond the base.
/// </summary>
public class ShaperTests
{
    [Theory]
    [InlineData(0, 1460)] // IPv4, TCP without options: 1500 - 20 - 20
    [InlineData(1, 1448)] // IPv4 with timestamps (Linux senders)
    [InlineData(2, 1440)] // IPv6
    [InlineData(3, 1428)] // IPv6 with timestamps
    public void FullSegmentsCarryExactlyTheRateInPayload(int kind, int payload)
    {
        const ulong rate = 1048576;
        int overhead = AbiConst.ShapeOverhead[kind], headerBase = Shaper.HeaderBase(ether: true);
        Assert.Equal(1514, payload + overhead); // a full 1500-byte frame
        ulong counted = Shaper.CountedRate(rate, overhead, headerBase, 1500, ether: true);
        double payloadRate = (double)counted / (payload + overhead - headerBase) * payload;
        Assert.InRange(payloadRate, rate, rate * 1.000001);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(388)]    // the mean segment of a cubic download limited while open (2026-12-04)
    [InlineData(1448)]
    [InlineData(65160)]  // a GRO packet of 45 segments
    public void LinuxSendersGetTheRateInPayloadAtAnySegmentSize(int payload)
    {
        // IPv4 with timestamps is the base: the root takes exactly its headers off, so htb counts payload
        const ulong rate = 10 * 1048576;
        int overhead = AbiConst.ShapeOverhead[1 /* WF_OVH_IP4_TS */], headerBase = Shaper.HeaderBase(ether: true);
        Assert.Equal(overhead, headerBase);
        ulong counted = Shaper.CountedRate(rate, overhead, headerBase, 1500, ether: true);
        double payloadRate = (double)counted / (payload + overhead - headerBase) * payload;
        Assert.Equal(rate, counted);
        Assert.InRange(payloadRate, rate * 0.999999, rate * 1.000001);
    }

    [Fact]
    public void OtherHeadersAreOffOnlyByWhatTheyHaveBeyondTheBase()
    {
        // IPv6 with timestamps: 20 bytes a packet more than the base, so 388-byte segments get 3.5 % less
        // (before the size table htb counted all 86 header bytes a packet: 0.87 of the rate)
        const ulong rate = 1048576;
        int overhead = AbiConst.ShapeOverhead[3 /* WF_OVH_IP6_TS */], headerBase = Shaper.HeaderBase(ether: true);
        ulong counted = Shaper.CountedRate(rate, overhead, headerBase, 1500, ether: true);
        double small = (double)counted / (388 + overhead - headerBase) * 388 / rate;
        Assert.InRange(small, 1 - 20.0 / 388, 1.0);
    }

    [Fact]
    public void WithoutAnEthernetHeaderOnlyIpAndTcpCount()
    {
        // a tun or wireguard device: the frame is the IP packet, and the root takes off 52 bytes
        int headerBase = Shaper.HeaderBase(ether: false);
        Assert.Equal(20 + 32, headerBase);
        ulong counted = Shaper.CountedRate(1_000_000, AbiConst.ShapeOverhead[0] - 14, headerBase, 1420, ether: false);
        Assert.Equal((ulong)System.Math.Ceiling(1_000_000.0 * (1420 - 40 - 12) / (1420 - 40)), counted);
    }
}
