using System.Globalization;

namespace AotStreaming.Benchmarks;

/// <summary>The four scenarios: each prepares Redis, the database and the server, then drives a <see cref="LoadSession"/>.</summary>
internal static class Scenarios
{
    // The knee steps and their pass mark: the highest rate whose p99 stays within 100 ms with nothing lost (KneeAsync).
    private static readonly double[] s_kneeRates = [2, 5, 8, 10, 20, 50, 100, 200, 400];
    private const double KneeP99LimitMs = 100;
    private const int KneeMinMessages = 100;
    private const double KneeMinSeconds = 5;

    // Soak progress lines every 30 s; the default run's every 10 s.
    private static readonly TimeSpan s_soakProgress = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_defaultProgress = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var serverPath = options.ServerPath ?? DefaultServerPath();
        Console.WriteLine($"server {serverPath}; {Environment.ProcessorCount} cores; scenario {options.Scenario.ToString().ToLowerInvariant()}");

        await using var redis = await RedisServer.StartAsync(options.RedisServerPath);
        var database = PostgresTarget.From(options.PgConnectionString, options.DatabaseName);
        await BenchDatabase.CreateAsync(options.PgConnectionString, database);
        await BenchDatabase.SeedAccountsAsync(database, options.Clients);
        Console.WriteLine($"redis on port {redis.Port}; database '{database.Database}' on {database.Host}:{database.Port} seeded with {options.Clients} accounts");

