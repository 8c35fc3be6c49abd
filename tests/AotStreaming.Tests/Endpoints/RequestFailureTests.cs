using AotStreaming.Endpoints;
using AotStreaming.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Tests.Endpoints;

public sealed class RequestFailureTests
{
    [Fact]
    public void From_RequestError_KeepsItsStatusAndText_LoggedAsARefusal()
    {
        var logger = new RecordingLogger();

        var failure = RequestFailure.From(StreamingRequestException.InvalidToken(), Context("req-1"), logger);

        Assert.Equal(new RequestFailure(401, "Invalid access token"), failure);
        var (level, text) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, level);
        Assert.Contains("req-1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_AnyOtherError_Becomes500Unexpected_LoggedWithItsTypeNotToTheClient()
    {
        var logger = new RecordingLogger();

        var failure = RequestFailure.From(new InvalidOperationException("connection refused"), Context("req-2"), logger);

        Assert.Equal(new RequestFailure(500, "An unexpected error occurred"), failure);
        var (level, text) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.Contains("connection refused", text, StringComparison.Ordinal);
    }

    [Fact]
    public void IsAnswerable_AbortedRequest_OnlyForRequestErrors()
    {
        using var aborted = new CancellationTokenSource();
        var context = Context("req-3");
        context.RequestAborted = aborted.Token;

        Assert.True(RequestFailure.IsAnswerable(new OperationCanceledException(), context));
        aborted.Cancel();
        Assert.False(RequestFailure.IsAnswerable(new OperationCanceledException(), context));
        Assert.True(RequestFailure.IsAnswerable(StreamingRequestException.MissingToken(), context));
    }

    private static DefaultHttpContext Context(string requestId) => new() { TraceIdentifier = requestId };

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
