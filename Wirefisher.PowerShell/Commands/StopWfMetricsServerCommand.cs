using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>Stop-WfMetricsServer: stops the /metrics servers of this session (all, or those on -Port).</summary>
[Cmdlet(VerbsLifecycle.Stop, "WfMetricsServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class StopWfMetricsServerCommand : WfCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int[]? Port { get; set; }

    protected override void ProcessRecord()
    {
        var running = MetricsServer.List();
        foreach (int p in Port ?? System.Array.Empty<int>())
            if (!running.Any(e => e.Port == p))
                Fail($"This session serves no metrics on port {p}. Start-WfMetricsServer returns the endpoints it starts.", "NotFound", ErrorCategory.ObjectNotFound, p);
        foreach (WfMetricsEndpoint e in running.Where(e => Port is null || Port.Contains(e.Port)))
            if (ShouldProcess(e.Url, "Stop serving metrics"))
                MetricsServer.Stop(new[] { e.Port });
    }
}
