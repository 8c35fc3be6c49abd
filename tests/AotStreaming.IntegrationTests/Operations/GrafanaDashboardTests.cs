using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace AotStreaming.Operations;

/// <summary>
/// packaging/grafana/aot-streaming-dashboard.json (installed as /usr/share/aot-streaming/grafana-dashboard.json):
/// every metric its PromQL names must be a series a running server's /metrics exports.
/// </summary>
public sealed partial class GrafanaDashboardTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    // PromQL words that look like metric names but are not.
    private static readonly HashSet<string> s_keywords =
    [
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    ];

    [Fact]
    public async Task Dashboard_EveryQueriedMetric_ExportedByServer()
    {
        var expressions = DashboardExpressions();
        var exported = ExportedSeries(await fixture.Server.MetricsAsync());

        var referenced = expressions.SelectMany(MetricNames).ToHashSet();

        Assert.True(expressions.Count >= 20, $"only {expressions.Count} queries found");
        Assert.Empty(referenced.Where(name => !exported.Contains(name)).Order());
        // The panels the README promises, by the series they are built on.
        Assert.Superset(
            new HashSet<string>
            {
                "connected_clients", "messages_sent_total", "aot_streaming_message_audience_ratio_bucket", "aot_streaming_disconnects_total",
                "aot_streaming_ingress_queue_depth", "aot_streaming_dispatcher_queue_depth", "aot_streaming_outbox_frames",
                "aot_streaming_write_latency_seconds_bucket", "aot_streaming_enqueue_latency_seconds_bucket", "pg_pool_total_connections",
                "pg_pool_idle_connections", "pg_pool_waiting_queries",
            },
            referenced);
    }

    [Fact]
    public void MetricNames_PromQlExpression_KeepsOnlyMetrics()
    {
        var names = MetricNames("""histogram_quantile(0.99, sum by (le) (rate(aot_streaming_write_latency_seconds_bucket{instance=~"$instance",le!="+Inf"}[$__rate_interval]))) / on (instance) group_left time() - process_start_time_seconds""");

        Assert.Equal(["aot_streaming_write_latency_seconds_bucket", "process_start_time_seconds"], names);
    }

    private static List<string> DashboardExpressions()
    {
        var path = Path.Combine(RepositoryRoot(), "packaging", "grafana", "aot-streaming-dashboard.json");
        using var dashboard = JsonDocument.Parse(File.ReadAllText(path));
        var expressions = new List<string>();
        void Walk(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        expressions.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        Walk(property.Value);
                    }
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item);
                }
            }
        }

        Walk(dashboard.RootElement);
        return expressions;
    }

    /// <summary>The metric names in a PromQL expression: identifiers left after label matchers, range selectors,
    /// grouping clauses, strings and function calls are taken out.</summary>
    internal static List<string> MetricNames(string expression)
    {
        var text = StringLiteral().Replace(expression, " ");
        text = LabelMatchers().Replace(text, " ");
        text = RangeSelector().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return Identifier().Matches(text)
            .Where(m => !text.AsSpan(m.Index + m.Length).TrimStart().StartsWith("("))
            .Select(m => m.Value)
            .Where(name => !s_keywords.Contains(name.ToLowerInvariant()) && !name.StartsWith('$'))
            .Distinct()
            .ToList();
    }

    /// <summary>Sample names of the Prometheus text (histograms give _bucket, _sum and _count).</summary>
    private static HashSet<string> ExportedSeries(string metrics) =>
        metrics.Split('\n')
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line[..line.IndexOfAny(['{', ' '])])
            .ToHashSet();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "aot-streaming.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("aot-streaming.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeSelector();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\$?[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();
}