        var environment = new Setup(options, serverPath, redis, database);
        return options.Scenario switch
        {
            Scenario.Knee => await KneeAsync(environment),
            Scenario.Filtered => await FilteredAsync(environment),
            Scenario.Shared or Scenario.Public or Scenario.Compare => await ComparisonScenarios.RunAsync(environment),
            Scenario.Soak => await SteadyAsync(environment, "soak",
                (int)Math.Ceiling(options.Rate * options.SoakMinutes * 60), s_soakProgress),
            _ => await SteadyAsync(environment, "default", options.Messages, s_defaultProgress),
        };
    }

    private static async Task<int> SteadyAsync(Setup env, string scenario, int messages, TimeSpan progress)
    {
        await using var server = await env.StartServerAsync();
        await using var session = env.CreateSession(server, env.Options.Stream, roles: null, rotateAuthors: false);
        await session.ConnectAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"publishing {messages} statuses at {env.Options.Rate}/s to {env.Options.RedisChannel}"));
        var result = await session.RunWindowAsync(scenario, messages, env.Options.Rate, progress);
        await session.CheckStalledAsync(result);
        Emit(env.Options, scenario, result);
        await ServerMetrics.PrintAsync(server.Port);
        return result.ServerExited ? 1 : 0;
    }

    private static async Task<int> KneeAsync(Setup env)
    {
        await using var server = await env.StartServerAsync();
        await using var session = env.CreateSession(server, env.Options.Stream, roles: null, rotateAuthors: false);
        await session.ConnectAsync();

        // Steps go on until two in a row fail: one step over the mark can be noise on a shared machine, and at the
        // lowest rates every status meets cold caches, so a low step may fail where the next passes. Every step is
        // printed; the knee is the highest step that passed, and any failed step below it is named.
        double? knee = null;
        var failedBelow = new List<double>();
        var pending = new List<double>();
        var failuresInARow = 0;
        foreach (var rate in s_kneeRates)
        {
            session.Recorder.Reset();
            var messages = (int)Math.Max(KneeMinMessages, rate * KneeMinSeconds);
            var result = await session.RunWindowAsync(string.Create(CultureInfo.InvariantCulture, $"knee {rate}/s"), messages, rate, progressEvery: null);
            var passed = result.P99Ms <= KneeP99LimitMs && result.Missing == 0 && !result.ServerExited;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rate {rate,4}/s: {messages} msgs, delivered {result.Delivered}/{result.Expected}, {result.DeliveriesPerSecond:0} deliveries/s, p50 {result.P50Ms:0.0} p99 {result.P99Ms:0.0} max {result.MaxMs:0.0} ms, server CPU {result.ServerCpuSeconds:0.0}s tool CPU {result.ToolCpuSeconds:0.0}s, RSS {result.EndRssBytes / 1048576.0:0} MB -> {(passed ? "ok" : "over")}"));
            if (env.Options.Json)
            {
                Report.PrintJson(result, "knee");
            }

            if (result.ServerExited)
            {
                break;
            }

            if (passed)
            {
                failedBelow.AddRange(pending);
                pending.Clear();
                knee = rate;
                failuresInARow = 0;
            }
            else
            {
                pending.Add(rate);
                if (++failuresInARow == 2)
                {
                    break;
                }
            }

            // Let queues empty before the next step so steps do not overlap.
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var below = failedBelow.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"; over the mark below it at {string.Join(", ", failedBelow)}/s");
        Console.WriteLine(knee is { } k
            ? string.Create(CultureInfo.InvariantCulture, $"knee: highest rate with p99 <= {KneeP99LimitMs} ms and nothing lost = {k}/s ({k * env.Options.Clients:0} deliveries/s offered){(k == s_kneeRates[^1] ? " (every step passed)" : "")}{below}")
            : $"knee: no step up to the second failure in a row kept p99 <= {KneeP99LimitMs} ms with nothing lost");
        return 0;
    }

    private static async Task<int> FilteredAsync(Setup env)
    {
        var (baseline, filtered, exact) = await RunPublicAsync(env, "filtered");
        Emit(env.Options, "filtered", baseline);
        Emit(env.Options, "filtered", filtered);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"comparison: p99 {baseline.P99Ms:0.00} -> {filtered.P99Ms:0.00} ms, server CPU {baseline.ServerCpuSeconds:0.00} -> {filtered.ServerCpuSeconds:0.00} s, peak RSS {baseline.PeakRssBytes / 1048576.0:0.0} -> {filtered.PeakRssBytes / 1048576.0:0.0} MB"));
        Console.WriteLine(exact ? "filtering: every client got exactly the statuses its blocks, mutes and filters allow" : "filtering: MISMATCH between delivered and expected (see above)");
        return exact ? 0 : 1;
    }

    /// <summary>
    /// The public timeline twice, each on a fresh server: without relationships, then with them. Returns both
    /// windows and whether every client got exactly what its relationships allow.
    /// </summary>
    public static async Task<(PhaseResult Baseline, PhaseResult Filtered, bool Exact)> RunPublicAsync(Setup env, string labelPrefix)
    {
        // Upstream filters public and hashtag streams (reference §6.3): every status costs the server a
        // blocks/mutes query per recipient, with or without rows to find. The baseline run has no rows;
        // the second adds them and checks each client gets exactly what its relationships allow.
        const string stream = "public";
        var messages = env.Options.Messages;

        PhaseResult baseline;
        await using (var server = await env.StartServerAsync())
        await using (var session = env.CreateSession(server, stream, roles: null, rotateAuthors: true))
        {
            await session.ConnectAsync();
            baseline = await session.RunWindowAsync($"{labelPrefix}: no blocks, mutes or filters", messages, env.Options.Rate, s_defaultProgress);
            await session.CheckStalledAsync(baseline);
        }

        var roles = Enumerable.Range(0, env.Options.Clients).Select(RoleOf).ToArray();
        await BenchDatabase.SeedRelationshipsAsync(env.Database, roles);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded {roles.Count(r => r == ClientRole.BlocksAuthor)} blocks, {roles.Count(r => r == ClientRole.MutesAuthor)} mutes, {roles.Count(r => r == ClientRole.KeywordFilter)} keyword filters"));

        PhaseResult filtered;
        await using (var server = await env.StartServerAsync())
        await using (var session = env.CreateSession(server, stream, roles, rotateAuthors: true))
        {
            await session.ConnectAsync();
            filtered = await session.RunWindowAsync($"{labelPrefix}: 5% block, 5% mute, 10% keyword filter", messages, env.Options.Rate, s_defaultProgress);
            await session.CheckStalledAsync(filtered);
        }

        var exact = filtered.Missing == 0 && filtered.Extra == 0 && filtered.FilterMatches == filtered.FilterMatchesExpected;
        return (baseline, filtered, exact);
    }

    /// <summary>5% block author 1, 5% mute author 2, 10% have a keyword filter matching every status.</summary>
    private static ClientRole RoleOf(int client) => (client % 20) switch
    {
        0 => ClientRole.BlocksAuthor,
        1 => ClientRole.MutesAuthor,
        2 or 12 => ClientRole.KeywordFilter,
        _ => ClientRole.Plain,
    };

    public static void Emit(BenchOptions options, string scenario, PhaseResult result)
    {
        Report.Print(result);
        if (options.Json)
        {
            Report.PrintJson(result, scenario);
        }
    }

    private static string DefaultServerPath() => Path.Combine(RepositoryRoot(), "out", "linux-x64", "aot-streaming");

    /// <summary>The repository this tool was built from (the folder holding aot-streaming.sln), or the current folder.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "aot-streaming.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }

    internal sealed record Setup(BenchOptions Options, string ServerPath, RedisServer Redis, PostgresTarget Database)
    {
        public Task<ServerProcess> StartServerAsync() =>
            ServerProcess.StartAsync(ServerPath, Database, Redis.Port, Options.ServerEnvironment);

        public LoadSession CreateSession(ServerProcess server, string stream, IReadOnlyList<ClientRole>? roles, bool rotateAuthors)
        {
            var publisher = new Publisher(Redis.Connection, "timeline:" + stream, Options.PadBytes) { RotateAuthors = rotateAuthors };
            return new LoadSession(Options, server, publisher, stream, roles) { RedisConnection = Redis.Connection };
        }
    }
}
