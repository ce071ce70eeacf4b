using System;
using System.Collections.Generic;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;

namespace Wirefisher.Native.Maps;

/// <summary>One kernel rule: its id, what user space wrote, and what the kernel counted (summed over its per-process buckets).</summary>
public readonly record struct RuleEntry(uint Id, WfRule Rule, WfState State);

/// <summary>
/// The only writer of wf_rules and wf_state. A rule becomes two map entries:
/// the state (bucket and counters, created zeroed and kept across rate changes)
/// and the rule itself (written last, so the kernel never sees a rule without
/// state). What the kernel matches a rule by is written by <see cref="MatchIndex"/>.
/// </summary>
public sealed class RuleStore : IDisposable
{
    private readonly BpfMap<uint, WfRule> _rules = new(BpfNames.MapRules);
    private readonly BpfMap<WfStateKey, WfState> _state = new(BpfNames.MapState);
    private readonly BpfMap<WfStateKey, WfState> _pstate = new(BpfNames.MapPstate);

    /// <summary>
    /// Adds or changes a rule in place. Returns true if it was new. A new bucket
    /// starts empty (its theoretical arrival time one burst ahead of now), so a
    /// limit set on a running flow passes the rate from its first second on,
    /// not a bucketful more.
    /// </summary>
    public bool Put(uint id, WfRule rule)
    {
        var key = new WfStateKey(id);
        var empty = new WfState { TatNs = MonotonicNs() + rule.BurstNs };
        bool created = _state.Update(key, empty, Libbpf.BPF_NOEXIST);
        try
        {
            _rules.Update(id, rule);
        }
        catch when (created)
        {
            _state.Delete(key); // nothing half-applied
            throw;
        }
        return created;
    }

    /// <summary>
    /// Makes a pending rule (WF_RULE_PENDING) police: its bucket starts empty now,
    /// then the flag goes. The kernel does not touch a pending rule's state, so
    /// writing it here races with nothing.
    /// </summary>
    public void Activate(uint id)
    {
        if (!_rules.TryLookup(id, out WfRule r) || (r.Flags & AbiConst.RulePending) == 0) return;
        var key = new WfStateKey(id);
        _state.TryLookup(key, out WfState s, locked: true);
        s.TatNs = MonotonicNs() + r.BurstNs;
        s.TatFrac = 0;
        _state.Update(key, s, Libbpf.BPF_EXIST);
        r.Flags &= ~AbiConst.RulePending;
        _rules.Update(id, r, Libbpf.BPF_EXIST);
    }

    /// <summary>CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns (Stopwatch uses it on Linux).</summary>
    public static ulong MonotonicNs() =>
        (ulong)((UInt128)(ulong)System.Diagnostics.Stopwatch.GetTimestamp() * 1_000_000_000 / (ulong)System.Diagnostics.Stopwatch.Frequency);

    /// <summary>Removes the rule, its bucket and its per-process buckets.</summary>
    public bool Remove(uint id)
    {
        bool had = _rules.Delete(id);
        _state.Delete(new WfStateKey(id));
        foreach (WfStateKey k in _pstate.Keys())
            if (k.Rule == id) _pstate.Delete(k);
        return had;
    }

    public WfRule? GetRule(uint id) => _rules.TryLookup(id, out WfRule r) ? r : null;

    public RuleEntry? Get(uint id)
    {
        if (!_rules.TryLookup(id, out WfRule r)) return null;
        _state.TryLookup(new WfStateKey(id), out WfState s, locked: true);
        return new RuleEntry(id, r, s);
    }

    /// <summary>Every rule; withState false skips the (locked) reads of the buckets and counters.</summary>
    public List<RuleEntry> All(bool withState = true)
    {
        var list = new List<RuleEntry>();
        foreach (uint id in _rules.Keys())
            if (!withState && _rules.TryLookup(id, out WfRule r)) list.Add(new RuleEntry(id, r, default));
            else if (withState && Get(id) is RuleEntry e) list.Add(e);
        if (withState && list.Any(e => (e.Rule.Flags & AbiConst.RulePerProcess) != 0))
            list = AddProcessBuckets(list);
        return list;
    }

    /// <summary>A per-process rule's counters are the sums of its processes' buckets.</summary>
    private List<RuleEntry> AddProcessBuckets(List<RuleEntry> list)
    {
        var sums = new Dictionary<uint, WfState>();
        foreach (WfStateKey k in _pstate.Keys())
            if (_pstate.TryLookup(k, out WfState p, locked: true))
                sums[k.Rule] = Sum(sums.GetValueOrDefault(k.Rule), p);
        return list.Select(e => sums.TryGetValue(e.Id, out WfState p) ? e with { State = Sum(e.State, p) } : e).ToList();
    }

    private static WfState Sum(WfState a, WfState b)
    {
        a.Rate.Bytes += b.Rate.TotalBytes; // the open windows' counts too: a's stay in a.Rate.Pending
        a.Rate.Packets += b.Rate.TotalPackets;
        a.Rate.DroppedBytes += b.Rate.DroppedBytes;
        a.Rate.DroppedPackets += b.Rate.DroppedPackets;
        a.PacedBytes += b.PacedBytes;
        a.ShapedBytes += b.ShapedBytes;
        return a;
    }

    public void Dispose()
    {
        _rules.Dispose();
        _state.Dispose();
        _pstate.Dispose();
    }
}
