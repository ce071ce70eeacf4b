// Sender.cs — "send" mode: the load generator. Opens N TCP connections (or N connected
// UDP sockets), prints "ready", waits --delay-start-ms, then drives each socket from
// its own thread with the "seed" pattern (SeedPattern.cs) or a flat-out "flood", and
// prints a per-interval "tick" line (bytes written, failed sends) on a fixed schedule.
using System.Net;
using System.Net.Sockets;

namespace WfTraffic;

internal sealed class Sender
{
    public static readonly string[] ValuedOptions =
        ["proto", "to", "port", "conns", "seconds", "pattern", "scale", "delay-start-ms", "report-interval-ms", "rng-seed", "max-datagram", "connect-timeout-ms"];
    public static readonly string[] FlagOptions = ["no-stdin-watch", "listen"];

    private const int TcpFloodChunk = 64 * 1024;

    /// <summary>One per sender thread; only that thread writes the counters.</summary>
    private sealed class Worker
    {
        public required Socket Socket;
        public required int Index;
        public long Bytes;
        public long Sends;
        public long Failed;
        public volatile bool Ended;
        public Thread? Thread;
    }

    private readonly List<Worker> _workers = [];
    private bool _listen; // --listen: accept the connections (the test's "socket from accept()") instead of making them
    private volatile bool _stop;

    public static int Run(Options o)
    {
        string proto = o.Choice("proto", null, "tcp", "udp");
        IPAddress to = Net.Resolve(o.Require("to"), "to");
        int port = o.Int("port", null, 1, 65535);
        int conns = o.Int("conns", 1, 1, 4096);
        double? seconds = o.Double("seconds", 0.001, 1e7);
        string pattern = o.Choice("pattern", "seed", "seed", "flood");
        double scale = o.Double("scale", 1e-6, 1e9) ?? 1.0;
        int delayMs = o.Int("delay-start-ms", 0, 0, int.MaxValue);
        int intervalMs = o.Int("report-interval-ms", 1000, 10, 3_600_000);
        int connectTimeoutMs = o.Int("connect-timeout-ms", 10_000, 1, int.MaxValue);
        // Default 1472 = 1500 - 20 (IPv4) - 8 (UDP). IPv6 headers are 20 bytes longer, so the
        // same payload would be fragmented on a 1500-byte MTU link: default to 1452 there.
        // Without --max-datagram the default is also lowered to fit the route MTU (see Execute).
        int? maxDatagram = o.Get("max-datagram") != null ? o.Int("max-datagram", null, 64, 65507) : null;
        int rngSeed = o.Get("rng-seed") != null ? o.Int("rng-seed", 0, int.MinValue, int.MaxValue) : Random.Shared.Next();
        Shutdown.Install(!o.Has("no-stdin-watch"));
        if (o.Has("listen") && proto != "tcp") throw new UsageException("--listen is for TCP only");
        return new Sender { _listen = o.Has("listen") }.Execute(proto == "tcp", new IPEndPoint(to, port), conns, seconds, pattern == "seed",
            scale, delayMs, intervalMs, connectTimeoutMs, maxDatagram, rngSeed);
    }

