using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Wirefisher.Native.Loader;

namespace Wirefisher.Engine;

/// <summary>
/// /metrics over HTTP (System.Net.HttpListener) for as long as the pwsh that
/// started it runs: every scrape reads the pinned kernel state afresh
/// (Metrics.Snapshot), so the server holds nothing, several may run, and a
/// restart loses nothing.
/// </summary>
public sealed class MetricsServer : IDisposable
{
    private static readonly ConcurrentDictionary<int, MetricsServer> Running = new();
    private readonly HttpListener _listener = new();
    private readonly ulong _minProcessBytes;
    private Task? _loop;

    public WfMetricsEndpoint Endpoint { get; }

    private MetricsServer(string address, int port, ulong minProcessBytes)
    {
        _minProcessBytes = minProcessBytes;
        string host = address is "*" or "0.0.0.0" or "::" ? "+" : address.Contains(':') ? $"[{address}]" : address;
        _listener.Prefixes.Add($"http://{host}:{port}/");
        Endpoint = new WfMetricsEndpoint { Address = address, Port = port, Url = $"http://{(host == "+" ? "localhost" : host)}:{port}/metrics", Started = DateTime.Now };
    }

    /// <summary>Starts serving on the port (one server per port in this process).</summary>
    public static MetricsServer Start(string address, int port, ulong minProcessBytes)
    {
        if (Running.ContainsKey(port))
            throw new InvalidOperationException($"This session serves metrics on port {port} already. Stop it with Stop-WfMetricsServer -Port {port}, or choose another port.");
        var s = new MetricsServer(address, port, minProcessBytes);
        s._listener.Start(); // HttpListenerException (address in use, ...) goes to the caller
        s._loop = Task.Run(s.Serve);
        Running[port] = s;
        return s;
    }

    public static IReadOnlyList<WfMetricsEndpoint> List() => Running.Values.Select(s => s.Endpoint).OrderBy(e => e.Port).ToList();

    /// <summary>Stops the servers on these ports (all when null); returns what was stopped.</summary>
    public static List<WfMetricsEndpoint> Stop(ICollection<int>? ports)
    {
        var stopped = new List<WfMetricsEndpoint>();
        foreach (int port in Running.Keys.Where(p => ports is null || ports.Contains(p)).ToList())
            if (Running.TryRemove(port, out MetricsServer? s))
            {
                s.Dispose();
                stopped.Add(s.Endpoint);
            }
        return stopped;
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return; // stopped
            }
            catch (HttpListenerException)
            {
                continue;
            }
            Answer(ctx);
        }
    }

    private void Answer(HttpListenerContext ctx)
    {
        try
        {
            if (ctx.Request.Url?.AbsolutePath != "/metrics")
            {
                Send(ctx, 404, "text/plain", "Wirefisher serves /metrics only.\n");
                return;
            }
            Send(ctx, 200, "text/plain; version=0.0.4; charset=utf-8", Metrics.Snapshot(_minProcessBytes));
        }
        catch (Exception e)
        {
            try { Send(ctx, 500, "text/plain", $"Reading Wirefisher's state failed: {e.Message}\n"); } catch (Exception) { }
        }
    }

    private static void Send(HttpListenerContext ctx, int status, string type, string body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type;
        ctx.Response.ContentLength64 = bytes.Length;
        ctx.Response.OutputStream.Write(bytes, 0, bytes.Length);
        ctx.Response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop?.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
    }
}
