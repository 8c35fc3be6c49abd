using System.Net;
using System.Text;
using System.Text.Unicode;
using AotStreaming.Testing;

namespace AotStreaming.Support;

/// <summary>
/// An SSE client that keeps the body's bytes: <see cref="TestSseClient"/> decodes with a replacing UTF-8 reader,
/// which would hide invalid bytes on the wire. Each event is checked for valid UTF-8 before it is decoded.
/// </summary>
public sealed class RawSseReader : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly Stream _body;
    private readonly MemoryStream _pending = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    private RawSseReader(HttpClient http, Stream body)
    {
        _http = http;
        _body = body;
    }

    public static async Task<RawSseReader> ConnectAsync(StreamingServer server, string pathAndQuery, string token)
    {
        var http = new HttpClient { BaseAddress = server.HttpBase, Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"SSE refused: {(int)response.StatusCode}");
        }

        return new RawSseReader(http, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event (comments skipped); throws if its bytes are not valid UTF-8 or the body ends.</summary>
    public async Task<(string Event, string Data)> ReadEventAsync()
    {
        while (true)
        {
            var block = await ReadBlockAsync();
            if (!Utf8.IsValid(block))
            {
                throw new InvalidDataException("invalid UTF-8 in the SSE body: " + Convert.ToHexString(block));
            }

            string? name = null;
            foreach (var line in Encoding.UTF8.GetString(block).Split('\n'))
            {
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
    }

    /// <summary>Bytes up to the next blank line (one event or comment block), within the default timeout.</summary>
    private async Task<byte[]> ReadBlockAsync()
    {
        using var cts = new CancellationTokenSource(DefaultTimeoutExtensions.Timeout);
        while (true)
        {
            var pending = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
            var end = pending.IndexOf("\n\n"u8);
            if (end >= 0)
            {
                var block = pending[..end].ToArray();
                var rest = pending[(end + 2)..].ToArray();
                _pending.SetLength(0);
                _pending.Write(rest);
                return block;
            }

            var read = await _body.ReadAsync(_buffer, cts.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("SSE stream ended");
            }

            _pending.Write(_buffer, 0, read);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync();
        _http.Dispose();
    }
}
