using System.Diagnostics;
using System.Globalization;

namespace AotStreaming.Benchmarks;

/// <summary>
/// One server run seen from the clients: connect everyone in batches, then any number of publishing windows
/// (one for the default scenario, one per rate for the knee), then the stalled clients' check.
/// </summary>
internal sealed class LoadSession : ILoadSession
{
    // After the last delivery is due, stalled clients get this long to read what the kernel buffered
    // and see whether the server closed them.
    private static readonly TimeSpan s_stallCheckTimeout = TimeSpan.FromSeconds(5);

    private const int WarmUpMessages = 10;
    private const double WarmUpRate = 20;
    private static readonly TimeSpan s_settleTime = TimeSpan.FromMilliseconds(500);

    private readonly BenchOptions _options;
    private readonly ServerProcess _server;
    private readonly Publisher _publisher;
    private readonly ClientConnections _connections;
    private readonly List<BenchClient> _clients = [];
    private readonly List<Task> _receivers = [];
    private readonly CancellationTokenSource _stop = new();
    private long _idleRss;
    private long _connectedRss;
    private double _connectSeconds;

    public LoadSession(BenchOptions options, ServerProcess server, Publisher publisher, string stream, IReadOnlyList<ClientRole>? roles)
    {
        _options = options;
        _server = server;
        _publisher = publisher;
        _connections = new ClientConnections(server.Port);
        Stream = stream;
        var ssePath = "/api/v1/streaming/" + stream.Replace(':', '/');
        for (var i = 0; i < options.Clients; i++)
        {
            var role = roles?[i] ?? ClientRole.Plain;
            // Spread SSE and stalled clients evenly over the index range, so each batch mixes both kinds.
            var isSse = Spread(i, options.SseClients, options.Clients);
            var stalled = Spread(i, options.StallFraction * options.Clients, options.Clients);
            var token = BenchDatabase.TokenFor(BenchOptions.IsOneAccountStream(stream) ? 0 : i);
            _clients.Add(isSse
                ? new SseBenchClient(i, role, stalled, Recorder, _connections, ssePath, token)
                : new WebSocketBenchClient(i, role, stalled, Recorder, _connections, stream, token));
        }
    }

    public string Stream { get; }

    public LatencyRecorder Recorder { get; } = new();

    public IReadOnlyList<BenchClient> Clients => _clients;

    public async Task ConnectAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        _idleRss = _server.RssBytes;

        var started = Stopwatch.GetTimestamp();
        for (var batchStart = 0; batchStart < _clients.Count; batchStart += _options.ConnectBatch)
        {
            var batch = _clients.Skip(batchStart).Take(_options.ConnectBatch).ToArray();
            await Task.WhenAll(batch.Select(c => c.ConnectAsync(_stop.Token)));
            foreach (var client in batch.Where(c => c.Connected && !c.Stalled))
            {
                _receivers.Add(Task.Run(() => client.ReceiveAsync(_stop.Token)));
            }

            if (_server.HasExited)
            {
                throw new InvalidOperationException("server exited while clients connected:" + Environment.NewLine + _server.Tail());
            }
        }

