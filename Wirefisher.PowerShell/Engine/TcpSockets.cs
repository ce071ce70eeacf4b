using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Wirefisher.Engine;

/// <summary>A process's TCP connections, as /proc shows them (in the process's own network namespace).</summary>
public static class TcpSockets
{
    /// <summary>How many established TCP connections the process holds open.</summary>
    public static int CountEstablished(int pid)
    {
        var inodes = new HashSet<string>();
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                if (new FileInfo(fd).LinkTarget is string t && t.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes.Add(t[8..^1]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        if (inodes.Count == 0) return 0; // no socket: the tables need not be read (Set-WfLimit on a fresh process)

        int n = 0;
        foreach (string table in new[] { "tcp", "tcp6" })
        {
            string path = $"/proc/{pid}/net/{table}";
            if (!File.Exists(path)) continue;
            foreach (string line in File.ReadLines(path).Skip(1))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "01" && inodes.Contains(f[9])) n++; // st 01 = ESTABLISHED
            }
        }
        return n;
    }
}
