using System.Collections.Generic;
using System.IO;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>
/// Which rules the ingress shaper holds, and where: every ingress rule that is
/// not watch-only or -NoShaping gets an htb class, in the network namespace of
/// each process such a rule applies to (the native half is <see cref="Shaper"/>).
/// </summary>
public static class Shaping
{
    /// <summary>Makes the shaper match the rules now in the kernel.</summary>
    public static void Sync()
    {
        using var store = new RuleStore();
        var shaped = store.All(withState: false).Where(IsShaped)
            .Where(e => ProcessInfo.IsAlive((int)e.Key.Id, e.Rule.StartMinNs, e.Rule.StartMaxNs)).ToList();
        var namespaces = shaped.Select(e => $"/proc/{e.Key.Id}/ns/net").Where(File.Exists).ToList();
        Shaper.Sync(shaped.Select(e => new ShapedRule(e.Rule.ShapeClass, e.Rule.Rate)).ToList(), namespaces);
    }

    /// <summary>The shaper classes the rules in the kernel have (read once for many new rules).</summary>
    public static HashSet<uint> UsedClasses(RuleStore store) =>
        store.All(withState: false).Select(e => e.Rule.ShapeClass).ToHashSet();

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

    public static bool IsShaped(RuleEntry e) =>
        e.Key.Dir == AbiConst.DirIngress && e.Rule.ShapeClass != 0 && (e.Rule.Flags & AbiConst.RuleWatchOnly) == 0;
}
