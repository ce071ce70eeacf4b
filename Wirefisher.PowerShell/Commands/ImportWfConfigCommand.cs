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
// the default set is Text: with Path the default, PowerShell settles on it before binding piped
// strings, and they fail, since Path takes pipeline input by property name too
[Cmdlet(VerbsData.Import, "WfConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Text")]
[OutputType(typeof(RateRule))]
public sealed class ImportWfConfigCommand : WfCmdlet
{
    private readonly List<string> _lines = new();
    private readonly List<string> _paths = new(); // every -Path piped in: more than one is refused
    private bool _input;                          // false when an empty pipeline brought nothing

    /// <summary>
    /// The file; a FileInfo from the pipeline (Get-Item rules.yaml | Import-WfConfig) binds by its
    /// FullName or PSPath. Piped strings still go to -InputObject, even Get-Content's lines, which
    /// carry a PSPath: binding them as they are comes before binding by property name.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
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
        _input = true;
        if (ParameterSetName == "Text") _lines.AddRange(InputObject);
        else
        {
            string path = GetUnresolvedProviderPathFromPSPath(Path);
            if (!_paths.Contains(path)) _paths.Add(path);
        }
    }

    protected override void EndProcessing()
    {
        // an empty pipeline (Get-ChildItem *.yml | Import-WfConfig, with no such file) is not an empty file
        if (!_input)
            Fail("Nothing came from the pipeline, so there is no file to import. Give -Path, or pipe the file (Get-Item rules.yaml | Import-WfConfig) or its text (Get-Content rules.yaml | Import-WfConfig).",
                "NoInput", ErrorCategory.InvalidArgument, null);
        // the rules in force become those of the file, so a second file would only replace the first
        if (_paths.Count > 1)
            Fail($"Import-WfConfig imports one file, and {_paths.Count} came: {string.Join(", ", _paths)}. The rules in force become those of the file, so put the rules of all of them in one file and import that.",
                "TooManyFiles", ErrorCategory.InvalidArgument, _paths);
        string name = ParameterSetName == "Path" ? _paths[0] : "(pipeline)";
        string text = ParameterSetName == "Path" ? ReadFile(name) : string.Join('\n', _lines);
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

    /// <summary>
    /// The file's text. A missing file is ObjectNotFound (FileNotFound); one that is there but
    /// cannot be read has its own id (FileReadFailed: ReadFailed is -PassThru's, reading the rules).
    /// </summary>
    private string ReadFile(string name)
    {
        try
        {
            return File.ReadAllText(name);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            string? dir = System.IO.Path.GetDirectoryName(name);
            string where = e is DirectoryNotFoundException && dir is not null ? $": its folder '{dir}' does not exist either" : "";
            Fail($"There is no rule file '{name}'{where}. Check the path (Test-Path '{name}'), or pipe the file's text in: Get-Content <file> | Import-WfConfig.",
                "FileNotFound", ErrorCategory.ObjectNotFound, name);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(name)) // .NET on Linux says "access denied" for a folder
        {
            Fail($"'{name}' is a folder, not a rule file. Give the path of the file in it (Get-ChildItem '{name}' -Filter *.yaml).",
                "FileReadFailed", ErrorCategory.InvalidArgument, name);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            var category = e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.ReadError;
            string hint = e is UnauthorizedAccessException ? $" Check its permissions (ls -l '{name}')." : "";
            ThrowTerminatingError(new ErrorRecord(new IOException($"The rule file '{name}' cannot be read: {e.Message}{hint}", e),
                ErrorId("FileReadFailed"), category, name));
        }
        return ""; // not reached: each catch stops the command
    }

    private static string Describe(LimitRequest q) =>
        $"{q.Name ?? q.Target.DefaultName()} ({q.Target.Kind} {q.Target.Text}, {q.Direction}, "
        + (q.IsCongestion ? $"congestion control {q.Algorithm}" : q.WatchOnly ? "watch only" : RateParser.FormatRate(q.Rate)) + ")";
}
