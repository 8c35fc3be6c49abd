using System.Net.Http.Headers;

namespace AotStreaming.Benchmarks;

/// <summary>
/// A server-sent events subscriber (<c>Authorization: Bearer</c>), reading the chunked body line by line
/// from one reusable buffer: <c>event: update</c> followed by <c>data: {status}</c>.
/// </summary>
internal sealed class SseBenchClient : BenchClient
{
    private const int InitialBufferBytes = 4096;

    private readonly ClientConnections _connections;
    private readonly Uri _uri;
    private readonly string _token;
    private HttpResponseMessage? _response;
    private Stream? _body;
    private byte[] _buffer = [];
    private int _start;
    private int _end;
    private bool _inUpdate;

    public SseBenchClient(int index, ClientRole role, bool stalled, LatencyRecorder recorder, ClientConnections connections, string path, string token)
        : base(index, role, stalled, recorder)
    {
        _connections = connections;
        _uri = new Uri(connections.BaseHttp, path);
        _token = token;
    }

    public override string Transport => "sse";

    public override async Task ConnectAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        try
        {
            var http = Stalled ? _connections.StalledHttp : _connections.ReaderHttp;
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                ConnectError = $"HTTP {(int)response.StatusCode}";
                response.Dispose();
                return;
            }

            _response = response;
            _body = await response.Content.ReadAsStreamAsync(cancellationToken);
            Connected = true;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            ConnectError = ex.InnerException?.Message ?? ex.Message;
        }
    }

    public override async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var ended = await ReadLinesAsync(recordLatency: true, cancellationToken);
        if (ended is not null)
        {
            Disconnected = ended;
        }
    }

    public override async Task CheckStalledAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var ended = await ReadLinesAsync(recordLatency: false, deadline.Token);
        StallOutcome = ended is null ? StallOutcome.StillOpen : StallOutcome.ClosedByServer;
    }

    public override void Abort()
    {
        _body?.Dispose();
        _response?.Dispose();
    }

    private async Task<string?> ReadLinesAsync(bool recordLatency, CancellationToken cancellationToken)
    {
        if (_body is not { } body)
        {
            return null;
        }

        if (_buffer.Length == 0)
        {
            _buffer = new byte[InitialBufferBytes];
        }

        try
        {
            while (true)
            {
                MakeRoom();
                var read = await body.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
                if (read == 0)
                {
                    return "end of stream";
                }

                _end += read;
                ProcessLines(Now(), recordLatency);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return ex.InnerException?.Message ?? ex.Message;
        }
    }

    private void MakeRoom()
    {
        if (_end < _buffer.Length)
        {
            return;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        else
        {
            // One line longer than the buffer: grow, keeping the partial line.
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }

    private void ProcessLines(long now, bool recordLatency)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            var line = pending[..newline].TrimEnd((byte)'\r');
            _start += newline + 1;
            if (line.StartsWith("event: "u8))
            {
                _inUpdate = line["event: "u8.Length..].SequenceEqual("update"u8);
            }
            else if (line.StartsWith("data: "u8))
            {
                if (_inUpdate && StatusFrameParser.TryParseStatus(line["data: "u8.Length..], out var status))
                {
                    OnStatus(status, now, recordLatency);
                }

                _inUpdate = false;
            }
        }

        if (_start == _end)
        {
            _start = _end = 0;
        }
    }
}
