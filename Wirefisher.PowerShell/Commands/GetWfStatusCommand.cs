using System.Management.Automation;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>Get-WfStatus: what is loaded and attached, and where. Works without root (then it says less).</summary>
[Cmdlet(VerbsCommon.Get, "WfStatus")]
[OutputType(typeof(WfStatus))]
public sealed class GetWfStatusCommand : WfCmdlet
{
    protected override void EndProcessing() => WriteObject(Run(StatusReader.Read, "ReadFailed"));
}
