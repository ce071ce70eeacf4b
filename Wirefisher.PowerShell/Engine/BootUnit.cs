using System;
using System.IO;

namespace Wirefisher.Engine;

/// <summary>
/// Limits live in bpffs and end with a reboot; this systemd unit imports a
/// rule file at boot (Export-WfConfig -Boot). It runs this module with the
/// pwsh that runs now, where both are installed.
/// </summary>
public static class BootUnit
{
    public const string UnitPath = "/etc/systemd/system/wirefisher.service";

    /// <summary>
    /// The ExecStart command line: the pwsh of this process imports the file with this module. No $ in it:
    /// systemd would expand it as a variable (Import-WfConfig asks nothing without -Confirm anyway).
    /// </summary>
    public static string ExecStart(string rulesFile, string modulePath, string pwshCommand) =>
        $"{pwshCommand} -NoProfile -NonInteractive -Command \"Import-Module '{modulePath}'; Import-WfConfig -Path '{rulesFile}'\"";

    public static string Text(string rulesFile, string modulePath, string pwshCommand) => string.Join('\n',
        "# Written by Export-WfConfig -Boot: imports the Wirefisher rules at boot.",
        "[Unit]",
        "Description=Wirefisher rate limits (" + rulesFile + ")",
        "After=local-fs.target network-pre.target",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        "ExecStart=" + ExecStart(rulesFile, modulePath, pwshCommand),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "");

    /// <summary>How this process runs pwsh: "dotnet $PSHOME/pwsh.dll" (a dotnet tool) or the pwsh executable.</summary>
    public static string PwshCommand(string psHome)
    {
        string exe = Environment.ProcessPath ?? "pwsh";
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? $"{exe} {Path.Combine(psHome, "pwsh.dll")}" : exe;
    }
}
