using System;
using System.Text;

namespace Wirefisher.Native.Abi;

/// <summary>The #defines of bpf/wirefisher.h that user space needs.</summary>
public static class AbiConst
{
    public const int CommLen = 16, NameLen = 64, TextLen = 128, CcLen = 16;
    public const uint KindProcess = 1, KindCgroup = 2, KindIface = 3, KindTuple = 4, KindName = 5, KindPath = 6, KindUser = 7;
    public const uint DirIngress = 0, DirEgress = 1;
    public const uint RuleWatchOnly = 0x1, RulePending = 0x2, RulePerProcess = 0x4, RuleCc = 0x8;
    /// <summary>WF_MATCH_MAX, WF_INDEX_IDS, WF_TUPLES_MAX, WF_NAMES_MAX, WF_PER_PROCESS_MAX, WF_ANCESTORS, WF_RULES_MAX, WF_PROCS_MAX.</summary>
    public const int MatchMax = 8, IndexIds = 4, TuplesMax = 2048, NamesMax = 64, PerProcessMax = 16, Ancestors = 3, RulesMax = 16384, ProcsMax = 65536;
    /// <summary>htb handles of the ingress shaper (WF_SHAPE_* in wirefisher.h).</summary>
    public const uint ShapeMax = 0x0fff;
    public const int ShapeKindShift = 12;
    /// <summary>Header sizes each shaping leaf allows for, by WF_OVH_* (Ethernet + IP + TCP [+ timestamps]).</summary>
    public static readonly int[] ShapeOverhead = { 14 + 20 + 20, 14 + 20 + 32, 14 + 40 + 20, 14 + 40 + 32 };
    public const int FpShift = 16;
    /// <summary>WF_ABI: what the structs mean; pinned state written with another is not read (<see cref="Maps.AbiStamp"/>).</summary>
    public const int Abi = 3;
    /// <summary>WF_PENDING_SHIFT: how struct wf_rate.pending keeps bytes and packets in one word.</summary>
    public const int PendingShift = 28;

    /// <summary>wf_name_hash of lib/wf_owner.h: FNV-1a over the name's bytes, ASCII letters folded to lower case.</summary>
    public static ulong NameHash(string name)
    {
        ulong h = 0xcbf29ce484222325UL;
        byte[] b = Encoding.UTF8.GetBytes(name);
        for (int i = 0; i < b.Length && i < CommLen - 1 && b[i] != 0; i++)
        {
            byte c = b[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(b[i] + 32) : b[i];
            h = (h ^ c) * 0x100000001b3UL;
        }
        return h;
    }

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
        while (n > 0 && n < b.Length && (b[n] & 0xC0) == 0x80) n--; // whole characters only
        new ReadOnlySpan<byte>(b, 0, n).CopyTo(new Span<byte>(p, n));
    }
}
