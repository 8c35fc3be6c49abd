using System.Diagnostics;
using AotStreaming.Support;
using AotStreaming.Testing;
using AotStreaming.Testing.Redis;
using Xunit;
using Xunit.Abstractions;

namespace AotStreaming.Reliability;

/// <summary>
/// Issue 10 items 1, 2 and 5: with <c>REDIS_SENTINELS</c>, the subscriber follows the master through a crash and
/// a planned failover, never subscribes on a sentinel, rewrites the <c>subscribed:</c> keys on the new master at
/// once, and shows every silence in <c>aot_streaming_redis_connected</c> and one log line. Real redis-server,
/// replica and three Sentinel processes; an SSE client on the user stream.
/// </summary>
/// <remarks>
/// Not run in parallel with other test classes: the 1 s goal is asserted on a 2-core machine, and the suite's
/// load tests (thousands of sockets) running beside it measure the machine, not the switch.
/// </remarks>
[Collection(Operations.NonParallelCollection.Name)]
public sealed class SentinelFailoverTests(ITestOutputHelper output)
{
    /// <summary>The goal of issue 10: events published to the new master reach clients within 1 s of the promotion.</summary>
    private static readonly TimeSpan s_switchGoal = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task MasterKilled_EventsPublishedToPromotedReplicaArriveWithinOneSecond_Issue10()
    {
        await using var run = await FailoverRun.StartAsync();

        var promotion = SentinelTopology.WaitForPromotionAsync(run.Topology.DataPorts[1], TimeSpan.FromSeconds(20));
        await run.Topology.KillDataNodeAsync(0);
        var promotedAt = await promotion;
        var result = await run.PublishToNewMasterUntilDeliveredAsync(promotedAt);

        result.Report(output, "SIGKILL");
        run.ReportLog(output);
        await run.AssertSwitchedAsync(result);
        Assert.Single(run.Server.Output.Split('\n'), l => l.Contains("Redis subscriber connection lost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PlannedFailover_EventsPublishedToPromotedReplicaArriveWithinOneSecond_Issue10()
    {
        await using var run = await FailoverRun.StartAsync();

        var promotion = SentinelTopology.WaitForPromotionAsync(run.Topology.DataPorts[1], TimeSpan.FromSeconds(20));
        await run.Topology.FailoverAsync();
        var promotedAt = await promotion;
        var result = await run.PublishToNewMasterUntilDeliveredAsync(promotedAt);

        result.Report(output, "SENTINEL FAILOVER");
        run.ReportLog(output);
        await run.AssertSwitchedAsync(result);
        // A planned switch is a normal event: no error line.
        Assert.DoesNotContain(run.Server.Output.Split('\n'), l => l.Contains("[ERR]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MasterDownWithoutReplacement_SubscriberNeverSettlesOnASentinelAndSilenceIsVisible_Issue10()
    {
        await using var topology = await SentinelTopology.StartAsync(withReplica: false);
        await using var database = await MastodonDatabase.CreateAsync();
        await using var server = await StreamingServer.StartAsync(database, environment: topology.ServerEnvironment());
        var user = await database.CreateUserAsync();
        var channel = server.Key($"timeline:{user.AccountId}");
        await using var sse = await TestSseClient.ConnectAsync(server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await WaitForSubscriptionAsync(topology.FirstMasterPort, channel);

        await topology.KillDataNodeAsync(0);
        await server.WaitForOutputAsync("Redis subscriber connection lost").DefaultTimeout();
        // Asserting an absence needs a window: the old code settled on a sentinel within 200 ms of the loss. At least
        // 2 s and at least 5 looks (one .ci/run got fewer than 5 into 2 s on a loaded machine; here a look takes ~15 ms).
        var window = Stopwatch.StartNew();
        var observations = 0;
        while (window.Elapsed < TimeSpan.FromSeconds(2) || observations < 5)
        {
            var metrics = await server.MetricsAsync();
            var subscribedOnSentinels = (await topology.SentinelClientsAsync()).Where(IsForeignSubscriber).ToList();
            Assert.True(MetricsText.Value(metrics, "aot_streaming_redis_connected") == 0, "aot_streaming_redis_connected is 1 while the master is down");
            Assert.True(subscribedOnSentinels.Count == 0, "subscribed on a sentinel:\n" + string.Join('\n', subscribedOnSentinels));
            observations++;
            await Task.Delay(100);
        }

        await topology.RestartDataNodeAsync(0);
        await WaitForSubscriptionAsync(topology.FirstMasterPort, channel);
        await RespConnection.CommandOnceAsync(topology.FirstMasterPort, "PUBLISH", channel, RailsMessages.Delete("77"));

        Assert.Equal(("delete", "77"), await sse.ReadEventAsync());
        Assert.Equal(1L, await RespConnection.CommandOnceAsync(topology.FirstMasterPort, "EXISTS", server.Key($"subscribed:timeline:{user.AccountId}")));
        Assert.Equal(1, MetricsText.Value(await server.MetricsAsync(), "aot_streaming_redis_connected"));
        var lines = server.Output.Split('\n');
        Assert.Single(lines, l => l.Contains("Redis subscriber connection lost", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("Redis subscriber connection restored", StringComparison.Ordinal)
            && l.Contains($"127.0.0.1:{topology.FirstMasterPort}", StringComparison.Ordinal));
    }

    /// <summary>
    /// A client subscribed on a sentinel that is neither the server's switch watch (named <c>aot-streaming-sentinel</c>)
    /// nor StackExchange.Redis' own Sentinel connection of the command multiplexer (unnamed, RESP3, subscribed to
    /// <c>+switch-master</c> and <c>+sentinel</c>). The subscriber speaks RESP2; sentinels' links to each other are
    /// named <c>sentinel-…</c> and never subscribe.
    /// </summary>
    private static bool IsForeignSubscriber(string clientLine)
    {
        var fields = clientLine.Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
        var subscribed = fields.GetValueOrDefault("sub") is { } sub && sub != "0" || fields.GetValueOrDefault("psub") is { } psub && psub != "0";
        var ours = fields.GetValueOrDefault("name") == "aot-streaming-sentinel";
        var multiplexer = fields.GetValueOrDefault("name") is null or "" && fields.GetValueOrDefault("resp") == "3";
        return subscribed && !ours && !multiplexer;
    }

    private static Task WaitForSubscriptionAsync(int port, string channel) =>
        // Polling Redis' own state: there is no event to await for another process's SUBSCRIBE.
        Eventually.UntilAsync(
            async () => await RespConnection.CommandOnceAsync(port, "PUBSUB", "NUMSUB", channel) is object?[] { Length: 2 } reply ? reply[1] as long? : null,
            subscribers => subscribers > 0,
            DefaultTimeoutExtensions.Timeout,
            $"{channel} to be subscribed on 127.0.0.1:{port}",
            subscribers => subscribers is null ? "no NUMSUB reply" : $"{subscribers} subscribers",
            retryOn: ex => ex is IOException or System.Net.Sockets.SocketException);

    /// <summary>A topology, a server on it, one user with an SSE client that already received an event via the first master.</summary>
    private sealed class FailoverRun : IAsyncDisposable
    {
        private FailoverRun(SentinelTopology topology, MastodonDatabase database, StreamingServer server, TestSseClient sse, TestUser user)
        {
            Topology = topology;
            Database = database;
            Server = server;
            Sse = sse;
            User = user;
        }

        public SentinelTopology Topology { get; }

        public MastodonDatabase Database { get; }

        public StreamingServer Server { get; }

        public TestSseClient Sse { get; }

        public TestUser User { get; }

        public string Channel => Server.Key($"timeline:{User.AccountId}");

        public string PresenceKey => Server.Key($"subscribed:timeline:{User.AccountId}");

        public int NewMasterPort => Topology.DataPorts[1];

        public static async Task<FailoverRun> StartAsync()
        {
            var topology = await SentinelTopology.StartAsync();
            MastodonDatabase? database = null;
            StreamingServer? server = null;
            TestSseClient? sse = null;
            try
            {
                database = await MastodonDatabase.CreateAsync();
                server = await StreamingServer.StartAsync(database, environment: topology.ServerEnvironment());
                var user = await database.CreateUserAsync();
                sse = await TestSseClient.ConnectAsync(server, "/api/v1/streaming/user", user.Token);
                var run = new FailoverRun(topology, database, server, sse, user);
                Assert.Equal(":)", await sse.ReadLineAsync());
                await WaitForSubscriptionAsync(topology.FirstMasterPort, run.Channel);
                await RespConnection.CommandOnceAsync(topology.FirstMasterPort, "PUBLISH", run.Channel, RailsMessages.Delete("1"));
                Assert.Equal(("delete", "1"), await sse.ReadEventAsync());
                // Deleted on the master (and so on the replica): only a rewrite on the new master can bring it back.
                await RespConnection.CommandOnceAsync(topology.FirstMasterPort, "DEL", run.PresenceKey);
                await run.WaitForSwitchWatchersAsync();
                return run;
            }
            catch
            {
                // No process of a failed set-up may outlive the test.
                if (sse is not null)
                {
                    await sse.DisposeAsync();
                }

                if (server is not null)
                {
                    await server.DisposeAsync();
                }

                if (database is not null)
                {
                    await database.DisposeAsync();
                }

                await topology.DisposeAsync();
                throw;
            }
        }

        /// <summary>The server must be listening to every sentinel before the failover, or it can only learn of it late.</summary>
        private Task WaitForSwitchWatchersAsync() =>
            // Polling the sentinels' client lists: there is no event for another process's SUBSCRIBE.
            Eventually.UntilAsync(
                Topology.SentinelClientsAsync,
                clients => clients
                    .Where(l => l.Contains(" name=aot-streaming-sentinel ", StringComparison.Ordinal) && !l.Contains(" sub=0 ", StringComparison.Ordinal))
                    .Select(l => l.Split(':')[0])
                    .Distinct()
                    .Count() == Topology.SentinelPorts.Count,
                DefaultTimeoutExtensions.Timeout,
                "the server to subscribe to every sentinel's switch announcements",
                clients => "the sentinels' clients:\n" + string.Join('\n', clients),
                interval: TimeSpan.FromMilliseconds(50));

        /// <summary>
        /// From the promotion on, publishes a numbered <c>delete</c> to the new master every 50 ms (as Rails would keep
        /// publishing) until ten have arrived and one was published 1.5 s or more after the promotion (or 10 s in all), then an end
        /// marker; collects what arrives until the marker does.
        /// </summary>
        public async Task<SwitchMeasurement> PublishToNewMasterUntilDeliveredAsync(long promotedAt)
        {
            const int firstId = 1000;
            const string endMarker = "999";
            var published = new List<long>();
            var received = new System.Collections.Concurrent.ConcurrentQueue<(long Id, long At)>();
            var reading = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var (name, data) = await Sse.ReadEventAsync(TimeSpan.FromSeconds(10));
                        if (name != "delete")
                        {
                            continue;
                        }

                        var id = data.Trim('"');
                        if (id == endMarker)
                        {
                            return;
                        }

                        received.Enqueue((long.Parse(id) - firstId, Stopwatch.GetTimestamp()));
                    }
                }
                catch (OperationCanceledException)
                {
                    // Nothing (more) arrived: the assertions report it with the server's log.
                }
            });
            await using var publisher = await RespConnection.ConnectAsync(NewMasterPort);
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            do
            {
                published.Add(Stopwatch.GetTimestamp());
                await publisher.CommandAsync("PUBLISH", Channel, RailsMessages.Delete((firstId + published.Count - 1).ToString()));
            }
            while (await tick.WaitForNextTickAsync()
                // Measured on the last publish, not the clock: a tick that wakes late must not end the run before
                // anything was published past the 1 s goal.
                && !(received.Count >= 10 && Stopwatch.GetElapsedTime(promotedAt, published[^1]) > TimeSpan.FromSeconds(1.5))
                && Stopwatch.GetElapsedTime(promotedAt) < TimeSpan.FromSeconds(10));

            await publisher.CommandAsync("PUBLISH", Channel, RailsMessages.Delete(endMarker));
            await reading.WaitAsync(TimeSpan.FromSeconds(15));
            return new SwitchMeasurement(promotedAt, [.. published], [.. received]);
        }

        /// <summary>The server's Redis lines (loss, switch, recovery), with their times, next to the measurement.</summary>
        public void ReportLog(ITestOutputHelper output)
        {
            foreach (var line in Server.Output.Split('\n').Where(l => l.Contains("Redis subscriber", StringComparison.Ordinal)
                || l.Contains("Redis Sentinel:", StringComparison.Ordinal)))
            {
                output.WriteLine(line);
            }
        }

        public async Task AssertSwitchedAsync(SwitchMeasurement result)
        {
            Assert.True(result.Received.Length > 0, "nothing published to the new master arrived within 10 s:\n" + Server.Output);
            var first = result.Received[0];
            // Robust to a stalled publisher on a loaded machine: the first event published 1 s or more after the
            // promotion must already arrive (the loss window closed by then), whenever the publisher got to send it.
            var firstAfterGoal = Array.FindIndex(result.Published, at => Stopwatch.GetElapsedTime(result.PromotedAt, at) >= s_switchGoal);
            Assert.True(firstAfterGoal >= 0, "the publisher stopped before the 1 s goal");
            Assert.True(first.Id <= firstAfterGoal,
                $"first event to arrive was published {result.Gap.TotalMilliseconds:F0} ms after the promotion (event {first.Id}; event {firstAfterGoal} was the first published ≥ 1 s after)\n{Server.Output}");
            // No loss once the subscriber is on the new master: every later event arrives, in order.
            Assert.Equal(Enumerable.Range((int)first.Id, result.Received.Length).Select(i => (long)i), result.Received.Select(r => r.Id));
            // The presence key was rewritten on the new master before the subscription that delivered the event.
            Assert.Equal(1L, await RespConnection.CommandOnceAsync(NewMasterPort, "EXISTS", PresenceKey));
            Assert.Equal(1, MetricsText.Value(await Server.MetricsAsync(), "aot_streaming_redis_connected"));
            Assert.Contains(Server.Output.Split('\n'), l => l.Contains("master", StringComparison.OrdinalIgnoreCase)
                && l.Contains($"127.0.0.1:{NewMasterPort}", StringComparison.Ordinal)
                && l.Contains(SentinelTopology.MasterName, StringComparison.Ordinal));
            Assert.Single(Server.Output.Split('\n'), l => l.Contains("Redis subscriber connection restored", StringComparison.Ordinal)
                && l.Contains($"127.0.0.1:{NewMasterPort}", StringComparison.Ordinal));
        }

        public async ValueTask DisposeAsync()
        {
            await Sse.DisposeAsync();
            await Server.DisposeAsync();
            await Database.DisposeAsync();
            await Topology.DisposeAsync();
        }
    }

    /// <summary>Stopwatch timestamps: the promotion, each publish (index = event number), each arrival.</summary>
    private sealed record SwitchMeasurement(long PromotedAt, long[] Published, (long Id, long At)[] Received)
    {
        /// <summary>Promotion → publication of the first event that arrived.</summary>
        public TimeSpan Gap => Stopwatch.GetElapsedTime(PromotedAt, Published[Received[0].Id]);

        public void Report(ITestOutputHelper output, string scenario)
        {
            if (Received.Length == 0)
            {
                output.WriteLine($"{scenario}: nothing arrived; {Published.Length} events published to the new master were lost");
                return;
            }

            output.WriteLine($"{scenario}: first event to arrive was published {Gap.TotalMilliseconds:F0} ms after the promotion and "
                + $"arrived {Stopwatch.GetElapsedTime(PromotedAt, Received[0].At).TotalMilliseconds:F0} ms after it; "
                + $"{Received[0].Id} of the events published every 50 ms from the promotion on were lost");
        }
    }
}
