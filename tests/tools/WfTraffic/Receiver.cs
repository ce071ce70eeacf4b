// Receiver.cs — "recv" mode: the meter. Binds a TCP listener (one reader thread per
// accepted connection) or one UDP socket, counts received bytes and reads/datagrams,
// and once the first byte has arrived prints a "tick" line per interval on a fixed,
// drift-free Stopwatch schedule (tick k due at firstByte + k * interval).
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WfTraffic;

internal sealed class Receiver
{
    public static readonly string[] ValuedOptions = ["proto", "bind", "port", "seconds", "report-interval-ms", "connect", "conns"];
    public static readonly string[] FlagOptions = ["no-stdin-watch"];

    // --connect IP (TCP): make --conns connections to IP:--port instead of listening
    private IPEndPoint? _connectTo;
    private int _conns = 1;

    private const int BufferSize = 64 * 1024;

    /// <summary>One per reader thread; only that thread writes it.</summary>
    private sealed class Counter
    {
        public long Bytes;
        public long Packets;
    }

    private readonly object _gate = new();
    private readonly List<Counter> _counters = [];
    private readonly List<Socket> _sockets = [];
    private readonly ManualResetEventSlim _firstByte = new(false);
    private long _firstTimestamp;
    private int _connections;
    private bool _closed;

    public static int Run(Options o)
    {
        string proto = o.Choice("proto", null, "tcp", "udp");
        IPAddress bind = Net.Resolve(o.Get("bind") ?? "0.0.0.0", "bind");
        int port = o.Int("port", null, 0, 65535);
        double? seconds = o.Double("seconds", 0.001, 1e7);
        int intervalMs = o.Int("report-interval-ms", 1000, 10, 3_600_000);
        Shutdown.Install(!o.Has("no-stdin-watch"));
        var r = new Receiver();
        if (o.Get("connect") is string c)
        {
            if (proto != "tcp") throw new UsageException("--connect is for TCP only");
            r._connectTo = new IPEndPoint(Net.Resolve(c, "connect"), port);
            r._conns = o.Int("conns", 1, 1, 4096);
        }
        return r.Execute(proto == "tcp", bind, port, seconds, intervalMs);
    }

    private int Execute(bool tcp, IPAddress bind, int port, double? seconds, int intervalMs)
    {
        Socket sock;
        try
        {
            if (_connectTo is not null) return ExecuteConnected(seconds, intervalMs);
            sock = tcp
                ? new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                : new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (bind.Equals(IPAddress.IPv6Any)) sock.DualMode = true;
            if (tcp) sock.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            else EnlargeReceiveBuffer(sock);
            sock.Bind(new IPEndPoint(bind, port));
            if (tcp) sock.Listen(512);
        }
        catch (SocketException e)
        {
            Out.Error($"cannot bind {(tcp ? "tcp" : "udp")} [{bind}]:{port}: {e.Message} ({e.SocketErrorCode})");
            return 1;
        }
        Track(sock);
        int boundPort = ((IPEndPoint)sock.LocalEndPoint!).Port;
        // TCP: closing the listener and connections unblocks their threads. The UDP socket
        // stays open until the done line is written, so its kernel drop counter is readable.
        using var stopReg = tcp ? Shutdown.Token.Register(CloseAll) : default;

        Out.Line(new JsonLine("ready").Num("pid", Environment.ProcessId).Num("port", boundPort)
            .Str("proto", tcp ? "tcp" : "udp"));

        string? drops = null;
        if (tcp) StartThread(() => AcceptLoop(sock), "accept");
        else
        {
            drops = SocketInode(sock);
            StartThread(() => ReadLoop(sock, AddCounter(), ownsSocket: false), "udp-recv");
        }

        return TickAndFinish(drops, seconds, intervalMs);
    }

