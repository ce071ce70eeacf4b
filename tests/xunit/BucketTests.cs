using System;
using System.Management.Automation;
using Wirefisher.Commands;
using Wirefisher.Engine;
using Wirefisher.Native.Interop;
using Xunit;

namespace Wirefisher.Tests;

public class BucketTests
{
    [Theory]
    [InlineData(1024UL)]
    [InlineData(1048576UL)]
    [InlineData(12_500_000_000UL)]   // 100 Gbit/s
    [InlineData(125_000_000_000UL)]  // 1 Tbit/s
    public void PacketCostNeverOverflows(ulong rate)
    {
        ulong npb = Bucket.NsPerByte(rate);
        Assert.True(npb > 0);
        // the kernel computes len * ns_per_byte for len < 2^20 (BIG TCP packets are < 512 KiB)
        Assert.True((UInt128)npb * (1UL << 20) < ulong.MaxValue);
        // and the cost of a second's bytes is one second, to 0.1 %
        double oneSecond = (double)((UInt128)npb * rate >> 16);
        Assert.InRange(oneSecond, 0.999e9, 1.0e9);
    }

    [Fact]
    public void CapacityFollowsRateAndTimeScale()
    {
        Assert.Equal((ulong)(10 * 1048576 * Bucket.Fraction), Bucket.CapacityBytes(10 * 1048576, TimeSpan.FromSeconds(1)));
        Assert.Equal(Bucket.MinBytes, Bucket.CapacityBytes(10240, TimeSpan.FromSeconds(1)));
        Assert.Equal(5 * Bucket.MinBytes, Bucket.CapacityBytes(1048576, TimeSpan.FromSeconds(1), connections: 4));
        ulong rate = 1048576;
        double ns = Bucket.BurstNs(rate, TimeSpan.FromSeconds(1));
        Assert.InRange(ns / 1e9 * rate, Bucket.CapacityBytes(rate, TimeSpan.FromSeconds(1)) - 1.0, Bucket.CapacityBytes(rate, TimeSpan.FromSeconds(1)) + 1.0);
    }

    [Theory]
    [InlineData(0UL, 1.0)]
    [InlineData(1023UL, 1.0)]
    [InlineData(1048576UL, 0.0)]
    [InlineData(1048576UL, 7200.0)]
    public void ValidateRejectsBadLimits(ulong rate, double seconds) =>
        Assert.Throws<ArgumentException>(() => RuleService.Validate(rate, TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(LibbpfException.EPERM, ErrorCategory.PermissionDenied)]
    [InlineData(LibbpfException.EACCES, ErrorCategory.PermissionDenied)]
    [InlineData(LibbpfException.ENOENT, ErrorCategory.ObjectNotFound)]
    [InlineData(LibbpfException.EEXIST, ErrorCategory.ResourceExists)]
    [InlineData(LibbpfException.E2BIG, ErrorCategory.LimitsExceeded)]
    [InlineData(LibbpfException.EINVAL, ErrorCategory.InvalidArgument)]
    [InlineData(LibbpfException.EOPNOTSUPP, ErrorCategory.NotEnabled)]
    [InlineData(5, ErrorCategory.InvalidOperation)]
    public void ErrnoMapsToACategory(int errno, ErrorCategory expected) => Assert.Equal(expected, WfCmdlet.CategoryOf(errno));
}
