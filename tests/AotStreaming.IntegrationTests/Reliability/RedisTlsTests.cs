using AotStreaming.Support;
using AotStreaming.Testing;
using AotStreaming.Testing.Redis;
using Xunit;

namespace AotStreaming.Reliability;

/// <summary>
/// Issue 10 items 4 and 5: <c>rediss://</c> to an IP address or a host name, with the server certificate signed by a
/// private CA that is trusted the way Mastodon's Node server trusts one (<c>NODE_EXTRA_CA_CERTS</c>) or the way
/// OpenSSL does (<c>SSL_CERT_FILE</c>). A real TLS-only redis-server, certificates made with openssl.
/// </summary>
public sealed class RedisTlsTests
{
    [Theory]
    [InlineData("127.0.0.1", "NODE_EXTRA_CA_CERTS")]
    [InlineData("localhost", "NODE_EXTRA_CA_CERTS")]
    [InlineData("127.0.0.1", "SSL_CERT_FILE")]
    public async Task Rediss_PrivateCaTrusted_EventsArriveAndPresenceKeysAreWritten_Issue10(string host, string trustVariable)
    {
        await using var redis = await TlsRedis.StartAsync();
        await using var database = await MastodonDatabase.CreateAsync();
        await using var server = await StreamingServer.StartAsync(database, environment: new Dictionary<string, string>
        {
            ["REDIS_URL"] = $"rediss://{host}:{redis.Port}",
            [trustVariable] = redis.CaFile,
        });
        var user = await database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());

        await redis.WaitForSubscriptionAsync(server.Key($"timeline:{user.AccountId}"));
        await redis.PublishAsync(server.Key($"timeline:{user.AccountId}"), RailsMessages.Delete("42"));

        Assert.Equal(("delete", "42"), await sse.ReadEventAsync());
        await using var client = await redis.ConnectAsync();
        Assert.True(await client.GetDatabase().KeyExistsAsync(server.Key($"subscribed:timeline:{user.AccountId}")));
        Assert.Equal(1, MetricsText.Value(await server.MetricsAsync(), "aot_streaming_redis_connected"));
    }

    [Fact]
    public async Task Rediss_CertificateNotTrusted_MetricIsZeroAndOneLogLineNamesTheProblem_Issue10()
    {
        await using var redis = await TlsRedis.StartAsync();
        await using var database = await MastodonDatabase.CreateAsync();
        await using var server = await StreamingServer.StartAsync(database, environment: new Dictionary<string, string>
        {
            ["REDIS_URL"] = $"rediss://127.0.0.1:{redis.Port}",
        });
        await server.WaitForOutputAsync("Redis subscriber connection lost").DefaultTimeout();

        // Retries go on every 0.1 → 5 s; 2 s covers five of them, none of which may log again or report "connected".
        var window = System.Diagnostics.Stopwatch.StartNew();
        while (window.Elapsed < TimeSpan.FromSeconds(2))
        {
            Assert.Equal(0, MetricsText.Value(await server.MetricsAsync(), "aot_streaming_redis_connected"));
            await Task.Delay(100);
        }

        var line = Assert.Single(server.Output.Split('\n'), l => l.Contains("Redis subscriber connection lost", StringComparison.Ordinal));
        Assert.Contains("certificate", line, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("NODE_EXTRA_CA_CERTS", line, StringComparison.Ordinal);
    }
}
