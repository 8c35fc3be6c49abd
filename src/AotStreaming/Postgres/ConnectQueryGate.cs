using AotStreaming.Diagnostics;

namespace AotStreaming.Postgres;

/// <summary>
/// Caps the connect-time queries (token lookup, list ownership, feed settings) at part of the pool, so the rest is
/// always free for the filter queries of clients already connected. Without it an auth storm, or token lookups
/// stuck behind a lock on <c>oauth_access_tokens</c>, hold every pooled connection and connected clients lose
/// their filtered statuses when the filter queries time out waiting for one (issue 10 item 7).
/// </summary>
internal sealed class ConnectQueryGate
{
    private readonly SemaphoreSlim _slots;
    private readonly TimeSpan _wait;
    private readonly StreamingMetrics _metrics;

    /// <param name="poolSize">DB_POOL.</param>
    /// <param name="wait">How long a query waits for a slot: the same budget as waiting for a pooled connection.</param>
    public ConnectQueryGate(int poolSize, TimeSpan wait, StreamingMetrics metrics)
    {
        _metrics = metrics;
        Slots = SlotsFor(poolSize);
        _slots = new SemaphoreSlim(Slots, Slots);
        _wait = wait;
    }

    /// <summary>Connect-time queries that may run at once.</summary>
    public int Slots { get; }

    /// <summary>
    /// Half the pool, rounded up: DB_POOL 10 gives 5 to connect-time queries and keeps 5 for filtering. A pool of 1
    /// cannot be split and is shared. Filter queries are not capped: with no storm they may use the whole pool.
    /// </summary>
    public static int SlotsFor(int poolSize) => Math.Max(1, poolSize - (poolSize / 2));

    /// <summary>Waits for a slot; throws <see cref="TimeoutException"/> after the wait budget (the request answers 500).</summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return new Slot(_slots);
        }

        _metrics.ConnectQueriesWaiting(1);
        try
        {
            if (!await _slots.WaitAsync(_wait, cancellationToken))
            {
                throw new TimeoutException($"no database connection for connect-time queries within {_wait.TotalSeconds} s");
            }
        }
        finally
        {
            _metrics.ConnectQueriesWaiting(-1);
        }

        return new Slot(_slots);
    }

    internal readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}
