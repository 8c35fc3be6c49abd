using System.Net;
using AotStreaming.Testing;

namespace AotStreaming.Support;

/// <summary>
/// SSE user streams opened as if through a proxy (an <c>X-Forwarded-For</c> header), kept open so each counts
/// against the per-address limit until disposed: the tests of which address the server counts.
/// </summary>
public sealed class ForwardedSseStreams(StreamingServer server) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = server.HttpBase, Timeout = Timeout.InfiniteTimeSpan };
    private readonly List<HttpResponseMessage> _open = [];

    /// <summary>Opens one stream with <paramref name="token"/>; answers the status (200 admitted, 429 over the limit).</summary>
    public async Task<HttpStatusCode> ConnectAsync(string token, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/streaming/user");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        _open.Add(response);
        return response.StatusCode;
    }

    public void Dispose()
    {
        foreach (var response in _open)
        {
            response.Dispose();
        }

        _http.Dispose();
    }
}
