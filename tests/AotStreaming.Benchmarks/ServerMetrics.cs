using System.Globalization;

namespace AotStreaming.Benchmarks;

/// <summary>
/// Reads the server's own latency histograms from /metrics, so a run shows how much of the end-to-end latency is
/// the server's (Redis receipt → socket write) and how much is the load tool's own queueing.
/// </summary>
internal static class ServerMetrics
{
    public static async Task PrintAsync(int port)
    {
        try
        {
            var text = await FetchAsync(port);
            foreach (var (name, label) in new[]
            {
                ("aot_streaming_enqueue_latency_seconds", "server enqueue"),
                ("aot_streaming_write_latency_seconds", "server write "),
            })
            {
                var buckets = Buckets(text, name);
                if (buckets.Count == 0)
                {
                    continue;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{label}  p50 <= {Quantile(buckets, 0.5) * 1000:0.#} ms  p99 <= {Quantile(buckets, 0.99) * 1000:0.#} ms  (Redis receipt to {(name.Contains("enqueue", StringComparison.Ordinal) ? "last outbox enqueue" : "socket write")}, histogram bucket bounds)"));
            }
        }
        catch (HttpRequestException ex)
        {
            Console.WriteLine($"server metrics unavailable: {ex.Message}");
        }
    }

    /// <summary>
    /// The server's managed heap (<c>process_heap_bytes</c>), or null when /metrics does not answer: beside RSS it
    /// tells whether per-connection memory is the GC's objects or native (Kestrel's pinned blocks, the runtime's).
    /// </summary>
    public static async Task<double?> HeapBytesAsync(int port)
    {
        try
        {
            return Sample((await FetchAsync(port)).Split('\n'), "process_heap_bytes");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>
    /// The server's GC counters (<c>aot_streaming_gc_*</c>), or null when /metrics does not answer or lacks them (the
    /// references): a window's difference is what one delivery allocates and how often it collects.
    /// </summary>
    public static async Task<GcCounters?> GcAsync(int port)
    {
        try
        {
            var lines = (await FetchAsync(port)).Split('\n');
            return Sample(lines, "aot_streaming_gc_allocated_bytes_total") is { } allocated
                && Sample(lines, "aot_streaming_gc_collections_total{generation=\"0\"}") is { } gen0
                && Sample(lines, "aot_streaming_gc_collections_total{generation=\"1\"}") is { } gen1
                && Sample(lines, "aot_streaming_gc_collections_total{generation=\"2\"}") is { } gen2
                ? new GcCounters(allocated, (long)gen0, (long)gen1, (long)gen2)
                : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>The value of <paramref name="series"/> (name and labels as written), or null when it is not exported.</summary>
    private static double? Sample(string[] lines, string series)
    {
        var line = Array.Find(lines, l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static async Task<string> FetchAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
    }

    private static List<(double Le, double Count)> Buckets(string text, string name)
    {
        var result = new List<(double, double)>();
        var prefix = name + "_bucket{le=\"";
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var end = line.IndexOf('"', prefix.Length);
            var le = line[prefix.Length..end];
            var count = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            result.Add((le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), count));
        }

        return result;
    }

    private static double Quantile(List<(double Le, double Count)> buckets, double q)
    {
        var total = buckets[^1].Count;
        foreach (var (le, count) in buckets)
        {
            if (count >= q * total)
            {
                return le;
            }
        }

        return double.PositiveInfinity;
    }
}

/// <summary>Bytes allocated and collections by generation (gen 0 includes the gen 1 and 2 ones).</summary>
internal sealed record GcCounters(double AllocatedBytes, long Gen0, long Gen1, long Gen2)
{
    public static GcCounters operator -(GcCounters after, GcCounters before) =>
        new(after.AllocatedBytes - before.AllocatedBytes, after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2);
}
