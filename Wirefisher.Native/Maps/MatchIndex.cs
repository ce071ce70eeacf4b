using System;
using System.Collections.Generic;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;

namespace Wirefisher.Native.Maps;

/// <summary>What the kernel should match rules by: exact keys, address/port matchers and name patterns.</summary>
public sealed record MatchSet(
    IReadOnlyDictionary<WfIndexKey, List<uint>> Index,
    IReadOnlyList<WfTupleRule> Tuples,
    IReadOnlyList<WfNameRule> Names,
    uint Kinds,
    IReadOnlyList<uint> PerProcess);

/// <summary>
/// The only writer of wf_index, wf_tuples, wf_names and wf_config: what the
/// kernel matches a flow's rules by (bpf/lib/wf_match.h). <see cref="Write"/>
/// makes them say exactly a <see cref="MatchSet"/>, then bumps the generation
/// so that every flow looks at its rules again.
/// </summary>
public sealed class MatchIndex : IDisposable
{
    private readonly BpfMap<WfIndexKey, WfIndexVal> _index = new(BpfNames.MapIndex);
    private readonly BpfMap<uint, WfTupleRule> _tuples = new(BpfNames.MapTuples);
    private readonly BpfMap<uint, WfNameRule> _names = new(BpfNames.MapNames);
    private readonly BpfMap<uint, WfConfig> _config = new(BpfNames.MapConfig);

    public WfConfig Config => _config.TryLookup(0, out WfConfig c) ? c : default;

    /// <summary>The address/port matchers in use now.</summary>
    public List<WfTupleRule> Tuples()
    {
        var list = new List<WfTupleRule>();
        uint n = Math.Min(Config.NTuples, (uint)AbiConst.TuplesMax);
        for (uint i = 0; i < n; i++)
            if (_tuples.TryLookup(i, out WfTupleRule t) && t.Rule != 0) list.Add(t);
        return list;
    }

    /// <summary>The rule ids behind every index key now (including cgroups the kernel added).</summary>
    public Dictionary<WfIndexKey, List<uint>> Index()
    {
        var d = new Dictionary<WfIndexKey, List<uint>>();
        foreach (WfIndexKey k in _index.Keys())
            if (_index.TryLookup(k, out WfIndexVal v)) d[k] = v.ToList();
        return d;
    }

    public unsafe void Write(MatchSet set)
    {
        if (set.Tuples.Count > AbiConst.TuplesMax)
            throw new WfLimitExceededException($"The rules need {set.Tuples.Count} address/port matchers; the kernel holds {AbiConst.TuplesMax}. Remove rules you no longer need first (Get-WfLimit -Kind Tuple | Remove-WfLimit), or cover several ports or addresses with one rule (-RemotePort '8000-8100', -RemoteAddress 10.0.0.0/8).");
        if (set.Names.Count > AbiConst.NamesMax)
            throw new WfLimitExceededException($"The rules have {set.Names.Count} name patterns with wildcards; the kernel holds {AbiConst.NamesMax}. Remove rules you no longer need first, or name processes without wildcards (those have no such limit).");
        if (set.PerProcess.Count > AbiConst.PerProcessMax)
            throw new WfLimitExceededException($"There are {set.PerProcess.Count} rules with -PerProcess; the kernel holds {AbiConst.PerProcessMax}. Remove rules with -PerProcess you no longer need first (Get-WfLimit | Where-Object PerProcess | Remove-WfLimit).");
        WfConfig old = Config;
        // additions first, deletions after: a flow looking meanwhile finds at worst a rule that is gone (and skips it)
        var now = Index();
        foreach (var (k, ids) in set.Index)
            if (!now.TryGetValue(k, out var cur) || !cur.SequenceEqual(ids))
                _index.Update(k, WfIndexVal.From(ids));
        foreach (WfIndexKey k in now.Keys)
            if (!set.Index.ContainsKey(k)) _index.Delete(k);
        for (int i = 0; i < set.Tuples.Count; i++) _tuples.Update((uint)i, set.Tuples[i]);
        for (int i = set.Tuples.Count; i < old.NTuples && i < AbiConst.TuplesMax; i++) _tuples.Update((uint)i, default);
        for (int i = 0; i < set.Names.Count; i++) _names.Update((uint)i, set.Names[i]);
        for (int i = set.Names.Count; i < old.NNames && i < AbiConst.NamesMax; i++) _names.Update((uint)i, default);
        var c = new WfConfig
        {
            Gen = old.Gen + 1,
            Kinds = set.Kinds,
            NTuples = (uint)set.Tuples.Count,
            NNames = (uint)set.Names.Count,
        };
        for (int i = 0; i < set.PerProcess.Count; i++) c.PerProcess[i] = set.PerProcess[i];
        _config.Update(0, c);
    }

    public void Dispose()
    {
        _index.Dispose();
        _tuples.Dispose();
        _names.Dispose();
        _config.Dispose();
    }
}