        _connectSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var failures = _clients.Where(c => !c.Connected).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"connected {_clients.Count - failures.Length}/{_clients.Count} clients in {_connectSeconds:0.0}s ({_options.ConnectBatch} per batch)"));
        foreach (var group in failures.GroupBy(c => c.ConnectError).Take(3))
        {
            Console.WriteLine($"  {group.Count()} failed: {group.Key}");
        }

        // Let subscriptions settle (the server may subscribe to Redis lazily), then check it listens.
        await Task.Delay(TimeSpan.FromSeconds(1));
        _connectedRss = _server.RssBytes;
        if (await ServerMetrics.HeapBytesAsync(_server.Port) is { } heap)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"server when connected: RSS {_connectedRss / 1048576.0:0.0} MB, managed heap {heap / 1048576.0:0.0} MB"));
        }
        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (await _publisher.SubscriberCountAsync(RedisConnection!) == 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }

        if (await _publisher.SubscriberCountAsync(RedisConnection!) == 0)
        {
            Console.WriteLine($"WARNING: nobody subscribes to Redis channel timeline:{Stream}; expect no deliveries.");
        }

        // Warm-up: a few statuses at a gentle rate get both processes' receive and send paths jitted and
        // pooled buffers allocated; every window counts deliveries from its own start, so these never count.
        var warmUp = await RunWindowAsync("warm-up", WarmUpMessages, WarmUpRate, progressEvery: null);
        Recorder.Reset();
        Console.WriteLine($"warm-up: {warmUp.Delivered}/{warmUp.Expected} delivered");
    }

    /// <summary>Needed for the PUBSUB NUMSUB check; set by the caller.</summary>
    public StackExchange.Redis.IConnectionMultiplexer? RedisConnection { get; init; }

    /// <summary>Publishes one window and waits for its deliveries (or the drain timeout).</summary>
    public async Task<PhaseResult> RunWindowAsync(string label, int messages, double rate, TimeSpan? progressEvery)
    {
        var healthy = _clients.Where(c => c.Connected && !c.Stalled).ToArray();
        var deliveredBefore = healthy.Select(c => c.Delivered).ToArray();
        var matchesBefore = healthy.Sum(c => (long)c.FilterMatches);
        var outOfOrderBefore = healthy.Sum(c => (long)c.OutOfOrder);
        var publishedBefore = Snapshot();
        var gcBefore = await ServerMetrics.GcAsync(_server.Port);
        var serverCpuBefore = _server.CpuSeconds;
        var toolCpuBefore = ToolCpuSeconds();
        var started = Stopwatch.GetTimestamp();

        using var progress = new CancellationTokenSource();
        var reporter = progressEvery is { } every ? ReportProgressAsync(every, healthy, progress.Token) : Task.CompletedTask;

        await _publisher.PublishAsync(messages, rate, _stop.Token);
        var publishSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var published = Snapshot() - publishedBefore;
        var expectedPerClient = healthy.Select(c => ExpectedFor(c.Role, published)).ToArray();
        var expected = expectedPerClient.Sum();

        // Drain: wait until every healthy client has everything, the drain timeout passes or the server dies.
        var drainDeadline = Stopwatch.GetTimestamp() + (long)(_options.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        var lastProgress = Stopwatch.GetTimestamp();
        var lastDelivered = -1L;
        long delivered;
        var settled = false;
        while (true)
        {
            delivered = DeliveredSince(healthy, deliveredBefore);
            if (delivered != lastDelivered)
            {
                lastDelivered = delivered;
                lastProgress = Stopwatch.GetTimestamp();
            }

            if (Stopwatch.GetTimestamp() > drainDeadline || _server.HasExited)
            {
                break;
            }

            if (delivered >= expected)
            {
                // Everything expected is in; wait once more so deliveries that should not happen
                // (a filtered status leaking through) are counted as extra rather than missed.
                if (settled)
                {
                    break;
                }

                settled = true;
                await Task.Delay(s_settleTime);
                continue;
            }

            await Task.Delay(20);
        }

        long missing = 0, extra = 0;
        for (var i = 0; i < healthy.Length; i++)
        {
            var got = healthy[i].Delivered - deliveredBefore[i];
            missing += Math.Max(0, expectedPerClient[i] - got);
            extra += Math.Max(0, got - expectedPerClient[i]);
        }

        await progress.CancelAsync();
        await reporter;

        var end = Math.Min(Stopwatch.GetTimestamp(), lastProgress);
        var gcAfter = gcBefore is null || _server.HasExited ? null : await ServerMetrics.GcAsync(_server.Port);
        return new PhaseResult
        {
            Label = label,
            Stream = Stream,
            WebSocketClients = _clients.Count(c => c is WebSocketBenchClient),
            SseClients = _clients.Count(c => c is SseBenchClient),
            ConnectFailures = _clients.Count(c => !c.Connected),
            ConnectSeconds = _connectSeconds,
            StalledClients = _clients.Count(c => c.Stalled && c.Connected),
            HealthyDisconnected = healthy.Count(c => c.Disconnected is not null),
            DisconnectReasons = [.. healthy.Where(c => c.Disconnected is not null).GroupBy(c => $"{c.Transport}: {c.Disconnected}")
                .OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()} x {g.Key}")],
            Published = published.Total,
            OfferedBytesPerClient = _publisher.PublishedBytes,
            TargetRate = rate,
            PublishSeconds = publishSeconds,
            Delivered = delivered,
            Expected = expected,
            Missing = missing,
            Extra = extra,
            FilterMatches = healthy.Sum(c => (long)c.FilterMatches) - matchesBefore,
            FilterMatchesExpected = healthy.Where(c => c.Role == ClientRole.KeywordFilter).Sum(c => ExpectedFor(c.Role, published)),
            OutOfOrder = healthy.Sum(c => (long)c.OutOfOrder) - outOfOrderBefore,
            DeliverySeconds = Stopwatch.GetElapsedTime(started, end).TotalSeconds,
            P50Ms = Recorder.PercentileMilliseconds(50),
            P90Ms = Recorder.PercentileMilliseconds(90),
            P99Ms = Recorder.PercentileMilliseconds(99),
            MaxMs = Recorder.MaxMilliseconds,
            IdleRssBytes = _idleRss,
            ConnectedRssBytes = _connectedRss,
            PeakRssBytes = _server.PeakRssBytes,
            EndRssBytes = _server.RssBytes,
            ServerCpuSeconds = _server.CpuSeconds - serverCpuBefore,
            ServerCpuTotalSeconds = _server.CpuSeconds,
            ServerGc = gcAfter is null ? null : gcAfter - gcBefore!,
            ToolCpuSeconds = ToolCpuSeconds() - toolCpuBefore,
            WallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
            ServerExited = _server.HasExited,
        };
    }

    /// <summary>Stalled clients finally read: did the server close them?</summary>
    public async Task CheckStalledAsync(PhaseResult result)
    {
        var stalled = _clients.Where(c => c.Stalled && c.Connected).ToArray();
        if (stalled.Length == 0)
        {
            return;
        }

        await Task.WhenAll(stalled.Select(c => Task.Run(() => c.CheckStalledAsync(s_stallCheckTimeout))));
        result.StalledClosedByServer = stalled.Count(c => c.StallOutcome == StallOutcome.ClosedByServer);
        result.StalledStillOpen = stalled.Count(c => c.StallOutcome == StallOutcome.StillOpen);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var client in _clients)
        {
            client.Abort();
        }

        await Task.WhenAll(_receivers).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _connections.Dispose();
        _stop.Dispose();
    }

    private static long DeliveredSince(BenchClient[] clients, int[] before)
    {
        long total = 0;
        for (var i = 0; i < clients.Length; i++)
        {
            total += clients[i].Delivered - before[i];
        }

        return total;
    }

    private static bool Spread(int index, double selected, int total) =>
        Math.Floor((index + 1) * selected / total) > Math.Floor(index * selected / total);

    private static double ToolCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    private static long ExpectedFor(ClientRole role, PublishedCounts published) => role switch
    {
        ClientRole.BlocksAuthor => published.Total - published.ByBlockedAuthor,
        ClientRole.MutesAuthor => published.Total - published.ByMutedAuthor,
        _ => published.Total,
    };

    private PublishedCounts Snapshot() => new(
        _publisher.Published,
        _publisher.PublishedBy(BenchDatabase.BlockedAuthorId),
        _publisher.PublishedBy(BenchDatabase.MutedAuthorId));

    private async Task ReportProgressAsync(TimeSpan every, BenchClient[] healthy, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  [{Stopwatch.GetElapsedTime(started).TotalSeconds,6:0}s] published {_publisher.Published}, delivered {healthy.Sum(c => (long)c.Delivered)}, " +
                    $"server RSS {_server.RssBytes / 1048576.0:0.0} MB, server CPU {_server.CpuSeconds:0.0}s, disconnected {healthy.Count(c => c.Disconnected is not null)}"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly record struct PublishedCounts(long Total, long ByBlockedAuthor, long ByMutedAuthor)
    {
        public static PublishedCounts operator -(PublishedCounts a, PublishedCounts b) =>
            new(a.Total - b.Total, a.ByBlockedAuthor - b.ByBlockedAuthor, a.ByMutedAuthor - b.ByMutedAuthor);
    }
}
