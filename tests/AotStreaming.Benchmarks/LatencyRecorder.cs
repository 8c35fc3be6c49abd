using System.Diagnostics;

namespace AotStreaming.Benchmarks;

/// <summary>
/// Lock-free latency histogram shared by all receive loops. Buckets are 10 µs wide up to 10 ms and 1 ms wide
/// up to 10 s, so p50 on loopback keeps its precision while one recorder stays at ~88 KB whatever the count.
/// </summary>
internal sealed class LatencyRecorder
{
    private const long FineLimitMicros = 10_000;
    private const long FineWidthMicros = 10;
    private const long CoarseLimitMicros = 10_000_000;
    private const long CoarseWidthMicros = 1_000;
    private const int FineBuckets = (int)(FineLimitMicros / FineWidthMicros);
    private const int CoarseBuckets = (int)((CoarseLimitMicros - FineLimitMicros) / CoarseWidthMicros);

    // Last bucket: everything at or above 10 s.
    private readonly long[] _buckets = new long[FineBuckets + CoarseBuckets + 1];
    private long _count;
    private long _maxMicros;

    public long Count => Interlocked.Read(ref _count);

    public double MaxMilliseconds => Interlocked.Read(ref _maxMicros) / 1000.0;

    /// <summary>Records the time from <paramref name="sentTimestamp"/> (a <see cref="Stopwatch"/> timestamp) to now.</summary>
    public void RecordSince(long sentTimestamp, long nowTimestamp)
    {
        var micros = Math.Max(0, (nowTimestamp - sentTimestamp) * 1_000_000 / Stopwatch.Frequency);
        Interlocked.Increment(ref _buckets[BucketOf(micros)]);
        Interlocked.Increment(ref _count);
        var max = Interlocked.Read(ref _maxMicros);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxMicros, micros, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>Starts a new measurement window (between knee steps, when no deliveries are in flight).</summary>
    public void Reset()
    {
        Array.Clear(_buckets);
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _maxMicros, 0);
    }

    /// <summary>Latency at <paramref name="percentile"/> (0-100) in milliseconds: the upper edge of its bucket, capped at the max.</summary>
    public double PercentileMilliseconds(double percentile)
    {
        var count = Count;
        if (count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * count);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= Math.Max(1, rank))
            {
                return Math.Min(UpperEdgeMicros(i), Interlocked.Read(ref _maxMicros)) / 1000.0;
            }
        }

        return MaxMilliseconds;
    }

    private static int BucketOf(long micros) => micros switch
    {
        < FineLimitMicros => (int)(micros / FineWidthMicros),
        < CoarseLimitMicros => FineBuckets + (int)((micros - FineLimitMicros) / CoarseWidthMicros),
        _ => FineBuckets + CoarseBuckets,
    };

    private static long UpperEdgeMicros(int bucket) => bucket switch
    {
        < FineBuckets => (bucket + 1) * FineWidthMicros,
        < FineBuckets + CoarseBuckets => FineLimitMicros + ((bucket - FineBuckets + 1) * CoarseWidthMicros),
        _ => long.MaxValue,
    };
}
