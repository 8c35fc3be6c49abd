namespace AotStreaming.Diagnostics;

/// <summary>
/// Lets an event through at most once per interval however often it happens: a warning that would otherwise be
/// written for every shed message or failed query, or a notice that would otherwise fill a client's outbox. The
/// first event always passes. Safe from any thread: of callers racing in the same interval exactly one passes.
/// </summary>
internal sealed class Throttle(TimeSpan interval)
{
    private const long Never = long.MinValue;

    private readonly long _intervalMilliseconds = (long)interval.TotalMilliseconds;
    private long _lastPassed = Never;

    /// <summary>True when this event may be logged (or sent): nothing passed in the last interval.</summary>
    public bool TryPass() => TryPass(Environment.TickCount64);

    /// <summary><see cref="TryPass()"/> at a given time in milliseconds (any monotonic clock; tests pass their own).</summary>
    public bool TryPass(long nowMilliseconds)
    {
        var last = Interlocked.Read(ref _lastPassed);
        // Never is checked on its own: now - long.MinValue overflows to a negative number.
        if (last != Never && nowMilliseconds - last < _intervalMilliseconds)
        {
            return false;
        }

        return Interlocked.CompareExchange(ref _lastPassed, nowMilliseconds, last) == last;
    }
}
