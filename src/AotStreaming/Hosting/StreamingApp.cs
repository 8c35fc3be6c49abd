using System.Net;
using AotStreaming.Configuration;
using AotStreaming.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Hosting;

/// <summary>Builds the whole server; used by the executable and, in-process, by the integration tests.</summary>
public static class StreamingApp
{
    /// <summary>Environment variable naming an extra appsettings file (the package installs /etc/aot-streaming/appsettings.json).</summary>
    public const string ConfigFileVariable = "AOT_STREAMING_CONFIG";

    /// <summary>Environment variable naming Mastodon's <c>.env.production</c> (same as <c>--env-file</c>).</summary>
    public const string EnvFileVariable = "AOT_STREAMING_ENV_FILE";

    /// <summary>
    /// Builds the server. <paramref name="environment"/> overrides process variables (tests run several servers in
    /// one process); Mastodon's variables and our options are resolved and validated once, here, and bad values
    /// throw one <see cref="ConfigurationException"/> naming each of them.
    /// </summary>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (builder, settings, options) = Configure(args, environment);
        ConfigureLogging(builder, settings);
        var inherited = SystemdListenSockets.FromEnvironment();
        if (inherited is not null)
        {
            builder.Services.AddSingleton(inherited);
        }

        ConfigureKestrel(builder, settings, options, inherited);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSystemd();
        // AddSystemd() detects systemd through /proc/<ppid>/comm, which ProtectProc=invisible hides: fall back to
        // NOTIFY_SOCKET so Type=notify still gets READY=1 under Mastodon's hardening (native-aot-notes pitfall 2).
        if (!SystemdHelpers.IsSystemdService() && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
        {
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        builder.Services.AddAotStreaming(settings, options);
        var app = builder.Build();
        var handler = app.Services.GetRequiredService<StreamingRequestHandler>();
        // A request has begun: a shutdown from now on answers it (StreamingTransport.StopAcceptingAsync waits for this).
        app.Use(static (context, next) =>
        {
            context.Features.Get<FirstRequestWatch>()?.Ended();
            return next(context);
        });
        // Before UseWebSockets, which captures the upgrade feature: our writer shares the upgraded stream with the
        // runtime WebSocket, and kill must send an empty close frame (§3.5).
        app.Use(static (context, next) =>
        {
            if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new WebSocketUpgradeFeature(upgrade));
            }

            return next(context);
        });
        app.UseWebSockets();
        app.Run(handler.InvokeAsync);
        return app;
    }

    /// <summary>
    /// What <c>--check-config</c> runs: the same configuration sources and checks as <see cref="Build"/>, and
    /// nothing else; no service is created, so it does no network I/O and answers at once whatever is down.
    /// </summary>
    public static MastodonSettings CheckConfiguration(string[] args, IReadOnlyDictionary<string, string>? environment = null) =>
        Configure(args, environment).Settings;

    private static (WebApplicationBuilder Builder, MastodonSettings Settings, CheckedOptions Options) Configure(string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            // systemd starts us in "/": appsettings.json lives next to the binary.
            ContentRootPath = AppContext.BaseDirectory,
        });
        var extraConfig = Variable(environment, ConfigFileVariable) ?? "/etc/aot-streaming/appsettings.json";
        builder.Configuration.AddJsonFile(extraConfig, optional: true, reloadOnChange: false);
        // Precedence (README): appsettings.json next to the binary < /etc file < environment < command line.
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(args);

        // Every problem in one go, options and Mastodon's variables alike; a bad option leaves the PostgreSQL
        // defaults in place so the variables are still checked.
        var problems = new List<string>();
        var options = OptionsCheck.Validate(builder.Configuration, problems);
        var envFile = builder.Configuration["env-file"] ?? Variable(environment, EnvFileVariable) ?? builder.Configuration["Streaming:EnvFile"];
        MastodonSettings? settings = null;
        try
        {
            settings = MastodonEnvironment.Load(envFile, options?.Postgres ?? new PostgresOptions(), environment);
        }
        catch (ConfigurationException ex)
        {
            problems.AddRange(ex.Problems);
        }

        return settings is not null && options is not null && problems.Count == 0 ? (builder, settings, options) : throw new ConfigurationException(problems);
    }

    private static string? Variable(IReadOnlyDictionary<string, string>? environment, string name) =>
        environment is not null && environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static void ConfigureLogging(WebApplicationBuilder builder, MastodonSettings settings)
    {
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(settings.LogLevel);
        // ASP.NET Core's request logging prints URLs with their query string (?access_token=...): never enabled.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        var json = string.Equals(builder.Configuration["Streaming:Logging:Format"], "json", StringComparison.OrdinalIgnoreCase);
        var underJournald = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));
        builder.Logging.AddZLoggerConsole(options =>
        {
            if (json)
            {
                options.UseJsonFormatter();
                return;
            }

            options.UsePlainTextFormatter(formatter =>
            {
                // journald stamps every line itself; elsewhere we add the time.
                if (underJournald)
                {
                    formatter.SetPrefixFormatter($"[{0:short}] ", (in MessageTemplate t, in LogInfo i) => t.Format(i.LogLevel));
                }
                else
                {
                    formatter.SetPrefixFormatter($"{0:utc-longdate} [{1:short}] ", (in MessageTemplate t, in LogInfo i) => t.Format(i.Timestamp, i.LogLevel));
                }

                formatter.SetExceptionFormatter((writer, ex) => Utf8StringInterpolation.Utf8String.Format(writer, $" {ex.GetType().Name}: {ex.Message}"));
            });
        });
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, MastodonSettings settings, CheckedOptions options, SystemdListenSockets? inherited)
    {
        var delivery = options.Delivery;
        builder.WebHost.UseSockets(sockets =>
        {
            // Nothing on our socket paths blocks (writes only ever await the socket), so Kestrel may run socket
            // completions and our writer loops inline instead of hopping through its I/O queues: one thread-pool
            // hop less per frame, which is most of a broadcast's cost.
            sockets.UnsafePreferInlineScheduling = delivery.InlineSocketScheduling;
            // The transport's output pipe holds at most this much per socket once its kernel buffer is full;
            // beyond it writes wait and frames queue in the outbox as shared references (DeliveryOptions).
            sockets.MaxWriteBufferSize = delivery.ResponseBufferBytes;
            if (delivery.SocketSendBufferBytes > 0)
            {
                // Accepted sockets inherit the listener's send buffer on Linux. A fixed size stops the kernel from
                // growing a stalled peer's buffer to megabytes: its writes block soon, and the write timeout or the
                // outbox drops it.
                sockets.CreateBoundListenSocket = endPoint =>
                {
                    var socket = Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.CreateDefaultBoundListenSocket(endPoint);
                    if (endPoint is not System.Net.Sockets.UnixDomainSocketEndPoint)
                    {
                        socket.SendBufferSize = delivery.SocketSendBufferBytes;
                    }

                    return socket;
                };
            }
        });

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = null;
            kestrel.Limits.MaxConcurrentUpgradedConnections = null;
            kestrel.Limits.MaxResponseBufferSize = delivery.ResponseBufferBytes;
            // Slow-loris: a request's headers must arrive within RequestHeadersTimeoutSeconds (15 s by default);
            // 32 KiB of headers is ample for a token.
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(options.Limits.RequestHeadersTimeoutSeconds);
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            if (inherited is not null)
            {
                // Socket activation: systemd bound the sockets; SOCKET's file (if any) belongs to the socket unit
                // now and must not be deleted, so BIND/PORT/SOCKET are ignored.
                foreach (var fd in inherited.Fds)
                {
                    kestrel.ListenHandle((ulong)fd);
                }

                return;
            }

            if (settings.SocketPath is { } socket)
            {
                if (File.Exists(socket))
                {
                    File.Delete(socket);
                }

                kestrel.ListenUnixSocket(socket);
                return;
            }

            var address = settings.Bind switch
            {
                "localhost" => IPAddress.Loopback,
                "" or "0.0.0.0" => IPAddress.Any,
                "::" => IPAddress.IPv6Any,
                var text when IPAddress.TryParse(text, out var ip) => ip,
                var text => throw new ConfigurationException($"Invalid BIND environment variable: {text}"),
            };
            kestrel.Listen(address, settings.Port);
        });
    }
}
