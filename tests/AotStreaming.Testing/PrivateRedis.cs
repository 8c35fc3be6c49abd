using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace AotStreaming.Testing;

/// <summary>
/// A redis-server of the test's own (not daemonized, no persistence) on a free loopback port, so a test can kill
/// and restart it on the same port without disturbing the shared Redis other tests use.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private Process? _process;

    private PrivateRedis(int port) => Port = port;

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Environment for <see cref="StreamingServer.StartAsync"/> pointing the server at this Redis.</summary>
    public Dictionary<string, string> ServerEnvironment() => new()
    {
        ["REDIS_HOST"] = "127.0.0.1",
        ["REDIS_PORT"] = Port.ToString(),
    };

    public static async Task<PrivateRedis> StartAsync()
    {
        var redis = new PrivateRedis(FreePort());
        await redis.RestartAsync();
        return redis;
    }

    /// <summary>Starts redis-server on <see cref="Port"/> and completes when it accepts connections.</summary>
    public async Task RestartAsync()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("redis-server exited:\n" + string.Join('\n', output)));
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await ready.Task.DefaultTimeout();
    }

    /// <summary>SIGKILL: the server sees its connections reset, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().DefaultTimeout();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>A short-lived client connection (a new one after every restart, no reconnect logic to wait for).</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync($"{Endpoint},abortConnect=true,{TestEnvironment.RedisConnectTimeout}");

    public async Task<long> PublishAsync(string channel, string message)
    {
        await using var redis = await ConnectAsync();
        return await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message);
    }

    public async Task<bool> KeyExistsAsync(string key)
    {
        await using var redis = await ConnectAsync();
        return await redis.GetDatabase().KeyExistsAsync(key);
    }

    /// <summary>Waits until some client has SUBSCRIBEd <paramref name="channel"/> (PUBSUB NUMSUB ≥ 1).</summary>
    public async Task WaitForSubscriptionAsync(string channel)
    {
        await using var redis = await ConnectAsync();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        // Polling Redis' own state: there is no event to await for another process's SUBSCRIBE.
        await Eventually.UntilAsync(
            async () => (long)((RedisResult[])(await server.ExecuteAsync("PUBSUB", "NUMSUB", channel))!)[1],
            subscribers => subscribers > 0,
            DefaultTimeoutExtensions.Timeout,
            $"channel {channel} to be subscribed on {Endpoint}",
            subscribers => $"{subscribers} subscribers");
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
