using System.Globalization;

namespace AotStreaming.Benchmarks;

internal enum Scenario
{
    Default,
    Knee,
    Soak,
    Filtered,

    /// <summary>Ours and the references on one shared stream, same tool, same run (bench/reference).</summary>
    Shared,

    /// <summary>Ours on the public timeline, 5,000 distinct users: no relationships, then blocks, mutes and filters.</summary>
    Public,

    /// <summary>Shared, then public, and one table of ours against both references.</summary>
    Compare,
}

/// <summary>Which program opens the client connections.</summary>
internal enum LoadTool
{
    /// <summary>This tool's raw-socket clients (WebSocket and SSE).</summary>
    Dotnet,

    /// <summary>bench/reference/node/load-client.js (npm ws), WebSocket only.</summary>
    Node,
}

/// <summary>Command line of the load tool; every default is the README's default scenario.</summary>
internal sealed class BenchOptions
{
    public Scenario Scenario { get; set; } = Scenario.Default;

    /// <summary>Total clients; <see cref="SseClients"/> of them are SSE, the rest WebSocket.</summary>
    public int Clients { get; set; } = 5000;

    public int SseClients { get; set; } = 100;

    /// <summary>Messages published per second.</summary>
    public double Rate { get; set; } = 10;

    /// <summary>Messages published in total.</summary>
    public int Messages { get; set; } = 200;

    /// <summary>WebSocket stream name; the SSE path is derived from it.</summary>
    public string Stream { get; set; } = "public:local";

    public double StallFraction { get; set; }

    public double SoakMinutes { get; set; } = 10;

    /// <summary>Clients connecting at the same time; larger batches overflow the server's accept backlog.</summary>
    public int ConnectBatch { get; set; } = 200;

    /// <summary>Extra bytes of text in every status, to make frames (and slow-consumer queues) bigger.</summary>
    public int PadBytes { get; set; }

    /// <summary>How long to wait for the last deliveries after publishing stops.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public string? ServerPath { get; set; }

    /// <summary>Npgsql connection string of a server where the tool may create and drop its database.</summary>
    public string PgConnectionString { get; set; } = "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres";

    public string DatabaseName { get; set; } = "aot_streaming_bench";

    public string RedisServerPath { get; set; } = "redis-server";

    public List<KeyValuePair<string, string>> ServerEnvironment { get; } = [];

    public bool Json { get; set; }

    /// <summary>Reference broadcasters run beside ours in the shared scenario: node, raw (default both).</summary>
    public List<string> References { get; } = ["node", "raw"];

    public LoadTool LoadTool { get; set; } = LoadTool.Dotnet;

