using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>
/// Where a rule becomes what the kernel matches by: from every rule and its
/// target, the wf_index keys, wf_tuples matchers and wf_names patterns
/// (<see cref="MatchSet"/>) that <see cref="MatchIndex.Write"/> puts in place.
/// </summary>
public static class MatchPlan
{
    public static MatchSet Build(IReadOnlyList<(uint Id, WfRule Rule, RuleTarget Target)> rules)
    {
        var index = new Dictionary<WfIndexKey, List<uint>>();
        var tuples = new List<WfTupleRule>();
        var names = new List<WfNameRule>();
        var perProcess = new List<uint>();
        uint kinds = 0;

        void Add(uint kind, uint dir, ulong id, uint rule)
        {
            var key = new WfIndexKey(kind, dir, id);
            if (!index.TryGetValue(key, out var ids)) index[key] = ids = new List<uint>();
            if (ids.Count >= AbiConst.IndexIds)
                throw new WfLimitExceededException($"More than {AbiConst.IndexIds} rules of one direction apply to the same cgroup; the kernel holds {AbiConst.IndexIds}. Remove one of the nested cgroup rules first.");
            ids.Add(rule);
        }

        foreach (var (id, r, t) in rules)
        {
            kinds |= 1u << (int)r.Kind;
            if ((r.Flags & AbiConst.RulePerProcess) != 0) perProcess.Add(id);
            switch (t.Kind)
            {
                case RuleKind.ProcessName when t.IsPattern:
                    var n = new WfNameRule { Rule = id, Dir = r.Dir };
                    n.SetPattern(t.Comm);
                    names.Add(n);
                    break;
                case RuleKind.Cgroup:
                    foreach (ulong cg in SelfAndDescendants(t))
                        Add(r.Kind, r.Dir, cg, id);
                    break;
                case RuleKind.Tuple:
                    tuples.AddRange(t.Tuple!.ToKernel(id, r.Dir));
                    break;
                default:
                    Add(r.Kind, r.Dir, r.Target, id);
                    break;
            }
        }
        return new MatchSet(index, tuples, names, kinds, perProcess);
    }

    /// <summary>
    /// The ids of a cgroup and every cgroup below it (a cgroup's id is its
    /// directory's inode); cgroups made later inherit the entries in the kernel.
    /// </summary>
    private static List<ulong> SelfAndDescendants(RuleTarget t)
    {
        string dir = Path.Join(WfPaths.Cgroup2Mount()!, t.CgroupPath.TrimStart('/'));
        var ids = new List<ulong> { t.Id };
        try
        {
            foreach (string d in Directory.EnumerateDirectories(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
                if (Libc.Inode(d) is var ino and not 0) ids.Add(ino);
        }
        catch (IOException) { } // the cgroup went while we walked it
        return ids;
    }
}
