namespace Wirefisher.Engine;

/// <summary>
/// Wirefisher.dll's entry point, for the shaper watcher alone: `dotnet
/// Wirefisher.dll shaper-watch` runs <see cref="ShaperWatch.Run"/> without a
/// PowerShell around it: up about 50 ms after the command that started it
/// returned, 34-58 MiB resident (a pwsh watcher: 0.5-1 s, 110-118 MiB).
/// pwsh imports the same file as the module.
/// </summary>
internal static class WatchMain
{
    private static int Main(string[] args)
    {
        if (args is ["shaper-watch"])
        {
            ShaperWatch.Run();
            return 0;
        }
        System.Console.Error.WriteLine("Wirefisher.dll is a PowerShell module: Import-Module Wirefisher. `dotnet Wirefisher.dll shaper-watch` runs the shaper watcher (the rule commands start it).");
        return 2;
    }
}
