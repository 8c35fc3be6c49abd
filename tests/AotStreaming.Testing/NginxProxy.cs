using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AotStreaming.Testing;

/// <summary>
/// Debian's nginx in front of one or more servers, running the checked-in streaming config
/// (tests/AotStreaming.IntegrationTests/Nginx/mastodon-streaming.conf) as a child process with its own prefix
/// directory, pid file and logs, so tests never touch /etc/nginx or port 80.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    public const string InstallHint = "nginx is not installed: bash scripts/services.sh installs it (apt-get install nginx), as bash scripts/test.sh does.";

    private readonly Process _process;

    private NginxProxy(Process process, string prefix, int port)
    {
        _process = process;
        Prefix = prefix;
        Port = port;
    }

    /// <summary>The temporary directory holding nginx.conf, the logs and nginx's temp files.</summary>
    public string Prefix { get; }

    public int Port { get; }

    public Uri HttpBase => new($"http://127.0.0.1:{Port}");

    public Uri WebSocketBase => new($"ws://127.0.0.1:{Port}");

    /// <summary>The streaming location's access log, in the checked-in <c>streaming</c> format.</summary>
    public string AccessLogPath => Path.Combine(Prefix, "streaming-access.log");

    public string ErrorLogPath => Path.Combine(Prefix, "error.log");

    /// <summary>dist/nginx.conf's parameters for its one streaming server.</summary>
    public const string SingleServerParameters = "fail_timeout=0";

    /// <summary>
    /// The README's parameters for several instances: <c>max_fails=0</c> too. With dist's <c>fail_timeout=0</c>
    /// alone, one refused connect (an instance restarting) marks the server failed until a request to it
    /// completes, and a stream completes only when it is closed: nginx then offers that instance at most one new
    /// connection per second and answers the rest 502 "no live upstreams" once the other one restarts too.
    /// </summary>
    public const string ScaleOutServerParameters = "fail_timeout=0 max_fails=0";

    /// <summary>
    /// Starts nginx on a free 127.0.0.1 port with <paramref name="upstreams"/> in <c>upstream streaming</c>:
    /// <c>127.0.0.1:4000</c> or <c>unix:/path/to.sock</c>, each with <paramref name="serverParameters"/>.
    /// </summary>
    public static async Task<NginxProxy> StartAsync(IEnumerable<string> upstreams, string serverParameters = SingleServerParameters)
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(InstallHint);
        var template = Path.Combine(AppContext.BaseDirectory, "Nginx", "mastodon-streaming.conf");
        if (!File.Exists(template))
        {
            throw new FileNotFoundException("the checked-in nginx config is not in the test output", template);
        }

        var prefix = Path.Combine(Path.GetTempPath(), "aot-nginx-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(prefix);
        var port = FreePort();
        var servers = string.Join('\n', upstreams.Select(u => $"  server {u} {serverParameters};"));
        var streaming = File.ReadAllText(template)
            .Replace("@STREAMING_SERVERS@", servers, StringComparison.Ordinal)
            .Replace("@LISTEN@", $"127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("@ACCESS_LOG@", Path.Combine(prefix, "streaming-access.log"), StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(prefix, "streaming.conf"), streaming);
        // The main context Debian's /etc/nginx/nginx.conf would provide, everything inside the prefix. One worker:
        // least_conn counts connections per worker, so one worker makes the spread across instances exact.
        File.WriteAllText(Path.Combine(prefix, "nginx.conf"), $$"""
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log info;
            events { worker_connections 4096; }
            http {
              access_log {{prefix}}/access.log;
              client_body_temp_path {{prefix}}/client_body;
              proxy_temp_path {{prefix}}/proxy;
              fastcgi_temp_path {{prefix}}/fastcgi;
              uwsgi_temp_path {{prefix}}/uwsgi;
              scgi_temp_path {{prefix}}/scgi;
              include {{prefix}}/streaming.conf;
            }

            """);

        var info = new ProcessStartInfo(binary)
        {
            ArgumentList = { "-p", prefix + "/", "-c", Path.Combine(prefix, "nginx.conf"), "-e", Path.Combine(prefix, "error.log"), "-g", "daemon off;" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start nginx");
        var proxy = new NginxProxy(process, prefix, port);
        await proxy.WaitForListeningAsync();
        return proxy;
    }

    /// <summary>The access log's lines so far.</summary>
    public string[] AccessLogLines() => File.Exists(AccessLogPath) ? File.ReadAllLines(AccessLogPath) : [];

    /// <summary>Waits until the access log has a line containing <paramref name="text"/> (nginx writes it when the request ends).</summary>
    public async Task<string> WaitForAccessLogLineAsync(string text)
    {
        // Polling another process's file: there is no event to await.
        var lines = await Eventually.UntilAsync(
            () => Task.FromResult(AccessLogLines()),
            lines => lines.Any(l => l.Contains(text, StringComparison.Ordinal)),
            DefaultTimeoutExtensions.Timeout,
            $"an access log line with {text}",
            lines => "the access log:\n" + string.Join('\n', lines));
        return lines.First(l => l.Contains(text, StringComparison.Ordinal));
    }

    private async Task WaitForListeningAsync()
    {
        try
        {
            // Polling another process's listen(): there is no event to await.
            await Eventually.UntilAsync(
                async () =>
                {
                    if (_process.HasExited)
                    {
                        var stderr = await _process.StandardError.ReadToEndAsync();
                        throw new InvalidOperationException($"nginx exited with {_process.ExitCode}: {stderr}\n{ReadErrorLog()}");
                    }

                    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await probe.ConnectAsync(IPAddress.Loopback, Port);
                    return true;
                },
                DefaultTimeoutExtensions.Timeout,
                $"nginx to listen on {Port}",
                retryOn: ex => ex is SocketException);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{ReadErrorLog()}", ex);
        }
    }

    public string ReadErrorLog() => File.Exists(ErrorLogPath) ? File.ReadAllText(ErrorLogPath) : "(no error.log)";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: nginx's fast shutdown (SIGQUIT would wait for every open stream to end).
            _ = Kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Prefix, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string? FindBinary()
    {
        if (Environment.GetEnvironmentVariable("AOTSTREAMING_NGINX") is { Length: > 0 } configured)
        {
            return configured;
        }

        // Debian installs it in /usr/sbin, which is not on an ordinary user's PATH.
        var candidates = new List<string> { "/usr/sbin/nginx" };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "nginx")));
        return candidates.FirstOrDefault(File.Exists);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
