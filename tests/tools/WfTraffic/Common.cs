// Common.cs — shared plumbing for WfTraffic: hand-written option parsing, JSON-line
// output on stdout (one object per line, flushed after every line), graceful shutdown
// (SIGTERM/SIGINT/SIGHUP/SIGQUIT, stdin closed by the parent, stdout gone) and
// Stopwatch-based clock helpers used to keep tick schedules drift-free.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace WfTraffic;

/// <summary>Bad command line; Program prints it with the usage text and exits 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>"--name value" / "--name=value" options plus bare "--flag" switches.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public static Options Parse(string[] args, int start, IReadOnlyCollection<string> valued, IReadOnlyCollection<string> flags)
    {
        var o = new Options();
        for (int i = start; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}'");
            string name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            if (flags.Contains(name))
            {
                if (inline != null) throw new UsageException($"option --{name} takes no value");
                o._flags.Add(name);
            }
            else if (valued.Contains(name))
            {
                string? v = inline;
                if (v == null)
                {
                    if (i + 1 >= args.Length) throw new UsageException($"option --{name} needs a value");
                    v = args[++i];
                }
                o._values[name] = v;
            }
            else throw new UsageException($"unknown option --{name}");
        }
        return o;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public string Require(string name) => Get(name) ?? throw new UsageException($"option --{name} is required");

    public string Choice(string name, string? def, params string[] allowed)
    {
        string v = (Get(name) ?? def ?? throw new UsageException($"option --{name} is required")).ToLowerInvariant();
        if (Array.IndexOf(allowed, v) < 0)
            throw new UsageException($"--{name} must be one of {string.Join("|", allowed)} (got '{v}')");
        return v;
    }

    public int Int(string name, int? def, int min, int max)
    {
        string? s = Get(name);
        if (s == null) return def ?? throw new UsageException($"option --{name} is required");
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new UsageException($"--{name} must be an integer in [{min}, {max}] (got '{s}')");
        return v;
    }

    /// <summary>Optional positive number; null when absent.</summary>
    public double? Double(string name, double min, double max)
    {
        string? s = Get(name);
        if (s == null) return null;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < min || v > max)
            throw new UsageException($"--{name} must be a number in [{min}, {max}] (got '{s}')");
        return v;
    }
}

/// <summary>Builds one flat JSON object. Numbers are formatted invariantly.</summary>
internal sealed class JsonLine
{
    private readonly StringBuilder _sb = new(160);

    public JsonLine(string evt)
    {
        _sb.Append("{\"event\":\"").Append(evt).Append('"');
    }

    public JsonLine Num(string key, long v)
    {
        Key(key).Append(v.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public JsonLine Num(string key, double v, string format = "0.000000")
    {
        Key(key).Append(double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "null");
        return this;
    }

    public JsonLine Str(string key, string v)
    {
        Key(key).Append('"').Append(System.Text.Json.JsonEncodedText.Encode(v).ToString()).Append('"');
        return this;
    }

    public JsonLine Arr(string key, IEnumerable<long> values)
    {
        Key(key).Append('[').AppendJoin(',', values.Select(x => x.ToString(CultureInfo.InvariantCulture))).Append(']');
        return this;
    }

    private StringBuilder Key(string key) => _sb.Append(",\"").Append(key).Append("\":");

    public override string ToString() => _sb.ToString() + "}";
}

/// <summary>Serialized, auto-flushed line output on stdout; diagnostics go to stderr.</summary>
internal static class Out
{
    private static readonly object Gate = new();
    private static readonly StreamWriter Writer = new(OpenStdout(), new UTF8Encoding(false), 4096)
    {
        AutoFlush = true,
        NewLine = "\n",
    };

    /// <summary>
    /// When stdout is a pipe or socket, a FileStream on fd 1 rather than
    /// Console.OpenStandardOutput(): the console stream silently ignores EPIPE, while we
    /// want to notice that the reader went away. Files and terminals keep the console
    /// stream (a FileStream would pwrite() at its own offset and clobber stderr output
    /// sharing the same file).
    /// </summary>
    private static Stream OpenStdout()
    {
        try
        {
            string? target = new FileInfo("/proc/self/fd/1").LinkTarget;
            if (target == null || !(target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)))
                return Console.OpenStandardOutput();
            return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        }
        catch (Exception)
        {
            return Console.OpenStandardOutput();
        }
    }

    public static void Line(JsonLine line)
    {
        string s = line.ToString();
        lock (Gate)
        {
            try
            {
                Writer.WriteLine(s);
            }
            catch (Exception)
            {
                // Nobody is reading us any more (EPIPE, EBADF, ...): stop quietly.
                Shutdown.Request("stdout-closed");
            }
        }
    }

    public static void Error(string message)
    {
        Line(new JsonLine("error").Str("message", message));
        try { Console.Error.WriteLine("WfTraffic: " + message); } catch (IOException) { }
    }

    public static void Note(string message)
    {
        try { Console.Error.WriteLine("WfTraffic: " + message); } catch (IOException) { }
    }
}

/// <summary>Process-wide stop request: signals, stdin closed, --seconds elapsed, stdout gone.</summary>
internal static class Shutdown
{
    private static readonly CancellationTokenSource Cts = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static string? _reason;

