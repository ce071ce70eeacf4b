using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

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
        bool enabled = WfKernel.IsEnabled;
        var processes = enabled ? Run(() => FlowRateReader.Sample(FlowGrouping.Process), "ReadFailed") : new List<FlowRate>();
        var rules = enabled ? Run(() => RuleService.Get(), "ReadFailed") : new List<RateRule>();
        var ruleRates = enabled ? Run(() => FlowRateReader.Sample(FlowGrouping.Rule), "ReadFailed").OfType<RuleFlowRate>().ToList() : new List<RuleFlowRate>();
        string text = Metrics.Text(enabled, processes, rules, ruleRates, MinProcessBytes);
        if (Path is null)
        {
            WriteObject(text);
            return;
        }
        string file = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(file, $"Write the metrics of {processes.Count} process series and {rules.Count} rules"))
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
