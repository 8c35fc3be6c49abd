using System.Globalization;

namespace AotStreaming.Support;

/// <summary>Reads one sample out of the Prometheus text of <c>GET /metrics</c>.</summary>
public static class MetricsText
{
    /// <summary><paramref name="series"/> is the name with its labels as written, e.g. <c>connected_clients{type="websocket"}</c>.</summary>
    public static double Value(string text, string series) =>
        TryValue(text, series, out var value) ? value : throw new KeyNotFoundException($"metric {series} not found");

    public static bool TryValue(string text, string series, out double value)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                value = double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>
    /// Polls /metrics until <paramref name="condition"/> holds for the series; a series not exported yet is waited
    /// for too. Polling another process's state: there is no event to await.
    /// </summary>
    public static Task WaitForAsync(Testing.StreamingServer server, string series, Func<double, bool> condition) =>
        Testing.Eventually.UntilAsync(
            async () => TryValue(await server.MetricsAsync(), series, out var value) ? value : (double?)null,
            value => value is { } seen && condition(seen),
            Testing.DefaultTimeoutExtensions.Timeout,
            $"metric {series} to meet the condition",
            value => value?.ToString(CultureInfo.InvariantCulture) ?? "absent");
}
