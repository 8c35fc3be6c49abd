using System.Diagnostics;
using AotStreaming.Testing;
using StackExchange.Redis;

namespace AotStreaming.Nginx;

/// <summary>
/// Publishes statuses as Rails does for a local public status by an account everyone follows: to
/// <c>timeline:public:local</c>, and to each follower's <c>timeline:&lt;id&gt;</c> only while that follower's
/// <c>subscribed:timeline:&lt;id&gt;</c> key exists (FeedManager#push_to_home → PushUpdateWorker, reference §7).
/// </summary>
internal sealed class HomeFeedPublisher(string redisNamespace, long authorId, IReadOnlyList<TestUser> followers)
{
    private readonly List<(long Id, long PublishedAt)> _published = [];
    private readonly Dictionary<long, List<long>> _home = followers.ToDictionary(f => f.AccountId, _ => new List<long>());

    /// <summary>Home deliveries Rails would have skipped because the follower's <c>subscribed:</c> key was gone.</summary>
    public int SkippedHomeDeliveries { get; private set; }

    private long _lastId;

    /// <summary>The id of the last status published completely (0 before the first).</summary>
    public long LastId => Volatile.Read(ref _lastId);

    /// <summary>Every status so far, with the Stopwatch timestamp just before it was published.</summary>
    public IReadOnlyList<(long Id, long PublishedAt)> Published
    {
        get
        {
            lock (_published)
            {
                return [.. _published];
            }
        }
    }

    /// <summary>The ids published so far to <paramref name="accountId"/>'s home timeline.</summary>
    public IReadOnlyList<long> HomeOf(long accountId)
    {
        lock (_home)
        {
            return [.. _home[accountId]];
        }
    }

    /// <summary>Publishes one status every <paramref name="interval"/> until <paramref name="stop"/>.</summary>
    public async Task RunAsync(TimeSpan interval, long firstId, CancellationToken stop)
    {
        var db = TestEnvironment.Redis.GetDatabase();
        var subscriber = TestEnvironment.Redis.GetSubscriber();
        using var timer = new PeriodicTimer(interval);
        var id = firstId;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var message = RailsMessages.Status(id.ToString(), authorId, "author");
                var publishedAt = Stopwatch.GetTimestamp();
                lock (_published)
                {
                    _published.Add((id, publishedAt));
                }

                await subscriber.PublishAsync(Channel("timeline:public:local"), message);
                foreach (var follower in followers)
                {
                    if (await db.KeyExistsAsync(Key($"subscribed:timeline:{follower.AccountId}")))
                    {
                        lock (_home)
                        {
                            _home[follower.AccountId].Add(id);
                        }

                        await subscriber.PublishAsync(Channel($"timeline:{follower.AccountId}"), message);
                    }
                    else
                    {
                        SkippedHomeDeliveries++;
                    }
                }

                Volatile.Write(ref _lastId, id++);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private string Key(string name) => $"{redisNamespace}:{name}";

    private RedisChannel Channel(string name) => RedisChannel.Literal(Key(name));
}
