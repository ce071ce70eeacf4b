using System.IO;
using System.Management.Automation;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>
/// Export-WfMetrics: one snapshot of the kernel's counters and rates in
/// Prometheus's text format, for node_exporter's textfile collector (-Path)
/// or for any scraper (the text on the pipeline).
/// </summary>
[Cmdlet(VerbsData.Export, "WfMetrics", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(string))]
public sealed class ExportWfMetricsCommand : WfCmdlet
{
    /// <summary>The file to write (replaced in one rename, as the textfile collector needs); without it, the text goes to the pipeline.</summary>
    [Parameter(Position = 0)]
    [Alias("FullName")]
    public string? Path { get; set; }

    /// <summary>Processes with fewer bytes than this (per direction) are summed into one series, process="(other)".</summary>
    [Parameter]
    public ulong MinProcessBytes { get; set; } = Metrics.DefaultMinProcessBytes;

    protected override void BeginProcessing() => RequireRoot("Exporting metrics");

    protected override void EndProcessing()
    {
        string text = Run(() => Metrics.Snapshot(MinProcessBytes), "ReadFailed");
        if (Path is null)
        {
            WriteObject(text);
            return;
        }
        string file = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(file, "Write Wirefisher's metrics"))
            return;
        Run(() =>
        {
            // a scraper must never read half a file: write beside it, then rename over it
            string dir = System.IO.Path.GetDirectoryName(file)!;
            Directory.CreateDirectory(dir);
            string tmp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(file) + ".tmp");
            File.WriteAllText(tmp, text);
            File.Move(tmp, file, overwrite: true);
        }, "WriteFailed", file);
    }
}