    public static CancellationToken Token => Cts.Token;

    public static bool Requested => Cts.IsCancellationRequested;

    public static string Reason => Volatile.Read(ref _reason) ?? "unknown";

    public static void Request(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        try { Cts.Cancel(); }
        catch (ObjectDisposedException) { }
        catch (AggregateException e) { Out.Note("shutdown callback failed: " + e.InnerException?.Message); }
    }

    public static void Install(bool watchStdin)
    {
        foreach (var sig in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            try
            {
                string name = sig.ToString();
                Registrations.Add(PosixSignalRegistration.Create(sig, ctx =>
                {
                    ctx.Cancel = true; // we exit ourselves, after printing the done line
                    Request("signal:" + name);
                }));
            }
            catch (Exception e) when (e is PlatformNotSupportedException or IOException)
            {
                Out.Note($"cannot handle {sig}: {e.Message}");
            }
        }
        if (watchStdin) StdinWatch.Start();
    }
}

/// <summary>
/// Stops the program when the parent closes our stdin. Only pipes and sockets are
/// watched, and only if they are open at start-up (an inherited, already-closed pipe
/// or /dev/null must not stop us). poll() is called without POLLIN, so nothing is
/// ever read from stdin: a shared, inherited stdin is left untouched.
/// </summary>
internal static class StdinWatch
{
    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private const short POLLERR = 0x008, POLLHUP = 0x010, POLLNVAL = 0x020, POLLRDHUP = 0x2000;
    private const short Closed = POLLERR | POLLHUP | POLLNVAL | POLLRDHUP;

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollFd fds, nuint nfds, int timeout);

    public static void Start()
    {
        string? target;
        try { target = new FileInfo("/proc/self/fd/0").LinkTarget; }
        catch (Exception) { return; }
        if (target == null || !(target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)))
            return;
        try
        {
            if (IsClosed(0)) return; // already at EOF when we started: not a lifetime signal
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Out.Note("stdin watch unavailable: " + e.Message);
            return;
        }
        var t = new Thread(() =>
        {
            while (!Shutdown.Requested)
            {
                if (IsClosed(1000))
                {
                    Shutdown.Request("stdin-closed");
                    return;
                }
            }
        })
        { IsBackground = true, Name = "stdin-watch" };
        t.Start();
    }

    private static bool IsClosed(int timeoutMs)
    {
        var p = new PollFd { Fd = 0, Events = POLLRDHUP, Revents = 0 };
        int r = Poll(ref p, 1, timeoutMs);
        return r > 0 && (p.Revents & Closed) != 0;
    }
}

/// <summary>Monotonic clock helpers on top of Stopwatch timestamps.</summary>
internal static class Clock
{
    public static readonly long Frequency = Stopwatch.Frequency;

    public static long Now => Stopwatch.GetTimestamp();

    public static double Seconds(long ticks) => ticks / (double)Frequency;

    public static long FromMs(double ms) => (long)Math.Round(ms * Frequency / 1000.0);

    public static long FromUs(double us) => (long)Math.Round(us * Frequency / 1_000_000.0);

    /// <summary>
    /// Waits until the Stopwatch reaches <paramref name="deadline"/>: coarse waits on the
    /// cancellation handle, then yields, then spins for the last ~0.2 ms. Returns false if
    /// a shutdown was requested first.
    /// </summary>
    public static bool WaitUntil(long deadline, CancellationToken ct)
    {
        long yieldZone = FromMs(2), spinZone = FromUs(200);
        var handle = ct.WaitHandle;
        while (true)
        {
            if (ct.IsCancellationRequested) return false;
            long rem = deadline - Now;
            if (rem <= 0) return true;
            if (rem > yieldZone)
            {
                int ms = (int)Math.Min(int.MaxValue, (rem - yieldZone) * 1000 / Frequency) + 1;
                if (handle.WaitOne(ms)) return false;
            }
            else if (rem > spinZone) Thread.Sleep(0);
            else Thread.SpinWait(20);
        }
    }
}

internal static class Net
{
    public static IPAddress Resolve(string text, string option)
    {
        if (IPAddress.TryParse(text.Trim('[', ']'), out var ip)) return ip;
        try
        {
            var all = Dns.GetHostAddresses(text);
            if (all.Length > 0) return all[0];
        }
        catch (SocketException) { }
        throw new UsageException($"--{option}: '{text}' is not an IP address or resolvable host name");
    }
}

/// <summary>
/// Gives the calling (ticker) thread a better nice value so that busy sender/reader
/// threads on a small machine do not delay the tick lines. Best effort: needs root or
/// CAP_SYS_NICE, silently does nothing otherwise.
/// </summary>
internal static class TickerPriority
{
    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, uint who, int prio);

    public static void RaiseCurrent()
    {
        try
        {
            _ = SetPriority(0 /* PRIO_PROCESS: a tid selects one thread on Linux */, (uint)GetTid(), -10);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }
}
