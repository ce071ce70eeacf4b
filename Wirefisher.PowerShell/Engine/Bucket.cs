using System;

namespace Wirefisher.Engine;

/// <summary>
/// How big a rule's token bucket is. One place, so the choice is easy to find:
/// capacity = rate x time scale x <see cref="Fraction"/>, but never less than
/// <see cref="MinBytes"/> (loopback and veth hand the hooks GSO/GRO packets of up
/// to 64 KiB; a bucket smaller than a packet would never let it through).
/// </summary>
public static class Bucket
{
    public const double Fraction = 1.0 / 8;      // the seed's text: rate x time_scale / 8
    public const ulong MinBytes = 64 * 1024;

    public static ulong CapacityBytes(ulong rate, TimeSpan timeScale) =>
        Math.Max(MinBytes, (ulong)(rate * timeScale.TotalSeconds * Fraction));

    /// <summary>The depth in time the kernel uses: capacity / rate.</summary>
    public static ulong BurstNs(ulong rate, TimeSpan timeScale) =>
        (ulong)((double)CapacityBytes(rate, timeScale) * 1e9 / rate);

    /// <summary>(1e9 &lt;&lt; 16) / rate: the cost of one byte in 1/65536 ns.</summary>
    public static ulong NsPerByte(ulong rate) => (ulong)((1_000_000_000UL << Native.Abi.AbiConst.FpShift) / (UInt128)rate);
}
