using System.Globalization;
using System.Text.Json;

namespace AotStreaming.Benchmarks;

/// <summary>Human-readable summary, and one JSON line per window for machines (<c>--json</c>).</summary>
internal static class Report
{
    private const double MiB = 1024 * 1024;

    public static void Print(PhaseResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var healthy = r.WebSocketClients + r.SseClients - r.StalledClients - r.ConnectFailures;
        Console.WriteLine();
        Console.WriteLine($"== {r.Label} ==");
        Console.WriteLine(string.Create(c, $"clients        {r.WebSocketClients} WebSocket + {r.SseClients} SSE on '{r.Stream}' ({healthy} reading, {r.StalledClients} stalled, {r.ConnectFailures} failed to connect; connect {r.ConnectSeconds:0.0}s)"));
        Console.WriteLine(string.Create(c, $"published      {r.Published} in {r.PublishSeconds:0.00}s (target {r.TargetRate:0.#}/s, achieved {r.Published / Math.Max(r.PublishSeconds, 1e-9):0.#}/s)"));
        Console.WriteLine(string.Create(c, $"delivered      {r.Delivered}/{r.Expected} ({Percent(r.Delivered, r.Expected)}) to reading clients, {r.DeliveriesPerSecond:0} deliveries/s; missing {r.Missing}, unexpected {r.Extra}"));
        if (r.FilterMatchesExpected > 0)
        {
            Console.WriteLine(string.Create(c, $"filter matches {r.FilterMatches}/{r.FilterMatchesExpected} statuses arrived with a non-empty 'filtered' array"));
        }

        Console.WriteLine(string.Create(c, $"latency ms     p50 {r.P50Ms:0.00}  p90 {r.P90Ms:0.00}  p99 {r.P99Ms:0.00}  max {r.MaxMs:0.00}"));
        Console.WriteLine(string.Create(c, $"server RSS MB  idle {r.IdleRssBytes / MiB:0.0}  connected {r.ConnectedRssBytes / MiB:0.0}  peak {r.PeakRssBytes / MiB:0.0}  end {r.EndRssBytes / MiB:0.0}"));
        Console.WriteLine(string.Create(c, $"CPU s          server {r.ServerCpuSeconds:0.00} in window ({r.ServerCpuTotalSeconds:0.00} since start), load tool {r.ToolCpuSeconds:0.00}, wall {r.WallSeconds:0.0}"));
        if (r.ServerGc is { } gc && r.Delivered > 0)
        {
            Console.WriteLine(string.Create(c, $"server GC      {gc.AllocatedBytes / r.Delivered:0} bytes allocated per delivery ({gc.AllocatedBytes / MiB:0.0} MB in window), collections gen0 {gc.Gen0} gen1 {gc.Gen1} gen2 {gc.Gen2}"));
        }

        if (r.StalledClients > 0)
        {
            Console.WriteLine($"stalled        {r.StalledClosedByServer}/{r.StalledClients} closed by the server, {r.StalledStillOpen} still open");
            var kernelBytes = KernelSendBufferMaxBytes();
            if (r.StalledStillOpen > 0 && r.OfferedBytesPerClient < kernelBytes)
            {
                Console.WriteLine(string.Create(c,
                    $"               each stalled client was offered only {r.OfferedBytesPerClient / 1024.0:0} KB; the server's socket send buffer alone may absorb up to {kernelBytes / MiB:0.#} MB (tcp_wmem max), so keeping them is not a failure. Offer more, e.g. --pad 2000 --messages 2000."));
            }
        }

        if (r.HealthyDisconnected > 0 || r.OutOfOrder > 0)
        {
            Console.WriteLine($"anomalies      {r.HealthyDisconnected} reading clients disconnected, {r.OutOfOrder} duplicate or out-of-order statuses");
            foreach (var reason in r.DisconnectReasons)
            {
                Console.WriteLine($"               {reason}");
            }
        }

        if (r.ServerExited)
        {
            Console.WriteLine("WARNING: the server exited during the run.");
        }

        if (r.ToolLikelyBottleneck)
        {
            Console.WriteLine($"NOTE: the load tool used at least as much CPU as the server on {Environment.ProcessorCount} cores: it is likely the bottleneck; latency includes its queueing.");
        }
        else if (r.MachineSaturated)
        {
            Console.WriteLine($"NOTE: server and load tool together used ~all {Environment.ProcessorCount} cores; latency includes CPU contention.");
        }
    }

