using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;

namespace Wirefisher.Native.Maps;

/// <summary>A pinned BPF hash map with typed keys and values (blittable mirrors of wirefisher.h).</summary>
public sealed unsafe class BpfMap<TKey, TValue> : IDisposable
    where TKey : unmanaged where TValue : unmanaged
{
    private readonly BpfFd _fd;
    public string Name { get; }

    public BpfMap(string name)
    {
        Name = name;
        string pin = WfPaths.Pin(name);
        if (!System.IO.File.Exists(pin))
            throw new WfNotEnabledException();
        _fd = BpfFd.OpenPinned(pin);
        try
        {
            RequireSizes();
            AbiStamp.Require();
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    /// <summary>Throws <see cref="WfStaleStateException"/> unless the pinned map's keys and values are TKey's and TValue's size.</summary>
    private void RequireSizes()
    {
        Libbpf.BpfMapInfoHead info = default;
        uint len = (uint)sizeof(Libbpf.BpfMapInfoHead);
        if (Libbpf.BpfObjGetInfoByFd(_fd.Fd, &info, &len) != 0)
            throw new LibbpfException($"Reading what map {Name} holds", Marshal.GetLastPInvokeError());
        if (info.KeySize != sizeof(TKey) || info.ValueSize != sizeof(TValue))
            throw new WfStaleStateException(Name, info.KeySize, info.ValueSize, sizeof(TKey), sizeof(TValue));
    }

    public bool TryLookup(TKey key, out TValue value, bool locked = false)
    {
        TValue v = default;
        int rc = Libbpf.BpfMapLookupElemFlags(_fd.Fd, &key, &v, locked ? (ulong)Libbpf.BPF_F_LOCK : 0);
        value = v;
        if (rc == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == LibbpfException.ENOENT) return false;
        throw new LibbpfException($"Reading map {Name}", errno);
    }

    /// <summary>Writes an entry. flags: BPF_ANY, BPF_NOEXIST (returns false if present) or BPF_EXIST.</summary>
    public bool Update(TKey key, TValue value, int flags = Libbpf.BPF_ANY)
    {
        if (Libbpf.BpfMapUpdateElem(_fd.Fd, &key, &value, (ulong)flags) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == LibbpfException.EEXIST && flags == Libbpf.BPF_NOEXIST) return false;
        throw new LibbpfException($"Writing map {Name}", errno);
    }

    public bool Delete(TKey key)
    {
        if (Libbpf.BpfMapDeleteElem(_fd.Fd, &key) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == LibbpfException.ENOENT) return false;
        throw new LibbpfException($"Deleting from map {Name}", errno);
    }

    public List<TKey> Keys()
    {
        var keys = new List<TKey>();
        TKey cur = default, next = default;
        bool first = true;
        while (Libbpf.BpfMapGetNextKey(_fd.Fd, first ? null : &cur, &next) == 0)
        {
            keys.Add(next);
            cur = next;
            first = false;
        }
        return keys;
    }

    public void Dispose() => _fd.Dispose();
}