    private int Execute(bool tcp, IPEndPoint to, int conns, double? seconds, bool seed, double scale, int delayMs,
        int intervalMs, int connectTimeoutMs, int? maxDatagramOption, int rngSeed)
    {
        // TCP: shutdown(SHUT_WR) wakes threads blocked in send() and still delivers what is
        // queued in the kernel, followed by a FIN (closing a socket with a blocked sender
        // would abort the connection and lose that data). The sockets are closed in Done().
        using var stopReg = Shutdown.Token.Register(() =>
        {
            _stop = true;
            if (tcp) ShutdownSends(); else CloseAll();
        });

        bool ok = _listen ? Accept(to, conns) : Connect(tcp, to, conns, connectTimeoutMs);
        if (!ok) { CloseAll(); return Shutdown.Requested ? Done(0) : 1; }
        int maxDatagram = maxDatagramOption ?? DefaultMaxDatagram(to.AddressFamily, tcp ? null : _workers[0].Socket);

        Out.Line(new JsonLine("ready").Num("pid", Environment.ProcessId).Num("conns", conns)
            .Str("proto", tcp ? "tcp" : "udp").Str("pattern", seed ? "seed" : "flood")
            .Num("rng_seed", rngSeed).Num("max_datagram", maxDatagram)
            .Arr("local_ports", _workers.Select(w => (long)((IPEndPoint)w.Socket.LocalEndPoint!).Port)));

        if (delayMs > 0 && !Clock.WaitUntil(Clock.Now + Clock.FromMs(delayMs), Shutdown.Token))
            return Done(0);

        long start = Clock.Now;
        long interval = Clock.FromMs(intervalMs);
        long stopAt = seconds is double s ? start + Clock.FromMs(s * 1000.0) : long.MaxValue;
        foreach (var w in _workers)
        {
            var rng = new Random(unchecked(rngSeed + w.Index));
            ThreadStart body = seed
                ? () => SeedLoop(w, tcp, rng, maxDatagram, scale, start, stopAt)
                : () => FloodLoop(w, tcp, maxDatagram, stopAt);
            w.Thread = new Thread(() => RunWorker(w, body)) { IsBackground = true, Name = $"send-{w.Index}" };
        }
        foreach (var w in _workers) w.Thread!.Start();
        TickerPriority.RaiseCurrent(); // this thread prints the ticks (after the workers were created: nice is inherited)

        long maxTicks = seconds is double sec ? Math.Max(1, (long)Math.Ceiling((sec * 1000.0 / intervalMs) - 1e-9)) : long.MaxValue;
        long lastTs = start, lastBytes = 0, lastFailed = 0, lastSends = 0;
        for (long k = 1; k <= maxTicks;)
        {
            long due = start + (k * interval);
            if (stopAt != long.MaxValue) due = Math.Min(due, stopAt); // last tick exactly at --seconds
            if (!Clock.WaitUntil(due, Shutdown.Token)) break;
            long now = Clock.Now;
            var (bytes, sends, failed, alive) = Totals();
            Out.Line(new JsonLine("tick")
                .Num("t", Clock.Seconds(now - start))
                .Num("dt", Clock.Seconds(now - lastTs))
                .Num("bytes", bytes - lastBytes)
                .Num("sends", sends - lastSends)
                .Num("failed", failed - lastFailed)
                .Num("total", bytes)
                .Num("failed_total", failed)
                .Num("alive", alive)
                .Num("k", k));
            lastTs = now;
            lastBytes = bytes;
            lastSends = sends;
            lastFailed = failed;
            if (k >= maxTicks) { Shutdown.Request("seconds"); break; }
            if (alive == 0) { Shutdown.Request("all-connections-closed"); break; }
            k = Math.Min(Math.Max(k + 1, ((now - start) / interval) + 1), maxTicks);
        }

        Shutdown.Request("done");
        long joinDeadline = Clock.Now + Clock.FromMs(2000); // then Done() closes whatever is still blocked
        foreach (var w in _workers) w.Thread?.Join(TimeSpan.FromSeconds(Math.Max(0, Clock.Seconds(joinDeadline - Clock.Now))));
        return Done(Clock.Now - start);
    }

    private int Done(long elapsed)
    {
        _stop = true;
        CloseAll();
        var (bytes, sends, failed, _) = Totals();
        Out.Line(new JsonLine("done")
            .Num("total", bytes)
            .Num("sends", sends)
            .Num("failed", failed)
            .Num("t", Clock.Seconds(elapsed))
            .Str("reason", Shutdown.Requested ? Shutdown.Reason : "done"));
        return 0;
    }

    /// <summary>--listen: listens on the --to address and port, prints "listening", accepts conns connections.</summary>
    private bool Accept(IPEndPoint at, int conns)
    {
        using var listener = new Socket(at.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var reg = Shutdown.Token.Register(listener.Dispose);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(at);
            listener.Listen(conns);
            Out.Line(new JsonLine("listening").Num("pid", Environment.ProcessId).Num("port", ((IPEndPoint)listener.LocalEndPoint!).Port));
            for (int i = 0; i < conns; i++)
            {
                Socket s = listener.Accept();
                lock (_workers) _workers.Add(new Worker { Socket = s, Index = i });
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!Shutdown.Requested) Out.Error($"listen/accept on {at}: {e.Message}");
            return false;
        }
    }

