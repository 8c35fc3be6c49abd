using System.Text.Json;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Operations;

/// <summary>Logs for journald: plain text by default, JSON lines on request; LOG_LEVEL uses upstream's names.</summary>
public sealed class LogFormatTests
{
    [Fact]
    public async Task JsonFormat_Requested_EveryLineIsAJsonObjectWithTheListeningMessage()
    {
        await using var database = await MastodonDatabase.CreateAsync();
        await using var server = await StreamingServer.StartAsync(database, ["--Streaming:Logging:Format=json"]);

        var lines = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
        Assert.Contains(lines, l => l.Contains("Streaming API now listening on", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("debug", true)]
    [InlineData("silly", true)]
    [InlineData("verbose", true)]
    [InlineData("info", false)]
    public async Task LogLevel_UpstreamNames_ControlDebugOutput(string level, bool debugExpected)
    {
        await using var database = await MastodonDatabase.CreateAsync();
        await using var server = await StreamingServer.StartAsync(database, environment: new Dictionary<string, string> { ["LOG_LEVEL"] = level });
        using var http = new HttpClient { BaseAddress = server.HttpBase };

        await http.GetStringAsync("/api/v1/streaming/health").DefaultTimeout();

        Assert.Equal(debugExpected, server.Output.Contains("[DBG]", StringComparison.Ordinal));
    }
}
