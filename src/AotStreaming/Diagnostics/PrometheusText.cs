using System.Globalization;
using System.Text;
using AotStreaming.Protocol;

namespace AotStreaming.Diagnostics;

/// <summary>
/// Prometheus text format 0.0.4, written by hand: the format is small and this keeps the binary free of a metrics
/// library's reflection. Pure formatting; what is exported is decided by <c>Endpoints/PrometheusEndpoint</c>.
/// </summary>
internal static class PrometheusText
{
    public static string ReasonLabel(DisconnectReason reason) => reason switch
    {
        DisconnectReason.ClientClosed => "client",
        DisconnectReason.Slow => "slow",
        DisconnectReason.WriteTimeout => "write_timeout",
        DisconnectReason.Kill => "kill",
        DisconnectReason.Shutdown => "shutdown",
        DisconnectReason.Limit => "limit",
        DisconnectReason.ProtocolError => "protocol_error",
        DisconnectReason.PingTimeout => "ping_timeout",
        _ => "other",
    };

    public static void Header(StringBuilder b, string name, string type, string help) =>
        b.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
         .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    public static void Line(StringBuilder b, string name, string? labels, double value)
    {
        b.Append(name);
        if (labels is not null)
        {
            b.Append('{').Append(labels).Append('}');
        }

        b.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    public static void WriteHistogram(StringBuilder b, string name, string help, Histogram histogram)
    {
        Header(b, name, "histogram", help);
        for (var i = 0; i < histogram.UpperBounds.Count; i++)
        {
            Line(b, name + "_bucket", $"le=\"{histogram.UpperBounds[i].ToString(CultureInfo.InvariantCulture)}\"", histogram.CumulativeCount(i));
        }

        Line(b, name + "_bucket", "le=\"+Inf\"", histogram.CumulativeCount(histogram.UpperBounds.Count));
        Line(b, name + "_sum", null, histogram.Sum);
        Line(b, name + "_count", null, histogram.Count);
    }
}
