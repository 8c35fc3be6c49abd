using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace AotStreaming.Testing;

/// <summary>
/// The real server as a child process on a loopback port: the JIT build (<c>dotnet aot-streaming.dll</c>) by
/// default, or the published native binary when <c>AOTSTREAMING_SERVER_BINARY</c> is set. Each server gets its own
/// <c>REDIS_NAMESPACE</c>, so tests sharing one Redis never see each other's events. All output is captured.
/// </summary>
public sealed class StreamingServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, string> _environment;
    private event Action<string>? LineWritten;

    private StreamingServer(Process process, int port, string ns, MastodonDatabase database, Dictionary<string, string> environment)
    {
        _process = process;
        Port = port;
        Namespace = ns;
        Database = database;
        _environment = environment;
    }

    public int Port { get; }

    public string Namespace { get; }

    public MastodonDatabase Database { get; }

    public Uri HttpBase => new($"http://127.0.0.1:{Port}");

    public Uri WebSocketBase => new($"ws://127.0.0.1:{Port}");

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts a server on <paramref name="database"/>; <paramref name="args"/> set options
    /// (<c>--Streaming:Delivery:OutboxCapacity=8</c>). <paramref name="launcher"/> is a command line that execs the
    /// server after it (<c>setpriv --bounding-set=-sys_nice --</c>).
    /// </summary>
    public static Task<StreamingServer> StartAsync(
        MastodonDatabase database, IEnumerable<string>? args = null, IReadOnlyDictionary<string, string>? environment = null, bool useNamespace = true,
        IReadOnlyList<string>? launcher = null) =>
        StartAsync(database, args, environment, useNamespace, inherited: null, launcher);

    /// <summary>
    /// Starts a server the way systemd's socket activation does: <paramref name="listening"/> becomes its fd 3, with
    /// LISTEN_FDS=1 and LISTEN_PID set to its PID. The socket stays open here, so connections made while no server
    /// runs wait in its backlog for the next one.
    /// </summary>
    public static Task<StreamingServer> StartSocketActivatedAsync(MastodonDatabase database, Socket listening, IReadOnlyDictionary<string, string> environment) =>
        StartAsync(database, args: null, environment, useNamespace: true, inherited: listening, launcher: null);

    private static async Task<StreamingServer> StartAsync(
        MastodonDatabase database, IEnumerable<string>? args, IReadOnlyDictionary<string, string>? environment, bool useNamespace, Socket? inherited,
        IReadOnlyList<string>? launcher)
    {
        var port = inherited?.LocalEndPoint is IPEndPoint bound ? bound.Port : FreePort();
        var ns = useNamespace ? "t" + Guid.NewGuid().ToString("N")[..10] : "";
        var pg = TestEnvironment.PostgresServer;
        var env = new Dictionary<string, string>
        {
            ["NODE_ENV"] = "production",
            ["DB_HOST"] = pg.Host!,
            ["DB_PORT"] = pg.Port.ToString(),
            ["DB_USER"] = pg.Username!,
            ["DB_NAME"] = database.Name,
            ["DB_PASS"] = pg.Password ?? "",
            ["REDIS_HOST"] = TestEnvironment.RedisHost,
            ["REDIS_PORT"] = TestEnvironment.RedisPort.ToString(),
            ["REDIS_NAMESPACE"] = ns,
            ["PORT"] = port.ToString(),
            ["BIND"] = "127.0.0.1",
            ["LOG_LEVEL"] = "debug",
            // Tests must not pick up a developer's /etc/aot-streaming/appsettings.json.
            ["AOT_STREAMING_CONFIG"] = "/nonexistent/appsettings.json",
        };
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                env[k] = v;
            }

            // A restarted instance (rolling restart) keeps its port and shares its peers' namespace.
            port = environment.TryGetValue("PORT", out var fixedPort) ? int.Parse(fixedPort) : port;
            ns = environment.TryGetValue("REDIS_NAMESPACE", out var sharedNamespace) ? sharedNamespace : ns;
        }

        var server = new StreamingServer(Launch(env, args, inherited: inherited, launcher: launcher), port, ns, database, env);
        await server.WaitForListeningAsync();
        return server;
    }

    internal static Process Launch(
        Dictionary<string, string> env, IEnumerable<string>? args, IEnumerable<string>? unset = null, Socket? inherited = null,
        IReadOnlyList<string>? launcher = null)
    {
        var info = TestEnvironment.ServerBinary is { } binary
            ? new ProcessStartInfo(binary)
            : new ProcessStartInfo("dotnet") { ArgumentList = { ServerAssembly() } };
        if (launcher is { Count: > 0 })
        {
            // The launcher execs the server, so the process started here is still the server (ProcessId, signals).
            info.ArgumentList.Insert(0, info.FileName);
            for (var i = launcher.Count - 1; i >= 1; i--)
            {
                info.ArgumentList.Insert(0, launcher[i]);
            }

            info.FileName = launcher[0];
        }

        if (inherited is not null)
        {
            // sd_listen_fds(3) by hand: bash (dash takes one-digit fds only) moves the (inheritable) socket to fd 3 and execs the server, so $$ is
            // the server's PID.
            var fd = (int)inherited.Handle;
            AllowInheritance(fd);
            var server = info.FileName;
            info.FileName = "/bin/bash";
            info.ArgumentList.Insert(0, server);
            info.ArgumentList.Insert(0, $"exec 3<&{fd} {fd}<&-; LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\"");
            info.ArgumentList.Insert(0, "-c");
            env = new Dictionary<string, string>(env);
            env.Remove("PORT");
            env.Remove("BIND");
        }

        foreach (var arg in args ?? [])
        {
            info.ArgumentList.Add(arg);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }

        foreach (var name in unset ?? [])
        {
            info.Environment.Remove(name);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start the server");
    }

    private async Task WaitForListeningAsync()
    {
        void OnLine(string? line)
        {
            if (line is null)
            {
                _listening.TrySetException(new InvalidOperationException("server exited before listening:\n" + Output));
                return;
            }

            _output.Enqueue(line);
            LineWritten?.Invoke(line);
            if (line.Contains("Streaming API now listening on", StringComparison.Ordinal))
            {
                _listening.TrySetResult(line);
            }
        }

        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { OnLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            await _listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException("server did not start within 60 s:\n" + Output);
        }
    }

    /// <summary>Completes when a line containing <paramref name="text"/> is (or was) written.</summary>
    public Task WaitForOutputAsync(string text)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(string line)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        }

        LineWritten += Handler;
        if (_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            seen.TrySetResult();
        }

        return seen.Task.ContinueWith(_ => LineWritten -= Handler, TaskScheduler.Default);
    }

    /// <summary>The Redis channel name as Rails would publish it for this server (namespace applied).</summary>
    public RedisChannel Channel(string name) => RedisChannel.Literal(Namespace.Length > 0 ? $"{Namespace}:{name}" : name);

    public string Key(string name) => Namespace.Length > 0 ? $"{Namespace}:{name}" : name;

    /// <summary>PUBLISH and return how many Redis subscribers got it (1 once the server listens).</summary>
    public Task<long> PublishAsync(string channel, string message) =>
        TestEnvironment.Redis.GetSubscriber().PublishAsync(Channel(channel), message);

    /// <summary>Waits until the server has SUBSCRIBEd <paramref name="channel"/> (PUBSUB NUMSUB ≥ 1).</summary>
    public Task WaitForRedisSubscriptionAsync(string channel, bool subscribed = true)
    {
        var server = TestEnvironment.Redis.GetServer(TestEnvironment.Redis.GetEndPoints()[0]);
        var name = Key(channel);
        // Polling Redis' own state: there is no event to await for another process's SUBSCRIBE.
        return Eventually.UntilAsync(
            async () => (long)((RedisResult[])(await server.ExecuteAsync("PUBSUB", "NUMSUB", name))!)[1],
            subscribers => (subscribers > 0) == subscribed,
            DefaultTimeoutExtensions.Timeout,
            $"channel {name} to become {(subscribed ? "subscribed" : "unsubscribed")}",
            subscribers => $"{subscribers} subscribers");
    }

    public async Task<string> MetricsAsync()
    {
        using var http = new HttpClient { BaseAddress = HttpBase };
        return await http.GetStringAsync("/metrics").DefaultTimeout();
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
        }

        return _process.ExitCode;
    }

    /// <summary>Clears FD_CLOEXEC (.NET opens every socket close-on-exec).</summary>
    private static void AllowInheritance(int fd)
    {
        const int F_SETFD = 2;
        if (Fcntl(fd, F_SETFD, 0) != 0)
        {
            throw new InvalidOperationException($"fcntl(F_SETFD) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int cmd, int arg);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ServerAssembly()
    {
        // tests/AotStreaming.IntegrationTests/bin/<Configuration>/net10.0 → the Host project's output.
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "AotStreaming.Host", "bin", configuration, "net10.0", "aot-streaming.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the solution first", dll);
    }
}
