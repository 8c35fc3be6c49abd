using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using AotStreaming.Testing;

namespace AotStreaming.Nginx;

/// <summary>How a rolling-restart client streams: one WebSocket with both streams, or one SSE stream.</summary>
internal enum RollingClientKind
{
    WebSocket,
    SseHome,
    SsePublicLocal,
}

/// <summary>One time the server let a client go, and when it streamed again.</summary>
/// <param name="HomeIndex">Count of <see cref="RollingClient.Home"/> when ready: the next one is the first status after the reconnect.</param>
/// <param name="PublicLocalIndex">The same for <see cref="RollingClient.PublicLocal"/>.</param>
internal sealed record Reconnect(long DisconnectedAt, long ReadyAt, string How, long AttemptStartedAt, int HomeIndex, int PublicLocalIndex)
{
    public TimeSpan Duration => Stopwatch.GetElapsedTime(DisconnectedAt, ReadyAt);
}

/// <summary>
/// A client that streams through nginx and, like Mastodon's web client, reconnects whenever the server closes
/// it (WebSocket close 1001, end of an SSE response). It records every status id it receives, per stream.
/// </summary>
internal sealed class RollingClient(int index, RollingClientKind kind, TestUser user, Uri httpBase, Uri webSocketBase)
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromMilliseconds(50);

    public int Index { get; } = index;

    public RollingClientKind Kind { get; } = kind;

    public TestUser User { get; } = user;

    /// <summary>Status ids received on the <c>user</c> stream (home), in order of arrival.</summary>
    public List<long> Home { get; } = [];

    /// <summary>Status ids received on the <c>public:local</c> stream.</summary>
    public List<long> PublicLocal { get; } = [];

    public List<Reconnect> Reconnects { get; } = [];

    /// <summary>Failures other than a clean close (a reset, an unexpected close code); must stay empty.</summary>
    public List<string> Problems { get; } = [];

    public int ConnectAttempts { get; private set; }

    /// <summary>The last failed connect, for diagnostics.</summary>
    public string? LastError { get; private set; }

    public bool Connected { get; private set; }

    public bool StreamsHome => Kind is RollingClientKind.WebSocket or RollingClientKind.SseHome;

    public bool StreamsPublicLocal => Kind is RollingClientKind.WebSocket or RollingClientKind.SsePublicLocal;

    /// <summary>The highest id received on any stream (read by the test to see that a client streams again).</summary>
    public long LastId => Volatile.Read(ref _lastId);

    private long _lastId;

    private long? _disconnectedAt;
    private string _how = "";
    private long _attemptStartedAt;

    /// <summary>Streams until <paramref name="stop"/>; <paramref name="firstReady"/> completes once the first connection is ready.</summary>
    public Task RunAsync(TaskCompletionSource firstReady, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                ConnectAttempts++;
                _attemptStartedAt = Stopwatch.GetTimestamp();
                if (Kind == RollingClientKind.WebSocket)
                {
                    await StreamWebSocketAsync(firstReady, stop);
                }
                else
                {
                    await StreamSseAsync(firstReady, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
            {
                if (Connected)
                {
                    // Mid-stream: the connection broke instead of being closed (1001 / end of stream).
                    Record($"stream broke: {ex.GetType().Name}: {ex.Message}");
                    Disconnected("broken");
                }

                LastError = $"{ex.GetType().Name}: {ex.Message}";

                // Otherwise a connect failed while an instance was going down (nginx had no instance for us yet,
                // or the one it chose was closing): retrying is what a client does.
                await Task.Delay(s_retryDelay, CancellationToken.None);
            }
        }
    }, CancellationToken.None);

    private void Disconnected(string how)
    {
        Connected = false;
        _disconnectedAt ??= Stopwatch.GetTimestamp();
        _how = how;
    }

    private void MarkReady(TaskCompletionSource firstReady)
    {
        Connected = true;
        if (_disconnectedAt is { } at)
        {
            lock (Reconnects)
            {
                Reconnects.Add(new Reconnect(at, Stopwatch.GetTimestamp(), _how, _attemptStartedAt, Count(Home), Count(PublicLocal)));
            }

            _disconnectedAt = null;
        }

        firstReady.TrySetResult();
    }

    private async Task StreamWebSocketAsync(TaskCompletionSource firstReady, CancellationToken stop)
    {
        await using var socket = await TestWebSocket.ConnectAsync(webSocketBase, "/api/v1/streaming", bearer: User.Token);
        await socket.SubscribeAsync("user");
        await socket.SubscribeAsync("public:local");
        MarkReady(firstReady);
        while (true)
        {
            string text;
            try
            {
                text = await socket.ReceiveTextAsync(TimeSpan.FromSeconds(60)).WaitAsync(stop);
            }
            catch (WebSocketClosedException closed)
            {
                if (closed.Status != WebSocketCloseStatus.EndpointUnavailable)
                {
                    Record($"WebSocket closed with {closed.Status}");
                }

                Disconnected("ws-1001");
                return;
            }

            using var frame = JsonDocument.Parse(text);
            if (!frame.RootElement.TryGetProperty("stream", out var stream))
            {
                Record("frame without stream: " + text);
                continue;
            }

            var id = StatusId(frame.RootElement.GetProperty("payload").GetString()!);
            Received(stream[0].GetString() == "user" ? Home : PublicLocal, id);
        }
    }

    private async Task StreamSseAsync(TaskCompletionSource firstReady, CancellationToken stop)
    {
        var path = Kind == RollingClientKind.SseHome ? "/api/v1/streaming/user" : "/api/v1/streaming/public/local";
        await using var sse = await TestSseClient.ConnectAsync(httpBase, path, User.Token);
        if (await sse.ReadLineAsync() != ":)")
        {
            Record("SSE without its :) preface");
        }

        MarkReady(firstReady);
        var target = Kind == RollingClientKind.SseHome ? Home : PublicLocal;
        while (true)
        {
            var line = await sse.ReadLineAsync(TimeSpan.FromSeconds(60)).WaitAsync(stop);
            if (line is null)
            {
                Disconnected("sse-end");
                return;
            }

            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Received(target, StatusId(line[6..]));
            }
        }
    }

    private static int Count(List<long> stream)
    {
        lock (stream)
        {
            return stream.Count;
        }
    }

    private void Received(List<long> stream, long id)
    {
        lock (stream)
        {
            stream.Add(id);
        }

        if (id > Volatile.Read(ref _lastId))
        {
            Volatile.Write(ref _lastId, id);
        }
    }

    private void Record(string problem)
    {
        lock (Problems)
        {
            Problems.Add(problem);
        }
    }

    private static long StatusId(string payload)
    {
        using var status = JsonDocument.Parse(payload);
        return long.Parse(status.RootElement.GetProperty("id").GetString()!);
    }
}
