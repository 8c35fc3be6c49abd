using System.Runtime.CompilerServices;
using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Filtering;
using AotStreaming.Protocol;

namespace AotStreaming.Dispatch;

/// <summary>
/// One status on one dispatcher, waiting for its <see cref="FilterVerdict"/>: its recipients in slot order (with
/// the filters generation each had when the request started) and, once resolved, the frame each gets (null where the
/// status is filtered out). Owner: the dispatcher that rented it from its <see cref="PendingStatusPool"/>; the filter
/// stage sees only the <see cref="FilterRequest"/> part, and the verdict is applied on the dispatcher's loop.
/// <para>
/// Its tables are sized by the channel's subscribers (thousands on a public timeline), so they are reused: once
/// every slot's frame has been taken, the object goes back to the pool. A slot that is never taken (its connection
/// closed meanwhile and its queue was dropped) keeps the object out of the pool, and the GC has it: nothing can
/// still point at a reused object.
/// </para>
/// </summary>
internal sealed class PendingStatus(IFilterReplyInbox replyTo, PendingStatusPool pool) : FilterRequest(replyTo)
{
    private readonly List<Recipient> _recipients = [];
    private byte[]?[] _frames = [];
    private bool _resolved;
    private int _untaken;

    public bool IsResolved => _resolved;

    public int RecipientCount => _recipients.Count;

    public DispatchedConnection RecipientAt(int index) => _recipients[index].Connection;

    /// <summary>The recipient at <paramref name="index"/>, or null past the last one (prefetch look-ahead).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public DispatchedConnection? RecipientAtOrNull(int index) => index < _recipients.Count ? _recipients[index].Connection : null;

    /// <summary>Takes on a status, its tables sized for <paramref name="expectedRecipients"/>.</summary>
    public void Start(StreamEvent streamEvent, StatusFacts facts, int expectedRecipients)
    {
        Begin(streamEvent, facts, expectedRecipients);
        _recipients.EnsureCapacity(expectedRecipients);
    }

    /// <summary>Adds a recipient (its subscription's transport and stream array) before the request starts; returns its slot.</summary>
    public int Add(DispatchedConnection connection, Transport transport, byte[] streamArray)
    {
        AddViewer(connection.AccountId, connection.Filters);
        _recipients.Add(new Recipient(connection, connection.AccountId, connection.FiltersGeneration, transport, streamArray));
        _untaken++;
        return _recipients.Count - 1;
    }

    /// <summary>
    /// The slot's frame (null: filtered out), taken once, after <see cref="Resolve"/>. Taking the last one hands
    /// the object back to its pool, which reuses it once the dispatcher is done with the current command.
    /// </summary>
    public byte[]? TakeFrame(int index)
    {
        var frame = _frames[index];
        _frames[index] = null;
        if (--_untaken == 0)
        {
            pool.Finished(this);
        }

        return frame;
    }

    /// <summary>
    /// Applies the verdict in one pass: caches loaded keyword filters where no <c>filters_changed</c> came in
    /// between, and picks each recipient's frame (the shared one unless its viewer is excluded or matched).
    /// </summary>
    public void Resolve(FilterVerdict verdict)
    {
        if (_frames.Length < _recipients.Count)
        {
            _frames = new byte[]?[_recipients.Count];
        }

        if (!verdict.Failed)
        {
            for (var i = 0; i < _recipients.Count; i++)
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

                _frames[i] = Facts.HasFiltered
                    ? Frames.For(Event, transport, streamArray, default)
                    : Frames.For(Event, transport, streamArray, verdict.MatchFor(viewer) ?? "[]"u8);
            }
        }

        _resolved = true;
    }

    /// <summary>Back to empty, keeping the tables' capacity (the pool calls it).</summary>
    public void Reset()
    {
        End();
        _recipients.Clear();
        // TakeFrame cleared every slot it handed out, and only a fully taken object is reset.
        _resolved = false;
        _untaken = 0;
    }

    /// <summary>A recipient slot, with what the verdict pass needs copied in while the dispatcher had it at hand.</summary>
    private readonly record struct Recipient(DispatchedConnection Connection, long AccountId, int FiltersGeneration, Transport Transport, byte[] StreamArray);
}
