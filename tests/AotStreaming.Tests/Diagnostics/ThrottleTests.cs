using AotStreaming.Diagnostics;

namespace AotStreaming.Tests.Diagnostics;

public sealed class ThrottleTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(long.MaxValue / 2)]
    [InlineData(-1_000)]
    public void TryPass_FirstEvent_PassesWhateverTheClockReads(long now)
    {
        // Environment.TickCount64 is small after boot; a "last" of long.MinValue must not overflow into a refusal.
        Assert.True(new Throttle(TimeSpan.FromSeconds(10)).TryPass(now));
    }

    [Fact]
    public void TryPass_WithinTheInterval_Refused_ThenPassesOnceItHasElapsed()
    {
        var throttle = new Throttle(TimeSpan.FromSeconds(10));

        Assert.True(throttle.TryPass(1_000));
        Assert.False(throttle.TryPass(1_000));
        Assert.False(throttle.TryPass(10_999));
        Assert.True(throttle.TryPass(11_000));
        Assert.False(throttle.TryPass(20_999));
        Assert.True(throttle.TryPass(21_000));
    }

    [Fact]
    public void TryPass_RefusedEvents_DoNotPushTheNextPassBack()
    {
        var throttle = new Throttle(TimeSpan.FromSeconds(1));

        Assert.True(throttle.TryPass(0));
        for (var now = 100; now < 1_000; now += 100)
        {
            Assert.False(throttle.TryPass(now));
        }

        Assert.True(throttle.TryPass(1_000));
    }

    [Fact]
    public void TryPass_ManyThreadsAtTheSameTime_ExactlyOnePasses()
    {
        var throttle = new Throttle(TimeSpan.FromMinutes(1));
        var passed = 0;
        using var start = new Barrier(8);

        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 1_000; i++)
            {
                if (throttle.TryPass(5_000 + i))
                {
                    Interlocked.Increment(ref passed);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(1, passed);
    }
}
