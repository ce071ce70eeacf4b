using System;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;

namespace Wirefisher.Native.Maps;

/// <summary>
/// The processes' rates (wf_procs), read so that a copy made while a window
/// closed is not taken: the kernel updates them without a lock, and a closing
/// window moves its count from pending into the totals in two steps, so such a
/// copy has its totals a window short or over (wf_rate_add_shared in
/// bpf/lib/wf_account.h). struct wf_rate.windows is odd while a window closes,
/// a sequence count: a copy is taken when the copies just before and just after
/// it have the same even counts. (A lookup copies the value in no set order,
/// so one copy cannot check itself.) Written here because a map lookup without
/// BPF_F_LOCK has nothing of the kind: the record has no lock to take.
/// </summary>
public sealed class ProcRates : IDisposable
{
    private const int Tries = 3;
    private readonly BpfMap<uint, WfProc> _procs = new(BpfNames.MapProcs);

    /// <summary>Slot's record; false if there is none. After <see cref="Tries"/> copies that each met a close, the last.</summary>
    public bool TryLookup(uint slot, out WfProc value) => TryRead(() => _procs.TryLookup(slot, out WfProc v) ? v : null, out value);

    /// <summary>The reading protocol, over any way to copy the record (null: it is gone).</summary>
    public static bool TryRead(Func<WfProc?> copy, out WfProc value)
    {
        value = default;
        if (copy() is not WfProc before)
            return false;
        for (int i = 0; i < Tries; i++)
        {
            if (copy() is not WfProc middle || copy() is not WfProc after)
                return false;
            value = middle;
            if (Settled(before.F, after.F))
                return true;
            before = after;
        }
        return true;
    }

    /// <summary>No window of either direction closed between the two copies, nor was one closing at either.</summary>
    private static bool Settled(WfFlowStat a, WfFlowStat b) =>
        a.In.Windows == b.In.Windows && a.Out.Windows == b.Out.Windows && ((a.In.Windows | a.Out.Windows) & 1) == 0;

    public void Dispose() => _procs.Dispose();
}
