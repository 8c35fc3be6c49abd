using System.Globalization;

namespace AotStreaming.Benchmarks;

/// <summary>
/// Ours against the in-run references of bench/reference, loaded by the same tool in the same run (issue #13):
/// <c>shared</c> runs every target on one shared stream, <c>public</c> runs ours on the public timeline without and
/// with relationships, <c>compare</c> runs both, then ours on the shared stream once more, and prints every ratio.
/// References speak WebSocket only, so every client is a WebSocket client here.
/// </summary>
internal static class ComparisonScenarios
{
    private static readonly TimeSpan s_progress = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(Scenarios.Setup env)
    {
        var options = env.Options;
        if (options.SseClients > 0)
        {
            Console.WriteLine($"note: the references speak WebSocket only: all {options.Clients} clients use WebSocket (--sse {options.SseClients} ignored)");
            options.SseClients = 0;
        }

        var table = new ComparisonTable(options.Clients, options.Rate, options.LoadTool);
        var status = 0;
        if (options.Scenario is Scenario.Shared or Scenario.Compare)
        {
            await RunSharedAsync(env, table);
        }

        if (options.Scenario is Scenario.Public or Scenario.Compare)
        {
            if (options.LoadTool == LoadTool.Node)
            {
                Console.WriteLine("note: the public timeline runs with the dotnet load tool only (it checks each client's filtered deliveries)");
            }
            else
            {
                var (plain, filtered, exact) = await Scenarios.RunPublicAsync(env, "public");
                Scenarios.Emit(options, "public", plain);
                Scenarios.Emit(options, "public", filtered);
                table.AddPublic("public, 5,000 distinct users, no relationships", plain);
                table.AddPublic("public, 5% blocks, 5% mutes, 10% keyword filters", filtered);
                if (!exact)
                {
                    Console.WriteLine("filtering: MISMATCH between delivered and expected (see above)");
                    status = 1;
                }

                if (options.Scenario is Scenario.Compare)
                {
                    // Ours on the shared stream again, so the public windows sit between two of its windows: this VM's
                    // speed drifts over a run, and the first window alone made the public ratios depend on the order.
                    table.AddSharedAgain(await RunSharedWindowAsync(env, "ours, again after public", env.StartServerAsync));
                }
            }
        }

        table.Print();
        return table.AnyServerExited ? 1 : status;
    }

    private static async Task RunSharedAsync(Scenarios.Setup env, ComparisonTable table)
    {
        var options = env.Options;
        var channel = options.RedisChannel;
        var root = Scenarios.RepositoryRoot();
        var nodeDirectory = NodeDirectory();
        var targets = new List<(string Name, Func<Task<ServerProcess>> Start)> { ("ours", env.StartServerAsync) };
        foreach (var reference in options.References)
        {
            targets.Add(reference switch
            {
                "node" => ("node ws", () => ServerProcess.StartReferenceAsync("node ws", "node",
                    [Path.Combine(nodeDirectory, "broadcaster.js"), "--redis-port", Port(env.Redis.Port), "--channel", channel, "--stream", options.Stream])),
                _ => ("raw C#", () => ServerProcess.StartReferenceAsync("raw C#", Path.Combine(root, "out", "reference", "RawBroadcaster", "raw-broadcaster"),
                    ["--redis-port", Port(env.Redis.Port), "--channel", channel, "--stream", options.Stream])),
            });
        }

        foreach (var (name, start) in targets)
        {
            table.AddShared(name, await RunSharedWindowAsync(env, name, start));
        }
    }

    /// <summary>One target on the shared stream: its own server process, every client connected, one window.</summary>
    private static async Task<PhaseResult> RunSharedWindowAsync(Scenarios.Setup env, string name, Func<Task<ServerProcess>> start)
    {
        var options = env.Options;
        Console.WriteLine();
        Console.WriteLine($"--- shared stream '{options.Stream}': {name}, {options.Clients} clients at {options.Rate.ToString(CultureInfo.InvariantCulture)}/s, load tool {options.LoadTool.ToString().ToLowerInvariant()}");
        await using var server = await start();
        var publisher = new Publisher(env.Redis.Connection, options.RedisChannel, options.PadBytes);
        await using ILoadSession session = options.LoadTool == LoadTool.Node
            ? new NodeLoadSession(options, server, publisher, options.Stream, NodeDirectory(), env.Redis.Connection)
            : new LoadSession(options, server, publisher, options.Stream, roles: null) { RedisConnection = env.Redis.Connection };
        await session.ConnectAsync();
        var result = await session.RunWindowAsync($"shared: {name}", options.Messages, options.Rate, s_progress);
        Scenarios.Emit(options, "shared", result);
        return result;
    }

    private static string NodeDirectory() => Path.Combine(Scenarios.RepositoryRoot(), "bench", "reference", "node");

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