    public static void PrintJson(PhaseResult r, string scenario)
    {
        using var stream = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("scenario", scenario);
            json.WriteString("label", r.Label);
            json.WriteString("stream", r.Stream);
            json.WriteNumber("websocket_clients", r.WebSocketClients);
            json.WriteNumber("sse_clients", r.SseClients);
            json.WriteNumber("connect_failures", r.ConnectFailures);
            json.WriteNumber("connect_seconds", Round(r.ConnectSeconds));
            json.WriteNumber("stalled_clients", r.StalledClients);
            json.WriteNumber("stalled_closed_by_server", r.StalledClosedByServer);
            json.WriteNumber("stalled_still_open", r.StalledStillOpen);
            json.WriteNumber("reading_clients_disconnected", r.HealthyDisconnected);
            json.WriteNumber("published", r.Published);
            json.WriteNumber("offered_bytes_per_client", r.OfferedBytesPerClient);
            json.WriteNumber("target_rate", r.TargetRate);
            json.WriteNumber("publish_seconds", Round(r.PublishSeconds));
            json.WriteNumber("delivered", r.Delivered);
            json.WriteNumber("expected", r.Expected);
            json.WriteNumber("missing", r.Missing);
            json.WriteNumber("unexpected", r.Extra);
            json.WriteNumber("filter_matches", r.FilterMatches);
            json.WriteNumber("filter_matches_expected", r.FilterMatchesExpected);
            json.WriteNumber("out_of_order", r.OutOfOrder);
            json.WriteNumber("deliveries_per_second", Round(r.DeliveriesPerSecond));
            json.WriteNumber("latency_p50_ms", Round(r.P50Ms));
            json.WriteNumber("latency_p90_ms", Round(r.P90Ms));
            json.WriteNumber("latency_p99_ms", Round(r.P99Ms));
            json.WriteNumber("latency_max_ms", Round(r.MaxMs));
            json.WriteNumber("server_rss_idle_mb", Round(r.IdleRssBytes / MiB));
            json.WriteNumber("server_rss_connected_mb", Round(r.ConnectedRssBytes / MiB));
            json.WriteNumber("server_rss_peak_mb", Round(r.PeakRssBytes / MiB));
            json.WriteNumber("server_cpu_seconds", Round(r.ServerCpuSeconds));
            if (r.ServerGc is { } gc)
            {
                json.WriteNumber("server_allocated_bytes", gc.AllocatedBytes);
                json.WriteNumber("server_gen0_collections", gc.Gen0);
                json.WriteNumber("server_gen2_collections", gc.Gen2);
            }

            json.WriteNumber("tool_cpu_seconds", Round(r.ToolCpuSeconds));
            json.WriteNumber("wall_seconds", Round(r.WallSeconds));
            json.WriteBoolean("tool_likely_bottleneck", r.ToolLikelyBottleneck);
            json.WriteBoolean("server_exited", r.ServerExited);
            json.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
    }

    /// <summary>Third field of /proc/sys/net/ipv4/tcp_wmem: how far Linux autotunes a socket's send buffer.</summary>
    private static long KernelSendBufferMaxBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/sys/net/ipv4/tcp_wmem").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(fields[2], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return 4 * 1024 * 1024;
        }
    }

    private static double Round(double value) => Math.Round(value, 3);

    private static string Percent(long part, long whole) =>
        whole == 0 ? "n/a" : (100.0 * part / whole).ToString("0.00", CultureInfo.InvariantCulture) + "%";
}
