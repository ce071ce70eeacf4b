using System;

namespace Wirefisher.Engine;

/// <summary>
/// How big a rule's token bucket is. One place, so the choice is easy to find:
/// capacity = rate x time scale x <see cref="Fraction"/> (the seed's text), but
/// never less than one <see cref="MinBytes"/> packet more than the process has
/// TCP connections. Loopback and veth hand the hooks GSO/GRO packets of up to
/// 64 KiB, and each paced connection may send one such packet at the same
/// moment as the others: a smaller bucket would drop those, and a drop costs
/// TCP a 200 ms timer (measured: 4 connections at 1 MiB/s on loopback held
/// 0.74 of the rate with a 128 KiB bucket).
/// </summary>
public static class Bucket
{
    public const double Fraction = 1.0 / 8;      // the seed's text: rate x time_scale / 8
    public const ulong MinBytes = 64 * 1024;

    public static ulong CapacityBytes(ulong rate, TimeSpan timeScale, int connections = 0) =>
        Math.Max(MinBytes * (ulong)(Math.Max(0, connections) + 1), (ulong)(rate * timeScale.TotalSeconds * Fraction));

    /// <summary>The depth in time the kernel uses: capacity / rate.</summary>
    public static ulong BurstNs(ulong rate, TimeSpan timeScale, int connections = 0) =>
        (ulong)((double)CapacityBytes(rate, timeScale, connections) * 1e9 / rate);

    /// <summary>(1e9 &lt;&lt; 16) / rate: the cost of one byte in 1/65536 ns.</summary>
    public static ulong NsPerByte(ulong rate) => (ulong)((1_000_000_000UL << Native.Abi.AbiConst.FpShift) / (UInt128)rate);
}
