// Program.cs — entry point of WfTraffic, the traffic generator and meter used by the
// end-to-end rate-limiter tests: dispatches to "recv" (Receiver.cs) or "send"
// (Sender.cs) and prints usage. All machine-readable output is JSON lines on stdout.
// Exit codes: 0 ok (including SIGTERM/Ctrl+C/stdin closed), 1 runtime error, 2 usage.
namespace WfTraffic;

internal static class Program
{
    private const string Usage = """
        WfTraffic — traffic generator and meter for rate-limiter end-to-end tests.

        Usage:
          dotnet WfTraffic.dll recv --proto tcp|udp --port N [--bind IP] [--seconds S]
                                    [--report-interval-ms MS] [--no-stdin-watch]
          dotnet WfTraffic.dll send --proto tcp|udp --to IP --port N [--conns N] [--seconds S]
                                    [--pattern seed|flood] [--scale F] [--delay-start-ms MS]
                                    [--report-interval-ms MS] [--rng-seed N] [--max-datagram B]
                                    [--connect-timeout-ms MS] [--no-stdin-watch]
          dotnet WfTraffic.dll --help

        recv  Listens (TCP: any number of connections, one reader thread each, 64 KiB reads;
              UDP: one socket) and meters what arrives.
                --bind IP               local address (default 0.0.0.0; "::" = dual stack)
                --port N                local port; 0 = ephemeral (the real port is in "ready")
                --seconds S             stop after S seconds of ticks (default: run until stopped)
                --report-interval-ms    tick interval (default 1000)
              Lines: {"event":"ready","pid":P,"port":N,"proto":"tcp"}
                     {"event":"tick","t":T,"dt":DT,"bytes":B,"packets":K,"total":TOT,"k":I[,"drops":D]}
                     {"event":"done","total":TOT,"packets":K,"t":T,"conns":C,"reason":"..."[,"drops":D]}
              Ticks start with the first received byte; tick k is due at firstByte + k*interval
              (Stopwatch, no drift); t = seconds since the first byte, dt = real length of the
              interval, bytes/packets = this interval (packets = reads or datagrams).
              UDP "drops" = datagrams the kernel dropped on the meter's socket (-1 = unknown).

        send  Opens --conns TCP connections / connected UDP sockets (default 1), one thread each.
                --to IP --port N        destination (IPv4 or IPv6)
                --pattern seed          (default) random sizes 64..1472 B, random gaps 1 us..10 ms,
                                        pace factor 10/5/2/1/0.5 re-drawn every second, 30 % of
                                        sends start a burst of 50 back-to-back sends
                --pattern flood         64 KiB writes (TCP) / max-size datagrams (UDP) flat out
                --scale F               divide all seed gaps by F (default 1) to raise the load
                --delay-start-ms MS     wait after "ready" before sending (default 0)
                --seconds S             send for S seconds (default: until stopped)
                --rng-seed N            reproducible seed pattern (thread i uses N+i)
                --max-datagram B        largest UDP payload (default 1472 IPv4, 1452 IPv6,
                                        lowered to fit the route MTU when that is smaller)
                --connect-timeout-ms MS TCP connect timeout (default 10000)
              Lines: {"event":"ready","pid":P,"conns":N,...,"local_ports":[...]}
                     {"event":"tick","t":T,"dt":DT,"bytes":B,"sends":S,"failed":F,"total":TOT,
                      "failed_total":FT,"alive":A,"k":I}
                     {"event":"done","total":TOT,"sends":S,"failed":F,"t":T,"reason":"..."}
              bytes = bytes written this interval; failed = failed UDP sends this interval
              (EPERM from a filter, ECONNREFUSED, ...); a reset TCP connection ends its thread.

        Both modes stop gracefully (done line, exit 0) on SIGTERM, SIGINT, SIGHUP, when the
        parent closes stdin (a pipe or socket that was open at start-up; --no-stdin-watch
        disables this) and after --seconds. Errors: {"event":"error","message":"..."}, exit 1.
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        string mode = args[0];
        if (mode is "--help" or "-h" or "help" or "-?" || args.Contains("--help"))
        {
            Console.Out.WriteLine(Usage);
            return 0;
        }
        try
        {
            return mode switch
            {
                "recv" => Receiver.Run(Options.Parse(args, 1, Receiver.ValuedOptions, Receiver.FlagOptions)),
                "send" => Sender.Run(Options.Parse(args, 1, Sender.ValuedOptions, Sender.FlagOptions)),
                _ => throw new UsageException($"unknown mode '{mode}' (expected recv or send)"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("WfTraffic: " + e.Message);
            Console.Error.WriteLine("Run 'dotnet WfTraffic.dll --help' for usage.");
            return 2;
        }
        catch (Exception e)
        {
            Out.Error("unexpected failure: " + e);
            return 1;
        }
    }
}
