using System.IO;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Engine.Config;

namespace Wirefisher.Commands;

/// <summary>
/// Export-WfConfig: every rule in force as a file in Wirefisher's form, which
/// Import-WfConfig turns back into the same rules; -Boot also installs a
/// systemd unit that imports it at boot.
/// </summary>
[Cmdlet(VerbsData.Export, "WfConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(string))]
public sealed class ExportWfConfigCommand : WfCmdlet
{
    /// <summary>The file to write; without it, the YAML is written to the pipeline.</summary>
    [Parameter(Position = 0)]
    [Alias("FullName")]
    public string? Path { get; set; }

    /// <summary>Also write /etc/systemd/system/wirefisher.service, which imports the file at boot (needs -Path).</summary>
    [Parameter]
    public SwitchParameter Boot { get; set; }

    protected override void BeginProcessing() => RequireRoot("Exporting rules");

    protected override void EndProcessing()
    {
        if (Boot && Path is null)
            Fail("-Boot needs -Path: the unit imports that file at boot (for example -Path /etc/wirefisher/rules.yaml).", "BootWithoutPath", ErrorCategory.InvalidArgument, null);
        var (rules, warnings) = Run(() => ConfigService.Export(Boot), "ReadFailed");
        foreach (string w in warnings) WriteWarning(w);
        string yaml = ConfigFile.Write(rules);
        if (Path is null)
        {
            WriteObject(yaml);
            return;
        }
        string file = GetUnresolvedProviderPathFromPSPath(Path);
        if (ShouldProcess(file, $"Write {rules.Count} rules"))
            Run(() =>
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
                File.WriteAllText(file, yaml);
            }, "WriteFailed", file);
        if (Boot && ShouldProcess(BootUnit.UnitPath, "Install the boot unit"))
        {
            string module = System.IO.Path.Combine(MyInvocation.MyCommand.Module?.ModuleBase ?? "", "Wirefisher.psd1");
            string psHome = (string)SessionState.PSVariable.GetValue("PSHOME");
            Run(() => File.WriteAllText(BootUnit.UnitPath, BootUnit.Text(file, module, BootUnit.PwshCommand(psHome))), "WriteFailed", BootUnit.UnitPath);
        }
    }
}
