using AotStreaming.Ingress;

namespace AotStreaming.Routing;

public sealed class SubscriptionIndexTests
{
    [Fact]
    public void Acquire_FirstAndSecondListener_SubscribesOnceAndCountsPerDispatcher()
    {
        var redis = new FakeEventSource();
        var index = new SubscriptionIndex(redis, dispatcherCount: 3);

        index.Acquire("timeline:public", dispatcher: 0, presence: false);
        index.Acquire("timeline:public", dispatcher: 2, presence: false);
        index.Acquire("timeline:public", dispatcher: 2, presence: false);

        Assert.Equal(["SUBSCRIBE"], redis.RedisCommands("timeline:public"));
        Assert.Equal([1, 0, 2], Assert.IsType<int[]>(index.InterestedDispatchers("timeline:public")));
        Assert.Equal(1, index.ChannelCount);
    }

    [Fact]
    public void Release_LastListener_UnsubscribesAndForgetsTheChannel()
    {
        var redis = new FakeEventSource();
        var index = new SubscriptionIndex(redis, dispatcherCount: 2);
        index.Acquire("timeline:1", dispatcher: 0, presence: false);
        index.Acquire("timeline:1", dispatcher: 1, presence: false);

        index.Release("timeline:1", dispatcher: 0, presence: false);
        var afterFirst = redis.RedisCommands("timeline:1");
        index.Release("timeline:1", dispatcher: 1, presence: false);

        Assert.Equal(["SUBSCRIBE"], afterFirst);
        Assert.Equal(["SUBSCRIBE", "UNSUBSCRIBE"], redis.RedisCommands("timeline:1"));
        Assert.Null(index.InterestedDispatchers("timeline:1"));
        Assert.Equal(0, index.ChannelCount);
    }

    [Fact]
    public void Release_UnknownChannel_DoesNothing()
    {
        var redis = new FakeEventSource();
        var index = new SubscriptionIndex(redis, dispatcherCount: 1);

        index.Release("timeline:nobody", dispatcher: 0, presence: true);

        Assert.Empty(redis.RedisCommands("timeline:nobody"));
        Assert.Equal(0, redis.Presence("timeline:nobody"));
    }

    [Fact]
    public void AcquireAndRelease_WithPresence_HoldPresenceOnlyForPresenceListeners()
    {
        var redis = new FakeEventSource();
        var index = new SubscriptionIndex(redis, dispatcherCount: 1);

        index.Acquire("timeline:1", 0, presence: true);
        index.Acquire("timeline:1", 0, presence: true);
        index.Acquire("timeline:1", 0, presence: false);
        var held = redis.Presence("timeline:1");
        index.Release("timeline:1", 0, presence: true);

        Assert.Equal(2, held);
        Assert.Equal(1, redis.Presence("timeline:1"));
    }

    [Fact]
    public void Acquire_AfterLastListenerLeft_SubscribesAgain()
    {
        var redis = new FakeEventSource();
        var index = new SubscriptionIndex(redis, dispatcherCount: 1);

        index.Acquire("timeline:1", 0, presence: false);
        index.Release("timeline:1", 0, presence: false);
        index.Acquire("timeline:1", 0, presence: false);

        Assert.Equal(["SUBSCRIBE", "UNSUBSCRIBE", "SUBSCRIBE"], redis.RedisCommands("timeline:1"));
        Assert.Equal([1], Assert.IsType<int[]>(index.InterestedDispatchers("timeline:1")));
    }

    [Fact]
    public async Task AcquireRelease_ManyThreadsOnFewChannels_CountsMatchAndRedisDecisionsAlternate()
    {
        const int threads = 8;
        const int dispatchers = 4;
        const int iterations = 5_000;
        string[] channels = ["timeline:public", "timeline:hashtag:a", "timeline:1", "timeline:list:2"];
        var redis = new FakeEventSource();
        var index = new SubscriptionIndex(redis, dispatchers);
        var start = new Barrier(threads);
        var held = new List<(string Channel, int Dispatcher, bool Presence)>[threads];
        int Decisions() => channels.Sum(c => redis.RedisCommands(c).Count);

        // Rounds until the counts have crossed zero often enough: how often they do depends on how the threads
        // interleave, and one .ci/run (tests of two projects sharing 2 cores) got 38 in one round.
        for (var round = 0; round < 20 && Decisions() <= 40; round++)
        {
            await RunRoundAsync(round);
        }

        Task RunRoundAsync(int round) => Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                var random = new Random((round * threads) + t);
                var mine = held[t] ??= [];
                start.SignalAndWait();
                for (var i = 0; i < iterations; i++)
                {
                    // Mostly a subscriber arriving or leaving the same few channels, so the count keeps crossing zero.
                    if (mine.Count == 0 || (mine.Count < 2 && random.Next(3) == 0))
                    {
                        var item = (channels[random.Next(channels.Length)], random.Next(dispatchers), random.Next(2) == 0);
                        index.Acquire(item.Item1, item.Item2, item.Item3);
                        mine.Add(item);
                    }
                    else
                    {
                        var at = random.Next(mine.Count);
                        var item = mine[at];
                        mine.RemoveAt(at);
                        index.Release(item.Channel, item.Dispatcher, item.Presence);
                    }
                }
            },
            TaskCreationOptions.LongRunning))).WaitAsync(TimeSpan.FromMinutes(2));

        var all = held.SelectMany(h => h).ToList();
        foreach (var channel in channels)
        {
            var expected = new int[dispatchers];
            foreach (var item in all.Where(h => h.Channel == channel))
            {
                expected[item.Dispatcher]++;
            }

            var commands = redis.RedisCommands(channel);
            Assert.NotEmpty(commands);
            for (var i = 0; i < commands.Count; i++)
            {
                var want = i % 2 == 0 ? "SUBSCRIBE" : "UNSUBSCRIBE";
                Assert.True(commands[i] == want, $"{channel}: decision {i} of {commands.Count} was {commands[i]}, expected {want} (redis would end up {(commands[^1] == "SUBSCRIBE" ? "subscribed" : "unsubscribed")})");
            }

            var listening = expected.Sum() > 0;
            Assert.Equal(listening ? "SUBSCRIBE" : "UNSUBSCRIBE", commands[^1]);
            if (listening)
            {
                Assert.Equal(expected, index.InterestedDispatchers(channel));
            }
            else
            {
                Assert.Null(index.InterestedDispatchers(channel));
            }

            Assert.Equal(all.Count(h => h.Channel == channel && h.Presence), redis.Presence(channel));
        }

        Assert.Equal(channels.Count(c => all.Any(h => h.Channel == c)), index.ChannelCount);
        var decisions = Decisions();
        Assert.True(decisions > 40, $"only {decisions} SUBSCRIBE/UNSUBSCRIBE decisions: the workload did not cross zero often enough to test the race");
    }
}
