using Microsoft.Extensions.Logging;

namespace AotStreaming.Configuration;

/// <summary>
/// The one place that reads the Node server's environment variables (reference §8) and Mastodon's
/// dotenv file. Precedence: process environment, then the dotenv file (never overriding), then defaults.
/// </summary>
public static class MastodonEnvironment
{
    public static MastodonSettings Load(string? envFile, PostgresOptions postgres, IReadOnlyDictionary<string, string>? overrides = null)
    {
        Dictionary<string, string>? dotEnv = null;
        if (!string.IsNullOrEmpty(envFile))
        {
            if (!File.Exists(envFile))
            {
                throw new ConfigurationException($"Invalid env file: {envFile} does not exist");
            }

            dotEnv = DotEnvFile.Parse(File.ReadAllText(envFile));
        }

        var settings = Resolve(EnvironmentReader.FromProcess(dotEnv, overrides), postgres);
        return dotEnv is null ? settings : settings with { EnvFileLoaded = envFile };
    }

    internal static MastodonSettings Resolve(EnvironmentReader env, PostgresOptions postgres)
    {
        var environment = env.NonEmpty("NODE_ENV") ?? "development";
        var (redis, redisDescription, redisTrust) = RedisEnvironment.Build(env);
        var port = env.NonEmpty("PORT") ?? "4000";
        if (!int.TryParse(port, out var portNumber) || portNumber is < 0 or > 65535)
        {
            throw new ConfigurationException($"Invalid PORT environment variable: {port}");
        }

        var bind = env.Raw("BIND") ?? "127.0.0.1";
        if (bind.StartsWith('[') && bind.EndsWith(']'))
        {
            bind = bind[1..^1];
        }

        return new MastodonSettings
        {
            Environment = environment,
            LogLevel = ParseLogLevel(env.NonEmpty("LOG_LEVEL"), environment),
            SocketPath = env.NonEmpty("SOCKET"),
            Bind = bind,
            Port = portNumber,
            TrustedProxies = (env.NonEmpty("TRUSTED_PROXY_IP") ?? "")
                .Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            PostgresConnectionString = PostgresEnvironment.Build(env, environment, postgres),
            Redis = redis,
            RedisTrust = redisTrust,
            RedisNamespace = env.NonEmpty("REDIS_NAMESPACE"),
            RedisDescription = redisDescription,
        };
    }

    /// <summary>
    /// pino level names, plus npmlog's <c>silly</c>, <c>verbose</c> and <c>http</c> that older Mastodon
    /// <c>.env</c> files still carry. Unknown names stop startup rather than silently changing verbosity.
    /// </summary>
    internal static LogLevel ParseLogLevel(string? value, string environment) => value?.ToLowerInvariant() switch
    {
        null => environment == "development" ? LogLevel.Debug : LogLevel.Information,
        "trace" or "silly" => LogLevel.Trace,
        "debug" or "verbose" => LogLevel.Debug,
        "info" or "http" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        "silent" => LogLevel.None,
        _ => throw new ConfigurationException($"Invalid LOG_LEVEL environment variable: {value}"),
    };
}
