using System;
using System.Management.Automation;
using System.Net;
using System.Threading;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>
/// Start-WfMetricsServer: serves Export-WfMetrics's text at /metrics while
/// this pwsh runs (-Wait: until Ctrl+C, for a systemd unit).
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "WfMetricsServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(WfMetricsEndpoint))]
public sealed class StartWfMetricsServerCommand : WfCmdlet
{
    private readonly ManualResetEventSlim _stop = new();

    /// <summary>The TCP port; 9464 is OpenTelemetry's Prometheus exporter port.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 9464;

    /// <summary>The address to listen on: 127.0.0.1 (default), another address, or * for all.</summary>
    [Parameter]
    public string Address { get; set; } = "127.0.0.1";

    [Parameter]
    public ulong MinProcessBytes { get; set; } = Metrics.DefaultMinProcessBytes;

    /// <summary>Keep the command running, serving, until it is stopped (Ctrl+C, or the unit's stop); then stop the server.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override void BeginProcessing() => RequireRoot("Serving metrics");

    protected override void EndProcessing()
    {
        if (Address != "*" && !IPAddress.TryParse(Address, out _) && Address != "localhost")
            Fail($"-Address '{Address}' is not an IP address: give one such as 127.0.0.1 or ::1, or * for every address.", "InvalidAddress", ErrorCategory.InvalidArgument, Address);
        if (!ShouldProcess($"{Address}:{Port}", "Serve Wirefisher's metrics at /metrics"))
            return;
        MetricsServer server;
        try
        {
            server = MetricsServer.Start(Address, Port, MinProcessBytes);
        }
        catch (InvalidOperationException e)
        {
            Fail(e.Message, "AlreadyServing", ErrorCategory.ResourceExists, Port);
            return;
        }
        catch (HttpListenerException e)
        {
            Fail($"Listening on {Address}:{Port} failed: {e.Message}. Is another program using the port? Choose another with -Port.", "ListenFailed", ErrorCategory.ResourceUnavailable, Port);
            return;
        }
        WriteObject(server.Endpoint);
        if (!Wait) return;
        try
        {
            _stop.Wait();
        }
        finally
        {
            MetricsServer.Stop(new[] { Port });
        }
    }

    protected override void StopProcessing() => _stop.Set();
}
