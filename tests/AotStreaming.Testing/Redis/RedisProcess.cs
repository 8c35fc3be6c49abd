using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Testing.Redis;

/// <summary>
/// One redis-server (or <c>redis-server --sentinel</c>) child process of a test, not daemonized, with its output
/// kept for failure messages. Completes start-up when the process logs "Ready to accept connections".
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private RedisProcess(Process process, ConcurrentQueue<string> output, int port)
    {
        _process = process;
        _output = output;
        Port = port;
    }

    public int Port { get; }

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>redis-server</c> with <paramref name="arguments"/> (which must make it listen on <paramref name="port"/>).</summary>
    /// <param name="readyText">The log line that says it serves: a data node's, or a sentinel's "+monitor master".</param>
    public static async Task<RedisProcess> StartAsync(int port, IEnumerable<string> arguments, string readyText = "Ready to accept connections")
    {
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"redis-server {string.Join(' ', info.ArgumentList)} exited:\n" + string.Join('\n', output)));
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains(readyText, StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var redis = new RedisProcess(process, output, port);
        try
        {
            await ready.Task.DefaultTimeout();
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }

        return redis;
    }

    /// <summary>SIGKILL: no shutdown, connections reset, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().DefaultTimeout();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The arguments of a throw-away data node: loopback only, no persistence.</summary>
    public static string[] DataNodeArguments(int port) =>
        ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
}
