using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Dispatch;

namespace AotStreaming.Filtering;

/// <summary>
/// One status on one dispatcher, waiting for the database: its recipients, and (once resolved) the frame each
/// gets, or null where the status is filtered out. Resolved exactly once, then handed back to its dispatcher.
/// </summary>
internal sealed class FilterBatch(StreamEvent streamEvent, StatusFacts facts, Dispatcher owner)
{
    private readonly List<Subscription> _recipients = [];
    private byte[]?[] _frames = [];
    private volatile bool _resolved;

    public StreamEvent Event => streamEvent;

    public StatusFacts Facts => facts;

    public Dispatcher Owner => owner;

    public IReadOnlyList<Subscription> Recipients => _recipients;

    public bool IsResolved => _resolved;

    /// <summary>Adds a recipient (dispatcher thread, before the batch starts); returns its slot.</summary>
    public int Add(Subscription subscription)
    {
        _recipients.Add(subscription);
        return _recipients.Count - 1;
    }

    public byte[]? FrameAt(int index) => _frames[index];

    /// <summary>Sets every recipient's frame (null = filtered out); <paramref name="frames"/> is indexed like <see cref="Recipients"/>.</summary>
    public void Resolve(byte[]?[] frames)
    {
        _frames = frames;
        _resolved = true;
    }
}
