using System.Globalization;

namespace AotStreaming.Benchmarks;

/// <summary>
/// The server under test as a child process, configured the way Mastodon configures its streaming server
/// (environment variables only), plus a 200 ms sampler of its resident memory.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const string ReadyLine = "Streaming API now listening on";

    private readonly ChildProcess _process;
    private readonly CancellationTokenSource _stopSampling = new();
    private readonly Task _sampler;
    private long _peakSampledRss;

    private ServerProcess(ChildProcess process, int port, string name)
    {
        _process = process;
        Port = port;
        Name = name;
        _sampler = SampleAsync(_stopSampling.Token);
    }

    public int Port { get; }

    /// <summary>"ours", or the reference broadcaster's name.</summary>
    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public long RssBytes => ProcFs.ReadRssBytes(_process.Id);

    public double CpuSeconds => ProcFs.ReadCpuSeconds(_process.Id);

    /// <summary>Largest of the 200 ms samples and the kernel's own high-water mark (VmHWM).</summary>
    public long PeakRssBytes => Math.Max(Interlocked.Read(ref _peakSampledRss), ProcFs.ReadPeakRssBytes(_process.Id));

    public static async Task<ServerProcess> StartAsync(string path, PostgresTarget database, int redisPort, IEnumerable<KeyValuePair<string, string>> extraEnvironment)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"server binary not found: {path} (publish it: dotnet publish src/AotStreaming.Host -c Release -r linux-x64 -o out/linux-x64)");
        }

        var port = FreePort.Next();
        var environment = new List<KeyValuePair<string, string>>
        {
            new("NODE_ENV", "production"),
            new("DB_HOST", database.Host),
            new("DB_PORT", database.Port.ToString(CultureInfo.InvariantCulture)),
            new("DB_USER", database.Username),
            new("DB_PASS", database.Password ?? ""),
            new("DB_NAME", database.Database),
            new("REDIS_HOST", "127.0.0.1"),
            new("REDIS_PORT", redisPort.ToString(CultureInfo.InvariantCulture)),
            new("BIND", "127.0.0.1"),
            new("PORT", port.ToString(CultureInfo.InvariantCulture)),
            new("LOG_LEVEL", "warn"),
        };
        environment.AddRange(extraEnvironment);

        var process = ChildProcess.Start("server", Path.GetFullPath(path), [], environment);
        try
        {
            // The ready line is an info-level log, which LOG_LEVEL=warn may hide: the health endpoint answering counts too.
            using var stopPolling = new CancellationTokenSource();
            var line = process.WaitForLineAsync(ReadyLine, TimeSpan.FromSeconds(30));
            var health = WaitForHealthAsync(port, stopPolling.Token);
            await Task.WhenAny(line, health);
            await stopPolling.CancelAsync();
            if (!health.IsCompletedSuccessfully)
            {
                await line;
            }
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new ServerProcess(process, port, "ours");
    }

    /// <summary>
    /// A reference broadcaster (bench/reference): started with <c>--port P</c> appended to its arguments, ready
    /// once it prints "listening on" (it subscribes to Redis before it listens).
    /// </summary>
    public static async Task<ServerProcess> StartReferenceAsync(string name, string fileName, IEnumerable<string> arguments)
    {
        if (!File.Exists(fileName) && Path.IsPathRooted(fileName))
        {
            throw new FileNotFoundException($"reference '{name}' not found: {fileName} (bash bench/run.sh builds it)");
        }

        var port = FreePort.Next();
        var process = ChildProcess.Start(name, fileName, [.. arguments, "--port", port.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            await process.WaitForLineAsync("listening on", TimeSpan.FromSeconds(30));
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new ServerProcess(process, port, name);
    }

    public string Tail() => _process.Tail();

    private static async Task WaitForHealthAsync(int port, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var uri = new Uri($"http://127.0.0.1:{port}/api/v1/streaming/health");
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(uri, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopSampling.CancelAsync();
        try
        {
            await _sampler;
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
        _stopSampling.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var rss = ProcFs.ReadRssBytes(_process.Id);
            if (rss > Interlocked.Read(ref _peakSampledRss))
            {
                Interlocked.Exchange(ref _peakSampledRss, rss);
            }
        }
    }
}
