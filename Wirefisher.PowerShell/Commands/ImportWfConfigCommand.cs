using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Engine.Config;

namespace Wirefisher.Commands;

/// <summary>
/// Import-WfConfig: makes the rules in force exactly those of a file (the
/// original wirefisher's config.yaml or Wirefisher's own form): every rule is
/// checked before any is applied, and a broken file changes nothing.
/// </summary>
[Cmdlet(VerbsData.Import, "WfConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Path")]
[OutputType(typeof(RateRule))]
public sealed class ImportWfConfigCommand : WfCmdlet
{
    private readonly List<string> _lines = new();

    /// <summary>The file (text from the pipeline goes to -InputObject: Get-Content rules.yaml | Import-WfConfig).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The file's text, a line at a time (Get-Content rules.yaml | Import-WfConfig).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Text")]
    [AllowEmptyString]
    public string[] InputObject { get; set; } = Array.Empty<string>();

    /// <summary>Write the rules in force afterwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => RequireRoot("Importing rules");

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "Text") _lines.AddRange(InputObject);
    }

    protected override void EndProcessing()
    {
        string name = ParameterSetName == "Path" ? GetUnresolvedProviderPathFromPSPath(Path) : "(pipeline)";
        string text = ParameterSetName == "Path"
            ? Run(() => File.ReadAllText(name), "FileNotFound", name)
            : string.Join('\n', _lines);
        ConfigDocument doc;
        try
        {
            doc = ConfigFile.Parse(text, name);
        }
        catch (ConfigException e)
        {
            Fail(e.Message, "InvalidFile", ErrorCategory.ParserError, name);
            return;
        }
        foreach (string w in doc.Warnings) WriteWarning(w);
        ConfigPlan plan;
        try
        {
            plan = ConfigService.Plan(doc);
        }
        catch (ConfigRuleException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ImportWfConfig" + e.Cause, e.Category, name));
            return;
        }
        var added = plan.Added.Where(q => ShouldProcess(Describe(q), "Add rule")).ToList();
        var changed = plan.Changed.Where(c => ShouldProcess($"{c.Current.Name}: {Describe(c.Request)}", "Change rule")).ToList();
        var removed = plan.Removed.Where(r => ShouldProcess($"{r.Name} ({r.Kind} {r.Target}, {r.Direction})", "Remove rule")).ToList();
        if (added.Count + changed.Count + removed.Count > 0)
            WithProgress($"Import-WfConfig: {added.Count + changed.Count} rules", added.Count + changed.Count, p =>
            {
                Run(() => ConfigService.Apply(new ConfigPlan(added, changed, plan.Unchanged, removed, plan.Warnings), p), "ApplyFailed", name);
                return 0;
            });
        if (PassThru) WriteObject(Run(() => RuleService.Get(queues: false, congestion: true), "ReadFailed"), enumerateCollection: true);
    }

    private static string Describe(LimitRequest q) =>
        $"{q.Name ?? q.Target.DefaultName()} ({q.Target.Kind} {q.Target.Text}, {q.Direction}, "
        + (q.IsCongestion ? $"congestion control {q.Algorithm}" : q.WatchOnly ? "watch only" : RateParser.FormatRate(q.Rate)) + ")";
}
