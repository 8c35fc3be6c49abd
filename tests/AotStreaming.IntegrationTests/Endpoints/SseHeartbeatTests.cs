using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>A server whose SSE heartbeat runs every 0.2 s instead of 15 s.</summary>
public sealed class FastHeartbeatFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Delivery:SseHeartbeatSeconds=0.2"];
}

/// <summary>Reference §2.5: the <c>:thump</c> heartbeat comment.</summary>
public sealed class SseHeartbeatTests(FastHeartbeatFixture fixture) : IClassFixture<FastHeartbeatFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task Sse_Idle_WritesThumpCommentFollowedByBlankLine_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);

        var preface = await sse.ReadLineAsync();
        var heartbeat = await sse.ReadLineAsync();
        var terminator = await sse.ReadLineAsync();

        Assert.Equal(":)", preface);
        Assert.Equal(":thump", heartbeat);
        Assert.Equal("", terminator);
    }

    [Fact]
    public async Task Sse_Idle_KeepsSendingHeartbeats_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/public", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());

        var lines = new List<string?>();
        for (var i = 0; i < 6; i++)
        {
            lines.Add(await sse.ReadLineAsync());
        }

        Assert.Equal([":thump", "", ":thump", "", ":thump", ""], lines);
    }

    [Fact]
    public async Task Sse_EventBetweenHeartbeats_FramedIntact_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        Assert.Equal(":)", await sse.ReadLineAsync());
        Assert.Equal(":thump", await sse.ReadLineAsync());

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("77"));

        Assert.Equal(("delete", "77"), await sse.ReadEventAsync());
    }
}
