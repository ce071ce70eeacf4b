using System;
using System.Runtime.InteropServices;
using Wirefisher.Native.Interop;

namespace Wirefisher.Native.Loader;

/// <summary>
/// The kernel's wake-ups for the shaper watcher (wf_wake, a ring buffer; see
/// bpf/lib/wf_wake.h): a shaped rule's traffic where the shaper is not yet.
/// libbpf's ring_buffer reads it; the records themselves are not needed.
/// </summary>
public sealed unsafe class WakeSignal : IDisposable
{
    private readonly BpfFd _map;
    private nint _rb;

    private WakeSignal(BpfFd map, nint rb)
    {
        _map = map;
        _rb = rb;
    }

    /// <summary>Opens the pinned ring buffer; null when it is not there (Wirefisher disabled).</summary>
    public static WakeSignal? Open()
    {
        string pin = WfPaths.Pin(BpfNames.MapWake);
        int fd = Libbpf.BpfObjGet(pin);
        if (fd < 0) return null;
        var map = new BpfFd(fd);
        nint rb = Libbpf.RingBufferNew(map.Fd, &Ignore, 0, null);
        if (rb == 0)
        {
            map.Dispose();
            return null;
        }
        return new WakeSignal(map, rb);
    }

    /// <summary>Waits until the kernel asks for a look, or timeout passes; true if it asked.</summary>
    public bool Wait(TimeSpan timeout)
    {
        int n = Libbpf.RingBufferPoll(_rb, (int)timeout.TotalMilliseconds);
        return n > 0; // < 0: interrupted (EINTR); the caller looks anyway, as after a timeout
    }

    [UnmanagedCallersOnly]
    private static int Ignore(nint ctx, nint data, nuint size) => 0;

    public void Dispose()
    {
        if (_rb != 0) Libbpf.RingBufferFree(_rb);
        _rb = 0;
        _map.Dispose();
    }
}
