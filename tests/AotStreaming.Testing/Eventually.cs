using System.Diagnostics;

namespace AotStreaming.Testing;

/// <summary>
/// The one polling loop of the tests: observe another process's state (Redis' PUBSUB NUMSUB, <c>/metrics</c>,
/// pg_locks, nginx's access log) until a condition holds. Polling is only for state that has no event to await;
/// what the test itself can await (a frame, a line of output) it awaits instead. On timeout the failure names what
/// was awaited and the last value observed, so a red test says how far the state got.
/// </summary>
public static class Eventually
{
    /// <summary>Between observations: short beside the timeouts, long enough not to load a busy machine.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Observes until <paramref name="condition"/> holds for an observation, and returns that observation. Throws
    /// <see cref="TimeoutException"/> once <paramref name="timeout"/> has passed (an observation that hangs counts
    /// too); exceptions for which <paramref name="retryOn"/> is true (a server not listening yet) count as an
    /// observation that did not meet the condition, any other exception ends the wait at once.
    /// </summary>
    /// <param name="description">What is awaited, for the failure message: "channel timeline:1 to be subscribed".</param>
    /// <param name="describe">How an observation reads in the failure message; <c>ToString()</c> when null.</param>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> observe,
        Func<T, bool> condition,
        TimeSpan timeout,
        string description,
        Func<T, string>? describe = null,
        TimeSpan? interval = null,
        Func<Exception, bool>? retryOn = null)
    {
        var clock = Stopwatch.StartNew();
        var last = "nothing (no observation completed)";
        var observations = 0;
        while (true)
        {
            Task<T>? observation = null;
            try
            {
                observation = observe();
                // At least a moment for the last observation, so a slow one is still read rather than cut off.
                var remaining = timeout - clock.Elapsed;
                var value = await observation.WaitAsync(remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1));
                observations++;
                if (condition(value))
                {
                    return value;
                }

                last = describe is null ? value?.ToString() ?? "null" : describe(value);
            }
            catch (TimeoutException) when (observation is { IsCompleted: false })
            {
                // WaitAsync gave up on a hanging observation; an observation's own TimeoutException is handled below.
                throw new TimeoutException(
                    $"waited {clock.Elapsed.TotalSeconds:0.0} s ({observations} observations) for {description}; the last observation never completed; before it: {last}");
            }
            catch (Exception ex) when (retryOn?.Invoke(ex) == true)
            {
                observations++;
                last = $"{ex.GetType().Name}: {ex.Message}";
            }

            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException(
                    $"waited {clock.Elapsed.TotalSeconds:0.0} s ({observations} observations) for {description}; last observed: {last}");
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>
    /// Evaluates <paramref name="condition"/> until it is true; see the other overload. Prefer that one when there is
    /// a value to show: here the failure can only say that the condition was still false.
    /// </summary>
    public static Task UntilAsync(
        Func<Task<bool>> condition,
        TimeSpan timeout,
        string description,
        TimeSpan? interval = null,
        Func<Exception, bool>? retryOn = null) =>
        UntilAsync(condition, met => met, timeout, description, met => met ? "true" : "false", interval, retryOn);
}
