using System.Globalization;

namespace AotStreaming.Benchmarks;

/// <summary>
/// The closing table of a comparison run, in Markdown: one row per target and window, then ours as ratios to each
/// reference (below 1 means ours costs less) and the public timeline as ratios to ours on the shared stream.
/// </summary>
internal sealed class ComparisonTable(int clients, double rate, LoadTool tool)
{
    private const double MiB = 1024 * 1024;
    private readonly List<(string Name, PhaseResult Result)> _shared = [];
    private readonly List<(string Name, PhaseResult Result)> _public = [];
    private PhaseResult? _sharedAgain;

    public bool AnyServerExited => Rows().Any(r => r.Result.ServerExited);

    public void AddShared(string name, PhaseResult result) => _shared.Add((name, result));

    public void AddPublic(string name, PhaseResult result) => _public.Add((name, result));

    /// <summary>Ours on the shared stream once more, after the public windows (compare): their ratios use both.</summary>
    public void AddSharedAgain(PhaseResult result) => _sharedAgain = result;

    public void Print()
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"=== comparison: {clients} WebSocket clients, {rate:0.#} statuses/s, load tool {tool.ToString().ToLowerInvariant()}, {Environment.ProcessorCount} cores ==="));
        Console.WriteLine("| target | delivered | server CPU µs/delivery | p50 / p99 ms | RSS idle / connected / peak MB | RSS per connection KB | tool CPU s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, r) in Rows())
        {
            Console.WriteLine(string.Create(c,
                $"| {name} | {r.Delivered}/{r.Expected} | {CpuPerDelivery(r):0.00} | {r.P50Ms:0} / {r.P99Ms:0} | {r.IdleRssBytes / MiB:0} / {r.ConnectedRssBytes / MiB:0} / {r.PeakRssBytes / MiB:0} | {RssPerConnection(r):0.0} | {r.ToolCpuSeconds:0.0} |"));
        }

        var ours = _shared.FirstOrDefault(s => s.Name == "ours").Result;
        if (ours is not null)
        {
            foreach (var (name, reference) in _shared.Where(s => s.Name != "ours"))
            {
                Console.WriteLine(string.Create(c,
                    $"ours / {name}: CPU per delivery {Ratio(CpuPerDelivery(ours), CpuPerDelivery(reference))}, p50 {Ratio(ours.P50Ms, reference.P50Ms)}, p99 {Ratio(ours.P99Ms, reference.P99Ms)}, RSS per connection {Ratio(RssPerConnection(ours), RssPerConnection(reference))}"));
            }

            // With a second window of ours shared the public windows are compared with the mean of the two.
            var again = _sharedAgain;
            var sharedCpu = again is null ? CpuPerDelivery(ours) : (CpuPerDelivery(ours) + CpuPerDelivery(again)) / 2;
            var sharedP99 = again is null ? ours.P99Ms : (ours.P99Ms + again.P99Ms) / 2;
            var basis = again is null ? "ours shared" : "ours shared (mean of its windows before and after)";
            foreach (var (name, result) in _public)
            {
                Console.WriteLine(string.Create(c,
                    $"{name} / {basis}: CPU per delivery {Ratio(CpuPerDelivery(result), sharedCpu)}, p99 {Ratio(result.P99Ms, sharedP99)}"));
            }
        }

        if (Rows().Any(s => s.Result.Missing > 0 || s.Result.OutOfOrder > 0))
        {
            Console.WriteLine("WARNING: some target lost or reordered statuses (see its window above).");
        }
    }

    /// <summary>Every window in the order it ran.</summary>
    private IEnumerable<(string Name, PhaseResult Result)> Rows()
    {
        var rows = _shared.Select(s => ("shared, " + s.Name, s.Result)).Concat(_public);
        return _sharedAgain is null ? rows : rows.Append(("shared, ours, again after public", _sharedAgain));
    }

    /// <summary>Server CPU time in the window over deliveries, in microseconds.</summary>
    public static double CpuPerDelivery(PhaseResult r) => r.Delivered > 0 ? r.ServerCpuSeconds * 1e6 / r.Delivered : double.NaN;

    /// <summary>RSS growth from before the first client to after the last connected, over connected clients, in KB.</summary>
    public static double RssPerConnection(PhaseResult r)
    {
        var connected = r.WebSocketClients + r.SseClients - r.ConnectFailures;
        return connected > 0 ? (r.ConnectedRssBytes - r.IdleRssBytes) / 1024.0 / connected : double.NaN;
    }

    private static string Ratio(double ours, double reference) =>
        reference > 0 && !double.IsNaN(ours) ? (ours / reference).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "n/a";
}