    private bool Connect(bool tcp, IPEndPoint to, int conns, int timeoutMs)
    {
        for (int i = 0; i < conns; i++)
        {
            if (Shutdown.Requested) return false;
            var s = tcp
                ? new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                : new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            lock (_workers) _workers.Add(new Worker { Socket = s, Index = i });
            try
            {
                if (tcp)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(Shutdown.Token);
                    cts.CancelAfter(timeoutMs);
                    s.ConnectAsync(to, cts.Token).AsTask().GetAwaiter().GetResult();
                }
                else
                {
                    s.Connect(to); // connected UDP: plain send(), ICMP errors are reported back
                }
            }
            catch (OperationCanceledException)
            {
                if (!Shutdown.Requested) Out.Error($"connect {i + 1}/{conns} to {to}: timed out after {timeoutMs} ms");
                return false;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (!Shutdown.Requested) Out.Error($"connect {i + 1}/{conns} to {to}: {e.Message}");
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// 1472 (IPv4) / 1452 (IPv6), lowered if the route MTU of the connected UDP socket is
    /// smaller (e.g. a 1400-byte veth), so that "max-size" datagrams are never fragmented.
    /// </summary>
    private static int DefaultMaxDatagram(AddressFamily af, Socket? udp)
    {
        bool v6 = af == AddressFamily.InterNetworkV6;
        int headers = v6 ? 48 : 28;
        int max = 1500 - headers;
        if (udp == null) return max;
        try
        {
            var val = new byte[4];
            // IP_MTU (14) / IPV6_MTU (24): path MTU of a connected socket.
            int n = udp.GetRawSocketOption(v6 ? 41 : 0, v6 ? 24 : 14, val);
            int mtu = n == 4 ? BitConverter.ToInt32(val) : 0;
            if (mtu > headers + 64) max = Math.Min(max, mtu - headers);
        }
        catch (SocketException)
        {
        }
        return max;
    }

    private static void RunWorker(Worker w, ThreadStart body)
    {
        try { body(); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        catch (Exception e) { Out.Note($"sender {w.Index} failed: {e}"); }
        finally { w.Ended = true; }
    }

    /// <summary>Sends <paramref name="len"/> bytes; TCP: all of them (false = connection gone).</summary>
    private static bool SendOne(Worker w, bool tcp, byte[] buf, int len)
    {
        if (!tcp)
        {
            int n = w.Socket.Send(buf, 0, len, SocketFlags.None, out SocketError err);
            if (err == SocketError.Success)
            {
                Interlocked.Add(ref w.Bytes, n);
                Interlocked.Increment(ref w.Sends);
            }
            else
            {
                Interlocked.Increment(ref w.Failed); // EPERM from a filter, ECONNREFUSED, ENOBUFS, ...
            }
            return true;
        }
        int off = 0;
        while (off < len)
        {
            int n = w.Socket.Send(buf, off, len - off, SocketFlags.None, out SocketError err);
            if (n > 0)
            {
                off += n;
                Interlocked.Add(ref w.Bytes, n);
            }
            if (err != SocketError.Success)
            {
                if (err is SocketError.Interrupted or SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable) continue;
                return false; // reset / closed: this connection ends quietly
            }
        }
        Interlocked.Increment(ref w.Sends);
        return true;
    }

    private void FloodLoop(Worker w, bool tcp, int maxDatagram, long stopAt)
    {
        var buf = new byte[tcp ? TcpFloodChunk : maxDatagram];
        Random.Shared.NextBytes(buf);
        int len = buf.Length;
        int n = 0;
        while (!_stop)
        {
            // Reading the clock every 64 sends is plenty at flood rates.
            if ((++n & 63) == 0 && Clock.Now >= stopAt) break;
            if (!SendOne(w, tcp, buf, len)) break;
        }
    }

    private void SeedLoop(Worker w, bool tcp, Random rng, int maxDatagram, double scale, long start, long stopAt)
    {
        var buf = new byte[Math.Max(1472, maxDatagram)];
        rng.NextBytes(buf);
        var pattern = new SeedPattern(rng, tcp ? 1472 : maxDatagram, scale, start);
        long oneMs = Clock.FromMs(1), maxCredit = Clock.FromMs(1), chunk = Clock.FromMs(50);
        long debt = 0; // gap time owed; paid off by sleeping once it exceeds ~1 ms
        while (!_stop)
        {
            long now = Clock.Now;
            if (now >= stopAt) break;
            if (!SendOne(w, tcp, buf, pattern.NextSize())) break;
            debt += pattern.GapAfterSend(now);
            if (debt < oneMs) continue;
            long t0 = Clock.Now;
            long until = Math.Min(t0 + debt, stopAt);
            while (!_stop)
            {
                long rem = until - Clock.Now;
                if (rem <= 0) break;
                // Thread.Sleep overshoots by ~0.1 ms; the overshoot is credited below.
                Thread.Sleep((int)Math.Max(1, Math.Min(rem, chunk) * 1000 / Clock.Frequency));
            }
            debt -= Clock.Now - t0;
            if (debt < -maxCredit) debt = -maxCredit; // don't bank more than ~1 ms of oversleep
        }
    }

    private (long Bytes, long Sends, long Failed, int Alive) Totals()
    {
        long b = 0, s = 0, f = 0;
        int alive = 0;
        lock (_workers)
        {
            foreach (var w in _workers)
            {
                b += Interlocked.Read(ref w.Bytes);
                s += Interlocked.Read(ref w.Sends);
                f += Interlocked.Read(ref w.Failed);
                if (!w.Ended) alive++;
            }
        }
        return (b, s, f, alive);
    }

    private void ShutdownSends()
    {
        Worker[] all;
        lock (_workers) all = [.. _workers];
        foreach (var w in all)
        {
            try { w.Socket.Shutdown(SocketShutdown.Send); } catch (Exception) { }
        }
    }

    private void CloseAll()
    {
        Worker[] all;
        lock (_workers) all = [.. _workers];
        foreach (var w in all)
        {
            try { w.Socket.Dispose(); } catch (Exception) { }
        }
    }
}
