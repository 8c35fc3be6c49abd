using System.Threading.Channels;

namespace AotStreaming.Ingress;

/// <summary>
/// An in-memory <see cref="IEventSource"/>: events are written by the test, and every SUBSCRIBE/UNSUBSCRIBE decision
/// is recorded per channel in the order the calls arrive (thread-safe, as the real subscriber connection is).
/// </summary>
internal sealed class FakeEventSource : IEventSource
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<string>> _redisCommands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _presence = new(StringComparer.Ordinal);
    private readonly Channel<RawEvent> _events = Channel.CreateUnbounded<RawEvent>();

    public ChannelReader<RawEvent> Events => _events.Reader;

    public ChannelWriter<RawEvent> Writer => _events.Writer;

    public void Publish(string channel, string message) =>
        Assert.True(_events.Writer.TryWrite(new RawEvent(channel, System.Text.Encoding.UTF8.GetBytes(message), 0)));

    public void Subscribe(string channel) => Record(channel, "SUBSCRIBE");

    public void Unsubscribe(string channel) => Record(channel, "UNSUBSCRIBE");

    public void AcquirePresence(string channel)
    {
        lock (_lock)
        {
            _presence[channel] = _presence.GetValueOrDefault(channel) + 1;
        }
    }

    public void ReleasePresence(string channel)
    {
        lock (_lock)
        {
            _presence[channel] = _presence.GetValueOrDefault(channel) - 1;
        }
    }

    public IReadOnlyList<string> RedisCommands(string channel)
    {
        lock (_lock)
        {
            return _redisCommands.TryGetValue(channel, out var list) ? [.. list] : [];
        }
    }

    public int Presence(string channel)
    {
        lock (_lock)
        {
            return _presence.GetValueOrDefault(channel);
        }
    }

    private void Record(string channel, string command)
    {
        // The real connection takes a lock and writes to a queue here; yielding gives other threads the same
        // chance to run between the index's decision and this call being recorded.
        Thread.Yield();
        lock (_lock)
        {
            if (!_redisCommands.TryGetValue(channel, out var list))
            {
                _redisCommands[channel] = list = [];
            }

            list.Add(command);
        }
    }
}
