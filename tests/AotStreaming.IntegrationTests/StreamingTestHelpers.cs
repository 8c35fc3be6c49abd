using System.Runtime.CompilerServices;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming;

/// <summary>Synchronisation and snapshot helpers shared by the contract tests.</summary>
internal static class StreamingTestHelpers
{
    public const string UnknownStreamFrame = """{"error":"Unknown stream type","status":400}""";

    /// <summary>
    /// The server handles one client message at a time, in order, and answers an unknown stream with an error
    /// frame: once that frame arrives, every earlier subscribe or unsubscribe has been applied.
    /// </summary>
    public static async Task BarrierAsync(this TestWebSocket socket)
    {
        await socket.SendAsync("""{"type":"subscribe","stream":"barrier-not-a-stream"}""");
        Assert.Equal(UnknownStreamFrame, await socket.ReceiveTextAsync());
    }

    /// <summary>Subscribes, waits until the server applied it and Redis has SUBSCRIBEd each of <paramref name="redisChannels"/>.</summary>
    public static async Task SubscribeSyncedAsync(this TestWebSocket socket, StreamingServer server, string stream, string? extra, params string[] redisChannels)
    {
        await socket.SubscribeAsync(stream, extra);
        await socket.BarrierAsync();
        foreach (var channel in redisChannels)
        {
            await server.WaitForRedisSubscriptionAsync(channel);
        }
    }

    /// <summary>Waits until <c>GET /metrics</c> shows <paramref name="series"/> (name and labels) with <paramref name="value"/>.</summary>
    public static Task WaitForMetricAsync(this StreamingServer server, string series, long value) =>
        Support.MetricsText.WaitForAsync(server, series, seen => seen == value);

    /// <summary>Waits until a Redis key exists (presence keys are written asynchronously after a subscription).</summary>
    public static async Task<TimeSpan?> WaitForKeyTtlAsync(string key)
    {
        var database = TestEnvironment.Redis.GetDatabase();
        await Eventually.UntilAsync(() => database.KeyExistsAsync(key), DefaultTimeoutExtensions.Timeout, $"Redis key {key} to exist");
        return await database.KeyTimeToLiveAsync(key);
    }

    /// <summary>Compares with the checked-in file Snapshots/&lt;Class&gt;/&lt;Test&gt;.txt, byte for byte.</summary>
    public static void AssertSnapshot(string className, string actual, [CallerMemberName] string testName = "")
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Snapshots", className, testName + ".txt");
        Assert.True(File.Exists(path), $"missing snapshot {path}; actual:\n{actual}");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
