using AotStreaming.Decoding;
using AotStreaming.Filtering;

namespace AotStreaming.Dispatch;

/// <summary>
/// One dispatcher's spare <see cref="PendingStatus"/> objects. A filtered status on a public timeline had its
/// recipient list, viewer table and frame table allocated anew for every status and dispatcher: about 80 bytes per
/// delivery, promoted past gen 0 while the database answered. Reused, a status allocates only what its verdict
/// holds. Owner: the dispatcher; used on its loop only.
/// </summary>
internal sealed class PendingStatusPool(IFilterReplyInbox replyTo)
{
    // At 10 statuses/s with database answers in tens of milliseconds one or two are in flight; a burst may have more,
    // and those beyond this many are left to the GC.
    internal const int MaxSpare = 8;

    private readonly Stack<PendingStatus> _spare = new();
    private readonly List<PendingStatus> _finished = [];

    public PendingStatus Rent(StreamEvent streamEvent, StatusFacts facts, int expectedRecipients)
    {
        var pending = _spare.TryPop(out var spare) ? spare : new PendingStatus(replyTo, this);
        pending.Start(streamEvent, facts, expectedRecipients);
        return pending;
    }

    /// <summary>Every frame of <paramref name="pending"/> was taken; it is reused after the current command.</summary>
    public void Finished(PendingStatus pending) => _finished.Add(pending);

    /// <summary>
    /// Called by the dispatcher between commands, when no loop over a finished object's slots is running any more.
    /// </summary>
    public void RecycleFinished()
    {
        if (_finished.Count == 0)
        {
            return;
        }

        foreach (var pending in _finished)
        {
            if (_spare.Count < MaxSpare)
            {
                pending.Reset();
                _spare.Push(pending);
            }
        }

        _finished.Clear();
    }
}
