using System.Globalization;

namespace AotStreaming.Support;

/// <summary>Reads one sample out of the Prometheus text of <c>GET /metrics</c>.</summary>
public static class MetricsText
{
    /// <summary><paramref name="series"/> is the name with its labels as written, e.g. <c>connected_clients{type="websocket"}</c>.</summary>
    public static double Value(string text, string series)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        throw new KeyNotFoundException($"metric {series} not found");
    }

    /// <summary>Polls /metrics until <paramref name="condition"/> holds for the series (a state change of another process).</summary>
    public static async Task WaitForAsync(Testing.StreamingServer server, string series, Func<double, bool> condition)
    {
        var deadline = DateTime.UtcNow + Testing.DefaultTimeoutExtensions.Timeout;
        double last;
        do
        {
            last = Value(await server.MetricsAsync(), series);
            if (condition(last))
            {
                return;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"{series} stayed at {last}");
    }
}
