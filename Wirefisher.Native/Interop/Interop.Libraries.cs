namespace Wirefisher.Native.Interop;

/// <summary>Native library names, defined once.</summary>
internal static class Libraries
{
    /// <summary>The soname: Debian's libbpf1 ships only this name (no libbpf.so without -dev).</summary>
    public const string Libbpf = "libbpf.so.1";
    public const string Libc = "libc.so.6";
}
