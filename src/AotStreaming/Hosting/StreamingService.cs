using AotStreaming.Configuration;
using AotStreaming.Delivery;
using AotStreaming.Dispatch;
using AotStreaming.Endpoints;
using AotStreaming.Ingress;
using AotStreaming.Protocol;
using AotStreaming.Routing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AotStreaming.Hosting;

/// <summary>Starts the pipeline with the host and takes it down gracefully: every client is told, then let go.</summary>
internal sealed class StreamingService(
    RedisEventSource redis,
    Router router,
    DispatcherPool dispatchers,
    SseHeartbeat heartbeat,
    WriteWatchdog watchdog,
    WebSocketPinger pinger,
    ConnectionRegistry registry,
    MastodonSettings settings,
    IOptions<DispatchOptions> dispatchOptions,
    IServer server,
    StreamingTransport transport,
    IHostApplicationLifetime lifetime,
    ILogger<StreamingService> logger,
    SystemdListenSockets? inherited = null) : IHostedLifecycleService
{
    // Long enough for Kestrel to begin requests already received; only a client that connected and sent nothing
    // holds the shutdown this long.
    private static readonly TimeSpan StopAcceptingLimit = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();
    private Task? _routing;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.EnvFileLoaded is { } envFile)
        {
            logger.EnvFileLoaded(envFile);
        }

        var pg = new NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
        logger.Configured(settings.RedisDescription, settings.RedisNamespace is { } ns ? $" (namespace {ns})" : "",
            settings.PostgresDescription, pg.MaxPoolSize, dispatchOptions.Value.EffectiveDispatcherCount, settings.Environment);
        redis.Start();
        heartbeat.Start();
        watchdog.Start();
        pinger.Start();
        _routing = router.RunAsync(_stopping.Token);
        lifetime.ApplicationStarted.Register(AnnounceListening);
        lifetime.ApplicationStopping.Register(CloseAllConnections);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Before any service stops: no new connection is taken, and those taken get their answer before Kestrel's
    /// shutdown closes the connections it has not begun to answer (a restart under socket activation drops none).
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken) =>
        transport.StopAcceptingAsync(StopAcceptingLimit).WaitAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CloseAllConnections();
        await _stopping.CancelAsync();
        if (_routing is not null)
        {
            await _routing.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await dispatchers.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void AnnounceListening()
    {
        logger.Listening(inherited?.Description ?? BoundAddress());

        // Start-up garbage (configuration, the service graph, Kestrel's and the clients' set-up) is dead now; one
        // aggressive collection returns its pages to the OS instead of keeping them resident for the process's life.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Where we bound ourselves (no socket activation); a unix socket gets its file mode here.</summary>
    private string BoundAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = settings.SocketPath;
        if (address is null && addresses is not null)
        {
            foreach (var url in addresses)
            {
                var uri = new Uri(url);
                address = $"{uri.Host.Trim('[', ']')}:{uri.Port}";
                break;
            }
        }

        if (settings.SocketPath is { } socket && File.Exists(socket) && !OperatingSystem.IsWindows())
        {
            // 0666 as upstream: nginx (another user) must be able to connect.
            File.SetUnixFileMode(socket, (UnixFileMode)0b110_110_110);
        }

        return address ?? settings.ListenDescription;
    }

    /// <summary>WebSockets get 1001, SSE responses end; each writer loop does its own close.</summary>
    private void CloseAllConnections()
    {
        var connections = registry.Snapshot();
        if (connections.Count > 0)
        {
            logger.ShuttingDown(connections.Count);
        }

        foreach (var connection in connections)
        {
            connection.Close(DisconnectReason.Shutdown);
        }
    }
}
