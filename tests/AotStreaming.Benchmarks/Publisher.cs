using System.Diagnostics;
using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace AotStreaming.Benchmarks;

/// <summary>
/// Publishes statuses in the envelope Rails uses (reference §7.1) at a fixed rate, stamping each with the
/// Stopwatch timestamp it was sent at (<c>sent_at_ticks</c>): publisher and receivers share this process's clock.
/// </summary>
internal sealed class Publisher
{
    private readonly ISubscriber _subscriber;
    private readonly RedisChannel _channel;
    private readonly string _padding;
    private readonly long[] _publishedByAuthor = new long[BenchDatabase.AuthorCount + 1];
    private long _nextId = 1;
    private long _publishedBytes;

    public Publisher(IConnectionMultiplexer redis, string channel, int padBytes)
    {
        _subscriber = redis.GetSubscriber();
        _channel = RedisChannel.Literal(channel);
        _padding = padBytes > 0 ? "<p>" + new string('x', padBytes) + "</p>" : "";
    }

    /// <summary>Statuses published so far.</summary>
    public long Published => _nextId - 1;

    /// <summary>Bytes of all envelopes published so far: roughly what each subscriber is offered.</summary>
    public long PublishedBytes => Interlocked.Read(ref _publishedBytes);

    /// <summary>When set, statuses rotate over authors 1..4 (the filtered scenario); otherwise author 1 only.</summary>
    public bool RotateAuthors { get; init; }

    public long PublishedBy(long authorId) => Interlocked.Read(ref _publishedByAuthor[authorId]);

    /// <summary>How many subscribers Redis reports for the channel: 1 once the server has subscribed.</summary>
    public async Task<long> SubscriberCountAsync(IConnectionMultiplexer redis)
    {
        var result = await redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", (RedisKey)_channel.ToString());
        var parts = (RedisResult[])result!;
        return parts.Length >= 2 ? (long)parts[1] : 0;
    }

    /// <summary>
    /// Publishes <paramref name="count"/> statuses at <paramref name="perSecond"/>. A late tick publishes
    /// immediately (no skipping), so the count is exact and the achieved rate is reported by the caller.
    /// </summary>
    public async Task PublishAsync(int count, double perSecond, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = start + (long)(i * Stopwatch.Frequency / perSecond);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, cancellationToken);
            }

            var id = _nextId++;
            var author = RotateAuthors ? ((id - 1) % BenchDatabase.AuthorCount) + 1 : 1;
            Interlocked.Increment(ref _publishedByAuthor[author]);
            // Fire and forget: the timestamp is taken before the command is queued, so Redis and the
            // server are both inside the measured latency, and a slow reply never delays the next tick.
            var envelope = Envelope(id, author, Stopwatch.GetTimestamp());
            Interlocked.Add(ref _publishedBytes, envelope.Length);
            await _subscriber.PublishAsync(_channel, envelope, CommandFlags.FireAndForget);
        }
    }

    private byte[] Envelope(long id, long author, long sentTimestamp)
    {
        var now = DateTimeOffset.UtcNow;
        var username = BenchDatabase.AuthorUsername(author);
        var json = string.Create(CultureInfo.InvariantCulture,
            $$"""{"event":"update","payload":{"id":"{{id}}","created_at":"{{now:yyyy-MM-ddTHH:mm:ss.fffZ}}","visibility":"public","content":"<p>bench</p>{{_padding}}","account":{"id":"{{author}}","username":"{{username}}","acct":"{{username}}"},"mentions":[],"tags":[],"language":"en","spoiler_text":"","media_attachments":[],"sent_at_ticks":{{sentTimestamp}}},"queued_at":{{now.ToUnixTimeMilliseconds()}}}""");
        return Encoding.UTF8.GetBytes(json);
    }
}
