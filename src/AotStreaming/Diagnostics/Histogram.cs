namespace AotStreaming.Diagnostics;

/// <summary>A Prometheus histogram with fixed upper bounds; observations are lock-free.</summary>
internal sealed class Histogram(double[] upperBounds)
{
    private readonly long[] _buckets = new long[upperBounds.Length + 1];
    private long _count;
    private long _sumMicros;

    public IReadOnlyList<double> UpperBounds => upperBounds;

    public long Count => Interlocked.Read(ref _count);

    public double Sum => Interlocked.Read(ref _sumMicros) / 1_000_000.0;

    public void Observe(double value)
    {
        var i = 0;
        while (i < upperBounds.Length && value > upperBounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _buckets[i]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMicros, (long)(value * 1_000_000));
    }

    /// <summary>Cumulative count of observations &lt;= <see cref="UpperBounds"/>[index] (index == Length: +Inf).</summary>
    public long CumulativeCount(int index)
    {
        long total = 0;
        for (var i = 0; i <= index; i++)
        {
            total += Interlocked.Read(ref _buckets[i]);
        }

        return total;
    }
}
