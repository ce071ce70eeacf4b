using System.Management.Automation;

namespace Wirefisher.Commands;

/// <summary>Get-WfFlowRate: who uses the network, with the original's four rates. Changes nothing.</summary>
[Cmdlet(VerbsCommon.Get, "WfFlowRate")]
[OutputType(typeof(FlowRate), typeof(ConnectionFlowRate), typeof(RuleFlowRate), typeof(CgroupFlowRate), typeof(InterfaceFlowRate))]
public sealed class GetWfFlowRateCommand : WfFlowRateCmdlet
{
    protected override void ProcessRecord() => WriteObject(Snapshot(), enumerateCollection: true);
}
