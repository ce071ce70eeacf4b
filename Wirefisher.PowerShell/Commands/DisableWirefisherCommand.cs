using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>Disable-Wirefisher: removes every rule, program, link and pin Wirefisher made.</summary>
[Cmdlet(VerbsLifecycle.Disable, "Wirefisher", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class DisableWirefisherCommand : WfCmdlet
{
    protected override void EndProcessing()
    {
        RequireRoot("Disabling Wirefisher");
        if (!ShouldProcess(WfPaths.PinDir, "Remove all limits and unload Wirefisher")) return;
        bool did = Run(WfKernel.Disable, "DisableFailed");
        Run(SetIntent.Clear, "DisableFailed"); // the rules those intents were about are gone
        WriteVerbose(did ? $"Removed {WfPaths.PinDir} and everything in it." : "Nothing was loaded.");
    }
}
