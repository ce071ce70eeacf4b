using System.Management.Automation;

namespace Wirefisher.Engine;

/// <summary>Accepts the firewall cmdlets' words: Inbound = Ingress, Outbound = Egress.</summary>
public sealed class DirectionTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object v = inputData is PSObject p ? p.BaseObject : inputData;
        return v is string s
            ? s.Trim().ToLowerInvariant() switch
            {
                "inbound" or "in" => "Ingress",
                "outbound" or "out" => "Egress",
                _ => s,
            }
            : v;
    }
}
