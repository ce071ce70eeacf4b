using System;
using System.IO;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;

namespace Wirefisher.Native.Maps;

/// <summary>
/// What the pinned structs mean (WF_ABI in bpf/wirefisher.h), kept in the pinned map wf_abi:
/// Enable-Wirefisher writes it when it loads the object, and every <see cref="BpfMap{TKey,TValue}"/>
/// checks it when it opens. The entries' sizes tell most versions apart; this tells apart those
/// whose structs kept their sizes but not what a field holds.
/// </summary>
public static unsafe class AbiStamp
{
    public static void Write()
    {
        using var fd = BpfFd.OpenPinned(WfPaths.Pin(BpfNames.MapAbi));
        uint key = 0, abi = AbiConst.Abi;
        LibbpfCheck.Int(Libbpf.BpfMapUpdateElem(fd.Fd, &key, &abi, 0), $"Writing {BpfNames.MapAbi}");
    }

    [ThreadStatic] private static int _unchecked;

    /// <summary>Until disposed, maps open without this check: Disable-Wirefisher takes away the rules of any version.</summary>
    public static IDisposable Unchecked()
    {
        _unchecked++;
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { _done = true; _unchecked--; } }
    }

    /// <summary>Throws <see cref="WfStaleStateException"/> unless the pinned state was loaded with this module's WF_ABI.</summary>
    public static void Require()
    {
        if (_unchecked > 0) return;
        string pin = WfPaths.Pin(BpfNames.MapAbi);
        uint key = 0, abi = 0; // no wf_abi: loaded before WF_ABI 2
        if (File.Exists(pin))
        {
            using var fd = BpfFd.OpenPinned(pin);
            if (Libbpf.BpfMapLookupElemFlags(fd.Fd, &key, &abi, 0) != 0) abi = 0;
        }
        if (abi != AbiConst.Abi)
            throw new WfStaleStateException(abi);
    }
}
