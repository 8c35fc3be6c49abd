using System.Diagnostics;
using AotStreaming.Configuration;
using Npgsql;
using StackExchange.Redis;

/// <summary>
/// <c>--check-connections</c>: after the configuration check, one connection attempt each to Redis (PING) and
/// PostgreSQL (<c>SELECT 1</c>), side by side and each within <see cref="Timeout"/>; one line per service, exit 1 if
/// either fails. Kept apart from <c>--check-config</c>, which must answer at once (systemd's ExecStartPre) even
/// while a service is still starting.
/// </summary>
internal static class CheckConnections
{
    /// <summary>3 s: a healthy local or LAN service answers in milliseconds; an admin waits for no more than that.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(MastodonSettings settings)
    {
        var redis = AttemptAsync(() => PingRedisAsync(settings.Redis));
        var postgres = AttemptAsync(() => QueryPostgresAsync(settings.PostgresConnectionString));
        var redisOk = Report($"Redis {settings.RedisDescription}", await redis);
        var postgresOk = Report($"PostgreSQL {settings.PostgresDescription}", await postgres);
        return redisOk && postgresOk ? 0 : 1;
    }

    private static async Task PingRedisAsync(ConfigurationOptions configured)
    {
        var options = configured.Clone();
        // One attempt, reported; the server itself keeps retrying instead (AbortOnConnectFail=false).
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ConnectTimeout = (int)Timeout.TotalMilliseconds;
        options.AsyncTimeout = (int)Timeout.TotalMilliseconds;
        options.SyncTimeout = (int)Timeout.TotalMilliseconds;
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        await multiplexer.GetDatabase().PingAsync();
    }

    private static async Task QueryPostgresAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = (int)Timeout.TotalSeconds,
            CommandTimeout = (int)Timeout.TotalSeconds,
            Pooling = false,
        };
        await using var source = new NpgsqlSlimDataSourceBuilder(builder.ConnectionString).Build();
        using var timeout = new CancellationTokenSource(Timeout);
        await using var connection = await source.OpenConnectionAsync(timeout.Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync(timeout.Token);
    }

    /// <summary>Null on success (with the elapsed time), or why it failed, on one line.</summary>
    private static async Task<(TimeSpan Elapsed, string? Failure)> AttemptAsync(Func<Task> attempt)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            // The clients' own timeouts should end it first; this bounds anything they do not cover (DNS, Sentinel).
            await attempt().WaitAsync(Timeout + TimeSpan.FromSeconds(2));
            return (Stopwatch.GetElapsedTime(started), null);
        }
        catch (Exception ex)
        {
            return (Stopwatch.GetElapsedTime(started), Describe(ex));
        }
    }

    private static string Describe(Exception ex)
    {
        var text = ex switch
        {
            TimeoutException or OperationCanceledException => $"no answer within {Timeout.TotalSeconds:0} s",
            RedisConnectionException redis when redis.InnerException is { } inner => $"{redis.FailureType}: {inner.Message}",
            // Its message goes on to advise abortConnect=false, which is about the server, not this check.
            RedisConnectionException redis => $"{redis.FailureType}: {redis.Message.Split(". ")[0]}",
            _ when ex.InnerException is { } inner && ex is NpgsqlException => $"{ex.Message} ({inner.Message})",
            _ => ex.Message,
        };
        return text.ReplaceLineEndings(" ");
    }

    private static bool Report(string service, (TimeSpan Elapsed, string? Failure) result)
    {
        if (result.Failure is { } failure)
        {
            Console.Error.WriteLine($"{service}: FAILED after {result.Elapsed.TotalSeconds:0.0} s: {failure}");
            return false;
        }

        Console.WriteLine($"{service}: OK ({result.Elapsed.TotalMilliseconds:0} ms)");
        return true;
    }
}
