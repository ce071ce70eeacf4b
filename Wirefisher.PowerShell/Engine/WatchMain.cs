namespace Wirefisher.Engine;

/// <summary>
/// Wirefisher.dll's entry point, for the shaper watcher alone: `dotnet
/// Wirefisher.dll shaper-watch` runs <see cref="ShaperWatch.Run"/> without a
/// PowerShell around it, which starts in about 0.1 s instead of 0.5-1 s and
/// keeps a third of the memory. pwsh imports the same file as the module.
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
