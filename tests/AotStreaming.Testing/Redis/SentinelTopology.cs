using System.Diagnostics;

namespace AotStreaming.Testing.Redis;

/// <summary>
/// A real Sentinel deployment on loopback: a master, optionally one replica (<c>--replicaof</c>), and three
/// <c>redis-server --sentinel</c> processes monitoring it with quorum 2, their config files in a temp directory
/// (Sentinel rewrites them). Every port is picked free, so tests can run side by side.
/// </summary>
public sealed class SentinelTopology : IAsyncDisposable
{
    public const string MasterName = "mymaster";

    private readonly string _directory;
    private readonly RedisProcess?[] _data;
    private readonly RedisProcess[] _sentinels;

    private SentinelTopology(string directory, RedisProcess?[] data, RedisProcess[] sentinels)
    {
        _directory = directory;
        _data = data;
        _sentinels = sentinels;
    }

    /// <summary>Port of the node that was master at start-up (index 0); the replica is index 1.</summary>
    public int FirstMasterPort => DataPorts[0];

    public int[] DataPorts { get; private init; } = [];

    public IReadOnlyList<int> SentinelPorts => _sentinels.Select(s => s.Port).ToArray();

    /// <summary>Environment for <see cref="StreamingServer.StartAsync"/>: the server finds the master through the sentinels.</summary>
    public Dictionary<string, string> ServerEnvironment() => new()
    {
        ["REDIS_SENTINELS"] = string.Join(',', SentinelPorts.Select(p => $"127.0.0.1:{p}")),
        ["REDIS_SENTINEL_MASTER"] = MasterName,
    };

    /// <param name="withReplica">Without a replica a dead master cannot be replaced (Sentinel keeps reporting it).</param>
    /// <param name="downAfterMilliseconds">Sentinel's <c>down-after-milliseconds</c> (the issue's reproduction uses 3000).</param>
    public static async Task<SentinelTopology> StartAsync(bool withReplica = true, int downAfterMilliseconds = 1000)
    {
        var directory = Directory.CreateTempSubdirectory("aot-sentinel-").FullName;
        var masterPort = RedisProcess.FreePort();
        var replicaPort = RedisProcess.FreePort();
        var data = new RedisProcess?[2];
        var sentinels = new List<RedisProcess>();
        try
        {
            data[0] = await RedisProcess.StartAsync(masterPort, RedisProcess.DataNodeArguments(masterPort));
            if (withReplica)
            {
                data[1] = await RedisProcess.StartAsync(replicaPort, [.. RedisProcess.DataNodeArguments(replicaPort), "--replicaof", "127.0.0.1", masterPort.ToString()]);
            }

            for (var i = 0; i < 3; i++)
            {
                var port = RedisProcess.FreePort();
                var config = Path.Combine(directory, $"sentinel-{port}.conf");
                // failover-timeout 10 s: a failed attempt is retried after 2 × this, not after the default 6 minutes.
                await File.WriteAllTextAsync(config, $"""
                    port {port}
                    bind 127.0.0.1
                    dir {directory}
                    sentinel monitor {MasterName} 127.0.0.1 {masterPort} 2
                    sentinel down-after-milliseconds {MasterName} {downAfterMilliseconds}
                    sentinel failover-timeout {MasterName} 10000
                    """);
                sentinels.Add(await RedisProcess.StartAsync(port, [config, "--sentinel"], readyText: "+monitor master"));
            }
        }
        catch
        {
            foreach (var process in data.Concat(sentinels))
            {
                if (process is not null)
                {
                    await process.DisposeAsync();
                }
            }

            Directory.Delete(directory, recursive: true);
            throw;
        }

        var topology = new SentinelTopology(directory, data, [.. sentinels])
        {
            DataPorts = withReplica ? [masterPort, replicaPort] : [masterPort],
        };
        try
        {
            await topology.WaitUntilFailoverReadyAsync(withReplica ? 1 : 0);
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }

        return topology;
    }