    public static string Usage => """
        AotStreaming.Benchmarks [scenario] [options]
          scenarios:  default | knee | soak | filtered   (also --knee, --soak-minutes N, --filtered)
                      shared | public | compare      (ours against the references of bench/reference, WebSocket only)
          --clients N            total clients (default 5000)
          --sse N                how many of them use SSE (default 100)
          --rate R               messages per second (default 10)
          --messages D           messages to publish (default 200)
          --stream NAME          public:local (default; shared/compare: user) or public, public:remote, user
                                 (user: every client signs in as account 1 and streams its home timeline)
          --stall-fraction F     fraction of clients (both kinds) that stop reading after connecting
          --pad BYTES            extra status text per message (default 0)
          --connect-batch N      parallel connects per batch (default 200)
          --drain-seconds S      wait for late deliveries after the last publish (default 10)
          --server PATH          server binary (default out/linux-x64/aot-streaming)
          --server-env K=V       extra environment variable for the server (repeatable)
          --pg CONNSTRING        PostgreSQL where the bench database is created
          --db NAME              bench database name (default aot_streaming_bench)
          --redis-server PATH    redis-server executable (default from PATH)
          --json                 also print a one-line JSON summary
          --references LIST      shared/compare: references beside ours, node,raw (default), node, raw or none
          --load-tool T          dotnet (default) or node (bench/reference/node/load-client.js, WebSocket only)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var streamGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "default":
                    options.Scenario = Scenario.Default;
                    break;
                case "knee" or "--knee":
                    options.Scenario = Scenario.Knee;
                    break;
                case "soak":
                    options.Scenario = Scenario.Soak;
                    break;
                case "--soak-minutes":
                    options.Scenario = Scenario.Soak;
                    options.SoakMinutes = ParseDouble(Next());
                    break;
                case "filtered" or "--filtered":
                    options.Scenario = Scenario.Filtered;
                    break;
                case "--clients":
                    options.Clients = ParseInt(Next());
                    break;
                case "--sse":
                    options.SseClients = ParseInt(Next());
                    break;
                case "--rate":
                    options.Rate = ParseDouble(Next());
                    break;
                case "--messages":
                    options.Messages = ParseInt(Next());
                    break;
                case "--stream":
                    options.Stream = Next();
                    streamGiven = true;
                    break;
                case "--stall-fraction":
                    options.StallFraction = ParseDouble(Next());
                    break;
                case "--pad":
                    options.PadBytes = ParseInt(Next());
                    break;
                case "--connect-batch":
                    options.ConnectBatch = Math.Max(1, ParseInt(Next()));
                    break;
                case "--drain-seconds":
                    options.DrainTimeout = TimeSpan.FromSeconds(ParseDouble(Next()));
                    break;
                case "--server":
                    options.ServerPath = Next();
                    break;
                case "--server-env":
                    var pair = Next();
                    var eq = pair.IndexOf('=');
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--server-env expects KEY=VALUE, got '{pair}'");
                    }

                    options.ServerEnvironment.Add(new(pair[..eq], pair[(eq + 1)..]));
                    break;
                case "--pg":
                    options.PgConnectionString = Next();
                    break;
                case "--db":
                    options.DatabaseName = Next();
                    break;
                case "--redis-server":
                    options.RedisServerPath = Next();
                    break;
                case "--json":
                    options.Json = true;
                    break;
                case "shared" or "public" or "compare":
                    options.Scenario = Enum.Parse<Scenario>(arg, ignoreCase: true);
                    // Issue #13's shared stream is one user's home timeline that every client streams (no
                    // per-recipient filtering, like the references); the filtering path is the public scenario's.
                    if (!streamGiven)
                    {
                        options.Stream = "user";
                    }

                    break;
                case "--references":
                    var list = Next();
                    options.References.Clear();
                    if (list != "none")
                    {
                        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        {
                            options.References.Add(name is "node" or "raw" ? name : throw new ArgumentException($"unknown reference '{name}' (node, raw)"));
                        }
                    }

                    break;
                case "--load-tool":
                    options.LoadTool = Next() switch
                    {
                        "dotnet" => LoadTool.Dotnet,
                        "node" => LoadTool.Node,
                        var other => throw new ArgumentException($"unknown load tool '{other}' (dotnet, node)"),
                    };
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{arg}'");
            }
        }

        if (options.StallFraction is < 0 or >= 1)
        {
            throw new ArgumentException("--stall-fraction must be in [0, 1)");
        }

        if (options.SseClients > options.Clients)
        {
            throw new ArgumentException("--sse cannot exceed --clients");
        }

        if (options.Rate <= 0 || options.Messages <= 0 || options.Clients <= 0)
        {
            throw new ArgumentException("--rate, --messages and --clients must be positive");
        }

        return options;
    }

    /// <summary>
    /// The <c>user</c> stream is one account's home timeline: every client signs in as the first client's account
    /// (token 0) and receives the same events, as a followed account's posts reach all of a user's devices.
    /// </summary>
    public static bool IsOneAccountStream(string stream) => stream == "user";

    /// <summary>Redis channel the server maps <see cref="Stream"/> to (reference §5.1).</summary>
    public string RedisChannel => IsOneAccountStream(Stream)
        ? "timeline:" + BenchDatabase.ClientAccountBase.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : "timeline:" + Stream;

    /// <summary>SSE path for <see cref="Stream"/>: colons become slashes (public:local → public/local).</summary>
    public string SsePath => "/api/v1/streaming/" + Stream.Replace(':', '/');

    private static int ParseInt(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double ParseDouble(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
}
