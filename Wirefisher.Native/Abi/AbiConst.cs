using System;
using System.Text;

namespace Wirefisher.Native.Abi;

/// <summary>The #defines of bpf/wirefisher.h that user space needs.</summary>
public static class AbiConst
{
    public const int CommLen = 16, NameLen = 64;
    public const uint KindProcess = 1, KindCgroup = 2, KindIface = 3, KindTuple = 4;
    public const uint DirIngress = 0, DirEgress = 1;
    public const uint RuleWatchOnly = 0x1, RulePending = 0x2;
    /// <summary>htb handles of the ingress shaper (WF_SHAPE_* in wirefisher.h).</summary>
    public const uint ShapeMax = 0x0fff;
    public const int ShapeKindShift = 12;
    /// <summary>Header sizes each shaping leaf allows for, by WF_OVH_* (Ethernet + IP + TCP [+ timestamps]).</summary>
    public static readonly int[] ShapeOverhead = { 14 + 20 + 20, 14 + 20 + 32, 14 + 40 + 20, 14 + 40 + 32 };
    public const int FpShift = 16;

    internal static unsafe string ReadString(byte* p, int max)
    {
        int n = 0;
        while (n < max && p[n] != 0) n++;
        return Encoding.UTF8.GetString(p, n);
    }

    internal static unsafe void WriteString(byte* p, int max, string s)
    {
        new Span<byte>(p, max).Clear();
        byte[] b = Encoding.UTF8.GetBytes(s);
        int n = Math.Min(b.Length, max - 1);
        new ReadOnlySpan<byte>(b, 0, n).CopyTo(new Span<byte>(p, n));
    }
}
