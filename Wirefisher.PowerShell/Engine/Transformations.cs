using System;
using System.Management.Automation;

namespace Wirefisher.Engine;

/// <summary>Lets -Rate take 1MB (a number) as well as "1M", "512K", "8Mbit".</summary>
public sealed class RateTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object v = inputData is PSObject p ? p.BaseObject : inputData;
        try
        {
            return v switch
            {
                string s => RateParser.ParseRate(s),
                double or float or decimal => Convert.ToDecimal(v) >= 0 ? (ulong)Math.Round(Convert.ToDecimal(v)) : throw new FormatException($"A rate cannot be negative ({v})."),
                sbyte or short or int or long => Convert.ToInt64(v) >= 0 ? (ulong)Convert.ToInt64(v) : throw new FormatException($"A rate cannot be negative ({v})."),
                _ => v,
            };
        }
        catch (FormatException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
        catch (OverflowException e)
        {
            throw new ArgumentTransformationMetadataException($"'{v}' is too large a rate.", e);
        }
    }
}

/// <summary>Lets -TimeScale take a TimeSpan, seconds as a number, or "500ms", "1s", "2m".</summary>
public sealed class TimeScaleTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object v = inputData is PSObject p ? p.BaseObject : inputData;
        try
        {
            return v switch
            {
                string s => RateParser.ParseTimeSpan(s),
                int or long or double => TimeSpan.FromSeconds(Convert.ToDouble(v)),
                _ => v,
            };
        }
        catch (FormatException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}

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
