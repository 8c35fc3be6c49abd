namespace AotStreaming.Testing;

public sealed class EventuallyTests
{
    private static readonly TimeSpan s_short = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task UntilAsync_ConditionMetOnThirdObservation_ReturnsThatObservation()
    {
        var observed = 0;

        var value = await Eventually.UntilAsync(() => Task.FromResult(++observed), v => v >= 3, TimeSpan.FromSeconds(10), "three observations", interval: TimeSpan.Zero);

        Assert.Equal(3, value);
        Assert.Equal(3, observed);
    }

    [Fact]
    public async Task UntilAsync_NeverMet_TimeoutNamesWhatWasAwaitedAndTheLastValue()
    {
        var observed = 0;

        var ex = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.UntilAsync(() => Task.FromResult(++observed), v => v < 0, s_short, "a negative count", v => $"count {v}"));

        Assert.Contains("for a negative count", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"last observed: count {observed}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"({observed} observations)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UntilAsync_BoolConditionNeverTrue_TimeoutSaysItWasFalse()
    {
        var ex = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.UntilAsync(() => Task.FromResult(false), s_short, "the flag"));

        Assert.Contains("for the flag; last observed: false", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UntilAsync_RetriedException_CountsAsNotMetAndIsReported()
    {
        var observed = 0;

        var value = await Eventually.UntilAsync(
            () => ++observed < 3 ? throw new IOException("not listening yet") : Task.FromResult(observed),
            v => v == 3,
            TimeSpan.FromSeconds(10),
            "a listener",
            interval: TimeSpan.Zero,
            retryOn: ex => ex is IOException);
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.UntilAsync(
            () => Task.FromException<bool>(new IOException("refused")), s_short, "a listener", retryOn: ex => ex is IOException));

        Assert.Equal(3, value);
        Assert.Contains("last observed: IOException: refused", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UntilAsync_OtherException_EndsTheWaitAtOnce()
    {
        var observed = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => Eventually.UntilAsync(
            () => { observed++; return Task.FromException<bool>(new InvalidOperationException("nginx exited")); },
            TimeSpan.FromSeconds(10),
            "a listener",
            retryOn: ex => ex is IOException));

        Assert.Equal(1, observed);
    }

    [Fact]
    public async Task UntilAsync_ObservationHangs_TimesOutNamingIt()
    {
        var never = new TaskCompletionSource<int>();

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.UntilAsync(() => never.Task, v => v > 0, s_short, "an answer"));

        Assert.Contains("for an answer; the last observation never completed", ex.Message, StringComparison.Ordinal);
    }
}
