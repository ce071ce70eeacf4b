using System;
using Wirefisher.Native.Abi;

namespace Wirefisher.Native.Loader;

/// <summary>Only root may load programs or change limits on this system.</summary>
public sealed class WfNotRootException : UnauthorizedAccessException
{
    public WfNotRootException(string action)
        : base($"{action} needs root: run pwsh as root (sudo), since only root may load eBPF programs and change limits.") { }
}

/// <summary>The kernel or the system lacks something Wirefisher needs.</summary>
public sealed class WfUnsupportedException : NotSupportedException
{
    public string Feature { get; }
    public WfUnsupportedException(string feature, string message) : base(message) => Feature = feature;
}

/// <summary>Wirefisher's programs are not loaded (Enable-Wirefisher has not run, or Disable-Wirefisher has).</summary>
public sealed class WfNotEnabledException : InvalidOperationException
{
    public WfNotEnabledException()
        : base("Wirefisher is not enabled: nothing is loaded in the kernel. Run Enable-Wirefisher (or Set-WfLimit, which enables it) first.") { }
}

/// <summary>
/// A pinned map's entries are not the size this module's mirror of them is: the
/// state in the kernel was loaded by another version of Wirefisher (limits
/// outlive the shell, and so the module that set them). Reading it would copy
/// the kernel's entries into structs of another size, so nothing is read.
/// </summary>
public sealed class WfStaleStateException : InvalidOperationException
{
    public WfStaleStateException(string map, uint keySize, uint valueSize, int wantKey, int wantValue)
        : base($"The eBPF state in {WfPaths.PinDir} was loaded by another version of Wirefisher: its map {map} has {keySize}/{valueSize}-byte keys/values, " +
               $"this module's have {wantKey}/{wantValue}. {Remedy}") { }

    public WfStaleStateException(uint abi)
        : base($"The eBPF state in {WfPaths.PinDir} was loaded by another version of Wirefisher: its structs are of version {abi} ({BpfNames.MapAbi}; 0: older than 2), " +
               $"this module's of {AbiConst.Abi}. {Remedy}") { }

    private const string Remedy = "Run Disable-Wirefisher, then Enable-Wirefisher (or Set-WfLimit) to load this version; the limits set before are dropped with the old state.";
}

/// <summary>More rules (or matchers of one kind) than the kernel's maps hold; nothing was changed.</summary>
public sealed class WfLimitExceededException : InvalidOperationException
{
    public WfLimitExceededException(string message) : base(message) { }
}