    /// <summary>
    /// Sentinels find each other and the replica through the master (hello messages every 2 s); a failover needs
    /// both, so the topology is only handed out once every sentinel knows the other two and the replica is in sync.
    /// </summary>
    private Task WaitUntilFailoverReadyAsync(int replicas) =>
        // Polling other processes' state: Sentinel has no event for "I know my peers".
        Eventually.UntilAsync(
            async () =>
            {
                var ready = true;
                var state = "";
                foreach (var sentinel in _sentinels)
                {
                    var fields = Fields(await RespConnection.CommandOnceAsync(sentinel.Port, "SENTINEL", "MASTER", MasterName));
                    state = $"sentinel {sentinel.Port}: other sentinels {fields.GetValueOrDefault("num-other-sentinels")}, replicas {fields.GetValueOrDefault("num-slaves")}";
                    ready &= fields.GetValueOrDefault("num-other-sentinels") == "2" && fields.GetValueOrDefault("num-slaves") == replicas.ToString();
                }

                if (ready && replicas > 0)
                {
                    var info = (string?)await RespConnection.CommandOnceAsync(DataPorts[1], "INFO", "replication") ?? "";
                    ready = info.Contains("master_link_status:up", StringComparison.Ordinal);
                    state = "replica link not up";
                }

                return (Ready: ready, State: state);
            },
            readiness => readiness.Ready,
            TimeSpan.FromSeconds(30),
            "the Sentinel topology to be ready for a failover",
            readiness => readiness.State,
            interval: TimeSpan.FromMilliseconds(100));

    /// <summary>SIGKILL to the node at <paramref name="index"/> of <see cref="DataPorts"/>.</summary>
    public Task KillDataNodeAsync(int index) => _data[index]!.KillAsync();

    /// <summary>Starts the node at <paramref name="index"/> again, on the same port, as a master with an empty data set.</summary>
    public async Task RestartDataNodeAsync(int index)
    {
        var port = DataPorts[index];
        if (_data[index] is { } old)
        {
            await old.DisposeAsync();
        }

        _data[index] = await RedisProcess.StartAsync(port, RedisProcess.DataNodeArguments(port));
    }

    /// <summary><c>SENTINEL FAILOVER</c>: a planned switch, the old master stays up.</summary>
    public async Task FailoverAsync()
    {
        var reply = await RespConnection.CommandOnceAsync(_sentinels[0].Port, "SENTINEL", "FAILOVER", MasterName);
        if (reply is not "OK")
        {
            throw new InvalidOperationException($"SENTINEL FAILOVER answered {reply}");
        }
    }

    /// <summary>
    /// Polls <c>ROLE</c> of the node on <paramref name="port"/> every 5 ms and returns the <see cref="Stopwatch"/>
    /// timestamp of the first answer "master": the moment of the promotion, as seen from outside (at most a few ms late).
    /// Sentinel promotes with MULTI, REPLICAOF NO ONE, CLIENT KILL TYPE normal, EXEC, so the polling connection is
    /// closed at the promotion; it reconnects at once.
    /// </summary>
    public static async Task<long> WaitForPromotionAsync(int port, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                await using var connection = await RespConnection.ConnectAsync(port);
                while (deadline.Elapsed < timeout)
                {
                    if (await connection.CommandAsync("ROLE") is object?[] { Length: > 0 } role && role[0] is "master")
                    {
                        return Stopwatch.GetTimestamp();
                    }

                    await Task.Delay(5);
                }
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
            }
        }

        throw new TimeoutException($"127.0.0.1:{port} was not promoted within {timeout}");
    }

    /// <summary>Every sentinel's <c>CLIENT LIST</c>, one entry per client line.</summary>
    public async Task<IReadOnlyList<string>> SentinelClientsAsync()
    {
        var lines = new List<string>();
        foreach (var sentinel in _sentinels)
        {
            var list = (string?)await RespConnection.CommandOnceAsync(sentinel.Port, "CLIENT", "LIST") ?? "";
            lines.AddRange(list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => $"sentinel {sentinel.Port}: {l}"));
        }

        return lines;
    }

    /// <summary>All processes' output, for failure messages.</summary>
    public string Output => string.Join("\n", _data.Concat(_sentinels).Where(p => p is not null).Select(p => $"--- {p!.Port}\n{p.Output}"));

    private static Dictionary<string, string> Fields(object? reply)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reply is object?[] items)
        {
            for (var i = 0; i + 1 < items.Length; i += 2)
            {
                fields[(string)items[i]!] = items[i + 1] as string ?? "";
            }
        }

        return fields;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _sentinels.Concat(_data))
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
