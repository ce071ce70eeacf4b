using System.Linq;
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
        int rules = WfKernel.IsEnabled ? Run(() => { using var anyAbi = Wirefisher.Native.Maps.AbiStamp.Unchecked(); using var store = new Wirefisher.Native.Maps.RuleStore(); return store.All(withState: false).Count(); }, "DisableFailed") : 0;
        bool did = WithProgress($"Disable-Wirefisher: {rules} rules", rules, p => Run(() => WfKernel.Disable(p), "DisableFailed"));
        Run(SetIntent.Clear, "DisableFailed"); // the rules those intents were about are gone
        WriteVerbose(did ? $"Removed {WfPaths.PinDir} and everything in it." : "Nothing was loaded.");
    }
}
