using System;
using System.Collections.Generic;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;

namespace Wirefisher.Native.Maps;

/// <summary>One kernel rule entry: its key, what user space wrote, and what the kernel counted.</summary>
public readonly record struct RuleEntry(WfRuleKey Key, WfRule Rule, WfState State);

/// <summary>
/// The only writer of wf_rules and wf_state. A rule becomes two map entries:
/// the state (bucket and counters, created zeroed and kept across rate changes)
/// and the rule itself (written last, so the kernel never sees a rule without state).
/// </summary>
public sealed class RuleStore : IDisposable
{
    private readonly BpfMap<WfRuleKey, WfRule> _rules = new(BpfNames.MapRules);
    private readonly BpfMap<WfRuleKey, WfState> _state = new(BpfNames.MapState);

    /// <summary>
    /// Adds or changes a rule in place. Returns true if it was new. A new bucket
    /// starts empty (its theoretical arrival time one burst ahead of now), so a
    /// limit set on a running flow passes the rate from its first second on,
    /// not a bucketful more.
    /// </summary>
    public bool Put(WfRuleKey key, WfRule rule)
    {
        var empty = new WfState { TatNs = MonotonicNs() + rule.BurstNs };
        bool created = _state.Update(key, empty, Libbpf.BPF_NOEXIST);
        try
        {
            _rules.Update(key, rule);
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
    public void Activate(WfRuleKey key)
    {
        if (Get(key) is not RuleEntry e || (e.Rule.Flags & AbiConst.RulePending) == 0) return;
        WfState s = e.State;
        s.TatNs = MonotonicNs() + e.Rule.BurstNs;
        s.TatFrac = 0;
        _state.Update(key, s, Libbpf.BPF_EXIST);
        WfRule r = e.Rule;
        r.Flags &= ~AbiConst.RulePending;
        _rules.Update(key, r, Libbpf.BPF_EXIST);
    }

    /// <summary>CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns (Stopwatch uses it on Linux).</summary>
    public static ulong MonotonicNs() =>
        (ulong)((UInt128)(ulong)System.Diagnostics.Stopwatch.GetTimestamp() * 1_000_000_000 / (ulong)System.Diagnostics.Stopwatch.Frequency);

    public bool Remove(WfRuleKey key)
    {
        bool had = _rules.Delete(key);
        _state.Delete(key);
        return had;
    }

    public RuleEntry? Get(WfRuleKey key)
    {
        if (!_rules.TryLookup(key, out WfRule r)) return null;
        _state.TryLookup(key, out WfState s, locked: true);
        return new RuleEntry(key, r, s);
    }

    /// <summary>Every rule; withState false skips the (locked) reads of the buckets and counters.</summary>
    public List<RuleEntry> All(bool withState = true)
    {
        var list = new List<RuleEntry>();
        foreach (WfRuleKey k in _rules.Keys())
            if (!withState && _rules.TryLookup(k, out WfRule r)) list.Add(new RuleEntry(k, r, default));
            else if (withState && Get(k) is RuleEntry e) list.Add(e);
        return list;
    }

    public void Dispose()
    {
        _rules.Dispose();
        _state.Dispose();
    }
}
