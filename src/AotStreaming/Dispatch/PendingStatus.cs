using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Filtering;
using AotStreaming.Protocol;

namespace AotStreaming.Dispatch;

/// <summary>
/// One status on one dispatcher, waiting for its <see cref="FilterVerdict"/>: its recipients in slot order (with
/// the filters generation each had when the request started) and, once resolved, the frame each gets (null where the
/// status is filtered out). Owner: the dispatcher that created it; the filter stage sees only the
/// <see cref="FilterRequest"/> part, and the verdict is applied on the dispatcher's loop.
/// </summary>
internal sealed class PendingStatus(StreamEvent streamEvent, StatusFacts facts, IFilterReplyInbox replyTo, int expectedRecipients = 0)
    : FilterRequest(streamEvent, facts, replyTo, expectedRecipients)
{
    private readonly List<Recipient> _recipients = new(expectedRecipients);
    private byte[]?[]? _frames;

    public bool IsResolved => _frames is not null;

    public int RecipientCount => _recipients.Count;

    public DispatchedConnection RecipientAt(int index) => _recipients[index].Connection;

    /// <summary>Adds a recipient (its subscription's transport and stream array) before the request starts; returns its slot.</summary>
    public int Add(DispatchedConnection connection, Transport transport, byte[] streamArray)
    {
        AddViewer(connection.AccountId, connection.Filters);
        _recipients.Add(new Recipient(connection, connection.AccountId, connection.FiltersGeneration, transport, streamArray));
        return _recipients.Count - 1;
    }

    public byte[]? FrameAt(int index) => _frames![index];

    /// <summary>
    /// Applies the verdict in one pass: caches loaded keyword filters where no <c>filters_changed</c> came in
    /// between, and picks each recipient's frame (the shared one unless its viewer is excluded or matched).
    /// </summary>
    public void Resolve(FilterVerdict verdict)
    {
        var frames = new byte[]?[_recipients.Count];
        if (!verdict.Failed)
        {
            for (var i = 0; i < frames.Length; i++)
            {
                // Only the slot's own fields and the verdict are read here; the connection object only where filters
                // were loaded for it (its first filtered status), so this pass stays within the slot list.
                var (connection, viewer, generation, transport, streamArray) = _recipients[i];
                if (verdict.TryGetLoaded(viewer, out var loaded) && connection.Filters is null && connection.FiltersGeneration == generation)
                {
                    connection.Filters = loaded;
                }

                if (verdict.IsExcluded(viewer))
                {
                    continue;
                }

                frames[i] = Facts.HasFiltered
                    ? Frames.For(Event, transport, streamArray, default)
                    : Frames.For(Event, transport, streamArray, verdict.MatchFor(viewer) ?? "[]"u8);
            }
        }

        _frames = frames;
    }

    /// <summary>A recipient slot, with what the verdict pass needs copied in while the dispatcher had it at hand.</summary>
    private readonly record struct Recipient(DispatchedConnection Connection, long AccountId, int FiltersGeneration, Transport Transport, byte[] StreamArray);
}