    /// <summary>Prints a tick per interval from the first byte on, then the done line.</summary>
    private int TickAndFinish(string? drops, double? seconds, int intervalMs)
    {
        TickerPriority.RaiseCurrent(); // this thread prints the ticks (it creates no threads after this)
        // Nothing is printed until the first byte arrives.
        WaitHandle.WaitAny([_firstByte.WaitHandle, Shutdown.Token.WaitHandle]);
        long start = Volatile.Read(ref _firstTimestamp);
        long interval = Clock.FromMs(intervalMs);
        long maxTicks = seconds is double s ? Math.Max(1, (long)Math.Ceiling((s * 1000.0 / intervalMs) - 1e-9)) : long.MaxValue;
        long lastTs = start, lastBytes = 0, lastPackets = 0;

        if (!Shutdown.Requested)
        {
            for (long k = 1; k <= maxTicks;)
            {
                if (!Clock.WaitUntil(start + (k * interval), Shutdown.Token)) break;
                long now = Clock.Now;
                var (bytes, packets) = Totals();
                var line = new JsonLine("tick")
                    .Num("t", Clock.Seconds(now - start))
                    .Num("dt", Clock.Seconds(now - lastTs))
                    .Num("bytes", bytes - lastBytes)
                    .Num("packets", packets - lastPackets)
                    .Num("total", bytes)
                    .Num("k", k);
                if (drops != null) line.Num("drops", KernelDrops(drops));
                Out.Line(line);
                lastTs = now;
                lastBytes = bytes;
                lastPackets = packets;
                if (k >= maxTicks) { Shutdown.Request("seconds"); break; }
                // Stay on the schedule; if we were stalled past whole intervals, skip them
                // (the next line's dt shows the longer interval).
                k = Math.Max(k + 1, ((now - start) / interval) + 1);
                k = Math.Min(k, maxTicks);
            }
        }

        Shutdown.Request("done");
        long end = Clock.Now;
        var (total, totalPackets) = Totals();
        var done = new JsonLine("done")
            .Num("total", total)
            .Num("packets", totalPackets)
            .Num("t", start == 0 ? 0 : Clock.Seconds(end - start))
            .Num("conns", Volatile.Read(ref _connections))
            .Str("reason", Shutdown.Reason);
        if (drops != null) done.Num("drops", KernelDrops(drops));
        CloseAll();
        Out.Line(done);
        return 0;
    }

