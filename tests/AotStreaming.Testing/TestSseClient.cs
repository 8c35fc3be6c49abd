using System.Net;
using System.Text;

namespace AotStreaming.Testing;

/// <summary>A real streaming HTTP client reading the SSE body line by line.</summary>
public sealed class TestSseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private TestSseClient(HttpClient http, HttpResponseMessage response, StreamReader reader)
    {
        _http = http;
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static Task<TestSseClient> ConnectAsync(StreamingServer server, string pathAndQuery, string? bearer) =>
        ConnectAsync(server.HttpBase, pathAndQuery, bearer);

    /// <summary>Connects to any base address (nginx in front of the server); <paramref name="handler"/> can bind the source address.</summary>
    public static async Task<TestSseClient> ConnectAsync(Uri httpBase, string pathAndQuery, string? bearer, HttpMessageHandler? handler = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        var http = handler is null
            ? new HttpClient { BaseAddress = httpBase, Timeout = Timeout.InfiniteTimeSpan }
            : new HttpClient(handler, disposeHandler: true) { BaseAddress = httpBase, Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            http.Dispose();
            throw new HttpRequestException($"SSE refused: {(int)response.StatusCode} {body}", null, response.StatusCode);
        }

        var stream = await response.Content.ReadAsStreamAsync();
        return new TestSseClient(http, response, new StreamReader(stream, Encoding.UTF8));
    }

    /// <summary>The next line (without its newline); null at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeoutExtensions.Timeout);
        return await _reader.ReadLineAsync(cts.Token);
    }

    /// <summary>The next event (comments and heartbeats skipped).</summary>
    public async Task<(string Event, string Data)> ReadEventAsync(TimeSpan? timeout = null)
    {
        string? name = null;
        while (true)
        {
            var line = await ReadLineAsync(timeout) ?? throw new EndOfStreamException("SSE stream ended");
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null)
            {
                return (name, line[6..]);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _http.Dispose();
        await Task.CompletedTask;
    }
}
