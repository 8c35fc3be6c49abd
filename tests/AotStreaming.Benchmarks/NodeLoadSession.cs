using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace AotStreaming.Benchmarks;

/// <summary>
/// The same session as <see cref="LoadSession"/> with bench/reference/node/load-client.js (npm ws) opening the
/// WebSocket clients instead of this tool, so a run can show the ratios do not depend on the load tool. The Node
/// client counts deliveries and records latencies itself; this side publishes, asks it for totals over stdin, and
/// measures the server the same way.
/// </summary>
internal sealed class NodeLoadSession(BenchOptions options, ServerProcess server, Publisher publisher, string stream, string nodeDirectory, IConnectionMultiplexer redis)
    : ILoadSession
{
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan s_answerTimeout = TimeSpan.FromSeconds(30);

    private ChildProcess? _client;
    private long _idleRss;
    private long _connectedRss;
    private double _connectSeconds;
    private int _connected;
    private int _failed;

    public async Task ConnectAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        _idleRss = server.RssBytes;
        var started = Stopwatch.GetTimestamp();
        _client = ChildProcess.Start("node load-client", "node",
        [
            Path.Combine(nodeDirectory, "load-client.js"),
            "--port", server.Port.ToString(CultureInfo.InvariantCulture),
            "--clients", options.Clients.ToString(CultureInfo.InvariantCulture),
            "--stream", stream,
            "--batch", options.ConnectBatch.ToString(CultureInfo.InvariantCulture),
            .. (BenchOptions.IsOneAccountStream(stream) ? ["--one-account"] : Array.Empty<string>()),
        ], withInput: true);
        Console.WriteLine("node load client: " + await _client.WaitForLineAsync("connected ", s_connectTimeout));
        _connectSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var stats = await StatsAsync();
        _connected = stats.Connected;
        _failed = stats.Failed;
        foreach (var failure in stats.Failures)
        {
            Console.WriteLine("  failed: " + failure);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        _connectedRss = server.RssBytes;
        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (await publisher.SubscriberCountAsync(redis) == 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }

        var warmUp = await RunWindowAsync("warm-up", 10, 20, progressEvery: null);
        Console.WriteLine($"warm-up: {warmUp.Delivered}/{warmUp.Expected} delivered");
    }

    public async Task<PhaseResult> RunWindowAsync(string label, int messages, double rate, TimeSpan? progressEvery)
    {
        var client = _client ?? throw new InvalidOperationException("ConnectAsync first");
        await client.AskAsync("reset", "reset", s_answerTimeout);
        var before = await StatsAsync();
        var publishedBefore = publisher.Published;
        var serverCpuBefore = server.CpuSeconds;
        var toolCpuBefore = ProcFs.ReadCpuSeconds(client.Id);
        var started = Stopwatch.GetTimestamp();

        await publisher.PublishAsync(messages, rate, CancellationToken.None);
        var publishSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var published = publisher.Published - publishedBefore;
        var readers = before.Connected - before.Disconnected;
        var expected = published * readers;

        // Drain as LoadSession does: until everything expected arrived (and once more), the timeout, or the server died.
        var deadline = Stopwatch.GetTimestamp() + (long)(options.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        var lastProgress = Stopwatch.GetTimestamp();
        var last = before;
        var settled = false;
        while (true)
        {
            var now = await StatsAsync();
            if (now.Delivered != last.Delivered)
            {
                lastProgress = Stopwatch.GetTimestamp();
            }

            last = now;
            if (Stopwatch.GetTimestamp() > deadline || server.HasExited)
            {
                break;
            }

            if (now.Delivered - before.Delivered >= expected)
            {
                if (settled)
                {
                    break;
                }

                settled = true;
                await Task.Delay(500);
                continue;
            }

            await Task.Delay(100);
        }

        var delivered = last.Delivered - before.Delivered;
        var end = Math.Min(Stopwatch.GetTimestamp(), lastProgress);
        return new PhaseResult
        {
            Label = label,
            Stream = stream,
            WebSocketClients = options.Clients,
            SseClients = 0,
            ConnectFailures = _failed,
            ConnectSeconds = _connectSeconds,
            HealthyDisconnected = last.Disconnected,
            Published = published,
            OfferedBytesPerClient = publisher.PublishedBytes,
            TargetRate = rate,
            PublishSeconds = publishSeconds,
            Delivered = delivered,
            Expected = expected,
            Missing = Math.Max(0, expected - delivered),
            Extra = Math.Max(0, delivered - expected),
            OutOfOrder = last.OutOfOrder - before.OutOfOrder,
            DeliverySeconds = Stopwatch.GetElapsedTime(started, end).TotalSeconds,
            P50Ms = last.P50,
            P90Ms = last.P90,
            P99Ms = last.P99,
            MaxMs = last.Max,
            IdleRssBytes = _idleRss,
            ConnectedRssBytes = _connectedRss,
            PeakRssBytes = server.PeakRssBytes,
            EndRssBytes = server.RssBytes,
            ServerCpuSeconds = server.CpuSeconds - serverCpuBefore,
            ServerCpuTotalSeconds = server.CpuSeconds,
            ToolCpuSeconds = ProcFs.ReadCpuSeconds(client.Id) - toolCpuBefore,
            WallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
            ServerExited = server.HasExited,
        };
    }

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<NodeStats> StatsAsync()
    {
        var line = await _client!.AskAsync("stats", "stats ", s_answerTimeout);
        using var json = JsonDocument.Parse(line["stats ".Length..]);
        var root = json.RootElement;
        return new NodeStats(
            root.GetProperty("connected").GetInt32(),
            root.GetProperty("failed").GetInt32(),
            root.GetProperty("delivered").GetInt64(),
            root.GetProperty("outOfOrder").GetInt64(),
            root.GetProperty("disconnected").GetInt32(),
            root.GetProperty("p50").GetDouble(),
            root.GetProperty("p90").GetDouble(),
            root.GetProperty("p99").GetDouble(),
            root.GetProperty("max").GetDouble(),
            [.. root.GetProperty("failures").EnumerateArray().Select(f => f.GetString() ?? "")]);
    }

    private sealed record NodeStats(int Connected, int Failed, long Delivered, long OutOfOrder, int Disconnected, double P50, double P90, double P99, double Max, string[] Failures);
}
