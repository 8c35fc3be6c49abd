using Npgsql;
using StackExchange.Redis;

namespace AotStreaming.Testing;

/// <summary>
/// The real Redis and PostgreSQL the integration tests run against, from <c>AOTSTREAMING_REDIS</c> and
/// <c>AOTSTREAMING_PG</c> (scripts/test.sh sets both). Missing services fail loudly with the setup command.
/// </summary>
public static class TestEnvironment
{
    public const string SetupHint = "Start the test services with: bash scripts/services.sh (or run the whole suite with bash scripts/test.sh).";

    /// <summary>
    /// Connect timeout of the tests' own Redis clients, in the form StackExchange.Redis parses: the tests' default
    /// timeout. 3 s failed a TLS connect on a loaded machine (a whole handshake plus the client's setup commands).
    /// </summary>
    public static readonly string RedisConnectTimeout = $"connectTimeout={(int)DefaultTimeoutExtensions.Timeout.TotalMilliseconds}";

    private static readonly Lazy<ConnectionMultiplexer> s_redis = new(() =>
    {
        try
        {
            return ConnectionMultiplexer.Connect($"{RedisEndpoint},abortConnect=true,{RedisConnectTimeout}");
        }
        catch (RedisConnectionException ex)
        {
            throw new InvalidOperationException($"Redis at {RedisEndpoint} is not reachable. {SetupHint}", ex);
        }
    });

    public static string RedisEndpoint => Environment.GetEnvironmentVariable("AOTSTREAMING_REDIS") is { Length: > 0 } r ? r : "127.0.0.1:6390";

    public static string RedisHost => RedisEndpoint.Split(':')[0];

    public static int RedisPort => int.Parse(RedisEndpoint.Split(':')[1]);

    public static NpgsqlConnectionStringBuilder PostgresServer => new(
        Environment.GetEnvironmentVariable("AOTSTREAMING_PG") is { Length: > 0 } p ? p : "Host=127.0.0.1;Port=5440;Username=postgres");

    public static ConnectionMultiplexer Redis => s_redis.Value;

    /// <summary>Set to the published native binary to run the same suite against it (CI does).</summary>
    public static string? ServerBinary => Environment.GetEnvironmentVariable("AOTSTREAMING_SERVER_BINARY") is { Length: > 0 } b ? b : null;
}
