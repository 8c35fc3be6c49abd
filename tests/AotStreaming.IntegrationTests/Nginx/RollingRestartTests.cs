using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AotStreaming.Nginx;

/// <summary>
/// README "Scale out, rolling restart": two instances on one Redis behind the checked-in nginx config; 200 clients
/// (WebSocket and SSE, ten users) stream while 10 statuses/s are published, and the instances are restarted one at
/// a time (SIGTERM, start again). Prints the figures; bench/rolling-restart.sh runs just this test.
/// </summary>
public sealed class RollingRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int UserCount = 10;
    private const int ClientCount = 200;
    private static readonly TimeSpan s_publishInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _namespace = "t" + Guid.NewGuid().ToString("N")[..10];
    private readonly StreamingServer?[] _instances = new StreamingServer?[2];
    private readonly Dictionary<string, string>[] _environments = new Dictionary<string, string>[2];
    private MastodonDatabase _database = null!;
    private NginxProxy _nginx = null!;

    public async Task InitializeAsync()
    {
        _database = await MastodonDatabase.CreateAsync();
        for (var i = 0; i < 2; i++)
        {
            _environments[i] = new Dictionary<string, string> { ["PORT"] = FreePort().ToString(CultureInfo.InvariantCulture), ["REDIS_NAMESPACE"] = _namespace };
            _instances[i] = await StreamingServer.StartAsync(_database, environment: _environments[i]);
        }

        _nginx = await NginxProxy.StartAsync(_environments.Select(e => $"127.0.0.1:{e["PORT"]}"), NginxProxy.ScaleOutServerParameters);
    }

    public async Task DisposeAsync()
    {
        await _nginx.DisposeAsync();
        foreach (var instance in _instances)
        {
            if (instance is not null)
            {
                await instance.DisposeAsync();
            }
        }

        await _database.DisposeAsync();
    }

    [Fact]
    public async Task RollingRestart_200Clients10StatusesPerSecond_EveryClientReconnectsAndOthersMissNothing()
    {
        try
        {
            await RunRollingRestartAsync();
        }
        catch (TimeoutException timeout)
        {
            var errors = _nginx.ReadErrorLog().Split('\n').Where(l => !l.Contains("[info]", StringComparison.Ordinal) && !l.Contains("no live upstreams", StringComparison.Ordinal)).Take(30);
            throw new TimeoutException(timeout.Message + "\nnginx error.log:\n" + string.Join('\n', errors), timeout);
        }
    }

    private async Task RunRollingRestartAsync()
    {
        var author = await _database.CreateUserAsync(username: "author");
        var users = new List<TestUser>();
        for (var i = 0; i < UserCount; i++)
        {
            users.Add(await _database.CreateUserAsync());
        }

        var kinds = new[] { RollingClientKind.WebSocket, RollingClientKind.SseHome, RollingClientKind.WebSocket, RollingClientKind.SsePublicLocal };
        var clients = Enumerable.Range(0, ClientCount)
            .Select(i => new RollingClient(i, kinds[i % kinds.Length], users[i % UserCount], _nginx.HttpBase, _nginx.WebSocketBase))
            .ToList();
        using var stopClients = new CancellationTokenSource();
        using var stopPublisher = new CancellationTokenSource();
        var ready = clients.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var running = clients.Select((c, i) => c.RunAsync(ready[i], stopClients.Token)).ToList();
        await Task.WhenAll(ready.Select(r => r.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        var publisher = new HomeFeedPublisher(_namespace, author.AccountId, users);
        var publishing = publisher.RunAsync(s_publishInterval, firstId: 1_000, stopPublisher.Token);

        // Accounting starts once every client receives on every one of its streams.
        var measureFrom = await WaitForAllStreamingAsync(clients, publisher);
        var phases = new List<RestartPhase>();
        for (var i = 0; i < 2; i++)
        {
            phases.Add(await RestartAsync(i, clients, publisher));
        }

        var lastId = await WaitForAllStreamingAsync(clients, publisher);
        await stopPublisher.CancelAsync();
        await publishing;
        await WaitForAllAsync(clients, c => StreamsCaughtUp(c, publisher.LastId), "received the last status");
        await stopClients.CancelAsync();
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(30));

        var report = Analyse(clients, publisher, phases, measureFrom, publisher.LastId);
        output.WriteLine(report.Text);
        if (Environment.GetEnvironmentVariable("AOTSTREAMING_REPORT_DIR") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "rolling-restart.txt"), report.Text);
        }

        Assert.All(phases, p => Assert.Equal(0, p.ExitCode));
        Assert.Equal(0, publisher.SkippedHomeDeliveries);
        Assert.Empty(clients.SelectMany(c => c.Problems.Select(p => $"client {c.Index}: {p}")));
        // Each restart lets go exactly the clients on that instance, and no others. Which instance a reconnecting
        // client lands on is nginx's choice (least_conn prefers the restarted, empty instance once it listens
        // again), so the count is read from the instance's own gauge right before its SIGTERM.
        Assert.All(phases, p => Assert.Equal(ClientCount, p.ClientsOnInstance + p.ClientsOnOther));
        Assert.All(phases, p => Assert.Equal(p.ClientsOnInstance, p.Disconnected.Count));
        Assert.InRange(phases[0].Disconnected.Count, 1, ClientCount - 1);
        Assert.InRange(phases[1].Disconnected.Count, 1, ClientCount);
        Assert.All(phases, p => Assert.Equal([], p.MissedByOthers));
        Assert.Equal([], report.UnexplainedMisses);
        Assert.All(clients.SelectMany(c => c.Reconnects.Select(r => (c.Kind, r.How))), r =>
            Assert.Equal(r.Kind == RollingClientKind.WebSocket ? "ws-1001" : "sse-end", r.How));
        Assert.True(lastId > phases[^1].EndId);
    }

    /// <summary>SIGTERM one instance, start it again on its port, and wait until every client streams again.</summary>
    private async Task<RestartPhase> RestartAsync(int index, List<RollingClient> clients, HomeFeedPublisher publisher)
    {
        var clientsOnInstance = await ConnectedClientsAsync(_instances[index]!);
        var clientsOnOther = await ConnectedClientsAsync(_instances[1 - index]!);
        var startId = publisher.LastId;
        var sigtermAt = Stopwatch.GetTimestamp();
        var exitCode = await _instances[index]!.StopAsync(TimeSpan.FromSeconds(20));
        await _instances[index]!.DisposeAsync();
        _instances[index] = null;
        var downFor = Stopwatch.GetElapsedTime(sigtermAt);
        _instances[index] = await StreamingServer.StartAsync(_database, environment: _environments[index]);
        var restartedAfter = Stopwatch.GetElapsedTime(sigtermAt);
        var endId = await WaitForAllStreamingAsync(clients, publisher);
        var endAt = Stopwatch.GetTimestamp();
        var disconnected = clients.Where(c => c.Reconnects.Any(r => r.DisconnectedAt >= sigtermAt && r.DisconnectedAt <= endAt)).ToList();
        return new RestartPhase(index, exitCode, sigtermAt, endAt, startId, endId, downFor, restartedAfter, clientsOnInstance, clientsOnOther, disconnected,
            clients.Except(disconnected).Where(c => MissedIn(c, publisher, startId, endId).Count > 0).Select(c => c.Index).ToList());
    }

    /// <summary>WebSocket and SSE connections the instance serves (every client streams on exactly one).</summary>
    private static async Task<int> ConnectedClientsAsync(StreamingServer instance)
    {
        var metrics = await instance.MetricsAsync();
        return (int)(MetricsText.Value(metrics, "connected_clients{type=\"websocket\"}") + MetricsText.Value(metrics, "connected_clients{type=\"eventsource\"}"));
    }

    /// <summary>Waits until every client has received, on each of its streams, a status published after now; returns that id.</summary>
    private static async Task<long> WaitForAllStreamingAsync(List<RollingClient> clients, HomeFeedPublisher publisher)
    {
        var after = publisher.LastId;
        await WaitForAllAsync(clients, c => StreamsCaughtUp(c, after + 1), "streamed again");
        return after;
    }

    private static bool StreamsCaughtUp(RollingClient client, long id) =>
        (!client.StreamsHome || Last(client.Home) >= id) && (!client.StreamsPublicLocal || Last(client.PublicLocal) >= id);

    private static long Last(List<long> ids)
    {
        lock (ids)
        {
            return ids.Count == 0 ? 0 : ids[^1];
        }
    }

    private static Task WaitForAllAsync(List<RollingClient> clients, Func<RollingClient, bool> condition, string what) =>
        // Polling 200 clients' progress: no single event to await.
        Eventually.UntilAsync(
            () => Task.FromResult(clients.Where(c => !condition(c)).ToList()),
            lagging => lagging.Count == 0,
            TimeSpan.FromSeconds(60),
            $"all {clients.Count} clients to have {what}",
            lagging => $"{lagging.Count} lagging: " + string.Join(", ", lagging.Take(5).Select(c =>
                $"#{c.Index} {c.Kind} connected={c.Connected} attempts={c.ConnectAttempts} last={c.LastId} error={c.LastError} problems={string.Join("; ", c.Problems)}")));

    /// <summary>Ids in (<paramref name="after"/>, <paramref name="upTo"/>] published to the client's streams that it never received.</summary>
    private static List<(long Id, bool Home)> MissedIn(RollingClient client, HomeFeedPublisher publisher, long after, long upTo)
    {
        var missed = new List<(long, bool)>();
        void Check(List<long> received, IEnumerable<long> expected, bool home)
        {
            HashSet<long> got;
            lock (received)
            {
                got = [.. received];
            }

            missed.AddRange(expected.Where(id => id > after && id <= upTo && !got.Contains(id)).Select(id => (id, home)));
        }

        if (client.StreamsHome)
        {
            Check(client.Home, publisher.HomeOf(client.User.AccountId), home: true);
        }

        if (client.StreamsPublicLocal)
        {
            Check(client.PublicLocal, publisher.Published.Select(p => p.Id), home: false);
        }

        return missed;
    }

    /// <summary>The first status a stream received after a reconnect (long.MaxValue if none yet).</summary>
    private static long FirstAfter(List<long> stream, int index)
    {
        lock (stream)
        {
            return index < stream.Count ? stream[index] : long.MaxValue;
        }
    }

    private static RollingReport Analyse(List<RollingClient> clients, HomeFeedPublisher publisher, List<RestartPhase> phases, long from, long to)
    {
        var publishedAt = publisher.Published.ToDictionary(p => p.Id, p => p.PublishedAt);
        var unexplained = new List<string>();
        var missedPerReconnectingClient = new List<double>();
        var streamingAgainMs = new List<double>();
        foreach (var client in clients)
        {
            var missed = MissedIn(client, publisher, from, to);
            // A miss is explained when it falls in a reconnect's gap on that stream: after the last status received
            // on the old connection and before the first one received on the new connection.
            foreach (var (id, home) in missed)
            {
                var stream = home ? client.Home : client.PublicLocal;
                var explained = client.Reconnects.Any(r =>
                {
                    var index = home ? r.HomeIndex : r.PublicLocalIndex;
                    return id > (index == 0 ? 0 : FirstAfter(stream, index - 1)) && id < FirstAfter(stream, index);
                });
                if (!explained)
                {
                    unexplained.Add($"client {client.Index} ({client.Kind}) missed {id}");
                }
            }

            foreach (var r in client.Reconnects)
            {
                var first = Math.Min(
                    client.StreamsHome ? FirstAfter(client.Home, r.HomeIndex) : long.MaxValue,
                    client.StreamsPublicLocal ? FirstAfter(client.PublicLocal, r.PublicLocalIndex) : long.MaxValue);
                if (publishedAt.TryGetValue(first, out var firstAt))
                {
                    streamingAgainMs.Add(Stopwatch.GetElapsedTime(r.DisconnectedAt, firstAt).TotalMilliseconds);
                }
            }

            if (client.Reconnects.Count > 0)
            {
                missedPerReconnectingClient.Add(missed.Count);
            }
        }

        var reconnectMs = clients.SelectMany(c => c.Reconnects).Select(r => r.Duration.TotalMilliseconds).ToList();
        var lastAttemptMs = clients.SelectMany(c => c.Reconnects).Select(r => Stopwatch.GetElapsedTime(r.AttemptStartedAt, r.ReadyAt).TotalMilliseconds).ToList();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"rolling restart: {ClientCount} clients ({clients.Count(c => c.Kind == RollingClientKind.WebSocket)} WebSocket with user + public:local, {clients.Count(c => c.Kind != RollingClientKind.WebSocket)} SSE), {UserCount} users, 2 instances behind nginx (least_conn), {1 / s_publishInterval.TotalSeconds:0} statuses/s to public:local and to every subscribed home timeline");
        foreach (var p in phases)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  restart of instance {p.Instance + 1}: exit {p.ExitCode} after {p.DownFor.TotalMilliseconds:0} ms, listening again {p.RestartedAfter.TotalMilliseconds:0} ms after SIGTERM; {p.ClientsOnInstance} clients on it, {p.Disconnected.Count} were let go and reconnected, {p.ClientsOnOther} on the other instance missed {p.MissedByOthers.Count} statuses");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  reconnects: {reconnectMs.Count}; close → connected again p50 {Percentile(reconnectMs, 0.5):0} ms, p90 {Percentile(reconnectMs, 0.9):0} ms, max {Percentile(reconnectMs, 1):0} ms (the successful connect alone p50 {Percentile(lastAttemptMs, 0.5):0} ms, max {Percentile(lastAttemptMs, 1):0} ms)");
        text.AppendLine(CultureInfo.InvariantCulture, $"  close → first status on the new connection: p50 {Percentile(streamingAgainMs, 0.5):0} ms, p90 {Percentile(streamingAgainMs, 0.9):0} ms, max {Percentile(streamingAgainMs, 1):0} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  statuses missed per reconnecting client (all its streams, both restarts): p50 {Percentile(missedPerReconnectingClient, 0.5):0}, p90 {Percentile(missedPerReconnectingClient, 0.9):0}, max {Percentile(missedPerReconnectingClient, 1):0}; clients with no miss {missedPerReconnectingClient.Count(m => m == 0)}/{missedPerReconnectingClient.Count}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  connect attempts {clients.Sum(c => c.ConnectAttempts)} for {ClientCount} clients; home deliveries skipped for a missing subscribed: key {publisher.SkippedHomeDeliveries}; misses outside a reconnect {unexplained.Count}");
        return new RollingReport(text.ToString(), unexplained);
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1 < 0 ? 0 : (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record RestartPhase(
        int Instance, int ExitCode, long SigtermAt, long EndAt, long StartId, long EndId, TimeSpan DownFor, TimeSpan RestartedAfter,
        int ClientsOnInstance, int ClientsOnOther, List<RollingClient> Disconnected, List<int> MissedByOthers);

    private sealed record RollingReport(string Text, List<string> UnexplainedMisses);
}
