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
}
