using System.Collections.Generic;
using System.IO;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;

namespace Wirefisher.Engine;

/// <summary>
/// Which rules the ingress shaper holds, and where: every ingress rule that is
/// not watch-only or -NoShaping gets an htb class, in the network namespace of
/// each process such a rule applies to now (and, for device and address rules,
/// this one). The native half is <see cref="Shaper"/>.
/// </summary>
public static class Shaping
{
    /// <summary>Makes the shaper match the rules now in the kernel.</summary>
    internal static void Sync(IReadOnlyList<RuleService.Loaded> rules)
    {
        var shaped = rules.Where(l => IsShaped(l.Rule)).ToList();
        var namespaces = new HashSet<string>();
        ProcessScan? scan = null;
        foreach (var l in shaped)
        {
            switch (l.Target.Kind)
            {
                case RuleKind.Process:
                    if (ProcessInfo.IsAlive((int)l.Rule.Target, l.Rule.StartMinNs, l.Rule.StartMaxNs))
                        namespaces.Add($"/proc/{l.Rule.Target}/ns/net");
                    break;
                case RuleKind.Interface or RuleKind.Tuple:
                    namespaces.Add("/proc/self/ns/net");
                    break;
                default:
                    foreach (var e in (scan ??= ProcessScan.Now()).Matching(l.Target))
                        namespaces.Add($"/proc/{e.Pid}/ns/net");
                    break;
            }
        }
        Shaper.Sync(shaped.Select(l => new ShapedRule(l.Rule.ShapeClass, l.Rule.Rate)).ToList(), namespaces.Where(File.Exists));
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