    /// <summary>--connect: makes the connections (the sender accepted them), then meters as usual.</summary>
    private int ExecuteConnected(double? seconds, int intervalMs)
    {
        using var stopReg = Shutdown.Token.Register(CloseAll);
        var socks = new List<Socket>();
        try
        {
            for (int i = 0; i < _conns; i++)
            {
                var c = new Socket(_connectTo!.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                c.Connect(_connectTo);
                socks.Add(c);
            }
        }
        catch (SocketException e)
        {
            Out.Error($"connect to {_connectTo}: {e.Message}");
            return 1;
        }
        Out.Line(new JsonLine("ready").Num("pid", Environment.ProcessId).Num("port", _connectTo!.Port).Str("proto", "tcp"));
        foreach (Socket c in socks)
        {
            if (!Track(c)) { c.Dispose(); continue; }
            Interlocked.Increment(ref _connections);
            var counter = AddCounter();
            StartThread(() => ReadLoop(c, counter, ownsSocket: true), "tcp-recv");
        }
        return TickAndFinish(null, seconds, intervalMs);
    }

    private void AcceptLoop(Socket listener)
    {
        while (!Shutdown.Requested)
        {
            Socket c;
            try { c = listener.Accept(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (Shutdown.Requested) return;
                Out.Note("accept failed: " + e.Message);
                Thread.Sleep(10);
                continue;
            }
            if (!Track(c)) { c.Dispose(); return; }
            Interlocked.Increment(ref _connections);
            var counter = AddCounter();
            StartThread(() => ReadLoop(c, counter, ownsSocket: true), "tcp-recv");
        }
    }

    private void ReadLoop(Socket s, Counter c, bool ownsSocket)
    {
        var buf = GC.AllocateUninitializedArray<byte>(BufferSize);
        try
        {
            while (true)
            {
                int n = s.Receive(buf, 0, buf.Length, SocketFlags.None, out SocketError err);
                if (err != SocketError.Success)
                {
                    // UDP: ICMP errors and the like are not fatal; TCP: reset / closed.
                    if (!ownsSocket && !Shutdown.Requested && err is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.MessageSize)
                        continue;
                    break;
                }
                if (n == 0 && ownsSocket) break; // orderly TCP close (a 0-byte UDP datagram is fine)
                if (Volatile.Read(ref _firstTimestamp) == 0 && n > 0) MarkFirstByte();
                Interlocked.Add(ref c.Bytes, n);
                Interlocked.Increment(ref c.Packets);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            if (ownsSocket) s.Dispose();
        }
    }

    private void MarkFirstByte()
    {
        if (Interlocked.CompareExchange(ref _firstTimestamp, Clock.Now, 0) == 0) _firstByte.Set();
    }

    private Counter AddCounter()
    {
        var c = new Counter();
        lock (_gate) _counters.Add(c);
        return c;
    }

    private (long Bytes, long Packets) Totals()
    {
        long b = 0, p = 0;
        lock (_gate)
        {
            foreach (var c in _counters)
            {
                b += Interlocked.Read(ref c.Bytes);
                p += Interlocked.Read(ref c.Packets);
            }
        }
        return (b, p);
    }

    private bool Track(Socket s)
    {
        lock (_gate)
        {
            if (_closed) return false;
            _sockets.RemoveAll(x => x.SafeHandle.IsClosed);
            _sockets.Add(s);
            return true;
        }
    }

    private void CloseAll()
    {
        Socket[] all;
        lock (_gate)
        {
            _closed = true;
            all = [.. _sockets];
            _sockets.Clear();
        }
        foreach (var s in all)
        {
            try { s.Dispose(); } catch (Exception) { }
        }
    }

    private static void StartThread(ThreadStart body, string name) =>
        new Thread(body) { IsBackground = true, Name = name }.Start();

    /// <summary>Ask for a big UDP receive buffer so bursts are not dropped by the meter itself.</summary>
    private static void EnlargeReceiveBuffer(Socket s)
    {
        const int Wanted = 8 * 1024 * 1024;
        try { s.ReceiveBufferSize = Wanted; } catch (SocketException) { }
        try
        {
            // SO_RCVBUFFORCE (33) ignores net.core.rmem_max when we have CAP_NET_ADMIN (root in tests).
            if (s.ReceiveBufferSize < Wanted) s.SetRawSocketOption(1, 33, BitConverter.GetBytes(Wanted));
        }
        catch (SocketException) { }
    }

    /// <summary>Inode of the socket, used to find its "drops" counter in /proc/net/udp{,6}.</summary>
    private static string? SocketInode(Socket s)
    {
        try
        {
            string? target = new FileInfo($"/proc/self/fd/{(int)s.Handle}").LinkTarget; // "socket:[12345]"
            if (target != null && target.StartsWith("socket:[", StringComparison.Ordinal))
                return target[8..^1];
        }
        catch (Exception) { }
        return null;
    }

    /// <summary>Datagrams the kernel dropped on our socket (buffer full etc.), or -1 if unknown.</summary>
    private static long KernelDrops(string inode)
    {
        foreach (var file in new[] { "/proc/net/udp", "/proc/net/udp6" })
        {
            try
            {
                foreach (var line in File.ReadLines(file).Skip(1))
                {
                    var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                    if (f.Length >= 13 && f[9] == inode)
                        return long.TryParse(f[12], NumberStyles.Integer, CultureInfo.InvariantCulture, out long d) ? d : -1;
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return -1;
    }
}
