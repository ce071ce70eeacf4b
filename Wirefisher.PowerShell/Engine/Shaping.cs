using System.Collections.Generic;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;

namespace Wirefisher.Engine;

/// <summary>
/// Which rules the ingress shaper holds, and where: every ingress rule that is
/// not watch-only or -NoShaping gets an htb class, in the network namespace of
/// each process such a rule applies to now (and, for device and address rules,
/// this one), and only there. The native half is <see cref="Shaper"/>.
/// </summary>
public static class Shaping
{
    /// <summary>Makes the shaper match the rules now in the kernel (the caller holds FileLock.Shaper).</summary>
    internal static void Sync(IReadOnlyList<RuleService.Loaded> rules) => Shaper.Sync(Placements(rules));

    /// <summary>Each shaped rule with each namespace it is to be shaped in (/proc/PID/ns/net, or this one).</summary>
    internal static List<(ShapedRule, string)> Placements(IReadOnlyList<RuleService.Loaded> rules)
    {
        var placements = new List<(ShapedRule, string)>();
        ProcessScan? scan = null;
        foreach (var l in rules.Where(l => IsShaped(l.Rule)))
        {
            var shaped = new ShapedRule(l.Rule.ShapeClass, l.Rule.Rate);
            switch (l.Target.Kind)
            {
                case RuleKind.Process:
                    if (ProcessInfo.IsAlive((int)l.Rule.Target, l.Rule.StartMinNs, l.Rule.StartMaxNs))
                        placements.Add((shaped, $"/proc/{l.Rule.Target}/ns/net"));
                    break;
                case RuleKind.Interface or RuleKind.Tuple:
                    placements.Add((shaped, "/proc/self/ns/net"));
                    break;
                default:
                    foreach (string ns in (scan ??= ProcessScan.Now()).Matching(l.Target).Select(e => $"/proc/{e.Pid}/ns/net").Distinct())
                        placements.Add((shaped, ns));
                    break;
            }
        }
        return placements; // a namespace gone meanwhile has inode 0 there and is skipped
    }

    /// <summary>
    /// The class a new ingress rule gets: the lowest one not in used (which it
    /// then joins), or 0 (policed only) when all are taken.
    /// </summary>
    public static uint FreeClass(HashSet<uint> used)
    {
        for (uint c = 1; c <= AbiConst.ShapeMax; c++)
            if (used.Add(c)) return c;
        return 0;
    }

    public static bool IsShaped(in WfRule r) =>
        r.Dir == AbiConst.DirIngress && r.ShapeClass != 0 && (r.Flags & AbiConst.RuleWatchOnly) == 0;
}
