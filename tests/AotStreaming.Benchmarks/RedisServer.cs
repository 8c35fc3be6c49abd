using StackExchange.Redis;

namespace AotStreaming.Benchmarks;

/// <summary>A private, non-persistent redis-server on a free loopback port, so runs never share pub/sub traffic.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private RedisServer(ChildProcess process, int port, ConnectionMultiplexer connection)
    {
        _process = process;
        Port = port;
        Connection = connection;
    }

    public int Port { get; }

    public ConnectionMultiplexer Connection { get; }

    public static async Task<RedisServer> StartAsync(string executable)
    {
        var port = FreePort.Next();
        var process = ChildProcess.Start("redis-server", executable,
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]);
        try
        {
            var connection = await ConnectWithRetryAsync(port, process);
            return new RedisServer(process, port, connection);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        _process.Dispose();
    }

    private static async Task<ConnectionMultiplexer> ConnectWithRetryAsync(int port, ChildProcess process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=true,connectTimeout=1000");
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (RedisConnectionException ex)
            {
                throw new InvalidOperationException($"redis-server did not start: {ex.Message}{Environment.NewLine}{process.Tail()}", ex);
            }
        }
    }
}
