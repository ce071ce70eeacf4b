using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>Enable-Wirefisher: loads and attaches the kernel side (does nothing if it is there).</summary>
[Cmdlet(VerbsLifecycle.Enable, "Wirefisher", SupportsShouldProcess = true)]
[OutputType(typeof(WfStatus))]
public sealed class EnableWirefisherCommand : WfCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        RequireRoot("Enabling Wirefisher");
        if (ShouldProcess(WfPaths.Cgroup2Mount() ?? "the cgroup v2 root", "Load and attach Wirefisher's eBPF programs"))
        {
            bool did = Run(WfKernel.Enable, "EnableFailed");
            WriteVerbose(did ? $"Loaded and pinned under {WfPaths.PinDir}." : "Already enabled.");
        }
        if (PassThru) WriteObject(StatusReader.Read());
    }
}
