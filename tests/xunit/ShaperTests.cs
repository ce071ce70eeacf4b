using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>The shaper's leaf rates: htb counts frames, a limit counts payload.</summary>
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
        int overhead = AbiConst.ShapeOverhead[kind];
        Assert.Equal(1514, payload + overhead); // a full 1500-byte frame
        ulong wire = Shaper.WireRate(rate, overhead, 1500, ether: true);
        double payloadRate = (double)wire / (payload + overhead) * payload;
        Assert.InRange(payloadRate, rate, rate * 1.000001);
    }

    [Fact]
    public void WithoutAnEthernetHeaderOnlyIpAndTcpCount()
    {
        // a tun or wireguard device: the frame is the IP packet
        ulong wire = Shaper.WireRate(1_000_000, AbiConst.ShapeOverhead[1] - 14, 1420, ether: false);
        Assert.Equal((ulong)System.Math.Ceiling(1_000_000.0 * 1420 / (1420 - 52)), wire);
    }
}
